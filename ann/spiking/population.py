"""Many surrogate-gradient spiking MLPs trained as one stacked array (the population protocol)."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ann.population import STACK_ATTRIBUTES, STACK_EXAMPLE, AgentStack
from ann.spiking.encoding import ENCODINGS, encode
from ann.spiking.estimators import SpikingMLPClassifier
from core import data as check
from core.opcounts import add_optimizer_step
from core.params import Interval, check_param
from core.random import check_random_state

#: Agent-rows (agents x samples) simulated at once when predicting: bounds the
#: (agents, rows, T, n) arrays of a forward pass.
PREDICT_AGENT_ROWS = 1024


class SpikingMLPPopulation(AgentStack):
    __doc__ = f"""``n_agents`` independent :class:`ann.SpikingMLPClassifier` agents, trained as one stack.

    Implements the population protocol of the society (``kind``,
    ``n_agents``, ``classes_``, ``cost_unit``, ``partial_fit``, ``predict``,
    ``predict_proba``, ``get_agent_weights``, ``set_agent_weights``,
    ``cost``). All agents' parameters form one array with a leading agent
    axis (:class:`ann.spiking.network.SpikingNetwork` with ``n_networks``),
    as in :class:`ann.MLPPopulation`: a ``partial_fit`` round pads every
    agent's data to the longest, gives padding rows zero weight and skips
    the optimizer step of agents with no real row in a minibatch, and every
    forward and backward pass through time is one batched computation over
    the agent axis. Only the random numbers of the rate encoding are drawn
    agent by agent, each from the agent's own stream, so that agent ``i``
    learns and predicts exactly what a lone ``SpikingMLPClassifier`` seeded
    with agent ``i``'s generator would (the tests check this).

    The constructor validates its arguments and draws every agent's weights,
    so agents can predict and exchange weights before they learn.

    Parameters
    ----------
    n_agents, n_features : int
    classes : array-like
        The class labels (at least 2), kept in the order given.
    hidden_layer_sizes : int or sequence of int, default=(64,)
    random_state : None, int, SeedSequence or Generator
        Agent ``i`` draws from ``SeedSequence(random_state).spawn(n_agents)[i]``.
    epochs_per_call : int, default=1
        Passes over the given data per ``partial_fit`` call.
    **params
        Any other parameter of :class:`ann.SpikingMLPClassifier`
        (``n_steps``, ``encoding``, ``rule``, ``learning_rate``, ``batch_size``, ...).

    Attributes
    ----------
    kind : str
        ``"spiking_mlp"``.
    cost_unit : str
        ``"operations"``: :meth:`cost` returns counts by category.{STACK_ATTRIBUTES}
{STACK_EXAMPLE.format(cls="SpikingMLPPopulation")}"""

    kind = "spiking_mlp"
    cost_unit = "operations"

    def __init__(
        self,
        n_agents,
        n_features,
        classes,
        hidden_layer_sizes=(64,),
        random_state=None,
        *,
        epochs_per_call=1,
        **params,
    ):
        self.n_agents = check_param("n_agents", n_agents, [Interval(Integral, 1, None)])
        self.n_features_in_ = check_param("n_features", n_features, [Interval(Integral, 1, None)])
        self.classes_ = check.check_classes(classes, sort=False)
        self.epochs_per_call = check_param(
            "epochs_per_call", epochs_per_call, [Interval(Integral, 1, None)]
        )
        known = set(SpikingMLPClassifier._get_param_names()) - {"random_state", "epochs"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for SpikingMLPPopulation; it takes "
                f"{sorted(known)} (as SpikingMLPClassifier)"
            )
        sorted_classes = np.sort(self.classes_)
        # Each agent starts as a lone estimator would (same weights, rule
        # state and random streams); its state then moves into the stack.
        agents = []
        for rng in check_random_state(random_state).spawn(self.n_agents):
            agent = SpikingMLPClassifier(hidden_layer_sizes, epochs=1, random_state=rng, **params)
            hyper = agent._check_hyperparameters()  # raises, naming the parameter
            agent.classes_ = sorted_classes
            agent._initialize(hyper, self.n_features_in_, len(sorted_classes))
            agents.append(agent)
        self._hyper = hyper
        self.dtype = np.dtype(hyper["dtype"])
        self._network = agents[0]._build_network(
            hyper, self.n_features_in_, len(sorted_classes), n_networks=self.n_agents
        )
        for i, agent in enumerate(agents):
            self._network.theta[i] = agent._network.theta
        self._network.rule_state = {
            key: np.stack([agent._network.rule_state[key] for agent in agents])
            for key in agents[0]._network.rule_state
        }
        self._shuffle_rngs = [agent._shuffle_rng for agent in agents]
        self._encoding_rngs = [agent._encoding_rng for agent in agents]
        self._inference_seeds = [agent._inference_seed for agent in agents]
        # Columns of the network's output (sorted classes) in this population's class order.
        self._columns = np.searchsorted(sorted_classes, self.classes_)
        self._sorted_classes = sorted_classes
        self._start_progress()

    def __repr__(self) -> str:
        return (
            f"SpikingMLPPopulation(n_agents={self.n_agents}, n_features={self.n_features_in_}, "
            f"classes={self.classes_.tolist()!r})"
        )

    # -- data ----------------------------------------------------------------------------------

    def _check_inputs(self, Xs, name: str = "Xs") -> list[np.ndarray]:
        """Each agent's inputs in the network's dtype; an empty array for an agent without data."""
        checked = []
        for i, X in enumerate(check.check_agent_list(Xs, self.n_agents, name)):
            X = np.asarray(X)
            if X.size == 0:
                checked.append(np.empty((0, self.n_features_in_), dtype=self.dtype))
                continue
            checked.append(
                check.check_X(X, name=f"{name}[{i}]", n_features=self.n_features_in_).astype(
                    self.dtype, copy=False
                )
            )
        return checked

    def _encode_padded(self, Xs, rows, n_valid, rngs) -> np.ndarray:
        """Encoded inputs (n_agents, n_rows, T, n_features); agent ``i``'s first
        ``n_valid[i]`` rows are ``Xs[i][rows[i]]``, the rest zeros (padding).

        Deterministic encodings run once on the padded stack; the rate code
        draws each agent's spikes from its own generator, as a lone estimator does.
        """
        hyper = self._hyper
        n_rows = int(n_valid.max())
        n_steps, n_features = hyper["n_steps"], self.n_features_in_
        if ENCODINGS[hyper["encoding"]]:
            inputs = np.zeros((self.n_agents, n_rows, n_steps, n_features), dtype=self.dtype)
            for i in np.flatnonzero(n_valid):
                inputs[i, : n_valid[i]] = encode(
                    hyper["encoding"], Xs[i][rows[i]], n_steps, rngs[i]
                )
            return inputs
        values = np.zeros((self.n_agents, n_rows, n_features), dtype=self.dtype)
        for i in np.flatnonzero(n_valid):
            values[i, : n_valid[i]] = Xs[i][rows[i]]
        flat = encode(hyper["encoding"], values.reshape(-1, n_features), n_steps, None)
        return flat.reshape(self.n_agents, n_rows, n_steps, n_features)

    # -- protocol --------------------------------------------------------------------------------

    def partial_fit(self, Xs, ys):
        """Train every agent on its own data (``epochs_per_call`` passes); empty arrays skip an agent."""
        Xs = self._check_inputs(Xs)
        ys = check.check_agent_list(ys, self.n_agents, "ys")
        targets = []
        for i, (X, y) in enumerate(zip(Xs, ys)):
            y = np.asarray(y)
            if len(X) == 0 and y.size == 0:
                targets.append(np.empty(0, dtype=np.intp))
                continue
            labels = check.check_labels_1d(y, f"ys[{i}]")
            if len(labels) != len(X):
                raise ValueError(
                    f"Xs[{i}] and ys[{i}] have different lengths: {len(X)} samples, "
                    f"{len(labels)} labels"
                )
            check.encode_labels(labels, self.classes_, f"ys[{i}]")  # unknown labels raise
            targets.append(np.searchsorted(self._sorted_classes, labels))
        self.n_calls_ += 1
        lengths = np.array([len(X) for X in Xs], dtype=np.int64)
        if not lengths.any():
            return self
        hyper, network = self._hyper, self._network
        one_hot = np.eye(len(self.classes_), dtype=self.dtype)
        batch_size = hyper["batch_size"]
        learners = np.flatnonzero(lengths)
        loss_sum = np.zeros(self.n_agents)
        for _ in range(self.epochs_per_call):
            orders = [
                self._shuffle_rngs[i].permutation(n) if hyper["shuffle"] else np.arange(n)
                for i, n in enumerate(lengths)
            ]
            loss_sum = np.zeros(self.n_agents)
            # An agent with fewer samples than batch_size takes one step on all
            # of them, as a lone estimator (whose batch is min(batch_size, n)) does.
            for start in range(0, int(lengths.max()), batch_size):
                n_valid = np.clip(lengths - start, 0, batch_size)
                rows = [order[start : start + n] for order, n in zip(orders, n_valid)]
                inputs = self._encode_padded(Xs, rows, n_valid, self._encoding_rngs)
                Y = np.zeros(inputs.shape[:2] + (len(self.classes_),), dtype=self.dtype)
                for i in learners:
                    Y[i, : n_valid[i]] = one_hot[targets[i][rows[i]]]
                valid = np.arange(inputs.shape[1]) < n_valid[:, None]
                active = n_valid > 0
                divisor = np.maximum(n_valid, 1)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    loss, fwd = network.train_step(
                        inputs, Y, valid / divisor[:, None], divisor, active
                    )
                loss_sum += np.where(active, loss * n_valid, 0.0)
                self._count_step(fwd, valid, active)
            self._check_finite(loss_sum, hyper["learning_rate"], hyper["optimizer"])
            self.samples_seen_ += lengths
        with np.errstate(invalid="ignore", divide="ignore"):
            self.loss_ = np.where(lengths > 0, loss_sum / lengths, np.nan)
        return self

    def _count_step(self, fwd, valid, active) -> None:
        """One training step's operations per agent (forward, backward, the optimizer's step)."""
        network = self._network
        counts = network.counts(fwd, training=True, valid=valid)
        updates = network.n_parameters * active.astype(np.int64)
        add_optimizer_step(counts, updates, network.optimizer_state_words)
        self._train_counts.update(counts)

    def predict_proba(self, Xs):
        """Class probabilities per agent: a list of (n_i, n_classes), or for one shared
        2-D array an ndarray (n_agents, n_samples, n_classes); columns follow ``classes_``.
        Counts the inference operations.

        Every agent encodes with a fresh generator from its own inference
        seed, as a lone estimator's ``predict_proba`` does.
        """
        shared = isinstance(Xs, np.ndarray) and Xs.ndim == 2
        inputs = self._check_inputs([Xs] * self.n_agents if shared else Xs)
        lengths = np.array([len(X) for X in inputs], dtype=np.int64)
        n_classes = len(self.classes_)
        outputs = np.zeros(
            (self.n_agents, int(lengths.max(initial=0)), n_classes), dtype=self.dtype
        )
        if lengths.any():
            rngs = [np.random.default_rng(seed) for seed in self._inference_seeds]
            chunk = max(1, PREDICT_AGENT_ROWS // self.n_agents)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for start in range(0, int(lengths.max()), chunk):
                    n_valid = np.clip(lengths - start, 0, chunk)
                    rows = [np.arange(start, start + n) for n in n_valid]
                    encoded = self._encode_padded(inputs, rows, n_valid, rngs)
                    fwd = self._network.forward(encoded)
                    valid = np.arange(encoded.shape[1]) < n_valid[:, None]
                    self._inference_counts.update(
                        self._network.counts(fwd, training=False, valid=valid)
                    )
                    outputs[:, start : start + encoded.shape[1]] = fwd.output
        outputs = outputs[..., self._columns]
        if shared:
            return outputs
        return [outputs[i, :n] for i, n in enumerate(lengths)]
