"""Aggregate a sweep: mean and confidence interval per setting across seeds, and figures.

    python -m experiments aggregate DIR [--by COL,COL] [--confidence 0.95]

reads the finished runs of the sweep directory ``DIR`` (each verified against
its done-marker) and writes ``DIR/aggregate/``::

    summary.csv        tidy: one row per (setting, group, metric) with the swept keys,
                       the group keys, ``metric``, ``n`` (runs), ``mean``, ``std``,
                       ``sem``, ``ci_low``, ``ci_high``
    observations.csv   the values the statistics are computed from: one row per
                       (run, group), with the swept keys, ``run_seed``, the group
                       keys and one column per metric
    figures/*.png/svg  the experiment's own ``aggregate_figures`` (every built-in
                       experiment registers them; see docs/extending.md), else one
                       figure per metric against the swept key(s), with the
                       confidence interval as a band

Statistics. A run (one seed of one setting) is one replicate. Rows of a run that
share their group keys, e.g. the inner seeds an experiment spawns from its
master seed, are averaged first, so each run contributes one value per group
and metric and the replicates are independent (distinct master seeds). Over
the n runs of a setting: the mean, the sample standard deviation (ddof=1), the
standard error ``sem = std / sqrt(n)`` and the Student t interval
``mean +- t_{(1+c)/2, n-1} * sem`` for confidence c (0.95 by default; Student
1908), exact for normally distributed run values and a good approximation for
means of several runs, clipped to the range the metric can take (declared in
:mod:`experiments.columns`: an accuracy's interval stays within [0, 1]). With
n = 1 the spread and the interval are left empty.

Columns. Columns named ``seed`` or ``*_seed`` are replicate identifiers and are
dropped. Text and boolean columns are group keys (``kind``, ``rule``...). A
numeric column is a group key if it is the same, row by row, in every run of a
setting (a design variable: ``samples_seen``, a noise ``level``); otherwise it
is a metric. When no setting has two runs of equal length to compare, integer
columns are keys and float columns metrics. The experiment's data dictionary
(:mod:`experiments.columns`) overrides the guess: an ``identifier`` column
(an agent's index) is averaged over within each run, a ``metric`` column (the
messages an agent sent, whether a target was reached: a yes/no column becomes
the fraction of yes) is aggregated, a ``key`` column (a pairing's spike-time
difference, a society's round) groups the rows even when every run has the
same values in every column. ``--by`` names the key columns explicitly where
this is still wrong; the experiment's own figures assume its declared columns,
so with ``--by`` the generic figures are drawn instead.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd

from core.params import Interval, check_param
from experiments.columns import value_range
from experiments.store import StoreError, SweepStore, verify_run

#: What a confidence level may be (:mod:`core.params`).
CONFIDENCE_LEVEL = [Interval(Real, 0, 1, closed="neither")]

AGGREGATE_DIR = "aggregate"
RESERVED = ("metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "run_seed")
#: Beyond this many lines a generic figure pins further keys to their last value.
MAX_SERIES = 8


@dataclass
class Aggregate:
    """What :func:`aggregate` computed and where it wrote it."""

    summary: pd.DataFrame
    observations: pd.DataFrame
    setting_columns: list
    keys: list
    metrics: list
    n_runs: int
    n_unfinished: int
    directory: Path
    figures: list
    #: The experiment the sweep ran and the confidence level of the intervals.
    experiment: str = ""
    confidence: float = 0.95


def _is_replicate(column: str) -> bool:
    return column == "seed" or column.endswith("_seed")


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def t_interval(values, confidence: float = 0.95, bounds=None) -> tuple[float, float, float, float]:
    """Mean, sample standard deviation and Student t interval of ``values``.

    Returns ``(mean, std, ci_low, ci_high)``; NaN entries are ignored and the
    spread is NaN with fewer than two values. With ``bounds = (low, high)``, the
    values the metric can take (an accuracy's [0, 1], experiments/columns.py),
    the interval is clipped to them (:func:`clip_interval`): the mean lies there,
    so clipping keeps the interval's coverage.

    >>> t_interval([1.0, 2.0, 3.0])  # t_{0.975, 2} = 4.303   # doctest: +ELLIPSIS
    (2.0, 1.0, -0.4841..., 4.4841...)
    """
    from scipy import stats

    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return (math.nan,) * 4
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * std / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = clip_interval(low, high, bounds)
    return mean, std, low, high


def clip_interval(low, high, bounds) -> tuple[float, float]:
    """``(low, high)`` clipped to ``bounds = (floor, ceiling)``; a NaN end stays NaN."""
    floor, ceiling = bounds
    return (
        max(low, floor) if low == low else low,
        min(high, ceiling) if high == high else high,
    )


def infer_columns(
    frames: list[pd.DataFrame], settings_of: list[str], by: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """Group-key and metric columns of runs' metrics (see the module docstring)."""
    columns = list(dict.fromkeys(c for frame in frames for c in frame.columns))
    everything = pd.concat(frames, ignore_index=True)
    candidates = [c for c in columns if not _is_replicate(c)]
    numeric = [c for c in candidates if _numeric(everything[c])]
    if by is not None:
        unknown = [c for c in by if c not in columns]
        if unknown:
            raise ValueError(
                f"--by: no column {unknown[0]!r} in the runs' metrics; columns: "
                f"{', '.join(columns)}"
            )
        return list(by), [c for c in numeric if c not in by]
    keys = [c for c in candidates if c not in numeric]
    runs_by_setting: dict[str, list[pd.DataFrame]] = {}
    for frame, setting in zip(frames, settings_of):
        runs_by_setting.setdefault(setting, []).append(frame)
    comparable = [
        runs
        for runs in runs_by_setting.values()
        if len(runs) >= 2
        and len({len(r) for r in runs}) == 1
        and all(set(numeric) <= set(r.columns) for r in runs)
    ]

    def constant_across_runs(column):
        for runs in comparable:
            first = runs[0][column].to_numpy(dtype=float)
            if not all(
                np.array_equal(first, r[column].to_numpy(dtype=float), equal_nan=True)
                for r in runs[1:]
            ):
                return False
        return True

    if comparable:
        design = [c for c in numeric if constant_across_runs(c)]
    else:
        design = [c for c in numeric if pd.api.types.is_integer_dtype(everything[c])]
    metrics = [c for c in numeric if c not in design]
    if not metrics:  # a deterministic experiment: every float column is a metric
        metrics = [c for c in numeric if pd.api.types.is_float_dtype(everything[c])]
        design = [c for c in design if c not in metrics]
    return keys + [c for c in columns if c in design], metrics


def apply_declared_roles(experiment: str, keys, metrics, frames):
    """Keys and metrics corrected by the experiment's data dictionary (experiments.columns).

    A column declared an ``identifier`` (an agent's index, an intersection's
    row) is averaged over within each run rather than drawn as one line per
    value; one declared a ``metric`` (messages sent, a degree, whether a target
    was reached) is aggregated, even where it happens to be the same in every
    run; one declared a ``key`` (a spike-time difference, a round) groups the
    rows, even in a deterministic experiment where every column repeats.
    """
    from experiments.columns import columns_of

    declared = columns_of(experiment) or {}
    present = set().union(*(frame.columns for frame in frames))

    def role(column):
        spec = declared.get(column)
        return spec.role if spec is not None else ""

    def countable(series):
        return _numeric(series) or pd.api.types.is_bool_dtype(series)

    new_metrics = list(metrics) + [
        c
        for c in keys
        if role(c) == "metric"
        and c in present
        and all(countable(f[c]) for f in frames if c in f.columns)
    ]
    new_keys = [c for c in keys if role(c) not in ("identifier", "metric")] + [
        c for c in metrics if role(c) == "key"
    ]
    new_metrics = [c for c in dict.fromkeys(new_metrics) if role(c) not in ("identifier", "key")]
    return new_keys, new_metrics


def _cell(value):
    """A swept value as a table cell: scalars as they are, tuples and dicts as JSON text."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def load_runs(directory: str | Path):
    """The sweep's manifest and its finished runs as ``[(entry, metrics)]``, each verified."""
    store = SweepStore(directory)
    manifest = store.load_manifest()
    if manifest is None:
        raise StoreError(f"no manifest.json in {directory}: not a sweep directory")
    runs = []
    for entry in manifest.runs.values():
        run_dir = store.run_dir(entry.run_id)
        if run_dir.is_dir():  # the run directories are the truth (see experiments.store)
            verify_run(run_dir, entry.run_id)
            runs.append((entry, pd.read_csv(run_dir / "metrics.csv")))
        elif entry.status == "done":
            raise StoreError(
                f"{store.manifest_path} records run {entry.run_id!r} as done but "
                f"{run_dir} is missing; run the sweep again to recompute it"
            )
    return manifest, runs


def aggregate(
    directory: str | Path,
    *,
    by: list[str] | None = None,
    confidence: float = 0.95,
    figures: bool = True,
) -> Aggregate:
    """Mean and t confidence interval per setting across a sweep's runs; writes ``DIR/aggregate``.

    Parameters
    ----------
    directory : path
        A sweep directory (``python -m experiments sweep ... --out DIR``).
    by : list of str, optional
        The metrics columns that identify an observation within a run
        (default: inferred, see the module docstring).
    confidence : float
        Confidence level of the intervals, in (0, 1).
    figures : bool
        Draw the figures (PNG and SVG).

    Raises
    ------
    StoreError
        If ``directory`` is not a sweep directory, has no finished run, or a
        manifest or run does not verify.
    """
    check_param("confidence", confidence, CONFIDENCE_LEVEL)
    directory = Path(directory)
    manifest, runs = load_runs(directory)
    runs = [(entry, frame) for entry, frame in runs if len(frame)]
    if not runs:
        raise StoreError(f"{directory} has no finished run with metrics yet; run the sweep first")
    frames = [frame for _, frame in runs]
    settings_of = [json.dumps(entry.setting, sort_keys=True) for entry, _ in runs]
    keys, metrics = infer_columns(frames, settings_of, by)
    if by is None:
        keys, metrics = apply_declared_roles(manifest.experiment, keys, metrics, frames)
    if not metrics:
        raise StoreError(f"the runs in {directory} have no numeric metric column to aggregate")
    clash = [c for c in keys if c in RESERVED]
    if clash:
        raise ValueError(
            f"the metrics column {clash[0]!r} clashes with a column of the "
            f"aggregate table ({', '.join(RESERVED)})"
        )
    setting_columns = [
        f"setting_{key}" if key in keys or key in metrics or key in RESERVED else key
        for key in manifest.swept
    ]

    observations = []
    for entry, frame in runs:
        present = [c for c in keys if c in frame.columns]
        values = frame.reindex(columns=metrics).astype(float)  # yes/no counts as 1/0
        if present:
            per_group = (
                values.groupby([frame[c] for c in present], sort=False, dropna=False)
                .mean()
                .reset_index()
            )
        else:
            per_group = values.mean().to_frame().T
        per_group = per_group.reindex(columns=keys + metrics)
        per_group.insert(0, "run_seed", entry.seed)
        for column, key in reversed(list(zip(setting_columns, manifest.swept))):
            per_group.insert(0, column, [_cell(entry.setting.get(key))] * len(per_group))
        observations.append(per_group)
    observations = pd.concat(observations, ignore_index=True)

    group_columns = setting_columns + keys
    # Private names for the melted columns: a metric may well be called "value".
    long = observations.melt(
        id_vars=group_columns,
        value_vars=metrics,
        var_name="_name",
        value_name="_value",
        ignore_index=False,
    )
    # Row-major order: settings in grid order, then groups as the runs list them, then metrics.
    long["_row"] = long.index
    long["_position"] = long["_name"].map({m: i for i, m in enumerate(metrics)})
    long = long.sort_values(["_row", "_position"], kind="stable")
    rows = []
    for group, part in long.groupby(group_columns + ["_name"], sort=False, dropna=False):
        group = group if isinstance(group, tuple) else (group,)
        # The interval never leaves the values the metric can take.
        mean, std, low, high = t_interval(
            part["_value"], confidence, value_range(manifest.experiment, group[-1])
        )
        n = int(part["_value"].notna().sum())
        rows.append((*group, n, mean, std, std / math.sqrt(n) if n > 1 else math.nan, low, high))
    summary = pd.DataFrame(
        rows, columns=group_columns + ["metric", "n", "mean", "std", "sem", "ci_low", "ci_high"]
    )

    result = Aggregate(
        summary,
        observations,
        setting_columns,
        keys,
        metrics,
        len(runs),
        len(manifest.runs) - len(runs),
        directory / AGGREGATE_DIR,
        [],
        manifest.experiment,
        confidence,
    )
    _write(directory, result, figures, own_figures=by is None)
    return result


def _write(directory: Path, result: Aggregate, draw: bool, own_figures: bool) -> None:
    """Write the aggregate directory under a temporary name, then swap it into place."""
    from experiments.runner import make_staging_directory

    staging = make_staging_directory(directory / AGGREGATE_DIR)
    try:
        result.summary.to_csv(staging / "summary.csv", index=False)
        result.observations.to_csv(staging / "observations.csv", index=False)
        written = []
        if draw:
            figure_dir = staging / "figures"
            figure_dir.mkdir()
            for name, fig in _figures(result, own_figures).items():
                for suffix in (".png", ".svg"):
                    fig.savefig(figure_dir / f"{name}{suffix}")
                    written.append(result.directory / "figures" / f"{name}{suffix}")
                import matplotlib.pyplot as plt

                plt.close(fig)
        final = result.directory
        old = None
        if final.exists():
            old = final.with_name(f".{AGGREGATE_DIR}.{os.getpid()}.old")
            os.rename(final, old)
        os.rename(staging, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        result.figures = written
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _figures(result: Aggregate, own_figures: bool = True) -> dict:
    from experiments._base import EXPERIMENTS

    experiment = EXPERIMENTS.get(result.experiment)
    if own_figures and experiment is not None and experiment.aggregate_figures is not None:
        return experiment.aggregate_figures(result)
    return generic_figures(result)


def generic_figures(result: Aggregate) -> dict:
    """One :func:`metric_figure` per metric: the figures of an experiment without its own."""
    return {
        re.sub(r"[^A-Za-z0-9_.-]", "_", metric): metric_figure(
            result.summary,
            metric,
            result.setting_columns,
            result.keys,
            title=f"{result.experiment}: {metric}",
            confidence=result.confidence,
        )
        for metric in result.metrics
    }


def _is_numeric_axis(values: pd.Series) -> bool:
    present = values.dropna()
    return (
        len(present.unique()) > 1
        and _numeric(present.infer_objects())
        and not any(isinstance(v, bool) for v in present)
    )


def _series_label(columns, values) -> str:
    from experiments.style import label

    return ", ".join(label(v) if c == "kind" else f"{c}={v}" for c, v in zip(columns, values))


def errors(rows: pd.DataFrame) -> np.ndarray:
    """``yerr`` of ``rows``' intervals for ``errorbar``: distances from the mean to each end."""
    mean = rows["mean"].to_numpy(dtype=float)
    error = np.vstack(
        [mean - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - mean]
    )
    return np.nan_to_num(error)  # no interval (one run): no bar


def metric_figure(
    summary: pd.DataFrame,
    metric: str,
    setting_columns: list,
    keys: list,
    *,
    title: str = "",
    confidence: float = 0.95,
):
    """One metric's mean against a swept key (or a group key), with its CI as a band.

    The x axis is the first numeric swept key that varies, else the first
    numeric group key that varies (e.g. ``samples_seen``), else the settings
    side by side with error bars. Every other varying column makes separate
    lines; past ``MAX_SERIES`` lines, numeric group keys are pinned to their
    last (largest) value, which the title states.
    """
    from experiments.style import color, figure

    rows = summary[summary["metric"] == metric].copy()
    varying = [c for c in setting_columns + keys if rows[c].nunique(dropna=False) > 1]
    numeric_axes = [c for c in setting_columns if c in varying and _is_numeric_axis(rows[c])] + [
        c for c in keys if c in varying and _is_numeric_axis(rows[c])
    ]
    x = numeric_axes[0] if numeric_axes else None
    # Without a numeric axis the settings sit side by side along x; the rest makes lines.
    series = [c for c in varying if c != x and (x is not None or c not in setting_columns)]
    notes = []

    def n_series():
        return len(rows.groupby(series, sort=False, dropna=False)) if series else 1

    for column in reversed([c for c in series if c in keys and _is_numeric_axis(rows[c])]):
        if n_series() <= MAX_SERIES:
            break
        last = rows[column].max()
        rows = rows[rows[column] == last]
        series.remove(column)
        notes.append(f"{column} = {last:g}")
    fig, ax = figure()
    n_values = rows["n"]
    interval = (
        f"mean and {confidence:.0%} t-interval over {n_values.min()}"
        + (f"-{n_values.max()}" if n_values.max() != n_values.min() else "")
        + " seeds"
    )
    groups = list(rows.groupby(series, sort=False, dropna=False)) if series else [((), rows)]
    if len(groups) > MAX_SERIES:
        notes.append(f"first {MAX_SERIES} of {len(groups)} lines")
        groups = groups[:MAX_SERIES]
    only_kind = series == ["kind"]
    if x is not None:
        for values, part in groups:
            values = values if isinstance(values, tuple) else (values,)
            part = part.sort_values(x)
            style = {"color": color(values[0])} if only_kind else {}
            (line,) = ax.plot(
                part[x],
                part["mean"],
                marker="o",
                markersize=3,
                label=_series_label(series, values) or None,
                **style,
            )
            ax.fill_between(
                part[x].to_numpy(dtype=float),
                part["ci_low"].to_numpy(dtype=float),
                part["ci_high"].to_numpy(dtype=float),
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
        ax.set_xlabel(x)
        positive = rows[x].astype(float)
        if (positive > 0).all() and positive.max() / positive.min() >= 50:
            ax.set_xscale("log")
    else:
        width = 0.8 / max(1, len(groups))
        category_columns = [c for c in setting_columns if c in varying]
        categories = list(
            dict.fromkeys(tuple(r) for r in rows[category_columns].itertuples(index=False))
        )
        for i, (values, part) in enumerate(groups):
            values = values if isinstance(values, tuple) else (values,)
            slot = [
                categories.index(tuple(r)) for r in part[category_columns].itertuples(index=False)
            ]
            positions = np.asarray(slot, dtype=float) + (i - (len(groups) - 1) / 2) * width
            style = {"color": color(values[0])} if only_kind else {}
            ax.errorbar(
                positions,
                part["mean"],
                yerr=errors(part),
                fmt="o",
                capsize=3,
                label=_series_label(series, values) or None,
                **style,
            )
        ticks = [", ".join(map(str, c)) for c in categories] or ["all runs"]
        ax.set_xticks(
            np.arange(len(ticks)),
            ticks,
            rotation=30 if len(ticks) > 3 else 0,
            ha="right" if len(ticks) > 3 else "center",
        )
        ax.set_xlabel(", ".join(c for c in setting_columns if c in varying) or "setting")
    ax.set_ylabel(metric)
    ax.set_title(
        "\n".join(filter(None, [title, interval + (f" ({'; '.join(notes)})" if notes else "")]))
    )
    if any(
        h.get_label() and not h.get_label().startswith("_") for h in ax.get_lines() + ax.containers
    ):
        ax.legend()
    return fig
