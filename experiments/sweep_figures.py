"""Building blocks of the experiments' aggregate figures (``python -m experiments aggregate``).

Each experiment registers ``aggregate_figures(aggregate) -> {name: Figure}``,
drawn from an :class:`experiments.aggregate.Aggregate`: the figure it draws
for one run, with the mean over runs (one per master seed) and its Student-t
interval as a band or error bars. Three rules hold for all of them, and this
module keeps them in one place:

* every slice of the data is shown: each combination of the swept settings
  that vary, and of any group key a figure does not draw itself, gets its own
  row of panels, named in the panels' titles (:func:`panel_grid`);
* the settings the sweep kept at one value, the interval kind and the number
  of runs are stated in the caption (:func:`caption`);
* intervals are the summary's, already clipped to the range the metric can
  take (:mod:`experiments.columns`); values derived from the runs (an
  average accuracy over tasks) get theirs from :func:`derived_summary`,
  clipped likewise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.aggregate import Aggregate, errors, t_interval
from experiments.style import color, figure, label

#: Longest setting value named in a title or caption before it is shortened.
MAX_VALUE_TEXT = 40


@dataclass(frozen=True)
class Panel:
    """One panel of a figure: its title and ``draw(ax, rows)`` for one slice's rows."""

    title: str
    draw: Callable


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= MAX_VALUE_TEXT else text[: MAX_VALUE_TEXT - 3] + "..."


def _varies(table: pd.DataFrame, column: str) -> bool:
    return table[column].nunique(dropna=False) > 1


def slice_columns(aggregate: Aggregate, drawn: Sequence[str], table=None) -> list[str]:
    """Columns that split the data beyond what a figure draws.

    The swept settings that vary, then every group key outside ``drawn`` that
    takes more than one value within one drawn group (a key that follows from
    the drawn ones, like a learner's unit, splits nothing).
    """
    table = aggregate.summary if table is None else table
    swept = [c for c in aggregate.setting_columns if c in table.columns and _varies(table, c)]
    drawn = [c for c in drawn if c in table.columns]
    within = swept + drawn + (["metric"] if "metric" in table.columns else [])
    extra = []
    for column in aggregate.keys:
        if column in drawn or column not in table.columns:
            continue
        counts = (
            table.groupby(within, dropna=False, sort=False)[column].nunique(dropna=False)
            if within
            else pd.Series([table[column].nunique(dropna=False)])
        )
        if counts.max() > 1:
            extra.append(column)
    return swept + extra


