"""Brains coupled to brains: synchronisation of spiking agents along a graph.

Each agent is a small pyramidal-interneuron gamma (PING) circuit of leaky
integrate-and-fire neurons (Börgers & Kopell 2003): tonically driven,
noisy excitatory (E) cells excite inhibitory (I) cells, whose inhibition
silences the E cells until it decays, so the population fires in a gamma
rhythm. Agents differ slightly in their drive, hence in their natural
frequency. For every edge ``(u, v)`` of a graph, agent ``u``'s E cells excite
agent ``v``'s E cells (inter-brain coupling, the E-to-E coupling of
Ermentrout & Kopell 1998). All agents are blocks of ONE Brian2 ``Network``
(two ``NeuronGroup`` objects for the whole society), and a sweep over
topologies, couplings and seeds is also one network, block by block. The
network is built and run as an :class:`snn.Circuit` (the spiking package's
code-generation target and network plumbing); this module keeps the graph,
the coupling and the phase mathematics.

Synchrony is the Kuramoto order parameter of the agents' rhythms: each
agent's population rate is band-passed and its phase taken from the Hilbert
transform; ``R(t) = |mean_k exp(i phi_k(t))|`` is averaged over the steady
state. Independent agents give ``R`` of order ``1/sqrt(N)``
(``E[R^2] = 1/N`` exactly for independent uniform phases); locked agents give
``R`` close to 1.

Randomness: everything random (drives, initial potentials, connectivity,
noise) is drawn with numpy from the single ``random_state``; Brian2's own
random number generator is never used, so results do not depend on global
state and the same ``random_state`` reproduces a run exactly. Each run draws
from four child streams (agents, circuits, inter-agent synapses, noise) of
``numpy.random.default_rng(random_state)``, so two runs with the same seed
and different ``coupling`` (or topology with the same number of agents) hold
the same agents.

References
----------
C. Börgers and N. Kopell, "Synchronization in networks of excitatory and
inhibitory neurons with sparse, random connectivity", Neural Comput. 15,
509-538 (2003).
G. B. Ermentrout and N. Kopell, "Fine structure of neural spiking and
synchronization in the presence of conduction delays", PNAS 95, 1259-1264
(1998).
Y. Kuramoto, Chemical Oscillations, Waves, and Turbulence, Springer (1984).
J.-P. Lachaux, E. Rodriguez, J. Martinerie and F. J. Varela, "Measuring phase
synchrony in brain signals", Hum. Brain Mapp. 8, 194-208 (1999).
M. Barahona and L. M. Pecora, "Synchronization in small-world systems",
Phys. Rev. Lett. 89, 054101 (2002).
"""

from __future__ import annotations

import inspect
import itertools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real

import networkx as nx
import numpy as np
import pandas as pd
from scipy import signal

from core.params import Interval, KeywordDict, NoneOf, check_param
from core.random import check_random_state, check_seed

__all__ = [
    "PING_PARAMETERS",
    "CoupledBrainsResult",
    "simulate_coupled_brains",
    "synchrony_sweep",
    "kuramoto_order_parameter",
    "phase_locking_value",
    "population_phases",
]

# Population rates are spike counts in 1 ms bins (1 kHz sampling): fine enough
# for gamma rhythms, coarse enough to keep the arrays small.
RATE_BIN_SECONDS = 1e-3
# The noise input is redrawn every millisecond (piecewise-constant noise with a
# 1 ms correlation time): cheap to generate with numpy, and short against the
# 10 ms membrane time constant.
NOISE_INTERVAL_MS = 1.0

#: Parameters of one agent's PING circuit (voltages in mV, times in ms).
#: Synaptic strengths are *volleys*: the summed depolarisation (ignoring leak,
#: ``sum of w * tau_syn / tau_membrane``) that one postsynaptic cell receives
#: when every presynaptic cell of the source population fires once; per-synapse
#: weights are derived by dividing by the expected number of inputs, so the
#: circuit behaves alike for other population sizes. Override any of them with
#: ``model_params={...}``.
PING_PARAMETERS = {
    "v_rest": -65.0,  # mV
    "v_threshold": -50.0,  # mV
    "v_reset": -65.0,  # mV
    "tau_membrane": 10.0,  # ms
    "tau_ampa": 2.0,  # ms, excitatory synaptic current decay
    "tau_gaba": 8.0,  # ms, sets the gamma period together with the drive
    "refractory_excitatory": 2.0,  # ms
    "refractory_inhibitory": 1.0,  # ms
    "drive_excitatory": 25.0,  # mV above rest; suprathreshold (gap 15 mV)
    "drive_inhibitory": 5.0,  # mV; I cells fire only when E cells drive them
    "drive_jitter": 0.05,  # relative neuron-to-neuron spread of the drive
    "noise_std": 3.0,  # mV, std of the noise added to the drive
    "volley_e_to_i": 20.0,  # mV
    "volley_i_to_e": 60.0,  # mV
    "volley_i_to_i": 8.0,  # mV
    "p_e_to_i": 0.5,
    "p_i_to_e": 0.5,
    "p_i_to_i": 0.5,
    "p_inter": 0.2,  # probability of a synapse between E cells of two coupled agents
    "synaptic_delay": 0.5,  # ms, within an agent
}


