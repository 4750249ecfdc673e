"""Hardware cost tables and pricing: energy = operation counts x a table, after the run.

A :class:`CostTable` gives the energy of one operation of every priced
category of :mod:`core.opcounts` on some hardware, with its source. Tables
are registered by name (:func:`register_cost_table`, the same decorator shape
as the learning-rule registries) and looked up with :func:`get_cost_table`;
:func:`price` multiplies a learner's ``cost()`` table by one table or several,
so one run is priced on every table without running it again.

Shipped tables
--------------
``horowitz45_fp32``
    45 nm, 0.9 V figures of Horowitz (2014): fp32 add 0.9 pJ, fp32 multiply
    3.7 pJ, a 64-bit read of a 32 KB SRAM 20 pJ (so 10 pJ per 32-bit word),
    int32 add 0.1 pJ. Every category is priced from these primitives through
    :data:`ARITHMETIC` (e.g. a MAC is a multiply and an add, 4.6 pJ).
``horowitz45_int8``
    The same 45 nm table for 8-bit integer arithmetic and 8-bit words: add
    0.03 pJ, multiply 0.2 pJ, a word 20 pJ / 8 = 2.5 pJ.
``horowitz45_fp32_arithmetic``
    fp32 arithmetic only, memory free: the model most ANN-vs-SNN energy
    comparisons use (4.6 pJ per MAC against 0.9 pJ per synaptic operation).
    It is optimistic for every learner and most of all for spikes, whose
    neuron updates and plasticity touch memory far more often than they
    compute; it is kept to show what leaving memory out does to a ranking.
``loihi``
    Intel Loihi (14 nm), pre-silicon per-operation figures of Davies et al.
    (2018), Table 2: synaptic spike operation 23.6 pJ (minimum), synaptic
    update (pairwise STDP) 120 pJ, neuron update 52 pJ (inactive; 81 pJ
    active). These include the core's own SRAM accesses, so memory words are
    not priced again. Both learners are priced as if they ran on such a
    fabric: a MAC as a graded synaptic operation (Loihi 2's graded spikes
    make this possible; Loihi 1 has binary spikes), an activation as a
    neuron update, an optimizer step of a parameter and a normalised weight
    as a synaptic update. A leaky integrate-and-fire update (the spiking
    MLP's; Loihi's own neurons are of that kind) is a neuron update, and so,
    for want of a Loihi figure, is its backward step through time (Loihi
    does not run backpropagation through time). Encoding draws are not a Loihi figure: they are
    priced as on the 45 nm table (seven int32 operations, 0.7 pJ).

Primitive compositions (:data:`ARITHMETIC`, for the 45 nm tables)
------------------------------------------------------------------
======================= ========== ======== ==========================================
category                multiplies adds     why
======================= ========== ======== ==========================================
macs, macs_backward     1          1        multiply-accumulate
readout                 1          1        multiply-accumulate
activations             0          2        bias add, ReLU compare
synaptic_ops            0          1        accumulate the weight into the conductance
neuron_updates          7          11       Euler step of v, ge, gi, theta; threshold test
lif_updates             1          4        bias add, input add, threshold test, reset
                                            subtraction; decay multiply
lif_backward_updates    6          4        surrogate 1/(1+a|m-1|)^2 (m-1, a*, 1+, square,
                                            reciprocal; abs free); beta*lambda, two
                                            products, 1-g, sum
plasticity_updates      4          5        two trace decays, weight change, clip
normalisation           1          1        add to the neuron's sum, rescale
======================= ========== ======== ==========================================

An encoding draw is a xorshift32 step (three shifts, three xors) and a
compare: seven int32 operations. Memory words cost the table's word read
(writes are priced as reads; Horowitz gives reads only).

What no table models: static (leakage) power and time, which favour fast
dense hardware; spike routing between cores (Loihi: 1.7 pJ within a tile,
3-4 pJ per hop); off-chip DRAM (1.3-2.6 nJ per 64-bit access at 45 nm,
which a model larger than on-chip SRAM would pay); caches and data reuse,
which batched dense hardware exploits (a weight fetched once per minibatch
of 64 here counts once per sample); control and instruction overheads.

References
----------
Horowitz, M. (2014). Computing's energy problem (and what we can do about
it). IEEE ISSCC Digest of Technical Papers, 10-14.
Davies, M. et al. (2018). Loihi: a neuromorphic manycore processor with
on-chip learning. IEEE Micro 38(1):82-99.
Yik, J. et al. (2025). The neurobench framework for benchmarking
neuromorphic computing algorithms and systems. Nat. Commun. 16:1545.

Examples
--------
>>> import pandas as pd
>>> counts = pd.DataFrame({"phase": ["inference"], "category": ["macs"], "count": [1000]})
>>> price(counts, "horowitz45_fp32")["energy_pj"].round(6).tolist()
[4600.0]
>>> total_joules(counts, ["horowitz45_fp32", "loihi"]).round(12).tolist()
[4.6e-09, 2.36e-08]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.opcounts import CATEGORIES, REFERENCE_CATEGORIES

__all__ = [
    "ARITHMETIC",
    "COST_TABLES",
    "CostTable",
    "register_cost_table",
    "get_cost_table",
    "price",
    "total_joules",
    "from_primitives",
]

#: Multiplies and adds of one operation of each arithmetic category.
ARITHMETIC: dict[str, tuple[int, int]] = {
    "macs": (1, 1),
    "macs_backward": (1, 1),
    "readout": (1, 1),
    "activations": (0, 2),
    "synaptic_ops": (0, 1),
    "neuron_updates": (7, 11),
    "lif_updates": (1, 4),
    "lif_backward_updates": (6, 4),  # the reciprocal counted as a multiply
    "plasticity_updates": (4, 5),
    "normalisation": (1, 1),
}
#: int32 operations of one encoding draw (xorshift32 and a compare).
DRAW_INT_OPERATIONS = 7


@dataclass(frozen=True)
class CostTable:
    """Energy per operation (picojoules) of every priced category on some hardware.

    Attributes
    ----------
    name : str
    energy_pj : mapping category -> pJ per operation
        Every key of :data:`core.opcounts.CATEGORIES` (0 where an operation
        is free on this hardware, e.g. memory included in other figures).
    source : str
        Where the figures come from (paper, table, page).
    description : str
        One line for figure captions: the hardware and number format.
    not_modelled : str
        What the table leaves out, for captions.
    """

    name: str
    energy_pj: Mapping[str, float]
    source: str
    description: str
    not_modelled: str = field(default="")

    def __post_init__(self):
        missing = sorted(set(CATEGORIES) - set(self.energy_pj))
        unknown = sorted(set(self.energy_pj) - set(CATEGORIES))
        if missing or unknown:
            raise ValueError(
                f"cost table {self.name!r} must price exactly the categories of "
                f"core.opcounts.CATEGORIES: missing {missing}, unknown {unknown}"
            )
        for category, value in self.energy_pj.items():
            if isinstance(value, bool) or not np.isfinite(value) or value < 0:
                raise ValueError(
                    f"cost table {self.name!r}: energy of {category!r} must be a finite "
                    f"number >= 0 (pJ), got {value!r}"
                )
        object.__setattr__(self, "energy_pj", {k: float(v) for k, v in self.energy_pj.items()})

    def caption(self) -> str:
        """What a figure priced on this table must say."""
        text = f"Cost table '{self.name}': {self.description} ({self.source})."
        if self.not_modelled:
            text += f" Not modelled: {self.not_modelled}"
        return text


def from_primitives(
    name: str,
    *,
    add_pj: float,
    mult_pj: float,
    word_pj: float,
    int_op_pj: float,
    source: str,
    description: str,
    not_modelled: str = "",
) -> CostTable:
    """A table whose categories are built from primitive energies through :data:`ARITHMETIC`."""
    energy = {category: m * mult_pj + a * add_pj for category, (m, a) in ARITHMETIC.items()}
    energy["encoding_draws"] = DRAW_INT_OPERATIONS * int_op_pj
    energy["memory_reads"] = word_pj
    energy["memory_writes"] = word_pj
    return CostTable(name, energy, source, description, not_modelled)


#: Registered cost tables, name -> CostTable.
COST_TABLES: dict[str, CostTable] = {}


def register_cost_table(name: str) -> Callable:
    """Decorator registering the :class:`CostTable` a function returns under ``name``.

    The function is called once, at registration. A second registration of
    ``name`` by another function raises (re-running the same definition, as a
    notebook does, replaces it).

    Examples
    --------
    >>> @register_cost_table("example_chip")
    ... def example_chip():
    ...     energy = {category: 1.0 for category in CATEGORIES}
    ...     return CostTable("example_chip", energy, "made up for this example", "1 pJ for all")
    >>> get_cost_table("example_chip").energy_pj["macs"]
    1.0
    >>> del COST_TABLES["example_chip"]
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_cost_table: name must be a non-empty str, got {name!r}")

    def decorator(function):
        previous = COST_TABLES.get(name)
        owner = (function.__module__, function.__qualname__)
        if previous is not None and _OWNERS.get(name) != owner:
            raise ValueError(
                f"a cost table is already registered as {name!r} (by "
                f"{'.'.join(_OWNERS[name])}); choose another name"
            )
        table = function()
        if not isinstance(table, CostTable) or table.name != name:
            raise TypeError(
                f"register_cost_table({name!r}) needs a function returning a CostTable "
                f"named {name!r}, got {table!r}"
            )
        COST_TABLES[name] = table
        _OWNERS[name] = owner
        return function

    return decorator


