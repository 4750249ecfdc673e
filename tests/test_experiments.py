"""Every learner experiment end to end at a tiny setting: CSV, figures, summary, replot.

The settings here are smaller than the quick presets (tiny spiking networks,
short presentations, tens of samples); what is checked is the plumbing and
the shape and range of the results, plus a few behaviours that hold even at
this size (backprop forgets digits 0-4 after learning 5-9).
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import EXPERIMENTS
from experiments.runner import replot, run_experiment

TINY_SNN = {"n_neurons": 8, "presentation_time_ms": 40, "rest_time_ms": 10, "epochs": 1}


def tiny(name, **overrides):
    settings = EXPERIMENTS[name].settings.quick()
    fields = {f.name for f in dataclasses.fields(settings)}
    values = {}
    if "params" in fields:
        params = {kind: dict(p) for kind, p in settings.params.items()}
        params["snn"] = {**params.get("snn", {}), **TINY_SNN}
        values["params"] = params
    for key, value in (("n_train", 40), ("n_test", 30), ("n_seeds", 1)):
        if key in fields:
            values[key] = value
    values.update(overrides)
    return dataclasses.replace(settings, **values)


def run_tiny(name, tmp_path, **overrides):
    path = run_experiment(name, settings=tiny(name, **overrides), seed=0, out=tmp_path)
    figures = sorted((path / "figures").glob("*.png"))
    assert figures and all(f.stat().st_size > 5000 for f in figures)
    assert (path / "summary.md").read_text().startswith("# ")
    replot(name, path)  # redraws from the saved CSVs alone
    return path, pd.read_csv(path / "metrics.csv")


def test_every_learner_experiment_is_registered_in_order():
    names = list(EXPERIMENTS)
    expected = [
        "task_benchmark",
        "learning_curves",
        "stdp_window",
        "receptive_fields",
        "continual_learning",
        "noise_robustness",
        "rule_zoo",
        "learner_matrix",
    ]
    assert names[: len(expected)] == expected


def test_task_benchmark(tmp_path):
    path, metrics = run_tiny(
        "task_benchmark",
        tmp_path,
        tasks=("xor", "seed_regression"),
        checkpoints_per_epoch=1,
        small_task_epochs={"ann": 300, "snn": 3},
    )
    assert set(metrics.kind) == {"ann", "snn"} and set(metrics.task) == {"xor", "seed_regression"}
    xor = metrics[metrics.task == "xor"].set_index("kind")
    assert xor.loc["ann", "score"] == 1.0
    assert set(metrics.unit) == {"MAC", "SOP"}
    assert (metrics.training_joules > 0).all() and (metrics.joules_per_inference > 0).all()
    assert (metrics.samples_to_90 <= metrics.n_train * metrics.epochs).all()
    assert "train_seconds" in pd.read_csv(path / "timings.csv")


def test_learning_curves(tmp_path):
    _, metrics = run_tiny(
        "learning_curves", tmp_path, checkpoints_per_epoch=2, epochs={"ann": 3, "snn": 1}
    )
    assert set(metrics.kind) == {"ann", "snn"}
    ann = metrics[metrics.kind == "ann"].sort_values("samples_seen")
    assert ann.samples_seen.tolist() == [20, 40, 60, 80, 100, 120]
    assert ann.score.iloc[-1] > ann.score.iloc[0] and ann.score.iloc[-1] > 0.3  # chance is 0.1
    assert metrics.score.between(0, 1).all()


def test_stdp_window_matches_theory(tmp_path):
    _, metrics = run_tiny(
        "stdp_window",
        tmp_path,
        delta_t_ms=(-40.0, -10.0, 10.0, 40.0),
        n_pairings=3,
        rules=("stdp",),
    )
    assert list(metrics.rule.unique()) == ["stdp"]
    np.testing.assert_allclose(metrics.simulated, metrics.theory, rtol=0.02, atol=1e-9)
    assert (np.sign(metrics.simulated) == np.sign(metrics.delta_t_ms)).all()


def test_receptive_fields(tmp_path):
    path, metrics = run_tiny(
        "receptive_fields", tmp_path, n_units=8, params={"ann": {"epochs": 5}, "snn": TINY_SNN}
    )
    weights = pd.read_csv(path / "weights.csv")
    assert set(weights.kind) == {"ann", "snn"}
    assert len(weights[weights.kind == "snn"]) == 8 * 64
    assert (weights[weights.kind == "snn"].weight >= 0).all()


def test_continual_learning_shows_backprop_forgetting(tmp_path):
    _, metrics = run_tiny(
        "continual_learning",
        tmp_path,
        n_train=60,
        epochs={"ann": 10, "snn": 1},
        checkpoints_per_epoch=1,
    )
    forgetting = experiments.continual_learning.forgetting(metrics).set_index("kind")
    assert forgetting.loc["ann", "first"] > 0.8  # learned 0-4 ...
    assert forgetting.loc["ann", "forgetting"] > 0.5  # ... and forgot most of it
    assert metrics.accuracy.between(0, 1).all()


def test_noise_robustness(tmp_path):
    _, metrics = run_tiny(
        "noise_robustness",
        tmp_path,
        n_train=100,
        levels={"gaussian_noise": (0.0, 0.6), "pixel_dropout": (0.0, 0.8)},
        params={"ann": {"epochs": 20}, "snn": TINY_SNN},
    )
    ann = metrics[metrics.kind == "ann"].set_index(["corruption", "level"]).accuracy
    assert ann[("pixel_dropout", 0.8)] < ann[("pixel_dropout", 0.0)]
    assert ann[("gaussian_noise", 0.6)] < ann[("gaussian_noise", 0.0)]
    # the reference rows: scikit-learn's models fitted on the learners' own training sample
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    from core.random import child_seeds
    from experiments.learners import subsample
    from tasks import load_task

    (run_seed,) = child_seeds(0, 1)
    task = load_task("digits", seed=run_seed)
    rng = np.random.default_rng(run_seed)
    X_train, y_train = subsample(task.X_train, task.y_train, 100, rng)
    X_test, y_test = subsample(task.X_test, task.y_test, 30, rng)
    clean = metrics[(metrics.corruption == "gaussian_noise") & (metrics.level == 0.0)]
    clean = clean.set_index("kind").accuracy
    expected = {
        "logistic_regression": LogisticRegression(max_iter=5000),
        "nearest_neighbour": KNeighborsClassifier(n_neighbors=1),
    }
    for name, model in expected.items():
        assert clean[name] == model.fit(X_train, y_train).score(X_test, y_test)
    assert clean["majority"] == np.mean(y_test == np.bincount(y_train).argmax())
    assert {"kmeans_vote", "ann", "snn"} <= set(clean.index)


def test_corrupt_rejects_unknown_corruption():
    with pytest.raises(ValueError, match="blur"):
        experiments.noise_robustness.corrupt(
            np.zeros((2, 2)), "blur", 0.1, np.random.default_rng(0)
        )


def test_rule_zoo_picks_up_a_newly_registered_rule(tmp_path, monkeypatch):
    import ann
    import snn

    monkeypatch.setattr(ann, "RULES", {"backprop": ann.RULES["backprop"]})
    monkeypatch.setattr(snn, "RULES", {"stdp": snn.RULES["stdp"], "oja": snn.RULES["oja"]})
    _, metrics = run_tiny("rule_zoo", tmp_path, params={"ann": {"epochs": 5}, "snn": TINY_SNN})
    assert list(zip(metrics.kind, metrics.rule)) == [
        ("ann", "backprop"),
        ("snn", "stdp"),
        ("snn", "oja"),
    ]


def test_learner_matrix_decomposes_into_spikes_and_rule(tmp_path):
    path, metrics = run_tiny(
        "learner_matrix",
        tmp_path,
        n_seeds=2,
        n_val=30,
        hidden_units=8,
        epochs=2,
        forgetting_epochs=1,
        spiking_params={"n_steps": 5},
        include_stdp=False,  # the STDP network's Brian2 runs would take minutes here
    )
    assert sorted(metrics.learner.unique()) == sorted(experiments.learner_matrix.DESIGN)
    assert len(metrics) == 4 * 2
    for column in ("test_accuracy", "noisy_accuracy", "val_accuracy"):
        assert metrics[column].between(0, 1).all()
    for column in ("training_joules", "joules_per_prediction"):
        assert (metrics[column].dropna() > 0).all()
        assert metrics.loc[metrics.neurons == "spiking", column].notna().all()
    assert metrics.forgetting.between(-1, 1).all()
    # The decomposition, recomputed by hand from the cells of metrics.csv.
    effects = pd.read_csv(path / "effects.csv").set_index(["metric", "effect"])
    cells = metrics.pivot(index="seed", columns="learner", values="test_accuracy")
    spikes = (
        cells.spiking_backprop
        + cells.spiking_feedback_alignment
        - cells.rate_backprop
        - cells.rate_feedback_alignment
    ) / 2
    interaction = (cells.spiking_feedback_alignment - cells.spiking_backprop) - (
        cells.rate_feedback_alignment - cells.rate_backprop
    )
    assert effects.loc[("test_accuracy", "spikes"), "mean"] == pytest.approx(spikes.mean())
    assert effects.loc[("test_accuracy", "interaction"), "mean"] == pytest.approx(
        interaction.mean()
    )
    low, high = effects.loc[("test_accuracy", "spikes"), ["low", "high"]]
    assert low <= spikes.mean() <= high
    for (metric, _), row in effects.iterrows():
        assert bool(row["log10"]) == experiments.learner_matrix.METRICS[metric][1]
    summary = (path / "summary.md").read_text()
    assert "accounted for by" in summary and "95% interval" in summary
