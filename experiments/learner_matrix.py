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

Beside the learners, the reference learners of :mod:`experiments.reference`
(logistic regression, 1-nearest neighbour, k-means with as many prototypes
as hidden units plus the vote, the majority class; ridge, 1-NN and the mean
for regression) are fitted on the same training samples and scored on the
same test samples: rows of ``metrics.csv`` whose ``learner`` names the
reference and whose ``neurons`` and ``rule`` are ``"reference"`` (only
``test_score`` is measured; the effects leave them out), given in summary.md
with 95% intervals over seeds.

Evaluation: every task's training split is cut into a fitting part and a
validation part (the task's own validation split, ``X_val``: 20% of its
training split, stratified and seeded, as :func:`tasks.load_task` holds it out). Each gradient learner
tries the same number of learning rates; the one with the best final
validation score (accuracy; R^2 for a regression) is kept, and only that
model is scored on the test split. Budgets are matched: the four gradient learners have the same hidden
units, epochs, minibatch size and optimizer (Adam) and the same number of
tuning trials; the STDP network has as many excitatory neurons, its own
tuned defaults and ``stdp_epochs`` passes (it learns in one or two passes
and is not stepped by an optimizer).

Tasks: every task of :data:`tasks.TASKS` that ships its data: xor, iris,
digits, seed_regression (a regression: ``MLPRegressor``,
``SpikingMLPRegressor`` and ``STDPRegressor``, scored by R^2) and
city_traffic. Left out: digits28 (the digits images upscaled to 28 x 28,
the same problem at twelve times the inputs) and mnist / fashion_mnist,
which read files that are not shipped (add them with ``tasks=`` where they
are present). xor's training, validation and test splits are its four
points. Per task, the epochs (``task_epochs``) and the spiking MLPs' input
encoding (``task_spiking_params``) are those its own bars were reached with,
chosen on validation splits (bench/spiking_mlp_small_tasks.py); the four
gradient learners share them, so budgets stay matched within a task.

Metrics per learner, task and seed: test score (accuracy, or R^2 for a
regression); the score under Gaussian input noise (the clean-trained
model, test inputs plus N(0, noise_level^2), clipped to [0, 1]); training
energy and energy per prediction (the learner's ``cost()`` operation
counts priced by :mod:`core.energy`); training samples and updates
(optimizer steps; presentations for STDP) until the validation skill
(accuracy corrected for chance, or R^2) first reaches ``target_skill``; and
on digits, forgetting: accuracy on digits 0-4 after learning them, minus
after then learning 5-9.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.params import Boolean
from experiments import reference
from experiments._base import COUNT, FRACTION, SCORE_TARGET, Presets, Result, register_experiment
from experiments._curves import chance_corrected, chance_of
from experiments.learners import subsample, with_units
from experiments.stats import finite_interval, geometric_interval, mean_interval
from experiments.style import figure, titled_over_legend
from experiments.sweep_figures import Panel, bar_panel, derived_summary, panel_grid
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
#: The ``neurons`` and ``rule`` of the reference learners' rows in ``metrics.csv``.
REFERENCE = "reference"
STDP_COLOR = "#d62728"

#: metric -> (axis label, analysed on a log10 scale?, higher is better?)
METRICS = {
    "test_score": ("test score (accuracy; R² for regression)", False, True),
    "noisy_score": ("test score under input noise", False, True),
    "training_joules": ("training energy (J)", True, False),
    "joules_per_prediction": ("energy per prediction (J)", True, False),
    "samples_to_target": ("training samples to target", True, False),
    "updates_to_target": ("updates to target", True, False),
    "forgetting": ("forgetting (accuracy on 0-4 lost)", False, False),
}
FIRST, SECOND = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


