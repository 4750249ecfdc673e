"""Named interaction graphs, generated from the society's seed.

Each generator is a pure function ``f(n_agents, seed, task=None, **params)``
returning a NetworkX graph, registered by name with :func:`register_graph`.
Following Mesa's advice (and unlike its own network example) the graph is
drawn *with* the model's seed, so one ``random_state`` reproduces the whole
society.

>>> from social.graphs import GRAPHS, make_graph
>>> sorted(GRAPHS)
['city', 'complete', 'grid', 'random', 'ring', 'scale_free', 'small_world']
>>> make_graph("ring", n_agents=5, seed=0).number_of_edges()
5
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral

import networkx as nx
import numpy as np

from core.params import Interval, check_param
from core.registry import Registry

#: Registered graph generators by name.
GRAPHS: Registry[Callable[..., nx.Graph]] = Registry("graph")


def register_graph(name: str, *, replace: bool = False):
    """Register ``f(n_agents, seed, task=None, **params) -> networkx.Graph`` under ``name``."""
    return GRAPHS.register(name, replace=replace)


def make_graph(name: str, n_agents: int | None, seed: int, task=None, **params) -> nx.Graph:
    """Build the graph registered as ``name``.

    Parameters
    ----------
    name : str
        One of ``GRAPHS``.
    n_agents : int or None
        Number of nodes; ``None`` only for graphs that bring their own size
        (``city``).
    seed : int
        Seeds the random generators.
    task : tasks.Task, optional
        The society's task (``city`` uses its road network).
    **params
        The generator's own parameters (see each generator).

    Examples
    --------
    >>> graph = make_graph("small_world", n_agents=20, seed=1, k=4, p=0.1)
    >>> graph.number_of_nodes(), nx.is_connected(graph)
    (20, True)
    """
    generator = GRAPHS[name]
    if name != "city":
        n_agents = check_param("n_agents", n_agents, [Interval(Integral, 1, None)])
    return generator(n_agents, seed, task=task, **params)


@register_graph("ring")
def ring(n_agents: int, seed: int, task=None) -> nx.Graph:
    """A cycle: each agent talks to its two neighbours (a path for two agents)."""
    return nx.cycle_graph(n_agents) if n_agents > 2 else nx.path_graph(n_agents)


@register_graph("small_world")
def small_world(n_agents: int, seed: int, task=None, k: int = 4, p: float = 0.1) -> nx.Graph:
    """Connected Watts-Strogatz small world (Watts & Strogatz 1998, Nature 393:440).

    A ring lattice of ``k`` nearest neighbours whose edges are rewired with
    probability ``p``; redrawn until connected.
    """
    k = min(k, n_agents - 1)
    if n_agents < 3 or k < 2:
        return ring(n_agents, seed)
    return nx.connected_watts_strogatz_graph(n_agents, k, p, seed=seed)


@register_graph("scale_free")
def scale_free(n_agents: int, seed: int, task=None, m: int = 2) -> nx.Graph:
    """Barabási-Albert preferential attachment (Barabási & Albert 1999, Science 286:509).

    Each new node attaches to ``m`` existing ones, so the degrees follow a
    power law with a few hubs.
    """
    if n_agents <= m:
        return nx.complete_graph(n_agents)
    return nx.barabasi_albert_graph(n_agents, m, seed=seed)


@register_graph("random")
def random(n_agents: int, seed: int, task=None, mean_degree: float = 4.0) -> nx.Graph:
    """Erdős-Rényi G(n, p) with ``p = mean_degree / (n - 1)`` (Erdős & Rényi 1959).

    May contain isolated nodes and several components (those agents learn
    alone or in their own group): that is part of what the model shows.
    """
    p = 1.0 if n_agents < 2 else min(1.0, mean_degree / (n_agents - 1))
    return nx.gnp_random_graph(n_agents, p, seed=seed)


@register_graph("complete")
def complete(n_agents: int, seed: int, task=None) -> nx.Graph:
    """Everyone talks to everyone."""
    return nx.complete_graph(n_agents)


@register_graph("grid")
def grid(n_agents: int, seed: int, task=None, rows: int | None = None) -> nx.Graph:
    """A 2-D lattice with ``(row, col)`` node labels.

    ``rows`` defaults to the largest divisor of ``n_agents`` not above its
    square root (so 20 agents make a 4 x 5 grid; a prime number makes a path).
    """
    if rows is None:
        rows = max(d for d in range(1, math.isqrt(n_agents) + 1) if n_agents % d == 0)
    if not isinstance(rows, (int, np.integer)) or rows < 1 or n_agents % rows:
        raise ValueError(
            f"rows must be a positive divisor of n_agents={n_agents}, got rows={rows!r}"
        )
    return nx.grid_2d_graph(rows, n_agents // rows)


@register_graph("city")
def city(n_agents: int | None, seed: int, task=None, **task_params) -> nx.Graph:
    """The road network of the ``city_traffic`` task (intersections, ``(row, col)`` labels).

    Uses the society's task's graph when the task is ``city_traffic``, so
    that agents and the ``by_node`` partition share the same intersections;
    otherwise loads ``city_traffic`` with ``task_params`` (``rows``, ``cols``,
    ...). The size is the city's: ``n_agents`` must be ``None`` or match it.
    """
    if task is not None and getattr(task, "name", None) == "city_traffic" and not task_params:
        graph = task.graph.copy()
    else:
        from tasks import load_task  # the shared task package: the city lives there

        graph = load_task("city_traffic", seed=task_params.pop("seed", 0), **task_params).graph
    if n_agents is not None and n_agents != graph.number_of_nodes():
        raise ValueError(
            f"the 'city' graph has {graph.number_of_nodes()} intersections, "
            f"got n_agents={n_agents!r}; leave n_agents unset or change the "
            "city's rows/cols"
        )
    return graph
