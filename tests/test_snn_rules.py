"""Plasticity rules as plugins: registry, parameters, validation, the host contract."""

import numpy as np
import pytest
from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    Synapses,
    TimedArray,
    ms,
    mV,
)
from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

from snn.rules import RULES, PairSTDP, PlasticityRule, get_rule, register_rule

SHIPPED = ["stdp", "stdp_multiplicative", "triplet", "oja", "bcm", "label_gated_stdp"]


def test_registry_holds_the_shipped_rules():
    assert set(SHIPPED) <= set(RULES)
    for name in SHIPPED:
        assert issubclass(RULES[name], PlasticityRule)
        assert RULES[name].name == name
        assert RULES[name].reference, f"{name} cites no paper"
        assert RULES[name].__doc__ and "References" in RULES[name].__doc__


def test_unknown_rule_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown rule='stpd'; known: .*'stdp'"):
        get_rule("stpd")
    with pytest.raises(TypeError, match="rule must be"):
        get_rule(3)


def test_get_rule_accepts_names_classes_and_instances():
    assert get_rule("stdp", tau_pre=10 * ms).params["tau_pre"] == 10 * ms
    assert isinstance(get_rule(PairSTDP), PairSTDP)
    rule = PairSTDP(nu_post=0.1)
    assert get_rule(rule) is rule
    with pytest.raises(ValueError, match="together with the rule instance"):
        get_rule(rule, nu_pre=0.1)


def test_register_rule_refuses_a_second_class_under_a_taken_name():
    with pytest.raises(ValueError, match="already registered as 'stdp'"):

        @register_rule("stdp")
        class Another(PlasticityRule):
            pass

    assert RULES["stdp"] is PairSTDP
    with pytest.raises(TypeError, match="must be a subclass of snn.rules.PlasticityRule"):
        register_rule("not_a_rule")(dict)


def test_constructor_only_stores_and_params_validate():
    # a bad value is accepted by the constructor (scikit-learn convention) ...
    rule = RULES["stdp"](tau_pre=20, banana=1)
    assert rule.overrides == {"tau_pre": 20, "banana": 1}
    # ... and reported, with the known names, when the parameters are used
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['banana'\].*'tau_pre'"):
        rule.params
    with pytest.raises(ValueError, match="'tau_pre'.*wrong units"):
        RULES["stdp"](tau_pre=20).params
    with pytest.raises(ValueError, match="'nu_pre'.*wrong units"):
        RULES["stdp"](nu_pre=0.1 * ms).params
    with pytest.raises(ValueError, match="'rate_target'.*wrong units"):
        RULES["bcm"](rate_target=10 * ms).params
    with pytest.raises(TypeError, match="'wmax'.*number"):
        RULES["stdp"](wmax="1").params
    with pytest.raises(ValueError, match="unknown parameter"):
        RULES["stdp"](banana=1).namespace()


def test_params_are_defaults_updated_with_overrides():
    rule = RULES["triplet"](tau_y=100 * ms, A3_plus=0.01)
    params = rule.params
    assert params["tau_y"] == 100 * ms and params["A3_plus"] == 0.01
    assert params["tau_plus"] == RULES["triplet"].defaults["tau_plus"]
    assert rule.namespace() == params
    # the defaults of the class are untouched
    assert RULES["triplet"].defaults["tau_y"] == 114 * ms


def test_presets_and_get_set_params():
    dc = RULES["stdp"].from_preset("diehl_cook")
    assert dc.params["nu_pre"] == 1e-4 and dc.params["nu_post"] == 1e-2
    assert RULES["stdp"].from_preset("diehl_cook", nu_post=0.05).params["nu_post"] == 0.05
    with pytest.raises(ValueError, match="unknown preset 'dc'.*'diehl_cook'"):
        RULES["stdp"].from_preset("dc")
    rule = RULES["stdp"](nu_pre=0.2)
    assert rule.get_params() == {"nu_pre": 0.2}
    assert rule.set_params(nu_post=0.3) is rule and rule.params["nu_post"] == 0.3
    assert rule == RULES["stdp"](nu_pre=0.2, nu_post=0.3) != RULES["stdp"]()


