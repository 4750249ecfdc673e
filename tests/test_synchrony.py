"""Spiking agents coupled along a graph: from asynchrony to synchrony.

Simulations use Brian2's numpy target (no compilation) and dt = 0.2 ms to stay
fast; the slow-marked tests run the default settings.
"""

import doctest

import networkx as nx
import numpy as np
import pytest
from brian2 import ms, mV, prefs, second
from scipy import signal

import social.synchrony as synchrony
from social.synchrony import (
    PING_PARAMETERS,
    kuramoto_order_parameter,
    phase_locking_value,
    population_phases,
    simulate_coupled_brains,
    synchrony_sweep,
)

FAST = dict(dt=0.2 * ms, duration=1.2 * second)
SHORT = dict(dt=0.2 * ms, duration=0.8 * second)


# ----------------------------------------------------------------------------
# Measures against theory
# ----------------------------------------------------------------------------
def test_order_parameter_is_one_for_identical_phases_and_zero_for_balanced_ones():
    assert kuramoto_order_parameter(np.full(7, 2.5)) == pytest.approx(1.0)
    assert kuramoto_order_parameter(2 * np.pi * np.arange(5) / 5) == pytest.approx(0.0, abs=1e-12)
    # (n_agents, n_times): one R per time step.
    phases = np.array([[0.0, 0.0], [0.0, np.pi]])
    np.testing.assert_allclose(kuramoto_order_parameter(phases, axis=0), [1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("n_oscillators", [4, 10, 50])
def test_order_parameter_of_independent_uniform_phases_is_one_over_sqrt_n(n_oscillators):
    # |sum_k exp(i phi_k)|^2 has expectation N for independent uniform phases
    # (the cross terms vanish), so E[R^2] = 1/N exactly; for large N, R is
    # Rayleigh distributed with mean sqrt(pi / (4 N)).
    rng = np.random.default_rng(0)
    phases = rng.uniform(-np.pi, np.pi, size=(n_oscillators, 40_000))
    R = kuramoto_order_parameter(phases, axis=0)
    assert np.mean(R**2) == pytest.approx(1.0 / n_oscillators, rel=0.03)
    if n_oscillators >= 10:
        assert np.mean(R) == pytest.approx(np.sqrt(np.pi / (4 * n_oscillators)), rel=0.03)


def test_phase_locking_value_and_hilbert_phases_on_known_signals():
    sampling_rate = 1000.0
    t = np.arange(2000) / sampling_rate
    lag = 1.3
    rates = np.stack(
        [
            10 + np.cos(2 * np.pi * 40 * t),
            10 + np.cos(2 * np.pi * 40 * t - lag),
            10 + np.cos(2 * np.pi * 53 * t),
        ]
    )
    phases = population_phases(rates, sampling_rate, (20, 80))
    inner = slice(100, -100)  # away from the filter's edges
    wrapped = np.angle(np.exp(1j * (phases[0, inner] - 2 * np.pi * 40 * t[inner])))
    assert np.max(np.abs(wrapped)) < 0.05
    plv = phase_locking_value(phases[:, inner])
    np.testing.assert_allclose(plv, plv.T)
    np.testing.assert_allclose(np.diag(plv), 1.0)
    assert plv[0, 1] > 0.99 and plv[0, 2] < 0.1
    lag_measured = np.angle(np.mean(np.exp(1j * (phases[0, inner] - phases[1, inner]))))
    assert lag_measured == pytest.approx(lag, abs=0.02)


def test_measures_reject_bad_shapes_and_bands():
    with pytest.raises(ValueError, match="at least one oscillator"):
        kuramoto_order_parameter([])
    with pytest.raises(ValueError, match="n_oscillators, n_times"):
        phase_locking_value(np.zeros(5))
    with pytest.raises(ValueError, match="Nyquist"):
        population_phases(np.zeros((2, 100)), 1000.0, (20, 600))
    with pytest.raises(ValueError, match="pair"):
        population_phases(np.zeros((2, 100)), 1000.0, 40)


def test_doctests():
    result = doctest.testmod(synchrony, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8 and result.failed == 0


# ----------------------------------------------------------------------------
# The transition from asynchrony to synchrony
# ----------------------------------------------------------------------------
def test_synchrony_rises_with_coupling_from_independent_to_locked():
    n_agents = 10
    couplings = [0.0, 10.0, 20.0, 30.0]
    table, results = synchrony_sweep(
        {"complete": nx.complete_graph(n_agents)}, couplings, seeds=[0], return_results=True, **FAST
    )
    assert list(table.columns[:5]) == ["topology", "n_agents", "n_edges", "coupling", "seed"]
    R = table["order_parameter"].to_numpy()
    independent = 1.0 / np.sqrt(n_agents)
    assert 0.5 * independent < R[0] < 1.5 * independent, R
    assert R[-1] > 0.9, R
    assert np.all(np.diff(R) > 0), R
    # Every agent oscillates in the gamma band on its own ...
    uncoupled, locked = results[0], results[-1]
    assert np.all((uncoupled.frequencies > 30) & (uncoupled.frequencies < 55)), (
        uncoupled.frequencies
    )
    assert np.all(uncoupled.mean_rates > 5)
    # A genuine rhythm, not irregular firing: the gamma peak of each agent's
    # rate spectrum towers over the flat (Poisson-like) floor above 150 Hz.
    steady_rates = uncoupled.rates[:, uncoupled.steady]
    frequency, power = signal.welch(
        steady_rates - steady_rates.mean(axis=1, keepdims=True), fs=1000.0, nperseg=256, axis=1
    )
    assert np.all(power.max(axis=1) > 10 * power[:, frequency > 150].mean(axis=1))
    # ... at its own frequency; locked agents share one.
    assert np.ptp(uncoupled.frequencies) > 2.0
    assert np.ptp(locked.frequencies) < 1e-9
    off_diagonal = ~np.eye(n_agents, dtype=bool)
    assert locked.phase_locking[off_diagonal].min() > 0.9
    assert uncoupled.phase_locking[off_diagonal].mean() < 0.5


def test_same_seed_same_run_and_a_sweep_row_equals_a_single_run():
    G = nx.path_graph(["left", "middle", "right"])
    numpy_state = np.random.get_state()[1].copy()
    target = prefs.codegen.target
    first = simulate_coupled_brains(G, 20.0, random_state=7, **SHORT)
    again = simulate_coupled_brains(G, 20.0, random_state=np.random.default_rng(7), **SHORT)
    # Global state is left alone: numpy's legacy RNG and Brian2's preferences.
    assert np.array_equal(numpy_state, np.random.get_state()[1])
    assert prefs.codegen.target == target
    np.testing.assert_array_equal(first.spike_times, again.spike_times)
    np.testing.assert_array_equal(first.phases, again.phases)
    assert first.order_parameter == again.order_parameter

    table, results = synchrony_sweep(G, [20.0], seeds=[7, 8], return_results=True, **SHORT)
    np.testing.assert_array_equal(results[0].spike_times, first.spike_times)
    np.testing.assert_array_equal(results[0].spike_neurons, first.spike_neurons)
    assert table.loc[0, "order_parameter"] == first.order_parameter
    assert not np.array_equal(results[1].spike_times[:50], first.spike_times[:50])
    assert first.nodes == ["left", "middle", "right"] and first.rates.shape == (3, 800)


def test_isolated_agents_are_uncoupled_and_directed_edges_drive_one_way():
    G = nx.complete_graph([("agent", k) for k in range(3)])
    G.add_node("hermit")
    uncoupled = simulate_coupled_brains(G, 0.0, random_state=1, **SHORT)
    coupled = simulate_coupled_brains(G, 30.0, random_state=1, **SHORT)
    hermit = G.number_of_nodes() - 1

    def spikes_of(result, agent):
        mine = result.spike_agents == agent
        return result.spike_times[mine], result.spike_neurons[mine]

    # Same seed, same agents: the hermit receives nothing, so it fires exactly
    # as without coupling, while its coupled peers change.
    for a, b in zip(spikes_of(uncoupled, hermit), spikes_of(coupled, hermit)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(spikes_of(uncoupled, 0)[0], spikes_of(coupled, 0)[0])
    np.testing.assert_array_equal(uncoupled.drives, coupled.drives)

    # A directed edge (u, v): u's E cells excite v's, v does not act on u.
    driver_and_follower = nx.DiGraph([("u", "v")])
    alone = simulate_coupled_brains(driver_and_follower, 0.0, random_state=2, **SHORT)
    driven = simulate_coupled_brains(driver_and_follower, 40.0, random_state=2, **SHORT)
    np.testing.assert_array_equal(spikes_of(alone, 0)[0], spikes_of(driven, 0)[0])
    assert not np.array_equal(spikes_of(alone, 1)[0], spikes_of(driven, 1)[0])
    assert driven.phase_locking[0, 1] > alone.phase_locking[0, 1] + 0.2


def test_without_degree_normalisation_every_edge_carries_the_full_coupling():
    # In a pair each agent has one neighbour: normalising by degree changes nothing.
    pair = [
        simulate_coupled_brains(
            nx.path_graph(2), 20.0, random_state=3, normalize_by_degree=n, **SHORT
        )
        for n in (True, False)
    ]
    np.testing.assert_array_equal(pair[0].spike_times, pair[1].spike_times)
    # In a triangle each agent has two: unnormalised, each edge carries the whole
    # coupling, so 10 mV unnormalised is 20 mV normalised (the same weights exactly).
    triangle = [
        simulate_coupled_brains(
            nx.complete_graph(3), coupling, random_state=3, normalize_by_degree=n, **SHORT
        )
        for coupling, n in ((20.0, True), (10.0, False), (10.0, True))
    ]
    np.testing.assert_array_equal(triangle[0].spike_times, triangle[1].spike_times)
    assert not np.array_equal(triangle[1].spike_times, triangle[2].spike_times)
    assert triangle[1].settings["normalize_by_degree"] is False


def test_bad_arguments_are_rejected_before_simulating():
    G = nx.cycle_graph(3)
    with pytest.raises(ValueError, match="coupling"):
        simulate_coupled_brains(G, -1.0)
    with pytest.raises(TypeError, match="duration"):
        simulate_coupled_brains(G, 1.0, duration=1.5)
    with pytest.raises(ValueError, match="duration must exceed"):
        simulate_coupled_brains(G, 1.0, duration=200 * ms)
    with pytest.raises(ValueError, match="dt"):
        simulate_coupled_brains(G, 1.0, dt=1 * ms)
    with pytest.raises(ValueError, match="no nodes"):
        simulate_coupled_brains(nx.Graph(), 1.0)
    with pytest.raises(TypeError, match="networkx graph"):
        simulate_coupled_brains(np.eye(3), 1.0)
    with pytest.raises(ValueError, match="n_excitatory"):
        simulate_coupled_brains(G, 1.0, n_excitatory=0)
    with pytest.raises(ValueError, match="unknown model_params.*known"):
        simulate_coupled_brains(G, 1.0, model_params={"tau_nmda": 100.0})
    with pytest.raises(
        TypeError, match=r"model_params must be None or a dict .*got model_params=\[1\]"
    ):
        simulate_coupled_brains(G, 1.0, model_params=[1])
    with pytest.raises(ValueError, match=r"model_params\['p_inter'\] must be a number in \(0, 1\]"):
        simulate_coupled_brains(G, 1.0, model_params={"p_inter": 1.5})
    with pytest.raises(ValueError, match=r"model_params\['tau_gaba'\] must be a number"):
        simulate_coupled_brains(G, 1.0, model_params={"tau_gaba": float("nan")})
    with pytest.raises(
        ValueError, match=r"drive_spread must be a number in \[0, 1\), got drive_spread=1"
    ):
        simulate_coupled_brains(G, 1.0, drive_spread=1)
    with pytest.raises(TypeError, match="drive_spread must be a number"):
        simulate_coupled_brains(G, 1.0, drive_spread="0.1")
    with pytest.raises(ValueError, match="codegen_target"):
        simulate_coupled_brains(G, 1.0, codegen_target="cpp_standalone")
    with pytest.raises(ValueError, match="band"):
        simulate_coupled_brains(G, 1.0, band=(80, 20))
    with pytest.raises(TypeError, match="coupling"):
        simulate_coupled_brains(G, 3 * ms)
    with pytest.raises(TypeError, match="unknown simulation options.*known"):
        synchrony_sweep(G, [1.0], n_neurons=10)
    with pytest.raises(
        TypeError,
        match=r"unknown simulation options \['random_state'\].*set from graphs, couplings and seeds",
    ):
        synchrony_sweep(G, [1.0], random_state=0)
    with pytest.raises(TypeError, match=r"seeds\[0\] must be an integer"):
        synchrony_sweep(G, [1.0], seeds=[0.5])


def test_coupling_accepts_a_voltage_and_model_params_override():
    result = simulate_coupled_brains(
        nx.empty_graph(2), 10 * mV, random_state=0, model_params={"drive_excitatory": 20.0}, **SHORT
    )
    assert result.coupling == 10.0
    assert result.settings["model_params"]["drive_excitatory"] == 20.0
    assert set(result.settings["model_params"]) == set(PING_PARAMETERS)
    # A weaker drive gives slower rhythms than the default 25 mV.
    default = simulate_coupled_brains(nx.empty_graph(2), 10 * mV, random_state=0, **SHORT)
    assert result.frequencies.mean() < default.frequencies.mean()


# ----------------------------------------------------------------------------
# Slow: default settings, topology, the compiled target
# ----------------------------------------------------------------------------
@pytest.mark.slow
def test_topology_orders_synchrony_at_equal_total_coupling():
    # With degree-normalised coupling every agent receives the same total
    # input; shorter paths lock the society sooner (Barahona & Pecora 2002).
    n_agents = 10
    graphs = {
        "complete": nx.complete_graph(n_agents),
        "small_world": nx.connected_watts_strogatz_graph(n_agents, 4, 0.2, seed=0),
        "ring": nx.cycle_graph(n_agents),
    }
    table = synchrony_sweep(graphs, [0.0, 10.0, 20.0, 30.0], seeds=[0, 1, 2])
    mean_R = table.groupby(["topology", "coupling"])["order_parameter"].mean().unstack(0)
    independent = 1.0 / np.sqrt(n_agents)
    assert (mean_R.loc[0.0] < 1.5 * independent).all(), mean_R
    for topology in graphs:
        assert mean_R.loc[30.0, topology] > mean_R.loc[0.0, topology] + 0.3, mean_R
    assert mean_R.loc[30.0, "complete"] > 0.9, mean_R
    for coupling in (20.0, 30.0):
        assert (
            mean_R.loc[coupling, "complete"]
            > mean_R.loc[coupling, "small_world"]
            > mean_R.loc[coupling, "ring"]
        ), mean_R


@pytest.mark.slow
def test_cython_target_reproduces_the_transition():
    couplings = [0.0, 30.0]
    numpy_table = synchrony_sweep(nx.complete_graph(6), couplings, seeds=[0], **FAST)
    cython_table = synchrony_sweep(
        nx.complete_graph(6), couplings, seeds=[0], codegen_target="cython", **FAST
    )
    R_numpy, R_cython = (
        numpy_table["order_parameter"].to_numpy(),
        cython_table["order_parameter"].to_numpy(),
    )
    assert R_cython[0] < 0.7 and R_cython[1] > 0.9, R_cython
    np.testing.assert_allclose(R_cython[1], R_numpy[1], atol=0.05)
