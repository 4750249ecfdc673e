"""Accuracy of learners trained on clean digits, tested under input noise and pixel dropout.

Both learners and the reference learners of :mod:`experiments.reference`
(logistic regression, 1-nearest neighbour, k-means prototypes + vote, the
majority class) are trained on the same clean training sample and tested on
the same corrupted test images. Nothing is tuned here: every learner runs
with its defaults, so the test split is read only for the reported numbers.

Run time on 2 cores: the quick preset takes about a minute; the full preset
(all of digits, 10 seeds) about an hour, almost all of it the spiking network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments import reference
from experiments._base import Presets, Result, register_experiment
from experiments.learners import KINDS, make_learner, subsample
from experiments.stats import format_row, interval_table, paired_table
from experiments.style import color, figure, label
from experiments.sweep_figures import Panel, bands, learner_style, metric_rows, panel_grid
from tasks import load_task

CORRUPTIONS = ("gaussian_noise", "pixel_dropout")


def corrupt(X: np.ndarray, kind: str, level: float, rng: np.random.Generator) -> np.ndarray:
    """``gaussian_noise``: add N(0, level^2), clip to [0, 1]; ``pixel_dropout``: zero a
    ``level`` fraction of the pixels of each image."""
    if kind == "gaussian_noise":
        return np.clip(X + level * rng.standard_normal(X.shape), 0.0, 1.0)
    if kind == "pixel_dropout":
        return np.where(rng.random(X.shape) < level, 0.0, X)
    raise ValueError(f"unknown corruption={kind!r}; known: {list(CORRUPTIONS)}")


@dataclass(frozen=True)
class Settings(Presets):
    n_seeds: int = 10
    n_train: int | None = None
    n_test: int | None = None
    references: tuple = reference.CLASSIFICATION
    levels: dict = field(
        default_factory=lambda: {
            "gaussian_noise": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
            "pixel_dropout": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
        }
    )
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})

    QUICK = dict(
        n_seeds=2,
        n_train=300,
        n_test=100,
        levels={"gaussian_noise": (0.0, 0.25, 0.5), "pixel_dropout": (0.0, 0.25, 0.5)},
    )


_TITLES = {"gaussian_noise": "Gaussian input noise", "pixel_dropout": "Pixel dropout"}
_LEVELS = {
    "gaussian_noise": "noise standard deviation (pixel scale 0-1)",
    "pixel_dropout": "fraction of pixels set to 0",
}


def _figures(result: Result, settings: Settings) -> dict:
    fig, axes = figure(1, 2, figsize=(11, 4.4), sharey=True)
    metrics = result.metrics
    seeds = metrics["seed"].nunique()
    kinds = list(dict.fromkeys(metrics["kind"]))
    for ax, corruption in zip(axes, CORRUPTIONS):
        for kind in kinds:
            rows = metrics[(metrics.kind == kind) & (metrics.corruption == corruption)]
            if rows.empty:
                continue
            stats = interval_table(rows, "level", "accuracy").sort_values("level")
            learner = kind in KINDS
            line_color = color(kind) if learner else reference.color(kind)
            ax.plot(
                stats["level"],
                stats["mean"],
                marker="o" if learner else None,
                linestyle="-" if learner else "--",
                linewidth=2 if learner else 1,
                color=line_color,
                label=label(kind) if learner else reference.LABELS.get(kind, kind),
            )
            if seeds > 2:
                ax.fill_between(
                    stats["level"], stats["low"], stats["high"], color=line_color, alpha=0.15
                )
        ax.set_title(_TITLES[corruption])
        ax.set_xlabel(_LEVELS[corruption])
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("test accuracy on digits")
    axes[0].legend(fontsize=8)
    fig.suptitle(
        f"Trained on clean digits, tested corrupted: n = {seeds} seeds, mean and 95% "
        "interval (drawn from 3 seeds up); every learner gets the same training sample and "
        "test images",
        fontsize=10,
    )
    fig.tight_layout()
    return {"noise_robustness": fig}


def _aggregate_figures(aggregate) -> dict:
    """Accuracy against corruption level per learner, one panel per corruption, over runs."""
    corruptions = [c for c in CORRUPTIONS if c in set(aggregate.summary["corruption"])]
    corruptions += sorted(set(aggregate.summary["corruption"]) - set(corruptions))

    def draw(corruption):
        def panel(ax, rows):
            curves = metric_rows(rows, "accuracy", corruption=corruption)
            bands(ax, curves, "level", "kind", learner_style)
            ax.set_xlabel(_LEVELS.get(corruption, "corruption level"))
            ax.set_ylabel("test accuracy on digits")
            ax.set_ylim(0, 1)

        return panel

    panels = [Panel(_TITLES.get(c, c), draw(c)) for c in corruptions]
    figure = panel_grid(
        aggregate,
        panels,
        ["kind", "corruption", "level"],
        "Trained on clean digits, tested corrupted: accuracy against corruption level",
    )
    return {"noise_robustness": figure}


def _summary(result: Result, settings: Settings) -> str:
    metrics = result.metrics
    seeds = metrics["seed"].nunique()
    kinds = list(dict.fromkeys(metrics["kind"]))
    table = interval_table(metrics, ["corruption", "level", "kind"], "accuracy")
    lines = [
        "# Noise robustness (digits)",
        "",
        f"Test accuracy, mean [95% Student-t interval] over n = {seeds} seed(s); the last "
        "column is the spiking network minus the MLP, paired by seed (same training "
        "sample, same corrupted images).",
        "",
        "| corruption | level | "
        + " | ".join(label(k) if k in KINDS else reference.LABELS.get(k, k) for k in kinds)
        + " | spiking - MLP |",
        "| --- | --- |" + " --- |" * (len(kinds) + 1),
    ]
    paired = (
        paired_table(metrics, "seed", "kind", "accuracy", "ann", by=["corruption", "level"])
        if set(KINDS) <= set(kinds)
        else pd.DataFrame(columns=["corruption", "level", "kind"])
    )
    for (corruption, level), part in table.groupby(["corruption", "level"], sort=False):
        part = part.set_index("kind")
        cells = [format_row(part.loc[kind]) for kind in kinds if kind in part.index]
        difference = paired[
            (paired["corruption"] == corruption)
            & (paired["level"] == level)
            & (paired["kind"] == "snn")
        ]
        diff = "" if difference.empty else format_row(difference.iloc[0], signed=True)
        lines.append(f"| {corruption} | {level:g} | " + " | ".join(cells) + f" | {diff} |")
    return "\n".join(lines)


@register_experiment(order=60)
def run(settings: Settings, seed: int) -> Result:
    """accuracy against input noise and pixel dropout for both learners"""
    reference.check_references(settings.references)
    unknown = sorted(set(settings.levels) - set(CORRUPTIONS))
    if unknown:
        raise ValueError(f"unknown corruption(s) {unknown} in levels; known: {list(CORRUPTIONS)}")
    rows = []
    for run_seed in settings.seed_runs(seed, "noise_robustness"):
        task = load_task("digits", seed=run_seed)
        rng = np.random.default_rng(run_seed)
        X_train, y_train = subsample(task.X_train, task.y_train, settings.n_train, rng)
        X_test, y_test = subsample(task.X_test, task.y_test, settings.n_test, rng)
        corrupted = {
            (c, level): corrupt(X_test, c, level, rng)
            for c, levels in settings.levels.items()
            for level in levels
        }
        for row in reference.reference_scores(
            "classification",
            X_train,
            y_train,
            X_test,
            y_test,
            n_prototypes=reference.matching_prototypes(settings.params.get("snn", {})),
            random_state=run_seed,
            test_sets={f"{c}@{level!r}": (X, y_test) for (c, level), X in corrupted.items()},
        ):
            if row["kind"] not in settings.references:
                continue
            for (corruption, level), _ in corrupted.items():
                rows.append(
                    {
                        "kind": row["kind"],
                        "seed": run_seed,
                        "corruption": corruption,
                        "level": level,
                        "accuracy": row[f"score_{corruption}@{level!r}"],
                    }
                )
        for kind in KINDS:
            estimator = make_learner(
                kind, task, random_state=run_seed, **settings.params.get(kind, {})
            ).fit(X_train, y_train)
            for (corruption, level), X in corrupted.items():
                rows.append(
                    {
                        "kind": kind,
                        "seed": run_seed,
                        "corruption": corruption,
                        "level": level,
                        "accuracy": float(estimator.score(X, y_test)),
                    }
                )
    return Result(metrics=pd.DataFrame(rows))
