"""Knowledge diffusion and consensus against the topology of the society, for each agent type.

Societies of one agent type at a time live on four topologies (ring, small
world, scale free, complete) of the same size, learn a classification task
from label-skewed (``non_iid``) shards and interact by ``teach`` (or
``gossip``). Per round and topology the experiment records every agent's test
accuracy and its disagreement with its neighbours, from which it reports the
mean accuracy, the consensus distance (fraction of test samples on which two
neighbours disagree) and the knowledge-diffusion round (first round in which
half of the agents reach a threshold accuracy).

The four topologies of one seed are the four connected components of one
society, and the agent at position ``j`` of every topology learns from the same
data shard (see :mod:`experiments._societies`): the topologies are compared on
the same data, and the spiking agents of all of them are one Brian2 network.

Beside the learners, the theory the averaging obeys: DeGroot averaging
``x(t+1) = W x(t)`` with Metropolis weights on graphs of each topology and
several sizes, the measured number of steps until the distance to the average
has shrunk by ``consensus_tol``, against ``1 / spectral gap`` of ``W`` and the
spectral bound ``ceil(ln(tol) / ln(SLEM))`` (Xiao & Boyd 2004). The learners'
consensus distance and diffusion round are then drawn against the spectral
gap of the graph they live on.

Next to the agents, the reference learners of :mod:`experiments.reference`
(logistic regression, 1-nearest neighbour, k-means prototypes plus the vote,
the majority class) are fitted on each position's shard alone and on all
shards pooled, and scored on the agents' evaluation samples: what an agent
could reach without its neighbours, and what sharing all data could. They
are rows of ``metrics.csv`` with ``protocol`` "reference", the reference
learner in ``type``, ``topology`` "own shard" (``agent``: the position) or
"pooled" (``agent`` -1), at the last round; summary.md gives them with 95%
intervals, the accuracy figures draw them as lines (dotted: one shard, dashed:
pooled), and the analyses of the societies leave them out.

Run time on 2 cores: the quick preset (iris, 6 agents per topology, 6 rounds,
``teach``) takes under a minute, almost all of it the spiking agents; the full
preset (digits, 12 agents per topology, 20 rounds, ``teach`` and ``gossip``,
5 seeds) 1089 s of CPU (measured; 1197 s of wall time beside another job).

References
----------
M. H. DeGroot, "Reaching a consensus", J. Am. Stat. Assoc. 69, 118-121 (1974).
L. Xiao and S. Boyd, "Fast linear iterations for distributed averaging",
Systems & Control Letters 53, 65-78 (2004).
D. J. Watts and S. H. Strogatz, Nature 393, 440-442 (1998);
A.-L. Barabási and R. Albert, Science 286, 509-512 (1999).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from core.random import child_seeds
from experiments._base import COUNT, FRACTION, POSITIVE, Result, register_experiment
from experiments._societies import (
    REFERENCE,
    SocietySettings,
    check_society_settings,
    component_summary,
    default_protocol_params,
    difference_lines,
    experiment_society,
    legend_beside,
    reference_levels,
    reference_lines,
    reference_rows,
    reference_summary_lines,
    society_references,
    union_of_components,
)
from experiments._societies import reference_metrics as society_reference_metrics
from experiments.stats import format_row, interval_table, paired_table
from experiments.style import color, curve_with_band, figure, label, titled
from experiments.sweep_figures import Panel, bands, metric_rows, panel_grid
from social.consensus import (
    consensus_error,
    consensus_time,
    degroot,
    metropolis_weights,
    second_largest_eigenvalue_modulus,
)
from social.graphs import make_graph
from tasks import load_task

#: Colours of the topologies (the agent-type colours are kept for the types).
TOPOLOGY_COLORS = {
    "ring": "#2ca02c",
    "small_world": "#ff7f0e",
    "scale_free": "#8c564b",
    "complete": "#17becf",
    "random": "#7f7f7f",
    "grid": "#bcbd22",
}
TOPOLOGY_LABELS = {
    "ring": "ring",
    "small_world": "small world",
    "scale_free": "scale free",
    "complete": "complete",
    "random": "random (Erdős-Rényi)",
    "grid": "grid",
}

#: Columns of a society's round table that metrics.csv keeps as they are (after the
#: topology and the agent, which are read from the table's node names).
_COPIED_COLUMNS = "round degree accuracy disagreement messages local_samples cost cost_unit".split()


def society_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """The agents' rows of ``metrics``, without the reference learners' rows."""
    return metrics[metrics["protocol"] != REFERENCE]


def reference_table(result: Result) -> pd.DataFrame | None:
    """The reference learners' accuracies (``seed``, ``scope``, ``position``, ``kind``,
    ``accuracy``, as :func:`shard_references` gives them): their rows of ``metrics.csv``,
    or the ``references`` table of a run saved before they moved there."""
    rows = reference_rows(result.metrics, "protocol", "topology")
    if rows.empty:
        return result.tables.get("references")
    return rows


def reference_metrics(references: list[dict], rounds: int) -> pd.DataFrame:
    """:func:`shard_references`' rows as rows of ``metrics.csv`` (see the module docstring):
    at round ``rounds``, no neighbours, messages or cost."""
    blank = {
        "degree": np.nan,
        "disagreement": np.nan,
        "messages": 0,
        "local_samples": np.nan,
        "cost": np.nan,
        "cost_unit": "",
    }
    return society_reference_metrics(references, rounds, "protocol", "topology", blank)


def topology_color(name: str) -> str:
    return TOPOLOGY_COLORS.get(name, "#444444")


def topology_label(name: str) -> str:
    return TOPOLOGY_LABELS.get(name, name)


def topology_style(name: str) -> dict:
    """Label and colour of a topology's line."""
    return {"label": topology_label(name), "color": topology_color(name)}


