"""Aggregating a sweep: t intervals against scipy's one-sample t test, per-setting statistics
against a direct computation from the runs' metrics.csv files, column inference, the
figures, the experiment hook, and errors."""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from experiments import EXPERIMENTS, Result, register_experiment
from experiments.aggregate import aggregate, infer_columns, t_interval
from experiments.cli import main
from experiments.columns import Column
from experiments.store import StoreError
from experiments.style import figure
from experiments.sweep import plan_sweep, run_sweep

NAME = "_aggregate_probe"
HOOKED = "_aggregate_hooked_probe"
BOUNDED = "_aggregate_bounded_probe"
SOCIETY = "_aggregate_society_probe"


def _society_run(settings, seed):
    """Per round and agent: accuracy (random), messages (the same in every run)."""
    rng = np.random.default_rng(seed)
    rows = [
        {"round": r, "agent": a, "accuracy": rng.uniform(0, 1), "messages": 2 * a}
        for r in (1, 2)
        for a in range(3)
    ]
    return Result(metrics=pd.DataFrame(rows))


@dataclass(frozen=True)
class Settings:
    scale: float = 1.0
    n_inner: int = 2
    deterministic: bool = False
    fail: bool = False
    level: float = 0.0  # named like a metrics column on purpose

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls()


def _run(settings, seed):
    if settings.fail:
        raise RuntimeError("probe failure")
    rng = np.random.default_rng(seed)
    rows = []
    for inner in range(settings.n_inner):
        for kind in ("ann", "snn"):
            for level in (0.0, 0.25, 0.5):
                noise = 0.0 if settings.deterministic else rng.normal(scale=0.1)
                rows.append(
                    {
                        "kind": kind,
                        "seed": 1000 * seed + inner,
                        "level": level,
                        "accuracy": settings.scale * (1 - level) + settings.level + noise,
                        "errors": int(rng.integers(0, 5)) if not settings.deterministic else 0,
                    }
                )
    return Result(metrics=pd.DataFrame(rows))


def _no_figures(result, settings):
    return {}


def _hook(aggregate):
    table, swept = aggregate.summary, aggregate.setting_columns
    fig, ax = figure()
    rows = table[table.metric == "accuracy"]
    ax.plot(rows[swept[0]], rows["mean"])
    ax.set_xlabel(swept[0])
    ax.set_ylabel("accuracy")
    return {"custom_accuracy": fig}


if NAME not in EXPERIMENTS:
    register_experiment(
        NAME, "probe for the aggregate tests", Settings, _no_figures, lambda r, s: "probe"
    )(_run)
    register_experiment(
        HOOKED,
        "probe with its own aggregate figures",
        Settings,
        _no_figures,
        lambda r, s: "probe",
        aggregate_figures=_hook,
    )(_run)
    register_experiment(
        BOUNDED,
        "probe whose accuracy is declared to lie in [0, 1]",
        Settings,
        _no_figures,
        lambda r, s: "probe",
        columns={
            "kind": Column("learner"),
            "seed": Column("inner seed"),
            "level": Column("noise level"),
            "accuracy": Column("fraction correct", "", 0.0, 1.0),
            "errors": Column("errors"),
        },
    )(_run)
    register_experiment(
        SOCIETY,
        "probe with per-agent rows",
        Settings,
        _no_figures,
        lambda r, s: "probe",
        columns={
            "round": Column("round"),
            "agent": Column("agent index", role="identifier"),
            "accuracy": Column("fraction correct", "", 0.0, 1.0),
            "messages": Column("messages sent", role="metric"),
        },
    )(_society_run)


def _sweep(out, name=NAME, seeds="0-3", grid=None):
    plan = plan_sweep(name, quick=True, seeds=seeds, grid=grid or {"scale": [1.0, 2.0]})
    run_sweep(plan, out, workers=0)
    return plan


