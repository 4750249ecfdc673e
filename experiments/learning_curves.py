"""Test accuracy against training samples seen, for both learners, with spread over seeds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.random import child_seeds
from experiments._base import Result, register_experiment
from experiments._curves import learning_curve
from experiments.learners import KINDS, make_learner, subsample
from experiments.runner import progress
from experiments.style import color, figure, label
from tasks import load_task


@dataclass(frozen=True)
class Settings:
    task: str = "digits"
    n_seeds: int = 5
    n_train: int | None = None
    n_test: int | None = None
    epochs: dict = field(default_factory=lambda: {"ann": 10, "snn": 3})
    checkpoints_per_epoch: int = 8
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})

    @classmethod
    def quick(cls):
        return cls(
            n_seeds=2, n_train=240, n_test=120, epochs={"ann": 5, "snn": 1}, checkpoints_per_epoch=4
        )

    @classmethod
    def full(cls):
        return cls()


def _figures(result: Result, settings: Settings) -> dict:
    fig, ax = figure()
    for kind in KINDS:
        curve = result.metrics[result.metrics.kind == kind].groupby("samples_seen")["score"]
        mean, low, high = curve.mean(), curve.min(), curve.max()
        ax.plot(mean.index, mean.values, color=color(kind), label=f"{label(kind)} (mean)")
        ax.fill_between(
            mean.index,
            low.values,
            high.values,
            color=color(kind),
            alpha=0.2,
            label=f"{label(kind)} (min-max over {settings.n_seeds} seeds)",
        )
    ax.set_xlabel("training samples seen")
    ax.set_ylabel(f"test accuracy on {settings.task}")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_title(f"Learning curves on {settings.task}")
    ax.legend(loc="lower right")
    return {"learning_curves": fig}


def _summary(result: Result, settings: Settings) -> str:
    final = result.metrics.sort_values("samples_seen").groupby(["kind", "seed"]).last()
    lines = [f"# Learning curves ({settings.task})", ""]
    for kind in KINDS:
        scores = final.loc[kind, "score"]
        lines.append(
            f"- {label(kind)}: final test accuracy {scores.mean():.3f} "
            f"(min {scores.min():.3f}, max {scores.max():.3f}) after "
            f"{final.loc[kind, 'samples_seen'].iloc[0]} samples"
        )
    return "\n".join(lines)


@register_experiment(
    "learning_curves",
    "test accuracy against samples seen for both learners, spread over seeds",
    Settings,
    _figures,
    _summary,
)
def run(settings: Settings, seed: int) -> Result:
    curves, timings = [], []
    for run_seed in progress(child_seeds(seed, settings.n_seeds), desc="learning_curves"):
        task = load_task(settings.task, seed=run_seed)
        rng = np.random.default_rng(run_seed)
        X_train, y_train = subsample(task.X_train, task.y_train, settings.n_train, rng)
        X_test, y_test = subsample(task.X_test, task.y_test, settings.n_test, rng)
        for kind in KINDS:
            params = {**settings.params.get(kind, {}), "epochs": 1}
            estimator = make_learner(kind, task, random_state=run_seed, **params)
            curve, seconds = learning_curve(
                estimator,
                task,
                X_train=X_train,
                y_train=y_train,
                X_eval=X_test,
                y_eval=y_test,
                epochs=settings.epochs[kind],
                checkpoints_per_epoch=settings.checkpoints_per_epoch,
            )
            curves.append(curve.assign(kind=kind, seed=run_seed))
            timings.append({"kind": kind, "seed": run_seed, "train_seconds": seconds})
    return Result(metrics=pd.concat(curves, ignore_index=True), timings=pd.DataFrame(timings))
