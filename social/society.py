"""The society: agents on a graph learn a task alone and from each other.

A :class:`Society` is an agent-based model in the manner of Mesa: one seed on
the model, every random draw from generators derived from it, and a tidy
per-round, per-agent table collected as it runs. The agents are populations
that follow the population protocol (see :mod:`social.agents`); all agents of
one type are one population, so every learning and prediction step is one
batched call per type, never a Python loop over agents.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from numbers import Integral
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from core.energy import get_cost_table, price
from core.params import (
    InstanceOf,
    Interval,
    KeywordDict,
    NoneOf,
    Options,
    RandomState,
    Registered,
    check_param,
    validate_params,
)
from core.progress import progress
from core.random import check_random_state
from core.registry import accepted_keywords
from social.agents import AGENT_TYPES, agent_defaults, check_population
from social.graphs import GRAPHS, make_graph
from social.partitions import PARTITIONS, partition_data
from social.protocols import PROTOCOLS

#: The society's own keyword parameters and their defaults (see :class:`Society`).
SOCIETY_DEFAULTS: dict[str, Any] = {
    "n_agents": None,
    "local_batch": 16,
    "local_epochs": 1,
    "n_eval": 100,
    "agent_params": None,
    "task_params": None,
    "graph_params": None,
    "partition_params": None,
    "protocol_params": None,
}

#: Constraints of the society's parameters (:func:`core.params.validate_params`).
SOCIETY_CONSTRAINTS = {
    "graph": [Registered(GRAPHS), InstanceOf(nx.Graph, description="a networkx graph")],
    "agents": [
        Options("mixed"),
        Registered(AGENT_TYPES),
        InstanceOf(Mapping, description="a mapping from node to agent type"),
    ],
    "protocol": [Registered(PROTOCOLS)],
    "partition": [Registered(PARTITIONS)],
    "random_state": [RandomState()],
    "local_batch": [NoneOf(), Interval(Integral, 0, None)],
    "local_epochs": [Interval(Integral, 1, None)],
    "n_eval": [NoneOf(), Interval(Integral, 1, None)],
    "agent_params": [NoneOf(dict), KeywordDict()],
    "task_params": [NoneOf(dict), KeywordDict()],
    "graph_params": [NoneOf(dict), KeywordDict()],
    "partition_params": [NoneOf(dict), KeywordDict()],
    "protocol_params": [NoneOf(dict), KeywordDict()],
}

#: The columns every society table has, in order; protocols add their own after these.
BASE_COLUMNS = (
    "round",
    "agent",
    "type",
    "accuracy",
    "degree",
    "local_samples",
    "messages",
    "disagreement",
    "cost",
    "cost_unit",
    "wall_seconds",
)


def _check_options(parameter: str, options: dict, what: str, function, skip: int) -> None:
    """Refuse keys of ``options`` (the user's ``parameter`` dict) that ``function`` does not
    take after its first ``skip`` arguments (one that takes ``**kwargs`` names its own)."""
    accepted = accepted_keywords(function, skip=skip)
    if accepted is None:
        return
    accepted = sorted(set(accepted) - {"task", "random_state"})  # the society passes these
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"{parameter} has {unknown}, which {what} does not take; it takes {accepted}"
        )


class Society:
    """Agents on a graph who learn a classification task alone and from each other.

    Each round, (1) every agent learns from a batch of its own training shard,
    (2) agents interact along the edges by the chosen protocol, and (3) every
    agent is evaluated on the same test samples. :meth:`run` returns a tidy
    table with one row per round and agent, in the manner of Mesa's
    ``DataCollector``; :mod:`social.metrics` computes summaries from it.

    Parameters
    ----------
    graph : networkx.Graph or str
        Who interacts with whom. Any NetworkX graph: node labels may be any
        hashable, isolated nodes learn alone, self-loops are ignored and
        parallel edges of a multigraph count once. In a directed graph an edge
        ``u -> v`` means *u teaches v*: information flows along the edges
        (protocols that need symmetric exchange, such as ``gossip``, reject
        directed graphs). Or a name from ``social.graphs.GRAPHS``
        (``ring``, ``small_world``, ``scale_free``, ``random``, ``complete``,
        ``grid``, ``city``), generated from this society's seed with
        ``n_agents`` nodes and the generator's own options from
        ``graph_params`` (e.g. ``{"k": 4, "p": 0.1}`` for ``small_world``).
    agents : str or mapping, default "ann"
        A registered agent type for every agent (``"ann"``, ``"snn"``, or one
        added with :func:`social.agents.register_agent_type`), ``"mixed"``
        (half ``ann``, half ``snn``, placed at random by the seed; with an odd
        number of agents ``ann`` has one more), or a mapping from every node
        to a type.
    task : str or tasks.Task, default "digits"
        A classification task: a ``tasks.TASKS`` name (loaded with
        ``load_task(task, **task_params)``, split seed 0 unless
        ``task_params["seed"]`` says otherwise) or a loaded Task.
    protocol : str, default "teach"
        A name from ``social.protocols.PROTOCOLS``; its options come from
        ``protocol_params`` (e.g. ``{"demonstrations": 8}`` for ``teach``).
    partition : str, default "iid"
        A name from ``social.partitions.PARTITIONS`` (``iid``, ``non_iid``,
        ``by_node``); its options come from ``partition_params`` (e.g.
        ``{"alpha": 0.3}`` for ``non_iid``).
    random_state : int, numpy.random.Generator or None
        The one seed of the model; the graph, the placement of types, the
        data partition, the evaluation subset, every agent's initialisation
        and every round's draws derive from it.
    **params
        The society's own parameters:

        n_agents : int
            Number of agents of a named graph (not needed for ``city``).
        local_batch : int or None, default 16
            Samples each agent learns from its own shard per round, taken in
            a shuffled order that restarts after each pass over the shard;
            ``None`` means the whole shard every round, ``0`` no local
            learning (agents learn only from each other).
        local_epochs : int, default 1
            How many times the local batch is presented per round.
        n_eval : int or None, default 100
            Size of the fixed, seeded subsample of the test set on which the
            agents are evaluated every round (``None``: the whole test set).
            Spiking agents pay for every evaluated sample: with 50 of them,
            evaluation on 100 samples is half of a round's wall time.
        agent_params : dict, optional
            Per-type population parameters, ``{"ann": {...}, "snn": {...}}``,
            passed to the population's constructor on top of the type's
            defaults in ``social.agents.AGENT_DEFAULTS``.
        task_params : dict, optional
            Keyword arguments of ``load_task`` when ``task`` is a name.
        graph_params, partition_params, protocol_params : dict, optional
            The options of the named graph generator, of the partition and
            of the protocol.

        Each option goes to the one component it is given for: an unknown
        parameter, agent type or option raises ValueError naming it and
        listing those accepted, before any work.

    Attributes
    ----------
    graph_ : networkx.Graph
        The interaction graph (simple; self-loops and parallel edges dropped).
    nodes_ : list
        Node labels; agent ``i`` of the society is ``nodes_[i]``.
    types_ : ndarray of str
        Each agent's type.
    populations_ : dict
        Type name -> ``(population, agent_indices)``.
    shards_ : list of ndarray
        Each agent's training rows (indices into ``task_.X_train``).
    in_neighbours_ : list of ndarray
        The agents each agent learns from (its predecessors in a directed graph).
    edges_ : ndarray, shape (n_edges, 2)
        ``(teacher, learner)`` agent-index pairs; an undirected edge appears
        in both directions.
    history_ : pandas.DataFrame
        All rounds run so far.
    predictions_ : ndarray, shape (n_agents, n_eval)
        Every agent's predictions on the evaluation samples after the last round.

    Examples
    --------
    >>> society = Society("ring", agents="ann", task="iris", protocol="teach",
    ...                   random_state=0, n_agents=4)
    >>> table = society.run(rounds=3)
    >>> table.shape[0], list(table.columns[:5])
    (12, ['round', 'agent', 'type', 'accuracy', 'degree'])
    """

    def __init__(
        self,
        graph,
        agents="ann",
        task="digits",
        protocol="teach",
        partition="iid",
        random_state=None,
        **params,
    ):
        self.graph = graph
        self.agents = agents
        self.task = task
        self.protocol = protocol
        self.partition = partition
        self.random_state = random_state
        self.params = params

    # ------------------------------------------------------------------ set-up
    def _check_component_options(self, params: dict) -> None:
        """Every option dict against its component (and ``agent_params`` against the agent types)."""
        if isinstance(self.graph, str):
            _check_options(
                "graph_params",
                params["graph_params"],
                f"graph {self.graph!r}",
                GRAPHS[self.graph],
                2,
            )
        elif params["graph_params"]:
            raise ValueError(
                "graph_params apply only when graph is a name, "
                f"got graph_params={params['graph_params']!r} with a given graph"
            )
        _check_options(
            "partition_params",
            params["partition_params"],
            f"partition {self.partition!r}",
            PARTITIONS[self.partition],
            3,
        )
        _check_options(
            "protocol_params",
            params["protocol_params"],
            f"protocol {self.protocol!r}",
            PROTOCOLS[self.protocol],
            0,
        )
        unknown_types = set(params["agent_params"]) - set(AGENT_TYPES)
        if unknown_types:
            raise ValueError(
                f"agent_params has unknown agent types {sorted(unknown_types)}; "
                f"known agent types: {sorted(AGENT_TYPES)}"
            )
        for kind, options in params["agent_params"].items():
            what = f"agent type {kind!r}"
            _check_options(f"agent_params[{kind!r}]", options, what, AGENT_TYPES[kind], 3)

    def _check_names(self) -> None:
        validate_params(
            SOCIETY_CONSTRAINTS,
            {
                "graph": self.graph,
                "agents": self.agents,
                "protocol": self.protocol,
                "partition": self.partition,
                "random_state": self.random_state,
            },
        )
        if isinstance(self.agents, Mapping):
            for kind in set(self.agents.values()):
                check_param("agents", kind, [Registered(AGENT_TYPES)])

    def _load_task(self, task_params: dict):
        if isinstance(self.task, str):
            from tasks import TASKS, load_task  # the shared task package

            check_param("task", self.task, [Registered(TASKS)])
            task = load_task(self.task, **task_params)
        elif all(hasattr(self.task, a) for a in ("X_train", "y_train", "X_test", "y_test", "kind")):
            if task_params:
                raise ValueError(
                    "task_params apply only when task is a name, "
                    f"got task_params={task_params!r} with a loaded task"
                )
            task = self.task
        else:
            raise TypeError(f"task must be a task name or a tasks.Task, got task={self.task!r}")
        if task.kind != "classification":
            raise ValueError(
                f"a society learns classification tasks; task {task.name!r} is a {task.kind} task"
            )
        return task

    def _check_society_params(self) -> dict:
        unknown = sorted(set(self.params) - set(SOCIETY_DEFAULTS))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} of Society; it takes {sorted(SOCIETY_DEFAULTS)}: "
                "the options of the graph, the partition, the protocol and the agent types go "
                "in graph_params, partition_params, protocol_params and agent_params "
                "(e.g. protocol_params={'demonstrations': 8})"
            )
        return validate_params(SOCIETY_CONSTRAINTS, {**SOCIETY_DEFAULTS, **self.params})

    def _simple_graph(self, graph) -> nx.Graph:
        graph = nx.DiGraph(graph) if graph.is_directed() else nx.Graph(graph)
        graph.remove_edges_from(list(nx.selfloop_edges(graph)))
        if graph.number_of_nodes() == 0:
            raise ValueError("graph is empty: a society needs at least one agent")
        return graph

    def _agent_types(self, nodes: list, rng: np.random.Generator) -> np.ndarray:
        if isinstance(self.agents, str) and self.agents == "mixed":
            check_param("agents", "ann", [Registered(AGENT_TYPES)])
            check_param("agents", "snn", [Registered(AGENT_TYPES)])
            types = np.array(["ann"] * len(nodes), dtype=object)
            types[rng.permutation(len(nodes))[: len(nodes) // 2]] = "snn"
            return types
        if isinstance(self.agents, str):
            return np.array([self.agents] * len(nodes), dtype=object)
        node_set = set(nodes)
        missing = [node for node in nodes if node not in self.agents]
        extra = [node for node in self.agents if node not in node_set]
        if missing or extra:
            raise ValueError(
                "agents mapping must give a type to every node of the graph and only "
                f"to those; missing nodes: {missing[:10]}, unknown nodes: {extra[:10]}"
            )
        return np.array([self.agents[node] for node in nodes], dtype=object)

    def setup(self) -> Society:
        """Validate the parameters and build graph, shards and populations.

        Called by the first :meth:`run`; every check happens here before any
        agent is built or trained. Returns self.
        """
        if getattr(self, "_is_setup", False):
            return self
        self._check_names()
        params = self._check_society_params()
        self._check_component_options(params)
        task = self._load_task(params["task_params"])
        protocol = PROTOCOLS[self.protocol](**params["protocol_params"])

        seed_sequence = np.random.SeedSequence(
            check_random_state(self.random_state).integers(2**32, size=4)
        )
        (
            graph_seq,
            placement_seq,
            partition_seq,
            eval_seq,
            population_seq,
            round_seq,
            protocol_seq,
        ) = seed_sequence.spawn(7)

        if isinstance(self.graph, str):
            graph = make_graph(
                self.graph,
                params["n_agents"],
                int(graph_seq.generate_state(1)[0]),
                task=task,
                **params["graph_params"],
            )
        else:
            if (
                params["n_agents"] is not None
                and params["n_agents"] != self.graph.number_of_nodes()
            ):
                raise ValueError(
                    f"n_agents={params['n_agents']!r} disagrees with the given graph's "
                    f"{self.graph.number_of_nodes()} nodes; leave n_agents unset"
                )
            graph = self.graph
        graph = self._simple_graph(graph)
        nodes = list(graph.nodes)
        n_agents = len(nodes)
        types = self._agent_types(nodes, np.random.default_rng(placement_seq))
        if len(task.y_train) < n_agents:
            raise ValueError(
                f"the task {task.name!r} has {len(task.y_train)} training samples, "
                f"fewer than the {n_agents} agents: every agent needs at least one"
            )

        index = {node: i for i, node in enumerate(nodes)}
        edges = np.array([(index[u], index[v]) for u, v in graph.edges], dtype=np.intp).reshape(
            -1, 2
        )
        if not graph.is_directed():
            edges = np.concatenate([edges, edges[:, ::-1]])
        edges = edges[np.lexsort((edges[:, 0], edges[:, 1]))]  # grouped by learner
        self.graph_, self.nodes_, self.types_, self.edges_ = graph, nodes, types, edges
        self.task_, self.n_agents_, self.protocol_ = task, n_agents, protocol
        self.in_neighbours_ = np.split(
            edges[:, 0], np.cumsum(np.bincount(edges[:, 1], minlength=n_agents))[:-1]
        )
        self.degree_ = np.array([graph.degree(node) for node in nodes])
        protocol.check(self)  # e.g. gossip rejects directed graphs: still before any work

        self.shards_ = partition_data(
            self.partition,
            task,
            nodes,
            np.random.default_rng(partition_seq),
            **params["partition_params"],
        )
        eval_rng = np.random.default_rng(eval_seq)
        n_test = len(task.y_test)
        self.eval_index_ = (
            np.arange(n_test)
            if params["n_eval"] is None or params["n_eval"] >= n_test
            else np.sort(eval_rng.choice(n_test, params["n_eval"], replace=False))
        )
        self.X_eval_ = task.X_test[self.eval_index_]
        self.y_eval_ = task.y_test[self.eval_index_]
        self.local_batch_, self.local_epochs_ = params["local_batch"], params["local_epochs"]

        kinds = list(dict.fromkeys(types))  # first-appearance order: deterministic
        population_seeds = population_seq.spawn(len(kinds))
        factories = {kind: AGENT_TYPES[kind] for kind in kinds}  # ImportError before work
        self.populations_ = {}
        for kind, kind_seed in zip(kinds, population_seeds):
            members = np.flatnonzero(types == kind)
            population = factories[kind](
                len(members),
                task.n_features,
                task.classes,
                random_state=int(kind_seed.generate_state(1)[0]),
                **{**agent_defaults(kind), **params["agent_params"].get(kind, {})},
            )
            check_population(population, kind, len(members))
            self.populations_[kind] = (population, members)

        # Each agent walks through its shard in a shuffled order, reshuffled after every pass.
        self._order = [None] * n_agents
        self._cursor = np.zeros(n_agents, dtype=np.intp)
        self._round_seq = round_seq
        protocol.start(self, np.random.default_rng(protocol_seq))
        self.round_ = 0
        self._rows: list[pd.DataFrame] = []
        self._is_setup = True
        return self

    # ------------------------------------------------------- the agents' API
    def _shard_batch(self, i: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """The next ``size`` rows of agent i's shard in its running shuffled order."""
        shard = self.shards_[i]
        taken = []
        while size > 0:
            if self._order[i] is None or self._cursor[i] >= len(shard):
                self._order[i], self._cursor[i] = shard[rng.permutation(len(shard))], 0
            chunk = self._order[i][self._cursor[i] : self._cursor[i] + size]
            self._cursor[i] += len(chunk)
            size -= len(chunk)
            taken.append(chunk)
        return np.concatenate(taken) if taken else np.empty(0, dtype=np.intp)

    def sample_own_rows(self, size: int, rng: np.random.Generator) -> list[np.ndarray]:
        """``size`` rows of each agent's own shard (indices into ``task_.X_train``),
        drawn without replacement within the shard, so smaller shards give fewer."""
        return [
            rng.choice(shard, size=min(size, len(shard)), replace=False) for shard in self.shards_
        ]

    def sample_own_inputs(self, size: int, rng: np.random.Generator) -> list[np.ndarray]:
        """``size`` training inputs from each agent's own shard (see :meth:`sample_own_rows`),
        for protocols in which agents show or ask about their own data."""
        return [self.task_.X_train[rows] for rows in self.sample_own_rows(size, rng)]

    def predict(self, Xs):
        """Every agent's predictions: ``Xs`` is a list of one array per agent, or one
        2-D array shown to all (then the result is an array (n_agents, n_samples))."""
        return self._call_populations("predict", Xs)

    def predict_proba(self, Xs):
        """Like :meth:`predict`, class probabilities (columns in ``task_.classes`` order)."""
        return self._call_populations("predict_proba", Xs)

    def _call_populations(self, method: str, Xs):
        if isinstance(Xs, np.ndarray) and Xs.ndim == 2:
            out = None
            for population, members in self.populations_.values():
                result = np.asarray(getattr(population, method)(Xs))
                if out is None:
                    out = np.empty((self.n_agents_,) + result.shape[1:], dtype=result.dtype)
                out[members] = result
            return out
        if len(Xs) != self.n_agents_:
            raise ValueError(f"Xs must hold one array per agent ({self.n_agents_}), got {len(Xs)}")
        out = [None] * self.n_agents_
        for population, members in self.populations_.values():
            result = getattr(population, method)([Xs[i] for i in members])
            for k, i in enumerate(members):
                out[i] = np.asarray(result[k])
        return out

    def partial_fit(self, Xs, ys) -> Society:
        """Train every agent on its own ``(Xs[i], ys[i])`` (empty arrays: no learning),
        with one call per population; populations with nothing to learn are skipped."""
        if len(Xs) != self.n_agents_ or len(ys) != self.n_agents_:
            raise ValueError(
                f"Xs and ys must hold one array per agent ({self.n_agents_}), "
                f"got {len(Xs)} and {len(ys)}"
            )
        n_features = self.task_.n_features
        for population, members in self.populations_.values():
            if all(len(ys[i]) == 0 for i in members):
                continue
            population.partial_fit(
                [np.asarray(Xs[i], dtype=float).reshape(-1, n_features) for i in members],
                [np.asarray(ys[i]) for i in members],
            )
        return self

    def _population_of(self, i: int):
        population, members = self.populations_[self.types_[i]]
        return population, int(np.searchsorted(members, i))

    def get_agent_weights(self, i: int) -> dict:
        """Copies of agent i's learnable state (its population's ``get_agent_weights``)."""
        population, k = self._population_of(i)
        return population.get_agent_weights(k)

    def set_agent_weights(self, i: int, params: dict) -> None:
        """Set agent i's learnable state (its population's ``set_agent_weights``)."""
        population, k = self._population_of(i)
        population.set_agent_weights(k, params)

    #: The hardware cost table (:mod:`core.energy`) that prices the ``cost``
    #: column of the round table; set it on a society before ``run`` to use another.
    cost_table = "horowitz45_fp32"

    def cost(self) -> pd.DataFrame:
        """Every agent's operation counts so far: its population's ``cost()`` rows.

        Columns ``agent`` (society index), ``type``, ``phase``, ``category``,
        ``count`` (see :mod:`core.opcounts`); price them with
        :func:`core.energy.price` on any cost table.
        """
        frames = []
        for name, (population, members) in self.populations_.items():
            table = population.cost().copy()
            table["agent"] = np.asarray(members)[table["agent"].to_numpy(dtype=int)]
            table.insert(1, "type", name)
            frames.append(table)
        if not frames:
            return pd.DataFrame(columns=["agent", "type", "phase", "category", "count"])
        return pd.concat(frames, ignore_index=True).sort_values("agent", kind="stable")

    def energy_joules(self, table=None) -> np.ndarray:
        """Every agent's cumulative energy (training and inference) on ``table``
        (default: :attr:`cost_table`), in joules."""
        energy = np.zeros(self.n_agents_)
        counts = self.cost()
        if len(counts):
            priced = price(counts, table or self.cost_table)
            totals = priced.groupby("agent")["joules"].sum()
            energy[totals.index.to_numpy(dtype=int)] = totals.to_numpy()
        return energy

    @property
    def cost_units_(self) -> np.ndarray:
        unit = f"J ({get_cost_table(self.cost_table).name})"
        return np.full(self.n_agents_, unit, dtype=object)

    # ------------------------------------------------------------- the model
    def step(self) -> pd.DataFrame:
        """One round: local learning, interaction, evaluation. Returns the round's rows."""
        started = time.perf_counter()
        rng = np.random.default_rng(self._round_seq.spawn(1)[0])
        self.round_ += 1
        local_rng, protocol_rng = rng.spawn(2)

        if self.local_batch_ != 0:
            batches = [
                self.shards_[i]
                if self.local_batch_ is None
                else self._shard_batch(i, self.local_batch_, local_rng)
                for i in range(self.n_agents_)
            ]
            Xs = [self.task_.X_train[b] for b in batches]
            ys = [self.task_.y_train[b] for b in batches]
            for _ in range(self.local_epochs_):
                self.partial_fit(Xs, ys)
            local_samples = np.array([len(b) for b in batches]) * self.local_epochs_
        else:
            local_samples = np.zeros(self.n_agents_, dtype=int)

        measured = dict(self.protocol_.interact(self, protocol_rng) or {})
        for column, values in measured.items():
            values = np.asarray(values)
            if values.shape != (self.n_agents_,):
                raise ValueError(
                    f"protocol {self.protocol!r} reported {column!r} with shape "
                    f"{values.shape}; expected one value per agent ({self.n_agents_},)"
                )
            measured[column] = values
        messages = measured.pop("messages", np.zeros(self.n_agents_, dtype=int))

        predictions = self.predict(self.X_eval_)
        self.predictions_ = predictions
        accuracy = (predictions == self.y_eval_[None, :]).mean(axis=1)
        disagreement = self._disagreement(predictions)
        wall = time.perf_counter() - started
        rows = pd.DataFrame(
            {
                "round": self.round_,
                "agent": pd.Series(self.nodes_, dtype=object)
                if not all(isinstance(n, (int, np.integer)) for n in self.nodes_)
                else self.nodes_,
                "type": self.types_.astype(str),
                "accuracy": accuracy,
                "degree": self.degree_,
                "local_samples": local_samples,
                "messages": messages,
                "disagreement": disagreement,
                "cost": self.energy_joules(),
                "cost_unit": self.cost_units_.astype(str),
                "wall_seconds": wall,
                **measured,
            }
        )
        self._rows.append(rows)
        return rows

    def _disagreement(self, predictions: np.ndarray) -> np.ndarray:
        """Per agent: the mean, over its neighbours (either direction), of the fraction
        of evaluation samples on which their predictions differ; NaN when isolated."""
        u, v = self.edges_[:, 0], self.edges_[:, 1]
        if self.graph_.is_directed():  # count each pair from both ends
            u, v = np.concatenate([u, v]), np.concatenate([v, u])
        differs = (predictions[u] != predictions[v]).mean(axis=1)
        total = np.bincount(v, weights=differs, minlength=self.n_agents_)
        count = np.bincount(v, minlength=self.n_agents_)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def run(self, rounds: int) -> pd.DataFrame:
        """Run ``rounds`` more rounds and return the table of all rounds so far.

        Calling ``run(3)`` then ``run(2)`` gives the same table as ``run(5)``.

        Returns
        -------
        pandas.DataFrame
            One row per round and agent: ``round`` (from 1), ``agent`` (the
            graph's node label), ``type``, ``accuracy`` (on the evaluation
            samples after the round), ``degree``, ``local_samples`` (own
            samples learned this round), ``messages`` (sent this round by the
            protocol), ``disagreement`` (mean fraction of evaluation samples
            on which the agent and a neighbour predict differently),
            ``cost`` (cumulative energy in joules of every operation the
            agent counted, priced on :attr:`cost_table`), ``cost_unit``
            (``"J (<table>)"``),
            ``wall_seconds`` (of the whole round), then the protocol's own
            columns.
        """
        check_param("rounds", rounds, [Interval(Integral, 0, None)])
        self.setup()
        # Rounds done with elapsed and remaining time, when the caller shows progress
        # (core.progress.verbosity: the command line does for experiment runs).
        for _ in progress(range(rounds), desc="society", unit="rounds"):
            self.step()
        return self.history_

    @property
    def history_(self) -> pd.DataFrame:
        """The table of every round run so far (a fresh copy)."""
        if not getattr(self, "_is_setup", False):
            raise AttributeError("history_ exists once the society is set up (call run or setup)")
        if not self._rows:
            return pd.DataFrame(columns=list(BASE_COLUMNS))
        return pd.concat(self._rows, ignore_index=True)

    def __repr__(self) -> str:
        graph = self.graph if isinstance(self.graph, str) else f"<{type(self.graph).__name__}>"
        task = self.task if isinstance(self.task, str) else getattr(self.task, "name", "task")
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return (
            f"Society(graph={graph!r}, agents={self.agents!r}, task={task!r}, "
            f"protocol={self.protocol!r}, partition={self.partition!r}, "
            f"random_state={self.random_state!r}{extra})"
        )
