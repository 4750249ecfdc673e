"""The frozen form of the network: runs without plasticity on plain transmitting synapses.

A run with plasticity 0 in every window (an evaluation, a readout pass) uses
input synapses without the rule's traces (``snn.network.FROZEN_FORM_FOR_FROZEN_RUNS``).
The reference is the full rule on the same inputs: spike counts, weights and
thresholds must agree bit for bit, for every shipped rule that has a frozen
form, with some weights above ``wmax`` so that the rule's clipping at spikes
matters. The fast tests run Brian2's numpy target; the slow one compiles the
frozen form with the standalone backend.
"""

import numpy as np
import pytest
from brian2 import ms

import snn
from snn import _standalone
from snn import network as network_module
from snn.network import DiehlCookNetwork
from snn.rules import PlasticityRule


def frozen_case(rule, n_agents=2, seed=0, backend="runtime", top=1.3):
    """Two agents, 3 windows of 40 + 10 ms, busy inputs, weights up to ``top`` x wmax, plasticity 0."""
    rng = np.random.default_rng(seed)
    n_inputs, n_neurons, n_windows = 16, 8, 3
    network = DiehlCookNetwork(
        n_inputs,
        n_neurons,
        rule,
        n_agents=n_agents,
        presentation_time=40 * ms,
        rest_time=10 * ms,
        inhibition=2.0,
        backend=backend,
        target="numpy",
    )
    weights = rng.uniform(0, top * rule.params["wmax"], (n_agents, n_inputs, n_neurons))
    theta = rng.uniform(0, 1e-3, (n_agents, n_neurons))
    spikes = []
    for _ in range(n_agents):
        code = np.unique(rng.integers(0, n_windows * n_inputs * 80, 900))  # distinct events
        window, rest = np.divmod(code, n_inputs * 80)
        channel, step = np.divmod(rest, 80)
        spikes.append((window, channel, step))
    return network, (weights, theta, spikes, np.zeros((n_windows, n_agents)))


def both_forms(monkeypatch, network, inputs):
    """The run of ``inputs`` with the full rule, then with the frozen form."""
    results = []
    for frozen_form in (False, True):
        monkeypatch.setattr(network_module, "FROZEN_FORM_FOR_FROZEN_RUNS", frozen_form)
        results.append(network.simulate(*inputs))
    return results


def assert_same_run(full, frozen):
    np.testing.assert_array_equal(frozen.counts, full.counts)
    np.testing.assert_array_equal(frozen.excitatory_spikes, full.excitatory_spikes)
    np.testing.assert_array_equal(frozen.weights, full.weights)
    np.testing.assert_array_equal(frozen.theta, full.theta)


@pytest.mark.parametrize(
    "name",
    [
        # stdp clips w at pre and post spikes, oja at post spikes only
        "stdp",
        "oja",
        pytest.param("label_gated_stdp", marks=pytest.mark.slow),
        pytest.param("triplet", marks=pytest.mark.slow),
        pytest.param("stdp_multiplicative", marks=pytest.mark.slow),
        pytest.param("bcm", marks=pytest.mark.slow),
    ],
)
def test_frozen_form_gives_the_full_rules_spikes_bit_for_bit(monkeypatch, name):
    network, inputs = frozen_case(snn.RULES[name]())
    full, frozen = both_forms(monkeypatch, network, inputs)
    assert full.counts.sum() > 30  # a busy run: many spikes to disagree on
    assert_same_run(full, frozen)
    # the clipping at spikes happened (weights started above wmax = 1) and was kept
    assert inputs[0].max() > 1.0 and full.weights.max() <= 1.0
    assert (full.weights > 1.0).sum() < (inputs[0] > 1.0).sum()


@pytest.mark.parametrize("name", ["stdp", "oja"])
def test_weights_inside_the_rules_range_need_no_clipping_and_give_the_same_spikes(
    monkeypatch, name
):
    rule = snn.RULES[name](wmax=0.8)
    network, inputs = frozen_case(rule, top=1.0)
    weights = inputs[0]
    assert weights.max() <= 0.8
    plain = network.frozen_form(weights).synapses_kwargs()
    assert plain["on_pre"] == "ge_post += w" and "on_post" not in plain  # transmission only
    # one weight outside [0, wmax]: the clipping is kept
    outside = weights.copy()
    outside[1, 0, 0] = 0.81
    assert network.frozen_form(outside).synapses_kwargs() == rule.frozen_synapses_kwargs(
        "ge_post += w"
    )
    outside[1, 0, 0] = -1e-9
    assert network.frozen_form(outside).frozen_clips
    full, frozen = both_forms(monkeypatch, network, inputs)
    assert full.counts.sum() > 30
    assert_same_run(full, frozen)
    np.testing.assert_array_equal(frozen.weights, weights)  # nothing was clipped
    keys = {_standalone.build_key(network.frozen_form(w)) for w in (weights, outside)}
    assert len(keys) == 2  # the form without clipping is its own program


def test_runs_with_plasticity_keep_the_full_rule(monkeypatch):
    network, (weights, theta, spikes, plastic) = frozen_case(snn.RULES["stdp"]())
    plastic[0, 1] = 1.0  # one plastic window of one agent: the whole run needs the rule
    full, other = both_forms(monkeypatch, network, (weights, theta, spikes, plastic))
    assert_same_run(full, other)
    assert not np.array_equal(full.weights[1], np.clip(weights[1], 0, 1))  # it learned


