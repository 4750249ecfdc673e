"""The experiment registry and what an experiment is.

An experiment is data plus functions (the bsuite pattern):

* ``Settings``: a frozen dataclass deriving from :class:`Presets`: its defaults
  are the ``full()`` preset (the study), and its ``QUICK`` dict what the
  ``quick()`` preset changes (seconds to a couple of minutes, doubles as the
  smoke test); ``settings.seed_runs(seed, name)`` is the per-seed loop;
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
from typing import Any, ClassVar

import pandas as pd

from core.progress import progress
from core.random import child_seeds
from core.registry import Registry, identity_of

#: Registered experiments by name, listed by their ``order`` (an experiment is
#: the same when its run function is: re-importing a module is harmless).
EXPERIMENTS: Registry[Experiment] = Registry(
    "experiment", identity=lambda e: identity_of(e.run), order=lambda e: e.order
)


class Presets:
    """Base of every experiment's ``Settings`` (a frozen dataclass): its two presets.

    ``full()`` is the defaults, the study; ``quick()`` the defaults changed by
    the class attribute ``QUICK`` (seconds to a couple of minutes: the smoke test).
    """

    QUICK: ClassVar[dict] = {}

    @classmethod
    def quick(cls):
        return cls(**copy.deepcopy(cls.QUICK))

    @classmethod
    def full(cls):
        return cls()

    def seed_runs(self, seed: int, desc: str):
        """The per-seed loop of a run: ``self.n_seeds`` child seeds of the master ``seed``
        (:func:`core.random.child_seeds`), shown as progress while the command line runs
        (as :func:`experiments.runner.progress` shows it)."""
        return progress(child_seeds(seed, self.n_seeds), desc=desc, unit="seeds", verbose=None)


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
    name: str,
    description: str,
    settings: type,
    figures: Callable,
    summary: Callable,
    *,
    aggregate_figures: Callable | None = None,
    expected_seconds: dict | None = None,
    columns: dict | None = None,
    order: float = DEFAULT_ORDER,
):
    """Register ``run`` as the experiment ``name`` (decorator).

    ``expected_seconds`` (``{"quick": s, "full": s}``, measured on a 2-core
    machine) is what ``python -m experiments list`` shows and a run announces;
    ``columns`` (``{name: experiments.columns.Column}``) is its data dictionary;
    ``order`` its place in the listing (the shipped experiments use 10, 20, ...:
    single learners first, then societies).
    """

    def decorator(run):
        EXPERIMENTS.register(
            name,
            Experiment(
                name,
                description,
                settings,
                run,
                figures,
                summary,
                aggregate_figures,
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
