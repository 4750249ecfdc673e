"""A synthetic smart-city road network: predict next-hour congestion at each intersection.

The generator
-------------
The city is a ``rows x cols`` grid of intersections (``networkx.grid_2d_graph``;
node labels are ``(row, col)`` tuples). Each intersection ``i`` has a capacity
``c_i`` (vehicles per hour, uniform in ``capacity_range``) and a demand level
``d_i`` that is higher downtown (closeness centrality) with a log-normal spread.
Its load ``r_i(t) = flow_i(t) / c_i`` evolves hour by hour:

    r_i(t) = (1 - spillover) * d_i * profile(t) * incident_i(t)
             + spillover * mean_{j ~ i} r_j(t - 1)
             + noise * N(0, 1)

* ``profile(t)``: a weekday double-peak commute (morning peak at 08:00, evening
  at 17:30, a small lunch bump) and a broad single weekend peak in the early
  afternoon, on top of a night-time floor.
* ``spillover``: queues spread to neighbouring intersections with a one-hour lag.
* incidents start at an intersection with probability ``incident_rate`` per hour,
  last a geometric number of hours (mean ``incident_hours``) and multiply the
  local demand by ``incident_severity``; through spillover they reach the
  neighbours an hour later.

Congestion is read off the load: ``free`` below ``thresholds[0]``, ``jammed``
at or above ``thresholds[1]``, ``busy`` in between.

The learning problem
--------------------
One sample per intersection and hour: the last ``window`` hours of flow at
the intersection and the mean flow of its neighbours (vehicles per hour), the
hour of day (as sine and cosine) and a weekend flag; the target is the next
hour's congestion class (0 free, 1 busy, 2 jammed). Features are min-max
scaled to [0, 1] on the training set. ``task.metadata`` holds each sample's
intersection (``node_train``/``node_test``) and hour, so that one agent per
intersection can be given its own data, and ``task.graph`` is the road network.
"""

from __future__ import annotations

from numbers import Integral

import networkx as nx
import numpy as np

from core.params import Interval, check_param
from tasks._base import Task, minmax_scale, register_task, split

CLASS_NAMES = ("free", "busy", "jammed")