# -- statistics ------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[1.0, 2.0, 4.0], [0.3, 0.31], list(np.linspace(-1, 3, 17))])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_t_interval_matches_scipy_one_sample_t_test(values, confidence):
    mean, std, low, high = t_interval(values, confidence)
    reference = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
    assert mean == pytest.approx(np.mean(values))
    assert std == pytest.approx(np.std(values, ddof=1))
    assert (low, high) == pytest.approx((reference.low, reference.high))


def test_t_interval_of_one_value_has_no_spread_and_nans_are_ignored():
    mean, std, low, high = t_interval([3.0])
    assert mean == 3.0 and np.isnan([std, low, high]).all()
    assert t_interval([1.0, np.nan, 3.0])[0] == 2.0
    assert np.isnan(t_interval([])).all()


def test_t_interval_covers_the_true_mean_at_its_nominal_rate():
    # 2000 samples of 5 normal values: the 90% interval holds the mean 90% of the time.
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        _, _, low, high = t_interval(rng.normal(3.0, 2.0, size=5), 0.9)
        hits += low <= 3.0 <= high
    assert abs(hits / 2000 - 0.9) < 0.02  # 3 binomial standard deviations is 0.02


# -- the aggregate table ---------------------------------------------------------------------------


def test_declared_identifiers_are_averaged_over_and_declared_metrics_aggregated(tmp_path):
    _sweep(tmp_path / "s", name=SOCIETY, seeds="0-2", grid={"scale": [1.0]})
    result = aggregate(tmp_path / "s", figures=False)
    # inferred alone, agent and messages (the same in every run) would be keys
    assert result.keys == ["round"] and result.metrics == ["accuracy", "messages"]
    accuracy = result.summary[result.summary.metric == "accuracy"].set_index("round")["mean"]
    for round_ in (1, 2):  # the mean over agents within a run, then over runs
        per_run = []
        for seed in range(3):
            rows = _society_run(Settings(), seed).metrics
            per_run.append(rows.loc[rows["round"] == round_, "accuracy"].mean())
        assert accuracy[round_] == pytest.approx(np.mean(per_run))
    messages = result.summary[result.summary.metric == "messages"]
    assert (messages["mean"] == 2.0).all()  # mean of 0, 2, 4


def test_intervals_are_clipped_to_the_declared_range_of_the_metric(tmp_path):
    # accuracy = scale * (1 - level) + noise: near 1 at level 0, so the raw t interval
    # of 3 runs reaches past 1; the declared range [0, 1] clips it there.
    _sweep(tmp_path / "bounded", name=BOUNDED, seeds="0-2", grid={"scale": [1.0]})
    _sweep(tmp_path / "free", name=NAME, seeds="0-2", grid={"scale": [1.0]})
    bounded = aggregate(tmp_path / "bounded", figures=False).summary
    free = aggregate(tmp_path / "free", figures=False).summary
    accuracy = (free.metric == "accuracy") & (free.level == 0.0)
    assert (free.loc[accuracy, "ci_high"] > 1).all()  # the raw interval leaves [0, 1]
    assert (bounded.loc[accuracy, "ci_high"] == 1.0).all()
    assert np.allclose(bounded.loc[accuracy, "ci_low"], free.loc[accuracy, "ci_low"])
    errors = bounded.metric == "errors"  # undeclared range: untouched
    assert np.allclose(bounded.loc[errors, "ci_low"], free.loc[errors, "ci_low"])