_OWNERS: dict[str, tuple[str, str]] = {}


def get_cost_table(table) -> CostTable:
    """A :class:`CostTable` from a registered name (or the table itself)."""
    if isinstance(table, CostTable):
        return table
    if isinstance(table, str) and table in COST_TABLES:
        return COST_TABLES[table]
    raise ValueError(f"unknown cost table {table!r}; known: {sorted(COST_TABLES)}")


_HOROWITZ = (
    "Horowitz (2014), Computing's energy problem, ISSCC, 45 nm 0.9 V energy table "
    "(fp32 add 0.9 pJ, multiply 3.7 pJ; int8 add 0.03 pJ, multiply 0.2 pJ; int32 add "
    "0.1 pJ; 64-bit read of a 32 KB SRAM 20 pJ)"
)
_NOT_MODELLED_45NM = (
    "static power and time, data reuse across a minibatch (every weight use is a read), "
    "caches, off-chip DRAM (1.3-2.6 nJ per access), spike routing, control overheads."
)


#: The 45 nm tables: name -> (add, multiply, word read or write) in pJ, one int op 0.1 pJ.
_HOROWITZ45_PJ = {
    "horowitz45_fp32": (0.9, 3.7, 10.0),
    "horowitz45_int8": (0.03, 0.2, 2.5),
    "horowitz45_fp32_arithmetic": (0.9, 3.7, 0.0),
}
_HOROWITZ45_DESCRIPTIONS = {
    "horowitz45_fp32": "45 nm, fp32 arithmetic, 32-bit words from a 32 KB SRAM (10 pJ)",
    "horowitz45_int8": "45 nm, int8 arithmetic, 8-bit words from a 32 KB SRAM (2.5 pJ)",
    "horowitz45_fp32_arithmetic": "45 nm, fp32 arithmetic only, memory free",
}
_HOROWITZ45_NOT_MODELLED = {
    "horowitz45_fp32": _NOT_MODELLED_45NM,
    "horowitz45_int8": _NOT_MODELLED_45NM + " Accuracy at 8 bits is assumed, not measured.",
    "horowitz45_fp32_arithmetic": "all memory traffic (optimistic, most of all for spikes); "
    + _NOT_MODELLED_45NM,
}


