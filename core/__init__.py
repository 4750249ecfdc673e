"""The shared layer under every package: it imports nothing of the project.

:mod:`core.registry`
    One :class:`~core.registry.Registry` type for every plugin table.
:mod:`core.params`
    Declarative parameter constraints checked once at fit.
:mod:`core.random`
    One random-state / seed policy.
:mod:`core.archive`, :mod:`core.persistence`
    The pickle-free model file format and the save/load skeleton.
:mod:`core.learner`
    The typed learner and population interfaces.
:mod:`core.opcounts`
    The operation-count table every learner's ``cost()`` returns.
:mod:`core.energy`
    The hardware cost tables that price it.
"""
