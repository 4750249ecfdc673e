"""The spiking MLP's LIF layers against Brian2 simulating the same neurons, weights and input spikes.

Only this test imports Brian2; ``ann`` never does.
"""

import numpy as np
import pytest

from ann.spiking import SpikingNetwork, encode

brian2 = pytest.importorskip("brian2")


def brian2_spikes(W, b, input_spikes, decay):
    """Spike rasters (T, n) of every hidden layer, simulated by Brian2.

    Neurons ``dv/dt = -v/tau`` integrated exactly, threshold ``v > 1``, reset
    ``v -= 1``; synapses ``v += w``; a bias is one more input that fires every
    step with weight ``b``. Brian2's default schedule (state update,
    threshold, synaptic input, reset) is the discretisation ann.spiking
    documents.
    """
    from brian2 import (
        Network,
        NeuronGroup,
        SpikeGeneratorGroup,
        SpikeMonitor,
        StateMonitor,
        Synapses,
        ms,
    )

    dt = 1 * ms
    tau = -dt / np.log(decay)
    n_steps, n_in = input_spikes.shape
    step, index = np.nonzero(input_spikes)
    steps = np.arange(n_steps)
    # Input n_in is the bias source: it fires on every step.
    indices = np.concatenate([index, np.full(n_steps, n_in)])
    times = np.concatenate([step, steps]) * dt
    source = SpikeGeneratorGroup(n_in + 1, indices, times, dt=dt)
    objects, monitors, membranes = [source], [], []
    previous, previous_size = source, n_in
    for weights, biases in zip(W, b):
        group = NeuronGroup(
            weights.shape[1],
            "dv/dt = -v / tau : 1",
            threshold="v > 1",
            reset="v -= 1",
            method="exact",
            dt=dt,
            namespace={"tau": tau},
        )
        pre, post = np.meshgrid(
            np.arange(previous_size), np.arange(weights.shape[1]), indexing="ij"
        )
        synapses = Synapses(previous, group, "w : 1", on_pre="v += w", dt=dt)
        synapses.connect(i=pre.ravel(), j=post.ravel())
        synapses.w = weights.ravel()
        bias = Synapses(source, group, "w : 1", on_pre="v += w", dt=dt)
        bias.connect(i=n_in, j=np.arange(weights.shape[1]))
        bias.w = biases
        monitor = SpikeMonitor(group)
        membrane = StateMonitor(group, "v", record=True, when="thresholds", order=-1)
        objects += [group, synapses, bias, monitor, membrane]
        monitors.append(monitor)
        membranes.append(membrane)
        previous, previous_size = group, weights.shape[1]
    network = Network(*objects)
    network.run(n_steps * dt)
    rasters = []
    for monitor, weights in zip(monitors, W):
        raster = np.zeros((n_steps, weights.shape[1]))
        raster[np.rint(monitor.t / dt).astype(int), monitor.i[:]] = 1
        rasters.append(raster)
    return rasters, [np.asarray(m.v).T for m in membranes]


@pytest.mark.parametrize("encoding", ["rate", "latency"])
def test_lif_layers_spike_exactly_as_brian2(encoding):
    rng = np.random.default_rng(7)
    layer_sizes = (6, 5, 4, 3)
    decay = float(np.exp(-1 / 8.0))  # tau = 8 steps
    network = SpikingNetwork(
        layer_sizes,
        loss="cross_entropy",
        rule="backprop",
        optimizer="sgd",
        learning_rate=0.1,
        alpha=0.0,
        membrane_decay=decay,
        surrogate_steepness=5.0,
        encoding=encoding,
    )
    network.initialize(*rng.spawn(2))
    # Strong enough weights that every hidden neuron fires some of the time.
    for W, b in zip(network.weights, network.biases):
        W[...] = rng.uniform(-0.3, 1.2, W.shape)
        b[...] = rng.uniform(0.0, 0.15, b.shape)
    X = rng.uniform(0, 1, (1, layer_sizes[0]))
    inputs = encode(encoding, X, 40, rng)
    ours = network.forward(inputs)
    rasters, membranes = brian2_spikes(network.weights[:-1], network.biases[:-1], inputs[0], decay)
    for layer, (raster, membrane) in enumerate(zip(rasters, membranes), start=1):
        assert raster.sum() >= 5, f"layer {layer} hardly fires: the test would be weak"
        np.testing.assert_array_equal(ours.spikes[layer][0], raster)
        np.testing.assert_allclose(ours.membranes[layer - 1][0], membrane, atol=1e-9)