def _register_horowitz45(name: str) -> None:
    @register_cost_table(name)
    def horowitz45():
        add_pj, mult_pj, word_pj = _HOROWITZ45_PJ[name]
        return from_primitives(
            name,
            add_pj=add_pj,
            mult_pj=mult_pj,
            word_pj=word_pj,
            int_op_pj=0.1,
            source=_HOROWITZ,
            description=_HOROWITZ45_DESCRIPTIONS[name],
            not_modelled=_HOROWITZ45_NOT_MODELLED[name],
        )


for _name in _HOROWITZ45_PJ:
    _register_horowitz45(_name)


@register_cost_table("loihi")
def _loihi():
    synaptic_op, synaptic_update, neuron_update = 23.6, 120.0, 52.0
    energy = {
        "macs": synaptic_op,
        "macs_backward": synaptic_op,
        "readout": synaptic_op,
        "synaptic_ops": synaptic_op,
        "activations": neuron_update,
        "neuron_updates": neuron_update,
        "lif_updates": neuron_update,  # Loihi's own neurons are current-based LIF
        "lif_backward_updates": neuron_update,  # no Loihi figure: priced as a forward update
        "plasticity_updates": synaptic_update,
        "normalisation": synaptic_update,
        "encoding_draws": DRAW_INT_OPERATIONS * 0.1,
        "memory_reads": 0.0,
        "memory_writes": 0.0,
    }
    return CostTable(
        "loihi",
        energy,
        source=(
            "Davies et al. (2018), Loihi, IEEE Micro 38(1):82, Table 2 (pre-silicon): "
            "synaptic spike op 23.6 pJ (min), synaptic update (pairwise STDP) 120 pJ, "
            "neuron update 52 pJ inactive / 81 pJ active"
        ),
        description=(
            "Loihi per-operation energies (memory included) for both learners; a MAC as a "
            "graded synaptic op, an optimizer or normalisation step as a synaptic update, a LIF "
            "step backward through time as a neuron update"
        ),
        not_modelled=(
            "static power and time, spike routing (1.7 pJ per spike within a tile, 3-4 pJ "
            "per hop), active neuron updates above 52 pJ, the embedded x86 cores; encoding "
            "draws use the 45 nm int32 figure."
        ),
    )