@dataclass(frozen=True)
class Settings(SocietySettings):
    topologies: tuple = ("ring", "small_world", "scale_free", "complete")
    graph_params: dict = field(
        default_factory=lambda: {"small_world": {"k": 4, "p": 0.1}, "scale_free": {"m": 2}}
    )
    protocols: tuple = ("teach", "gossip")
    protocol_params: dict = field(default_factory=default_protocol_params)
    n_agents: int = 12
    diffusion_threshold: float = 0.6
    diffusion_fraction: float = 0.5
    theory_sizes: tuple = (8, 16, 32, 64)
    theory_graphs: int = 5
    consensus_tol: float = 1e-3
    references: tuple = ("logistic_regression", "nearest_neighbour", "kmeans_vote", "majority")

    CONSTRAINTS = {
        "diffusion_threshold": FRACTION,
        "diffusion_fraction": FRACTION,
        "theory_graphs": COUNT,
        "consensus_tol": POSITIVE,
    }

    QUICK = dict(
        task="iris",
        protocols=("teach",),
        protocol_params={"teach": {"demonstrations": 4, "labels": "checked"}},
        n_agents=6,
        rounds=6,
        n_seeds=1,
        local_batch=8,
        n_eval=None,
        agent_params={
            "ann": {"learning_rate": 0.05},
            "snn": {"n_neurons": 20, "presentation_time_ms": 40.0, "rest_time_ms": 10.0},
        },
        theory_sizes=(8, 16, 32),
        theory_graphs=3,
    )


# ----------------------------------------------------------------------------
# Theory: DeGroot averaging on the same kinds of graph
# ----------------------------------------------------------------------------
def degroot_steps(W: np.ndarray, x0: np.ndarray, tol: float, max_steps: int) -> float:
    """Steps of DeGroot averaging until ``||x(t) - xbar|| <= tol ||x(0) - xbar||`` (NaN if not
    reached within ``max_steps``)."""
    error = consensus_error(degroot(W, x0, max_steps))
    reached = np.flatnonzero(error <= tol * error[0])
    return float(reached[0]) if len(reached) else float("nan")


