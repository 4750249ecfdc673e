"""scikit-learn style multi-layer perceptrons: MLPClassifier and MLPRegressor."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from ann.activations import ACTIVATIONS
from ann.network import NETWORK_CONSTRAINTS, StackedMLP, build_mlp, network_rngs
from ann.optimizers import OPTIMIZERS
from ann.rules import RULES
from ann.supervised import (
    ClassifierTargets,
    NetworkEstimator,
    RegressorTargets,
    check_output_input,
)
from core.opcounts import OpCounter
from core.params import Interval, store_parameters
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
        store_parameters(self, locals())

    _parameter_constraints = {**NETWORK_CONSTRAINTS, "epochs": [Interval(Integral, 1, None)]}
    _registered_names = (("activation", ACTIVATIONS), ("rule", RULES), ("optimizer", OPTIMIZERS))

    # -- training ----------------------------------------------------------------------------

    def _build_network(self, hyper: dict, n_features: int, n_outputs: int) -> StackedMLP:
        return build_mlp(hyper, n_features, n_outputs, self._loss_name)

    def _initialize(self, hyper: dict, n_features: int, n_outputs: int) -> None:
        # Building the network also validates rule_params and optimizer_params,
        # so every check has run before the first weight is drawn.
        network = self._build_network(hyper, n_features, n_outputs)
        init_rng, rule_rng, self._shuffle_rng = network_rngs(check_random_state(self.random_state))
        network.initialize(init_rng, rule_rng)
        self._adopt(network, hyper, n_features, n_outputs)
        self.history_ = []
        self._train_counts = OpCounter(1)
        self.samples_seen_ = 0

    def _train_epoch(self, X, Y, order, batch_size, classification):
        if order is not None:
            X, Y = X[order], Y[order]
        loss_sum, score_sum = self._network.train_epoch(
            X, Y, batch_size, classification=classification, counter=self._train_counts
        )
        return loss_sum, score_sum, {}

    def _output(self, X) -> np.ndarray:
        """Network output for ``X`` (the estimator is not changed)."""
        X = check_output_input(self, X)  # (first: NotFittedError before _network is read)
        return self._network.forward(X)[-1]

    def _inference_counts(self, X) -> OpCounter:
        """One forward pass of ``X``: effective forward MACs (zero activations
        skipped, NeuroBench's effective MACs) and their dense counts,
        activations, memory words; training adds the backward MACs and the
        optimizer's updates."""
        counter = OpCounter(1)
        counter.update(self._network.inference_counts(X))
        return counter


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
        ``cost()`` reports them; ``cost(X)`` adds those of predicting ``X``,
        and predicting does not change the estimator).
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
    >>> dense = clf.cost().set_index("category")["count"]["macs_dense"]
    >>> int(dense) == 30 * len(task.X_train) * clf._network.forward_macs
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
