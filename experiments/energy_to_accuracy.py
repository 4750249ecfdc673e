"""Is the brain-like learner cheaper? Energy to reach one validation accuracy, on several chips.

Both learners train with the same stopping rule (:mod:`experiments._energy`):
``partial_fit`` on chunks of the same size, stopped at the first checkpoint
where the chance-corrected validation accuracy reaches ``target``. The
operation counts at that point (every category of :mod:`core.opcounts`)
are priced on every registered cost table (:mod:`core.energy`); the
stopped model's inference energy is the counts of predicting the test set
(read once, with the test accuracy). Figures: training energy to target and
energy per prediction stacked by category on the primary table, the
spiking/MLP energy ratio under every table (the ranking's sensitivity), and
the test accuracy at the stop beside the reference learners (dashed lines:
they have no counted energy, so they appear on the accuracy axis only).
The reference learners of :mod:`experiments.reference` (logistic
regression on raw inputs, 1-nearest neighbour, k-means prototypes plus the
vote, the majority class) are fitted once on the same training samples and
scored on the same validation and test samples, as rows of ``metrics.csv``
(their energy is not counted); summary.md also gives the spiking minus MLP
test accuracy paired by seed.

Expected time: quick preset about 2 minutes; full preset (digits, 400
neurons, 5 seeds) 81 s of CPU, 275 s of wall time on the busy 2-core machine
(both learners reach the target after a few hundred samples).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.energy import COST_TABLES, get_cost_table
from experiments import reference
from experiments._base import Presets, Result, register_experiment
from experiments._energy import (
    energy_by_category,
    reference_stops,
    train_to_target,
)
from experiments.learners import KINDS, make_learner, subsample
from experiments.stats import finite_interval, geometric_interval, mean_interval, paired_by_seed
from experiments.style import color, figure, label
from experiments.sweep_figures import (
    PER_LEARNER,
    Panel,
    bar_panel,
    metric_rows,
    panel_grid,
    wrap_text,
)
from tasks import load_task

#: Stacking order and colours of the energy categories.
CATEGORY_COLORS = {
    "macs": "#1f77b4",
    "macs_backward": "#aec7e8",
    "activations": "#9edae5",
    "synaptic_ops": "#d62728",
    "neuron_updates": "#ff9896",
    "plasticity_updates": "#9467bd",
    "normalisation": "#c5b0d5",
    "encoding_draws": "#8c564b",
    "readout": "#e377c2",
    "memory_reads": "#7f7f7f",
    "memory_writes": "#c7c7c7",
}


@dataclass(frozen=True)
class Settings(Presets):
    task: str = "digits"
    n_seeds: int = 5
    n_train: int | None = None  # cap on training samples before the validation split
    n_test: int | None = None
    target: float = 0.8  # chance-corrected validation accuracy to reach
    chunk_size: int = 200  # samples between validation checkpoints (both learners)
    max_epochs: dict = field(default_factory=lambda: {"ann": 30, "snn": 3})
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})
    primary_table: str = "horowitz45_fp32"
    references: tuple = reference.CLASSIFICATION

    QUICK = dict(
        n_seeds=2,
        n_train=400,
        n_test=150,
        target=0.7,
        chunk_size=100,
        max_epochs={"ann": 20, "snn": 2},
        params={"ann": {}, "snn": {"n_neurons": 100}},
    )


def _caption(settings: Settings, tables) -> str:
    primary = get_cost_table(settings.primary_table)
    return (
        f"Stopping rule: partial_fit on chunks of {settings.chunk_size} samples until the "
        f"chance-corrected validation accuracy reaches {settings.target} (validation passes not "
        f"charged). Panels (a), (b): share of the mean energy by category; above each bar the "
        f"total, geometric mean over seeds [95% t-interval of log energy] (a seed that missed "
        f"the target counts its whole budget). "
        f"{primary.caption()} Panel (c): every registered table ({', '.join(tables)}); "
        "a learner that missed the target within its budget is left out of the ratios."
    )


def _figures(result: Result, settings: Settings) -> dict:
    energy = result.tables["energy"]
    metrics = result.metrics
    tables = list(dict.fromkeys(energy["table"]))
    fig, axes = figure(
        1, 4, figsize=(21, 5.6), gridspec_kw={"width_ratios": (1.0, 1.0, 1.15, 0.85)}
    )
    primary = energy[energy["table"] == settings.primary_table]
    panels = [
        ("train", "(a) training to the target"),
        ("inference", "(b) one prediction"),
    ]
    for ax, (phase, title) in zip(axes[:2], panels):
        rows = primary[primary["phase"] == phase]
        per_seed = rows.pivot_table(
            index=["kind", "seed"], columns="category", values="joules", aggfunc="sum"
        ).fillna(0.0)
        for x, kind in enumerate(KINDS):
            if kind not in per_seed.index.get_level_values("kind"):
                continue
            seeds = per_seed.loc[kind]
            means = seeds.mean()
            total = float(means.sum())
            bottom = 0.0
            for category in CATEGORY_COLORS:
                if category not in seeds.columns or total <= 0:
                    continue
                share = 100.0 * float(means[category]) / total
                ax.bar(
                    x,
                    share,
                    bottom=bottom,
                    color=CATEGORY_COLORS[category],
                    edgecolor="white",
                    width=0.6,
                    label=category,
                )
                bottom += share
            mean, low, high = geometric_interval(seeds.sum(axis=1))
            spread = f"\n[{low:.2g}, {high:.2g}]" if np.isfinite(low) else ""
            ax.annotate(
                f"{mean:.2g} J{spread}",
                (x, 100),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax.set_xticks(range(len(KINDS)), [label(k) for k in KINDS])
        ax.set_ylim(0, 118)
        ax.set_ylabel("share of the energy by category (%)")
        ax.set_title(f"{title}: share by category, total J above\n(table {settings.primary_table})")
    handles, labels = [], []
    for ax in axes[:2]:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            if text not in labels:
                handles.append(handle)
                labels.append(text)
    fig.legend(handles, labels, title="category", loc="center right", fontsize=8)

    ratio_ax = axes[2]
    ratios = _ratios(energy, metrics)
    width = 0.38
    for offset, phase, hatch in ((-width / 2, "train", ""), (width / 2, "inference", "//")):
        values = ratios[ratios["phase"] == phase].set_index("table").reindex(tables)
        ratio_ax.bar(
            np.arange(len(tables)) + offset,
            values["ratio"],
            width=width,
            color=color("snn"),
            alpha=0.8 if phase == "train" else 0.45,
            hatch=hatch,
            label="training to target" if phase == "train" else "per prediction",
        )
        low, high = values["low"].to_numpy(), values["high"].to_numpy()
        ok = np.isfinite(low) & np.isfinite(high)
        ratio_ax.errorbar(
            (np.arange(len(tables)) + offset)[ok],
            values["ratio"].to_numpy()[ok],
            yerr=[
                values["ratio"].to_numpy()[ok] - low[ok],
                high[ok] - values["ratio"].to_numpy()[ok],
            ],
            fmt="none",
            color="black",
            capsize=3,
        )
    ratio_ax.axhline(1.0, color="black", lw=1)
    ratio_ax.set_yscale("log")
    ratio_ax.set_xticks(range(len(tables)), tables, rotation=20, ha="right")
    ratio_ax.set_ylabel("spiking energy / MLP energy (above 1: MLP cheaper)")
    ratio_ax.set_title("(c) ranking under each cost table")
    ratio_ax.legend(loc="best")
    _accuracy_panel(axes[3], metrics, settings)
    fig.suptitle(
        f"Energy of an MLP and a spiking network to reach chance-corrected validation accuracy "
        f"{settings.target} on {settings.task}, {settings.n_seeds} "
        f"seed{'s' if settings.n_seeds > 1 else ''}"
    )
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    fig.text(0.01, -0.01, wrap_text(_caption(settings, tables), 200), fontsize=8, va="top")
    return {"energy_to_accuracy": fig}


def _accuracy_panel(ax, metrics: pd.DataFrame, settings: Settings) -> None:
    """(d): each learner's test accuracy at its stop (mean, 95% t-interval over seeds), the
    reference learners' mean test accuracy as dashed lines in their colours (they have no
    counted energy, so they are drawn on the accuracy axis only)."""
    for x, kind in enumerate(KINDS):
        rows = metrics.loc[metrics["kind"] == kind, "test_accuracy"]
        mean, low, high = finite_interval(rows, bounds="test_accuracy")
        if not np.isfinite(mean):
            continue
        error = [[mean - low], [high - mean]] if np.isfinite(low) else None
        ax.bar(x, mean, width=0.6, color=color(kind), alpha=0.85)
        if error is not None:
            ax.errorbar(x, mean, yerr=error, fmt="none", color="black", capsize=3)
    references = [k for k in dict.fromkeys(metrics["kind"]) if k not in KINDS]
    for kind in references:
        reference.draw_line(
            ax, kind, float(metrics.loc[metrics["kind"] == kind, "test_accuracy"].mean())
        )
    ax.set_xticks(range(len(KINDS)), [label(k) for k in KINDS])
    ax.set_xlim(-0.6, len(KINDS) - 0.4)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel(f"test accuracy at the stop ({settings.task})")
    seeds = metrics["seed"].nunique()
    note = (
        "dashed: reference\nlearners fitted once on the same samples, energy not counted"
        if references
        else "this run has\nno reference rows"
    )
    ax.set_title(
        f"(d) test accuracy at the stop\n(mean, 95% t-interval over {seeds} seed"
        f"{'s' if seeds != 1 else ''}; {note})",
        fontsize=10,
    )
    if ax.get_legend_handles_labels()[0]:  # below the axes: the bars fill the panel
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=8)


def _ratios(energy: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Spiking / MLP energy per table and phase: ratio of seed means, interval over paired seeds."""
    reached = metrics[metrics["reached"] & metrics["kind"].isin(KINDS)]
    both = reached.groupby("seed")["kind"].nunique()
    seeds = set(both[both == len(KINDS)].index)
    totals = (
        energy[energy["seed"].isin(seeds)]
        .groupby(["table", "phase", "kind", "seed"])["joules"]
        .sum()
        .unstack("kind")
    )
    rows = []
    for (table, phase), group in totals.groupby(level=["table", "phase"]):
        per_seed = (group["snn"] / group["ann"]).to_numpy()
        ratio, low, high = geometric_interval(per_seed)
        rows.append(
            {
                "table": table,
                "phase": phase,
                "ratio": ratio,
                "low": low,
                "high": high,
                "n_seeds": len(per_seed),
            }
        )
    return pd.DataFrame(rows, columns=["table", "phase", "ratio", "low", "high", "n_seeds"])