def test_rules_can_be_cloned_by_scikit_learn():
    from sklearn.base import clone

    rule = RULES["triplet"](tau_y=100 * ms)
    copy = clone(rule)
    assert copy is not rule and copy == rule


def test_every_shipped_rule_passes_its_own_check():
    for name in SHIPPED:
        assert RULES[name]().check().name == name


def test_check_names_the_rule_and_the_dimension_error():
    class Inconsistent(PlasticityRule):
        defaults = dict(tau=10 * ms)
        model = "dmemory/dt = -memory / tau : 1 (event-driven)"
        on_pre = "memory += 1\nw += tau"  # w is dimensionless, tau a time

    with pytest.raises(ValueError, match=r"rule Inconsistent.*inconsistent units.*'tau'"):
        Inconsistent().check()

    with RULES.restored():

        @register_rule("_test_bad_trace")
        class BadTrace(PlasticityRule):
            defaults = dict(tau=10 * ms)
            model = "dmemory/dt = -memory : 1 (event-driven)"  # 1/s needed on the right

        with pytest.raises(ValueError, match="rule '_test_bad_trace'.*Brian2 rejected"):
            BadTrace().check()

    class DeclaresWeight(PlasticityRule):
        model = "w : 1"

    with pytest.raises(ValueError, match="DeclaresWeight"):
        DeclaresWeight().check()


def test_synapses_kwargs_put_the_hosts_transmission_first():
    kwargs = RULES["stdp"]().synapses_kwargs(transmission="ge_post += w")
    assert kwargs["model"].startswith("w : 1\n")
    assert kwargs["on_pre"].splitlines()[0] == "ge_post += w"
    assert set(kwargs) == {"model", "on_pre", "on_post", "namespace"}
    assert "w : 1" not in RULES["stdp"].model  # the rule never declares w


def test_spike_timing_and_reward_flags():
    timing = {name for name in SHIPPED if RULES[name]().is_spike_timing}
    assert timing == {"stdp", "stdp_multiplicative", "triplet", "label_gated_stdp"}
    assert [name for name in SHIPPED if RULES[name].uses_reward] == ["label_gated_stdp"]
    with pytest.raises(NotImplementedError):
        RULES["oja"]().window(10 * ms)


def test_pair_window_closed_form():
    rule = RULES["stdp"](tau_pre=10 * ms, tau_post=40 * ms, nu_pre=0.02, nu_post=0.03, wmax=2.0)
    dw = rule.window([-40, -10, 0, 10, 30] * ms)
    expected = [
        -0.02 * 2 * np.exp(-1),
        -0.02 * 2 * np.exp(-0.25),
        0.03 * 2,
        0.03 * 2 * np.exp(-1),
        0.03 * 2 * np.exp(-3),
    ]
    np.testing.assert_allclose(dw, expected)
    # numbers mean ms; a Quantity is converted
    np.testing.assert_allclose(rule.window([10.0]), rule.window(10 * ms))
    with pytest.raises(ValueError, match="delta_t must be a time"):
        rule.window(10 * Hz)


def test_multiplicative_window_depends_on_the_weight():
    rule = RULES["stdp_multiplicative"]()
    low, high = rule.window([-10, 10], 0.2), rule.window([-10, 10], 0.8)
    assert high[1] < low[1] and high[0] < low[0] < 0  # LTP shrinks, LTD grows with w
    np.testing.assert_allclose(low[1] / high[1], 0.8 / 0.2)  # (wmax - w) for mu = 1
    np.testing.assert_allclose(high[0] / low[0], 0.8 / 0.2)  # w for mu = 1
    # mu = 0 is the additive rule
    additive = RULES["stdp_multiplicative"](mu=0.0).window([-10, 10], 0.3)
    np.testing.assert_allclose(additive, RULES["stdp"]().window([-10, 10]))