# ----------------------------------------------------------------------------
# Synchrony measures (pure numpy)
# ----------------------------------------------------------------------------
def kuramoto_order_parameter(phases, axis=0):
    """Kuramoto order parameter ``R = |mean_k exp(i phi_k)|``.

    Parameters
    ----------
    phases : array_like
        Phases in radians; the oscillators run along ``axis`` (e.g. shape
        ``(n_agents, n_times)`` with ``axis=0`` gives ``R(t)``).
    axis : int
        Axis of the oscillators.

    Returns
    -------
    R : float or ndarray
        In ``[0, 1]``: 1 for identical phases; for ``N`` independent uniform
        phases ``E[R^2] = 1/N`` (so ``R ~ 1/sqrt(N)``).

    References
    ----------
    Y. Kuramoto, Chemical Oscillations, Waves, and Turbulence, Springer (1984).

    Examples
    --------
    >>> round(kuramoto_order_parameter([0.3, 0.3, 0.3]), 12)
    1.0
    >>> round(kuramoto_order_parameter([0.0, np.pi]), 12)
    0.0
    """
    phases = np.asarray(phases, dtype=float)
    if phases.ndim == 0 or phases.shape[axis] == 0:
        raise ValueError(
            f"phases must hold at least one oscillator along axis {axis}, got shape {phases.shape}"
        )
    R = np.abs(np.mean(np.exp(1j * phases), axis=axis))
    return float(R) if np.ndim(R) == 0 else R


def phase_locking_value(phases):
    """Pairwise phase-locking value ``|mean_t exp(i (phi_j(t) - phi_k(t)))|``.

    Parameters
    ----------
    phases : array_like of shape (n_oscillators, n_times)

    Returns
    -------
    plv : ndarray of shape (n_oscillators, n_oscillators)
        Symmetric, ones on the diagonal; 1 for a constant phase lag, near 0
        for oscillators at different frequencies.

    References
    ----------
    J.-P. Lachaux et al., "Measuring phase synchrony in brain signals",
    Hum. Brain Mapp. 8, 194-208 (1999).

    Examples
    --------
    >>> t = np.linspace(0, 1, 1000, endpoint=False)
    >>> phases = np.array([2 * np.pi * 40 * t, 2 * np.pi * 40 * t + 1.0, 2 * np.pi * 47 * t])
    >>> phase_locking_value(phases).round(2)
    array([[1., 1., 0.],
           [1., 1., 0.],
           [0., 0., 1.]])
    """
    phases = np.asarray(phases, dtype=float)
    if phases.ndim != 2 or phases.shape[1] == 0:
        raise ValueError(f"phases must have shape (n_oscillators, n_times), got {phases.shape}")
    unit = np.exp(1j * phases)
    return np.abs(unit @ unit.conj().T) / phases.shape[1]


def population_phases(rates, sampling_rate, band):
    """Instantaneous phase of population-rate rhythms: band-pass, then Hilbert transform.

    Parameters
    ----------
    rates : array_like of shape (n_populations, n_samples)
        Population rates sampled at ``sampling_rate``.
    sampling_rate : float
        In Hz.
    band : (float, float)
        Pass band in Hz (second-order Butterworth, applied forwards and
        backwards so that it adds no phase lag).

    Returns
    -------
    phases : ndarray of shape (n_populations, n_samples)
        In radians, ``(-pi, pi]``. The first and last cycles carry edge effects.

    References
    ----------
    J.-P. Lachaux et al., Hum. Brain Mapp. 8, 194-208 (1999).

    Examples
    --------
    >>> t = np.arange(1000) / 1000.0
    >>> phi = population_phases(np.cos(2 * np.pi * 40 * t)[None], 1000.0, (20, 80))
    >>> bool(np.allclose(np.angle(np.exp(1j * (phi[0, 100:-100] - 2 * np.pi * 40 * t[100:-100]))), 0, atol=0.05))
    True
    """
    rates = np.asarray(rates, dtype=float)
    if rates.ndim != 2:
        raise ValueError(f"rates must have shape (n_populations, n_samples), got {rates.shape}")
    low, high = _check_band(band, sampling_rate)
    sos = signal.butter(2, (low, high), btype="bandpass", fs=sampling_rate, output="sos")
    filtered = signal.sosfiltfilt(sos, rates - rates.mean(axis=1, keepdims=True), axis=1)
    return np.angle(signal.hilbert(filtered, axis=1))


