"""Readouts: from excitatory spike counts per presentation to predictions.

A readout keeps *sufficient statistics* (sums over the samples it has seen)
rather than a solved model, for three reasons: it can be updated online
(``partial_fit``), an arithmetic average of two agents' statistics is itself a
meaningful statistic (parameter gossip in :mod:`social`), and every agent of a
population is handled by one vectorised computation. All arrays carry a
leading agent axis; a single estimator is a population of one.

``vote``
    Diehl & Cook (2015): each neuron is assigned to the class for which its
    average response is highest; a sample is classified by the class whose
    assigned neurons respond most on average. Statistics: summed responses
    per neuron and class, samples per class.
``linear``
    Ridge regression on the spike counts (with an unpenalised intercept),
    one-vs-rest for classification. Statistics: ``sum(phi phi^T)`` and
    ``sum(phi y^T)`` with ``phi = [counts, 1]``.

>>> import numpy as np

>>> readout = VoteReadout(n_agents=1, n_neurons=2, n_outputs=2)
>>> counts = np.array([[[5, 0], [0, 3]]])          # (agent, sample, neuron)
>>> readout.update(counts, np.eye(2)[None])       # sample 0 is class 0, sample 1 class 1
>>> readout.scores(np.array([[[0, 4]]])).round(2).tolist()
[[[0.0, 4.0]]]
"""

from __future__ import annotations

import copy

import numpy as np

from core.registry import Registry

__all__ = ["READOUTS", "register_readout", "VoteReadout", "LinearReadout"]

#: Registered readouts, name -> class.
READOUTS: Registry[type] = Registry("readout", set_name=True)


def register_readout(name: str, *, replace: bool = False):
    """Register a readout class under ``name`` (the estimators' ``readout=``)."""
    return READOUTS.register(name, replace=replace)


class _Readout:
    """Common part: statistics with a leading agent axis, get/set per agent."""

    name = ""
    #: Whether the readout can predict real-valued targets.
    supports_regression = False

    def __init__(self, n_agents: int, n_neurons: int, n_outputs: int):
        self.n_agents, self.n_neurons, self.n_outputs = n_agents, n_neurons, n_outputs
        self.stats = self._empty_stats()

    def _empty_stats(self) -> dict:
        raise NotImplementedError

    def reset(self, agents=None):
        """Forget the statistics of ``agents`` (all by default)."""
        empty = self._empty_stats()
        for key, value in self.stats.items():
            if agents is None:
                value[...] = empty[key]
            else:
                value[agents] = empty[key][agents]

    def empty_copy(self):
        """A readout with the same settings and no statistics (``self`` unchanged)."""
        clone = copy.copy(self)
        clone.stats = self._empty_stats()
        return clone

    def get_state(self, agent: int) -> dict:
        """Copies of agent ``agent``'s statistics, keys prefixed with the readout name."""
        return {f"readout_{key}": value[agent].copy() for key, value in self.stats.items()}

    def set_state(self, agent: int, state: dict):
        """Set agent ``agent``'s statistics from :meth:`get_state`-style entries."""
        for key, value in self.stats.items():
            value[agent] = state[f"readout_{key}"]

    def state_shapes(self) -> dict:
        return {f"readout_{key}": value.shape[1:] for key, value in self.stats.items()}

    # -- operation counts (core.opcounts, category "readout") -------------------------------
    def update_operations(self, counts, mask=None):
        """Per agent ``(operations, words read, words written)`` of :meth:`update`."""
        raise NotImplementedError

    def score_operations(self, counts, mask=None):
        """Per agent ``(operations, words read, words written)`` of :meth:`scores`."""
        raise NotImplementedError

    @staticmethod
    def _nonzero(counts, mask):
        """Non-zero spike counts per sample (agents, samples) and samples per agent."""
        nonzero = np.count_nonzero(np.asarray(counts), axis=-1)
        keep = np.ones(nonzero.shape) if mask is None else np.asarray(mask, dtype=float)
        return (nonzero * keep).astype(np.int64), keep.sum(axis=1).astype(np.int64)

    def predict_proba(self, counts):
        """Class probabilities (rows sum to 1) from :meth:`scores`.

        Negative scores count as zero; a sample with no positive score gets the
        uniform distribution.
        """
        scores = np.clip(self.scores(counts), 0.0, None)
        total = scores.sum(axis=-1, keepdims=True)
        uniform = np.full_like(scores, 1.0 / scores.shape[-1])
        return np.where(total > 0, scores / np.where(total > 0, total, 1.0), uniform)


