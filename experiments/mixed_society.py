"""MLPs teaching spiking agents, the reverse, and each type teaching its own.

Teacher -> learner pairs: every round each agent learns from a batch of its
own label-skewed shard, then each teacher performs the task on a few of its
own inputs and shows the learner those it got right (the ``teach`` protocol
on a directed graph with ``labels="checked"``, success-biased social learning,
Bandura 1977; Rendell et al. 2010); ``labels="predicted"`` shows its
predictions, mistakes included. For every learner type L and
teacher type T (``ann`` or ``snn``) there are ``n_pairs`` pairs, and for every
learner type a control group of the same learners with no teacher
(``isolated``). The teaching gain of (T -> L) is a learner's accuracy minus
that of the *same* learner position alone, averaged over the last rounds: the
agent at learner position ``j`` has the same data shard in every condition,
and teacher position ``j`` too (see :mod:`experiments._societies`), so the
conditions differ only in who teaches.

Next to the agents, the reference learners of :mod:`experiments.reference`
(logistic regression, 1-nearest neighbour, k-means prototypes plus the vote,
the majority class) are fitted on each learner position's shard alone (the
data that learner has, whoever teaches it) and on every shard pooled
(teachers' and learners'), and scored on the agents' evaluation samples:
what a learner could reach alone with a simple method, and what all the data
could. They are rows of ``metrics.csv`` with ``role`` "reference", the
reference learner in ``type``, ``condition`` "own shard" (``agent``: the
learner position) or "pooled" (``agent`` -1), at the last round, and empty
``teacher_type`` / ``learner_type``; the analyses of the conditions leave them
out, summary.md gives them with 95% intervals over seeds and the accuracy
figures draw them as dotted (own shard) and dashed (pooled) lines.

All conditions are the components of one society: all spiking agents
(teachers and learners of every condition) are one Brian2 network.

Run time on 2 cores: the quick preset (iris, 5 pairs per condition, 6 rounds)
takes under a minute, most of it the spiking agents; the full preset (digits,
12 pairs, 20 rounds, 5 seeds) about 45 minutes (measured: 24 s per round).

References
----------
A. Bandura, *Social Learning Theory*, Prentice Hall (1977).
A. Blum and T. Mitchell, "Combining labeled and unlabeled data with
co-training", COLT (1998).
L. Rendell et al., "Why copy others? Insights from the social learning
strategies tournament", Science 328, 208-213 (2010).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from core.random import child_seeds
from experiments import reference
from experiments._base import COUNT, Result, register_experiment
from experiments._societies import (
    REFERENCE,
    SocietySettings,
    check_final_rounds,
    check_society_settings,
    difference_lines,
    experiment_society,
    legend_beside,
    reference_levels,
    reference_lines,
    reference_metrics,
    reference_rows,
    reference_summary_lines,
    society_references,
)
from experiments.stats import format_row, mean_interval, paired_table
from experiments.style import color, curve_with_band, figure, label, titled
from experiments.sweep_figures import Panel, band, metric_rows, panel_grid
from tasks import load_task

ALONE = "alone"

#: Columns of a society's round table that metrics.csv keeps as they are (after the
#: condition, the teacher and learner types, the role and the agent, which are read from
#: the table's node names).
_COPIED_COLUMNS = (
    "type round accuracy local_samples demonstrations_received demonstration_accuracy "
    "messages cost cost_unit"
).split()


@dataclass(frozen=True)
class Settings(SocietySettings):
    n_pairs: int = 12
    demonstrations: int = 16
    # "checked": a teacher shows only the demonstrations it got right (the society's
    # default); "predicted": its predictions, mistakes included; "true": its data.
    labels: str = "checked"
    final_rounds: int = 3
    references: tuple = ("logistic_regression", "nearest_neighbour", "kmeans_vote", "majority")

    CONSTRAINTS = {"n_pairs": COUNT, "demonstrations": COUNT}

    # iris shards are a dozen samples: several passes per call let the MLPs learn
    # within the few rounds of a smoke test.
    QUICK = dict(
        task="iris",
        n_pairs=5,
        rounds=6,
        n_seeds=1,
        local_batch=8,
        demonstrations=8,
        n_eval=None,
        final_rounds=2,
        partition_params={"alpha": 0.5},
        agent_params={
            "ann": {"learning_rate": 0.05, "epochs_per_call": 5},
            "snn": {"n_neurons": 20, "presentation_time_ms": 40.0, "rest_time_ms": 10.0},
        },
    )


def conditions(agent_types) -> list[tuple[str, str]]:
    """``(teacher type or "alone", learner type)`` for every learner type: alone first."""
    return [(teacher, learner) for learner in agent_types for teacher in (ALONE, *agent_types)]


def condition_name(teacher: str, learner: str) -> str:
    return f"{learner} alone" if teacher == ALONE else f"{teacher} teaches {learner}"


def arrangement(agent_types, n_pairs: int) -> tuple[nx.DiGraph, dict]:
    """The directed graph of every condition's pairs and the type of every node.

    Nodes are ``(condition, role, j)``; an edge ``teacher -> learner`` means the
    teacher teaches the learner. The control conditions hold learners only.
    """
    graph, types = nx.DiGraph(), {}
    for teacher, learner in conditions(agent_types):
        name = condition_name(teacher, learner)
        for j in range(n_pairs):
            learner_node = (name, "learner", j)
            graph.add_node(learner_node)
            types[learner_node] = learner
            if teacher != ALONE:
                teacher_node = (name, "teacher", j)
                graph.add_edge(teacher_node, learner_node)
                types[teacher_node] = teacher
    return graph, types


def reference_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The reference learners' accuracies (``seed``, ``scope``, ``position``, ``kind``,
    ``accuracy``) from their rows of ``metrics`` (empty for a run saved without them)."""
    return reference_rows(metrics, "role", "condition")


