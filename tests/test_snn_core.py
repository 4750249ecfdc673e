"""Core of the spiking package: neurons, encoders, the one-run network, readouts.

Tiny networks on Brian2's numpy target (no compilation), checked against
theory (Poisson statistics, exponential decay), direct counts and peers
(scikit-learn's Ridge).
"""

import numpy as np
import pytest
from brian2 import Hz, ms, mV, second
from sklearn.linear_model import Ridge

import snn
from snn import _brian
from snn.encoders import (
    check_features,
    gaussian_receptive_fields,
    latency_spikes,
    poisson_spikes,
)
from snn.network import DiehlCookNetwork, synaptic_operations
from snn.neurons import neuron_namespace
from snn.readouts import READOUTS, LinearReadout, VoteReadout


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch):
    """Tiny networks: Brian2's numpy target, no compilation."""
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")


def stdp_rule(**params):
    return snn.RULES["stdp"](**params)


# -- encoders ---------------------------------------------------------------------------------


def test_poisson_counts_match_rate_times_duration():
    X = np.tile([0.0, 0.25, 1.0], (400, 1))
    rate, duration = 80 * Hz, 200 * ms
    sample, channel, step = poisson_spikes(X, duration, max_rate=rate, random_state=1)
    counts = np.zeros(X.shape, dtype=int)
    np.add.at(counts, (sample, channel), 1)
    expected = X[0] * float(rate * duration)  # 0, 4, 16 spikes
    p = X[0] * float(rate * 0.5 * ms)
    n_steps = 400  # 200 ms / 0.5 ms
    # Bernoulli per step: mean n p, variance n p (1 - p); 5 standard errors
    stderr = np.sqrt(n_steps * p * (1 - p) / len(X))
    assert np.all(np.abs(counts.mean(axis=0) - expected) <= 5 * stderr + 1e-12)
    assert counts[:, 0].sum() == 0
    variance = counts.var(axis=0)[1:]
    assert np.allclose(variance, (n_steps * p * (1 - p))[1:], rtol=0.25)
    assert step.min() >= 0 and step.max() < n_steps


def test_poisson_at_most_one_spike_per_channel_and_step():
    X = np.ones((5, 3))
    sample, channel, step = poisson_spikes(X, 100 * ms, max_rate=1000 * Hz, random_state=0)
    keys = sample * 10**6 + channel * 10**3 + step
    assert len(np.unique(keys)) == len(keys)


def test_poisson_spikes_are_the_draws_below_each_probability(monkeypatch):
    # brute force: the same uniform draws, chunk by chunk, compared and located with np.nonzero
    from snn import encoders

    monkeypatch.setattr(encoders, "_CHUNK_DRAWS", 3 * 4 * 20)  # 3 samples per chunk
    X = np.random.default_rng(0).uniform(0, 1, (8, 4))
    sample, channel, step = poisson_spikes(X, 10 * ms, max_rate=500 * Hz, random_state=5)
    rng = np.random.default_rng(5)
    probability = (X * 0.25).astype(np.float32)  # 500 Hz x 0.5 ms
    fires = np.concatenate(
        [
            rng.random((len(p), 4, 20), dtype=np.float32) < p[:, :, None]
            for p in np.split(probability, [3, 6])
        ]
    )
    for got, expected in zip((sample, channel, step), np.nonzero(fires)):
        np.testing.assert_array_equal(got, expected)
    assert len(sample) > 20


def test_poisson_seeded_reproducible_and_seeds_differ():
    X = np.full((3, 4), 0.5)
    a = poisson_spikes(X, 100 * ms, random_state=7)
    b = poisson_spikes(X, 100 * ms, random_state=7)
    c = poisson_spikes(X, 100 * ms, random_state=8)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not all(len(u) == len(v) and np.array_equal(u, v) for u, v in zip(a, c))


def test_latency_stronger_feature_fires_earlier():
    X = np.array([[0.9, 0.1, 0.5, 0.0, 1.0]])
    sample, channel, step = latency_spikes(X, 100 * ms)
    assert 3 not in channel  # zero never fires
    times = dict(zip(channel.tolist(), step.tolist()))
    order = sorted(times, key=times.get)
    assert order == [4, 0, 2, 1]
    assert times[4] == 0
    assert times[2] == 100  # (1 - 0.5) * 200 steps


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([[0.5, 1.5]]), r"\[0, 1\]"),
        (np.array([[0.5, -0.1]]), r"\[0, 1\]"),
        (np.array([[np.nan, 0.5]]), "NaN"),
        (np.array([0.5, 0.5]), "2-D"),
    ],
)
def test_features_outside_unit_interval_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        check_features(bad, "X")
    with pytest.raises(ValueError, match="X"):
        poisson_spikes(bad, 100 * ms)


