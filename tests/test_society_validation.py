"""Bad input to a society fails clearly, naming the parameter, before any work is done."""

from __future__ import annotations

import networkx as nx
import pytest
from test_society_doubles import SoftmaxPopulation

from social import Society
from social.agents import AGENT_TYPES, register_agent_type


@pytest.fixture
def counting_type():
    """An agent type whose factory counts how many populations were built."""
    built = []

    def factory(*args, **kwargs):
        built.append(args)
        return SoftmaxPopulation(*args, **kwargs)

    with AGENT_TYPES.restored():
        register_agent_type("counting", factory)
        yield built


def fails(match, *args, error=ValueError, **kwargs):
    with pytest.raises(error, match=match):
        Society(*args, **kwargs).run(1)


def test_the_constructor_only_stores_parameters():
    society = Society(
        "no such graph",
        agents="nobody",
        task="nothing",
        protocol="none",
        partition="nowhere",
        random_state="x",
        whatever=1,
    )
    assert society.graph == "no such graph" and society.params == {"whatever": 1}


@pytest.mark.parametrize(
    "arguments, match",
    [
        (
            dict(graph="hypercube", n_agents=4),
            r"unknown graph='hypercube'; known: \['city'",
        ),
        (
            dict(graph="ring", n_agents=4, protocol="shout"),
            r"unknown protocol='shout'; known: \[",
        ),
        (
            dict(graph="ring", n_agents=4, partition="by_age"),
            r"unknown partition='by_age'; known",
        ),
        (
            dict(graph="ring", n_agents=4, agents="cyborg"),
            r"unknown agents='cyborg'; known",
        ),
        (
            dict(graph="ring", n_agents=4, task="chess"),
            r"unknown task='chess'; known: \['city_traffic'",
        ),
    ],
)
def test_unknown_names_list_the_known_ones(counting_type, arguments, match):
    arguments.setdefault("agents", "counting")
    fails(match, **arguments)
    assert counting_type == []


@pytest.mark.parametrize(
    "arguments, match, error",
    [
        (dict(graph=nx.Graph()), "graph is empty", ValueError),
        (dict(graph=nx.empty_graph(0, create_using=nx.DiGraph)), "graph is empty", ValueError),
        (dict(graph=[(0, 1)]), "graph must be .*or a networkx graph, got graph=", TypeError),
        (dict(graph="ring"), "n_agents must be a positive integer, got n_agents=None", TypeError),
        (dict(graph="ring", n_agents=0), "n_agents=0", ValueError),
        (
            dict(graph="ring", n_agents=200, task="iris"),
            "84 training samples, fewer than the 200 agents",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, task="seed_regression"),
            "classification tasks; .* regression",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, loudness=3),
            r"unknown parameter\(s\) \['loudness'\] of Society; it takes \[.*protocol_params",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, protocol="isolated", demonstrations=3),
            r"unknown parameter\(s\) \['demonstrations'\] of Society.*protocol_params=",
            ValueError,
        ),
        (
            dict(
                graph="ring", n_agents=4, protocol="isolated", protocol_params={"demonstrations": 3}
            ),
            r"protocol_params has \['demonstrations'\], which protocol 'isolated' does not take; "
            r"it takes \[\]",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, graph_params={"k": 2}),
            r"graph_params has \['k'\], which graph 'ring' does not take",
            ValueError,
        ),
        (
            dict(graph=nx.path_graph(4), graph_params={"k": 2}),
            "graph_params apply only when graph is a name",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, agents="ann", agent_params={"ann": {"width": 3}}),
            r"agent_params\['ann'\] has \['width'\], which agent type 'ann' does not take; "
            r"it takes \['activation'",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, n_eval=0),
            "n_eval must be None or a positive integer, got n_eval=0",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, local_batch=-1),
            "local_batch must be None or a non-negative integer",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, local_epochs=0),
            "local_epochs must be a positive integer",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, protocol_params={"demonstrations": 0}),
            "demonstrations must be a positive integer, got demonstrations=0",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, protocol_params={"labels": "guessed"}),
            "labels must be 'predicted', 'checked' or 'true'",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, partition="non_iid", partition_params={"alpha": 0.0}),
            "alpha must be a positive number",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, agent_params={"tpu": {}}),
            r"agent_params has unknown agent types \['tpu'\]",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, agent_params=[1]),
            "agent_params must be None or a dict",
            TypeError,
        ),
        (
            dict(graph="ring", n_agents=4, partition="by_node"),
            "needs a task with metadata",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, task="city_traffic", partition="by_node"),
            r"graph nodes \[0, 1, 2, 3\] are not nodes of task 'city_traffic'",
            ValueError,
        ),
        (
            dict(graph="city", n_agents=7, task="city_traffic"),
            "has 25 intersections, got n_agents=7",
            ValueError,
        ),
        (
            dict(graph=nx.path_graph(3), n_agents=5),
            "n_agents=5 disagrees with the given graph's 3 nodes",
            ValueError,
        ),
        (
            dict(graph=nx.DiGraph([(0, 1), (1, 2)]), protocol="gossip"),
            "'gossip' .* needs an undirected graph",
            ValueError,
        ),
        (
            dict(graph="grid", n_agents=6, graph_params={"rows": 4}),
            "rows must be a positive divisor of n_agents=6",
            ValueError,
        ),
        (
            dict(graph="ring", n_agents=4, random_state="seed"),
            "random_state must be None, an int >= 0",
            TypeError,
        ),
    ],
)
def test_bad_input_fails_before_any_population_is_built(counting_type, arguments, match, error):
    arguments.setdefault("agents", "counting")
    arguments.setdefault("task", "digits")
    fails(match, error=error, **arguments)
    assert counting_type == [], "the error came after populations were built"