def learner_outcomes(metrics: pd.DataFrame, final_rounds: int) -> pd.DataFrame:
    """Per seed, condition and learner position: final accuracy (mean over the last
    ``final_rounds`` rounds), the gain over the same learner position alone and the
    demonstrations received per round (mean over every round)."""
    keys = ["seed", "teacher_type", "learner_type", "agent"]
    last_round = metrics["round"].max()
    learners = metrics[metrics["role"] == "learner"]
    final = (
        learners[learners["round"] > last_round - final_rounds]
        .groupby(keys)["accuracy"]
        .mean()
        .rename("final_accuracy")
        .reset_index()
    )
    received = learners.groupby(keys)["demonstrations_received"].mean()
    final["demonstrations_per_round"] = received.loc[
        list(final[keys].itertuples(index=False, name=None))
    ].to_numpy()
    alone = final[final["teacher_type"] == ALONE].set_index(["seed", "learner_type", "agent"])
    final["alone_accuracy"] = [
        alone.loc[(s, k, j), "final_accuracy"]
        for s, k, j in zip(final["seed"], final["learner_type"], final["agent"])
    ]
    final["gain"] = final["final_accuracy"] - final["alone_accuracy"]
    return final


def gains(metrics: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Mean final accuracy, teaching gain and demonstrations received per round per learner
    and teacher type, each with its 95% Student-t interval over seeds.

    The seed is the unit of replication: the learner positions of one seed share its data
    split, its test set and (for spiking agents) one simulation, so they are averaged
    within the seed first (``n``: seeds; ``n_positions``: learner positions per seed).
    """
    outcomes = learner_outcomes(metrics, settings.final_rounds)
    keys = ["learner_type", "teacher_type"]
    columns = ["final_accuracy", "gain", "demonstrations_per_round"]
    per_seed = outcomes.groupby(["seed", *keys])[columns].mean().reset_index()
    table = per_seed.groupby(keys).agg(
        final_accuracy=("final_accuracy", "mean"),
        final_accuracy_low=("final_accuracy", lambda a: mean_interval(a, bounds=(0, 1)).low),
        final_accuracy_high=("final_accuracy", lambda a: mean_interval(a, bounds=(0, 1)).high),
        gain=("gain", "mean"),
        gain_low=("gain", lambda g: mean_interval(g, bounds=(-1, 1)).low),
        gain_high=("gain", lambda g: mean_interval(g, bounds=(-1, 1)).high),
        n=("gain", "size"),
        # at most ``demonstrations`` a round
        demonstrations_per_round=("demonstrations_per_round", "mean"),
        demonstrations_per_round_low=(
            "demonstrations_per_round",
            lambda d: mean_interval(d, bounds=(0, settings.demonstrations)).low,
        ),
        demonstrations_per_round_high=(
            "demonstrations_per_round",
            lambda d: mean_interval(d, bounds=(0, settings.demonstrations)).high,
        ),
    )
    table["n_positions"] = outcomes.groupby([*keys, "seed"]).size().groupby(keys).max()
    table = table.reset_index()
    order = {name: k for k, name in enumerate((ALONE, *settings.agent_types))}
    return table.sort_values(
        ["learner_type", "teacher_type"], key=lambda c: c.map(order)
    ).reset_index(drop=True)


def teacher_differences(metrics: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per learner type, the final accuracy taught by each teacher type minus taught by the
    first of ``settings.agent_types``, paired by seed (each seed's mean over its learner
    positions, which pair the same learner on the same data shard; columns of
    :func:`experiments.stats.paired_table`; empty with one agent type)."""
    outcomes = learner_outcomes(metrics, settings.final_rounds)
    taught = (
        outcomes[outcomes["teacher_type"] != ALONE]
        .groupby(["seed", "learner_type", "teacher_type"])["final_accuracy"]
        .mean()
        .reset_index()
    )
    return paired_table(
        taught,
        ["seed"],
        "teacher_type",
        "final_accuracy",
        settings.agent_types[0],
        by="learner_type",
        bounds=(0, 1),
    )


# ----------------------------------------------------------------------------
# Figures and summary
# ----------------------------------------------------------------------------
def _teacher_color(teacher: str) -> str:
    return "#7f7f7f" if teacher == ALONE else color(teacher)


def _teacher_label(teacher: str) -> str:
    return "alone (no teacher)" if teacher == ALONE else f"taught by {label(teacher)}"


def _curves_figure(metrics: pd.DataFrame, settings: Settings):
    kinds = list(settings.agent_types)
    levels = reference_levels(reference_table(metrics), "condition")
    width = 5.4 * len(kinds) + 4.2  # room for the legend beside the panels
    fig, axes = figure(1, len(kinds), figsize=(width, 4.2), sharey=True, squeeze=False)
    for ax, learner in zip(axes[0], kinds):
        reference_lines(ax, levels, scope="condition")
        for teacher in (ALONE, *kinds):
            rows = metrics[
                (metrics["learner_type"] == learner) & (metrics["teacher_type"] == teacher)
            ]
            learners = rows[rows["role"] == "learner"].groupby("round")["accuracy"]
            mean, spread = learners.mean(), learners.std(ddof=0)
            curve_with_band(
                ax,
                mean.index,
                mean.values,
                mean - spread,
                mean + spread,
                color=_teacher_color(teacher),
                label=_teacher_label(teacher),
            )
            teachers = rows[rows["role"] == "teacher"].groupby("round")["accuracy"].mean()
            if len(teachers):
                ax.plot(
                    teachers.index,
                    teachers.values,
                    color=_teacher_color(teacher),
                    linestyle="-.",
                    linewidth=1,
                    label=f"the {label(teacher)} teachers themselves",
                )
        ax.set_title(f"{label(learner)} learners")
        ax.set_xlabel("round (local learning, then one lesson)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, 1)
    axes[0, 0].set_ylabel("test accuracy (mean over agents; band: ±1 s.d.)")
    legend_beside(
        axes[0], "learners and teachers; reference learners\n(mean over seeds and positions)"
    )
    return titled(
        fig,
        f"Who learns from whom: {settings.task}, {settings.n_pairs} teacher -> learner "
        "pairs per condition",
        metrics["seed"].nunique(),
    )


def _gain_figure(metrics: pd.DataFrame, settings: Settings):
    outcomes = learner_outcomes(metrics, settings.final_rounds)
    table = gains(metrics, settings)
    kinds = list(settings.agent_types)
    fig, ax = figure(figsize=(6.4, 4.4))
    width = 0.8 / len(kinds)
    rng = np.random.default_rng(0)  # jitter of the dots only
    for k, teacher in enumerate(kinds):
        for x, learner in enumerate(kinds):
            row = table[(table["learner_type"] == learner) & (table["teacher_type"] == teacher)]
            centre = x + (k - (len(kinds) - 1) / 2) * width
            ax.bar(
                centre,
                row["gain"].iloc[0],
                width=width * 0.9,
                color=_teacher_color(teacher),
                alpha=0.75,
                # plain floats: a (2, 1) array here makes matplotlib convert 1-element
                # arrays to scalars, which numpy deprecates
                yerr=[
                    [float(np.nan_to_num(row["gain"].iloc[0] - row["gain_low"].iloc[0]))],
                    [float(np.nan_to_num(row["gain_high"].iloc[0] - row["gain"].iloc[0]))],
                ],
                capsize=4,
                label=_teacher_label(teacher) if x == 0 else None,
            )
            dots = outcomes[
                (outcomes["learner_type"] == learner) & (outcomes["teacher_type"] == teacher)
            ]["gain"]
            ax.scatter(
                centre + rng.uniform(-width / 4, width / 4, len(dots)),
                dots,
                s=10,
                color="black",
                alpha=0.6,
                zorder=3,
                label="one learner position" if (x == 0 and k == 0) else None,
            )
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(kinds)), [f"{label(kind)} learners" for kind in kinds])
    ax.set_ylabel(
        f"teaching gain: accuracy taught - alone\n(mean of the last "
        f"{settings.final_rounds} rounds; error bar: 95% t interval over seeds)"
    )
    n_seeds = metrics["seed"].nunique()
    ax.set_title(
        f"Gain from a teacher of each type ({settings.task}, {n_seeds} "
        f"seed{'s' if n_seeds > 1 else ''})"
    )
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def _figures(result: Result, settings: Settings) -> dict:
    return {
        "learner_accuracy": _curves_figure(result.metrics, settings),
        "teaching_gain": _gain_figure(result.metrics, settings),
    }


