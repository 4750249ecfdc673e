"""Every experiment's own aggregate figures, drawn from synthetic sweeps shaped like its
metrics (tests/synthetic_sweeps.py: 2 settings x 3 seeds, no training): axes labelled,
a legend wherever several series are drawn, every group's mean drawn, every slice of the
sweep named, and every interval drawn the aggregate's, clipped to the metric's range."""

import dataclasses
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.patches import Rectangle
from synthetic_sweeps import SPECS, synthetic_sweep

from experiments import EXPERIMENTS
from experiments.aggregate import Aggregate, t_interval
from experiments.columns import COLUMNS, value_range
from experiments.continual_learning import average_accuracy, backward_transfer, retention
from experiments.learner_matrix import effects_over_runs
from experiments.sweep_figures import caption, slice_columns, slices

WITH_FIGURES = list(SPECS)
#: Tables of values an experiment's figures derive from each run, with their own intervals.
DERIVED = {"continual_learning": [retention], "learner_matrix": [effects_over_runs]}


def test_every_built_in_experiment_draws_its_own_aggregate_figures():
    assert set(SPECS) == set(COLUMNS)  # a synthetic sweep for each: the tests below
    assert [name for name in COLUMNS if EXPERIMENTS[name].aggregate_figures is None] == []


def _is_number(text: str) -> bool:
    try:
        float(
            text.replace("\u2212", "-").replace("$", "").replace("\\mathdefault{", "").strip("{}")
        )
    except ValueError:
        return False
    return True


def _data_lines(ax):
    """Lines drawn in data coordinates through at least two points (not reference lines)."""
    return [
        line
        for line in ax.lines
        if line.get_transform() == ax.transData and len(np.unique(line.get_xdata())) > 1
    ]


def drawn_values(fig) -> np.ndarray:
    """Every value a figure draws as data: line points, bar lengths."""
    values = []
    for ax in fig.axes:
        for line in ax.lines:
            values += [np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)]
        for patch in ax.patches:
            if isinstance(patch, Rectangle):
                values.append(np.array([patch.get_height(), patch.get_width()]))
    return np.concatenate(values) if values else np.array([])


def drawn_interval_ends(fig) -> np.ndarray:
    """The ends of every interval drawn: bands' edges and error bars' tips."""
    ends = []
    for ax in fig.axes:
        for collection in ax.collections:
            if isinstance(collection, PolyCollection):  # fill_between: y edges
                for path in collection.get_paths():
                    ends.append(path.vertices[:, 1])
            elif isinstance(collection, LineCollection):  # error bars: the varying coordinate
                for segment in collection.get_segments():
                    (x0, y0), (x1, y1) = segment[0], segment[-1]
                    if y0 != y1:
                        ends.append(np.array([y0, y1]))
                    elif x0 != x1:
                        ends.append(np.array([x0, x1]))
    return np.concatenate(ends) if ends else np.array([])


def _contains(haystack: np.ndarray, needles) -> np.ndarray:
    haystack = np.sort(haystack[np.isfinite(haystack)])
    needles = np.asarray(needles, float)
    if not len(haystack):
        return np.zeros(len(needles), bool)
    position = np.clip(np.searchsorted(haystack, needles), 1, len(haystack) - 1)
    nearest = np.minimum(
        np.abs(haystack[position] - needles), np.abs(haystack[position - 1] - needles)
    )
    return nearest <= 1e-9 * np.maximum(1.0, np.abs(needles))


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """``name -> (aggregate, figures)``, each drawn once for every test below."""
    cache = {}

    def get(name):
        if name not in cache:
            result = synthetic_sweep(name, tmp_path_factory.mktemp(name) / "sweep")
            cache[name] = (result, EXPERIMENTS[name].aggregate_figures(result))
        return cache[name]

    yield get
    for _, figures in cache.values():
        for fig in figures.values():
            plt.close(fig)


