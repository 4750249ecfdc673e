"""STDPClassifier / STDPRegressor: conventions, validation, reproducibility, learning.

The default run uses tiny networks with short presentations on Brian2's numpy
target; the small-scale learning checks (xor, iris, a small regressor) run with
the slow tests, still on the numpy target, and the full-size accuracy bars
(digits, seed_regression) are slow-marked on the compiled one.
"""

import numpy as np
import pytest
from brian2 import Hz, ms, mV, second
from sklearn.base import clone

from snn import RULES, STDPClassifier, STDPRegressor, _brian
from snn.encoders import gaussian_receptive_fields
from tasks import load_task

FAST = dict(presentation_time=60 * ms, rest_time=20 * ms)


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch, request):
    """Tiny networks run on the numpy target; slow full-size runs keep the fast target."""
    if "slow" not in request.keywords or "numpy_target" in request.keywords:
        monkeypatch.setattr(_brian, "_chosen_target", "numpy")


@pytest.fixture(scope="module")
def iris():
    return load_task("iris", seed=0)


# -- conventions ------------------------------------------------------------------------------


def test_constructor_only_stores_parameters_and_clone_works():
    clf = STDPClassifier(n_neurons=-3, rule="no such rule", presentation_time=5)
    assert clf.get_params()["n_neurons"] == -3  # validation happens in fit
    copy = clone(STDPClassifier(n_neurons=7, presentation_time=100 * ms))
    assert copy.get_params()["n_neurons"] == 7
    assert copy.presentation_time == 100 * ms


@pytest.fixture(scope="module")
def small_fit(iris):
    """A tiny classifier fitted on 20 iris flowers (shared by several tests)."""
    import snn._brian as brian_module

    previous, brian_module._chosen_target = brian_module._chosen_target, "numpy"
    try:
        clf = STDPClassifier(n_neurons=6, epochs=2, random_state=3, **FAST)
        yield clf.fit(iris.X_train[:20], iris.y_train[:20])
    finally:
        brian_module._chosen_target = previous


def test_history_records_accuracy_samples_time_spikes_and_sops(small_fit, iris):
    clf = small_fit
    assert [h["epoch"] for h in clf.history_] == [1, 2]
    assert [h["samples_seen"] for h in clf.history_] == [20, 40]
    for key in (
        "accuracy",
        "wall_seconds",
        "spikes",
        "input_spikes",
        "mean_rate_hz",
        "operations",
    ):
        assert key in clf.history_[0]
    first, last = clf.history_
    # wall_seconds is each epoch's own time (the schema ann uses too)
    assert 0 <= first["accuracy"] <= 1 and first["wall_seconds"] > 0 and last["wall_seconds"] > 0
    # NeuroBench SOPs: input spikes reach n_neurons synapses, excitatory spikes
    # the n_neurons - 1 others; the last epoch also carries the readout pass.
    ops_first, ops_last = first["operations"], last["operations"]
    assert ops_first["synaptic_ops"] == first["input_spikes"] * 6 + first["spikes"] * 5
    assert (
        ops_last["synaptic_ops"] - ops_first["synaptic_ops"]
        == last["input_spikes"] * 6 + last["spikes"] * 5
    )
    train = clf.cost().set_index("category")["count"]
    assert ops_last == {key: int(value) for key, value in train.items()}
    before = clf.cost()
    clf.predict(iris.X_test[:5])
    assert clf.cost().equals(before)  # predict changes nothing
    inference = clf.cost(iris.X_test[:5]).query("phase == 'inference'").set_index("category")
    assert inference.loc["synaptic_ops", "count"] > 0
    assert inference.loc["plasticity_updates", "count"] == 0  # frozen


def test_same_random_state_same_spikes_and_predictions_different_seed_differs(small_fit, iris):
    X, y = iris.X_train[:20], iris.y_train[:20]
    a = small_fit
    b = clone(a).fit(X, y)
    assert np.array_equal(a.weights_, b.weights_)
    assert [h["spikes"] for h in a.history_] == [h["spikes"] for h in b.history_]
    proba = a.predict_proba(iris.X_test)
    assert np.array_equal(proba, b.predict_proba(iris.X_test))
    # predicting twice gives the same answer (evaluation spikes are seeded)
    assert np.array_equal(proba, a.predict_proba(iris.X_test))
    # refitting the same object with an int seed starts over identically
    assert np.array_equal(b.fit(X, y).weights_, a.weights_)
    c = clone(a).set_params(random_state=4).fit(X, y)
    assert not np.array_equal(a.weights_, c.weights_)


