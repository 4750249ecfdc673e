"""The multi-layer perceptron itself, for one network or a stack of them.

:class:`StackedMLP` holds the parameters of ``n_networks`` independent MLPs
as one array with a leading network axis (or of a single MLP, without that
axis), runs the forward pass with batched matrix products and trains all
networks at once: every network sees its own rows of a padded data array,
rows past a network's own sample count carry zero weight, and a network with
no real row in a minibatch is not stepped at all. :class:`ann.MLPClassifier`
and :class:`ann.MLPRegressor` are a single network; :class:`ann.MLPPopulation`
is a stack. Activations, losses, learning rules and optimizers come from
their registries, so all three share them.

All parameters live in one contiguous vector ``theta`` per network (weights
of every layer, then biases); ``weights`` and ``biases`` are views into it.
The optimizer then updates a single array per step instead of one per layer,
which matters for small networks, where per-call overhead dominates.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np

from ann.activations import ACTIVATIONS
from ann.losses import LOSSES, output_error
from ann.mac import forward_macs
from ann.optimizers import OPTIMIZERS, make_optimizer
from ann.rules import RULES, LearningRule, make_rule
from core.opcounts import mlp_counts
from core.params import (
    Boolean,
    DType,
    Interval,
    KeywordDict,
    NoneOf,
    RandomState,
    Registered,
    SizesTuple,
)

#: Constraints of the parameters every MLP (estimator or population) takes
#: (:func:`core.params.validate_params`).
NETWORK_CONSTRAINTS = {
    "hidden_layer_sizes": [SizesTuple()],
    "activation": [Registered(ACTIVATIONS)],
    "rule": [Registered(RULES)],
    "optimizer": [Registered(OPTIMIZERS)],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None)],
    "alpha": [Interval(Real, 0, None)],
    "shuffle": [Boolean()],
    "random_state": [RandomState()],
    "rule_params": [NoneOf(dict), KeywordDict()],
    "optimizer_params": [NoneOf(dict), KeywordDict()],
    "dtype": [DType("float32", "float64")],
    "verbose": [NoneOf(), Interval(Integral, 0, None)],
}


#: Hyperparameters that both network classes (:class:`StackedMLP` and
#: :class:`ann.spiking.network.SpikingNetwork`) take as they are, by the same name.
TRAINING_KEYWORDS = (
    "rule",
    "optimizer",
    "learning_rate",
    "alpha",
    "rule_params",
    "optimizer_params",
    "dtype",
)


def training_keywords(hyper: dict) -> dict:
    """The :data:`TRAINING_KEYWORDS` entries of the hyperparameters ``hyper``."""
    return {name: hyper[name] for name in TRAINING_KEYWORDS}


def network_rngs(rng: np.random.Generator) -> tuple[np.random.Generator, ...]:
    """The three independent streams of one network: weights, rule state, shuffling.

    Child generators come from ``SeedSequence.spawn`` (via ``Generator.spawn``),
    so the streams never overlap and a population's agent ``i`` equals a single
    network seeded with that agent's generator.
    """
    init_rng, rule_rng, shuffle_rng = rng.spawn(3)
    return init_rng, rule_rng, shuffle_rng


def glorot_bound(n_in: int, n_out: int, activation: str) -> float:
    """Uniform initialisation bound of Glorot & Bengio (2010, AISTATS).

    ``sqrt(6 / (n_in + n_out))``; ``sqrt(2 / (n_in + n_out))`` for the sigmoid,
    whose slope at 0 is 1/4 (scikit-learn makes the same choice).
    """
    factor = 2.0 if activation == "sigmoid" else 6.0
    return float(np.sqrt(factor / (n_in + n_out)))


class FlatParameters:
    """Parameters of one network or a stack of them, kept in one vector ``theta``.

    ``theta`` holds the weights of every layer, then the biases (with a
    leading network axis for a stack); ``weights`` and ``biases`` are views
    into it, so an optimizer steps one array. What :class:`StackedMLP` and
    :class:`ann.spiking.network.SpikingNetwork` share: allocating ``theta``
    and the optimizer, drawing Glorot-uniform weights, the saved state and
    the finiteness check.
    """

    #: Activation whose Glorot bound initialises the weights (:func:`glorot_bound`).
    activation_name = "relu"

    def _allocate(
        self, layer_sizes, batch_shape, dtype, optimizer, learning_rate, optimizer_params
    ) -> None:
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        self.batch_shape = tuple(batch_shape)
        self.dtype = np.dtype(dtype)
        self._shapes = [(a, b) for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:])]
        self.n_weights = sum(a * b for a, b in self._shapes)
        self.n_parameters = self.n_weights + sum(b for _, b in self._shapes)
        self.theta = np.zeros(self.batch_shape + (self.n_parameters,), dtype=self.dtype)
        self.weights, self.biases = self.split(self.theta)
        self.rule_state: dict[str, np.ndarray] = {}
        self.optimizer = make_optimizer(
            optimizer, [self.theta], learning_rate, self.batch_shape, optimizer_params
        )
        # Words of optimizer state per parameter (Adam: two moments).
        self.optimizer_state_words = sum(
            state.shape == self.theta.shape for state in self.optimizer.state_arrays()
        )

    def split(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Views of a ``theta``-shaped array as per-layer (weights, biases)."""
        weights, biases, start = [], [], 0
        for n_in, n_out in self._shapes:
            weights.append(
                flat[..., start : start + n_in * n_out].reshape(flat.shape[:-1] + (n_in, n_out))
            )
            start += n_in * n_out
        for _, n_out in self._shapes:
            biases.append(flat[..., start : start + n_out])
            start += n_out
        return weights, biases

    def initialize(self, init_rngs, rule_rngs) -> None:
        """Draw weights, biases and rule state; one generator per network.

        For a single network pass generators, for a stack pass sequences of
        generators (drawing is per network, so agent ``i`` of a stack equals a
        single network given agent ``i``'s generators).
        """
        if not self.batch_shape:
            init_rngs, rule_rngs = [init_rngs], [rule_rngs]
        states = []
        for index, (init_rng, rule_rng) in enumerate(zip(init_rngs, rule_rngs)):
            at = index if self.batch_shape else ...
            for W, b in zip(self.weights, self.biases):
                bound = glorot_bound(W.shape[-2], W.shape[-1], self.activation_name)
                W[at] = init_rng.uniform(-bound, bound, W.shape[-2:])
                b[at] = init_rng.uniform(-bound, bound, b.shape[-1])
            states.append(self.rule.init_state(self.layer_sizes, rule_rng, self.dtype))
        if self.batch_shape:
            self.rule_state = {key: np.stack([s[key] for s in states]) for key in states[0]}
        else:
            self.rule_state = states[0]

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything training changes or draws: ``theta``, the rule's state, the optimizer's.

        Keys: ``theta``, ``rule_state.<key>``, ``optimizer.<i>`` (the
        optimizer's state arrays in ``state_names`` order). What a saved
        model needs, with the hyperparameters the network was built from.
        """
        arrays = {"theta": self.theta}
        arrays.update({f"rule_state.{key}": value for key, value in self.rule_state.items()})
        arrays.update(
            {
                f"optimizer.{index}": value
                for index, value in enumerate(self.optimizer.state_arrays())
            }
        )
        return arrays

    def set_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_arrays` into a network built with the same hyperparameters.

        Raises ValueError naming the array whose key, shape or dtype differs.
        """
        optimizer_state = self.optimizer.state_arrays()
        expected = {"theta"} | {f"optimizer.{i}" for i in range(len(optimizer_state))}
        rule_keys = {key for key in arrays if key.startswith("rule_state.")}
        if set(arrays) - rule_keys != expected:
            raise ValueError(
                f"network state must have the arrays {sorted(expected)} (and "
                f"rule_state.*), got {sorted(arrays)}"
            )
        targets = [(self.theta, "theta")] + [
            (state, f"optimizer.{i}") for i, state in enumerate(optimizer_state)
        ]
        for target, key in targets:
            value = arrays[key]
            if value.shape != target.shape or value.dtype != target.dtype:
                raise ValueError(
                    f"array {key!r} has shape {value.shape} and dtype {value.dtype}; "
                    f"this network needs {target.shape} and {target.dtype}"
                )
        for target, key in targets:
            np.copyto(target, arrays[key])  # in place: weights, biases are views of theta
        self.rule_state = {
            key[len("rule_state.") :]: np.array(arrays[key]) for key in arrays if key in rule_keys
        }

    def finite(self) -> np.ndarray:
        """Per network: are all parameters finite?"""
        # A sum is finite only if every term is, so one reduction answers for
        # almost every network; the elementwise check (a boolean temporary
        # the size of ``theta``) runs only when some sum overflowed or is not
        # finite, and keeps the answer exact.
        with np.errstate(over="ignore", invalid="ignore"):
            finite = np.isfinite(self.theta.sum(axis=-1))
        if not np.all(finite):
            finite = np.isfinite(self.theta).all(axis=-1)
        return finite


class StackedMLP(FlatParameters):
    """Parameters and training step of ``n_networks`` MLPs (or one, if ``None``).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, *hidden_layer_sizes, n_outputs)``.
    n_networks : int or None
        Size of the leading network axis; ``None`` for a single network.
    activation : str
        Hidden activation, a key of :data:`ann.ACTIVATIONS`.
    loss : str
        A key of :data:`ann.losses.LOSSES`.
    rule, optimizer : str
        Keys of :data:`ann.RULES` and :data:`ann.OPTIMIZERS`.
    learning_rate, alpha : float
        Step size; L2 penalty ``0.5 * alpha * ||W||^2 / batch size`` added to
        the loss, the scaling scikit-learn uses.
    rule_params, optimizer_params : dict or None
        Hyperparameters of the rule and the optimizer.
    dtype : numpy float dtype
    """

    def __init__(
        self,
        layer_sizes,
        n_networks,
        *,
        activation,
        loss,
        rule,
        optimizer,
        learning_rate,
        alpha,
        rule_params=None,
        optimizer_params=None,
        dtype=np.float64,
    ):
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]
        self._activation_takes_out = _takes_out(self.activation.function)
        self.loss = LOSSES[loss]
        self.rule = make_rule(rule, rule_params)
        self.alpha = float(alpha)
        batch_shape = () if n_networks is None else (int(n_networks),)
        self._allocate(layer_sizes, batch_shape, dtype, optimizer, learning_rate, optimizer_params)
        # Reused every step (a population's gradient is megabytes).
        self._grad = np.empty_like(self.theta)
        self._grad_views = self.split(self._grad)
        self._l2_scratch = np.empty_like(self.theta[..., : self.n_weights])
        # Pre-activation buffers of training steps, by minibatch size. A
        # stack's are megabytes, and a fresh array of that size per layer and
        # step costs page faults that showed up as ~13% of a population step.
        self._step_buffers: dict[int, list[np.ndarray]] = {}
        self.forward_macs = forward_macs(self.layer_sizes)
        self.backward_macs = int(self.rule.backward_macs(self.layer_sizes))
        # Backpropagation's structure (an error per unit, sent back through the
        # weights) is what the effective backward count assumes; a rule that
        # declares another backward cost is counted dense.
        self.structured_backward = type(self.rule).backward_macs is LearningRule.backward_macs
        self._last_activations: list[np.ndarray] = []

    def forward(self, X: np.ndarray, buffers=None) -> list[np.ndarray]:
        """All layer outputs ``[X, a_1, ..., output]``.

        ``X`` is ``(n_samples, n_features)`` (shown to every network) or
        ``(*batch_shape, n_samples, n_features)``. ``buffers`` (one array per
        layer, shaped like its output) receive the pre-activations and, for
        activations that take ``out=``, the activations, which then alias
        them: training reuses them from step to step.
        """
        activations = [X]
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = np.matmul(activations[-1], W, out=None if buffers is None else buffers[layer])
            z += b[..., None, :]
            if layer == last:
                activations.append(self.loss.output(z))
            elif self._activation_takes_out:  # z is this call's own array: overwrite it
                activations.append(self.activation.function(z, out=z))
            else:
                activations.append(self.activation.function(z))
        return activations

    def _buffers(self, n_rows: int) -> list[np.ndarray]:
        """Reused pre-activation arrays for a minibatch of ``n_rows`` rows."""
        if n_rows not in self._step_buffers:
            self._step_buffers[n_rows] = [
                np.empty(self.batch_shape + (n_rows, n_out), dtype=self.dtype)
                for _, n_out in self._shapes
            ]
        return self._step_buffers[n_rows]

    def penalty(self) -> np.ndarray:
        """``0.5 * alpha * ||W||^2`` per network (before division by the batch size)."""
        w = self.theta[..., None, : self.n_weights]
        return 0.5 * self.alpha * (w @ w.swapaxes(-1, -2))[..., 0, 0]

    def loss_and_gradient(self, X, Y, sample_weight, n_valid, out=None, buffers=None):
        """Loss per network and the gradient the rule assigns to ``theta``.

        Parameters
        ----------
        X, Y : ndarray, shape (*batch_shape, n_rows, n_features / n_outputs)
        sample_weight : float or ndarray (*batch_shape, n_rows)
            ``1 / n_valid`` for real rows, 0 for padding.
        n_valid : int or ndarray (*batch_shape,)
            Real rows per network (use 1 where there are none).
        out : ndarray shaped like ``theta``, optional
            Where to write the gradient (a new array if omitted).
        buffers : list of ndarray, optional
            Passed to :meth:`forward` (then ``output`` may alias one of them).

        Returns
        -------
        loss : ndarray (*batch_shape)
            Weighted mean loss plus ``penalty() / n_valid``.
        grad : ndarray, shaped like ``theta``
        output : ndarray (*batch_shape, n_rows, n_outputs)
        """
        grad = np.empty_like(self.theta) if out is None else out
        grad_views = self._grad_views if grad is self._grad else self.split(grad)
        activations = self.forward(X, buffers)
        self._last_activations = activations
        output = activations[-1]
        weights = np.asarray(sample_weight, dtype=self.dtype)
        weight_rows = weights[..., None] if weights.ndim else weights
        loss = (self.loss.per_sample(Y, output) * weights).sum(axis=-1)
        output_delta = output_error(Y, output) * weight_rows
        computed = self.rule.gradients(
            output_delta,
            self.weights,
            activations,
            self.activation.derivative,
            self.rule_state,
            out=grad_views,
        )
        # A rule may ignore ``out`` and return new arrays: copy those in.
        for results, views in zip(computed, grad_views):
            for result, view in zip(results, views):
                if result is not view:
                    view[...] = result
        if self.alpha:
            inverse_n = 1.0 / np.asarray(n_valid, dtype=self.dtype)
            scale = (
                (self.alpha * inverse_n)[..., None] if self.batch_shape else self.alpha * inverse_n
            )
            grad[..., : self.n_weights] += np.multiply(
                self.theta[..., : self.n_weights], scale, out=self._l2_scratch
            )
            loss = loss + self.penalty() * inverse_n
        return loss, grad, output

    def train_step(self, X, Y, sample_weight, n_valid, active=None):
        """One optimizer step on a minibatch (``active``: networks that take it).

        Returns the batch loss and output, as :meth:`loss_and_gradient`.
        """
        loss, grad, output = self.loss_and_gradient(
            X, Y, sample_weight, n_valid, out=self._grad, buffers=self._buffers(X.shape[-2])
        )
        self.optimizer.step([self.theta], [grad], active)
        return loss, output

    def train_epoch(self, X, Y, batch_size: int, lengths=None, classification=True, counter=None):
        """One pass over ``X, Y`` (already in the order to visit) in minibatches.

        ``lengths`` (per network, for a stack) marks rows ``>= lengths[i]`` of
        network ``i`` as padding. Returns the per-network sums over real rows
        of ``(loss, correct predictions)`` for classification or
        ``(loss, squared error per output)`` for regression. ``counter`` (a
        :class:`core.opcounts.OpCounter`, one entry per network) receives the
        epoch's operation counts (:meth:`training_counts`).
        """
        n_rows = X.shape[-2]
        sums = self._empty_count_sums() if counter is not None else None
        loss_sum = np.zeros(self.batch_shape)
        score_sum = np.zeros(self.batch_shape + (() if classification else (Y.shape[-1],)))
        for start in range(0, n_rows, batch_size):
            stop = min(start + batch_size, n_rows)
            Xb, Yb = X[..., start:stop, :], Y[..., start:stop, :]
            if lengths is None:
                n_valid, active, valid = stop - start, None, None
                sample_weight = 1.0 / n_valid
            else:
                n_valid = np.clip(lengths - start, 0, stop - start)
                active = n_valid > 0
                valid = np.arange(start, stop) < lengths[:, None]
                sample_weight = valid / np.maximum(n_valid, 1)[:, None]
                n_valid = np.maximum(n_valid, 1)
            batch_loss, output = self.train_step(Xb, Yb, sample_weight, n_valid, active)
            if sums is not None:
                self._count_step(sums, valid, active, stop - start)
            if lengths is None:
                loss_sum += batch_loss * n_valid
            else:
                loss_sum += np.where(active, batch_loss * n_valid, 0.0)
            if classification:
                hits = output.argmax(axis=-1) == Yb.argmax(axis=-1)
                score_sum += (hits if valid is None else hits & valid).sum(axis=-1)
            else:
                residual = output - Yb
                squared = residual * residual
                score_sum += (squared if valid is None else squared * valid[..., None]).sum(axis=-2)
        if counter is not None:
            counter.update(self.training_counts(sums))
        return loss_sum, score_sum

    # -- operation counts (core.opcounts) ------------------------------------------------------
    def _empty_count_sums(self) -> dict:
        zero = np.zeros(self.batch_shape, dtype=np.int64)
        n_layers = len(self.weights)
        return {
            "rows": zero.copy(),
            "steps": zero.copy(),
            "input_nonzero": [zero.copy() for _ in range(n_layers)],
            "delta_nonzero": [zero.copy() for _ in range(n_layers)],
            "outer_nonzero": [zero.copy() for _ in range(n_layers)],
        }

    def _nonzero_per_row(self, activations) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per row: non-zero inputs of every layer and non-zero errors of every layer's output.

        A hidden unit's error is the error sent back times the activation's
        derivative, so it is zero wherever the derivative is (a ReLU at 0);
        the output error is counted dense.
        """
        n_layers = len(self.weights)
        inputs = [np.count_nonzero(a, axis=-1) for a in activations[:n_layers]]
        deltas = []
        for layer in range(n_layers - 1):
            hidden = activations[layer + 1]
            if self.activation_name == "relu":  # derivative 1 exactly where the output is > 0
                deltas.append(inputs[layer + 1])
            else:
                deltas.append(np.count_nonzero(self.activation.derivative(hidden), axis=-1))
        deltas.append(np.full_like(inputs[0], self.layer_sizes[-1]))
        return inputs, deltas

    def _count_step(self, sums: dict, valid, active, n_rows: int) -> None:
        """Add one training step's per-network non-zero counts to ``sums``."""
        inputs, deltas = self._nonzero_per_row(self._last_activations)
        keep = 1 if valid is None else valid
        for layer, (nz_in, nz_delta) in enumerate(zip(inputs, deltas)):
            sums["input_nonzero"][layer] += (nz_in * keep).sum(axis=-1)
            sums["delta_nonzero"][layer] += (nz_delta * keep).sum(axis=-1)
            sums["outer_nonzero"][layer] += (nz_in * nz_delta * keep).sum(axis=-1)
        sums["rows"] += n_rows if valid is None else valid.sum(axis=-1)
        sums["steps"] += 1 if active is None else active

    def training_counts(self, sums: dict) -> dict[str, np.ndarray]:
        """Operation counts of training steps from their non-zero sums (see :func:`core.opcounts.mlp_counts`)."""
        counts = mlp_counts(
            self.layer_sizes,
            sums["rows"],
            sums["input_nonzero"],
            backward={
                "delta_nonzero": sums["delta_nonzero"],
                "outer_nonzero": sums["outer_nonzero"],
            },
            dense_backward_macs_per_row=self.backward_macs,
            n_steps=sums["steps"],
            n_parameters=self.n_parameters,
            optimizer_state_words=self.optimizer_state_words,
        )
        if not self.structured_backward:
            counts["memory_reads"] = (
                counts["memory_reads"] - counts["macs_backward"] + counts["macs_backward_dense"]
            )
            counts["macs_backward"] = counts["macs_backward_dense"]
        return counts

    def inference_counts(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Operation counts of a forward pass of ``X``, computed without changing the network."""
        return self.counts_of_forward(self.forward(X))

    def counts_of_forward(self, activations, rows_per_network=None) -> dict[str, np.ndarray]:
        """Operation counts of the forward pass that produced ``activations``.

        ``rows_per_network`` (a stack shown padded data): only the first
        ``rows_per_network[i]`` rows of network ``i`` count.
        """
        inputs, _ = self._nonzero_per_row(activations)
        n_rows = activations[0].shape[-2]
        if rows_per_network is None:
            keep, rows = 1, np.full(self.batch_shape, n_rows, dtype=np.int64)
        else:
            keep = np.arange(n_rows) < np.asarray(rows_per_network)[:, None]
            rows = np.asarray(rows_per_network, dtype=np.int64)
        nonzero = []
        for nz in inputs:
            nz = np.broadcast_to(nz, self.batch_shape + nz.shape[-1:])
            nonzero.append((nz * keep).sum(axis=-1))
        return mlp_counts(self.layer_sizes, rows, nonzero)


def _takes_out(function) -> bool:
    """Does ``function`` accept an ``out=`` argument (numpy ufuncs and the shipped activations do)?"""
    if isinstance(function, np.ufunc):
        return True
    try:
        return "out" in inspect.signature(function).parameters
    except (TypeError, ValueError):  # no introspectable signature: call it plainly
        return False


def layer_sizes(
    n_features: int, hidden_layer_sizes: Sequence[int], n_outputs: int
) -> tuple[int, ...]:
    """``(n_features, *hidden_layer_sizes, n_outputs)``."""
    return (int(n_features), *hidden_layer_sizes, int(n_outputs))


def build_mlp(
    hyper: dict, n_features: int, n_outputs: int, loss: str, n_networks: int | None = None
) -> StackedMLP:
    """The MLP(s) of validated hyperparameters, not yet initialised.

    Parameters
    ----------
    hyper : dict
        The estimator's or population's parameters, checked against
        :data:`NETWORK_CONSTRAINTS` (``hidden_layer_sizes``, ``activation`` and
        the :data:`TRAINING_KEYWORDS` are read).
    n_features, n_outputs : int
    loss : str
        A name in :data:`ann.losses.LOSSES`.
    n_networks : int or None, default=None
        A stack of this many networks, or ``None`` for a single network.

    Returns
    -------
    StackedMLP
    """
    return StackedMLP(
        layer_sizes(n_features, hyper["hidden_layer_sizes"], n_outputs),
        n_networks,
        activation=hyper["activation"],
        loss=loss,
        **training_keywords(hyper),
    )