def _check_band(band, sampling_rate):
    try:
        low, high = (float(edge) for edge in band)
    except (TypeError, ValueError):
        raise ValueError(f"band must be a pair (low, high) in Hz, got {band!r}") from None
    if not 0.0 < low < high < sampling_rate / 2:
        raise ValueError(
            f"band must satisfy 0 < low < high < {sampling_rate / 2:g} Hz (Nyquist), got {band!r}"
        )
    return low, high


# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------
@dataclass
class CoupledBrainsResult:
    """One simulation of coupled spiking agents.

    Attributes
    ----------
    nodes : list
        Agent labels, in the order ``list(graph.nodes)``; row ``k`` of every
        per-agent array is ``nodes[k]``.
    coupling : float
        Inter-agent coupling in mV (see :func:`simulate_coupled_brains`).
    times : ndarray of shape (n_bins,)
        Centres of the 1 ms rate bins, in seconds.
    rates : ndarray of shape (n_agents, n_bins)
        Population rate of each agent's E cells, in Hz per neuron.
    phases : ndarray of shape (n_agents, n_bins)
        Phase of each agent's band-passed rate, in radians.
    steady : ndarray of bool, shape (n_bins,)
        The bins used for the statistics (after the transient, before the
        filter's edge).
    order_parameter_t : ndarray of shape (n_bins,)
        Kuramoto ``R(t)``.
    order_parameter : float
        Mean of ``R(t)`` over the steady state.
    phase_locking : ndarray of shape (n_agents, n_agents)
        Pairwise phase-locking values over the steady state.
    frequencies : ndarray of shape (n_agents,)
        Peak frequency of each agent's rate spectrum within the band, in Hz.
    mean_rates : ndarray of shape (n_agents,)
        Mean firing rate of each agent's E cells over the steady state, in Hz.
    drives : ndarray of shape (n_agents,)
        Tonic drive of each agent's E cells in mV (sets its natural frequency).
    spike_times, spike_agents, spike_neurons : ndarray
        Every E spike: time in seconds, agent row, neuron index within the agent.
    settings : dict
        The arguments of the run.
    """

    nodes: list
    coupling: float
    times: np.ndarray
    rates: np.ndarray
    phases: np.ndarray
    steady: np.ndarray
    order_parameter_t: np.ndarray
    order_parameter: float
    phase_locking: np.ndarray
    frequencies: np.ndarray
    mean_rates: np.ndarray
    drives: np.ndarray
    spike_times: np.ndarray
    spike_agents: np.ndarray
    spike_neurons: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def n_agents(self) -> int:
        return len(self.nodes)

    @property
    def independent_level(self) -> float:
        """``1/sqrt(N)``: the RMS order parameter of ``N`` independent uniform phases."""
        return 1.0 / np.sqrt(self.n_agents)


# ----------------------------------------------------------------------------
# Argument checking
# ----------------------------------------------------------------------------
def _check_graph(graph, name="graph"):
    if not isinstance(graph, nx.Graph):
        raise TypeError(f"{name} must be a networkx graph, got {type(graph).__name__}")
    if graph.number_of_nodes() == 0:
        raise ValueError(f"{name} has no nodes; every node is one spiking agent")
    return graph


def _coupled_pairs(graph):
    """Directed (source row, target row) pairs: both ways for undirected edges;
    self-loops (recurrent excitation within one agent) and parallel edges left out."""
    rows = nx.convert_node_labels_to_integers(nx.DiGraph(graph))  # rows in node order
    pairs = sorted((u, v) for u, v in rows.edges if u != v)
    return np.array(pairs, dtype=int).reshape(-1, 2)


def _as_millivolts(value, name):
    """``value`` in mV: a number of mV or a Brian2 voltage, non-negative and finite."""
    from brian2 import Quantity, mV

    from snn import BrianQuantity

    millivolts = Interval(Real, 0, None)
    millivolts.description = "a non-negative number of mV"
    value = check_param(name, value, [millivolts, BrianQuantity(mV, "10*mV", allow_zero=True)])
    return float(value / mV) if isinstance(value, Quantity) else value


#: What a number of neurons (or of neurons per network) may be.
_COUNT = [Interval(Integral, 1, None)]


