"""The statistics every summary uses, against scipy's own t intervals and paired t test."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.stats import (
    finite_interval,
    geometric_interval,
    interval_table,
    interval_text,
    mean_interval,
    paired_difference,
    paired_table,
)


def _t_bounds(values):
    """The unclipped 95% Student-t interval, by hand from scipy.stats.t."""
    values = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def test_mean_interval_is_scipys_student_t_interval():
    values = np.random.default_rng(0).normal(0.8, 0.05, size=7)
    interval = mean_interval(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert interval.low == pytest.approx(low) and interval.high == pytest.approx(high)
    assert interval.low < interval.mean < interval.high and interval.n == 7


def test_finite_and_geometric_intervals_use_only_the_values_they_can():
    kept = [0.2, 0.4, 0.9]
    low, high = stats.t.interval(0.95, 2, loc=np.mean(kept), scale=stats.sem(kept))
    assert finite_interval([0.2, np.inf, 0.4, -np.inf, 0.9, np.nan]) == pytest.approx(
        (np.mean(kept), low, high)
    )
    assert finite_interval([0.2, 0.4, 0.9], bounds=(0, 1))[1:] == (max(low, 0.0), min(high, 1.0))
    joules = [1e-3, 2e-3, 8e-3]
    logs = np.log(joules)
    low, high = stats.t.interval(0.95, 2, loc=logs.mean(), scale=stats.sem(logs))
    assert geometric_interval([*joules, 0.0, -1.0, np.nan, np.inf]) == pytest.approx(
        (np.exp(logs.mean()), np.exp(low), np.exp(high))
    )
    assert np.isnan(finite_interval([np.inf])).all() and np.isnan(geometric_interval([0.0])).all()


def test_paired_difference_is_the_paired_t_tests_interval():
    rng = np.random.default_rng(1)
    shared = rng.normal(0.7, 0.1, size=10)  # a large per-replicate effect both sides share
    a, b = shared + 0.02 + rng.normal(0, 0.005, 10), shared + rng.normal(0, 0.005, 10)
    paired = paired_difference(a, b)
    reference = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert paired.low == pytest.approx(reference.low) and paired.high == pytest.approx(
        reference.high
    )
    # pairing removes the shared spread: the unpaired intervals overlap, the paired one excludes 0
    assert mean_interval(a).low < mean_interval(b).high and paired.low > 0
    assert str(paired).startswith("+0.0")


def test_one_value_has_no_interval_and_bad_input_is_named():
    single = mean_interval([0.5])
    assert single.mean == 0.5 and np.isnan(single.low) and "n = 1" in str(single)
    with pytest.raises(ValueError, match="confidence"):
        mean_interval([1.0, 2.0], confidence=95)
    with pytest.raises(ValueError, match="not NaN"):
        mean_interval([np.nan])
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([1.0, 2.0], [1.0])


def test_tables_group_and_pair_on_the_replicate():
    table = pd.DataFrame(
        {
            "seed": [0, 1, 2] * 2,
            "kind": ["a"] * 3 + ["b"] * 3,
            "score": [0.9, 0.8, 0.7, 0.8, 0.7, 0.5],
        }
    )
    groups = interval_table(table, "kind", "score").set_index("kind")
    assert groups.loc["a", "mean"] == pytest.approx(0.8) and groups.loc["b", "n"] == 3
    paired = paired_table(table, "seed", "kind", "score", reference="b")
    assert list(paired["kind"]) == ["a"]
    expected = paired_difference([0.9, 0.8, 0.7], [0.8, 0.7, 0.5])
    assert paired["mean"].iloc[0] == pytest.approx(expected.mean)
    assert paired["low"].iloc[0] == pytest.approx(expected.low)


def test_an_accuracy_interval_past_one_is_clipped_to_the_accuracy_range():
    accuracy = [0.85, 0.95, 0.96]
    low, high = _t_bounds(accuracy)
    assert high > 1  # the raw t interval runs past what an accuracy can be
    for interval in (
        mean_interval(accuracy, bounds=(0, 1)),
        mean_interval(accuracy, bounds="accuracy"),  # the range from the data dictionary
    ):
        assert interval.low == pytest.approx(low) and interval.high == 1.0
    assert str(mean_interval(accuracy, bounds=(0, 1))) == f"0.920 [{low:.3f}, 1.000]"
    table = pd.DataFrame({"kind": ["ann"] * 3, "accuracy": accuracy})
    row = interval_table(table, "kind", "accuracy").iloc[0]
    assert row["low"] == pytest.approx(low) and row["high"] == 1.0
    # an energy (declared >= 0) is clipped at 0
    joules = [1e-3, 2e-3, 3e-3]
    assert _t_bounds(joules)[0] < 0
    assert (
        interval_text(joules, ".2e", bounds="training_joules")
        == f"2.00e-03 [0.00e+00, {_t_bounds(joules)[1]:.2e}]"
    )


def test_a_difference_of_accuracies_is_clipped_to_minus_one_one_not_zero_one():
    a, b = [0.95, 0.5, 0.9], [0.05, 0.45, 0.1]  # differences 0.9, 0.05, 0.8
    low, high = _t_bounds(np.subtract(a, b))
    assert low < 0 and high > 1
    difference = paired_difference(a, b, bounds=(0, 1))
    # only the difference's own range applies: the negative low end survives, the top is 1
    assert difference.low == pytest.approx(low) and difference.high == 1.0
    named = paired_difference(a, b, bounds="accuracy")
    assert named.low == pytest.approx(low) and named.high == 1.0
    table = pd.DataFrame(
        {"seed": [0, 1, 2] * 2, "kind": ["snn"] * 3 + ["ann"] * 3, "accuracy": a + b}
    )
    row = paired_table(table, "seed", "kind", "accuracy", "ann").iloc[0]
    assert row["low"] == pytest.approx(low) and row["high"] == 1.0
    # the other way round the floor is -1
    flipped = paired_difference(b, a, bounds=(0, 1))
    assert flipped.low == -1.0 and flipped.high == pytest.approx(-low)


def test_an_unbounded_metric_is_not_clipped_and_bad_bounds_are_named():
    values = [-2.0, 5.0, 40.0]
    low, high = _t_bounds(values)
    # no bounds, a column the data dictionary does not declare, and a Series named after a
    # bounded column (a difference stored under an accuracy's name is not clipped to [0, 1])
    for interval in (
        mean_interval(values),
        mean_interval(values, bounds="undeclared"),
        mean_interval(pd.Series(values, name="accuracy")),
    ):
        assert interval.low == pytest.approx(low) and interval.high == pytest.approx(high)
    difference = paired_difference(values, [0.0, 0.0, 0.0])
    assert difference.low == pytest.approx(low) and difference.high == pytest.approx(high)
    with pytest.raises(ValueError, match="bounds"):
        mean_interval(values, bounds=(1, 0))
    with pytest.raises(ValueError, match="bounds"):
        mean_interval(values, bounds=0.5)
