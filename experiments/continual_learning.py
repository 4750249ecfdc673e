"""Learn digits 0-4, then 5-9: how much of the first half does each learner forget?

Backprop adjusts every weight to the current data and is known to overwrite
what it learned before (catastrophic forgetting, McCloskey & Cohen 1989;
French 1999). A winner-take-all STDP layer changes only the winners' weights,
so neurons tuned to the first digits may survive (Diehl & Cook 2015; Allred &
Roy 2020).
"""

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

FIRST, SECOND = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


@dataclass(frozen=True)
class Settings:
    n_seeds: int = 3
    n_train: int | None = None  # per half
    n_test: int | None = None
    epochs: dict = field(default_factory=lambda: {"ann": 10, "snn": 2})
    checkpoints_per_epoch: int = 4
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})

    @classmethod
    def quick(cls):
        return cls(
            n_seeds=1, n_train=150, n_test=150, epochs={"ann": 5, "snn": 1}, checkpoints_per_epoch=2
        )

    @classmethod
    def full(cls):
        return cls()


def _figures(result: Result, settings: Settings) -> dict:
    fig, axes = figure(1, 2, figsize=(11, 4), sharey=True)
    metrics = result.metrics
    for ax, subset, title in zip(axes, ("first", "second"), ("digits 0-4", "digits 5-9")):
        for kind in KINDS:
            rows = metrics[(metrics.kind == kind) & (metrics.subset == subset)]
            mean = rows.groupby("samples_seen")["accuracy"].mean()
            ax.plot(mean.index, mean.values, color=color(kind), label=label(kind), marker=".")
        switch = metrics.loc[metrics.phase == "first", "samples_seen"].max()
        ax.axvline(switch, color="0.4", linestyle="--", linewidth=1)
        ax.text(switch, 0.02, " switch to 5-9", color="0.3", fontsize=8)
        ax.set_title(f"test accuracy on {title}")
        ax.set_xlabel("training samples seen")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="center left")
    fig.suptitle("Continual learning: digits 0-4, then 5-9")
    fig.tight_layout()
    return {"continual_learning": fig}


def forgetting(metrics: pd.DataFrame) -> pd.DataFrame:
    """Accuracy on digits 0-4 at the end of each phase, and its drop, per kind and seed."""
    first = metrics[metrics.subset == "first"]
    end = first.sort_values("samples_seen").groupby(["kind", "seed", "phase"])["accuracy"].last()
    table = end.unstack("phase")
    table["forgetting"] = table["first"] - table["second"]
    return table.reset_index()


def _summary(result: Result, settings: Settings) -> str:
    table = forgetting(result.metrics).groupby("kind").mean(numeric_only=True)
    lines = [
        "# Continual learning (digits 0-4 then 5-9)",
        "",
        "| learner | acc. on 0-4 after phase 1 | after phase 2 | forgotten |",
        "| --- | --- | --- | --- |",
    ]
    for kind, row in table.iterrows():
        lines.append(
            f"| {label(kind)} | {row['first']:.3f} | {row['second']:.3f} | "
            f"{row['forgetting']:.3f} |"
        )
    return "\n".join(lines)


@register_experiment(
    "continual_learning",
    "learn digits 0-4 then 5-9: forgetting of backprop vs local Hebbian learning",
    Settings,
    _figures,
    _summary,
)
def run(settings: Settings, seed: int) -> Result:
    rows = []
    for run_seed in progress(child_seeds(seed, settings.n_seeds), desc="continual_learning"):
        task = load_task("digits", seed=run_seed)
        rng = np.random.default_rng(run_seed)
        halves = []
        for digits in (FIRST, SECOND):
            train = np.isin(task.y_train, digits)
            halves.append(
                subsample(task.X_train[train], task.y_train[train], settings.n_train, rng)
            )
        tests = {}
        for name, digits in (("first", FIRST), ("second", SECOND)):
            test = np.isin(task.y_test, digits)
            tests[name] = subsample(task.X_test[test], task.y_test[test], settings.n_test, rng)
        for kind in KINDS:
            params = {**settings.params.get(kind, {}), "epochs": 1}
            estimator = make_learner(kind, task, random_state=run_seed, **params)
            seen = 0
            for phase, (X, y) in zip(("first", "second"), halves):
                chunks = np.array_split(np.arange(len(X)), settings.checkpoints_per_epoch)
                for _epoch in range(settings.epochs[kind]):
                    for chunk in chunks:
                        estimator.partial_fit(X[chunk], y[chunk], classes=task.classes)
                        seen += len(chunk)
                        for subset, (X_eval, y_eval) in tests.items():
                            rows.append(
                                {
                                    "kind": kind,
                                    "seed": run_seed,
                                    "phase": phase,
                                    "samples_seen": seen,
                                    "subset": subset,
                                    "accuracy": float(estimator.score(X_eval, y_eval)),
                                }
                            )
    return Result(metrics=pd.DataFrame(rows))