def test_predict_proba_rows_sum_to_one_for_both_readouts(small_fit, iris):
    vote = small_fit.predict_proba(iris.X_test[:8])
    linear = (
        clone(small_fit)
        .set_params(readout="linear", epochs=1)
        .fit(iris.X_train[:20], iris.y_train[:20])
    )
    for clf, proba in ((small_fit, vote), (linear, linear.predict_proba(iris.X_test[:8]))):
        assert proba.shape == (8, 3) and np.allclose(proba.sum(axis=1), 1)
        assert np.all(proba >= 0)
        assert set(clf.classes_[proba.argmax(axis=1)]) <= set(clf.classes_)


def test_silent_samples_are_presented_again_with_stronger_input(small_fit, iris):
    # Diehl & Cook: a sample drawing too few spikes is shown again at a higher
    # rate; with thresholds out of reach every sample is re-presented 3 times.
    agents = small_fit.agents_
    X = iris.X_test[:4]
    saved = agents.theta.copy()
    agents.theta[:] = 1.0  # volts: no neuron can fire
    try:
        counts, silent = agents.respond([X])
    finally:
        agents.theta[:] = saved
    assert counts.sum() == 0
    assert silent["boosted"][0] == 3 * len(X)
    # presentations at rates x1, x2, x3, x4: 10 times one pass's expected input
    config = agents.config
    fields = gaussian_receptive_fields(X, config.receptive_fields)
    one_pass = fields.sum() * float(config.max_rate * config.presentation_time)
    assert abs(silent["input_spikes"][0] / (10 * one_pass) - 1) < 0.1


def test_evaluation_inhibition_changes_only_the_frozen_network(small_fit, iris):
    weaker = clone(small_fit).set_params(evaluation_inhibition=0.0)
    weaker.fit(iris.X_train[:20], iris.y_train[:20])
    assert np.array_equal(weaker.weights_, small_fit.weights_)  # training unchanged
    strong, _ = small_fit.agents_.respond([iris.X_test])
    weak, _ = weaker.agents_.respond([iris.X_test])
    assert weak.sum() > strong.sum()


def test_partial_fit_needs_classes_then_accumulates(iris):
    clf = STDPClassifier(n_neurons=4, random_state=0, **FAST)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(iris.X_train[:5], iris.y_train[:5])
    clf.partial_fit(iris.X_train[:5], iris.y_train[:5], classes=[0, 1, 2])
    clf.partial_fit(iris.X_train[5:12], iris.y_train[5:12])
    assert [h["samples_seen"] for h in clf.history_] == [5, 12]
    assert clf.predict_proba(iris.X_test[:3]).shape == (3, 3)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(iris.X_train[:2], np.array([0, 7]))


def test_continue_fit_starts_as_fit_then_keeps_the_network_and_the_readout(iris):
    X1, y1, X2, y2 = iris.X_train[:12], iris.y_train[:12], iris.X_train[12:20], iris.y_train[12:20]
    settings = dict(n_neurons=4, epochs=2, random_state=0, **FAST)
    fitted = STDPClassifier(**settings).fit(X1, y1)
    continued = STDPClassifier(**settings)
    with pytest.raises(ValueError, match="classes must be given on the first call to continue_fit"):
        continued.continue_fit(X1, y1)
    with pytest.raises(ValueError, match="epochs"):
        continued.continue_fit(X1, y1, epochs=0, classes=[0, 1, 2])
    assert not hasattr(continued, "agents_")  # refused before any network was built
    continued.continue_fit(X1, y1, classes=[0, 1, 2])
    assert np.array_equal(continued.weights_, fitted.weights_)
    assert np.array_equal(continued.predict_proba(iris.X_test), fitted.predict_proba(iris.X_test))
    counts = continued.agents_.readout.stats["class_count"].copy()
    weights = continued.weights_.copy()
    continued.continue_fit(X2, y2, epochs=1)
    # the frozen pass adds its samples to the readout's statistics, which are kept
    added = continued.agents_.readout.stats["class_count"] - counts
    assert np.array_equal(added[0], np.bincount(y2, minlength=3))
    # one more plastic epoch over 8 samples, starting from the weights the first call left
    assert continued.history_[-1]["samples_seen"] == fitted.history_[-1]["samples_seen"] + 8
    assert not np.array_equal(continued.weights_, weights)
    fresh = STDPClassifier(**{**settings, "epochs": 1}).fit(X2, y2)
    assert not np.array_equal(continued.weights_, fresh.weights_)


