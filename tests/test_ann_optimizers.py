"""Optimizers against scikit-learn's, and the per-network mask of a stack."""

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from ann import OPTIMIZERS, Optimizer, register_optimizer
from ann.optimizers import make_optimizer


def run(ours, theirs, n_steps=25, seed=0):
    rng = np.random.default_rng(seed)
    p_ours = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    p_theirs = [p.copy() for p in p_ours]
    ours, theirs = ours(p_ours), theirs(p_theirs)
    for _ in range(n_steps):
        grads = [rng.standard_normal(p.shape) for p in p_ours]
        ours.step(p_ours, grads)
        theirs.update_params(p_theirs, grads)
    return p_ours, p_theirs


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        (
            "sgd",
            lambda p: make_optimizer("sgd", p, 0.05),
            lambda p: SGDOptimizer(p, learning_rate_init=0.05, momentum=0.0, nesterov=False),
        ),
        (
            "momentum",
            lambda p: make_optimizer("momentum", p, 0.05, optimizer_params={"momentum": 0.8}),
            lambda p: SGDOptimizer(p, learning_rate_init=0.05, momentum=0.8, nesterov=False),
        ),
        (
            "nesterov",
            lambda p: make_optimizer("momentum", p, 0.05, optimizer_params={"nesterov": True}),
            lambda p: SGDOptimizer(p, learning_rate_init=0.05, momentum=0.9, nesterov=True),
        ),
        (
            "adam",
            lambda p: make_optimizer("adam", p, 0.01, optimizer_params={"beta_1": 0.8}),
            lambda p: AdamOptimizer(p, learning_rate_init=0.01, beta_1=0.8),
        ),
    ],
)
def test_optimizer_steps_match_scikit_learn(name, ours, theirs):
    p_ours, p_theirs = run(ours, theirs)
    for a, b in zip(p_ours, p_theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_inactive_networks_keep_parameters_and_state(name):
    """Stepping a stack with a mask equals stepping only the active networks on their own."""
    rng = np.random.default_rng(1)
    stacked = rng.standard_normal((3, 5))
    singles = [row.copy() for row in stacked]
    opt_stack = make_optimizer(name, [stacked], 0.1, batch_shape=(3,))
    opt_single = [make_optimizer(name, [row], 0.1) for row in singles]
    for step in range(6):
        grads = rng.standard_normal((3, 5))
        active = np.array([True, step % 2 == 0, step % 3 == 0])
        opt_stack.step([stacked], [grads], active)
        for i in np.flatnonzero(active):
            opt_single[i].step([singles[i]], [grads[i]])
    np.testing.assert_allclose(stacked, np.stack(singles), rtol=1e-12, atol=1e-15)


def test_unknown_optimizer_and_hyperparameters_are_named():
    with pytest.raises(ValueError, match=r"unknown optimizer='rmsprop'.*adam.*momentum.*sgd"):
        make_optimizer("rmsprop", [np.zeros(2)], 0.1)
    with pytest.raises(ValueError, match=r"momentom.*momentum"):
        make_optimizer("momentum", [np.zeros(2)], 0.1, optimizer_params={"momentom": 0.5})
    with pytest.raises(
        ValueError, match=r"momentum must be a number in \[0, 1\), got momentum=1.5"
    ):
        make_optimizer("momentum", [np.zeros(2)], 0.1, optimizer_params={"momentum": 1.5})
    with pytest.raises(ValueError, match=r"learning_rate=-1"):
        make_optimizer("sgd", [np.zeros(2)], -1)


def test_registering_an_optimizer():
    @register_optimizer("sign_sgd_test")
    class SignSGD(Optimizer):
        """signSGD (Bernstein et al. 2018): step against the gradient's sign."""

        def _get_updates(self, grads):
            return [-self.learning_rate * np.sign(g) for g in grads]

    try:
        w = np.array([1.0, 1.0])
        make_optimizer("sign_sgd_test", [w], 0.5).step([w], [np.array([3.0, -0.1])])
        np.testing.assert_array_equal(w, [0.5, 1.5])
        # the same class again (a re-run notebook cell) is fine, another class is not
        assert register_optimizer("sign_sgd_test")(SignSGD) is SignSGD

        class OtherSGD(SignSGD):
            pass

        with pytest.raises(ValueError, match="already registered"):
            register_optimizer("sign_sgd_test")(OtherSGD)
    finally:
        OPTIMIZERS.unregister("sign_sgd_test")
