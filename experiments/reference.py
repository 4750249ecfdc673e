"""Simple reference learners scored on the same splits as the MLP and the spiking network.

A comparison of two learners means little without the score a simple method
reaches on the same data: on digits, logistic regression on raw pixels and
one nearest neighbour beat both learners' defaults. Every comparison
experiment adds these rows to its ``metrics.csv`` (column ``kind``), computed
on exactly the training and test arrays the learners got:

classification
    ``logistic_regression`` (raw inputs, scikit-learn defaults, C = 1),
    ``nearest_neighbour`` (1-NN, Euclidean), ``kmeans_vote`` (k-means with as
    many prototypes as the spiking network has neurons, each prototype
    labelled by the majority of its training members: the vote readout
    without spikes), ``majority`` (the most frequent training class).
regression
    ``ridge`` (raw inputs, alpha = 1), ``nearest_neighbour`` (1-NN),
    ``mean`` (the training mean; R^2 near 0).

No reference learner is tuned: each runs with fixed, stated settings, so
none reads the test split for a choice.
"""

from __future__ import annotations

import numpy as np

CLASSIFICATION = ("logistic_regression", "nearest_neighbour", "kmeans_vote", "majority")
REGRESSION = ("ridge", "nearest_neighbour", "mean")
LABELS = {
    "logistic_regression": "logistic regression (raw inputs)",
    "nearest_neighbour": "1-nearest neighbour",
    "kmeans_vote": "k-means prototypes + vote",
    "majority": "majority class",
    "ridge": "ridge regression (raw inputs)",
    "mean": "training mean",
}
COLORS = {
    "logistic_regression": "#2ca02c",
    "nearest_neighbour": "#8c564b",
    "kmeans_vote": "#e377c2",
    "majority": "#7f7f7f",
    "ridge": "#2ca02c",
    "mean": "#7f7f7f",
}


def color(name: str) -> str:
    """The colour a reference learner is drawn in (grey for a name without one)."""
    return COLORS.get(name, "#444444")


def learner_label(name: str) -> str:
    """How figures and summaries name a learner type (:func:`experiments.style.label`) or
    a reference learner (its label)."""
    from experiments import style

    return style.label(name) if name in style.LABELS else LABELS.get(name, name)


def learner_color(name: str) -> str:
    """The colour of a learner type (:func:`experiments.style.color`) or a reference learner."""
    from experiments import style

    return style.color(name) if name in style.COLORS else color(name)


def legend_label(name: str) -> str:
    """How figures name a reference learner: ``"reference: <its label>"``."""
    return f"reference: {LABELS.get(name, name)}"


def draw_line(ax, name: str, value: float) -> None:
    """A reference learner's ``value`` as a dashed horizontal line in its colour, labelled."""
    ax.axhline(value, color=color(name), lw=1, ls="--", label=legend_label(name))


def check_references(names) -> None:
    """Refuse names in an experiment's ``references`` setting that are not :data:`CLASSIFICATION` learners."""
    unknown = sorted(set(names) - set(CLASSIFICATION))
    if unknown:
        raise ValueError(
            f"unknown reference learner(s) {unknown} in references; known: {list(CLASSIFICATION)}"
        )


def matching_prototypes(snn_params: dict) -> int:
    """The number of neurons of a spiking network built with ``snn_params`` (its default
    where the parameters do not say): k-means gets as many prototypes."""
    if "n_neurons" in snn_params:
        return int(snn_params["n_neurons"])
    from snn import STDPClassifier

    return int(STDPClassifier().n_neurons)


def reference_models(kind: str, n_prototypes: int, random_state: int) -> dict:
    """Unfitted scikit-learn-style models by name, for ``kind`` "classification" or
    "regression"."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    if kind == "classification":
        return {
            "logistic_regression": LogisticRegression(max_iter=5000),
            "nearest_neighbour": KNeighborsClassifier(n_neighbors=1),
            "kmeans_vote": PrototypeVote(n_prototypes, random_state=random_state),
            "majority": DummyClassifier(strategy="most_frequent"),
        }
    if kind == "regression":
        return {
            "ridge": Ridge(alpha=1.0),
            "nearest_neighbour": KNeighborsRegressor(n_neighbors=1),
            "mean": DummyRegressor(strategy="mean"),
        }
    raise ValueError(f"unknown task kind={kind!r}; known: ['classification', 'regression']")


def reference_scores(
    kind: str,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    n_prototypes: int = 100,
    random_state: int = 0,
    test_sets: dict | None = None,
) -> list[dict]:
    """Fit every reference model on (X_train, y_train) and score it.

    Returns one dict per model: ``kind`` (the model's name), ``score``
    (accuracy or R^2 on X_test) and, for each ``name: (X, y)`` of
    ``test_sets``, ``score_<name>``.
    """
    rows = []
    for name, model in reference_models(kind, n_prototypes, random_state).items():
        model.fit(X_train, y_train)
        row = {"kind": name, "score": float(model.score(X_test, y_test))}
        for set_name, (X, y) in (test_sets or {}).items():
            row[f"score_{set_name}"] = float(model.score(X, y))
        rows.append(row)
    return rows


class PrototypeVote:
    """k-means prototypes, each labelled by the majority class of its training members.

    What Diehl & Cook's vote readout does with the neurons of a spiking
    network, with k-means centroids in place of learned weights: a sample is
    classified by its nearest prototype's label.

    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]]); y = np.array([0, 0, 1, 1])
    >>> PrototypeVote(2, random_state=0).fit(X, y).predict([[0.05], [0.9]]).tolist()
    [0, 1]
    """

    def __init__(self, n_prototypes: int = 100, random_state: int = 0):
        self.n_prototypes = n_prototypes
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.cluster import KMeans

        X, y = np.asarray(X, dtype=float), np.asarray(y)
        k = min(int(self.n_prototypes), len(np.unique(X, axis=0)))
        self.kmeans_ = KMeans(n_clusters=k, n_init=3, random_state=self.random_state).fit(X)
        self.classes_ = np.unique(y)
        members = self.kmeans_.labels_
        counts = np.zeros((k, len(self.classes_)))
        np.add.at(counts, (members, np.searchsorted(self.classes_, y)), 1)
        self.prototype_labels_ = self.classes_[counts.argmax(axis=1)]
        return self

    def predict(self, X):
        return self.prototype_labels_[self.kmeans_.predict(np.asarray(X, dtype=float))]

    def score(self, X, y):
        return float(np.mean(self.predict(X) == np.asarray(y)))
