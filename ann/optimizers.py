"""Gradient-based optimizers: a registry of classes that only compute updates.

Modelled on scikit-learn's ``_stochastic_optimizers``: the base class applies
updates, each subclass writes ``_get_updates(grads)`` and keeps its own state.
Every array may carry leading *batch* axes (one network per index, e.g. the
agents of :class:`ann.MLPPopulation`); the optimizer is elementwise, so the
same code serves one network and a stack of them. For a stack, ``step`` takes
an ``active`` mask: inactive networks keep their parameters *and* their
optimizer state, exactly as if they had not been stepped.

>>> import numpy as np
>>> from ann.optimizers import OPTIMIZERS
>>> w = np.array([1.0, -2.0])
>>> sgd = OPTIMIZERS["sgd"]([w], learning_rate=0.5)
>>> sgd.step([w], [np.array([1.0, 1.0])])
>>> w
array([ 0.5, -2.5])
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import numpy as np

from core.params import Boolean, Interval, check_param
from core.registry import Registry

# What the hyperparameters may be (core.params: booleans are not numbers here, so
# ``True`` is no momentum; "0.9" is no step size).
_POSITIVE = [Interval(Real, 0, None, closed="neither")]
_DECAY = [Interval(Real, 0, 1, closed="left")]


def _expand(values: np.ndarray, ndim: int) -> np.ndarray:
    """Append length-1 axes so per-network ``values`` broadcast against an ``ndim`` array."""
    values = np.asarray(values)
    return values.reshape(values.shape + (1,) * (ndim - values.ndim))


class Optimizer:
    """Base class: applies the updates its subclass computes.

    Parameters
    ----------
    params : list of ndarray
        The parameters to be optimized (used for the shapes of the state).
    learning_rate : float
        Step size, > 0.
    batch_shape : tuple of int
        Leading axes that index independent networks (``()`` for one).

    Subclasses set their state in ``__init__`` (listing the attribute names in
    ``state_names``) and implement ``_get_updates``, which may write its
    result into the preallocated ``self._scratch`` arrays (one per parameter).
    """

    name: str = ""
    #: Attributes holding optimizer state (arrays or lists of arrays).
    state_names: tuple[str, ...] = ()

    def __init__(self, params: Sequence[np.ndarray], learning_rate: float, batch_shape=()):
        self.learning_rate = check_param("learning_rate", learning_rate, _POSITIVE)
        self.batch_shape = tuple(batch_shape)
        # Work arrays for the updates, allocated once: a population's parameters
        # are megabytes, and a fresh temporary per step costs page faults.
        self._scratch = [np.empty_like(param) for param in params]

    def _get_updates(self, grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Return the values to add to the parameters, updating the state."""
        raise NotImplementedError

    def state_arrays(self) -> list[np.ndarray]:
        """The optimizer's state (the arrays named in ``state_names``), in that order."""
        arrays = []
        for name in self.state_names:
            value = getattr(self, name)
            arrays.extend(value if isinstance(value, list) else [value])
        return arrays

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray], active=None) -> None:
        """Add the updates for ``grads`` to ``params`` in place.

        Parameters
        ----------
        params, grads : list of ndarray
            Same shapes, in the same order as at construction.
        active : ndarray of bool, shape ``batch_shape``, optional
            Networks to update; the others keep parameters and state.
        """
        if active is None or active.all():
            for param, update in zip(params, self._get_updates(grads)):
                param += update
        elif active.any():
            saved = [state.copy() for state in self.state_arrays()]
            updates = self._get_updates(grads)
            for state, old in zip(self.state_arrays(), saved):
                np.copyto(state, old, where=~_expand(active, state.ndim))
            # ``where`` rather than multiplying by the mask: 0 * inf would be NaN.
            for param, update in zip(params, updates):
                np.add(param, update, out=param, where=_expand(active, param.ndim))


#: Registered optimizers by name.
OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer", base=Optimizer, set_name=True)


def register_optimizer(name: str, *, replace: bool = False):
    """Register an :class:`Optimizer` subclass under ``name`` (class decorator)."""
    return OPTIMIZERS.register(name, replace=replace)


