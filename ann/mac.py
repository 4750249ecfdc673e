"""Dense multiply-accumulate (MAC) counts of an MLP, per sample.

These are the *dense* counts (zeros included) that ``cost()`` reports as
``macs_dense`` and ``macs_backward_dense``; ``cost()`` also reports the
effective counts (zero activations skipped) and every other category, see
:mod:`core.opcounts`. What is counted, per sample, for a network with layer sizes
``(n_0, n_1, ..., n_L)`` (``n_0`` inputs, ``n_L`` outputs):

- **inference** (one forward pass): every dense synapse once,
  ``sum_l n_(l-1) * n_l``. This is NeuroBench's *dense* synaptic-operation
  count for an ANN (Yik et al. 2025, "The neurobench framework for
  benchmarking neuromorphic computing algorithms and systems", Nature
  Communications 16:1545; ``SynapticOperations`` with ``Dense``): zero
  activations are counted too, biases are not (NeuroBench suppresses them),
  and neither are activation functions, softmax or the loss.
- **training** (NeuroBench defines inference only; training extends it the
  same way): the forward pass, plus the weight gradient
  ``a_(l-1)^T delta_l`` (``n_(l-1) * n_l`` per layer), plus sending the error
  back through every layer but the first (``n_(l-1) * n_l`` for ``l >= 2``;
  no error is needed at the inputs). For backpropagation and feedback
  alignment (whose fixed feedback matrices have the shapes of the forward
  weights) that is ``3 * forward - n_0 * n_1``. A learning rule whose
  backward pass costs something else reports it through
  :meth:`ann.rules.LearningRule.backward_macs`.

Not counted: bias additions and bias gradients, elementwise derivative
products, the L2 penalty and the optimizer's per-parameter arithmetic (which
is per *batch*, not per sample). Counts are exact integers.

>>> from ann.mac import forward_macs, backprop_macs
>>> forward_macs((64, 64, 10))
4736
>>> forward_macs((64, 64, 10)) + backprop_macs((64, 64, 10))
10112
"""

from __future__ import annotations

from collections.abc import Sequence

from core.opcounts import dense_macs, forward_macs

__all__ = ["dense_macs", "forward_macs", "backprop_macs"]


def backprop_macs(layer_sizes: Sequence[int]) -> int:
    """MACs of the backward pass of one sample under backpropagation.

    Weight gradients for every layer plus error propagation through every
    layer except the first.
    """
    layers = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weight_gradients = sum(dense_macs(a, b) for a, b in layers)
    error_propagation = sum(dense_macs(a, b) for a, b in layers[1:])
    return weight_gradients + error_propagation
