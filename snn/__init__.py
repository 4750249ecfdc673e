"""Spiking "brains": Brian2 networks that learn with STDP-family rules.

The Diehl & Cook (2015) architecture -- Poisson (or latency) coded inputs,
excitatory neurons with adaptive thresholds, lateral inhibition, plastic input
synapses normalised per presentation -- as scikit-learn style estimators and
as a population of independent agents simulated in one Brian2 network.

>>> from snn import STDPClassifier, RULES
>>> sorted(RULES)[:2]  # doctest: +SKIP
['bcm', 'oja']

Modules: :mod:`snn.rules` (plasticity rules, plugins), :mod:`snn.neurons`
(neuron equations), :mod:`snn.encoders` (features -> spikes),
:mod:`snn.network` (the one-run simulation), :mod:`snn.readouts`,
:mod:`snn.estimators`, :mod:`snn.population`, :mod:`snn.circuit` (hand-built
Brian2 circuits on the package's code-generation target, for models that are
not learners).

A fitted estimator is saved with its ``save(path)`` method and read back with
:func:`snn.load` (an ``.npz`` archive, no pickle).
"""

from snn._brian import (
    KNOWN_TARGETS,
    BrianQuantity,
    as_time,
    check_quantity,
    check_target,
    codegen_target,
)
from snn._excepthook import install as _install_excepthook
from snn.circuit import Circuit
from snn.encoders import ENCODERS, latency_spikes, poisson_spikes, register_encoder
from snn.estimators import STDPClassifier, STDPRegressor
from snn.io import load
from snn.network import DiehlCookNetwork, SimulationDiverged, synaptic_operations
from snn.population import SNNPopulation
from snn.readouts import READOUTS, LinearReadout, VoteReadout
from snn.rules import RULES, PlasticityRule, register_rule

# Brian2 answers every uncaught exception with a bug-report request: keep that
# for exceptions raised inside Brian2 (see snn._excepthook).
_install_excepthook()

__all__ = [
    "RULES",
    "PlasticityRule",
    "register_rule",
    "ENCODERS",
    "register_encoder",
    "poisson_spikes",
    "latency_spikes",
    "READOUTS",
    "VoteReadout",
    "LinearReadout",
    "DiehlCookNetwork",
    "SimulationDiverged",
    "synaptic_operations",
    "STDPClassifier",
    "STDPRegressor",
    "SNNPopulation",
    "Circuit",
    "KNOWN_TARGETS",
    "BrianQuantity",
    "as_time",
    "check_quantity",
    "check_target",
    "codegen_target",
    "load",
]
