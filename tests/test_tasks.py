import networkx as nx
import numpy as np
import pytest

from tasks import TASKS, load_task
from tasks.city_traffic import daily_profile


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_is_scaled_and_complete(name):
    task = load_task(name, seed=3)
    assert task.name == name
    assert task.kind in {"classification", "regression"}
    for X, y in ((task.X_train, task.y_train), (task.X_test, task.y_test)):
        assert X.ndim == 2 and X.shape[1] == task.n_features and len(X) == len(y)
        assert np.isfinite(X).all() and X.min() >= 0.0 and X.max() <= 1.0
    if task.kind == "classification":
        assert set(np.unique(task.y_train)) <= set(task.classes)
    else:
        assert task.classes is None


@pytest.mark.parametrize("name", sorted(TASKS))
def test_same_seed_same_split_other_seed_other_split(name):
    a, b, c = load_task(name, seed=1), load_task(name, seed=1), load_task(name, seed=2)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    if name != "xor":
        assert not np.array_equal(a.X_train, c.X_train)


def test_xor_is_the_four_points():
    task = load_task("xor")
    np.testing.assert_array_equal(task.X_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(task.y_train, [0, 1, 1, 0])
    np.testing.assert_array_equal(task.X_test, task.X_train)


def test_seed_regression_is_exactly_linear_in_its_features():
    task = load_task("seed_regression", seed=0)
    X = np.column_stack([task.X_train, np.ones(len(task.X_train))])
    coef, residual, *_ = np.linalg.lstsq(X, task.y_train, rcond=None)
    assert np.allclose(X @ coef, task.y_train)


def test_real_datasets_have_their_published_sizes():
    digits, iris = load_task("digits"), load_task("iris")
    assert len(digits.X_train) + len(digits.X_test) == 1797 and digits.n_features == 64
    assert len(digits.X_train) == 1347
    assert len(iris.X_train) + len(iris.X_test) == 150 and iris.n_features == 4


def test_splits_are_stratified():
    task = load_task("digits", seed=5)
    train = np.bincount(task.y_train) / len(task.y_train)
    test = np.bincount(task.y_test) / len(task.y_test)
    assert np.abs(train - test).max() < 0.01


def test_city_traffic_graph_and_per_intersection_metadata():
    task = load_task("city_traffic", seed=0, rows=4, cols=3, n_days=7)
    assert isinstance(task.graph, nx.Graph) and task.graph.number_of_nodes() == 12
    nodes = task.metadata["nodes"]
    assert set(nodes) == set(task.graph.nodes)
    assert len(task.metadata["node_train"]) == len(task.X_train)
    assert set(np.unique(task.metadata["node_train"])) == set(range(12))
    assert task.n_features == 2 * 6 + 3
    assert set(np.unique(task.y_train)) == {0, 1, 2}


def test_commute_profile_has_weekday_peaks_and_a_flat_weekend_morning():
    monday = daily_profile(np.arange(24))
    saturday = daily_profile(np.arange(5 * 24, 6 * 24))
    assert monday.argmax() in (8, 17, 18)
    assert monday[8] > 2 * monday[3] and monday[17] > 2 * monday[3]
    assert saturday[8] < monday[8] / 2


def test_congestion_follows_the_rush_hour():
    task = load_task("city_traffic", seed=0)
    hour = task.metadata["hour_train"] % 24
    weekday = (task.metadata["hour_train"] // 24) % 7 < 5
    jammed_rush = np.mean(task.y_train[weekday & np.isin(hour, [8, 17, 18])] == 2)
    jammed_night = np.mean(task.y_train[weekday & np.isin(hour, [2, 3, 4])] == 2)
    assert jammed_rush > 0.2 and jammed_night < 0.02


def test_incidents_spill_over_to_neighbours():
    # With incidents switched on, neighbours of an incident site carry more
    # flow in the next hour than in an otherwise identical incident-free city.
    calm = load_task("city_traffic", seed=4, incident_rate=0.0).metadata
    busy = load_task("city_traffic", seed=4, incident_rate=0.05, incident_severity=3.0).metadata
    assert not calm["incidents"].any() and busy["incidents"].any()
    assert busy["flow"].mean() > calm["flow"].mean()


@pytest.mark.parametrize(
    "bad",
    [
        dict(name="mnist"),
        dict(name="xor", seed=-1),
        dict(name="iris", seed=2**32),
        dict(name="xor", seed=1.5),
    ],
)
def test_bad_arguments_are_named(bad):
    # a wrong type is a TypeError, a wrong value a ValueError (core.params)
    error = TypeError if isinstance(bad.get("seed"), float) else ValueError
    with pytest.raises(error, match="name|seed"):
        load_task(**bad)


def test_unknown_task_lists_known_ones():
    with pytest.raises(ValueError, match="digits"):
        load_task("mnist")
