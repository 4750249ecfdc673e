"""The Diehl & Cook (2015) network, for one agent or a block-diagonal population.

Inputs (a ``SpikeGeneratorGroup`` fed with spikes encoded in numpy) project
all-to-all onto a layer of excitatory neurons with adaptive thresholds
(:mod:`snn.neurons`); the input synapses learn with a plasticity rule from
:mod:`snn.rules`; every excitatory neuron inhibits the others (soft
winner-take-all). Before each presentation the input weights into each neuron
are rescaled to sum to ``weight_sum`` (Diehl & Cook's normalisation).

Speed is part of the design. Brian2 pays a large fixed cost per ``run()``, so
:meth:`DiehlCookNetwork.simulate` compiles a whole curriculum -- every sample's
input spikes, per-presentation plasticity on/off (a learning-rate factor, in
fact), the teaching signal of label-gated rules, the weight
normalisation -- into ONE run:

* input spikes: one ``SpikeGeneratorGroup`` holding the spikes of all windows;
* schedules: 2-D ``TimedArray`` s indexed by (time, agent), with one row per
  presentation window (presentation + rest), read at each window start by a
  ``run_regularly`` operation;
* normalisation: three ``run_regularly`` operations at each window start
  (reset the per-neuron sum, accumulate ``w`` into it from the synapses,
  rescale), so it runs once per window, not every time step as a
  ``(summed)`` variable would;
* spike counts per window and neuron: two counters per neuron incremented
  in its reset (presentation spikes, all spikes), sampled once per window by
  a ``StateMonitor`` on the window clock and differenced in numpy afterwards
  (a ``SpikeMonitor`` would add a code object to every time step; one can
  still be switched on with ``record_spikes=True``).

A population of ``n_agents`` independent networks is ONE Brian2 network with
block-diagonal connectivity: agent ``a`` owns inputs ``a*n_inputs ...`` and
neurons ``a*n_neurons ...`` and no synapse crosses agents, so each agent's
arithmetic is the same as if it ran alone.

Every object has a fixed name and every constant is in the namespace rather
than the code, so Brian2's Cython cache (keyed by the generated code) is hit on
every call after the first; schedules are padded to powers of two in both
dimensions because a ``TimedArray`` 's shape is part of its code.

References
----------
Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from brian2 import (
    Clock,
    Equations,
    Network,
    NeuronGroup,
    Quantity,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    linked_var,
    ms,
    volt,
)

from core.params import Boolean, Interval, Options, validate_params
from snn._brian import as_time, run_network, time_steps, use_target
from snn._progress import simulation_progress
from snn.neurons import (
    EXCITATORY_EQUATIONS,
    EXCITATORY_RESET,
    EXCITATORY_THRESHOLD,
    FROZEN_EXCITATORY_EQUATIONS,
    FROZEN_EXCITATORY_RESET,
    LATERAL_INHIBITION_ON_PRE,
    PER_NEURON_PARAMETERS,
    neuron_namespace,
)

__all__ = [
    "BACKENDS",
    "TRACES",
    "DiehlCookNetwork",
    "SimulationDiverged",
    "SimulationResult",
    "synaptic_operations",
]

#: How a network may be simulated (see :class:`DiehlCookNetwork`'s ``backend``).
BACKENDS = ("auto", "standalone", "runtime")

#: Where the plasticity rule's traces live (see :class:`DiehlCookNetwork`'s ``traces``).
TRACES = ("synapse", "neuron")

#: What the constructor checks before building anything (:mod:`core.params`).
_NETWORK_CONSTRAINTS = {
    **dict.fromkeys(("n_inputs", "n_neurons", "n_agents"), [Interval(Integral, 1, None)]),
    **dict.fromkeys(
        ("lateral_inhibition", "weight_normalisation", "threshold_adaptation"), [Boolean()]
    ),
    "backend": [Options(*BACKENDS)],
    "traces": [Options(*TRACES)],
}

#: Whether a run with plasticity 0 in every window (an evaluation, a readout
#: pass) uses the network's frozen form: input synapses that only transmit
#: (and keep the rule's clipping of ``w``), without the rule's traces or the
#: weight normalisation, and thresholds held constant
#: (:data:`snn.neurons.FROZEN_EXCITATORY_EQUATIONS`), none of which can change
#: anything in such a run (see
#: :meth:`snn.rules.PlasticityRule.frozen_synapses_kwargs`). When every weight
#: of the run is inside the rule's ``[0, wmax]`` (the weights a rule that clips
#: leaves), the clipping is a no-op and is left out too. The spikes are
#: the same; the arithmetic per input spike drops to the transmission. False
#: runs every call with the full rule (for side-by-side benchmarks and tests).
FROZEN_FORM_FOR_FROZEN_RUNS = True


class SimulationDiverged(FloatingPointError):
    """A spiking simulation blew up (NaN or infinite state); the learner was not updated."""


# Schedules are padded to at least this many rows, and to a power of two.
_MIN_SCHEDULE_ROWS = 16

# Spike counters: cumulative counts per neuron, of presentation spikes and of
# all spikes, sampled at window starts by a StateMonitor.
_COUNTER_EQUATIONS = """
weight_sum : 1 (constant)
w_total : 1
presentation_count : integer
spike_count : integer
diverged_window : integer
"""
_COUNTER_RESET = """
presentation_count += int((timestep(t, dt) % window_steps) < presentation_steps)
spike_count += 1
"""


#: Names of the excitatory neurons' variables: a rule parameter may not shadow them.
_NEURON_VARIABLES = tuple(Equations(EXCITATORY_EQUATIONS + _COUNTER_EQUATIONS).names) + (
    "lastspike",
    "not_refractory",
)


@dataclass
class SimulationResult:
    """What one :meth:`DiehlCookNetwork.simulate` call returns (numpy only).

    Attributes
    ----------
    counts : int32 array (n_windows, n_agents, n_neurons)
        Excitatory spikes per neuron during each presentation (rest excluded).
    weights : float array (n_agents, n_inputs, n_neurons)
        Input weights after the run.
    theta : float array (n_agents, n_neurons)
        Adaptive thresholds after the run, in volts.
    input_spikes : int64 array (n_windows, n_agents)
        Input spikes per window.
    excitatory_spikes : int64 array (n_windows, n_agents)
        Excitatory spikes per window (presentation and rest).
    wall_seconds : float
        Wall-clock time of building and running the Brian2 network.
    diverged_window : int64 array (n_agents,)
        For each agent, the first window during which its state (membrane
        potential, conductances, threshold or input weights) became NaN,
        infinite or physically absurd (above 1 kV); -1 if it stayed finite.
        A simulation that blows up is reported here rather than returning
        NaN-filled results: callers raise an error naming the window.
    backend : str
        How the run was simulated: "runtime" or "standalone".
    """

    counts: np.ndarray
    weights: np.ndarray
    theta: np.ndarray
    input_spikes: np.ndarray
    excitatory_spikes: np.ndarray
    wall_seconds: float
    diverged_window: np.ndarray = None
    backend: str = "runtime"

    def __post_init__(self):
        if self.diverged_window is None:
            self.diverged_window = np.full(self.weights.shape[0], -1, dtype=np.int64)

    @property
    def diverged(self) -> bool:
        """Whether any agent's simulation blew up."""
        return bool((self.diverged_window >= 0).any())


