"""Many independent MLP classifiers trained as one stacked array (the population protocol)."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ann.activations import ACTIVATIONS
from ann.network import NETWORK_CONSTRAINTS, build_mlp, network_rngs
from ann.optimizers import OPTIMIZERS
from ann.rules import RULES
from core import data as check
from core.archive import from_jsonable, to_jsonable
from core.data import check_agent_index, check_agent_list
from core.opcounts import OpCounter, cost_table
from core.params import Interval, validate_params
from core.persistence import Persistent, StateMismatch, check_shape
from core.random import check_random_state

_POPULATION_CONSTRAINTS = {
    **NETWORK_CONSTRAINTS,
    "n_agents": [Interval(Integral, 1, None)],
    "n_features": [Interval(Integral, 1, None)],
    "epochs_per_call": [Interval(Integral, 1, None)],
}


#: The parts of a stacked population's docstring that are the same for every kind of
#: agent: its training state and the example (``{cls}``: the class name).
STACK_ATTRIBUTES = """
    samples_seen_ : ndarray of int, shape (n_agents,)
    loss_ : ndarray, shape (n_agents,)
        Mean training loss of each agent in the last ``partial_fit`` pass (NaN
        for agents that got no data)."""
STACK_EXAMPLE = """
    Examples
    --------
    >>> import numpy as np
    >>> from ann import {cls}
    >>> pop = {cls}(3, n_features=2, classes=["no", "yes"], random_state=0)
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> _ = pop.partial_fit([X, X[:1], X[:0]], [np.array(["no", "yes"]), np.array(["no"]), np.array([])])
    >>> pop.samples_seen_.tolist()
    [2, 1, 0]
    >>> pop.predict_proba(X).shape   # one array shown to all agents: one batched pass
    (3, 2, 2)
    """


class AgentStack:
    """What a population whose agents are one stacked network (``_network``, a leading
    agent axis on every parameter) has the same for every kind of network:
    ``predict``, the agent-weight accessors of the population
    protocol, ``cost`` from the ``_train_counts`` and ``_inference_counts``
    counters, and the divergence check of ``partial_fit``."""

    def _start_progress(self) -> None:
        """No training yet: per-agent samples seen and last loss, operation counters, calls."""
        self.samples_seen_ = np.zeros(self.n_agents, dtype=np.int64)
        self.loss_ = np.full(self.n_agents, np.nan)
        self._train_counts = OpCounter(self.n_agents)
        self._inference_counts = OpCounter(self.n_agents)
        self.n_calls_ = 0

    def predict(self, Xs):
        """Predicted labels of every agent (same input and output layout as ``predict_proba``)."""
        probabilities = self.predict_proba(Xs)
        if isinstance(probabilities, np.ndarray):
            return self.classes_[probabilities.argmax(axis=-1)]
        return [self.classes_[p.argmax(axis=-1)] for p in probabilities]

    def _agent_arrays(self) -> dict[str, np.ndarray]:
        """Every agent's weights and biases, by key, with the agent axis first."""
        arrays = {f"weights_{l}": W for l, W in enumerate(self._network.weights)}
        arrays.update({f"biases_{l}": b for l, b in enumerate(self._network.biases)})
        return arrays

    def get_agent_weights(self, i) -> dict[str, np.ndarray]:
        """Copies of agent ``i``'s weights and biases: ``weights_<l>``, ``biases_<l>``."""
        i = check_agent_index(i, self.n_agents)
        return {key: array[i].copy() for key, array in self._agent_arrays().items()}

    def set_agent_weights(self, i, weights) -> None:
        """Set agent ``i``'s weights and biases (keys and shapes as ``get_agent_weights`` returns).

        The agent's optimizer state (momenta) is kept.
        """
        i = check_agent_index(i, self.n_agents)
        expected = self._agent_arrays()
        if not isinstance(weights, dict) or set(weights) != set(expected):
            got = sorted(weights) if isinstance(weights, dict) else type(weights).__name__
            raise ValueError(f"weights must be a dict with keys {sorted(expected)}, got {got}")
        values = {}
        for key, target in expected.items():
            value = np.asarray(weights[key])
            if value.shape != target.shape[1:]:
                raise ValueError(
                    f"weights[{key!r}] must have shape {target.shape[1:]}, got {value.shape}"
                )
            if value.dtype.kind not in "biuf" or not np.isfinite(value).all():
                raise ValueError(f"weights[{key!r}] must be finite real numbers")
            values[key] = value
        for key, target in expected.items():
            target[i] = values[key]

    def cost(self):
        """Operation counts per agent of all training and all predictions so far.

        A population is a simulation: ``predict`` and ``predict_proba`` count
        their forward passes as they run (phase ``"inference"``).

        Returns
        -------
        pandas.DataFrame
            Columns ``agent``, ``phase``, ``category``, ``count`` (see
            :mod:`core.opcounts` and the agents' estimator's ``cost``).
        """
        return cost_table(self._train_counts, self._inference_counts, agents=True)

    def _check_finite(self, loss_sum: np.ndarray, learning_rate, optimizer) -> None:
        """Raise FloatingPointError naming the agents whose loss or weights are not finite."""
        diverged = ~(np.isfinite(loss_sum) & self._network.finite())
        if diverged.any():
            raise FloatingPointError(
                f"training diverged in partial_fit call {self.n_calls_} for agents "
                f"{np.flatnonzero(diverged).tolist()[:10]}: learning_rate={learning_rate} "
                f"is too large for optimizer={optimizer!r} here, try a smaller one"
            )


