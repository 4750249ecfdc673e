"""Accuracy of learners trained on clean digits, tested under input noise and pixel dropout."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.random import child_seeds
from experiments._base import Result, register_experiment
from experiments.learners import KINDS, make_learner, subsample
from experiments.runner import progress
from experiments.style import color, figure, label
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
class Settings:
    n_seeds: int = 3
    n_train: int | None = None
    n_test: int | None = None
    levels: dict = field(
        default_factory=lambda: {
            "gaussian_noise": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
            "pixel_dropout": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
        }
    )
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})

    @classmethod
    def quick(cls):
        return cls(
            n_seeds=1,
            n_train=300,
            n_test=100,
            levels={"gaussian_noise": (0.0, 0.25, 0.5), "pixel_dropout": (0.0, 0.25, 0.5)},
        )

    @classmethod
    def full(cls):
        return cls()


def _figures(result: Result, settings: Settings) -> dict:
    fig, axes = figure(1, 2, figsize=(10, 4), sharey=True)
    titles = {
        "gaussian_noise": ("Gaussian input noise", "noise standard deviation (pixel scale 0-1)"),
        "pixel_dropout": ("Pixel dropout", "fraction of pixels set to 0"),
    }
    for ax, corruption in zip(axes, CORRUPTIONS):
        for kind in KINDS:
            rows = result.metrics[
                (result.metrics.kind == kind) & (result.metrics.corruption == corruption)
            ]
            stats = rows.groupby("level")["accuracy"].agg(["mean", "min", "max"])
            ax.plot(stats.index, stats["mean"], marker="o", color=color(kind), label=label(kind))
            ax.fill_between(stats.index, stats["min"], stats["max"], color=color(kind), alpha=0.2)
        ax.set_title(titles[corruption][0])
        ax.set_xlabel(titles[corruption][1])
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("test accuracy on digits")
    axes[0].legend()
    fig.tight_layout()
    return {"noise_robustness": fig}


def _summary(result: Result, settings: Settings) -> str:
    table = (
        result.metrics.groupby(["corruption", "level", "kind"])["accuracy"].mean().unstack("kind")
    )
    lines = [
        "# Noise robustness (digits)",
        "",
        "| corruption | level | " + " | ".join(label(k) for k in table.columns) + " |",
        "| --- | --- |" + " --- |" * len(table.columns),
    ]
    for (corruption, level), row in table.iterrows():
        lines.append(f"| {corruption} | {level:g} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines)


@register_experiment(
    "noise_robustness",
    "accuracy against input noise and pixel dropout for both learners",
    Settings,
    _figures,
    _summary,
)
def run(settings: Settings, seed: int) -> Result:
    unknown = sorted(set(settings.levels) - set(CORRUPTIONS))
    if unknown:
        raise ValueError(f"unknown corruption(s) {unknown} in levels; known: {list(CORRUPTIONS)}")
    rows = []
    for run_seed in progress(child_seeds(seed, settings.n_seeds), desc="noise_robustness"):
        task = load_task("digits", seed=run_seed)
        rng = np.random.default_rng(run_seed)
        X_train, y_train = subsample(task.X_train, task.y_train, settings.n_train, rng)
        X_test, y_test = subsample(task.X_test, task.y_test, settings.n_test, rng)
        corrupted = {
            (c, level): corrupt(X_test, c, level, rng)
            for c, levels in settings.levels.items()
            for level in levels
        }
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
