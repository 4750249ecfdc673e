"""Property-based tests (hypothesis) of the social package's public API.

Society: random NetworkX graphs (empty, isolated nodes, self-loops, parallel
edges, directed, disconnected, labels of mixed types), random mixes of two
cheap MLP agent types, partitions, protocols and their parameters. An
independent model of the documented contract says whether a setting is
valid; a valid one runs and gives a tidy table (one row per round and agent,
the graph's labels in its order, accuracies in [0, 1], simple-graph degrees)
reproducible from its seed, an invalid one raises ValueError/TypeError
naming what is wrong.

Consensus: Metropolis weights of any undirected graph are symmetric,
non-negative, rows summing to 1, with the documented entries; DeGroot
averaging and gossip keep the average and never increase the distance to
it; the SLEM is the spectral norm of ``W - 11^T / n`` (1 for a disconnected
graph). Metrics: every summary agrees with a brute-force count on random
tables. Invalid input raises ValueError/TypeError naming the argument.
"""

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ann import MLPPopulation
from social import (
    PROTOCOLS,
    Society,
    consensus_error,
    consensus_time,
    degroot,
    empirical_decay_rate,
    gossip_average,
    metropolis_weights,
    partition_data,
    randomized_gossip,
    second_largest_eigenvalue_modulus,
    spectral_gap,
)
from social.agents import AGENT_DEFAULTS, AGENT_TYPES, register_agent_type
from social.metrics import (
    accuracy_by_type,
    consensus_distance,
    knowledge_diffusion,
    messages_per_round,
    summarise,
)
from tasks import load_task

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

IRIS = load_task("iris", seed=0)
#: A second kind of cheap agent, so that societies mix types without Brian2.
OTHER_TYPE = "tanh_mlp_property"
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.floats(allow_nan=True),
    st.integers(-2, 2),
    st.lists(st.integers(0, 2), max_size=2),
)


