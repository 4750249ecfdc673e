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
import importlib

#: The registries that settings name things in: (what a name is, the module and the
#: registry in it, the fields naming one, the fields naming several). A registry is
#: imported when a check needs it (importing social or snn up front would slow every
#: command).
REGISTRIES = (
    ("task", "tasks", "TASKS", ("task",), ("tasks",)),
    ("protocol", "social.protocols", "PROTOCOLS", ("protocol",), ("protocols",)),
    ("topology", "social.graphs", "GRAPHS", ("example_topology",), ("topologies",)),
    ("agent type", "social.agents", "AGENT_TYPES", (), ("agent_types",)),
    ("partition", "social.partitions", "PARTITIONS", ("partition",), ()),
    ("plasticity rule", "snn", "RULES", (), ("rules",)),
)

#: Settings field -> (what it names, module, registry, one name or several). None
#: values are skipped.
NAMED_FIELDS: dict[str, tuple[str, str, str, bool]] = {
    field: (what, module, registry, several)
    for what, module, registry, one, many in REGISTRIES
    for fields, several in ((one, False), (many, True))
    for field in fields
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
        what, module, attribute, several = NAMED_FIELDS[field.name]
        registry = getattr(importlib.import_module(module), attribute)
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
