"""Saving and loading snn estimators (no pickle).

The reference is the estimator that was saved: the loaded one must respond
to the same inputs with the same spikes (same weights, thresholds, readout
and evaluation seed), so predictions are identical, and further
``partial_fit`` calls must keep the two identical. Tiny networks on Brian2's
numpy target keep this fast.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import Hz, ms, mV, second

import snn
from core.archive import ArchiveError, read_archive, write_archive
from snn import RULES, STDPClassifier, STDPRegressor, _brian
from snn.rules import PairSTDP
from tasks import load_task

FAST = dict(presentation_time=60 * ms, rest_time=20 * ms)


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch):
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")


@pytest.fixture(scope="module")
def iris():
    return load_task("iris", seed=0)


@pytest.fixture(scope="module")
def saved_classifier(iris, tmp_path_factory):
    """A classifier trained by partial_fit (the path that keeps ``_rng``), saved once."""
    previous, _brian._chosen_target = _brian._chosen_target, "numpy"
    try:
        clf = STDPClassifier(
            n_neurons=5, epochs=1, max_rate=100 * Hz, theta_plus=0.2 * mV, random_state=3, **FAST
        )
        clf.partial_fit(iris.X_train[:12], iris.y_train[:12], classes=[0, 1, 2])
        path = tmp_path_factory.mktemp("snn") / "brain.npz"
        clf.save(path)
        yield clf, path
    finally:
        _brian._chosen_target = previous


def test_a_loaded_classifier_responds_identically_and_keeps_learning_identically(
    saved_classifier, iris
):
    original, path = saved_classifier
    loaded = snn.load(path)
    assert type(loaded) is STDPClassifier
    params, loaded_params = original.get_params(), loaded.get_params()
    assert loaded_params == params  # quantities compare by value and unit
    assert loaded.presentation_time == 60 * ms and loaded.max_rate == 100 * Hz
    assert loaded.theta_plus == 0.2 * mV and loaded.tau_theta == 1000 * second
    assert np.array_equal(loaded.classes_, original.classes_)
    assert np.array_equal(loaded.weights_, original.weights_)
    assert np.array_equal(loaded.theta_, original.theta_)
    assert loaded.history_ == original.history_ and loaded.cost().equals(original.cost())
    X_test = iris.X_test[:8]
    assert np.array_equal(loaded.decision_function(X_test), original.decision_function(X_test))
    assert np.array_equal(loaded.predict_proba(X_test), original.predict_proba(X_test))
    X_more = iris.X_test[8:12]
    assert loaded.cost(X_more).equals(original.cost(X_more))  # the same spikes, same counts
    # partial_fit continues from the same generator state: same permutation, same spikes.
    for model in (original, loaded):
        model.partial_fit(iris.X_train[12:20], iris.y_train[12:20])
    assert np.array_equal(loaded.weights_, original.weights_)
    assert np.array_equal(loaded.theta_, original.theta_)
    assert [h["spikes"] for h in loaded.history_] == [h["spikes"] for h in original.history_]
    assert loaded._rng is loaded.agents_.rngs[0]


def test_a_regressor_with_a_rule_instance_round_trips(iris, tmp_path):
    rule = RULES["stdp"](tau_pre=15 * ms, nu_post=0.02)
    X, y = iris.X_train[:10], iris.X_train[:10, 0] * 2 + 1
    original = STDPRegressor(
        n_neurons=4, epochs=1, rule=rule, receptive_fields=2, random_state=0, **FAST
    ).fit(X, y)
    original.save(tmp_path / "reg.npz")
    loaded = STDPRegressor.load(tmp_path / "reg.npz")
    assert type(loaded.rule) is type(rule) and loaded.rule is not rule
    assert loaded.rule.get_params() == {"tau_pre": 15 * ms, "nu_post": 0.02}
    assert loaded.agents_.config.rule.params == original.agents_.config.rule.params
    prediction = loaded.predict(iris.X_test[:5])
    assert prediction.shape == (5,)
    assert np.array_equal(prediction, original.predict(iris.X_test[:5]))


def test_a_loaded_model_keeps_its_constants_when_the_defaults_change(saved_classifier, monkeypatch):
    from snn import neurons

    original, path = saved_classifier
    neuron_constants = dict(original.agents_.network.neuron_params)
    rule_params = dict(original.agents_.config.rule.params)
    assert rule_params["tau_pre"] == 20 * ms
    monkeypatch.setitem(neurons.DIEHL_COOK_NEURON, "tau_membrane", 50 * ms)
    monkeypatch.setitem(RULES["stdp"].defaults, "tau_pre", 7 * ms)
    loaded = snn.load(path)
    assert loaded.agents_.network.neuron_params == neuron_constants
    assert loaded.agents_.network.neuron_params["tau_membrane"] == 100 * ms
    assert loaded.agents_.config.rule.params == rule_params
    # the rule *parameter* keeps what the user gave (a name here)
    assert loaded.rule == "stdp"


def test_a_rule_that_is_not_registered_at_load_time_is_named(saved_classifier, tmp_path):
    _, path = saved_classifier
    arrays, meta = read_archive(path)
    # As if saved in a session where a rule "lost_rule" was registered.
    stored_rule = meta["config"]["rule"]
    assert (
        stored_rule["__type__"] == "snn.PlasticityRule" and stored_rule["value"]["name"] == "stdp"
    )
    stored_rule["value"]["name"] = "lost_rule"
    write_archive(tmp_path / "lost.npz", arrays, meta)
    with pytest.raises(ValueError, match="rule='lost_rule'.*not registered.*known.*'stdp'"):
        snn.load(tmp_path / "lost.npz")


def test_a_rule_of_an_unregistered_class_cannot_be_saved(saved_classifier, tmp_path):
    class Unregistered(PairSTDP):
        """A subclass that inherits the name "stdp" but is not what RULES["stdp"] builds."""

    model = snn.load(saved_classifier[1])
    model.set_params(rule=Unregistered())
    with pytest.raises(TypeError, match="Unregistered.*not registered in snn.RULES"):
        model.save(tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_saving_an_unfitted_estimator_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    for model in (STDPClassifier(), STDPRegressor()):
        with pytest.raises(NotFittedError, match="not fitted yet.*nothing learned to save"):
            model.save(tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_files_of_another_kind_and_damaged_files_are_refused(saved_classifier, tmp_path):
    _, path = saved_classifier
    with pytest.raises(ArchiveError, match="holds a snn.STDPClassifier, not snn.STDPRegressor"):
        STDPRegressor.load(path)
    write_archive(tmp_path / "mlp.npz", {}, {"kind": "ann.MLPClassifier"})
    with pytest.raises(
        ArchiveError, match="holds a ann.MLPClassifier, not one of.*snn.STDPClassifier"
    ):
        snn.load(tmp_path / "mlp.npz")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ArchiveError, match="cut.npz.*truncated"):
        snn.load(cut)
    arrays, meta = read_archive(path)
    arrays["weights"] = arrays["weights"][:, :-1]
    write_archive(tmp_path / "short.npz", arrays, meta)
    with pytest.raises(ArchiveError, match="does not fit the network.*'weights'"):
        snn.load(tmp_path / "short.npz")


# -- populations --------------------------------------------------------------------------------


def _same_learned_state(a, b):
    """Every agent's weights, thresholds and readout statistics are equal."""
    for i in range(a.n_agents):
        state, other = a.get_agent_weights(i), b.get_agent_weights(i)
        assert state.keys() == other.keys()
        for key in state:
            assert np.array_equal(state[key], other[key]), (i, key)