def test_triplet_window_limits_agree():
    rule = RULES["triplet"](A2_plus=1e-3, A3_minus=1e-3)
    delta_t = np.array([-25.0, -5, 0, 5, 25])
    isolated = rule.window(delta_t)
    # pairs far apart in time: the frequency-dependent formula tends to the pair window
    np.testing.assert_allclose(
        rule.window(delta_t, pairing_frequency=0.01 * Hz), isolated, atol=1e-12
    )
    # many pairings: the finite-n average tends to the steady state (geometric series)
    steady = rule.window(delta_t, pairing_frequency=20 * Hz)
    many = rule.window(delta_t, pairing_frequency=20 * Hz, n_pairings=4000)
    np.testing.assert_allclose(many, steady, rtol=2e-3)
    # the first pairing alone is an isolated pair
    np.testing.assert_allclose(
        rule.window(delta_t, pairing_frequency=20 * Hz, n_pairings=1), isolated, atol=1e-15
    )
    with pytest.raises(ValueError, match="shorter than the pairing period"):
        rule.window([30.0], pairing_frequency=50 * Hz)


def test_label_gated_stdp_window_is_reward_times_the_eligibility_window():
    rule = RULES["label_gated_stdp"]()
    stdp = RULES["stdp"](nu_pre=rule.params["nu_pre"], nu_post=rule.params["nu_post"])
    np.testing.assert_allclose(rule.window([-10, 10], reward=-1), -stdp.window([-10, 10]))
    np.testing.assert_array_equal(rule.window([-10, 10], reward=0), 0)


def _random_pairing_network(rule, plastic, reward, seed=0):
    """Pre and post Poisson spikes (numpy-drawn) through one rule; returns the weight change."""
    rng = np.random.default_rng(seed)
    n_synapses, dt, n_steps = 8, 0.5 * ms, 2000
    pre_steps, pre_index = np.nonzero(rng.random((n_steps, n_synapses)) < 0.02)
    post_schedule = TimedArray((rng.random((n_steps, n_synapses)) < 0.02).astype(float), dt=dt)
    pre = SpikeGeneratorGroup(
        n_synapses, pre_index, pre_steps * dt, dt=dt, codeobj_class=NumpyCodeObject
    )
    post = NeuronGroup(
        n_synapses,
        "plastic : 1\nreward : 1\nv : volt",
        threshold="post_schedule(t, i) > 0.5",
        reset="",
        dt=dt,
        namespace={"post_schedule": post_schedule},
        codeobj_class=NumpyCodeObject,
    )
    post.plastic, post.reward, post.v = plastic, reward, -60 * mV
    synapses = Synapses(pre, post, dt=dt, codeobj_class=NumpyCodeObject, **rule.synapses_kwargs())
    synapses.connect(j="i")
    synapses.w = 0.5 * rule.params["wmax"]
    Network(pre, post, synapses).run(n_steps * dt, namespace={})
    return np.asarray(synapses.w[:]) - 0.5 * rule.params["wmax"]


@pytest.mark.parametrize("name", SHIPPED)
def test_plastic_zero_freezes_every_rule(name):
    rule = RULES[name]()
    if name == "oja":
        rule = RULES[name](eta=1 * ms)
    if name == "bcm":
        rule = RULES[name](nu=0.05, tau_threshold=200 * ms)
    # one network: the first half of the postsynaptic neurons learn, the rest are frozen
    plastic = np.array([1.0] * 4 + [0.0] * 4)
    change = _random_pairing_network(rule, plastic=plastic, reward=1.0)
    assert np.all(np.abs(change[:4]) > 1e-6), f"{name} did not learn at all"
    np.testing.assert_array_equal(change[4:], 0.0)


def test_stdp_depresses_at_pre_spikes_and_potentiates_at_post_spikes():
    # the Diehl & Cook reading of the parameters: nu_pre acts at presynaptic
    # spikes (depression), nu_post at postsynaptic spikes (potentiation)
    only_depression = _random_pairing_network(RULES["stdp"](nu_post=0.0), 1.0, 0.0)
    only_potentiation = _random_pairing_network(RULES["stdp"](nu_pre=0.0), 1.0, 0.0)
    assert np.all(only_depression < 0) and np.all(only_potentiation > 0)


def test_weights_stay_within_bounds():
    big_steps = RULES["stdp"](nu_pre=2.0, nu_post=2.0, wmax=1.5)
    change = _random_pairing_network(big_steps, 1.0, 0.0) + 0.75
    assert np.all((change >= 0) & (change <= 1.5))
    assert np.any(change == 0) or np.any(change == 1.5)


