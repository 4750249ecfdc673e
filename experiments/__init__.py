"""Experiments comparing backprop MLPs and spiking STDP networks, alone and in societies.

``python -m experiments list`` shows them; ``python -m experiments run all --quick``
runs every quick preset. Importing this package registers every experiment in
:data:`EXPERIMENTS`, in the order they are listed.
"""

from experiments._base import EXPERIMENTS, Experiment, Result, get_experiment, register_experiment

__all__ = ["EXPERIMENTS", "Experiment", "Result", "get_experiment", "register_experiment"]

# Registration order is listing order.
from experiments import (
    brain_synchrony,  # noqa: F401
    continual_learning,  # noqa: F401
    energy_to_accuracy,  # noqa: F401
    learning_curves,  # noqa: F401
    mixed_society,  # noqa: F401
    noise_robustness,  # noqa: F401
    receptive_fields,  # noqa: F401
    rule_zoo,  # noqa: F401
    smart_city,  # noqa: F401
    social_topology,  # noqa: F401
    stdp_window,  # noqa: F401
    task_benchmark,  # noqa: F401
)
