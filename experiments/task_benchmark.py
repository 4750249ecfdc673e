"""MLP against spiking network on every task: score, time, samples needed, energy."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.random import child_seeds
from experiments._base import Result, register_experiment
from experiments._curves import learning_curve, samples_to_fraction
from experiments.learners import KINDS, make_learner, operations, subsample
from experiments.runner import progress
from experiments.style import color, figure, label
from tasks import load_task


def _default_params():
    # Per learner kind, per task: estimator parameters beyond the defaults.
    return {
        "ann": {"xor": {"hidden_layer_sizes": (8,), "activation": "tanh", "epochs": 1}},
        "snn": {},
    }


@dataclass(frozen=True)
class Settings:
    tasks: tuple = ("xor", "seed_regression", "iris", "digits", "city_traffic")
    n_seeds: int = 3
    n_train: int | None = None  # cap on training samples per task (None: all)
    n_test: int | None = None  # cap on test samples per task
    epochs: dict = field(default_factory=lambda: {"ann": 30, "snn": 3})
    small_task_epochs: dict = field(default_factory=lambda: {"ann": 2000, "snn": 20})
    checkpoints_per_epoch: int = 2
    params: dict = field(default_factory=_default_params)

    @classmethod
    def quick(cls):
        return cls(
            n_seeds=1,
            n_train=300,
            n_test=150,
            epochs={"ann": 20, "snn": 1},
            small_task_epochs={"ann": 1000, "snn": 10},
            checkpoints_per_epoch=2,
        )

    @classmethod
    def full(cls):
        return cls()


SMALL_TASK = 20  # tasks with at most this many training samples get small_task_epochs


def _figures(result: Result, settings: Settings) -> dict:
    table = (
        result.metrics.groupby(["task", "kind"], sort=False).mean(numeric_only=True).reset_index()
    )
    tasks = list(dict.fromkeys(result.metrics["task"]))
    x = np.arange(len(tasks))
    panels = [
        ("score", "test score (accuracy, or R$^2$ for regression)", False),
        ("samples_to_90", "training samples to reach 90% of final score", True),
        ("training_joules", "training energy (J, 45 nm estimate)", True),
        ("joules_per_inference", "energy per prediction (J, 45 nm estimate)", True),
    ]
    fig, axes = figure(2, 2, figsize=(11, 7.5))
    for ax, (column, ylabel, log) in zip(axes.ravel(), panels):
        for offset, kind in zip((-0.2, 0.2), KINDS):
            values = [
                table.loc[(table.task == t) & (table.kind == kind), column].mean() for t in tasks
            ]
            ax.bar(x + offset, values, width=0.4, color=color(kind), label=label(kind))
        ax.set_xticks(x, tasks, rotation=20, ha="right")
        ax.set_ylabel(ylabel)
        if log:
            ax.set_yscale("log")
    axes[0, 0].legend()
    fig.suptitle("MLP (backprop) vs spiking network (STDP) on every task")
    fig.tight_layout()

    curves = result.tables["curves"]
    fig2, axes2 = figure(1, len(tasks), figsize=(3.2 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes2[0], tasks):
        for kind in KINDS:
            c = curves[(curves.task == task) & (curves.kind == kind)]
            mean = c.groupby("samples_seen")["score"].mean()
            ax.plot(mean.index, mean.values, color=color(kind), label=label(kind))
        ax.set_title(task)
        ax.set_xlabel("training samples seen")
        ax.set_xscale("log")
    axes2[0, 0].set_ylabel("test score")
    axes2[0, 0].legend()
    fig2.tight_layout()
    return {"task_scores_time_energy": fig, "task_learning_curves": fig2}


def _summary(result: Result, settings: Settings) -> str:
    table = result.metrics.groupby(["task", "kind"], sort=False)[
        ["score", "samples_to_90", "training_joules", "joules_per_inference"]
    ].mean()
    timing = result.timings.groupby(["task", "kind"], sort=False)["train_seconds"].mean()
    table["train_seconds"] = timing
    lines = [
        "# Task benchmark",
        "",
        f"Mean over {settings.n_seeds} seed(s). Energy: 4.6 pJ/MAC, 0.9 pJ/SOP (Horowitz 2014).",
        "",
        "| task | learner | score | samples to 90% | train s | train J | J per prediction |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (task, kind), row in table.iterrows():
        lines.append(
            f"| {task} | {label(kind)} | {row.score:.3f} | {row.samples_to_90:.0f} | "
            f"{row.train_seconds:.1f} | {row.training_joules:.2e} | "
            f"{row.joules_per_inference:.2e} |"
        )
    return "\n".join(lines)


@register_experiment(
    "task_benchmark",
    "MLP vs spiking network on every task: score, time, samples to 90%, energy",
    Settings,
    _figures,
    _summary,
)
def run(settings: Settings, seed: int) -> Result:
    rows, curves, timings = [], [], []
    jobs = [(task, s) for task in settings.tasks for s in child_seeds(seed, settings.n_seeds)]
    for task_name, task_seed in progress(jobs, desc="task_benchmark", unit="(task, seed) fits"):
        task = load_task(task_name, seed=task_seed)
        rng = np.random.default_rng(task_seed)
        X_train, y_train = subsample(
            task.X_train,
            task.y_train,
            settings.n_train,
            rng,
            stratify=task.kind == "classification",
        )
        X_test, y_test = subsample(
            task.X_test, task.y_test, settings.n_test, rng, stratify=task.kind == "classification"
        )
        small = len(X_train) <= SMALL_TASK
        for kind in KINDS:
            params = dict(settings.params.get(kind, {}).get(task_name, {}))
            epochs = (settings.small_task_epochs if small else settings.epochs)[kind]
            params["epochs"] = 1  # partial_fit drives the epochs
            estimator = make_learner(kind, task, random_state=task_seed, **params)
            curve, train_seconds = learning_curve(
                estimator,
                task,
                X_train=X_train,
                y_train=y_train,
                X_eval=X_test,
                y_eval=y_test,
                epochs=epochs,
                checkpoints_per_epoch=1 if small else settings.checkpoints_per_epoch,
            )
            started = time.perf_counter()
            score = float(estimator.score(X_test, y_test))
            predict_seconds = time.perf_counter() - started
            ops = operations(estimator, X_test)
            rows.append(
                {
                    "task": task_name,
                    "kind": kind,
                    "seed": task_seed,
                    "score": score,
                    "n_train": len(X_train),
                    "n_test": len(X_test),
                    "epochs": epochs,
                    "samples_to_90": samples_to_fraction(curve, 0.9),
                    "unit": ops["unit"],
                    "training_ops": ops["training_ops"],
                    "training_joules": ops["training_joules"],
                    "joules_per_inference": ops["inference_joules"] / len(X_test),
                }
            )
            curves.append(curve.assign(task=task_name, kind=kind, seed=task_seed))
            timings.append(
                {
                    "task": task_name,
                    "kind": kind,
                    "seed": task_seed,
                    "train_seconds": train_seconds,
                    "predict_seconds": predict_seconds,
                }
            )
    return Result(
        metrics=pd.DataFrame(rows),
        timings=pd.DataFrame(timings),
        tables={"curves": pd.concat(curves, ignore_index=True)},
    )
