"""scikit-learn style spiking MLPs trained by surrogate gradients: SpikingMLPClassifier, SpikingMLPRegressor."""

from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ann import _validation as check
from ann.network import NETWORK_CONSTRAINTS
from ann.optimizers import OPTIMIZERS
from ann.rules import RULES
from ann.spiking.encoding import ENCODINGS, encode
from ann.spiking.network import SpikingNetwork
from core.archive import from_jsonable, to_jsonable
from core.learner import atomic_fit, check_fitted
from core.opcounts import OpCounter, cost_table
from core.params import DType, Interval, Registered, check_param, validate_params
from core.persistence import Persistent, StateMismatch, require_registered
from core.random import check_random_state

#: Rows encoded and simulated at once when predicting (bounds the (rows, T, n) arrays).
PREDICT_CHUNK = 512
#: Archive array prefix of the training operation counts.
_COUNTS = "counts."


class _BaseSpikingMLP(Persistent, BaseEstimator):
    """Shared machinery of SpikingMLPClassifier and SpikingMLPRegressor (see their docstrings)."""

    _loss_name: str = ""
    _score_name: str = ""
    _archive_kind: str = ""

    def __init__(
        self,
        hidden_layer_sizes=(128,),
        *,
        n_steps=20,
        membrane_decay=0.9,
        surrogate_steepness=5.0,
        encoding="rate",
        rule="backprop",
        optimizer="adam",
        learning_rate=0.005,
        batch_size=64,
        epochs=30,
        alpha=1e-4,
        shuffle=True,
        random_state=None,
        rule_params=None,
        optimizer_params=None,
        dtype="float32",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_steps = n_steps
        self.membrane_decay = membrane_decay
        self.surrogate_steepness = surrogate_steepness
        self.encoding = encoding
        self.rule = rule
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.alpha = alpha
        self.shuffle = shuffle
        self.random_state = random_state
        self.rule_params = rule_params
        self.optimizer_params = optimizer_params
        self.dtype = dtype

    # -- validation -------------------------------------------------------------------------

    _parameter_constraints = {
        "membrane_decay": [Interval(Real, 0, 1, closed="right")],  # exp(-dt/tau)
        **{key: value for key, value in NETWORK_CONSTRAINTS.items() if key != "activation"},
        "n_steps": [Interval(Integral, 1, None)],
        "surrogate_steepness": [Interval(Real, 0, None, closed="neither")],
        "encoding": [Registered(ENCODINGS)],
        "epochs": [Interval(Integral, 1, None)],
    }

    def _check_hyperparameters(self) -> dict:
        """Validate every constructor parameter; returns the normalised values."""
        hyper = validate_params(self._parameter_constraints, self.get_params(deep=False))
        del hyper["random_state"]  # normalised into generators by _initialize
        return hyper

    # -- training ----------------------------------------------------------------------------

    def _build_network(self, hyper: dict, n_features: int, n_outputs: int) -> SpikingNetwork:
        return SpikingNetwork(
            (n_features, *hyper["hidden_layer_sizes"], n_outputs),
            loss=self._loss_name,
            rule=hyper["rule"],
            optimizer=hyper["optimizer"],
            learning_rate=hyper["learning_rate"],
            alpha=hyper["alpha"],
            membrane_decay=hyper["membrane_decay"],
            surrogate_steepness=hyper["surrogate_steepness"],
            encoding=hyper["encoding"],
            rule_params=hyper["rule_params"],
            optimizer_params=hyper["optimizer_params"],
            dtype=hyper["dtype"],
        )

    def _adopt(self, network: SpikingNetwork, hyper: dict, n_features: int, n_outputs: int):
        self._network = network
        self._hyper = hyper
        self.n_features_in_ = n_features
        self.n_outputs_ = n_outputs
        self.coefs_ = network.weights
        self.intercepts_ = network.biases
        self.rule_state_ = network.rule_state

    def _initialize(self, hyper: dict, n_features: int, n_outputs: int) -> None:
        network = self._build_network(hyper, n_features, n_outputs)
        init_rng, rule_rng, self._shuffle_rng, self._encoding_rng, inference_rng = (
            check_random_state(self.random_state).spawn(5)
        )
        network.initialize(init_rng, rule_rng)
        # predict encodes with a fresh generator from this seed on every call,
        # so predictions are reproducible and never change the estimator.
        self._inference_seed = int(inference_rng.integers(2**63))
        self._adopt(network, hyper, n_features, n_outputs)
        self.history_ = []
        self.samples_seen_ = 0
        self._train_counter = OpCounter()

    def _train(self, X: np.ndarray, Y: np.ndarray, epochs: int) -> None:
        network, hyper = self._network, self._hyper
        n_samples = len(X)
        batch_size = min(hyper["batch_size"], n_samples)
        classification = self._score_name == "accuracy"
        for _ in range(epochs):
            started = time.perf_counter()
            order = (
                self._shuffle_rng.permutation(n_samples)
                if hyper["shuffle"]
                else np.arange(n_samples)
            )
            loss_sum, score_sum, hidden_spikes = 0.0, 0.0, 0
            squared = np.zeros(Y.shape[1])
            for start in range(0, n_samples, batch_size):
                rows = order[start : start + batch_size]
                inputs = encode(hyper["encoding"], X[rows], hyper["n_steps"], self._encoding_rng)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    loss, fwd = network.train_step(inputs, Y[rows])
                loss_sum += loss * len(rows)
                if classification:
                    score_sum += np.sum(fwd.output.argmax(axis=1) == Y[rows].argmax(axis=1))
                else:
                    squared += ((fwd.output - Y[rows]) ** 2).sum(axis=0)
                self._count_step(fwd)
                hidden_spikes += sum(int(np.count_nonzero(s)) for s in fwd.spikes[1:])
            loss = loss_sum / n_samples
            epoch = len(self.history_) + 1
            if not np.isfinite(loss) or not network.finite():
                raise FloatingPointError(
                    f"training diverged in epoch {epoch} (loss={loss}): learning_rate="
                    f"{hyper['learning_rate']} is too large for optimizer={hyper['optimizer']!r} "
                    "here, try a smaller one"
                )
            if classification:
                score = float(score_sum) / n_samples
            else:
                total = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
                score = float(np.mean(1 - squared / np.where(total == 0, 1.0, total)))
            self.samples_seen_ += n_samples
            totals = self._train_counter.totals
            n_hidden = sum(hyper["hidden_layer_sizes"])
            self.history_.append(
                {
                    "epoch": epoch,
                    "loss": float(loss),
                    self._score_name: score,
                    "samples_seen": self.samples_seen_,
                    "wall_seconds": time.perf_counter() - started,
                    "hidden_spike_probability": hidden_spikes
                    / max(n_samples * hyper["n_steps"] * n_hidden, 1)
                    if n_hidden
                    else 0.0,
                    "training_synaptic_ops": int(totals["synaptic_ops"][0]),
                    "training_neuron_updates": int(totals["neuron_updates"][0]),
                }
            )

    def _count_step(self, fwd) -> None:
        """Add one training step's operations: the batch's forward and backward pass, the optimizer's step."""
        network = self._network
        counts = network.counts(fwd, training=True)
        updates = network.n_parameters
        words = network.optimizer_state_words
        counts["plasticity_updates"] = updates
        counts["memory_reads"] += updates * (2 + words)
        counts["memory_writes"] += updates * (1 + words)
        self._train_counter.update(counts)

    @property
    def training_counts_(self) -> dict[str, int]:
        """Cumulative training operations by category (the ``train`` rows of :meth:`cost`)."""
        check_fitted(self, "_network")
        return self._train_counter.agent(0)

    def _snapshot(self):
        if not hasattr(self, "_network"):
            return None
        return (
            {key: value.copy() for key, value in self._network.state_arrays().items()},
            list(self.history_),
            self._shuffle_rng.bit_generator.state,
            self._encoding_rng.bit_generator.state,
            self._train_counter.to_arrays(_COUNTS),
        )

    def _rollback(self, snapshot) -> None:
        if snapshot is not None:
            arrays, history, shuffle_state, encoding_state, counts = snapshot
            self._network.set_state_arrays(arrays)
            self.history_[:] = history
            self._shuffle_rng.bit_generator.state = shuffle_state
            self._encoding_rng.bit_generator.state = encoding_state
            self._train_counter = OpCounter.from_arrays(counts, _COUNTS, 1)

    @atomic_fit
    def _fit(self, X, y):
        hyper = self._check_hyperparameters()
        X = check.check_X(X, dtype=hyper["dtype"])
        Y = self._targets_for_fit(y, len(X), hyper["dtype"])
        self._initialize(hyper, X.shape[1], Y.shape[1])
        self._train(X, Y, hyper["epochs"])
        return self

    @atomic_fit
    def _partial_fit(self, X, y, classes=None):
        first_call = not hasattr(self, "_network")
        hyper = self._check_hyperparameters() if first_call else self._hyper
        X = check.check_X(
            X, dtype=hyper["dtype"], n_features=None if first_call else self.n_features_in_
        )
        Y = self._targets_for_partial_fit(y, len(X), hyper["dtype"], classes, first_call)
        if first_call:
            self._initialize(hyper, X.shape[1], Y.shape[1])
        self._train(X, Y, 1)
        return self

    def _simulate(self, X) -> tuple[np.ndarray, dict]:
        """Outputs for ``X`` and the inference operation counts; changes nothing."""
        check_fitted(self, "_network")
        hyper = self._hyper
        X = check.check_X(X, n_features=self.n_features_in_, dtype=hyper["dtype"])
        rng = np.random.default_rng(self._inference_seed)
        outputs, counter = [], OpCounter()
        for start in range(0, len(X), PREDICT_CHUNK):
            inputs = encode(
                hyper["encoding"], X[start : start + PREDICT_CHUNK], hyper["n_steps"], rng
            )
            fwd = self._network.forward(inputs)
            outputs.append(fwd.output)
            counter.update(self._network.counts(fwd, training=False))
        return np.concatenate(outputs), counter

    def _output(self, X) -> np.ndarray:
        return self._simulate(X)[0]

    def cost(self, X=None) -> pd.DataFrame:
        """Operation counts: all training so far (phase ``train``) and, given ``X``, predicting it.

        Returns a tidy DataFrame with columns ``phase``, ``category``,
        ``count`` (categories of :mod:`core.opcounts`, what each counts:
        :meth:`ann.spiking.network.SpikingNetwork.counts`; training adds
        ``plasticity_updates``, one per parameter per optimizer step, with
        the optimizer's memory traffic).
        The inference rows come from simulating ``X`` exactly as ``predict``
        does (same encoding draws); the estimator does not change.
        """
        check_fitted(self, "_network")
        inference = self._simulate(X)[1] if X is not None else None
        return cost_table(self._train_counter, inference)

    # -- saving and loading ------------------------------------------------------------------

    _archive_noun = "network"

    def _saveable(self) -> bool:
        return hasattr(self, "_network")

    def _full_state(self):
        """Weights, rule and optimizer state, the shuffling and encoding
        generators and the counters: :func:`ann.load` returns an estimator with
        identical predictions whose ``partial_fit`` continues exactly as this
        one's would."""
        fitted = {
            "n_features_in": self.n_features_in_,
            "n_outputs": self.n_outputs_,
            "history": self.history_,
            "samples_seen": self.samples_seen_,
            "shuffle_rng": self._shuffle_rng,
            "encoding_rng": self._encoding_rng,
            "inference_seed": self._inference_seed,
        }
        if hasattr(self, "_single_output"):
            fitted["single_output"] = self._single_output
        meta = {
            "params": to_jsonable(self.get_params(deep=False), where="params"),
            "hyperparameters": to_jsonable(self._hyper, where="hyperparameters"),
            "fitted": to_jsonable(fitted, where="fitted"),
        }
        arrays = dict(self._network.state_arrays())
        arrays.update(self._train_counter.to_arrays(_COUNTS))
        if hasattr(self, "classes_"):
            arrays["classes_"] = self.classes_
        return arrays, meta

    @classmethod
    def _from_full_state(cls, arrays: dict, meta: dict):
        hyper = from_jsonable(meta["hyperparameters"])
        require_registered("rule", hyper["rule"], RULES)
        require_registered("optimizer", hyper["optimizer"], OPTIMIZERS)
        estimator = cls(**from_jsonable(meta["params"]))
        fitted = from_jsonable(meta["fitted"])
        hyper["dtype"] = check_param("dtype", hyper["dtype"], [DType("float32", "float64")])
        classes = arrays.pop("classes_", None)
        counts = {key: arrays.pop(key) for key in list(arrays) if key.startswith(_COUNTS)}
        network = estimator._build_network(hyper, fitted["n_features_in"], fitted["n_outputs"])
        try:
            network.set_state_arrays(arrays)
            train_counter = OpCounter.from_arrays(counts, _COUNTS, 1)
        except ValueError as error:
            raise StateMismatch(error) from None
        estimator._adopt(network, hyper, fitted["n_features_in"], fitted["n_outputs"])
        estimator._shuffle_rng = fitted["shuffle_rng"]
        estimator._encoding_rng = fitted["encoding_rng"]
        estimator._inference_seed = fitted["inference_seed"]
        estimator.history_ = fitted["history"]
        estimator.samples_seen_ = fitted["samples_seen"]
        estimator._train_counter = train_counter
        if "single_output" in fitted:
            estimator._single_output = fitted["single_output"]
        if classes is not None:
            estimator.classes_ = classes
        return estimator


_SHARED_PARAMETERS = """
    hidden_layer_sizes : int or sequence of int, default=(128,)
        Leaky integrate-and-fire units of each hidden layer; ``()`` for none
        (then the readout sees the input spike counts).
    n_steps : int, default=20
        Time steps ``T`` each sample is presented for.
    membrane_decay : float, default=0.9
        ``beta = exp(-dt / tau)`` in (0, 1]: 0.9 is tau = 9.5 steps.
    surrogate_steepness : float, default=5.0
        ``a`` of the fast-sigmoid surrogate ``1 / (1 + a|m - 1|)^2``.
    encoding : {"rate", "latency", "current"}, default="rate"
        How features in [0, 1] become input (:mod:`ann.spiking.encoding`);
        values outside [0, 1] are clipped.
    rule : {"backprop", "feedback_alignment"} or registered name, default="backprop"
        How the error crosses the synapses (:data:`ann.RULES`); the neurons'
        part is the surrogate derivative through time in every case.
    optimizer : {"adam", "momentum", "sgd"} or registered name, default="adam"
    learning_rate : float, default=0.005
    batch_size : int, default=64
    epochs : int, default=30
        Passes over the training set in ``fit`` (``partial_fit`` does one).
    alpha : float, default=1e-4
        L2 penalty ``0.5 * alpha * ||W||^2 / batch size`` (as the MLP's).
    shuffle : bool, default=True
    random_state : None, int, SeedSequence or numpy Generator, default=None
        Seeds weights, rule state, shuffling, the training encoding's spikes
        and the (fixed) spikes of predictions: five independent child streams.
    rule_params, optimizer_params : dict or None
    dtype : {"float32", "float64"}, default="float32"
        Spikes are exact in either; float32 is faster.
"""

_SHARED_ATTRIBUTES = """
    coefs_, intercepts_ : list of ndarray
        Weights ``(n_in, n_out)`` and biases (constant input currents) of each layer.
    rule_state_ : dict of ndarray
    history_ : list of dict
        Per epoch: ``epoch``, ``loss``, the training score, ``samples_seen``,
        ``wall_seconds``, ``hidden_spike_probability`` (spikes per hidden
        neuron per step), cumulative ``training_synaptic_ops`` and
        ``training_neuron_updates``.
    training_counts_ : dict
        Cumulative training operations by category (see :meth:`cost`).
    samples_seen_, n_features_in_, n_outputs_ : int
"""


class SpikingMLPClassifier(ClassifierMixin, _BaseSpikingMLP):
    __doc__ = f"""Spiking multi-layer perceptron classifier trained by surrogate gradients.

    Leaky integrate-and-fire hidden layers unrolled over ``n_steps`` time
    steps, a non-spiking softmax readout of the last hidden layer's spike
    counts, cross-entropy loss, backpropagation through time with a
    fast-sigmoid surrogate derivative (Zenke & Ganguli 2018; Neftci, Mostafa
    & Zenke 2019), see :mod:`ann.spiking.network`. Same conventions as
    :class:`ann.MLPClassifier`: the constructor stores parameters, ``fit``
    validates them, learned state ends in ``_``; ``predict``,
    ``predict_proba`` and ``score`` never change the estimator (their input
    spikes come from a fixed seed); :meth:`cost` reports operation counts.

    Parameters
    ----------{_SHARED_PARAMETERS}
    Attributes
    ----------
    classes_ : ndarray{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> from ann import SpikingMLPClassifier
    >>> from tasks import load_task
    >>> task = load_task("iris", seed=0)
    >>> clf = SpikingMLPClassifier((32,), encoding="current", epochs=100, learning_rate=0.02,
    ...                            random_state=0).fit(task.X_train, task.y_train)
    >>> clf.score(task.X_test, task.y_test) >= 0.95
    True
    >>> counts = clf.cost(task.X_test).set_index(["phase", "category"])["count"]
    >>> int(counts["inference", "neuron_updates"]) == len(task.X_test) * clf.n_steps * 32
    True
    """

    _loss_name = "cross_entropy"
    _score_name = "accuracy"
    _archive_kind = "ann.SpikingMLPClassifier"

    def fit(self, X, y):
        """Train from scratch for ``epochs`` epochs on ``X`` (n_samples, n_features) and labels ``y``."""
        return self._fit(X, y)

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``(X, y)``; ``classes`` is required on the first call."""
        return self._partial_fit(X, y, classes)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in ``classes_`` order."""
        return self._output(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class label of each sample."""
        return self.classes_[self._output(X).argmax(axis=1)]

    def _targets_for_fit(self, y, n_samples, dtype):
        labels = check.check_class_labels(y)
        check.check_same_length(n_samples, labels)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); a classifier needs at least 2"
            )
        self.classes_ = classes
        return _one_hot(labels, classes, dtype)

    def _targets_for_partial_fit(self, y, n_samples, dtype, classes, first_call):
        labels = check.check_class_labels(y)
        check.check_same_length(n_samples, labels)
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be given on the first call to partial_fit "
                    "(all labels that will ever occur)"
                )
            known = check.check_classes(classes, sort=True)
        else:
            known = self.classes_
            if classes is not None and not np.array_equal(
                check.check_classes(classes, sort=True), known
            ):
                raise ValueError(
                    f"classes={list(classes)!r} differs from the classes_={known.tolist()!r} "
                    "of the first partial_fit call"
                )
        Y = _one_hot(labels, known, dtype)
        self.classes_ = known
        return Y


class SpikingMLPRegressor(RegressorMixin, _BaseSpikingMLP):
    __doc__ = f"""Spiking multi-layer perceptron regressor trained by surrogate gradients.

    The network of :class:`SpikingMLPClassifier` with an identity readout of
    the spike counts and squared-error loss; the training score in
    ``history_`` is R^2. Rate-coded inputs carry Bernoulli noise into every
    prediction, so precise regression wants ``encoding="current"`` (or
    ``"latency"``).

    Parameters
    ----------{_SHARED_PARAMETERS}
    Attributes
    ----------{_SHARED_ATTRIBUTES}
    """

    _loss_name = "squared_error"
    _score_name = "r2"
    _archive_kind = "ann.SpikingMLPRegressor"

    def fit(self, X, y):
        """Train from scratch for ``epochs`` epochs on ``X`` and targets ``y`` (n_samples[, n_outputs])."""
        return self._fit(X, y)

    def partial_fit(self, X, y):
        """One epoch on ``(X, y)``, continuing from the current weights."""
        return self._partial_fit(X, y)

    def predict(self, X) -> np.ndarray:
        """Predicted targets, shaped like the ``y`` of ``fit`` (1-D for one output)."""
        output = self._output(X)
        return output[:, 0] if self._single_output else output

    def _targets_for_fit(self, y, n_samples, dtype):
        Y, self._single_output = _read_targets(y, n_samples, dtype)
        return Y

    def _targets_for_partial_fit(self, y, n_samples, dtype, classes, first_call):
        Y, single_output = _read_targets(y, n_samples, dtype)
        if first_call:
            self._single_output = single_output
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but the network was built for {self.n_outputs_}"
            )
        return Y


def _one_hot(labels, classes, dtype):
    index = check.encode_labels(labels, classes)
    Y = np.zeros((len(labels), len(classes)), dtype=dtype)
    Y[np.arange(len(labels)), index] = 1
    return Y


def _read_targets(y, n_samples, dtype):
    """Targets as ``(n_samples, n_outputs)`` and whether ``y`` was 1-D."""
    if y is None:
        raise TypeError("y must be an array of targets, got y=None")
    values = np.asarray(y)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"y must contain real numbers, got dtype {values.dtype}")
    if values.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D (n_samples[, n_outputs]), got shape {values.shape}")
    check.check_same_length(n_samples, values)
    values = values.astype(dtype)
    if not np.isfinite(values).all():
        raise ValueError("y contains NaN or infinity")
    return values.reshape(n_samples, -1), values.ndim == 1
