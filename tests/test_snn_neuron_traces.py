"""Pair STDP with its traces on the neurons (``traces="neuron"``) learns as with traces on the synapses.

A trace that follows one neuron's spikes alone holds the same value in every
synapse of that neuron, so keeping it once per neuron changes nothing but
floating-point rounding. The reference is the rule's own per-synapse form on
the same input spikes: weights to within rounding, spike counts and
thresholds identical, in runs busy enough that pre- and postsynaptic spikes
share time steps (where the order of the traces' jumps matters). The fast
tests run Brian2's numpy target; the slow one compiles both forms.
"""

import numpy as np
import pytest
from brian2 import ms

import snn
from snn import _standalone
from snn.network import DiehlCookNetwork
from snn.rules import PairSTDP, register_rule
from tasks import load_task


def learning_case(traces, backend="runtime", n_agents=2, seed=0):
    """Two agents, 6 windows of 40 + 10 ms, busy inputs, fast learning."""
    rng = np.random.default_rng(seed)
    n_inputs, n_neurons, n_windows = 16, 6, 6
    network = DiehlCookNetwork(
        n_inputs,
        n_neurons,
        snn.RULES["stdp"](nu_pre=0.01, nu_post=0.05),
        n_agents=n_agents,
        presentation_time=40 * ms,
        rest_time=10 * ms,
        inhibition=2.0,
        weight_sum=5.0,
        backend=backend,
        target="numpy",
        traces=traces,
    )
    weights = rng.uniform(0, 0.6, (n_agents, n_inputs, n_neurons))
    theta = np.zeros((n_agents, n_neurons))
    spikes = []
    for _ in range(n_agents):
        code = np.unique(rng.integers(0, n_windows * n_inputs * 80, 1500))
        window, rest = np.divmod(code, n_inputs * 80)
        channel, step = np.divmod(rest, 80)
        spikes.append((window, channel, step))
    return network, (weights, theta, spikes, np.ones((n_windows, n_agents)))


def both_placements():
    """The same learning run with the traces on the synapses, then on the neurons."""
    results = []
    for traces in ("synapse", "neuron"):
        network, inputs = learning_case(traces)
        results.append(network.simulate(*inputs))
    return results


def assert_same_learning(synapse, neuron, weights_before):
    np.testing.assert_array_equal(neuron.counts, synapse.counts)
    np.testing.assert_array_equal(neuron.theta, synapse.theta)
    np.testing.assert_allclose(neuron.weights, synapse.weights, rtol=0, atol=1e-12)
    # the runs learned: weights moved far beyond the tolerance
    assert np.abs(synapse.weights - weights_before).max() > 0.1


def test_traces_on_the_neurons_learn_as_the_rules_own_traces():
    synapse, neuron = both_placements()
    weights_before = learning_case("synapse")[1][0]
    assert synapse.counts.sum() > 40
    assert_same_learning(synapse, neuron, weights_before)


@pytest.mark.parametrize("side, order", [("pre", 2), ("post", -2)])
def test_the_order_of_the_jumps_matters_in_these_runs(monkeypatch, side, order):
    """The reference can fail: a jump on the wrong side of a pathway changes the learning."""
    original = DiehlCookNetwork._neuron_traces

    def misordered(self, *args):
        objects = original(self, *args)
        objects[f"{side}_trace_jumps"].pre.order = order
        return objects

    monkeypatch.setattr(DiehlCookNetwork, "_neuron_traces", misordered)
    synapse, neuron = both_placements()
    assert np.abs(neuron.weights - synapse.weights).max() > 1e-6


def test_the_synapses_keep_the_rule_minus_its_traces():
    kwargs = snn.RULES["stdp"]().neuron_trace_synapses_kwargs("ge_post += w")
    assert kwargs["model"].split("\n")[:3] == ["w : 1", "apre : 1 (linked)", "apost : 1 (linked)"]
    assert "apre +=" not in kwargs["on_pre"] and "apost +=" not in kwargs["on_post"]
    assert kwargs["on_pre"].startswith("ge_post += w\nw = clip(w - plastic_post")
    assert kwargs["namespace"]["tau_pre"] == 20 * ms


def test_rules_without_neuron_traces_are_refused_before_any_work():
    with pytest.raises(ValueError, match="neuron_traces is empty"):
        snn.RULES["triplet"]().neuron_trace_synapses_kwargs()
    with pytest.raises(ValueError, match="traces='neuron' needs a rule"):
        DiehlCookNetwork(4, 2, snn.RULES["oja"](), traces="neuron")
    with pytest.raises(ValueError, match="traces must be one of"):
        DiehlCookNetwork(4, 2, snn.RULES["stdp"](), traces="axon")
    task = load_task("xor", seed=0)
    for params, message in (
        (dict(rule="triplet", traces="neuron"), "traces='neuron' needs a rule"),
        (dict(traces="dendrite"), "traces"),
    ):
        with pytest.raises(ValueError, match=message):
            snn.STDPClassifier(**params).fit(task.X_train, task.y_train)


def test_a_rule_whose_code_breaks_its_promise_is_refused():
    with snn.RULES.restored():

        @register_rule("stdp_reset_traces")
        class ResetTraces(PairSTDP):
            on_pre = """
                apre = 1
                w = clip(w - plastic_post * nu_pre * wmax * apost, 0, wmax)
            """

        @register_rule("stdp_pre_trace_on_both_sides")
        class BothSides(PairSTDP):
            on_post = """
                apost += 1
                apre += 1
                w = clip(w + plastic_post * nu_post * wmax * apre, 0, wmax)
            """

        for rule in (ResetTraces(), BothSides()):
            with pytest.raises(ValueError, match="trace 'apre' of neuron_traces"):
                rule.neuron_trace_synapses_kwargs()


def test_an_estimator_predicts_the_same_with_either_placement():
    task = load_task("digits", seed=0)
    X, y = task.X_train[:30], task.y_train[:30]
    settings = dict(
        n_neurons=8,
        epochs=1,
        presentation_time=40 * ms,
        rest_time=10 * ms,
        random_state=3,
        backend="runtime",
    )
    models = {
        traces: snn.STDPClassifier(traces=traces, **settings).fit(X, y)
        for traces in ("synapse", "neuron")
    }
    assert models["synapse"].history_[0]["spikes"] > 30  # the fit learned from spikes
    np.testing.assert_allclose(
        models["neuron"].weights_, models["synapse"].weights_, rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(
        models["neuron"].predict_proba(task.X_test[:20]),
        models["synapse"].predict_proba(task.X_test[:20]),
    )


def test_the_placement_is_part_of_the_build_key_only_while_learning():
    synapse, neuron = (learning_case(traces)[0] for traces in ("synapse", "neuron"))
    assert _standalone.build_key(neuron) != _standalone.build_key(synapse)
    assert _standalone.build_key(neuron.frozen_form()) == _standalone.build_key(
        synapse.frozen_form()
    )


@pytest.mark.slow
def test_compiled_neuron_traces_learn_as_the_runtime_path(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    monkeypatch.setattr(_standalone, "_unavailable_reason", None)
    network, inputs = learning_case("neuron", backend="standalone")
    compiled = network.simulate(*inputs)
    assert compiled.backend == "standalone"
    runtime = learning_case("synapse")[0].simulate(*inputs)
    assert_same_learning(runtime, compiled, inputs[0])
