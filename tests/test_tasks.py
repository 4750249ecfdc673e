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
    for X, y in (
        (task.X_train, task.y_train),
        (task.X_val, task.y_val),
        (task.X_test, task.y_test),
    ):
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
    np.testing.assert_array_equal(a.X_val, b.X_val)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    if name != "xor":
        assert not np.array_equal(a.X_train, c.X_train)
        assert not np.array_equal(a.X_val, c.X_val)


def test_xor_is_the_four_points():
    task = load_task("xor")
    np.testing.assert_array_equal(task.X_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(task.y_train, [0, 1, 1, 0])
    np.testing.assert_array_equal(task.X_test, task.X_train)
    np.testing.assert_array_equal(task.X_val, task.X_train)


def test_seed_regression_is_exactly_linear_in_its_features():
    task = load_task("seed_regression", seed=0)
    X = np.column_stack([task.X_train, np.ones(len(task.X_train))])
    coef, residual, *_ = np.linalg.lstsq(X, task.y_train, rcond=None)
    assert np.allclose(X @ coef, task.y_train)


def test_real_datasets_have_their_published_sizes():
    digits, iris = load_task("digits"), load_task("iris")
    assert len(digits.X_train) + len(digits.X_val) + len(digits.X_test) == 1797
    assert digits.n_features == 64
    # 25% test, then 20% of the remaining 1347 for validation
    assert (len(digits.X_train), len(digits.X_val), len(digits.X_test)) == (1077, 270, 450)
    assert len(iris.X_train) + len(iris.X_val) + len(iris.X_test) == 150 and iris.n_features == 4
    whole = load_task("digits", validation_size=0.0)
    assert len(whole.X_train) == 1347 and len(whole.X_val) == 0
    np.testing.assert_array_equal(whole.X_test, digits.X_test)


def test_validation_is_carved_from_the_training_split_without_overlap():
    # seed_regression's inputs are continuous draws: every row is unique, so
    # the three splits partition the 400 samples exactly.
    task = load_task("seed_regression", seed=3)
    whole = load_task("seed_regression", seed=3, validation_size=0.0)
    rows = lambda X: {tuple(r) for r in X}
    train, val, test = rows(task.X_train), rows(task.X_val), rows(task.X_test)
    assert len(train) + len(val) + len(test) == 400
    assert not (train & val) and not (train & test) and not (val & test)
    assert train | val == rows(whole.X_train)
    assert len(val) == round(0.2 * len(whole.X_train))
    other = load_task("seed_regression", seed=3, validation_size=0.5)
    assert len(other.X_val) == len(other.X_train) == 150


@pytest.mark.parametrize("name", ["digits", "iris", "city_traffic"])
def test_validation_split_is_stratified(name):
    task = load_task(name, seed=2)
    train = np.bincount(task.y_train, minlength=task.n_classes) / len(task.y_train)
    val = np.bincount(task.y_val, minlength=task.n_classes) / len(task.y_val)
    # stratification keeps each class within one sample of its share
    assert np.abs(train - val).max() <= 1.0 / len(task.y_val) + 1e-12


def test_per_sample_metadata_follows_the_validation_split():
    task = load_task("city_traffic", seed=1, rows=3, cols=3, n_days=5)
    assert len(task.metadata["node_val"]) == len(task.X_val)
    assert len(task.metadata["hour_val"]) == len(task.X_val)
    assert len(task.metadata["node_train"]) == len(task.X_train)
    # the neighbour-mean feature of the last hour of a sample is the same
    # function of (node, hour) in every split: check the metadata is aligned
    # by recomputing the own-flow feature of validation rows from the flow.
    flow = task.metadata["flow"]
    whole = load_task("city_traffic", seed=1, rows=3, cols=3, n_days=5, validation_size=0)
    hour, node = task.metadata["hour_val"], task.metadata["node_val"]
    raw_last = flow[hour - 1, node]  # flow at the last observed hour
    raw_train = flow[whole.metadata["hour_train"] - 1, whole.metadata["node_train"]]
    low, high = raw_train.min(), raw_train.max()
    column = task.metadata["feature_names"].index("flow_t-0")
    expected = np.clip((raw_last - low) / (high - low), 0, 1)
    np.testing.assert_allclose(task.X_val[:, column], expected, atol=1e-12)


def test_development_view_has_no_test_split():
    task = load_task("digits", seed=0)
    dev = task.development()
    np.testing.assert_array_equal(dev.X_val, task.X_val)
    np.testing.assert_array_equal(dev.X_train, task.X_train)
    for name in ("X_test", "y_test"):
        assert not hasattr(dev, name)
        with pytest.raises(AttributeError, match="no test split"):
            getattr(dev, name)
    city = load_task("city_traffic", seed=0, rows=3, cols=3, n_days=5).development()
    assert not [key for key in city.metadata if key.endswith("_test")]
    assert "node_val" in city.metadata


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, "0.2", True, float("nan")])
def test_bad_validation_size_is_named(bad):
    # a wrong type is a TypeError, a wrong value a ValueError (core.params)
    error = TypeError if isinstance(bad, (str, bool)) else ValueError
    with pytest.raises(error, match="validation_size"):
        load_task("iris", validation_size=bad)


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
        dict(name="imagenet"),
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
        load_task("imagenet")
