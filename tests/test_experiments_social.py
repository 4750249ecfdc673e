"""The society experiments (social_topology, mixed_society, smart_city, brain_synchrony).

Each runs a setting smaller than its quick preset through the runner and is
checked against what must hold independently of the learners: the spectral
bound on DeGroot averaging, the spectrum of a ring, the paired data design,
the messages a protocol sends, the independence of uncoupled oscillators.
"""

import dataclasses
import shutil

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import experiments.brain_synchrony as brain_synchrony
import experiments.mixed_society as mixed_society
import experiments.smart_city as smart_city
import experiments.social_topology as social_topology
from experiments._base import EXPERIMENTS, Result
from experiments._societies import (
    paired_task,
    reference_summary_lines,
    shard_references,
    union_of_components,
)
from experiments.runner import load_result, replot, run_experiment
from tasks import load_task

# Tiny spiking agents: a few neurons, short presentations (seconds, not minutes).
TINY_SNN = {"n_neurons": 6, "presentation_time_ms": 20.0, "rest_time_ms": 5.0}


def _figures_ok(path, names):
    for name in names:
        png = path / "figures" / f"{name}.png"
        assert png.is_file(), f"missing figure {name}"
        assert png.stat().st_size > 5000, f"figure {name} looks empty"


def _replots(name, path):
    before = sorted(p.name for p in (path / "figures").iterdir())
    for figure_file in (path / "figures").iterdir():
        figure_file.unlink()
    replot(name, path)  # from the saved CSV files alone
    assert sorted(p.name for p in (path / "figures").iterdir()) == before


def test_experiments_are_registered_with_json_settings():
    import json

    for module in (social_topology, mixed_society, smart_city, brain_synchrony):
        names = [n for n, e in EXPERIMENTS.items() if e.settings is module.Settings]
        assert len(names) == 1
        for preset in (module.Settings.quick(), module.Settings.full()):
            values = json.loads(json.dumps(dataclasses.asdict(preset)))  # JSON round trip
            assert EXPERIMENTS[names[0]].settings_from_dict(values) == preset


# ----------------------------------------------------------------------------
# The paired design shared by social_topology and mixed_society
# ----------------------------------------------------------------------------
def test_paired_task_gives_each_position_the_same_shard_in_every_component():
    task = load_task("iris")
    union = union_of_components({"ring": nx.cycle_graph(4), "complete": nx.complete_graph(4)})
    assert union.number_of_edges() == 4 + 6 and not nx.is_connected(union)
    nodes = list(union.nodes)
    paired, shards = paired_task(
        task, nodes, [j for _, j in nodes], "iid", np.random.default_rng(0)
    )
    node_train = paired.metadata["node_train"]
    source = paired.metadata["source_rows"]
    for k, (name, j) in enumerate(nodes):
        rows = source[node_train == k]
        np.testing.assert_array_equal(rows, shards[j])
        np.testing.assert_array_equal(paired.X_train[node_train == k], task.X_train[shards[j]])
    # the positions' shards partition the training set
    assert sorted(np.concatenate(list(shards.values()))) == list(range(len(task.y_train)))
    np.testing.assert_array_equal(paired.X_test, task.X_test)


# ----------------------------------------------------------------------------
# social_topology
# ----------------------------------------------------------------------------
def _topology_settings(**changes):
    base = dict(
        task="iris",
        n_agents=5,
        rounds=2,
        n_seeds=1,
        local_batch=6,
        n_eval=20,
        protocols=("teach",),
        protocol_params={"teach": {"demonstrations": 3, "labels": "true"}},
        agent_types=("ann",),
        theory_sizes=(6, 10),
        theory_graphs=2,
        agent_params={"ann": {"learning_rate": 0.05}, "snn": TINY_SNN},
    )
    return dataclasses.replace(social_topology.Settings.quick(), **{**base, **changes})


def test_social_topology_final_accuracy_carries_its_interval_over_seeds_into_the_summary():
    from scipy import stats

    settings = _topology_settings(rounds=1, topologies=("ring",))
    accuracy = {0: [0.5, 0.7], 1: [0.6, 0.8], 2: [0.9, 0.9]}  # seed -> per agent
    metrics = pd.DataFrame(
        [
            dict(
                seed=seed,
                protocol="teach",
                type="ann",
                topology="ring",
                agent=agent,
                round=1,
                accuracy=value,
                disagreement=0.1,
                degree=1,
                messages=1,
            )
            for seed, values in accuracy.items()
            for agent, value in enumerate(values)
        ]
    )
    spectra = pd.DataFrame([dict(topology="ring", seed=s, spectral_gap=0.5) for s in accuracy])
    final = social_topology.final_by_topology(metrics, spectra, settings).iloc[0]
    per_seed = np.array([0.6, 0.7, 0.9])  # the mean over agents of each seed
    half = stats.t.ppf(0.975, 2) * per_seed.std(ddof=1) / np.sqrt(3)
    assert final["final_accuracy"] == pytest.approx(per_seed.mean())
    assert final["final_accuracy_low"] == pytest.approx(per_seed.mean() - half)
    # the t interval runs past 1; an accuracy's is clipped there
    assert per_seed.mean() + half > 1 and final["final_accuracy_high"] == 1.0
    text = social_topology._interval(final, "final_accuracy")
    assert text == f"{per_seed.mean():.3f} [{per_seed.mean() - half:.3f}, 1.000]"


