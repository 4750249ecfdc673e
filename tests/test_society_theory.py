"""The society against the averaging theory of social.consensus.

Gossip between agents is DeGroot's iteration x(t+1) = W x(t) with Metropolis
weights: it must keep the population mean of every parameter, follow the
iteration step by step, and converge at the rate of the second largest
eigenvalue modulus of W (Xiao & Boyd 2004).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from test_society_doubles import OpinionPopulation, SoftmaxPopulation

from social import (
    Society,
    consensus_error,
    degroot,
    empirical_decay_rate,
    metropolis_weights,
    second_largest_eigenvalue_modulus,
)
from social.agents import AGENT_TYPES, register_agent_type


@pytest.fixture
def opinion_type():
    with AGENT_TYPES.restored():
        register_agent_type("opinion", OpinionPopulation)
        register_agent_type("softmax", SoftmaxPopulation)
        yield "opinion"


def opinions(society):
    return np.array(
        [float(society.get_agent_weights(i)["opinion"]) for i in range(society.n_agents_)]
    )


def test_gossip_on_scalar_opinions_is_degroot_at_the_slem_rate(opinion_type):
    graph = nx.connected_watts_strogatz_graph(16, 4, 0.2, seed=3)
    society = Society(
        graph,
        opinion_type,
        "iris",
        "gossip",
        random_state=0,
        local_batch=0,
        n_eval=1,
        protocol_params={"steps": 10, "same_start": False},
    ).setup()
    start = opinions(society)
    trajectory = [start]
    for _ in range(25):
        society.step()
        trajectory.append(opinions(society))
    W = metropolis_weights(graph)
    expected = degroot(W, start, steps=250)[::10]
    np.testing.assert_allclose(trajectory, expected, atol=1e-12)  # step for step
    np.testing.assert_allclose(np.mean(trajectory, axis=1), start.mean(), atol=1e-12)
    rate_per_round = empirical_decay_rate(np.array(trajectory), start_rtol=1e-2, stop_rtol=1e-12)
    assert rate_per_round == pytest.approx(second_largest_eigenvalue_modulus(W) ** 10, rel=0.05)


def test_gossip_averages_only_within_a_type(opinion_type):
    """In a mixed society each type averages over its own same-type subgraph:
    its mean is kept and its agents agree, the other type is untouched."""
    graph = nx.complete_graph(8)
    agents = {i: opinion_type if i % 2 else "softmax" for i in graph}
    society = Society(
        graph,
        agents,
        "iris",
        "gossip",
        random_state=1,
        local_batch=0,
        protocol_params={"same_start": False},
    ).setup()
    softmax, members = society.populations_["softmax"]
    start_opinions = np.array(
        [float(society.get_agent_weights(i)["opinion"]) for i in range(1, 8, 2)]
    )
    softmax_mean = softmax.coef_.mean(axis=0).copy()
    table = society.run(1)
    after = np.array([float(society.get_agent_weights(i)["opinion"]) for i in range(1, 8, 2)])
    np.testing.assert_allclose(after, start_opinions.mean())  # a complete graph averages at once
    np.testing.assert_allclose(softmax.coef_, softmax_mean[None].repeat(4, axis=0))
    # each agent sends its parameters to its 3 same-type neighbours, none across types
    assert (table["messages"] == 3).all()


def test_gossip_without_local_learning_converges_on_a_ring(opinion_type):
    society = Society(
        "ring",
        opinion_type,
        "iris",
        "gossip",
        random_state=0,
        n_agents=10,
        local_batch=0,
        n_eval=1,
        protocol_params={"same_start": False},
    ).setup()
    start = opinions(society)
    errors = [consensus_error([start, start])[0]]
    for _ in range(60):
        society.step()
        errors.append(np.linalg.norm(opinions(society) - start.mean()))
    slem = second_largest_eigenvalue_modulus(metropolis_weights(nx.cycle_graph(10)))
    # ||x(t) - mean|| <= slem^t ||x(0) - mean|| for a symmetric doubly stochastic W
    assert all(e <= slem**t * errors[0] + 1e-12 for t, e in enumerate(errors))
    assert errors[-1] < 1e-3 * errors[0]


def test_gossip_starts_each_type_from_one_agents_parameters(opinion_type):
    graph = nx.cycle_graph(6)
    agents = {i: opinion_type if i < 3 else "softmax" for i in graph}
    society = Society(graph, agents, "iris", "gossip", random_state=4).setup()
    first = [society.get_agent_weights(i) for i in range(6)]
    assert len({float(p["opinion"]) for p in first[:3]}) == 1
    for p in first[4:]:
        np.testing.assert_array_equal(p["coef"], first[3]["coef"])
    independent = Society(
        graph, agents, "iris", "gossip", random_state=4, protocol_params={"same_start": False}
    ).setup()
    assert len({float(independent.get_agent_weights(i)["opinion"]) for i in range(3)}) == 3
