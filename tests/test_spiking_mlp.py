"""The surrogate-gradient spiking MLP: gradients against finite differences, conventions, bars."""

import collections

import numpy as np
import pytest
from sklearn.base import clone

from ann import load
from ann.spiking import (
    SpikingMLPClassifier,
    SpikingMLPRegressor,
    SpikingNetwork,
    encode,
    smooth_spike,
    surrogate_derivative,
)
from tasks import load_task


def make_network(loss="cross_entropy", rule="backprop", smooth=True, alpha=0.1, seed=0):
    network = SpikingNetwork(
        (4, 5, 3, 3),
        loss=loss,
        rule=rule,
        optimizer="sgd",
        learning_rate=0.1,
        alpha=alpha,
        membrane_decay=0.8,
        surrogate_steepness=2.0,
        smooth=smooth,
    )
    rng = np.random.default_rng(seed)
    network.initialize(*rng.spawn(2))
    network.theta += 0.3 * rng.standard_normal(network.theta.shape)
    return network


def make_batch(loss, rng, n_samples=6, n_steps=7):
    inputs = encode("rate", rng.uniform(0, 1, (n_samples, 4)), n_steps, rng)
    if loss == "cross_entropy":
        return inputs, np.eye(3)[rng.integers(0, 3, n_samples)]
    return inputs, rng.standard_normal((n_samples, 3))


def finite_difference(network, inputs, Y, eps=1e-6):
    numeric = np.zeros_like(network.theta)
    for index in range(network.theta.size):
        saved = network.theta[index]
        network.theta[index] = saved + eps
        plus = network.loss_and_gradient(inputs, Y)[0]
        network.theta[index] = saved - eps
        minus = network.loss_and_gradient(inputs, Y)[0]
        network.theta[index] = saved
        numeric[index] = (plus - minus) / (2 * eps)
    return numeric


def test_surrogate_is_the_derivative_of_the_smooth_spike():
    x = np.linspace(-3, 3, 13) + 0.01
    eps = 1e-6
    numeric = (smooth_spike(x + eps, 4.0) - smooth_spike(x - eps, 4.0)) / (2 * eps)
    np.testing.assert_allclose(surrogate_derivative(x, 4.0), numeric, rtol=1e-7)


@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
def test_backprop_through_time_matches_finite_differences_of_the_smoothed_network(loss):
    """With smooth spikes the network is differentiable: BPTT must give its exact gradient."""
    network = make_network(loss)
    inputs, Y = make_batch(loss, np.random.default_rng(1))
    _, analytic, _ = network.loss_and_gradient(inputs, Y)
    numeric = finite_difference(network, inputs, Y)
    assert np.abs(numeric).max() > 1e-3
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


def test_feedback_alignment_with_transposed_feedback_is_backprop():
    """Feedback alignment sends the error through its own matrices: set to W^T it must equal backprop."""
    inputs, Y = make_batch("cross_entropy", np.random.default_rng(2))
    backprop = make_network(rule="backprop", smooth=False)
    feedback = make_network(rule="feedback_alignment", smooth=False)
    feedback.theta[...] = backprop.theta
    _, random_grad, _ = feedback.loss_and_gradient(inputs, Y)
    _, exact, _ = backprop.loss_and_gradient(inputs, Y)
    n_out_params = feedback.weights[-1].size
    out_start = feedback.n_weights - n_out_params
    # The readout's own gradient does not depend on the rule; the hidden ones do.
    np.testing.assert_allclose(
        random_grad[out_start : feedback.n_weights], exact[out_start : feedback.n_weights]
    )
    assert not np.allclose(random_grad[:out_start], exact[:out_start])
    for key in feedback.rule_state:
        layer = int(key.rsplit("_", 1)[1])
        feedback.rule_state[key] = feedback.weights[layer].T.copy()
    _, aligned, _ = feedback.loss_and_gradient(inputs, Y)
    np.testing.assert_allclose(aligned, exact, rtol=1e-12, atol=1e-15)


def test_hard_spikes_are_binary_and_the_surrogate_gradient_is_finite():
    network = make_network(smooth=False)
    inputs, Y = make_batch("cross_entropy", np.random.default_rng(3), n_steps=20)
    loss, grad, fwd = network.loss_and_gradient(inputs, Y)
    for spikes in fwd.spikes[1:]:
        assert set(np.unique(spikes)) <= {0.0, 1.0}
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0