def _summary(result: Result, settings: Settings) -> str:
    energy, metrics = result.tables["energy"], result.metrics
    lines = [
        f"# Energy to reach chance-corrected validation accuracy {settings.target} "
        f"({settings.task}, {settings.n_seeds} seed(s), 95% t-intervals)",
        "",
        "| learner | reached | samples to target | test accuracy |",
        "| --- | --- | --- | --- |",
    ]
    for kind in KINDS:
        rows = metrics[metrics["kind"] == kind]
        mean, low, high = finite_interval(
            rows.loc[rows["reached"], "samples_to_target"], bounds="samples_to_target"
        )
        acc, acc_low, acc_high = finite_interval(rows["test_accuracy"], bounds="test_accuracy")
        lines.append(
            f"| {label(kind)} | {int(rows['reached'].sum())}/{len(rows)} | "
            f"{mean:.0f} [{low:.0f}, {high:.0f}] | {acc:.3f} [{acc_low:.3f}, {acc_high:.3f}] |"
        )
    for kind in [k for k in dict.fromkeys(metrics["kind"]) if k not in KINDS]:
        rows = metrics[metrics["kind"] == kind]
        lines.append(
            f"| reference: {reference.LABELS.get(kind, kind)} (one fit on all "
            f"{int(rows['n_fit'].iloc[0])} samples) | {int(rows['reached'].sum())}/{len(rows)} | "
            f"- | {mean_interval(rows['test_accuracy'], bounds='test_accuracy')} |"
        )
    difference = paired_by_seed(metrics, "test_accuracy", bounds="test_accuracy")
    if difference is not None:
        lines += [
            "",
            f"Spiking minus MLP test accuracy at the stop, paired by seed (same samples): {difference}.",
        ]
    # samples to the target of a seed that missed it are not a number to compare: left out
    reached = metrics.assign(
        samples_to_target=metrics["samples_to_target"].where(metrics["reached"])
    )
    samples = paired_by_seed(reached, "samples_to_target", bounds="samples_to_target")
    if samples is not None:
        lines += [
            "",
            "Spiking minus MLP samples to the target, paired by seed over the "
            f"{samples.n} seed(s) where both reached it: {samples.format(0)}.",
        ]
    lines += [
        "",
        "Energy: geometric mean over seeds [95% t-interval of log energy].",
        "",
        "| cost table | learner | training to target (J) | per prediction (J) |",
        "| --- | --- | --- | --- |",
    ]
    totals = energy.groupby(["table", "kind", "phase", "seed"])["joules"].sum()
    for table in dict.fromkeys(energy["table"]):
        for kind in KINDS:
            cells = []
            for phase in ("train", "inference"):
                try:
                    values = totals.loc[(table, kind, phase)]
                except KeyError:
                    cells.append("n/a")
                    continue
                mean, low, high = geometric_interval(values)
                cells.append(f"{mean:.3g} [{low:.3g}, {high:.3g}]")
            lines.append(f"| {table} | {label(kind)} | {cells[0]} | {cells[1]} |")
    ratios = _ratios(energy, metrics)
    lines += [
        "",
        "| cost table | phase | spiking / MLP | 95% interval | seeds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in ratios.itertuples():
        lines.append(
            f"| {row.table} | {row.phase} | {row.ratio:.3g} | [{row.low:.3g}, {row.high:.3g}] | {row.n_seeds} |"
        )
    lines += ["", _caption(settings, list(dict.fromkeys(energy["table"])))]
    return "\n".join(lines)


def _aggregate_figures(aggregate) -> dict:
    """Per learner: test accuracy, validation score and samples at the stop, and the
    fraction of runs that reached the target; means over runs with intervals."""
    per_learner = {
        **PER_LEARNER,
        "categories": [k for k in KINDS if k in set(aggregate.summary["kind"])],
    }

    def with_references(metric, draw_bars):
        """The learners' bars, and the reference learners' means as labelled dashed lines."""

        def draw(ax, rows):
            draw_bars(ax, rows)
            references = metric_rows(rows, metric)
            references = references[~references["kind"].isin(KINDS)].dropna(subset=["mean"])
            for kind, mean in zip(references["kind"], references["mean"]):
                reference.draw_line(ax, kind, mean)

        return draw

    def panel(metric, value_label, **options):
        return with_references(metric, bar_panel(metric, "kind", value_label, **options))

    panels = [
        Panel(
            "test accuracy at the stop",
            panel("test_accuracy", "test accuracy", limits=(0, 1), **per_learner),
        ),
        Panel(
            "validation score at the stop",
            panel(
                "val_corrected",
                "chance-corrected validation accuracy",
                limits=(None, 1),
                **per_learner,
            ),
        ),
        Panel(
            "reached the target",
            panel("reached", "fraction of runs", limits=(0, 1), **per_learner),
        ),
        Panel(
            "samples to the stop",
            panel("samples_to_target", "training samples", log=True, **per_learner),
        ),
    ]
    figure = panel_grid(
        aggregate,
        panels,
        ["kind"],
        "An MLP and a spiking network trained until a chance-corrected validation target",
        panel_size=(3.6, 3.6),
        note="The energy by category and cost table is in each run's energy.csv, not in "
        "metrics.csv, and is not aggregated here. Dashed: reference learners, fitted once on "
        "all training samples (their energy is not counted).",
    )
    return {"energy_to_accuracy": figure}


@register_experiment(order=80)
def run(settings: Settings, seed: int) -> Result:
    """MLP vs spiking network: energy by category to reach one validation accuracy, on
    every cost table"""
    reference.check_references(settings.references)
    tables = list(COST_TABLES)
    get_cost_table(settings.primary_table)  # a clear error before any work
    rows, energy_rows, curves = [], [], []
    for run_seed in settings.seed_runs(seed, "energy_to_accuracy"):
        task = load_task(settings.task, seed=run_seed)
        rng = np.random.default_rng(run_seed)
        classification = task.kind == "classification"
        X_fit, y_fit = subsample(
            task.X_train, task.y_train, settings.n_train, rng, stratify=classification
        )
        X_val, y_val = task.X_val, task.y_val
        X_test, y_test = subsample(
            task.X_test, task.y_test, settings.n_test, rng, stratify=classification
        )
        for kind in KINDS:
            params = dict(settings.params.get(kind, {}))
            estimator = make_learner(kind, task, random_state=run_seed, **params)
            curve, reached = train_to_target(
                estimator, kind, task, (X_fit, y_fit), (X_val, y_val), settings
            )
            counts = estimator.cost(X_test)
            test_accuracy = float(estimator.score(X_test, y_test))
            rows.append(
                {
                    "kind": kind,
                    "seed": run_seed,
                    "reached": bool(reached),
                    "samples_to_target": int(curve["samples_seen"].iloc[-1]),
                    "epochs": int(curve["epoch"].iloc[-1]),
                    "val_corrected": float(curve["val_corrected"].iloc[-1]),
                    "test_accuracy": test_accuracy,
                    "n_fit": len(X_fit),
                    "n_val": len(X_val),
                    "n_test": len(X_test),
                }
            )
            priced = energy_by_category(counts, tables)
            inference = priced["phase"] == "inference"
            priced.loc[inference, "joules"] /= len(X_test)  # per prediction
            energy_rows.append(priced.assign(kind=kind, seed=run_seed))
            curves.append(curve.assign(kind=kind, seed=run_seed))
        for stop in reference_stops(
            task,
            (X_fit, y_fit),
            (X_val, y_val),
            (X_test, y_test),
            target=settings.target,
            names=settings.references,
            n_prototypes=reference.matching_prototypes(settings.params.get("snn", {})),
            seed=run_seed,
        ):
            rows.append(
                {
                    **stop,
                    "seed": run_seed,
                    "epochs": np.nan,
                    "n_fit": len(X_fit),
                    "n_val": len(X_val),
                    "n_test": len(X_test),
                }
            )
    return Result(
        metrics=pd.DataFrame(rows),
        tables={
            "energy": pd.concat(energy_rows, ignore_index=True),
            "curves": pd.concat(curves, ignore_index=True),
        },
    )
