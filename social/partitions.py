"""How a task's training data is dealt to the agents of a society.

A partition is a function ``f(task, nodes, rng, **params) -> list of index
arrays`` (one array of training-set row indices per node, in the order of
``nodes``), registered by name with :func:`register_partition`.

>>> import numpy as np
>>> from tasks import load_task
>>> from social.partitions import PARTITIONS, partition_data
>>> sorted(PARTITIONS)
['by_node', 'iid', 'non_iid']
>>> shards = partition_data("iid", load_task("iris"), nodes=range(5), rng=np.random.default_rng(0))
>>> [len(shard) for shard in shards]
[17, 17, 17, 17, 16]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np

from core.params import Interval, check_param
from core.registry import Registry

#: Registered partitions by name.
PARTITIONS: Registry[Callable[..., list[np.ndarray]]] = Registry("partition")


def register_partition(name: str, *, replace: bool = False):
    """Register ``f(task, nodes, rng, **params) -> list[ndarray]`` under ``name``."""
    return PARTITIONS.register(name, replace=replace)


def partition_data(
    name: str, task, nodes: Sequence, rng: np.random.Generator, **params
) -> list[np.ndarray]:
    """Deal ``task``'s training rows to ``nodes`` with the partition ``name``.

    Every node receives at least one sample; the shards are disjoint.

    Raises
    ------
    ValueError
        For an unknown name, or fewer training samples than nodes.
    """
    partition = PARTITIONS[name]
    nodes = list(nodes)
    if len(task.y_train) < len(nodes):
        raise ValueError(
            f"the task {task.name!r} has {len(task.y_train)} training samples, "
            f"fewer than the {len(nodes)} agents: every agent needs at least one"
        )
    shards = partition(task, nodes, rng, **params)
    empty = [node for node, shard in zip(nodes, shards) if len(shard) == 0]
    if empty:
        raise ValueError(f"partition {name!r} left agents {empty[:10]} without training data")
    return [np.asarray(shard, dtype=np.intp) for shard in shards]


@register_partition("iid")
def iid(task, nodes, rng) -> list[np.ndarray]:
    """Shuffle the training set and cut it into equal shares (sizes differ by at most one)."""
    return np.array_split(rng.permutation(len(task.y_train)), len(nodes))


@register_partition("non_iid")
def non_iid(task, nodes, rng, alpha: float = 0.5) -> list[np.ndarray]:
    """Label-skewed shares: each agent's class mix is drawn from a Dirichlet.

    Following Hsu, Qi & Brown (2019), "Measuring the effects of non-identical
    data distribution for federated visual classification" (arXiv:1909.06335),
    agent ``k`` draws class proportions ``q_k ~ Dir(alpha * p)``, with ``p``
    the training set's class frequencies, and receives an equal share of the
    training set sampled without replacement from those proportions. Small
    ``alpha`` (0.1) gives agents one or two classes; large ``alpha`` (100)
    approaches ``iid``. When a class runs out, the agent's remaining draws
    come from the classes still available, in proportion to ``q_k``.

    Parameters
    ----------
    alpha : float, default 0.5
        Dirichlet concentration (positive).
    """
    # (an infinite alpha, which makes the Dirichlet draw NaN, is refused too)
    alpha = check_param("alpha", alpha, [Interval(Real, 0, None, closed="neither")])
    y = np.asarray(task.y_train)
    classes, y_index = np.unique(y, return_inverse=True)
    prior = np.bincount(y_index, minlength=len(classes)) / len(y)
    pools = [list(rng.permutation(np.flatnonzero(y_index == c))) for c in range(len(classes))]
    shares = np.full(len(nodes), len(y) // len(nodes))
    shares[: len(y) % len(nodes)] += 1
    proportions = rng.dirichlet(alpha * prior, size=len(nodes))
    shards = []
    # A loop over agents, but only once, while dealing the data: it needs the
    # pools left over by the agents before.
    for share, q in zip(shares, proportions):
        taken: list[int] = []
        while len(taken) < share:
            available = np.array([len(pool) for pool in pools], dtype=float)
            weights = q * (available > 0)
            if weights.sum() <= 0:  # the agent's classes are used up
                weights = available
            counts = rng.multinomial(share - len(taken), weights / weights.sum())
            for c in np.flatnonzero(counts):
                n_take = min(counts[c], len(pools[c]))
                taken.extend(pools[c][:n_take])
                del pools[c][:n_take]
        shards.append(np.array(taken, dtype=np.intp))
    return shards


@register_partition("by_node")
def by_node(task, nodes, rng) -> list[np.ndarray]:
    """Each agent gets the samples recorded at its own graph node.

    Needs a task whose ``metadata`` has ``"nodes"`` (node labels) and
    ``"node_train"`` (each training sample's node, as an index into
    ``"nodes"``), such as ``city_traffic``: one agent per intersection learns
    from that intersection's traffic.
    """
    metadata = getattr(task, "metadata", {}) or {}
    if "node_train" not in metadata or "nodes" not in metadata:
        raise ValueError(
            f"partition 'by_node' needs a task with metadata['nodes'] and "
            f"metadata['node_train'] (such as 'city_traffic'); task {task.name!r} "
            "has none"
        )
    position = {node: i for i, node in enumerate(metadata["nodes"])}
    foreign = [node for node in nodes if node not in position]
    if foreign:
        raise ValueError(
            f"partition 'by_node': graph nodes {foreign[:5]} are not nodes of task "
            f"{task.name!r} (use graph='city' for city_traffic)"
        )
    node_train = np.asarray(metadata["node_train"])
    order = np.argsort(node_train, kind="stable")
    starts = np.searchsorted(node_train[order], np.arange(len(metadata["nodes"]) + 1))
    return [order[starts[position[node]] : starts[position[node] + 1]] for node in nodes]
