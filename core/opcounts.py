"""Operation counts by category: what every learner's ``cost()`` returns.

A learner counts what it does as it trains (and, for populations, as it
predicts) in an :class:`OpCounter`: one cumulative integer per category and
agent. ``cost()`` turns the counters into one tidy table,

======== ========== ============================================
column   type       meaning
======== ========== ============================================
agent    int        (populations only) the agent
phase    str        ``"train"`` or ``"inference"``
category str        a key of :data:`CATEGORIES` or :data:`REFERENCE_CATEGORIES`
count    int        operations of that category in that phase
======== ========== ============================================

and energy is that table priced by a hardware cost table after the run
(:func:`core.energy.price`), so one run can be priced on several tables.

Definitions follow NeuroBench where it has one (Yik et al. 2025, "The
neurobench framework for benchmarking neuromorphic computing algorithms and
systems", Nature Communications 16:1545; arXiv:2304.04640, 2024):

* an **effective MAC** is a multiply-accumulate whose activation operand is
  not zero (NeuroBench's ``SynapticOperations`` "Effective_MACs"): a zero
  input pixel or a ReLU unit at 0 costs nothing, as on hardware that skips
  zeros;
* an **effective AC** (accumulate) is the synaptic operation of a spiking
  network: one per spike and outgoing synapse (``Effective_ACs``);
* **dense** synaptic operations count every synapse whatever its input
  (``Dense``): every weight once per sample for the MLP, every synapse once
  per simulation time step for the spiking network. Dense counts are
  reported for reference (:data:`REFERENCE_CATEGORIES`) and never priced.

NeuroBench counts inference only and leaves the rest of a system out. The
categories here also count training (the backward pass, weight updates,
plasticity, normalisation), the neuron dynamics, the input encoding, the
readout and the memory traffic of weights and states, so that a cost table
can price all of it. What each learner counts, exactly, is in
:func:`mlp_counts` and :func:`spiking_counts`.

>>> counter = OpCounter(n_agents=2)
>>> counter.add("synaptic_ops", [10, 20])
>>> counter.add("synaptic_ops", 5)
>>> counter.totals["synaptic_ops"].tolist()
[15, 25]
>>> cost_table(counter, agents=True)[["agent", "phase", "category", "count"]].values.tolist()
[[0, 'train', 'synaptic_ops', 15], [1, 'train', 'synaptic_ops', 25]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as np
import pandas as pd

from core.params import Interval, check_param

__all__ = [
    "CATEGORIES",
    "REFERENCE_CATEGORIES",
    "PHASES",
    "OpCounter",
    "cost_table",
    "empty_cost_table",
    "dense_macs",
    "forward_macs",
    "add_optimizer_step",
    "mlp_counts",
    "spiking_counts",
    "readout_counts",
    "NEURON_STATE_WORDS",
]

PHASES = ("train", "inference")

#: Priced categories: name -> what one unit of it is.
CATEGORIES: dict[str, str] = {
    "macs": "effective multiply-accumulate of a forward pass (activation operand non-zero)",
    "macs_backward": (
        "effective multiply-accumulate of a backward pass (weight gradients and error "
        "propagation; operands that are zero skipped)"
    ),
    "activations": "one activation function evaluation (bias add and non-linearity) of a unit",
    "synaptic_ops": "effective accumulate: one spike reaching one synapse (NeuroBench AC)",
    "neuron_updates": (
        "one conductance-based neuron (the Brian2 network's) advanced by one simulation time step"
    ),
    "lif_updates": (
        "one current-based leaky integrate-and-fire neuron (the spiking MLP's) advanced by one "
        "time step: bias and input added, threshold test, reset, decay"
    ),
    "lif_backward_updates": (
        "one such neuron's step of backpropagation through time: the surrogate derivative and "
        "the error carried back one step"
    ),
    "plasticity_updates": (
        "one synapse's learning state updated (a spiking rule's pre- or postsynaptic "
        "pathway at one synapse; one parameter stepped by an MLP optimizer)"
    ),
    "normalisation": "one weight rescaled by the per-presentation normalisation (sum and scale)",
    "encoding_draws": "one random number drawn to encode the input (Poisson spikes)",
    "readout": "one multiply-accumulate (or accumulate) of a readout from spike counts",
    "memory_reads": "one word read from memory (weight, state, activation or statistic)",
    "memory_writes": "one word written to memory",
}

#: Counted but never priced: dense operation counts and spike counts.
REFERENCE_CATEGORIES: dict[str, str] = {
    "macs_dense": "forward multiply-accumulates counting zero activations too (NeuroBench Dense)",
    "macs_backward_dense": "backward multiply-accumulates counting zeros too",
    "synaptic_ops_dense": "every synapse once per simulation time step (NeuroBench Dense)",
    "input_spikes": "input spikes presented",
    "output_spikes": "spikes of the learning layer's neurons",
}

_ORDER = {name: i for i, name in enumerate(list(CATEGORIES) + list(REFERENCE_CATEGORIES))}

#: State words of one Diehl & Cook neuron read and written per time step:
#: membrane potential, two conductances, adaptive threshold.
NEURON_STATE_WORDS = 4


def _check_category(category: str) -> None:
    if category not in _ORDER:
        raise ValueError(
            f"unknown operation category {category!r}; known: {sorted(_ORDER)} "
            "(core.opcounts.CATEGORIES and REFERENCE_CATEGORIES)"
        )


class OpCounter:
    """Cumulative operation counts per category, one int64 per agent.

    Parameters
    ----------
    n_agents : int
        Length of every count array (1 for a single learner).
    """

    def __init__(self, n_agents: int = 1):
        self.n_agents = check_param("n_agents", n_agents, [Interval(Integral, 1, None)])
        self.totals: dict[str, np.ndarray] = {}

    def add(self, category: str, count) -> None:
        """Add ``count`` (a number for every agent, or one per agent) to ``category``."""
        _check_category(category)
        values = np.broadcast_to(np.asarray(count), (self.n_agents,))
        if values.dtype.kind == "f":
            if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
                raise ValueError(f"counts must be whole numbers, got {category}={values!r}")
        if np.any(values < 0):
            raise ValueError(f"counts must be non-negative, got {category}={values!r}")
        total = self.totals.setdefault(category, np.zeros(self.n_agents, dtype=np.int64))
        total += values.astype(np.int64)

    def update(self, counts: Mapping[str, object]) -> None:
        """:meth:`add` every ``category: count`` of a mapping."""
        for category, count in counts.items():
            self.add(category, count)

    def agent(self, index: int) -> dict[str, int]:
        """Agent ``index``'s counts as plain ints, in category order."""
        return {key: int(self.totals[key][index]) for key in self.categories()}

    def categories(self) -> list[str]:
        return sorted(self.totals, key=_ORDER.__getitem__)

    # -- archives (no pickle): one int64 array per category ---------------------------------
    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}{key}": value for key, value in self.totals.items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str, n_agents: int):
        counter = cls(n_agents)
        for key, value in arrays.items():
            if key.startswith(prefix):
                category = key[len(prefix) :]
                _check_category(category)
                value = np.asarray(value, dtype=np.int64)
                if value.shape != (n_agents,):
                    raise ValueError(
                        f"count array {key!r} has shape {value.shape}, not ({n_agents},)"
                    )
                counter.totals[category] = value.copy()
        return counter