def test_rule_instance_and_latency_encoding_are_accepted(iris):
    rule = RULES["stdp"](nu_post=0.02)
    clf = STDPClassifier(
        n_neurons=4, epochs=1, rule=rule, encoding="latency", random_state=0, **FAST
    )
    clf.fit(iris.X_train[:8], iris.y_train[:8])
    assert clf.agents_.config.rule is rule
    assert clf.predict(iris.X_test[:2]).shape == (2,)


# -- validation -------------------------------------------------------------------------------

X_OK = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.3, 0.7]])
Y_OK = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(n_neurons=0), ValueError, "n_neurons"),
        (dict(n_neurons=2.5), TypeError, "n_neurons"),  # a wrong type: TypeError, as in ann
        (dict(rule="hebbian_magic"), ValueError, "unknown rule=.*known.*stdp"),
        (dict(encoding="morse"), ValueError, "unknown encoding=.*known.*latency.*poisson"),
        (dict(readout="knn"), ValueError, "unknown readout=.*known.*linear.*vote"),
        (dict(presentation_time=350), TypeError, "presentation_time"),
        (dict(rest_time=150), TypeError, "rest_time"),
        (dict(presentation_time=0 * ms), ValueError, "presentation_time"),
        (dict(rest_time=-1 * ms), ValueError, "rest_time"),
        (dict(presentation_time=0.3 * ms), ValueError, "presentation_time"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(max_rate=60), TypeError, "max_rate"),
        (dict(max_rate=5000 * Hz), ValueError, "max_rate"),
        (dict(theta_plus=0.05), TypeError, "theta_plus"),
        (dict(tau_theta=0 * second), ValueError, "tau_theta"),
        (dict(inhibition=-1.0), ValueError, "inhibition"),
        (dict(mean_input_weight=0.0), ValueError, "mean_input_weight"),
        (dict(receptive_fields=0), ValueError, "receptive_fields"),
        (dict(plasticity_decay=1.5), ValueError, "plasticity_decay"),
        (dict(random_state="seed"), TypeError, "random_state"),
        (dict(rule=RULES["stdp"](nu_post=1 * mV)), ValueError, "nu_post"),
    ],
)
def test_bad_parameters_raise_naming_the_parameter(params, error, message):
    with pytest.raises(error, match=message):
        STDPClassifier(**params).fit(X_OK, Y_OK)


@pytest.mark.parametrize(
    "X, message",
    [
        (X_OK * 2, r"\[0, 1\]"),
        (np.where(X_OK > 0.5, np.nan, X_OK), "NaN"),
        (X_OK[:, 0], "2-D"),
    ],
)
def test_bad_features_raise_naming_X(X, message):
    with pytest.raises(ValueError, match=message):
        STDPClassifier().fit(X, Y_OK[: len(X)])


def test_predict_before_fit_and_feature_count_mismatch(iris):
    with pytest.raises(ValueError, match="not fitted"):
        STDPClassifier().predict(X_OK)
    with pytest.raises(ValueError, match="not fitted"):
        STDPRegressor().predict(X_OK)
    clf = STDPClassifier(n_neurons=3, epochs=1, random_state=0, **FAST).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="features"):
        clf.predict(iris.X_test)


def test_regressor_refuses_vote_readout_and_label_gated_rules():
    y = np.array([0.1, 0.5, 0.2, 0.9])
    with pytest.raises(ValueError, match="linear"):
        STDPRegressor(readout="vote").fit(X_OK, y)
    label_gated_rules = [name for name, cls in RULES.items() if cls.uses_reward]
    assert "label_gated_stdp" in label_gated_rules
    for name in label_gated_rules:
        with pytest.raises(ValueError, match="label-gated .*needs class labels"):
            STDPRegressor(rule=name).fit(X_OK, y)
    with pytest.raises(ValueError, match="NaN"):
        STDPRegressor().fit(X_OK, np.array([0.1, np.nan, 0.2, 0.3]))


