"""Multi-layer perceptrons in numpy: pluggable learning rules, optimizers, a batched population.

>>> from ann import MLPClassifier, RULES
>>> from tasks import load_task
>>> task = load_task("xor")
>>> clf = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", learning_rate=0.05,
...                     epochs=300, random_state=0).fit(task.X_train, task.y_train)
>>> clf.predict(task.X_test).tolist()
[0, 1, 1, 0]
>>> sorted(RULES)
['backprop', 'feedback_alignment']

A fitted estimator or population is saved with its ``save(path)`` method and
read back with :func:`ann.load` (an ``.npz`` archive, no pickle).
"""

from ann.activations import ACTIVATIONS, register_activation
from ann.estimators import MLPClassifier, MLPRegressor
from ann.io import load
from ann.losses import LOSSES
from ann.mac import backprop_macs, dense_macs, forward_macs
from ann.optimizers import OPTIMIZERS, Optimizer, register_optimizer
from ann.population import MLPPopulation
from ann.rules import RULES, LearningRule, register_rule
from ann.spiking import SpikingMLPClassifier, SpikingMLPPopulation, SpikingMLPRegressor

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "RULES",
    "SpikingMLPClassifier",
    "SpikingMLPPopulation",
    "SpikingMLPRegressor",
    "LearningRule",
    "MLPClassifier",
    "MLPPopulation",
    "MLPRegressor",
    "Optimizer",
    "backprop_macs",
    "dense_macs",
    "forward_macs",
    "load",
    "register_activation",
    "register_optimizer",
    "register_rule",
]
