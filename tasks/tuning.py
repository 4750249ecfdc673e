"""Hyper-parameter search that cannot see a test split.

The project's evaluation protocol: every choice made by measurement is made
on a validation split, and the test split is read once per reported number.
The helpers here enforce the first half: they accept only a
:class:`tasks.DevelopmentTask` (``task.development()``), which has no test
arrays, and score every trial on its validation split. The search space is
declared up front, the budget is a fixed number of trials drawn from one
seed, and every trial (parameters, validation score, wall time, any error)
is recorded in the result, so that the search can be reported as it ran.

The helpers know nothing of the learners: ``build(**params)`` returns an
unfitted estimator with ``fit(X, y)`` and ``score(X, y)`` (accuracy for
classifiers, R^2 for regressors, as in scikit-learn).

>>> from sklearn.linear_model import LogisticRegression
>>> from tasks import load_task
>>> dev = load_task("iris", seed=0).development()
>>> result = grid_search(lambda C: LogisticRegression(C=C), {"C": [0.1, 1.0, 10.0]}, dev)
>>> len(result.trials), sorted(result.best_params)
(3, ['C'])
"""

from __future__ import annotations

import itertools
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np

from core.params import Interval, check_param
from core.random import check_seed
from tasks._base import DevelopmentTask, Task

__all__ = ["Trial", "SearchResult", "draw_settings", "random_search", "grid_search"]


@dataclass
class Trial:
    """One evaluated setting: its parameters, validation score and wall time.

    ``score`` is NaN and ``error`` holds the exception's last line when the
    fit or the scoring raised.
    """

    number: int
    params: dict
    score: float
    seconds: float
    error: str | None = None


@dataclass
class SearchResult:
    """Every trial of a search, in the order they ran.

    Attributes
    ----------
    trials : list of Trial
    space : dict
        The declared search space (parameter -> candidate values).
    n_trials : int
        The budget (equal to ``len(trials)``: failed trials count).
    seed : int or None
        The seed the random search drew its trials from (None for a grid).
    task : str
        Name of the task tuned on.
    """

    trials: list[Trial]
    space: dict
    n_trials: int
    seed: int | None
    task: str
    metadata: dict = field(default_factory=dict)

    @property
    def best(self) -> Trial:
        """The trial with the highest validation score (the earliest among ties)."""
        scored = [t for t in self.trials if np.isfinite(t.score)]
        if not scored:
            raise ValueError(f"every one of the {len(self.trials)} trials failed")
        return max(scored, key=lambda t: (t.score, -t.number))

    @property
    def best_params(self) -> dict:
        return dict(self.best.params)

    @property
    def best_score(self) -> float:
        return self.best.score

    def to_frame(self):
        """The trials as a pandas DataFrame (one row per trial, one column per parameter)."""
        import pandas as pd

        rows = [
            {
                "trial": t.number,
                **{k: _plain(v) for k, v in t.params.items()},
                "val_score": t.score,
                "seconds": t.seconds,
                "error": t.error,
            }
            for t in self.trials
        ]
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        """A markdown table of the trials, best marked, for bench/RESULTS.md."""
        names = list(self.space)
        lines = [
            "| trial | " + " | ".join(names) + " | validation score | seconds |",
            "| ---: | " + " | ".join("---" for _ in names) + " | ---: | ---: |",
        ]
        best = self.best.number if any(np.isfinite(t.score) for t in self.trials) else -1
        for t in self.trials:
            score = f"{t.score:.4f}" if np.isfinite(t.score) else f"failed ({t.error})"
            mark = " **best**" if t.number == best else ""
            values = " | ".join(str(_plain(t.params.get(n, "-"))) for n in names)
            lines.append(f"| {t.number} | {values} | {score}{mark} | {t.seconds:.0f} |")
        return "\n".join(lines)