def test_counts_are_spikes_times_fan_out():
    network = make_network(smooth=False)
    inputs, Y = make_batch("cross_entropy", np.random.default_rng(4), n_steps=20)
    fwd = network.forward(inputs)
    counts = network.counts(fwd, training=False)
    sizes = network.layer_sizes
    expected = sum(int(fwd.spikes[l].sum()) * sizes[l + 1] for l in range(len(sizes) - 2))
    assert counts["synaptic_ops"] == expected
    assert counts["readout"] == int(fwd.spikes[-1].sum()) * sizes[-1]
    assert counts["output_spikes"] == int(fwd.spikes[1].sum() + fwd.spikes[2].sum())
    assert counts["lif_updates"] == 6 * 20 * (5 + 3)
    assert counts["encoding_draws"] == 6 * 20 * 4


class Tally(np.ndarray):
    """An array that tallies the elements every numpy ufunc it meets computes, by ufunc."""

    counts: collections.Counter = collections.Counter()

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [np.asarray(x) if isinstance(x, Tally) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, Tally) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        Tally.counts[ufunc.__name__] += int(np.size(result))
        if out is not None:
            return out[0]
        return result.view(Tally) if isinstance(result, np.ndarray) else result


def operations_per_neuron_step(run, n_elements):
    """(multiplies, adds) per neuron and step that ``run()`` computes, from the tally.

    By hand: a reciprocal counts as a multiply, an absolute value (a sign
    bit cleared) as free, a comparison as an add.
    """
    Tally.counts = collections.Counter()
    run()
    kinds = {"multiply": "mult", "divide": "mult", "add": "add", "subtract": "add"}
    kinds.update({"greater": "add", "absolute": None})
    assert set(Tally.counts) <= set(kinds), Tally.counts
    totals = collections.Counter()
    for name, count in Tally.counts.items():
        if kinds[name]:
            totals[kinds[name]] += count
    assert totals["mult"] % n_elements == 0 and totals["add"] % n_elements == 0
    return totals["mult"] // n_elements, totals["add"] // n_elements


def test_lif_update_prices_follow_the_operations_the_network_computes():
    """Hand count of one LIF step: bias add, input add, threshold test, reset
    (adds) and decay (multiply): 1 multiply, 4 adds. Backward: the surrogate
    1/(1 + a|m - 1|)^2 (m - 1, a*, 1 +, square, reciprocal) and the recursion
    (beta * lambda, two products, 1 - g, their sum): 6 multiplies, 4 adds. The
    tables price these, not the conductance neuron's 7 multiplies and 11 adds."""
    from core.energy import ARITHMETIC, get_cost_table, price

    assert ARITHMETIC["lif_updates"] == (1, 4)
    assert ARITHMETIC["lif_backward_updates"] == (6, 4)
    network = make_network(smooth=False)
    rng = np.random.default_rng(8)
    shape = (3, 7, 5)  # samples, steps, neurons
    current = rng.uniform(0, 0.8, shape).view(Tally)
    n = int(np.prod(shape))
    # lif_layer holds everything but the bias, which forward adds to the current.
    multiplies, adds = operations_per_neuron_step(lambda: network.lif_layer(current), n)
    assert (multiplies, adds + 1) == ARITHMETIC["lif_updates"]
    membranes = rng.uniform(0, 1.5, shape).view(Tally)
    grad_spikes = rng.standard_normal(shape).view(Tally)
    backward = operations_per_neuron_step(lambda: network._through_time(grad_spikes, membranes), n)
    assert backward == ARITHMETIC["lif_backward_updates"]
    # The spiking MLP's cost is priced with them: 3.7 + 4 * 0.9 pJ per update at 45 nm fp32.
    task = load_task("iris", seed=0)
    clf = SpikingMLPClassifier((8,), n_steps=5, epochs=1, random_state=0)
    clf.fit(task.X_train, task.y_train)
    priced = price(clf.cost(task.X_test), "horowitz45_fp32").set_index(["phase", "category"])
    updates = len(task.X_test) * 5 * 8
    assert priced.loc[("inference", "lif_updates"), "energy_pj"] == pytest.approx(
        updates * (3.7 + 4 * 0.9)
    )
    assert priced.loc[("train", "lif_backward_updates"), "energy_pj"] == pytest.approx(
        len(task.X_train) * 5 * 8 * (6 * 3.7 + 4 * 0.9)
    )
    assert "neuron_updates" not in set(priced.reset_index()["category"])
    assert get_cost_table("loihi").energy_pj["lif_updates"] == 52.0


# -- the estimators --------------------------------------------------------------------------


