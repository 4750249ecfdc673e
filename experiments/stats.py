"""Means with Student-t confidence intervals, and paired differences, for every summary.

The interval itself is :func:`experiments.aggregate.t_interval` (the one
the sweep aggregation uses). Every number an experiment reports is a mean over independent replicates
(seeds, or positions of a paired design) with a 95% interval from Student's t
distribution: ``mean +- t_{0.975, n-1} * s / sqrt(n)``. A paired design (the
same seed, data shard or intersection under two conditions) is analysed on
the per-replicate differences, whose interval is usually much narrower than
the two intervals side by side suggest.

Every interval is clipped to the range the metric can take: an accuracy's
[0, 1], a count's or an energy's [0, inf), and for a paired difference of two
metrics the range of that difference (of two accuracies [-1, 1], never the
[0, 1] of the accuracies themselves). The mean lies in the range, so clipping
only removes values the metric cannot take. The range is ``bounds``: a pair
``(low, high)`` or the name of a column whose range the data dictionary
declares (:func:`experiments.columns.range_of_name`, e.g. ``bounds="accuracy"``);
for :func:`paired_difference` and :func:`paired_table` it is the range of the
two compared metrics, and the difference's range is derived from it.
:func:`interval_table` and :func:`paired_table` default to the range of their
``value`` column; without bounds the other helpers do not clip (a difference
of two accuracies stored under an accuracy's name must not be clipped to [0, 1]).

>>> import numpy as np
>>> interval = mean_interval([0.90, 0.92, 0.94])
>>> round(interval.mean, 3), round(interval.low, 3), round(interval.high, 3), interval.n
(0.92, 0.87, 0.97, 3)
>>> str(interval)
'0.920 [0.870, 0.970]'
>>> str(paired_difference([0.9, 0.8, 0.7], [0.8, 0.7, 0.5]))
'+0.133 [-0.010, +0.277]'
>>> str(mean_interval([0.85, 0.95, 0.96], bounds=(0, 1)))  # unclipped: [0.769, 1.071]
'0.920 [0.769, 1.000]'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.params import check_param
from experiments.aggregate import CONFIDENCE_LEVEL, clip_interval, t_interval
from experiments.columns import range_of_name

CONFIDENCE = 0.95
UNBOUNDED = (-math.inf, math.inf)


def metric_bounds(bounds=None) -> tuple[float, float]:
    """``(low, high)`` from ``bounds``: a pair, the name of a declared column (its range in
    the data dictionary) or None (unbounded).

    Raises
    ------
    ValueError
        If ``bounds`` is not a pair ``(low, high)`` with ``low <= high`` or a column name.
    """
    if bounds is None:
        return UNBOUNDED
    if isinstance(bounds, str):
        return range_of_name(bounds)
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair (low, high), got bounds={bounds!r}") from None
    if not low <= high:
        raise ValueError(f"bounds must have low <= high, got bounds={bounds!r}")
    return low, high


def difference_bounds(a_bounds, b_bounds) -> tuple[float, float]:
    """The range of ``a - b`` when ``a`` lies in ``a_bounds`` and ``b`` in ``b_bounds``
    (two accuracies: [-1, 1])."""
    return a_bounds[0] - b_bounds[1], a_bounds[1] - b_bounds[0]


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval over ``n`` replicates (NaN bounds if n < 2)."""

    mean: float
    low: float
    high: float
    n: int
    signed: bool = False

    def format(self, digits: int = 3) -> str:
        sign = "+" if self.signed else ""
        if self.n < 2 or not np.isfinite(self.low):
            return f"{self.mean:{sign}.{digits}f} (n = {self.n})"
        return f"{self.mean:{sign}.{digits}f} [{self.low:{sign}.{digits}f}, {self.high:{sign}.{digits}f}]"

    def __str__(self) -> str:
        return self.format()

    def clipped(self, bounds) -> Interval:
        """This interval with its bounds clipped to ``bounds = (low, high)`` (NaN bounds stay)."""
        low, high = clip_interval(self.low, self.high, bounds)
        return Interval(self.mean, low, high, self.n, self.signed)


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE, bounds=None) -> Interval:
    """Mean of ``values`` and its Student-t confidence interval, clipped to the range the
    values can take, ``bounds`` (:func:`metric_bounds`: a pair or a declared column's name).

    NaN values are dropped. With fewer than two values the bounds are NaN
    (an interval needs a spread).

    Raises
    ------
    ValueError
        If ``confidence`` is not in (0, 1) or no value is left.
    """
    check_param("confidence", confidence, CONFIDENCE_LEVEL)
    bounds = metric_bounds(bounds)
    values = np.asarray(values, dtype=float).ravel()
    n = int((~np.isnan(values)).sum())
    if n == 0:
        raise ValueError("mean_interval needs at least one value that is not NaN")
    mean, _, low, high = t_interval(values, confidence, bounds)
    return Interval(mean, low, high, n)


