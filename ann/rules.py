"""Learning rules: how the output error becomes a gradient for every layer.

A rule is a class registered by name (``@register_rule("name")``) and chosen
with the estimators' ``rule=`` parameter. Given a forward pass and the error
at the output, it returns the per-layer error signals ``delta_l`` (the
gradient of the loss with respect to layer ``l``'s pre-activation, or the
rule's stand-in for it); the weight and bias gradients then follow as
``a_(l-1)^T delta_l`` and ``sum delta_l``.

All arrays may carry leading batch axes (one network per index: the agents of
:class:`ann.MLPPopulation`); use ``@`` and ``swapaxes(-1, -2)`` rather than
``.T`` so a rule works for one network and for a stack alike.

Shipped rules:

- ``backprop``: the exact gradient (Rumelhart, Hinton & Williams 1986,
  "Learning representations by back-propagating errors", Nature 323:533).
- ``feedback_alignment``: the error travels back through fixed random
  matrices instead of the transposed forward weights (Lillicrap, Cownden,
  Tweed & Akerman 2016, "Random synaptic feedback weights support error
  backpropagation for deep learning", Nature Communications 7:13276).

docs/extending.md shows how to add a rule.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from ann.mac import backprop_macs
from core.params import Interval, NoneOf, check_param
from core.registry import Registry


class LearningRule:
    """Base class of learning rules.

    Subclasses implement :meth:`deltas`; rules with fixed random state (like
    feedback alignment) also implement :meth:`init_state`; rules whose backward
    pass costs other than backpropagation's override :meth:`backward_macs`.
    Hyperparameters, if any, are keyword arguments of ``__init__`` (passed by
    the estimators' ``rule_params``).
    """

    name: str = ""

    def init_state(
        self, layer_sizes: Sequence[int], rng: np.random.Generator, dtype
    ) -> dict[str, np.ndarray]:
        """Fixed (not learned) arrays of one network, drawn from ``rng``.

        Called once per network when it is created; a population stacks the
        arrays of its agents along a leading axis. Default: no state.
        """
        return {}

    def deltas(
        self,
        output_delta: np.ndarray,
        weights: Sequence[np.ndarray],
        activations: Sequence[np.ndarray],
        derivative: Callable,
        state: dict[str, np.ndarray],
    ) -> list[np.ndarray]:
        """Error signals of every layer, first hidden layer first, output last.

        Parameters
        ----------
        output_delta : ndarray, shape (..., n_samples, n_outputs)
            ``dL/dz`` at the output, already weighted per sample (rows of
            padding are zero).
        weights : list of ndarray, shapes (..., n_(l-1), n_l)
            The forward weights.
        activations : list of ndarray
            ``[X, a_1, ..., a_(L-1), output]`` from the forward pass.
        derivative : callable
            The hidden activation's derivative as a function of its output.
        state : dict of ndarray
            What :meth:`init_state` returned (stacked for a population).

        Returns
        -------
        list of ndarray
            ``[delta_1, ..., delta_L]``, ``delta_l`` shaped like ``activations[l]``.
        """
        raise NotImplementedError

    def gradients(self, output_delta, weights, activations, derivative, state, out=None):
        """Weight and bias gradients ``(a_(l-1)^T delta_l, sum_samples delta_l)``.

        ``out``, if given, is a pair of lists of arrays to write them into
        (the network passes views of its gradient buffer). Rules that are not
        of the form "error signal times presynaptic activity" override this
        method; they may ignore ``out`` and return new arrays.
        """
        deltas = self.deltas(output_delta, weights, activations, derivative, state)
        if out is None:
            weight_grads = [a.swapaxes(-1, -2) @ d for a, d in zip(activations[:-1], deltas)]
            bias_grads = [d.sum(axis=-2) for d in deltas]
        else:
            weight_grads = [
                np.matmul(a.swapaxes(-1, -2), d, out=o)
                for a, d, o in zip(activations[:-1], deltas, out[0])
            ]
            bias_grads = [np.sum(d, axis=-2, out=o) for d, o in zip(deltas, out[1])]
        return weight_grads, bias_grads

    def backward_macs(self, layer_sizes: Sequence[int]) -> int:
        """MACs of the backward pass for one sample (see :mod:`ann.mac`).

        Default: backpropagation's count (weight gradients plus sending the
        error back through every layer but the first).
        """
        return backprop_macs(layer_sizes)


#: Registered learning rules by name.
RULES: Registry[type[LearningRule]] = Registry("rule", base=LearningRule, set_name=True)


def register_rule(name: str, *, replace: bool = False):
    """Register a :class:`LearningRule` subclass under ``name`` (class decorator).

    Registering the same class again (a re-run notebook cell) is allowed; a
    different class under a taken name needs ``replace=True``
    (:class:`core.registry.Registry`).

    Examples
    --------
    >>> from ann.rules import RULES, LearningRule, register_rule
    >>> with RULES.restored():
    ...     @register_rule("frozen_hidden_example")
    ...     class FrozenHidden(LearningRule):
    ...         '''Train the output layer only: no error reaches the hidden layers.'''
    ...         def deltas(self, output_delta, weights, activations, derivative, state):
    ...             return [0 * a for a in activations[1:-1]] + [output_delta]
    ...     "frozen_hidden_example" in RULES
    True
    >>> "frozen_hidden_example" in RULES
    False
    """
    return RULES.register(name, replace=replace)


def send_error_back(output_delta, matrices, activations, derivative) -> list:
    """Every layer's delta from the output layer's: ``delta_l = (delta_(l+1) @ M_l) * f'(a_l)``.

    ``matrices[l - 1]`` carries the error from layer ``l + 1`` back to hidden
    layer ``l`` (``W_(l+1)^T`` for backpropagation); no error is sent to the inputs.
    """
    deltas = [output_delta]
    for layer in range(len(matrices), 0, -1):
        back = deltas[0] @ matrices[layer - 1]
        back *= derivative(activations[layer])  # in place: back is this step's own array
        deltas.insert(0, back)
    return deltas


@register_rule("backprop")
class Backprop(LearningRule):
    """Backpropagation: ``delta_l = (delta_(l+1) @ W_(l+1)^T) * f'(a_l)``.

    Rumelhart, Hinton & Williams (1986), Nature 323:533-536. The result is the
    exact gradient of the loss (checked against finite differences in the tests).
    """

    def deltas(self, output_delta, weights, activations, derivative, state):
        return send_error_back(
            output_delta, [w.swapaxes(-1, -2) for w in weights[1:]], activations, derivative
        )


@register_rule("feedback_alignment")
class FeedbackAlignment(LearningRule):
    """Feedback alignment: ``delta_l = (delta_(l+1) @ B_(l+1)) * f'(a_l)``.

    Lillicrap et al. (2016), Nature Communications 7:13276. ``B_(l+1)`` is a
    fixed random matrix of shape ``(n_(l+1), n_l)`` (the shape of ``W^T``),
    drawn once per network and never learned; the forward weights come to
    align with it. The output layer's own gradient is the same as under
    backpropagation; only the error sent to hidden layers differs.

    Parameters
    ----------
    feedback_scale : float or None, default=None
        Feedback entries are uniform in ``[-s, s]``. ``None`` uses the forward
        weights' Glorot bound ``sqrt(6 / (n_in + n_out))``.
    """

    def __init__(self, feedback_scale: float | None = None):
        self.feedback_scale = check_param(
            "feedback_scale",
            feedback_scale,
            [NoneOf(), Interval(numbers.Real, 0, None, closed="neither")],
        )

    def init_state(self, layer_sizes, rng, dtype):
        state = {}
        # The first layer sends no error backwards, so it needs no feedback matrix.
        for layer in range(1, len(layer_sizes) - 1):
            n_in, n_out = layer_sizes[layer], layer_sizes[layer + 1]
            bound = self.feedback_scale or np.sqrt(6.0 / (n_in + n_out))
            state[f"feedback_{layer}"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype)
        return state

    def deltas(self, output_delta, weights, activations, derivative, state):
        feedback = [state[f"feedback_{layer}"] for layer in range(1, len(weights))]
        return send_error_back(output_delta, feedback, activations, derivative)


def make_rule(name: str, rule_params=None) -> LearningRule:
    """Instantiate the rule registered as ``name`` with hyperparameters ``rule_params``."""
    return RULES.build(name, rule_params, parameter="rule_params")