def spectrum_row(graph, tol: float, rng: np.random.Generator) -> dict:
    """Spectral gap of the graph's Metropolis matrix, the spectral bound on the consensus
    time and the measured DeGroot consensus time from a random start."""
    W = metropolis_weights(graph)
    slem = second_largest_eigenvalue_modulus(W)
    predicted = consensus_time(W, tol)
    x0 = rng.standard_normal(len(W))
    measured = (
        degroot_steps(W, x0, tol, int(predicted) + 1) if np.isfinite(predicted) else float("nan")
    )
    return {
        "n_agents": graph.number_of_nodes(),
        "n_edges": graph.number_of_edges(),
        "mean_degree": 2.0 * graph.number_of_edges() / graph.number_of_nodes(),
        "slem": slem,
        "spectral_gap": 1.0 - slem,
        "predicted_steps": predicted,
        "measured_steps": measured,
    }


def consensus_theory(settings: Settings, seed: int) -> pd.DataFrame:
    """Measured DeGroot consensus times against the spectral gap, for each topology and size."""
    rows = []
    for name in settings.topologies:
        for size in settings.theory_sizes:
            for k, graph_seed in enumerate(child_seeds(seed, settings.theory_graphs)):
                graph = make_graph(name, size, graph_seed, **settings.graph_params.get(name, {}))
                rows.append(
                    {
                        "topology": name,
                        "graph": k,
                        **spectrum_row(
                            graph, settings.consensus_tol, np.random.default_rng(graph_seed)
                        ),
                    }
                )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------
