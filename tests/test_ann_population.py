"""MLPPopulation: the population protocol, and each agent equals a lone MLPClassifier."""

import numpy as np
import pytest

from ann import MLPClassifier, MLPPopulation
from tasks import load_task


@pytest.fixture(scope="module")
def digits():
    return load_task("digits", seed=0)


def shards(task, lengths, seed=0):
    rng = np.random.default_rng(seed)
    picks = [rng.choice(len(task.X_train), n, replace=False) for n in lengths]
    return [task.X_train[p] for p in picks], [task.y_train[p] for p in picks]


def test_protocol_attributes():
    pop = MLPPopulation(4, 2, ["yes", "no"], random_state=0)
    assert pop.kind == "ann" and pop.cost_unit == "MAC" and pop.n_agents == 4
    assert pop.classes_.tolist() == ["yes", "no"]  # kept in the order given
    assert pop.cost().shape == (4,) and not pop.cost().any()


@pytest.mark.parametrize(
    "rule, optimizer",
    [("backprop", "adam"), ("feedback_alignment", "momentum"), ("backprop", "sgd")],
)
def test_each_agent_equals_a_lone_classifier_on_its_own_data(digits, rule, optimizer):
    lengths = [0, 1, 13, 70, 150]
    Xs, ys = shards(digits, lengths)
    seed = 7
    # float64, so that agreement to 1e-9 tests the algorithm, not rounding.
    params = dict(
        hidden_layer_sizes=(16, 8), rule=rule, optimizer=optimizer, batch_size=32, dtype="float64"
    )
    pop = MLPPopulation(len(lengths), 64, np.arange(10), random_state=seed, **params)
    lone = [
        MLPClassifier(random_state=np.random.SeedSequence(seed).spawn(len(lengths))[i], **params)
        for i in range(len(lengths))
    ]
    for _ in range(3):
        pop.partial_fit(Xs, ys)
        for clf, X, y in zip(lone, Xs, ys):
            if len(X):
                clf.partial_fit(X, y, classes=np.arange(10))
    shared = pop.predict_proba(digits.X_test)
    assert shared.shape == (len(lengths), len(digits.X_test), 10)
    for i, (clf, n) in enumerate(zip(lone, lengths)):
        if n:
            np.testing.assert_allclose(
                shared[i], clf.predict_proba(digits.X_test), rtol=1e-9, atol=1e-12
            )
            # the population counts its inference too; the estimator prices it with cost(X)
            assert pop.cost()[i] == clf.cost(digits.X_test)["count"].sum()
            assert pop.samples_seen_[i] == 3 * n
    # The agent that never learned still has its initial weights.
    untouched = MLPPopulation(len(lengths), 64, np.arange(10), random_state=seed, **params)
    for key, value in untouched.get_agent_weights(0).items():
        np.testing.assert_array_equal(pop.get_agent_weights(0)[key], value)
    assert np.isnan(pop.loss_[0]) and np.isfinite(pop.loss_[1:]).all()


def test_agents_do_not_depend_on_population_size_or_neighbours(digits):
    Xs, ys = shards(digits, [40, 40, 40, 40])
    small = MLPPopulation(2, 64, np.arange(10), random_state=3).partial_fit(Xs[:2], ys[:2])
    large = MLPPopulation(4, 64, np.arange(10), random_state=3).partial_fit(Xs, ys)
    for i in range(2):
        for key, value in small.get_agent_weights(i).items():
            np.testing.assert_allclose(large.get_agent_weights(i)[key], value, rtol=1e-12)
    other = MLPPopulation(4, 64, np.arange(10), random_state=4).partial_fit(Xs, ys)
    assert not np.allclose(
        other.get_agent_weights(0)["weights_0"], large.get_agent_weights(0)["weights_0"]
    )
    again = MLPPopulation(4, 64, np.arange(10), random_state=3).partial_fit(Xs, ys)
    np.testing.assert_array_equal(
        again.predict_proba(digits.X_test), large.predict_proba(digits.X_test)
    )