# Beyond these a state variable has blown up numerically (membrane potentials
# live within tens of mV of rest; conductances are in units of the leak).
_DIVERGED_VOLTAGE = 1000 * volt
_DIVERGED_CONDUCTANCE = 1e12


def _first_diverged_window(flagged, final_state, final_weights, n_windows):
    """Per agent, the first window whose state blew up, or -1 (see SimulationResult).

    ``flagged`` holds what the window-start check recorded per neuron
    (the window during which the neuron blew up, -1 if never); the state at
    the end of the run and the weights are checked here, which covers the
    last window and weights that blew up without reaching the neurons yet.
    """
    flagged = np.where(flagged >= 0, flagged, n_windows).min(axis=1)
    volts, conductances = final_state[..., [0, 3]], final_state[..., [1, 2]]
    final_bad = (
        ~(np.abs(volts) < float(_DIVERGED_VOLTAGE)).all(axis=(1, 2))
        | ~(np.abs(conductances) < _DIVERGED_CONDUCTANCE).all(axis=(1, 2))
        | ~np.isfinite(final_weights).all(axis=(1, 2))
    )
    flagged = np.where((flagged == n_windows) & final_bad, n_windows - 1, flagged)
    return np.where(flagged < n_windows, flagged, -1).astype(np.int64)


def synaptic_operations(input_spikes, excitatory_spikes, n_neurons: int):
    """Synaptic operations as NeuroBench counts them: spikes times fan-out.

    An input spike reaches every excitatory neuron of its network
    (``n_neurons`` synapses); an excitatory spike reaches the ``n_neurons - 1``
    other neurons through lateral inhibition.

    References
    ----------
    Yik, J. et al. (2025). The neurobench framework for benchmarking
    neuromorphic computing algorithms and systems. Nat. Commun. 16:1545.
    """
    return np.asarray(input_spikes, dtype=np.int64) * n_neurons + np.asarray(
        excitatory_spikes, dtype=np.int64
    ) * (n_neurons - 1)


def _padded_rows(n_rows: int) -> int:
    return max(_MIN_SCHEDULE_ROWS, 1 << int(np.ceil(np.log2(max(n_rows, 1)))))


