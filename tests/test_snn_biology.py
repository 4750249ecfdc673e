"""Biology checks: each rule, simulated in Brian2, against the experiment or theory it models.

The fast tests use Brian2's numpy target per network (``codegen_target="numpy"``,
no global preference is touched): the networks are tiny and a Cython compile
would dominate. The Song, Miller & Abbott weight-distribution runs (100 s of
simulated time, 1000 synapses) are marked slow and use the package's default
target (Cython where a compiler exists).
"""

import numpy as np
import pytest
from brian2 import Hz, ms, second

from snn.analysis import bcm_rates, oja_principal_component, song_abbott, stdp_window
from snn.rules import RULES

NUMPY = "numpy"


def _fit_decay_constant(delta_t_ms, weight_change):
    """Decay constant (ms) of |dw| = A exp(-|delta_t| / tau), by least squares on log|dw|."""
    slope, _ = np.polyfit(np.abs(delta_t_ms), np.log(np.abs(weight_change)), 1)
    return -1.0 / slope


def test_stdp_window_from_simulation_matches_the_exponential_rule():
    # Different time constants on the two sides, so a swapped or shared
    # constant in the implementation would show.
    rule = RULES["stdp"](tau_pre=15 * ms, tau_post=30 * ms, nu_pre=0.006, nu_post=0.005)
    delta_t = np.concatenate([-np.arange(80, 1, -6), np.arange(2, 81, 6)]).astype(float)
    simulated = stdp_window(
        rule, delta_t, n_pairings=3, pairing_frequency=2 * Hz, codegen_target=NUMPY
    )
    causal, acausal = delta_t > 0, delta_t < 0
    assert np.all(simulated[causal] > 0), "pre-before-post must potentiate"
    assert np.all(simulated[acausal] < 0), "post-before-pre must depress"
    tau_potentiation = _fit_decay_constant(delta_t[causal], simulated[causal])
    tau_depression = _fit_decay_constant(delta_t[acausal], simulated[acausal])
    assert tau_potentiation == pytest.approx(15.0, rel=0.05)
    assert tau_depression == pytest.approx(30.0, rel=0.05)
    # and point by point against the rule's closed-form window
    theory = rule.window(delta_t)
    np.testing.assert_allclose(simulated, theory, atol=0.01 * np.abs(theory).max())


def test_multiplicative_window_scales_with_the_weight():
    rule = RULES["stdp_multiplicative"](nu_pre=0.02, nu_post=0.02)
    delta_t = np.array([-30.0, -10.0, 10.0, 30.0])
    results = {}
    for weight in (0.2, 0.8):
        results[weight] = stdp_window(
            rule,
            delta_t,
            n_pairings=4,
            pairing_frequency=4 * Hz,
            initial_weight=weight,
            dt=0.5 * ms,
            codegen_target=NUMPY,
        )
        expected = rule.window(delta_t, weight, n_pairings=4)
        np.testing.assert_allclose(results[weight], expected, rtol=0.01)
    # potentiation proportional to (wmax - w), depression to w
    assert results[0.2][2] > 3 * results[0.8][2] > 0
    assert results[0.8][1] < 3 * results[0.2][1] < 0


@pytest.mark.slow
def test_triplet_potentiation_grows_with_pairing_frequency():
    """Sjoestroem, Turrigiano & Nelson (2001): LTP needs high pairing frequencies.

    Their protocol, bursts of pairs 10 ms apart (pre-post or post-pre) repeated
    at a frequency; the minimal triplet model of Pfister & Gerstner (2006)
    reproduces it. Here 15 pairings per frequency.
    """
    rule = RULES["triplet"]()
    frequencies = [1, 10, 20, 40, 50]
    delta_t = [-10.0, 10.0]
    simulated = np.array(
        [
            stdp_window(
                rule,
                delta_t,
                n_pairings=15,
                pairing_frequency=f * Hz,
                dt=0.5 * ms,
                codegen_target=NUMPY,
            )
            for f in frequencies
        ]
    )
    theory = np.array(
        [rule.window(delta_t, pairing_frequency=f * Hz, n_pairings=15) for f in frequencies]
    )
    np.testing.assert_allclose(simulated, theory, atol=0.02 * np.abs(theory).max())
    pre_post, post_pre = simulated[:, 1], simulated[:, 0]
    scale = rule.params["A2_minus"] * rule.params["wmax"]
    # low frequency: pre-post pairs do not potentiate, post-pre pairs depress
    assert abs(pre_post[0]) < 0.01 * scale
    assert post_pre[0] < -0.5 * scale
    # potentiation grows with frequency ...
    assert np.all(np.diff(pre_post) > 0)
    # ... until at 50 Hz both orders potentiate
    assert pre_post[-1] > 0 and post_pre[-1] > 0


def test_label_gated_stdp_without_reward_does_not_learn_and_the_sign_follows_the_reward():
    rule = RULES["label_gated_stdp"]()
    delta_t = np.array([-20.0, -5.0, 5.0, 20.0])
    changes = {
        reward: stdp_window(
            rule,
            delta_t,
            n_pairings=2,
            pairing_frequency=2 * Hz,
            reward=reward,
            dt=0.5 * ms,
            codegen_target=NUMPY,
        )
        for reward in (0.0, 1.0, -1.0)
    }
    np.testing.assert_array_equal(changes[0.0], 0.0)
    np.testing.assert_allclose(changes[1.0], rule.window(delta_t, reward=1.0), rtol=1e-3)
    np.testing.assert_allclose(changes[-1.0], -changes[1.0], rtol=1e-6)
    assert changes[1.0][2] > 0 > changes[1.0][1]  # rewarded STDP: LTP for pre-post


