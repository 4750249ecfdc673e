"""scikit-learn style multi-layer perceptrons: MLPClassifier and MLPRegressor."""

from __future__ import annotations

import time
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, RegressorMixin

from ann.activations import ACTIVATIONS
from ann.network import NETWORK_CONSTRAINTS, StackedMLP, layer_sizes, network_rngs
from ann.optimizers import OPTIMIZERS
from ann.rules import RULES
from ann.supervised import (
    ClassifierTargets,
    NetworkEstimator,
    RegressorTargets,
    check_output_input,
)
from core.archive import from_jsonable, to_jsonable
from core.learner import check_fitted
from core.params import DType, Interval, check_param
from core.persistence import StateMismatch, require_registered
from core.progress import Progress
from core.progress import resolve as resolve_verbose
from core.random import check_random_state


class _BaseMLP(NetworkEstimator):
    """Shared machinery of MLPClassifier and MLPRegressor (see their docstrings)."""

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        rule="backprop",
        optimizer="adam",
        learning_rate=0.02,
        batch_size=64,
        epochs=30,
        alpha=1e-4,
        shuffle=True,
        random_state=None,
        rule_params=None,
        optimizer_params=None,
        dtype="float64",
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.verbose = verbose

    _parameter_constraints = {**NETWORK_CONSTRAINTS, "epochs": [Interval(Integral, 1, None)]}

    # -- training ----------------------------------------------------------------------------

    def _build_network(self, hyper: dict, n_features: int, n_outputs: int) -> StackedMLP:
        return StackedMLP(
            layer_sizes(n_features, hyper["hidden_layer_sizes"], n_outputs),
            None,
            activation=hyper["activation"],
            loss=self._loss_name,
            rule=hyper["rule"],
            optimizer=hyper["optimizer"],
            learning_rate=hyper["learning_rate"],
            alpha=hyper["alpha"],
            rule_params=hyper["rule_params"],
            optimizer_params=hyper["optimizer_params"],
            dtype=hyper["dtype"],
        )

    def _initialize(self, hyper: dict, n_features: int, n_outputs: int) -> None:
        # Building the network also validates rule_params and optimizer_params,
        # so every check has run before the first weight is drawn.
        network = self._build_network(hyper, n_features, n_outputs)
        init_rng, rule_rng, self._shuffle_rng = network_rngs(check_random_state(self.random_state))
        network.initialize(init_rng, rule_rng)
        self._adopt(network, hyper, n_features, n_outputs)
        self.history_ = []
        self.training_macs_ = 0
        self.samples_seen_ = 0

    def _train(self, X: np.ndarray, Y: np.ndarray, epochs: int) -> None:
        batch_size = min(self._hyper["batch_size"], len(X))
        classification = self._score_name == "accuracy"
        total_squares = None
        if not classification:
            # Targets near the float range overflow here; the divergence check
            # below then names the epoch, rather than numpy warning first.
            with np.errstate(over="ignore", invalid="ignore"):
                centred = Y - Y.mean(axis=0)
                total_squares = (centred * centred).sum(axis=0)
        # verbose >= 1: a bar (or a periodic line off a terminal) with time left, per epoch.
        bar = Progress(
            epochs, f"{type(self).__name__}.fit", "epochs", verbose=resolve_verbose(self.verbose)
        )
        with bar:
            self._train_epochs(X, Y, epochs, bar, batch_size, classification, total_squares)

    def _train_epochs(self, X, Y, epochs, bar, batch_size, classification, total_squares):
        network, hyper = self._network, self._hyper
        n_samples = len(X)
        for _ in range(epochs):
            started = time.perf_counter()
            if hyper["shuffle"]:
                order = self._shuffle_rng.permutation(n_samples)
                X_epoch, Y_epoch = X[order], Y[order]
            else:
                X_epoch, Y_epoch = X, Y
            # Overflow in a diverging run is caught below, by name, not as a warning.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loss_sum, score_sum = network.train_epoch(
                    X_epoch, Y_epoch, batch_size, classification=classification
                )
            loss = float(loss_sum) / n_samples
            epoch = len(self.history_) + 1
            if not np.isfinite(loss) or not network.finite():
                raise FloatingPointError(
                    f"training diverged in epoch {epoch} (loss={loss}, all weights finite: "
                    f"{bool(network.finite())}): learning_rate={hyper['learning_rate']} is too large "
                    f"for optimizer={hyper['optimizer']!r} here, try a smaller one"
                )
            if classification:
                score = float(score_sum) / n_samples
            else:
                score = float(np.mean(_r2(score_sum, total_squares)))
            self.samples_seen_ += n_samples
            self.training_macs_ += n_samples * network.training_macs
            self.history_.append(
                {
                    "epoch": epoch,
                    "loss": loss,
                    self._score_name: score,
                    "samples_seen": self.samples_seen_,
                    "wall_seconds": time.perf_counter() - started,
                    "training_macs": self.training_macs_,
                }
            )
            bar.update()

    def _output(self, X) -> np.ndarray:
        """Network output for ``X`` (the estimator is not changed)."""
        X = check_output_input(self, X)  # (first: NotFittedError before _network is read)
        return self._network.forward(X)[-1]

    def cost(self, X=None) -> pd.DataFrame:
        """Operation counts: training so far (phase "train"), and predicting ``X`` if given.

        Returns a table with columns ``phase``, ``category`` ("macs"), ``count``;
        the inference row is computed without predicting, so the estimator
        does not change.
        """
        check_fitted(self, "_network")
        rows = [("train", "macs", int(self.training_macs_))]
        if X is not None:
            X = check_output_input(self, X)
            rows.append(("inference", "macs", len(X) * int(self._network.forward_macs)))
        return pd.DataFrame(rows, columns=["phase", "category", "count"])

    # -- saving and loading ------------------------------------------------------------------

    def _full_state(self):
        """The parameters, the hyperparameters the network was built with, the
        weights, the rule's and the optimizer's state, the shuffling
        generator, ``classes_``, ``history_`` and the counters: a loaded
        estimator predicts bit for bit the same and continues ``partial_fit``
        exactly as this one would (:func:`ann.load`)."""
        fitted = {
            "n_features_in": self.n_features_in_,
            "n_outputs": self.n_outputs_,
            "history": self.history_,
            "training_macs": self.training_macs_,
            "samples_seen": self.samples_seen_,
            "shuffle_rng": self._shuffle_rng,
        }
        if hasattr(self, "_single_output"):
            fitted["single_output"] = self._single_output
        meta = {
            "params": to_jsonable(self.get_params(deep=False), where="params"),
            "hyperparameters": to_jsonable(self._hyper, where="hyperparameters"),
            "fitted": to_jsonable(fitted, where="fitted"),
        }
        arrays = dict(self._network.state_arrays())
        if hasattr(self, "classes_"):
            arrays["classes_"] = self.classes_
        return arrays, meta

    @classmethod
    def _from_full_state(cls, arrays: dict, meta: dict):
        hyper = from_jsonable(meta["hyperparameters"])
        for name, registry in (
            ("activation", ACTIVATIONS),
            ("rule", RULES),
            ("optimizer", OPTIMIZERS),
        ):
            require_registered(name, hyper[name], registry)
        estimator = cls(**from_jsonable(meta["params"]))
        fitted = from_jsonable(meta["fitted"])
        hyper["dtype"] = check_param("dtype", hyper["dtype"], [DType("float32", "float64")])
        classes = arrays.pop("classes_", None)
        network = estimator._build_network(hyper, fitted["n_features_in"], fitted["n_outputs"])
        try:
            network.set_state_arrays(arrays)
        except ValueError as error:
            raise StateMismatch(error) from None
        estimator._adopt(network, hyper, fitted["n_features_in"], fitted["n_outputs"])
        estimator._shuffle_rng = fitted["shuffle_rng"]
        estimator.history_ = fitted["history"]
        estimator.training_macs_ = fitted["training_macs"]
        estimator.samples_seen_ = fitted["samples_seen"]
        if "single_output" in fitted:
            estimator._single_output = fitted["single_output"]
        if classes is not None:
            estimator.classes_ = classes
        return estimator


