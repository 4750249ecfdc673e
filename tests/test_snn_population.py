"""SNNPopulation: the population protocol, one block-diagonal Brian2 network for all agents.

The strong check: agent i of a population learns bit for bit what a standalone
STDPClassifier seeded with agent i's generator learns from the same data.
"""

import numpy as np
import pytest
from brian2 import ms

from snn import SNNPopulation, STDPClassifier, _brian
from tasks import load_task

FAST = dict(presentation_time=50 * ms, rest_time=20 * ms)
SEED = 42


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch):
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")


@pytest.fixture(scope="module")
def iris():
    return load_task("iris", seed=0)


def agent_rng(seed, n_agents, i):
    return np.random.default_rng(seed).spawn(n_agents)[i]


def test_protocol_attributes():
    pop = SNNPopulation(2, n_features=3, classes=["b", "a"], n_neurons=4, random_state=0, **FAST)
    assert pop.kind == "snn" and pop.cost_unit == "SOP" and pop.n_agents == 2
    assert pop.classes_.tolist() == ["b", "a"]  # order as given
    assert pop.cost().empty


@pytest.mark.slow
@pytest.mark.numpy_target
def test_agent_equals_standalone_classifier_with_its_seed(iris):
    n_agents = 3
    Xs = [iris.X_train[:9], iris.X_train[20:26], iris.X_train[40:52]]
    ys = [iris.y_train[:9], iris.y_train[20:26], iris.y_train[40:52]]
    pop = SNNPopulation(n_agents, 4, classes=[0, 1, 2], n_neurons=5, random_state=SEED, **FAST)
    pop.partial_fit(Xs, ys)
    pop.partial_fit([Xs[2][:4], Xs[0][:3], Xs[1][:0]], [ys[2][:4], ys[0][:3], ys[1][:0]])
    shared = pop.predict_proba(iris.X_test[:10])
    for i in (0, 1):
        alone = STDPClassifier(n_neurons=5, random_state=agent_rng(SEED, n_agents, i), **FAST)
        alone.partial_fit(Xs[i], ys[i], classes=[0, 1, 2])
        second = [(Xs[2][:4], ys[2][:4]), (Xs[0][:3], ys[0][:3])][i]
        alone.partial_fit(*second)
        state = pop.get_agent_weights(i)
        assert np.array_equal(state["weights"], alone.weights_)
        assert np.array_equal(state["theta"], alone.theta_)
        assert np.array_equal(shared[i], alone.predict_proba(iris.X_test[:10]))


def test_agents_do_not_interact(iris):
    X, y = iris.X_train, iris.y_train
    first = SNNPopulation(2, 4, classes=[0, 1, 2], n_neurons=4, random_state=1, **FAST)
    second = SNNPopulation(2, 4, classes=[0, 1, 2], n_neurons=4, random_state=1, **FAST)
    first.partial_fit([X[:6], X[10:16]], [y[:6], y[10:16]])
    second.partial_fit([X[:6], X[60:75]], [y[:6], y[60:75]])  # agent 1's data changes
    assert np.array_equal(
        first.get_agent_weights(0)["weights"], second.get_agent_weights(0)["weights"]
    )
    assert not np.array_equal(
        first.get_agent_weights(1)["weights"], second.get_agent_weights(1)["weights"]
    )


def test_agent_without_data_does_not_learn_or_spend(iris):
    pop = SNNPopulation(2, 4, classes=[0, 1, 2], n_neurons=4, random_state=2, **FAST)
    before = pop.get_agent_weights(1)
    pop.partial_fit([iris.X_train[:5], np.empty((0, 4))], [iris.y_train[:5], np.array([])])
    after = pop.get_agent_weights(1)
    assert all(np.array_equal(before[key], after[key]) for key in before)
    spent = pop.cost().query("phase == 'train'").groupby("agent")["count"].sum()
    assert spent[1] == 0 and spent[0] > 0
    assert pop.samples_seen_.tolist() == [5, 0]


def test_shared_and_listed_predictions_agree(iris):
    pop = SNNPopulation(
        3, 4, classes=[0, 1, 2], n_neurons=4, random_state=3, readout="linear", **FAST
    )
    pop.partial_fit([iris.X_train[:8]] * 3, [iris.y_train[:8]] * 3)
    X = iris.X_test[:6]
    shared = pop.predict_proba(X)
    assert shared.shape == (3, 6, 3) and np.allclose(shared.sum(axis=2), 1)
    listed = pop.predict_proba([X, X, X[:2]])
    assert [p.shape for p in listed] == [(6, 3), (6, 3), (2, 3)]
    assert np.array_equal(listed[0], shared[0])
    labels = pop.predict(X)
    assert labels.shape == (3, 6) and set(np.unique(labels)) <= {0, 1, 2}


def test_get_and_set_params_round_trip_and_validation():
    pop = SNNPopulation(2, 2, classes=[0, 1], n_neurons=3, random_state=4, **FAST)
    params = pop.get_agent_weights(0)
    assert set(params) == {"weights", "theta", "readout_response_sum", "readout_class_count"}
    params["weights"] = np.full_like(params["weights"], 0.25)
    pop.set_agent_weights(1, params)
    assert np.array_equal(pop.get_agent_weights(1)["weights"], params["weights"])
    params["weights"][0, 0] = 7.0  # mutating the copy does not touch the agent
    assert pop.get_agent_weights(1)["weights"][0, 0] == 0.25
    with pytest.raises(ValueError, match="keys"):
        pop.set_agent_weights(0, {"weights": params["weights"]})
    wrong = dict(params, theta=np.zeros(5))
    with pytest.raises(ValueError, match="theta"):
        pop.set_agent_weights(0, wrong)
    with pytest.raises(ValueError, match=r"i must be an integer in \[0, 2\)"):
        pop.get_agent_weights(2)


def test_bad_input_is_refused_naming_the_parameter():
    with pytest.raises(ValueError, match="n_agents"):
        SNNPopulation(0, 2, classes=[0, 1])
    with pytest.raises(ValueError, match="classes"):
        SNNPopulation(2, 2, classes=[1])
    with pytest.raises(ValueError, match="unknown SNNPopulation parameter"):
        SNNPopulation(2, 2, classes=[0, 1], learning_rate=0.1)
    with pytest.raises(TypeError, match="presentation_time"):
        SNNPopulation(2, 2, classes=[0, 1], presentation_time=350)
    with pytest.raises(ValueError, match="unknown rule=.*known"):
        SNNPopulation(2, 2, classes=[0, 1], rule="hebb")
    pop = SNNPopulation(2, 2, classes=[0, 1], n_neurons=3, **FAST)
    good = np.array([[0.1, 0.2]])
    with pytest.raises(ValueError, match="one entry per agent"):
        pop.partial_fit([good], [np.array([0])])
    with pytest.raises(ValueError, match=r"Xs\[1\]"):
        pop.partial_fit([good, good * 9], [np.array([0]), np.array([1])])
    with pytest.raises(ValueError, match=r"ys\[0\].*not in classes"):
        pop.partial_fit([good, good], [np.array([5]), np.array([1])])