def _settings(options):
    """Validate the simulation options once, before any work; times in ms.

    ``options`` maps the keyword-only arguments of :func:`simulate_coupled_brains`
    but ``random_state`` to their values (None: the default, for the times).
    """
    from brian2 import ms, second

    from snn import as_time, check_target

    overrides = check_param("model_params", options["model_params"], [NoneOf(dict), KeywordDict()])
    unknown = sorted(set(overrides) - set(PING_PARAMETERS))
    if unknown:
        raise ValueError(f"unknown model_params {unknown}; known: {sorted(PING_PARAMETERS)}")
    model = dict(PING_PARAMETERS)
    for key, value in overrides.items():
        model[key] = check_param(f"model_params[{key!r}]", value, [Interval(Real, None, None)])
    for key in ("p_e_to_i", "p_i_to_e", "p_i_to_i", "p_inter"):
        check_param(f"model_params[{key!r}]", model[key], [Interval(Real, 0, 1, closed="right")])
    times = dict(duration=1.5 * second, dt=0.1 * ms, transient=300.0 * ms, coupling_delay=1.0 * ms)
    times.update({key: options[key] for key in times if options[key] is not None})
    settings = {  # only the transient may be zero
        f"{key}_ms": float(as_time(value, key, allow_zero=key == "transient") / ms)
        for key, value in times.items()
    }
    settings.update(
        n_excitatory=check_param("n_excitatory", options["n_excitatory"], _COUNT),
        n_inhibitory=check_param("n_inhibitory", options["n_inhibitory"], _COUNT),
        drive_spread=check_param(
            "drive_spread", options["drive_spread"], [Interval(Real, 0, 1, closed="left")]
        ),
        normalize_by_degree=bool(options["normalize_by_degree"]),
        band_hz=_check_band(options["band"], 1.0 / RATE_BIN_SECONDS),
        codegen_target=check_target(options["codegen_target"], "codegen_target"),
        model=model,
        # Exponential Euler integrates the synaptic decays exactly and the membrane
        # with the currents held over one step; Brian2's "exact" method is no more
        # accurate here (the noise is piecewise constant anyway) but costs seconds
        # of symbolic solving per run.
        integration_method="exponential_euler",
    )
    if settings["dt_ms"] > 0.5:
        raise ValueError(f"dt must be at most 0.5*ms for the 1-2 ms synapses, got {times['dt']!r}")
    # Keep one period of the slowest rhythm in the band clear of the filter's edge,
    # and at least four such periods for the statistics.
    settings["edge_ms"] = 1000.0 / settings["band_hz"][0]
    needed = settings["transient_ms"] + 5 * settings["edge_ms"]
    if settings["duration_ms"] < needed:
        raise ValueError(
            f"duration must exceed transient + 5 periods of the band's low edge "
            f"({needed:g} ms), got {times['duration']!r}"
        )
    return settings


# ----------------------------------------------------------------------------
# One block of the network = one (graph, coupling, random_state) condition
# ----------------------------------------------------------------------------
@dataclass
class _Block:
    nodes: list
    pairs: np.ndarray  # directed (source, target) agent rows
    coupling: float
    random_state: object
    agent_offset: int  # first agent row of this block in the whole network
    drives: np.ndarray | None = None
    noise_rng: np.random.Generator | None = None


# An agent's two populations, by the letter of the connection names ("e_to_i"):
# the population's name and the synaptic current its spikes open (E cells AMPA
# channels, I cells GABA-A channels).
_POPULATIONS = {"e": ("excitatory", "ampa"), "i": ("inhibitory", "gaba")}


def _simulate(conditions, settings):
    """Yield one result per (graph, coupling, random_state) condition, every condition
    a block of one Brian2 network."""
    blocks, n_agents = [], 0
    for graph, coupling, random_state in conditions:
        blocks.append(
            _Block(list(graph.nodes), _coupled_pairs(graph), coupling, random_state, n_agents)
        )
        n_agents += graph.number_of_nodes()
    spike_times_ms, spike_neurons = _build_and_run(blocks, n_agents, settings)
    for block in blocks:
        yield _analyse_block(block, settings, spike_times_ms, spike_neurons)


def _bernoulli_blocks(rng, n_blocks, n_pre, n_post, probability):
    """Random connections inside ``n_blocks`` (pre, post) blocks; returns block-local
    (block, pre, post) indices."""
    return np.nonzero(rng.random((n_blocks, n_pre, n_post)) < probability)