def test_encoder_registry_lists_known_names():
    with pytest.raises(ValueError, match="poisson"):
        snn.ENCODERS["morse"]


def test_times_without_units_are_refused():
    with pytest.raises(TypeError, match="duration"):
        poisson_spikes(np.ones((1, 1)), 350)
    with pytest.raises(TypeError, match="max_rate"):
        poisson_spikes(np.ones((1, 1)), 350 * ms, max_rate=60)


def test_gaussian_receptive_fields_peak_at_the_nearest_centre():
    x = np.linspace(0, 1, 41)[:, None]
    fields = gaussian_receptive_fields(x, 5)
    centres = np.linspace(0, 1, 5)
    nearest = np.abs(x - centres).argmin(axis=1)
    assert np.array_equal(fields.argmax(axis=1), nearest)
    sigma = 2 / 3 / 4
    assert np.allclose(fields[:, 2], np.exp(-((x[:, 0] - 0.5) ** 2) / (2 * sigma**2)))
    assert np.array_equal(gaussian_receptive_fields(x, 1), x)


# -- neurons ----------------------------------------------------------------------------------


def test_neuron_parameters_need_units():
    with pytest.raises(ValueError, match="tau_theta"):
        neuron_namespace(tau_theta=100)
    with pytest.raises(ValueError, match="known"):
        neuron_namespace(tau_gamma=1 * ms)


def _network(n_inputs=6, n_neurons=3, n_agents=1, **kwargs):
    defaults = dict(presentation_time=100 * ms, rest_time=50 * ms, weight_sum=6 * 0.5)
    defaults.update(kwargs)
    return DiehlCookNetwork(n_inputs, n_neurons, stdp_rule(), n_agents=n_agents, **defaults)


def _spikes(X, network, seed, rate=200 * Hz):
    sample, channel, step = poisson_spikes(
        X, network.presentation_time, max_rate=rate, dt=network.dt, random_state=seed
    )
    return sample, channel, step


def test_adaptive_threshold_rises_by_theta_plus_per_spike_and_decays_back():
    theta_plus = 0.2 * mV
    network = _network(
        n_neurons=2,
        record_spikes=True,
        inhibition=0.0,
        neuron_params=dict(theta_plus=theta_plus, tau_theta=1e6 * second),
    )
    X = np.ones((3, 6))
    weights = np.full((1, 6, 2), 0.5)
    result = network.simulate(
        weights, np.zeros((1, 2)), [_spikes(X, network, 1)], plastic=np.ones((3, 1))
    )
    spikes_per_neuron = np.bincount(network.recorded_spikes_[0], minlength=2)
    assert spikes_per_neuron.min() > 3, "the test needs an active network"
    # rise: theta_plus per spike (the decay over 0.45 s with tau 1e6 s is negligible)
    assert np.allclose(result.theta[0], spikes_per_neuron * float(theta_plus), rtol=1e-5)

    # decay: with no input and plasticity on, theta relaxes as exp(-t / tau_theta)
    tau = 200 * ms  # dt / tau = 1/400: Euler's (1 - dt/tau)^n is within 0.2% of exp
    decaying = _network(
        n_neurons=2, inhibition=0.0, neuron_params=dict(theta_plus=theta_plus, tau_theta=tau)
    )
    empty = [(np.zeros(0, int),) * 3]
    decayed = decaying.simulate(weights, result.theta, empty, plastic=np.ones((2, 1)))
    elapsed = float(2 * decaying.window_time / tau)
    assert np.allclose(decayed.theta, result.theta * np.exp(-elapsed), rtol=0.02)
    assert np.all(decayed.theta < 0.25 * result.theta)

    # frozen (plastic = 0): neither rise nor decay, even with input
    frozen = decaying.simulate(
        weights, result.theta, [_spikes(X, network, 2)], plastic=np.zeros((3, 1))
    )
    assert np.array_equal(frozen.theta, result.theta)


