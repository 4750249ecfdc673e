"""Average consensus on graphs checked against its theory (Xiao & Boyd 2004)."""

import doctest

import networkx as nx
import numpy as np
import pytest

import social.consensus as consensus
from social.consensus import (
    consensus_error,
    consensus_time,
    degroot,
    empirical_decay_rate,
    gossip_average,
    metropolis_weights,
    randomized_gossip,
    second_largest_eigenvalue_modulus,
    spectral_gap,
)

N_NODES = 30

# Connected graph families of the same size; each factory takes a seed.
GRAPH_FAMILIES = {
    "ring": lambda seed: nx.cycle_graph(N_NODES),
    "path": lambda seed: nx.path_graph(N_NODES),
    "grid": lambda seed: nx.grid_2d_graph(5, 6),  # tuple labels
    "star": lambda seed: nx.star_graph(N_NODES - 1),
    "small_world": lambda seed: nx.connected_watts_strogatz_graph(N_NODES, 4, 0.2, seed=seed),
    "erdos_renyi": lambda seed: nx.gnp_random_graph(N_NODES, 0.15, seed=seed),
    "barabasi_albert": lambda seed: nx.barabasi_albert_graph(N_NODES, 2, seed=seed),
    "random_regular": lambda seed: nx.random_regular_graph(3, N_NODES, seed=seed),
}
SEEDS = (0, 1, 2)


def _connected(family, seed):
    G = GRAPH_FAMILIES[family](seed)
    if not nx.is_connected(G):
        pytest.skip(f"{family} with seed {seed} is disconnected")
    return G