def _build_and_run(blocks, n_agents, settings):
    """Simulate all blocks as one Brian2 Network; return E spike times (ms) and global E indices."""
    from brian2 import ms, mV

    from snn import Circuit

    model = settings["model"]
    sizes = {"e": settings["n_excitatory"], "i": settings["n_inhibitory"]}  # cells per agent
    n_exc = sizes["e"]
    tau_m = model["tau_membrane"]
    gap = model["v_threshold"] - model["v_rest"]
    # Per population, one array per block (blocks hold consecutive agent rows).
    drives, potentials = {key: [] for key in sizes}, {key: [] for key in sizes}
    connections = {"e_to_i": ([], []), "i_to_e": ([], []), "i_to_i": ([], [])}
    inter_pre, inter_post, inter_weight = [], [], []
    for block in blocks:
        n = len(block.nodes)
        rng = check_random_state(block.random_state)
        agents_rng, circuits_rng, inter_rng, block.noise_rng = rng.spawn(4)

        block.drives = model["drive_excitatory"] * (
            1.0 + settings["drive_spread"] * agents_rng.uniform(-1, 1, n)
        )
        jitter = 1.0 + model["drive_jitter"] * agents_rng.standard_normal((n, n_exc))
        drives["e"].append((block.drives[:, None] * jitter).ravel())
        drives["i"].append(np.full(n * sizes["i"], model["drive_inhibitory"]))
        for key, size in sizes.items():
            # Start anywhere between rest and threshold so no agent begins in lockstep.
            potentials[key].append(model["v_rest"] + gap * agents_rng.random(n * size))

        for name, (pre_indices, post_indices) in connections.items():
            n_pre, n_post = sizes[name[0]], sizes[name[-1]]
            agent, pre, post = _bernoulli_blocks(circuits_rng, n, n_pre, n_post, model[f"p_{name}"])
            pre_indices.append((block.agent_offset + agent) * n_pre + pre)
            post_indices.append((block.agent_offset + agent) * n_post + post)

        if len(block.pairs) and block.coupling > 0:
            pair, pre, post = _bernoulli_blocks(
                inter_rng, len(block.pairs), n_exc, n_exc, model["p_inter"]
            )
            source, target = (block.agent_offset + block.pairs[pair]).T
            inter_pre.append(source * n_exc + pre)
            inter_post.append(target * n_exc + post)
            # coupling = summed depolarisation (no leak) of a full volley of all
            # presynaptic neighbours; divided over the expected number of inputs
            # (from every neighbour of the target agent, if normalising by degree).
            in_degree = np.bincount(block.pairs[:, 1], minlength=n)
            shared = in_degree if settings["normalize_by_degree"] else np.ones_like(in_degree)
            expected_inputs = model["p_inter"] * n_exc * shared[block.pairs[pair, 1]]
            inter_weight.append(block.coupling * (tau_m / model["tau_ampa"]) / expected_inputs)

    # One circuit on snn's code-generation target: every object shares its clock of step dt.
    circuit = Circuit(settings["dt_ms"] * ms, target=settings["codegen_target"], name="brains")
    equations = """
    dv/dt = (v_rest - v + drive + noise_std * noise + I_ampa - I_gaba) / tau_membrane : volt (unless refractory)
    dI_ampa/dt = -I_ampa / tau_ampa : volt
    dI_gaba/dt = -I_gaba / tau_gaba : volt
    drive : volt (constant)
    noise : 1
    """
    # Fixed names (not "name*") keep the generated code identical from run to
    # run, so Cython's cache is reused instead of recompiling each network.
    groups = {}
    for key, (population, _) in _POPULATIONS.items():
        groups[key] = circuit.neurons(
            n_agents * sizes[key],
            equations,
            threshold="v > v_threshold",
            reset="v = v_reset",
            refractory=model[f"refractory_{population}"] * ms,
            method=settings["integration_method"],
            name=f"brains_{population}",
        )
        groups[key].drive = np.concatenate(drives[key]) * mV
        groups[key].v = np.concatenate(potentials[key]) * mV

    namespace = {
        key: value * (ms if key.startswith(("tau", "refractory", "synaptic_delay")) else mV)
        for key, value in model.items()
        if key.startswith(("v_", "tau_", "noise_std"))
    }
    for name, (pre_indices, post_indices) in connections.items():
        # The presynaptic cell type decides the synapse's current.
        channel = _POPULATIONS[name[0]][1]
        # Per-synapse jump of the synaptic current: the volley divided over the
        # expected number of inputs, converted from depolarisation (no leak).
        expected_inputs = model[f"p_{name}"] * sizes[name[0]]
        volley = model[f"volley_{name}"] * (tau_m / model[f"tau_{channel}"])
        namespace[f"w_{name}"] = volley / expected_inputs * mV
        connection = circuit.synapses(
            groups[name[0]],
            groups[name[-1]],
            on_pre=f"I_{channel}_post += w_{name}",
            delay=model["synaptic_delay"] * ms,
            name=f"brains_{name}",
        )
        connection.connect(i=np.concatenate(pre_indices), j=np.concatenate(post_indices))
    if inter_pre:
        coupling_synapses = circuit.synapses(
            groups["e"],
            groups["e"],
            model="w : volt",
            on_pre="I_ampa_post += w",
            delay=settings["coupling_delay_ms"] * ms,
            name="brains_coupling",
        )
        coupling_synapses.connect(i=np.concatenate(inter_pre), j=np.concatenate(inter_post))
        coupling_synapses.w = np.concatenate(inter_weight) * mV

    def redraw_noise():
        # One draw per block from its own stream: a block's noise does not
        # depend on which other blocks share the network.
        draws = [
            [block.noise_rng.standard_normal(len(block.nodes) * size) for size in sizes.values()]
            for block in blocks
        ]
        for group, values in zip(groups.values(), zip(*draws)):
            group.variables["noise"].set_value(np.concatenate(values))

    circuit.operation(redraw_noise, dt=NOISE_INTERVAL_MS * ms, when="start", name="brains_noise")
    spikes = circuit.spike_monitor(groups["e"], record=True, name="brains_spikes")
    circuit.run(settings["duration_ms"] * ms, namespace=namespace)
    return np.asarray(spikes.t / ms), np.asarray(spikes.i)


