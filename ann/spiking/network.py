"""A feed-forward network of leaky integrate-and-fire layers, trained through time with surrogate gradients.

The neuron (one per hidden unit, threshold 1, reset by subtraction), in
discrete time with steps ``t = 0 .. T-1``::

    I_t     = s_in_t @ W + b                     input current of step t
    s_t     = H(m_t - 1)                         spike if the membrane exceeds 1
    m_(t+1) = beta * (m_t + I_t - s_t)           integrate, reset, decay
    m_0     = 0

``beta = exp(-dt / tau)`` is the membrane decay per step. This is exactly
what Brian2 computes for ``dv/dt = -v/tau`` (``method='exact'``), threshold
``v > 1``, reset ``v -= 1`` and ``on_pre='v += w'`` with its default schedule
(state update, threshold, synaptic input, reset): ``m_t`` is Brian2's ``v``
right after the state update of step ``t``. The tests check the two spike for
spike. An input spike therefore moves the membrane in the step it arrives and
can make the neuron fire one step later.

The output layer does not spike: it reads the hidden layer's spike counts,
``z = mean_t(s_t) @ W_out + b_out``, through the same softmax + cross-entropy
or identity + squared error pairs as :mod:`ann.losses`.

Training is backpropagation through time with the Heaviside's derivative
replaced by a surrogate, the fast sigmoid's ``1 / (1 + a|m - 1|)^2``
(SuperSpike, Zenke & Ganguli 2018, Neural Computation 30:1514; the review of
Neftci, Mostafa & Zenke 2019, IEEE Signal Processing Magazine 36:51), with
steepness ``a``. The reset path is differentiated too. ``smooth=True``
replaces the Heaviside itself by that derivative's antiderivative
``1/2 + (m - 1) / (1 + a|m - 1|)``: the network is then differentiable and its
gradient exact, which is how the tests check the backward pass against
finite differences.

How the error crosses a layer is the learning rule's business: the network
asks a registered :class:`ann.LearningRule` (``backprop``: through the
transposed weights; ``feedback_alignment``: through fixed random matrices)
and supplies the neurons' own part, the surrogate derivative through time,
itself. So local against global learning can be varied with the spiking
neurons held fixed.

Parameters live in one vector ``theta`` (weights of every layer, then biases),
drawn Glorot-uniform with the ReLU bound, by the code of
:class:`ann.network.StackedMLP` (:class:`ann.network.FlatParameters`), so the
optimizers of :data:`ann.OPTIMIZERS` step it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ann.losses import LOSSES, output_error
from ann.network import FlatParameters
from ann.rules import make_rule
from ann.spiking.encoding import draws_per_sample
from core.opcounts import forward_macs


def surrogate_derivative(x: np.ndarray, steepness: float) -> np.ndarray:
    """The fast sigmoid's derivative ``1 / (1 + a|x|)^2`` at ``x = m - 1`` (Zenke & Ganguli 2018).

    >>> surrogate_derivative(np.array([0.0, 1.0]), 1.0).tolist()
    [1.0, 0.25]
    """
    denominator = 1.0 + steepness * np.abs(x)
    return 1.0 / (denominator * denominator)


def smooth_spike(x: np.ndarray, steepness: float) -> np.ndarray:
    """``1/2 + x / (1 + a|x|)``: the antiderivative of :func:`surrogate_derivative` (test mode)."""
    return 0.5 + x / (1.0 + steepness * np.abs(x))


def _rows(array: np.ndarray) -> np.ndarray:
    """``(..., B, T, n)`` as ``(..., B * T, n)``: samples and steps as the rows of one matrix product."""
    return array.reshape(array.shape[:-3] + (-1, array.shape[-1]))


def _unit_derivative(_activation):
    # The neurons' derivative is applied through time by the network itself;
    # the rule only carries the error across the synapses.
    return 1.0


@dataclass
class Forward:
    """What one forward pass keeps for the backward pass (``T`` steps, ``B`` samples)."""

    spikes: list  # [input (B, T, n_0), hidden layer 1 (B, T, n_1), ...]
    membranes: list  # per hidden layer (B, T, n_l): m_t before the spike decision
    rates: np.ndarray  # (B, n_last): mean spikes per step of the last hidden layer (or input)
    output: np.ndarray  # (B, n_out): softmax probabilities or regression values


class SpikingNetwork(FlatParameters):
    """Parameters, forward pass and surrogate-gradient step of one LIF network, or a stack.

    A stack (``n_networks``) holds independent networks along a leading axis
    of ``theta`` and of every array of the forward and backward passes, as
    :class:`ann.network.StackedMLP` does: :class:`ann.SpikingMLPPopulation`
    trains its agents that way.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, *hidden_layer_sizes, n_outputs)``.
    loss : {"cross_entropy", "squared_error"}
    rule, optimizer : str
        Names in :data:`ann.RULES` and :data:`ann.OPTIMIZERS`.
    learning_rate, alpha : float
        Step size; L2 penalty ``0.5 * alpha * ||W||^2 / batch size`` (as the MLP).
    membrane_decay : float
        ``beta`` in (0, 1].
    surrogate_steepness : float
        ``a`` > 0.
    encoding : str
        How inputs arrive (:mod:`ann.spiking.encoding`); only used for counting here.
    rule_params, optimizer_params : dict or None
    dtype : numpy float dtype
    smooth : bool, default=False
        Smooth spikes (test mode, see the module docstring).
    n_networks : int or None, default=None
        Size of the leading network axis; None for one network.
    """

    def __init__(
        self,
        layer_sizes,
        *,
        loss,
        rule,
        optimizer,
        learning_rate,
        alpha,
        membrane_decay,
        surrogate_steepness,
        encoding="rate",
        rule_params=None,
        optimizer_params=None,
        dtype=np.float64,
        smooth=False,
        n_networks=None,
    ):
        self.loss = LOSSES[loss]
        self.rule = make_rule(rule, rule_params)
        self.alpha = float(alpha)
        self.beta = float(membrane_decay)
        self.steepness = float(surrogate_steepness)
        self.encoding = encoding
        self.smooth = bool(smooth)
        batch_shape = () if n_networks is None else (int(n_networks),)
        self._allocate(layer_sizes, batch_shape, dtype, optimizer, learning_rate, optimizer_params)

    @property
    def n_hidden_layers(self) -> int:
        return len(self.layer_sizes) - 2

    # -- forward ---------------------------------------------------------------------------------

    def _spike(self, membrane: np.ndarray) -> np.ndarray:
        if self.smooth:
            return smooth_spike(membrane - 1.0, self.steepness)
        return (membrane > 1.0).astype(self.dtype)

    def lif_layer(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Spikes and membranes ``(..., B, T, n)`` of a LIF layer driven by ``current`` (..., B, T, n).

        The one loop over time steps of the forward pass; everything in it is
        vectorised over networks, samples and neurons. Per neuron and step:
        a threshold test, the input current added, the reset subtracted, the
        decay multiplied (priced by ``lif_updates`` in :data:`core.energy.ARITHMETIC`).
        """
        spikes = np.empty_like(current)
        membranes = np.empty_like(current)
        m = np.zeros_like(current[..., 0, :])
        for t in range(current.shape[-2]):
            membranes[..., t, :] = m
            s = self._spike(m)
            spikes[..., t, :] = s
            m += current[..., t, :]
            m -= s
            m *= self.beta
        return spikes, membranes

    def forward(self, inputs: np.ndarray) -> Forward:
        """Run the network on encoded ``inputs`` (..., B, T, n_features).

        A stack of networks takes a leading network axis: ``(n_networks, B,
        T, n_features)``, network ``i`` seeing ``inputs[i]``.
        """
        spikes, membranes = [inputs], []
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            below = spikes[-1]
            current = (_rows(below) @ W).reshape(below.shape[:-1] + (W.shape[-1],))
            current += b[..., None, None, :]  # the bias: one add per neuron and step
            s, m = self.lif_layer(current)
            spikes.append(s)
            membranes.append(m)
        rates = spikes[-1].mean(axis=-2)
        z = rates @ self.weights[-1]
        z += self.biases[-1][..., None, :]
        return Forward(spikes, membranes, rates, self.loss.output(z))

    # -- backward --------------------------------------------------------------------------------

    def _transport(self, delta: np.ndarray, layer: int, carrier: np.ndarray) -> np.ndarray:
        """The error the rule sends from the input of layer ``layer + 1`` to the output of ``layer``.

        ``delta`` is ``(..., rows, n_(layer+1))``; ``carrier`` is the activity of
        ``layer`` the rule may look at, rows like ``delta``. The rule's
        ``deltas`` walks down from the last weight matrix it is given, so it
        gets the weights up to ``layer`` and its first step is the one needed
        (for deeper stacks it also walks the layers below, whose results are
        not used).
        """
        activations = [None] * (layer + 2)
        activations[layer] = carrier
        deltas = self.rule.deltas(
            delta, self.weights[: layer + 1], activations, _unit_derivative, self.rule_state
        )
        return deltas[layer - 1]

    def _through_time(self, grad_spikes: np.ndarray, membranes: np.ndarray) -> np.ndarray:
        """``dL/dI_t`` of a LIF layer from ``dL/ds_t`` (both (..., B, T, n)): the loop back in time.

        With ``g_t`` the surrogate derivative at ``m_t - 1``::

            lambda_t = dL/ds_t * g_t + beta * lambda_(t+1) * (1 - g_t)     (dL/dm_t)
            dL/dI_t  = beta * lambda_(t+1),   lambda_T = 0

        Per neuron and step (priced by ``lif_backward_updates`` in
        :data:`core.energy.ARITHMETIC`): the surrogate
        (a subtraction, an absolute value, a multiply by ``a``, an add, a
        square and a reciprocal), then the recursion (``beta * lambda_(t+1)``
        once, three multiplies, a subtraction and an add).
        """
        surrogate = surrogate_derivative(membranes - 1.0, self.steepness)
        grad_current = np.empty_like(grad_spikes)
        after = np.zeros_like(grad_spikes[..., 0, :])  # lambda_(t+1)
        for t in range(grad_spikes.shape[-2] - 1, -1, -1):
            carried = self.beta * after
            grad_current[..., t, :] = carried
            g = surrogate[..., t, :]
            after = grad_spikes[..., t, :] * g + carried * (1.0 - g)
        return grad_current

    def loss_and_gradient(
        self, inputs: np.ndarray, Y: np.ndarray, sample_weight=None, n_valid=None
    ):
        """Loss (plus penalty) over the batch, the gradient for ``theta``, and the forward pass.

        ``inputs`` are encoded (..., B, T, n_features); ``Y`` one-hot or
        targets (..., B, n_out). By default the loss is the batch mean. A
        stack whose networks see different numbers of real rows passes
        ``sample_weight`` (..., B), ``1 / n_valid`` for real rows and 0 for
        padding, and ``n_valid`` (...), the real rows per network (at least
        1), which scales the L2 penalty as the mean does for one network.
        """
        n_steps = inputs.shape[-2]
        if sample_weight is None:
            n_valid = inputs.shape[-3]
            sample_weight = 1.0 / n_valid
        fwd = self.forward(inputs)
        weights = np.asarray(sample_weight, dtype=self.dtype)
        weight_rows = weights[..., None] if weights.ndim else weights
        loss = (self.loss.per_sample(Y, fwd.output) * weights).sum(axis=-1)
        grad = np.empty_like(self.theta)
        grad_weights, grad_biases = self.split(grad)
        delta = output_error(Y, fwd.output) * weight_rows
        np.matmul(fwd.rates.swapaxes(-1, -2), delta, out=grad_weights[-1])
        np.sum(delta, axis=-2, out=grad_biases[-1])
        last = self.n_hidden_layers
        if last:
            to_rates = self._transport(delta, last, fwd.rates)
            grad_spikes = np.broadcast_to((to_rates / n_steps)[..., None, :], fwd.spikes[-1].shape)
            for layer in range(last, 0, -1):  # hidden layers, top down
                grad_current = self._through_time(grad_spikes, fwd.membranes[layer - 1])
                rows = _rows(grad_current)
                below = _rows(fwd.spikes[layer - 1])
                np.matmul(below.swapaxes(-1, -2), rows, out=grad_weights[layer - 1])
                np.sum(rows, axis=-2, out=grad_biases[layer - 1])
                if layer > 1:
                    grad_spikes = self._transport(rows, layer - 1, below).reshape(
                        fwd.spikes[layer - 1].shape
                    )
        if self.alpha:
            scale = self.alpha / np.asarray(n_valid, dtype=self.dtype)
            w = self.theta[..., : self.n_weights]
            grad[..., : self.n_weights] += scale[..., None] * w
            loss = loss + 0.5 * scale * np.einsum("...i,...i->...", w, w)
        return (loss if self.batch_shape else float(loss)), grad, fwd

    def train_step(
        self, inputs: np.ndarray, Y: np.ndarray, sample_weight=None, n_valid=None, active=None
    ):
        """One optimizer step on an encoded minibatch; returns the loss and the forward pass.

        ``active`` (a stack): the networks that take the step (the others
        keep their parameters and optimizer state).
        """
        loss, grad, fwd = self.loss_and_gradient(inputs, Y, sample_weight, n_valid)
        self.optimizer.step([self.theta], [grad], active)
        return loss, fwd

    # -- counting --------------------------------------------------------------------------------

    def counts(self, fwd: Forward, *, training: bool, valid=None) -> dict:
        """Operations of a forward pass (and, if ``training``, its backward pass), summed over the batch.

        ``valid`` (..., B) marks the rows that count (a stack's padding does
        not); for a stack every count is an array, one per network.

        Categories are those of :data:`core.opcounts.CATEGORIES`:

        - ``encoding_draws``: random numbers drawn to encode the inputs (rate code);
        - ``synaptic_ops``: spikes times fan-out, layer by layer (NeuroBench's
          effective accumulates: a silent neuron costs nothing); with the
          ``current`` encoding the first layer's input is not spikes, and its
          products are ``macs`` (non-zero inputs times fan-out, every step);
        - ``readout``: the last hidden layer's spikes times the outputs (each
          spike adds a row of readout weights to the output sums);
        - ``lif_updates``: one per hidden neuron per step (bias, input,
          threshold, reset, decay; see :meth:`lif_layer`);
        - training: ``lif_backward_updates``, one per hidden neuron per step
          of the backward pass through time (see :meth:`_through_time`);
          ``macs_backward``, the weight gradients (one accumulate per
          presynaptic spike and postsynaptic neuron and step; the readout's
          per non-zero spike count and output) plus the error sent back
          across the synapses (dense: ``T * n_l * n_(l-1)`` per hidden layer
          above the first, ``n_out * n_last`` from the readout);
          ``plasticity_updates`` are counted per optimizer step by the caller;
        - memory (32-bit words): a synaptic op, readout op or MAC reads its
          weight; a neuron update (either direction) reads and writes the
          membrane; a draw reads its rate; a backward MAC reads one word;
        - reference counts (never priced): ``synaptic_ops_dense`` (every
          synapse of the spiking layers every step), ``input_spikes`` and
          ``output_spikes`` (of the hidden layers).
        """
        n_steps, n_features = fwd.spikes[0].shape[-2:]
        if valid is None:
            valid = np.ones(fwd.spikes[0].shape[:-2], dtype=bool)
        n_samples = valid.sum(axis=-1)

        def in_valid_rows(array, row_axes):
            per_row = np.count_nonzero(array, axis=row_axes)
            return (per_row * valid).sum(axis=-1)

        hidden = self.layer_sizes[1:-1]
        n_out = self.layer_sizes[-1]
        spike_counts = [in_valid_rows(s, (-2, -1)) for s in fwd.spikes]
        current = self.encoding == "current"
        synaptic_ops = sum(
            count * fan_out
            for layer, (count, fan_out) in enumerate(zip(spike_counts[:-1], hidden))
            if not (layer == 0 and current)
        )
        macs = spike_counts[0] * hidden[0] if (current and hidden) else 0
        readout = spike_counts[-1] * n_out if not (current and not hidden) else 0
        if current and not hidden:
            macs = spike_counts[0] * n_out
        lif_updates = n_samples * n_steps * sum(hidden)
        draws = n_samples * draws_per_sample(self.encoding, n_steps, n_features)
        counts = {
            "encoding_draws": draws,
            "synaptic_ops": synaptic_ops,
            "macs": macs,
            "readout": readout,
            "lif_updates": lif_updates,
            "memory_reads": synaptic_ops + macs + readout + lif_updates + draws,
            "memory_writes": lif_updates,
            "synaptic_ops_dense": n_samples * n_steps * forward_macs(self.layer_sizes[:-1]),
            "input_spikes": 0 * n_samples if current else spike_counts[0],
            "output_spikes": sum(spike_counts[1:]),
        }
        if training:
            nonzero_rates = in_valid_rows(fwd.rates, -1)
            gradients = (
                sum(count * fan_out for count, fan_out in zip(spike_counts[:-1], hidden))
                + nonzero_rates * n_out
            )
            propagation = n_samples * (
                (hidden[-1] * n_out if hidden else 0) + n_steps * forward_macs(hidden)
            )
            counts["macs_backward"] = gradients + propagation
            counts["lif_backward_updates"] = lif_updates
            # (not +=: for a stack, memory_writes is the lif_updates array itself)
            counts["memory_reads"] = counts["memory_reads"] + gradients + propagation + lif_updates
            counts["memory_writes"] = counts["memory_writes"] + lif_updates
        return counts
