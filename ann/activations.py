"""Hidden-layer activation functions: a name -> (function, derivative) table.

Each derivative is written as a function of the activation's *output*
``a = f(z)``, as scikit-learn does (``sklearn/neural_network/_base.py``): the
forward pass already stores ``a`` for the weight gradient, so backpropagation
needs nothing else. This holds for the four functions shipped here
(identity, tanh, sigmoid, relu); a new activation whose derivative cannot be
written in terms of its output does not fit this table.

>>> import numpy as np
>>> from ann.activations import ACTIVATIONS
>>> tanh = ACTIVATIONS["tanh"]
>>> a = tanh.function(np.array([0.0, 1.0]))
>>> np.allclose(tanh.derivative(a), 1 - np.tanh([0.0, 1.0]) ** 2)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit

from core.registry import Registry


class Activation(NamedTuple):
    """An activation ``function(z)`` and its ``derivative(a)`` at output ``a = function(z)``."""

    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]


#: Registered hidden-layer activations by name.
ACTIVATIONS: Registry[Activation] = Registry("activation")


def register_activation(
    name: str, derivative: Callable[[np.ndarray], np.ndarray], *, replace: bool = False
):
    """Register the decorated function as activation ``name``.

    Parameters
    ----------
    name : str
        The name the ``activation=`` parameter of the estimators accepts.
        The decorated function takes ``z``; if it also takes ``out=`` (as the
        shipped ones do, like a numpy ufunc), training computes it in place
        in a reused buffer instead of allocating a new array every step.
    derivative : callable
        ``derivative(a)``: the derivative ``f'(z)`` expressed through the
        output ``a = f(z)``, elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> from ann.activations import ACTIVATIONS, register_activation
    >>> @register_activation("softsign_example", derivative=lambda a: (1 - np.abs(a)) ** 2)
    ... def softsign(z):
    ...     return z / (1 + np.abs(z))
    >>> "softsign_example" in ACTIVATIONS
    True
    >>> ACTIVATIONS.unregister("softsign_example")
    """

    def decorator(function):
        ACTIVATIONS.register(name, Activation(function, derivative), replace=replace)
        return function

    return decorator


def _identity_derivative(a):
    return np.ones_like(a)


@register_activation("identity", derivative=_identity_derivative)
def identity(z, out=None):
    """f(z) = z."""
    if out is None or out is z:
        return z
    np.copyto(out, z)
    return out


def _tanh_derivative(a):
    return 1.0 - a * a


@register_activation("tanh", derivative=_tanh_derivative)
def tanh(z, out=None):
    """f(z) = tanh(z); f'(z) = 1 - f(z)^2."""
    return np.tanh(z, out=out)


def _sigmoid_derivative(a):
    return a * (1.0 - a)


@register_activation("sigmoid", derivative=_sigmoid_derivative)
def sigmoid(z, out=None):
    """The logistic function 1 / (1 + exp(-z)); f'(z) = f(z) (1 - f(z)).

    Uses ``scipy.special.expit``, which does not overflow for large ``|z|``.
    """
    return expit(z, out=out)


def _relu_derivative(a):
    # The subgradient 0 at z = 0, as scikit-learn and most frameworks choose.
    return (a > 0).astype(a.dtype)


@register_activation("relu", derivative=_relu_derivative)
def relu(z, out=None):
    """f(z) = max(z, 0) (Nair & Hinton 2010); f'(z) = 1 where z > 0, else 0."""
    return np.maximum(z, 0, out=out)