def test_frozen_run_leaves_weights_bit_for_bit_unchanged():
    network = _network()
    rng = np.random.default_rng(3)
    weights = rng.uniform(0, 1, (1, 6, 3))
    X = rng.uniform(0, 1, (4, 6))
    result = network.simulate(
        weights, np.zeros((1, 3)), [_spikes(X, network, 4)], plastic=np.zeros((4, 1))
    )
    assert result.counts.sum() > 0
    assert np.array_equal(result.weights, weights)


def test_weights_are_normalised_at_the_start_of_each_learning_window():
    network = _network(weight_sum=2.5)
    weights = np.random.default_rng(5).uniform(0, 1, (1, 6, 3))
    empty = [(np.zeros(0, int),) * 3]  # no spikes: only the normalisation changes w
    result = network.simulate(weights, np.zeros((1, 3)), empty, plastic=np.ones((1, 1)))
    assert np.allclose(result.weights.sum(axis=1), 2.5)
    assert np.allclose(result.weights / weights, (2.5 / weights.sum(axis=1))[:, None, :])


def test_plasticity_changes_weights_only_while_plastic():
    network = _network()
    weights = np.full((1, 6, 3), 0.5)
    X = np.ones((3, 6))
    learned = network.simulate(
        weights, np.zeros((1, 3)), [_spikes(X, network, 6)], plastic=np.ones((3, 1))
    )
    assert not np.allclose(learned.weights, weights)


def test_window_counts_match_a_direct_count_of_recorded_spikes():
    network = _network(record_spikes=True, inhibition=2.0)
    X = np.random.default_rng(2).uniform(0.3, 1, (5, 6))
    result = network.simulate(
        np.full((1, 6, 3), 0.5), np.zeros((1, 3)), [_spikes(X, network, 9)], plastic=np.ones((5, 1))
    )
    neuron, spike_time = network.recorded_spikes_
    window_seconds = float(network.window_time / second)
    window = np.floor(spike_time / window_seconds + 1e-9).astype(int)
    offset = spike_time - window * window_seconds
    presenting = offset < float(network.presentation_time / second) - 1e-9
    direct = np.zeros((5, 3), dtype=int)
    np.add.at(direct, (window[presenting], neuron[presenting]), 1)
    assert direct.sum() > 0
    assert np.array_equal(result.counts[:, 0, :], direct)
    assert np.array_equal(result.excitatory_spikes[:, 0], np.bincount(window, minlength=5))
    assert result.counts.sum() <= result.excitatory_spikes.sum()


def test_input_spike_counts_and_synaptic_operations():
    network = _network()
    X = np.full((2, 6), 0.5)
    spikes = _spikes(X, network, 1)
    result = network.simulate(
        np.full((1, 6, 3), 0.5), np.zeros((1, 3)), [spikes], plastic=np.ones((2, 1))
    )
    assert np.array_equal(result.input_spikes[:, 0], np.bincount(spikes[0], minlength=2))
    sops = synaptic_operations(result.input_spikes, result.excitatory_spikes, 3)
    assert np.array_equal(sops, result.input_spikes * 3 + result.excitatory_spikes * 2)


def test_block_diagonal_agents_match_separate_networks():
    rng = np.random.default_rng(11)
    weights = rng.uniform(0, 1, (2, 6, 3))
    X0, X1 = rng.uniform(0, 1, (3, 6)), rng.uniform(0, 1, (2, 6))
    single = _network()
    pair = _network(n_agents=2)
    spikes0, spikes1 = _spikes(X0, single, 1), _spikes(X1, single, 2)
    plastic = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])  # agent 1 has 2 samples
    together = pair.simulate(weights, np.zeros((2, 3)), [spikes0, spikes1], plastic)
    alone0 = single.simulate(weights[:1], np.zeros((1, 3)), [spikes0], np.ones((3, 1)))
    alone1 = single.simulate(weights[1:], np.zeros((1, 3)), [spikes1], np.ones((2, 1)))
    assert np.array_equal(together.weights[0], alone0.weights[0])
    assert np.array_equal(together.weights[1], alone1.weights[0])
    assert np.array_equal(together.theta[1], alone1.theta[0])
    assert np.array_equal(together.counts[:, 0], alone0.counts[:, 0])
    assert np.array_equal(together.counts[:2, 1], alone1.counts[:, 0])


def _exploding_network(n_agents=1):
    # Unbounded potentiation (nu_post * wmax = 1e300): the first post spike makes the
    # weights astronomically large, the next input spike the conductance, and
    # the membrane potential leaves the floating-point range.
    return DiehlCookNetwork(
        6,
        3,
        stdp_rule(nu_pre=1e-160, nu_post=1e150, wmax=1e150),
        n_agents=n_agents,
        presentation_time=100 * ms,
        rest_time=50 * ms,
        weight_sum=3.0,
    )


