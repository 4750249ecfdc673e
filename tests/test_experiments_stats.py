"""The statistics every summary uses, against scipy's own t intervals and paired t test."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.stats import interval_table, mean_interval, paired_difference, paired_table


def test_mean_interval_is_scipys_student_t_interval():
    values = np.random.default_rng(0).normal(0.8, 0.05, size=7)
    interval = mean_interval(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert interval.low == pytest.approx(low) and interval.high == pytest.approx(high)
    assert interval.low < interval.mean < interval.high and interval.n == 7


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