def _r2(squared_error_sum: np.ndarray, total_squares: np.ndarray) -> np.ndarray:
    """Per-output coefficient of determination; a constant target scores 1 if fitted exactly, else 0
    (scikit-learn's ``r2_score`` convention)."""
    constant = total_squares == 0
    safe_total = np.where(constant, 1.0, total_squares)
    return np.where(
        constant, np.where(squared_error_sum == 0, 1.0, 0.0), 1.0 - squared_error_sum / safe_total
    )


_SHARED_PARAMETERS = """
    hidden_layer_sizes : int or sequence of int, default=(64,)
        Units of each hidden layer; any depth, ``()`` for none.
    activation : {"relu", "tanh", "sigmoid", "identity"} or registered name, default="relu"
        Hidden activation (:data:`ann.ACTIVATIONS`).
    rule : {"backprop", "feedback_alignment"} or registered name, default="backprop"
        Learning rule (:data:`ann.RULES`).
    optimizer : {"adam", "momentum", "sgd"} or registered name, default="adam"
        Optimizer (:data:`ann.OPTIMIZERS`).
    learning_rate : float, default=0.02
        Step size, > 0. The defaults (Adam at 0.02, minibatches of 64, 30
        epochs) were chosen by measurement: 98% median test accuracy on
        digits with one hidden layer of 64 units (scikit-learn's defaults:
        97.6%), in less than half of scikit-learn's time (bench/RESULTS.md);
        larger batches are faster on digits but take too few steps on small
        sets such as iris and the seed regression, which these defaults fit.
    batch_size : int, default=64
        Minibatch size (the whole set when it is smaller).
    epochs : int, default=30
        Passes over the training set in ``fit`` (``partial_fit`` does one).
    alpha : float, default=1e-4
        L2 penalty ``0.5 * alpha * ||W||^2 / batch size`` (scikit-learn's scaling).
    shuffle : bool, default=True
        Reshuffle the training set every epoch.
    random_state : None, int, SeedSequence or numpy Generator, default=None
        Seeds weights, rule state and shuffling (three independent child streams).
    rule_params, optimizer_params : dict or None
        Hyperparameters of the rule / optimizer, e.g. ``{"momentum": 0.95}``.
    dtype : {"float64", "float32"}, default="float64"
        Precision of parameters and arithmetic. float32 reaches the same
        accuracy on the tasks here and halves memory traffic, which makes
        :class:`ann.MLPPopulation` steps about twice as fast
        (bench/RESULTS.md); float64 is the default for exact comparisons
        (finite differences, scikit-learn, gossip averages).
    verbose : int, default=0
        0 trains silently; 1 shows the epochs done with elapsed and remaining
        time (a bar on a terminal, else a line every 30 s; :mod:`core.progress`).
"""

