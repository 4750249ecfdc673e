"""The registry of agent types: how a society builds a population of one kind.

A *population* is any object that follows the population protocol
(``n_agents``, ``kind``, ``classes_``, ``cost_unit``, ``partial_fit``,
``predict``, ``predict_proba``, ``get_agent_weights``, ``set_agent_weights``, ``cost``);
see ``docs/extending.md``. The society knows agents only through it, so the
built-in kinds are registered by *import path* and imported on first use:
``social`` never imports ``ann`` or ``snn`` itself (docs/architecture.md,
"Layers"), and a third kind plugs in with
:func:`register_agent_type` without touching this package.

>>> from social.agents import AGENT_TYPES
>>> sorted(AGENT_TYPES)
['ann', 'snn', 'spiking_mlp']
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from core.learner import Population, missing_members
from core.registry import Registry

#: Registered agent types: name -> factory, or ``"module:attribute"`` import
#: path of one, imported on first lookup. A factory is called as
#: ``factory(n_agents, n_features, classes, random_state=..., **params)`` and
#: returns a population (a :class:`core.learner.Population`).
AGENT_TYPES: Registry[Callable[..., Any]] = Registry("agent type", lazy=True)
AGENT_TYPES.register("ann", "ann:MLPPopulation")
AGENT_TYPES.register("snn", "snn:SNNPopulation")
AGENT_TYPES.register("spiking_mlp", "ann:SpikingMLPPopulation")


def _spiking_defaults() -> dict:
    """Presentation times that let a society of 50 spiking agents run a round in
    seconds rather than minutes (100 ms + 50 ms rest per sample instead of
    Diehl & Cook's 350 ms + 150 ms). Brian2 units, imported only when a
    spiking population is built."""
    from brian2 import ms

    return {"presentation_time": 100 * ms, "rest_time": 50 * ms}


#: The society's default population parameters per type, under the user's
#: ``agent_params``: a callable returning a dict, called when a population of
#: that type is built. ``ann``: a local batch of 32 samples is four gradient
#: steps (MLPPopulation's own default batch of 64 would make it one).
#: ``snn``: shorter presentations, see :func:`_spiking_defaults`.
#: ``spiking_mlp`` (the surrogate-gradient spiking MLP): batches of 8, as ``ann``.
AGENT_DEFAULTS: Registry[Callable[[], dict]] = Registry("agent type's defaults")
AGENT_DEFAULTS.register("ann", functools.partial(dict, batch_size=8))
AGENT_DEFAULTS.register("snn", _spiking_defaults)
AGENT_DEFAULTS.register("spiking_mlp", functools.partial(dict, batch_size=8))


def agent_defaults(name: str) -> dict:
    """The society's default population parameters for agent type ``name``."""
    return dict(AGENT_DEFAULTS[name]()) if name in AGENT_DEFAULTS else {}


def register_agent_type(
    name: str,
    factory: Callable[..., Any] | str | None = None,
    *,
    defaults: dict | Callable[[], dict] | None = None,
    replace: bool = False,
):
    """Register a kind of agent under ``name``.

    Usable as a call, ``register_agent_type("knn", KNNPopulation)``, or as a
    class decorator, ``@register_agent_type("knn")``.

    Parameters
    ----------
    name : str
        The type name used in ``Society(agents=...)`` and in the ``type``
        column of the society's table.
    factory : callable or str, optional
        ``factory(n_agents, n_features, classes, random_state=..., **params)``
        returning a population (usually the population class itself), or a
        ``"module:attribute"`` import path to one.
    defaults : dict or callable, optional
        Population parameters a society passes unless its ``agent_params``
        say otherwise (a callable is called when a population is built).
    replace : bool, default False
        Replace another factory registered under ``name`` instead of raising
        (the same factory again, as from a re-run notebook cell, is always fine).

    Examples
    --------
    >>> from social.agents import AGENT_TYPES, register_agent_type
    >>> with AGENT_TYPES.restored():
    ...     register_agent_type("lazy_example", "collections:OrderedDict")
    'collections:OrderedDict'
    """

    def decorator(factory):
        if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
            raise TypeError(
                f"factory must be callable or a 'module:attribute' string, got factory={factory!r}"
            )
        if defaults is not None and not (isinstance(defaults, dict) or callable(defaults)):
            raise TypeError(
                f"defaults must be a dict or a callable returning one, got defaults={defaults!r}"
            )
        AGENT_TYPES.register(name, factory, replace=replace)
        AGENT_DEFAULTS.register(
            name,
            defaults if callable(defaults) else functools.partial(dict, defaults or {}),
            replace=True,  # follows the factory's registration
        )
        return factory

    return decorator if factory is None else decorator(factory)


def check_population(population, kind: str, n_agents: int) -> None:
    """Check that a freshly built population follows the protocol (fail early, name the gap)."""
    if not isinstance(population, Population):
        raise TypeError(
            f"the population built for agent type {kind!r} "
            f"({type(population).__name__}) lacks {missing_members(population, Population)} "
            "of the population protocol (core.learner.Population)"
        )
    if population.n_agents != n_agents:
        raise TypeError(
            f"the population built for agent type {kind!r} has "
            f"n_agents={population.n_agents}, expected {n_agents}"
        )
