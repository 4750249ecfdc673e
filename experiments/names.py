"""Names in an experiment's settings checked against the registries, before any work.

Settings name registered things: a task, protocols, topologies, agent types,
a partition, plasticity rules. A name that is not registered (a typo, or a
plugin that was not loaded) would otherwise fail only once the run starts,
inside a worker for a sweep. :func:`check_names` looks at the settings'
fields by name and raises ``ValueError`` naming the setting, the unknown name
and the known ones. An experiment (a plugin's too) gets the check by using
these field names; it can add its own checks in its run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


def _tasks():
    from tasks import TASKS

    return "task", TASKS


def _protocols():
    from social.protocols import PROTOCOLS

    return "protocol", PROTOCOLS


def _graphs():
    from social.graphs import GRAPHS

    return "topology", GRAPHS


def _agent_types():
    from social.agents import AGENT_TYPES

    return "agent type", AGENT_TYPES


def _partitions():
    from social.partitions import PARTITIONS

    return "partition", PARTITIONS


def _spiking_rules():
    from snn import RULES

    return "plasticity rule", RULES


#: Settings field -> (registry lookup, one name or several). None values are skipped.
NAMED_FIELDS: dict[str, tuple[Callable, bool]] = {
    "task": (_tasks, False),
    "tasks": (_tasks, True),
    "protocol": (_protocols, False),
    "protocols": (_protocols, True),
    "topologies": (_graphs, True),
    "example_topology": (_graphs, False),
    "agent_types": (_agent_types, True),
    "partition": (_partitions, False),
    "rules": (_spiking_rules, True),
}


def check_names(settings) -> None:
    """Raise ValueError unless every registry name in ``settings`` is registered.

    >>> from experiments import get_experiment
    >>> settings = get_experiment("social_topology").settings.quick()
    >>> check_names(settings)
    >>> import dataclasses
    >>> check_names(dataclasses.replace(settings, protocols=("teach", "telepathy")))
    Traceback (most recent call last):
    ...
    ValueError: setting protocols: unknown protocol 'telepathy'; known: ...
    """
    if not dataclasses.is_dataclass(settings):
        return
    for field in dataclasses.fields(settings):
        if field.name not in NAMED_FIELDS:
            continue
        value = getattr(settings, field.name)
        if value is None:
            continue
        lookup, several = NAMED_FIELDS[field.name]
        what, registry = lookup()
        if several:
            if isinstance(value, str) or not isinstance(value, (tuple, list)):
                raise ValueError(
                    f"setting {field.name} must be a tuple of {what} names, got {value!r}"
                )
            names = list(value)
        else:
            names = [value]
        for name in names:
            if not isinstance(name, str) or name not in registry:
                raise ValueError(
                    f"setting {field.name}: unknown {what} {name!r}; known: "
                    f"{', '.join(sorted(registry))} (a plugin's names need --plugin or an "
                    "installed plugin package)"
                )