def test_rule_parameters_do_not_shadow_the_diehl_cook_host():
    # Hosts merge a rule's namespace with their own constants; a shared name
    # would silently take one of the two values.
    neurons = pytest.importorskip("snn.neurons")
    host_names = set(neurons.DIEHL_COOK_NEURON)
    for name in SHIPPED:
        assert not host_names & set(RULES[name].defaults), name


def test_analysis_functions_reject_bad_input_before_simulating():
    from snn.analysis import bcm_rates, oja_principal_component, song_abbott, stdp_window

    with pytest.raises(TypeError, match="pairing_frequency"):
        stdp_window(pairing_frequency=1)
    with pytest.raises(ValueError, match="multiples of dt"):
        stdp_window(delta_t=[0.05])
    with pytest.raises(ValueError, match="shorter than the pairing period"):
        stdp_window(delta_t=[2000.0])
    with pytest.raises(ValueError, match="n_pairings"):
        stdp_window(n_pairings=0)
    with pytest.raises(ValueError, match="'tau_pre'.*wrong units"):
        stdp_window("stdp", tau_pre=3)
    with pytest.raises(ValueError, match="unknown rule='nope'"):
        song_abbott(rule="nope")
    with pytest.raises(TypeError, match="needs the 'oja' rule"):
        oja_principal_component(rule="stdp")
    with pytest.raises(TypeError, match="needs the 'bcm' rule"):
        bcm_rates(rule="oja")
    with pytest.raises(ValueError, match="post_rates"):
        bcm_rates(post_rates=[5, 10])
    # one message format (core.params): TypeError for a wrong type, ValueError out of range
    with pytest.raises(
        ValueError, match=r"n_correlated must be an integer in \[0, 4\], got n_corr"
    ):
        oja_principal_component(n_inputs=4, n_correlated=5)
    with pytest.raises(ValueError, match=r"modulation must be a number in \[0, 1\]"):
        oja_principal_component(modulation=1.5)
    with pytest.raises(TypeError, match="g_max must be a positive number, got g_max='big'"):
        song_abbott(g_max="big")
    with pytest.raises(ValueError, match="reward must be a number .*, got reward=nan"):
        stdp_window(reward=float("nan"))
    with pytest.raises(ValueError, match="initial_threshold must be a non-negative scalar"):
        bcm_rates(initial_threshold=-1 * Hz)
    with pytest.raises(TypeError, match="n_synapses_per_rate must be a positive integer"):
        bcm_rates(n_synapses_per_rate=2.5)
    with pytest.raises(ValueError, match="random_state must be"):
        song_abbott(random_state=-1)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_rule_stays_finite_after_a_long_silence(name):
    # Event-driven state is advanced over the whole gap since a synapse's last
    # spike: a closed form with growing exponentials overflows after ~35 s
    # (BCM's threshold system did, as Brian2 integrates it), giving NaN weights.
    dt, gap = 10 * ms, 120.0  # seconds without any spike
    pre = SpikeGeneratorGroup(
        1, [0, 0], [20, 20 + gap * 1000] * ms, dt=dt, codeobj_class=NumpyCodeObject
    )
    post = NeuronGroup(
        1,
        "plastic : 1\nreward : 1\nv : volt",
        threshold="t > 9 * ms and (t < 11 * ms or t > gap_end)",
        reset="",
        dt=dt,
        namespace={"gap_end": (gap + 0.025) * 1000 * ms},
        codeobj_class=NumpyCodeObject,
    )
    post.plastic, post.reward = 1.0, 1.0
    rule = RULES[name]()
    synapses = Synapses(pre, post, dt=dt, codeobj_class=NumpyCodeObject, **rule.synapses_kwargs())
    synapses.connect()
    synapses.w = 0.5 * rule.params["wmax"]
    Network(pre, post, synapses).run((gap + 0.06) * 1000 * ms, namespace={})
    state = {
        key: np.asarray(getattr(synapses, key + "_")[:])
        for key in [
            *synapses.equations.names,
            *(synapses.event_driven.names if synapses.event_driven else []),
        ]
    }
    assert post.t[:] > gap * 1000 * ms and "w" in state and len(state) > 1
    assert all(np.isfinite(value).all() for value in state.values()), state
    assert 0 <= state["w"][0] <= rule.params["wmax"]