# -- pricing -------------------------------------------------------------------------------------


def _check_counts(counts: pd.DataFrame) -> None:
    if not isinstance(counts, pd.DataFrame):
        raise TypeError(
            f"counts must be a cost() table (pandas DataFrame), got {type(counts).__name__}"
        )
    missing = [c for c in ("phase", "category", "count") if c not in counts.columns]
    if missing:
        raise ValueError(f"counts lacks the columns {missing}; pass a learner's cost() table")
    unknown = sorted(set(counts["category"]) - set(CATEGORIES) - set(REFERENCE_CATEGORIES))
    if unknown:
        raise ValueError(
            f"counts has categories no cost table prices: {unknown}; known: "
            f"{sorted(CATEGORIES)} (priced) and {sorted(REFERENCE_CATEGORIES)} (reference)"
        )


def price(counts: pd.DataFrame, tables) -> pd.DataFrame:
    """The priced rows of a ``cost()`` table, on one table or several.

    Parameters
    ----------
    counts : pandas.DataFrame
        A ``cost()`` table (columns ``phase``, ``category``, ``count``, and
        any others, e.g. ``agent``, which are kept).
    tables : str, CostTable or sequence of them

    Returns
    -------
    pandas.DataFrame
        The rows of priced categories (reference categories such as dense
        counts are dropped), one copy per table, with columns ``table``,
        ``energy_pj`` and ``joules`` added.
    """
    _check_counts(counts)
    many = not isinstance(tables, (str, CostTable))
    resolved = [get_cost_table(t) for t in (tables if many else [tables])]
    priced = counts[counts["category"].isin(list(CATEGORIES))]
    frames = []
    for table in resolved:
        frame = priced.copy()
        frame.insert(0, "table", table.name)
        per_unit = frame["category"].map(table.energy_pj).astype(float)
        frame["energy_pj"] = frame["count"].astype(float) * per_unit
        frame["joules"] = frame["energy_pj"] * 1e-12
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def total_joules(counts: pd.DataFrame, tables, phase: str | None = None) -> pd.Series:
    """Total energy in joules per table (and per agent if ``counts`` has agents).

    ``phase`` restricts to "train" or "inference"; None adds both.
    """
    if phase is not None and phase not in ("train", "inference"):
        raise ValueError(f"phase must be 'train', 'inference' or None, got phase={phase!r}")
    priced = price(counts, tables)
    if phase is not None:
        priced = priced[priced["phase"] == phase]
    keys = ["table"] + (["agent"] if "agent" in priced.columns else [])
    names = [get_cost_table(t).name for t in _as_list(tables)]
    totals = priced.groupby(keys, sort=False)["joules"].sum()
    if "agent" in priced.columns:
        return totals
    return totals.reindex(names, fill_value=0.0)


def _as_list(tables) -> Sequence:
    return [tables] if isinstance(tables, (str, CostTable)) else list(tables)