def test_social_topology_summary_pairs_agent_types_by_seed_with_intervals():
    from scipy import stats

    from experiments.stats import paired_difference

    settings = _topology_settings(
        rounds=1, topologies=("small_world",), agent_types=("ann", "snn"), diffusion_threshold=0.5
    )
    # seed -> (MLP, spiking) accuracy of each of the two agents
    accuracy = {
        0: ([0.5, 0.7], [0.4, 0.4]),
        1: ([0.6, 0.8], [0.6, 0.6]),
        2: ([0.9, 0.9], [0.3, 0.5]),
    }
    metrics = pd.DataFrame(
        [
            dict(
                seed=seed,
                protocol="teach",
                type=kind,
                topology="small_world",
                agent=agent,
                round=1,
                accuracy=value,
                disagreement=0.1,
                degree=1,
                messages=1,
            )
            for seed, pair in accuracy.items()
            for kind, values in zip(("ann", "snn"), pair)
            for agent, value in enumerate(values)
        ]
    )
    gaps = [0.30, 0.40, 0.35]  # a random graph's spectral gap differs by seed
    spectra = pd.DataFrame(
        [dict(topology="small_world", seed=s, spectral_gap=g) for s, g in zip(accuracy, gaps)]
    )
    theory = pd.DataFrame(
        dict(spectral_gap=[0.2, 0.5], predicted_steps=[10, 4], measured_steps=[8, 3])
    )
    text = social_topology._summary(
        Result(metrics, tables={"spectra": spectra, "consensus_theory": theory}), settings
    )
    mlp = np.array([0.6, 0.7, 0.9])  # per seed, the mean over agents
    spiking = np.array([0.4, 0.6, 0.4])
    difference = paired_difference(spiking, mlp, bounds=(0, 1))
    half = stats.t.ppf(0.975, 2) * np.std(mlp - spiking, ddof=1) / np.sqrt(3)
    assert difference.low == pytest.approx((spiking - mlp).mean() - half)
    assert f"| teach | small world | spiking (STDP) minus MLP (backprop) | {difference} |" in text
    gap = stats.t.ppf(0.975, 2) * np.std(gaps, ddof=1) / np.sqrt(3)
    assert f"0.350 [{0.35 - gap:.3f}, {0.35 + gap:.3f}]" in text  # the spectral gap's interval
    # diffusion (half the agents at 0.5) in round 1 for every MLP seed, two spiking seeds
    assert "| 1.0 [1.0, 1.0] (3 of 3) |" in text and "| 1.0 [1.0, 1.0] (2 of 3) |" in text


def test_social_topology_references_fit_each_shard_alone_and_all_pooled():
    from sklearn.neighbors import KNeighborsClassifier

    task = load_task("iris", seed=0)
    single = np.flatnonzero(task.y_train == task.y_train[0])[:5]  # one class only
    shards = {0: np.arange(0, 30), 1: np.arange(30, 60), 2: single}
    X_eval, y_eval = task.X_test[:40], task.y_test[:40]
    rows = shard_references(
        shards, task, X_eval, y_eval, ("nearest_neighbour", "majority"), seed=3, n_prototypes=5
    )
    table = pd.DataFrame(rows).set_index(["scope", "position", "kind"])["accuracy"]
    for position in (0, 1):
        rows_ = shards[position]
        expected = KNeighborsClassifier(1).fit(task.X_train[rows_], task.y_train[rows_])
        assert table["own shard", position, "nearest_neighbour"] == pytest.approx(
            expected.score(X_eval, y_eval)
        )
    pooled = np.concatenate(list(shards.values()))
    expected = KNeighborsClassifier(1).fit(task.X_train[pooled], task.y_train[pooled])
    assert table["pooled", -1, "nearest_neighbour"] == pytest.approx(expected.score(X_eval, y_eval))
    # a shard of one class: every model predicts that class
    alone = np.mean(y_eval == task.y_train[0])
    assert table["own shard", 2, "nearest_neighbour"] == table["own shard", 2, "majority"] == alone
    text = "\n".join(reference_summary_lines(pd.DataFrame(rows), "fitted"))
    assert "| 1-nearest neighbour |" in text and "(n = 1) |" in text  # pooled: one seed


