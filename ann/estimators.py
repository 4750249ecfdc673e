"""scikit-learn style multi-layer perceptrons: MLPClassifier and MLPRegressor."""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ann import _validation as check
from ann.activations import ACTIVATIONS
from ann.network import StackedMLP, layer_sizes, network_rngs
from ann.optimizers import OPTIMIZERS
from ann.rules import RULES
from core.opcounts import OpCounter, cost_table
from core.progress import Progress
from core.progress import resolve as resolve_verbose
from tasks.archive import (
    ArchiveError,
    MetadataError,
    from_jsonable,
    read_archive,
    to_jsonable,
    write_archive,
)


class _BaseMLP(BaseEstimator):
    """Shared machinery of MLPClassifier and MLPRegressor (see their docstrings)."""

    _loss_name: str = ""
    _score_name: str = ""

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

    # -- validation -------------------------------------------------------------------------

    def _check_hyperparameters(self) -> dict:
        """Validate every constructor parameter; returns the normalised values."""
        return dict(
            hidden_layer_sizes=check.check_hidden_layer_sizes(self.hidden_layer_sizes),
            activation=check.check_choice("activation", self.activation, ACTIVATIONS),
            rule=check.check_choice("rule", self.rule, RULES),
            optimizer=check.check_choice("optimizer", self.optimizer, OPTIMIZERS),
            learning_rate=check.check_number("learning_rate", self.learning_rate, positive=True),
            batch_size=check.check_positive_int("batch_size", self.batch_size),
            epochs=check.check_positive_int("epochs", self.epochs),
            alpha=check.check_number("alpha", self.alpha, non_negative=True),
            shuffle=check.check_bool("shuffle", self.shuffle),
            rule_params=check.check_params_dict("rule_params", self.rule_params),
            optimizer_params=check.check_params_dict("optimizer_params", self.optimizer_params),
            dtype=check.check_dtype(self.dtype),
        )

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

    def _adopt(self, network: StackedMLP, hyper: dict, n_features: int, n_outputs: int) -> None:
        """Make ``network`` this estimator's (fitted attributes point into it)."""
        self._network = network
        self._hyper = hyper
        self.n_features_in_ = n_features
        self.n_outputs_ = n_outputs
        self.coefs_ = network.weights
        self.intercepts_ = network.biases
        self.rule_state_ = network.rule_state

    def _initialize(self, hyper: dict, n_features: int, n_outputs: int) -> None:
        # Building the network also validates rule_params and optimizer_params,
        # so every check has run before the first weight is drawn.
        network = self._build_network(hyper, n_features, n_outputs)
        init_rng, rule_rng, self._shuffle_rng = network_rngs(
            check.check_random_state(self.random_state)
        )
        network.initialize(init_rng, rule_rng)
        self._adopt(network, hyper, n_features, n_outputs)
        self.history_ = []
        self._train_counts = OpCounter(1)
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
                    X_epoch,
                    Y_epoch,
                    batch_size,
                    classification=classification,
                    counter=self._train_counts,
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
            self.history_.append(
                {
                    "epoch": epoch,
                    "loss": loss,
                    self._score_name: score,
                    "samples_seen": self.samples_seen_,
                    "wall_seconds": time.perf_counter() - started,
                    "operations": self._train_counts.agent(0),
                }
            )
            bar.update()

    def _fit(self, X, y):
        hyper = self._check_hyperparameters()
        X = check.check_X(X, dtype=hyper["dtype"])
        Y = self._targets_for_fit(y, len(X), hyper["dtype"])
        self._initialize(hyper, X.shape[1], Y.shape[1])
        self._train(X, Y, hyper["epochs"])
        return self

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

    def _output(self, X) -> np.ndarray:
        """Network output for ``X`` (the estimator does not change)."""
        check_is_fitted(self, "_network")
        X = check.check_X(X, n_features=self.n_features_in_, dtype=self._hyper["dtype"])
        return self._network.forward(X)[-1]

    def cost(self, X=None):
        """Operation counts of all training so far and, given ``X``, of predicting it.

        Parameters
        ----------
        X : array-like (n_samples, n_features) or None
            If given, rows of phase ``"inference"`` count one forward pass of
            ``X``, computed without changing the estimator.

        Returns
        -------
        pandas.DataFrame
            Columns ``phase``, ``category``, ``count`` (see
            :mod:`core.opcounts`): effective forward and backward MACs
            (zero activations skipped, NeuroBench's effective MACs) and their
            dense counts, activations, optimizer updates, memory words.
            Price it with :func:`core.energy.price`.

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
        check_is_fitted(self, "_network")
        inference = None
        if X is not None:
            X = check.check_X(X, n_features=self.n_features_in_, dtype=self._hyper["dtype"])
            inference = OpCounter(1)
            inference.update(self._network.inference_counts(X))
        return cost_table(self._train_counts, inference)

    # -- saving and loading ------------------------------------------------------------------

    #: ``meta["kind"]`` of this class's archives (see :mod:`tasks.archive`).
    _archive_kind: str = ""

    def save(self, path) -> None:
        """Write the fitted estimator to ``path``: an ``.npz`` archive, no pickle.

        The archive holds the parameters, the hyperparameters the network was
        built with, the weights, the rule's and the optimizer's state, the
        shuffling generator's state, ``classes_``, ``history_`` and the MAC
        counters: :func:`ann.load` returns an estimator whose predictions are
        bit for bit the same and whose ``partial_fit`` continues exactly as
        this one's would. The file is written under a temporary name and
        renamed into place, so an interrupted save leaves no partial file
        (:mod:`tasks.archive` describes the format); ``path`` is used as
        given (``.npz`` is the natural suffix).

        Parameters
        ----------
        path : str or os.PathLike

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted: there is nothing learned to
            save (its settings are ``get_params()``).
        TypeError
            If a parameter cannot be stored without pickle (named, e.g. an
            object in ``rule_params``), or ``classes_`` holds Python objects.

        Examples
        --------
        >>> import os, tempfile
        >>> from ann import MLPClassifier, load
        >>> from tasks import load_task
        >>> task = load_task("iris", seed=0)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0)
        >>> clf = clf.fit(task.X_train, task.y_train)
        >>> path = os.path.join(tempfile.mkdtemp(), "iris_mlp.npz")
        >>> clf.save(path)
        >>> again = load(path)
        >>> bool((again.predict_proba(task.X_test) == clf.predict_proba(task.X_test)).all())
        True
        """
        if not hasattr(self, "_network"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet, so there is nothing "
                "learned to save; call fit or partial_fit first (its settings "
                "are get_params())"
            )
        fitted = {
            "n_features_in": self.n_features_in_,
            "n_outputs": self.n_outputs_,
            "history": self.history_,
            "samples_seen": self.samples_seen_,
            "shuffle_rng": self._shuffle_rng,
        }
        if hasattr(self, "_single_output"):
            fitted["single_output"] = self._single_output
        meta = {
            "kind": self._archive_kind,
            "params": to_jsonable(self.get_params(deep=False), where="params"),
            "hyperparameters": to_jsonable(self._hyper, where="hyperparameters"),
            "fitted": to_jsonable(fitted, where="fitted"),
        }
        arrays = dict(self._network.state_arrays())
        arrays.update(self._train_counts.to_arrays(_COUNTS_PREFIX))
        if hasattr(self, "classes_"):
            arrays["classes_"] = self.classes_
        write_archive(path, arrays, meta)

    @classmethod
    def load(cls, path):
        """Read an estimator of this class written by :meth:`save` (see :func:`ann.load`)."""
        arrays, meta = read_archive(path, expected_kind=cls._archive_kind)
        return cls._from_archive(path, arrays, meta)

    @classmethod
    def _from_archive(cls, path, arrays: dict, meta: dict):
        try:
            hyper = from_jsonable(meta["hyperparameters"])
            for name, registry in (
                ("activation", ACTIVATIONS),
                ("rule", RULES),
                ("optimizer", OPTIMIZERS),
            ):
                _require_registered(path, name, hyper[name], registry)
            estimator = cls(**from_jsonable(meta["params"]))
            fitted = from_jsonable(meta["fitted"])
            hyper["dtype"] = check.check_dtype(hyper["dtype"])
            classes = arrays.pop("classes_", None)
            counts = {k: arrays.pop(k) for k in list(arrays) if k.startswith(_COUNTS_PREFIX)}
            network = estimator._build_network(hyper, fitted["n_features_in"], fitted["n_outputs"])
            try:
                network.set_state_arrays(arrays)
            except ValueError as error:
                raise ArchiveError(
                    f"{os.fspath(path)!r} does not fit the network it describes: {error}"
                ) from None
            estimator._adopt(network, hyper, fitted["n_features_in"], fitted["n_outputs"])
            estimator._shuffle_rng = fitted["shuffle_rng"]
            estimator.history_ = fitted["history"]
            estimator._train_counts = OpCounter.from_arrays(counts, _COUNTS_PREFIX, 1)
            estimator.samples_seen_ = fitted["samples_seen"]
            if "single_output" in fitted:
                estimator._single_output = fitted["single_output"]
            if classes is not None:
                estimator.classes_ = classes
        except (KeyError, TypeError, AttributeError, MetadataError, ValueError) as error:
            if isinstance(error, ArchiveError):
                raise
            raise ArchiveError(
                f"{os.fspath(path)!r}: the archive's content is incomplete or "
                f"malformed ({type(error).__name__}: {error})"
            ) from None
        return estimator


#: Archive keys of the training operation counts (one int64 array per category).
_COUNTS_PREFIX = "opcounts.train."


def _require_registered(path, what: str, name, registry) -> None:
    """A saved model's ``what`` (rule, optimizer, ...) must be registered in this session."""
    if name not in registry:
        raise ValueError(
            f"{os.fspath(path)!r} was saved with {what}={name!r}, which is not "
            f"registered here (known: {sorted(registry)}); import the module that "
            "registers it before loading"
        )


