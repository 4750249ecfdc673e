"""The society: its table, its seeds, its graphs and partitions, its protocols' bookkeeping.

Most tests use the softmax test double (tests/test_society_doubles.py), a real
learner that costs milliseconds; tests/test_society_ann.py and
tests/test_society_mixed.py run the same society with the project's MLP and
spiking populations.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from test_society_doubles import OpinionPopulation, SoftmaxPopulation, softmax_type  # noqa: F401

from social import GRAPHS, PROTOCOLS, Society, make_graph, partition_data
from social.metrics import (
    accuracy_by_type,
    consensus_distance,
    cumulative_cost,
    knowledge_diffusion,
    messages_per_round,
    summarise,
)
from tasks import load_task


def small_society(softmax_type, **overrides):
    settings = dict(
        graph="small_world",
        agents=softmax_type,
        task="digits",
        protocol="teach",
        partition="non_iid",
        random_state=0,
        n_agents=12,
        partition_params={"alpha": 0.1},
        n_eval=120,
    )
    settings.update(overrides)
    return Society(**settings)


# ---------------------------------------------------------------- the table
def test_table_is_tidy_one_row_per_round_and_agent(softmax_type):
    graph = nx.grid_2d_graph(3, 4)  # tuple labels
    society = Society(graph, softmax_type, "digits", "teach", partition="iid", random_state=1)
    table = society.run(3)
    assert len(table) == 3 * 12
    for column in (
        "round",
        "agent",
        "type",
        "accuracy",
        "degree",
        "messages",
        "disagreement",
        "cost",
        "cost_unit",
        "local_samples",
        "demonstrations_received",
    ):
        assert column in table.columns
    assert list(table["round"].unique()) == [1, 2, 3]
    first = table[table["round"] == 1]
    assert list(first["agent"]) == list(graph.nodes)  # the graph's own labels, in its order
    assert dict(zip(first["agent"], first["degree"])) == dict(graph.degree)
    assert set(table["type"]) == {softmax_type}
    assert table["accuracy"].between(0, 1).all()


def test_accuracy_is_that_of_the_agents_predictions(softmax_type):
    society = small_society(softmax_type)
    table = society.run(2)
    last = table[table["round"] == 2]
    from sklearn.metrics import accuracy_score

    expected = [
        accuracy_score(society.y_eval_, predictions) for predictions in society.predictions_
    ]
    np.testing.assert_allclose(last["accuracy"], expected)
    # predictions_ are what each population predicts on the evaluation samples
    population, members = society.populations_[softmax_type]
    np.testing.assert_array_equal(
        np.asarray(population.predict(society.X_eval_)), society.predictions_[members]
    )


def test_same_seed_same_table_other_seed_other_table(softmax_type):
    a = small_society(softmax_type).run(3).drop(columns="wall_seconds")
    b = small_society(softmax_type).run(3).drop(columns="wall_seconds")
    c = small_society(softmax_type, random_state=1).run(3).drop(columns="wall_seconds")
    pd.testing.assert_frame_equal(a, b)
    assert not a["accuracy"].equals(c["accuracy"])


def test_generator_seed_and_continued_runs_reproduce(softmax_type):
    whole = small_society(softmax_type, random_state=np.random.default_rng(5)).run(5)
    society = small_society(softmax_type, random_state=np.random.default_rng(5))
    society.run(3)
    continued = society.run(2)
    pd.testing.assert_frame_equal(
        whole.drop(columns="wall_seconds"), continued.drop(columns="wall_seconds")
    )


def test_local_batch_controls_how_much_each_agent_learns_alone(softmax_type):
    table = small_society(softmax_type, protocol="isolated", local_batch=5).run(2)
    assert (table["local_samples"] == 5).all()
    society = small_society(softmax_type, protocol="isolated", local_batch=None)
    table = society.run(1)
    np.testing.assert_array_equal(table["local_samples"], [len(s) for s in society.shards_])
    frozen = small_society(softmax_type, protocol="isolated", local_batch=0).run(3)
    assert (frozen["local_samples"] == 0).all()
    per_round = frozen.pivot(index="round", columns="agent", values="accuracy")
    assert (per_round.nunique() == 1).all()  # nobody learns: nothing changes


def test_local_batches_walk_through_the_whole_shard(softmax_type):
    society = small_society(softmax_type, protocol="isolated", local_batch=7)
    society.setup()
    rng = np.random.default_rng(0)
    shard = society.shards_[0]
    seen = np.concatenate([society._shard_batch(0, 7, rng) for _ in range(len(shard) // 7)])
    assert len(np.unique(seen)) == len(seen) and set(seen) <= set(shard)  # no repeats in a pass


def test_evaluation_subset_is_fixed_and_seeded(softmax_type):
    a, b = (
        small_society(softmax_type, n_eval=50),
        small_society(softmax_type, n_eval=50, protocol="isolated"),
    )
    a.run(1), b.run(1)
    assert len(a.eval_index_) == 50
    np.testing.assert_array_equal(a.eval_index_, b.eval_index_)  # same seed, any protocol
    full = small_society(softmax_type, n_eval=None).setup()
    assert len(full.eval_index_) == len(load_task("digits").y_test)


# ------------------------------------------------------------------ graphs
@pytest.mark.parametrize("name", sorted(set(GRAPHS) - {"city"}))
def test_named_graphs_have_n_agents_nodes_and_follow_the_seed(name):
    a, b = make_graph(name, 20, seed=3), make_graph(name, 20, seed=3)
    assert a.number_of_nodes() == 20
    assert nx.utils.graphs_equal(a, b)
    if name in {"small_world", "scale_free", "random"}:
        assert not nx.utils.graphs_equal(a, make_graph(name, 20, seed=4))


def test_named_graph_shapes():
    assert sorted(d for _, d in make_graph("ring", 10, seed=0).degree) == [2] * 10
    assert nx.is_connected(make_graph("small_world", 30, seed=0))
    assert make_graph("complete", 6, seed=0).number_of_edges() == 15
    grid = make_graph("grid", 20, seed=0)
    assert set(grid.nodes) == {(r, c) for r in range(4) for c in range(5)}
    hubs = make_graph("scale_free", 200, seed=0)
    degrees = np.array([d for _, d in hubs.degree])
    assert degrees.max() > 5 * np.median(degrees)  # preferential attachment makes hubs


def test_city_graph_is_the_traffic_tasks_road_network(softmax_type):
    task = load_task("city_traffic")
    society = Society(
        "city",
        softmax_type,
        task,
        "teach",
        partition="by_node",
        random_state=0,
        local_batch=16,
        n_eval=200,
    )
    society.run(1)
    assert nx.utils.graphs_equal(society.graph_, task.graph)
    assert society.nodes_ == list(task.graph.nodes)


def test_graph_parameters_pass_through(softmax_type):
    society = small_society(
        softmax_type, graph="small_world", graph_params={"k": 6, "p": 0.0}
    ).setup()
    assert sorted(set(d for _, d in society.graph_.degree)) == [6]  # p=0: the ring lattice


def test_isolated_node_learns_alone(softmax_type):
    graph = nx.path_graph(6)
    graph.add_node("hermit")
    social = Society(
        graph,
        softmax_type,
        "digits",
        "teach",
        partition="non_iid",
        random_state=2,
        partition_params={"alpha": 0.1},
    ).run(3)
    alone = Society(
        graph,
        softmax_type,
        "digits",
        "isolated",
        partition="non_iid",
        random_state=2,
        partition_params={"alpha": 0.1},
    ).run(3)
    hermit = social["agent"] == "hermit"
    assert (social.loc[hermit, "demonstrations_received"] == 0).all()
    assert (social.loc[hermit, "messages"] == 0).all()
    assert social.loc[hermit, "disagreement"].isna().all()
    # The same seed deals the same data and batches whatever the protocol, so
    # the hermit's learning is exactly that of an agent in a silent society.
    np.testing.assert_array_equal(social.loc[hermit, "accuracy"], alone.loc[hermit, "accuracy"])
    assert not np.array_equal(social.loc[~hermit, "accuracy"], alone.loc[~hermit, "accuracy"])


def test_directed_edge_means_the_source_teaches_the_target(softmax_type):
    graph = nx.DiGraph([("a", "b"), ("b", "c")])
    society = Society(
        graph,
        softmax_type,
        "digits",
        "teach",
        random_state=0,
        protocol_params={"demonstrations": 5, "labels": "true"},
    )
    table = society.run(1).set_index("agent")
    assert table.loc["a", "demonstrations_received"] == 0
    assert table.loc["b", "demonstrations_received"] == 5
    assert table.loc["c", "demonstrations_received"] == 5
    assert table.loc["c", "messages"] == 0 and table.loc["a", "messages"] == 5


# ------------------------------------------------------------- partitions
def test_iid_partition_is_disjoint_complete_and_even():
    task = load_task("digits")
    shards = partition_data("iid", task, range(7), np.random.default_rng(0))
    joined = np.concatenate(shards)
    assert len(joined) == len(np.unique(joined)) == len(task.y_train)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def class_share_of_largest_class(task, shards):
    return np.mean([np.bincount(task.y_train[s]).max() / len(s) for s in shards])


def test_non_iid_partition_follows_the_dirichlet_concentration():
    task = load_task("digits")
    rng = np.random.default_rng(0)
    skewed = partition_data("non_iid", task, range(20), rng, alpha=0.05)
    mild = partition_data("non_iid", task, range(20), rng, alpha=1000.0)
    iid = partition_data("iid", task, range(20), rng)
    for shards in (skewed, mild):
        joined = np.concatenate(shards)
        assert len(joined) == len(np.unique(joined)) == len(task.y_train)
    # Dir(alpha * p) with alpha -> 0 puts each agent on (nearly) one class; with
    # alpha -> infinity every agent gets the class prior, as an iid deal does.
    assert class_share_of_largest_class(task, skewed) > 0.7
    assert class_share_of_largest_class(task, mild) < class_share_of_largest_class(task, iid) + 0.05
    classes_seen = np.mean([len(np.unique(task.y_train[s])) for s in skewed])
    assert classes_seen < 4


def test_by_node_partition_gives_each_intersection_its_own_samples():
    task = load_task("city_traffic")
    nodes = list(task.graph.nodes)
    shards = partition_data("by_node", task, nodes, np.random.default_rng(0))
    for node, shard in zip(nodes, shards):
        assert (
            np.asarray(task.metadata["node_train"])[shard] == task.metadata["nodes"].index(node)
        ).all()
    assert sum(map(len, shards)) == len(task.y_train)


def test_partition_parameters_pass_through(softmax_type):
    skewed = small_society(softmax_type, partition_params={"alpha": 0.01}).setup()
    mild = small_society(softmax_type, partition_params={"alpha": 100.0}).setup()
    task = skewed.task_
    assert (
        class_share_of_largest_class(task, skewed.shards_)
        > class_share_of_largest_class(task, mild.shards_) + 0.4
    )


# ----------------------------------------------------------------- agents
def test_mixed_agents_are_half_each_and_placed_by_the_seed():
    from social.agents import AGENT_DEFAULTS, AGENT_TYPES, register_agent_type

    with AGENT_TYPES.restored(), AGENT_DEFAULTS.restored():
        for kind in ("ann", "snn"):
            register_agent_type(kind, SoftmaxPopulation, replace=True)
        a = Society("ring", "mixed", "iris", "isolated", random_state=0, n_agents=9).setup()
        b = Society("ring", "mixed", "iris", "isolated", random_state=0, n_agents=9).setup()
        c = Society("ring", "mixed", "iris", "isolated", random_state=1, n_agents=9).setup()
    assert AGENT_TYPES["ann"] is not SoftmaxPopulation  # put back
    assert (a.types_ == "ann").sum() == 5 and (a.types_ == "snn").sum() == 4
    np.testing.assert_array_equal(a.types_, b.types_)
    assert not np.array_equal(a.types_, c.types_)
    assert {kind: len(members) for kind, (_, members) in a.populations_.items()} == {
        "ann": 5,
        "snn": 4,
    }


def test_a_mapping_places_types_and_agent_params_reach_the_population(softmax_type):
    from social.agents import AGENT_TYPES, register_agent_type

    with AGENT_TYPES.restored():
        register_agent_type("opinion", OpinionPopulation)
        graph = nx.cycle_graph(["w", "x", "y", "z"])
        agents = {"w": softmax_type, "x": "opinion", "y": softmax_type, "z": "opinion"}
        society = Society(
            graph,
            agents,
            "iris",
            "teach",
            random_state=0,
            agent_params={softmax_type: {"learning_rate": 0.123}},
        )
        table = society.run(1)
        assert dict(zip(table["agent"], table["type"])) == agents
        population, members = society.populations_[softmax_type]
        assert population.learning_rate == 0.123 and list(members) == [0, 2]


def test_one_batched_call_per_type_and_round(softmax_type, monkeypatch):
    calls = []
    original = SoftmaxPopulation.partial_fit

    def counting(self, Xs, ys):
        calls.append(len(Xs))
        return original(self, Xs, ys)

    monkeypatch.setattr(SoftmaxPopulation, "partial_fit", counting)
    small_society(softmax_type, n_agents=30).run(2)
    assert calls == [30, 30, 30, 30]  # local learning + teaching, each round: never per agent


# -------------------------------------------------------------- protocols
def test_teach_messages_are_demonstrations_times_learners(softmax_type):
    society = small_society(
        softmax_type, protocol_params={"demonstrations": 3, "labels": "predicted"}
    )
    table = society.run(1)
    out_degree = dict(society.graph_.degree)
    expected = [3 * out_degree[node] for node in society.nodes_]
    np.testing.assert_array_equal(table["messages"], expected)
    np.testing.assert_array_equal(table["demonstrations_received"], expected)  # undirected


def test_what_a_demonstration_carries(softmax_type):
    """'predicted' passes the teachers' mistakes on, 'checked' and 'true' never do;
    'checked' sends only the demonstrations the teacher gets right."""
    tables = {
        labels: small_society(
            softmax_type, protocol_params={"labels": labels, "demonstrations": 6}
        ).run(3)
        for labels in ("predicted", "checked", "true")
    }
    received = {k: t["demonstrations_received"].sum() for k, t in tables.items()}
    accuracy = {k: t["demonstration_accuracy"].mean() for k, t in tables.items()}
    assert accuracy["true"] == accuracy["checked"] == 1.0
    assert accuracy["predicted"] < 1.0
    assert received["checked"] < received["true"] == received["predicted"]
    np.testing.assert_array_equal(
        tables["checked"]["messages"].groupby(tables["checked"]["round"]).sum(),
        tables["checked"]["demonstrations_received"].groupby(tables["checked"]["round"]).sum(),
    )


def test_teaching_spreads_classes_an_agent_never_saw(softmax_type):
    """On label-skewed shards an agent alone cannot recognise the classes it
    lacks; taught by neighbours who have them, it learns some of them."""
    settings = dict(partition_params={"alpha": 0.05}, n_agents=12, n_eval=None, local_batch=16)
    taught = small_society(softmax_type, protocol_params={"demonstrations": 16}, **settings)
    alone = small_society(softmax_type, protocol="isolated", **settings)
    taught.run(8), alone.run(8)
    task = taught.task_

    def accuracy_on_unseen_classes(society):
        scores = []
        for i, shard in enumerate(society.shards_):
            unseen = ~np.isin(society.y_eval_, task.y_train[shard])
            scores.append((society.predictions_[i][unseen] == society.y_eval_[unseen]).mean())
        return np.mean(scores)

    assert accuracy_on_unseen_classes(alone) < 0.02
    assert accuracy_on_unseen_classes(taught) > 0.15


@pytest.mark.parametrize("protocol", ["distill", "consensus_vote"])
def test_ensemble_protocols_beat_isolation_on_skewed_shards(softmax_type, protocol):
    social = small_society(softmax_type, protocol=protocol, partition_params={"alpha": 0.05}).run(8)
    alone = small_society(softmax_type, protocol="isolated", partition_params={"alpha": 0.05}).run(
        8
    )
    final = lambda t: t[t["round"] == 8]["accuracy"].mean()
    assert final(social) > final(alone) + 0.05
    assert (social["samples_received"] > 0).all()


def test_consensus_vote_labels_are_the_neighbourhood_majority(softmax_type):
    """The labels a learner receives are the plurality of its teachers' predictions."""
    from social.protocols import ask_teachers

    society = small_society(softmax_type, protocol="isolated").setup()
    society.run(2)
    rng = np.random.default_rng(0)
    queries = society.sample_own_inputs(4, rng)
    votes = ask_teachers(society, queries, "predict")
    for j, teachers in enumerate(society.in_neighbours_):
        expected = np.zeros((len(queries[j]), 10))
        for t in teachers:
            predicted = np.asarray(
                society.predict(
                    [queries[j] if k == t else queries[j][:0] for k in range(society.n_agents_)]
                )[t]
            )
            expected[np.arange(len(predicted)), predicted] += 1
        np.testing.assert_array_equal(votes[j], expected)