def test_social_topology_obeys_consensus_theory_and_reruns_byte_identically(tmp_path):
    settings = _topology_settings(protocols=("teach", "gossip"))
    path = run_experiment("social_topology", settings=settings, seed=4, out=tmp_path / "a")
    everything = pd.read_csv(path / "metrics.csv")
    # the reference learners are rows of metrics.csv, fitted on each position's shard alone
    # (5 positions x 4 references) and on all shards pooled (4), at the last round
    references = everything[everything["protocol"] == social_topology.REFERENCE]
    assert set(references["type"]) == set(settings.references)
    assert (references["topology"] == "own shard").sum() == 5 * 4
    assert (references["topology"] == "pooled").sum() == 4
    assert sorted(set(references.loc[references["topology"] == "own shard", "agent"])) == [
        *range(5)
    ]
    assert (references["round"] == settings.rounds).all()
    assert references["accuracy"].between(0, 1).all()
    # ... and the summary's reference table is read from them
    table = social_topology.reference_table(Result(everything))
    assert reference_summary_lines(table, "fitted")[-4:] == [
        line
        for line in (path / "summary.md").read_text().splitlines()
        if any(line.startswith(f"| {label} |") for label in _reference_labels(settings))
    ]
    metrics = everything[everything["protocol"] != social_topology.REFERENCE]
    assert {
        "seed",
        "protocol",
        "type",
        "topology",
        "agent",
        "round",
        "degree",
        "accuracy",
        "disagreement",
        "messages",
        "cost",
        "cost_unit",
    } <= set(metrics.columns)
    # one row per protocol x topology x agent x round
    assert len(metrics) == 2 * 4 * 5 * 2
    assert metrics["accuracy"].between(0, 1).all()
    assert metrics["disagreement"].between(0, 1).all()
    complete = metrics[metrics["topology"] == "complete"]
    assert (complete["degree"] == 4).all()
    # teach (true labels: nothing withheld): each agent sends its 3 demonstrations to
    # each neighbour; gossip: one parameter set to each neighbour per round
    sent = metrics.set_index("protocol")
    assert (sent.loc["teach", "messages"] == 3 * sent.loc["teach", "degree"]).all()
    assert (sent.loc["gossip", "messages"] == sent.loc["gossip", "degree"]).all()

    theory = pd.read_csv(path / "consensus_theory.csv")
    assert len(theory) == 4 * 2 * 2
    # Xiao & Boyd: the bound holds for every start; the complete graph averages in one step
    assert (theory["measured_steps"] <= theory["predicted_steps"]).all()
    assert (theory.loc[theory["topology"] == "complete", "measured_steps"] == 1).all()
    ring = theory[theory["topology"] == "ring"]
    expected_slem = (1 + 2 * np.cos(2 * np.pi / ring["n_agents"])) / 3  # W = (I + shifts) / 3
    np.testing.assert_allclose(ring["slem"], expected_slem, atol=1e-12)
    spectra = pd.read_csv(path / "spectra.csv")
    assert set(spectra["topology"]) == set(settings.topologies)

    _figures_ok(
        path,
        [
            "accuracy_teach",
            "consensus_teach",
            "spectral_gap_teach",
            "accuracy_gossip",
            "degroot_theory",
        ],
    )
    summary = (path / "summary.md").read_text()
    assert "spectral bound" in summary and "| 1-nearest neighbour |" in summary
    assert not (path / "references.csv").exists()

    # the same seed again gives the same bytes (computed without drawing the figures again)
    again = social_topology.run(settings, seed=4)
    assert again.metrics.to_csv(index=False).encode() == (path / "metrics.csv").read_bytes()
    assert (
        again.tables["consensus_theory"].to_csv(index=False).encode()
        == (path / "consensus_theory.csv").read_bytes()
    )


def _reference_labels(settings):
    from experiments import reference

    return [reference.LABELS[name] for name in settings.references]


def test_social_topology_reads_references_from_metrics_or_from_an_older_runs_table():
    """A run saved before the reference learners moved into metrics.csv kept them in
    references.csv: its summary still gives them; the societies' tables ignore them."""
    rows = [
        {"seed": 1, "scope": scope, "position": position, "kind": kind, "accuracy": value}
        for scope, position, kind, value in (
            ("own shard", 0, "majority", 0.3),
            ("own shard", 1, "majority", 0.5),
            ("pooled", -1, "majority", 0.9),
        )
    ]
    agents = pd.DataFrame(
        [
            dict(seed=1, protocol="teach", type="ann", topology="ring", agent=a, round=1,
                 degree=2, accuracy=0.6, disagreement=0.1, messages=1, local_samples=4,
                 cost=1.0, cost_unit="J")
            for a in range(2)
        ]
    )  # fmt: skip
    new = pd.concat([agents, social_topology.reference_metrics(rows, 1)], ignore_index=True)
    old = Result(agents, tables={"references": pd.DataFrame(rows)})
    expected = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(
        social_topology.reference_table(Result(new)), expected, check_dtype=False
    )
    pd.testing.assert_frame_equal(social_topology.reference_table(old), expected)
    settings = _topology_settings(rounds=1, topologies=("ring",))
    assert social_topology.components(new, settings).equals(
        social_topology.components(agents, settings)
    )
    text = reference_summary_lines(social_topology.reference_table(Result(new)), "fitted")
    # one seed: its two shards are averaged (0.4), not treated as two replicates
    assert text[-1] == "| majority class | 0.400 (n = 1) | 0.900 (n = 1) | 1 x 2 |"


