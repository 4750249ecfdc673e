"""Saving and loading ann estimators and populations (no pickle).

The reference is the estimator that was saved: the loaded one must predict
bit for bit the same, and training both further must keep them identical,
which is the uninterrupted run continued.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import ann
from ann import RULES, MLPClassifier, MLPPopulation, MLPRegressor, register_rule
from ann.rules import Backprop
from core.archive import ArchiveError, read_archive, write_archive
from tasks import load_task


@pytest.fixture(scope="module")
def iris():
    return load_task("iris", seed=0)


@pytest.fixture(scope="module")
def regression():
    return load_task("seed_regression", seed=0)


def without_wall_time(history):
    return [
        {key: value for key, value in entry.items() if key != "wall_seconds"} for entry in history
    ]


def assert_same_fitted_state(a, b):
    assert np.array_equal(a._network.theta, b._network.theta)
    assert a._network.theta.dtype == b._network.theta.dtype
    for key in a.rule_state_:
        assert np.array_equal(a.rule_state_[key], b.rule_state_[key])
    for x, y in zip(a._network.optimizer.state_arrays(), b._network.optimizer.state_arrays()):
        assert np.array_equal(x, y)
    assert without_wall_time(a.history_) == without_wall_time(b.history_)
    assert a.cost().equals(b.cost()) and a.samples_seen_ == b.samples_seen_


@pytest.mark.parametrize(
    "settings",
    [
        dict(optimizer="adam"),
        dict(optimizer="momentum", optimizer_params={"momentum": 0.8, "nesterov": True}),
        dict(optimizer="sgd", rule="feedback_alignment", activation="tanh", dtype="float32"),
    ],
)
def test_a_loaded_classifier_predicts_the_same_and_continues_training_identically(
    iris, tmp_path, settings
):
    X, y = iris.X_train, iris.y_train
    original = MLPClassifier(
        hidden_layer_sizes=(8, 5), epochs=4, batch_size=16, random_state=1, **settings
    ).fit(X, y)
    path = tmp_path / "clf.npz"
    original.save(path)
    loaded = ann.load(path)

    assert type(loaded) is MLPClassifier and loaded.get_params() == original.get_params()
    assert np.array_equal(loaded.classes_, original.classes_)
    assert loaded.n_features_in_ == original.n_features_in_
    assert_same_fitted_state(original, loaded)
    assert np.array_equal(loaded.predict_proba(iris.X_test), original.predict_proba(iris.X_test))
    assert np.array_equal(loaded.predict(iris.X_test), original.predict(iris.X_test))
    # Continued training: the shuffling stream, Adam's moments and step counts,
    # the epoch counter and the MAC counters carry on exactly.
    for _ in range(2):
        original.partial_fit(X[:70], y[:70])
        loaded.partial_fit(X[:70], y[:70])
    assert_same_fitted_state(original, loaded)
    assert [entry["epoch"] for entry in loaded.history_] == [1, 2, 3, 4, 5, 6]


def test_coefs_are_views_of_the_loaded_network(iris, tmp_path):
    original = MLPClassifier(hidden_layer_sizes=(6,), epochs=2, random_state=0)
    original.fit(iris.X_train, iris.y_train).save(tmp_path / "m.npz")
    loaded = MLPClassifier.load(tmp_path / "m.npz")
    loaded.coefs_[0][...] = 0.0  # documented: change weights in place
    assert not np.any(loaded._network.weights[0])


def test_partial_fit_started_classifier_with_string_labels(iris, tmp_path):
    names = np.array(["setosa", "versicolor", "virginica"])
    y = names[iris.y_train]
    original = MLPClassifier(hidden_layer_sizes=(4,), random_state=2)
    original.partial_fit(iris.X_train[:50], y[:50], classes=names)
    original.save(tmp_path / "m.npz")
    loaded = MLPClassifier.load(tmp_path / "m.npz")
    assert loaded.classes_.tolist() == names.tolist()
    for model in (original, loaded):
        model.partial_fit(iris.X_train[50:], y[50:])
    assert_same_fitted_state(original, loaded)
    assert np.array_equal(loaded.predict(iris.X_test), original.predict(iris.X_test))


@pytest.mark.parametrize("two_outputs", [False, True])
def test_a_loaded_regressor_predicts_the_same_shape_and_values(regression, tmp_path, two_outputs):
    X, y = regression.X_train, regression.y_train
    if two_outputs:
        y = np.column_stack([y, -y])
    original = MLPRegressor(hidden_layer_sizes=(5,), epochs=3, random_state=0).fit(X, y)
    original.save(tmp_path / "reg.npz")
    loaded = ann.load(tmp_path / "reg.npz")
    assert type(loaded) is MLPRegressor
    prediction = loaded.predict(regression.X_test)
    assert prediction.ndim == (2 if two_outputs else 1)
    assert np.array_equal(prediction, original.predict(regression.X_test))
    original.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_same_fitted_state(original, loaded)


def test_a_generator_random_state_is_restored_with_its_state(iris, tmp_path):
    original = MLPClassifier(
        hidden_layer_sizes=(4,), epochs=2, random_state=np.random.default_rng(7)
    ).fit(iris.X_train, iris.y_train)
    original.save(tmp_path / "m.npz")
    loaded = ann.load(tmp_path / "m.npz")
    assert isinstance(loaded.random_state, np.random.Generator)
    assert loaded.random_state is not original.random_state
    # Refitting draws from the generator where it stood (state and seed
    # sequence, as the children of network_rngs come from spawn).
    original.fit(iris.X_train, iris.y_train)
    loaded.fit(iris.X_train, iris.y_train)
    assert_same_fitted_state(original, loaded)


def test_the_file_holds_plain_arrays(iris, tmp_path):
    model = MLPClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0)
    model.fit(iris.X_train, iris.y_train).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as plain:
        assert np.array_equal(plain["theta"], model._network.theta)
        assert "classes_" in plain.files and "optimizer.0" in plain.files


def test_saving_an_unfitted_estimator_is_refused(tmp_path):
    for model in (MLPClassifier(), MLPRegressor()):
        with pytest.raises(NotFittedError, match="not fitted yet.*nothing learned to save"):
            model.save(tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_files_of_another_kind_are_refused_naming_both(iris, regression, tmp_path):
    MLPRegressor(hidden_layer_sizes=(3,), epochs=1, random_state=0).fit(
        regression.X_train, regression.y_train
    ).save(tmp_path / "reg.npz")
    with pytest.raises(ArchiveError, match="holds a ann.MLPRegressor, not ann.MLPClassifier"):
        MLPClassifier.load(tmp_path / "reg.npz")
    write_archive(tmp_path / "brain.npz", {}, {"kind": "snn.STDPClassifier"})
    with pytest.raises(
        ArchiveError, match="holds a snn.STDPClassifier, not one of.*ann.MLPClassifier"
    ):
        ann.load(tmp_path / "brain.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        ann.load(tmp_path / "missing.npz")


def test_a_truncated_model_file_is_refused(iris, tmp_path):
    path = tmp_path / "m.npz"
    MLPClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0).fit(
        iris.X_train, iris.y_train
    ).save(path)
    path.write_bytes(path.read_bytes()[:-300])
    with pytest.raises(ArchiveError, match="m.npz.*truncated"):
        ann.load(path)


def test_arrays_that_do_not_fit_the_described_network_are_refused(iris, tmp_path):
    path = tmp_path / "m.npz"
    MLPClassifier(hidden_layer_sizes=(3,), epochs=1, random_state=0).fit(
        iris.X_train, iris.y_train
    ).save(path)
    arrays, meta = read_archive(path)
    arrays["theta"] = arrays["theta"][:-1]  # a consistent file, but one weight short
    write_archive(path, arrays, meta)
    with pytest.raises(ArchiveError, match="does not fit the network.*'theta'"):
        ann.load(path)
    del meta["fitted"]
    write_archive(path, arrays, meta)
    with pytest.raises(ArchiveError, match="incomplete or malformed.*fitted"):
        ann.load(path)


def test_a_rule_not_registered_at_load_time_is_named(iris, tmp_path):
    with RULES.restored():

        @register_rule("saved_elsewhere_example")
        class SavedElsewhere(Backprop):
            """Backprop under another name, registered only while saving."""

        MLPClassifier(
            hidden_layer_sizes=(3,), epochs=1, rule="saved_elsewhere_example", random_state=0
        ).fit(iris.X_train, iris.y_train).save(tmp_path / "m.npz")
    with pytest.raises(
        ValueError, match="rule='saved_elsewhere_example'.*not registered.*backprop"
    ):
        ann.load(tmp_path / "m.npz")


def test_a_population_round_trips_and_continues_identically(iris, tmp_path):
    rng = np.random.default_rng(0)
    shards = np.array_split(rng.permutation(len(iris.X_train)), 3)
    Xs = [iris.X_train[s] for s in shards]
    ys = [iris.y_train[s] for s in shards]
    classes = [2, 0, 1]  # kept in the order given
    original = MLPPopulation(
        3,
        4,
        classes,
        hidden_layer_sizes=(5,),
        random_state=4,
        optimizer="momentum",
        optimizer_params={"momentum": 0.7},
        batch_size=8,
        epochs_per_call=2,
    )
    original.partial_fit(Xs, ys)
    original.predict(iris.X_test)
    original.save(tmp_path / "pop.npz")
    loaded = ann.load(tmp_path / "pop.npz")
    assert isinstance(loaded, MLPPopulation) and loaded.classes_.tolist() == classes
    assert loaded.optimizer_params == {"momentum": 0.7} and loaded.epochs_per_call == 2
    assert np.array_equal(loaded.predict_proba(iris.X_test), original.predict_proba(iris.X_test))
    assert loaded.cost().equals(original.cost())
    for name in ("samples_seen_", "loss_"):
        assert np.array_equal(getattr(loaded, name), getattr(original, name))
    for model in (original, loaded):
        model.partial_fit([Xs[0], Xs[1][:5], Xs[2][:0]], [ys[0], ys[1][:5], ys[2][:0]])
    assert np.array_equal(loaded._network.theta, original._network.theta)
    assert loaded.n_calls_ == original.n_calls_ == 2
    assert loaded.cost().equals(original.cost())
    with pytest.raises(ArchiveError, match="holds a ann.MLPPopulation, not ann.MLPClassifier"):
        MLPClassifier.load(tmp_path / "pop.npz")


def test_clone_of_a_loaded_estimator_is_unfitted_with_the_same_params(iris, tmp_path):
    MLPClassifier(hidden_layer_sizes=(3, 2), epochs=1, random_state=0).fit(
        iris.X_train, iris.y_train
    ).save(tmp_path / "m.npz")
    copy = clone(ann.load(tmp_path / "m.npz"))
    assert copy.hidden_layer_sizes == (3, 2) and not hasattr(copy, "coefs_")
