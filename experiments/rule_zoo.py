"""Every registered learning rule of both packages on digits: accuracy and cost.

The rules are read from ``ann.RULES`` and ``snn.RULES`` when the experiment
runs, so a rule registered by a user (see docs/extending.md) appears here
without editing this file. Every rule trains under the same stopping rule
(:mod:`experiments._energy`: chunks of ``chunk_size`` samples until the
chance-corrected validation accuracy reaches ``target``, at most
``max_epochs``); its training energy is priced from its operation counts on
each of :data:`experiments.learners.ENERGY_TABLES`, and its accuracy read on
the test split at the stopping point. Next to the rules, the reference
learners of :mod:`experiments.reference` (logistic regression on raw inputs,
1-nearest neighbour, k-means prototypes with as many prototypes as the
spiking network has neurons plus the vote, the majority class) are fitted
once on the same training samples and scored on the same test samples (rows
with ``rule`` "reference"; their energy is not counted).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter

from experiments import reference
from experiments._base import Presets, Result, register_experiment
from experiments._energy import (
    reference_stops,
    train_to_target,
)
from experiments.learners import (
    ENERGY_TABLES,
    KINDS,
    make_learner,
    operations,
    subsample,
)
from experiments.stats import finite_interval, interval_table, paired_difference
from experiments.style import color, figure, titled_over_legend
from experiments.sweep_figures import Panel, bars, metric_rows, panel_grid
from tasks import load_task


@dataclass(frozen=True)
class Settings(Presets):
    task: str = "digits"
    n_seeds: int = 5
    n_train: int | None = None
    n_test: int | None = None
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})
    rule_params: dict = field(default_factory=dict)  # {"kind:rule": {...}}
    target: float = 0.8  # chance-corrected validation accuracy that stops training
    chunk_size: int = 200  # samples between validation checkpoints
    max_epochs: dict = field(default_factory=lambda: {"ann": 30, "snn": 2})
    references: tuple = reference.CLASSIFICATION

    QUICK = dict(
        n_seeds=1,  # the quick preset's time is kept; intervals need the full preset's 5
        n_train=300,
        n_test=150,
        target=0.7,
        chunk_size=100,
        max_epochs={"ann": 20, "snn": 1},
    )


def registered_rules() -> list[tuple[str, str]]:
    """``(kind, rule)`` for every rule registered in ``ann.RULES`` and ``snn.RULES``."""
    import ann
    import snn

    return [("ann", name) for name in ann.RULES] + [("snn", name) for name in snn.RULES]


#: The learner of each rule (the rule is named beside it: "MLP (backprop)" would
#: misname the MLP's other rules).
LEARNERS = {"ann": "MLP", "snn": "spiking network"}
#: The ``rule`` of the reference learners' rows in ``metrics.csv``.
REFERENCE = "reference"
#: The row every other row's accuracy is compared with, paired by seed: the MLP with backprop.
BASELINE = ("ann", "backprop")


def _name(kind: str, rule: str) -> str:
    """How a row is named in the figures: "learner: rule", or the reference learner's label."""
    if rule == REFERENCE:
        return reference.legend_label(kind)
    return f"{kind}: {rule}"


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Label positions: ``values`` (ascending) moved apart to at least ``gap``, centred."""
    positions = np.array(values, dtype=float)
    for i in range(1, len(positions)):
        positions[i] = max(positions[i], positions[i - 1] + gap)
    return positions - (positions.mean() - np.mean(values))


def _figures(result: Result, settings: Settings) -> dict:
    metrics = result.metrics
    table = interval_table(metrics, ["kind", "rule"], "accuracy").rename(
        columns={"mean": "accuracy"}
    )
    joules = metrics.groupby(["kind", "rule"], sort=False)[
        f"training_joules_{ENERGY_TABLES[0]}"
    ].mean()
    table["joules"] = [joules[key] for key in zip(table.kind, table.rule)]
    seeds = metrics["seed"].nunique()
    fig, (left, right) = figure(1, 2, figsize=(14, 5.0))
    names = [_name(k, r) for k, r in zip(table.kind, table.rule)]
    y = np.arange(len(table))
    colors = [reference.learner_color(k) for k in table.kind]
    # 95% t-interval over seeds as the error bar (none with one seed)
    error = np.nan_to_num([table.accuracy - table.low, table.high - table.accuracy])
    left.barh(y, table.accuracy, xerr=error, color=colors)
    left.set_yticks(y, names)
    left.invert_yaxis()
    left.set_xlabel(f"test accuracy on {settings.task}")
    left.set_xlim(0, 1)
    low, high = table.joules.min() / 1.3, table.joules.max() * 12
    # The accuracy axis spans the learners' intervals (the references far below, such as
    # the majority class, are in the bars on the left), so that close rules stay apart.
    learners = table[table.rule != REFERENCE]
    bottom = min(
        0.7, np.floor((np.nanmin(learners.low.fillna(learners.accuracy)) - 0.03) * 20) / 20
    )
    gap = 0.05 * (1.0 - bottom)
    for kind in KINDS:
        rows = table[table.kind == kind].sort_values("accuracy")
        right.errorbar(
            rows.joules,
            rows.accuracy,
            yerr=np.nan_to_num([rows.accuracy - rows.low, rows.high - rows.accuracy]),
            fmt="o",
            markersize=6,
            capsize=2,
            color=color(kind),
            label=LEARNERS[kind],
        )
        # Rules of one learner often cost nearly the same: their names go in one
        # column right of the learner's points, spread apart, each joined to its point.
        column = rows.joules.max() * 1.6
        for (_, row), text_y in zip(rows.iterrows(), _spread(rows.accuracy.to_numpy(), gap)):
            right.annotate(
                row.rule,
                (row.joules, row.accuracy),
                xytext=(column, text_y),
                textcoords="data",
                fontsize=8,
                va="center",
                arrowprops=dict(arrowstyle="-", color="0.6", lw=0.6),
            )
    right.set_xscale("log")
    right.set_xlim(low, high)
    # Within a decade, label 1, 1.5, 2, 3, 5, 7 x 10^k rather than crowded minor ticks.
    right.xaxis.set_major_locator(LogLocator(subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    right.xaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
    right.xaxis.set_minor_formatter(NullFormatter())
    right.set_xlabel(
        f"training energy to stop (J, cost table {ENERGY_TABLES[0]}, all counted operations)"
    )
    right.set_ylabel("test accuracy (mean, 95% interval)")
    right.set_ylim(bottom, 1)
    for _, row in table[table.rule == REFERENCE].iterrows():
        if row.accuracy >= bottom:
            right.axhline(
                row.accuracy,
                color=reference.learner_color(row.kind),
                lw=0.8,
                ls="--",
                label=_name(row.kind, row.rule),
            )
    handles, labels = right.get_legend_handles_labels()
    titled_over_legend(
        fig,
        f"Every registered learning rule on {settings.task}, next to reference learners "
        f"(n = {seeds} seed{'s' if seeds != 1 else ''}; error bars: 95% t-interval over seeds)",
        handles,
        labels,
        ncol=3,
        space=0.1,
    )
    return {"rule_zoo": fig}


def _summary(result: Result, settings: Settings) -> str:
    metrics = result.metrics
    lines = [
        f"# Rule zoo ({settings.task}, {settings.n_seeds} seed(s), mean [95% t-interval])",
        "",
        f"Stopping rule for every rule: chunks of {settings.chunk_size} samples until the "
        f"chance-corrected validation accuracy reaches {settings.target} (at most "
        + ", ".join(f"{n} epochs for {LEARNERS.get(k, k)}" for k, n in settings.max_epochs.items())
        + "). Training energy: every counted operation priced on "
        'each cost table (core.energy). Reference learners (rule "reference"): fitted once '
        "on the same training samples, scored on the same test samples; their energy is not "
        f"counted. Accuracy minus the {_name(*BASELINE)}'s: paired by seed (every row of a "
        "seed trains on the same samples and is scored on the same test samples).",
        "",
        f"| learner | rule | test accuracy | minus {_name(*BASELINE)} (paired) | reached | "
        "samples | " + " | ".join(f"training J ({t})" for t in ENERGY_TABLES) + " |",
        "| --- | --- | --- | --- | --- | --- | " + " | ".join("---" for _ in ENERGY_TABLES) + " |",
    ]
    accuracy = metrics.pivot_table(index="seed", columns=["kind", "rule"], values="accuracy")

    def cell(values, fmt):
        # values is a column of metrics: its interval is clipped to the column's range
        mean, low, high = finite_interval(values, bounds=values.name)
        if not np.isfinite(mean):
            return "-"
        if not np.isfinite(low):
            return format(mean, fmt)
        return f"{format(mean, fmt)} [{format(low, fmt)}, {format(high, fmt)}]"

    for (kind, rule), rows in metrics.groupby(["kind", "rule"], sort=False):
        energy = " | ".join(cell(rows[f"training_joules_{t}"], ".3g") for t in ENERGY_TABLES)
        difference = (
            paired_difference(
                accuracy[(kind, rule)], accuracy[BASELINE], bounds="accuracy"
            ).format()
            if BASELINE in accuracy and (kind, rule) != BASELINE
            else ""
        )
        lines.append(
            f"| {LEARNERS.get(kind, reference.LABELS.get(kind, kind))} | {rule} | {cell(rows.accuracy, '.3f')} | "
            f"{difference} | {int(rows.reached.sum())}/{len(rows)} | "
            f"{cell(rows.samples_to_target, '.0f')} | {energy} |"
        )
    return "\n".join(lines)


def _aggregate_figures(aggregate) -> dict:
    """Every registered rule: accuracy, the fraction of runs reaching the target, samples and
    training energy to the stop, means over runs with intervals."""
    summary = aggregate.summary
    rules = list(dict.fromkeys(zip(summary["kind"], summary["rule"])))
    kinds = [kind for kind, _ in rules]
    names = [_name(kind, rule) for kind, rule in rules]
    joules = f"training_joules_{ENERGY_TABLES[0]}"

    def draw(metric, xlabel, log, limits=None):
        def panel(ax, rows):
            rows = metric_rows(rows, metric)
            bars(
                ax,
                rows.assign(name=[_name(k, r) for k, r in zip(rows["kind"], rows["rule"])]),
                "name",
                categories=names,
                category_color=lambda name: reference.learner_color(dict(zip(names, kinds))[name]),
                log=log,
                horizontal=True,
            )
            ax.set_xlabel(xlabel)
            if limits:
                ax.set_xlim(*limits)

        return panel

    panels = [
        Panel("test accuracy", draw("accuracy", "test accuracy", False, (0, 1))),
        Panel("reached the target", draw("reached", "fraction of runs", False, (0, 1))),
        Panel("samples to the stop", draw("samples_to_target", "training samples", True)),
        Panel(
            "energy to the stop",
            draw(joules, f"training energy (J, cost table {ENERGY_TABLES[0]})", True),
        ),
    ]
    figure = panel_grid(
        aggregate,
        panels,
        ["kind", "rule"],
        "Every registered learning rule, trained until the validation target or the budget",
        panel_size=(3.9, 0.35 * len(names) + 1.8),
        note="Colours: MLP rules blue, spiking rules red; reference learners in their own "
        "colours (no energy counted).",
    )
    return {"rule_zoo": figure}


@register_experiment(order=70)
def run(settings: Settings, seed: int) -> Result:
    """every registered learning rule of both packages on digits: accuracy and cost"""
    reference.check_references(settings.references)
    rows, timings = [], []
    rules = registered_rules()
    for run_seed in settings.seed_runs(seed, "rule_zoo"):
        task = load_task(settings.task, seed=run_seed)
        rng = np.random.default_rng(run_seed)
        X_fit, y_fit = subsample(task.X_train, task.y_train, settings.n_train, rng)
        X_val, y_val = task.X_val, task.y_val
        X_test, y_test = subsample(task.X_test, task.y_test, settings.n_test, rng)
        for kind, rule in rules:
            params = {
                **settings.params.get(kind, {}),
                **settings.rule_params.get(f"{kind}:{rule}", {}),
                "rule": rule,
            }
            estimator = make_learner(kind, task, random_state=run_seed, **params)
            started = time.perf_counter()
            curve, reached = train_to_target(
                estimator, kind, task, (X_fit, y_fit), (X_val, y_val), settings
            )
            seconds = time.perf_counter() - started
            ops = operations(estimator)
            rows.append(
                {
                    "kind": kind,
                    "rule": rule,
                    "seed": run_seed,
                    "accuracy": float(estimator.score(X_test, y_test)),
                    "reached": bool(reached),
                    "samples_to_target": int(curve["samples_seen"].iloc[-1]),
                    "unit": ops["unit"],
                    "training_ops": ops["training_ops"],
                    "training_joules": ops["training_joules"],
                    **{f"training_joules_{t}": ops[f"training_joules_{t}"] for t in ENERGY_TABLES},
                }
            )
            timings.append({"kind": kind, "rule": rule, "seed": run_seed, "train_seconds": seconds})
        rows += reference_rows(
            task, (X_fit, y_fit), (X_val, y_val), (X_test, y_test), settings, run_seed
        )
    return Result(metrics=pd.DataFrame(rows), timings=pd.DataFrame(timings))


def reference_rows(task, fit, validation, test, settings: Settings, seed: int) -> list[dict]:
    """Rows of ``metrics.csv`` for the reference learners of ``settings.references``
    (:func:`experiments._energy.reference_stops`: fitted once on all of ``fit``, scored on
    ``test``); energy NaN (not counted)."""
    stops = reference_stops(
        task,
        fit,
        validation,
        test,
        target=settings.target,
        names=settings.references,
        n_prototypes=reference.matching_prototypes(settings.params.get("snn", {})),
        seed=seed,
    )
    return [
        {
            "kind": stop["kind"],
            "rule": REFERENCE,
            "seed": seed,
            "accuracy": stop["test_accuracy"],
            "reached": stop["reached"],
            "samples_to_target": stop["samples_to_target"],
            "unit": np.nan,
            "training_ops": np.nan,
            "training_joules": np.nan,
            **{f"training_joules_{t}": np.nan for t in ENERGY_TABLES},
        }
        for stop in stops
    ]
