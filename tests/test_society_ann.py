"""The society with the project's MLP population (ann.MLPPopulation)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from test_society_doubles import softmax_type  # noqa: F401

from social import Society
from social.metrics import summarise

pytest.importorskip("ann", reason="the ann package (MLPPopulation) is part of this project")


def test_gossip_keeps_the_population_mean_of_mlp_parameters():
    """One gossip step is new_i = sum_j W_ij theta_j with Metropolis weights
    W_ij = 1 / (1 + max(d_i, d_j)): written out here from the degrees alone, and
    its column sums are 1, so the mean of every MLP weight over agents stays put."""
    graph = nx.connected_watts_strogatz_graph(10, 4, 0.3, seed=1)
    society = Society(
        graph,
        "ann",
        "digits",
        "gossip",
        random_state=0,
        local_batch=20,
        protocol_params={"same_start": False},
        agent_params={"ann": {"hidden_layer_sizes": (16,)}},
    ).setup()
    society.partial_fit(
        *zip(
            *[
                (society.task_.X_train[s[:20]], society.task_.y_train[s[:20]])
                for s in society.shards_
            ]
        )
    )
    before = [society.get_agent_weights(i) for i in range(10)]
    assert not np.allclose(before[0]["weights_0"], before[1]["weights_0"])
    society.protocol_.interact(society, np.random.default_rng(0))
    after = [society.get_agent_weights(i) for i in range(10)]
    degree = dict(graph.degree)
    for key in before[0]:
        mean_before = np.mean([p[key] for p in before], axis=0)
        np.testing.assert_allclose(
            np.mean([p[key] for p in after], axis=0), mean_before, atol=1e-12
        )
        for i in range(10):
            expected = before[i][key] + sum(
                (before[j][key] - before[i][key]) / (1 + max(degree[i], degree[j]))
                for j in graph[i]
            )
            np.testing.assert_allclose(after[i][key], expected, atol=1e-12)


def test_teaching_beats_isolation_for_mlps_on_label_skewed_digits():
    settings = dict(
        graph="small_world",
        agents="ann",
        task="digits",
        partition="non_iid",
        random_state=0,
        n_agents=20,
        partition_params={"alpha": 0.1},
    )
    taught = Society(protocol="teach", **settings).run(5)
    alone = Society(protocol="isolated", **settings).run(5)
    final_taught = summarise(taught)["mean_accuracy"].iloc[-1]
    final_alone = summarise(alone)["mean_accuracy"].iloc[-1]
    assert final_taught > final_alone + 0.10, (final_taught, final_alone)


def test_an_mlp_and_another_kind_of_agent_teach_each_other(softmax_type):
    """Agents of one type hold some classes, agents of the other type the rest;
    by teaching, each type comes to recognise the classes only the other holds."""
    graph = nx.complete_bipartite_graph(4, 4)  # every edge joins the two types
    agents = {i: ("ann" if i < 4 else softmax_type) for i in graph}
    from tasks import load_task

    task = load_task("digits")
    low = task.y_train < 5
    rows = {"ann": np.flatnonzero(low), softmax_type: np.flatnonzero(~low)}

    def run(protocol):
        extra = {"protocol_params": {"demonstrations": 8}} if protocol == "teach" else {}
        society = Society(
            graph, agents, task, protocol, random_state=0, local_batch=32, **extra
        ).setup()
        # each type's agents share out that type's half of the classes
        for kind, (_, members) in society.populations_.items():
            for k, i in enumerate(members):
                society.shards_[i] = rows[kind][k :: len(members)]
        society.run(10)
        accuracy = {}
        for kind, (_, members) in society.populations_.items():
            unseen = ~np.isin(society.y_eval_, task.y_train[rows[kind]])
            accuracy[kind] = (
                society.predictions_[members][:, unseen] == society.y_eval_[unseen]
            ).mean()
        return accuracy

    alone, taught = run("isolated"), run("teach")
    for kind in ("ann", softmax_type):
        assert alone[kind] < 0.02
        assert taught[kind] > 0.3, (kind, taught)


def test_mlp_society_is_reproducible():
    def table():
        return (
            Society(
                "scale_free",
                "ann",
                "iris",
                "distill",
                random_state=3,
                n_agents=8,
                partition="non_iid",
            )
            .run(3)
            .drop(columns="wall_seconds")
        )

    pd.testing.assert_frame_equal(table(), table())