def test_social_topology_with_spiking_agents(tmp_path):
    settings = _topology_settings(
        agent_types=("ann", "snn"),
        topologies=("ring", "complete"),
        n_agents=3,
        theory_sizes=(6,),
        theory_graphs=1,
    )
    path = run_experiment("social_topology", settings=settings, out=tmp_path)
    metrics = pd.read_csv(path / "metrics.csv")
    assert set(metrics["type"]) == {"ann", "snn", *settings.references}
    assert set(metrics.loc[metrics["protocol"] == "reference", "type"]) == set(settings.references)
    assert set(metrics.loc[metrics["type"] == "snn", "cost_unit"]) == {"J (horowitz45_fp32)"}
    assert (metrics.loc[metrics["type"] == "snn", "cost"] > 0).all()
    assert metrics["accuracy"].between(0, 1).all()
    _figures_ok(path, ["accuracy_teach", "spectral_gap_teach"])


def test_social_topology_rejects_unknown_names_before_work():
    with pytest.raises(ValueError, match="unknown topologies"):
        social_topology.run(_topology_settings(topologies=("ring", "torus")), seed=0)
    with pytest.raises(ValueError, match="unknown agent_types"):
        social_topology.run(_topology_settings(agent_types=("ann", "quantum")), seed=0)


