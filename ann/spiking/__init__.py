"""Spiking MLPs in numpy trained by surrogate gradients (the third learner beside the MLP and the STDP network).

Leaky integrate-and-fire layers unrolled over time, backpropagation through
time with a fast-sigmoid surrogate derivative, and the MLP's own optimizers
and learning rules (:data:`ann.OPTIMIZERS`, :data:`ann.RULES`), so spikes and
learning rules can be varied one at a time.
"""

from ann.spiking.encoding import ENCODINGS, encode
from ann.spiking.estimators import SpikingMLPClassifier, SpikingMLPRegressor
from ann.spiking.network import SpikingNetwork, smooth_spike, surrogate_derivative
from ann.spiking.population import SpikingMLPPopulation

__all__ = [
    "ENCODINGS",
    "SpikingMLPClassifier",
    "SpikingMLPPopulation",
    "SpikingMLPRegressor",
    "SpikingNetwork",
    "encode",
    "smooth_spike",
    "surrogate_derivative",
]