def empty_cost_table(agents: bool = False) -> pd.DataFrame:
    """The cost table with no rows (right columns and dtypes)."""
    columns = {"phase": pd.Series(dtype=str), "category": pd.Series(dtype=str)}
    columns["count"] = pd.Series(dtype=np.int64)
    if agents:
        columns = {"agent": pd.Series(dtype=np.int64), **columns}
    return pd.DataFrame(columns)


def cost_table(
    train: OpCounter, inference: OpCounter | None = None, agents: bool = False
) -> pd.DataFrame:
    """The tidy ``cost()`` table of a learner (``agents=False``) or population.

    Rows: every category a counter holds, train phase first, categories in
    the order of :data:`CATEGORIES` then :data:`REFERENCE_CATEGORIES`; for a
    population, agents in order within each phase and category.
    """
    rows = []
    for phase, counter in (("train", train), ("inference", inference)):
        if counter is None:
            continue
        for category in counter.categories():
            values = counter.totals[category]
            if agents:
                rows.extend((a, phase, category, int(v)) for a, v in enumerate(values))
            else:
                rows.append((phase, category, int(values[0])))
    if not rows:
        return empty_cost_table(agents)
    columns = (["agent"] if agents else []) + ["phase", "category", "count"]
    table = pd.DataFrame(rows, columns=columns)
    table["count"] = table["count"].astype(np.int64)
    return table