def finite_interval(values, bounds=None) -> tuple[float, float, float]:
    """``(mean, low, high)``: :func:`mean_interval` of the finite ``values`` (infinities
    dropped), clipped to ``bounds``; all NaN when no value is left, NaN bounds for one."""
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    found = mean_interval(values, bounds=bounds)
    return found.mean, found.low, found.high


def geometric_interval(values) -> tuple[float, float, float]:
    """Geometric mean and 95% interval of the positive finite ``values`` (an energy over
    seeds), from the Student-t interval of their logarithms (so the bounds stay positive)."""
    values = np.asarray(values, dtype=float).ravel()
    positive = values[np.isfinite(values) & (values > 0)]
    if len(positive) == 0:
        return np.nan, np.nan, np.nan
    mean, low, high = finite_interval(np.log(positive))
    return float(np.exp(mean)), float(np.exp(low)), float(np.exp(high))


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE, bounds=None
) -> Interval:
    """Mean of ``a - b`` over paired replicates, with its Student-t interval.

    ``a[i]`` and ``b[i]`` must come from the same replicate (seed, shard,
    intersection). Pairs with a NaN on either side are dropped. ``bounds`` is
    the range of ``a`` and ``b``, not of the difference (:func:`metric_bounds`:
    a pair or a declared column's name; None: unbounded); the interval is clipped to the range of the
    difference, :func:`difference_bounds` (two accuracies: [-1, 1]).
    """
    level = metric_bounds(bounds)
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    interval = mean_interval(a - b, confidence, difference_bounds(level, level))
    return Interval(interval.mean, interval.low, interval.high, interval.n, signed=True)


def paired_by_seed(
    table: pd.DataFrame, value: str, a: str = "snn", b: str = "ann", *, by="kind", bounds=None
) -> Interval | None:
    """``a``'s ``value`` minus ``b``'s, paired by seed (:func:`paired_difference`).

    ``table`` has a ``seed`` column, a column ``by`` naming the learner (by
    default the spiking network, ``"snn"``, minus the MLP, ``"ann"``) and the
    column ``value``; None unless some seed has a value (not NaN) of both learners.

    >>> table = pd.DataFrame({"seed": [0, 0, 1, 1], "kind": ["ann", "snn"] * 2,
    ...                       "accuracy": [0.8, 0.9, 0.7, 0.7]})
    >>> str(paired_by_seed(table, "accuracy", bounds="accuracy"))
    '+0.050 [-0.585, +0.685]'
    """
    wide = table.pivot_table(index="seed", columns=by, values=value)
    if not {a, b} <= set(wide.columns) or wide[[a, b]].dropna().empty:
        return None
    return paired_difference(wide[a], wide[b], bounds=bounds)