@pytest.fixture(scope="module")
def saved_population(iris, tmp_path_factory):
    """Three agents trained on uneven shards (the third on nothing), then asked once, saved once."""
    previous, _brian._chosen_target = _brian._chosen_target, "numpy"
    try:
        population = snn.SNNPopulation(
            3,
            n_features=4,
            classes=[2, 0, 1],
            n_neurons=4,
            random_state=5,
            receptive_fields=2,
            theta_plus=0.2 * mV,
            **FAST,
        )
        Xs = [iris.X_train[:8], iris.X_train[8:11], iris.X_train[:0]]
        ys = [iris.y_train[:8], iris.y_train[8:11], iris.y_train[:0]]
        population.partial_fit(Xs, ys)
        population.predict(iris.X_test[:3])  # inference SOPs are counted too
        path = tmp_path_factory.mktemp("snn_population") / "population.npz"
        population.save(path)
        yield population, path
    finally:
        _brian._chosen_target = previous


def test_a_loaded_population_responds_identically_and_keeps_learning_identically(
    saved_population, iris
):
    original, path = saved_population
    loaded = snn.load(path)
    assert type(loaded) is snn.SNNPopulation
    assert repr(loaded) == repr(original)
    assert loaded.classes_.tolist() == [2, 0, 1]  # the order given, which predict_proba follows
    assert loaded.params == original.params  # quantities compare by value and unit
    assert loaded.params["theta_plus"] == 0.2 * mV and loaded.params["presentation_time"] == 60 * ms
    assert loaded.epochs_trained_ == original.epochs_trained_ == 1
    assert loaded.samples_seen_.tolist() == original.samples_seen_.tolist() == [8, 3, 0]
    np.testing.assert_array_equal(loaded.score_, original.score_)
    assert loaded.cost().equals(original.cost())
    inference = loaded.cost().query("phase == 'inference' and category == 'synaptic_ops'")
    assert np.isnan(loaded.score_[2]) and inference["count"].min() > 0
    _same_learned_state(loaded, original)
    # The same evaluation seeds: the same spikes, so the same answers and the same SOPs.
    X = iris.X_test[:6]
    assert np.array_equal(loaded.predict_proba(X), original.predict_proba(X))
    assert np.array_equal(loaded.predict(X), original.predict(X))
    Xs = [X[:2], X[2:5], X[:1]]
    for mine, theirs in zip(loaded.predict_proba(Xs), original.predict_proba(Xs)):
        assert np.array_equal(mine, theirs)
    assert loaded.cost().equals(original.cost())
    # partial_fit continues from the same generators: same permutations, same spikes.
    Xs = [iris.X_train[11:14], iris.X_train[:0], iris.X_train[14:19]]
    ys = [iris.y_train[11:14], iris.y_train[:0], iris.y_train[14:19]]
    before = loaded.get_agent_weights(2)["weights"]
    for model in (original, loaded):
        model.partial_fit(Xs, ys)
    assert not np.array_equal(loaded.get_agent_weights(2)["weights"], before)  # it did learn
    _same_learned_state(loaded, original)
    assert loaded.epochs_trained_ == original.epochs_trained_ == 2
    np.testing.assert_array_equal(loaded.score_, original.score_)
    assert np.array_equal(loaded.samples_seen_, original.samples_seen_)
    assert loaded.cost().equals(original.cost())