def load(path):
    """Read a model written by the ``save`` method of an ``ann`` estimator or population.

    No pickle is involved: the file is an ``.npz`` archive of arrays and
    checksummed JSON (:mod:`tasks.archive`). The estimator comes back fitted,
    with bit-identical predictions, and continues training exactly as the
    saved one would have.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    MLPClassifier, MLPRegressor, MLPPopulation, SpikingMLPClassifier or SpikingMLPRegressor

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    tasks.archive.ArchiveError
        (a ValueError) A truncated, damaged or modified file, or a file of
        another kind (e.g. an ``snn`` model: use :func:`snn.load`); the
        message names the file and the problem.
    ValueError
        The model uses a rule, optimizer or activation that is not
        registered in this session (named, with the known ones).
    """
    from ann.population import MLPPopulation
    from ann.spiking import SpikingMLPClassifier, SpikingMLPRegressor

    classes = (
        MLPClassifier,
        MLPRegressor,
        MLPPopulation,
        SpikingMLPClassifier,
        SpikingMLPRegressor,
    )
    kinds = {cls._archive_kind: cls for cls in classes}
    arrays, meta = read_archive(path, expected_kind=list(kinds))
    return kinds[meta["kind"]]._from_archive(path, arrays, meta)


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
        ``operations`` (cumulative training operation counts by category, as
        ``cost()`` reports them).
    samples_seen_, n_features_in_, n_outputs_ : int
