"""Experiments comparing backprop MLPs and spiking STDP networks, alone and in societies.

``python -m experiments list`` shows them; ``python -m experiments run all --quick``
runs every quick preset. Importing this package registers every experiment in
:data:`EXPERIMENTS`, in the order they are listed.
"""
from experiments._base import EXPERIMENTS, Experiment, Result, get_experiment, register_experiment

__all__ = ["EXPERIMENTS", "Experiment", "Result", "get_experiment", "register_experiment"]

# Registration order is listing order.
from experiments import task_benchmark  # noqa: E402,F401
from experiments import learning_curves  # noqa: E402,F401
from experiments import stdp_window  # noqa: E402,F401
from experiments import receptive_fields  # noqa: E402,F401
from experiments import continual_learning  # noqa: E402,F401
from experiments import noise_robustness  # noqa: E402,F401
from experiments import rule_zoo  # noqa: E402,F401
from experiments import social_topology  # noqa: E402,F401
from experiments import mixed_society  # noqa: E402,F401
from experiments import smart_city  # noqa: E402,F401
from experiments import brain_synchrony  # noqa: E402,F401
