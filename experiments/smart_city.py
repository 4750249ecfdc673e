"""A smart city: one agent per intersection predicts congestion, alone or with its neighbours.

Every intersection of the ``city_traffic`` road network has its own agent,
which learns from the traffic recorded at that intersection only (graph
``city``, partition ``by_node``) to predict the next hour's congestion (free,
busy, jammed). Agents either learn alone (``isolated``) or also from the
neighbouring intersections along the roads: ``teach`` (neighbours show each
other some of their own recent observations, labelled by their predictions
where these were right) or ``gossip`` (neighbours
average their parameters, decentralised SGD). Each agent is scored every round
on held-out hours of its *own* intersection (what a traffic light needs) and
on a city-wide test sample (how much of the city it understands). The map of
the city shows each agent's final accuracy at its own intersection, alone
and social side by side, against the majority-class baseline of that
intersection.

Run time on 2 cores: the quick preset (MLP agents only, 10 rounds) takes a
few seconds; the full preset (MLP and spiking agents, 30 rounds, 5 seeds)
about 25 minutes of CPU time (43 minutes of wall time beside other jobs),
almost all of it the 25 spiking agents.

References
----------
R. Ormándi, I. Hegedűs and M. Jelasity, "Gossip learning with linear models
on fully distributed data", Concurrency Computat. 25, 556-571 (2013).
X. Lian et al., "Can decentralized algorithms outperform centralized
algorithms?", NeurIPS (2017).
A. Bandura, *Social Learning Theory*, Prentice Hall (1977).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from experiments._base import Presets, Result, register_experiment
from experiments._societies import (
    check_final_rounds,
    check_society_settings,
    default_agent_params,
    default_protocol_params,
    experiment_society,
)
from experiments.stats import interval_table, mean_interval, paired_difference
from experiments.style import curve_with_band, figure, label, titled_over_legend
from experiments.sweep_figures import Panel, band, bars, metric_rows, panel_grid
from tasks import load_task

PROTOCOL_COLORS = {
    "isolated": "#7f7f7f",
    "teach": "#2ca02c",
    "gossip": "#9467bd",
    "distill": "#ff7f0e",
    "consensus_vote": "#8c564b",
}
PROTOCOL_TITLES = {
    "isolated": "alone (isolated)",
    "teach": "teach: neighbours show examples",
    "gossip": "gossip: neighbours average weights",
    "distill": "distill: neighbours' soft labels",
    "consensus_vote": "consensus vote of neighbours",
}
TYPE_LINESTYLES = {"ann": "-", "snn": "--"}


@dataclass(frozen=True)
class Settings(Presets):
    city_params: dict = field(
        default_factory=lambda: {"seed": 0, "rows": 5, "cols": 5, "n_days": 14}
    )
    agent_types: tuple = ("ann", "snn")
    protocols: tuple = ("isolated", "teach", "gossip")
    # Teachers show only the demonstrations they got right (labels="checked"): with
    # labels="predicted" the 32 peer-labelled samples of a crossroads outweigh its 16
    # own ones and early mistakes echo into a majority-class lock-in (measured: own-
    # intersection accuracy at the majority baseline after 10 rounds).
    protocol_params: dict = field(default_factory=default_protocol_params)
    rounds: int = 30
    n_seeds: int = 5
    local_batch: int = 16
    n_eval: int | None = 200
    n_local_eval: int | None = None  # every test hour of the intersection
    final_rounds: int = 3
    agent_params: dict = field(default_factory=lambda: default_agent_params(0.02))

    QUICK = dict(
        agent_types=("ann",),
        rounds=10,
        n_seeds=3,
        n_eval=150,
        n_local_eval=30,
        final_rounds=2,
    )


def local_test_rows(task, nodes, n_local_eval, rng):
    """For each node, the indices of test samples recorded at that intersection (at most
    ``n_local_eval`` of them, a seeded subsample)."""
    position = {node: k for k, node in enumerate(task.metadata["nodes"])}
    node_test = np.asarray(task.metadata["node_test"])
    sets = []
    for node in nodes:
        rows = np.flatnonzero(node_test == position[node])
        if n_local_eval is not None and len(rows) > n_local_eval:
            rows = np.sort(rng.choice(rows, n_local_eval, replace=False))
        sets.append(rows)
    return sets


def persistence_forecast(task, hours, node_index) -> np.ndarray:
    """ "Next hour = this hour": the congestion class of the hour before each target hour.

    ``hours`` are the target hours of samples, ``node_index`` their
    intersections (indices into ``task.metadata["nodes"]``). The class is read
    off the simulated load exactly as the task's labels are (same thresholds).
    """
    meta = task.metadata
    load = meta["flow"][np.asarray(hours) - 1, node_index] / meta["capacity"][node_index]
    return np.digitize(load, meta["params"]["thresholds"])


#: The ``protocol`` of the reference forecasts' rows in ``metrics.csv``.
REFERENCE = "reference"
#: The reference forecasts scored at every intersection, next to the agents.
REFERENCES = {
    "persistence": "persistence: next hour = this hour",
    "hour_profile": "own intersection's usual class at that hour",
    "majority": "own intersection's majority class",
    "logistic_own": "logistic regression on own data",
    "logistic_city": "logistic regression on the whole city's data",
}


def reference_predictions(task, nodes, test_rows) -> dict:
    """Per reference forecast (:data:`REFERENCES`), a list with one prediction array per node
    for the test rows ``test_rows[k]`` of node ``nodes[k]``.

    Every forecast is fitted on training data only: ``hour_profile`` is the most
    frequent class of the intersection's own training samples at that hour of the day
    (its majority class for an hour it never saw), ``majority`` its most frequent
    class overall (the per-intersection mean forecast of a categorical target),
    ``logistic_own`` a logistic regression on its own samples (what an isolated agent
    could reach with a linear model) and ``logistic_city`` one on every
    intersection's samples pooled (a centralised learner).
    """
    from sklearn.linear_model import LogisticRegression

    meta = task.metadata
    position = {node: k for k, node in enumerate(meta["nodes"])}
    node_train = np.asarray(meta["node_train"])
    hour_train = np.asarray(meta["hour_train"]) % 24
    city = LogisticRegression(max_iter=5000).fit(task.X_train, task.y_train)
    out = {name: [] for name in REFERENCES}
    for node, rows in zip(nodes, test_rows):
        k = position[node]
        own = node_train == k
        y_own, h_own = task.y_train[own], hour_train[own]
        majority = task.classes[np.argmax([(y_own == c).sum() for c in task.classes])]
        profile = {}
        for hour in np.unique(h_own):
            labels = y_own[h_own == hour]
            profile[hour] = task.classes[np.argmax([(labels == c).sum() for c in task.classes])]
        hours = np.asarray(meta["hour_test"])[rows]
        out["persistence"].append(persistence_forecast(task, hours, np.full(len(rows), k)))
        out["hour_profile"].append(np.array([profile.get(h % 24, majority) for h in hours]))
        out["majority"].append(np.full(len(rows), majority))
        if len(np.unique(y_own)) > 1:
            own_model = LogisticRegression(max_iter=5000).fit(task.X_train[own], y_own)
            out["logistic_own"].append(own_model.predict(task.X_test[rows]))
        else:
            out["logistic_own"].append(np.full(len(rows), majority))
        out["logistic_city"].append(city.predict(task.X_test[rows]))
    return out


def final_by_node(metrics: pd.DataFrame, final_rounds: int) -> pd.DataFrame:
    """Per type, protocol and intersection: accuracy over the last ``final_rounds`` rounds,
    averaged over seeds, with the 95% Student-t interval of the local accuracy over
    seeds (``local_low``, ``local_high``; NaN with one seed) and the seed count."""
    last = metrics[metrics["round"] > metrics["round"].max() - final_rounds]
    keys = ["type", "protocol", "row", "col"]
    per_seed = last.groupby([*keys, "seed"])[["local_accuracy", "city_accuracy"]].mean()
    per_seed = per_seed.reset_index()
    table = per_seed.groupby(keys)[["local_accuracy", "city_accuracy"]].mean()
    spread = interval_table(per_seed, keys, "local_accuracy").set_index(keys)
    table["local_low"], table["local_high"] = spread["low"], spread["high"]
    table["n_seeds"] = spread["n"]
    return table.reset_index()


# ----------------------------------------------------------------------------
# Figures and summary
# ----------------------------------------------------------------------------
def _road_graph(roads: pd.DataFrame, intersections: pd.DataFrame) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(zip(intersections["row"], intersections["col"]))
    graph.add_edges_from(
        ((u_row, u_col), (v_row, v_col))
        for u_row, u_col, v_row, v_col in roads[["u_row", "u_col", "v_row", "v_col"]].itertuples(
            index=False
        )
    )
    return graph


def _map_figure(final, roads, intersections, settings, kind):
    import matplotlib as mpl

    graph = _road_graph(roads, intersections)
    positions = {node: (node[1], -node[0]) for node in graph.nodes}  # column right, row down
    protocols = list(settings.protocols)
    rows = final[final["type"] == kind]
    low = min(rows["local_accuracy"].min(), intersections["majority_baseline"].min())
    norm = mpl.colors.Normalize(vmin=np.floor(low * 10) / 10, vmax=1.0)
    cmap = mpl.colormaps["viridis"]
    n_rows = int(intersections["row"].max()) + 1
    n_cols = int(intersections["col"].max()) + 1
    panel = 3.6 * max(1.0, n_cols / max(n_rows, 1))
    fig, axes = figure(
        1, len(protocols), figsize=(panel * len(protocols) + 1.2, 3.9), squeeze=False
    )
    for ax, protocol in zip(axes[0], protocols):
        part = rows[rows["protocol"] == protocol].set_index(["row", "col"])
        nodes = list(graph.nodes)
        values = np.array([part.loc[node, "local_accuracy"] for node in nodes])
        nx.draw_networkx_edges(graph, positions, ax=ax, edge_color="#bbbbbb", width=2)
        nx.draw_networkx_nodes(
            graph,
            positions,
            nodelist=nodes,
            node_color=values,
            cmap=cmap,
            vmin=norm.vmin,
            vmax=norm.vmax,
            node_size=420,
            ax=ax,
            edgecolors="black",
            linewidths=0.6,
        )
        half = np.array(
            [(part.loc[node, "local_high"] - part.loc[node, "local_low"]) / 2 for node in nodes]
        )
        for node, value, width in zip(nodes, values, half):
            text = f"{value:.2f}" if not np.isfinite(width) else f"{value:.2f}\n±{width:.2f}"
            ax.text(
                *positions[node],
                text,
                ha="center",
                va="center",
                fontsize=5.5 if np.isfinite(width) else 6.5,
                color="white" if norm(value) < 0.6 else "black",
            )
        ax.set_title(
            f"{PROTOCOL_TITLES.get(protocol, protocol)}\nmean {mean_interval(values, bounds='local_accuracy')}",
            fontsize=9,
        )
        ax.set_aspect("equal")
        ax.axis("off")
    colorbar = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=list(axes[0]), shrink=0.85, pad=0.02
    )
    seeds = int(rows["n_seeds"].max()) if len(rows) else 0
    colorbar.set_label(
        f"accuracy at own intersection, last {settings.final_rounds} rounds\n"
        "(mean over seeds ± 95% interval)"
    )
    fig.suptitle(
        f"{label(kind)} agents, one per intersection of a {n_rows} x {n_cols} city: "
        f"next-hour congestion, n = {seeds} seeds\nreference forecasts on the same test "
        f"hours: persistence {intersections['persistence_baseline'].mean():.3f}, "
        f"own majority class {intersections['majority_baseline'].mean():.3f}, "
        f"logistic regression on own data {intersections['logistic_own_baseline'].mean():.3f}"
        "\n(nodes are intersections, lines are roads; panel titles: mean [95% interval] "
        "over intersections)",
        fontsize=9.5,
        y=1.12,
    )
    return fig


def _learning_figure(metrics, intersections, settings):
    seeds = metrics["seed"].nunique()
    fig, axes = figure(1, 2, figsize=(11, 5.0), sharey=True)
    for ax, column, title in zip(
        axes,
        ("local_accuracy", "city_accuracy"),
        ("At the agent's own intersection", "Anywhere in the city"),
    ):
        for kind in settings.agent_types:
            for protocol in settings.protocols:
                rows = metrics[(metrics["type"] == kind) & (metrics["protocol"] == protocol)]
                if rows.empty:
                    continue
                # a seed's intersections averaged first: the seed is the replicate
                per_seed = rows.groupby(["round", "seed"], as_index=False)[column].mean()
                curve = interval_table(per_seed, "round", column, bounds=(0, 1))
                band = (curve["low"], curve["high"]) if seeds > 2 else ()
                curve_with_band(
                    ax,
                    curve["round"],
                    curve["mean"],
                    *band,
                    color=PROTOCOL_COLORS.get(protocol, "#444444"),
                    label=f"{label(kind)}, {protocol}",
                    linestyle=TYPE_LINESTYLES.get(kind, ":"),
                )
        ax.set_title(title)
        ax.set_xlabel("round (local learning, then one interaction)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for column, style, text in (
        ("logistic_own_baseline", (0, (5, 1, 1, 1, 1, 1)), "logistic regression, own data"),
        ("persistence_baseline", "-.", "persistence (next hour = this hour)"),
        ("hour_profile_baseline", "--", "own usual class at that hour"),
        ("majority_baseline", ":", "own majority class"),
    ):
        axes[0].axhline(
            intersections[column].mean(),
            color="black",
            linewidth=0.8,
            linestyle=style,
            label=text,
        )
    axes[0].set_ylabel(
        "test accuracy, next-hour congestion\n(mean over intersections, then over seeds)"
    )
    axes[0].set_ylim(0, 1)
    handles, labels = axes[0].get_legend_handles_labels()
    titled_over_legend(
        fig,
        "Learning congestion alone and from neighbouring intersections; n = "
        f"{seeds} seed{'s' if seeds != 1 else ''}, mean"
        + (" and 95% interval over seeds" if seeds > 2 else ""),
        handles,
        labels,
        ncol=4,
        space=0.13,
        fontsize=11,
    )
    return fig


def _figures(result: Result, settings: Settings) -> dict:
    final = final_by_node(result.metrics, settings.final_rounds)
    intersections, roads = result.tables["intersections"], result.tables["roads"]
    figures = {
        f"city_map_{kind}": _map_figure(final, roads, intersections, settings, kind)
        for kind in settings.agent_types
    }
    figures["city_learning"] = _learning_figure(result.metrics, intersections, settings)
    return figures


#: Line styles of the reference forecasts in the aggregate's learning figure.
REFERENCE_LINES = ("-.", ":", "--", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


def _forecaster(kind: str, protocol: str) -> str:
    if protocol == REFERENCE:
        return f"reference: {REFERENCES.get(kind, kind)}"
    return f"{label(kind)}, {PROTOCOL_TITLES.get(protocol, protocol)}"


def _aggregate_figures(aggregate) -> dict:
    """Accuracy of every agent kind and protocol next to the reference forecasts (bars, at the
    last round), and the agents' accuracy round by round; means and intervals over runs."""
    last = aggregate.summary["round"].max()
    pairs = dict.fromkeys(zip(aggregate.summary["type"], aggregate.summary["protocol"]))
    # the agents first, then the reference forecasts; the same rows in both panels
    forecasters = [_forecaster(*p) for p in pairs if p[1] != REFERENCE] + [
        _forecaster(*p) for p in pairs if p[1] == REFERENCE
    ]
    accuracies = (
        ("local_accuracy", "at the agent's own intersection"),
        ("city_accuracy", "anywhere in the city"),
    )

    def final_bars(column):
        def panel(ax, rows):
            rows = metric_rows(rows, column)
            rows = rows[rows["round"] == last].dropna(subset=["mean"])
            rows = rows.assign(forecaster=[_forecaster(*k) for k in zip(rows.type, rows.protocol)])
            bars(
                ax,
                rows,
                "forecaster",
                categories=forecasters,
                category_color=lambda name: (
                    "#444444"
                    if name.startswith("reference")
                    else PROTOCOL_COLORS.get(
                        rows.loc[rows.forecaster == name, "protocol"].iloc[0], "#1f77b4"
                    )
                ),
                horizontal=True,
            )
            ax.set_xlim(0, 1)
            ax.set_xlabel("test accuracy, next-hour congestion\n(mean over intersections)")

        return panel

    def curves(column):
        def panel(ax, rows):
            agents = metric_rows(rows, column)
            for (kind, protocol), curve in agents.groupby(["type", "protocol"], sort=False):
                if protocol == REFERENCE:
                    continue
                band(
                    ax,
                    curve,
                    "round",
                    label=f"{label(kind)}, {protocol}",
                    color=PROTOCOL_COLORS.get(protocol, "#444444"),
                    linestyle=TYPE_LINESTYLES.get(kind, ":"),
                )
            for k, (kind, row) in enumerate(
                agents[agents.protocol == REFERENCE].set_index("type").iterrows()
            ):
                ax.axhline(
                    row["mean"],
                    color="black",
                    linewidth=0.8,
                    linestyle=REFERENCE_LINES[k % len(REFERENCE_LINES)],
                    label=f"reference: {REFERENCES.get(kind, kind)}",
                )
            ax.set_xlabel("round (local learning, then one interaction)")
            ax.set_ylabel("test accuracy, next-hour congestion\n(mean over intersections)")
            ax.set_ylim(0, 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        return panel

    drawn = ["type", "protocol", "round"]
    forecast = panel_grid(
        aggregate,
        [Panel(f"{title}, round {last:g} (the last)", final_bars(c)) for c, title in accuracies],
        drawn,
        "Smart city: next-hour congestion forecasts of the agents and the reference forecasts",
        panel_size=(5.6, 0.45 * len(forecasters) + 1.6),
        note="The reference forecasts are scored at the agent's own intersection only (and do "
        "not learn: one value for every round).",
    )
    learning = panel_grid(
        aggregate,
        [Panel(title, curves(c)) for c, title in accuracies],
        drawn,
        "Smart city: learning congestion alone and from neighbouring intersections",
    )
    return {"city_forecast": forecast, "city_learning": learning}


def _summary(result: Result, settings: Settings) -> str:
    final = final_by_node(result.metrics, settings.final_rounds)
    intersections = result.tables["intersections"]
    seeds = result.metrics["seed"].nunique()
    lines = [
        "# Smart city (city_traffic, one agent per intersection)",
        "",
        f"{len(intersections)} intersections, {settings.rounds} rounds, n = {seeds} "
        f"seed(s); accuracy at each agent's own intersection over the last "
        f"{settings.final_rounds} rounds, averaged over seeds, then over intersections: "
        "mean [95% Student-t interval over intersections]. Each intersection is scored "
        f"on {intersections['n_local_eval'].min()}-{intersections['n_local_eval'].max()} "
        "test hours. Reference forecasts are scored on the same hours. The differences to "
        "persistence and to the same agents alone (isolated) are paired by intersection.",
        "",
        "| agents | protocol | own intersection | minus persistence (paired) "
        "| city-wide | minus alone (paired) | intersections better than alone |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    persistence = final[
        (final["protocol"] == REFERENCE) & (final["type"] == "persistence")
    ].set_index(["row", "col"])["local_accuracy"]
    for name, text in REFERENCES.items():
        part = final[(final["protocol"] == REFERENCE) & (final["type"] == name)]
        if part.empty:
            continue
        part = part.set_index(["row", "col"])
        difference = (
            ""
            if name == "persistence"
            else paired_difference(
                part["local_accuracy"], persistence[part.index], bounds="local_accuracy"
            ).format()
        )
        lines.append(
            f"| reference | {text} | {mean_interval(part['local_accuracy'], bounds='local_accuracy')} | {difference} | | | |"
        )
    for kind in settings.agent_types:
        rows = final[final["type"] == kind]
        alone = (
            rows[rows["protocol"] == "isolated"].set_index(["row", "col"])["local_accuracy"]
            if "isolated" in settings.protocols
            else None
        )
        for protocol in settings.protocols:
            part = rows[rows["protocol"] == protocol].set_index(["row", "col"])
            compared = alone is not None and protocol != "isolated"
            better = (
                f"{int((part['local_accuracy'] > alone[part.index] + 1e-12).sum())} of {len(part)}"
                if compared
                else ""
            )
            gain = (
                paired_difference(
                    part["local_accuracy"], alone[part.index], bounds="local_accuracy"
                ).format()
                if compared
                else ""
            )
            difference = paired_difference(
                part["local_accuracy"], persistence[part.index], bounds="local_accuracy"
            )
            lines.append(
                f"| {label(kind)} | {protocol} | {mean_interval(part['local_accuracy'], bounds='local_accuracy')} "
                f"| {difference.format()} | {mean_interval(part['city_accuracy'], bounds='city_accuracy')} "
                f"| {gain} | {better} |"
            )
    lines += _type_difference_lines(final, settings)
    return "\n".join(lines)


def _type_difference_lines(final: pd.DataFrame, settings: Settings) -> list[str]:
    """Each agent type's accuracy at its own intersection minus the first type's (the
    spiking agents minus the MLPs by default), per protocol, paired by intersection (same
    city, same test hours); none with one agent type."""
    first, *others = settings.agent_types
    if not others:
        return []
    local = final.set_index(["type", "protocol", "row", "col"])["local_accuracy"]
    lines = [
        "",
        f"Own-intersection accuracy minus the {label(first)} agents', paired by "
        "intersection, mean [95% Student-t interval over intersections]:",
        "",
        "| agents | protocol | difference |",
        "| --- | --- | --- |",
    ]
    for kind in others:
        for protocol in settings.protocols:
            a, b = local.loc[(kind, protocol)], local.loc[(first, protocol)]
            difference = paired_difference(a, b[a.index], bounds="local_accuracy")
            lines.append(f"| {label(kind)} minus {label(first)} | {protocol} | {difference} |")
    return lines


# ----------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------
@register_experiment(order=120)
def run(settings: Settings, seed: int) -> Result:
    """one agent per intersection predicts congestion, alone or learning from its
    neighbours; a map of the city coloured by each agent's accuracy"""
    check_society_settings(settings.agent_types, settings.protocols)
    check_final_rounds(settings.final_rounds, settings.rounds)
    task = load_task("city_traffic", **settings.city_params)
    nodes = list(task.graph.nodes)
    position = {node: k for k, node in enumerate(task.metadata["nodes"])}
    node_train = np.asarray(task.metadata["node_train"])
    # The city, its data and the local test samples are the same for every seed;
    # the seeds vary the agents (initialisation, batches, exchanges).
    test_rows = local_test_rows(
        task, nodes, settings.n_local_eval, np.random.default_rng(settings.shared_seed(seed))
    )
    local_sets = [(task.X_test[rows], task.y_test[rows]) for rows in test_rows]
    references = reference_predictions(task, nodes, test_rows)
    baselines = []
    for k, (node, (_, y_local)) in enumerate(zip(nodes, local_sets)):
        baselines.append(
            {
                "row": node[0],
                "col": node[1],
                "degree": task.graph.degree(node),
                "n_train": int((node_train == position[node]).sum()),
                "n_local_eval": len(y_local),
                "majority_baseline": float(np.mean(references["majority"][k] == y_local)),
                **{
                    f"{name}_baseline": float(np.mean(predictions[k] == y_local))
                    for name, predictions in references.items()
                    if name != "majority"
                },
            }
        )
    records, timings = [], []
    # The reference forecasts as rows of the metrics table (protocol "reference"), one
    # copy per seed at the last round, so that every per-seed analysis sees them.
    for run_seed in settings.run_seeds(seed):
        for name, predictions in references.items():
            records.append(
                pd.DataFrame(
                    {
                        "seed": run_seed,
                        "type": name,
                        "protocol": REFERENCE,
                        "row": [node[0] for node in nodes],
                        "col": [node[1] for node in nodes],
                        "round": settings.rounds,
                        "degree": [task.graph.degree(node) for node in nodes],
                        "local_accuracy": [
                            float(np.mean(p == y)) for p, (_, y) in zip(predictions, local_sets)
                        ],
                        "city_accuracy": np.nan,
                        "disagreement": np.nan,
                        "messages": 0,
                        "cost": np.nan,
                        "cost_unit": "",
                    }
                )
            )
    for run_seed in settings.seed_runs(seed, "smart_city"):
        for kind in settings.agent_types:
            for protocol in settings.protocols:
                society = experiment_society("city", kind, task, protocol, run_seed, settings)
                society.setup()
                order = [nodes.index(node) for node in society.nodes_]
                X_local = [local_sets[k][0] for k in order]
                y_local = [local_sets[k][1] for k in order]
                started = time.perf_counter()
                for _ in range(settings.rounds):
                    rows = society.step()
                    predictions = society.predict(X_local)
                    records.append(
                        pd.DataFrame(
                            {
                                "seed": run_seed,
                                "type": kind,
                                "protocol": protocol,
                                "row": [node[0] for node in society.nodes_],
                                "col": [node[1] for node in society.nodes_],
                                "round": rows["round"],
                                "degree": rows["degree"],
                                "local_accuracy": [
                                    float(np.mean(p == y)) for p, y in zip(predictions, y_local)
                                ],
                                "city_accuracy": rows["accuracy"],
                                "disagreement": rows["disagreement"],
                                "messages": rows["messages"],
                                "cost": rows["cost"],
                                "cost_unit": rows["cost_unit"],
                            }
                        )
                    )
                timings.append(
                    {
                        "seed": run_seed,
                        "type": kind,
                        "protocol": protocol,
                        "run_seconds": time.perf_counter() - started,
                    }
                )
    roads = pd.DataFrame(
        [{"u_row": u[0], "u_col": u[1], "v_row": v[0], "v_col": v[1]} for u, v in task.graph.edges]
    )
    return Result(
        metrics=pd.concat(records, ignore_index=True),
        timings=pd.DataFrame(timings),
        tables={"intersections": pd.DataFrame(baselines), "roads": roads},
    )