@pytest.mark.parametrize("name", WITH_FIGURES)
def test_every_axis_is_labelled_and_several_series_have_a_legend(drawn, name):
    _, figures = drawn(name)
    assert figures
    for title, fig in figures.items():
        data_axes = [ax for ax in fig.axes if ax.lines or ax.patches or ax.collections]
        assert data_axes, title
        for ax in data_axes:
            for axis_label, ticks in (
                (ax.get_xlabel(), ax.get_xticklabels()),
                (ax.get_ylabel(), ax.get_yticklabels()),
            ):
                categorical = any(t.get_text() and not _is_number(t.get_text()) for t in ticks)
                assert axis_label or categorical, f"{title}: an axis without a label"
        colours = {
            tuple(np.atleast_2d(line.get_color())[0])
            if not isinstance(line.get_color(), str)
            else line.get_color()
            for ax in fig.axes
            for line in _data_lines(ax)
        }
        if len(colours) > 1:
            entries = [t for legend in fig.legends for t in legend.get_texts()] + [
                t for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
            ]
            assert len(entries) >= 2, f"{title}: {len(colours)} series and no legend"


@pytest.mark.parametrize("name", WITH_FIGURES)
def test_every_group_is_drawn_and_every_slice_named(drawn, name):
    result, figures = drawn(name)
    values = np.concatenate([drawn_values(fig) for fig in figures.values()])
    summary = result.summary.dropna(subset=["mean"])
    drawn_metrics = []
    for metric, rows in summary.groupby("metric"):
        means = rows["mean"].to_numpy(float)
        telling = means[(means != 0) & (means != 1)]  # a clipped 0 or 1 proves nothing
        found = _contains(values, telling)
        if found.any():  # the figures draw this metric: then every group of it
            drawn_metrics.append(metric)
            missing = rows[~_contains(values, means)]
            assert missing.empty, f"{metric}: groups not drawn:\n{missing}"
    assert drawn_metrics
    titles = " ".join(ax.get_title() for fig in figures.values() for ax in fig.axes) + " ".join(
        fig._suptitle.get_text() for fig in figures.values() if fig._suptitle
    )
    for value in (0, 0.5):  # the two settings of the synthetic sweep
        assert f"shift={value:g}" in titles


@pytest.mark.parametrize("name", WITH_FIGURES)
def test_intervals_drawn_are_the_aggregates_and_within_the_metrics_range(drawn, name):
    result, figures = drawn(name)
    summary = result.summary
    tables = [summary] + [derive(result) for derive in DERIVED.get(name, [])]
    allowed = np.concatenate(
        [table[c].to_numpy(float) for table in tables for c in ("mean", "ci_low", "ci_high")]
    )
    ends = np.concatenate([drawn_interval_ends(fig) for fig in figures.values()])
    assert len(ends), "no interval drawn"
    strays = ends[~_contains(allowed, ends)]
    assert not len(strays), f"interval ends not from the aggregate: {strays[:5]}"
    # and the aggregate's intervals lie in each metric's declared range
    for metric, rows in summary.groupby("metric"):
        low, high = value_range(name, metric)
        assert (rows["ci_low"].dropna() >= low).all() and (rows["ci_high"].dropna() <= high).all()
    bounded = [
        m for m in summary["metric"].unique() if value_range(name, m) != (-math.inf, math.inf)
    ]
    if bounded:  # the synthetic values crowd the range's edge: some intervals were clipped
        rows = summary[summary.metric.isin(bounded)]
        edges = [value_range(name, m) for m in rows["metric"]]
        assert any(
            row.ci_high == high or row.ci_low == low
            for row, (low, high) in zip(rows.itertuples(), edges)
        )


