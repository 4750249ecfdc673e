"""The registry of agent types: how a society builds a population of one kind.

A *population* is any object that follows the population protocol
(``n_agents``, ``kind``, ``classes_``, ``cost_unit``, ``partial_fit``,
``predict``, ``predict_proba``, ``get_params``, ``set_params``, ``cost``);
see ``docs/extending.md``. The society knows agents only through it, so the
built-in kinds are registered by *import path* and imported on first use:
``social`` never imports ``ann`` or ``snn`` itself (DESIGN.md: imports flow
``experiments -> social -> protocol``), and a third kind plugs in with
:func:`register_agent_type` without touching this package.

>>> from social.agents import AGENT_TYPES
>>> sorted(AGENT_TYPES)
['ann', 'snn', 'spiking_mlp']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: Registered agent types: name -> factory, or ``"module:attribute"`` import
#: path of one, resolved with importlib on first use. A factory is called as
#: ``factory(n_agents, n_features, classes, random_state=..., **params)`` and
#: returns a population.
AGENT_TYPES: dict[str, Callable[..., Any] | str] = {
    "ann": "ann:MLPPopulation",
    "snn": "snn:SNNPopulation",
    "spiking_mlp": "ann:SpikingMLPPopulation",
}


def _spiking_defaults() -> dict:
    """Presentation times that let a society of 50 spiking agents run a round in
    seconds rather than minutes (100 ms + 50 ms rest per sample instead of
    Diehl & Cook's 350 ms + 150 ms). Brian2 units, imported only when a
    spiking population is built."""
    from brian2 import ms

    return {"presentation_time": 100 * ms, "rest_time": 50 * ms}


#: The society's default population parameters per type, under the user's
#: ``agent_params``: a dict, or a callable returning one (evaluated when a
#: population of that type is built). ``ann``: a local batch of 32 samples is
#: four gradient steps (MLPPopulation's own default batch of 64 would make it
#: one). ``snn``: shorter presentations, see :func:`_spiking_defaults`.
#: ``spiking_mlp`` (the surrogate-gradient spiking MLP): batches of 8, as ``ann``.
AGENT_DEFAULTS: dict[str, dict | Callable[[], dict]] = {
    "ann": {"batch_size": 8},
    "snn": _spiking_defaults,
    "spiking_mlp": {"batch_size": 8},
}


def agent_defaults(name: str) -> dict:
    """The society's default population parameters for agent type ``name``."""
    defaults = AGENT_DEFAULTS.get(name, {})
    return dict(defaults() if callable(defaults) else defaults)


#: What a population must offer; checked once when a society builds one.
POPULATION_PROTOCOL = (
    "n_agents",
    "kind",
    "classes_",
    "cost_unit",
    "partial_fit",
    "predict",
    "predict_proba",
    "get_params",
    "set_params",
    "cost",
)


def register_agent_type(
    name: str,
    factory: Callable[..., Any] | str | None = None,
    *,
    defaults: dict | None = None,
    overwrite: bool = False,
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
    overwrite : bool, default False
        Replace an existing registration instead of raising.

    Examples
    --------
    >>> from social.agents import AGENT_TYPES, register_agent_type
    >>> register_agent_type("lazy_example", "collections:OrderedDict")
    'collections:OrderedDict'
    >>> del AGENT_TYPES["lazy_example"]
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"agent type name must be a non-empty string, got name={name!r}")

    def decorator(factory):
        if not (callable(factory) or (isinstance(factory, str) and ":" in factory)):
            raise TypeError(
                f"factory must be callable or a 'module:attribute' string, got factory={factory!r}"
            )
        if name in AGENT_TYPES and not overwrite:
            raise ValueError(
                f"agent type {name!r} is already registered (pass overwrite=True to replace it)"
            )
        if defaults is not None and not (isinstance(defaults, dict) or callable(defaults)):
            raise TypeError(
                f"defaults must be a dict or a callable returning one, got defaults={defaults!r}"
            )
        AGENT_TYPES[name] = factory
        AGENT_DEFAULTS[name] = defaults if callable(defaults) else dict(defaults or {})
        return factory

    return decorator if factory is None else decorator(factory)


def check_agent_type(name) -> str:
    """Raise ValueError listing the known types unless ``name`` is registered."""
    if not isinstance(name, str) or name not in AGENT_TYPES:
        raise ValueError(f"unknown agent type {name!r}; known agent types: {sorted(AGENT_TYPES)}")
    return name


def resolve_agent_type(name: str) -> Callable[..., Any]:
    """The factory registered as ``name``, importing it on first use.

    Raises
    ------
    ValueError
        If ``name`` is not registered.
    ImportError
        If the registered import path cannot be imported (for example the
        ``snn`` package is not installed); the message says which type needs it.
    """
    factory = AGENT_TYPES[check_agent_type(name)]
    if isinstance(factory, str):
        module_name, _, attribute = factory.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise ImportError(
                f"agent type {name!r} needs {factory!r}, which cannot be imported: {error}"
            ) from error
        AGENT_TYPES[name] = factory
    return factory


def check_population(population, kind: str, n_agents: int) -> None:
    """Check that a freshly built population follows the protocol (fail early, name the gap)."""
    missing = [attribute for attribute in POPULATION_PROTOCOL if not hasattr(population, attribute)]
    if missing:
        raise TypeError(
            f"the population built for agent type {kind!r} "
            f"({type(population).__name__}) lacks {missing} of the population protocol"
        )
    if population.n_agents != n_agents:
        raise TypeError(
            f"the population built for agent type {kind!r} has "
            f"n_agents={population.n_agents}, expected {n_agents}"
        )
