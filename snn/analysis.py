"""Plasticity experiments run in Brian2: the measured counterpart of each rule's theory.

* :func:`stdp_window` -- pre/post pairings at a range of spike-time
  differences, the protocol of Bi & Poo (1998); gives the STDP window of any
  rule (registered or user-defined) from the simulation itself.
* :func:`song_abbott` -- one conductance-based integrate-and-fire neuron driven
  by many Poisson inputs through plastic synapses (Song, Miller & Abbott 2000);
  gives the equilibrium weight distribution (bimodal for additive STDP,
  unimodal for multiplicative STDP).
* :func:`oja_principal_component` -- a linear Poisson neuron with correlated
  Poisson inputs learning with the spiking Oja rule; compares the learned
  weight vector with the principal eigenvector of the input correlations.
* :func:`bcm_threshold` and :func:`bcm_curve` -- the sliding threshold of the
  spiking BCM rule and the BCM curve (depression below, potentiation above
  the threshold) for postsynaptic neurons firing at controlled rates.

Every function builds its network as an :class:`snn.Circuit` (its own
``brian2.Network``: nothing touches Brian2's magic network or global
preferences), draws all randomness from one ``random_state`` through numpy
(inputs are generated spike trains, not Brian2's ``rand()``), and accepts
``codegen_target`` ("numpy", "cython" or None for the package's choice,
:func:`snn.codegen_target`).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from brian2 import Hz, ms, mV, second
from brian2.units.fundamentalunits import have_same_dimensions
from scipy.signal import lfilter

from core.params import Interval, NoneOf, check_param, validate_arguments
from core.random import check_random_state
from snn._brian import BrianQuantity, check_target
from snn.circuit import Circuit
from snn.rules import SpikingBCM, SpikingOja, delta_t_in_ms, get_rule

__all__ = [
    "stdp_window",
    "song_abbott",
    "SongAbbottResult",
    "oja_principal_component",
    "OjaResult",
    "bcm_rates",
    "BCMResult",
    "poisson_spike_trains",
]


# Constraints of the functions' parameters (core.params: one message format,
# TypeError for a wrong type, ValueError for a value out of range).
_RATE = [BrianQuantity(Hz, "10*Hz")]
_TIME = [BrianQuantity(ms, "10*ms")]
_COUNT = [Interval(Integral, 1, None)]
_POSITIVE = [Interval(Real, 0, None, closed="neither")]
_NUMBER = [Interval(Real, None, None)]


def _longest_time_constant(rule):
    """Longest time-valued parameter of a rule (how long its traces remember)."""
    times = [float(v / ms) for v in rule.params.values() if have_same_dimensions(v, ms)]
    return max(times, default=0.0) * ms


@validate_arguments(
    {
        "pairing_frequency": _RATE,
        "dt": _TIME,
        "n_pairings": _COUNT,
        "initial_weight": [NoneOf(), *_NUMBER],
        "reward": _NUMBER,
    }
)
def stdp_window(
    rule="stdp",
    delta_t=tuple(range(-100, 101, 10)),
    *,
    pairing_frequency=1 * Hz,
    n_pairings=60,
    initial_weight=None,
    reward=1.0,
    dt=0.1 * ms,
    flush=True,
    codegen_target=None,
    **rule_params,
):
    """Mean weight change per pre/post pairing, simulated, at each spike-time difference.

    The protocol of Bi & Poo (1998): a presynaptic and a postsynaptic spike
    ``delta_t`` apart (post minus pre), repeated ``n_pairings`` times at
    ``pairing_frequency``. All differences run in one Brian2 network, one
    independent synapse per ``delta_t``: the presynaptic side is a
    ``SpikeGeneratorGroup``, the postsynaptic side a host ``NeuronGroup``
    that fires at the scheduled time steps and provides ``plastic = 1``,
    ``reward = reward`` (and a constant ``v``) as the rule contract requires.

    Parameters
    ----------
    rule : str or PlasticityRule
        A registered rule name or a rule instance (user rules work).
    delta_t : array-like (ms) or Quantity
        Spike-time differences ``t_post - t_pre``; multiples of ``dt``, each
        shorter than the pairing period.
    pairing_frequency : Quantity (Hz)
        Repetition frequency of the pairs (Bi & Poo: 1 Hz).
    n_pairings : int
        Number of pairings (Bi & Poo: 60); the result is the total change
        divided by ``n_pairings``.
    initial_weight : float, optional
        Starting weight; default ``wmax / 2`` (rule parameter ``wmax``, else 0.5),
        so that the hard bounds do not act.
    reward : float
        Value of the host's ``reward`` variable (the third factor of ``label_gated_stdp``).
    dt : Quantity (time)
        Simulation time step.
    flush : bool
        Add one presynaptic spike ``20 x`` the rule's longest time constant
        after the last pairing. Rules that apply deferred changes at the
        next spike (``label_gated_stdp`` credits its eligibility there) need it; for the
        shipped rules that spike finds every trace decayed below ``e**-20``.
    codegen_target : {"numpy", "cython", None}
        Brian2 target for this network (None: the package default).
    **rule_params
        Parameters of the rule when ``rule`` is a name.

    Returns
    -------
    ndarray
        Mean weight change per pairing for each ``delta_t`` (units of ``w``).

    References
    ----------
    Bi, G. Q. & Poo, M. M. (1998). Synaptic modifications in cultured
    hippocampal neurons: dependence on spike timing, synaptic strength, and
    postsynaptic cell type. J. Neurosci. 18:10464-10472.

    Examples
    --------
    >>> dw = stdp_window("stdp", delta_t=[-20, 20], n_pairings=2, codegen_target="numpy")
    >>> bool(dw[0] < 0 < dw[1])
    True
    """
    rule = get_rule(rule, **rule_params)
    params = rule.params  # validates the rule's parameters before any work
    delta_t_ms = delta_t_in_ms(delta_t)
    if delta_t_ms.ndim != 1 or delta_t_ms.size == 0 or not np.all(np.isfinite(delta_t_ms)):
        raise ValueError(f"delta_t must be a non-empty 1-d array of finite times, got {delta_t!r}")
    circuit = Circuit(dt, target=check_target(codegen_target), name="stdp_window")

    dt_ms = float(dt / ms)
    offset_steps = np.round(delta_t_ms / dt_ms).astype(np.int64)
    if np.any(np.abs(offset_steps * dt_ms - delta_t_ms) > 1e-6 * max(dt_ms, 1.0)):
        raise ValueError(f"delta_t must be multiples of dt={dt!r}, got {delta_t_ms} ms")
    period_steps = int(round(1.0 / float(pairing_frequency * dt)))
    if np.max(np.abs(offset_steps)) >= period_steps:
        raise ValueError(
            f"every |delta_t| must be shorter than the pairing period "
            f"{period_steps * dt_ms} ms (pairing_frequency={pairing_frequency!r}), "
            f"got max |delta_t| = {np.max(np.abs(delta_t_ms))} ms"
        )
    wmax = float(params.get("wmax", 1.0))
    if initial_weight is None:
        initial_weight = wmax / 2

    n_synapses = delta_t_ms.size
    # Pairing k of synapse i: pre at step first + k*period, post delta_t later.
    first_pre_step = int(max(0, -offset_steps.min())) + 1
    pre_steps = first_pre_step + period_steps * np.arange(n_pairings)
    indices = np.repeat(np.arange(n_synapses), n_pairings)
    spike_steps = np.tile(pre_steps, n_synapses)
    end_step = int(pre_steps[-1] + max(offset_steps.max(), 0)) + 1
    if flush:
        flush_steps = int(np.ceil(20 * float(_longest_time_constant(rule) / dt))) + 1
        flush_step = int(pre_steps[-1] + max(offset_steps.max(), 0) + flush_steps)
        indices = np.concatenate([indices, np.arange(n_synapses)])
        spike_steps = np.concatenate([spike_steps, np.full(n_synapses, flush_step)])
        end_step = flush_step + 1

    presynaptic = circuit.spike_generator(n_synapses, indices, spike_steps * dt)
    host = circuit.neurons(
        n_synapses,
        """
        plastic : 1
        reward : 1
        v : volt
        first_post_step : integer (constant)
        """,
        # fires at first_post_step + k * period_steps, k = 0 .. n_pairings - 1
        threshold=(
            "timestep(t, dt) >= first_post_step and "
            "timestep(t, dt) <= first_post_step + last_pairing * period_steps and "
            "(timestep(t, dt) - first_post_step) % period_steps == 0"
        ),
        reset="",
        namespace={"period_steps": period_steps, "last_pairing": n_pairings - 1},
    )
    host.plastic = 1.0
    host.reward = float(reward)
    host.v = -65 * mV
    host.first_post_step = first_pre_step + offset_steps
    synapses = circuit.synapses(presynaptic, host, **rule.synapses_kwargs())
    synapses.connect(j="i")
    synapses.w = float(initial_weight)
    circuit.run(end_step * dt)

    change = np.empty(n_synapses)
    change[np.asarray(synapses.i[:])] = np.asarray(synapses.w[:]) - float(initial_weight)
    return change / n_pairings


def poisson_spike_trains(rates, duration, dt, rng):
    """Independent Poisson spike trains on the time grid, drawn with numpy.

    Parameters
    ----------
    rates : Quantity (Hz)
        Shape ``(n_neurons,)`` for constant rates (spike counts
        are drawn per neuron, then uniform times: memory grows with the
        number of spikes, not of time steps), or shape ``(n_steps,
        n_neurons)`` for a rate per time step (a Bernoulli draw per step).
    duration, dt : Quantity (time)
    rng : numpy.random.Generator

    Returns
    -------
    indices : ndarray of int
    times : Quantity
        Sorted by time, at most one spike per neuron and time step (as
        ``SpikeGeneratorGroup`` requires; at the rates used here a second
        spike in the same 0.1 ms step is rare and is dropped).
    """
    n_steps = int(round(float(duration / dt)))
    rate_hz = np.asarray(rates / Hz, dtype=float)
    if rate_hz.ndim == 2:
        if rate_hz.shape[0] != n_steps:
            raise ValueError(
                f"time-varying rates need one row per time step ({n_steps}), got {rate_hz.shape}"
            )
        steps, indices = np.nonzero(rng.random(rate_hz.shape) < rate_hz * float(dt / second))
        return indices, steps * dt
    if rate_hz.ndim != 1:
        raise ValueError(
            f"rates must have shape (n_neurons,) or (n_steps, n_neurons), got {rate_hz.shape}"
        )
    counts = rng.poisson(rate_hz * float(duration / second))
    indices = np.repeat(np.arange(rate_hz.size), counts)
    steps = rng.integers(0, n_steps, size=indices.size)
    # unique (step, index) pairs, sorted by step
    keys = np.unique(steps.astype(np.int64) * rate_hz.size + indices)
    steps, indices = np.divmod(keys, rate_hz.size)
    return indices, steps * dt


@dataclass
class SongAbbottResult:
    """Outcome of :func:`song_abbott`.

    Attributes
    ----------
    weights, initial_weights : ndarray
        Final and initial synaptic weights (units of ``w``, in ``[0, wmax]``).
    wmax : float
        The rule's upper bound.
    output_rate : float
        Mean firing rate of the neuron over the last 10 % of the run (Hz).
    """

    weights: np.ndarray
    initial_weights: np.ndarray
    wmax: float
    output_rate: float


@validate_arguments(
    {"n_inputs": _COUNT, "rate": _RATE, "duration": _TIME, "dt": _TIME, "g_max": _POSITIVE}
)
def song_abbott(
    n_inputs=1000,
    rate=15 * Hz,
    duration=100 * second,
    rule="stdp",
    *,
    g_max=0.01,
    dt=0.1 * ms,
    random_state=None,
    codegen_target=None,
    **rule_params,
):
    """One integrate-and-fire neuron learning from uncorrelated Poisson inputs.

    The setting of Song, Miller & Abbott (2000), Figs. 1-2 (as in Brian2's
    ``examples/synapses/STDP.py``): a conductance-based leaky integrate-and-fire
    neuron (membrane time constant 10 ms, rest -74 mV, threshold -54 mV,
    reset -60 mV, excitatory reversal 0 mV, synaptic time constant 5 ms)
    receives ``n_inputs`` independent Poisson spike trains at ``rate``
    through plastic synapses of peak conductance ``g_max * w`` (in units of
    the leak conductance), weights starting uniform in ``[0, wmax]``. With
    additive STDP (``rule="stdp"``) the competition between synapses
    drives the weights to the bounds: a bimodal distribution with most
    weights near 0 or near ``wmax``. With weight-dependent STDP
    (``rule="stdp_multiplicative"``) they settle into one unimodal
    distribution (van Rossum, Bi & Turrigiano 2000).

    Parameters
    ----------
    n_inputs : int
        Number of Poisson inputs.
    rate : Quantity (Hz)
        Input rate.
    duration : Quantity (time)
        Simulated time (Song et al. show the equilibrium after minutes; with
        the default amplitudes 100 s suffices).
    rule : str or PlasticityRule
        The plasticity rule (registered name or instance).
    g_max : float
        Conductance increment of a presynaptic spike at ``w = wmax`` (it is
        ``g_max * w / wmax``), in units of the leak conductance.
    dt : Quantity (time)
        Time step.
    random_state : int, numpy.random.Generator or None
        Seeds the input spike trains and the initial weights.
    codegen_target : {"numpy", "cython", None}
        Brian2 target (None: package default; long runs want cython).
    **rule_params
        Rule parameters when ``rule`` is a name.

    Returns
    -------
    SongAbbottResult

    References
    ----------
    Song, S., Miller, K. D. & Abbott, L. F. (2000). Competitive Hebbian learning
    through spike-timing-dependent synaptic plasticity. Nat. Neurosci. 3:919-926.
    van Rossum, M. C. W., Bi, G. Q. & Turrigiano, G. G. (2000). Stable Hebbian
    learning from spike timing-dependent plasticity. J. Neurosci. 20:8812-8821.
    """
    rule = get_rule(rule, **rule_params)
    params = rule.params
    circuit = Circuit(dt, target=check_target(codegen_target), name="song_abbott")
    rng = check_random_state(random_state)
    wmax = float(params.get("wmax", 1.0))

    indices, times = poisson_spike_trains(
        np.full(n_inputs, float(rate / Hz)) * Hz, duration, dt, rng
    )
    initial_weights = rng.uniform(0, wmax, size=n_inputs)

    inputs = circuit.spike_generator(n_inputs, indices, times)
    neuron = circuit.neurons(
        1,
        """
        dv/dt = (ge * (E_exc - v) + E_leak - v) / tau_membrane : volt
        dge/dt = -ge / tau_exc : 1
        plastic : 1
        reward : 1
        """,
        threshold="v > v_threshold",
        reset="v = v_reset",
        method="euler",
        namespace=dict(
            E_exc=0 * mV,
            E_leak=-74 * mV,
            tau_membrane=10 * ms,
            tau_exc=5 * ms,
            v_threshold=-54 * mV,
            v_reset=-60 * mV,
        ),
    )
    neuron.v = -74 * mV
    neuron.plastic = 1.0
    kwargs = rule.synapses_kwargs(transmission="ge_post += g_max * w / wmax_host")
    kwargs["namespace"] = _merge_namespaces(
        kwargs["namespace"], {"g_max": float(g_max), "wmax_host": wmax}, rule
    )
    synapses = circuit.synapses(inputs, neuron, **kwargs)
    synapses.connect()
    synapses.w = initial_weights
    spikes = circuit.spike_monitor(neuron)
    circuit.run(duration)

    last_tenth = 0.9 * float(duration / second)
    spike_times = np.asarray(spikes.t / second)
    output_rate = np.sum(spike_times >= last_tenth) / (0.1 * float(duration / second))
    weights = np.empty(n_inputs)
    weights[np.asarray(synapses.i[:])] = np.asarray(synapses.w[:])
    return SongAbbottResult(weights, initial_weights, wmax, float(output_rate))


def _merge_namespaces(rule_namespace, host_namespace, rule):
    clash = sorted(set(rule_namespace) & set(host_namespace))
    if clash:
        raise ValueError(
            f"rule {rule!r} has parameters named like the host's constants {clash}; rename them"
        )
    return {**rule_namespace, **host_namespace}


@dataclass
class OjaResult:
    """Outcome of :func:`oja_principal_component`.

    Attributes
    ----------
    weights : ndarray
        Weight vector averaged over the last quarter of the run.
    principal_component : ndarray
        Unit principal eigenvector of the input correlations seen through
        the rule's trace filter (the theory's direction).
    cosine : float
        Cosine between ``weights`` and ``principal_component``.
    cosine_uniform : float
        Cosine between ``weights`` and the uniform vector (what learning would
        give if it ignored the correlations), for contrast.
    norm, expected_norm : float
        ``|weights|`` and Oja's fixed point ``1 / sqrt(gain)``.
    """

    weights: np.ndarray
    principal_component: np.ndarray
    cosine: float
    cosine_uniform: float
    norm: float
    expected_norm: float


@validate_arguments(
    {
        "n_inputs": _COUNT,
        "n_correlated": [Interval(Integral, 0, None)],
        "modulation": [Interval(Real, 0, 1)],
        "gain": _POSITIVE,
        "rate": _RATE,
        "switch_interval": _TIME,
        "duration": _TIME,
        "dt": _TIME,
    }
)
def oja_principal_component(
    n_inputs=10,
    n_correlated=3,
    rate=20 * Hz,
    modulation=0.9,
    switch_interval=200 * ms,
    gain=1.0,
    duration=60 * second,
    rule="oja",
    *,
    dt=0.5 * ms,
    random_state=None,
    codegen_target=None,
    **rule_params,
):
    """A linear Poisson neuron learning correlated Poisson inputs with the spiking Oja rule.

    Input ``i`` fires as a Poisson process at ``rate * (1 + a_i s(t))`` where
    ``s(t)`` is a shared random +-1 signal redrawn every ``switch_interval``
    and ``a_i = modulation`` for the first ``n_correlated`` inputs, 0 for the
    others. The postsynaptic neuron fires as a Poisson process at
    ``gain * sum_i w_i * rate_i(t)`` (a linear neuron, as Oja's analysis
    assumes; its spikes are drawn from numpy uniforms, not Brian2's RNG).

    Theory (Oja 1982, with the trace filters): averaged over spikes, the
    update is ``eta * (C w gain - gain**2 (w^T C w) w)`` with ``C =
    E[x_trace(t) rate(t)^T]``, so the weights converge to the principal
    eigenvector of ``C`` with norm ``1/sqrt(gain)``. Ideally ``C = rate**2 (1
    1^T + kappa a a^T)`` where ``kappa = 1 - (tau/T)(1 - exp(-T/tau))`` is
    the correlation of ``s`` with its exponentially filtered copy (``tau``
    the trace time constant, ``T = switch_interval``); the result uses ``C``
    computed from the run's own rate schedule.

    Parameters
    ----------
    n_inputs, n_correlated : int
        Number of inputs, and how many share the modulation.
    rate : Quantity (Hz)
        Mean input rate.
    modulation : float
        Depth ``a`` of the shared rate modulation, in ``[0, 1]``.
    switch_interval : Quantity (time)
        How long each value of the shared signal lasts.
    gain : float
        Output rate per unit of ``sum_i w_i rate_i``.
    duration : Quantity (time)
    rule : str or PlasticityRule
        ``"oja"`` or an instance of it (needs ``tau_pre == tau_post``).
    dt : Quantity (time)
    random_state : int, Generator or None
    codegen_target : {"numpy", "cython", None}
    **rule_params
        Parameters of the rule.

    Returns
    -------
    OjaResult

    References
    ----------
    Oja, E. (1982). Simplified neuron model as a principal component analyzer.
    J. Math. Biol. 15:267-273.
    """
    rule = get_rule(rule, **rule_params)
    if not isinstance(rule, SpikingOja):
        raise TypeError(f"oja_principal_component needs the 'oja' rule, got {rule!r}")
    params = rule.params
    if not np.isclose(float(params["tau_pre"] / ms), float(params["tau_post"] / ms)):
        raise ValueError("the theory used here assumes tau_pre == tau_post")
    # the one bound that depends on another argument
    n_correlated = check_param("n_correlated", n_correlated, [Interval(Integral, 0, n_inputs)])
    circuit = Circuit(dt, target=check_target(codegen_target), name="oja")
    rng = check_random_state(random_state)
    input_seed, output_seed, signal_seed, weight_seed = np.random.SeedSequence(
        rng.integers(2**63)
    ).spawn(4)

    n_steps = int(round(float(duration / dt)))
    steps_per_switch = int(round(float(switch_interval / dt)))
    n_switches = -(-n_steps // steps_per_switch)
    # +1 and -1 equally often (in random order), so the signal has mean ~0
    signal = np.where(np.arange(n_switches) % 2 == 0, 1.0, -1.0)
    signal = np.random.default_rng(signal_seed).permutation(signal)
    signal = np.repeat(signal, steps_per_switch)[:n_steps]
    loading = np.zeros(n_inputs)
    loading[:n_correlated] = modulation
    rates_hz = float(rate / Hz) * (1 + signal[:, None] * loading[None, :])
    indices, times = poisson_spike_trains(
        rates_hz * Hz, duration, dt, np.random.default_rng(input_seed)
    )
    from brian2 import TimedArray

    input_rates = TimedArray(rates_hz * Hz, dt=dt)
    output_uniforms = TimedArray(np.random.default_rng(output_seed).random(n_steps), dt=dt)

    inputs = circuit.spike_generator(n_inputs, indices, times)
    neuron = circuit.neurons(
        1,
        """
        drive : Hz
        plastic : 1
        reward : 1
        """,
        threshold="output_uniforms(t) < drive * dt",
        reset="",
        namespace={"output_uniforms": output_uniforms},
    )
    neuron.plastic = 1.0
    kwargs = rule.synapses_kwargs()
    kwargs["model"] += "\ndrive_post = gain * w * input_rates(t, i) : Hz (summed)"
    kwargs["namespace"] = _merge_namespaces(
        kwargs["namespace"], {"gain": float(gain), "input_rates": input_rates}, rule
    )
    synapses = circuit.synapses(inputs, neuron, **kwargs)
    synapses.connect()
    # start small and spread out so the direction has to be learned
    synapses.w = np.random.default_rng(weight_seed).uniform(0.05, 0.15, n_inputs)
    record_every = max(1, n_steps // 400) * dt
    weight_monitor = circuit.state_monitor(synapses, "w", record=True, dt=record_every)
    circuit.run(duration)

    order = np.argsort(np.asarray(synapses.i[:]))
    history = np.asarray(weight_monitor.w)[order]  # (n_inputs, n_records)
    weights = history[:, history.shape[1] * 3 // 4 :].mean(axis=1)

    # Oja's fixed point: the principal eigenvector of E[x_trace(t) r(t)^T]
    # (input rates seen through the trace filter, against the rates that
    # drive the output), computed from this run's own rate schedule.
    decay = np.exp(-float(dt / params["tau_pre"]))
    filtered = lfilter([float(dt / params["tau_pre"])], [1.0, -decay], rates_hz, axis=0)
    correlation = filtered.T @ rates_hz / n_steps
    correlation = (correlation + correlation.T) / 2
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    principal = eigenvectors[:, -1] * np.sign(eigenvectors[:, -1].sum())
    norm = float(np.linalg.norm(weights))
    uniform = np.ones(n_inputs) / np.sqrt(n_inputs)
    return OjaResult(
        weights=weights,
        principal_component=principal,
        cosine=float(weights @ principal / norm),
        cosine_uniform=float(weights @ uniform / norm),
        norm=norm,
        expected_norm=float(1 / np.sqrt(gain)),
    )


@dataclass
class BCMResult:
    """Outcome of :func:`bcm_rates` (one entry per postsynaptic rate).

    Attributes
    ----------
    post_rates : ndarray
        Postsynaptic firing rates imposed (Hz).
    threshold : ndarray
        Sliding threshold at the end of the run, mean over synapses (Hz).
    threshold_theory : ndarray
        The threshold after ``duration`` for Poisson firing at rate ``y``:
        ``theta_inf + (theta_0 - theta_inf) exp(-duration / tau_threshold)``
        with ``theta_inf = y^2 / rate_target``.
    weight_drift : ndarray
        Mean weight change per second.
    weight_drift_theory : ndarray
        ``nu * x * y * (y - mean theta) / rate_target**2`` per second (x the
        presynaptic rate; the threshold's exponential approach averaged over
        the run), bounds ignored.
    """

    post_rates: np.ndarray
    threshold: np.ndarray
    threshold_theory: np.ndarray
    weight_drift: np.ndarray
    weight_drift_theory: np.ndarray


@validate_arguments(
    {
        "pre_rate": _RATE,
        "duration": _TIME,
        "dt": _TIME,
        "initial_threshold": [BrianQuantity(Hz, "0*Hz", allow_zero=True)],
        "n_synapses_per_rate": _COUNT,
    }
)
def bcm_rates(
    post_rates=(2, 5, 10, 20, 30) * Hz,
    pre_rate=10 * Hz,
    duration=10 * second,
    *,
    n_synapses_per_rate=20,
    initial_threshold=0 * Hz,
    rule="bcm",
    dt=0.5 * ms,
    random_state=None,
    codegen_target=None,
    **rule_params,
):
    """Sliding threshold and BCM curve of the spiking BCM rule at imposed firing rates.

    Each synapse connects its own Poisson input (``pre_rate``) to its own
    postsynaptic neuron that fires as a Poisson process at one of
    ``post_rates`` (spikes drawn with numpy, independent of the weights):
    the threshold then slides to a value set by the postsynaptic rate
    alone, and the weights drift at the BCM function ``phi(y) = y (y -
    theta)``: depression below the threshold, potentiation above.

    Parameters
    ----------
    post_rates : Quantity (Hz), 1-d
        Imposed postsynaptic rates.
    pre_rate : Quantity (Hz)
        Presynaptic Poisson rate.
    duration : Quantity (time)
    n_synapses_per_rate : int
        Independent synapse/neuron pairs per rate (averaged).
    initial_threshold : Quantity (Hz)
        Starting threshold; with a very long ``tau_threshold`` (a rule parameter)
        it stays there and the run measures the BCM curve at that threshold.
    rule : str or PlasticityRule
        ``"bcm"`` or an instance of it.
    dt : Quantity (time)
    random_state : int, Generator or None
    codegen_target : {"numpy", "cython", None}
    **rule_params
        Parameters of the rule.

    Returns
    -------
    BCMResult

    References
    ----------
    Bienenstock, E. L., Cooper, L. N. & Munro, P. W. (1982). Theory for the
    development of neuron selectivity. J. Neurosci. 2:32-48.
    """
    rule = get_rule(rule, **rule_params)
    if not isinstance(rule, SpikingBCM):
        raise TypeError(f"bcm_rates needs the 'bcm' rule, got {rule!r}")
    params = rule.params
    post_hz = None
    if have_same_dimensions(post_rates, Hz):
        post_hz = np.atleast_1d(np.asarray(post_rates / Hz, dtype=float))
    if post_hz is None or post_hz.ndim != 1 or np.any(post_hz < 0):
        raise ValueError(
            f"post_rates must be a 1-d Quantity of non-negative rates (e.g. [5, 10] * Hz), "
            f"got {post_rates!r}"
        )
    circuit = Circuit(dt, target=check_target(codegen_target), name="bcm")
    rng = check_random_state(random_state)
    pre_seed, post_seed = np.random.SeedSequence(rng.integers(2**63)).spawn(2)

    n_synapses = post_hz.size * n_synapses_per_rate
    neuron_rates = np.repeat(post_hz, n_synapses_per_rate)
    pre_indices, pre_times = poisson_spike_trains(
        np.full(n_synapses, float(pre_rate / Hz)) * Hz,
        duration,
        dt,
        np.random.default_rng(pre_seed),
    )
    post_indices, post_times = poisson_spike_trains(
        neuron_rates * Hz, duration, dt, np.random.default_rng(post_seed)
    )
    n_steps = int(round(float(duration / dt)))
    from brian2 import TimedArray

    # Spike schedule of the host neurons as a (time step, neuron) table.
    schedule = np.zeros((n_steps, n_synapses), dtype=np.int8)
    schedule[np.round(np.asarray(post_times / dt)).astype(int), post_indices] = 1
    post_schedule = TimedArray(schedule, dt=dt)

    presynaptic = circuit.spike_generator(n_synapses, pre_indices, pre_times)
    host = circuit.neurons(
        n_synapses,
        "plastic : 1\nreward : 1",
        threshold="post_schedule(t, i) > 0",
        reset="",
        namespace={"post_schedule": post_schedule},
    )
    host.plastic = 1.0
    synapses = circuit.synapses(presynaptic, host, **rule.synapses_kwargs())
    synapses.connect(j="i")
    wmax = float(params["wmax"])
    synapses.w = wmax / 2
    synapses.theta_at = initial_threshold
    # a steady past at the rate that gives initial_threshold (for Poisson firing)
    past_rate = np.sqrt(float(initial_threshold / Hz) * float(params["rate_target"] / Hz)) * Hz
    synapses.y_at = past_rate
    synapses.sq_at = past_rate**2 + past_rate / (2 * params["tau_post"])
    circuit.run(duration)

    order = np.argsort(np.asarray(synapses.i[:]))
    seconds = float(duration / second)
    # the rule stores its state as of each neuron's last spike (t_at);
    # advance theta to the end of the run (exact for this linear system).
    theta = _bcm_theta_at(
        theta=np.asarray(synapses.theta_at[:] / Hz)[order],
        y_trace=np.asarray(synapses.y_at[:] / Hz)[order],
        y_sq=np.asarray(synapses.sq_at[:] / Hz**2)[order],
        elapsed=seconds - np.asarray(synapses.t_at[:] / second)[order],
        params=params,
    )
    weights = np.asarray(synapses.w[:])[order]

    tau_threshold = float(params["tau_threshold"] / second)
    target = float(params["rate_target"] / Hz)
    theta_0 = float(initial_threshold / Hz)
    theta_inf = post_hz**2 / target
    decay = np.exp(-seconds / tau_threshold)
    theta_theory = theta_inf + (theta_0 - theta_inf) * decay
    theta_mean = theta_inf + (theta_0 - theta_inf) * tau_threshold / seconds * (1 - decay)
    pre_hz = float(pre_rate / Hz)
    drift_theory = params["nu"] * pre_hz * post_hz * (post_hz - theta_mean) / target**2

    def per_rate(values):
        return values.reshape(post_hz.size, n_synapses_per_rate).mean(axis=1)

    return BCMResult(
        post_rates=post_hz,
        threshold=per_rate(theta),
        threshold_theory=theta_theory,
        weight_drift=per_rate((weights - wmax / 2) / seconds),
        weight_drift_theory=drift_theory,
    )


def _bcm_theta_at(theta, y_trace, y_sq, elapsed, params):
    """Advance the BCM threshold by ``elapsed`` seconds without spikes.

    Closed-form solution of the rule's linear system: ``y_trace`` decays at
    rate ``c = 1/tau_post``, ``y_sq`` at ``a = 2/tau_post`` and ``theta``
    relaxes at ``b = 1/tau_threshold`` towards ``(y_sq - y_trace/(2 tau_post)) / r0``.
    """
    tau_post = float(params["tau_post"] / second)
    a, b, c = 2 / tau_post, 1 / float(params["tau_threshold"] / second), 1 / tau_post
    r0 = float(params["rate_target"] / Hz)

    def relaxed(rate):
        """integral_0^t b exp(-rate s) exp(-b (t - s)) ds."""
        if np.isclose(rate, b):
            return b * elapsed * np.exp(-b * elapsed)
        return b * (np.exp(-rate * elapsed) - np.exp(-b * elapsed)) / (b - rate)

    return (
        theta * np.exp(-b * elapsed)
        + y_sq / r0 * relaxed(a)
        - y_trace / (2 * tau_post * r0) * relaxed(c)
    )
