"""The typed interfaces every learner and population keeps, and the helpers they share.

:class:`Learner`
    A scikit-learn style estimator (``ann.MLPClassifier``, ``snn.STDPClassifier``,
    ...): ``fit``, ``partial_fit``, ``predict``, ``score``, ``cost``; the
    constructor stores parameters, validation happens in ``fit``
    (:mod:`core.params`), fitted state ends in ``_``, and:

    * ``history_`` is a list of per-epoch dicts with at least the keys of
      :class:`HistoryEntry` (``wall_seconds`` is that epoch's time, not a
      running total);
    * predicting before fitting raises ``sklearn.exceptions.NotFittedError``
      (:func:`check_fitted`);
    * a fit that raises leaves the previous model in place (:func:`atomic_fit`);
    * ``predict``, ``predict_proba`` and ``score`` never change the estimator;
      ``cost(X)`` reports what predicting ``X`` would cost without doing it.

:class:`Population`
    What a society needs from a kind of agent: ``n_agents``, ``kind``,
    ``classes_``, ``partial_fit(Xs, ys)``, ``predict(Xs)``,
    ``predict_proba(Xs)``, ``get_agent_weights(i)`` /
    ``set_agent_weights(i, weights)`` (an agent's learned weights, for gossip;
    not scikit-learn's ``get_params``) and ``cost()``. A population is a
    simulation, not an estimator: it may count inference as it predicts.
    Its ``partial_fit`` checks every input before any work, so a refused call
    changes nothing; a failure during training (a divergence, named by agent)
    is not rolled back. A round is a society's inner loop, and copying every
    agent's weights and optimizer state first would cost a large part of it
    (an ``ann.MLPPopulation`` of 100 agents with 4,810 parameters each: 2.6 ms
    into reused buffers, 7-11 ms into new ones, against about 46 ms for a
    round of 20 samples per agent).

Both are ``typing.Protocol`` s checked at run time with ``isinstance``.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol, TypedDict, runtime_checkable

from sklearn.exceptions import NotFittedError

__all__ = [
    "HistoryEntry",
    "Learner",
    "MultiOutputRegressor",
    "Population",
    "atomic_fit",
    "check_fitted",
    "missing_members",
]


class HistoryEntry(TypedDict):
    """The keys every ``history_`` entry has (learners add their own score and counts)."""

    epoch: int  #: 1-based, counting fit epochs and partial_fit calls alike
    samples_seen: int  #: cumulative
    wall_seconds: float  #: this epoch's wall time


@runtime_checkable
class Learner(Protocol):
    """A scikit-learn style estimator of this project (see the module docstring)."""

    def fit(self, X, y) -> Learner: ...

    def partial_fit(self, X, y, **kwargs) -> Learner: ...

    def predict(self, X) -> Any: ...

    def score(self, X, y) -> float: ...

    def cost(self, X=None) -> Any: ...

    def get_params(self, deep: bool = True) -> dict: ...


@runtime_checkable
class Population(Protocol):
    """What a society needs from a kind of agent (see the module docstring)."""

    n_agents: int
    kind: str
    classes_: Any
    cost_unit: str

    def partial_fit(self, Xs, ys) -> Population:
        """Train every agent on its own data.

        Parameters
        ----------
        Xs : list of n_agents arrays (n_i, n_features)
            A length-0 array means the agent does not learn this round.
        ys : list of n_agents arrays (n_i,)
            Labels, each in ``classes_``.

        Returns
        -------
        self
        """

    def predict(self, Xs) -> Any: ...

    def predict_proba(self, Xs) -> Any: ...

    def get_agent_weights(self, i: int) -> dict: ...

    def set_agent_weights(self, i: int, weights: dict) -> None: ...

    def cost(self) -> Any: ...


class MultiOutputRegressor:
    """Mixin of a regressor that takes ``y`` of shape (n_samples, n_outputs) as well as
    (n_samples,): it sets scikit-learn's ``multi_output`` target tag."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def missing_members(obj, protocol: type) -> list[str]:
    """The attributes and methods of ``protocol`` that ``obj`` lacks (for error messages)."""
    names = list(getattr(protocol, "__annotations__", {}))
    names += [
        name
        for name, value in vars(protocol).items()
        if callable(value) and not name.startswith("_")
    ]
    return [name for name in dict.fromkeys(names) if not hasattr(obj, name)]


def check_fitted(estimator, attribute: str) -> None:
    """Raise ``NotFittedError`` unless ``estimator`` has ``attribute`` (set by fitting)."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet; call fit or partial_fit "
            "before using it"
        )


def atomic_fit(method):
    """Decorate a fitting method so that, if it raises, the estimator keeps its previous state.

    The attribute dictionary is restored; an estimator whose fitting changes
    arrays in place also implements ``_snapshot()`` (copies of what training
    changes, or None if there is nothing to copy) and ``_rollback(snapshot)``,
    called after the dictionary is back when there was a snapshot.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        snapshot = self._snapshot() if hasattr(self, "_snapshot") else None
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if snapshot is not None:
                self._rollback(snapshot)
            raise

    return wrapper
