"""Every learner experiment end to end at a tiny setting: CSV, figures (drawn from the saved
CSVs, as replot draws them), summary.

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
from experiments.runner import run_experiment
from tasks import load_task

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
        "energy_to_accuracy",
        "learner_matrix",
    ]
    assert names[: len(expected)] == expected


def _tiny_split(name, n_train, n_test, classification):
    """The training order and test sample task_benchmark / learning_curves give seed 0."""
    from core.random import child_seeds
    from experiments._curves import nested_order
    from experiments.learners import subsample

    (run_seed,) = child_seeds(0, 1)
    task = load_task(name, seed=run_seed)
    rng = np.random.default_rng(run_seed)
    X, y = subsample(task.X_train, task.y_train, n_train, rng, stratify=classification)
    order = nested_order(y, rng, stratify=classification)
    X_test, y_test = subsample(task.X_test, task.y_test, n_test, rng, stratify=classification)
    return X[order], y[order], X_test, y_test


def test_task_benchmark(tmp_path):
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor

    path, metrics = run_tiny(
        "task_benchmark",
        tmp_path,
        tasks=("xor", "seed_regression"),
        small_task_epochs={"ann": 300, "snn": 3},
        max_epochs={"ann": 20, "snn": 1},
        ablation_tasks=("xor",),
        params={
            "ann": experiments.task_benchmark.Settings().params["ann"],
            "snn": {"xor": TINY_SNN, "seed_regression": TINY_SNN},
        },
    )
    learners = metrics[metrics.kind.isin(["ann", "snn"])]
    assert set(learners.task) == {"xor", "seed_regression"}
    xor = learners[learners.task == "xor"].set_index("kind")
    assert xor.loc["ann", "score"] == 1.0
    assert set(learners.unit) == {"MAC", "SOP"}
    assert (learners.training_joules > 0).all() and (learners.joules_per_inference > 0).all()
    assert (learners.samples_to_target.dropna() <= learners.n_train.max()).all()
    assert 1 <= xor.loc["ann", "epochs"] <= 300  # chosen on the validation split
    for table in ("horowitz45_fp32", "loihi"):  # two cost tables, priced from the counts
        assert (learners[f"joules_per_inference_{table}"] > 0).all()
        assert (learners[f"training_joules_{table}"] > 0).all()
        assert f"joules_to_target_{table}" in learners
    assert "train_seconds" in pd.read_csv(path / "timings.csv")
    # reference rows, fitted on exactly the learners' training sample
    regression = metrics[metrics.task == "seed_regression"].set_index("kind")
    assert {"ridge", "nearest_neighbour", "mean"} <= set(regression.index)
    X, y, X_test, y_test = _tiny_split("seed_regression", 40, 30, classification=False)
    assert regression.loc["ridge", "score"] == pytest.approx(
        Ridge(alpha=1.0).fit(X, y).score(X_test, y_test)
    )
    assert regression.loc["nearest_neighbour", "score"] == pytest.approx(
        KNeighborsRegressor(n_neighbors=1).fit(X, y).score(X_test, y_test)
    )
    assert {"snn_no_plasticity", "logistic_regression", "majority"} <= set(
        metrics[metrics.task == "xor"].kind
    )
    curves = pd.read_csv(path / "curves.csv")
    assert sorted(curves[curves.task == "seed_regression"].n_train.unique()) == [
        8,
        40,
    ]  # fractions 0.2 and 1


def test_learning_curves(tmp_path):
    from sklearn.linear_model import LogisticRegression

    _, metrics = run_tiny("learning_curves", tmp_path, sizes=(20, 40), n_test=30, mlp_max_epochs=10)
    assert set(metrics.learner) == {
        "ann",
        "snn",
        "logistic_regression",
        "nearest_neighbour",
        "kmeans_vote",
    }
    assert (metrics.groupby("learner").n_train.apply(sorted).apply(list) == [[20, 40]] * 5).all()
    ann = metrics[metrics.learner == "ann"].set_index("n_train")
    assert ann.epochs.between(1, 10).all() and ann.score.loc[40] > 0.3  # chance is 0.1
    assert metrics.score.between(0, 1).all()
    np.testing.assert_allclose(metrics.corrected, (metrics.score - 0.1) / 0.9)
    from core.random import child_seeds
    from experiments._curves import nested_order
    from experiments.learners import subsample

    (run_seed,) = child_seeds(0, 1)
    task = load_task("digits", seed=run_seed)
    rng = np.random.default_rng(run_seed)
    order = nested_order(task.y_train, rng)
    X, y = task.X_train[order], task.y_train[order]
    X_test, y_test = subsample(task.X_test, task.y_test, 30, rng)
    logistic = metrics[metrics.learner == "logistic_regression"].set_index("n_train").score
    for n in (20, 40):
        model = LogisticRegression(max_iter=5000).fit(X[:n], y[:n])
        assert logistic.loc[n] == pytest.approx(model.score(X_test, y_test))


def test_learning_curves_summary_pairs_the_learners_by_seed_with_intervals():
    from experiments._base import Result
    from experiments.stats import paired_difference

    lc = experiments.learning_curves
    scores = {  # learner -> seed -> accuracy at 20 and 40 samples
        "ann": {0: (0.50, 0.91), 1: (0.60, 0.82), 2: (0.55, 0.85)},
        "snn": {0: (0.40, 0.80), 1: (0.50, 0.85), 2: (0.30, 0.60)},
    }
    metrics = pd.DataFrame(
        [
            {
                "learner": learner,
                "seed": seed,
                "n_train": n,
                "score": score,
                "corrected": (score - 0.1) / 0.9,
                "epochs": 5,
            }
            for learner, by_seed in scores.items()
            for seed, values in by_seed.items()
            for n, score in zip((20, 40), values)
        ]
    )
    settings = dataclasses.replace(lc.Settings(), target=0.7)
    text = lc._summary(Result(metrics), settings)
    final = paired_difference(
        [v[1] for v in scores["snn"].values()],
        [v[1] for v in scores["ann"].values()],
        bounds=(0, 1),
    )
    assert np.isfinite(final.low)
    assert f"accuracy at the largest size paired by seed: {final}." in text
    # target 0.7 chance-corrected = accuracy 0.73: the MLP reaches it at 40 on every seed,
    # the spiking network on seeds 0 and 1 only: both at 40, a difference of 0 on each
    assert "samples to target paired by seed over the 2 seed(s) where both reached it: +0" in text
    table = lc.outcomes(metrics, 0.7).set_index(["learner", "seed"])
    auc = paired_difference(table.loc["snn", "auc"], table.loc["ann", "auc"])
    assert f"AUC paired by seed (same subsets, same test set): {auc}." in text


def test_early_stopping_returns_the_best_validation_epoch():
    from ann import MLPClassifier
    from experiments._curves import early_stopped_mlp

    task = load_task("iris", seed=0)
    X_val, y_val = task.X_test[:20], task.y_test[:20]  # any held-out pair will do here

    def make(epochs):
        return MLPClassifier(hidden_layer_sizes=(8,), epochs=epochs, random_state=3)

    estimator, best, scores = early_stopped_mlp(
        make, task.X_train, task.y_train, X_val, y_val, 25, task.classes
    )
    assert len(scores) == 25 and best == int(np.argmax(scores)) + 1
    assert estimator.score(X_val, y_val) == pytest.approx(max(scores))  # the same trajectory


def test_nested_order_prefixes_are_class_balanced():
    from experiments._curves import area_under_curve, nested_order, samples_to_target

    y = np.repeat(np.arange(4), [30, 20, 25, 40])
    order = nested_order(y, np.random.default_rng(0))
    assert sorted(order) == list(range(len(y)))
    for n in (4, 8, 40, 80):
        counts = np.bincount(y[order[:n]], minlength=4)
        assert counts.max() - counts.min() <= 1
    assert area_under_curve([10, 100], [0.2, 0.6]) == pytest.approx(0.4)
    assert area_under_curve([10, 100, 1000], [0.0, 1.0, 1.0]) == pytest.approx(0.75)
    assert samples_to_target([10, 100, 1000], [0.5, 0.85, 0.9], 0.8) == 100
    assert np.isnan(samples_to_target([10, 100], [0.5, 0.6], 0.8))


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


def test_single_run_summaries_say_their_numbers_are_one_run_without_an_interval():
    from experiments._base import Result

    window = experiments.stdp_window
    metrics = pd.DataFrame(
        {
            "rule": "stdp",
            "delta_t_ms": [-10.0, 10.0],
            "simulated": [-1.0, 2.0],
            "theory": [-1.0, 2.0],
        }
    )
    text = window._summary(Result(metrics), window.Settings())
    assert "draws nothing at random" in text and "no interval" in text
    assert "| stdp | 2.00e+00 | -1.00e+00 | 0.000 |" in text
    fields = experiments.receptive_fields
    metrics = pd.DataFrame(
        {"kind": ["snn"], "accuracy": [0.9], "n_units": [8], "class_mean_correlation": [0.8]}
    )
    text = fields._summary(Result(metrics), fields.Settings())
    assert "One network of each learner, trained once" in text and "no interval" in text


@pytest.mark.slow  # about 2.5 minutes: five tasks of Brian2 runs, each with re-presentations
def test_continual_learning_runs_every_learner_in_both_scenarios(tmp_path):
    cl = experiments.continual_learning
    path, metrics = run_tiny(
        "continual_learning",
        tmp_path,
        n_train=10,
        n_test=6,
        n_neurons=(6,),
        ewc_lambdas=(10.0, 100.0),
        epochs_per_task=2,
        snn_params={"presentation_time_ms": 20.0, "rest_time_ms": 5.0},
    )
    assert set(metrics.learner) == set(cl.LABELS) and set(metrics.scenario) == {"task", "class"}
    assert metrics.accuracy.between(0, 1).all()
    table = cl.outcomes(metrics).set_index(["learner", "scenario"])
    # every learner but the end-refitted readout has the whole accuracy matrix
    assert table["bwt"].isna().groupby("learner").all().to_dict() == {
        name: name == "snn_refit_end" for name in cl.LABELS
    }
    assert table.loc[("ncm", "task"), "acc"] > 0.9  # two digits apart, by class means
    choice = pd.read_csv(path / "ewc_choice.csv")
    assert choice.groupby("seed")["chosen"].sum().eq(1).all()


def test_fine_tuned_backprop_forgets_old_classes_and_replay_keeps_some():
    cl = experiments.continual_learning
    task = load_task("digits", seed=0)
    data = cl._task_data(task, np.random.default_rng(0), 60, 30)
    settings = cl.Settings(epochs_per_task=8, replay_size=50, ann_params={"learning_rate": 0.002})
    matrices = {}
    for name, replay in (("finetune", False), ("replay", True)):
        _, rows = cl._run_mlp(data, settings, 0, 64, 10, 0.0, replay, "test")
        table = pd.DataFrame(rows).assign(learner=name)
        matrices[name] = {key[3]: R for key, R in cl.accuracy_matrices(table).items()}
    finetune = matrices["finetune"]["class"]
    assert np.diag(finetune).min() > 0.8  # each task learned ...
    assert finetune[-1, :-1].max() < 0.2  # ... and its classes lost to the next task's
    assert cl.backward_transfer(finetune) < -0.6
    replay = matrices["replay"]["class"]
    assert cl.average_accuracy(replay) > cl.average_accuracy(finetune) + 0.2
    # with the task given, a two-way choice: forgetting is far milder
    assert cl.average_accuracy(matrices["finetune"]["task"]) > cl.average_accuracy(finetune)


def test_continual_learning_readout_ablation_is_reported_paired_by_seed_with_intervals():
    from scipy import stats

    cl = experiments.continual_learning
    kept, reset = np.array([0.45, 0.50, 0.40]), np.array([0.15, 0.30, 0.10])
    rows = [
        {"learner": learner, "n_neurons": n, "seed": seed, "scenario": "class", "acc": value}
        for learner, n, values in (
            ("snn_kept", 100, kept),
            ("snn_reset", 100, reset),
            ("snn_kept", 25, kept - 0.3),  # not the largest network: not read
            ("ncm", np.nan, kept + 0.3),
        )
        for seed, value in enumerate(values)
    ]
    text = cl._interpretation(pd.DataFrame(rows), cl.Settings(n_neurons=(25, 100)))
    difference = kept - reset
    half = stats.t.ppf(0.975, 2) * difference.std(ddof=1) / np.sqrt(3)
    m = difference.mean()
    assert f"kept minus reset {m:+.3f} [{m - half:+.3f}, {m + half:+.3f}]" in text
    half_kept = stats.t.ppf(0.975, 2) * kept.std(ddof=1) / np.sqrt(3)
    assert f"ACC {kept.mean():.3f} [{kept.mean() - half_kept:.3f}, " in text
    assert "refitted at the end on every task's data n/a" in text  # no such rows
    # the spiking network (kept, largest) minus each baseline, paired by seed; the
    # task-incremental scenario and the BWT have no values here: n/a
    table = pd.DataFrame(rows).assign(bwt=np.nan)
    table.loc[table.learner == "ncm", "acc"] = kept + [0.3, 0.2, 0.4]
    lines = cl._baseline_difference_lines(table, cl.Settings(n_neurons=(25, 100)))
    half = stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3)  # differences -0.3, -0.2, -0.4
    assert lines[-1] == (
        f"| nearest class mean (pixels) | n/a | n/a | -0.300 [{-0.3 - half:+.3f}, "
        f"{-0.3 + half:+.3f}] | n/a |"
    )


def test_task_benchmark_summary_gives_every_learner_number_with_its_interval():
    from scipy import stats

    from experiments._base import Result
    from experiments.task_benchmark import Settings, _summary

    joules = {"ann": [1e-3, 2e-3, 3e-3], "snn": [4e-3, 5e-3, 9e-3]}
    metrics = pd.DataFrame(
        [
            {
                "task": "iris",
                "kind": kind,
                "seed": seed,
                "score": 0.9 - 0.1 * (kind == "snn"),
                "samples_to_target": 40.0,
                "presentations": 100.0 * (seed + 1),
                "training_joules": joules[kind][seed],
                "joules_per_inference": 1e-6,
            }
            for kind in ("ann", "snn")
            for seed in range(3)
        ]
    )
    timings = pd.DataFrame(
        [
            {"task": "iris", "kind": k, "seed": s, "train_seconds": 1.0 + s}
            for k in joules
            for s in range(3)
        ]
    )
    summary = _summary(Result(metrics=metrics, timings=timings), Settings())
    half = stats.t.ppf(0.975, 2) * np.std(joules["snn"], ddof=1) / np.sqrt(3)
    mean = np.mean(joules["snn"])
    row = next(line for line in summary.splitlines() if line.startswith("| iris | spiking"))
    # every interval here runs below 0 unclipped; energies, counts and seconds are >= 0
    assert mean - half < 0
    assert f"| {mean:.2e} [{0:.2e}, {mean + half:.2e}] |" in row
    half = stats.t.ppf(0.975, 2) * 100 / np.sqrt(3)  # presentations 100, 200, 300
    assert 200 - half < 0
    assert f"| 200 [0, {200 + half:.0f}] |" in row
    assert f"| 2.0 [0.0, {2 + half / 100:.1f}] |" in row  # seconds 1, 2, 3
    # samples to target over the seeds that reach it, saying how many do
    assert "| 40 [40, 40] (3 of 3) |" in row


def test_accuracy_matrix_measures_against_a_hand_example():
    cl = experiments.continual_learning
    R = np.array([[0.9, 0.1, 0.0], [0.6, 0.8, 0.1], [0.5, 0.7, 0.95]])
    assert cl.average_accuracy(R) == pytest.approx((0.5 + 0.7 + 0.95) / 3)
    assert cl.backward_transfer(R) == pytest.approx(((0.5 - 0.9) + (0.7 - 0.8)) / 2)
    with pytest.raises(ValueError, match="square"):
        cl.backward_transfer(R[:2])


def test_task_and_class_incremental_predictions():
    cl = experiments.continual_learning
    scores = np.zeros((2, 10))
    scores[0, [1, 9]] = [0.2, 0.9]  # a task-0 sample: 9 wins overall, 1 within {0, 1}
    scores[1, [2, 3, 4]] = [0.3, 0.1, 0.8]
    assert cl.predict_scores(scores, [0, 1], "task", range(10)).tolist() == [1, 2]
    assert cl.predict_scores(scores, [0, 1], "class", range(10)).tolist() == [9, 4]
    assert cl.predict_scores(scores, [0, 1], "class", [0, 1, 2, 3]).tolist() == [1, 2]


def test_ewc_penalty_gradient_matches_finite_differences():
    cl = experiments.continual_learning
    rng = np.random.default_rng(0)
    theta = rng.normal(size=7)
    anchors = [rng.normal(size=7), rng.normal(size=7)]
    fishers = [rng.random(7), rng.random(7)]
    value, grad = cl.ewc_penalty(theta, anchors, fishers, 3.0)
    step = 1e-6
    numeric = [
        (
            cl.ewc_penalty(theta + step * e, anchors, fishers, 3.0)[0]
            - cl.ewc_penalty(theta - step * e, anchors, fishers, 3.0)[0]
        )
        / (2 * step)
        for e in np.eye(7)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    assert value == pytest.approx(
        1.5 * sum((f * (theta - a) ** 2).sum() for a, f in zip(anchors, fishers))
    )


def test_fisher_diagonal_is_the_expected_squared_score():
    """Against finite differences of log p(c | x) on a tiny network."""
    cl = experiments.continual_learning
    rng = np.random.default_rng(1)
    mlp = cl.ContinualMLP(3, 3, rng, params={"hidden_layer_sizes": (4,)})
    X = rng.random((5, 3))
    fisher = mlp.fisher_diagonal(X)
    network, step = mlp.network, 1e-6
    expected = np.zeros_like(network.theta)
    for x in X:
        p = network.forward(x[None])[-1][0]
        for c in range(3):
            score = np.zeros_like(network.theta)
            for i in range(len(network.theta)):
                saved = network.theta[i]
                network.theta[i] = saved + step
                up = np.log(network.forward(x[None])[-1][0, c])
                network.theta[i] = saved - step
                down = np.log(network.forward(x[None])[-1][0, c])
                network.theta[i] = saved
                score[i] = (up - down) / (2 * step)
            expected += p[c] * score**2
    np.testing.assert_allclose(fisher, expected / len(X), rtol=1e-4, atol=1e-10)


def test_replay_buffer_keeps_its_size_and_every_class():
    cl = experiments.continual_learning
    buffer = cl.ReplayBuffer(10, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for classes in cl.TASKS:
        y = np.repeat(classes, 30)
        buffer.add(rng.random((60, 4)), y)
        assert len(buffer) <= 10
    assert sorted(buffer.by_class) == list(range(10))
    assert all(len(v) == 1 for v in buffer.by_class.values())
    X, y = buffer.sample(50)
    assert len(X) == len(y) == 10
    with pytest.raises(ValueError, match="replay_size"):
        cl.ReplayBuffer(-1, rng)


def test_nearest_class_mean_is_scikit_learns_nearest_centroid():
    from sklearn.neighbors import NearestCentroid

    cl = experiments.continual_learning
    rng = np.random.default_rng(2)
    X, y = rng.random((60, 5)), np.repeat(np.arange(4), 15)
    ncm = cl.NearestClassMean(5, 10)
    ncm.train_task(X[y < 2], y[y < 2])
    ncm.train_task(X[y >= 2], y[y >= 2])  # statistics kept across tasks
    X_test = rng.random((20, 5))
    predicted = cl.predict_scores(ncm.scores(X_test), [0] * 20, "class", range(4))
    expected = NearestCentroid().fit(X, y).predict(X_test)
    np.testing.assert_array_equal(predicted, expected)


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
    path, metrics = run_tiny("rule_zoo", tmp_path, params={"ann": {"epochs": 5}, "snn": TINY_SNN})
    from experiments.reference import CLASSIFICATION

    assert list(zip(metrics.kind, metrics.rule)) == [
        ("ann", "backprop"),
        ("snn", "stdp"),
        ("snn", "oja"),
        *((name, "reference") for name in CLASSIFICATION),
    ]
    assert metrics.loc[metrics.rule == "reference", "training_joules"].isna().all()
    summary = (path / "summary.md").read_text()
    assert "| 1-nearest neighbour | reference |" in summary


def test_rule_zoo_summary_pairs_every_rule_with_backprop_by_seed():
    from experiments._base import Result
    from experiments.learners import ENERGY_TABLES
    from experiments.stats import paired_difference

    zoo = experiments.rule_zoo
    accuracy = {  # (kind, rule) -> accuracy per seed
        ("ann", "backprop"): [0.90, 0.80, 0.85],
        ("snn", "stdp"): [0.85, 0.78, 0.70],
        ("knn", "reference"): [0.95, 0.97, 0.96],
    }
    metrics = pd.DataFrame(
        [
            {
                "kind": kind,
                "rule": rule,
                "seed": seed,
                "accuracy": value,
                "reached": True,
                "samples_to_target": 100.0,
                **{f"training_joules_{t}": 1e-3 for t in ENERGY_TABLES},
            }
            for (kind, rule), values in accuracy.items()
            for seed, value in enumerate(values)
        ]
    )
    text = zoo._summary(Result(metrics), zoo.Settings())
    for key in (("snn", "stdp"), ("knn", "reference")):
        difference = paired_difference(accuracy[key], accuracy[("ann", "backprop")], bounds=(0, 1))
        assert difference.n == 3 and np.isfinite(difference.low)
        assert f"| {key[1]} | {np.mean(accuracy[key]):.3f} [" in text
        assert f"] | {difference} | 3/3 |" in text
    assert "| MLP | backprop | 0.850 [0.726, 0.974] |  | 3/3 |" in text


def test_rule_zoo_reference_rows_score_the_given_splits_like_scikit_learn():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    from experiments.rule_zoo import Settings, reference_rows
    from tasks import load_task

    task = load_task("iris", seed=0)
    fit, val, test = (
        (task.X_train, task.y_train),
        (task.X_val, task.y_val),
        (task.X_test, task.y_test),
    )
    settings = Settings(target=0.5, references=("logistic_regression", "nearest_neighbour"))
    rows = {row["kind"]: row for row in reference_rows(task, fit, val, test, settings, seed=0)}
    assert sorted(rows) == ["logistic_regression", "nearest_neighbour"]
    for name, model in [
        ("nearest_neighbour", KNeighborsClassifier(1)),
        ("logistic_regression", LogisticRegression(max_iter=5000)),
    ]:
        model.fit(*fit)
        corrected = (model.score(*val) - 1 / 3) / (1 - 1 / 3)
        assert rows[name]["accuracy"] == pytest.approx(model.score(*test))
        assert rows[name]["reached"] == (corrected >= 0.5)
        assert rows[name]["samples_to_target"] == len(fit[0])
        assert rows[name]["rule"] == "reference"
    with pytest.raises(ValueError, match="unknown reference"):
        experiments.rule_zoo.run(Settings(references=("svm",)), seed=0)


def test_energy_to_accuracy_summary_has_references_and_the_paired_accuracy_difference():
    from scipy import stats

    from experiments._base import Result
    from experiments.energy_to_accuracy import Settings, _summary

    ann, snn = np.array([0.90, 0.85, 0.88]), np.array([0.80, 0.82, 0.70])
    # samples at the stop; the spiking network misses the target on seed 2 (its budget)
    samples = {"ann": [100, 200, 300], "snn": [200, 600, 900], "nearest_neighbour": [0] * 3}
    rows = [
        {
            "kind": kind,
            "seed": seed,
            "reached": (kind, seed) != ("snn", 2),
            "samples_to_target": samples[kind][seed],
            "test_accuracy": value,
            "n_fit": 300,
        }
        for kind, values in (("ann", ann), ("snn", snn), ("nearest_neighbour", ann + 0.05))
        for seed, value in enumerate(values)
    ]
    energy = pd.DataFrame(
        [
            {
                "table": "horowitz45_fp32",
                "phase": phase,
                "category": "macs",
                "kind": kind,
                "seed": seed,
                "joules": 1.0 + seed,
            }
            for phase in ("train", "inference")
            for kind in ("ann", "snn")
            for seed in range(3)
        ]
    )
    summary = _summary(
        Result(metrics=pd.DataFrame(rows), tables={"energy": energy}), Settings(n_seeds=3)
    )
    difference = snn - ann
    half = stats.t.ppf(0.975, 2) * difference.std(ddof=1) / np.sqrt(3)
    mean = difference.mean()
    assert (
        f"paired by seed (same samples): {mean:+.3f} [{mean - half:+.3f}, {mean + half:+.3f}]"
        in summary
    )
    assert "| reference: 1-nearest neighbour (one fit on all 300 samples) | 3/3 |" in summary
    # samples to the target paired over the seeds where both reached it: 100 and 400 more
    half = stats.t.ppf(0.975, 1) * np.std([100, 400], ddof=1) / np.sqrt(2)
    assert (
        f"paired by seed over the 2 seed(s) where both reached it: +250 [{250 - half:+.0f}, "
        f"{250 + half:+.0f}]" in summary
    )


def test_energy_to_accuracy_prices_both_learners_on_every_table(tmp_path):
    from core.energy import COST_TABLES

    path, metrics = run_tiny(
        "energy_to_accuracy",
        tmp_path,
        task="iris",
        n_train=60,
        target=0.3,
        chunk_size=30,
        max_epochs={"ann": 5, "snn": 1},
    )
    from experiments.reference import CLASSIFICATION

    assert set(metrics.kind) == {"ann", "snn", *CLASSIFICATION}
    assert metrics.loc[metrics.kind.isin(CLASSIFICATION), "epochs"].isna().all()
    energy = pd.read_csv(path / "energy.csv")
    assert set(energy.table) == set(COST_TABLES)
    assert set(energy.phase) == {"train", "inference"} and (energy.joules >= 0).all()
    summary = (path / "summary.md").read_text()
    assert "spiking / MLP" in summary and "Not modelled" in summary