# ----------------------------------------------------------------------------
# mixed_society
# ----------------------------------------------------------------------------
def test_mixed_society_pairs_teachers_and_learners(tmp_path):
    settings = dataclasses.replace(
        mixed_society.Settings.quick(),
        n_pairs=2,
        rounds=2,
        final_rounds=1,
        n_eval=15,
        local_batch=4,
        demonstrations=3,
        agent_params={"ann": {"learning_rate": 0.05}, "snn": TINY_SNN},
    )
    path = run_experiment("mixed_society", settings=settings, out=tmp_path)
    metrics = pd.read_csv(path / "metrics.csv")
    assert {
        "condition",
        "teacher_type",
        "learner_type",
        "role",
        "agent",
        "type",
        "round",
        "accuracy",
        "demonstrations_received",
        "messages",
    } <= set(metrics.columns)
    # 2 learner types x (alone + 2 teacher types) conditions; teachers only where taught
    learners = metrics[metrics["role"] == "learner"]
    teachers = metrics[metrics["role"] == "teacher"]
    assert len(learners) == 2 * 3 * 2 * 2 and len(teachers) == 2 * 2 * 2 * 2
    assert (learners["type"] == learners["learner_type"]).all()
    assert (teachers["type"] == teachers["teacher_type"]).all()
    # the graph is directed: taught learners receive their teacher's demonstrations, nobody
    # else; "checked" teachers show only those of the 3 they got right
    taught = learners["teacher_type"] != mixed_society.ALONE
    received = learners.loc[taught, "demonstrations_received"]
    assert received.between(0, 3).all() and received.sum() > 0
    assert (
        learners.loc[taught & (learners["demonstrations_received"] > 0), "demonstration_accuracy"]
        == 1.0
    ).all()
    assert (learners.loc[~taught, "demonstrations_received"] == 0).all()
    assert (teachers["demonstrations_received"] == 0).all() and (learners["messages"] == 0).all()
    key = ["condition", "agent", "round"]
    sent = teachers.set_index(key)["messages"].sort_index()
    np.testing.assert_array_equal(
        sent,
        learners[taught].set_index(key)["demonstrations_received"].sort_index().loc[sent.index],
    )
    assert metrics["accuracy"].between(0, 1).all()

    # the gain is the learner's final accuracy minus the same position alone
    outcomes = mixed_society.learner_outcomes(metrics, final_rounds=1)
    last = learners[learners["round"] == 2].set_index(["teacher_type", "learner_type", "agent"])
    for row in outcomes.itertuples():
        expected = (
            last.loc[(row.teacher_type, row.learner_type, row.agent), "accuracy"]
            - last.loc[(mixed_society.ALONE, row.learner_type, row.agent), "accuracy"]
        )
        assert row.gain == pytest.approx(expected)
    # final accuracy carries its 95% t-interval over seeds (positions averaged within a seed
    # first, the seed being the unit of replication), clipped to an accuracy's [0, 1]; the
    # gain's, a difference of accuracies, to [-1, 1]; demonstrations to [0, 3]. A second and
    # third seed: the same run with accuracies and demonstrations shifted.
    from scipy import stats

    from experiments.stats import paired_difference

    seeds = [metrics]
    for k, shift in ((1, -0.05), (2, 0.08)):
        other = metrics.copy()
        other["seed"] = other["seed"] + k
        other["accuracy"] = (other["accuracy"] + shift * (other["agent"] % 2 + 1)).clip(0, 1)
        other["demonstrations_received"] = (other["demonstrations_received"] + k).clip(0, 3)
        seeds.append(other)
    several = pd.concat(seeds, ignore_index=True)
    columns = ["final_accuracy", "gain", "demonstrations_per_round"]
    per_seed = (
        mixed_society.learner_outcomes(several, final_rounds=1)
        .groupby(["learner_type", "teacher_type", "seed"])[columns]
        .mean()
    )
    table = mixed_society.gains(several, settings).set_index(["learner_type", "teacher_type"])
    for key, part in per_seed.groupby(level=[0, 1]):
        assert table.loc[key, "n"] == 3 and table.loc[key, "n_positions"] == 2
        for column, (floor, ceiling) in zip(columns, ((0, 1), (-1, 1), (0, 3))):
            values = part[column].to_numpy()
            if values.std() == 0:
                continue
            half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
            assert table.loc[key, f"{column}_low"] == pytest.approx(
                max(values.mean() - half, floor)
            )
            assert table.loc[key, f"{column}_high"] == pytest.approx(
                min(values.mean() + half, ceiling)
            )
    # teachers compared on the same learners: paired by seed (means over positions)
    differences = mixed_society.teacher_differences(several, settings).set_index("learner_type")
    wide = per_seed["final_accuracy"].unstack("teacher_type")
    for kind in ("ann", "snn"):
        difference = paired_difference(wide.loc[kind, "snn"], wide.loc[kind, "ann"], bounds=(0, 1))
        assert differences.loc[kind, "n"] == 3
        assert differences.loc[kind, "low"] == pytest.approx(difference.low)
        assert differences.loc[kind, "high"] == pytest.approx(difference.high)
    summary = (path / "summary.md").read_text()
    assert "paired by seed" in summary and "seeds x positions" in summary
    _figures_ok(path, ["learner_accuracy", "teaching_gain"])
    assert "gain" in summary

    # the reference learners are rows of metrics.csv: fitted on each learner position's shard
    # (2 positions x 4 references) and on every shard pooled (4), at the last round
    references = metrics[metrics["role"] == "reference"]
    assert set(references["type"]) == set(settings.references)
    own = references[references["condition"] == "own shard"]
    assert len(own) == 2 * 4 and sorted(set(own["agent"])) == [0, 1]
    assert (references.loc[references["condition"] == "pooled", "agent"] == -1).sum() == 4
    assert (references["round"] == settings.rounds).all()
    assert references["accuracy"].between(0, 1).all()
    pooled = references.set_index(["condition", "type"]).loc[("pooled", "majority"), "accuracy"]
    # the analyses of the conditions leave them out: the same with and without them
    agents = metrics[metrics["role"] != "reference"]
    pd.testing.assert_frame_equal(
        mixed_society.gains(metrics, settings), mixed_society.gains(agents, settings)
    )
    pd.testing.assert_frame_equal(
        mixed_society.teacher_differences(metrics, settings),
        mixed_society.teacher_differences(agents, settings),
    )
    # summary: per reference and scope, the mean over seeds of the positions' mean
    table = mixed_society.reference_table(metrics)
    lines = [line for line in summary.splitlines() if line.startswith("| majority class |")]
    assert len(lines) == 1
    own_mean = table[(table["kind"] == "majority") & (table["scope"] == "own shard")]["accuracy"]
    assert f"| {own_mean.mean():.3f} (n = 1) | {pooled:.3f} (n = 1) | 1 x 2 |" in lines[0]

    # a run saved before the reference rows still summarises and redraws, without them
    old = tmp_path / "old"
    shutil.copytree(path, old)
    agents.to_csv(old / "metrics.csv", index=False)
    old_summary = EXPERIMENTS["mixed_society"].summary(load_result(old), settings)
    assert "Reference learners" not in old_summary and "paired by seed" in old_summary
    _replots("mixed_society", old)


def test_reference_intervals_average_a_seeds_positions_first():
    """The seed is the unit of replication: 3 seeds x 2 positions give n = 3, the interval of
    the 3 per-seed means (Student t, 2 degrees of freedom), clipped to [0, 1]."""
    from scipy import stats

    from experiments._societies import reference_intervals

    own = {1: [0.3, 0.5], 2: [0.5, 0.5], 3: [0.6, 0.8]}
    rows = [
        {"seed": seed, "scope": "own shard", "position": j, "kind": "majority", "accuracy": a}
        for seed, values in own.items()
        for j, a in enumerate(values)
    ] + [
        {"seed": seed, "scope": "pooled", "position": -1, "kind": "majority", "accuracy": a}
        for seed, a in ((1, 0.99), (2, 0.97), (3, 0.995))
    ]
    table = reference_intervals(pd.DataFrame(rows)).set_index(["kind", "scope"])
    means = np.array([0.4, 0.5, 0.7])
    half = stats.t.ppf(0.975, 2) * means.std(ddof=1) / np.sqrt(3)
    row = table.loc[("majority", "own shard")]
    assert (row["n"], row["n_positions"]) == (3, 2)
    assert row["mean"] == pytest.approx(means.mean())
    assert row["low"] == pytest.approx(max(means.mean() - half, 0.0))
    assert row["high"] == pytest.approx(means.mean() + half)
    pooled = table.loc[("majority", "pooled")]
    assert pooled["high"] == 1.0 and pooled["n_positions"] == 1 and pooled["n"] == 3