def test_network_reports_the_window_in_which_the_state_blew_up():
    network = _exploding_network(n_agents=2)
    X = np.ones((4, 6))
    spikes = [_spikes(X, network, 1), _spikes(X, network, 2)]
    # agent 0 learns from window 2 on, agent 1 never: only agent 0 can blow up
    plastic = np.array([[0, 0], [0, 0], [1, 0], [1, 0]], dtype=float)
    result = network.simulate(np.full((2, 6, 3), 0.5), np.zeros((2, 3)), spikes, plastic)
    assert result.diverged
    assert result.diverged_window.tolist() == [2, -1]
    assert result.counts[:2, 0].sum() > 0  # healthy and spiking before


def test_a_stable_network_reports_no_divergence():
    network = _network(inhibition=2.0)
    X = np.random.default_rng(2).uniform(0.3, 1, (5, 6))
    result = network.simulate(
        np.full((1, 6, 3), 0.5), np.zeros((1, 3)), [_spikes(X, network, 9)], plastic=np.ones((5, 1))
    )
    assert result.counts.sum() > 0
    assert not result.diverged and result.diverged_window.tolist() == [-1]


class RunawayHebb(snn.PlasticityRule):
    """Hebbian potentiation with no bound and no depression: it must blow up."""

    model = "dapre/dt = -apre / tau : 1 (event-driven)"
    on_pre = "apre += 1"
    on_post = "w += plastic_post * eta * apre"
    defaults = {"eta": 1e200, "tau": 20 * ms}


def test_diverging_fit_names_the_epoch_and_learning_rates_and_leaves_no_model():
    X = np.random.default_rng(0).uniform(0.3, 1, (6, 4))
    y = np.array([0, 1] * 3)
    clf = snn.STDPClassifier(
        n_neurons=3,
        rule=RunawayHebb(),
        presentation_time=60 * ms,
        rest_time=20 * ms,
        random_state=0,
    )
    with pytest.raises(snn.SimulationDiverged, match=r"in epoch 1 .*eta=1e\+200"):
        clf.fit(X, y)
    assert not hasattr(clf, "agents_") and not hasattr(clf, "classes_")
    with pytest.raises(ValueError, match="not fitted"):
        clf.predict(X)

    # a fitted model hit by a diverging partial_fit keeps its state and history
    stable = snn.STDPClassifier(
        n_neurons=3, epochs=1, presentation_time=60 * ms, rest_time=20 * ms, random_state=0
    ).fit(X, y)
    weights, history = stable.weights_.copy(), list(stable.history_)
    stable.agents_.config.rule = RunawayHebb()
    stable.agents_.network.rule = stable.agents_.config.rule
    with pytest.raises(snn.SimulationDiverged, match="in epoch 2 "):
        stable.partial_fit(X, y)
    assert np.array_equal(stable.weights_, weights) and stable.history_ == history


def test_rule_parameter_may_not_shadow_a_neuron_variable():
    class Shadowing(snn.PlasticityRule):
        on_pre = "w = clip(w + plastic_post * reward, 0, 1)"
        defaults = {"reward": 0.01}  # also a neuron variable of the host

    network = DiehlCookNetwork(6, 3, Shadowing(), presentation_time=100 * ms, rest_time=50 * ms)
    with pytest.raises(ValueError, match=r"\['reward'\].*rename them in the rule"):
        network.simulate(
            np.full((1, 6, 3), 0.5),
            np.zeros((1, 3)),
            [(np.zeros(0, int),) * 3],
            plastic=np.ones((1, 1)),
        )