@dataclass(frozen=True)
class Settings(Presets):
    """The full preset: every shipped task, 5 seeds, 128 hidden units.

    Times: see :data:`experiments.expected_time.EXPECTED` (``python -m
    experiments list``); the STDP network takes most of either preset.
    """

    tasks: tuple = ("xor", "iris", "digits", "seed_regression", "city_traffic")
    n_seeds: int = 5
    n_train: int | None = None  # cap on the fitting part per task (None: all)
    n_val: int | None = None  # cap on the validation part
    n_test: int | None = None
    hidden_units: int = 128
    epochs: int = 20  # for tasks not in task_epochs
    # Small tasks take more passes (their bars were reached with these; see
    # bench/spiking_mlp_small_tasks.py and tests/test_ann_estimators.py).
    task_epochs: dict = field(
        default_factory=lambda: {"xor": 300, "iris": 100, "seed_regression": 300}
    )
    batch_size: int = 64
    checkpoints_per_epoch: int = 2
    max_checkpoint_epochs: int = 20  # longer runs are scored every few epochs
    learning_rates: dict = field(
        default_factory=lambda: {"rate": (0.005, 0.02), "spiking": (0.005, 0.01)}
    )
    spiking_params: dict = field(default_factory=lambda: {"n_steps": 20})
    # The spiking MLP's input encoding per task, chosen on validation splits
    # (bench/spiking_mlp_small_tasks.py, bench/RESULTS.md); rate coding elsewhere.
    task_spiking_params: dict = field(
        default_factory=lambda: {
            "iris": {"encoding": "current"},
            "seed_regression": {"encoding": "current"},
        }
    )
    stdp_epochs: int = 1
    stdp_checkpoints_per_epoch: int = 2  # each checkpoint simulates the validation set
    stdp_params: dict = field(
        default_factory=lambda: {"presentation_time_ms": 100.0, "rest_time_ms": 50.0}
    )
    include_stdp: bool = True
    target_skill: float = 0.8
    noise_level: float = 0.3
    forgetting_epochs: int = 5
    energy_table: str = "horowitz45_fp32"

    CONSTRAINTS = {
        **dict.fromkeys(
            (
                "hidden_units epochs batch_size checkpoints_per_epoch max_checkpoint_epochs "
                "stdp_epochs stdp_checkpoints_per_epoch forgetting_epochs"
            ).split(),
            COUNT,
        ),
        "include_stdp": [Boolean()],
        "target_skill": SCORE_TARGET,
        "noise_level": FRACTION,
    }

    QUICK = dict(
        n_seeds=3,
        n_train=150,
        n_val=60,
        n_test=100,
        hidden_units=64,
        epochs=6,
        task_epochs={"xor": 300, "iris": 60, "seed_regression": 100},
        learning_rates={"rate": (0.02,), "spiking": (0.01,)},
        spiking_params={"n_steps": 10},
        forgetting_epochs=3,
        stdp_checkpoints_per_epoch=1,
        stdp_params={"presentation_time_ms": 50.0, "rest_time_ms": 25.0},
    )

    def epochs_for(self, task_name: str) -> int:
        return self.task_epochs.get(task_name, self.epochs)


# -- building and measuring learners ------------------------------------------------------------


def make(
    learner: str,
    settings: Settings,
    learning_rate,
    random_state,
    task_name: str = "digits",
    regression: bool = False,
):
    """An unfitted classifier (regressor, for a regression task) for one cell of the
    matrix, or the STDP network."""
    if learner == STDP:
        from snn import STDPClassifier, STDPRegressor

        return (STDPRegressor if regression else STDPClassifier)(
            n_neurons=settings.hidden_units,
            epochs=settings.stdp_epochs,
            random_state=random_state,
            **with_units(settings.stdp_params),
        )
    neurons, rule = DESIGN[learner]
    common = dict(
        hidden_layer_sizes=(settings.hidden_units,),
        rule=rule,
        learning_rate=learning_rate,
        batch_size=settings.batch_size,
        epochs=settings.epochs_for(task_name),
        random_state=random_state,
    )
    if neurons == "rate":
        from ann import MLPClassifier, MLPRegressor

        return (MLPRegressor if regression else MLPClassifier)(**common)
    from ann import SpikingMLPClassifier, SpikingMLPRegressor

    spiking = {**settings.spiking_params, **settings.task_spiking_params.get(task_name, {})}
    return (SpikingMLPRegressor if regression else SpikingMLPClassifier)(**common, **spiking)


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


