"""The Learner contract of :mod:`core.learner`, checked on every estimator of the project.

Each of the six estimators (the MLPs, the surrogate-gradient spiking MLPs, the STDP networks;
classifier and regressor of each) must:

* be a :class:`core.learner.Learner`;
* refuse to predict, score or report a prediction's cost before it is fitted, with
  scikit-learn's NotFittedError;
* report its cost in one shape, which the energy model prices: ``phase``, ``category``,
  ``count`` rows, training only until a prediction's cost is asked for;
* keep one history schema: the keys of :class:`core.learner.HistoryEntry`, epochs numbered
  from 1, ``samples_seen`` cumulative, ``wall_seconds`` the epoch's own time (so the epochs'
  times add up to no more than the whole fit took);
* leave its learned state untouched when it predicts, scores or reports a cost (compared
  through the complete state it saves, random generators included);
* keep its previous model when a fit or a partial fit fails (here: interrupted, as Ctrl-C
  would, at the progress report of its last piece of work, when all training has been done).

The three populations (:class:`core.learner.Population`) keep theirs: predicting changes no
agent's weights nor the training counts, and a ``partial_fit`` refused for a bad input
changes nothing at all.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from brian2 import ms
from sklearn.exceptions import NotFittedError

from ann import (
    MLPClassifier,
    MLPPopulation,
    MLPRegressor,
    SpikingMLPClassifier,
    SpikingMLPPopulation,
    SpikingMLPRegressor,
)
from core import progress
from core.energy import COST_TABLES, total_joules
from core.learner import HistoryEntry, Learner, Population
from core.opcounts import CATEGORIES, REFERENCE_CATEGORIES
from snn import SNNPopulation, STDPClassifier, STDPRegressor

BRIEF = dict(presentation_time=20 * ms, rest_time=5 * ms, random_state=0, verbose=1)
LEARNERS = {
    "MLPClassifier": lambda: MLPClassifier((8,), epochs=3, random_state=0, verbose=1),
    "MLPRegressor": lambda: MLPRegressor((8,), epochs=3, random_state=0, verbose=1),
    "SpikingMLPClassifier": lambda: SpikingMLPClassifier(
        (8,), n_steps=5, epochs=3, random_state=0, verbose=1
    ),
    "SpikingMLPRegressor": lambda: SpikingMLPRegressor(
        (8,), n_steps=5, epochs=3, random_state=0, verbose=1
    ),
    "STDPClassifier": lambda: STDPClassifier(n_neurons=4, epochs=1, **BRIEF),
    "STDPRegressor": lambda: STDPRegressor(n_neurons=4, epochs=1, **BRIEF),
}


def data(name, n=12, seed=0):
    """Features in [0, 1] (the spiking networks' input range) and labels or targets."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    if name.endswith("Classifier"):
        return X, np.where(X[:, 0] > X[:, 1], "on", "off")
    return X, X @ np.array([1.0, -0.5, 0.25])


def state(estimator):
    """Everything the estimator would save, plus its cost table: what must not change."""
    arrays, meta = estimator._full_state()
    return (
        {key: np.array(value, copy=True) for key, value in arrays.items()},
        meta,
        (estimator.cost().to_dict("list")),
    )


def assert_same_state(before, after):
    arrays_before, meta_before, cost_before = before
    arrays_after, meta_after, cost_after = after
    assert sorted(arrays_after) == sorted(arrays_before)
    for key, value in arrays_before.items():
        np.testing.assert_array_equal(arrays_after[key], value, err_msg=key)
    assert meta_after == meta_before
    assert cost_after == cost_before


def outputs(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


# The STDP networks' Brian2 runs make theirs the slow half: they run with the slow suite.
@pytest.fixture(
    params=[
        pytest.param(name, marks=pytest.mark.slow) if name.startswith("STDP") else name
        for name in sorted(LEARNERS)
    ]
)
def name(request):
    return request.param


@pytest.fixture(autouse=True)
def quiet_progress(monkeypatch):
    """verbose=1 makes every fit report progress; the reports are not wanted in the output."""
    monkeypatch.setattr(progress, "INTERVAL", 1e9)


def test_every_estimator_is_a_learner(name):
    assert isinstance(LEARNERS[name](), Learner)


def test_an_unfitted_estimator_refuses_to_predict_score_or_cost_a_prediction(name):
    estimator = LEARNERS[name]()
    X, y = data(name)
    calls = [estimator.predict, lambda X: estimator.score(X, y), estimator.cost]
    if hasattr(estimator, "predict_proba"):
        calls.append(estimator.predict_proba)
    for call in calls:
        with pytest.raises(NotFittedError):
            call(X)


def test_the_history_has_one_schema(name):
    X, y = data(name)
    started = time.perf_counter()
    estimator = LEARNERS[name]().fit(X, y)
    elapsed = time.perf_counter() - started
    history = estimator.history_
    assert history, "fit recorded no epoch"
    for entry in history:
        assert set(HistoryEntry.__annotations__) <= set(entry), entry
    assert [entry["epoch"] for entry in history] == list(range(1, len(history) + 1))
    seen = [entry["samples_seen"] for entry in history]
    assert seen == sorted(seen) and seen[-1] > 0
    assert all(entry["wall_seconds"] >= 0 for entry in history)
    assert sum(entry["wall_seconds"] for entry in history) <= elapsed


def test_the_cost_has_one_shape_that_the_energy_model_prices(name):
    X, y = data(name)
    estimator = LEARNERS[name]().fit(X, y)
    trained, predicting = estimator.cost(), estimator.cost(X)
    for table in (trained, predicting):
        assert list(table.columns) == ["phase", "category", "count"]
        assert set(table["category"]) <= set(CATEGORIES) | set(REFERENCE_CATEGORIES)
        assert table["count"].dtype.kind == "i" and (table["count"] >= 0).all()
    assert set(trained["phase"]) == {"train"}
    assert set(predicting["phase"]) == {"train", "inference"}
    training_rows = predicting[predicting["phase"] == "train"].reset_index(drop=True)
    assert training_rows.equals(trained)
    for phase in ("train", "inference"):
        joules = total_joules(predicting, list(COST_TABLES), phase=phase)
        assert len(joules) == len(COST_TABLES) and (joules > 0).all(), (phase, joules)


def test_predicting_scoring_and_costing_change_nothing(name):
    X, y = data(name)
    estimator = LEARNERS[name]().fit(X, y)
    before = state(estimator)
    first = outputs(estimator, X)
    estimator.predict(X)
    estimator.score(X, y)
    estimator.cost(X)
    assert_same_state(before, state(estimator))
    np.testing.assert_array_equal(outputs(estimator, X), first)


class Interrupted(KeyboardInterrupt):
    """Raised by the patched progress bar: a user's Ctrl-C part-way through a fit."""


@pytest.fixture
def interrupt_at_the_end(monkeypatch):
    """Make the progress report that completes a fit's work raise :class:`Interrupted`."""
    original = progress.Progress.set

    def set_or_interrupt(self, done):
        if done >= self.total:
            raise Interrupted
        original(self, done)

    def arm():
        monkeypatch.setattr(progress.Progress, "set", set_or_interrupt)

    return arm


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_fit_that_fails_leaves_the_previous_model(name, method, interrupt_at_the_end):
    X, y = data(name)
    estimator = LEARNERS[name]().fit(X, y)
    before = state(estimator)
    first = outputs(estimator, X)
    X_new, y_new = data(name, seed=1)
    interrupt_at_the_end()
    with pytest.raises(Interrupted):
        getattr(estimator, method)(X_new, y_new)
    assert_same_state(before, state(estimator))
    np.testing.assert_array_equal(outputs(estimator, X), first)


CLASSES = ["off", "on"]
POPULATIONS = {
    "MLPPopulation": lambda: MLPPopulation(3, 3, CLASSES, (8,), random_state=0),
    "SpikingMLPPopulation": lambda: SpikingMLPPopulation(
        3, 3, CLASSES, (8,), random_state=0, n_steps=5
    ),
    "SNNPopulation": lambda: SNNPopulation(
        3, 3, CLASSES, n_neurons=4, random_state=0, presentation_time=20 * ms, rest_time=5 * ms
    ),
}


def population_state(population):
    """Every agent's weights, the samples seen and the training counts."""
    weights = [population.get_agent_weights(i) for i in range(population.n_agents)]
    cost = population.cost()
    return weights, np.array(population.samples_seen_), cost[cost["phase"] == "train"]


def assert_same_population_state(before, after):
    for agent, (got, expected) in enumerate(zip(after[0], before[0])):
        assert sorted(got) == sorted(expected)
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=f"agent {agent} {key}")
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2].reset_index(drop=True).equals(before[2].reset_index(drop=True))


@pytest.mark.parametrize("name", sorted(POPULATIONS))
def test_a_population_predicts_without_learning_and_refuses_bad_input_before_any_work(name):
    population = POPULATIONS[name]()
    assert isinstance(population, Population)
    shards = [data("Classifier", seed=agent) for agent in range(3)]
    Xs, ys = [X for X, _ in shards], [y for _, y in shards]
    population.partial_fit(Xs, ys)
    before = population_state(population)
    probabilities = population.predict_proba(Xs)
    labels = population.predict(Xs)
    for agent in range(3):
        expected = population.classes_[probabilities[agent].argmax(axis=1)]
        np.testing.assert_array_equal(labels[agent], expected)
    assert_same_population_state(before, population_state(population))
    calls = population.n_calls_ if hasattr(population, "n_calls_") else None
    with pytest.raises(ValueError, match=r"Xs\[2\]"):
        population.partial_fit(Xs[:2] + [Xs[2][:, :2]], ys)  # the last agent's features cut
    with pytest.raises(ValueError, match=r"ys\[1\]"):
        population.partial_fit(Xs, [ys[0], np.full(len(ys[1]), "maybe"), ys[2]])
    assert_same_population_state(before, population_state(population))
    assert getattr(population, "n_calls_", None) == calls