def test_network_validates_sizes_and_times():
    with pytest.raises(ValueError, match="n_neurons"):
        DiehlCookNetwork(4, 0, stdp_rule())
    with pytest.raises(TypeError, match="presentation_time"):
        DiehlCookNetwork(4, 2, stdp_rule(), presentation_time=350)
    with pytest.raises(ValueError, match="rest_time"):
        DiehlCookNetwork(4, 2, stdp_rule(), rest_time=-5 * ms)
    with pytest.raises(ValueError, match="presentation_time"):
        DiehlCookNetwork(4, 2, stdp_rule(), presentation_time=0 * ms)
    with pytest.raises(ValueError, match="whole number of time steps"):
        DiehlCookNetwork(4, 2, stdp_rule(), presentation_time=10.25 * ms)
    # a wrong type is a TypeError, a wrong value a ValueError, both naming the value
    with pytest.raises(TypeError, match="n_inputs must be a positive integer, got n_inputs=4.0"):
        DiehlCookNetwork(4.0, 2, stdp_rule())
    with pytest.raises(TypeError, match="lateral_inhibition must be True or False, got .*'yes'"):
        DiehlCookNetwork(4, 2, stdp_rule(), lateral_inhibition="yes")
    with pytest.raises(ValueError, match=r"backend must be one of \['auto', .*got backend='gpu'"):
        DiehlCookNetwork(4, 2, stdp_rule(), backend="gpu")
    assert DiehlCookNetwork(4, 2, stdp_rule(), lateral_inhibition=np.True_).lateral_inhibition


# -- code generation target -------------------------------------------------------------------


def test_codegen_target_environment_override(monkeypatch):
    monkeypatch.setattr(_brian, "_chosen_target", None)
    monkeypatch.setenv("SNN_CODEGEN_TARGET", "numpy")
    assert _brian.codegen_target() == "numpy"
    monkeypatch.setattr(_brian, "_chosen_target", None)
    monkeypatch.setenv("SNN_CODEGEN_TARGET", "fortran")
    with pytest.raises(ValueError, match="cython"):
        _brian.codegen_target()


def test_use_target_restores_brian_preferences():
    from brian2 import prefs

    before = prefs.codegen.target
    with _brian.use_target("numpy"):
        assert prefs.codegen.target == "numpy"
    assert prefs.codegen.target == before


def test_check_target_names_the_parameter_and_leaves_none_unresolved():
    assert snn.check_target(None) is None and snn.check_target("cython") == "cython"
    with pytest.raises(
        ValueError, match=r"codegen_target must be one of .*got codegen_target='cpp'"
    ):
        snn.check_target("cpp")
    with pytest.raises(TypeError, match="backend"):
        snn.check_target(3, "backend")


# -- hand-built circuits ----------------------------------------------------------------------


def test_circuit_neuron_fires_at_the_period_of_the_membrane_equation():
    # A leaky neuron reset to 0 and driven to D > threshold theta crosses at
    # tau * ln(D / (D - theta)), then waits out its refractory period.
    from brian2 import prefs

    before = prefs.codegen.target
    tau, refractory, theta = 10.0, 2.0, 15.0
    drives = np.array([18.0, 20.0, 30.0])
    circuit = snn.Circuit(0.1 * ms, name="lif_check")
    assert circuit.target == snn.codegen_target() == "numpy"  # None: the package's choice
    neurons = circuit.neurons(
        len(drives),
        "dv/dt = (drive - v) / tau : volt (unless refractory)\ndrive : volt (constant)",
        threshold="v > theta",
        reset="v = 0*mV",
        refractory=refractory * ms,
        method="exact",
        name="lif_check_neurons",
    )
    neurons.drive = drives * mV
    spikes = circuit.spike_monitor(neurons, name="lif_check_spikes")
    circuit.run(150 * ms, namespace={"tau": tau * ms, "theta": theta * mV})
    expected = refractory + tau * np.log(drives / (drives - theta))
    trains = spikes.spike_trains()
    for k, period in enumerate(expected):
        measured = np.diff(np.asarray(trains[k] / ms)).mean()
        assert abs(measured - period) <= 0.2, (k, measured, period)  # within two steps
    # every object ran on the circuit's target and clock; Brian2's preferences untouched
    assert prefs.codegen.target == before
    assert neurons.clock is circuit.clock and spikes.clock is circuit.clock
    assert all(obj.codeobj_class is _brian.code_object_class("numpy") for obj in (neurons, spikes))


def test_circuit_runs_continue_and_it_refuses_a_second_target():
    circuit = snn.Circuit(0.1 * ms, target="numpy", name="counter")
    group = circuit.neurons(1, "dn/dt = 1 / second : 1", method="euler", name="counter_group")
    circuit.run(10 * ms)
    monitor = circuit.state_monitor(group, "n", record=True, name="counter_monitor")
    circuit.operation(lambda: None, dt=1 * ms, name="counter_operation")
    circuit.run(10 * ms)
    assert float(group.n[0]) == pytest.approx(0.02)  # 20 ms at 1 per second
    assert float(monitor.t[0] / ms) == pytest.approx(10.0)  # added after the first run
    assert len(circuit.network.objects) == 3
    with pytest.raises(TypeError, match="codeobj_class"):
        circuit.neurons(1, "v : 1", codeobj_class=_brian.code_object_class("numpy"))
    with pytest.raises(ValueError, match="target must be one of"):
        snn.Circuit(0.1 * ms, target="cpp_standalone")
    with pytest.raises(TypeError, match="dt"):
        snn.Circuit(0.1)
    assert snn.Circuit(0.1 * ms, target="cython", name="compiled").target == "cython"


