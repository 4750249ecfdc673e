"""Experiments comparing backprop MLPs and spiking STDP networks, alone and in societies.

``python -m experiments list`` shows them; ``python -m experiments run all --quick``
runs every quick preset. Importing this package registers every experiment in
:data:`EXPERIMENTS`, in the order they are listed.
"""

import importlib

from experiments._base import EXPERIMENTS, Experiment, Result, get_experiment, register_experiment

__all__ = ["EXPERIMENTS", "Experiment", "Result", "get_experiment", "register_experiment"]

# Registration order is listing order, so the modules are imported in this order
# explicitly (an import sorter would reorder a plain import statement).
_LISTING_ORDER = (
    "task_benchmark",
    "learning_curves",
    "stdp_window",
    "receptive_fields",
    "continual_learning",
    "noise_robustness",
    "rule_zoo",
    "learner_matrix",
    "social_topology",
    "mixed_society",
    "smart_city",
    "brain_synchrony",
)
for _name in _LISTING_ORDER:
    importlib.import_module(f"experiments.{_name}")