# -- the MLP -------------------------------------------------------------------------------------


def dense_macs(n_in: int, n_out: int) -> int:
    """MACs of one dense layer for one sample: one per synapse."""
    return int(n_in) * int(n_out)


def forward_macs(layer_sizes: Sequence[int]) -> int:
    """Dense MACs of one forward pass of one sample through layers of ``layer_sizes``.

    >>> forward_macs((64, 64, 10))
    4736
    """
    return sum(dense_macs(a, b) for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def add_optimizer_step(counts: dict, updates, state_words: int) -> dict:
    """Add the optimizer's parameter updates to ``counts`` (in place; returned).

    Each of ``updates`` (an int or an array per agent) is a
    ``plasticity_updates`` that reads the parameter, its gradient and
    ``state_words`` words of optimizer state and writes the parameter and
    the state back.
    """
    counts["plasticity_updates"] = updates
    counts["memory_reads"] = counts["memory_reads"] + updates * (2 + state_words)
    counts["memory_writes"] = counts["memory_writes"] + updates * (1 + state_words)
    return counts


def mlp_counts(
    layer_sizes: Sequence[int],
    n_rows,
    input_nonzero,
    *,
    backward: Mapping[str, object] | None = None,
    dense_backward_macs_per_row: int = 0,
    n_steps=0,
    n_parameters: int = 0,
    optimizer_state_words: int = 0,
) -> dict[str, np.ndarray]:
    """Operation counts of an MLP over ``n_rows`` samples (forward, optionally backward).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_0, ..., n_L)``.
    n_rows : int or array (agents,)
        Samples passed forward.
    input_nonzero : list of L ints or arrays
        ``input_nonzero[l]``: non-zero entries of layer ``l``'s input
        (``X`` for ``l = 0``, then hidden activations) summed over the rows.
        Layer ``l`` then does ``input_nonzero[l] * n_(l+1)`` effective MACs.
    backward : dict or None
        For training: ``delta_nonzero`` (list of L: non-zero error entries of
        each layer's output, summed over rows) and ``outer_nonzero`` (list of
        L: sum over rows of ``nnz(input of layer l) * nnz(delta of layer l)``,
        the effective weight-gradient MACs). Error propagation into layer
        ``l - 1`` (``l >= 1``) costs ``delta_nonzero[l] * n_l`` (a zero error
        skips its row of weights; no error is sent to the inputs).
    dense_backward_macs_per_row : int
        The rule's dense backward MACs per sample (:meth:`ann.rules.LearningRule.backward_macs`).
    n_steps : int or array
        Optimizer steps taken; each steps ``n_parameters`` parameters (a
        ``plasticity_updates`` each), reading the parameter, its gradient and
        ``optimizer_state_words`` words of optimizer state and writing the
        parameter and the state back.

    Memory model (32-bit words, nothing cached between samples): a forward
    MAC reads its weight; a layer reads its non-zero inputs and its biases
    and writes its outputs. A backward MAC reads one word (the weight when
    propagating the error, the activation for a weight gradient); each layer
    writes its error; gradients are accumulated in place and written once
    per step with the optimizer's writes.

    Not counted: the loss, softmax and its derivative, the L2 penalty,
    elementwise derivative products, bias gradients.
    """
    sizes = [int(n) for n in layer_sizes]
    outs = sizes[1:]
    rows = np.asarray(n_rows, dtype=np.int64)
    nonzero = [np.asarray(v, dtype=np.int64) for v in input_nonzero]
    if len(nonzero) != len(outs):
        raise ValueError(
            f"input_nonzero needs {len(outs)} entries (one per layer), got {len(nonzero)}"
        )
    macs = sum(nz * n_out for nz, n_out in zip(nonzero, outs))
    dense = rows * forward_macs(sizes)
    units = rows * sum(outs)
    counts = {
        "macs": macs,
        "macs_dense": dense,
        "activations": units,
        "memory_reads": macs + sum(nonzero) + units,  # weights, inputs, biases
        "memory_writes": units,
    }
    if backward is not None:
        delta_nonzero = [np.asarray(v, dtype=np.int64) for v in backward["delta_nonzero"]]
        outer = [np.asarray(v, dtype=np.int64) for v in backward["outer_nonzero"]]
        propagation = sum(delta_nonzero[l] * sizes[l] for l in range(1, len(outs)))
        macs_backward = sum(outer) + propagation
        counts["macs_backward"] = macs_backward
        counts["macs_backward_dense"] = rows * int(dense_backward_macs_per_row)
        counts["memory_reads"] = counts["memory_reads"] + macs_backward
        counts["memory_writes"] = counts["memory_writes"] + sum(delta_nonzero)
        updates = np.asarray(n_steps, dtype=np.int64) * int(n_parameters)
        add_optimizer_step(counts, updates, optimizer_state_words)
    return counts


# -- the spiking network -------------------------------------------------------------------------


def spiking_counts(
    *,
    n_inputs: int,
    n_neurons: int,
    n_presented,
    window_steps: int,
    presentation_steps: int,
    input_spikes,
    output_spikes,
    plastic_windows=0,
    plastic_input_spikes=0,
    plastic_output_spikes=0,
    pre_pathway: tuple[int, int] | None = None,
    post_pathway: tuple[int, int] | None = None,
    draws_per_channel_step: int = 1,
    lateral_inhibition: bool = True,
    normalisation: bool = True,
) -> dict[str, np.ndarray]:
    """Operation counts of a Diehl & Cook network over some presentation windows.

    Parameters
    ----------
    n_inputs, n_neurons : int
        Input channels and learning-layer neurons (one agent).
    n_presented : int or array (agents,)
        Sample presentations (windows of ``window_steps`` steps), re-presentations included.
    window_steps, presentation_steps : int
        Time steps per window (presentation and rest) and with input.
    input_spikes, output_spikes : int or array (agents,)
        Spikes of the inputs and of the learning layer (rest included).
    plastic_windows, plastic_input_spikes, plastic_output_spikes : int or array
        The same restricted to windows with plasticity on.
    pre_pathway, post_pathway : (words read, words written) or None
        What the plasticity rule does per synapse at a presynaptic /
        postsynaptic spike (:func:`snn.rules.pathway_words`); None if the
        rule has no code on that pathway.
    draws_per_channel_step : int
        Random numbers per input channel and presentation step (1 for
        Poisson encoding, 0 for deterministic encoders).
    lateral_inhibition : bool
        Whether every output spike reaches the ``n_neurons - 1`` other neurons.
    normalisation : bool
        Whether the input weights are normalised before each plastic window.

    What is counted
    ---------------
    * ``synaptic_ops``: every input spike reaches its ``n_neurons``
      synapses, every output spike ``n_neurons - 1`` inhibitory ones
      (NeuroBench effective ACs); ``synaptic_ops_dense``: every synapse once
      per time step of every window.
    * ``neuron_updates``: every neuron at every step of every window
      (clock-driven Euler integration, rest included).
    * ``plasticity_updates``: in plastic windows only, a presynaptic spike
      runs the rule's ``on_pre`` at its ``n_neurons`` synapses, a
      postsynaptic spike its ``on_post`` at its ``n_inputs`` synapses. While
      plasticity is off (evaluation) the rule is counted as switched off,
      as hardware would gate it, although the simulator multiplies its
      weight change by 0.
    * ``normalisation``: before each plastic window every input weight is
      summed into its neuron's total and rescaled.
    * ``encoding_draws``: ``draws_per_channel_step`` per input channel and
      presentation step.
    * memory: a synaptic op reads its weight; a neuron update reads and
      writes :data:`NEURON_STATE_WORDS`; a plasticity update reads and writes
      the words of its pathway; normalisation reads every weight twice and
      writes it once, plus one total per neuron; a draw reads its channel's rate.

    Not counted: the inputs' own dynamics (a spike generator), spike routing
    between cores, the computation of the rates from pixels (receptive
    fields), the schedule reads, the spike counters used by the readout
    (see :func:`readout_counts` for the readout itself).
    """
    presented = np.asarray(n_presented, dtype=np.int64)
    inputs = np.asarray(input_spikes, dtype=np.int64)
    outputs = np.asarray(output_spikes, dtype=np.int64)
    fan_lateral = n_neurons - 1 if lateral_inhibition else 0
    synaptic_ops = inputs * n_neurons + outputs * fan_lateral
    steps = presented * int(window_steps)
    neuron_updates = steps * n_neurons
    n_synapses = n_inputs * n_neurons + n_neurons * fan_lateral
    plastic = np.asarray(plastic_windows, dtype=np.int64)
    pre_events = np.asarray(plastic_input_spikes, dtype=np.int64) * n_neurons
    post_events = np.asarray(plastic_output_spikes, dtype=np.int64) * n_inputs
    plasticity = np.zeros_like(presented)
    reads = synaptic_ops + neuron_updates * NEURON_STATE_WORDS
    writes = neuron_updates * NEURON_STATE_WORDS
    for events, pathway in ((pre_events, pre_pathway), (post_events, post_pathway)):
        if pathway is not None:
            plasticity = plasticity + events
            reads = reads + events * int(pathway[0])
            writes = writes + events * int(pathway[1])
    normalised = plastic * int(bool(normalisation))
    normalisation = normalised * n_inputs * n_neurons
    reads = reads + 2 * normalisation + normalised * n_neurons
    writes = writes + normalisation + normalised * n_neurons
    draws = presented * n_inputs * int(presentation_steps) * int(draws_per_channel_step)
    reads = reads + draws
    counts = {
        "synaptic_ops": synaptic_ops,
        "neuron_updates": neuron_updates,
        "plasticity_updates": plasticity,
        "normalisation": normalisation,
        "encoding_draws": draws,
        "memory_reads": reads,
        "memory_writes": writes,
        "synaptic_ops_dense": steps * n_synapses,
        "input_spikes": inputs,
        "output_spikes": outputs,
    }
    shape = np.broadcast_shapes(*(np.shape(value) for value in counts.values()))
    return {key: np.broadcast_to(value, shape).astype(np.int64) for key, value in counts.items()}


def readout_counts(operations, reads=None, writes=None) -> dict[str, np.ndarray]:
    """A readout's arithmetic and memory traffic (one word per operand read by default)."""
    operations = np.asarray(operations, dtype=np.int64)
    return {
        "readout": operations,
        "memory_reads": operations if reads is None else np.asarray(reads, dtype=np.int64),
        "memory_writes": np.zeros_like(operations)
        if writes is None
        else np.asarray(writes, dtype=np.int64),
    }