def test_summary_matches_a_direct_computation_from_the_run_files(tmp_path):
    out = tmp_path / "s"
    plan = _sweep(out)
    result = aggregate(out, confidence=0.9)
    assert result.setting_columns == ["scale"] and result.keys == ["kind", "level"]
    assert result.metrics == ["accuracy", "errors"]
    summary = pd.read_csv(out / "aggregate" / "summary.csv")
    assert list(summary.columns) == [
        "scale",
        "kind",
        "level",
        "metric",
        "n",
        "mean",
        "std",
        "sem",
        "ci_low",
        "ci_high",
    ]
    assert len(summary) == 2 * 2 * 3 * 2 and (summary["n"] == 4).all()
    # Independently: average each run's inner seeds, then a t interval over the runs.
    for run_setting in ({"scale": 1.0}, {"scale": 2.0}):
        runs = [r for r in plan.runs if r.setting == run_setting]
        per_run = [
            pd.read_csv(out / "runs" / r.run_id / "metrics.csv")
            .groupby(["kind", "level"])[["accuracy", "errors"]]
            .mean()
            for r in runs
        ]
        for (kind, level), _ in per_run[0].iterrows():
            for metric in ("accuracy", "errors"):
                values = [frame.loc[(kind, level), metric] for frame in per_run]
                row = summary[
                    (summary.scale == run_setting["scale"])
                    & (summary.kind == kind)
                    & (summary.level == level)
                    & (summary.metric == metric)
                ].iloc[0]
                ci = stats.t.interval(
                    0.9, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
                )
                assert row["mean"] == pytest.approx(np.mean(values))
                assert row["sem"] == pytest.approx(stats.sem(values))
                assert (row["ci_low"], row["ci_high"]) == pytest.approx(ci)
    observations = pd.read_csv(out / "aggregate" / "observations.csv")
    assert list(observations.columns) == [
        "scale",
        "run_seed",
        "kind",
        "level",
        "accuracy",
        "errors",
    ]
    assert len(observations) == 8 * 2 * 3


def test_column_inference():
    design = pd.DataFrame(
        {
            "kind": ["a", "b"],
            "seed": [1, 2],
            "level": [0.0, 0.5],
            "step": [1, 2],
            "score": [0.1, 0.2],
            "count": [3, 4],
        }
    )
    other = design.assign(seed=[5, 6], score=[0.3, 0.1], count=[3, 7])
    # Two runs of one setting: what stays the same row by row is a design variable.
    assert infer_columns([design, other], ["s", "s"]) == (
        ["kind", "level", "step"],
        ["score", "count"],
    )
    # One run per setting: integers are keys, floats metrics.
    assert infer_columns([design, other], ["s", "t"]) == (
        ["kind", "step", "count"],
        ["level", "score"],
    )
    # Deterministic runs: floats are metrics anyway.
    assert infer_columns([design, design], ["s", "s"]) == (
        ["kind", "step", "count"],
        ["level", "score"],
    )
    assert infer_columns([design, other], ["s", "s"], by=["kind", "level"]) == (
        ["kind", "level"],
        ["step", "score", "count"],
    )
    with pytest.raises(ValueError, match="--by: no column 'nope'"):
        infer_columns([design], ["s"], by=["nope"])


def test_single_seed_gives_means_without_intervals(tmp_path):
    _sweep(tmp_path / "s", seeds="4")
    summary = aggregate(tmp_path / "s", figures=False).summary
    assert (summary["n"] == 1).all() and summary["ci_low"].isna().all()


def test_deterministic_runs_have_zero_width_intervals(tmp_path):
    _sweep(tmp_path / "s", seeds="0-2", grid={"deterministic": [True]})
    result = aggregate(tmp_path / "s", figures=False)
    assert "accuracy" in result.metrics
    accuracy = result.summary[result.summary.metric == "accuracy"]
    assert np.allclose(accuracy["ci_high"], accuracy["ci_low"])


def test_failed_runs_are_left_out_and_counted(tmp_path, capsys):
    _sweep(tmp_path / "s", seeds="0-2", grid={"fail": [False, True]})
    assert main(["aggregate", str(tmp_path / "s")]) == 0
    assert "3 runs (3 not finished)" in capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "s" / "aggregate" / "summary.csv")
    assert set(summary["fail"]) == {False}


def test_generic_figures_one_per_metric_and_rerun_replaces_them(tmp_path):
    out = tmp_path / "s"
    _sweep(out, seeds="0-2", grid={"scale": [0.5, 1.0, 2.0]})
    first = aggregate(out)
    names = sorted(p.name for p in (out / "aggregate" / "figures").iterdir())
    assert names == ["accuracy.png", "accuracy.svg", "errors.png", "errors.svg"]
    assert all(path.is_file() for path in first.figures)
    _sweep(out, seeds="0-3", grid={"scale": [0.5, 1.0, 2.0]})
    assert (aggregate(out).summary["n"] == 4).all()
    assert sorted(p.name for p in out.iterdir()) == [".lock", "aggregate", "manifest.json", "runs"]


