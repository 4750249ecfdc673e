"""The learner matrix: {rate, spiking} neurons x {backprop, feedback alignment}, beside the STDP network.

The MLP and the Brian2 STDP network differ in two things at once, their
neurons (rates against spikes) and their learning (a global gradient against
a local Hebbian rule), so a difference between them cannot be attributed to
either. Holding one factor fixed while varying the other takes a third
learner: a spiking network trained by gradients through a surrogate
derivative (:class:`ann.SpikingMLPClassifier`; Neftci, Mostafa & Zenke 2019,
IEEE Signal Processing Magazine 36:51). The four gradient learners form a
2 x 2 design,

==================  =============================  ===================================
                    backprop (global)              feedback alignment (local-ish)
==================  =============================  ===================================
rate neurons        ``MLPClassifier``              ``MLPClassifier(rule="feedback_alignment")``
spiking neurons     ``SpikingMLPClassifier``       ``SpikingMLPClassifier(rule="feedback_alignment")``
==================  =============================  ===================================

and the STDP network (spikes and a local unsupervised rule with a fitted
readout) stands beside them. For every task and seed each metric is
decomposed into the main effect of spikes (spiking minus rate, averaged over
the two rules), the main effect of the rule (feedback alignment minus
backprop, averaged over the two neuron models) and their interaction
(the rule's effect with spikes minus its effect with rates); means and 95%
t-intervals are over seeds.

Evaluation: every task's training split is cut into a fitting part and a
validation part (the task's own ``X_val`` where it has one, otherwise 20%
carved from the training split, stratified, seeded). Each gradient learner
tries the same number of learning rates; the one with the best final
validation accuracy is kept, and only that model is scored on the test
split. Budgets are matched: the four gradient learners have the same hidden
units, epochs, minibatch size and optimizer (Adam) and the same number of
tuning trials; the STDP network has as many excitatory neurons, its own
tuned defaults and ``stdp_epochs`` passes (it learns in one or two passes
and is not stepped by an optimizer).

Tasks: the classification tasks with enough samples for a validation split
(iris and digits in the full preset; xor has four samples, and
seed_regression is a regression, which the STDP network's vote readout and
the accuracy-based metrics do not cover).

Metrics per learner, task and seed: test accuracy; accuracy under Gaussian
input noise (the clean-trained model, test inputs plus N(0, noise_level^2),
clipped to [0, 1]); training energy and energy per prediction (the
learner's ``cost()`` operation counts priced by :mod:`core.energy`);
training samples and updates (optimizer steps; presentations for STDP)
until the validation accuracy, corrected for chance, first reaches
``target_kappa``; and on digits, forgetting: accuracy on digits 0-4 after
learning them, minus after then learning 5-9.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.random import child_seeds
from experiments._base import Presets, Result, register_experiment
from experiments.runner import progress
from experiments.stats import mean_interval
from experiments.style import figure
from tasks import load_task

#: The 2 x 2 design: learner -> (neurons, rule).
DESIGN = {
    "rate_backprop": ("rate", "backprop"),
    "rate_feedback_alignment": ("rate", "feedback_alignment"),
    "spiking_backprop": ("spiking", "backprop"),
    "spiking_feedback_alignment": ("spiking", "feedback_alignment"),
}
STDP = "stdp"
LEARNERS = (*DESIGN, STDP)
RULE_COLORS = {"backprop": "#1f77b4", "feedback_alignment": "#ff7f0e"}
RULE_LABELS = {"backprop": "backprop", "feedback_alignment": "feedback alignment"}
STDP_COLOR = "#d62728"

#: metric -> (axis label, analysed on a log10 scale?, higher is better?)
METRICS = {
    "test_accuracy": ("test accuracy", False, True),
    "noisy_accuracy": ("test accuracy under noise", False, True),
    "training_joules": ("training energy (J)", True, False),
    "joules_per_prediction": ("energy per prediction (J)", True, False),
    "samples_to_target": ("training samples to target", True, False),
    "updates_to_target": ("updates to target", True, False),
    "forgetting": ("forgetting (accuracy on 0-4 lost)", False, False),
}
FIRST, SECOND = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


@dataclass(frozen=True)
class Settings(Presets):
    """The full preset: iris and digits, 5 seeds, 128 hidden units, 20 epochs.

    Times (2-core machine). Quick: measured 905 s wall at a load average of
    14-16 (six other jobs), of which 134 s CPU; the run is single-threaded,
    so on idle cores its wall time is its CPU time, about 2.5 minutes, 80% of
    it the STDP network (timings.csv). Full, projected from the quick run
    and bench/RESULTS.md: per digits seed the STDP network on 3.6 times the
    samples with twice the neurons (~150 s for the matrix cell and the
    forgetting run) plus two spiking MLPs with two learning rates each at
    ~12 s per fit (~50 s); iris adds ~30 s per seed: about 20 minutes for 5
    seeds.
    """

    tasks: tuple = ("iris", "digits")
    n_seeds: int = 5
    n_train: int | None = None  # cap on the fitting part per task (None: all)
    n_val: int | None = None  # cap on the validation part
    n_test: int | None = None
    hidden_units: int = 128
    epochs: int = 20
    batch_size: int = 64
    checkpoints_per_epoch: int = 2
    learning_rates: dict = field(
        default_factory=lambda: {"rate": (0.005, 0.02), "spiking": (0.005, 0.01)}
    )
    spiking_params: dict = field(default_factory=lambda: {"n_steps": 20})
    stdp_epochs: int = 1
    stdp_checkpoints_per_epoch: int = 2  # each checkpoint simulates the validation set
    stdp_params: dict = field(
        default_factory=lambda: {"presentation_time_ms": 100.0, "rest_time_ms": 50.0}
    )
    include_stdp: bool = True
    target_kappa: float = 0.8
    noise_level: float = 0.3
    forgetting_epochs: int = 5
    energy_table: str = "horowitz45_fp32"

    QUICK = dict(
        tasks=("digits",),
        n_seeds=3,
        n_train=300,
        n_val=150,
        n_test=200,
        hidden_units=64,
        epochs=6,
        learning_rates={"rate": (0.02,), "spiking": (0.01,)},
        spiking_params={"n_steps": 10},
        forgetting_epochs=3,
        stdp_checkpoints_per_epoch=1,
    )


# -- building and measuring learners ------------------------------------------------------------


def make(learner: str, settings: Settings, learning_rate, random_state):
    """An unfitted classifier for one cell of the matrix (or the STDP network)."""
    if learner == STDP:
        from brian2 import ms

        from snn import STDPClassifier

        params = {
            key[:-3] if key.endswith("_ms") else key: value * ms if key.endswith("_ms") else value
            for key, value in settings.stdp_params.items()
        }
        return STDPClassifier(
            n_neurons=settings.hidden_units,
            epochs=settings.stdp_epochs,
            random_state=random_state,
            **params,
        )
    neurons, rule = DESIGN[learner]
    common = dict(
        hidden_layer_sizes=(settings.hidden_units,),
        rule=rule,
        learning_rate=learning_rate,
        batch_size=settings.batch_size,
        epochs=settings.epochs,
        random_state=random_state,
    )
    if neurons == "rate":
        from ann import MLPClassifier

        return MLPClassifier(**common)
    from ann import SpikingMLPClassifier

    return SpikingMLPClassifier(**common, **settings.spiking_params)


def energy(estimator, X, table_name: str) -> tuple[float, float]:
    """Training joules so far and joules per prediction of ``X``, from ``estimator.cost(X)``.

    The learner's operation counts (:mod:`core.opcounts`) priced on the cost
    table ``table_name`` (:mod:`core.energy`). A learner that does not report
    a cost table gets NaN: partial counts (say, multiply-accumulates without
    memory traffic) priced beside complete ones would bias the comparison.
    """
    from core.energy import total_joules

    try:
        counts = estimator.cost(X)
    except (AttributeError, TypeError):  # no cost(), or no cost(X): no counts by category
        return np.nan, np.nan
    if not isinstance(counts, pd.DataFrame):
        return np.nan, np.nan
    train = float(total_joules(counts, table_name, phase="train").iloc[0])
    inference = float(total_joules(counts, table_name, phase="inference").iloc[0])
    return train, inference / len(X)


def updates_per_pass(learner: str, n_samples: int, batch_size: int) -> int:
    """Updates one pass over ``n_samples`` takes: optimizer steps, or presentations for STDP."""
    if learner == STDP:
        return n_samples
    return -(-n_samples // batch_size)


def chance_corrected(accuracy, n_classes: int):
    """``(accuracy - chance) / (1 - chance)`` with chance ``1 / n_classes`` (balanced classes)."""
    chance = 1.0 / n_classes
    return (np.asarray(accuracy) - chance) / (1.0 - chance)


def train_with_curve(estimator, learner, settings, X, y, classes, X_val, y_val, epochs):
    """``partial_fit`` in chunks, validation accuracy after each; returns the curve and seconds."""
    checkpoints = (
        settings.stdp_checkpoints_per_epoch if learner == STDP else settings.checkpoints_per_epoch
    )
    chunks = np.array_split(np.arange(len(X)), checkpoints)
    rows, seen, updates, seconds = [], 0, 0, 0.0
    for epoch in range(1, epochs + 1):
        for chunk in chunks:
            started = time.perf_counter()
            estimator.partial_fit(X[chunk], y[chunk], classes=classes)
            seconds += time.perf_counter() - started
            seen += len(chunk)
            updates += updates_per_pass(learner, len(chunk), settings.batch_size)
            rows.append(
                {
                    "epoch": epoch,
                    "samples_seen": seen,
                    "updates": updates,
                    "val_accuracy": float(estimator.score(X_val, y_val)),
                }
            )
    return pd.DataFrame(rows), seconds


def first_reaching(curve: pd.DataFrame, column: str, kappa, target: float) -> float:
    """``column`` at the first checkpoint where ``kappa`` reaches ``target`` (NaN if never)."""
    reached = np.flatnonzero(np.asarray(kappa) >= target)
    return float(curve[column].iloc[reached[0]]) if len(reached) else np.nan


def split_for_validation(task, seed: int):
    """(X_fit, y_fit, X_val, y_val): the task's validation split, or 20% carved from training."""
    if getattr(task, "X_val", None) is not None and len(task.X_val):
        return task.X_train, task.y_train, task.X_val, task.y_val
    from sklearn.model_selection import train_test_split

    X_fit, X_val, y_fit, y_val = train_test_split(
        task.X_train, task.y_train, test_size=0.2, stratify=task.y_train, random_state=seed
    )
    return X_fit, y_fit, X_val, y_val