class MLPPopulation(AgentStack, Persistent):
    __doc__ = f"""``n_agents`` independent MLP classifiers, trained together with batched matrix products.

    Implements the population protocol of the society (``kind``,
    ``n_agents``, ``classes_``, ``cost_unit``, ``partial_fit``, ``predict``,
    ``predict_proba``, ``get_agent_weights``, ``set_agent_weights``, ``cost``). All agents'
    parameters form one array with a leading agent axis; a ``partial_fit``
    round pads every agent's data to the longest, gives padding rows zero
    weight and skips the optimizer step of agents with no real row in a
    minibatch, so each agent learns exactly what an :class:`ann.MLPClassifier`
    would learn from its own data (the tests check this), without a Python
    loop over agents in the numerical work.

    Unlike an estimator, a population is a live set of agents: the
    constructor validates its arguments and draws every agent's initial
    weights, so agents can predict and exchange parameters before they learn.

    A population is saved with :meth:`save` and read back with
    :func:`ann.load` (no pickle; training continues exactly).

    Parameters
    ----------
    n_agents : int
        Number of agents, > 0.
    n_features : int
        Input size, > 0.
    classes : array-like
        The class labels (at least 2, any sortable type), kept in the order given.
    hidden_layer_sizes : int or sequence of int, default=(64,)
    random_state : None, int, SeedSequence or Generator
        Agent ``i`` draws from ``SeedSequence(random_state).spawn(n_agents)[i]``
        (split further into weight, rule-state and shuffling streams exactly
        as in :class:`ann.MLPClassifier`).
    activation, rule, optimizer, learning_rate, batch_size, alpha, shuffle, rule_params, optimizer_params, dtype
        As for :class:`ann.MLPClassifier` (same defaults).
    epochs_per_call : int, default=1
        Passes over the given data per ``partial_fit`` call.

    Attributes
    ----------
    kind : str
        ``"ann"``.
    cost_unit : str
        ``"MAC"`` (multiply-accumulates, see :mod:`ann.mac`).
    classes_ : ndarray
    n_agents, n_features_in_ : int{STACK_ATTRIBUTES}
    rule_params, optimizer_params : dict
        The hyperparameters the rule and the optimizer were built with.
{STACK_EXAMPLE.format(cls="MLPPopulation")}"""

    kind = "ann"
    cost_unit = "MAC"
    #: The constructor's settings kept as attributes (and saved, in this order).
    _SETTINGS = (
        "hidden_layer_sizes activation rule optimizer learning_rate batch_size alpha "
        "shuffle epochs_per_call rule_params optimizer_params dtype"
    ).split()

    def __init__(
        self,
        n_agents,
        n_features,
        classes,
        hidden_layer_sizes=(64,),
        random_state=None,
        *,
        activation="relu",
        rule="backprop",
        optimizer="adam",
        learning_rate=0.02,
        batch_size=64,
        alpha=1e-4,
        shuffle=True,
        epochs_per_call=1,
        rule_params=None,
        optimizer_params=None,
        dtype="float64",
    ):
        settings = validate_params(_POPULATION_CONSTRAINTS, locals())
        self.n_agents = settings["n_agents"]
        self.n_features_in_ = settings["n_features"]
        self.classes_ = check.check_classes(classes, sort=False)
        for name in self._SETTINGS:
            setattr(self, name, settings[name])
        agent_rngs = check_random_state(random_state).spawn(self.n_agents)

        self._network = build_mlp(
            settings, self.n_features_in_, len(self.classes_), "cross_entropy", self.n_agents
        )
        streams = [network_rngs(rng) for rng in agent_rngs]
        self._network.initialize([s[0] for s in streams], [s[1] for s in streams])
        self._shuffle_rngs = [s[2] for s in streams]
        self._start_progress()

    def __repr__(self) -> str:
        return (
            f"MLPPopulation(n_agents={self.n_agents}, n_features={self.n_features_in_}, "
            f"classes={self.classes_.tolist()!r}, hidden_layer_sizes={self.hidden_layer_sizes}, "
            f"rule={self.rule!r}, optimizer={self.optimizer!r}, learning_rate={self.learning_rate})"
        )

    # -- data ----------------------------------------------------------------------------------

    def _concatenate(self, Xs, name: str = "Xs") -> tuple[np.ndarray, np.ndarray]:
        """Validate per-agent inputs; return all their rows, concatenated, and the lengths.

        Shapes are checked per agent, values once on the concatenation (the
        per-agent checks run only to name the culprit when something is wrong).
        One all-zero row is appended after the data, for padding to point at.
        """
        arrays = [np.asarray(X) for X in check_agent_list(Xs, self.n_agents, name)]
        n_features = self.n_features_in_
        for i, array in enumerate(arrays):
            if array.size == 0 and array.ndim in (1, 2):  # no data for this agent
                arrays[i] = np.empty((0, n_features), dtype=self.dtype)
            elif array.ndim != 2 or array.shape[1] != n_features or array.dtype.kind not in "biuf":
                check.check_X(array, name=f"{name}[{i}]", n_features=n_features)  # raises
        lengths = np.fromiter((len(array) for array in arrays), dtype=np.int64, count=len(arrays))
        padding = np.zeros((1, n_features), dtype=self.dtype)
        # One copy, converting as it goes ("unsafe" casting, as astype does).
        with np.errstate(over="ignore"):  # overflow is reported below, per agent
            rows = np.concatenate(arrays + [padding], dtype=self.dtype, casting="unsafe")
        # One sum is finite only if every value is (the row-wise check, a
        # boolean array the size of the data, runs only if it is not).
        with np.errstate(over="ignore", invalid="ignore"):
            finite = np.isfinite(rows.sum())
        if not finite:
            finite = np.isfinite(rows).all(axis=1)
        if not np.all(finite):
            culprit = int(np.searchsorted(np.cumsum(lengths), np.argmin(finite), side="right"))
            check.check_X(
                arrays[culprit], name=f"{name}[{culprit}]", n_features=n_features, dtype=self.dtype
            )  # raises
        return rows, lengths

    def _encode(self, ys, lengths: np.ndarray) -> np.ndarray:
        """Class indices of all agents' labels, concatenated like the rows of ``_concatenate``."""
        labels = [np.asarray(y) for y in check_agent_list(ys, self.n_agents, "ys")]
        for i, (y, n) in enumerate(zip(labels, lengths)):
            if y.ndim != 1 and not (y.size == 0 and n == 0):
                check.check_labels_1d(y, f"ys[{i}]")  # raises
            if y.size != n:
                raise ValueError(
                    f"Xs[{i}] and ys[{i}] have different lengths: {n} samples, {y.size} labels"
                )
        present = [y for y in labels if y.size]
        if not present:
            return np.empty(0, dtype=np.intp)
        try:
            return check.encode_labels(np.concatenate(present), self.classes_, "ys")
        except (ValueError, TypeError):
            for i, y in enumerate(labels):  # name the agent with the bad label
                if y.size:
                    check.encode_labels(
                        check.check_labels_1d(y, f"ys[{i}]"), self.classes_, f"ys[{i}]"
                    )
            raise

    def _padded_index(self, lengths: np.ndarray, within=None) -> np.ndarray:
        """``(n_agents, max_len)`` row indices into the concatenated data.

        Agent ``i``'s first ``lengths[i]`` entries point at its own rows (in the
        order ``within``, concatenated per agent, or as given); the rest point
        at the all-zero row past the end, the padding.
        """
        total = int(lengths.sum())
        index = np.full((self.n_agents, max(int(lengths.max()), 1)), total, dtype=np.intp)
        agent, row = _ragged_index(lengths)
        starts = np.cumsum(lengths) - lengths
        index[agent, row] = starts[agent] + (row if within is None else within)
        return index

    # -- protocol --------------------------------------------------------------------------------

    def partial_fit(self, Xs, ys):
        """Train every agent on its own data (:meth:`core.learner.Population.partial_fit`):
        ``epochs_per_call`` passes, all agents at once."""
        rows, lengths = self._concatenate(Xs)
        labels = self._encode(ys, lengths)
        self.n_calls_ += 1
        if not lengths.any():
            return self
        n_classes = len(self.classes_)
        # Padding points at the extra zero row and gets an all-zero target
        # (row n_classes of this table).
        one_hot = np.eye(n_classes + 1, n_classes, dtype=self.dtype)
        labels = np.append(labels, n_classes)
        network = self._network
        learners = np.flatnonzero(lengths)
        loss_sum = np.zeros(self.n_agents)
        for _ in range(self.epochs_per_call):
            within = None
            if self.shuffle:
                # Each agent draws its own order from its own stream (one
                # small call per learning agent and epoch, outside the
                # minibatch loop), so agent i matches a lone MLPClassifier.
                within = np.concatenate(
                    [self._shuffle_rngs[i].permutation(lengths[i]) for i in learners]
                )
            index = self._padded_index(lengths, within)
            X_epoch, Y_epoch = rows[index], one_hot[labels[index]]
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loss_sum, _ = network.train_epoch(
                    X_epoch, Y_epoch, self.batch_size, lengths, counter=self._train_counts
                )
            self._check_finite(loss_sum, self.learning_rate, self.optimizer)
            self.samples_seen_ += lengths
        with np.errstate(invalid="ignore", divide="ignore"):
            self.loss_ = np.where(lengths > 0, loss_sum / lengths, np.nan)
        return self

    def predict_proba(self, Xs):
        """Class probabilities of every agent.

        Parameters
        ----------
        Xs : list of n_agents arrays (n_i, n_features), or one 2-D ndarray shown to every agent

        Returns
        -------
        list of ndarray (n_i, n_classes), or for a shared array one ndarray
        (n_agents, n_samples, n_classes). Columns follow ``classes_``.
        """
        if isinstance(Xs, np.ndarray) and Xs.ndim == 2:
            X = check.check_X(Xs, n_features=self.n_features_in_, dtype=self.dtype)
            activations = self._network.forward(X)
            self._inference_counts.update(self._network.counts_of_forward(activations))
            return activations[-1]
        rows, lengths = self._concatenate(Xs)
        activations = self._network.forward(rows[self._padded_index(lengths)])
        self._inference_counts.update(self._network.counts_of_forward(activations, lengths))
        output = activations[-1]
        return [output[i, :n] for i, n in enumerate(lengths)]

    # -- saving and loading ------------------------------------------------------------------------

    _archive_kind = "ann.MLPPopulation"
    _archive_noun = "population"
    _registered_names = (("activation", ACTIVATIONS), ("rule", RULES), ("optimizer", OPTIMIZERS))
    _counters = ("samples_seen_", "loss_")

    def _full_state(self):
        """The settings, every agent's weights, rule and optimizer state,
        shuffling generator and counters: the loaded population predicts the
        same and its ``partial_fit`` continues exactly (read with :func:`ann.load`)."""
        settings = {
            "n_agents": self.n_agents,
            "n_features": self.n_features_in_,
            **{name: getattr(self, name) for name in self._SETTINGS},
        }
        meta = {
            "settings": to_jsonable(settings, where="settings"),
            "fitted": to_jsonable(
                {"n_calls": self.n_calls_, "shuffle_rngs": self._shuffle_rngs}, where="fitted"
            ),
        }
        arrays = dict(self._network.state_arrays())
        arrays["classes_"] = self.classes_
        arrays.update({name: getattr(self, name) for name in self._counters})
        arrays.update(self._train_counts.to_arrays("opcounts.train."))
        arrays.update(self._inference_counts.to_arrays("opcounts.inference."))
        return arrays, meta

    @classmethod
    def _from_full_state(cls, arrays: dict, meta: dict) -> MLPPopulation:
        settings = from_jsonable(meta["settings"])
        cls._check_registered(settings)
        fitted = from_jsonable(meta["fitted"])
        # The constructor validates the settings; the weights it draws
        # (from a fixed seed) are then replaced by the saved ones.
        population = cls(classes=arrays.pop("classes_"), random_state=0, **settings)
        n_agents = population.n_agents
        for name in cls._counters:
            setattr(population, name, check_shape(name, arrays.pop(name), (n_agents,)))
        counts = {k: arrays.pop(k) for k in list(arrays) if k.startswith("opcounts.")}
        try:
            population._train_counts = OpCounter.from_arrays(counts, "opcounts.train.", n_agents)
            population._inference_counts = OpCounter.from_arrays(
                counts, "opcounts.inference.", n_agents
            )
            population._network.set_state_arrays(arrays)
        except ValueError as error:
            raise StateMismatch(error) from None
        if len(fitted["shuffle_rngs"]) != n_agents:
            raise StateMismatch(
                f"{len(fitted['shuffle_rngs'])} shuffling generators for {n_agents} agents"
            )
        population._shuffle_rngs = fitted["shuffle_rngs"]
        population.n_calls_ = fitted["n_calls"]
        return population


def _ragged_index(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(agent, row) of every sample when ragged per-agent arrays are concatenated."""
    agent = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    row = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    return agent, row