def _analyse_block(block, settings, spike_times_ms, spike_neurons):
    """Rates, phases and synchrony statistics of one block from the E spikes."""
    n_exc = settings["n_excitatory"]
    n = len(block.nodes)
    first = block.agent_offset * n_exc
    mine = (spike_neurons >= first) & (spike_neurons < first + n * n_exc)
    times_ms = spike_times_ms[mine]
    agents, neurons = np.divmod(spike_neurons[mine] - first, n_exc)

    bin_ms = RATE_BIN_SECONDS * 1000.0
    n_bins = int(round(settings["duration_ms"] / bin_ms))
    bins = np.minimum((times_ms / bin_ms).astype(int), n_bins - 1)
    counts = np.zeros((n, n_bins))
    np.add.at(counts, (agents, bins), 1.0)
    rates = counts / (n_exc * RATE_BIN_SECONDS)
    times = (np.arange(n_bins) + 0.5) * RATE_BIN_SECONDS

    sampling_rate = 1.0 / RATE_BIN_SECONDS
    phases = population_phases(rates, sampling_rate, settings["band_hz"])
    times_ms_of_bins = times * 1000.0
    steady = (times_ms_of_bins >= settings["transient_ms"]) & (
        times_ms_of_bins <= settings["duration_ms"] - settings["edge_ms"]
    )
    order_parameter_t = kuramoto_order_parameter(phases, axis=0)

    silent = [block.nodes[k] for k in range(n) if counts[k, steady].sum() == 0]
    if silent:
        warnings.warn(
            f"agents {silent} fired no spike in the steady state; their phase is undefined "
            "(held at 0), which biases the order parameter. Raise their drive or lower inhibition.",
            RuntimeWarning,
            stacklevel=4,
        )
    steady_rates = rates[:, steady]
    frequencies_axis, power = signal.welch(
        steady_rates - steady_rates.mean(axis=1, keepdims=True),
        fs=sampling_rate,
        nperseg=min(512, steady_rates.shape[1]),
        axis=1,
    )
    low, high = settings["band_hz"]
    in_band = (frequencies_axis >= low) & (frequencies_axis <= high)
    frequencies = frequencies_axis[in_band][np.argmax(power[:, in_band], axis=1)]

    random_state = block.random_state
    return CoupledBrainsResult(
        nodes=list(block.nodes),
        coupling=block.coupling,
        times=times,
        rates=rates,
        phases=phases,
        steady=steady,
        order_parameter_t=order_parameter_t,
        order_parameter=float(order_parameter_t[steady].mean()),
        phase_locking=phase_locking_value(phases[:, steady]),
        frequencies=frequencies,
        mean_rates=steady_rates.mean(axis=1),
        drives=block.drives.copy(),
        spike_times=times_ms / 1000.0,
        spike_agents=agents,
        spike_neurons=neurons,
        settings={
            **{key: value for key, value in settings.items() if key != "model"},
            "model_params": dict(settings["model"]),
            "random_state": random_state
            if isinstance(random_state, (Integral, type(None)))
            else repr(random_state),
            "coupling_mV": block.coupling,
        },
    )