def test_bcm_threshold_slides_with_postsynaptic_activity():
    post_rates = np.array([5.0, 10.0, 20.0, 30.0]) * Hz
    result = bcm_rates(
        post_rates,
        pre_rate=10 * Hz,
        duration=10 * second,
        n_synapses_per_rate=50,
        random_state=0,
        codegen_target=NUMPY,
        nu=2e-4,
        tau_threshold=2 * second,
    )
    # starting from 0, the threshold slides to <y^2> / rate_target (theory
    # for Poisson firing, including what is left of the exponential approach)
    np.testing.assert_allclose(result.threshold, result.threshold_theory, rtol=0.1)
    assert np.all(np.diff(result.threshold) > 0)
    # the weights drift by phi(y) = y (y - theta) with the sliding theta:
    # potentiation below the target rate (10 Hz), depression above it
    assert result.weight_drift[0] > 0 > result.weight_drift[2] > result.weight_drift[3]
    np.testing.assert_allclose(
        result.weight_drift,
        result.weight_drift_theory,
        rtol=0.2,
        atol=0.005 * np.abs(result.weight_drift_theory).max(),
    )


def test_bcm_curve_at_a_fixed_threshold():
    post_rates = np.array([2.0, 5.0, 15.0, 25.0]) * Hz
    result = bcm_rates(
        post_rates,
        pre_rate=10 * Hz,
        duration=10 * second,
        initial_threshold=10 * Hz,
        n_synapses_per_rate=20,
        random_state=1,
        codegen_target=NUMPY,
        nu=2e-4,
        tau_threshold=1e6 * second,  # frozen threshold
    )
    np.testing.assert_allclose(result.threshold, 10.0, rtol=1e-3)
    # phi(y) = y (y - theta): depression below theta, potentiation above
    np.testing.assert_array_equal(np.sign(result.weight_drift), [-1, -1, 1, 1])
    np.testing.assert_allclose(
        result.weight_drift,
        result.weight_drift_theory,
        rtol=0.15,
        atol=0.05 * np.abs(result.weight_drift_theory).max(),
    )


@pytest.mark.slow
def test_oja_normalises_the_weight_vector():
    """Oja's fixed point |w| = 1/sqrt(gain) (gain 1 is in the slow test), and the
    correlated inputs win."""
    for gain in (4.0,):
        result = oja_principal_component(
            n_inputs=10,
            n_correlated=5,
            modulation=1.0,
            switch_interval=250 * ms,
            gain=gain,
            duration=30 * second,
            dt=1 * ms,
            random_state=0,
            codegen_target=NUMPY,
            eta=0.1 * ms,
        )
        assert result.norm == pytest.approx(result.expected_norm, rel=0.07)
        correlated, independent = result.weights[:5].mean(), result.weights[5:].mean()
        assert correlated > 1.1 * independent
        assert result.cosine > 0.98


@pytest.mark.slow
def test_oja_finds_the_principal_component():
    result = oja_principal_component(
        n_inputs=10,
        n_correlated=5,
        modulation=1.0,
        switch_interval=250 * ms,
        gain=1.0,
        duration=300 * second,
        dt=1 * ms,
        random_state=0,
        eta=0.05 * ms,
    )
    pc = result.principal_component
    theory_ratio = pc[:5].mean() / pc[5:].mean()
    measured_ratio = result.weights[:5].mean() / result.weights[5:].mean()
    assert measured_ratio == pytest.approx(theory_ratio, rel=0.08)
    assert result.cosine > 0.998
    assert result.cosine > result.cosine_uniform
    assert result.norm == pytest.approx(result.expected_norm, rel=0.03)


@pytest.fixture(scope="module")
def song_abbott_runs():
    """Additive and multiplicative STDP, same inputs (Song et al. 2000 setting)."""
    common = dict(
        n_inputs=1000,
        rate=15 * Hz,
        duration=100 * second,
        random_state=0,
        nu_post=0.01,
        nu_pre=0.0105,
    )
    return {
        "additive": song_abbott(rule="stdp", **common),
        "multiplicative": song_abbott(rule="stdp_multiplicative", **common),
    }


@pytest.mark.slow
def test_additive_stdp_drives_weights_to_a_bimodal_distribution(song_abbott_runs):
    run = song_abbott_runs["additive"]
    w = run.weights / run.wmax
    counts, _ = np.histogram(w, bins=10, range=(0, 1))
    # started uniform (about 100 per bin); now most weights sit near a bound ...
    assert np.mean((w < 0.2) | (w > 0.8)) > 0.6
    # ... in two modes, at 0 and at wmax, with few weights in between
    assert counts[0] > 150 and counts[-1] > 150
    assert counts[2:8].max() < 0.5 * min(counts[0], counts[-1])
    assert 5 < run.output_rate < 60


@pytest.mark.slow
def test_multiplicative_stdp_gives_a_unimodal_distribution(song_abbott_runs):
    run = song_abbott_runs["multiplicative"]
    w = run.weights / run.wmax
    counts, _ = np.histogram(w, bins=10, range=(0, 1))
    # one mode inside (0, wmax), near nu_post / (nu_pre + nu_post), no weight at the bounds
    assert np.mean((w > 0.3) & (w < 0.7)) > 0.95
    assert counts[0] == 0 and counts[-1] == 0
    assert np.median(w) == pytest.approx(0.01 / (0.01 + 0.0105), abs=0.1)
    # the contrast with the additive rule, from the same inputs and initial weights
    additive = song_abbott_runs["additive"]
    np.testing.assert_array_equal(run.initial_weights, additive.initial_weights)
    assert np.std(w) < 0.3 * np.std(additive.weights / additive.wmax)