def slices(
    aggregate: Aggregate, drawn: Sequence[str], table=None
) -> list[tuple[str, pd.DataFrame]]:
    """``[(name, rows)]``: the table cut into the slices :func:`slice_columns` finds.

    The name says which values the slice holds (``""`` when there is one slice).
    """
    table = aggregate.summary if table is None else table
    columns = slice_columns(aggregate, drawn, table)
    if not columns:
        return [("", table)]
    named = []
    for values, rows in table.groupby(columns, dropna=False, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        named.append((", ".join(f"{c}={_text(v)}" for c, v in zip(columns, values)), rows))
    return named


def caption(aggregate: Aggregate, table=None) -> str:
    """The interval kind, the number of runs and the settings the sweep held fixed."""
    table = aggregate.summary if table is None else table
    n = table["n"][table["n"] > 0]  # a metric a group never has (a reference's energy): n = 0
    low, high = (int(n.min()), int(n.max())) if len(n) else (0, 0)
    count = f"{low}" if low == high else f"{low}-{high}"
    if high > 1:
        text = (
            f"mean and {aggregate.confidence:.0%} Student-t interval over n = {count} runs "
            "(one per master seed) per setting"
        )
        if low == 2:  # the bands fill the axes: say why
            from scipy import stats

            t = stats.t.ppf((1 + aggregate.confidence) / 2, 1)
            text += f" (with 2 runs the interval is ±{t:.1f} standard errors wide)"
    else:
        text = f"n = {count} run per setting: means only, no interval"
    fixed = [
        f"{c}={_text(table[c].iloc[0])}"
        for c in aggregate.setting_columns
        if c in table.columns and not _varies(table, c)
    ]
    return text + (f"; fixed: {', '.join(fixed)}" if fixed else "")


def derived_summary(
    aggregate: Aggregate,
    derive: Callable[[pd.DataFrame], dict],
    by: Sequence[str],
    bounds: dict | None = None,
) -> pd.DataFrame:
    """Statistics of values computed from each run's observations, shaped like the summary.

    ``derive(rows)`` maps one run's observations of one group (the swept
    settings and ``by``) to ``{name: value}``; the result has one row per group
    and name, with ``metric``, ``n``, ``mean``, ``ci_low``, ``ci_high``, the
    interval clipped to ``bounds[name]`` (``(low, high)``).
    """
    bounds = bounds or {}
    observations = aggregate.observations
    groups = [c for c in aggregate.setting_columns if c in observations.columns] + list(by)
    per_run = []
    for values, rows in observations.groupby(groups + ["run_seed"], dropna=False, sort=False):
        for name, value in derive(rows).items():
            per_run.append((*values[:-1], name, value))
    per_run = pd.DataFrame(per_run, columns=groups + ["metric", "_value"])
    out = []
    for values, rows in per_run.groupby(groups + ["metric"], dropna=False, sort=False):
        mean, _, low, high = t_interval(
            rows["_value"], aggregate.confidence, bounds.get(values[-1], (-math.inf, math.inf))
        )
        out.append((*values, int(rows["_value"].notna().sum()), mean, low, high))
    return pd.DataFrame(out, columns=groups + ["metric", "n", "mean", "ci_low", "ci_high"])


def panel_grid(
    aggregate: Aggregate,
    panels: Sequence[Panel],
    drawn: Sequence[str],
    title: str,
    *,
    table=None,
    panel_size: tuple = (4.8, 3.6),
    max_columns: int | None = None,
    note: str = "",
    legend_title: str | None = None,
):
    """One row of ``panels`` per slice of the data (see :func:`slices`), one legend.

    ``drawn`` are the group keys the panels draw themselves; each slice's name
    is added to its panels' titles. With ``max_columns``, a slice's panels wrap
    onto several rows. The title is followed by the :func:`caption` (and
    ``note``, if any).
    """
    parts = slices(aggregate, drawn, table)
    columns = min(len(panels), max_columns or len(panels))
    rows_per_slice = -(-len(panels) // columns)
    width, height = panel_size
    fig, axes = figure(
        len(parts) * rows_per_slice,
        columns,
        figsize=(width * columns, height * len(parts) * rows_per_slice + 0.8),
        squeeze=False,
        layout="constrained",  # laid out when drawn: nothing to compute until it is saved
    )
    for ax in axes.ravel():
        ax.set_visible(False)
    for number, (name, rows) in enumerate(parts):
        block = axes[number * rows_per_slice : (number + 1) * rows_per_slice].ravel()
        for ax, panel in zip(block, panels):
            ax.set_visible(True)
            panel.draw(ax, rows)
            ax.set_title("\n".join(filter(None, [panel.title, name])), fontsize=10)
    handles = {}
    for ax in axes.ravel():
        for handle, text in zip(*ax.get_legend_handles_labels()):
            if text and not text.startswith("_"):
                handles.setdefault(text, handle)
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            ncols=min(3, len(handles)),
            fontsize=8,
            title=legend_title,
            title_fontsize=8,
        )
    table = aggregate.summary if table is None else table
    fig.suptitle(
        "\n".join(filter(None, [title, wrap_text(caption(aggregate, table)), wrap_text(note)])),
        fontsize=10,
    )
    return fig


def wrap_text(text: str, width: int = 130) -> str:
    """``text`` broken into lines of at most ``width`` characters (figure notes, titles)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def metric_rows(rows: pd.DataFrame, metric: str, **where) -> pd.DataFrame:
    """The rows of ``metric`` whose columns equal the values in ``where``."""
    rows = rows[rows["metric"] == metric]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows


def band(
    ax,
    rows: pd.DataFrame,
    x: str,
    *,
    label: str,
    color: str,
    marker: str | None = "o",
    linestyle: str = "-",
    linewidth: float = 1.5,
):
    """The means against column ``x``, with the interval as a band."""
    rows = rows.dropna(subset=["mean", x]).sort_values(x)
    if rows.empty:
        return
    xs = rows[x].to_numpy(dtype=float)
    ax.plot(
        xs,
        rows["mean"],
        marker=marker,
        markersize=3.5,
        linestyle=linestyle,
        linewidth=linewidth,
        color=color,
        label=label,
    )
    ax.fill_between(
        xs,
        rows["ci_low"].to_numpy(dtype=float),
        rows["ci_high"].to_numpy(dtype=float),
        color=color,
        alpha=0.15,
        linewidth=0,
    )


def bands(ax, rows: pd.DataFrame, x: str, series: str, style: Callable) -> None:
    """One :func:`band` per value of column ``series``, styled by ``style(value)`` (a dict
    of ``label``, ``color`` and optionally ``marker``, ``linestyle``, ``linewidth``)."""
    for value in dict.fromkeys(rows[series]):
        band(ax, rows[rows[series] == value], x, **style(value))


def learner_style(name: str) -> dict:
    """Label, colour and line style of a learner (solid, with markers) or a reference
    model of :mod:`experiments.reference` (dashed, thin), as the run figures draw them."""
    from experiments import reference
    from experiments.learners import KINDS

    style = {"label": reference.learner_label(name), "color": reference.learner_color(name)}
    if name in KINDS:
        return {**style, "marker": "o", "linewidth": 2}
    return {**style, "marker": None, "linestyle": "--", "linewidth": 1}


def bars(
    ax,
    rows: pd.DataFrame,
    category: str,
    *,
    series: str | None = None,
    categories: Sequence | None = None,
    category_label: Callable = str,
    series_label: Callable = str,
    series_color: Callable = lambda s: "#444444",
    category_color: Callable | None = None,
    log: bool = False,
    horizontal: bool = False,
    points: bool = False,
):
    """Grouped bars of the means with the intervals as error bars.

    One group per value of ``category`` (in ``categories`` order), one bar per
    value of ``series`` within it (without series, ``category_color`` may colour
    each bar by its category). On a log axis (energies, sample counts) the
    means are points, since a bar's length from an arbitrary floor means nothing;
    ``points`` draws points on a linear axis too.
    """
    rows = rows.dropna(subset=["mean"])
    categories = list(dict.fromkeys(rows[category])) if categories is None else list(categories)
    names = list(dict.fromkeys(rows[series])) if series is not None else [None]
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        part = rows if name is None else rows[rows[series] == name]
        part = part[part[category].isin(categories)]
        if part.empty:
            continue
        if part[category].duplicated().any():
            raise ValueError(
                f"bars: more than one row per {category!r} (and {series!r}); slice the table first"
            )
        positions = (
            np.array([categories.index(c) for c in part[category]], dtype=float)
            + (i - (len(names) - 1) / 2) * width
        )
        if name is not None:
            style = {"color": series_color(name), "label": series_label(name)}
        elif category_color is not None:
            style = {"color": [category_color(c) for c in part[category]]}
        else:
            style = {"color": "#1f77b4"}
        if log or points:
            error = errors(part)
            colours = np.broadcast_to(np.asarray(style.pop("color"), dtype=object), len(part))
            for j, colour in enumerate(colours):  # one call per point: each its own colour
                along = {"xerr" if horizontal else "yerr": error[:, j : j + 1]}
                xy = ([part["mean"].iloc[j]], [positions[j]])
                ax.errorbar(
                    *(xy if horizontal else xy[::-1]),
                    fmt="o",
                    capsize=3,
                    color=colour,
                    **along,
                    **(style if j == 0 else {}),
                )
        elif horizontal:
            ax.barh(positions, part["mean"], height=width, xerr=errors(part), capsize=3, **style)
        else:
            ax.bar(positions, part["mean"], width=width, yerr=errors(part), capsize=3, **style)
    ticks = [category_label(c) for c in categories]
    long = max((len(t) for t in ticks), default=0) > 10 or len(ticks) > 4
    if horizontal:
        ax.set_yticks(np.arange(len(ticks)), ticks)
        ax.set_ylim(len(ticks) - 0.5, -0.5)  # first category on top, every slot shown
        if log:
            ax.set_xscale("log")
    else:
        ax.set_xticks(
            np.arange(len(ticks)),
            ticks,
            rotation=25 if long else 0,
            ha="right" if long else "center",
        )
        ax.set_xlim(-0.5, len(ticks) - 0.5)
        if log:
            ax.set_yscale("log")


#: :func:`bar_panel` options for one bar per learner type (``kind``), in its colour.
PER_LEARNER = {"category_title": "learner", "category_label": label, "category_color": color}


def bar_panel(
    metric: str,
    category: str,
    value_label: str,
    *,
    category_title: str = "",
    limits: tuple | None = None,
    **options,
) -> Callable:
    """A :class:`Panel`'s ``draw``: :func:`bars` of ``metric`` per ``category`` (``options``
    go to :func:`bars`), the value axis labelled ``value_label`` and limited to ``limits``."""

    def draw(ax, rows):
        bars(ax, metric_rows(rows, metric), category, **options)
        horizontal = options.get("horizontal", False)
        (ax.set_xlabel if horizontal else ax.set_ylabel)(value_label)
        if category_title and not horizontal:
            ax.set_xlabel(category_title)
        if limits:
            (ax.set_xlim if horizontal else ax.set_ylim)(*limits)

    return draw
