"""MLP against spiking network on every task: score, samples needed, energy, next to references.

On every task and seed both learners and the reference learners of
:mod:`experiments.reference` are trained on the same training subsets and
scored on the same test sample. Each learner runs as it would be used: the
MLP with early stopping on the validation split (at most ``max_epochs``
epochs), the spiking network with ``fit`` (its tuned epochs); nothing reads
the test split for a choice. Each learner is also trained on nested subsets
of the training set (``fractions``), from scratch, which gives the samples a
learner needs to reach a fixed chance-corrected score and the score at
matched training samples; presentations (samples x epochs) and training
energy are recorded beside every score, so the figures compare the learners
at their own budgets and at matched ones.

Run time on 2 cores: the quick preset takes a few minutes; the full preset
(every task at full size, 5 seeds) about 52 minutes of CPU time (63 minutes
of wall time beside other jobs), almost all of it the spiking network on
digits and city_traffic.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from experiments import reference
from experiments._base import Presets, Result, register_experiment
from experiments._curves import (
    chance_corrected,
    chance_level,
    learner_fitters,
    nested_order,
    samples_to_target,
    size_curve,
)
from experiments.learners import (
    ENERGY_TABLES,
    KINDS,
    operations,
    subsample,
)
from experiments.stats import interval_table, interval_text, mean_interval, paired_by_seed
from experiments.style import color, figure, label, titled_over_legend
from experiments.sweep_figures import Panel, bar_panel, panel_grid
from tasks import load_task


def _default_params():
    # Per learner kind, per task: estimator parameters beyond the defaults.
    return {
        "ann": {"xor": {"hidden_layer_sizes": (8,), "activation": "tanh", "epochs": 1}},
        "snn": {},
    }


@dataclass(frozen=True)
class Settings(Presets):
    tasks: tuple = ("xor", "seed_regression", "iris", "digits", "city_traffic")
    n_seeds: int = 5
    n_train: int | None = None  # cap on training samples per task (None: all)
    n_test: int | None = None  # cap on test samples per task
    # MLP: early stopping on validation picks 1..max_epochs; spiking: its fit's epochs
    max_epochs: dict = field(default_factory=lambda: {"ann": 60, "snn": None})
    small_task_epochs: dict = field(default_factory=lambda: {"ann": 2000, "snn": 20})
    fractions: tuple = (0.1, 0.3, 1.0)  # nested training subsets, from scratch
    target: float = 0.8  # chance-corrected score for "samples to target"
    # spiking ablations (experiments.baselines), fitted on the full training subset of the
    # ablation_tasks only (each costs a spiking fit)
    ablations: tuple = (
        "snn_no_plasticity",
        "snn_no_threshold_adaptation",
        "snn_no_weight_normalisation",
        "snn_no_lateral_inhibition",
    )
    ablation_tasks: tuple = ("iris", "digits")  # the tasks the ablations run on
    params: dict = field(default_factory=_default_params)

    QUICK = dict(
        n_seeds=2,
        n_train=300,
        n_test=150,
        max_epochs={"ann": 30, "snn": 1},
        small_task_epochs={"ann": 1000, "snn": 10},
        fractions=(0.2, 1.0),
        ablations=("snn_no_plasticity",),
        ablation_tasks=("digits",),
    )


def _energy_columns(curve, last, target: float) -> dict:
    """Per cost table: training energy on the full subset, energy to the target (the smallest
    nested subset whose chance-corrected score reaches it; NaN if none), and a placeholder
    for energy per prediction (filled for the two learners)."""
    reached = curve[curve["corrected"] >= target].sort_values("n_train")
    columns = {}
    for t in ENERGY_TABLES:
        columns[f"training_joules_{t}"] = last[f"training_joules_{t}"]
        columns[f"joules_to_target_{t}"] = (
            float(reached[f"training_joules_{t}"].iloc[0]) if len(reached) else np.nan
        )
        columns[f"joules_per_inference_{t}"] = np.nan
    return columns


SMALL_TASK = 20  # tasks with at most this many training samples get small_task_epochs


#: Label and colour of each ablated spiking network.
ABLATIONS = {
    "snn_no_plasticity": ("spiking, no plasticity (random weights)", "#ff9896"),
    "snn_no_threshold_adaptation": ("spiking, no threshold adaptation", "#c49c94"),
    "snn_no_weight_normalisation": ("spiking, no weight normalisation", "#f7b6d2"),
    "snn_no_lateral_inhibition": ("spiking, no lateral inhibition", "#dbdb8d"),
}


def _label(kind: str) -> str:
    return ABLATIONS[kind][0] if kind in ABLATIONS else reference.learner_label(kind)


def _color(kind: str) -> str:
    return ABLATIONS[kind][1] if kind in ABLATIONS else reference.learner_color(kind)


def _figures(result: Result, settings: Settings) -> dict:
    metrics = result.metrics
    seeds = metrics["seed"].nunique()
    tasks = list(dict.fromkeys(metrics["task"]))
    x = np.arange(len(tasks))
    panels = [
        ("score", "test score (accuracy, or R$^2$)", False, None),
        (
            "samples_to_target",
            f"training samples to chance-corrected {settings.target:g}",
            True,
            None,
        ),
        ("presentations", "training presentations (samples x epochs)", True, None),
        ("training_joules", "training energy (J, 45 nm estimate)", True, None),
        ("joules_per_inference", "energy per prediction (J, 45 nm estimate)", True, None),
    ]
    fig, axes = figure(2, 3, figsize=(15, 8))
    for ax, (column, ylabel, log, _) in zip(axes.ravel(), panels):
        for offset, kind in zip((-0.2, 0.2), KINDS):
            rows = metrics[metrics.kind == kind].dropna(subset=[column])
            stats = interval_table(rows, "task", column).set_index("task").reindex(tasks)
            error = None
            if seeds > 2:
                error = [stats["mean"] - stats["low"], stats["high"] - stats["mean"]]
            ax.bar(
                x + offset,
                stats["mean"],
                width=0.4,
                color=color(kind),
                label=label(kind),
                yerr=error,
                capsize=3,
            )
        if column == "score":
            for k, kind in enumerate(sorted(set(metrics.kind) - set(KINDS))):
                means = metrics[metrics.kind == kind].groupby("task")["score"].mean()
                ax.scatter(
                    x[[tasks.index(t) for t in means.index]] + 0.45,
                    means.values,
                    marker="_^sdvPX*"[k % 8],
                    s=60,
                    color=_color(kind),
                    label=_label(kind),
                    zorder=3,
                )
            ax.set_ylim(0, 1.05)
        if column == "samples_to_target":
            # how many seeds reached the target, where not all did (the bar is their mean)
            for offset, kind in zip((-0.2, 0.2), KINDS):
                rows = metrics[metrics.kind == kind]
                for k, task in enumerate(tasks):
                    part = rows[rows.task == task]
                    reached = int(part[column].notna().sum())
                    if reached < len(part):
                        value = part[column].mean()
                        ax.annotate(
                            f"{reached}/{len(part)}",
                            (k + offset, value if reached else 1.0),
                            xytext=(0, 3),
                            textcoords="offset points",
                            ha="center",
                            fontsize=7,
                            color=color(kind),
                        )
        ax.set_xticks(x, tasks, rotation=20, ha="right")
        ax.set_ylabel(ylabel, fontsize=9)
        if log:
            ax.set_yscale("log")
    axes[0, 1].set_title("n/n: seeds reaching the target, where not all did", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    _matched_panel(axes[1, 2], result, settings)
    titled_over_legend(
        fig,
        f"MLP (early stopping on validation) vs spiking network (fit) on every task, each at "
        f"its own budget; n = {seeds} seeds, mean and 95% interval (drawn from 3 seeds up)",
        handles,
        labels,
        ncol=6,
        space=0.07,
        fontsize=10,
    )

    curves = result.tables["curves"]
    fig2, axes2 = figure(2, len(tasks), figsize=(3.3 * len(tasks), 6.6), squeeze=False)
    for column, (task, ax) in enumerate(zip(tasks, axes2[0])):
        for budget, axis in (("n_train", ax), ("training_joules", axes2[1, column])):
            for kind in list(dict.fromkeys(curves["kind"])):
                if budget != "n_train" and kind not in KINDS:
                    continue
                c = curves[(curves.task == task) & (curves.kind == kind)].dropna(subset=[budget])
                if c.empty:
                    continue
                stats = interval_table(c, "n_train", "score").sort_values("n_train")
                xs = c.groupby("n_train")[budget].mean().loc[stats["n_train"]].to_numpy()
                axis.plot(
                    xs,
                    stats["mean"],
                    color=_color(kind),
                    label=_label(kind),
                    marker="o" if kind in KINDS else None,
                    linestyle="-" if kind in KINDS else "--",
                    linewidth=2 if kind in KINDS else 1,
                )
                if kind in KINDS and seeds > 2:
                    axis.fill_between(
                        xs, stats["low"], stats["high"], color=_color(kind), alpha=0.15, lw=0
                    )
            axis.set_xscale("log")
            axis.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(task)
        ax.set_xlabel("training samples (matched samples)")
        axes2[1, column].set_xlabel("training energy (J, matched energy)")
    axes2[0, 0].set_ylabel("test score")
    axes2[1, 0].set_ylabel("test score")
    entries = {}  # every panel's entries once: the references differ by task kind
    for ax in axes2[0]:
        entries.update(zip(*reversed(ax.get_legend_handles_labels())))
    titled_over_legend(
        fig2,
        f"Score at matched budgets: each point trained from scratch on a subset; n = {seeds} "
        "seeds, mean (bands: 95% interval of the two learners, from 3 seeds up; dashed: "
        "reference learners)",
        list(entries.values()),
        list(entries),
        ncol=5,
        space=0.08,
        fontsize=10,
    )
    return {"task_scores_time_energy": fig, "task_learning_curves": fig2}


def _matched_panel(ax, result: Result, settings: Settings):
    """Spiking minus MLP score at matched training samples (paired by seed), per task."""
    curves = result.tables["curves"]
    tasks = list(dict.fromkeys(curves["task"]))
    for k, task in enumerate(tasks):
        part = curves[curves.task == task]
        sizes = sorted(part["n_train"].unique())
        for j, n in enumerate(sizes):
            interval = paired_by_seed(part[part.n_train == n], "score", bounds="score")
            if interval is None:
                continue
            position = k + (j - (len(sizes) - 1) / 2) * 0.8 / max(len(sizes), 1)
            ax.errorbar(
                position,
                interval.mean,
                yerr=None
                if interval.n < 2
                else [[interval.mean - interval.low], [interval.high - interval.mean]],
                marker="o",
                color="0.3" if j < len(sizes) - 1 else "black",
                capsize=2,
            )
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(range(len(tasks)), tasks, rotation=20, ha="right")
    ax.set_ylabel(
        "spiking - MLP score, same samples\n(paired by seed; left to right: growing subsets)",
        fontsize=9,
    )


def _summary(result: Result, settings: Settings) -> str:
    metrics = result.metrics
    seeds = metrics["seed"].nunique()
    seconds = {
        key: part["train_seconds"].to_numpy()
        for key, part in result.timings.groupby(["task", "kind"], sort=False)
    }
    lines = [
        "# Task benchmark",
        "",
        f"n = {seeds} seed(s); mean [95% Student-t interval over seeds]. Each learner at its "
        "own budget (MLP: epochs chosen by early stopping on validation; spiking: fit). "
        f"Samples to target: smallest nested training subset whose chance-corrected score "
        f"reaches {settings.target:g} (fractions {list(settings.fractions)} of the training "
        "set), over the seeds that reach it (how many in brackets; - if none). Energy: 4.6 pJ/MAC, 0.9 pJ/SOP (Horowitz 2014).",
        "",
        "| task | learner | score | samples to target | presentations | train s | train J "
        "| J per prediction |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (task, kind), part in metrics.groupby(["task", "kind"], sort=False):
        reached = part["samples_to_target"].dropna()
        learner = kind in KINDS
        lines.append(
            f"| {task} | {_label(kind)} | {mean_interval(part['score'], bounds='score')} | "
            f"{mean_interval(reached, bounds='samples_to_target').format(0) if len(reached) else '-'} "
            f"({len(reached)} of {len(part)}) | "
            + (
                f"{interval_text(part['presentations'], '.0f', 'presentations')} | "
                f"{interval_text(seconds.get((task, kind), []), '.1f', (0, math.inf))} | "
                f"{interval_text(part['training_joules'], '.2e', 'training_joules')} | "
                f"{interval_text(part['joules_per_inference'], '.2e', 'joules_per_inference')} |"
                if learner
                else "| | | |"
            )
        )
    lines += ["", "Spiking minus MLP test score, paired by seed, at the full training set:", ""]
    for task, part in metrics.groupby("task", sort=False):
        difference = paired_by_seed(part, "score", bounds="score")
        if difference is not None:
            lines.append(f"- {task}: {difference}")
    return "\n".join(lines)


def _aggregate_figures(aggregate) -> dict:
    """Every learner on every task: score, samples to target, presentations and energy,
    means over runs with intervals (each learner at its own budget)."""
    panels = [
        ("score", "test score", "accuracy, or R$^2$", False),
        ("samples_to_target", "samples to the chance-corrected target", "samples", True),
        ("presentations", "training presentations", "samples x epochs", True),
        ("training_joules", "training energy (horowitz45_fp32)", "training energy (J)", True),
        (
            "joules_per_inference",
            "energy per prediction (horowitz45_fp32)",
            "energy per prediction (J)",
            True,
        ),
    ]
    per_task = {
        "category_title": "task",
        "categories": list(dict.fromkeys(aggregate.summary["task"])),
        "series": "kind",
        "series_label": _label,
        "series_color": _color,
    }
    figure = panel_grid(
        aggregate,
        [
            Panel(
                title,
                bar_panel(
                    metric,
                    "task",
                    ylabel,
                    log=log,
                    limits=None if log else (0, 1.05),
                    **per_task,
                ),
            )
            for metric, title, ylabel, log in panels
        ],
        ["task", "kind"],
        "MLP vs spiking network on every task, next to reference learners and ablations",
        panel_size=(4.4, 3.6),
        note="Energies and presentations are counted for the two learners only; a learner "
        "without a point on samples to target never reached the target.",
    )
    return {"task_benchmark": figure}


@register_experiment(order=10)
def run(settings: Settings, seed: int) -> Result:
    """MLP vs spiking network on every task, next to reference learners: score, samples
    to a chance-corrected target, presentations, energy; matched and own budgets"""
    from experiments.baselines import ABLATIONS

    unknown = sorted(set(settings.ablations) - set(ABLATIONS))
    if unknown:
        raise ValueError(f"unknown ablation(s) {unknown} in ablations; known: {sorted(ABLATIONS)}")
    if not settings.fractions or any(not 0 < f <= 1 for f in settings.fractions):
        raise ValueError(f"fractions must lie in (0, 1], got fractions={settings.fractions!r}")
    rows, curves, timings = [], [], []
    jobs = settings.seed_runs(seed, "task_benchmark", each=settings.tasks, unit="(task, seed) fits")
    for task_name, task_seed in jobs:
        task = load_task(task_name, seed=task_seed)
        rng = np.random.default_rng(task_seed)
        classification = task.kind == "classification"
        X_train, y_train = subsample(
            task.X_train, task.y_train, settings.n_train, rng, stratify=classification
        )
        order = nested_order(y_train, rng, stratify=classification)
        X_train, y_train = X_train[order], y_train[order]
        X_test, y_test = subsample(
            task.X_test, task.y_test, settings.n_test, rng, stratify=classification
        )
        small = len(X_train) <= SMALL_TASK
        epochs = settings.small_task_epochs if small else settings.max_epochs
        snn_params = dict(settings.params.get("snn", {}).get(task_name, {}))
        if epochs.get("snn"):
            snn_params.setdefault("epochs", int(epochs["snn"]))
        fitters = learner_fitters(
            task,
            task_seed,
            ann_params=settings.params.get("ann", {}).get(task_name, {}),
            snn_params=snn_params,
            ann_max_epochs=int(epochs["ann"]),
            references=reference.CLASSIFICATION if classification else reference.REGRESSION,
        )
        minimum = 2 * (len(task.classes) if classification else 1)
        sizes = sorted(
            {
                max(min(minimum, len(X_train)), int(round(f * len(X_train))))
                for f in settings.fractions
            }
        )
        chance = chance_level(task)
        curve, seconds, fitted = size_curve(
            fitters, sizes, X_train, y_train, X_test, y_test, chance
        )
        curve = curve.rename(columns={"learner": "kind"})
        curves.append(curve.assign(task=task_name, seed=task_seed))
        full = curve[curve.n_train == curve.n_train.max()]
        for kind in fitters:
            mine = curve[curve.kind == kind]
            last = full[full.kind == kind].iloc[0]
            row = {
                "task": task_name,
                "kind": kind,
                "seed": task_seed,
                "score": float(last["score"]),
                "corrected_score": float(last["corrected"]),
                "n_train": int(last["n_train"]),
                "n_test": len(X_test),
                "epochs": last["epochs"],
                "presentations": last["presentations"],
                "samples_to_target": samples_to_target(
                    mine["n_train"], mine["corrected"], settings.target
                ),
                "unit": last["unit"],
                "training_ops": last["training_ops"],
                "training_joules": last["training_joules"],
                "joules_per_inference": np.nan,
                **_energy_columns(mine, last, settings.target),
            }
            if kind in KINDS:
                estimator = fitted[kind]
                started = time.perf_counter()
                estimator.score(X_test, y_test)
                predict_seconds = time.perf_counter() - started
                ops = operations(estimator, X_test)  # counted without changing the estimator
                row["joules_per_inference"] = ops["inference_joules"] / len(X_test)
                for t in ENERGY_TABLES:
                    row[f"joules_per_inference_{t}"] = ops[f"inference_joules_{t}"] / len(X_test)
                timings.append(
                    {
                        "task": task_name,
                        "kind": kind,
                        "seed": task_seed,
                        "train_seconds": float(
                            seconds[
                                (seconds.learner == kind) & (seconds.n_train == row["n_train"])
                            ]["train_seconds"].iloc[0]
                        ),
                        "predict_seconds": predict_seconds,
                    }
                )
            rows.append(row)
        if settings.ablations and task_name in settings.ablation_tasks:
            from experiments.baselines import spiking_ablations

            spiking = fitted["snn"]
            for name, ablated in spiking_ablations(spiking, settings.ablations).items():
                started = time.perf_counter()
                ablated.fit(X_train, y_train)
                score = float(ablated.score(X_test, y_test))
                ops = operations(ablated)
                rows.append(
                    {
                        "task": task_name,
                        "kind": name,
                        "seed": task_seed,
                        "score": score,
                        "corrected_score": float(chance_corrected(score, chance)),
                        "n_train": len(X_train),
                        "n_test": len(X_test),
                        "epochs": spiking.epochs + 1,
                        "presentations": len(X_train) * (spiking.epochs + 1),
                        "samples_to_target": np.nan,
                        "unit": ops["unit"],
                        "training_ops": ops["training_ops"],
                        "training_joules": ops["training_joules"],
                        "joules_per_inference": np.nan,
                        **{
                            f"training_joules_{t}": ops[f"training_joules_{t}"]
                            for t in ENERGY_TABLES
                        },
                        **{f"joules_to_target_{t}": np.nan for t in ENERGY_TABLES},
                        **{f"joules_per_inference_{t}": np.nan for t in ENERGY_TABLES},
                    }
                )
                timings.append(
                    {
                        "task": task_name,
                        "kind": name,
                        "seed": task_seed,
                        "train_seconds": time.perf_counter() - started,
                        "predict_seconds": np.nan,
                    }
                )
    return Result(
        metrics=pd.DataFrame(rows),
        timings=pd.DataFrame(timings),
        tables={"curves": pd.concat(curves, ignore_index=True)},
    )