@register_optimizer("sgd")
class SGD(Optimizer):
    """Plain stochastic gradient descent: ``w <- w - learning_rate * g``."""

    def _get_updates(self, grads):
        return [
            np.multiply(grad, -self.learning_rate, out=scratch)
            for grad, scratch in zip(grads, self._scratch)
        ]


@register_optimizer("momentum")
class Momentum(Optimizer):
    """SGD with (optionally Nesterov) momentum (Sutskever et al. 2013, ICML).

    ``v <- momentum * v - learning_rate * g``; ``w <- w + v``; with
    ``nesterov=True`` the step is ``momentum * v - learning_rate * g`` with the
    new ``v``, as in scikit-learn's ``SGDOptimizer``.

    Parameters
    ----------
    momentum : float, default=0.9
        In [0, 1).
    nesterov : bool, default=False
    """

    state_names = ("velocities",)

    def __init__(self, params, learning_rate, batch_shape=(), momentum=0.9, nesterov=False):
        super().__init__(params, learning_rate, batch_shape)
        self.momentum = check_param("momentum", momentum, _DECAY)
        self.nesterov = check_param("nesterov", nesterov, [Boolean()])
        self.velocities = [np.zeros_like(param) for param in params]

    def _get_updates(self, grads):
        for v, g, scratch in zip(self.velocities, grads, self._scratch):
            v *= self.momentum
            v -= np.multiply(g, self.learning_rate, out=scratch)
        if not self.nesterov:
            return self.velocities
        # The scratch arrays still hold learning_rate * g.
        return [
            np.subtract(self.momentum * v, scratch, out=scratch)
            for v, scratch in zip(self.velocities, self._scratch)
        ]


@register_optimizer("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, "Adam: a method for stochastic optimization", ICLR).

    Bias-corrected first and second moment estimates; the step count is kept
    per network, so networks of a stack that skip a step stay exact.

    The moments are stored divided by ``1 - beta_1`` and ``1 - beta_2``
    (``first_moments = m / (1 - beta_1)``, ``second_moments = v / (1 - beta_2)``),
    and those constants are folded into the step size and epsilon:
    ``m / (sqrt(v) + eps) = (1 - beta_1) / sqrt(1 - beta_2) * m' / (sqrt(v') + eps / sqrt(1 - beta_2))``.
    The update is the same, up to rounding, with two fewer passes over the
    parameters per step (ten instead of twelve), which is what a population
    step spends most of its time on.

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the root of the second moment, > 0.
    """

    state_names = ("first_moments", "second_moments", "step_count")

    def __init__(
        self, params, learning_rate, batch_shape=(), beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(params, learning_rate, batch_shape)
        self.beta_1 = check_param("beta_1", beta_1, _DECAY)
        self.beta_2 = check_param("beta_2", beta_2, _DECAY)
        self.epsilon = check_param("epsilon", epsilon, _POSITIVE)
        self.first_moments = [np.zeros_like(param) for param in params]
        self.second_moments = [np.zeros_like(param) for param in params]
        self.step_count = np.zeros(self.batch_shape)

    def _get_updates(self, grads):
        self.step_count += 1
        b1, b2 = self.beta_1, self.beta_2
        # Bias correction folded into the step size, as in the paper's
        # "more efficient" variant (and scikit-learn); then the moments' scale.
        root = np.sqrt(1 - b2)
        step_size = (
            self.learning_rate
            * np.sqrt(1 - b2**self.step_count)
            / (1 - b1**self.step_count)
            * (1 - b1)
            / root
        )
        epsilon = self.epsilon / root
        updates = []
        for m, v, g, scratch in zip(self.first_moments, self.second_moments, grads, self._scratch):
            m *= b1
            m += g
            np.multiply(g, g, out=scratch)
            v *= b2
            v += scratch
            np.sqrt(v, out=scratch)
            scratch += epsilon
            np.divide(m, scratch, out=scratch)
            scratch *= -_expand(step_size, m.ndim).astype(m.dtype)
            updates.append(scratch)
        return updates


def make_optimizer(name: str, params, learning_rate: float, batch_shape=(), optimizer_params=None):
    """Build the optimizer registered as ``name``, with hyperparameters ``optimizer_params``.

    Raises ValueError naming the parameter for unknown names or hyperparameters.
    """
    return OPTIMIZERS.build(
        name, optimizer_params, params, learning_rate, batch_shape, parameter="optimizer_params"
    )
