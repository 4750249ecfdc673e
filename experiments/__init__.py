"""Experiments comparing backprop MLPs and spiking STDP networks, alone and in societies.

``python -m experiments list`` shows them; ``python -m experiments run all --quick``
runs every quick preset. Importing this package registers every experiment in
:data:`EXPERIMENTS`, in the order they are listed.
"""

from experiments._base import EXPERIMENTS, Experiment, Result, get_experiment, register_experiment

__all__ = ["EXPERIMENTS", "Experiment", "Result", "get_experiment", "register_experiment"]

import importlib as _importlib

# Registration order is listing order: the learner experiments, then the societies.
# (A loop rather than import statements, which a formatter would sort.)
BUILT_IN = (
    "task_benchmark",
    "learning_curves",
    "stdp_window",
    "receptive_fields",
    "continual_learning",
    "noise_robustness",
    "rule_zoo",
    "social_topology",
    "mixed_society",
    "smart_city",
    "brain_synchrony",
)
for _name in BUILT_IN:
    _importlib.import_module(f"experiments.{_name}")