class DiehlCookNetwork:
    """Builds and runs the Diehl & Cook network for ``n_agents`` agents at once.

    The object holds only the network's configuration; learnable state
    (weights, thresholds) goes in and out of :meth:`simulate` as numpy arrays,
    so the Brian2 objects live only during a call (estimators stay picklable).

    Parameters
    ----------
    n_inputs, n_neurons : int
        Input channels and excitatory neurons per agent.
    rule : snn.rules.PlasticityRule
        The plasticity rule of the input synapses.
    n_agents : int
        Number of independent networks simulated together.
    presentation_time, rest_time, dt : Quantity (time)
        Per sample: input shown for ``presentation_time``, then silence for
        ``rest_time`` so that the network relaxes.
    inhibition : float
        Lateral inhibitory conductance jump per excitatory spike (units of the
        leak conductance; Diehl & Cook's inhibitory-to-excitatory weight is 17).
    weight_sum : float
        Sum of the input weights into each neuron after normalisation.
    neuron_params : dict
        Overrides of :data:`snn.neurons.DIEHL_COOK_NEURON`.
    reward_correct, reward_wrong : float
        Reward given, for a labelled presentation, to neurons assigned to the
        label and to the other assigned neurons (label-gated rules only).
    target : {"cython", "numpy"} or None
        Brian2 code-generation target; None picks :func:`snn._brian.codegen_target`.
    record_spikes : bool
        Also record every excitatory spike (``recorded_spikes_``: neuron index
        and time in seconds of the last run); for analysis and tests, it costs
        a monitor call per time step. Such runs always use the runtime path.
    lateral_inhibition, weight_normalisation, threshold_adaptation : bool
        Ablation switches (all on in Diehl & Cook's network). Off: no lateral
        inhibitory synapses at all (neurons learn and respond independently);
        no rescaling of the input weights before presentations; ``theta_plus``
        forced to 0 for every agent, so thresholds stay where they start.
    backend : {"auto", "standalone", "runtime"}
        How :meth:`simulate` runs: Brian2's runtime mode (``target``), a
        compiled program reused across calls (:mod:`snn._standalone`), or
        chosen per call by expected work (``"auto"``, see
        :func:`snn._standalone.choose_backend`).
    traces : {"synapse", "neuron"}
        Where the rule's traces live while learning. "synapse": as the rule
        writes them, one copy per synapse, decayed at each of its events.
        "neuron": the traces the rule lists in ``neuron_traces`` (those that
        follow one neuron's spikes alone, e.g. pair STDP's) are kept once per
        input channel or excitatory neuron, decayed every time step and
        linked into the synapses (:meth:`snn.rules.PlasticityRule.neuron_trace_synapses_kwargs`):
        the same weight changes up to floating-point rounding, at a fraction
        of the arithmetic per input spike once the network is large (784 x
        400 synapses: bench/RESULTS.md). Runs without plasticity are
        unaffected (they use the frozen form).
    """

    def __init__(
        self,
        n_inputs,
        n_neurons,
        rule,
        *,
        n_agents=1,
        presentation_time=350 * ms,
        rest_time=150 * ms,
        dt=0.5 * ms,
        inhibition=17.0,
        weight_sum=20.0,
        neuron_params=None,
        reward_correct=1.0,
        reward_wrong=-1.0,
        target=None,
        record_spikes=False,
        lateral_inhibition=True,
        weight_normalisation=True,
        threshold_adaptation=True,
        backend="auto",
        traces="synapse",
    ):
        checked = validate_params(_NETWORK_CONSTRAINTS, locals())
        self.lateral_inhibition = checked["lateral_inhibition"]
        self.weight_normalisation = checked["weight_normalisation"]
        self.threshold_adaptation = checked["threshold_adaptation"]
        self.n_inputs, self.n_neurons = checked["n_inputs"], checked["n_neurons"]
        self.n_agents = checked["n_agents"]
        self.rule = rule
        self.dt = as_time(dt, "dt")
        self.presentation_time = as_time(presentation_time, "presentation_time")
        self.rest_time = as_time(rest_time, "rest_time", allow_zero=True)
        self.presentation_steps = time_steps(self.presentation_time, self.dt, "presentation_time")
        self.window_steps = self.presentation_steps + time_steps(
            self.rest_time, self.dt, "rest_time"
        )
        self.weight_sum = float(weight_sum)
        self.neuron_params = neuron_namespace(
            **{"inhibition": float(inhibition), **(neuron_params or {})}
        )
        self.reward_correct = float(reward_correct)
        self.reward_wrong = float(reward_wrong)
        self.target = target
        self.record_spikes = bool(record_spikes)
        self.backend = backend
        if traces == "neuron" and not rule.neuron_traces:
            raise ValueError(
                f"traces='neuron' needs a rule whose traces a neuron can hold; rule {rule!r} "
                "lists none (neuron_traces); use traces='synapse'"
            )
        self.traces = traces
        # True in the frozen form of the network (see frozen_form); set by
        # simulate for runs without plasticity, never by users. The frozen form
        # of weights inside [0, wmax] leaves out the clipping (frozen_clips False).
        self.frozen = False
        self.frozen_clips = True

    # -- helpers ----------------------------------------------------------
    def with_agents(self, n_agents):
        """The same network configuration for ``n_agents`` blocks."""
        clone = copy.copy(self)
        clone.n_agents = int(n_agents)
        clone.record_spikes = False
        return clone

    def frozen_form(self, weights=None):
        """This network with plain transmitting input synapses, or None if the rule has none.

        Only for runs with plasticity 0 in every window, where it produces the
        same spikes as the full network (see
        :data:`FROZEN_FORM_FOR_FROZEN_RUNS`); weights are clipped to the
        rule's ``[0, wmax]`` at the same spikes as the full rule clips them,
        unless ``weights`` (the run's) are all inside that interval already:
        then the clipping would change nothing and is left out.
        """
        if self.rule.frozen_synapses_kwargs(transmission="ge_post += w") is None:
            return None
        clone = copy.copy(self)
        clone.frozen = True
        if weights is not None:
            weights = np.asarray(weights)
            wmax = self.rule.params["wmax"]
            clone.frozen_clips = not (weights.size and weights.min() >= 0 and weights.max() <= wmax)
        return clone

    def synapses_kwargs(self):
        """Keyword arguments of the input ``Synapses`` (the rule's, or its frozen form's)."""
        if self.frozen:
            return self.rule.frozen_synapses_kwargs("ge_post += w", clip=self.frozen_clips)
        if self.keeps_neuron_traces:
            return self.rule.neuron_trace_synapses_kwargs(transmission="ge_post += w")
        return self.rule.synapses_kwargs(transmission="ge_post += w")

    @property
    def keeps_neuron_traces(self) -> bool:
        """Whether the rule's traces live on the neurons in this run (``traces="neuron"``, plastic)."""
        return self.traces == "neuron" and not self.frozen

    @property
    def has_lateral_inhibition(self) -> bool:
        """Whether excitatory spikes inhibit the other neurons of their network."""
        return self.n_neurons > 1 and bool(self.lateral_inhibition)

    @property
    def window_time(self):
        """Presentation plus rest: the length of one schedule row."""
        return self.window_steps * self.dt

    def _namespace(self, schedules):
        namespace = dict(self.rule.namespace())
        host = {
            key: value
            for key, value in self.neuron_params.items()
            if key not in PER_NEURON_PARAMETERS
        }
        host.update(
            window_steps=self.window_steps,
            presentation_steps=self.presentation_steps,
            reward_correct=self.reward_correct,
            reward_wrong=self.reward_wrong,
            diverged_voltage=_DIVERGED_VOLTAGE,
            diverged_conductance=_DIVERGED_CONDUCTANCE,
        )
        reserved = (
            set(host)
            | set(PER_NEURON_PARAMETERS)
            | set(_NEURON_VARIABLES)
            | {"weight_sum", "plastic_schedule", "label_schedule"}
        )
        clashes = sorted(set(namespace) & reserved)
        if clashes:
            raise ValueError(
                f"rule {self.rule!r} has parameter(s) {clashes} whose names the network "
                "already uses for its own constants or neuron variables; rename them in the rule"
            )
        namespace.update(host)
        namespace.update(schedules)
        return namespace

    def _per_agent_values(self, agent_params):
        """Per-agent arrays of the per-neuron parameters (defaults broadcast)."""
        defaults = {name: self.neuron_params[name] for name in PER_NEURON_PARAMETERS}
        defaults["weight_sum"] = self.weight_sum
        agent_params = dict(agent_params or {})
        unknown = sorted(set(agent_params) - set(defaults))
        if unknown:
            raise ValueError(f"unknown agent_params {unknown}; known: {sorted(defaults)}")
        values = {}
        for name, default in defaults.items():
            value = agent_params.get(name, default)
            if np.ndim(value) == 0:
                value = value * np.ones(self.n_agents)
            if len(value) != self.n_agents:
                raise ValueError(f"agent_params[{name!r}] needs {self.n_agents} values")
            values[name] = value
        if not self.threshold_adaptation:
            values["theta_plus"] = values["theta_plus"] * 0.0
        return values

    # -- the simulation ---------------------------------------------------
    def simulate(
        self, weights, theta, spikes, plastic, labels=None, assigned_class=None, agent_params=None
    ):
        """Run a whole curriculum of presentation windows in one Brian2 run.

        Parameters
        ----------
        weights : array (n_agents, n_inputs, n_neurons)
            Input weights at the start.
        theta : array (n_agents, n_neurons)
            Adaptive thresholds at the start, in volts.
        spikes : sequence of n_agents tuples (window, channel, step) of int arrays
            Agent ``a``'s input spikes: channel ``channel[k]`` fires at step
            ``step[k]`` of window ``window[k]`` (steps counted from the window's
            start, within the presentation).
        plastic : array (n_windows, n_agents)
            The value of ``plastic`` during each window: 0 freezes the agent
            (evaluation, or nothing to learn), 1 is full learning, values in
            between scale every weight and threshold change.
        labels : int array (n_windows, n_agents) or None
            Class index per window for label-gated rules, -1 for none.
        assigned_class : int array (n_agents, n_neurons) or None
            Class each neuron is taught (label-gated rules), -1 for none.
        agent_params : dict or None
            Per-agent values (arrays of length n_agents, with units where the
            default has them) of ``theta_plus``, ``tau_theta``, ``inhibition``
            or ``weight_sum``, overriding the network's: a population of
            differently tuned agents in one run.

        Returns
        -------
        SimulationResult
        """
        start_wall = time.perf_counter()
        run = self._run_inputs(
            weights, theta, spikes, plastic, labels, assigned_class, agent_params
        )
        if run.n_windows == 0:
            return SimulationResult(
                counts=np.zeros((0, self.n_agents, self.n_neurons), np.int32),
                weights=run.weights.copy(),
                theta=run.theta.copy(),
                input_spikes=run.input_spikes,
                excitatory_spikes=np.zeros((0, self.n_agents), np.int64),
                wall_seconds=0.0,
            )
        from snn import _standalone  # (imported when a run first needs it)

        network = self
        if FROZEN_FORM_FOR_FROZEN_RUNS and not self.frozen and not run.plastic.any():
            network = self.frozen_form(run.weights) or self
        backend = "runtime"
        if not self.record_spikes:
            backend = _standalone.choose_backend(network, run.n_windows)
        if backend == "standalone":
            # (the compiled program reports no progress: the bar moves once per run)
            _, finished = simulation_progress(run.n_windows * self.n_agents)
            final = FinalState(**_standalone.run(network, run))
            finished()
        else:
            final = network._run_runtime(run)
            if network is not self and self.record_spikes:
                self.recorded_spikes_ = network.recorded_spikes_
        return self._result(run, final, time.perf_counter() - start_wall, backend)

    def _run_inputs(self, weights, theta, spikes, plastic, labels, assigned_class, agent_params):
        """Check :meth:`simulate`'s arguments and turn them into a :class:`RunInputs`."""
        n_agents, n_inputs, n_neurons = self.n_agents, self.n_inputs, self.n_neurons
        plastic = np.asarray(plastic, dtype=float)
        if plastic.ndim != 2 or plastic.shape[1] != n_agents:
            raise ValueError(
                f"plastic must have shape (n_windows, {n_agents}), got {plastic.shape}"
            )
        n_windows = plastic.shape[0]
        weights = np.asarray(weights, dtype=float)
        theta = np.asarray(theta, dtype=float)
        if weights.shape != (n_agents, n_inputs, n_neurons):
            raise ValueError(
                f"weights must have shape {(n_agents, n_inputs, n_neurons)}, got {weights.shape}"
            )
        if theta.shape != (n_agents, n_neurons):
            raise ValueError(f"theta must have shape {(n_agents, n_neurons)}, got {theta.shape}")
        if len(spikes) != n_agents:
            raise ValueError(
                f"spikes must hold one entry per agent ({n_agents}), got {len(spikes)}"
            )
        labels = (
            np.full((n_windows, n_agents), -1, dtype=int)
            if labels is None
            else np.asarray(labels, dtype=int)
        )
        assigned_class = (
            np.full((n_agents, n_neurons), -1, dtype=int)
            if assigned_class is None
            else np.asarray(assigned_class, dtype=int)
        )
        if labels.shape != (n_windows, n_agents):
            raise ValueError(f"labels must have shape {(n_windows, n_agents)}, got {labels.shape}")
        if assigned_class.shape != (n_agents, n_neurons):
            raise ValueError(
                f"assigned_class must have shape {(n_agents, n_neurons)}, "
                f"got {assigned_class.shape}"
            )

        input_spikes = np.zeros((n_windows, n_agents), dtype=np.int64)
        indices, steps = [], []
        for agent, (window, channel, step) in enumerate(spikes):
            window = np.asarray(window, dtype=np.int64)
            channel = np.asarray(channel, dtype=np.int64)
            step = np.asarray(step, dtype=np.int64)
            if window.size and (window.min() < 0 or window.max() >= n_windows):
                raise ValueError(f"agent {agent}: spike windows outside [0, {n_windows})")
            if step.size and (step.min() < 0 or step.max() >= self.presentation_steps):
                raise ValueError(f"agent {agent}: spike steps outside the presentation")
            input_spikes[:, agent] = np.bincount(window, minlength=n_windows)
            indices.append(agent * n_inputs + channel)
            steps.append(window * self.window_steps + step)
        indices = np.concatenate(indices) if indices else np.zeros(0, np.int64)
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        # by time, then neuron (np.lexsort((indices, steps))'s order, stable
        # too, from one integer key: several times faster)
        order = np.argsort(steps * (n_agents * n_inputs) + indices, kind="stable")
        return RunInputs(
            n_windows=n_windows,
            weights=weights,
            theta=theta,
            spike_indices=indices[order],
            spike_steps=steps[order],
            input_spikes=input_spikes,
            plastic=plastic,
            labels=labels,
            assigned_class=assigned_class,
            per_neuron={
                name: repeat_each(values, n_neurons)
                for name, values in self._per_agent_values(agent_params).items()
            },
        )

    def _run_runtime(self, run):
        """Simulate ``run`` in Brian2's runtime mode (Cython or numpy); returns :class:`FinalState`."""
        n_windows, n_agents = run.n_windows, self.n_agents
        # Schedules, padded with frozen unlabelled rows and columns to powers
        # of two (a TimedArray's shape is part of its code: see the module
        # docstring), so that calls of other sizes reuse the compiled code.
        rows, columns = _padded_rows(n_windows), _padded_rows(n_agents)
        plastic_rows = np.zeros((rows, columns))
        plastic_rows[:n_windows, :n_agents] = run.plastic
        label_rows = np.full((rows, columns), -1.0)
        label_rows[:n_windows, :n_agents] = run.labels
        with use_target(self.target):
            schedules = dict(
                plastic_schedule=TimedArray(
                    plastic_rows, dt=self.window_time, name="snn_plastic_schedule"
                ),
                label_schedule=TimedArray(
                    label_rows, dt=self.window_time, name="snn_label_schedule"
                ),
            )
            objects = self.brian_objects(schedules, run.spike_indices, run.spike_steps)
            excitatory = objects["excitatory"]
            for name, values in run.per_neuron.items():
                setattr(excitatory, name, values)
            excitatory.theta = run.theta.ravel() * volt
            excitatory.assigned_class = run.assigned_class.ravel()
            objects["input_synapses"].w = run.weights.ravel()
            # A spiking fit's progress bar advances from Brian2's report hook (snn._progress).
            report, finished = simulation_progress(n_windows * self.n_agents)
            run_network(
                objects["network"], n_windows * self.window_steps * self.dt, namespace={}, **report
            )
            finished()
            final = FinalState(
                weights=np.array(objects["input_synapses"].w[:]),
                **{
                    name: np.array(getattr(excitatory, name)[:])
                    for name in FinalState.NEURON_VARIABLES
                },
                **{
                    f"recorded_{name}": np.array(getattr(objects["count_monitor"], name)[:]).T
                    for name in ("presentation_count", "spike_count")
                },
            )
            spike_monitor = objects.get("spike_monitor")
            if spike_monitor is not None:
                self.recorded_spikes_ = (
                    np.asarray(spike_monitor.i[:], dtype=np.int64),
                    np.asarray(spike_monitor.t_[:]),
                )
        return final

    def brian_objects(self, schedules, spike_indices, spike_steps, lateral_synapses=True):
        """The Brian2 objects of the network, for the current device and target.

        Shared by the runtime path (given TimedArray schedules and the call's
        spikes) and the standalone build (given compiled schedule functions
        and placeholder spikes, replaced at every run). Learnable state and
        per-neuron parameters are left at placeholders for the caller to set.

        Parameters
        ----------
        schedules : dict
            ``plastic_schedule`` and ``label_schedule``: functions of
            ``(t, agent)`` read at each window start.
        spike_indices, spike_steps : int arrays
            Input channel (over all agents) and time step of every input
            spike, sorted by step then channel.
        lateral_synapses : bool
            Whether lateral inhibition is a ``Synapses`` object (the runtime
            path). The standalone build passes False and adds compiled code
            doing the same additions in the same order instead
            (:mod:`snn._standalone_build`): all-to-all synapses within each
            agent are ``n_neurons**2`` synapses per agent that the program
            would create, hold and write out at every run.

        Returns
        -------
        dict of the objects by role, with the ``Network`` under ``"network"``.
        """
        n_agents, n_inputs, n_neurons = self.n_agents, self.n_inputs, self.n_neurons
        namespace = self._namespace(schedules)
        dt = self.dt
        # One clock per time scale: Brian2's scheduler cost grows with the
        # number of distinct clocks (each object given dt= gets its own).
        step_clock = Clock(dt, name="snn_step_clock")
        window_clock = Clock(self.window_time, name="snn_window_clock")
        inputs = SpikeGeneratorGroup(
            n_agents * n_inputs,
            spike_indices,
            spike_steps * dt,
            clock=step_clock,
            sorted=True,
            name="snn_inputs",
        )
        excitatory = NeuronGroup(
            n_agents * n_neurons,
            (FROZEN_EXCITATORY_EQUATIONS if self.frozen else EXCITATORY_EQUATIONS)
            + _COUNTER_EQUATIONS,
            threshold=EXCITATORY_THRESHOLD,
            reset=(FROZEN_EXCITATORY_RESET if self.frozen else EXCITATORY_RESET) + _COUNTER_RESET,
            refractory="refractory_period",
            method="euler",
            namespace=namespace,
            clock=step_clock,
            name="snn_excitatory",
        )
        excitatory.v = self.neuron_params["v_rest"]
        excitatory.diverged_window = -1
        excitatory.agent = np.repeat(np.arange(n_agents), n_neurons)

        kwargs = self.synapses_kwargs()
        kwargs["namespace"] = {**kwargs["namespace"], **namespace}
        # No delays: one scalar per pathway rather than a delay per synapse
        # (Brian2 then holds and reads no per-synapse delay array; every
        # synapse's delay was 0 before, so the spikes are the same).
        kwargs["delay"] = {
            pathway: 0 * ms for pathway in ("pre", "post") if kwargs.get(f"on_{pathway}")
        }
        input_synapses = Synapses(
            inputs,
            excitatory,
            method="euler",
            clock=step_clock,
            name="snn_input_synapses",
            **kwargs,
        )
        pre = (
            np.arange(n_agents)[:, None, None] * n_inputs + np.arange(n_inputs)[None, :, None]
        ) + np.zeros((1, 1, n_neurons), int)
        post = (
            np.arange(n_agents)[:, None, None] * n_neurons + np.arange(n_neurons)[None, None, :]
        ) + np.zeros((1, n_inputs, 1), int)
        input_synapses.connect(i=pre.ravel(), j=post.ravel())

        objects = {
            "inputs": inputs,
            "excitatory": excitatory,
            "input_synapses": input_synapses,
        }
        if self.keeps_neuron_traces:
            objects.update(self._neuron_traces(inputs, excitatory, input_synapses, step_clock))
        if self.has_lateral_inhibition and lateral_synapses:
            lateral = Synapses(
                excitatory,
                excitatory,
                on_pre=LATERAL_INHIBITION_ON_PRE,
                delay=0 * ms,
                namespace=namespace,
                clock=step_clock,
                name="snn_lateral_inhibition",
            )
            source, target = np.meshgrid(np.arange(n_neurons), np.arange(n_neurons), indexing="ij")
            off_diagonal = source != target
            offsets = (np.arange(n_agents) * n_neurons)[:, None]
            lateral.connect(
                i=(offsets + source[off_diagonal]).ravel(),
                j=(offsets + target[off_diagonal]).ravel(),
            )
            objects["lateral"] = lateral

        # At each window start: read the schedules, then normalise the input
        # weights of learning agents (frozen agents stay bit-for-bit unchanged).
        excitatory.run_regularly(
            """
            plastic = plastic_schedule(t, agent)
            label_now = label_schedule(t, agent)
            is_labelled = int(label_now >= 0) * int(assigned_class >= 0)
            is_match = int(abs(assigned_class - label_now) < 0.5)
            reward = is_labelled * (is_match * reward_correct + (1 - is_match) * reward_wrong)
            w_total = 0
            healthy = int(abs(v) < diverged_voltage) * int(abs(theta) < diverged_voltage) * int(abs(ge) < diverged_conductance) * int(abs(gi) < diverged_conductance)
            diverged_window += int(diverged_window < 0) * (1 - healthy) * (timestep(t, dt) // window_steps)
            """,
            clock=window_clock,
            when="start",
            order=0,
            name="snn_window_start",
        )
        # (the frozen form has none: with plasticity 0 it changes no weight)
        if self.weight_normalisation and not self.frozen:
            input_synapses.run_regularly(
                "w_total_post += w",
                clock=window_clock,
                when="start",
                order=1,
                name="snn_weight_sum",
            )
            input_synapses.run_regularly(
                "w = w + int(plastic_post > 0) * "
                "(w * weight_sum_post / (w_total_post + int(w_total_post <= 0)) - w)",
                clock=window_clock,
                when="start",
                order=2,
                name="snn_weight_normalisation",
            )
        # Cumulative presentation spike counts, sampled once per window
        # (cheaper than a SpikeMonitor, which runs every time step).
        objects["count_monitor"] = StateMonitor(
            excitatory,
            ["presentation_count", "spike_count"],
            record=True,
            clock=window_clock,
            when="start",
            order=-1,
            name="snn_count_monitor",
        )
        if self.record_spikes:
            objects["spike_monitor"] = SpikeMonitor(excitatory, name="snn_spike_monitor")
        objects["clocks"] = (step_clock, window_clock)
        objects["network"] = Network(
            *(value for key, value in objects.items() if key != "clocks"),
            name="snn_network",
        )
        return objects

    def _neuron_traces(self, inputs, excitatory, input_synapses, clock):
        """The groups holding the rule's traces on the neurons, and the synapses making them jump.

        One group per side with traces (``snn_pre_traces``: one row per input
        channel, ``snn_post_traces``: per excitatory neuron), integrated
        exactly every time step; one-to-one ``Synapses`` add 1 at each spike
        of the side's neurons, between the input synapses' presynaptic
        pathway (Brian2's order -1) and their postsynaptic pathway (order +1)
        of the same time step: the postsynaptic pathway sees a presynaptic
        spike of its own step and the presynaptic pathway does not see a
        postsynaptic one, as with the rule's own traces.
        """
        objects = {}
        namespace = self.rule.namespace()
        for side, source, index in (
            ("pre", inputs, "_synaptic_pre"),
            ("post", excitatory, "_synaptic_post"),
        ):
            traces = {
                name: tau for name, (where, tau) in self.rule.neuron_traces.items() if where == side
            }
            if not traces:
                continue
            group = NeuronGroup(
                len(source),
                "\n".join(f"d{name}/dt = -{name} / {tau} : 1" for name, tau in traces.items()),
                method="exact",
                namespace=namespace,
                clock=clock,
                name=f"snn_{side}_traces",
            )
            jumps = Synapses(
                source,
                group,
                on_pre="\n".join(f"{name}_post += 1" for name in traces),
                delay=0 * ms,
                clock=clock,
                name=f"snn_{side}_trace_jumps",
            )
            jumps.connect(i=np.arange(len(source)), j=np.arange(len(source)))
            jumps.pre.order = 0
            for name in traces:
                setattr(input_synapses, name, linked_var(group, name, index=index))
            objects[f"{side}_traces"] = group
            objects[f"{side}_trace_jumps"] = jumps
        return objects

    def _result(self, run, final, wall_seconds, backend):
        """The :class:`SimulationResult` of a run that ended in ``final``."""
        n_windows, n_agents, n_inputs, n_neurons = (
            run.n_windows,
            self.n_agents,
            self.n_inputs,
            self.n_neurons,
        )
        final_weights = final.weights.reshape(n_agents, n_inputs, n_neurons)
        final_theta = final.theta.reshape(n_agents, n_neurons)
        diverged_window = _first_diverged_window(
            final.diverged_window.reshape(n_agents, n_neurons),
            np.column_stack([final.v, final.ge, final.gi, final.theta]).reshape(
                n_agents, n_neurons, 4
            ),
            final_weights,
            n_windows,
        )
        cumulative = np.empty((2, n_windows + 1, n_agents * n_neurons), dtype=np.int64)
        for row, name in enumerate(("presentation_count", "spike_count")):
            cumulative[row, :n_windows] = getattr(final, f"recorded_{name}")
            cumulative[row, n_windows] = getattr(final, name)
        counts, all_counts = np.diff(cumulative, axis=1).reshape(2, n_windows, n_agents, n_neurons)
        return SimulationResult(
            counts=counts.astype(np.int32),
            weights=final_weights,
            theta=final_theta,
            input_spikes=run.input_spikes,
            excitatory_spikes=all_counts.sum(axis=2),
            wall_seconds=wall_seconds,
            diverged_window=diverged_window,
            backend=backend,
        )