def test_a_categorical_sweep_draws_settings_side_by_side(tmp_path):
    out = tmp_path / "s"
    _sweep(out, seeds="0-1", grid={"deterministic": [False, True]})
    result = aggregate(out)
    assert (out / "aggregate" / "figures" / "accuracy.png").stat().st_size > 1000
    assert result.setting_columns == ["deterministic"]


def test_an_experiment_hook_draws_its_own_figures(tmp_path):
    out = tmp_path / "s"
    _sweep(out, name=HOOKED, seeds="0-1")
    result = aggregate(out)
    assert sorted(p.name for p in (out / "aggregate" / "figures").iterdir()) == [
        "custom_accuracy.png",
        "custom_accuracy.svg",
    ]
    assert len(result.figures) == 2


def test_with_by_the_generic_figures_are_drawn_not_the_experiments_own(tmp_path):
    # The experiment's figures assume its own keys; --by chooses others.
    out = tmp_path / "s"
    _sweep(out, name=HOOKED, seeds="0-1")
    aggregate(out, by=["kind", "level"])
    assert sorted(p.stem for p in (out / "aggregate" / "figures").iterdir()) == [
        "accuracy",
        "accuracy",
        "errors",
        "errors",
    ]


def test_a_swept_key_named_like_a_metrics_column_is_prefixed(tmp_path):
    out = tmp_path / "s"
    _sweep(out, seeds="0-1", grid={"level": [0.0, 0.1]})
    result = aggregate(out, figures=False)
    assert result.setting_columns == ["setting_level"] and "level" in result.keys
    summary = pd.read_csv(out / "aggregate" / "summary.csv")
    assert list(summary.columns[:3]) == ["setting_level", "kind", "level"]
    shifted = summary[(summary.setting_level == 0.1) & (summary.metric == "accuracy")]
    plain = summary[(summary.setting_level == 0.0) & (summary.metric == "accuracy")]
    assert np.allclose(shifted["mean"].to_numpy() - plain["mean"].to_numpy(), 0.1)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["aggregate", "/nonexistent/sweep"], "no manifest.json"),
        (["aggregate", "{out}", "--confidence", "1.5"], "--confidence must be a number in (0, 1)"),
        (["aggregate", "{out}", "--by", "nope"], "--by: no column 'nope'"),
        (["aggregate", "{out}", "--by", ","], "--by must name at least one column"),
    ],
)
def test_cli_aggregate_mistakes_give_one_line_and_exit_2(tmp_path, argv, message, capsys):
    _sweep(tmp_path / "s", seeds="0")
    argv = [a.format(out=tmp_path / "s") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_aggregate_of_a_sweep_with_no_finished_run_says_so(tmp_path):
    _sweep(tmp_path / "s", seeds="0", grid={"fail": [True]})
    with pytest.raises(StoreError, match="no finished run"):
        aggregate(tmp_path / "s")
    assert (
        json.loads((tmp_path / "s" / "manifest.json").read_text())["runs"][0]["status"] == "failed"
    )


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30),
    scale=st.floats(0.01, 100),
    shift=st.floats(-1e3, 1e3),
)
def test_t_interval_moves_with_an_affine_change_of_units(values, scale, shift):
    # Changing units (x -> a x + b, a > 0) must change the interval the same way.
    mean, std, low, high = t_interval(values)
    moved = t_interval([scale * v + shift for v in values])
    tolerance = 1e-6 * (abs(shift) + scale * (max(map(abs, values)) + 1))
    assert moved == pytest.approx(
        (scale * mean + shift, scale * std, scale * low + shift, scale * high + shift),
        abs=tolerance,
    )
    assert low <= mean <= high
