"""SpikingMLPPopulation: agents equal lone estimators; a society of three kinds of agent runs."""

import numpy as np
import pandas as pd
import pytest

from ann import SpikingMLPClassifier, SpikingMLPPopulation
from tasks import load_task


@pytest.mark.parametrize(
    "rule, encoding, hidden",
    [("backprop", "rate", (8,)), ("feedback_alignment", "current", (8, 5))],
)
def test_stacked_agents_learn_what_a_loop_of_lone_estimators_learns(rule, encoding, hidden):
    """The stack against the per-agent loop it replaces: one lone estimator per agent,
    seeded with that agent's generator, fed the same data (ragged, one agent idle)."""
    task = load_task("iris", seed=0)
    params = dict(n_steps=6, batch_size=16, rule=rule, encoding=encoding, dtype="float64")
    pop = SpikingMLPPopulation(3, 4, [2, 0, 1], hidden_layer_sizes=hidden, random_state=5, **params)
    parts = [task.X_train[:30], task.X_train[30:40], task.X_train[:0]]
    labels = [task.y_train[:30], task.y_train[30:40], task.y_train[:0]]
    pop.partial_fit(parts, labels)
    pop.partial_fit(parts, labels)
    lone = []
    for rng, X, y in zip(np.random.default_rng(5).spawn(3), parts, labels):
        agent = SpikingMLPClassifier(hidden, random_state=rng, **params)
        if len(X):
            agent.partial_fit(X, y, classes=[0, 1, 2])
            agent.partial_fit(X, y)
        lone.append(agent)
    for i in (0, 1):
        weights = pop.get_agent_weights(i)
        for l, (W, b) in enumerate(zip(lone[i].coefs_, lone[i].intercepts_)):
            np.testing.assert_allclose(weights[f"weights_{l}"], W, rtol=0, atol=1e-12)
            np.testing.assert_allclose(weights[f"biases_{l}"], b, rtol=0, atol=1e-12)
        assert np.abs(weights["weights_0"] - pop.get_agent_weights(2)["weights_0"]).max() > 1e-3
    # Columns follow the population's class order [2, 0, 1].
    np.testing.assert_allclose(
        pop.predict_proba([task.X_test] * 3)[1],
        lone[1].predict_proba(task.X_test)[:, [2, 0, 1]],
        rtol=0,
        atol=1e-12,
    )
    assert pop.samples_seen_.tolist() == [60, 20, 0]
    cost = pop.cost()
    for i in (0, 1):
        expected = lone[i].cost(task.X_test).set_index(["phase", "category"])["count"]
        ours = cost[cost.agent == i].set_index(["phase", "category"])["count"]
        pd.testing.assert_series_equal(ours, expected)
    assert (cost[cost.agent == 2]["count"] > 0).sum() == (
        cost[(cost.agent == 2) & (cost.phase == "inference")]["count"] > 0
    ).sum()  # the idle agent only predicted


def test_agent_weights_round_trip_and_bad_weights_are_named():
    # (current input: no encoding draws, which differ between agents)
    pop = SpikingMLPPopulation(
        2, 4, [0, 1, 2], hidden_layer_sizes=(5,), random_state=0, encoding="current"
    )
    weights = pop.get_agent_weights(0)
    pop.set_agent_weights(1, weights)
    X = np.random.default_rng(0).uniform(size=(7, 4))
    probabilities = pop.predict_proba(X)
    np.testing.assert_array_equal(probabilities[0], probabilities[1])
    with pytest.raises(ValueError, match="weights_0"):
        pop.set_agent_weights(0, {**weights, "weights_0": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="n_steps"):
        SpikingMLPPopulation(2, 4, [0, 1], n_steps=0)


@pytest.mark.slow
@pytest.mark.numpy_target
def test_a_society_of_three_kinds_of_agent_runs():
    from brian2 import ms

    from social import Society

    kinds = ("ann", "snn", "spiking_mlp")
    agents = {i: kinds[i % 3] for i in range(6)}
    params = {
        "snn": {"n_neurons": 6, "presentation_time": 40 * ms, "rest_time": 10 * ms},
        "spiking_mlp": {
            "hidden_layer_sizes": (16,),
            "n_steps": 8,
            "learning_rate": 0.05,
            "epochs_per_call": 3,
        },
    }
    society = Society(
        "complete",
        agents,
        "iris",
        "gossip",
        random_state=0,
        n_agents=6,
        local_batch=30,
        n_eval=30,
        agent_params=params,
    )
    table = society.run(3)
    assert sorted(table["type"].unique()) == sorted(kinds)
    spiking = table[table["type"] == "spiking_mlp"]
    assert len(spiking) == 2 * 3
    # Gossip averages the two spiking MLPs' weights: they end the round identical.
    members = np.flatnonzero(society.types_ == "spiking_mlp")
    first, second = (society.get_agent_weights(int(i)) for i in members)
    for key in first:
        np.testing.assert_allclose(first[key], second[key])
    # Local learning on iris lifts them above chance (1/3).
    assert spiking.groupby("round")["accuracy"].mean().iloc[-1] > 0.5