@pytest.mark.slow
@pytest.mark.numpy_target
def test_an_untrained_population_with_a_rule_instance_round_trips(iris, tmp_path, monkeypatch):
    from snn import neurons

    rule = RULES["stdp"](tau_pre=15 * ms, nu_post=0.02)
    original = snn.SNNPopulation(
        2,
        n_features=4,
        classes=["a", "b"],
        n_neurons=4,
        random_state=np.random.default_rng(1),
        rule=rule,
        readout="linear",
        receptive_fields=2,
        epochs_per_call=2,
        presentation_time=30 * ms,
        rest_time=10 * ms,
    )
    original.save(tmp_path / "untrained.npz")
    rule_params = dict(original._agents.config.rule.params)
    neuron_constants = dict(original._agents.network.neuron_params)
    # A later change of a default does not change the saved population.
    with monkeypatch.context() as patch:
        patch.setitem(neurons.DIEHL_COOK_NEURON, "tau_membrane", 50 * ms)
        patch.setitem(RULES["stdp"].defaults, "tau_post", 7 * ms)
        loaded = snn.SNNPopulation.load(tmp_path / "untrained.npz")
    assert type(loaded.params["rule"]) is type(rule) and loaded.params["rule"] is not rule
    assert loaded.params["rule"].get_params() == {"tau_pre": 15 * ms, "nu_post": 0.02}
    assert loaded._agents.config.rule.params == rule_params
    assert rule_params["tau_post"] == 20 * ms
    assert loaded._agents.network.neuron_params == neuron_constants
    assert neuron_constants["tau_membrane"] == 100 * ms
    assert loaded.epochs_per_call == 2 and loaded.epochs_trained_ == 0
    assert loaded.classes_.tolist() == ["a", "b"]
    _same_learned_state(loaded, original)  # the initial weights, drawn from the seed
    y = np.where(iris.y_train[:4] == 0, "a", "b")
    for model in (original, loaded):
        model.partial_fit([iris.X_train[:4], iris.X_train[4:6]], [y, y[:2]])
    _same_learned_state(loaded, original)
    assert loaded.epochs_trained_ == original.epochs_trained_ == 2
    assert loaded.cost().equals(original.cost())
    assert np.array_equal(loaded.predict(iris.X_test[:3]), original.predict(iris.X_test[:3]))