def daily_profile(hours: np.ndarray) -> np.ndarray:
    """Relative demand at each absolute hour (hour 0 is Monday 00:00).

    Weekdays have a morning and an evening commute peak; weekends one broad
    afternoon peak. Values lie roughly in [0.15, 1.05].
    """
    hour_of_day = hours % 24
    weekend = (hours // 24) % 7 >= 5
    bump = lambda centre, width: np.exp(-0.5 * ((hour_of_day - centre) / width) ** 2)  # noqa: E731
    weekday = 0.15 + 0.85 * bump(8.0, 1.3) + 0.8 * bump(17.5, 1.8) + 0.25 * bump(12.5, 1.5)
    weekend_profile = 0.15 + 0.55 * bump(14.0, 3.5)
    return np.where(weekend, weekend_profile, weekday)


def simulate_city(
    graph: nx.Graph,
    n_hours: int,
    rng: np.random.Generator,
    *,
    spillover: float = 0.3,
    noise: float = 0.05,
    incident_rate: float = 0.004,
    incident_hours: float = 3.0,
    incident_severity: float = 1.6,
    capacity_range: tuple[float, float] = (900.0, 1500.0),
):
    """Simulate hourly flows (vehicles per hour) on ``graph``.

    Returns
    -------
    flow : ndarray, shape (n_hours, n_nodes)
    capacity : ndarray, shape (n_nodes,)
    incidents : ndarray of bool, shape (n_hours, n_nodes)
    """
    nodes = list(graph.nodes)
    n = len(nodes)
    adjacency = nx.to_numpy_array(graph, nodelist=nodes)
    degree = adjacency.sum(axis=1)
    neighbour_mean = adjacency / np.where(degree == 0, 1.0, degree)[:, None]

    closeness = np.array([nx.closeness_centrality(graph)[v] for v in nodes])
    closeness = (closeness - closeness.min()) / max(np.ptp(closeness), 1e-12)
    capacity = rng.uniform(*capacity_range, size=n)
    demand = (0.55 + 0.4 * closeness) * rng.lognormal(0.0, 0.12, size=n)

    profile = daily_profile(np.arange(n_hours))
    load = np.zeros((n_hours, n))
    incidents = np.zeros((n_hours, n), dtype=bool)
    remaining = np.zeros(n, dtype=int)
    previous = demand * profile[0]
    for t in range(n_hours):
        starts = (remaining == 0) & (rng.random(n) < incident_rate)
        remaining[starts] = rng.geometric(1.0 / incident_hours, size=starts.sum())
        incidents[t] = remaining > 0
        remaining = np.maximum(remaining - 1, 0)
        local = demand * profile[t] * np.where(incidents[t], incident_severity, 1.0)
        spilled = neighbour_mean @ previous
        spilled = np.where(degree == 0, local, spilled)
        load[t] = np.maximum(
            (1 - spillover) * local + spillover * spilled + noise * rng.standard_normal(n), 0.0
        )
        previous = load[t]
    return load * capacity, capacity, incidents


@register_task("city_traffic")
def city_traffic(
    seed: int = 0,
    rows: int = 5,
    cols: int = 5,
    n_days: int = 14,
    window: int = 6,
    thresholds: tuple[float, float] = (0.35, 0.6),
    test_size: float = 0.25,
    **simulation,
) -> Task:
    """Next-hour congestion (free / busy / jammed) on a synthetic grid city.

    See the module docstring for the generator; ``**simulation`` goes to
    :func:`simulate_city` (``spillover``, ``noise``, ``incident_rate``, ...).
    """
    for key, value in (("rows", rows), ("cols", cols), ("n_days", n_days), ("window", window)):
        check_param(key, value, [Interval(Integral, 1, None)])
    if not 0 < thresholds[0] < thresholds[1]:
        raise ValueError(
            f"thresholds must be increasing and positive, got thresholds={thresholds!r}"
        )
    rng = np.random.default_rng(seed)
    graph = nx.grid_2d_graph(rows, cols)
    nodes = list(graph.nodes)
    n_hours = 24 * n_days
    flow, capacity, incidents = simulate_city(graph, n_hours, rng, **simulation)

    adjacency = nx.to_numpy_array(graph, nodelist=nodes)
    degree = np.maximum(adjacency.sum(axis=1), 1.0)
    neighbour_flow = flow @ adjacency.T / degree  # (hours, nodes)
    level = np.digitize(flow / capacity, thresholds)  # 0 free, 1 busy, 2 jammed

    hours = np.arange(window - 1, n_hours - 1)  # the last observed hour of each sample
    lags = hours[:, None] - np.arange(window)[::-1][None, :]  # (samples, window), oldest first
    own = flow[lags]  # (samples, window, nodes)
    neighbours = neighbour_flow[lags]
    hour_of_day = hours % 24
    calendar = np.stack(
        [
            np.sin(2 * np.pi * hour_of_day / 24),
            np.cos(2 * np.pi * hour_of_day / 24),
            ((hours // 24) % 7 >= 5).astype(float),
        ],
        axis=1,
    )
    n_nodes = len(nodes)
    X = np.concatenate(
        [
            own.transpose(2, 0, 1).reshape(-1, window),
            neighbours.transpose(2, 0, 1).reshape(-1, window),
            np.tile(calendar, (n_nodes, 1)),
        ],
        axis=1,
    )
    y = level[hours + 1].T.reshape(-1)
    node_index = np.repeat(np.arange(n_nodes), len(hours))
    hour = np.tile(hours + 1, n_nodes)

    index = np.arange(len(y))
    train_idx, test_idx = split(index, y, seed, test_size, stratify=True)[:2]
    X_train, X_test = minmax_scale(X[train_idx], X[test_idx])
    feature_names = (
        [f"flow_t-{lag}" for lag in range(window - 1, -1, -1)]
        + [f"neighbour_flow_t-{lag}" for lag in range(window - 1, -1, -1)]
        + ["hour_sin", "hour_cos", "weekend"]
    )
    return Task(
        name="city_traffic",
        description=(
            "Smart city: next-hour congestion (free/busy/jammed) at an intersection "
            "from the last hours of flow there and at its neighbours."
        ),
        kind="classification",
        X_train=X_train,
        y_train=y[train_idx],
        X_test=X_test,
        y_test=y[test_idx],
        classes=np.arange(3),
        graph=graph,
        metadata={
            "class_names": CLASS_NAMES,
            "nodes": nodes,
            "node_train": np.array(node_index[train_idx]),
            "node_test": np.array(node_index[test_idx]),
            "hour_train": hour[train_idx],
            "hour_test": hour[test_idx],
            "feature_names": feature_names,
            "flow": flow,
            "capacity": capacity,
            "incidents": incidents,
            "params": {
                "rows": rows,
                "cols": cols,
                "n_days": n_days,
                "window": window,
                "thresholds": tuple(thresholds),
                **simulation,
            },
        },
    )
