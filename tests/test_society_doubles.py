"""Test doubles of the population protocol, and tests that they are honest doubles.

``SoftmaxPopulation`` is a real (if simple) learner: one multinomial logistic
regression per agent, all agents stacked in one array and trained together,
so a society of them behaves like one of MLPs at a fraction of the cost.
``OpinionPopulation`` holds one scalar opinion per agent and does not learn:
under the ``gossip`` protocol its opinions follow DeGroot's iteration exactly.
Both plug into a society through ``social.agents.register_agent_type``, the
same door a third kind of agent would use.
"""

from __future__ import annotations

import numpy as np
import pytest


class SoftmaxPopulation:
    """``n_agents`` independent softmax regressions trained by plain SGD, stacked."""

    kind = "softmax"
    cost_unit = "MAC"

    def __init__(self, n_agents, n_features, classes, learning_rate=0.5, random_state=None):
        self.n_agents = n_agents
        self.classes_ = np.asarray(classes)
        self.learning_rate = learning_rate
        rngs = [
            np.random.default_rng(s) for s in np.random.SeedSequence(random_state).spawn(n_agents)
        ]
        self.coef_ = np.stack(
            [0.01 * r.standard_normal((n_features, len(self.classes_))) for r in rngs]
        )
        self.intercept_ = np.zeros((n_agents, len(self.classes_)))
        self._cost = np.zeros(n_agents)

    def _stack(self, Xs):
        if isinstance(Xs, np.ndarray) and Xs.ndim == 2:
            return np.broadcast_to(Xs, (self.n_agents,) + Xs.shape), np.ones(
                (self.n_agents, len(Xs)), bool
            )
        assert len(Xs) == self.n_agents
        longest = max((len(X) for X in Xs), default=0)
        stacked = np.zeros((self.n_agents, longest, self.coef_.shape[1]))
        mask = np.zeros((self.n_agents, longest), bool)
        for i, X in enumerate(Xs):
            stacked[i, : len(X)] = X
            mask[i, : len(X)] = True
        return stacked, mask

    def _proba(self, stacked):
        logits = np.einsum("asf,afc->asc", stacked, self.coef_) + self.intercept_[:, None, :]
        logits -= logits.max(axis=2, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=2, keepdims=True)

    def partial_fit(self, Xs, ys):
        stacked, mask = self._stack(Xs)
        targets = np.zeros(mask.shape + (len(self.classes_),))
        for i, y in enumerate(ys):
            assert np.isin(y, self.classes_).all()
            targets[i, np.arange(len(y)), np.searchsorted(self.classes_, y)] = 1.0
        error = (self._proba(stacked) - targets) * mask[:, :, None]
        count = np.maximum(mask.sum(axis=1), 1)[:, None]
        self.coef_ -= (
            self.learning_rate * np.einsum("asf,asc->afc", stacked, error) / count[:, :, None]
        )
        self.intercept_ -= self.learning_rate * error.sum(axis=1) / count
        self._cost += 2 * mask.sum(axis=1) * self.coef_[0].size
        return self

    def predict_proba(self, Xs):
        stacked, mask = self._stack(Xs)
        self._cost += mask.sum(axis=1) * self.coef_[0].size
        p = self._proba(stacked)
        if isinstance(Xs, np.ndarray):
            return p
        return [p[i, : len(X)] for i, X in enumerate(Xs)]

    def predict(self, Xs):
        p = self.predict_proba(Xs)
        if isinstance(p, np.ndarray):
            return self.classes_[p.argmax(axis=2)]
        return [self.classes_[q.argmax(axis=1)] for q in p]

    def get_agent_weights(self, i):
        return {"coef": self.coef_[i].copy(), "intercept": self.intercept_[i].copy()}

    def set_agent_weights(self, i, params):
        assert params["coef"].shape == self.coef_[i].shape
        self.coef_[i] = params["coef"]
        self.intercept_[i] = params["intercept"]

    def cost(self):
        return self._cost.copy()


class OpinionPopulation:
    """One scalar opinion per agent, drawn from N(0, 1); no learning, predicts class 0."""

    kind = "opinion"
    cost_unit = "MAC"

    def __init__(self, n_agents, n_features, classes, random_state=None):
        self.n_agents = n_agents
        self.classes_ = np.asarray(classes)
        self.opinion_ = np.random.default_rng(random_state).standard_normal(n_agents)

    def partial_fit(self, Xs, ys):
        return self

    def predict_proba(self, Xs):
        n = len(Xs[0]) if isinstance(Xs, np.ndarray) and Xs.ndim == 2 else None
        one_hot = lambda m: np.eye(len(self.classes_))[np.zeros(m, int)]
        if n is not None:
            return np.stack([one_hot(len(Xs))] * self.n_agents)
        return [one_hot(len(X)) for X in Xs]

    def predict(self, Xs):
        p = self.predict_proba(Xs)
        return [self.classes_[q.argmax(axis=-1)] for q in p]

    def get_agent_weights(self, i):
        return {"opinion": np.array(self.opinion_[i])}

    def set_agent_weights(self, i, params):
        self.opinion_[i] = float(params["opinion"])

    def cost(self):
        return np.zeros(self.n_agents)


@pytest.fixture
def softmax_type():
    """Register SoftmaxPopulation as agent type "softmax" for one test."""
    from social.agents import AGENT_TYPES, register_agent_type

    with AGENT_TYPES.restored():
        register_agent_type("softmax", SoftmaxPopulation)
        yield "softmax"


def test_softmax_double_learns_digits_like_sklearn():
    from sklearn.linear_model import LogisticRegression

    from tasks import load_task

    task = load_task("digits")
    pop = SoftmaxPopulation(2, task.n_features, task.classes, random_state=0)
    for _ in range(100):
        pop.partial_fit([task.X_train, task.X_train[:0]], [task.y_train, task.y_train[:0]])
    accuracy = (np.asarray(pop.predict(task.X_test)) == task.y_test).mean(axis=1)
    reference = (
        LogisticRegression(max_iter=1000)
        .fit(task.X_train, task.y_train)
        .score(task.X_test, task.y_test)
    )
    assert accuracy[0] > reference - 0.05  # full-batch SGD gets close to the peer library
    assert accuracy[1] < 0.3  # the agent given no data stays at chance


def test_softmax_double_agents_are_independent_and_seeded():
    a = SoftmaxPopulation(3, 4, [0, 1], random_state=1)
    b = SoftmaxPopulation(3, 4, [0, 1], random_state=1)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.allclose(a.coef_[0], a.coef_[1])