def test_circuit_zero_run_checks_the_equations_without_a_step_and_generators_fire_on_time():
    circuit = snn.Circuit(0.1 * ms, target="numpy", name="relay")
    generator = circuit.spike_generator(2, [0, 1, 0], [1.0, 2.5, 4.0] * ms, name="relay_input")
    cells = circuit.neurons(2, "v : 1", threshold="v > 0.5", reset="v = 0", name="relay_cells")
    synapses = circuit.synapses(generator, cells, on_pre="v_post += 1", name="relay_synapses")
    synapses.connect(j="i")
    spikes = circuit.spike_monitor(cells, name="relay_spikes")
    circuit.run(0 * ms)
    assert float(circuit.network.t / ms) == 0.0 and spikes.num_spikes == 0
    circuit.run(6 * ms)
    # each input spike is relayed in the step after it arrives (synapses act after thresholds)
    assert spikes.i[:].tolist() == [0, 1, 0]
    assert np.asarray(spikes.t / ms).round(6).tolist() == [1.1, 2.6, 4.1]
    assert generator.clock is circuit.clock

    bad = snn.Circuit(0.1 * ms, target="numpy", name="unitless")
    bad.neurons(1, "dv/dt = -v / tau : volt", name="unitless_cells")
    with pytest.raises(Exception, match="unitless_cells") as error:
        bad.run(0 * ms)  # no namespace holds tau: found when the code is built
    assert "tau" in str(error.value.__cause__)


# -- readouts ---------------------------------------------------------------------------------


def test_vote_readout_matches_diehl_cook_assignment_loop():
    rng = np.random.default_rng(0)
    counts = rng.poisson(2.0, (1, 40, 6)).astype(float)
    y = rng.integers(0, 3, 40)
    readout = VoteReadout(1, 6, 3)
    readout.update(counts, np.eye(3)[y][None])
    # Diehl & Cook's get_new_assignments / get_recognized_number_ranking, as loops
    assignments = -np.ones(6, dtype=int)
    maximum = np.zeros(6)
    for label in range(3):
        rate = counts[0][y == label].mean(axis=0)
        better = rate > maximum
        maximum[better], assignments[better] = rate[better], label
    assert np.array_equal(readout.assignments()[0], assignments)
    test = rng.poisson(2.0, (1, 5, 6)).astype(float)
    expected = np.zeros((5, 3))
    for label in range(3):
        members = assignments == label
        if members.any():
            expected[:, label] = test[0][:, members].sum(axis=1) / members.sum()
    assert np.allclose(readout.scores(test)[0], expected)
    proba = readout.predict_proba(test)[0]
    assert np.allclose(proba.sum(axis=1), 1)


def test_linear_readout_matches_scikit_learn_ridge():
    rng = np.random.default_rng(1)
    counts = rng.poisson(3.0, (2, 50, 4)).astype(float)
    targets = rng.normal(size=(2, 50, 2))
    readout = LinearReadout(2, 4, 2, alpha=2.5)
    readout.update(counts[:, :30], targets[:, :30])
    readout.update(counts[:, 30:], targets[:, 30:])  # statistics add up
    predictions = readout.scores(counts)
    for agent in range(2):
        ridge = Ridge(alpha=2.5).fit(counts[agent], targets[agent])
        assert np.allclose(predictions[agent], ridge.predict(counts[agent]), atol=1e-8)


def test_readout_masks_padding_and_registry():
    readout = LinearReadout(1, 2, 1)
    counts = np.array([[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]])
    readout.update(counts, np.array([[[1.0], [2.0], [100.0]]]), weights=np.array([[1, 1, 0]]))
    reference = LinearReadout(1, 2, 1)
    reference.update(counts[:, :2], np.array([[[1.0], [2.0]]]))
    assert np.allclose(readout.coefficients(), reference.coefficients())
    with pytest.raises(ValueError, match="vote"):
        READOUTS["softmax"]