def in_unit_interval(value, closed_right):
    """A real number (not a bool) in (0, 1) or (0, 1]."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 < value
        and (value <= 1 if closed_right else value < 1)
    )


@pytest.fixture(scope="module")
def two_agent_types():
    with AGENT_TYPES.restored(), AGENT_DEFAULTS.restored():
        register_agent_type(
            OTHER_TYPE,
            MLPPopulation,
            defaults=dict(hidden_layer_sizes=(3,), activation="tanh", batch_size=8),
        )
        yield ("ann", OTHER_TYPE)


def is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


# -- graphs --------------------------------------------------------------------------------------


def node_label(i, kind):
    kind = ["int", "str", "tuple"][i % 3] if kind == "mixed" else kind
    return {"int": i * 7, "str": f"node {i}", "tuple": (i, "x")}[kind]


@st.composite
def graphs(draw, min_nodes=0, max_nodes=7, directed=None):
    n = draw(st.integers(min_nodes, max_nodes))
    kind = draw(st.sampled_from(["int", "str", "tuple", "mixed"]))
    directed = draw(st.booleans()) if directed is None else directed
    multi = draw(st.booleans())
    cls = {
        (False, False): nx.Graph,
        (False, True): nx.MultiGraph,
        (True, False): nx.DiGraph,
        (True, True): nx.MultiDiGraph,
    }[(directed, multi)]
    graph = cls()
    labels = [node_label(i, kind) for i in draw(st.permutations(range(n)))]
    graph.add_nodes_from(labels)
    if n:
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=14))
        graph.add_edges_from((labels[a], labels[b]) for a, b in pairs)  # self-loops included
    return graph


def simple_degrees(graph):
    """Distinct neighbours of every node, self excluded (in + out for a directed graph)."""
    simple = (nx.DiGraph if graph.is_directed() else nx.Graph)(graph)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    return dict(simple.degree)


# -- the society -----------------------------------------------------------------------------------


def protocol_parameters(protocol, faulty):
    """Keyword parameters of ``protocol``: valid ones, or (faulty) anything."""
    demonstrations = st.one_of(st.integers(-1, 4), junk) if faulty else st.integers(1, 4)
    options = {
        "teach": {
            "demonstrations": demonstrations,
            "labels": st.sampled_from(["checked", "predicted", "true"] + ["bogus"] * faulty),
        },
        "distill": {"demonstrations": demonstrations},
        "consensus_vote": {"demonstrations": demonstrations},
        "gossip": {
            "steps": st.one_of(st.integers(-1, 3), junk) if faulty else st.integers(1, 3),
            "same_start": st.one_of(st.booleans(), junk) if faulty else st.booleans(),
        },
    }.get(protocol, {})
    if faulty:
        options["bogus_parameter"] = st.just(1)
    return st.fixed_dictionaries({}, optional=options)


def protocol_problems(protocol, params, directed):
    problems = ["bogus_parameter"] if "bogus_parameter" in params else []
    if "demonstrations" in params and not (
        is_int(params["demonstrations"]) and params["demonstrations"] >= 1
    ):
        problems.append("demonstrations")
    if params.get("labels", "checked") not in ("checked", "predicted", "true"):
        problems.append("labels")
    if protocol == "gossip":
        if "steps" in params and not (is_int(params["steps"]) and params["steps"] >= 1):
            problems.append("steps")
        if not isinstance(params.get("same_start", True), (bool, np.bool_)):
            problems.append("same_start")
        if directed:
            problems.append("undirected")
    return problems


@st.composite
def societies(draw, agent_types):
    """(Society arguments, problems the documentation predicts: substrings of the error).

    Half of the examples draw from valid choices only; the other half from
    anything, so that both the runs and the refusals are well covered.
    """
    faulty = draw(st.booleans())
    maybe = (lambda *bad: list(bad)) if faulty else (lambda *bad: [])
    graph = draw(graphs(min_nodes=0 if faulty else 1))
    nodes = list(graph.nodes)
    problems = [] if nodes else ["empty"]
    agents_kind = draw(st.sampled_from(["one", "mapping"] + maybe("missing", "unknown", "junk")))
    if agents_kind == "one":
        agents = draw(st.sampled_from(agent_types))
    elif agents_kind == "junk":
        agents = draw(st.sampled_from([3, None, ["ann"]]))
        problems.append("agents")
    else:
        pool = agent_types + (("no_such_type",) if agents_kind == "unknown" else ())
        agents = {node: draw(st.sampled_from(pool)) for node in nodes}
        if agents_kind == "missing":
            agents = dict(list(agents.items())[1:]) if nodes else {"ghost": "ann"}
            problems.append("missing")
        if "no_such_type" in agents.values():
            problems.append("agent type")
    protocol = draw(st.sampled_from(sorted(PROTOCOLS) + maybe("no_such_protocol")))
    if protocol == "gossip" and graph.is_directed() and not faulty:
        graph = graph.to_undirected()
    params = {}
    if protocol in PROTOCOLS:
        params = draw(protocol_parameters(protocol, faulty))
        problems += protocol_problems(protocol, params, graph.is_directed())
    else:
        problems.append("protocol")
    partition = draw(
        st.sampled_from(["iid", "non_iid", "non_iid"] + maybe("by_node", "no_such_partition"))
    )
    partition_params = {}
    if partition == "non_iid" and draw(st.booleans()):
        partition_params["alpha"] = draw(
            st.one_of(
                st.floats(0.01, 100),
                *([st.sampled_from([0.0, -1.0, math.inf]), junk] if faulty else []),
            )
        )
        alpha = partition_params["alpha"]
        if not (
            isinstance(alpha, (int, float))
            and not isinstance(alpha, bool)
            and math.isfinite(alpha)
            and alpha > 0
        ):
            problems.append("alpha")
    if partition == "by_node":
        problems.append("by_node")
    elif partition == "no_such_partition":
        problems.append("partition")
    bad = (lambda *strategies: list(strategies)) if faulty else (lambda *strategies: [])
    society_params = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "local_batch": st.one_of(st.none(), st.integers(0, 20), *bad(st.just(-1), junk)),
                "local_epochs": st.one_of(st.integers(1, 2), *bad(st.just(0), junk)),
                "n_eval": st.one_of(st.none(), st.integers(1, 60), *bad(st.just(0), junk)),
                "n_agents": st.integers(0, 8) if faulty else st.just(len(nodes)),
            },
        )
    )
    if "local_batch" in society_params:
        value = society_params["local_batch"]
        if not (value is None or (is_int(value) and value >= 0)):
            problems.append("local_batch")
    if "local_epochs" in society_params and not (
        is_int(society_params["local_epochs"]) and society_params["local_epochs"] >= 1
    ):
        problems.append("local_epochs")
    if "n_eval" in society_params:
        value = society_params["n_eval"]
        if not (value is None or (is_int(value) and value >= 1)):
            problems.append("n_eval")
    if society_params.get("n_agents", len(nodes)) != len(nodes):
        problems.append("n_agents")
    random_state = draw(
        st.one_of(
            st.integers(0, 2**40),
            st.none(),
            *bad(st.integers(-3, -1), st.sampled_from(["seed", 1.5, True])),
        )
    )
    if not (random_state is None or (is_int(random_state) and random_state >= 0)):
        problems.append("random_state")
    arguments = dict(
        graph=graph,
        agents=agents,
        task=IRIS,
        protocol=protocol,
        partition=partition,
        random_state=random_state,
        protocol_params=params,
        partition_params=partition_params,
        **society_params,
        agent_params={"ann": {"hidden_layer_sizes": (3,)}},
    )
    return arguments, problems


@FAST
@given(data=st.data())
def test_any_society_runs_to_a_tidy_table_or_is_refused_naming_the_problem(data, two_agent_types):
    arguments, problems = data.draw(societies(two_agent_types), label="society")
    event("refused" if problems else "runs")
    if problems:
        with pytest.raises((ValueError, TypeError)) as error:
            Society(**arguments).run(1)
        assert any(problem in str(error.value) for problem in problems), (
            problems,
            str(error.value),
        )
        return
    society = Society(**arguments)
    table = society.run(2)
    graph = arguments["graph"]
    nodes = list(graph.nodes)
    assert len(table) == 2 * len(nodes)
    assert list(table["round"]) == [1] * len(nodes) + [2] * len(nodes)
    assert list(table["agent"][: len(nodes)]) == nodes
    assert table["accuracy"].between(0, 1).all()
    degrees = simple_degrees(graph)
    assert list(table["degree"][: len(nodes)]) == [degrees[node] for node in nodes]
    agents = arguments["agents"]
    expected_types = [agents if isinstance(agents, str) else agents[node] for node in nodes]
    assert list(table["type"][: len(nodes)]) == expected_types
    assert (table["messages"] >= 0).all()
    isolated = np.array([degrees[node] == 0 for node in nodes] * 2)
    assert table["disagreement"][isolated].isna().all()
    assert table["disagreement"][~isolated].between(0, 1).all()
    if is_int(arguments["random_state"]):
        again = Society(**arguments).run(2)
        pd.testing.assert_series_equal(again["accuracy"], table["accuracy"])


@FAST
@given(graph=graphs(min_nodes=1, max_nodes=6), data=st.data())
def test_the_agents_api_answers_for_every_agent_or_refuses_a_wrong_count(
    graph, data, two_agent_types
):
    nodes = list(graph.nodes)
    agents = {node: data.draw(st.sampled_from(two_agent_types)) for node in nodes}
    society = Society(
        graph,
        agents,
        IRIS,
        "isolated",
        random_state=0,
        agent_params={"ann": {"hidden_layer_sizes": (3,)}},
    ).setup()
    n, X = len(nodes), IRIS.X_test[:5]
    predicted = society.predict(X)
    assert predicted.shape == (n, 5) and np.isin(predicted, IRIS.classes).all()
    proba = society.predict_proba(X)
    assert proba.shape == (n, 5, len(IRIS.classes))
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(IRIS.classes[proba.argmax(axis=-1)], predicted)
    wrong = data.draw(st.sampled_from([n - 1, n + 1]))
    with pytest.raises(ValueError, match="one array per agent"):
        society.predict([X] * wrong)
    with pytest.raises(ValueError, match="one array per agent"):
        society.partial_fit([X] * wrong, [IRIS.y_test[:5]] * wrong)
    i = data.draw(st.integers(0, n - 1))
    same_type = [j for j in range(n) if society.types_[j] == society.types_[i]]
    j = data.draw(st.sampled_from(same_type))
    society.set_agent_weights(i, society.get_agent_weights(j))
    for key, value in society.get_agent_weights(i).items():
        np.testing.assert_array_equal(value, society.get_agent_weights(j)[key])
    assert society.energy_joules().shape == (n,) and (society.energy_joules() > 0).all()
    assert set(society.cost()["agent"]) == set(range(n))


@FAST
@given(
    name=st.sampled_from(["iid", "non_iid"]),
    n_nodes=st.integers(1, 30),
    alpha=st.one_of(st.floats(0.01, 1000), st.sampled_from([0.0, -1.0, math.inf, math.nan]), junk),
    seed=st.integers(0, 2**32 - 1),
)
@example(name="non_iid", n_nodes=3, alpha=math.inf, seed=0).via(
    "an infinite alpha is refused naming it"
)
def test_partitions_deal_disjoint_equal_shares_or_refuse_alpha_by_name(name, n_nodes, alpha, seed):
    params = {"alpha": alpha} if name == "non_iid" else {}
    rng = np.random.default_rng(seed)
    valid_alpha = (
        isinstance(alpha, (int, float))
        and not isinstance(alpha, bool)
        and math.isfinite(alpha)
        and alpha > 0
    )
    if name == "non_iid" and not valid_alpha:
        a_number = isinstance(alpha, (int, float)) and not isinstance(alpha, bool)
        with pytest.raises(ValueError if a_number else TypeError, match="alpha"):
            partition_data(name, IRIS, range(n_nodes), rng, **params)
        return
    shards = partition_data(name, IRIS, range(n_nodes), rng, **params)
    dealt = np.concatenate(shards)
    assert len(shards) == n_nodes and all(len(shard) > 0 for shard in shards)
    assert len(np.unique(dealt)) == len(dealt) == len(IRIS.y_train)  # disjoint, everything dealt
    sizes = [len(shard) for shard in shards]
    assert max(sizes) - min(sizes) <= 1


@FAST
@given(rounds=st.one_of(st.integers(-2, 2), junk))
def test_run_takes_a_number_of_rounds_or_refuses_naming_it(rounds):
    society = Society(
        nx.path_graph(2),
        "ann",
        IRIS,
        "isolated",
        random_state=0,
        agent_params={"ann": {"hidden_layer_sizes": (2,)}},
    )
    if is_int(rounds) and rounds >= 0:
        assert len(society.run(rounds)) == 2 * rounds
    else:  # a wrong type is a TypeError, a negative count a ValueError
        with pytest.raises(ValueError if is_int(rounds) else TypeError, match="rounds"):
            society.run(rounds)


# -- consensus -----------------------------------------------------------------------------------------


@FAST
@given(graph=graphs(min_nodes=1, directed=False))
def test_metropolis_weights_of_any_undirected_graph_are_symmetric_doubly_stochastic(graph):
    W = metropolis_weights(graph)
    nodes = list(graph.nodes)
    degrees = simple_degrees(graph)
    assert W.shape == (len(nodes), len(nodes))
    assert (W >= 0).all() and (np.diag(W) > 0).all()
    np.testing.assert_allclose(W, W.T, atol=0)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    for i, u in enumerate(nodes):
        for j, v in enumerate(nodes):
            if i != j:
                linked = graph.has_edge(u, v)
                expected = 1.0 / (1.0 + max(degrees[u], degrees[v])) if linked else 0.0
                assert W[i, j] == pytest.approx(expected)


@FAST
@given(graph=st.one_of(graphs(max_nodes=0), graphs(min_nodes=1, directed=True)))
def test_metropolis_weights_refuse_directed_and_empty_graphs(graph):
    with pytest.raises(ValueError, match="directed|no nodes"):
        metropolis_weights(graph)


@FAST
@given(graph=graphs(min_nodes=1, directed=False), data=st.data())
def test_degroot_keeps_the_average_and_never_moves_away_from_it(graph, data):
    W = metropolis_weights(graph)
    n = len(W)
    shape = data.draw(st.sampled_from([(n,), (n, 1), (n, 3)]))
    x0 = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e6, 1e6)))
    steps = data.draw(st.integers(0, 25))
    trajectory = degroot(W, x0, steps)
    assert trajectory.shape == (steps + 1,) + shape
    np.testing.assert_array_equal(trajectory[0], x0)
    scale = 1e-9 * (1 + np.abs(x0).max()) * n
    np.testing.assert_allclose(
        trajectory.mean(axis=1),
        np.broadcast_to(x0.mean(axis=0), trajectory.mean(axis=1).shape),
        atol=scale,
    )
    error = consensus_error(trajectory)
    assert error.shape == (steps + 1,) and (error >= 0).all()
    assert (np.diff(error) <= scale).all()


@FAST
@given(graph=graphs(min_nodes=1, directed=False))
def test_slem_is_the_norm_of_w_minus_the_average_and_one_when_disconnected(graph):
    W = metropolis_weights(graph)
    n = len(W)
    slem = second_largest_eigenvalue_modulus(W)
    assert 0.0 <= slem <= 1.0
    assert spectral_gap(W) == pytest.approx(1.0 - slem)
    simple = nx.Graph(graph)
    if n == 1:
        assert slem == 0.0
    elif not nx.is_connected(simple):
        assert slem == pytest.approx(1.0) and consensus_time(W) == math.inf
    else:
        assert slem == pytest.approx(np.linalg.norm(W - np.ones((n, n)) / n, 2), abs=1e-9)
        assert consensus_time(W, tol=1e-3) >= 1


@FAST
@given(
    kind=st.sampled_from(
        ["not square", "empty", "negative", "nan", "row sums", "x0 shape", "steps"]
    ),
    n=st.integers(1, 4),
    steps=st.one_of(st.integers(-3, -1), junk.filter(lambda v: not is_int(v))),
)
def test_degroot_refuses_bad_input(kind, n, steps):
    W = np.full((n, n), 1.0 / n)
    x0 = np.zeros(n)
    if kind == "not square":
        W = np.full((n, n + 1), 1.0 / (n + 1))
    elif kind == "empty":
        W = np.zeros((0, 0))
    elif kind == "negative":
        W = np.eye(n) * 2 - np.full((n, n), 1.0 / n) if n > 1 else np.array([[-1.0]])
    elif kind == "nan":
        W[0, 0] = np.nan
    elif kind == "row sums":
        W = W * 1.5
    elif kind == "x0 shape":
        x0 = np.zeros(n + 1)
    # a step count of the wrong type is a TypeError (core.params), the rest ValueErrors
    error = TypeError if kind == "steps" and not is_int(steps) else ValueError
    with pytest.raises(error, match=r"\bW\b|x0|steps|negative|sum"):
        degroot(W, x0, steps if kind == "steps" else 3)


@st.composite
def parameter_sets(draw, n_agents):
    shapes = draw(
        st.dictionaries(
            st.sampled_from(["w", "b", "v"]),
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
            min_size=1,
        )
    )
    return [
        {
            key: draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e3, 1e3)))
            for key, shape in shapes.items()
        }
        for _ in range(n_agents)
    ]


@FAST
@given(graph=graphs(min_nodes=1, max_nodes=5, directed=False), data=st.data())
def test_gossip_keeps_every_parameters_average(graph, data):
    n = graph.number_of_nodes()
    params = data.draw(parameter_sets(n))
    copies = [{k: v.copy() for k, v in p.items()} for p in params]
    synchronous = gossip_average(params, metropolis_weights(graph))
    pairwise = randomized_gossip(
        params, graph, data.draw(st.integers(0, 30)), random_state=data.draw(st.integers(0, 100))
    )
    for new in (synchronous, pairwise):
        assert len(new) == n
        for key in params[0]:
            before = np.mean([p[key] for p in params], axis=0)
            after = np.mean([p[key] for p in new], axis=0)
            np.testing.assert_allclose(after, before, atol=1e-9)
            assert all(p[key].shape == params[0][key].shape for p in new)
    for original, copy in zip(params, copies):  # inputs untouched
        for key in copy:
            np.testing.assert_array_equal(original[key], copy[key])


@FAST
@given(defect=st.sampled_from(["keys", "shape", "text", "count", "empty"]), n=st.integers(2, 4))
def test_gossip_refuses_mismatched_parameter_sets(defect, n):
    params = [{"w": np.zeros(2)} for _ in range(n)]
    W = np.full((n, n), 1.0 / n)
    if defect == "keys":
        params[-1] = {"v": np.zeros(2)}
    elif defect == "shape":
        params[-1] = {"w": np.zeros(3)}
    elif defect == "text":
        params[-1] = {"w": np.array(["a", "b"])}
    elif defect == "count":
        params = params[:-1]
    else:
        params = []
    with pytest.raises((ValueError, TypeError), match=r"params|agent|\bW\b"):
        gossip_average(params, W)


@FAST
@given(
    n_wakeups=st.one_of(st.integers(-3, -1), junk.filter(lambda v: not is_int(v))),
    tol=st.one_of(
        st.sampled_from([0.0, 1.0, -0.5, 2.0, math.nan]),
        junk.filter(lambda v: not in_unit_interval(v, closed_right=False)),
    ),
)
def test_consensus_functions_refuse_bad_arguments_by_name(n_wakeups, tol):
    graph = nx.path_graph(3)
    # core.params: TypeError for a value of the wrong type, ValueError for one out of range
    error = ValueError if is_int(n_wakeups) else TypeError
    with pytest.raises(error, match="n_wakeups must be a non-negative integer"):
        randomized_gossip([{"w": np.zeros(1)}] * 3, graph, n_wakeups)
    error = ValueError if is_number(tol) else TypeError
    with pytest.raises(error, match=r"tol must be a number in \(0, 1\)"):
        consensus_time(metropolis_weights(graph), tol=tol)


@FAST
@given(start_rtol=st.one_of(st.floats(-1, 2), junk), stop_rtol=st.one_of(st.floats(-1, 2), junk))
@example(start_rtol="0.1", stop_rtol=1e-10).via("a text tolerance is refused naming it")
def test_empirical_decay_rate_fits_the_slem_or_refuses_its_window(start_rtol, stop_rtol):
    W = metropolis_weights(nx.cycle_graph(8))
    trajectory = degroot(W, np.random.default_rng(0).normal(size=8), steps=400)
    valid = (
        all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start_rtol, stop_rtol)
        )
        and 0 < stop_rtol < start_rtol <= 1
    )
    if not valid:
        with pytest.raises(ValueError, match="rtol"):
            empirical_decay_rate(trajectory, start_rtol=start_rtol, stop_rtol=stop_rtol)
        return
    relative = consensus_error(trajectory) / consensus_error(trajectory)[0]
    inside = np.count_nonzero((relative <= start_rtol) & (relative >= stop_rtol))
    if inside < 3:
        with pytest.raises(ValueError, match="steps"):
            empirical_decay_rate(trajectory, start_rtol=start_rtol, stop_rtol=stop_rtol)
    elif start_rtol <= 1e-2 and stop_rtol >= 1e-12:  # asymptotic, above the rounding floor
        rate = empirical_decay_rate(trajectory, start_rtol=start_rtol, stop_rtol=stop_rtol)
        assert rate == pytest.approx(second_largest_eigenvalue_modulus(W), abs=1e-2)


# -- metrics -------------------------------------------------------------------------------------


@st.composite
def tables(draw):
    n_rounds, n_agents = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    types = draw(st.lists(st.sampled_from(["ann", "snn"]), min_size=n_agents, max_size=n_agents))
    degree = draw(st.lists(st.integers(0, 3), min_size=n_agents, max_size=n_agents))
    rows = []
    for r in range(1, n_rounds + 1):
        for a in range(n_agents):
            rows.append(
                {
                    "round": r,
                    "agent": a,
                    "type": types[a],
                    "accuracy": draw(st.floats(0, 1)),
                    "degree": degree[a],
                    "disagreement": draw(st.floats(0, 1)) if degree[a] else np.nan,
                    "messages": draw(st.integers(0, 50)),
                    "cost": float(r * (a + 1)),
                    "cost_unit": "MAC" if types[a] == "ann" else "SOP",
                    "wall_seconds": 0.1,
                }
            )
    return pd.DataFrame(rows)


@FAST
@given(table=tables(), threshold=st.floats(0, 1), fraction=st.floats(0.01, 1))
def test_every_summary_agrees_with_a_brute_force_count(table, threshold, fraction):
    rounds = sorted(table["round"].unique())
    by_type = accuracy_by_type(table)
    for (r, kind), row in by_type.iterrows():
        values = table[(table["round"] == r) & (table["type"] == kind)]["accuracy"].to_numpy()
        assert row["n_agents"] == len(values)
        assert row["mean"] == pytest.approx(values.mean()) and row["min"] == values.min()
        assert row["min"] <= row["mean"] + 1e-12 and row["mean"] <= row["max"] + 1e-12
    distance = consensus_distance(table)
    for r in rounds:
        rows = table[(table["round"] == r) & (table["degree"] > 0)]
        if len(rows) == 0:
            assert math.isnan(distance[r])
        else:
            expected = (rows["disagreement"] * rows["degree"]).sum() / rows["degree"].sum()
            assert distance[r] == pytest.approx(expected) and 0 <= distance[r] <= 1
    reached = [
        r
        for r in rounds
        if (table[table["round"] == r]["accuracy"] >= threshold).mean() >= fraction - 1e-12
    ]
    result = knowledge_diffusion(table, threshold=threshold, fraction=fraction)
    assert (math.isnan(result) and not reached) or result == min(reached)
    messages = messages_per_round(table)
    np.testing.assert_array_equal(messages["cumulative_messages"], np.cumsum(messages["messages"]))
    assert list(summarise(table).index) == rounds


@FAST
@given(
    fraction=st.one_of(
        st.sampled_from([0.0, -0.1, 1.5, math.nan]),
        junk.filter(lambda v: not in_unit_interval(v, closed_right=True)),
    )
)
@example(fraction="half").via("a text fraction is refused naming it")
def test_metrics_refuse_bad_tables_and_fractions_by_name(fraction):
    table = pd.DataFrame({"round": [1], "agent": [0], "type": ["ann"], "accuracy": [0.5]})
    a_number = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
    with pytest.raises(ValueError if a_number else TypeError, match="fraction"):
        knowledge_diffusion(table, threshold=0.5, fraction=fraction)
    with pytest.raises(ValueError, match="columns"):
        consensus_distance(table)
    with pytest.raises(TypeError, match="table"):
        accuracy_by_type(table.to_dict())
