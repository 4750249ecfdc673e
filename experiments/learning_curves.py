"""Test accuracy against training-set size for both learners and the reference learners.

Every point is a learner trained from scratch on a class-balanced subset of
the training split of that size, as it would be used (see
:mod:`experiments._curves`): the MLP with early stopping on the validation
split, the spiking network with ``fit``, the reference learners
(logistic regression, 1-nearest neighbour, k-means prototypes + vote) with
their fixed settings. The test split is read once per point.

The figure compares the learners at matched budgets three ways: the same
training samples, the same presentations (samples x epochs: the MLP's
early-stopped epochs, the spiking network's plastic epochs plus its frozen
readout pass), and the same training energy (45 nm estimate of
:mod:`experiments.learners`). The summary reports the chance-corrected
score ``(accuracy - 1/10) / (1 - 1/10)`` as the area under the curve over
log training-set size and the smallest size that reaches a fixed
chance-corrected target, with 95% intervals over seeds.

Run time on 2 cores: the quick preset takes a couple of minutes; the full
preset (sizes 20 to all of digits' training split, 10 seeds) about an hour,
almost all of it the spiking network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from experiments import reference
from experiments._base import COUNT, Presets, Result, register_experiment
from experiments._curves import (
    area_under_curve,
    chance_level,
    learner_fitters,
    nested_order,
    samples_to_target,
    size_curve,
)
from experiments.learners import KINDS, subsample
from experiments.stats import interval_table, mean_interval, paired_by_seed
from experiments.style import figure
from experiments.sweep_figures import Panel, band, learner_style, metric_rows, panel_grid
from tasks import load_task


@dataclass(frozen=True)
class Settings(Presets):
    task: str = "digits"
    n_seeds: int = 10
    sizes: tuple = (20, 50, 100, 200, 500, 100000)  # capped at the training split
    n_test: int | None = None
    mlp_max_epochs: int = 60  # early stopping on validation picks 1..this many
    target: float = 0.8  # chance-corrected score for "samples to target"
    references: tuple = ("logistic_regression", "nearest_neighbour", "kmeans_vote")
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})

    CONSTRAINTS = {"mlp_max_epochs": COUNT}

    QUICK = dict(n_seeds=2, sizes=(20, 60, 150), n_test=100, mlp_max_epochs=30)


def outcomes(metrics: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per learner and seed: chance-corrected area under the curve, samples to ``target``
    (chance-corrected) and the score at the largest size."""
    rows = []
    for (learner, seed), part in metrics.groupby(["learner", "seed"], sort=False):
        part = part.sort_values("n_train")
        rows.append(
            {
                "learner": learner,
                "seed": seed,
                "auc": area_under_curve(part["n_train"], part["corrected"]),
                "samples_to_target": samples_to_target(part["n_train"], part["corrected"], target),
                "final_score": float(part["score"].iloc[-1]),
                "final_n_train": int(part["n_train"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def _figures(result: Result, settings: Settings) -> dict:
    metrics = result.metrics
    seeds = metrics["seed"].nunique()
    learners = list(dict.fromkeys(metrics["learner"]))
    panels = [
        ("n_train", "training samples (matched samples)", learners),
        ("presentations", "training presentations: samples x epochs", list(KINDS)),
        ("training_joules", "training energy (J, 45 nm estimate)", list(KINDS)),
    ]
    fig, axes = figure(1, 3, figsize=(15, 4.6), sharey=True)
    for ax, (column, xlabel, names) in zip(axes, panels):
        for name in names:
            rows = metrics[metrics.learner == name].dropna(subset=[column])
            if rows.empty:
                continue
            learner = name in KINDS
            if column == "n_train":
                stats = interval_table(rows, "n_train", "score").sort_values("n_train")
                x = stats["n_train"]
            else:  # budgets differ by seed: mean budget per size
                stats = interval_table(rows, "n_train", "score").sort_values("n_train")
                x = rows.groupby("n_train")[column].mean().loc[stats["n_train"]].to_numpy()
            ax.plot(
                x,
                stats["mean"],
                marker="o" if learner else None,
                linestyle="-" if learner else "--",
                linewidth=2 if learner else 1,
                color=reference.learner_color(name),
                label=reference.learner_label(name),
            )
            if seeds > 2:
                ax.fill_between(
                    x, stats["low"], stats["high"], color=reference.learner_color(name), alpha=0.15
                )
        ax.axhline(chance_level_of(settings), color="0.5", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only: no overlaps
        if column == "n_train":
            sizes = sorted(metrics["n_train"].unique())
            ax.set_xticks(sizes, [str(int(n)) for n in sizes])
        ax.set_xlabel(xlabel)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel(f"test accuracy on {settings.task}")
    axes[0].legend(loc="lower right", fontsize=8)
    axes[0].set_title("score at matched training samples")
    axes[1].set_title("at matched presentations")
    axes[2].set_title("at matched training energy")
    fig.suptitle(
        f"Learning curves on {settings.task}: each point trained from scratch on a subset "
        f"(MLP: early stopping on validation, at most {settings.mlp_max_epochs} epochs; "
        f"spiking: fit); n = {seeds} seeds, mean and 95% interval (drawn from 3 seeds up); "
        "dotted: chance",
        fontsize=10,
    )
    fig.tight_layout()
    return {"learning_curves": fig}


def _aggregate_figures(aggregate) -> dict:
    """Score against training samples and against training energy, per learner, over runs."""

    def against(x):
        def draw(ax, rows):
            for name in dict.fromkeys(rows["learner"]):
                curve = metric_rows(rows, "score", learner=name)
                if x != "n_train":  # the learner's mean budget at each size
                    budget = metric_rows(rows, x, learner=name).set_index("n_train")["mean"]
                    curve = curve.assign(**{x: curve["n_train"].map(budget)})
                band(ax, curve, x, **learner_style(name))
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            if x == "n_train":
                sizes = sorted(rows["n_train"].dropna().unique())
                ax.set_xticks(sizes, [f"{n:g}" for n in sizes])
            ax.set_ylim(0, 1)
            ax.set_ylabel("test accuracy")
            ax.set_xlabel(
                "training samples (each point trained from scratch)"
                if x == "n_train"
                else "training energy (J, cost table horowitz45_fp32)"
            )

        return draw

    panels = [
        Panel("score at matched training samples", against("n_train")),
        Panel(
            "at matched training energy (the two learners;\nx: the mean energy over runs)",
            against("training_joules"),
        ),
    ]
    figure = panel_grid(
        aggregate,
        panels,
        ["learner", "n_train"],
        "Learning curves: test accuracy against training-set size",
    )
    return {"learning_curves": figure}


def chance_level_of(settings: Settings) -> float:
    return 0.1 if settings.task == "digits" else 0.0


def _summary(result: Result, settings: Settings) -> str:
    metrics = result.metrics
    table = outcomes(metrics, settings.target)
    seeds = metrics["seed"].nunique()
    lines = [
        f"# Learning curves ({settings.task})",
        "",
        f"n = {seeds} seed(s); mean [95% Student-t interval over seeds]. Chance-corrected "
        "score: (accuracy - chance) / (1 - chance). AUC: its mean over log training-set "
        f"size ({int(metrics.n_train.min())} to {int(metrics.n_train.max())} samples). "
        f"Samples to target: the smallest size whose chance-corrected score reaches "
        f"{settings.target:g} (seeds that never reach it are counted apart).",
        "",
        "| learner | AUC (chance-corrected) | samples to target | reached in | "
        "accuracy at the largest size |",
        "| --- | --- | --- | --- | --- |",
    ]
    for learner, part in table.groupby("learner", sort=False):
        reached = part["samples_to_target"].dropna()
        lines.append(
            f"| {reference.learner_label(learner)} | {mean_interval(part['auc'], bounds=(-math.inf, 1))} | "
            f"{mean_interval(reached, bounds='samples_to_target').format(0) if len(reached) else 'not reached'} | "
            f"{len(reached)} of {len(part)} seeds | {mean_interval(part['final_score'], bounds='score')} |"
        )
    difference = paired_by_seed(table, "auc", by="learner", bounds=(-math.inf, 1))
    if difference is not None:
        lines += [
            "",
            f"Spiking minus MLP, AUC paired by seed (same subsets, same test set): {difference}.",
        ]
    final = paired_by_seed(table, "final_score", by="learner", bounds="score")
    if final is not None:
        lines += [
            "",
            f"Spiking minus MLP, accuracy at the largest size paired by seed: {final}.",
        ]
    samples = paired_by_seed(table, "samples_to_target", by="learner", bounds="samples_to_target")
    if samples is not None:
        lines += [
            "",
            "Spiking minus MLP, samples to target paired by seed over the "
            f"{samples.n} seed(s) where both reached it: {samples.format(0)}.",
        ]
    epochs = metrics[metrics.learner == "ann"].groupby("n_train")["epochs"].median()
    if len(epochs):
        lines += [
            "",
            "MLP epochs chosen on validation (median over seeds, by training-set size): "
            + ", ".join(f"{int(n)}: {int(e)}" for n, e in epochs.items())
            + ".",
        ]
    return "\n".join(lines)


@register_experiment(order=20)
def run(settings: Settings, seed: int) -> Result:
    """test accuracy against training-set size (each point trained from scratch) for
    both learners and reference learners, at matched samples, presentations and energy"""
    reference.check_references(settings.references)
    if not settings.sizes or any(int(n) < 2 for n in settings.sizes):
        raise ValueError(f"sizes must be integers of at least 2, got sizes={settings.sizes!r}")
    curves, timings = [], []
    for run_seed in settings.seed_runs(seed, "learning_curves"):
        task = load_task(settings.task, seed=run_seed)
        if task.kind != "classification":
            raise ValueError(f"learning_curves needs a classification task, got {settings.task!r}")
        rng = np.random.default_rng(run_seed)
        order = nested_order(task.y_train, rng)
        X_train, y_train = task.X_train[order], task.y_train[order]
        X_test, y_test = subsample(task.X_test, task.y_test, settings.n_test, rng)
        fitters = learner_fitters(
            task,
            run_seed,
            ann_params=settings.params.get("ann", {}),
            snn_params=settings.params.get("snn", {}),
            ann_max_epochs=settings.mlp_max_epochs,
            references=settings.references,
        )
        curve, seconds, fitted = size_curve(
            fitters, settings.sizes, X_train, y_train, X_test, y_test, chance_level(task)
        )
        curves.append(curve.assign(seed=run_seed))
        timings.append(seconds.assign(seed=run_seed))
    return Result(
        metrics=pd.concat(curves, ignore_index=True),
        timings=pd.concat(timings, ignore_index=True),
    )