def test_mixed_society_sweep_figure_draws_the_references_at_their_means(tmp_path):
    from synthetic_sweeps import synthetic_sweep

    from experiments import reference

    aggregate = synthetic_sweep("mixed_society", tmp_path)
    figure = EXPERIMENTS["mixed_society"].aggregate_figures(aggregate)["mixed_society"]
    summary = aggregate.summary
    expected = summary[(summary["role"] == "reference") & (summary["metric"] == "accuracy")]
    drawn = {
        (line.get_label(), round(float(line.get_ydata()[0]), 9), line.get_linestyle())
        for ax in figure.axes
        for line in ax.lines
        if line.get_label().startswith("reference")
    }
    styles = {"own shard": ":", "pooled": "--"}
    assert drawn == {
        (
            f"{reference.legend_label(kind)}, {scope}",
            round(float(mean), 9),
            styles[scope],
        )
        for kind, scope, mean in zip(expected["type"], expected["condition"], expected["mean"])
    }
    assert len(drawn) > 0


# ----------------------------------------------------------------------------
# smart_city
# ----------------------------------------------------------------------------
def test_smart_city_agents_per_intersection(tmp_path):
    settings = dataclasses.replace(
        smart_city.Settings.quick(),
        city_params={"seed": 0, "rows": 3, "cols": 3, "n_days": 4},
        protocols=("isolated", "teach", "gossip"),
        rounds=2,
        final_rounds=1,
        local_batch=8,
        protocol_params={"teach": {"demonstrations": 4, "labels": "true"}},
        n_eval=40,
        n_local_eval=10,
        n_seeds=1,
    )
    path = run_experiment("smart_city", settings=settings, out=tmp_path)
    metrics = pd.read_csv(path / "metrics.csv")
    references = metrics[metrics["protocol"] == smart_city.REFERENCE]
    metrics = metrics[metrics["protocol"] != smart_city.REFERENCE]
    assert set(references["type"]) == set(smart_city.REFERENCES)
    assert {
        "type",
        "protocol",
        "row",
        "col",
        "round",
        "degree",
        "local_accuracy",
        "city_accuracy",
        "messages",
    } <= set(metrics.columns)
    assert len(metrics) == 3 * 9 * 2  # protocols x intersections x rounds
    assert metrics[["local_accuracy", "city_accuracy"]].stack().between(0, 1).all()
    # the road grid: corners have 2 roads, the centre 4
    degree = metrics.drop_duplicates(["row", "col"]).set_index(["row", "col"])["degree"]
    assert degree[(0, 0)] == 2 and degree[(1, 1)] == 4
    messages = metrics.set_index("protocol")
    assert (messages.loc["isolated", "messages"] == 0).all()
    assert (messages.loc["gossip", "messages"] == messages.loc["gossip", "degree"]).all()
    assert (messages.loc["teach", "messages"] == 4 * messages.loc["teach", "degree"]).all()

    task = load_task("city_traffic", seed=0, rows=3, cols=3, n_days=4)
    intersections = pd.read_csv(path / "intersections.csv")
    assert len(intersections) == 9 and intersections["majority_baseline"].between(0, 1).all()
    counts = np.bincount(task.metadata["node_train"], minlength=9)
    nodes = task.metadata["nodes"]
    for row in intersections.itertuples():
        assert row.n_train == counts[nodes.index((row.row, row.col))]
        assert row.n_local_eval == 10
    assert len(pd.read_csv(path / "roads.csv")) == task.graph.number_of_edges() == 12
    # the reference rows: the same local test hours the agents are scored on
    intersections = intersections.set_index(["row", "col"])
    for name in ("persistence", "majority", "logistic_own"):
        rows = references[references["type"] == name].drop_duplicates(["row", "col"])
        column = intersections[f"{name}_baseline"]
        np.testing.assert_allclose(
            rows.set_index(["row", "col"])["local_accuracy"],
            column[rows.set_index(["row", "col"]).index],
        )

    _figures_ok(path, ["city_map_ann", "city_learning"])

    again = run_experiment("smart_city", settings=settings, out=tmp_path / "again")
    assert (again / "metrics.csv").read_bytes() == (path / "metrics.csv").read_bytes()