def test_continual_learning_retention_is_each_runs_acc_and_bwt_over_runs(drawn):
    # ACC and BWT of each run from its accuracy matrix, then a t interval over the runs,
    # clipped to [0, 1] (ACC) and [-1, 1] (BWT): computed here from the observations.
    result, _ = drawn("continual_learning")
    table = retention(result)
    observations = result.observations
    checked = 0
    for (shift, learner, scenario), rows in observations.groupby(
        ["shift", "learner", "scenario"], dropna=False
    ):
        for n_neurons, part in rows.groupby("n_neurons", dropna=False):
            per_run = {"acc": [], "bwt": []}
            for _, run in part.groupby("run_seed"):
                size = int(run["test_task"].max()) + 1
                R = np.full((size, size), np.nan)
                R[run["after_task"].astype(int), run["test_task"].astype(int)] = run["accuracy"]
                per_run["acc"].append(average_accuracy(R))
                per_run["bwt"].append(backward_transfer(R))
            for measure, (low, high) in (("acc", (0, 1)), ("bwt", (-1, 1))):
                mean, _, ci_low, ci_high = t_interval(per_run[measure])
                row = table[
                    (table["shift"] == shift)
                    & (table["learner"] == learner)
                    & (table["scenario"] == scenario)
                    & (table["metric"] == measure)
                    & (
                        (table["n_neurons"] == n_neurons)
                        | (table["n_neurons"].isna() & (n_neurons != n_neurons))
                    )
                ]
                assert len(row) == 1
                assert row["mean"].iloc[0] == pytest.approx(mean)
                assert row["ci_low"].iloc[0] == pytest.approx(max(ci_low, low))
                assert row["ci_high"].iloc[0] == pytest.approx(min(ci_high, high))
                checked += 1
    assert checked == len(table)


def test_a_key_the_figure_does_not_draw_is_a_slice_unless_the_drawn_keys_fix_it():
    # 'unit' follows from 'learner' (one unit per learner): no slice. 'task' varies within
    # a learner: one slice per task, as does the swept 'epochs' that varies.
    rows = [
        {"epochs": e, "task": t, "learner": l, "unit": u, "metric": "score", "n": 3}
        for e in (5, 10)
        for t in ("iris", "digits")
        for l, u in (("ann", "MAC"), ("snn", "SOP"))
    ]
    table = pd.DataFrame(rows).assign(fixed=1, mean=0.5, ci_low=0.4, ci_high=0.6)
    result = Aggregate(
        table,
        None,
        ["epochs", "fixed"],
        ["task", "learner", "unit"],
        ["score"],
        12,
        0,
        None,
        [],
        "probe",
        0.9,
    )
    assert slice_columns(result, ["learner"]) == ["epochs", "task"]
    assert slice_columns(result, ["learner", "task"]) == ["epochs"]
    names = [name for name, _ in slices(result, ["learner"])]
    assert names == [
        "epochs=5, task=iris",
        "epochs=5, task=digits",
        "epochs=10, task=iris",
        "epochs=10, task=digits",
    ]
    text = caption(result)
    assert "90% Student-t interval over n = 3 runs" in text and "fixed: fixed=1" in text
    two = dataclasses.replace(result, summary=table.assign(n=2))
    assert "(with 2 runs the interval is ±6.3 standard errors wide)" in caption(two)  # t_0.95,1


def test_one_run_per_setting_draws_means_and_says_there_is_no_interval(tmp_path):
    result = synthetic_sweep("smart_city", tmp_path / "sweep", seeds="0")
    figures = EXPERIMENTS["smart_city"].aggregate_figures(result)
    try:
        for fig in figures.values():
            assert "n = 1 run per setting: means only, no interval" in fig._suptitle.get_text()
            ends = drawn_interval_ends(fig)
            assert not np.isfinite(ends).any()  # no band, no error bar with a length
        values = np.concatenate([drawn_values(fig) for fig in figures.values()])
        local = result.summary[result.summary.metric == "local_accuracy"]["mean"]
        assert _contains(values, local).all()
    finally:
        for fig in figures.values():
            plt.close(fig)