@register_readout("vote")
class VoteReadout(_Readout):
    """Diehl & Cook's label assignment and vote.

    Parameters
    ----------
    n_agents, n_neurons, n_outputs : int
        ``n_outputs`` is the number of classes.

    References
    ----------
    Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
    """

    def _empty_stats(self):
        return {
            "response_sum": np.zeros((self.n_agents, self.n_neurons, self.n_outputs)),
            "class_count": np.zeros((self.n_agents, self.n_outputs)),
        }

    def update(self, counts, targets, weights=None):
        """Add samples. ``counts`` (agents, samples, neurons); ``targets`` one-hot
        (agents, samples, classes); ``weights`` (agents, samples) of 0/1 masks
        out padding."""
        counts = np.asarray(counts, dtype=float)
        targets = np.asarray(targets, dtype=float)
        if weights is not None:
            targets = targets * np.asarray(weights, dtype=float)[:, :, None]
        self.stats["response_sum"] += np.einsum("asn,asc->anc", counts, targets)
        self.stats["class_count"] += targets.sum(axis=1)

    def update_operations(self, counts, mask=None):
        """One add per non-zero count (into its neuron's column of the sample's class)."""
        nonzero, samples = self._nonzero(counts, mask)
        operations = nonzero.sum(axis=1) + samples  # plus the class counter
        return operations, operations, operations

    def score_operations(self, counts, mask=None):
        """One add per non-zero count into its neuron's class, one divide per class."""
        nonzero, samples = self._nonzero(counts, mask)
        operations = nonzero.sum(axis=1) + samples * self.n_outputs
        return operations, operations, samples * self.n_outputs

    def assignments(self):
        """Class index per neuron (agents, neurons); -1 for a neuron that never responded."""
        mean_response = self.stats["response_sum"] / np.maximum(
            self.stats["class_count"][:, None, :], 1.0
        )
        assigned = mean_response.argmax(axis=2)
        return np.where(mean_response.max(axis=2) > 0, assigned, -1)

    def scores(self, counts):
        """Mean count of the neurons assigned to each class: (agents, samples, classes)."""
        counts = np.asarray(counts, dtype=float)
        assigned = self.assignments()
        members = (assigned[:, :, None] == np.arange(self.n_outputs)).astype(float)
        n_members = members.sum(axis=1)  # (agents, classes)
        summed = np.einsum("asn,anc->asc", counts, members)
        return summed / np.maximum(n_members, 1.0)[:, None, :]


@register_readout("linear")
class LinearReadout(_Readout):
    """Ridge regression on spike counts, one output per class (or one target).

    Parameters
    ----------
    n_agents, n_neurons, n_outputs : int
    alpha : float
        Ridge penalty (on the count weights, not the intercept), in units of
        squared spike counts summed over samples.
    """

    supports_regression = True

    def __init__(self, n_agents, n_neurons, n_outputs, alpha=1.0):
        self.alpha = float(alpha)
        super().__init__(n_agents, n_neurons, n_outputs)

    def _empty_stats(self):
        size = self.n_neurons + 1
        return {
            "gram": np.zeros((self.n_agents, size, size)),
            "moment": np.zeros((self.n_agents, size, self.n_outputs)),
        }

    @staticmethod
    def _design(counts):
        counts = np.asarray(counts, dtype=float)
        ones = np.ones(counts.shape[:-1] + (1,))
        return np.concatenate([counts, ones], axis=-1)

    def update(self, counts, targets, weights=None):
        """Add samples: ``counts`` (agents, samples, neurons), ``targets``
        (agents, samples, outputs), optional 0/1 ``weights`` (agents, samples)."""
        phi = self._design(counts)
        targets = np.asarray(targets, dtype=float)
        weighted = phi if weights is None else phi * np.asarray(weights, float)[:, :, None]
        self.stats["gram"] += np.einsum("asi,asj->aij", weighted, phi)
        self.stats["moment"] += np.einsum("asi,aso->aio", weighted, targets)

    def update_operations(self, counts, mask=None):
        """Multiply-accumulates of the Gram matrix and moment updates, zero counts skipped."""
        nonzero, samples = self._nonzero(counts, mask)
        active = nonzero + 1  # the intercept's constant 1
        keep = np.ones(nonzero.shape) if mask is None else np.asarray(mask, dtype=float)
        operations = ((active * active + active * self.n_outputs) * keep).sum(axis=1)
        operations = operations.astype(np.int64)
        return operations, operations, operations

    def score_operations(self, counts, mask=None):
        """The ridge solve (LU: (n+1)^3/3 plus substitutions) once per call, then one
        multiply-accumulate per non-zero count and output."""
        nonzero, samples = self._nonzero(counts, mask)
        size = self.n_neurons + 1
        solve = size**3 // 3 + size * size * self.n_outputs
        per_sample = ((nonzero + 1) * self.n_outputs).sum(axis=1)
        operations = np.where(samples > 0, solve + per_sample, 0).astype(np.int64)
        return operations, operations, samples * self.n_outputs

    def coefficients(self):
        """Ridge solution per agent: (agents, neurons + 1, outputs), intercept last."""
        penalty = np.full(self.n_neurons + 1, self.alpha)
        penalty[-1] = 0.0
        gram = self.stats["gram"] + np.diag(penalty)[None]
        # A tiny jitter on the intercept keeps an agent that has seen nothing solvable.
        gram[:, -1, -1] += 1e-12
        return np.linalg.solve(gram, self.stats["moment"])

    def scores(self, counts):
        """Linear predictions (agents, samples, outputs)."""
        return np.einsum("asi,aio->aso", self._design(counts), self.coefficients())