# ---------------------------------------------------------------- metrics
def test_consensus_distance_matches_a_direct_count_over_edges(softmax_type):
    society = small_society(softmax_type, graph="scale_free")
    table = society.run(2)
    index = {node: i for i, node in enumerate(society.nodes_)}
    differing = [
        np.mean(society.predictions_[index[u]] != society.predictions_[index[v]])
        for u, v in society.graph_.edges
    ]
    assert consensus_distance(table).loc[2] == pytest.approx(np.mean(differing))


def test_summaries_of_the_table(softmax_type):
    society = small_society(softmax_type)
    table = society.run(4)
    by_type = accuracy_by_type(table)
    last = table[table["round"] == 4]["accuracy"]
    assert by_type.loc[(4, softmax_type), "mean"] == pytest.approx(last.mean())
    assert by_type.loc[(4, softmax_type), "std"] == pytest.approx(last.std(ddof=0))
    cost = cumulative_cost(table)["J (horowitz45_fp32)"]
    assert (np.diff(cost) > 0).all()  # cumulative and growing
    sent = messages_per_round(table)
    assert sent["cumulative_messages"].iloc[-1] == table["messages"].sum()
    summary = summarise(table)
    assert list(summary.index) == [1, 2, 3, 4]
    for column in (
        "mean_accuracy",
        f"accuracy_{softmax_type}",
        "consensus_distance",
        "messages",
        "cumulative_J (horowitz45_fp32)",
    ):
        assert column in summary.columns


def test_knowledge_diffusion_is_the_first_round_a_share_of_agents_passes():
    table = pd.DataFrame(
        {
            "round": np.repeat([1, 2, 3], 4),
            "agent": np.tile(range(4), 3),
            "type": np.tile(["ann", "ann", "snn", "snn"], 3),
            "accuracy": [0.1, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1],
        }
    )
    assert knowledge_diffusion(table, 0.5, fraction=0.25) == 1
    assert knowledge_diffusion(table, 0.5, fraction=0.5) == 2
    assert knowledge_diffusion(table, 0.5, fraction=0.75) == 3
    assert np.isnan(knowledge_diffusion(table, 0.5, fraction=1.0))
    assert knowledge_diffusion(table, 0.5, fraction=1.0, by_type=True).to_dict()["ann"] == 2


def test_every_protocol_is_registered_with_a_reference():
    for name, cls in PROTOCOLS.items():
        assert cls.name == name
        assert cls.__doc__ and (cls.reference or name == "isolated")