# -- learning at small scale ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.numpy_target
@pytest.mark.parametrize("seed", [0, 1])
def test_xor_is_solved(seed):
    # Four points: the homeostasis must act within a few presentations, so the
    # threshold rises and decays faster than on digits (see bench/RESULTS.md).
    task = load_task("xor")
    X = np.tile(task.X_train, (5, 1))
    y = np.tile(task.y_train, 5)
    clf = STDPClassifier(
        n_neurons=16,
        epochs=3,
        theta_plus=2 * mV,
        tau_theta=10 * second,
        presentation_time=150 * ms,
        rest_time=50 * ms,
        random_state=seed,
    )
    clf.fit(X, y)
    assert clf.score(task.X_test, task.y_test) == 1.0


@pytest.mark.slow
@pytest.mark.numpy_target
def test_iris_small_network_learns(iris):
    # 105 flowers, one epoch: faster threshold homeostasis than the digits
    # defaults (bench/RESULTS.md); the default settings are slow-tested below.
    clf = STDPClassifier(
        n_neurons=30,
        epochs=1,
        theta_plus=2 * mV,
        tau_theta=10 * second,
        presentation_time=100 * ms,
        rest_time=35 * ms,
        random_state=0,
    )
    clf.fit(iris.X_train, iris.y_train)
    assert clf.score(iris.X_test, iris.y_test) >= 0.9


@pytest.mark.slow
@pytest.mark.numpy_target
def test_regressor_small_network_learns_the_linear_target():
    task = load_task("seed_regression")
    reg = STDPRegressor(n_neurons=20, epochs=1, random_state=0, **FAST)
    reg.fit(task.X_train[:120], task.y_train[:120])
    # 20 neurons, 120 samples, one short epoch; R^2 >= 0.95 at full size is slow-tested.
    assert reg.score(task.X_test, task.y_test) >= 0.6
    assert reg.predict(task.X_test[:4]).shape == (4,)
    assert "r2" in reg.history_[0]


def test_partial_fit_readout_sees_responses_like_those_of_prediction():
    # The regressor learns with inhibition 17 and is evaluated with 1: a
    # readout fitted on the learning responses would be read on counts of
    # another scale (R^2 far below 0 here); partial_fit fits it on a frozen pass.
    task = load_task("seed_regression")
    reg = STDPRegressor(n_neurons=20, random_state=0, **FAST)
    assert reg.inhibition != reg.evaluation_inhibition
    reg.partial_fit(task.X_train[:120], task.y_train[:120])
    assert reg.score(task.X_test, task.y_test) >= 0.6


# -- full size (slow) -------------------------------------------------------------------------
# The estimators' defaults are the settings tuned in bench/RESULTS.md; each fit
# below takes about 2 minutes of CPU (Cython target, warm cache).


@pytest.mark.slow
def test_digits_vote_readout_reaches_90_percent():
    task = load_task("digits")
    clf = STDPClassifier(random_state=0).fit(task.X_train, task.y_train)
    assert clf.n_neurons <= 400
    assert clf.score(task.X_test, task.y_test) >= 0.90


@pytest.mark.slow
def test_digits_linear_readout_reaches_95_percent():
    task = load_task("digits")
    clf = STDPClassifier(readout="linear", random_state=0).fit(task.X_train, task.y_train)
    assert clf.score(task.X_test, task.y_test) >= 0.95


@pytest.mark.slow
def test_iris_reaches_90_percent_with_small_data_settings():
    # The digits defaults adapt thresholds too slowly for 105 flowers (0.82-1.0
    # over seeds); faster homeostasis on a smaller network, mean of 3 seeds
    # (45 test flowers: one flower is 2.2 points). These settings date from before
    # the validation split, so the bar is kept on the split they were set on: the
    # whole 105-flower training split (validation_size=0). On the 84 flowers left
    # beside a validation split they are not re-tuned yet.
    iris = load_task("iris", seed=0, validation_size=0)
    scores = [
        STDPClassifier(
            n_neurons=30, epochs=1, theta_plus=2 * mV, tau_theta=10 * second, random_state=seed
        )
        .fit(iris.X_train, iris.y_train)
        .score(iris.X_test, iris.y_test)
        for seed in range(3)
    ]
    assert np.mean(scores) >= 0.90


@pytest.mark.slow
def test_seed_regression_linear_readout_r2():
    task = load_task("seed_regression")
    reg = STDPRegressor(random_state=0).fit(task.X_train, task.y_train)
    assert reg.score(task.X_test, task.y_test) >= 0.95
