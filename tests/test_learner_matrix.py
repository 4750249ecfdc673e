"""The learner matrix: every kind of task, the two-factor decomposition recomputed by hand."""

import numpy as np
import pandas as pd
import pytest
from test_experiments import run_tiny

import experiments.learner_matrix as learner_matrix


@pytest.mark.slow  # about 20 s, most of it drawing the figures
def test_learner_matrix_decomposes_into_spikes_and_rule_on_classification_and_regression(
    tmp_path,
):
    path, metrics = run_tiny(
        "learner_matrix",
        tmp_path,
        tasks=("xor", "seed_regression", "digits"),
        n_seeds=2,
        n_val=30,
        hidden_units=8,
        epochs=2,
        task_epochs={"xor": 3, "seed_regression": 2},
        forgetting_epochs=1,
        spiking_params={"n_steps": 5},
        include_stdp=False,  # the STDP network's Brian2 runs would take minutes here
    )
    # the reference learners' rows: 4 per classification task and seed, 3 for the regression
    references = metrics[metrics.rule == learner_matrix.REFERENCE]
    assert len(references) == (2 * 4 + 3) * 2
    assert (references.neurons == learner_matrix.REFERENCE).all()
    assert references.test_score.notna().all() and references.noisy_score.isna().all()
    references = references.set_index(["task", "learner", "seed"]).sort_index()
    # 1-NN reproduces xor's four points exactly
    assert (references.loc[("xor", "nearest_neighbour"), "test_score"] == 1.0).all()
    assert set(references.loc["seed_regression"].index.get_level_values("learner")) == {
        "ridge",
        "nearest_neighbour",
        "mean",
    }
    assert not (path / "references.csv").exists()
    metrics = metrics[metrics.rule != learner_matrix.REFERENCE]
    assert sorted(metrics.learner.unique()) == sorted(learner_matrix.DESIGN)
    assert len(metrics) == 3 * 4 * 2
    classification = metrics.task != "seed_regression"
    for column in ("test_score", "noisy_score", "val_score"):
        assert metrics.loc[classification, column].between(0, 1).all()
        assert (metrics.loc[~classification, column] <= 1).all()  # R^2
    for column in ("training_joules", "joules_per_prediction"):
        assert (metrics[column].dropna() > 0).all()
        assert metrics.loc[metrics.neurons == "spiking", column].notna().all()
    digits = metrics.task == "digits"
    assert metrics.loc[digits, "forgetting"].between(-1, 1).all()
    assert metrics.loc[~digits, "forgetting"].isna().all()
    # xor's four points are its training, validation and test splits.
    assert (metrics.loc[metrics.task == "xor", ["n_fit", "n_val", "n_test"]] == 4).all().all()
    assert "| xor | 1-nearest neighbour | 1.000 |" not in (path / "summary.md").read_text()
    assert "| xor | 1-nearest neighbour | 1.000 [" in (path / "summary.md").read_text()
    curves = pd.read_csv(path / "curves.csv")
    assert curves.loc[curves.task == "xor", "epoch"].max() == 3
    # The decomposition, recomputed by hand from the cells of metrics.csv, per task.
    effects = pd.read_csv(path / "effects.csv").set_index(["task", "metric", "effect"])
    for task in ("xor", "seed_regression", "digits"):
        cells = metrics[metrics.task == task].pivot(
            index="seed", columns="learner", values="test_score"
        )
        spikes = (
            cells.spiking_backprop
            + cells.spiking_feedback_alignment
            - cells.rate_backprop
            - cells.rate_feedback_alignment
        ) / 2
        interaction = (cells.spiking_feedback_alignment - cells.spiking_backprop) - (
            cells.rate_feedback_alignment - cells.rate_backprop
        )
        row = effects.loc[(task, "test_score", "spikes")]
        assert row["mean"] == pytest.approx(spikes.mean())
        assert row["low"] <= spikes.mean() <= row["high"]
        assert effects.loc[(task, "test_score", "interaction"), "mean"] == pytest.approx(
            interaction.mean()
        )
    for (_, metric, _), row in effects.iterrows():
        assert bool(row["log10"]) == learner_matrix.METRICS[metric][1]
    summary = (path / "summary.md").read_text()
    assert "accounted for by" in summary and "95% interval" in summary
    for task in ("xor", "seed_regression", "digits"):
        assert f"- {task}: " in summary


