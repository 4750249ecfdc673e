"""scikit-learn's own estimator checks, run on the project's estimators.

Claiming scikit-learn's estimator contract means passing its checks
(``sklearn.utils.estimator_checks``). The MLPs pass every check with their
default parameters; a check an estimator cannot pass is declared, with its
reason, by the estimator's ``__sklearn_tags__`` / ``_xfail_checks`` and shows
as an expected failure here, never silently skipped.
"""

from __future__ import annotations

import pytest
from brian2 import ms
from sklearn.utils.estimator_checks import parametrize_with_checks

from ann import MLPClassifier, MLPRegressor, SpikingMLPClassifier, SpikingMLPRegressor
from snn import STDPClassifier, STDPRegressor


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_the_mlps_pass_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


# Rate-coded inputs (the default) make predictions depend on sample order, which two checks
# test; the current-coded regressor passes those and declares only its float32 output.
@parametrize_with_checks(
    [SpikingMLPClassifier(), SpikingMLPRegressor(encoding="current")],
    expected_failed_checks=lambda estimator: estimator._expected_failed_checks(),
)
def test_the_spiking_mlps_pass_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    [
        STDPClassifier(
            n_neurons=4, epochs=1, presentation_time=20 * ms, rest_time=5 * ms, random_state=0
        ),
        STDPRegressor(
            n_neurons=4, epochs=1, presentation_time=20 * ms, rest_time=5 * ms, random_state=0
        ),
    ],
    expected_failed_checks=lambda estimator: estimator._expected_failed_checks(),
)
def test_small_stdp_networks_pass_scikit_learns_estimator_checks(estimator, check):
    check(estimator)