def interval_table(
    table: pd.DataFrame,
    by: Sequence[str] | str,
    value: str,
    confidence: float = CONFIDENCE,
    bounds=None,
) -> pd.DataFrame:
    """Per group of ``by``: ``mean``, ``low``, ``high`` and ``n`` of column ``value``.

    The interval is clipped to ``bounds`` (default: the data dictionary's range of a
    column called ``value``; see :func:`metric_bounds`). Groups keep
    their order of first appearance.
    """
    bounds = metric_bounds(value if bounds is None else bounds)
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, part in table.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        interval = mean_interval(part[value], confidence, bounds)
        rows.append(
            {
                **dict(zip(by, key)),
                "mean": interval.mean,
                "low": interval.low,
                "high": interval.high,
                "n": interval.n,
            }
        )
    return pd.DataFrame(rows, columns=[*by, "mean", "low", "high", "n"])


def paired_table(
    table: pd.DataFrame,
    pair_on: Sequence[str] | str,
    condition: str,
    value: str,
    reference,
    by: Sequence[str] | str = (),
    confidence: float = CONFIDENCE,
    bounds=None,
) -> pd.DataFrame:
    """Paired differences ``value(condition) - value(reference)`` matched on ``pair_on``.

    For every group of ``by`` and every level of ``condition`` other than
    ``reference``: the mean difference over the replicates (rows matched on
    ``pair_on``, e.g. the seed) with its interval, as ``mean``, ``low``,
    ``high``, ``n``. ``bounds`` is the range of ``value`` (default: the data
    dictionary's range of a column called ``value``); the differences are clipped
    to the range of a difference of two such values (accuracies: [-1, 1]).
    """
    bounds = metric_bounds(value if bounds is None else bounds)
    pair_on = [pair_on] if isinstance(pair_on, str) else list(pair_on)
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    groups = table.groupby(by, sort=False) if by else [((), table)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        wide = part.pivot_table(index=pair_on, columns=condition, values=value, aggfunc="mean")
        if reference not in wide:
            continue
        for level in wide.columns:
            if level == reference:
                continue
            interval = paired_difference(wide[level], wide[reference], confidence, bounds)
            rows.append(
                {
                    **dict(zip(by, key)),
                    condition: level,
                    "reference": reference,
                    "mean": interval.mean,
                    "low": interval.low,
                    "high": interval.high,
                    "n": interval.n,
                }
            )
    return pd.DataFrame(rows, columns=[*by, condition, "reference", "mean", "low", "high", "n"])


def interval_text(values: Sequence[float], spec: str = ".3f", bounds=None) -> str:
    """``mean [low, high]`` of ``values`` (NaN dropped) with each number in format ``spec``
    (e.g. ``".2e"`` for energies), clipped like :func:`mean_interval`; the mean and
    ``(n = 1)`` for one value, ``-`` for none.

    >>> interval_text([1e-3, 2e-3, 3e-3], ".2e")
    '2.00e-03 [-4.84e-04, 4.48e-03]'
    >>> interval_text([1e-3, 2e-3, 3e-3], ".2e", bounds=(0, math.inf))  # an energy
    '2.00e-03 [0.00e+00, 4.48e-03]'
    """
    bounds = metric_bounds(bounds)
    values = np.asarray(values, dtype=float).ravel()
    if np.isnan(values).all():
        return "-"
    interval = mean_interval(values, bounds=bounds)
    if interval.n < 2 or not np.isfinite(interval.low):
        return f"{interval.mean:{spec}} (n = {interval.n})"
    return f"{interval.mean:{spec}} [{interval.low:{spec}}, {interval.high:{spec}}]"


def format_row(
    row, digits: int = 3, signed: bool = False, *, column: str | None = None, n: str = "n"
) -> str:
    """``mean [low, high]`` from a row of :func:`interval_table` or :func:`paired_table`
    (columns ``mean``, ``low``, ``high``, ``n``) or, with ``column``, from a row holding
    ``column``, ``<column>_low`` and ``<column>_high``; ``n`` names the count's column."""
    names = (
        ("mean", "low", "high") if column is None else (column, f"{column}_low", f"{column}_high")
    )
    interval = Interval(*(float(row[name]) for name in names), int(row[n]), signed)
    return interval.format(digits)
