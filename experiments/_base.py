"""The experiment registry and what an experiment is.

An experiment is data plus functions (the bsuite pattern):

* ``Settings``: a frozen dataclass deriving from :class:`Presets`: its defaults
  are the ``full()`` preset (the study), and its ``QUICK`` dict what the
  ``quick()`` preset changes (seconds to a couple of minutes, doubles as the
  smoke test); its ``CONSTRAINTS`` dict what its own settings may be (the
  shared ones are :data:`SHARED_CONSTRAINTS`), checked whenever settings are
  built; ``settings.seed_runs(seed, name)`` is the per-seed loop;
* ``run(settings, seed, progress) -> Result``: computes tidy tables, writes nothing;
* ``figures(result, settings) -> {name: Figure}``: draws from the tables alone,
  so ``python -m experiments plot`` can redraw a saved run without recomputing;
* ``summary(result, settings) -> str``: a few lines of Markdown with the key numbers;
* optionally ``aggregate_figures(aggregate) -> {name: Figure}``: figures of a
  sweep across seeds, drawn from an :class:`experiments.aggregate.Aggregate`
  (``summary``: mean and confidence interval per setting and group;
  ``observations``: one value per run; ``setting_columns``; ``confidence``);
  :mod:`experiments.sweep_figures` has the building blocks. Without it the
  sweep draws one generic figure per metric.

The runner (:mod:`experiments.runner`) decides where things are saved.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar

import pandas as pd

from core.params import Interval, NoneOf, validate_params
from core.progress import progress
from core.random import child_seeds
from core.registry import Registry, identity_of

#: Registered experiments by name, listed by their ``order`` (an experiment is
#: the same when its run function is: re-importing a module is harmless).
EXPERIMENTS: Registry[Experiment] = Registry(
    "experiment", identity=lambda e: identity_of(e.run), order=lambda e: e.order
)


#: A positive integer.
COUNT = [Interval(Integral, 1, None)]
#: A positive integer, or None for "all of them" (e.g. the whole test split).
COUNT_OR_ALL = [NoneOf(), Interval(Integral, 1, None)]
#: A chance-corrected score to reach, in (0, 1].
SCORE_TARGET = [Interval(Real, 0, 1, closed="right")]
#: A number in [0, 1].
FRACTION = [Interval(Real, 0, 1)]
#: A number above 0.
POSITIVE = [Interval(Real, 0, None, closed="neither")]
#: A number of at least 0.
NON_NEGATIVE = [Interval(Real, 0, None)]

#: Constraints (:mod:`core.params`) on the settings that mean the same in every
#: experiment, by field name: an experiment (a plugin's too) gets them by using the name.
SHARED_CONSTRAINTS = {
    "n_seeds": COUNT,
    "n_train": COUNT_OR_ALL,
    "n_val": COUNT_OR_ALL,
    "n_test": COUNT_OR_ALL,
    "n_eval": COUNT_OR_ALL,
    "n_local_eval": COUNT_OR_ALL,
    "n_agents": COUNT,
    "rounds": COUNT,
    "final_rounds": COUNT,
    "local_batch": [NoneOf(), Interval(Integral, 0, None)],  # as Society: None all, 0 none
    "chunk_size": COUNT,
    "target": SCORE_TARGET,
}


class Presets:
    """Base of every experiment's ``Settings`` (a frozen dataclass): its two presets
    and the checks of its values.

    ``full()`` is the defaults, the study; ``quick()`` the defaults changed by
    the class attribute ``QUICK`` (seconds to a couple of minutes: the smoke test).
    Whenever settings are built (a preset, ``dataclasses.replace``, ``--set``, a
    saved ``config.json``), every field named in :data:`SHARED_CONSTRAINTS` or in
    the class attribute ``CONSTRAINTS`` is checked, before any work: a wrong type
    raises ``TypeError``, a wrong value ``ValueError``, both as
    ``name must be ..., got name=value`` (:func:`core.params.validate_params`).
    Checks that relate several settings stay in the experiment's ``run``.
    """

    QUICK: ClassVar[dict] = {}
    CONSTRAINTS: ClassVar[dict] = {}

    def __post_init__(self):
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        validate_params({**SHARED_CONSTRAINTS, **self.CONSTRAINTS}, values)

    @classmethod
    def quick(cls):
        return cls(**copy.deepcopy(cls.QUICK))

    @classmethod
    def full(cls):
        return cls()

    def run_seeds(self, seed: int) -> list[int]:
        """The runs' seeds: ``self.n_seeds`` child seeds of the master ``seed``
        (:func:`core.random.child_seeds`)."""
        return child_seeds(seed, self.n_seeds)

    def shared_seed(self, seed: int) -> int:
        """One more child seed of ``seed``, independent of the runs' seeds, for what
        every run shares (e.g. one evaluation sample for all seeds)."""
        return child_seeds(seed, self.n_seeds + 1)[-1]

    def seed_runs(self, seed: int, desc: str, *, each=None, unit: str = "seeds"):
        """The per-seed loop of a run: the :meth:`run_seeds` of the master ``seed``,
        shown as progress while the command line runs (a bar on a terminal, else a
        status line every 30 s; silent when called from Python or inside a sweep).

        With ``each`` (a sequence), ``(item, seed)`` pairs instead: every item with
        every seed, the items in the outer loop, one progress step per pair (``unit``
        names it).
        """
        seeds = self.run_seeds(seed)
        jobs = seeds if each is None else [(item, s) for item in each for s in seeds]
        return progress(jobs, desc=desc, unit=unit, verbose=None)


@dataclass
class Result:
    """What an experiment's run returns.

    Attributes
    ----------
    metrics : DataFrame
        The tidy results: one row per observation. Deterministic given the
        settings and seed (no wall-clock columns), written to ``metrics.csv``.
    timings : DataFrame or None
        Wall-clock measurements, kept apart so that ``metrics.csv`` is
        reproducible to the byte; written to ``timings.csv``.
    tables : dict of DataFrame
        Further tidy tables a figure needs (``<name>.csv``), e.g. weights.
    """

    metrics: pd.DataFrame
    timings: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


#: Listing position of an experiment that declares none (after the shipped ones).
DEFAULT_ORDER = 1000


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    settings: type
    run: Callable[..., Result]
    figures: Callable[[Result, Any], dict]
    summary: Callable[[Result, Any], str]
    aggregate_figures: Callable[[Any], dict] | None = None
    #: Wall-clock seconds of each preset on the reference machine, e.g.
    #: ``{"quick": 40, "full": 1800}``; see :mod:`experiments.expected_time`.
    expected_seconds: dict | None = None
    #: What each metrics.csv column means: ``{name: experiments.columns.Column}``.
    columns: dict | None = None
    #: Position in listings and ``run all`` (smaller first, ties by registration).
    order: float = DEFAULT_ORDER

    def preset(self, quick: bool):
        return self.settings.quick() if quick else self.settings.full()

    def settings_from_dict(self, values: dict):
        """Rebuild settings saved in ``config.json``; unknown keys are rejected."""
        known = {f.name: f for f in dataclasses.fields(self.settings)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(
                f"unknown setting(s) {unknown} for experiment {self.name!r}; known: {sorted(known)}"
            )
        converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return self.settings(**converted)


def register_experiment(
    name: str | None = None,
    description: str | None = None,
    settings: type | None = None,
    figures: Callable | None = None,
    summary: Callable | None = None,
    *,
    aggregate_figures: Callable | None = None,
    expected_seconds: dict | None = None,
    columns: dict | None = None,
    order: float = DEFAULT_ORDER,
):
    """Register ``run`` as the experiment ``name`` (decorator).

    What is not given comes from the module that defines ``run``: an
    experiment is its module (the bsuite pattern), as the shipped ones are.
    ``name`` defaults to the module's name (``experiments.rule_zoo`` is
    ``"rule_zoo"``), ``description`` to ``run``'s docstring (white space
    folded), and without ``settings``, ``figures`` and ``summary`` they are the
    module's ``Settings``, ``_figures`` and ``_summary``, and
    ``aggregate_figures`` its ``_aggregate_figures`` where it has one. ``expected_seconds`` (``{"quick": s, "full": s}``,
    measured on a 2-core machine) is what ``python -m experiments list`` shows
    and a run announces; ``columns`` (``{name: experiments.columns.Column}``)
    is its data dictionary; ``order`` its place in the listing (the shipped
    experiments use 10, 20, ...: single learners first, then societies).
    """
    given = [part is not None for part in (settings, figures, summary)]
    if any(given) and not all(given):
        raise TypeError(
            f"register_experiment({name!r}): give settings, figures and summary together, "
            "or none of them to take the module's Settings, _figures and _summary"
        )

    def decorator(run):
        experiment_name = name or run.__module__.rpartition(".")[2]
        experiment_description = description or " ".join((run.__doc__ or "").split())
        if not experiment_description:
            raise TypeError(
                f"register_experiment({experiment_name!r}) needs a description: "
                f"give one or a docstring to {run.__qualname__}"
            )
        parts = (settings, figures, summary, aggregate_figures)
        if settings is None:
            module = run.__globals__
            missing = [part for part in ("Settings", "_figures", "_summary") if part not in module]
            if missing:
                raise TypeError(
                    f"register_experiment({experiment_name!r}) without settings, figures and "
                    f"summary takes them from the module of {run.__qualname__}, which lacks "
                    f"{missing}"
                )
            parts = (
                module["Settings"],
                module["_figures"],
                module["_summary"],
                aggregate_figures or module.get("_aggregate_figures"),
            )
        experiment_settings, experiment_figures, experiment_summary, aggregate = parts
        EXPERIMENTS.register(
            experiment_name,
            Experiment(
                experiment_name,
                experiment_description,
                experiment_settings,
                run,
                experiment_figures,
                experiment_summary,
                aggregate,
                expected_seconds,
                columns,
                order,
            ),
        )
        return run

    return decorator


def get_experiment(name: str) -> Experiment:
    """The experiment registered as ``name`` (``EXPERIMENTS[name]``; the error lists the known ones)."""
    return EXPERIMENTS[name]