def capped(X, y, n, rng):
    """At most ``n`` rows, class-stratified, in a seeded order."""
    from experiments.learners import subsample

    return subsample(X, y, n, rng)


# -- effects ---------------------------------------------------------------------------------------


def interval(values) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval over seeds (:func:`experiments.stats.mean_interval`);
    infinite values are dropped, all NaN for no value, NaN bounds for one."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    found = mean_interval(values)
    return found.mean, found.low, found.high


def effects(metrics: pd.DataFrame) -> pd.DataFrame:
    """Main effects of spikes and of the rule and their interaction, per task and metric.

    Computed per seed from the four cells of the design (log10 values for
    the metrics analysed on a log scale, so an effect of 1 is a factor 10),
    then averaged over seeds with a 95% t-interval.
    """
    rows = []
    for (task, metric), group in _cells(metrics).groupby(["task", "metric"], sort=False):
        table = group.pivot(index="seed", columns="learner", values="value")
        if not set(DESIGN) <= set(table.columns):
            continue
        rb, rf = table["rate_backprop"], table["rate_feedback_alignment"]
        sb, sf = table["spiking_backprop"], table["spiking_feedback_alignment"]
        per_seed = {
            "spikes": ((sb + sf) - (rb + rf)) / 2,
            "rule": ((rf + sf) - (rb + sb)) / 2,
            "interaction": (sf - sb) - (rf - rb),
        }
        for effect, values in per_seed.items():
            mean, low, high = interval(values)
            rows.append(
                {
                    "task": task,
                    "metric": metric,
                    "log10": METRICS[metric][1],
                    "effect": effect,
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "n_seeds": int(np.isfinite(values).sum()),
                }
            )
    return pd.DataFrame(rows)


