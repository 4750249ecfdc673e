"""Output layers and their losses: softmax + cross-entropy, identity + squared error.

Both pairs are *canonical* (the output activation is the loss's link
function), so the error at the output pre-activation is simply
``dL/dz = prediction - target`` (Bishop 2006, *Pattern Recognition and Machine
Learning*, sec. 5.2). Every learning rule starts from that output error.

Per-sample losses (averaged over samples, weighted, by the network):

- ``cross_entropy``: ``-sum_k y_k log p_k`` with ``p = softmax(z)`` and ``y`` one-hot;
- ``squared_error``: ``0.5 * sum_k (p_k - y_k)^2`` with ``p = z``.

For one output, ``squared_error`` equals scikit-learn's ``squared_loss``
(``((y - p)**2).mean() / 2``); with several outputs scikit-learn also divides
by the number of outputs in the loss but not in its gradient, so here the sum
over outputs is kept to make loss and gradient agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from core.registry import Registry


class Loss(NamedTuple):
    """An output activation and the per-sample loss it is canonical for."""

    output: Callable[[np.ndarray], np.ndarray]
    per_sample: Callable[[np.ndarray, np.ndarray], np.ndarray]


#: Output layer + loss pairs by name.
LOSSES: Registry[Loss] = Registry("loss")


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; subtracting the row maximum avoids overflow."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


_TINY = {np.dtype(t).char: np.finfo(t).tiny for t in (np.float32, np.float64)}


def cross_entropy(target: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """``-sum_k y_k log p_k`` over the last axis (one value per sample)."""
    # The floor keeps log(0) out when a probability underflows; the smallest
    # normal number of the array's precision changes nothing else.
    floor = _TINY[probability.dtype.char]
    return -(target * np.log(np.maximum(probability, floor))).sum(axis=-1)


def squared_error(target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """``0.5 * sum_k (p_k - y_k)^2`` over the last axis (one value per sample)."""
    residual = prediction - target
    return 0.5 * (residual * residual).sum(axis=-1)


def identity(z: np.ndarray) -> np.ndarray:
    """The regression output: no squashing, so any real target is reachable."""
    return z


LOSSES.register("cross_entropy", Loss(softmax, cross_entropy))
LOSSES.register("squared_error", Loss(identity, squared_error))


def output_error(target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """``dL/dz`` at the output pre-activation for either canonical pair: ``p - y``."""
    return prediction - target