def _plain(value):
    """A parameter value as a short printable (Brian2 quantities keep their unit)."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (bool, str, type(None))):
        return value
    return str(value)


def _check_development(task) -> DevelopmentTask:
    if isinstance(task, Task):
        raise TypeError(
            "tuning takes a task without its test split: pass task.development() "
            f"instead of the Task {task.name!r} itself"
        )
    if not isinstance(task, DevelopmentTask):
        raise TypeError(
            f"task must be a tasks.DevelopmentTask (task.development()), got {type(task).__name__}"
        )
    if len(task.X_val) == 0:
        raise ValueError(
            f"task {task.name!r} has an empty validation split; load it with validation_size > 0"
        )
    return task


def _check_space(space) -> dict:
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"space must be a non-empty dict of parameter -> values, got {space!r}")
    checked = {}
    for name, values in space.items():
        if not isinstance(name, str):
            raise ValueError(f"space keys must be parameter names, got {name!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(
                f"space[{name!r}] must be a non-empty list of candidate values, got {values!r}"
            )
        checked[name] = list(values)
    return checked


def _positive_int(value, name):
    return check_param(name, value, [Interval(Integral, 1, None)])


def _run_trials(build, settings, task, score, log):
    trials = []
    for number, params in enumerate(settings):
        started = time.perf_counter()
        error = None
        try:
            estimator = build(**params)
            estimator.fit(task.X_train, task.y_train)
            value = float(
                estimator.score(task.X_val, task.y_val)
                if score is None
                else score(estimator, task.X_val, task.y_val)
            )
        except Exception as exc:  # a failed trial is recorded, not fatal
            value = float("nan")
            error = traceback.format_exception_only(type(exc), exc)[-1].strip()
        trial = Trial(number, dict(params), value, time.perf_counter() - started, error)
        trials.append(trial)
        if log is not None:
            log(trial)
    return trials


def draw_settings(
    space: Mapping[str, Sequence], n_trials: int, seed: int, *, first: Mapping | None = None
) -> list[dict]:
    """The ``n_trials`` settings :func:`random_search` evaluates, in order.

    Drawn without replacement from the product of the candidate lists with
    ``numpy.random.default_rng(seed)``; ``first`` (if given) is the first
    setting. Useful where the trials run side by side (e.g. many spiking
    networks in one simulation) rather than one fit after another.
    """
    space = _check_space(space)
    n_trials = _positive_int(n_trials, "n_trials")
    seed = check_seed(seed)
    sizes = [len(values) for values in space.values()]
    n_grid = int(np.prod(sizes))
    if n_trials > n_grid:
        raise ValueError(f"n_trials={n_trials} exceeds the {n_grid} settings of the space")
    names = list(space)
    chosen: list[tuple[int, ...]] = []
    if first is not None:
        unknown = sorted(set(first) - set(space))
        if unknown or set(first) != set(space):
            raise ValueError(
                f"first must give a value for exactly the parameters of space {names}, "
                f"got {sorted(first)}"
            )
        index = []
        for name in names:
            matches = [i for i, v in enumerate(space[name]) if _same(v, first[name])]
            if not matches:
                raise ValueError(
                    f"first[{name!r}]={first[name]!r} is not among the candidates {space[name]!r}"
                )
            index.append(matches[0])
        chosen.append(tuple(index))
    rng = np.random.default_rng(int(seed))
    flat = rng.permutation(n_grid)
    for code in flat:
        if len(chosen) == n_trials:
            break
        index = tuple(int(i) for i in np.unravel_index(int(code), sizes))
        if index not in chosen:
            chosen.append(index)
    settings = [{n: space[n][i] for n, i in zip(names, index)} for index in chosen]
    return settings


def random_search(
    build: Callable[..., Any],
    space: Mapping[str, Sequence],
    task: DevelopmentTask,
    n_trials: int,
    seed: int,
    *,
    first: Mapping | None = None,
    score: Callable | None = None,
    log: Callable[[Trial], None] | None = None,
) -> SearchResult:
    """Random search over a declared grid with a fixed budget of ``n_trials`` trials.

    Settings are drawn without replacement from the product of the
    candidate lists, from ``numpy.random.default_rng(seed)``; ``first``
    (e.g. the current defaults) is trial 0 and counts against the budget.
    Each trial fits ``build(**params)`` on ``task.X_train`` and scores it on
    ``task.X_val`` (``score(estimator, X_val, y_val)`` if given, else the
    estimator's own ``score``).

    Parameters
    ----------
    build : callable
        ``build(**params)`` -> an unfitted estimator.
    space : dict of str -> list
        Candidate values of each parameter.
    task : tasks.DevelopmentTask
        ``task.development()``; a full :class:`tasks.Task` is refused.
    n_trials : int
        The budget, at most the size of the grid.
    seed : int
    first : dict, optional
        A setting to evaluate first; every key must be in ``space`` and
        every value among its candidates.
    score : callable, optional
    log : callable, optional
        Called with each :class:`Trial` as it finishes (progress, logs).

    Returns
    -------
    SearchResult
    """
    task = _check_development(task)
    settings = draw_settings(space, n_trials, seed, first=first)
    space, n_trials = _check_space(space), len(settings)
    trials = _run_trials(build, settings, task, score, log)
    return SearchResult(trials, space, n_trials, int(seed), task.name)


def grid_search(
    build: Callable[..., Any],
    space: Mapping[str, Sequence],
    task: DevelopmentTask,
    *,
    score: Callable | None = None,
    log: Callable[[Trial], None] | None = None,
) -> SearchResult:
    """Every setting of the grid ``space`` (the budget is the grid's size), scored on validation.

    See :func:`random_search` for the parameters.
    """
    task = _check_development(task)
    space = _check_space(space)
    names = list(space)
    settings = [dict(zip(names, values)) for values in itertools.product(*space.values())]
    trials = _run_trials(build, settings, task, score, log)
    return SearchResult(trials, space, len(settings), None, task.name)


def _same(a, b) -> bool:
    """Whether a candidate value equals ``first``'s (quantities with their units)."""
    if a is b:
        return True
    numbers = (int, float, np.integer, np.floating)
    if type(a) is not type(b) and not (
        isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool)
    ):
        return False
    try:
        return bool(np.all(a == b))
    except Exception:
        return False
