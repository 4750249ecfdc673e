"""A population of independent spiking agents simulated as ONE Brian2 network.

:class:`SNNPopulation` implements the population protocol the society uses
(``kind``, ``n_agents``, ``classes_``, ``cost_unit``, ``partial_fit``,
``predict``, ``predict_proba``, ``get_agent_weights``, ``set_agent_weights``, ``cost``).
Agent ``a`` owns its own block of inputs, excitatory neurons and synapses in
a block-diagonal network (no synapse crosses agents); every call simulates all
agents in one run, each agent following its own schedule (its own samples in
its own order; an agent with fewer samples rests, frozen, for the remainder).

A population is saved with :meth:`SNNPopulation.save` and read back with
:meth:`SNNPopulation.load` or :func:`snn.load` (an ``.npz`` archive, no pickle).
"""

from __future__ import annotations

import inspect
from numbers import Integral
from operator import attrgetter

import numpy as np

from core.archive import ArchiveError, from_jsonable, to_jsonable
from core.data import check_agent_index, check_agent_list
from core.opcounts import cost_table
from core.params import Interval, check_param
from core.persistence import Persistent, StateMismatch, check_shape
from core.random import check_random_state
from snn._engine import SpikingAgents
from snn.encoders import check_features
from snn.estimators import (
    RULE_DECODERS,
    STDPClassifier,
    agents_from_full_state,
    agents_full_state,
    build_config,
    encode_rule,
)

__all__ = ["SNNPopulation"]

# Parameters a population accepts in **params: the classifier's (read from its
# signature, nothing is built), minus those the protocol fixes (n_neurons,
# random_state) or that make no sense here.
_ESTIMATOR_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(STDPClassifier).parameters.items()
    if name not in ("n_neurons", "random_state", "epochs", "verbose")
}
_POSITIVE = [Interval(Integral, 1, None)]


