"""Summaries of a society's tidy table (one row per round and agent).

In the manner of Mesa's ``DataCollector``, :meth:`social.Society.run` records
per-agent values every round; the functions here turn that table into the
quantities one reports: accuracy per type, consensus distance, knowledge
diffusion, messages and energy. Each takes the table and returns a pandas
object indexed by round.

>>> import pandas as pd
>>> table = pd.DataFrame({"round": [1, 1, 2, 2], "agent": [0, 1, 0, 1],
...                       "type": ["ann", "snn", "ann", "snn"],
...                       "accuracy": [0.5, 0.2, 0.9, 0.7]})
>>> knowledge_diffusion(table, threshold=0.6, fraction=1.0)
2.0
"""

from __future__ import annotations

from numbers import Real

import pandas as pd

from core.params import Interval, check_param

REQUIRED = ("round", "agent", "type", "accuracy")


def _check_table(table: pd.DataFrame, columns=REQUIRED) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"table must be a pandas DataFrame (Society.run's), got {type(table).__name__}"
        )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}; it should come from Society.run")


def accuracy_by_type(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, min and max of accuracy per round and agent type.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(round, type)``; columns ``mean``, ``std`` (over agents,
        ``ddof=0``), ``min``, ``max``, ``n_agents``.
    """
    _check_table(table)
    grouped = table.groupby(["round", "type"])["accuracy"]
    return pd.DataFrame(
        {
            "mean": grouped.mean(),
            "std": grouped.std(ddof=0),
            "min": grouped.min(),
            "max": grouped.max(),
            "n_agents": grouped.size(),
        }
    )


def consensus_distance(table: pd.DataFrame) -> pd.Series:
    """Disagreement between neighbours per round.

    The fraction of evaluation samples on which the two ends of an edge
    predict different classes, averaged over the edges (the ``disagreement``
    column averaged with degree weights, which counts every edge once from
    each end). 0 means every neighbourhood agrees on every sample; NaN for a
    graph without edges.
    """
    _check_table(table, REQUIRED + ("degree", "disagreement"))
    valid = table[table["degree"] > 0]
    weighted = (valid["disagreement"] * valid["degree"]).groupby(valid["round"]).sum()
    distance = weighted / valid.groupby("round")["degree"].sum()
    return distance.reindex(sorted(table["round"].unique())).rename("consensus_distance")


def knowledge_diffusion(
    table: pd.DataFrame, threshold: float, fraction: float = 0.5, by_type: bool = False
):
    """First round in which at least ``fraction`` of the agents reach ``threshold`` accuracy.

    How fast competence spreads through the society: with ``fraction=0.5``
    it is the round at which the median agent passes the threshold.

    Parameters
    ----------
    threshold : float
        Accuracy an agent must reach (``>=``).
    fraction : float in (0, 1], default 0.5
        Share of agents (of the society, or of each type) that must reach it.
    by_type : bool, default False
        One round per agent type instead of one for the whole society.

    Returns
    -------
    float or pandas.Series
        The round (NaN if it never happens in the table).
    """
    _check_table(table)
    fraction = check_param("fraction", fraction, [Interval(Real, 0, 1, closed="right")])

    def first_round(rows):
        share = (rows["accuracy"] >= threshold).groupby(rows["round"]).mean()
        reached = share.index[share.to_numpy() >= fraction - 1e-12]
        return float(reached.min()) if len(reached) else float("nan")

    if by_type:
        return pd.Series(
            {kind: first_round(rows) for kind, rows in table.groupby("type")},
            name="knowledge_diffusion",
        )
    return first_round(table)


def messages_per_round(table: pd.DataFrame) -> pd.DataFrame:
    """Messages sent in each round and cumulated, over all agents."""
    _check_table(table, REQUIRED + ("messages",))
    sent = table.groupby("round")["messages"].sum()
    return pd.DataFrame({"messages": sent, "cumulative_messages": sent.cumsum()})


def cumulative_cost(table: pd.DataFrame) -> pd.DataFrame:
    """Cumulative energy of the whole society per round, one column per cost unit.

    The ``cost`` column holds every agent's cumulative energy in joules,
    priced on the society's cost table (``cost_unit`` names it, e.g.
    ``"J (horowitz45_fp32)"``) from its operation counts by category
    (:mod:`core.opcounts`, :mod:`core.energy`); tables priced differently
    are never added together.
    """
    _check_table(table, REQUIRED + ("cost", "cost_unit"))
    return table.pivot_table(index="round", columns="cost_unit", values="cost", aggfunc="sum")


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per round: mean and spread of accuracy overall and per type,
    consensus distance, messages and cumulative cost per unit.

    Examples
    --------
    >>> from social import Society
    >>> table = Society("ring", "ann", "iris", "teach", random_state=0, n_agents=6).run(3)
    >>> summary = summarise(table)
    >>> list(summary.index), "consensus_distance" in summary.columns
    ([1, 2, 3], True)
    """
    _check_table(table)
    accuracy = table.groupby("round")["accuracy"]
    summary = pd.DataFrame({"mean_accuracy": accuracy.mean(), "std_accuracy": accuracy.std(ddof=0)})
    by_type = accuracy_by_type(table)["mean"].unstack("type")
    summary = summary.join(by_type.add_prefix("accuracy_"))
    if {"degree", "disagreement"} <= set(table.columns):
        summary["consensus_distance"] = consensus_distance(table)
    if "messages" in table.columns:
        summary = summary.join(messages_per_round(table))
    if {"cost", "cost_unit"} <= set(table.columns):
        summary = summary.join(cumulative_cost(table).add_prefix("cumulative_"))
    if "wall_seconds" in table.columns:
        summary["wall_seconds"] = table.groupby("round")["wall_seconds"].first()
    summary.columns.name = None
    return summary