def test_a_mapping_must_cover_every_node_and_only_those(counting_type):
    graph = nx.path_graph(["a", "b", "c"])
    fails(r"missing nodes: \['c'\]", graph, {"a": "counting", "b": "counting"}, "iris")
    fails(
        r"unknown nodes: \['z'\]",
        graph,
        {"a": "counting", "b": "counting", "c": "counting", "z": "counting"},
        "iris",
    )
    fails(
        r"unknown agents='robot'",
        graph,
        {"a": "counting", "b": "robot", "c": "counting"},
        "iris",
    )
    fails("agents must be .*a mapping from node to agent type", graph, 3, "iris", error=TypeError)
    assert counting_type == []


def test_run_rejects_a_bad_number_of_rounds(counting_type):
    with pytest.raises(ValueError, match="rounds must be a non-negative integer, got rounds=-1"):
        Society("ring", "counting", "iris", n_agents=3).run(-1)


def test_agent_type_registry_errors():
    with pytest.raises(ValueError, match="already registered"):
        register_agent_type("ann", SoftmaxPopulation)
    with pytest.raises(TypeError, match="factory must be callable"):
        register_agent_type("bad", 42)
    with AGENT_TYPES.restored():
        register_agent_type("unimportable", "no_such_package_xyz:Population")
        with pytest.raises(ImportError, match="agent type 'unimportable' needs"):
            AGENT_TYPES["unimportable"]


def test_a_population_that_breaks_the_protocol_is_named():
    class Incomplete:
        def __init__(self, n_agents, n_features, classes, random_state=None):
            self.n_agents = n_agents

    with AGENT_TYPES.restored():
        register_agent_type("incomplete", Incomplete)
        with pytest.raises(TypeError, match=r"Incomplete\) lacks \['kind', 'classes_'"):
            Society("ring", "incomplete", "iris", "teach", n_agents=3).run(1)


def test_builtin_types_are_registered_lazily_by_import_path():
    import pathlib
    import re

    import social

    # social never imports the agent packages when it is imported (docs/architecture.md:
    # social -> protocol only); the spiking circuits of social.synchrony use snn's public
    # API, imported inside the functions that build them, never ann or an snn submodule
    at_import = re.compile(r"^(import|from)\s+(ann|snn)\b", re.MULTILINE)
    in_function = re.compile(
        r"^\s+((import|from)\s+ann\b|import\s+snn\b|from\s+snn\b(?!\s+import\b)).*$",
        re.MULTILINE,
    )
    sources = list(pathlib.Path(social.__file__).parent.glob("*.py"))
    assert len(sources) >= 7
    for path in sources:
        text = path.read_text()
        assert not at_import.search(text), f"{path.name} imports an agent package"
        found = [m.group(0).strip() for m in in_function.finditer(text)]
        assert not found, f"{path.name} imports ann or an snn submodule: {found}"
    assert (
        "from snn import Circuit"
        in (pathlib.Path(social.__file__).parent / "synchrony.py").read_text()
    )
    assert AGENT_TYPES["snn"] == "snn:SNNPopulation" or callable(AGENT_TYPES["snn"])


def test_importing_social_imports_no_agent_package():
    import subprocess
    import sys

    code = (
        "import sys, social; loaded = [m for m in ('ann', 'snn', 'brian2') if m in sys.modules]; "
        "print(loaded); assert not loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]),
    )
    assert result.returncode == 0, result.stdout + result.stderr
