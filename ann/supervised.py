"""What the MLP estimators and the spiking MLP estimators share.

:class:`NetworkEstimator` holds the skeleton of a scikit-learn estimator
around a trained network: parameters validated once at fit
(``_parameter_constraints``), ``fit`` from scratch and ``partial_fit`` that
continue, both atomic (a failed call leaves the previous model), the fitted
attributes that point into the network, and the ``Persistent`` save/load.
A subclass builds its network (``_build_network``), draws its generators
(``_initialize``), runs one epoch's minibatches (``_train_epoch``) and counts
the operations of predicting (``_inference_counts``); the epoch loop with its
divergence check and ``history_``, ``cost`` and the saved state are here.

:class:`ClassifierTargets` and :class:`RegressorTargets` turn labels and real
targets into the network's output arrays, and its outputs back into
predictions, the same way for every network.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from core import data as check
from core.archive import from_jsonable, to_jsonable
from core.learner import MultiOutputRegressor, atomic_fit, check_fitted
from core.opcounts import OpCounter, cost_table
from core.params import DType, check_param, validate_params
from core.persistence import Persistent, StateMismatch
from core.progress import Progress
from core.progress import resolve as resolve_verbose

__all__ = [
    "ClassifierTargets",
    "NetworkEstimator",
    "RegressorTargets",
    "check_output_input",
    "one_hot",
    "read_targets",
]


class NetworkEstimator(Persistent, BaseEstimator):
    """Fit/partial_fit skeleton and fitted-network bookkeeping (see the module docstring)."""

    _loss_name: str = ""
    _score_name: str = ""
    _archive_noun = "network"
    _fitted_attribute = "_network"
    #: Attributes that training changes in place besides the network (copied by _snapshot):
    #: the training operation counts, rolled back by a failed fit.
    _mutable_state: tuple[str, ...] = ("_train_counts",)
    #: Saved with the network: ``fitted`` key -> attribute (generators and seeds drawn at fit).
    _saved_draws = {"shuffle_rng": "_shuffle_rng"}
    #: Archive keys of the training operation counts (one int64 array per category).
    _counts_prefix = "opcounts.train."

    def _check_hyperparameters(self) -> dict:
        """Validate every constructor parameter; returns the normalised values."""
        hyper = validate_params(self._parameter_constraints, self.get_params(deep=False))
        del hyper["random_state"]  # normalised into generators by _initialize
        return hyper

    def _adopt(self, network, hyper: dict, n_features: int, n_outputs: int) -> None:
        """Make ``network`` this estimator's (fitted attributes point into it)."""
        self._network = network
        self._hyper = hyper
        self.n_features_in_ = n_features
        self.n_outputs_ = n_outputs
        self.coefs_ = network.weights
        self.intercepts_ = network.biases
        self.rule_state_ = network.rule_state

    def _check_input(self, X, dtype, first_call: bool = False) -> np.ndarray:
        return check.check_X(
            X,
            dtype=dtype,
            n_features=None if first_call else self.n_features_in_,
            owner=type(self).__name__,
        )

    # A failed fit (bad labels, divergence) leaves the previous model: fit
    # builds a new network, partial_fit trains the current one in place, so
    # what training changes is copied first (_snapshot) and put back on failure.

    def _snapshot(self):
        if not hasattr(self, "_network"):
            return None
        generators = {
            name: value.bit_generator.state
            for name, value in vars(self).items()
            if isinstance(value, np.random.Generator)
        }
        return (
            {key: value.copy() for key, value in self._network.state_arrays().items()},
            list(self.history_),
            generators,
            {name: copy.deepcopy(getattr(self, name)) for name in self._mutable_state},
        )

    def _rollback(self, snapshot) -> None:
        arrays, history, generators, mutable = snapshot
        self._network.set_state_arrays(arrays)
        self.history_[:] = history
        for name, state in generators.items():
            getattr(self, name).bit_generator.state = state
        for name, value in mutable.items():
            setattr(self, name, value)

    @atomic_fit
    def _fit(self, X, y):
        hyper = self._check_hyperparameters()
        X = self._check_input(X, hyper["dtype"], first_call=True)
        Y = self._targets_for_fit(y, len(X), hyper["dtype"])
        self._initialize(hyper, X.shape[1], Y.shape[1])
        self._train(X, Y, hyper["epochs"])
        return self

    @atomic_fit
    def _partial_fit(self, X, y, classes=None):
        first_call = not hasattr(self, "_network")
        hyper = self._check_hyperparameters() if first_call else self._hyper
        X = self._check_input(X, hyper["dtype"], first_call)
        Y = self._targets_for_partial_fit(y, len(X), hyper["dtype"], classes, first_call)
        if first_call:
            self._initialize(hyper, X.shape[1], Y.shape[1])
        self._train(X, Y, 1)
        return self

    def _train(self, X: np.ndarray, Y: np.ndarray, epochs: int) -> None:
        """``epochs`` passes over ``(X, Y)``, one ``history_`` entry each."""
        hyper = self._hyper
        n_samples = len(X)
        batch_size = min(hyper["batch_size"], n_samples)
        classification = self._score_name == "accuracy"
        total_squares = None if classification else _total_squares(Y)
        # verbose >= 1: a bar (or a periodic line off a terminal) with time left, per epoch.
        bar = Progress(
            epochs, f"{type(self).__name__}.fit", "epochs", verbose=resolve_verbose(self.verbose)
        )
        with bar:
            for _ in range(epochs):
                started = time.perf_counter()
                order = self._shuffle_rng.permutation(n_samples) if hyper["shuffle"] else None
                # Overflow in a diverging run is caught below, by name, not as a warning.
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    loss_sum, score_sum, record = self._train_epoch(
                        X, Y, order, batch_size, classification
                    )
                loss = float(loss_sum) / n_samples
                epoch = len(self.history_) + 1
                if not np.isfinite(loss) or not self._network.finite():
                    raise FloatingPointError(
                        f"training diverged in epoch {epoch} (loss={loss}, all weights finite: "
                        f"{bool(self._network.finite())}): learning_rate={hyper['learning_rate']} "
                        f"is too large for optimizer={hyper['optimizer']!r} here, try a smaller one"
                    )
                if classification:
                    score = float(score_sum) / n_samples
                else:
                    score = float(np.mean(_r2_scores(score_sum, total_squares)))
                self.samples_seen_ += n_samples
                self.history_.append(
                    {
                        "epoch": epoch,
                        "loss": loss,
                        self._score_name: score,
                        "samples_seen": self.samples_seen_,
                        "wall_seconds": time.perf_counter() - started,
                        **record,
                        "operations": self._train_counts.agent(0),
                    }
                )
                bar.update()

    def _train_epoch(self, X, Y, order, batch_size: int, classification: bool):
        """One pass in minibatches over ``X[order], Y[order]`` (``order`` None: as given).

        Returns the summed loss, the summed score (correct predictions, or
        squared error per output) and what else this epoch's history entry holds.
        """
        raise NotImplementedError

    def _output(self, X) -> np.ndarray:
        raise NotImplementedError

    def _inference_counts(self, X) -> OpCounter:
        """Operation counts of predicting ``X`` (checked already); changes nothing."""
        raise NotImplementedError

    def cost(self, X=None) -> pd.DataFrame:
        """Operation counts of all training so far and, given ``X``, of predicting it.

        Parameters
        ----------
        X : array-like (n_samples, n_features) or None
            If given, rows of phase ``"inference"`` count predicting ``X``
            exactly as ``predict`` does, computed without changing the estimator.

        Returns
        -------
        pandas.DataFrame
            Columns ``phase``, ``category``, ``count`` (see
            :mod:`core.opcounts`); price it with :func:`core.energy.price`.

        Examples
        --------
        >>> from ann import MLPClassifier
        >>> from tasks import load_task
        >>> task = load_task("iris", seed=0)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), epochs=2, random_state=0)
        >>> clf = clf.fit(task.X_train, task.y_train)
        >>> table = clf.cost(task.X_test).set_index(["phase", "category"])["count"]
        >>> int(table["inference", "macs_dense"]) == len(task.X_test) * (4 * 8 + 8 * 3)
        True
        """
        check_fitted(self, "_network")
        inference = None if X is None else self._inference_counts(check_output_input(self, X))
        return cost_table(self._train_counts, inference)

    # -- saving and loading ------------------------------------------------------------------

    def _full_state(self):
        """The parameters, the hyperparameters the network was built with, the
        network's state (weights, rule and optimizer state), the generators
        and seeds drawn at fit, ``classes_``, ``history_`` and the counters: a
        loaded estimator predicts bit for bit the same and continues
        ``partial_fit`` exactly as this one would (:func:`ann.load`)."""
        fitted = {
            "n_features_in": self.n_features_in_,
            "n_outputs": self.n_outputs_,
            "history": self.history_,
            "samples_seen": self.samples_seen_,
            **{key: getattr(self, name) for key, name in self._saved_draws.items()},
        }
        if hasattr(self, "_single_output"):
            fitted["single_output"] = self._single_output
        meta = {
            "params": to_jsonable(self.get_params(deep=False), where="params"),
            "hyperparameters": to_jsonable(self._hyper, where="hyperparameters"),
            "fitted": to_jsonable(fitted, where="fitted"),
        }
        arrays = dict(self._network.state_arrays())
        arrays.update(self._train_counts.to_arrays(self._counts_prefix))
        if hasattr(self, "classes_"):
            arrays["classes_"] = self.classes_
        return arrays, meta

    @classmethod
    def _from_full_state(cls, arrays: dict, meta: dict):
        hyper = from_jsonable(meta["hyperparameters"])
        cls._check_registered(hyper)
        estimator = cls(**from_jsonable(meta["params"]))
        fitted = from_jsonable(meta["fitted"])
        hyper["dtype"] = check_param("dtype", hyper["dtype"], [DType("float32", "float64")])
        classes = arrays.pop("classes_", None)
        prefix = cls._counts_prefix
        counts = {key: arrays.pop(key) for key in list(arrays) if key.startswith(prefix)}
        network = estimator._build_network(hyper, fitted["n_features_in"], fitted["n_outputs"])
        try:
            network.set_state_arrays(arrays)
            train_counts = OpCounter.from_arrays(counts, prefix, 1)
        except ValueError as error:
            raise StateMismatch(error) from None
        estimator._adopt(network, hyper, fitted["n_features_in"], fitted["n_outputs"])
        for key, name in cls._saved_draws.items():
            setattr(estimator, name, fitted[key])
        estimator.history_ = fitted["history"]
        estimator.samples_seen_ = fitted["samples_seen"]
        estimator._train_counts = train_counts
        if "single_output" in fitted:
            estimator._single_output = fitted["single_output"]
        if classes is not None:
            estimator.classes_ = classes
        return estimator