def test_attribution_names_the_factor_whose_interval_excludes_zero():
    def rows(spikes, rule, interaction):
        return pd.DataFrame(
            [
                {"effect": name, "mean": np.mean(bounds), "low": bounds[0], "high": bounds[1]}
                for name, bounds in (
                    ("spikes", spikes),
                    ("rule", rule),
                    ("interaction", interaction),
                )
            ]
        )

    assert learner_matrix.attribute(rows((0.1, 0.3), (-0.1, 0.1), (-0.2, 0.2))) == "spikes"
    assert (
        learner_matrix.attribute(rows((-0.1, 0.1), (-0.3, -0.1), (-0.2, 0.2)))
        == "the learning rule"
    )
    assert learner_matrix.attribute(rows((-0.1, 0.1), (-0.1, 0.1), (-0.2, 0.2))).startswith(
        "neither"
    )
    assert learner_matrix._factor("mostly spikes; both main effects resolved") == "spikes"


def test_skill_is_chance_corrected_accuracy_or_r2():
    from experiments._curves import chance_corrected, chance_of

    np.testing.assert_allclose(chance_corrected([0.1, 1.0], chance_of(10)), [0.0, 1.0])
    # R^2 (chance 0) comes back bit for bit
    assert chance_corrected([-0.5, 0.9], chance_of(None)).tolist() == [-0.5, 0.9]


def test_mlp_to_stdp_splits_the_difference_into_spikes_then_rule():
    """Made-up cells: STDP minus MLP must be the spikes step plus the rule step, seed by seed."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(4):
        for learner in (*learner_matrix.DESIGN, learner_matrix.STDP):
            rows.append(
                {
                    "task": "iris",
                    "learner": learner,
                    "seed": seed,
                    "test_score": rng.uniform(0.5, 1.0),
                    "training_joules": rng.uniform(1e-6, 1e-4),
                }
            )
    metrics = pd.DataFrame(rows)
    split = learner_matrix.mlp_to_stdp(metrics).set_index(["metric", "part"])
    cells = metrics.pivot(index="seed", columns="learner", values="test_score")
    spikes = cells.spiking_backprop - cells.rate_backprop
    rule = cells.stdp - cells.spiking_backprop
    assert split.loc[("test_score", "spikes"), "mean"] == pytest.approx(spikes.mean())
    assert split.loc[("test_score", "rule"), "mean"] == pytest.approx(rule.mean())
    assert split.loc[("test_score", "total"), "mean"] == pytest.approx((spikes + rule).mean())
    energy = np.log10(metrics.pivot(index="seed", columns="learner", values="training_joules"))
    assert split.loc[("training_joules", "total"), "mean"] == pytest.approx(
        (energy.stdp - energy.rate_backprop).mean()
    )

    def parts(spikes, rule):
        return pd.DataFrame(
            [
                {"part": part, "mean": np.mean(bounds), "low": bounds[0], "high": bounds[1]}
                for part, bounds in (("total", (0.0, 1.0)), ("spikes", spikes), ("rule", rule))
            ]
        )

    assert learner_matrix.split_verdict(parts((0.1, 0.3), (-0.05, 0.05))) == "spikes"
    assert (
        learner_matrix.split_verdict(parts((0.1, 0.3), (-0.9, -0.5)))
        == "both; mostly the learning rule"
    )
    assert learner_matrix.split_verdict(parts((-0.1, 0.3), (-0.2, 0.5))) == (
        "neither step resolved"
    )
    assert learner_matrix.mlp_to_stdp(metrics[metrics.learner != "stdp"]).empty


def test_reference_lines_give_each_task_and_reference_with_its_interval():
    from scipy import stats

    scores = [0.5, 0.7, 0.9]
    table = pd.DataFrame(
        [
            {"task": "digits", "seed": seed, "kind": "logistic_regression", "test_score": value}
            for seed, value in enumerate(scores)
        ]
    )
    half = stats.t.ppf(0.975, 2) * np.std(scores, ddof=1) / np.sqrt(3)
    lines = learner_matrix.reference_lines(table)
    assert 0.7 + half > 1  # the t interval runs past 1; a test score's is clipped there
    assert (
        f"| digits | logistic regression (raw inputs) | 0.700 [{0.7 - half:.3f}, 1.000] |" in lines
    )
    assert learner_matrix.reference_lines(None) == []


def _tiny_settings(**changes):
    import dataclasses

    tiny = dict(
        tasks=("xor",),
        n_seeds=1,
        hidden_units=4,
        epochs=1,
        task_epochs={"xor": 2},
        spiking_params={"n_steps": 3},
        include_stdp=False,
    )
    return dataclasses.replace(learner_matrix.Settings.quick(), **{**tiny, **changes})


def test_learner_matrix_metrics_hold_the_reference_learners_on_the_same_splits():
    """The reference rows are in metrics.csv, scored as scikit-learn scores them on the
    learners' splits (xor: its four points), and the effects and summary table skip them."""
    from sklearn.linear_model import LogisticRegression

    from tasks import load_task

    settings = _tiny_settings()
    result = learner_matrix.run(settings, seed=0)
    metrics = result.metrics
    references = metrics[metrics.rule == learner_matrix.REFERENCE]
    assert len(references) == 4  # the 4 classification references
    assert set(references.learner) == set(learner_matrix.reference.CLASSIFICATION)
    for seed in set(metrics.seed):
        task = load_task("xor", seed=seed)
        expected = LogisticRegression(max_iter=5000).fit(task.X_train, task.y_train)
        row = references[(references.seed == seed) & (references.learner == "logistic_regression")]
        assert row.test_score.item() == pytest.approx(expected.score(task.X_test, task.y_test))
        assert row[["n_fit", "n_val", "n_test"]].values.tolist() == [[4, 4, 4]]
    # the analyses see the four cells only, as without the reference rows
    learners = metrics[metrics.rule != learner_matrix.REFERENCE]
    pd.testing.assert_frame_equal(learner_matrix.effects(metrics), learner_matrix.effects(learners))
    table = learner_matrix.reference_table(result)
    assert list(table.columns) == ["task", "seed", "kind", "test_score"] and len(table) == 4
    summary = learner_matrix._summary(result, settings)
    for line in learner_matrix.reference_lines(table)[-4:]:
        assert line in summary
    assert "| xor | logistic_regression |" not in summary  # not in the learners' table