def train_with_curve(estimator, learner, settings, X, y, classes, X_val, y_val, epochs):
    """``partial_fit`` in chunks, the validation score after each; returns the curve and seconds.

    ``classes`` is None for a regression. An epoch is cut into
    ``checkpoints_per_epoch`` chunks (fewer where a chunk would hold less
    than a minibatch); runs longer than ``max_checkpoint_epochs`` epochs are
    scored after every few epochs only, and always after the last.
    """
    checkpoints = (
        settings.stdp_checkpoints_per_epoch if learner == STDP else settings.checkpoints_per_epoch
    )
    if learner != STDP:
        checkpoints = max(1, min(checkpoints, len(X) // settings.batch_size))
    chunks = np.array_split(np.arange(len(X)), checkpoints)
    every = max(1, -(-epochs // settings.max_checkpoint_epochs))
    fit_args = {} if classes is None else {"classes": classes}
    rows, seen, updates, seconds = [], 0, 0, 0.0
    for epoch in range(1, epochs + 1):
        scored = epoch % every == 0 or epoch == epochs
        for chunk in chunks:
            started = time.perf_counter()
            estimator.partial_fit(X[chunk], y[chunk], **fit_args)
            seconds += time.perf_counter() - started
            seen += len(chunk)
            updates += updates_per_pass(learner, len(chunk), settings.batch_size)
            if scored:
                rows.append(
                    {
                        "epoch": epoch,
                        "samples_seen": seen,
                        "updates": updates,
                        "val_score": float(estimator.score(X_val, y_val)),
                    }
                )
    return pd.DataFrame(rows), seconds


def first_reaching(curve: pd.DataFrame, column: str, kappa, target: float) -> float:
    """``column`` at the first checkpoint where ``kappa`` reaches ``target`` (NaN if never)."""
    reached = np.flatnonzero(np.asarray(kappa) >= target)
    return float(curve[column].iloc[reached[0]]) if len(reached) else np.nan


# -- effects ---------------------------------------------------------------------------------------


def effect_bounds(metric: str, effect: str) -> tuple[float, float]:
    """The range an effect on ``metric`` can take: for a metric with a finite declared range
    of width w (:func:`experiments.columns.range_of_name`), [-w, w] for a main effect or a
    difference of two cells (``total``, ``spikes``, ``rule``), [-2w, 2w] for the
    interaction (a difference of two differences); unbounded otherwise, as are log10 ratios."""
    from experiments.columns import range_of_name

    low, high = range_of_name(metric)
    if METRICS[metric][1] or not (np.isfinite(low) and np.isfinite(high)):
        return (-np.inf, np.inf)
    width = (high - low) * (2 if effect == "interaction" else 1)
    return (-width, width)


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
        rows += _difference_rows(task, metric, "effect", per_seed.items())
    return pd.DataFrame(rows)


def _difference_rows(task: str, metric: str, column: str, named_values) -> list[dict]:
    """One row per ``(name, per-seed differences)``: the name in ``column``, the mean and
    95% interval of the values (:func:`interval`, clipped to :func:`effect_bounds`) and
    how many seeds have one."""
    rows = []
    for name, values in named_values:
        mean, low, high = finite_interval(values, effect_bounds(metric, name))
        rows.append(
            {
                "task": task,
                "metric": metric,
                "log10": METRICS[metric][1],
                column: name,
                "mean": mean,
                "low": low,
                "high": high,
                "n_seeds": int(np.isfinite(values).sum()),
            }
        )
    return rows


def mlp_to_stdp(metrics: pd.DataFrame) -> pd.DataFrame:
    """The MLP against the STDP network, the difference split in two steps, per task and metric.

    ``total`` = STDP network minus MLP (rate neurons, backprop) = ``spikes``
    (spiking MLP minus MLP: the neurons change, backprop is kept) + ``rule``
    (STDP network minus spiking MLP: spikes are kept, the global gradient
    gives way to the local STDP rule and its readout). Per seed, paired, on
    the scale of :func:`effects`; mean and 95% t-interval over seeds. The
    ``rule`` step changes more than the learning rule (the neuron model,
    lateral inhibition, the readout), which the summary says.
    """
    rows = []
    for (task, metric), group in _cells(metrics).groupby(["task", "metric"], sort=False):
        table = group.pivot(index="seed", columns="learner", values="value")
        if not {"rate_backprop", "spiking_backprop", STDP} <= set(table.columns):
            continue
        mlp, spiking, stdp = table["rate_backprop"], table["spiking_backprop"], table[STDP]
        rows += _difference_rows(
            task,
            metric,
            "part",
            (("total", stdp - mlp), ("spikes", spiking - mlp), ("rule", stdp - spiking)),
        )
    return pd.DataFrame(
        rows, columns=["task", "metric", "log10", "part", "mean", "low", "high", "n_seeds"]
    )


def split_verdict(rows: pd.DataFrame) -> str:
    """Which step of :func:`mlp_to_stdp` accounts for the difference (rows of one task and metric)."""
    by = rows.set_index("part")
    clear = _resolved(by)
    resolved = [part for part in ("spikes", "rule") if part in by.index and clear[part]]
    if not resolved:
        return "neither step resolved"
    if len(resolved) == 1:
        return "spikes" if resolved[0] == "spikes" else "the learning rule"
    larger = max(resolved, key=lambda part: abs(by.loc[part, "mean"]))
    return f"both; mostly {'spikes' if larger == 'spikes' else 'the learning rule'}"


def learner_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """The rows of the five learners, without the reference learners' rows."""
    if "rule" not in metrics.columns:
        return metrics
    return metrics[metrics["rule"] != REFERENCE]


def reference_table(result: Result) -> pd.DataFrame | None:
    """The reference learners' test scores (``task``, ``seed``, ``kind``, ``test_score``):
    their rows of ``metrics.csv``, or the ``references`` table of a run saved before they
    moved there."""
    metrics = result.metrics
    if "rule" in metrics.columns and (metrics["rule"] == REFERENCE).any():
        rows = metrics[metrics["rule"] == REFERENCE]
        return rows[["task", "seed", "learner", "test_score"]].rename(columns={"learner": "kind"})
    return result.tables.get("references")


def _cells(metrics: pd.DataFrame) -> pd.DataFrame:
    """Long table (task, learner, seed, metric, value) of the five learners (the reference
    rows left out), log10 where the metric says so."""
    metrics = learner_rows(metrics)
    present = [m for m in METRICS if m in metrics.columns]
    long = metrics.melt(
        id_vars=["task", "learner", "seed"], value_vars=present, var_name="metric"
    ).dropna(subset=["value"])
    log = long["metric"].map(lambda m: METRICS[m][1])
    long.loc[log, "value"] = np.log10(long.loc[log, "value"].astype(float))
    return long


#: Seeds an interval needs before it can resolve an effect: with fewer, a
#: metric that takes few values (accuracy on 100 images, samples at the
#: checkpoints) can give equal paired differences and a zero-width interval.
MIN_SEEDS = 3


def _resolved(rows: pd.DataFrame) -> pd.Series:
    """Rows whose interval excludes 0 and rests on at least :data:`MIN_SEEDS` seeds."""
    enough = rows["n_seeds"] >= MIN_SEEDS if "n_seeds" in rows else True
    return ((rows["low"] > 0) | (rows["high"] < 0)) & enough


def attribute(rows: pd.DataFrame) -> str:
    """Which factor accounts for a metric's differences, from its three effect intervals."""
    resolved = rows[_resolved(rows)]
    if resolved.empty:
        return "neither (no interval over enough seeds excludes 0)"
    top = resolved.loc[resolved["mean"].abs().idxmax()]
    if top["effect"] == "interaction":
        return "the combination (interaction larger than either main effect)"
    other = resolved[(resolved["effect"] != top["effect"]) & (resolved["effect"] != "interaction")]
    name = "spikes" if top["effect"] == "spikes" else "the learning rule"
    if not other.empty:
        return f"mostly {name}; both main effects resolved"
    return name


def _factor(verdict: str) -> str:
    """The factor an :func:`attribute` verdict names, in one word or two."""
    if verdict.startswith("neither"):
        return "unresolved"
    if "combination" in verdict:
        return "combination"
    return "spikes" if "spikes" in verdict else "learning rule"


# -- figures and summary ---------------------------------------------------------------------------


def _mean_and_error(values, log: bool, bounds=None):
    """Mean and (lower, upper) error-bar lengths over seeds; geometric on a log scale (whose
    interval, of log10 values, is unbounded), otherwise clipped to ``bounds`` (a range or a
    declared column's name, :func:`experiments.stats.metric_bounds`)."""
    mean, low, high = geometric_interval(values) if log else finite_interval(values, bounds)
    below = mean - low if np.isfinite(low) else 0.0
    above = high - mean if np.isfinite(high) else 0.0
    return mean, below, above


PANEL_COLUMNS = 4
EFFECT_STYLE = {
    "spikes": ("#2ca02c", "o", "spikes (spiking minus rate)"),
    "rule": ("#9467bd", "s", "rule (feedback alignment minus backprop)"),
    "interaction": ("0.55", "^", "interaction"),
}
#: How a mean and its interval are drawn in the learner matrix's figures.
POINT = {"linestyle": "none", "capsize": 2, "markersize": 4}
LEARNER_STYLE = {
    "rate_backprop": ("#1f77b4", "o", "rate, backprop"),
    "rate_feedback_alignment": ("#aec7e8", "o", "rate, feedback alignment"),
    "spiking_backprop": ("#ff7f0e", "D", "spiking, backprop"),
    "spiking_feedback_alignment": ("#ffbb78", "D", "spiking, feedback alignment"),
    STDP: (STDP_COLOR, "s", "STDP network"),
}


def learner_style(learner: str) -> tuple:
    """(colour, marker, label) of a learner, or of a reference learner of
    :mod:`experiments.reference` (in its own colour, labelled "reference: ...")."""
    if learner in LEARNER_STYLE:
        return LEARNER_STYLE[learner]
    return (reference.color(learner), "_", reference.legend_label(learner))


def _panel_grid(n_panels: int, height: float):
    rows = -(-n_panels // PANEL_COLUMNS)
    fig, axes = figure(
        rows, PANEL_COLUMNS, figsize=(3.4 * PANEL_COLUMNS, height * rows), squeeze=False
    )
    for ax in axes.ravel()[n_panels:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _effects_panel(ax, rows: pd.DataFrame, tasks: list, metric: str) -> None:
    """The effects on one metric, per task: ``rows`` has ``task``, ``effect``, ``mean``,
    ``low``, ``high``; an interval clear of the line at 0 is a resolved effect."""
    y = np.arange(len(tasks))
    rows = rows.set_index(["task", "effect"])
    for offset, (effect, (colour, marker, name)) in zip((-0.22, 0.0, 0.22), EFFECT_STYLE.items()):
        means, below, above = [], [], []
        for task in tasks:
            mean, low, high = (
                rows.loc[(task, effect), ["mean", "low", "high"]]
                if (task, effect) in rows.index
                else (np.nan, np.nan, np.nan)
            )
            means.append(mean)
            below.append(mean - low if np.isfinite(low) else 0.0)
            above.append(high - mean if np.isfinite(high) else 0.0)
        ax.errorbar(
            means, y + offset, xerr=[below, above], color=colour, marker=marker, label=name, **POINT
        )
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    ax.set_yticks(y, tasks)
    ax.invert_yaxis()
    ax.set_xlabel("effect (log10 ratio)" if METRICS[metric][1] else "effect (difference)")


def _figures(result: Result, settings: Settings) -> dict:
    """Two figures, one panel per metric each, every task in every panel.

    ``learner_matrix``: the effects of spikes and of the learning rule (and
    their interaction) per task, mean and 95% interval over seeds, beside a
    line at 0: a factor accounts for a difference where its interval clears
    the line. ``learner_matrix_cells``: the measured values of the five
    learners per task, the STDP network included, and the reference learners'
    mean test scores as dashed segments (they have no other measured value).
    """
    metrics, table = result.metrics, result.tables["effects"]
    tasks = list(dict.fromkeys(metrics["task"]))
    n_seeds = metrics["seed"].nunique()
    seeds = f"{n_seeds} seed{'s' if n_seeds > 1 else ''}"
    shown = [m for m in METRICS if m in table["metric"].unique()]
    fig, axes = _panel_grid(max(len(shown), 1), 0.5 * len(tasks) + 1.6)
    for ax, metric in zip(axes, shown):
        _effects_panel(ax, table[table["metric"] == metric], tasks, metric)
        label = METRICS[metric][0]
        ax.set_title(label, fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    titled_over_legend(
        fig,
        "Which factor accounts for each difference: main effects of spikes and of the learning "
        f"rule, and their interaction\n(mean and 95% interval over {seeds}; an interval clear of "
        "0 is a resolved effect; log10 ratios for energies, samples and updates)",
        handles,
        labels,
        ncol=3,
        space=0.06,
        fontsize=9,
    )

    present = [m for m in METRICS if m in metrics.columns and metrics[m].notna().any()]
    cells, cell_axes = _panel_grid(max(len(present), 1), 3.0)
    x = np.arange(len(tasks))
    offsets = np.linspace(-0.3, 0.3, len(LEARNER_STYLE))
    for ax, metric in zip(cell_axes, present):
        label, log, _ = METRICS[metric]
        for offset, (learner, (colour, marker, name)) in zip(offsets, LEARNER_STYLE.items()):
            points = [
                _mean_and_error(
                    metrics.loc[
                        (metrics["task"] == task) & (metrics["learner"] == learner), metric
                    ],
                    log,
                    metric,  # clipped to the column's range (a score: at most 1)
                )
                for task in tasks
            ]
            ax.errorbar(
                x + offset,
                [p[0] for p in points],
                yerr=[[p[1] for p in points], [p[2] for p in points]],
                color=colour,
                marker=marker,
                label=name,
                **POINT,
            )
        if metric == "test_score":
            _reference_segments(ax, reference_table(result), tasks)
        ax.set_xticks(x, tasks, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        if log:
            ax.set_yscale("log")
    handles = {}
    for ax in cell_axes:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(text, handle)
    names = sorted(handles, key=lambda name: name.startswith("reference"))  # learners first
    titled_over_legend(
        cells,
        f"Measured values per task and learner (mean and 95% interval over {seeds}; missing "
        "points: a target not reached, or energy not counted)\ndashed: the reference "
        "learners' mean test score over seeds, fitted on the same training samples",
        [handles[n] for n in names],
        names,
        ncol=5,
        space=0.1,
        fontsize=9,
    )
    return {"learner_matrix": fig, "learner_matrix_cells": cells}


def _reference_segments(ax, references, tasks: list) -> None:
    """The reference learners' mean test score over seeds (:func:`reference_table`) as a
    dashed segment across each task's slot, in the reference's colour, labelled once."""
    if references is None or references.empty:
        return
    means = references.groupby(["kind", "task"], sort=False)["test_score"].mean()
    for kind in dict.fromkeys(references["kind"]):
        colour, _, name = learner_style(kind)
        for position, task in enumerate(tasks):
            if (kind, task) not in means.index:
                continue
            ax.hlines(
                means[(kind, task)],
                position - 0.42,
                position + 0.42,
                colors=colour,
                linestyles="--",
                linewidth=1,
                label=name,
                zorder=0,
            )


def _fmt(value, log=False) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3g}" if not log else f"{value:+.2f}"


def _interval_row(task, metric, rows, column, names) -> str:
    """``| task | metric | mean [low, high] | ... |`` for the rows named ``names`` in ``column``."""
    by = rows.set_index(column)
    log = bool(rows["log10"].iloc[0])
    cells = [
        f"{_fmt(by.loc[n, 'mean'], log)} [{_fmt(by.loc[n, 'low'], log)}, "
        f"{_fmt(by.loc[n, 'high'], log)}]"
        for n in names
    ]
    name = METRICS[metric][0] + (" (log10)" if log else "")
    return f"| {task} | {name} | " + " | ".join(cells) + " |"


def reference_lines(references) -> list[str]:
    """Summary lines of the reference learners' test scores (:mod:`experiments.reference`,
    fitted on the learners' training samples, scored on their test samples): mean [95%
    interval] over seeds per task."""
    if references is None or references.empty:
        return []
    lines = [
        "",
        "Reference learners on the same training and test samples (fixed settings, nothing "
        "tuned; k-means with as many prototypes as hidden units), test score, mean [95% "
        "interval] over seeds:",
        "",
        "| task | reference | test score |",
        "| --- | --- | --- |",
    ]
    for (task, kind), rows in references.groupby(["task", "kind"], sort=False):
        lines.append(
            f"| {task} | {reference.LABELS.get(kind, kind)} | {mean_interval(rows['test_score'], bounds='test_score')} |"
        )
    return lines


@dataclass(frozen=True)
class _DifferencesSection:
    """A summary section on differences: ``heading``, ``text`` and a table with one row per
    task and metric, the intervals of the rows whose ``column`` is each key of ``titles``
    (headed by its value) and the ``verdict`` on those rows."""

    heading: str
    text: str
    column: str
    titles: dict[str, str]
    verdict: Callable[[pd.DataFrame], str]

    def lines(self, table: pd.DataFrame) -> list[str]:
        lines = ["", f"## {self.heading}", "", self.text, ""]
        lines.append(
            "| task | metric | " + " | ".join(self.titles.values()) + " | accounted for by |"
        )
        lines.append("| --- | --- | " + "--- | " * len(self.titles) + "--- |")
        for (task, metric), rows in table.groupby(["task", "metric"], sort=False):
            row = _interval_row(task, metric, rows, self.column, self.titles)
            lines.append(row + f" {self.verdict(rows)} |")
        return lines


_FACTORS = _DifferencesSection(
    "Which factor accounts for each difference",
    "Main effects (spiking minus rate; feedback alignment minus backprop, each averaged "
    "over the other factor) and interaction, mean [95% interval] over seeds; metrics "
    "marked log10 are compared as log10 ratios (+1 = ten times more).",
    column="effect",
    titles={"spikes": "spikes", "rule": "rule", "interaction": "interaction"},
    verdict=attribute,
)
_TWO_STEPS = _DifferencesSection(
    "The MLP against the STDP network, in two steps",
    "STDP network minus MLP = (spiking MLP minus MLP: spikes, backprop kept) + (STDP "
    "network minus spiking MLP: the learning rule, spikes kept), paired per seed, mean "
    "[95% interval]. The second step also changes the neuron model (conductance-based, "
    "with adaptive thresholds), adds lateral inhibition and swaps the trained readout for "
    "the STDP network's own, so it is the rule with all that comes with it.",
    column="part",
    titles={"total": "STDP minus MLP", "spikes": "spikes", "rule": "learning rule"},
    verdict=split_verdict,
)


def _summary(result: Result, settings: Settings) -> str:
    metrics, table = result.metrics, result.tables["effects"]
    lines = [
        "# Learner matrix: spikes x learning rule",
        "",
        f"{settings.n_seeds} seed(s); tasks {', '.join(settings.tasks)}. Budgets: "
        f"{settings.hidden_units} hidden units (STDP: as many neurons), "
        + ", ".join(f"{task} {settings.epochs_for(task)}" for task in settings.tasks)
        + f" epochs in minibatches of {settings.batch_size} with Adam for the four gradient "
        f"learners, {len(settings.learning_rates['rate'])} learning rate(s) each chosen on "
        f"validation (rate {settings.learning_rates['rate']}, spiking "
        f"{settings.learning_rates['spiking']}); spiking MLP input {settings.spiking_params} "
        f"with per-task changes {settings.task_spiking_params}; STDP {settings.stdp_epochs} "
        f"epoch(s) at its tuned defaults. Scores: accuracy, R² for a regression "
        f"(seed_regression). Energy: {settings.energy_table} (core.energy). Target: "
        f"validation skill (chance-corrected accuracy, or R²) {settings.target_skill}. "
        f"Noise: Gaussian, sd {settings.noise_level}.",
        "",
        "## Mean and 95% interval over seeds",
        "",
    ]
    shown = [m for m in METRICS if m in learner_rows(metrics).columns]
    lines.append("| task | learner | " + " | ".join(METRICS[m][0] for m in shown) + " |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in shown) + " |")
    for (task, learner), rows in learner_rows(metrics).groupby(["task", "learner"], sort=False):
        cells = []
        for metric in shown:
            values = rows[metric].astype(float)
            log = METRICS[metric][1]
            # a ratio's interval is geometric (its bounds stay positive); a level keeps its range
            mean, low, high = geometric_interval(values) if log else finite_interval(values, metric)
            cells.append(f"{_fmt(mean)} [{_fmt(low)}, {_fmt(high)}]")
        lines.append(f"| {task} | {learner} | " + " | ".join(cells) + " |")
    lines += reference_lines(reference_table(result))
    lines += _FACTORS.lines(table)
    lines += [
        "",
        f"In short, per task (a difference is resolved when its 95% interval, over at least "
        f"{MIN_SEEDS} seeds, excludes 0):",
        "",
    ]
    for task, rows in table.groupby("task", sort=False):
        by_factor: dict[str, list[str]] = {}
        for metric, metric_rows in rows.groupby("metric", sort=False):
            by_factor.setdefault(_factor(attribute(metric_rows)), []).append(METRICS[metric][0])
        parts = [
            f"{factor}: {', '.join(by_factor[factor])}"
            for factor in ("spikes", "learning rule", "combination", "unresolved")
            if factor in by_factor
        ]
        lines.append(f"- {task}: " + "; ".join(parts) + ".")
    split = result.tables.get("mlp_to_stdp")
    if split is not None and len(split):
        lines += _TWO_STEPS.lines(split)
    lines += [
        "",
        "n/a: a target never reached within the budget, or a learner without operation "
        "counts by category (its energy is not priced). Neuron updates are priced by "
        "neuron model: the STDP network's conductance-based neuron at 7 multiplies and 11 "
        "adds per step, the spiking MLP's leaky integrate-and-fire neuron at 1 multiply and "
        "4 adds (6 and 4 per step of its backward pass through time; core.energy.ARITHMETIC).",
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
    regression = task.kind == "regression"
    grid = (None,) if learner == STDP else settings.learning_rates[DESIGN[learner][0]]
    epochs = settings.stdp_epochs if learner == STDP else settings.epochs_for(task.name)
    trials, started = [], time.perf_counter()
    for learning_rate in grid:
        estimator = make(learner, settings, learning_rate, seed, task.name, regression)
        curve, seconds = train_with_curve(
            estimator, learner, settings, X_fit, y_fit, task.classes, X_val, y_val, epochs
        )
        trials.append((curve["val_score"].iloc[-1], learning_rate, estimator, curve, seconds))
    best = max(trials, key=lambda trial: trial[0])  # first of equals: grids are ordered
    _, learning_rate, estimator, curve, train_seconds = best
    # validation skill: accuracy corrected for chance, or R^2 itself
    kappa = chance_corrected(
        curve["val_score"], chance_of(None if regression else len(task.classes))
    )
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
        "val_score": float(curve["val_score"].iloc[-1]),
        "test_score": float(estimator.score(X_test, y_test)),
        "noisy_score": float(estimator.score(noisy, y_test)),
        "training_joules": training_joules,
        "joules_per_prediction": joules_per_prediction,
        "samples_to_target": first_reaching(curve, "samples_seen", kappa, settings.target_skill),
        "updates_to_target": first_reaching(curve, "updates", kappa, settings.target_skill),
    }
    tuning = [
        {
            "task": task.name,
            "learner": learner,
            "seed": seed,
            "learning_rate": lr,
            "val_score": v,
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
        halves.append(subsample(task.X_train[keep], task.y_train[keep], settings.n_train, rng))
    keep = np.isin(task.y_test, FIRST)
    X_first, y_first = subsample(task.X_test[keep], task.y_test[keep], settings.n_test, rng)
    estimator = make(learner, settings, learning_rate, seed, task.name)
    epochs = settings.stdp_epochs if learner == STDP else settings.forgetting_epochs
    accuracy = []
    for X, y in halves:
        for _ in range(epochs):
            estimator.partial_fit(X, y, classes=task.classes)
        accuracy.append(float(estimator.score(X_first, y_first)))
    return accuracy[0] - accuracy[1]


def _run_effects(rows: pd.DataFrame) -> dict:
    """One run's effects per metric (``"metric/effect" -> value``), from its cell means."""
    table = effects(rows.rename(columns={"run_seed": "seed"}))
    if table.empty:  # not all four cells of the design: no effect to compute
        return {}
    return {f"{m}/{e}": v for m, e, v in zip(table["metric"], table["effect"], table["mean"])}


def effects_over_runs(aggregate) -> pd.DataFrame:
    """Each run's effects per task (from its means over its inner seeds), as means and
    intervals over runs: :func:`experiments.sweep_figures.derived_summary` with ``measure``
    (the metric) and ``effect`` split out of its ``metric`` column."""
    bounds = {
        f"{metric}/{effect}": effect_bounds(metric, effect)
        for metric in METRICS
        for effect in EFFECT_STYLE
    }
    table = derived_summary(aggregate, _run_effects, ["task"], bounds=bounds)
    table["measure"] = table["metric"].str.split("/").str[0]
    table["effect"] = table["metric"].str.split("/").str[1]
    return table


def _aggregate_figures(aggregate) -> dict:
    """The run figures over runs: the effects of spikes, of the rule and their interaction per
    task (each run's effect from its means, then mean and interval over runs), and the
    measured values of the five learners per task."""
    summary = aggregate.summary
    tasks = list(dict.fromkeys(summary["task"]))
    table = effects_over_runs(aggregate)

    def effect_panel(metric):
        def draw(ax, rows):
            rows = rows[rows["measure"] == metric]
            _effects_panel(
                ax, rows.rename(columns={"ci_low": "low", "ci_high": "high"}), tasks, metric
            )

        return draw

    measured = [m for m in METRICS if m in set(table["measure"])]
    figures = {}
    if measured:  # (all four cells of the design ran)
        figures["learner_matrix"] = panel_grid(
            aggregate,
            [Panel(METRICS[m][0], effect_panel(m)) for m in measured],
            ["task"],
            "Which factor accounts for each difference: main effects of spikes and of the "
            "learning rule, and their interaction",
            table=table,
            panel_size=(3.4, 0.5 * len(tasks) + 1.6),
            max_columns=PANEL_COLUMNS,
            note="Each run's effect is computed from its means over its inner seeds (log10 "
            "values for energies, samples and updates); an interval clear of 0 is a resolved "
            "effect.",
        )
    present = [m for m in METRICS if m in set(summary.dropna(subset=["mean"])["metric"])]
    cells = panel_grid(
        aggregate,
        [
            Panel(
                METRICS[m][0],
                bar_panel(
                    m,
                    "task",
                    METRICS[m][0],
                    categories=tasks,
                    series="learner",
                    series_label=lambda learner: learner_style(learner)[2],
                    series_color=lambda learner: learner_style(learner)[0],
                    log=METRICS[m][1],
                    points=True,
                ),
            )
            for m in present
        ],
        ["task", "learner", "neurons", "rule"],
        "Measured values per task and learner",
        panel_size=(3.4, 3.0),
        max_columns=PANEL_COLUMNS,
        note="A learner without a point did not reach the target or is not counted.",
    )
    figures["learner_matrix_cells"] = cells
    return figures


@register_experiment(order=90)
def run(settings: Settings, seed: int) -> Result:
    """rate vs spiking neurons x backprop vs feedback alignment, beside STDP: which
    factor matters"""
    learners = LEARNERS if settings.include_stdp else tuple(DESIGN)
    rows, tuning, curves, timings = [], [], [], []
    jobs = (
        (task_name, run_seed)
        for task_name in settings.tasks
        for run_seed in settings.seed_runs(seed, f"learner_matrix {task_name}")
    )
    for task_name, run_seed in jobs:
        task = load_task(task_name, seed=run_seed)
        if task.kind not in ("classification", "regression"):
            raise ValueError(
                f"learner_matrix takes classification and regression tasks; task "
                f"{task_name!r} is a {task.kind!r} task"
            )
        rng = np.random.default_rng(run_seed)
        stratify = task.kind == "classification"
        X_fit, y_fit = subsample(task.X_train, task.y_train, settings.n_train, rng, stratify)
        X_val, y_val = subsample(task.X_val, task.y_val, settings.n_val, rng, stratify)
        X_test, y_test = subsample(task.X_test, task.y_test, settings.n_test, rng, stratify)
        data = (X_fit, y_fit, X_val, y_val, X_test, y_test)
        references = [
            {
                "task": task_name,
                "learner": row["kind"],
                "neurons": REFERENCE,
                "rule": REFERENCE,
                "seed": run_seed,
                "learning_rate": np.nan,
                "n_fit": len(X_fit),
                "n_val": len(X_val),
                "n_test": len(X_test),
                "test_score": row["score"],
            }
            for row in reference.reference_scores(
                task.kind,
                X_fit,
                y_fit,
                X_test,
                y_test,
                n_prototypes=settings.hidden_units,
                random_state=run_seed,
            )
        ]
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
        rows += references  # after the learners': their columns set the table's order
    metrics = pd.DataFrame(rows)
    return Result(
        metrics=metrics,
        timings=pd.DataFrame(timings),
        tables={
            "effects": effects(metrics),
            "mlp_to_stdp": mlp_to_stdp(metrics),
            "tuning": pd.DataFrame(tuning),
            "curves": pd.concat(curves, ignore_index=True),
        },
    )
