"""Simple baselines and spiking ablations, fitted on the same splits as the learners.

A comparison of the MLP and the spiking network means little without the
numbers a reviewer asks for first: what do standard, untuned methods score on
the same training data, and what does each ingredient of the spiking network
contribute? This module gives both, as unfitted scikit-learn style estimators
(``fit``, ``predict``, ``score``), so an experiment fits them exactly where it
fits its learners.

Baselines (:func:`baselines`), with scikit-learn's default settings (nothing
is tuned, so nothing can have been tuned on a test split):

=========================  ==============  ===================================================
name                       task kind       what it is
=========================  ==============  ===================================================
``logistic_regression``    classification  multinomial logistic regression on the raw inputs
``nearest_neighbour``      classification  1-nearest neighbour (Euclidean) on the raw inputs
``kmeans_vote``            classification  k-means with as many prototypes as the spiking
                                           network has neurons; each prototype takes the
                                           majority label of its members, a sample the label
                                           of its nearest labelled prototype (the vote readout
                                           without spikes)
``ridge``                  regression      ridge regression on the raw inputs (alpha 1)
``ridge_receptive_fields`` regression      ridge on the spiking encoder's Gaussian receptive-
                                           field features (what the network's input carries)
``mean``                   regression      the training mean (R^2 0 on the training set)
=========================  ==============  ===================================================

Spiking ablations (:func:`spiking_ablations`): the given spiking estimator
with one ingredient switched off and everything else (readout, size,
epochs, seed) unchanged -- ``snn_no_plasticity`` (random normalised weights,
only the readout is fitted), ``snn_no_threshold_adaptation``,
``snn_no_weight_normalisation``, ``snn_no_lateral_inhibition`` (see the
switches in :mod:`snn.estimators`).

>>> from tasks import load_task
>>> task = load_task("iris", seed=0)
>>> models = baselines(task, n_prototypes=20, random_state=0)
>>> sorted(models)
['kmeans_vote', 'logistic_regression', 'nearest_neighbour']
>>> rows = evaluate(models, task, split="val")
>>> list(rows.columns)
['model', 'split', 'metric', 'score', 'n_train', 'n_eval']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.cluster import KMeans
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "CLASSIFICATION_BASELINES",
    "REGRESSION_BASELINES",
    "ABLATIONS",
    "KMeansVote",
    "RidgeOnReceptiveFields",
    "baselines",
    "spiking_ablations",
    "evaluate",
]

CLASSIFICATION_BASELINES = ("logistic_regression", "nearest_neighbour", "kmeans_vote")
REGRESSION_BASELINES = ("ridge", "ridge_receptive_fields", "mean")

#: Ablation name -> the spiking estimator's switch that is turned off.
ABLATIONS = {
    "snn_no_plasticity": "plasticity",
    "snn_no_threshold_adaptation": "threshold_adaptation",
    "snn_no_weight_normalisation": "weight_normalisation",
    "snn_no_lateral_inhibition": "lateral_inhibition",
}


class KMeansVote(ClassifierMixin, BaseEstimator):
    """k-means prototypes labelled by majority vote; predict the nearest labelled prototype.

    The non-spiking counterpart of a winner-take-all layer with Diehl &
    Cook's vote readout: ``n_prototypes`` centroids found without labels,
    each assigned the most frequent class among the training samples it
    wins (ties: the smallest label), prototypes that win no sample ignored.

    Parameters
    ----------
    n_prototypes : int
        Number of k-means clusters (at most the number of training samples).
    n_init : int
        k-means restarts (scikit-learn's ``n_init``).
    random_state : int, Generator-free seed or None
    """

    def __init__(self, n_prototypes=400, n_init=3, random_state=None):
        self.n_prototypes = n_prototypes
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be 2-D with one row per label, got {X.shape} and {y.shape}")
        if (
            isinstance(self.n_prototypes, bool)
            or not isinstance(self.n_prototypes, (int, np.integer))
            or not 1 <= self.n_prototypes <= len(X)
        ):
            raise ValueError(
                f"n_prototypes must be an integer in [1, n_samples={len(X)}], "
                f"got n_prototypes={self.n_prototypes!r}"
            )
        self.classes_, y_index = np.unique(y, return_inverse=True)
        self.kmeans_ = KMeans(
            n_clusters=int(self.n_prototypes), n_init=self.n_init, random_state=self.random_state
        ).fit(X)
        votes = np.zeros((self.n_prototypes, len(self.classes_)), dtype=np.int64)
        np.add.at(votes, (self.kmeans_.labels_, y_index), 1)
        won = votes.sum(axis=1) > 0
        self.prototypes_ = self.kmeans_.cluster_centers_[won]
        self.prototype_labels_ = self.classes_[votes[won].argmax(axis=1)]
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self, "prototypes_")
        X = np.asarray(X, dtype=float)
        distances = (
            (X**2).sum(axis=1)[:, None]
            - 2 * X @ self.prototypes_.T
            + (self.prototypes_**2).sum(axis=1)[None, :]
        )
        return self.prototype_labels_[distances.argmin(axis=1)]


class RidgeOnReceptiveFields(RegressorMixin, BaseEstimator):
    """Ridge regression on the spiking encoder's Gaussian receptive-field features.

    ``receptive_fields="auto"`` uses as many fields per feature as the
    spiking estimators' ``receptive_fields="auto"``
    (:func:`snn.estimators.auto_receptive_fields`).
    """

    def __init__(self, receptive_fields="auto", alpha=1.0):
        self.receptive_fields = receptive_fields
        self.alpha = alpha

    def _features(self, X):
        from snn.encoders import gaussian_receptive_fields

        return gaussian_receptive_fields(np.asarray(X, dtype=float), self.fields_)

    def fit(self, X, y):
        from snn.estimators import auto_receptive_fields

        X = np.asarray(X, dtype=float)
        fields = self.receptive_fields
        self.fields_ = auto_receptive_fields(X.shape[1]) if fields == "auto" else int(fields)
        self.ridge_ = Ridge(alpha=self.alpha).fit(self._features(X), y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self, "ridge_")
        return self.ridge_.predict(self._features(X))


def baselines(task, *, n_prototypes: int = 400, random_state=None) -> dict:
    """Unfitted baselines for ``task``'s kind, name -> estimator (see the module table).

    ``n_prototypes`` is the spiking network's number of neurons (k-means
    is given the same number of prototypes, capped at the number of
    training samples it will see: :class:`KMeansVote` checks it at fit).
    """
    if task.kind == "classification":
        return {
            "logistic_regression": LogisticRegression(max_iter=5000),
            "nearest_neighbour": KNeighborsClassifier(n_neighbors=1),
            "kmeans_vote": KMeansVote(n_prototypes=n_prototypes, random_state=random_state),
        }
    if task.kind == "regression":
        return {
            "ridge": Ridge(alpha=1.0),
            "ridge_receptive_fields": RidgeOnReceptiveFields(),
            "mean": DummyRegressor(strategy="mean"),
        }
    raise ValueError(f"unknown task kind={task.kind!r}")


def spiking_ablations(estimator, names=tuple(ABLATIONS)) -> dict:
    """The spiking ``estimator`` (unfitted clones) with one ingredient off per entry.

    Every other parameter -- readout, neurons, epochs, ``random_state`` --
    is the estimator's, so an ablation differs from it in exactly one switch.
    """
    unknown = sorted(set(names) - set(ABLATIONS))
    if unknown:
        raise ValueError(f"unknown ablation(s) {unknown}; known: {sorted(ABLATIONS)}")
    return {name: clone(estimator).set_params(**{ABLATIONS[name]: False}) for name in names}


def evaluate(models: dict, task, *, split: str = "test", n_train: int | None = None):
    """Fit each model on the task's training split and score it on ``split``.

    Parameters
    ----------
    models : dict of name -> unfitted estimator
    task : tasks.Task or tasks.DevelopmentTask
        A development view can only be scored on ``split="val"``.
    split : {"test", "val"}
        The split scored; the test split is for reported numbers only.
    n_train : int, optional
        Fit on the first ``n_train`` training samples.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``split``, ``metric`` (accuracy or
        r2), ``score``, ``n_train``, ``n_eval``.
    """
    if split not in ("test", "val"):
        raise ValueError(f"split must be 'test' or 'val', got split={split!r}")
    X_eval, y_eval = (task.X_test, task.y_test) if split == "test" else (task.X_val, task.y_val)
    X, y = task.X_train, task.y_train
    if n_train is not None:
        if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or n_train < 1:
            raise ValueError(f"n_train must be a positive integer, got n_train={n_train!r}")
        X, y = X[:n_train], y[:n_train]
    metric = "accuracy" if task.kind == "classification" else "r2"
    rows = []
    for name, model in models.items():
        fitted = clone(model).fit(X, y)
        rows.append(
            {
                "model": name,
                "split": split,
                "metric": metric,
                "score": float(fitted.score(X_eval, y_eval)),
                "n_train": len(X),
                "n_eval": len(X_eval),
            }
        )
    return pd.DataFrame(rows)
