"""Reported operation counts against counts made by brute force, exactly.

The MLP: a tiny network whose every multiply is enumerated in Python loops
that skip zero operands (NeuroBench's effective MACs). The spiking network:
spikes counted by Brian2 monitors, and plasticity updates counted by
counters inside the synapses of a hand-built Brian2 network.
"""

import numpy as np
import pytest
from brian2 import Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, Synapses, ms

from ann import MLPClassifier
from core.opcounts import spiking_counts
from snn.rules import RULES


def _by_category(table, phase):
    rows = table[table["phase"] == phase]
    return dict(zip(rows["category"], rows["count"]))


def _brute_force_mlp(X, Y, weights, biases):
    """Count every non-zero multiply of one full-batch backprop step (ReLU, softmax)."""
    counts = dict.fromkeys(["macs", "macs_backward", "macs_dense", "macs_backward_dense"], 0)
    for x, y in zip(X, Y):
        activations = [x]
        for layer, (W, b) in enumerate(zip(weights, biases)):
            a = activations[-1]
            for i in range(W.shape[0]):
                for j in range(W.shape[1]):
                    counts["macs_dense"] += 1
                    if a[i] != 0:
                        counts["macs"] += 1
            z = a @ W + b
            if layer == len(weights) - 1:
                e = np.exp(z - z.max())
                activations.append(e / e.sum())
            else:
                activations.append(np.maximum(z, 0))
        deltas = [activations[-1] - y]
        for layer in range(len(weights) - 1, 0, -1):
            back = (deltas[0] @ weights[layer].T) * (activations[layer] > 0)
            deltas.insert(0, back)
        for layer, W in enumerate(weights):
            a, d = activations[layer], deltas[layer]
            for i in range(W.shape[0]):
                for j in range(W.shape[1]):
                    counts["macs_backward_dense"] += 1
                    if a[i] != 0 and d[j] != 0:  # weight gradient a_i * d_j
                        counts["macs_backward"] += 1
            if layer >= 1:  # error sent back to the layer below: d_j * W_ij
                for j in range(W.shape[1]):
                    for i in range(W.shape[0]):
                        counts["macs_backward_dense"] += 1
                        if d[j] != 0:
                            counts["macs_backward"] += 1
    return counts


def test_mlp_counts_equal_a_brute_force_count_of_one_training_step():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(6, 3)) * (rng.uniform(size=(6, 3)) > 0.4)  # zeros in the input
    y = np.array([0, 1, 2, 0, 1, 2])
    clf = MLPClassifier(
        hidden_layer_sizes=(5,), batch_size=6, shuffle=False, alpha=0.0, epochs=1, random_state=0
    )
    clf.fit(X, y)
    weights = [W.copy() for W in clf.coefs_]
    biases = [b.copy() for b in clf.intercepts_]
    hidden = np.maximum(X @ weights[0] + biases[0], 0)
    assert (hidden == 0).any() and (X == 0).any()  # the example exercises skipping
    before = _by_category(clf.cost(), "train")
    clf.partial_fit(X, y)  # one full-batch step from the weights read above
    after = _by_category(clf.cost(), "train")
    step = {key: after[key] - before[key] for key in after}
    expected = _brute_force_mlp(X, np.eye(3)[y], weights, biases)
    for key, value in expected.items():
        assert step[key] == value, key
    assert step["activations"] == 6 * (5 + 3)
    assert step["plasticity_updates"] == 3 * 5 + 5 * 3 + 5 + 3  # every parameter, one step

    inference = _by_category(clf.cost(X), "inference")
    forward = _brute_force_mlp(X, np.eye(3)[y], clf.coefs_, clf.intercepts_)
    assert inference["macs"] == forward["macs"]
    assert inference["macs_dense"] == forward["macs_dense"]


@pytest.mark.parametrize("rule_name", ["stdp", "oja"])
def test_plasticity_updates_equal_the_rule_code_runs_brian2_counts(rule_name):
    """Every presynaptic spike runs on_pre at all its synapses, every postsynaptic
    spike on_post at all its inputs: counted by counters inside the synapses."""
    rule = RULES[rule_name]()
    n_inputs, n_neurons = 5, 3
    inputs = SpikeGeneratorGroup(
        n_inputs, [0, 1, 2, 3, 4, 0, 2, 4, 1], [1, 2, 3, 4, 5, 11, 12, 13, 20] * ms
    )
    neurons = NeuronGroup(
        n_neurons,
        "dv/dt = -v / (10*ms) : 1\nplastic : 1\nreward : 1",
        threshold="v > 0.5",
        reset="v = 0",
        method="exact",
    )
    neurons.plastic = 1
    kwargs = rule.synapses_kwargs(transmission="v_post += w")
    kwargs["model"] += "\npre_runs : 1\npost_runs : 1"
    kwargs["on_pre"] += "\npre_runs += 1"
    if "on_post" in kwargs:
        kwargs["on_post"] += "\npost_runs += 1"
    synapses = Synapses(inputs, neurons, **kwargs)
    synapses.connect()
    synapses.w = 0.4
    input_monitor, output_monitor = SpikeMonitor(inputs), SpikeMonitor(neurons)
    Network(inputs, neurons, synapses, input_monitor, output_monitor).run(
        30 * ms, namespace=dict(rule.params)
    )
    assert output_monitor.num_spikes > 0
    from snn.rules import pathway_words

    pre, post = pathway_words(rule)
    counts = spiking_counts(
        n_inputs=n_inputs,
        n_neurons=n_neurons,
        n_presented=1,
        window_steps=300,
        presentation_steps=300,
        input_spikes=input_monitor.num_spikes,
        output_spikes=output_monitor.num_spikes,
        plastic_windows=1,
        plastic_input_spikes=input_monitor.num_spikes,
        plastic_output_spikes=output_monitor.num_spikes,
        pre_pathway=pre,
        post_pathway=post,
        lateral_inhibition=False,
    )
    ran = int(np.sum(synapses.pre_runs[:])) + int(np.sum(synapses.post_runs[:]))
    assert counts["plasticity_updates"] == ran
    assert counts["synaptic_ops"] == input_monitor.num_spikes * n_neurons