def test_population_files_of_another_kind_and_damaged_files_are_refused(
    saved_population, saved_classifier, tmp_path
):
    import ann

    _, path = saved_population
    with pytest.raises(ArchiveError, match="holds a snn.SNNPopulation, not snn.STDPClassifier"):
        STDPClassifier.load(path)
    with pytest.raises(ArchiveError, match="holds a snn.STDPClassifier, not snn.SNNPopulation"):
        snn.SNNPopulation.load(saved_classifier[1])
    with pytest.raises(ArchiveError, match="holds a snn.SNNPopulation, not one of.*MLPPopulation"):
        ann.load(path)
    write_archive(tmp_path / "mlp_pop.npz", {}, {"kind": "ann.MLPPopulation"})
    with pytest.raises(ArchiveError, match="holds a ann.MLPPopulation, not one of.*SNNPopulation"):
        snn.load(tmp_path / "mlp_pop.npz")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:-300])
    with pytest.raises(ArchiveError, match="cut.npz.*truncated"):
        snn.load(cut)
    flipped = bytearray(path.read_bytes())
    # a byte of the checksummed metadata (about two thirds in; a byte of a
    # member's .npy header or zip timestamp is not covered by the checksums)
    flipped[len(flipped) * 2 // 3] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    with pytest.raises(ArchiveError, match="flipped.npz"):
        snn.SNNPopulation.load(tmp_path / "flipped.npz")
    # Rewritten with valid checksums, but inconsistent with what it describes.
    arrays, meta = read_archive(path)
    short = dict(arrays, weights=arrays["weights"][:2])
    write_archive(tmp_path / "short.npz", short, meta)
    with pytest.raises(ArchiveError, match="short.npz.*does not fit the population.*'weights'"):
        snn.load(tmp_path / "short.npz")
    fewer = dict(
        arrays, **{name: arrays[name][:2] for name in arrays if name not in ("classes_", "score_")}
    )
    write_archive(tmp_path / "fewer.npz", fewer, meta)
    with pytest.raises(ArchiveError, match="does not fit the population"):
        snn.load(tmp_path / "fewer.npz")
    no_settings = {key: value for key, value in meta.items() if key != "settings"}
    write_archive(tmp_path / "partial.npz", arrays, no_settings)
    with pytest.raises(ArchiveError, match="partial.npz.*incomplete or malformed.*settings"):
        snn.load(tmp_path / "partial.npz")
    lost = {
        **meta,
        "settings": {
            **meta["settings"],
            "params": {
                **meta["settings"]["params"],
                "rule": {
                    "__type__": "snn.PlasticityRule",
                    "value": {"name": "lost_rule", "params": {}},
                },
            },
        },
    }
    write_archive(tmp_path / "lost.npz", arrays, lost)
    with pytest.raises(ValueError, match="rule='lost_rule'.*not registered.*known"):
        snn.load(tmp_path / "lost.npz")