# ----------------------------------------------------------------------------
# Public simulations
# ----------------------------------------------------------------------------
def simulate_coupled_brains(
    graph,
    coupling,
    *,
    duration=None,
    dt=None,
    n_excitatory=40,
    n_inhibitory=10,
    drive_spread=0.05,
    coupling_delay=None,
    normalize_by_degree=True,
    band=(20.0, 120.0),
    transient=None,
    random_state=None,
    codegen_target="numpy",
    model_params=None,
):
    """Simulate one spiking PING agent per node, coupled along the graph's edges.

    Parameters
    ----------
    graph : networkx.Graph or networkx.DiGraph
        One agent per node (any hashable labels; per-agent arrays follow
        ``list(graph.nodes)``). An undirected edge couples both ways; a
        directed edge ``(u, v)`` means u's E cells excite v's (one-way drive).
        Isolated nodes are uncoupled agents. Self-loops and parallel edges are
        ignored.
    coupling : float or brian2 voltage, >= 0
        Inter-agent coupling in mV: the depolarisation (summed, ignoring leak)
        that an E cell receives when every E cell of its presynaptic neighbours
        fires once. With ``normalize_by_degree`` this total is shared among the
        neighbours (each edge carries ``coupling / in_degree``), so agents of
        every degree, and graphs of every density, receive the same total
        input and topologies compare at equal drive; otherwise every edge
        carries ``coupling``. Each E cell of the target agent receives a
        synapse from each E cell of a neighbour with probability
        ``PING_PARAMETERS["p_inter"]``.
    duration : brian2 time, optional
        Simulated time; default ``1.5*second``.
    dt : brian2 time, optional
        Integration step, at most 0.5 ms; default ``0.1*ms``.
    n_excitatory, n_inhibitory : int
        Neurons per agent.
    drive_spread : float in [0, 1)
        Agents' tonic drives are ``drive_excitatory * (1 + drive_spread * U(-1, 1))``,
        giving natural frequencies spread by a few Hz around ~40 Hz.
    coupling_delay : brian2 time, optional
        Conduction delay between agents; default ``1*ms``. Short delays
        favour in-phase locking (Ermentrout & Kopell 1998).
    normalize_by_degree : bool
        See ``coupling``.
    band : (float, float)
        Pass band in Hz for the phase of each agent's rate.
    transient : brian2 time, optional
        Initial time left out of the statistics; default ``300*ms``.
    random_state : int, numpy.random.Generator or None
        Seeds everything random (agents' drives, initial potentials,
        connectivity and noise), all drawn with numpy.
    codegen_target : {"numpy", "cython"} or None
        Brian2 code-generation target for every object of the network (set per
        object by :class:`snn.Circuit`, so Brian2's global preferences are
        untouched). ``"numpy"`` (default) needs no compilation and is fast
        enough for a few thousand neurons; ``"cython"`` compiles once per
        machine (tens of seconds) and then runs faster; ``None`` is the spiking
        package's choice, :func:`snn.codegen_target`.
    model_params : dict, optional
        Overrides for :data:`PING_PARAMETERS`.

    Returns
    -------
    CoupledBrainsResult
        Rates, phases, ``R(t)``, the steady-state ``order_parameter``, pairwise
        phase locking, frequencies and spikes.

    References
    ----------
    C. Börgers and N. Kopell, Neural Comput. 15, 509-538 (2003) (the agent).
    Y. Kuramoto (1984); J.-P. Lachaux et al., Hum. Brain Mapp. 8, 194-208
    (1999) (the measures).

    Examples
    --------
    >>> import networkx as nx
    >>> from brian2 import second
    >>> result = simulate_coupled_brains(nx.complete_graph(4), coupling=30.0,
    ...                                  duration=0.8 * second, random_state=0)
    >>> result.rates.shape
    (4, 800)
    >>> bool(result.order_parameter > 0.9)
    True
    """
    options = dict(locals())  # the arguments, before any other name is bound
    condition = (_check_graph(graph), _as_millivolts(coupling, "coupling"), random_state)
    (result,) = _simulate([condition], _settings(options))
    return result