def _cells(metrics: pd.DataFrame) -> pd.DataFrame:
    """Long table (task, learner, seed, metric, value), log10 where the metric says so."""
    present = [m for m in METRICS if m in metrics.columns]
    long = metrics.melt(
        id_vars=["task", "learner", "seed"], value_vars=present, var_name="metric"
    ).dropna(subset=["value"])
    log = long["metric"].map(lambda m: METRICS[m][1])
    long.loc[log, "value"] = np.log10(long.loc[log, "value"].astype(float))
    return long


def attribute(rows: pd.DataFrame) -> str:
    """Which factor accounts for a metric's differences, from its three effect intervals."""
    resolved = rows[(rows["low"] > 0) | (rows["high"] < 0)]
    if resolved.empty:
        return "neither (every interval contains 0)"
    top = resolved.loc[resolved["mean"].abs().idxmax()]
    if top["effect"] == "interaction":
        return "the combination (interaction larger than either main effect)"
    other = resolved[(resolved["effect"] != top["effect"]) & (resolved["effect"] != "interaction")]
    name = "spikes" if top["effect"] == "spikes" else "the learning rule"
    if not other.empty:
        return f"mostly {name}; both main effects resolved"
    return name


# -- figures and summary ---------------------------------------------------------------------------


def _mean_and_error(values, log: bool):
    """Mean and (lower, upper) error-bar lengths over seeds; geometric on a log scale."""
    values = np.asarray(values, dtype=float)
    if log:
        values = np.log10(values[values > 0])
    mean, low, high = interval(values)
    if log:
        mean, low, high = (10**v if np.isfinite(v) else np.nan for v in (mean, low, high))
    below = mean - low if np.isfinite(low) else 0.0
    above = high - mean if np.isfinite(high) else 0.0
    return mean, below, above