def test_predict_layouts_and_probabilities():
    pop = MLPPopulation(3, 2, ["b", "a", "c"], hidden_layer_sizes=(5,), random_state=0)
    X = np.random.default_rng(0).uniform(size=(6, 2))
    stacked = pop.predict_proba(X)
    assert stacked.shape == (3, 6, 3)
    np.testing.assert_allclose(stacked.sum(axis=-1), 1.0)
    labels = pop.predict(X)
    assert labels.shape == (3, 6)
    np.testing.assert_array_equal(labels, pop.classes_[stacked.argmax(axis=-1)])
    per_agent = pop.predict_proba([X, X[:2], X[:0]])
    assert isinstance(per_agent, list) and [p.shape for p in per_agent] == [(6, 3), (2, 3), (0, 3)]
    np.testing.assert_allclose(per_agent[0], stacked[0], rtol=1e-12)
    np.testing.assert_allclose(per_agent[1], stacked[1, :2], rtol=1e-12)
    assert [p.tolist() for p in pop.predict([X[:1], X[:0], X[:2]])] == [
        labels[0, :1].tolist(),
        [],
        labels[2, :2].tolist(),
    ]
    # Columns follow classes_ as given: training on "a" only raises column 1.
    for _ in range(20):
        pop.partial_fit([X] * 3, [np.array(["a"] * 6)] * 3)
    assert (pop.predict_proba(X)[..., 1] > 0.5).all()
    assert (pop.predict(X) == "a").all()


def test_cost_counts_training_and_inference_macs():
    pop = MLPPopulation(3, 4, [0, 1], hidden_layer_sizes=(5, 3), random_state=0)
    forward = 4 * 5 + 5 * 3 + 3 * 2
    training = forward + forward + 5 * 3 + 3 * 2
    X = np.random.default_rng(0).uniform(size=(10, 4))
    y = np.arange(10) % 2
    pop.partial_fit([X, X[:3], X[:0]], [y, y[:3], y[:0]])
    np.testing.assert_array_equal(pop.cost(), np.array([10, 3, 0]) * training)
    pop.predict(X)
    pop.predict([X[:1], X[:0], X[:4]])
    np.testing.assert_array_equal(pop.inference_macs_, np.array([11, 10, 14]) * forward)
    np.testing.assert_array_equal(pop.cost(), pop.training_macs_ + pop.inference_macs_)


def test_get_and_set_params_for_gossip():
    pop = MLPPopulation(3, 4, [0, 1, 2], hidden_layer_sizes=(6,), dtype="float64", random_state=0)
    params = [pop.get_agent_weights(i) for i in range(3)]
    assert sorted(params[0]) == ["biases_0", "biases_1", "weights_0", "weights_1"]
    assert params[0]["weights_0"].shape == (4, 6) and params[0]["biases_1"].shape == (3,)
    params[0]["weights_0"][:] = 0  # a copy: the agent is unaffected
    assert pop.get_agent_weights(0)["weights_0"].any()
    X = np.random.default_rng(1).uniform(size=(5, 4))
    average = {k: (params[1][k] + params[2][k]) / 2 for k in params[1]}
    pop.set_agent_weights(0, average)
    for key in average:
        np.testing.assert_array_equal(pop.get_agent_weights(0)[key], average[key])
    pop.set_agent_weights(1, pop.get_agent_weights(2))
    proba = pop.predict_proba(X)
    np.testing.assert_array_equal(proba[1], proba[2])
    # An averaged agent computes the network of the averaged parameters.
    W0, b0, W1, b1 = (average[k] for k in ("weights_0", "biases_0", "weights_1", "biases_1"))
    z = np.maximum(X @ W0 + b0, 0) @ W1 + b1
    expected = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(proba[0], expected / expected.sum(1, keepdims=True), rtol=1e-12)


def test_population_learns_digits_from_small_shards(digits):
    n_agents = 10
    parts = np.array_split(np.random.default_rng(0).permutation(len(digits.X_train)), n_agents)
    Xs, ys = [digits.X_train[p] for p in parts], [digits.y_train[p] for p in parts]
    pop = MLPPopulation(
        n_agents, 64, np.arange(10), batch_size=16, epochs_per_call=5, random_state=0
    )
    for _ in range(4):
        pop.partial_fit(Xs, ys)
    accuracy = (pop.predict(digits.X_test) == digits.y_test).mean(axis=1)
    assert accuracy.shape == (n_agents,)
    assert np.median(accuracy) > 0.85, accuracy
