"""Many surrogate-gradient spiking MLPs as one society population (the population protocol)."""

from __future__ import annotations

import numbers
from numbers import Integral

import numpy as np
import pandas as pd

from ann.spiking.estimators import SpikingMLPClassifier
from core import data as check
from core.data import check_agent_list
from core.opcounts import OpCounter, cost_table
from core.params import Interval, check_param
from core.random import check_random_state


class SpikingMLPPopulation:
    """``n_agents`` independent :class:`ann.SpikingMLPClassifier` agents.

    Implements the population protocol of the society (``kind``,
    ``n_agents``, ``classes_``, ``cost_unit``, ``partial_fit``, ``predict``,
    ``predict_proba``, ``get_agent_weights``, ``set_agent_weights``,
    ``cost``). A *looped* population: each agent is its own estimator, and
    ``partial_fit`` and ``predict`` visit the agents in a Python loop (each
    agent's own work is vectorised over samples and time steps). That is
    simple and exact (agent ``i`` is a lone ``SpikingMLPClassifier`` seeded
    with agent ``i``'s generator) but does not batch agents together as
    :class:`ann.MLPPopulation` does; a society of tens of spiking MLPs costs
    tens of times one.

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
        ``"operations"``: :meth:`cost` returns counts by category.
    agents_ : list of SpikingMLPClassifier
    samples_seen_ : ndarray of int, shape (n_agents,)

    Examples
    --------
    >>> import numpy as np
    >>> from ann import SpikingMLPPopulation
    >>> pop = SpikingMLPPopulation(3, n_features=2, classes=["no", "yes"], random_state=0)
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> _ = pop.partial_fit([X, X[:1], X[:0]], [np.array(["no", "yes"]), np.array(["no"]), np.array([])])
    >>> pop.samples_seen_.tolist()
    [2, 1, 0]
    >>> pop.predict_proba(X).shape
    (3, 2, 2)
    """

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
        agent_rngs = check_random_state(random_state).spawn(self.n_agents)
        self.agents_ = []
        sorted_classes = np.sort(self.classes_)
        for rng in agent_rngs:
            agent = SpikingMLPClassifier(hidden_layer_sizes, epochs=1, random_state=rng, **params)
            hyper = agent._check_hyperparameters()  # raises, naming the parameter
            agent.classes_ = sorted_classes
            agent._initialize(hyper, self.n_features_in_, len(sorted_classes))
            self.agents_.append(agent)
        # Columns of an agent's output (sorted classes) in this population's class order.
        self._columns = np.searchsorted(sorted_classes, self.classes_)
        self.samples_seen_ = np.zeros(self.n_agents, dtype=np.int64)
        self._inference = OpCounter(self.n_agents)
        self.n_calls_ = 0

    def __repr__(self) -> str:
        return (
            f"SpikingMLPPopulation(n_agents={self.n_agents}, n_features={self.n_features_in_}, "
            f"classes={self.classes_.tolist()!r})"
        )

    def _agent_list(self, values, name: str) -> list:
        return check_agent_list(values, self.n_agents, name)

    def partial_fit(self, Xs, ys):
        """Train every agent on its own data (``epochs_per_call`` passes); empty arrays skip an agent."""
        Xs, ys = self._agent_list(Xs, "Xs"), self._agent_list(ys, "ys")
        checked = []
        for i, (X, y) in enumerate(zip(Xs, ys)):
            X, y = np.asarray(X), np.asarray(y)
            if X.size == 0 and y.size == 0:
                checked.append(None)
                continue
            X = check.check_X(X, name=f"Xs[{i}]", n_features=self.n_features_in_)
            labels = check.check_labels_1d(y, f"ys[{i}]")
            if len(labels) != len(X):
                raise ValueError(
                    f"Xs[{i}] and ys[{i}] have different lengths: {len(X)} samples, "
                    f"{len(labels)} labels"
                )
            check.encode_labels(labels, self.classes_, f"ys[{i}]")  # unknown labels raise
            checked.append((X, labels))
        self.n_calls_ += 1
        for i, data in enumerate(checked):
            if data is None:
                continue
            for _ in range(self.epochs_per_call):
                self.agents_[i].partial_fit(*data)
            self.samples_seen_[i] += self.epochs_per_call * len(data[0])
        return self

    def predict_proba(self, Xs):
        """Class probabilities per agent: a list of (n_i, n_classes), or for one shared
        2-D array an ndarray (n_agents, n_samples, n_classes); columns follow ``classes_``.
        Counts the inference operations."""
        shared = isinstance(Xs, np.ndarray) and Xs.ndim == 2
        inputs = [Xs] * self.n_agents if shared else self._agent_list(Xs, "Xs")
        outputs = []
        for i, (agent, X) in enumerate(zip(self.agents_, inputs)):
            X = np.asarray(X)
            if X.size == 0:
                outputs.append(np.empty((0, len(self.classes_))))
                continue
            output, counter = agent._simulate(X)
            for category, count in counter.agent(0).items():
                counts = np.zeros(self.n_agents, dtype=np.int64)
                counts[i] = count
                self._inference.add(category, counts)
            outputs.append(output[:, self._columns])
        return np.stack(outputs) if shared else outputs

    def predict(self, Xs):
        """Predicted labels per agent (same layout as :meth:`predict_proba`)."""
        probabilities = self.predict_proba(Xs)
        if isinstance(probabilities, np.ndarray):
            return self.classes_[probabilities.argmax(axis=-1)]
        return [self.classes_[p.argmax(axis=-1)] for p in probabilities]

    def _check_agent(self, i) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (numbers.Integral, np.integer)):
            raise TypeError(f"agent index i must be an integer, got i={i!r}")
        if not 0 <= i < self.n_agents:
            raise ValueError(f"agent index i must be in [0, {self.n_agents}), got i={i!r}")
        return int(i)

    def get_agent_weights(self, i) -> dict[str, np.ndarray]:
        """Copies of agent ``i``'s weights and biases: ``weights_<l>``, ``biases_<l>``."""
        agent = self.agents_[self._check_agent(i)]
        weights = {f"weights_{l}": W.copy() for l, W in enumerate(agent.coefs_)}
        weights.update({f"biases_{l}": b.copy() for l, b in enumerate(agent.intercepts_)})
        return weights

    def set_agent_weights(self, i, weights) -> None:
        """Set agent ``i``'s weights and biases (keys and shapes as :meth:`get_agent_weights`).

        The agent's optimizer state is kept.
        """
        agent = self.agents_[self._check_agent(i)]
        expected = {f"weights_{l}": W for l, W in enumerate(agent.coefs_)}
        expected.update({f"biases_{l}": b for l, b in enumerate(agent.intercepts_)})
        if not isinstance(weights, dict) or set(weights) != set(expected):
            got = sorted(weights) if isinstance(weights, dict) else type(weights).__name__
            raise ValueError(f"weights must be a dict with keys {sorted(expected)}, got {got}")
        values = {}
        for key, target in expected.items():
            value = np.asarray(weights[key])
            if value.shape != target.shape:
                raise ValueError(
                    f"weights[{key!r}] must have shape {target.shape}, got {value.shape}"
                )
            if value.dtype.kind not in "biuf" or not np.isfinite(value).all():
                raise ValueError(f"weights[{key!r}] must be finite real numbers")
            values[key] = value
        for key, target in expected.items():
            target[...] = values[key]

    def cost(self) -> pd.DataFrame:
        """Operation counts per agent: training (each agent's :meth:`SpikingMLPClassifier.cost`)
        and the inference of every ``predict`` so far; columns ``agent``, ``phase``,
        ``category``, ``count`` (:mod:`core.opcounts`)."""
        train = OpCounter(self.n_agents)
        for i, agent in enumerate(self.agents_):
            for category, count in agent.training_counts_.items():
                counts = np.zeros(self.n_agents, dtype=np.int64)
                counts[i] = count
                train.add(category, counts)
        return cost_table(train, self._inference, agents=True)