@pytest.mark.slow
def test_an_estimators_fit_and_predictions_do_not_change(monkeypatch):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    probabilities = []
    for frozen_form in (False, True):
        monkeypatch.setattr(network_module, "FROZEN_FORM_FOR_FROZEN_RUNS", frozen_form)
        clf = snn.STDPClassifier(
            n_neurons=6, epochs=1, presentation_time=30 * ms, rest_time=10 * ms, random_state=3
        )
        clf.fit(X[:20], y[:20])  # the readout pass is a frozen run
        probabilities.append(clf.predict_proba(X[20:30]))
    np.testing.assert_array_equal(probabilities[1], probabilities[0])


class UngatedRule(PlasticityRule):
    """Changes w at presynaptic spikes even when plasticity is off."""

    defaults = dict(wmax=1.0)
    on_pre = "w = clip(w + 0.01, 0, wmax)"


class HalfGatedRule(PlasticityRule):
    """Only part of the change is multiplied by plastic_post."""

    defaults = dict(wmax=1.0, nu=0.01)
    on_pre = "w = clip(w + plastic_post * nu - nu, 0, wmax)"


class TouchesTheNeuron(PlasticityRule):
    defaults = dict(wmax=1.0)
    on_post = "v_post += 0 * volt"


class NoBound(PlasticityRule):
    defaults = dict(nu=0.01)
    on_pre = "w += plastic_post * nu"


@pytest.mark.parametrize("rule_class", [UngatedRule, HalfGatedRule, TouchesTheNeuron, NoBound])
def test_rules_whose_weights_could_move_while_frozen_have_no_frozen_form(rule_class):
    rule = rule_class()
    assert rule.frozen_synapses_kwargs("ge_post += w") is None
    network = DiehlCookNetwork(4, 2, rule, presentation_time=10 * ms, rest_time=0 * ms)
    assert network.frozen_form() is None


def test_every_shipped_rule_has_the_frozen_form_its_code_implies():
    clip = "w = clip(w, 0, wmax)"
    for name in (
        "stdp",
        "stdp_multiplicative",
        "triplet",
        "label_gated_stdp",
    ):  # w clipped on both pathways
        kwargs = snn.RULES[name]().frozen_synapses_kwargs("ge_post += w")
        assert kwargs["on_pre"] == f"ge_post += w\n{clip}" and kwargs["on_post"] == clip
    for name in ("oja", "bcm"):  # on_pre only updates a trace
        kwargs = snn.RULES[name]().frozen_synapses_kwargs("ge_post += w")
        assert kwargs["on_pre"] == "ge_post += w" and kwargs["on_post"] == clip
    assert snn.RULES["stdp"](wmax=0.5).frozen_synapses_kwargs()["namespace"] == {"wmax": 0.5}


def test_the_frozen_form_is_its_own_build_shared_by_rules_with_the_same_form():
    full = frozen_case(snn.RULES["stdp"]())[0]
    frozen = full.frozen_form()
    assert frozen.frozen and not full.frozen
    keys = {
        "full": _standalone.build_key(full),
        "frozen": _standalone.build_key(frozen),
        "frozen triplet": _standalone.build_key(
            frozen_case(snn.RULES["triplet"]())[0].frozen_form()
        ),
        "frozen oja": _standalone.build_key(frozen_case(snn.RULES["oja"]())[0].frozen_form()),
        "frozen wmax": _standalone.build_key(
            frozen_case(snn.RULES["stdp"](wmax=0.5))[0].frozen_form()
        ),
        "frozen other rates": _standalone.build_key(
            frozen_case(snn.RULES["stdp"](nu_pre=0.1))[0].frozen_form()
        ),
    }
    assert keys["frozen"] == keys["frozen triplet"] == keys["frozen other rates"]
    assert len({keys[k] for k in ("full", "frozen", "frozen oja", "frozen wmax")}) == 4
    assert _standalone.build_key(frozen.with_agents(3)) != keys["frozen"]


@pytest.mark.slow
def test_compiled_frozen_form_gives_the_full_rules_spikes(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    monkeypatch.setattr(_standalone, "_unavailable_reason", None)
    network, inputs = frozen_case(snn.RULES["stdp"](), backend="standalone")
    full, frozen = both_forms(monkeypatch, network, inputs)
    assert full.backend == frozen.backend == "standalone"
    assert _standalone.is_built(network) and _standalone.is_built(network.frozen_form())
    assert full.counts.sum() > 30
    assert_same_run(full, frozen)


def test_a_build_requested_for_other_sources_builds_nothing(tmp_path):
    import pickle

    from snn import _standalone_build

    network = frozen_case(snn.RULES["stdp"]())[0].frozen_form()
    (tmp_path / "network.pickle").write_bytes(pickle.dumps(network))
    arguments = ["builder", str(tmp_path / "network.pickle"), str(tmp_path / "build")]
    with pytest.raises(SystemExit, match="sources give key"):
        _standalone_build.main([*arguments, "0" * 32])
    assert not (tmp_path / "build").exists()