def test_smart_city_summary_pairs_by_intersection_with_intervals():
    from experiments.stats import paired_difference

    settings = dataclasses.replace(
        smart_city.Settings.quick(),
        agent_types=("ann", "snn"),
        protocols=("isolated", "teach"),
        rounds=1,
        final_rounds=1,
    )
    nodes = [(0, 0), (0, 1), (1, 0), (1, 1)]
    local = {  # (type, protocol) -> accuracy at each intersection, one seed
        ("ann", "isolated"): [0.70, 0.60, 0.80, 0.75],
        ("ann", "teach"): [0.72, 0.66, 0.81, 0.80],
        ("snn", "isolated"): [0.60, 0.50, 0.70, 0.65],
        ("snn", "teach"): [0.65, 0.52, 0.78, 0.66],
        ("persistence", smart_city.REFERENCE): [0.70, 0.70, 0.70, 0.70],
    }
    metrics = pd.DataFrame(
        [
            dict(
                seed=0,
                type=kind,
                protocol=protocol,
                row=row,
                col=col,
                round=1,
                local_accuracy=value,
                city_accuracy=0.7,
            )
            for (kind, protocol), values in local.items()
            for (row, col), value in zip(nodes, values)
        ]
    )
    intersections = pd.DataFrame([dict(row=row, col=col, n_local_eval=30) for row, col in nodes])
    text = smart_city._summary(Result(metrics, tables={"intersections": intersections}), settings)

    def paired(a, b):
        return paired_difference(local[a], local[b], bounds=(0, 1))

    gain = paired(("snn", "teach"), ("snn", "isolated"))
    assert gain.n == 4 and gain.low < gain.mean < gain.high
    assert f"| {gain} | 4 of 4 |" in text  # taught minus alone, paired by intersection
    for protocol in ("isolated", "teach"):
        difference = paired(("snn", protocol), ("ann", protocol))
        assert f"| spiking (STDP) minus MLP (backprop) | {protocol} | {difference} |" in text


def test_smart_city_persistence_reads_the_hour_before_off_the_simulation():
    task = load_task("city_traffic", seed=1, rows=3, cols=3, n_days=4)
    meta = task.metadata
    low, high = meta["params"]["thresholds"]
    hours, nodes = np.asarray(meta["hour_test"]), np.asarray(meta["node_test"])
    forecast = smart_city.persistence_forecast(task, hours, nodes)
    for hour, node, predicted in zip(hours[:50], nodes[:50], forecast[:50]):
        load = meta["flow"][hour - 1, node] / meta["capacity"][node]
        assert predicted == (0 if load < low else 1 if load < high else 2)
    # "this hour" of a sample is its target hour minus one: the label one hour later
    # is read off the same load (the label definition), so persistence is imperfect
    assert 0.4 < np.mean(forecast == task.y_test) < 1.0


def test_smart_city_references_match_scikit_learn_on_the_same_rows():
    from sklearn.linear_model import LogisticRegression

    task = load_task("city_traffic", seed=0, rows=3, cols=3, n_days=4)
    nodes = list(task.graph.nodes)
    rows = smart_city.local_test_rows(task, nodes, None, np.random.default_rng(0))
    predictions = smart_city.reference_predictions(task, nodes, rows)
    city = LogisticRegression(max_iter=5000).fit(task.X_train, task.y_train)
    own = np.asarray(task.metadata["node_train"]) == 4
    local = LogisticRegression(max_iter=5000).fit(task.X_train[own], task.y_train[own])
    k = task.metadata["nodes"].index(nodes[4])
    assert k == 4
    for node_rows, predicted in zip(rows, predictions["logistic_city"]):
        np.testing.assert_array_equal(predicted, city.predict(task.X_test[node_rows]))
    np.testing.assert_array_equal(
        predictions["logistic_own"][4], local.predict(task.X_test[rows[4]])
    )
    majority = np.bincount(task.y_train[own], minlength=3).argmax()
    assert (predictions["majority"][4] == majority).all()


# ----------------------------------------------------------------------------
# brain_synchrony
# ----------------------------------------------------------------------------
def test_critical_coupling_and_laplacian_gap():
    critical = brain_synchrony.critical_coupling([0, 10, 20], [0.3, 0.5, 0.9], 0.7)
    assert critical == pytest.approx(15.0)
    assert brain_synchrony.critical_coupling([0, 10], [0.8, 0.9], 0.7) == 0.0
    assert np.isnan(brain_synchrony.critical_coupling([0, 10], [0.3, 0.4], 0.7))
    for n in (5, 8):  # a cycle's random-walk matrix has eigenvalues cos(2 pi k / n)
        gap = brain_synchrony.normalised_laplacian_gap(nx.cycle_graph(n))
        assert gap == pytest.approx(1 - np.cos(2 * np.pi / n))
    assert brain_synchrony.normalised_laplacian_gap(nx.complete_graph(6)) == pytest.approx(6 / 5)