def test_constructor_stores_parameters_and_validation_happens_in_fit():
    clf = SpikingMLPClassifier(n_steps=-3, membrane_decay=2.0)
    assert clone(clf).get_params()["n_steps"] == -3
    task = load_task("iris", seed=0)
    with pytest.raises(ValueError, match="membrane_decay=2.0"):
        clf.fit(task.X_train, task.y_train)
    for params, name in [
        ({"n_steps": 0}, "n_steps"),
        ({"encoding": "phase"}, "encoding"),
        ({"surrogate_steepness": 0}, "surrogate_steepness"),
        ({"rule": "hebb"}, "rule"),
    ]:
        with pytest.raises(ValueError, match=name):
            SpikingMLPClassifier(**params).fit(task.X_train, task.y_train)


def test_predict_is_reproducible_changes_nothing_and_save_load_continues_exactly(tmp_path):
    task = load_task("iris", seed=0)
    clf = SpikingMLPClassifier((16,), epochs=3, random_state=0).fit(task.X_train, task.y_train)
    again = SpikingMLPClassifier((16,), epochs=3, random_state=0).fit(task.X_train, task.y_train)
    np.testing.assert_array_equal(clf.coefs_[0], again.coefs_[0])
    before = clf.cost()
    first = clf.predict_proba(task.X_test)
    clf.score(task.X_test, task.y_test)
    inference = clf.cost(task.X_test)
    np.testing.assert_array_equal(clf.predict_proba(task.X_test), first)
    assert before.equals(clf.cost())
    assert (inference.query("phase == 'inference'")["count"] > 0).sum() >= 3
    path = tmp_path / "spiking.npz"
    clf.save(path)
    loaded = load(path)
    assert type(loaded) is SpikingMLPClassifier
    np.testing.assert_array_equal(loaded.predict_proba(task.X_test), first)
    clf.partial_fit(task.X_train, task.y_train)
    loaded.partial_fit(task.X_train, task.y_train)
    np.testing.assert_array_equal(loaded.coefs_[0], clf.coefs_[0])
    assert loaded.history_ == clf.history_[:-1] + [loaded.history_[-1]]
    assert loaded.history_[-1]["loss"] == clf.history_[-1]["loss"]


def test_partial_fit_needs_classes_and_counts_training():
    task = load_task("iris", seed=0)
    clf = SpikingMLPClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(task.X_train, task.y_train)
    clf.partial_fit(task.X_train[:10], task.y_train[:10], classes=[0, 1, 2])
    clf.partial_fit(task.X_train[10:20], task.y_train[10:20])
    assert clf.samples_seen_ == 20 and len(clf.history_) == 2
    counts = clf.cost().set_index("category")["count"]
    assert counts["synaptic_ops"] > 0 and counts["plasticity_updates"] > 0
    assert counts["lif_updates"] == counts["lif_backward_updates"] == 20 * clf.n_steps * 8
    assert counts["plasticity_updates"] == 2 * clf._network.n_parameters  # one step per call


# Settings of the three bars below: chosen on validation splits by
# bench/spiking_mlp_small_tasks.py (bench/RESULTS.md), the test split read once
# per seed; the bars are the MLP's own (tests/test_ann_estimators.py).


def test_xor_is_learned_exactly():
    task = load_task("xor")
    clf = SpikingMLPClassifier((8,), epochs=300, learning_rate=0.05, random_state=0)
    clf.fit(task.X_train, task.y_train)
    np.testing.assert_array_equal(clf.predict(task.X_test), task.y_test)
    assert clf.predict_proba(task.X_test)[np.arange(4), task.y_test].min() > 0.9


@pytest.mark.parametrize("rule", ["backprop", "feedback_alignment"])
def test_iris_to_the_mlp_bar_with_current_input(rule):
    task = load_task("iris", seed=0)
    clf = SpikingMLPClassifier(
        (32,), encoding="current", epochs=100, learning_rate=0.05, rule=rule, random_state=0
    ).fit(task.X_train, task.y_train)
    assert clf.score(task.X_test, task.y_test) >= 0.95


@pytest.mark.slow
def test_seed_regression_r2_at_least_0_99():
    task = load_task("seed_regression", seed=0)
    reg = SpikingMLPRegressor(
        (64,), encoding="current", epochs=300, learning_rate=0.01, random_state=0
    ).fit(task.X_train, task.y_train)
    assert reg.score(task.X_test, task.y_test) >= 0.99
    assert reg.predict(task.X_test).shape == task.y_test.shape


@pytest.mark.parametrize(
    "module", ["ann.spiking.encoding", "ann.spiking.network", "ann.spiking.estimators"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


@pytest.mark.slow
def test_digits_defaults_reach_96_percent():
    """The defaults were chosen on a validation split of digits (bench/spiking_mlp_digits.py)."""
    task = load_task("digits", seed=0)
    clf = SpikingMLPClassifier(random_state=0).fit(task.X_train, task.y_train)
    assert clf.score(task.X_test, task.y_test) >= 0.96