_SHARED_ATTRIBUTES = """
    coefs_, intercepts_ : list of ndarray
        Weights ``(n_in, n_out)`` and biases of each layer (views into one
        parameter vector: change them in place, e.g. ``coefs_[0][...] = W``).
    rule_state_ : dict of ndarray
        The rule's fixed arrays (feedback matrices for feedback alignment).
    history_ : list of dict
        One entry per epoch (``fit`` epochs and ``partial_fit`` calls alike):
        ``epoch``; ``loss`` (mean over the epoch's minibatches, weighted by
        their size, L2 penalty included, as scikit-learn's ``loss_curve_``);
        the training score during the epoch (predictions of each minibatch's
        forward pass, made before its update, as Keras reports it);
        ``samples_seen`` (cumulative); ``wall_seconds`` (this epoch);
        ``training_macs`` (cumulative, see :mod:`ann.mac`).
    training_macs_ : int
        Cumulative multiply-accumulates of training; ``cost(X)`` adds those of
        predicting ``X`` (predicting does not change the estimator).
    samples_seen_, n_features_in_, n_outputs_ : int
"""


class MLPClassifier(ClassifierMixin, ClassifierTargets, _BaseMLP):
    __doc__ = f"""Multi-layer perceptron classifier: softmax output, cross-entropy loss.

    Trained by a pluggable learning rule (backpropagation, Rumelhart, Hinton &
    Williams 1986, by default) with minibatch gradient steps. Labels may be of
    any sortable type (ints, strings, ...; floats only when whole numbers, as
    scikit-learn requires); ``classes_`` holds them sorted.

    Parameters
    ----------{_SHARED_PARAMETERS}
    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels; columns of ``predict_proba``.{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> from ann import MLPClassifier
    >>> from tasks import load_task
    >>> task = load_task("iris", seed=0)
    >>> clf = MLPClassifier(random_state=0).fit(task.X_train, task.y_train)
    >>> clf.score(task.X_test, task.y_test) > 0.9
    True
    >>> clf.history_[-1]["training_macs"] == 30 * len(task.X_train) * clf._network.training_macs
    True
    """

    _archive_kind = "ann.MLPClassifier"


class MLPRegressor(RegressorMixin, RegressorTargets, _BaseMLP):
    __doc__ = f"""Multi-layer perceptron regressor: identity output, squared-error loss.

    Same network and training as :class:`MLPClassifier`; one or several
    real-valued outputs. The training score in ``history_`` is R^2 (averaged
    over outputs).

    Parameters
    ----------{_SHARED_PARAMETERS}
    Attributes
    ----------{_SHARED_ATTRIBUTES}
    Examples
    --------
    >>> from ann import MLPRegressor
    >>> from tasks import load_task
    >>> task = load_task("seed_regression", seed=0)
    >>> reg = MLPRegressor(random_state=0).fit(task.X_train, task.y_train)
    >>> reg.score(task.X_test, task.y_test) > 0.99
    True
    """

    _archive_kind = "ann.MLPRegressor"