"""


class MLPClassifier(ClassifierMixin, _BaseMLP):
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
    >>> dense = clf.cost().set_index("category")["count"]["macs_dense"]
    >>> int(dense) == 30 * len(task.X_train) * clf._network.forward_macs
    True
    """

    _loss_name = "cross_entropy"
    _score_name = "accuracy"
    _archive_kind = "ann.MLPClassifier"

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
        output = self._output(X)
        return self.classes_[output.argmax(axis=1)]

    def _targets_for_fit(self, y, n_samples, dtype):
        labels = check.check_class_labels(y)
        check.check_same_length(n_samples, labels)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); a classifier needs at least 2"
            )
        self.classes_ = classes
        return self._one_hot(labels, classes, dtype)

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
        Y = self._one_hot(labels, known, dtype)
        self.classes_ = known
        return Y

    @staticmethod
    def _one_hot(labels, classes, dtype):
        index = check.encode_labels(labels, classes)
        Y = np.zeros((len(labels), len(classes)), dtype=dtype)
        Y[np.arange(len(labels)), index] = 1
        return Y


class MLPRegressor(RegressorMixin, _BaseMLP):
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

    _loss_name = "squared_error"
    _score_name = "r2"
    _archive_kind = "ann.MLPRegressor"

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
        Y, self._single_output = self._read_targets(y, n_samples, dtype)
        return Y

    def _targets_for_partial_fit(self, y, n_samples, dtype, classes, first_call):
        Y, single_output = self._read_targets(y, n_samples, dtype)
        if first_call:
            self._single_output = single_output
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but the network was built for {self.n_outputs_}"
            )
        return Y

    @staticmethod
    def _read_targets(y, n_samples, dtype):
        """Targets as ``(n_samples, n_outputs)`` and whether ``y`` was 1-D."""
        if y is None:
            raise TypeError("y must be an array of targets, got y=None")
        values = np.asarray(y)
        if values.dtype.kind not in "biuf":
            raise TypeError(f"y must contain real numbers, got dtype {values.dtype}")
        if values.ndim not in (1, 2):
            raise ValueError(
                f"y must be 1-D or 2-D (n_samples[, n_outputs]), got shape {values.shape}"
            )
        if values.ndim == 2 and values.shape[1] == 0:
            raise ValueError(f"y has no outputs to learn: got shape {values.shape}")
        check.check_same_length(n_samples, values)
        values = values.astype(dtype)
        if not np.isfinite(values).all():
            raise ValueError("y contains NaN or infinity")
        return values.reshape(n_samples, -1), values.ndim == 1