def test_doctests():
    result = doctest.testmod(consensus, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


# ----------------------------------------------------------------------------
# The weight matrix
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("family", sorted(GRAPH_FAMILIES))
def test_metropolis_weights_are_symmetric_doubly_stochastic_on_the_edges(family):
    G = _connected(family, seed=0)
    W = metropolis_weights(G)
    nodes = list(G.nodes)
    np.testing.assert_allclose(W, W.T, atol=0)
    np.testing.assert_allclose(W.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    assert W.min() >= 0.0 and np.all(np.diag(W) > 0.0)
    adjacency = nx.to_numpy_array(G, nodelist=nodes) > 0
    off_diagonal = ~np.eye(len(nodes), dtype=bool)
    # Support of W off the diagonal is exactly the edge set.
    np.testing.assert_array_equal(W[off_diagonal] > 0, adjacency[off_diagonal])


def test_metropolis_weights_of_a_regular_graph_are_a_scaled_laplacian():
    # Independent formula: on a d-regular graph every edge weight is 1/(d+1),
    # so W = I - L / (d + 1) with L the graph Laplacian (networkx).
    G = nx.random_regular_graph(4, 20, seed=5)
    L = nx.laplacian_matrix(G, nodelist=list(G.nodes)).toarray()
    np.testing.assert_allclose(metropolis_weights(G), np.eye(20) - L / 5.0, atol=1e-15)


def test_metropolis_weights_follow_node_order_for_any_hashable_labels():
    G = nx.barabasi_albert_graph(12, 2, seed=1)
    W = metropolis_weights(G)
    order = np.random.default_rng(0).permutation(12)
    labels = {k: ("agent", f"{k:02d}") for k in range(12)}  # tuple labels
    H = nx.Graph()
    H.add_nodes_from(labels[k] for k in order)  # insertion order = a permutation
    H.add_edges_from((labels[u], labels[v]) for u, v in G.edges)
    np.testing.assert_allclose(metropolis_weights(H), W[np.ix_(order, order)])


def test_metropolis_weights_ignore_self_loops_and_keep_isolated_agents():
    G = nx.path_graph(3)
    G.add_edge(1, 1)
    G.add_node("lonely")
    W = metropolis_weights(G)
    np.testing.assert_allclose(W[:3, :3], metropolis_weights(nx.path_graph(3)))
    assert W[3, 3] == 1.0 and W[3, :3].sum() == 0.0


def test_metropolis_weights_reject_directed_empty_and_non_graphs():
    with pytest.raises(ValueError, match="directed"):
        metropolis_weights(nx.DiGraph([(0, 1)]))
    with pytest.raises(ValueError, match="no nodes"):
        metropolis_weights(nx.Graph())
    with pytest.raises(TypeError, match="networkx graph"):
        metropolis_weights(np.eye(3))


# ----------------------------------------------------------------------------
# DeGroot averaging and its speed
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("family", sorted(GRAPH_FAMILIES))
def test_degroot_keeps_the_mean_and_decays_at_the_slem(family, seed):
    G = _connected(family, seed)
    W = metropolis_weights(G)
    x0 = np.random.default_rng(seed).normal(loc=3.0, size=(N_NODES, 2))
    slem = second_largest_eigenvalue_modulus(W)
    steps = int(min(20_000, 3 * consensus_time(W, tol=1e-12)))
    trajectory = degroot(W, x0, steps)

    assert trajectory.shape == (steps + 1, N_NODES, 2)
    # The average is invariant: 1^T W = 1^T.
    np.testing.assert_allclose(
        trajectory.mean(axis=1),
        np.broadcast_to(x0.mean(axis=0), (steps + 1, 2)),
        rtol=0,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        trajectory[-1], np.broadcast_to(x0.mean(axis=0), x0.shape), atol=1e-9
    )
    # The error never shrinks slower than the SLEM (||W - 11^T/n||_2 = SLEM) ...
    error = consensus_error(trajectory)
    assert np.all(error[1:] <= slem * error[:-1] * (1 + 1e-9) + 1e-13)
    # ... and asymptotically exactly at the SLEM.
    rate = empirical_decay_rate(trajectory)
    assert abs(rate - slem) / slem < 0.02, (rate, slem)


def test_degroot_matches_matrix_powers_and_accepts_vectors():
    W = metropolis_weights(nx.petersen_graph())
    x0 = np.arange(10.0)
    trajectory = degroot(W, x0, steps=7)
    assert trajectory.shape == (8, 10)
    np.testing.assert_allclose(trajectory[7], np.linalg.matrix_power(W, 7) @ x0)
    np.testing.assert_array_equal(degroot(W, x0, steps=0), x0[None])


def _measured_consensus_time(W, x0, tol):
    error = consensus_error(degroot(W, x0, steps=5000))
    reached = np.flatnonzero(error <= tol * error[0])
    assert reached.size, "consensus not reached within 5000 steps"
    return int(reached[0])


def test_consensus_is_slower_on_a_ring_than_small_world_than_complete():
    # Watts & Strogatz (1998): rewiring 30% of a ring lattice's edges shortens
    # paths and, with them, the time to agree. 60 agents, each with 4 neighbours.
    tol, n_agents = 1e-6, 60
    for seed in SEEDS:
        x0 = np.random.default_rng(seed).normal(size=n_agents)
        graphs = {
            "ring": nx.watts_strogatz_graph(n_agents, 4, 0.0, seed=seed),  # ring lattice
            "small_world": nx.connected_watts_strogatz_graph(n_agents, 4, 0.3, seed=seed),
            "complete": nx.complete_graph(n_agents),
        }
        measured, predicted = {}, {}
        for name, G in graphs.items():
            W = metropolis_weights(G)
            measured[name] = _measured_consensus_time(W, x0, tol)
            predicted[name] = consensus_time(W, tol)
            # Symmetric W: ||e(t)|| <= SLEM^t ||e(0)||, so the prediction bounds
            # the measurement; a generic start is not far below the bound.
            assert 0.5 * predicted[name] <= measured[name] <= predicted[name], (
                name,
                measured,
                predicted,
            )
        assert measured["ring"] > 3 * measured["small_world"] > 3 * measured["complete"], measured
        assert measured["complete"] == 1  # W = 11^T / n averages in one step


def test_disconnected_graph_reaches_one_consensus_per_component():
    G = nx.disjoint_union(nx.cycle_graph(6), nx.path_graph(5))
    G.add_node(99)  # an isolated agent keeps its value
    W = metropolis_weights(G)
    assert second_largest_eigenvalue_modulus(W) == pytest.approx(1.0)
    assert spectral_gap(W) == pytest.approx(0.0, abs=1e-12)
    assert consensus_time(W) == float("inf")

    x0 = np.random.default_rng(0).normal(size=G.number_of_nodes())
    final = degroot(W, x0, steps=2000)[-1]
    index = {node: k for k, node in enumerate(G.nodes)}
    component_means = []
    for component in nx.connected_components(G):
        members = [index[node] for node in component]
        np.testing.assert_allclose(final[members], x0[members].mean(), atol=1e-10)
        component_means.append(x0[members].mean())
    assert np.ptp(component_means) > 0.1  # no global consensus
    assert np.ptp(final) > 0.1


def test_spectrum_functions_on_known_matrices():
    # Metropolis weights of a cycle are (I + S + S^T) / 3 with eigenvalues
    # (1 + 2 cos(2 pi k / n)) / 3.
    n = 9
    W = metropolis_weights(nx.cycle_graph(n))
    eigenvalues = (1 + 2 * np.cos(2 * np.pi * np.arange(1, n) / n)) / 3
    expected = np.max(np.abs(eigenvalues))
    assert second_largest_eigenvalue_modulus(W) == pytest.approx(expected)
    assert spectral_gap(W) == pytest.approx(1 - expected)
    assert consensus_time(W, 1e-4) == np.ceil(np.log(1e-4) / np.log(expected))
    # A non-symmetric row-stochastic matrix goes through the general eigensolver.
    P = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    assert second_largest_eigenvalue_modulus(P) == pytest.approx(0.5)
    assert second_largest_eigenvalue_modulus(np.ones((1, 1))) == 0.0


def test_bad_arguments_are_rejected_before_work():
    W = metropolis_weights(nx.path_graph(3))
    with pytest.raises(ValueError, match="rows of W must sum to 1"):
        degroot(2 * W, np.zeros(3), 2)
    with pytest.raises(ValueError, match="negative"):
        degroot(np.array([[1.5, -0.5], [0.0, 1.0]]), np.zeros(2), 2)
    with pytest.raises(ValueError, match="x0 must have shape"):
        degroot(W, np.zeros(4), 2)
    with pytest.raises(ValueError, match="steps"):
        degroot(W, np.zeros(3), -1)
    with pytest.raises(ValueError, match="square"):
        second_largest_eigenvalue_modulus(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tol"):
        consensus_time(W, tol=2.0)
    with pytest.raises(ValueError, match="only 1 steps|only 0 steps|only 2 steps"):
        empirical_decay_rate(degroot(metropolis_weights(nx.complete_graph(4)), np.arange(4.0), 5))
    with pytest.raises(ValueError, match="stop_rtol"):
        empirical_decay_rate(np.zeros((3, 2)), start_rtol=1e-6, stop_rtol=1e-3)


# ----------------------------------------------------------------------------
# Parameter gossip
# ----------------------------------------------------------------------------
def _random_params(n_agents, seed):
    rng = np.random.default_rng(seed)
    return [
        {
            "coefs": [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))],
            "intercepts": (rng.normal(size=4), rng.normal(size=2)),
            "scale": float(rng.normal()),
            "counts": rng.integers(0, 10, size=3),
        }
        for _ in range(n_agents)
    ]


def _population_mean(params_list):
    return gossip_average(params_list, np.full((len(params_list),) * 2, 1.0 / len(params_list)))[0]


def _assert_same_structure_close(a, b, **tolerances):
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            _assert_same_structure_close(a[key], b[key], **tolerances)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_structure_close(x, y, **tolerances)
    else:
        np.testing.assert_allclose(a, b, **tolerances)


def test_gossip_average_keeps_the_population_mean_and_equals_degroot():
    G = nx.connected_watts_strogatz_graph(15, 4, 0.3, seed=2)
    W = metropolis_weights(G)
    params = _random_params(15, seed=0)
    before = _population_mean(params)
    new = params
    for _ in range(5):
        new = gossip_average(new, W)
    _assert_same_structure_close(_population_mean(new), before, rtol=0, atol=1e-12)
    # Leaf by leaf it is DeGroot averaging: after 5 rounds x = W^5 x0.
    first_layer = np.stack([p["coefs"][0] for p in params]).reshape(15, -1)
    np.testing.assert_allclose(
        np.stack([p["coefs"][0] for p in new]).reshape(15, -1),
        degroot(W, first_layer, 5)[-1],
        atol=1e-12,
    )
    assert isinstance(new[0]["intercepts"], tuple) and isinstance(new[0]["coefs"], list)


def test_gossip_average_with_a_non_doubly_stochastic_w_moves_the_mean():
    # Rows sum to 1 but columns do not: an average, yet the population mean moves.
    W = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    params = [{"w": np.array([0.0])}, {"w": np.array([3.0])}, {"w": np.array([6.0])}]
    new = gossip_average(params, W)
    assert _population_mean(new)["w"][0] != pytest.approx(_population_mean(params)["w"][0])


def test_gossip_average_does_not_modify_its_inputs_and_checks_them():
    params = _random_params(4, seed=1)
    copy = [{"coefs": [c.copy() for c in p["coefs"]]} for p in params]
    gossip_average(params, metropolis_weights(nx.cycle_graph(4)))
    for p, c in zip(params, copy):
        np.testing.assert_array_equal(p["coefs"][0], c["coefs"][0])
    with pytest.raises(ValueError, match="4 agents"):
        gossip_average(params, np.eye(3))
    with pytest.raises(ValueError, match="shape"):
        gossip_average([{"w": np.zeros(2)}, {"w": np.zeros(3)}], np.eye(2))
    with pytest.raises(ValueError, match="keys"):
        gossip_average([{"w": np.zeros(2)}, {"v": np.zeros(2)}], np.eye(2))
    with pytest.raises(ValueError, match="non-empty"):
        gossip_average([], np.eye(1))


def test_randomized_gossip_keeps_the_mean_exactly_and_converges():
    G = nx.connected_watts_strogatz_graph(12, 4, 0.3, seed=4)
    params = _random_params(12, seed=3)
    before = _population_mean(params)
    few = randomized_gossip(params, G, n_wakeups=10, random_state=0)
    _assert_same_structure_close(_population_mean(few), before, rtol=0, atol=1e-12)
    many = randomized_gossip(params, G, n_wakeups=3000, random_state=0)
    for agent in many:  # every agent holds the population mean
        _assert_same_structure_close(agent, before, rtol=0, atol=1e-8)
    # Same seed, same exchanges; another seed, other exchanges.
    again = randomized_gossip(params, G, n_wakeups=10, random_state=0)
    other = randomized_gossip(params, G, n_wakeups=10, random_state=1)
    np.testing.assert_array_equal(few[3]["coefs"][1], again[3]["coefs"][1])
    assert not all(np.array_equal(a["coefs"][1], b["coefs"][1]) for a, b in zip(few, other))


def test_randomized_gossip_on_a_disconnected_graph_averages_per_component():
    G = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    G.add_node("alone")
    params = [{"w": np.array([float(k)])} for k in range(7)]
    new = randomized_gossip(params, G, n_wakeups=2000, random_state=0)
    values = np.array([p["w"][0] for p in new])
    np.testing.assert_allclose(values, [1, 1, 1, 4, 4, 4, 6], atol=1e-9)
    with pytest.raises(ValueError, match="one entry per node"):
        randomized_gossip(params[:3], G, 5)
    with pytest.raises(ValueError, match="directed"):
        randomized_gossip(params, nx.DiGraph(G), 5)
