"""Gradients against finite differences, and feedback alignment against backprop."""

import numpy as np
import pytest

from ann import ACTIVATIONS
from ann.network import StackedMLP


def make_network(
    activation,
    loss,
    *,
    layer_sizes=(4, 5, 3, 3),
    rule="backprop",
    n_networks=None,
    alpha=0.1,
    seed=0,
):
    network = StackedMLP(
        layer_sizes,
        n_networks,
        activation=activation,
        loss=loss,
        rule=rule,
        optimizer="sgd",
        learning_rate=0.1,
        alpha=alpha,
    )
    rngs = np.random.default_rng(seed).spawn(2 * (n_networks or 1))
    if n_networks is None:
        network.initialize(rngs[0], rngs[1])
    else:
        network.initialize(rngs[:n_networks], rngs[n_networks:])
    # Biases start non-zero so that every parameter's derivative is exercised.
    network.theta += 0.1 * np.random.default_rng(seed + 1).standard_normal(network.theta.shape)
    return network


def make_batch(loss, n_samples, n_features, n_outputs, rng, lead=()):
    X = rng.uniform(-1, 1, lead + (n_samples, n_features))
    if loss == "cross_entropy":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, lead + (n_samples,))]
    else:
        Y = rng.standard_normal(lead + (n_samples, n_outputs))
    return X, Y


def finite_difference(network, X, Y, weight, n_valid, eps=1e-6):
    """Central differences of the loss with respect to every entry of theta."""
    theta = network.theta
    numeric = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        saved = theta[index]
        theta[index] = saved + eps
        plus = network.loss_and_gradient(X, Y, weight, n_valid)[0]
        theta[index] = saved - eps
        minus = network.loss_and_gradient(X, Y, weight, n_valid)[0]
        theta[index] = saved
        # For a stack, entry index[0] belongs to network index[0].
        numeric[index] = ((plus - minus) / (2 * eps))[index[:-1]]
    return numeric


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_gradient_matches_finite_differences(activation, loss):
    rng = np.random.default_rng(3)
    network = make_network(activation, loss)
    X, Y = make_batch(loss, 7, 4, 3, rng)
    _, analytic, _ = network.loss_and_gradient(X, Y, 1 / 7, 7)
    numeric = finite_difference(network, X, Y, 1 / 7, 7)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_stacked_gradients_ignore_padding_rows():
    """Each network of a stack gets the gradient of its own real rows only."""
    rng = np.random.default_rng(4)
    network = make_network("tanh", "cross_entropy", n_networks=3)
    X, Y = make_batch("cross_entropy", 6, 4, 3, rng, lead=(3,))
    lengths = np.array([6, 2, 4])
    valid = np.arange(6) < lengths[:, None]
    X[~valid] = 1e3  # garbage in padding must not matter
    weight = valid / lengths[:, None]
    _, analytic, _ = network.loss_and_gradient(X, Y, weight, lengths)
    numeric = finite_difference(network, X, Y, weight, lengths)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    # ... and equals the gradient of the unpadded data.
    single = make_network("tanh", "cross_entropy")
    for i, n in enumerate(lengths):
        single.theta[:] = network.theta[i]
        _, own, _ = single.loss_and_gradient(X[i, :n], Y[i, :n], 1 / n, n)
        np.testing.assert_allclose(analytic[i], own, rtol=1e-12, atol=1e-14)


def test_feedback_alignment_uses_its_fixed_random_matrices():
    rng = np.random.default_rng(5)
    X, Y = make_batch("cross_entropy", 8, 4, 3, rng)
    backprop = make_network("tanh", "cross_entropy", rule="backprop", alpha=0.0)
    feedback = make_network("tanh", "cross_entropy", rule="feedback_alignment", alpha=0.0)
    np.testing.assert_array_equal(backprop.theta, feedback.theta)
    _, grad_bp, _ = backprop.loss_and_gradient(X, Y, 1 / 8, 8)
    _, grad_fa, _ = feedback.loss_and_gradient(X, Y, 1 / 8, 8)

    def split(network, grad):
        view = StackedMLP(
            network.layer_sizes,
            None,
            activation="tanh",
            loss="cross_entropy",
            rule="backprop",
            optimizer="sgd",
            learning_rate=1.0,
            alpha=0.0,
        )
        view.theta[:] = grad
        return view.weights, view.biases

    (w_bp, b_bp), (w_fa, b_fa) = split(backprop, grad_bp), split(feedback, grad_fa)
    # Output layer: the same gradient under both rules.
    np.testing.assert_allclose(w_fa[-1], w_bp[-1], rtol=1e-12)
    np.testing.assert_allclose(b_fa[-1], b_bp[-1], rtol=1e-12)
    # Hidden layers: different.
    for layer in range(len(w_bp) - 1):
        assert not np.allclose(w_fa[layer], w_bp[layer])
    # ... and exactly what the feedback matrices B prescribe, computed by hand.
    B = feedback.rule_state
    assert sorted(B) == ["feedback_1", "feedback_2"]
    assert B["feedback_2"].shape == (3, 3) and B["feedback_1"].shape == (3, 5)
    a0, a1, a2, out = feedback.forward(X)
    d3 = (out - Y) / 8
    d2 = (d3 @ B["feedback_2"]) * (1 - a2**2)
    d1 = (d2 @ B["feedback_1"]) * (1 - a1**2)
    np.testing.assert_allclose(w_fa[1], a1.T @ d2, rtol=1e-12)
    np.testing.assert_allclose(w_fa[0], a0.T @ d1, rtol=1e-12)
    # With B replaced by W^T, feedback alignment *is* backpropagation.
    feedback.rule_state = {
        "feedback_1": feedback.weights[1].T.copy(),
        "feedback_2": feedback.weights[2].T.copy(),
    }
    np.testing.assert_allclose(feedback.loss_and_gradient(X, Y, 1 / 8, 8)[1], grad_bp, rtol=1e-12)


def test_feedback_matrices_stay_fixed_during_training():
    from ann import MLPClassifier
    from tasks import load_task

    task = load_task("iris", seed=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(8, 8), rule="feedback_alignment", epochs=1, random_state=0
    ).fit(task.X_train, task.y_train)
    before = {k: v.copy() for k, v in clf.rule_state_.items()}
    weights_before = [W.copy() for W in clf.coefs_]
    for _ in range(5):
        clf.partial_fit(task.X_train, task.y_train)
    for key, value in before.items():
        np.testing.assert_array_equal(clf.rule_state_[key], value)
    assert not np.allclose(clf.coefs_[0], weights_before[0])
