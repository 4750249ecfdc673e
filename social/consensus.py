"""Distributed averaging on a graph: the theory a society of learners must reproduce.

A society that averages opinions (or parameters) with its neighbours is a
linear iteration ``x(t+1) = W x(t)`` (DeGroot 1974). When ``W`` is symmetric and
doubly stochastic on a connected graph, every agent converges to the mean of
the initial values, and the error shrinks asymptotically by the second largest
eigenvalue modulus (SLEM) of ``W`` per step (Xiao & Boyd 2004). This module
builds such a ``W`` from a graph (Metropolis-Hastings weights), runs the
iteration, predicts its speed from the spectrum, measures the speed of a
simulated trajectory, and averages parameter dictionaries the same way
(synchronously with ``W``, or by randomized pairwise gossip, Boyd et al. 2006).

Node order: every function that turns a graph into a matrix or a list uses
``list(G.nodes)``; row ``k`` of ``W`` (and entry ``k`` of a parameter list)
belongs to node ``list(G.nodes)[k]``. Labels may be any hashable objects.

Disconnected graphs: ``W`` is block diagonal, each connected component
averages on its own and converges to the mean of *its* initial values; there
is no global consensus, ``second_largest_eigenvalue_modulus`` is 1 and
``consensus_time`` is infinite.

References
----------
M. H. DeGroot, "Reaching a consensus", J. Am. Stat. Assoc. 69, 118-121 (1974).
L. Xiao and S. Boyd, "Fast linear iterations for distributed averaging",
Systems & Control Letters 53, 65-78 (2004).
L. Xiao, S. Boyd and S.-J. Kim, "Distributed average consensus with
least-mean-square deviation", J. Parallel Distrib. Comput. 67, 33-46 (2007).
S. Boyd, A. Ghosh, B. Prabhakar and D. Shah, "Randomized gossip algorithms",
IEEE Trans. Inf. Theory 52, 2508-2530 (2006).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import networkx as nx
import numpy as np

from core.params import Interval, check_param
from core.random import check_random_state

__all__ = [
    "metropolis_weights",
    "degroot",
    "second_largest_eigenvalue_modulus",
    "spectral_gap",
    "consensus_time",
    "consensus_error",
    "empirical_decay_rate",
    "gossip_average",
    "randomized_gossip",
]

# Row sums / symmetry of a float weight matrix are exact only up to rounding.
_STOCHASTIC_ATOL = 1e-9


# ----------------------------------------------------------------------------
# Weight matrix
# ----------------------------------------------------------------------------
def _check_undirected_graph(G, name="G"):
    if not isinstance(G, nx.Graph):
        raise TypeError(f"{name} must be a networkx graph, got {type(G).__name__}")
    if G.is_directed():
        raise ValueError(
            f"{name} is directed; averaging weights here are defined for undirected "
            "graphs (symmetric W). Pass G.to_undirected() if links work both ways."
        )
    if G.number_of_nodes() == 0:
        raise ValueError(f"{name} has no nodes; a society needs at least one agent")


def metropolis_weights(G):
    """Metropolis-Hastings averaging weights of an undirected graph.

    ``W[i, j] = 1 / (1 + max(d_i, d_j))`` for every edge ``{i, j}``,
    ``W[i, i] = 1 - sum_{j != i} W[i, j]`` and 0 elsewhere, where ``d_i`` is the
    number of distinct neighbours of ``i`` (self-loops and parallel edges are
    ignored). Each agent needs only its own and its neighbours' degrees. ``W``
    is symmetric and doubly stochastic with a positive diagonal, so on a
    connected graph ``W^t`` converges to ``11^T / n`` (average consensus).

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph with at least one node. Nodes may be any hashable
        labels; row/column ``k`` of ``W`` is node ``list(G.nodes)[k]``. Isolated
        nodes get ``W[k, k] = 1`` (they keep their value).

    Returns
    -------
    W : ndarray of shape (n_nodes, n_nodes)

    Raises
    ------
    TypeError
        If ``G`` is not a networkx graph.
    ValueError
        If ``G`` is directed or has no nodes.

    References
    ----------
    L. Xiao and S. Boyd, "Fast linear iterations for distributed averaging",
    Systems & Control Letters 53, 65-78 (2004), eq. (20).
    L. Xiao, S. Boyd and S.-J. Kim, J. Parallel Distrib. Comput. 67, 33-46 (2007).

    Examples
    --------
    >>> import networkx as nx
    >>> W = metropolis_weights(nx.path_graph(["a", "b", "c"]))
    >>> W.round(3)
    array([[0.667, 0.333, 0.   ],
           [0.333, 0.333, 0.333],
           [0.   , 0.333, 0.667]])
    """
    _check_undirected_graph(G)
    nodes = list(G.nodes)
    index = {node: k for k, node in enumerate(nodes)}
    degree = np.array([len(set(G[node]) - {node}) for node in nodes], dtype=float)
    W = np.zeros((len(nodes), len(nodes)))
    for u, v in G.edges():
        if u == v:
            continue
        i, j = index[u], index[v]
        W[i, j] = W[j, i] = 1.0 / (1.0 + max(degree[i], degree[j]))
    np.fill_diagonal(W, 1.0 - W.sum(axis=1))
    return W


# ----------------------------------------------------------------------------
# Averaging dynamics and its speed
# ----------------------------------------------------------------------------
def _check_square(W, name="W"):
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{name} contains non-finite entries")
    return W


def _check_row_stochastic(W, name="W"):
    W = _check_square(W, name)
    if W.min() < -_STOCHASTIC_ATOL:
        raise ValueError(
            f"{name} has negative weights (min {W.min():.3g}); an average needs W >= 0"
        )
    row_sums = W.sum(axis=1)
    if not np.allclose(row_sums, 1.0, atol=_STOCHASTIC_ATOL * W.shape[0]):
        worst = row_sums[np.argmax(np.abs(row_sums - 1.0))]
        raise ValueError(f"rows of {name} must sum to 1 (an average), found a row sum of {worst!r}")
    return W


def degroot(W, x0, steps):
    """Run DeGroot averaging ``x(t+1) = W x(t)`` and return the whole trajectory.

    Parameters
    ----------
    W : array_like of shape (n, n)
        Row-stochastic weight matrix (e.g. :func:`metropolis_weights`).
    x0 : array_like of shape (n,) or (n, d)
        Initial values, one row per agent (``d`` opinions or parameters each).
    steps : int
        Number of averaging steps, ``>= 0``.

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, n) or (steps + 1, n, d)
        ``trajectory[t]`` is ``x(t)``; ``trajectory[0]`` is ``x0``.

    Notes
    -----
    With a doubly stochastic ``W`` the mean over agents is invariant,
    ``1^T x(t+1) = 1^T W x(t) = 1^T x(t)``; a row-stochastic ``W`` still reaches
    consensus on a connected graph but at a weighted mean (DeGroot 1974).

    References
    ----------
    M. H. DeGroot, "Reaching a consensus", J. Am. Stat. Assoc. 69, 118-121 (1974).

    Examples
    --------
    >>> import networkx as nx
    >>> W = metropolis_weights(nx.complete_graph(4))
    >>> degroot(W, [0.0, 0.0, 0.0, 4.0], steps=1)
    array([[0., 0., 0., 4.],
           [1., 1., 1., 1.]])
    """
    W = _check_row_stochastic(W)
    x0 = np.asarray(x0, dtype=float)
    if x0.ndim not in (1, 2) or x0.shape[0] != W.shape[0]:
        raise ValueError(
            f"x0 must have shape (n,) or (n, d) with n = {W.shape[0]} agents, got {x0.shape}"
        )
    steps = check_param("steps", steps, [Interval(Integral, 0, None)])
    trajectory = np.empty((steps + 1,) + x0.shape)
    trajectory[0] = x0
    for t in range(steps):
        trajectory[t + 1] = W @ trajectory[t]
    return trajectory


def second_largest_eigenvalue_modulus(W):
    """Second largest eigenvalue modulus (SLEM) of a stochastic matrix.

    The eigenvalue 1 of the consensus direction is removed and the largest
    modulus of the others returned. For a symmetric doubly stochastic ``W`` this
    is ``max(|lambda_2|, |lambda_n|) = ||W - 11^T/n||_2``, the factor by which
    the distance to the average shrinks per step in the worst case and
    asymptotically for a generic start (Xiao & Boyd 2004, sec. 2).

    Parameters
    ----------
    W : array_like of shape (n, n)
        Stochastic matrix. Symmetric input uses a symmetric eigensolver.

    Returns
    -------
    slem : float
        In ``[0, 1]`` for a stochastic ``W``; 1 when the graph is disconnected
        (the eigenvalue 1 is repeated, no global consensus); 0 for ``n = 1``.

    Examples
    --------
    >>> import networkx as nx
    >>> W = metropolis_weights(nx.cycle_graph(6))   # W = (I + shifts) / 3
    >>> round(second_largest_eigenvalue_modulus(W), 6)  # (1 + 2 cos(2 pi / 6)) / 3
    0.666667
    """
    W = _check_square(W)
    if W.shape[0] == 1:
        return 0.0
    if np.allclose(W, W.T, atol=_STOCHASTIC_ATOL):
        eigenvalues = np.linalg.eigvalsh((W + W.T) / 2)
    else:
        eigenvalues = np.linalg.eigvals(W)
    # Drop the one eigenvalue closest to 1 (the consensus mode), keep the rest.
    consensus_mode = np.argmin(np.abs(eigenvalues - 1.0))
    others = np.delete(eigenvalues, consensus_mode)
    return float(min(np.max(np.abs(others)), 1.0))


def spectral_gap(W):
    """Spectral gap ``1 - SLEM`` of a stochastic matrix.

    Zero when the graph is disconnected; the larger, the faster the consensus
    (Xiao & Boyd 2004).

    Parameters
    ----------
    W : array_like of shape (n, n)

    Returns
    -------
    gap : float

    Examples
    --------
    >>> import networkx as nx
    >>> round(spectral_gap(metropolis_weights(nx.complete_graph(5))), 12)  # W = 11^T / 5
    1.0
    """
    return 1.0 - second_largest_eigenvalue_modulus(W)


def consensus_time(W, tol=1e-3):
    """Steps until the distance to the average has shrunk by ``tol``, from the spectrum.

    ``ceil(log(tol) / log(SLEM))``: the number of steps after which
    ``||x(t) - xbar|| <= tol * ||x(0) - xbar||`` for *every* start when ``W``
    is symmetric and doubly stochastic (the bound is tight for a start along
    the slowest eigenvector, see Xiao & Boyd 2004, sec. 2).

    Parameters
    ----------
    W : array_like of shape (n, n)
        Stochastic matrix.
    tol : float in (0, 1)
        Relative error to reach.

    Returns
    -------
    steps : float
        A whole number of steps; ``1`` if ``SLEM == 0`` (e.g. a complete graph
        with Metropolis weights, ``W = 11^T / n``, averages in one step);
        ``inf`` if ``SLEM == 1`` (disconnected graph: no global consensus).

    Examples
    --------
    >>> import networkx as nx
    >>> consensus_time(metropolis_weights(nx.cycle_graph(6)), tol=1e-3)
    18.0
    """
    tol = check_param("tol", tol, [Interval(Real, 0, 1, closed="neither")])
    slem = second_largest_eigenvalue_modulus(W)
    if slem >= 1.0 - 1e-12:
        return float("inf")
    if slem == 0.0:
        return 1.0
    return float(np.ceil(np.log(tol) / np.log(slem)))


def consensus_error(trajectory):
    """Distance of each state of a trajectory to the initial average.

    Parameters
    ----------
    trajectory : array_like of shape (T, n) or (T, n, d)
        As returned by :func:`degroot`.

    Returns
    -------
    error : ndarray of shape (T,)
        ``||x(t) - 1 xbar(0)^T||_F`` where ``xbar(0)`` is the mean over agents of
        ``x(0)``. With a doubly stochastic ``W`` the average never moves, so this
        is the distance to the consensus value.

    Examples
    --------
    >>> consensus_error([[0.0, 2.0], [1.0, 1.0]])
    array([1.41421356, 0.        ])
    """
    trajectory = np.asarray(trajectory, dtype=float)
    if trajectory.ndim not in (2, 3) or trajectory.shape[0] == 0:
        raise ValueError(f"trajectory must have shape (T, n) or (T, n, d), got {trajectory.shape}")
    average = trajectory[0].mean(axis=0)
    deviation = (trajectory - average).reshape(trajectory.shape[0], -1)
    return np.linalg.norm(deviation, axis=1)


def empirical_decay_rate(trajectory, start_rtol=1e-3, stop_rtol=1e-10):
    """Per-step decay factor of the consensus error, fitted on a simulated trajectory.

    The error ``e(t) = ||x(t) - xbar||`` of a linear averaging iteration
    behaves asymptotically as ``c * rho^t`` with ``rho`` the SLEM. The fit is a
    least-squares line through ``log e(t)`` over the *asymptotic* part of the
    trajectory: the steps where the relative error ``e(t) / e(0)`` lies in
    ``[stop_rtol, start_rtol]``. The upper bound skips the transient in which
    faster modes still matter; the lower bound stays clear of the floating-point
    floor (about ``1e-16`` relative).

    Parameters
    ----------
    trajectory : array_like of shape (T, n) or (T, n, d)
        As returned by :func:`degroot`.
    start_rtol, stop_rtol : float
        Relative-error window of the fit, ``0 < stop_rtol < start_rtol <= 1``.

    Returns
    -------
    rho : float
        Fitted factor per step, ``exp(slope)``; compare with
        :func:`second_largest_eigenvalue_modulus`.

    Raises
    ------
    ValueError
        If fewer than 3 steps fall into the window (run more steps, or widen it;
        a complete graph reaches consensus in one step and has no decay to fit).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> W = metropolis_weights(nx.cycle_graph(10))
    >>> x = degroot(W, np.random.default_rng(0).normal(size=10), steps=300)
    >>> bool(abs(empirical_decay_rate(x) - second_largest_eigenvalue_modulus(W)) < 1e-3)
    True
    """
    if (
        not all(isinstance(v, Real) and not isinstance(v, bool) for v in (start_rtol, stop_rtol))
        or not 0.0 < stop_rtol < start_rtol <= 1.0
    ):
        raise ValueError(
            f"need 0 < stop_rtol < start_rtol <= 1, got start_rtol={start_rtol!r}, "
            f"stop_rtol={stop_rtol!r}"
        )
    error = consensus_error(trajectory)
    if error[0] == 0.0:
        raise ValueError("the trajectory starts at consensus; there is no error to fit")
    relative = error / error[0]
    steps = np.flatnonzero((relative <= start_rtol) & (relative >= stop_rtol))
    if steps.size < 3:
        raise ValueError(
            f"only {steps.size} steps have a relative error in [{stop_rtol:g}, {start_rtol:g}]; "
            "simulate more steps or widen the window"
        )
    slope, _ = np.polyfit(steps, np.log(relative[steps]), deg=1)
    return float(np.exp(slope))


# ----------------------------------------------------------------------------
# Averaging parameter dictionaries (what a society of learners exchanges)
# ----------------------------------------------------------------------------
def _combine(structures, weights, path="params"):
    """Weighted sum ``sum_k weights[k] * structures[k]`` of nested parameter structures.

    Dicts, lists and tuples are walked; every leaf is an array (or scalar) of the
    same shape across agents.
    """
    first = structures[0]
    if isinstance(first, Mapping):
        keys = set(first)
        for k, other in enumerate(structures):
            if not isinstance(other, Mapping) or set(other) != keys:
                found = (
                    sorted(map(str, other)) if isinstance(other, Mapping) else type(other).__name__
                )
                raise ValueError(
                    f"{path}: agent {k} has keys {found}, agent 0 has {sorted(map(str, keys))}; "
                    "all agents must share one structure"
                )
        return {
            key: _combine([s[key] for s in structures], weights, f"{path}[{key!r}]")
            for key in first
        }
    if isinstance(first, (list, tuple)):
        for k, other in enumerate(structures):
            if not isinstance(other, (list, tuple)) or len(other) != len(first):
                raise ValueError(
                    f"{path}: agent {k} does not have {len(first)} entries like agent 0"
                )
        combined = [
            _combine([s[i] for s in structures], weights, f"{path}[{i}]") for i in range(len(first))
        ]
        return type(first)(combined) if isinstance(first, tuple) else combined
    arrays = [np.asarray(s) for s in structures]
    for k, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise ValueError(
                f"{path}: agent {k} has shape {array.shape}, agent 0 has {arrays[0].shape}"
            )
        if not np.issubdtype(array.dtype, np.number):
            raise TypeError(f"{path}: agent {k} holds non-numeric data of dtype {array.dtype}")
    stacked = np.stack(arrays).astype(float, copy=False)
    # weights has shape (n_out, n_agents): one weighted average per output agent.
    return np.tensordot(weights, stacked, axes=1)


def _split(combined, n_agents):
    """Turn a structure whose leaves have a leading agent axis into one structure per agent."""
    if isinstance(combined, dict):
        per_key = {key: _split(value, n_agents) for key, value in combined.items()}
        return [{key: per_key[key][k] for key in combined} for k in range(n_agents)]
    if isinstance(combined, (list, tuple)):
        per_entry = [_split(value, n_agents) for value in combined]
        return [type(combined)(entry[k] for entry in per_entry) for k in range(n_agents)]
    return [combined[k].copy() for k in range(n_agents)]


def gossip_average(params_list, W):
    """One synchronous averaging round of parameter sets: ``new_i = sum_j W[i, j] params_j``.

    Parameters
    ----------
    params_list : list of dict
        One parameter structure per agent (e.g. ``pop.get_agent_weights(i)``): dicts of
        ndarrays, possibly nested in dicts, lists or tuples, identical in keys and
        shapes across agents. Agent ``k`` is row ``k`` of ``W``.
    W : array_like of shape (n_agents, n_agents)
        Row-stochastic, non-negative weights (each new value is a weighted
        average). With a doubly stochastic ``W`` such as
        :func:`metropolis_weights` the population mean of every parameter is
        preserved exactly (up to rounding); with a row-stochastic but not
        column-stochastic ``W`` it is not.

    Returns
    -------
    new_params_list : list of dict
        Fresh float arrays in the same structure; the inputs are not modified.

    References
    ----------
    L. Xiao and S. Boyd, Systems & Control Letters 53, 65-78 (2004).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> W = metropolis_weights(nx.path_graph(2))
    >>> new = gossip_average([{"w": np.array([0.0, 2.0])}, {"w": np.array([2.0, 0.0])}], W)
    >>> [p["w"] for p in new]
    [array([1., 1.]), array([1., 1.])]
    """
    if not isinstance(params_list, (list, tuple)) or len(params_list) == 0:
        raise ValueError("params_list must be a non-empty list with one parameter dict per agent")
    W = _check_row_stochastic(W)
    if W.shape[0] != len(params_list):
        raise ValueError(f"W has shape {W.shape} but params_list holds {len(params_list)} agents")
    combined = _combine(list(params_list), W)
    return _split(combined, len(params_list))


def randomized_gossip(params_list, G, n_wakeups, random_state=None):
    """Asynchronous randomized pairwise gossip (Boyd et al. 2006).

    At each wake-up one agent ``i`` is chosen uniformly at random, picks a
    neighbour ``j`` uniformly among its neighbours, and both replace their
    parameters by the pair's average. Every exchange preserves the population
    mean exactly; on a connected graph all agents converge to it.

    Parameters
    ----------
    params_list : list of dict
        One parameter structure per node, in the order ``list(G.nodes)``
        (see :func:`gossip_average` for the accepted structures).
    G : networkx.Graph
        Undirected communication graph. An agent without neighbours wakes up
        and does nothing.
    n_wakeups : int
        Number of pairwise exchanges attempted, ``>= 0``.
    random_state : int, numpy.random.Generator or None
        Seeds the choice of agents and partners.

    Returns
    -------
    new_params_list : list of dict
        Fresh float arrays; the inputs are not modified.

    References
    ----------
    S. Boyd, A. Ghosh, B. Prabhakar and D. Shah, "Randomized gossip
    algorithms", IEEE Trans. Inf. Theory 52, 2508-2530 (2006), sec. II.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> params = [{"w": np.array([float(k)])} for k in range(4)]
    >>> new = randomized_gossip(params, nx.cycle_graph(4), n_wakeups=200, random_state=0)
    >>> np.round([p["w"][0] for p in new], 6)
    array([1.5, 1.5, 1.5, 1.5])
    """
    _check_undirected_graph(G)
    if not isinstance(params_list, (list, tuple)) or len(params_list) != G.number_of_nodes():
        raise ValueError(
            f"params_list must be a list with one entry per node ({G.number_of_nodes()}), "
            f"got {type(params_list).__name__} of length "
            f"{len(params_list) if hasattr(params_list, '__len__') else '?'}"
        )
    n_wakeups = check_param("n_wakeups", n_wakeups, [Interval(Integral, 0, None)])
    rng = check_random_state(random_state)
    n_agents = len(params_list)
    nodes = list(G.nodes)
    index = {node: k for k, node in enumerate(nodes)}
    neighbours = [np.array([index[v] for v in G[u] if v != u], dtype=int) for u in nodes]

    # Work on stacked leaves (agent axis first) so one exchange is a row average.
    stacked = _combine(list(params_list), np.eye(n_agents))
    leaves = []
    _collect_leaves(stacked, leaves)
    waking = rng.integers(n_agents, size=n_wakeups)
    uniforms = rng.random(n_wakeups)
    for i, u in zip(waking, uniforms):
        if neighbours[i].size == 0:
            continue
        j = neighbours[i][int(u * neighbours[i].size)]
        for leaf in leaves:
            pair_mean = 0.5 * (leaf[i] + leaf[j])
            leaf[i] = pair_mean
            leaf[j] = pair_mean
    return _split(stacked, n_agents)


def _collect_leaves(structure, leaves):
    if isinstance(structure, dict):
        for value in structure.values():
            _collect_leaves(value, leaves)
    elif isinstance(structure, (list, tuple)):
        for value in structure:
            _collect_leaves(value, leaves)
    else:
        leaves.append(structure)