@dataclass
class RunInputs:
    """Everything one :meth:`DiehlCookNetwork.simulate` call feeds the network (numpy).

    ``spike_indices`` are input channels over all agents and ``spike_steps``
    time steps from the run's start, sorted by step then channel;
    ``per_neuron`` maps each per-neuron parameter to its values over all
    neurons (Quantities where the parameter has units).
    """

    n_windows: int
    weights: np.ndarray
    theta: np.ndarray
    spike_indices: np.ndarray
    spike_steps: np.ndarray
    input_spikes: np.ndarray
    plastic: np.ndarray
    labels: np.ndarray
    assigned_class: np.ndarray
    per_neuron: dict


@dataclass
class FinalState:
    """The network's state at the end of a run (numpy, SI units, all agents flattened).

    ``recorded_*`` are the cumulative counters sampled at each window start,
    shape (n_windows, n_agents * n_neurons).
    """

    NEURON_VARIABLES = (
        "theta",
        "v",
        "ge",
        "gi",
        "diverged_window",
        "presentation_count",
        "spike_count",
    )

    weights: np.ndarray
    theta: np.ndarray
    v: np.ndarray
    ge: np.ndarray
    gi: np.ndarray
    diverged_window: np.ndarray
    presentation_count: np.ndarray
    spike_count: np.ndarray
    recorded_presentation_count: np.ndarray
    recorded_spike_count: np.ndarray


def repeat_each(values, repeats):
    """Each per-agent value repeated ``repeats`` times, for an agent's neurons or its
    evaluation copies (units kept)."""
    repeated = np.repeat(np.asarray(values, dtype=float), repeats)
    return Quantity(repeated, dim=values.dim) if isinstance(values, Quantity) else repeated