class SNNPopulation(Persistent):
    """``n_agents`` Diehl & Cook spiking classifiers in one block-diagonal Brian2 network.

    Agent ``i`` is seeded from ``np.random.default_rng(random_state).spawn(n_agents)[i]``
    (the children of ``SeedSequence(random_state)`` for an int) and learns what a
    standalone ``STDPClassifier(random_state=that generator, ...)`` learns from
    the same data with ``partial_fit`` (the tests check this).

    Parameters
    ----------
    n_agents : int
    n_features : int
    classes : array-like
        Class labels (at least 2), kept in the order given; ``predict_proba``
        columns follow it.
    n_neurons : int
        Excitatory neurons per agent.
    random_state : None, int, SeedSequence or Generator
    epochs_per_call : int
        Plastic passes over the given data per ``partial_fit`` call (default 1).
    **params
        Any :class:`snn.STDPClassifier` parameter except ``epochs``
        (``rule``, ``encoding``, ``readout``, ``presentation_time``, ...).

    Attributes
    ----------
    kind : str
        ``"snn"``.
    cost_unit : str
        ``"SOP"``: its main operation (``cost()`` counts every category).
    classes_ : ndarray
    n_agents, n_features_in_ : int
    samples_seen_ : ndarray of int (n_agents,)
    score_ : ndarray (n_agents,)
        In-sample accuracy of each agent's readout on its last ``partial_fit``
        responses (NaN for agents that got no data).
    epochs_trained_ : int
        Epochs run so far (``epochs_per_call`` per ``partial_fit`` with data).

    Examples
    --------
    >>> import numpy as np
    >>> from brian2 import ms
    >>> pop = SNNPopulation(3, n_features=2, classes=[0, 1], n_neurons=4, random_state=0,
    ...                     presentation_time=50 * ms, rest_time=20 * ms)
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> _ = pop.partial_fit([X, X[:1], X[:0]], [np.array([0, 1]), np.array([0]), np.array([])])
    >>> pop.samples_seen_.tolist()
    [2, 1, 0]
    >>> pop.predict_proba(X).shape     # one array shown to every agent: one run
    (3, 2, 2)
    """

    kind = "snn"
    cost_unit = "SOP"

    def __init__(
        self,
        n_agents,
        n_features,
        classes,
        n_neurons=100,
        random_state=None,
        epochs_per_call=1,
        **params,
    ):
        self.n_agents = check_param("n_agents", n_agents, _POSITIVE)
        self.n_features_in_ = check_param("n_features", n_features, _POSITIVE)
        classes = np.asarray(classes)
        if classes.ndim != 1 or len(classes) < 2 or len(np.unique(classes)) != len(classes):
            raise ValueError(
                f"classes must be a 1-D list of at least 2 distinct labels, "
                f"got classes={classes.tolist()!r}"
            )
        self.classes_ = classes
        self.epochs_per_call = check_param("epochs_per_call", epochs_per_call, _POSITIVE)
        unknown = sorted(set(params) - set(_ESTIMATOR_DEFAULTS))
        if unknown:
            raise ValueError(
                f"unknown SNNPopulation parameter(s) {unknown}; known: "
                f"{sorted(_ESTIMATOR_DEFAULTS) + ['epochs_per_call']}"
            )
        self.params = {**_ESTIMATOR_DEFAULTS, **params, "n_neurons": n_neurons}
        config = build_config(self.params, self.n_features_in_, regression=False)
        rngs = check_random_state(random_state).spawn(self.n_agents)
        n_classes = len(self.classes_)
        self._agents = SpikingAgents(
            self.n_agents, self.n_features_in_, config, n_classes, n_classes, rngs
        )
        self.score_ = np.full(self.n_agents, np.nan)
        self.epochs_trained_ = 0

    def __repr__(self):
        extra = ", ".join(
            f"{k}={v!r}"
            for k, v in self.params.items()
            if k != "n_neurons" and not _same(v, _ESTIMATOR_DEFAULTS.get(k))
        )
        return (
            f"SNNPopulation(n_agents={self.n_agents}, n_features={self.n_features_in_}, "
            f"classes={self.classes_.tolist()!r}, n_neurons={self.params['n_neurons']}"
            + (f", {extra}" if extra else "")
            + ")"
        )

    # -- data ---------------------------------------------------------------
    def _features(self, X, name):
        try:
            no_data = np.size(X) == 0 and np.ndim(X) in (1, 2)
        except ValueError:  # ragged: check_features names it
            no_data = False
        if no_data:
            return np.empty((0, self.n_features_in_))
        # check_features converts, so that text, complex values and ragged lists are named
        return check_features(X, name, n_features=self.n_features_in_, owner="the population")

    def _labels(self, y, n, name):
        y = np.asarray(y)
        if n == 0 and y.size == 0:
            return np.empty(0, dtype=int)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(
                f"{name} must be 1-D with one label per sample ({n}), got shape {y.shape}"
            )
        matches = y[:, None] == self.classes_[None, :]
        if not matches.any(axis=1).all():
            unknown = np.unique(y[~matches.any(axis=1)]).tolist()
            raise ValueError(
                f"{name} contains labels {unknown} not in classes {self.classes_.tolist()}"
            )
        return matches.argmax(axis=1)

    # -- protocol -----------------------------------------------------------
    def partial_fit(self, Xs, ys):
        """Train every agent on its own data (:meth:`core.learner.Population.partial_fit`;
        features in [0, 1]), all agents in one Brian2 run."""
        Xs = [
            self._features(X, f"Xs[{i}]")
            for i, X in enumerate(check_agent_list(Xs, self.n_agents, "Xs"))
        ]
        ys = check_agent_list(ys, self.n_agents, "ys")
        labels = [self._labels(y, len(X), f"ys[{i}]") for i, (X, y) in enumerate(zip(Xs, ys))]
        if not any(len(X) for X in Xs):
            return self
        eye = np.eye(len(self.classes_))
        targets = [eye[label] for label in labels]
        reports = self._agents.train(
            Xs,
            targets,
            labels,
            epochs=self.epochs_per_call if self._agents.config.plasticity else 0,
            readout_pass=False,
            first_epoch=self.epochs_trained_ + 1,
        )
        self.epochs_trained_ += self.epochs_per_call
        self.score_ = reports[-1]["score"]
        return self

    def _scores(self, Xs, probabilities):
        readout = self._agents.readout
        if isinstance(Xs, np.ndarray) and Xs.ndim == 2:
            X = self._features(Xs, "Xs")
            counts, _ = self._agents.respond([X] * self.n_agents, charge_to="inference")
            self._count_readout(counts, [len(X)] * self.n_agents)
            return readout.predict_proba(counts) if probabilities else readout.scores(counts)
        Xs = [
            self._features(X, f"Xs[{i}]")
            for i, X in enumerate(check_agent_list(Xs, self.n_agents, "Xs"))
        ]
        counts, _ = self._agents.respond(Xs, charge_to="inference")
        self._count_readout(counts, [len(X) for X in Xs])
        values = readout.predict_proba(counts) if probabilities else readout.scores(counts)
        return [values[i, : len(X)] for i, X in enumerate(Xs)]

    def predict_proba(self, Xs):
        """Class probabilities of every agent, one run for all agents.

        Parameters
        ----------
        Xs : list of n_agents arrays, or one 2-D array shown to every agent

        Returns
        -------
        list of arrays (n_i, n_classes), or for a shared array one array
        (n_agents, n_samples, n_classes); rows sum to 1, columns follow ``classes_``.
        """
        return self._scores(Xs, probabilities=True)

    def predict(self, Xs):
        """Predicted labels (same input and output layout as :meth:`predict_proba`)."""
        scores = self._scores(Xs, probabilities=False)
        if isinstance(scores, np.ndarray):
            return self.classes_[scores.argmax(axis=-1)]
        return [self.classes_[s.argmax(axis=-1)] for s in scores]

    def get_agent_weights(self, i):
        """Copies of agent ``i``'s learnable state.

        Returns
        -------
        dict with ``weights`` (n_inputs, n_neurons), ``theta`` (n_neurons,
        volts) and the readout's statistics (``readout_response_sum`` and
        ``readout_class_count`` for ``vote``; ``readout_gram`` and
        ``readout_moment`` for ``linear``): sums over samples, so averages of
        several agents' dicts are meaningful statistics.
        """
        return self._agents.get_state(check_agent_index(i, self.n_agents))

    def set_agent_weights(self, i, params):
        """Set agent ``i``'s learnable state (keys and shapes as :meth:`get_agent_weights`)."""
        i = check_agent_index(i, self.n_agents)
        shapes = self._agents.state_shapes()
        if not isinstance(params, dict) or set(params) != set(shapes):
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise ValueError(f"params must be a dict with keys {sorted(shapes)}, got {got}")
        checked = {}
        for key, shape in shapes.items():
            value = np.asarray(params[key], dtype=float)
            if value.shape != tuple(shape):
                raise ValueError(
                    f"params[{key!r}] must have shape {tuple(shape)}, got {value.shape}"
                )
            if not np.all(np.isfinite(value)):
                raise ValueError(f"params[{key!r}] must be finite")
            checked[key] = value
        wmax = float(self._agents.config.rule.params.get("wmax", 1.0))
        if checked["weights"].min() < 0 or checked["weights"].max() > wmax:
            raise ValueError(f"params['weights'] must lie in [0, wmax={wmax}]")
        self._agents.set_state(i, checked)

    def _count_readout(self, counts, sizes):
        """Add the readout's scoring of ``counts`` to the inference counts (padding excluded)."""
        mask = np.arange(counts.shape[1])[None, :] < np.asarray(sizes)[:, None]
        self._agents.inference_counts.update(self._agents.readout_score_counts(counts, mask))

    def cost(self):
        """Operation counts per agent of all training and all predictions so far.

        A population is a simulation: ``predict`` and ``predict_proba`` count
        their runs and readout as they go (phase ``"inference"``).

        Returns
        -------
        pandas.DataFrame
            Columns ``agent``, ``phase``, ``category``, ``count`` (see
            :mod:`core.opcounts` and :meth:`snn.STDPClassifier.cost`).
        """
        return cost_table(self._agents.train_counts, self._agents.inference_counts, agents=True)

    # -- saving and loading -------------------------------------------------
    #: ``meta["kind"]`` of this class's archives (see :mod:`core.archive`).
    _archive_kind = "snn.SNNPopulation"
    _archive_noun = "population"

    def _full_state(self):
        """The settings (Brian2 quantities with their units; a rule instance as
        its registered name and parameters), the configuration the network was
        built with (defaults included), ``classes_``, every agent's input
        weights, thresholds, readout statistics, evaluation seed, random
        generator state and counters, ``score_`` and ``epochs_trained_``: the
        loaded population predicts the same and its ``partial_fit`` continues
        exactly as this one's would. A population can be saved before any
        training (its initial weights); read it back with :func:`snn.load`.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from brian2 import ms
        >>> import snn
        >>> pop = SNNPopulation(2, n_features=2, classes=[0, 1], n_neurons=4, random_state=0,
        ...                     presentation_time=50 * ms, rest_time=20 * ms)
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
        >>> _ = pop.partial_fit([X, X], [np.array([0, 1]), np.array([1, 0])])
        >>> path = os.path.join(tempfile.mkdtemp(), "population.npz")
        >>> pop.save(path)
        >>> again = snn.load(path)
        >>> bool((again.predict_proba(X) == pop.predict_proba(X)).all())
        True
        """
        arrays, meta = agents_full_state(self._agents)
        arrays["classes_"] = self.classes_
        arrays["score_"] = self.score_
        settings = {
            "n_agents": self.n_agents,
            "n_features": self.n_features_in_,
            "epochs_per_call": self.epochs_per_call,
            "params": self.params,
        }
        meta["settings"] = to_jsonable(settings, custom=encode_rule, where="settings")
        meta["fitted"] = {"epochs_trained": self.epochs_trained_}
        return arrays, meta

    @classmethod
    def _from_full_state(cls, arrays, meta):
        settings = from_jsonable(meta["settings"], custom=RULE_DECODERS)
        epochs_trained = meta["fitted"]["epochs_trained"]
        params = dict(settings.pop("params"))
        classes, score = arrays.pop("classes_"), arrays.pop("score_")
        # The constructor validates the settings; its agents (drawn from
        # a fixed seed, with today's defaults) are then replaced by the
        # saved ones, built with the saved configuration.
        try:
            population = cls(
                classes=classes,
                n_neurons=params.pop("n_neurons"),
                random_state=0,
                **settings,
                **params,
            )
        except ValueError as error:
            raise ArchiveError(f"it holds settings this version refuses: {error}") from None
        agents = agents_from_full_state(arrays, meta)
        built = population._agents
        for name in ("n_agents", "n_features", "n_outputs", "classification", "config.n_neurons"):
            saved, given = attrgetter(name)(agents), attrgetter(name)(built)
            if saved != given:
                raise StateMismatch(
                    f"the agents have {name}={saved!r}, the settings give {given!r}"
                )
        check_shape("score_", score, (population.n_agents,))
        if (
            isinstance(epochs_trained, bool)
            or not isinstance(epochs_trained, int)
            or epochs_trained < 0
        ):
            raise StateMismatch(f"epochs_trained={epochs_trained!r} is not a non-negative integer")
        population._agents = agents
        population.score_ = np.array(score, dtype=float)
        population.epochs_trained_ = epochs_trained
        return population

    @property
    def samples_seen_(self):
        return self._agents.samples_seen.copy()


def _same(a, b):
    try:
        return bool(np.all(a == b))
    except Exception:
        return False
