"""What the society experiments share: paired societies simulated as one.

Several small societies that are compared with each other (four topologies,
or teacher/learner arrangements) are built as the connected components of ONE
:class:`social.Society`. The society keeps all agents of a type in one
population, so the spiking agents of every condition are one Brian2 network
and every round costs a few ``run()`` calls instead of a few per condition
(docs/architecture.md, "Performance principles"). The components never exchange anything:
every protocol acts along edges only.

The comparison is *paired*: the training set is dealt once to a set of
positions (with a partition from :mod:`social.partitions`), and the agent at
position ``j`` of every component learns from a copy of shard ``j``. Conditions
then differ in their structure only, not in their data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from experiments import reference
from experiments._base import Presets
from experiments.learners import with_units
from experiments.stats import format_row, mean_interval
from social.metrics import consensus_distance, knowledge_diffusion
from social.partitions import partition_data


def default_agent_params(ann_learning_rate: float = 0.05) -> dict:
    """The society experiments' default per-type population settings (JSON-friendly):
    MLPs at ``ann_learning_rate``, spiking networks of 50 neurons shown each sample
    for 100 ms + 20 ms rest (see :func:`society_agent_params`)."""
    return {
        "ann": {"learning_rate": ann_learning_rate},
        "snn": {"n_neurons": 50, "presentation_time_ms": 100.0, "rest_time_ms": 20.0},
    }


def default_protocol_params() -> dict:
    """The society experiments' default protocol options: a teacher shows 8 demonstrations,
    only those it got right; gossip averages once per round."""
    return {"teach": {"demonstrations": 8, "labels": "checked"}, "gossip": {"steps": 1}}


@dataclass(frozen=True)
class SocietySettings(Presets):
    """The settings of a society experiment that deals a task to its agents (the base
    of its ``Settings``): the task and agent types, rounds and seeds, how the
    training set is dealt (``partition``, :mod:`social.partitions`), each agent's
    local batch per round, the agents evaluated on ``n_eval`` test samples
    (None: all) and the per-type population settings (:func:`society_agent_params`)."""

    task: str = "digits"
    agent_types: tuple = ("ann", "snn")
    rounds: int = 20
    n_seeds: int = 5
    partition: str = "non_iid"
    partition_params: dict = field(default_factory=lambda: {"alpha": 0.3})
    local_batch: int = 32
    n_eval: int | None = 150
    agent_params: dict = field(default_factory=default_agent_params)

    def paired_task(self, task, nodes, positions, data_seed: int):
        """:func:`paired_task` dealt by these settings' ``partition`` (and
        ``partition_params``) from a generator seeded with ``data_seed``."""
        rng = np.random.default_rng(data_seed)
        return paired_task(task, nodes, positions, self.partition, rng, **self.partition_params)


def society_agent_params(agent_params: Mapping) -> dict:
    """Per-type population parameters with units, from JSON-friendly settings.

    ``{"snn": {"presentation_time_ms": 50}}`` becomes
    ``{"snn": {"presentation_time": 50 * ms}}`` (times are given in the key's
    unit so that the settings stay JSON-serialisable); lists become tuples.
    """
    return {
        kind: {
            key: tuple(value) if isinstance(value, list) else value
            for key, value in with_units(dict(params)).items()
        }
        for kind, params in agent_params.items()
    }


def experiment_society(graph, agents, task, protocol, random_state, settings, protocol_params=None):
    """The society a society experiment runs: data dealt by node (``by_node``), the settings'
    ``local_batch``, ``n_eval`` and ``agent_params`` (units added by
    :func:`society_agent_params`), and ``protocol_params`` (default: the settings' options
    for ``protocol``)."""
    from social import Society

    if protocol_params is None:
        protocol_params = settings.protocol_params.get(protocol, {})
    return Society(
        graph,
        agents=agents,
        task=task,
        protocol=protocol,
        partition="by_node",
        random_state=random_state,
        local_batch=settings.local_batch,
        n_eval=settings.n_eval,
        agent_params=society_agent_params(settings.agent_params),
        protocol_params=protocol_params,
    )


def union_of_components(graphs: Mapping[str, nx.Graph]) -> nx.Graph:
    """The disjoint union of named graphs: node ``(name, j)`` is the ``j``-th node of
    ``graphs[name]``.

    Directed graphs stay directed (all of them must agree).
    """
    directed = {graph.is_directed() for graph in graphs.values()}
    if len(directed) != 1:
        raise ValueError("the component graphs must be all directed or all undirected")
    union = nx.DiGraph() if directed.pop() else nx.Graph()
    for name, graph in graphs.items():
        index = {node: j for j, node in enumerate(graph.nodes)}
        union.add_nodes_from((name, j) for j in range(len(index)))
        union.add_edges_from(((name, index[u]), (name, index[v])) for u, v in graph.edges)
    return union


def paired_task(
    task,
    nodes: Sequence[Hashable],
    positions: Sequence[Hashable],
    partition: str,
    rng: np.random.Generator,
    **partition_params,
):
    """A copy of ``task`` whose training set gives every node the shard of its position.

    The training set is dealt to the distinct ``positions`` (in first-appearance
    order) by ``partition`` (``iid``, ``non_iid``, ...); node ``nodes[k]`` gets a
    copy of the shard of ``positions[k]``. The returned task's training rows are
    those copies, tagged in ``metadata`` so that the society's ``by_node``
    partition hands each node its own; the test set is unchanged.

    Returns
    -------
    paired : tasks.Task
    shards : dict
        Position -> indices into the original ``task.X_train``.
    """
    if len(nodes) != len(positions):
        raise ValueError(
            f"need one position per node, got {len(nodes)} nodes and {len(positions)} positions"
        )
    distinct = list(dict.fromkeys(positions))
    dealt = partition_data(partition, task, distinct, rng, **partition_params)
    shards = dict(zip(distinct, dealt))
    rows = [shards[position] for position in positions]
    node_train = np.repeat(np.arange(len(nodes)), [len(r) for r in rows])
    rows = np.concatenate(rows)
    paired = dataclasses.replace(
        task,
        X_train=task.X_train[rows],
        y_train=task.y_train[rows],
        metadata={
            **task.metadata,
            "nodes": list(nodes),
            "node_train": node_train,
            "source_rows": rows,
        },
    )
    return paired, shards


def component_summary(
    table: pd.DataFrame, group: str, threshold: float, fraction: float
) -> pd.DataFrame:
    """Per component (``group`` column) and round: accuracy, consensus distance, messages.

    Also the component's knowledge-diffusion round (first round in which
    ``fraction`` of its agents reach ``threshold``, NaN if never), repeated on
    every row of the component.
    """
    rows = []
    for name, part in table.groupby(group, sort=False):
        accuracy = part.groupby("round")["accuracy"]
        summary = pd.DataFrame(
            {
                "mean_accuracy": accuracy.mean(),
                "std_accuracy": accuracy.std(ddof=0),
                "min_accuracy": accuracy.min(),
                "max_accuracy": accuracy.max(),
                "consensus_distance": consensus_distance(part),
                "messages": part.groupby("round")["messages"].sum(),
            }
        )
        summary["diffusion_round"] = knowledge_diffusion(part, threshold, fraction)
        summary.insert(0, group, name)
        rows.append(summary.reset_index())
    return pd.concat(rows, ignore_index=True)


def difference_lines(
    differences: pd.DataFrame, intro: str, header: Sequence[str], cells
) -> list[str]:
    """A summary's paragraph of paired differences: a blank line, ``intro``, and a markdown
    table with the columns ``header`` and one row per row of ``differences``, whose cells are
    the strings ``cells(row)``; no lines when ``differences`` is empty."""
    if not len(differences):
        return []
    lines = ["", intro, "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cells(row)) + " |" for _, row in differences.iterrows()]
    return lines


def check_society_settings(agent_types=None, protocols=None, graphs=None, partition=None) -> None:
    """Raise ValueError naming the setting unless every name is registered (before any work);
    ``None`` skips a check."""
    from social.agents import AGENT_TYPES
    from social.graphs import GRAPHS
    from social.partitions import PARTITIONS
    from social.protocols import PROTOCOLS

    for setting, names, registry in (
        ("agent_types", agent_types, AGENT_TYPES),
        ("protocols", protocols, PROTOCOLS),
        ("topologies", graphs, GRAPHS),
    ):
        if names is None:
            continue
        if isinstance(names, str) or not len(names):
            raise ValueError(f"{setting} must be a non-empty tuple of names, got {names!r}")
        unknown = [name for name in names if name not in registry]
        if unknown:
            raise ValueError(f"unknown {setting} {unknown}; known: {sorted(registry)}")
    if partition is not None and partition not in PARTITIONS:
        raise ValueError(f"unknown partition {partition!r}; known: {sorted(PARTITIONS)}")


def check_final_rounds(final_rounds: int, rounds: int) -> None:
    """Raise ValueError naming the setting unless the ``final_rounds`` averaged over (at
    least 1, as the settings check) are at most the ``rounds`` run."""
    if final_rounds > rounds:
        raise ValueError(
            f"final_rounds must be between 1 and rounds={rounds}, got final_rounds={final_rounds!r}"
        )


# ----------------------------------------------------------------------------
# Reference learners on the agents' data (rows of metrics.csv)
# ----------------------------------------------------------------------------
#: The marker of the reference learners' rows in a society experiment's ``metrics.csv``
#: (in its ``protocol`` or ``role`` column); their scope column holds the data they were
#: fitted on (:data:`REFERENCE_SCOPES`).
REFERENCE = "reference"
REFERENCE_SCOPES = ("own shard", "pooled")
#: Line styles of the reference learners by the data they were fitted on.
SCOPE_LINESTYLES = {"own shard": ":", "pooled": "--"}
#: The columns of :func:`shard_references`' rows.
REFERENCE_COLUMNS = ["seed", "scope", "position", "kind", "accuracy"]


def shard_references(
    shards: dict, task, X_eval, y_eval, names, seed: int, n_prototypes: int, positions=None
) -> list[dict]:
    """The reference learners of :mod:`experiments.reference` (``names``) on the agents'
    data, scored on the agents' evaluation samples: ``scope`` "own shard" (fitted on one
    position's shard alone: what an agent could reach without its neighbours), for each of
    ``positions`` (default: every position of ``shards``), and "pooled" (fitted on every
    shard together: what sharing all data could reach; ``position`` -1). A shard of one
    class is predicted as that class by every model (none can do otherwise). ``kmeans_vote``
    gets ``n_prototypes`` (the spiking agents' neurons), at most one per distinct sample."""
    from experiments import reference

    X, y = task.X_train, task.y_train

    def scores(rows):
        if len(np.unique(y[rows])) == 1:
            return {name: float(np.mean(y_eval == y[rows][0])) for name in names}
        fitted = reference.reference_scores(
            "classification",
            X[rows],
            y[rows],
            X_eval,
            y_eval,
            n_prototypes=n_prototypes,
            random_state=seed,
        )
        return {row["kind"]: row["score"] for row in fitted if row["kind"] in names}

    out = []
    for position in shards if positions is None else positions:
        for name, score in scores(np.asarray(shards[position])).items():
            out.append(
                {
                    "seed": seed,
                    "scope": "own shard",
                    "position": position,
                    "kind": name,
                    "accuracy": score,
                }
            )
    pooled = np.concatenate([np.asarray(rows) for rows in shards.values()])
    for name, score in scores(pooled).items():
        out.append(
            {"seed": seed, "scope": "pooled", "position": -1, "kind": name, "accuracy": score}
        )
    return out


def society_references(society, shards: dict, task, settings, seed: int, positions=None):
    """:func:`shard_references` of ``settings.references`` scored on ``society``'s evaluation
    samples, k-means with as many prototypes as the settings' spiking agents have neurons."""
    from experiments import reference

    return shard_references(
        shards,
        task,
        society.X_eval_,
        society.y_eval_,
        settings.references,
        seed,
        reference.matching_prototypes(settings.agent_params.get("snn", {})),
        positions,
    )


def reference_metrics(
    references: list[dict], rounds: int, marker: str, scope: str, blank: Mapping
) -> pd.DataFrame:
    """:func:`shard_references`' rows as rows of an experiment's ``metrics.csv``: ``marker``
    column :data:`REFERENCE`, the reference learner in ``type``, the scope in column
    ``scope``, the position in ``agent`` (-1 pooled), at round ``rounds``; ``blank``: the
    values of the experiment's other columns (NaN, 0, "")."""
    table = pd.DataFrame(references, columns=REFERENCE_COLUMNS)
    return pd.DataFrame(
        {
            "seed": table["seed"],
            marker: REFERENCE,
            "type": table["kind"],
            scope: table["scope"],
            "agent": table["position"],
            "round": rounds,
            "accuracy": table["accuracy"],
            **blank,
        }
    )


def reference_rows(metrics: pd.DataFrame, marker: str, scope: str) -> pd.DataFrame:
    """The reference learners' rows of ``metrics`` (column ``marker`` :data:`REFERENCE`) in
    :func:`shard_references`' columns (``scope`` read from column ``scope``); empty when a
    run has none."""
    rows = metrics[metrics[marker] == REFERENCE]
    return pd.DataFrame(
        {
            "seed": rows["seed"],
            "scope": rows[scope],
            "position": rows["agent"],
            "kind": rows["type"],
            "accuracy": rows["accuracy"],
        },
        columns=REFERENCE_COLUMNS,
    ).reset_index(drop=True)


def reference_levels(references: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Each reference learner's mean accuracy per scope over the rows of ``references``
    (:func:`reference_rows`), in :func:`reference_lines`' columns: ``type``, the scope in
    column ``scope`` and ``mean``."""
    return (
        references.groupby(["kind", "scope"], sort=False)["accuracy"]
        .mean()
        .rename("mean")
        .reset_index()
        .rename(columns={"kind": "type", "scope": scope})
    )


def reference_lines(ax, rows: pd.DataFrame, value: str = "mean", scope: str = "topology") -> None:
    """The reference learners' accuracies as horizontal lines, in their colours, dotted for
    one shard alone and dashed for all shards pooled, each labelled for the legend. ``rows``
    has ``type`` (the reference), the scope in column ``scope`` and ``value``, one row each."""
    from experiments import reference

    for kind, where, level in zip(rows["type"], rows[scope], rows[value]):
        if not np.isfinite(level):
            continue
        ax.axhline(
            level,
            color=reference.color(kind),
            linestyle=SCOPE_LINESTYLES.get(where, "-."),
            linewidth=1,
            label=f"{reference.legend_label(kind)}, {where}",
            zorder=0,
        )


def reference_intervals(references: pd.DataFrame) -> pd.DataFrame:
    """Per reference learner (``kind``) and ``scope``: mean [95% Student-t interval] over
    seeds of :func:`shard_references`' accuracies, the positions of a seed averaged first
    (they share its data split and evaluation samples: the seed is the unit of
    replication). Columns ``kind``, ``scope``, ``mean``, ``low``, ``high``, ``n`` (seeds),
    ``n_positions`` (per seed, at most)."""
    keys = ["kind", "scope"]
    per_seed = references.groupby([*keys, "seed"], sort=False)["accuracy"].agg(["mean", "size"])
    rows = []
    for (kind, scope), part in per_seed.groupby(level=[0, 1], sort=False):
        interval = mean_interval(part["mean"].to_numpy(), bounds=(0, 1))
        rows.append(
            {
                "kind": kind,
                "scope": scope,
                "mean": interval.mean,
                "low": interval.low,
                "high": interval.high,
                "n": len(part),
                "n_positions": int(part["size"].max()),
            }
        )
    return pd.DataFrame(rows, columns=[*keys, "mean", "low", "high", "n", "n_positions"])


def reference_summary_lines(references: pd.DataFrame | None, description: str) -> list[str]:
    """summary.md lines of the reference learners (:func:`shard_references`): one row per
    reference, mean [95% Student-t interval] over seeds of :func:`reference_intervals` fitted
    on a position's shard alone and on all shards pooled, and how many seeds x positions;
    ``description`` says what was fitted on what. None for a run without references."""
    if references is None or references.empty:
        return []
    table = reference_intervals(references).set_index(["kind", "scope"])
    lines = [
        "",
        f"Reference learners on the agents' evaluation samples, {description}: mean [95% "
        "Student-t interval over seeds] (a seed's positions averaged first: they share its "
        "data split and evaluation samples):",
        "",
        "| reference | own shard alone | all shards pooled | seeds x positions |",
        "| --- | --- | --- | --- |",
    ]
    for kind in dict.fromkeys(table.index.get_level_values("kind")):
        rows = [
            table.loc[(kind, s)] if (kind, s) in table.index else None for s in REFERENCE_SCOPES
        ]
        cells = ["-" if row is None else format_row(row) for row in rows]
        own = rows[0]
        shape = "-" if own is None else f"{int(own['n'])} x {int(own['n_positions'])}"
        lines.append(f"| {reference.LABELS.get(kind, kind)} | {' | '.join(cells)} | {shape} |")
    return lines


def legend_beside(axes, title: str) -> None:
    """One legend beside the last of ``axes`` (a row of panels) with the entries of the first,
    the reference learners' (:func:`reference_lines`) last."""
    handles, labels = axes[0].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("reference"))
    axes[-1].legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        title=title,
        title_fontsize=8,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
    )
