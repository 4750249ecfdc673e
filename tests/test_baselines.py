"""Baselines against scikit-learn and brute force; ablations differ in exactly one switch."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression, Ridge

from experiments.baselines import (
    ABLATIONS,
    RidgeOnReceptiveFields,
    baselines,
    evaluate,
    spiking_ablations,
)
from snn import STDPClassifier
from snn.encoders import gaussian_receptive_fields
from tasks import load_task


@pytest.fixture(scope="module")
def digits():
    return load_task("digits", seed=1)


def test_logistic_regression_is_scikit_learns():
    iris = load_task("iris", seed=2)
    rows = evaluate({"lr": baselines(iris)["logistic_regression"]}, iris, split="val")
    expected = (
        LogisticRegression(max_iter=5000)
        .fit(iris.X_train, iris.y_train)
        .score(iris.X_val, iris.y_val)
    )
    assert rows.loc[0, "score"] == pytest.approx(expected)
    assert rows.loc[0, "n_train"] == len(iris.X_train) and rows.loc[0, "n_eval"] == len(iris.X_val)


def test_nearest_neighbour_matches_brute_force(digits):
    rows = evaluate({"nn": baselines(digits)["nearest_neighbour"]}, digits, split="test")
    distances = ((digits.X_test[:, None, :] - digits.X_train[None, :, :]) ** 2).sum(axis=2)
    brute = digits.y_train[distances.argmin(axis=1)]
    assert rows.loc[0, "score"] == pytest.approx(np.mean(brute == digits.y_test))


def test_kmeans_vote_matches_a_hand_computed_vote(digits):
    model = baselines(digits, n_prototypes=30, random_state=0)["kmeans_vote"]
    model.fit(digits.X_train, digits.y_train)
    kmeans = KMeans(n_clusters=30, n_init=3, random_state=0).fit(digits.X_train)
    centres, labels = [], []
    for k in range(30):
        members = digits.y_train[kmeans.labels_ == k]
        if len(members):
            centres.append(kmeans.cluster_centers_[k])
            labels.append(np.bincount(members).argmax())
    centres, labels = np.array(centres), np.array(labels)
    nearest = ((digits.X_val[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(model.predict(digits.X_val), labels[nearest])
    # 30 prototypes of 10 digits are far better than chance and worse than 1-NN
    assert 0.6 < model.score(digits.X_val, digits.y_val) < 0.99


def test_regression_baselines_are_ridge_and_the_mean():
    task = load_task("seed_regression", seed=0)
    models = baselines(task)
    assert sorted(models) == ["mean", "nearest_neighbour", "ridge", "ridge_receptive_fields"]
    rows = evaluate(models, task, split="test").set_index("model")
    assert rows.loc["ridge", "score"] == pytest.approx(
        Ridge(alpha=1.0).fit(task.X_train, task.y_train).score(task.X_test, task.y_test)
    )
    fields = gaussian_receptive_fields(task.X_train, 8)  # "auto" for 2 features
    expected = (
        Ridge(alpha=1.0)
        .fit(fields, task.y_train)
        .score(gaussian_receptive_fields(task.X_test, 8), task.y_test)
    )
    assert rows.loc["ridge_receptive_fields", "score"] == pytest.approx(expected)
    assert RidgeOnReceptiveFields().fit(task.X_train, task.y_train).fields_ == 8
    assert abs(rows.loc["mean", "score"]) < 0.1  # the mean explains nothing


def test_ablations_differ_from_the_estimator_in_one_switch():
    base = STDPClassifier(n_neurons=17, readout="linear", epochs=3, random_state=5)
    ablations = spiking_ablations(base)
    assert sorted(ablations) == sorted(ABLATIONS)
    reference = base.get_params()
    for name, model in ablations.items():
        params = model.get_params()
        changed = {k for k in params if params[k] is not reference[k] and params[k] != reference[k]}
        assert changed == {ABLATIONS[name]} and params[ABLATIONS[name]] is False
    with pytest.raises(ValueError, match="unknown ablation"):
        spiking_ablations(base, names=["snn_no_brain"])


def test_evaluate_checks_its_arguments(digits):
    with pytest.raises(ValueError, match="split"):
        evaluate({}, digits, split="train")
    with pytest.raises(ValueError, match="n_train"):
        evaluate({}, digits, n_train=0)
    rows = evaluate(
        baselines(digits, n_prototypes=20), digits.development(), split="val", n_train=200
    )
    assert set(rows["n_train"]) == {200}
    with pytest.raises(AttributeError, match="no test split"):
        evaluate(baselines(digits), digits.development(), split="test")
