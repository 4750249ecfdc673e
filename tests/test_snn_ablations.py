"""The spiking network's ablation switches change the simulated network as they say.

Each switch is checked against what the network would be without it:
structure (which Brian2 objects are built), state (thresholds, weights) and
behaviour (responses), on tiny networks on the numpy target.
"""

import copy

import numpy as np
import pytest
from brian2 import ms

import snn.network as network_module
from snn import RULES, STDPClassifier, _brian
from snn.network import DiehlCookNetwork
from tasks import load_task

FAST = dict(n_neurons=6, epochs=1, presentation_time=60 * ms, rest_time=20 * ms)


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch):
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")


@pytest.fixture(scope="module")
def iris():
    return load_task("iris", seed=0)


@pytest.fixture
def built_objects(monkeypatch):
    """Names of the Synapses and run_regularly operations the network builds."""
    names = []
    real_synapses = network_module.Synapses

    class Recording(real_synapses):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            names.append(kwargs.get("name"))

        def run_regularly(self, *args, **kwargs):
            names.append(kwargs.get("name"))
            return super().run_regularly(*args, **kwargs)

    monkeypatch.setattr(network_module, "Synapses", Recording)
    return names


def test_lateral_inhibition_off_builds_no_inhibitory_synapses(iris, built_objects):
    STDPClassifier(**FAST, random_state=0).fit(iris.X_train[:6], iris.y_train[:6])
    assert "snn_lateral_inhibition" in built_objects
    built_objects.clear()
    STDPClassifier(**FAST, lateral_inhibition=False, random_state=0).fit(
        iris.X_train[:6], iris.y_train[:6]
    )
    assert "snn_lateral_inhibition" not in built_objects
    assert "snn_input_synapses" in built_objects


def test_lateral_inhibition_off_makes_neurons_independent():
    # Two neurons with identical input weights receive identical input: with
    # lateral inhibition the first to fire silences the other for a while, so
    # they cannot both fire every time; without it they fire identically,
    # however strong the (unused) inhibition constant is.
    rule = RULES["stdp"]()
    weights = np.full((1, 4, 2), 0.8)
    steps = np.arange(0, 200, 4)
    spikes = [
        (np.zeros(4 * len(steps), int), np.repeat(np.arange(4), len(steps)), np.tile(steps, 4))
    ]
    counts = {}
    for lateral in (True, False):
        net = DiehlCookNetwork(
            4,
            2,
            rule,
            presentation_time=100 * ms,
            rest_time=0 * ms,
            inhibition=100.0,
            lateral_inhibition=lateral,
            target="numpy",
        )
        result = net.simulate(weights, np.zeros((1, 2)), spikes, np.zeros((1, 1)))
        counts[lateral] = result.counts[0, 0]
    assert counts[False][0] == counts[False][1] > 0
    assert counts[True].min() < counts[False].min()


def test_threshold_adaptation_off_keeps_thresholds_constant(iris):
    X, y = iris.X_train[:12], iris.y_train[:12]
    adaptive = STDPClassifier(**FAST, random_state=1).fit(X, y)
    fixed = STDPClassifier(**FAST, threshold_adaptation=False, random_state=1).fit(X, y)
    assert adaptive.theta_.max() > 0
    np.testing.assert_array_equal(fixed.theta_, 0.0)
    assert fixed.history_[-1]["spikes"] > 0  # the neurons did fire


def test_weight_normalisation_off_leaves_weights_unscaled(iris, built_objects):
    # With learning rates of zero only the normalisation can change weights:
    # on, each neuron's weights are rescaled to sum to mean_input_weight *
    # n_inputs; off, they stay the initial uniform draws, bit for bit.
    rule = RULES["stdp"](nu_pre=0.0, nu_post=0.0)
    X, y = iris.X_train[:8], iris.y_train[:8]
    on = STDPClassifier(**FAST, rule=rule, random_state=2).fit(X, y)
    n_inputs = on.weights_.shape[0]
    np.testing.assert_allclose(on.weights_.sum(axis=0), 0.3 * n_inputs)
    assert "snn_weight_normalisation" in built_objects
    built_objects.clear()
    off = STDPClassifier(**FAST, rule=rule, weight_normalisation=False, random_state=2).fit(X, y)
    assert "snn_weight_normalisation" not in built_objects
    initial = np.random.default_rng(2).uniform(0.0, 0.3, (n_inputs, FAST["n_neurons"]))
    np.testing.assert_array_equal(off.weights_, initial)


def test_no_plasticity_keeps_the_normalised_random_weights(iris):
    X, y = iris.X_train[:15], iris.y_train[:15]
    frozen = STDPClassifier(**FAST, plasticity=False, random_state=4).fit(X, y)
    n_inputs = frozen.weights_.shape[0]
    initial = np.random.default_rng(4).uniform(0.0, 0.3, (n_inputs, FAST["n_neurons"]))
    np.testing.assert_allclose(frozen.weights_, initial * 0.3 * n_inputs / initial.sum(axis=0))
    np.testing.assert_array_equal(frozen.theta_, 0.0)
    assert len(frozen.history_) == 1 and frozen.history_[0]["samples_seen"] == 15
    assert frozen.predict(iris.X_val).shape == (len(iris.X_val),)
    frozen.partial_fit(X, y)  # still no learning
    np.testing.assert_allclose(frozen.weights_, initial * 0.3 * n_inputs / initial.sum(axis=0))


@pytest.mark.parametrize(
    "switch", ["plasticity", "threshold_adaptation", "weight_normalisation", "lateral_inhibition"]
)
def test_switches_must_be_booleans(iris, switch):
    with pytest.raises((ValueError, TypeError), match=switch):
        STDPClassifier(**FAST, **{switch: "no"}).fit(iris.X_train[:4], iris.y_train[:4])


def test_refit_readout_forgets_earlier_statistics(iris):
    X, y = iris.X_train[:18], iris.y_train[:18]
    model = STDPClassifier(**FAST, random_state=5)
    model.partial_fit(X[:9], y[:9], classes=[0, 1, 2])
    model.partial_fit(X[9:], y[9:])
    other = copy.deepcopy(model)
    # corrupt the accumulated statistics of the copy: a refit must not care
    for value in other.agents_.readout.stats.values():
        value += np.random.default_rng(0).uniform(0, 50, value.shape)
    weights = model.weights_.copy()
    model.refit_readout(X, y)
    other.refit_readout(X, y)
    np.testing.assert_array_equal(model.predict_proba(iris.X_val), other.predict_proba(iris.X_val))
    np.testing.assert_array_equal(model.weights_, weights)  # the network was frozen