def test_reference_table_reads_an_older_runs_references():
    """A run saved before the reference rows moved into metrics.csv kept them in
    references.csv (``tables["references"]``): its summary still finds them."""
    old = pd.DataFrame([{"task": "xor", "seed": 1, "kind": "majority", "test_score": 0.5}])
    metrics = pd.DataFrame([{"task": "xor", "learner": "rate_backprop", "rule": "backprop"}])
    result = learner_matrix.Result(metrics, tables={"references": old})
    assert learner_matrix.reference_table(result) is old


def test_effects_on_a_bounded_metric_are_clipped_to_the_range_a_difference_can_take():
    """Forgetting lies in [-1, 1], so a main effect (a difference of two means) lies in
    [-2, 2]: the t interval of two seeds, far wider, is clipped there; a log10 ratio's
    interval is not clipped."""
    from scipy import stats

    cells = {  # seed -> (rate_backprop, rate_fa, spiking_backprop, spiking_fa)
        0: (-1.0, -1.0, 1.0, 1.0),
        1: (-1.0, -1.0, 0.5, 0.5),
    }
    metrics = pd.DataFrame(
        [
            {
                "task": "digits",
                "learner": learner,
                "seed": seed,
                "forgetting": value,
                "training_joules": 10.0 ** (seed + k),
            }
            for seed, values in cells.items()
            for k, (learner, value) in enumerate(zip(learner_matrix.DESIGN, values))
        ]
    )
    table = learner_matrix.effects(metrics).set_index(["metric", "effect"])
    spikes = table.loc[("forgetting", "spikes")]
    per_seed = np.array([2.0, 1.5])
    half = stats.t.ppf(0.975, 1) * per_seed.std(ddof=1) / np.sqrt(2)
    assert spikes["mean"] == pytest.approx(1.75)
    assert 1.75 + half > 2 and spikes["high"] == 2.0
    assert spikes["low"] == pytest.approx(1.75 - half)
    assert learner_matrix.effect_bounds("forgetting", "interaction") == (-4.0, 4.0)
    assert learner_matrix.effect_bounds("training_joules", "spikes") == (-np.inf, np.inf)
    assert learner_matrix.effect_bounds("test_score", "rule") == (-np.inf, np.inf)  # R^2