# Tables the figures and the summary read
# ----------------------------------------------------------------------------
def components(metrics: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per seed, protocol, type, topology and round: accuracy, consensus distance and the
    knowledge-diffusion round."""
    parts = []
    metrics = society_rows(metrics)
    for (seed, protocol, kind), part in metrics.groupby(["seed", "protocol", "type"], sort=False):
        summary = component_summary(
            part, "topology", settings.diffusion_threshold, settings.diffusion_fraction
        )
        parts.append(summary.assign(seed=seed, protocol=protocol, type=kind))
    return pd.concat(parts, ignore_index=True)


def final_per_seed(metrics: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per protocol, type, topology and seed (the index): final accuracy and consensus
    distance (means over the last three rounds) and the knowledge-diffusion round."""
    table = components(metrics, settings)
    last = table[table["round"] > table["round"].max() - min(3, settings.rounds)]
    return last.groupby(["protocol", "type", "topology", "seed"]).agg(
        final_accuracy=("mean_accuracy", "mean"),
        final_consensus_distance=("consensus_distance", "mean"),
        diffusion_round=("diffusion_round", "first"),
    )


def final_by_topology(
    metrics: pd.DataFrame, spectra: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """Per protocol, type and topology (averaged over seeds): spectral gap, final accuracy,
    consensus distance over the last three rounds (each with its 95% Student-t interval over
    seeds, ``<column>_low`` / ``<column>_high``), knowledge-diffusion round."""
    per_seed = final_per_seed(metrics, settings).join(
        spectra.set_index(["topology", "seed"])["spectral_gap"]
    )
    final = (
        per_seed.groupby(["protocol", "type", "topology"])
        .agg(
            spectral_gap=("spectral_gap", "mean"),
            final_accuracy=("final_accuracy", "mean"),
            final_consensus_distance=("final_consensus_distance", "mean"),
            diffusion_round=("diffusion_round", "mean"),
            diffusion_reached=("diffusion_round", lambda r: int(r.notna().sum())),
            n_seeds=("final_accuracy", "size"),
        )
        .reset_index()
    )
    # 95% Student-t intervals over seeds of the final accuracy and consensus distance (both
    # fractions of samples, clipped to [0, 1]), the spectral gap (1 - SLEM, in [0, 1]: a
    # random graph's differs by seed, a ring's or complete graph's interval has zero width)
    # and the diffusion round (over the seeds where diffusion happened)
    keys = ["protocol", "type", "topology"]
    for column, bounds in (
        ("final_accuracy", (0, 1)),
        ("final_consensus_distance", (0, 1)),
        ("spectral_gap", (0, 1)),
        ("diffusion_round", (0, np.inf)),
    ):
        spread = interval_table(
            per_seed.reset_index().dropna(subset=[column]), keys, column, bounds=bounds
        )
        final = final.merge(
            spread[[*keys, "low", "high"]].rename(
                columns={"low": f"{column}_low", "high": f"{column}_high"}
            ),
            on=keys,
            how="left",
        )
    order = {
        column: {name: k for k, name in enumerate(names)}
        for column, names in (
            ("protocol", settings.protocols),
            ("type", settings.agent_types),
            ("topology", settings.topologies),
        )
    }
    final = final.sort_values(
        ["protocol", "type", "topology"], key=lambda column: column.map(order[column.name])
    )
    return final.reset_index(drop=True)


# ----------------------------------------------------------------------------
# Figures and summary
# ----------------------------------------------------------------------------
def _per_type_panels(table, settings, protocol, column, ylabel, title, references=None):
    """One panel per agent type: ``column`` round by round per topology; with
    ``references`` (:func:`reference_table`), the reference learners' mean accuracy over
    seeds (and positions) as horizontal lines."""
    kinds = [k for k in settings.agent_types if k in set(table["type"])]
    levels = None
    if references is not None and len(references):
        levels = reference_levels(references, "topology")
    width = 5.2 * len(kinds) + (4.2 if levels is not None else 0.0)  # room for the legend
    fig, axes = figure(1, len(kinds), figsize=(width, 4.0), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        if levels is not None:
            reference_lines(ax, levels)
        rows = table[(table["protocol"] == protocol) & (table["type"] == kind)]
        for name in settings.topologies:
            curve = rows[rows["topology"] == name].groupby("round")[column]
            mean = curve.mean()
            low = high = None
            if column == "mean_accuracy":
                spread = rows[rows["topology"] == name].groupby("round")["std_accuracy"].mean()
                # an accuracy stays in [0, 1]: so does its band
                low, high = (mean - spread).clip(lower=0.0), (mean + spread).clip(upper=1.0)
            curve_with_band(
                ax,
                mean.index,
                mean.values,
                low,
                high,
                color=topology_color(name),
                label=topology_label(name),
            )
        ax.set_title(f"{label(kind)} agents")
        ax.set_xlabel("round (local learning, then one interaction)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].set_ylabel(ylabel)
    if levels is None:
        axes[0, 0].legend(title="topology", loc="best")
    else:  # topologies and reference lines: one legend beside the panels
        legend_beside(axes[0], "topology; reference learners (mean over seeds and shards)")
    if column == "mean_accuracy":
        axes[0, 0].set_ylim(0, 1)
    else:
        axes[0, 0].set_ylim(bottom=0)
    return titled(
        fig,
        f"{title}: {settings.task}, {settings.n_agents} agents per topology, protocol {protocol!r}",
        table["seed"].nunique(),
    )


def plain_log_ticks(axis):
    """Tick labels of a log axis as plain numbers (0.3, not 3 x 10^-1)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    low, high = axis.get_view_interval()
    if high < 10 * low:
        # Within a decade the powers of ten alone are too few, and labelling every
        # minor tick crowds them ("0.80.9" below 1): label 1, 1.5, 2, 3, 5, 7 x 10^k.
        axis.set_major_locator(LogLocator(subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(NullFormatter())


def _spectral_figure(final, settings, protocol):
    from matplotlib.lines import Line2D

    fig, axes = figure(1, 2, figsize=(10.5, 4.2))
    rows = final[final["protocol"] == protocol]
    kinds = [k for k in settings.agent_types if k in set(rows["type"])]
    for kind in kinds:
        part = rows[rows["type"] == kind].sort_values("spectral_gap")
        for ax, column in zip(axes, ("final_consensus_distance", "diffusion_round")):
            ax.plot(part["spectral_gap"], part[column], color=color(kind), linewidth=1.5, zorder=1)
            ax.scatter(
                part["spectral_gap"],
                part[column],
                s=55,
                zorder=2,
                edgecolors=color(kind),
                linewidths=1.5,
                c=[topology_color(t) for t in part["topology"]],
            )
    axes[0].set_ylabel(
        f"consensus distance, last {min(3, settings.rounds)} rounds\n"
        "(fraction of test samples neighbours disagree on)"
    )
    axes[0].set_title("Disagreement between neighbours")
    axes[1].set_ylabel(
        f"knowledge-diffusion round\n({settings.diffusion_fraction:.0%} of agents "
        f"at accuracy >= {settings.diffusion_threshold:g})"
    )
    axes[1].set_title("Speed of knowledge diffusion")
    gaps = rows["spectral_gap"]
    for ax in axes:
        ax.set_xscale("log")
        # limits from the gaps, not the data: a panel may hold no finite point (never reached)
        ax.set_xlim(gaps.min() / 1.25, gaps.max() * 1.25)
        plain_log_ticks(ax.xaxis)
        ax.set_xlabel("spectral gap 1 - SLEM of the Metropolis matrix (log scale)")
        ax.set_ylim(bottom=0)
    axes[1].set_ylim(0, settings.rounds + 0.5)
    handles = [Line2D([], [], color=color(kind), label=label(kind)) for kind in kinds] + [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=7,
            color=topology_color(name),
            label=topology_label(name),
        )
        for name in settings.topologies
    ]
    axes[0].legend(handles=handles, loc="best")
    never = rows[rows["diffusion_reached"] == 0]
    if len(never):
        pairs = "; ".join(
            f"{label(k)} on {topology_label(t)}" for k, t in zip(never["type"], never["topology"])
        )
        axes[1].text(
            0.02,
            0.98,
            f"threshold never reached:\n{pairs}",
            transform=axes[1].transAxes,
            va="top",
            fontsize=8,
        )
    fig.suptitle(
        f"Consensus and diffusion against the spectral gap ({settings.task}, "
        f"protocol {protocol!r}; mean over seeds)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _theory_figure(theory, settings):
    fig, ax = figure(figsize=(6.4, 4.6))
    tol = settings.consensus_tol
    inverse_gap = 1.0 / theory["spectral_gap"]
    grid = np.geomspace(1.0 + 1e-3, max(2.0, inverse_gap.max() * 1.3), 200)
    ax.plot(
        grid,
        np.log(1 / tol) / -np.log(1 - 1 / grid),
        color="black",
        linewidth=1,
        label=r"spectral bound $\ln(1/\mathrm{tol}) / \ln(1/\mathrm{SLEM})$",
    )
    smallest = min(settings.theory_sizes)

    def marker_area(n_agents):
        # The area doubles with the number of nodes: 8, 16, 32, 64 nodes read as
        # clearly different sizes (a log-scaled size did not).
        return 12.0 * np.asarray(n_agents, dtype=float) / smallest

    for name in settings.topologies:
        part = theory[theory["topology"] == name]
        ax.scatter(
            1.0 / part["spectral_gap"],
            part["measured_steps"],
            s=marker_area(part["n_agents"]),
            color=topology_color(name),
            alpha=0.6,
            edgecolors="white",
            linewidths=0.4,
            label=topology_label(name),
        )
    # Marker sizes explained: one grey marker per graph size.
    for n in settings.theory_sizes:
        ax.scatter([], [], s=marker_area(n), color="0.55", label=f"{n} nodes")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 / spectral gap of the Metropolis matrix (log scale)")
    ax.set_ylabel(f"DeGroot steps until the error is {tol:g} of its start\n(log scale)")
    sizes = ", ".join(str(s) for s in settings.theory_sizes)
    ax.set_title(
        f"Consensus time against the spectral gap\n(graphs of {sizes} nodes, "
        f"{settings.theory_graphs} per size; marker area grows with the nodes)"
    )
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def _figures(result: Result, settings: Settings) -> dict:
    table = components(result.metrics, settings)
    final = final_by_topology(result.metrics, result.tables["spectra"], settings)
    figures = {}
    for protocol in settings.protocols:
        figures[f"accuracy_{protocol}"] = _per_type_panels(
            table,
            settings,
            protocol,
            "mean_accuracy",
            "test accuracy (mean over agents; band: ±1 s.d.)",
            "Accuracy by topology",
            references=reference_table(result),
        )
        figures[f"consensus_{protocol}"] = _per_type_panels(
            table,
            settings,
            protocol,
            "consensus_distance",
            "consensus distance\n(fraction of test samples neighbours disagree on)",
            "Consensus distance by topology",
        )
        figures[f"spectral_gap_{protocol}"] = _spectral_figure(final, settings, protocol)
    figures["degroot_theory"] = _theory_figure(result.tables["consensus_theory"], settings)
    return figures


def _interval(row, column: str, digits: int = 3, n: str = "n_seeds") -> str:
    """``mean [low, high]`` of a :func:`final_by_topology` column (the mean alone, with n,
    from one seed); ``n`` names the column counting the seeds the mean is over."""
    if not np.isfinite(row[column]):
        return "never"
    return format_row(row, digits, column=column, n=n)


def type_differences(metrics: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per protocol and topology, the final accuracy of each agent type minus the first of
    ``settings.agent_types`` (the spiking agents minus the MLPs by default), paired by seed:
    every type of a seed runs on the same graphs, data shards and evaluation samples. Columns
    of :func:`experiments.stats.paired_table` (``type``, ``reference``, ``mean``, ``low``,
    ``high``, ``n``); empty with one agent type."""
    return paired_table(
        final_per_seed(metrics, settings).reset_index(),
        "seed",
        "type",
        "final_accuracy",
        settings.agent_types[0],
        by=["protocol", "topology"],
        bounds=(0, 1),
    )


def _summary(result: Result, settings: Settings) -> str:
    final = final_by_topology(result.metrics, result.tables["spectra"], settings)
    lines = [
        f"# Social topology ({settings.task}, {settings.n_agents} agents per topology, "
        f"{settings.rounds} rounds, {settings.n_seeds} seed(s))",
        "",
        f"Knowledge-diffusion round: first round in which {settings.diffusion_fraction:.0%} "
        f"of the agents reach accuracy {settings.diffusion_threshold:g} (over the seeds "
        "where it happened, how many in brackets). Every column: mean [95% Student-t "
        "interval over seeds] (the spectral gap of a ring or complete graph is the same in "
        "every seed; of a random graph it is not).",
        "",
        "| protocol | agents | topology | spectral gap | final accuracy | consensus distance "
        "| diffusion round (seeds) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for _, row in final.iterrows():
        lines.append(
            f"| {row['protocol']} | {label(row['type'])} "
            f"| {topology_label(row['topology'])} | {_interval(row, 'spectral_gap')} "
            f"| {_interval(row, 'final_accuracy')} "
            f"| {_interval(row, 'final_consensus_distance')} "
            f"| {_interval(row, 'diffusion_round', 1, 'diffusion_reached')} "
            f"({int(row['diffusion_reached'])} of {int(row['n_seeds'])}) |"
        )
    lines += difference_lines(
        type_differences(result.metrics, settings),
        "Final accuracy of each agent type minus that of the "
        f"{label(settings.agent_types[0])} agents, paired by seed (same graphs, data "
        "shards and evaluation samples), mean [95% Student-t interval]:",
        ("protocol", "topology", "agents", "difference"),
        lambda row: (
            str(row["protocol"]),
            topology_label(row["topology"]),
            f"{label(row['type'])} minus {label(row['reference'])}",
            format_row(row, signed=True),
        ),
    )
    lines += reference_summary_lines(
        reference_table(result), "fitted on one agent's shard alone or on every shard pooled"
    )
    theory = result.tables["consensus_theory"]
    ratio = theory["measured_steps"] / theory["predicted_steps"]
    from scipy.stats import spearmanr

    rho = spearmanr(1.0 / theory["spectral_gap"], theory["measured_steps"]).statistic
    lines += [
        "",
        f"DeGroot averaging on {len(theory)} graphs: the measured consensus time never "
        f"exceeds the spectral bound (measured / bound between {ratio.min():.2f} and "
        f"{ratio.max():.2f}); Spearman correlation with 1 / spectral gap {rho:.3f}.",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------
def _aggregate_figures(aggregate) -> dict:
    """Accuracy and disagreement round by round per topology, one panel per protocol and agent
    type; means over agents within a run, then means and intervals over runs."""
    pairs = [
        (protocol, kind)
        for protocol, kind in dict.fromkeys(
            zip(aggregate.summary["protocol"], aggregate.summary["type"])
        )
        if protocol != REFERENCE
    ]

    def draw(column, ylabel, protocol, kind):
        def panel(ax, rows):
            if column == "accuracy":
                reference_lines(ax, metric_rows(rows, column, protocol=REFERENCE))
            rows = metric_rows(rows, column, protocol=protocol, type=kind)
            bands(ax, rows, "round", "topology", topology_style)
            ax.set_xlabel("round (local learning, then one interaction)")
            ax.set_ylabel(ylabel)
            ax.set_ylim(0, 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        return panel

    figures = {}
    for column, ylabel, title in (
        ("accuracy", "test accuracy (mean over agents)", "Accuracy"),
        ("disagreement", "disagreement with neighbours\n(mean over agents)", "Disagreement"),
    ):
        figures[f"social_{column}"] = panel_grid(
            aggregate,
            [
                Panel(
                    f"{label(kind)} agents, protocol {protocol!r}",
                    draw(column, ylabel, protocol, kind),
                )
                for protocol, kind in pairs
            ],
            ["protocol", "type", "topology", "round"],
            f"{title} round by round in societies of different topologies",
            legend_title="topology",
        )
    return figures


@register_experiment(order=100)
def run(settings: Settings, seed: int) -> Result:
    """knowledge diffusion and consensus against topology (ring, small world, scale
    free, complete) per agent type; consensus time against the spectral gap"""
    check_society_settings(
        settings.agent_types, settings.protocols, settings.topologies, settings.partition
    )
    if REFERENCE in settings.protocols:
        raise ValueError(
            f"protocols={settings.protocols!r}: {REFERENCE!r} names the reference learners' "
            "rows of metrics.csv and cannot be a protocol here"
        )
    task = load_task(settings.task)
    records, timings, spectra, references = [], [], [], []
    for run_seed in settings.seed_runs(seed, "social_topology"):
        *graph_seeds, data_seed, start_seed, society_seed = child_seeds(
            run_seed, len(settings.topologies) + 3
        )
        graphs = {
            name: make_graph(
                name, settings.n_agents, graph_seed, **settings.graph_params.get(name, {})
            )
            for name, graph_seed in zip(settings.topologies, graph_seeds)
        }
        spectra += [
            {
                "seed": run_seed,
                "topology": name,
                **spectrum_row(graph, settings.consensus_tol, np.random.default_rng(start_seed)),
            }
            for name, graph in graphs.items()
        ]
        union = union_of_components(graphs)
        nodes = list(union.nodes)
        positions = [position for _, position in nodes]
        paired, shards = settings.paired_task(task, nodes, positions, data_seed)
        evaluated = False
        for protocol in settings.protocols:
            for kind in settings.agent_types:
                society = experiment_society(union, kind, paired, protocol, society_seed, settings)
                started = time.perf_counter()
                table = society.run(settings.rounds)
                if not evaluated:
                    # the same evaluation samples for every society of this seed
                    references += society_references(society, shards, task, settings, run_seed)
                    evaluated = True
                timings.append(
                    {
                        "seed": run_seed,
                        "protocol": protocol,
                        "type": kind,
                        "setup_and_run_seconds": time.perf_counter() - started,
                        "mean_round_seconds": table.groupby("round")["wall_seconds"].first().mean(),
                    }
                )
                records.append(
                    pd.DataFrame(
                        {
                            "seed": run_seed,
                            "protocol": protocol,
                            "type": table["type"],
                            "topology": [node[0] for node in table["agent"]],
                            "agent": [node[1] for node in table["agent"]],
                            **{column: table[column] for column in _COPIED_COLUMNS},
                        }
                    )
                )
    if references:
        records.append(reference_metrics(references, settings.rounds))
    return Result(
        metrics=pd.concat(records, ignore_index=True),
        timings=pd.DataFrame(timings),
        tables={
            "spectra": pd.DataFrame(spectra),
            "consensus_theory": consensus_theory(settings, seed),
        },
    )