PANEL_COLUMNS = 4


def _mark_missing(ax, x: float, metric: str) -> None:
    """Say why a learner has no point in this panel."""
    text = "not reached" if metric.endswith("_to_target") else "not counted"
    ax.text(
        x,
        0.5,
        text,
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="center",
        rotation=90,
        fontsize=8,
        color="0.4",
    )


def _figures(result: Result, settings: Settings) -> dict:
    metrics = result.metrics
    tasks = list(dict.fromkeys(metrics["task"]))
    shown = [m for m in METRICS if m in metrics.columns and metrics[m].notna().any()]
    rows_per_task = -(-len(shown) // PANEL_COLUMNS)
    fig, axes = figure(
        rows_per_task * len(tasks),
        PANEL_COLUMNS,
        figsize=(3.3 * PANEL_COLUMNS, 3.0 * rows_per_task * len(tasks)),
        squeeze=False,
    )
    for ax in axes.ravel():
        ax.set_visible(False)
    for t, task in enumerate(tasks):
        rows = metrics[metrics["task"] == task]
        for index, metric in enumerate(shown):
            ax = axes[t * rows_per_task + index // PANEL_COLUMNS, index % PANEL_COLUMNS]
            ax.set_visible(True)
            ylabel, log, _ = METRICS[metric]
            for offset, rule in ((-0.04, "backprop"), (0.04, "feedback_alignment")):
                points = [
                    _mean_and_error(rows.loc[rows["learner"] == f"{neurons}_{rule}", metric], log)
                    for neurons in ("rate", "spiking")
                ]
                ax.errorbar(
                    np.array([0, 1]) + offset,
                    [p[0] for p in points],
                    yerr=[[p[1] for p in points], [p[2] for p in points]],
                    color=RULE_COLORS[rule],
                    marker="o",
                    capsize=3,
                    label=f"{RULE_LABELS[rule]} (gradient)",
                )
            stdp = rows.loc[rows["learner"] == STDP, metric]
            if stdp.notna().any():
                mean, below, above = _mean_and_error(stdp, log)
                ax.errorbar(
                    [2],
                    [mean],
                    yerr=[[below], [above]],
                    color=STDP_COLOR,
                    marker="s",
                    capsize=3,
                    label="STDP network",
                )
            for x, learner in ((0, "rate_backprop"), (1, "spiking_backprop"), (2, STDP)):
                values = rows.loc[rows["learner"] == learner, metric]
                if len(values) and values.isna().all():
                    _mark_missing(ax, x, metric)
            ax.axvline(1.5, color="0.75", linewidth=0.8, linestyle=":")
            ax.set_xticks([0, 1, 2], ["rate", "spiking", "STDP"])
            ax.set_xlim(-0.4, 2.4)
            ax.set_xlabel("neurons")
            ax.set_ylabel(ylabel)
            if log:
                ax.set_yscale("log")
            ax.set_title(task, fontsize=9)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(
        "Spikes x learning rule (mean and 95% interval over seeds): the slope of a line is the "
        "effect of spikes,\nthe gap between the lines the effect of the rule, non-parallel "
        "lines an interaction; the STDP network on the right",
        fontsize=9,
    )
    fig.tight_layout()
    return {"learner_matrix": fig}


def _fmt(value, log=False) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3g}" if not log else f"{value:+.2f}"


def _summary(result: Result, settings: Settings) -> str:
    metrics, table = result.metrics, result.tables["effects"]
    lines = [
        "# Learner matrix: spikes x learning rule",
        "",
        f"{settings.n_seeds} seed(s); tasks {', '.join(settings.tasks)}. Budgets: "
        f"{settings.hidden_units} hidden units (STDP: as many neurons), {settings.epochs} epochs "
        f"in minibatches of {settings.batch_size} with Adam for the four gradient learners, "
        f"{len(settings.learning_rates['rate'])} learning rate(s) each chosen on validation "
        f"(rate {settings.learning_rates['rate']}, spiking {settings.learning_rates['spiking']}); "
        f"STDP {settings.stdp_epochs} epoch(s) at its tuned defaults. Energy: "
        f"{settings.energy_table} ({'core.energy'}). Target: chance-corrected validation "
        f"accuracy {settings.target_kappa}. Noise: Gaussian, sd {settings.noise_level}.",
        "",
        "## Mean and 95% interval over seeds",
        "",
    ]
    shown = [m for m in METRICS if m in metrics.columns]
    lines.append("| task | learner | " + " | ".join(METRICS[m][0] for m in shown) + " |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in shown) + " |")
    for (task, learner), rows in metrics.groupby(["task", "learner"], sort=False):
        cells = []
        for metric in shown:
            values = rows[metric].astype(float)
            log = METRICS[metric][1]
            mean, low, high = interval(np.log10(values) if log else values)
            if log:
                mean, low, high = (10**v if np.isfinite(v) else np.nan for v in (mean, low, high))
            cells.append(f"{_fmt(mean)} [{_fmt(low)}, {_fmt(high)}]")
        lines.append(f"| {task} | {learner} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Which factor accounts for each difference",
        "",
        "Main effects (spiking minus rate; feedback alignment minus backprop, each averaged "
        "over the other factor) and interaction, mean [95% interval] over seeds; metrics "
        "marked log10 are compared as log10 ratios (+1 = ten times more).",
        "",
        "| task | metric | spikes | rule | interaction | accounted for by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (task, metric), rows in table.groupby(["task", "metric"], sort=False):
        by = rows.set_index("effect")
        log = bool(rows["log10"].iloc[0])
        cells = [
            f"{_fmt(by.loc[e, 'mean'], log)} [{_fmt(by.loc[e, 'low'], log)}, "
            f"{_fmt(by.loc[e, 'high'], log)}]"
            for e in ("spikes", "rule", "interaction")
        ]
        name = METRICS[metric][0] + (" (log10)" if log else "")
        lines.append(f"| {task} | {name} | " + " | ".join(cells) + f" | {attribute(rows)} |")
    lines += [
        "",
        "n/a: a target never reached within the budget, or a learner without operation "
        "counts by category (its energy is not priced). Note that the cost tables price a "
        "neuron update as the Diehl & Cook network's conductance-based neuron (7 multiplies, "
        "11 adds), which overstates the arithmetic of the spiking MLP's leaky integrate-and-fire "
        "update (1 multiply, 2 adds).",
    ]
    if result.timings is not None and len(result.timings):
        lines += [
            "",
            f"Wall time of this run: {result.timings['seconds'].sum():.0f} s of training and "
            "scoring (timings.csv).",
        ]
    return "\n".join(lines)


# -- the run ---------------------------------------------------------------------------------------


def _run_cell(learner, settings, task, data, seed, rng):
    """Tune (on validation), train and measure one learner on one task and seed."""
    X_fit, y_fit, X_val, y_val, X_test, y_test = data
    n_classes = len(task.classes)
    grid = (None,) if learner == STDP else settings.learning_rates[DESIGN[learner][0]]
    epochs = settings.stdp_epochs if learner == STDP else settings.epochs
    trials, started = [], time.perf_counter()
    for learning_rate in grid:
        estimator = make(learner, settings, learning_rate, seed)
        curve, seconds = train_with_curve(
            estimator, learner, settings, X_fit, y_fit, task.classes, X_val, y_val, epochs
        )
        trials.append((curve["val_accuracy"].iloc[-1], learning_rate, estimator, curve, seconds))
    best = max(trials, key=lambda trial: trial[0])  # first of equals: grids are ordered
    _, learning_rate, estimator, curve, train_seconds = best
    kappa = chance_corrected(curve["val_accuracy"], n_classes)
    noisy = np.clip(X_test + settings.noise_level * rng.standard_normal(X_test.shape), 0.0, 1.0)
    training_joules, joules_per_prediction = energy(estimator, X_test, settings.energy_table)
    row = {
        "task": task.name,
        "learner": learner,
        "neurons": DESIGN.get(learner, ("spiking", "stdp"))[0],
        "rule": DESIGN.get(learner, ("spiking", "stdp"))[1],
        "seed": seed,
        "learning_rate": np.nan if learning_rate is None else learning_rate,
        "n_fit": len(X_fit),
        "n_val": len(X_val),
        "n_test": len(X_test),
        "val_accuracy": float(curve["val_accuracy"].iloc[-1]),
        "test_accuracy": float(estimator.score(X_test, y_test)),
        "noisy_accuracy": float(estimator.score(noisy, y_test)),
        "training_joules": training_joules,
        "joules_per_prediction": joules_per_prediction,
        "samples_to_target": first_reaching(curve, "samples_seen", kappa, settings.target_kappa),
        "updates_to_target": first_reaching(curve, "updates", kappa, settings.target_kappa),
    }
    tuning = [
        {
            "task": task.name,
            "learner": learner,
            "seed": seed,
            "learning_rate": lr,
            "val_accuracy": v,
        }
        for v, lr, *_ in trials
    ]
    curve = curve.assign(task=task.name, learner=learner, seed=seed)
    return row, tuning, curve, learning_rate, time.perf_counter() - started, train_seconds


def _forgetting(learner, settings, task, learning_rate, seed, rng) -> float:
    """Accuracy on digits 0-4 after learning them minus after then learning 5-9."""
    halves = []
    for digits in (FIRST, SECOND):
        keep = np.isin(task.y_train, digits)
        halves.append(capped(task.X_train[keep], task.y_train[keep], settings.n_train, rng))
    keep = np.isin(task.y_test, FIRST)
    X_first, y_first = capped(task.X_test[keep], task.y_test[keep], settings.n_test, rng)
    estimator = make(learner, settings, learning_rate, seed)
    epochs = settings.stdp_epochs if learner == STDP else settings.forgetting_epochs
    accuracy = []
    for X, y in halves:
        for _ in range(epochs):
            estimator.partial_fit(X, y, classes=task.classes)
        accuracy.append(float(estimator.score(X_first, y_first)))
    return accuracy[0] - accuracy[1]


@register_experiment(
    "learner_matrix",
    "rate vs spiking neurons x backprop vs feedback alignment, beside STDP: which factor matters",
    Settings,
    _figures,
    _summary,
    expected_seconds={"quick": 150, "full": 1200},
    order=90,
)
def run(settings: Settings, seed: int) -> Result:
    learners = LEARNERS if settings.include_stdp else tuple(DESIGN)
    rows, tuning, curves, timings = [], [], [], []
    jobs = [(name, s) for name in settings.tasks for s in child_seeds(seed, settings.n_seeds)]
    for task_name, run_seed in progress(jobs, desc="learner_matrix"):
        task = load_task(task_name, seed=run_seed)
        if task.kind != "classification":
            raise ValueError(f"learner_matrix compares classifiers; task {task_name!r} is not one")
        rng = np.random.default_rng(run_seed)
        X_fit, y_fit, X_val, y_val = split_for_validation(task, run_seed)
        X_fit, y_fit = capped(X_fit, y_fit, settings.n_train, rng)
        X_val, y_val = capped(X_val, y_val, settings.n_val, rng)
        X_test, y_test = capped(task.X_test, task.y_test, settings.n_test, rng)
        data = (X_fit, y_fit, X_val, y_val, X_test, y_test)
        for learner in learners:
            learner_seed = run_seed
            row, trials, curve, learning_rate, seconds, train_seconds = _run_cell(
                learner, settings, task, data, learner_seed, np.random.default_rng(run_seed + 1)
            )
            started = time.perf_counter()
            if task_name == "digits":
                row["forgetting"] = _forgetting(
                    learner,
                    settings,
                    task,
                    learning_rate,
                    learner_seed,
                    np.random.default_rng(run_seed + 2),
                )
            rows.append(row)
            tuning += trials
            curves.append(curve)
            timings.append(
                {
                    "task": task_name,
                    "learner": learner,
                    "seed": run_seed,
                    "train_seconds": train_seconds,
                    "seconds": seconds + time.perf_counter() - started,
                }
            )
    metrics = pd.DataFrame(rows)
    return Result(
        metrics=metrics,
        timings=pd.DataFrame(timings),
        tables={
            "effects": effects(metrics),
            "tuning": pd.DataFrame(tuning),
            "curves": pd.concat(curves, ignore_index=True),
        },
    )