def _summary(result: Result, settings: Settings) -> str:
    table = gains(result.metrics, settings)
    lines = [
        f"# Mixed society ({settings.task}, {settings.n_pairs} pairs per condition, "
        f"{settings.rounds} rounds, {settings.n_seeds} seed(s))",
        "",
        f"Final accuracy: mean over the last {settings.final_rounds} rounds and over the "
        "learner positions of a seed, then mean [95% Student-t interval] over seeds (the "
        "positions of one seed share its data split and test set, so the seed is the unit "
        "of replication); gain: minus the same learner position alone (same data shard), "
        "a paired difference, averaged the same way. "
        f"Teaching: at most {settings.demonstrations} demonstrations a round, labels="
        f"{settings.labels!r} ('checked': only those the teacher got right).",
        "",
        "| learner | teacher | final accuracy | gain | demonstrations received per round "
        "| seeds x positions |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for _, row in table.iterrows():
        teacher = "none (alone)" if row["teacher_type"] == ALONE else label(row["teacher_type"])
        gain = "" if row["teacher_type"] == ALONE else format_row(row, signed=True, column="gain")
        shown = (
            ""
            if row["teacher_type"] == ALONE
            else format_row(row, 1, column="demonstrations_per_round")
        )
        final = format_row(row, column="final_accuracy")
        lines.append(
            f"| {label(row['learner_type'])} | {teacher} | {final} "
            f"| {gain} | {shown} | {row['n']} x {row['n_positions']} |"
        )
    lines += difference_lines(
        teacher_differences(result.metrics, settings),
        "Final accuracy taught by each teacher type minus taught by "
        f"{label(settings.agent_types[0])} teachers, paired by seed "
        "(each seed's mean over learner positions, the same learners on the same data "
        "shards; equal to the difference of the gains), mean [95% Student-t interval]:",
        ("learner", "teachers compared", "difference", "seeds"),
        lambda row: (
            label(row["learner_type"]),
            f"{label(row['teacher_type'])} minus {label(row['reference'])}",
            format_row(row, signed=True),
            str(row["n"]),
        ),
    )
    lines += reference_summary_lines(
        reference_table(result.metrics),
        "fitted on one learner position's shard alone (the data that learner has) or on every "
        "shard pooled (teachers' and learners')",
    )
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------
def _aggregate_figures(aggregate) -> dict:
    """Learners' accuracy round by round per teacher, one panel per learner type, with the
    teachers' own accuracy dash-dotted and the reference learners as dotted (own shard) and
    dashed (pooled) lines; means over agents within a run, intervals over runs."""
    summary = aggregate.summary
    learner_types = list(dict.fromkeys(summary.loc[summary["role"] != REFERENCE, "learner_type"]))

    def draw(learner):
        def panel(ax, rows):
            references = metric_rows(rows, "accuracy", role=REFERENCE)
            reference_lines(ax, references, scope="condition")
            rows = metric_rows(rows, "accuracy", learner_type=learner)
            for teacher in dict.fromkeys(rows["teacher_type"]):
                of = rows[rows["teacher_type"] == teacher]
                band(
                    ax,
                    of[of["role"] == "learner"],
                    "round",
                    label=_teacher_label(teacher),
                    color=_teacher_color(teacher),
                )
                band(
                    ax,
                    of[of["role"] == "teacher"],
                    "round",
                    label=f"the {label(teacher)} teachers themselves",
                    color=_teacher_color(teacher),
                    marker=None,
                    linestyle="-.",
                    linewidth=1,
                )
            ax.set_xlabel("round (local learning, then one lesson)")
            ax.set_ylabel("test accuracy (mean over agents)")
            ax.set_ylim(0, 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        return panel

    figure = panel_grid(
        aggregate,
        [Panel(f"{label(learner)} learners", draw(learner)) for learner in learner_types],
        ["condition", "teacher_type", "learner_type", "role", "type", "round"],
        "Who learns from whom: learners' accuracy with each teacher, and alone",
    )
    return {"mixed_society": figure}


@register_experiment(order=110)
def run(settings: Settings, seed: int) -> Result:
    """MLPs teaching spiking agents, the reverse and each type its own, against learners
    alone: the teaching gain per learner and teacher type"""
    check_society_settings(settings.agent_types, partition=settings.partition)
    reference.check_references(settings.references)
    check_final_rounds(settings.final_rounds, settings.rounds)
    task = load_task(settings.task)
    graph, types = arrangement(settings.agent_types, settings.n_pairs)
    nodes = list(graph.nodes)
    positions = [(role, j) for _, role, j in nodes]
    records, timings, references = [], [], []
    for run_seed in settings.seed_runs(seed, "mixed_society"):
        data_seed, society_seed = child_seeds(run_seed, 2)
        paired, shards = settings.paired_task(task, nodes, positions, data_seed)
        society = experiment_society(
            graph,
            types,
            paired,
            "teach",
            society_seed,
            settings,
            {"demonstrations": settings.demonstrations, "labels": settings.labels},
        )
        started = time.perf_counter()
        table = society.run(settings.rounds)
        round_seconds = table.groupby("round")["wall_seconds"].first()
        if settings.references:
            # on the agents' evaluation samples; own shard: the learner positions'
            learners = [("learner", j) for j in range(settings.n_pairs)]
            fitted = society_references(society, shards, task, settings, run_seed, learners)
            for row in fitted:
                row["position"] = row["position"][1] if row["scope"] == "own shard" else -1
            references += fitted
        timings.append(
            {
                "seed": run_seed,
                "setup_and_run_seconds": time.perf_counter() - started,
                "mean_round_seconds": round_seconds.mean(),
            }
        )
        condition = {
            condition_name(t, learner): (t, learner)
            for t, learner in conditions(settings.agent_types)
        }
        records.append(
            pd.DataFrame(
                {
                    "seed": run_seed,
                    "condition": [node[0] for node in table["agent"]],
                    "teacher_type": [condition[node[0]][0] for node in table["agent"]],
                    "learner_type": [condition[node[0]][1] for node in table["agent"]],
                    "role": [node[1] for node in table["agent"]],
                    "agent": [node[2] for node in table["agent"]],
                    **{column: table[column] for column in _COPIED_COLUMNS},
                }
            )
        )
    if references:
        blank = {
            "teacher_type": "",
            "learner_type": "",
            "local_samples": np.nan,
            "demonstrations_received": np.nan,
            "demonstration_accuracy": np.nan,
            "messages": 0,
            "cost": np.nan,
            "cost_unit": "",
        }
        records.append(reference_metrics(references, settings.rounds, "role", "condition", blank))
    return Result(metrics=pd.concat(records, ignore_index=True), timings=pd.DataFrame(timings))