def synchrony_sweep(
    graphs,
    couplings,
    seeds=(0,),
    *,
    max_neurons_per_network=20_000,
    return_results=False,
    **simulation_options,
):
    """Order parameter for every (topology, coupling, seed), simulated block by block.

    All conditions are independent blocks of as few Brian2 networks as
    ``max_neurons_per_network`` allows (one ``run()`` per network), and each
    block draws from its own seed: row ``(topology, coupling, seed)`` is the
    same as ``simulate_coupled_brains(graph, coupling, random_state=seed)``
    with the same options.

    Parameters
    ----------
    graphs : networkx.Graph or dict of str to networkx.Graph
        Topologies by name (a single graph is named by ``graph.name`` or
        ``"graph"``).
    couplings : sequence of float
        Coupling strengths in mV (see :func:`simulate_coupled_brains`).
    seeds : sequence of int
        One run per seed (agents and noise drawn from it).
    max_neurons_per_network : int
        Upper bound on neurons per Brian2 network (memory); conditions are
        never split across networks.
    return_results : bool
        Also return the :class:`CoupledBrainsResult` of every row.
    **simulation_options
        Keyword arguments of :func:`simulate_coupled_brains` except
        ``graph``, ``coupling`` and ``random_state``.

    Returns
    -------
    table : pandas.DataFrame
        One row per condition with columns ``topology, n_agents, n_edges,
        coupling, seed, order_parameter, order_parameter_std,
        independent_level, mean_rate_hz, mean_frequency_hz,
        frequency_std_hz, mean_phase_locking``.
    results : list of CoupledBrainsResult
        Only if ``return_results``; in the order of the rows.

    Examples
    --------
    >>> import networkx as nx
    >>> from brian2 import second
    >>> table = synchrony_sweep({"ring": nx.cycle_graph(4)}, couplings=[0.0, 30.0],
    ...                        duration=0.8 * second)
    >>> list(table["coupling"])
    [0.0, 30.0]
    """
    if isinstance(graphs, nx.Graph):
        graphs = {graphs.name or "graph": graphs}
    if not isinstance(graphs, Mapping) or not graphs:
        raise TypeError(
            f"graphs must be a networkx graph or a non-empty dict name -> graph, got {type(graphs).__name__}"
        )
    for name, graph in graphs.items():
        _check_graph(graph, f"graphs[{name!r}]")
    couplings = [
        _as_millivolts(c, "couplings[...]")
        for c in np.atleast_1d(np.asarray(couplings, dtype=object))
    ]
    if not couplings:
        raise ValueError("couplings must hold at least one value")
    seeds = [check_seed(seed, f"seeds[{k}]") for k, seed in enumerate(np.atleast_1d(seeds))]
    unknown = set(simulation_options) - set(_SIMULATION_OPTIONS)
    if unknown:
        raise TypeError(
            f"unknown simulation options {sorted(unknown)}; known: {sorted(_SIMULATION_OPTIONS)} "
            "(graph, coupling and random_state are set from graphs, couplings and seeds)"
        )
    check_param("max_neurons_per_network", max_neurons_per_network, _COUNT)
    settings = _settings({**_SIMULATION_OPTIONS, **simulation_options})

    # Conditions in chunks of at most max_neurons_per_network neurons.
    neurons_per_agent = settings["n_excitatory"] + settings["n_inhibitory"]
    chunks, chunk_neurons = [[]], 0
    for (name, graph), coupling, seed in itertools.product(graphs.items(), couplings, seeds):
        neurons = graph.number_of_nodes() * neurons_per_agent
        if chunks[-1] and chunk_neurons + neurons > max_neurons_per_network:
            chunks.append([])
            chunk_neurons = 0
        chunks[-1].append((name, graph, coupling, seed))
        chunk_neurons += neurons

    rows, results = [], []
    for chunk in chunks:
        conditions = [(graph, coupling, seed) for _, graph, coupling, seed in chunk]
        for (name, graph, coupling, seed), result in zip(chunk, _simulate(conditions, settings)):
            steady_R = result.order_parameter_t[result.steady]
            off_diagonal = ~np.eye(result.n_agents, dtype=bool)
            rows.append(
                {
                    "topology": name,
                    "n_agents": result.n_agents,
                    "n_edges": graph.number_of_edges(),
                    "coupling": coupling,
                    "seed": seed,
                    "order_parameter": result.order_parameter,
                    "order_parameter_std": float(steady_R.std()),
                    "independent_level": result.independent_level,
                    "mean_rate_hz": float(result.mean_rates.mean()),
                    "mean_frequency_hz": float(result.frequencies.mean()),
                    "frequency_std_hz": float(result.frequencies.std()),
                    "mean_phase_locking": float(result.phase_locking[off_diagonal].mean())
                    if result.n_agents > 1
                    else 1.0,
                }
            )
            results.append(result)
    table = pd.DataFrame(rows)
    return (table, results) if return_results else table


# The options a sweep passes on: simulate_coupled_brains's keyword-only
# arguments and their defaults (one source of truth).
_SIMULATION_OPTIONS = {
    name: parameter.default
    for name, parameter in inspect.signature(simulate_coupled_brains).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "random_state"
}
