"""Experiments comparing backprop MLPs and spiking STDP networks, alone and in societies.

``python -m experiments list`` shows them; ``python -m experiments run all --quick``
runs every quick preset. Importing this package imports every public module of
it, and each experiment module registers itself in :data:`EXPERIMENTS` with its
place in the listing (``@register_experiment(order=...)`` on its ``run``; the
name, description, settings and figures come from the module): adding an
experiment is adding a module, see docs/extending.md.
"""

import importlib
import pkgutil

from experiments._base import (
    COUNT,
    COUNT_OR_ALL,
    EXPERIMENTS,
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    SCORE_TARGET,
    SHARED_CONSTRAINTS,
    Experiment,
    Presets,
    Result,
    get_experiment,
    register_experiment,
)

__all__ = [
    "COUNT",
    "COUNT_OR_ALL",
    "EXPERIMENTS",
    "FRACTION",
    "NON_NEGATIVE",
    "POSITIVE",
    "SCORE_TARGET",
    "SHARED_CONSTRAINTS",
    "Experiment",
    "Presets",
    "Result",
    "get_experiment",
    "import_modules",
    "register_experiment",
]


def import_modules() -> None:
    """Import every public module of this package, so that each experiment registers itself.

    Modules whose name starts with ``_`` are helpers, imported by their users.
    """
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


import_modules()