def test_seed_critical_couplings_cross_each_seed_s_own_curve():
    # two seeds with straight-line curves through known crossings of the half-way level
    # (independent level 0.2 -> level 0.6), listed out of coupling order; a third never crosses
    couplings = [20.0, 0.0, 10.0]
    curves = {1: [1.0, 0.2, 0.6], 2: [0.8, 0.2, 0.4], 3: [0.3, 0.2, 0.25]}
    metrics = pd.DataFrame(
        [
            {
                "topology": "ring",
                "coupling": c,
                "seed": seed,
                "order_parameter": r,
                "independent_level": 0.2,
            }
            for seed, curve in curves.items()
            for c, r in zip(couplings, curve)
        ]
    )
    found = brain_synchrony.seed_critical_couplings(metrics, "ring")
    assert found[:2] == pytest.approx([10.0, 15.0])  # seed 2: 10 + (0.6 - 0.4) / 0.4 * 10
    assert np.isnan(found[2])


def test_brain_synchrony_summary_gives_the_firing_rate_with_its_interval_over_seeds():
    from scipy import stats

    couplings = [0.0, 10.0, 20.0]
    curves = {1: [0.2, 0.6, 1.0], 2: [0.2, 0.4, 0.8], 3: [0.2, 0.25, 0.3]}
    rates = {1: [40.0, 60.0, 100.0], 2: [42.0, 70.0, 120.0], 3: [38.0, 65.0, 140.0]}
    metrics = pd.DataFrame(
        [
            {
                "topology": topology,
                "coupling": c,
                "seed": seed,
                "order_parameter": r,
                "independent_level": 0.2,
                "mean_rate_hz": rate + (topology == "complete") * 10.0,
            }
            for topology in ("ring", "complete")
            for seed, curve in curves.items()
            for c, r, rate in zip(couplings, curve, rates[seed])
        ]
    )
    graphs = pd.DataFrame(
        {
            "topology": ["ring", "complete"],
            "laplacian_gap": [0.5, 1.2],
            "laplacian_eigenratio": [4.0, 1.0],
            "metropolis_gap": [0.3, 0.9],
        }
    )
    settings = dataclasses.replace(
        brain_synchrony.Settings.quick(), topologies=("ring", "complete"), couplings_mv=couplings
    )
    text = brain_synchrony._summary(Result(metrics, tables={"graphs": graphs}), settings)
    # per seed the mean over the two topologies (the complete graph's 10 Hz more), then over seeds
    strong = np.array([100.0, 120.0, 140.0]) + 5.0
    half = stats.t.ppf(0.975, 2) * strong.std(ddof=1) / np.sqrt(3)
    weak = stats.t.ppf(0.975, 2) * 2.0 / np.sqrt(3)  # 45, 47, 43 Hz
    assert f"): 45 [{45 - weak:.0f}, {45 + weak:.0f}] Hz without coupling" in text
    assert (
        f"{strong.mean():.0f} [{strong.mean() - half:.0f}, {strong.mean() + half:.0f}] Hz at 20 mV"
        in text
    )


def test_brain_synchrony_transition(tmp_path):
    settings = dataclasses.replace(
        brain_synchrony.Settings.quick(),
        topologies=("ring", "complete"),
        n_agents=4,
        couplings_mv=(0.0, 20.0),
        duration_ms=500.0,
        transient_ms=150.0,
        example_topology="complete",
    )
    path = run_experiment("brain_synchrony", settings=settings, out=tmp_path)
    metrics = pd.read_csv(path / "metrics.csv")
    assert {
        "topology",
        "coupling",
        "seed",
        "order_parameter",
        "independent_level",
        "mean_rate_hz",
        "mean_frequency_hz",
    } <= set(metrics.columns)
    assert len(metrics) == 2 * 2
    assert metrics["order_parameter"].between(0, 1).all()
    R = metrics.set_index(["topology", "coupling"])["order_parameter"]
    # uncoupled agents on either graph are the same independent agents (same seed), whose
    # phases are independent: E[R^2] = 1/N, far from locking
    assert R[("ring", 0.0)] == pytest.approx(R[("complete", 0.0)])
    assert R[("ring", 0.0)] < 0.75
    # strong coupling locks the rhythms: all-to-all almost fully, the sparser ring less
    # (it passes phase differences on neighbour by neighbour), but clearly above the
    # uncoupled level
    assert R[("complete", 20.0)] > 0.85
    assert R[("ring", 20.0)] > 0.75 and R[("ring", 20.0)] > R[("ring", 0.0)] + 0.1
    rates = pd.read_csv(path / "example_rates.csv")
    assert set(rates["agent"]) == set(range(4)) and (rates["rate_hz"] >= 0).all()
    _figures_ok(path, ["synchrony_transition", "example_rhythms"])
    assert "critical coupling" in (path / "summary.md").read_text().lower()