def _total_squares(Y: np.ndarray) -> np.ndarray:
    """Per output, the squared deviations of ``Y`` from its mean (R^2's denominator)."""
    # Targets near the float range overflow here; the divergence check then
    # names the epoch, rather than numpy warning first.
    with np.errstate(over="ignore", invalid="ignore"):
        centred = Y - Y.mean(axis=0)
        return (centred * centred).sum(axis=0)


def _r2_scores(squared_error_sum: np.ndarray, total_squares: np.ndarray) -> np.ndarray:
    """Per-output coefficient of determination; a constant target scores 1 if fitted exactly, else 0
    (scikit-learn's ``r2_score`` convention)."""
    constant = total_squares == 0
    safe_total = np.where(constant, 1.0, total_squares)
    return np.where(
        constant, np.where(squared_error_sum == 0, 1.0, 0.0), 1.0 - squared_error_sum / safe_total
    )


class ClassifierTargets:
    """Labels of any sortable type in, one-hot targets to the network, labels out."""

    _loss_name = "cross_entropy"
    _score_name = "accuracy"

    def fit(self, X, y):
        """Train from scratch for ``epochs`` epochs on ``X`` (n_samples, n_features) and labels ``y``."""
        return self._fit(X, y)

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``(X, y)``, continuing from the current weights.

        ``classes`` (every label that will ever occur) is required on the first
        call and must match ``classes_`` afterwards.
        """
        return self._partial_fit(X, y, classes)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        return self._output(X)

    def predict(self, X) -> np.ndarray:
        """The most probable class label of each sample."""
        output = self._output(X)  # (first: NotFittedError before classes_ is read)
        return self.classes_[output.argmax(axis=1)]

    def _targets_for_fit(self, y, n_samples, dtype):
        labels = check.check_class_labels(y)
        check.check_same_length(n_samples, labels)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class ({classes[0]!r}); a classifier needs at least 2"
            )
        self.classes_ = classes
        return one_hot(labels, classes, dtype)

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
                    f"classes={list(classes)!r} differs from the classes_="
                    f"{known.tolist()!r} of the first partial_fit call"
                )
        Y = one_hot(labels, known, dtype)
        self.classes_ = known
        return Y


class RegressorTargets(MultiOutputRegressor):
    """One or several real-valued outputs; predictions shaped like the ``y`` of ``fit``."""

    _loss_name = "squared_error"
    _score_name = "r2"

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
        Y, self._single_output = read_targets(y, n_samples, dtype)
        return Y

    def _targets_for_partial_fit(self, y, n_samples, dtype, classes, first_call):
        Y, single_output = read_targets(y, n_samples, dtype)
        if first_call:
            self._single_output = single_output
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but the network was built for {self.n_outputs_}"
            )
        return Y


def one_hot(labels, classes, dtype) -> np.ndarray:
    """``(n_samples, n_classes)`` indicator rows of ``labels`` among ``classes``."""
    index = check.encode_labels(labels, classes)
    Y = np.zeros((len(labels), len(classes)), dtype=dtype)
    Y[np.arange(len(labels)), index] = 1
    return Y


def read_targets(y, n_samples, dtype):
    """Targets as ``(n_samples, n_outputs)`` and whether ``y`` was 1-D."""
    if y is None:
        raise ValueError("this regressor requires y to be passed, but the target y is None")
    values = np.asarray(y)
    if values.dtype.kind == "O":
        values = values.astype(np.float64)  # numbers pass; numpy names anything else
    if values.dtype.kind not in "biuf":
        raise TypeError(f"y must contain real numbers, got dtype {values.dtype}")
    if values.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D (n_samples[, n_outputs]), got shape {values.shape}")
    if values.ndim == 2 and values.shape[1] == 0:
        raise ValueError(f"y has no outputs to learn: got shape {values.shape}")
    check.check_same_length(n_samples, values)
    values = values.astype(dtype)
    if not np.isfinite(values).all():
        raise ValueError("y contains NaN or infinity")
    return values.reshape(n_samples, -1), values.ndim == 1


def check_output_input(estimator, X) -> np.ndarray:
    """``X`` checked for predicting with a fitted ``estimator`` (NotFittedError before)."""
    check_fitted(estimator, "_network")
    return estimator._check_input(X, estimator._hyper["dtype"])
