"""Baselines and spiking ablations, fitted on the same splits as the learners.

A comparison of the MLP and the spiking network means little without the
numbers a reviewer asks for first: what do standard, untuned methods score on
the same training data, and what does each ingredient of the spiking network
contribute? This module gives both, as unfitted scikit-learn style estimators
(``fit``, ``predict``, ``score``), so an experiment fits them exactly where it
fits its learners.

Baselines (:func:`baselines`): the reference learners of
:mod:`experiments.reference` (logistic regression, 1-nearest neighbour,
k-means with as many prototypes as the spiking network has neurons plus the
vote, the majority class; ridge, 1-NN and the mean for regression), with
fixed settings -- nothing is tuned, so nothing can have been tuned on a test
split -- plus, for regression, ``ridge_receptive_fields``: ridge on the
spiking encoder's Gaussian receptive-field features (what the network's
input carries).

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
['kmeans_vote', 'logistic_regression', 'majority', 'nearest_neighbour']
>>> rows = evaluate(models, task, split="val")
>>> list(rows.columns)
['model', 'split', 'metric', 'score', 'n_train', 'n_eval']
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted

from core.params import Interval, NoneOf, Options, check_param
from experiments.reference import reference_models

__all__ = [
    "ABLATIONS",
    "RidgeOnReceptiveFields",
    "baselines",
    "spiking_ablations",
    "evaluate",
]

#: Ablation name -> the spiking estimator's switch that is turned off.
ABLATIONS = {
    "snn_no_plasticity": "plasticity",
    "snn_no_threshold_adaptation": "threshold_adaptation",
    "snn_no_weight_normalisation": "weight_normalisation",
    "snn_no_lateral_inhibition": "lateral_inhibition",
}


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


def baselines(task, *, n_prototypes: int = 400, random_state: int = 0) -> dict:
    """Unfitted baselines for ``task``'s kind, name -> estimator (see the module docstring).

    ``n_prototypes`` is the spiking network's number of neurons (k-means
    is given as many prototypes, at most the number of distinct samples).
    """
    models = reference_models(task.kind, n_prototypes, random_state)
    if task.kind == "regression":
        models["ridge_receptive_fields"] = RidgeOnReceptiveFields()
    return models


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
    check_param("split", split, [Options("test", "val")])
    X_eval, y_eval = (task.X_test, task.y_test) if split == "test" else (task.X_val, task.y_val)
    X, y = task.X_train, task.y_train
    n_train = check_param("n_train", n_train, [NoneOf(), Interval(Integral, 1, None)])
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    metric = "accuracy" if task.kind == "classification" else "r2"
    rows = []
    for name, model in models.items():
        fitted = clone(model, safe=False).fit(X, y)
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
