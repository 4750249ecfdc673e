"""Neuron models: the Diehl & Cook (2015) excitatory neuron with an adaptive threshold.

The excitatory neuron is a leaky integrate-and-fire neuron with conductance-
based excitatory and inhibitory synapses (conductances ``ge``, ``gi`` in units
of the leak conductance, as in Diehl & Cook's code) and a homeostatic
threshold: every spike raises ``theta`` by ``theta_plus``; ``theta`` decays back
with ``tau_theta``, so a neuron that wins often needs more input to fire again,
which spreads the inputs over the population. Both the rise and the decay are
multiplied by ``plastic`` (as in Diehl & Cook's test mode, where thresholds are
frozen), so evaluating the network does not change it.

Diehl & Cook connect each excitatory neuron one-to-one to an inhibitory neuron
that inhibits all *other* excitatory neurons. Their inhibitory neuron fires
within a time step or two of its partner, so this package replaces the pair by
its effect: a direct inhibitory synapse from every excitatory neuron to every
other one of the same network (``gi_post += inhibition``). This is the same
soft winner-take-all at half the neurons; the synaptic-operation count keeps
the ``n_neurons - 1`` inhibitory events per excitatory spike.

Every constant lives in a namespace dict with its units, not in the equation
strings, so that changing a value reuses Brian2's compiled code.

References
----------
Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
"""

from __future__ import annotations

from brian2 import Quantity, ms, mV, second
from brian2.units.fundamentalunits import have_same_dimensions

__all__ = [
    "EXCITATORY_EQUATIONS",
    "PER_NEURON_PARAMETERS",
    "EXCITATORY_THRESHOLD",
    "EXCITATORY_RESET",
    "FROZEN_EXCITATORY_EQUATIONS",
    "FROZEN_EXCITATORY_RESET",
    "LATERAL_INHIBITION_ON_PRE",
    "DIEHL_COOK_NEURON",
    "neuron_namespace",
]

#: Leaky integrate-and-fire neuron with conductance synapses and an adaptive
#: threshold. ``plastic`` and ``reward`` are the variables plasticity rules read
#: (see the rules contract); ``agent`` says which network of a population the
#: neuron belongs to, ``assigned_class`` which class it is taught (reward-
#: modulated learning only; -1 for none).
EXCITATORY_EQUATIONS = """
dv/dt = ((v_rest - v) + ge * (E_exc - v) + gi * (E_inh - v)) / tau_membrane : volt (unless refractory)
dge/dt = -ge / tau_ge : 1
dgi/dt = -gi / tau_gi : 1
dtheta/dt = -plastic * theta / tau_theta : volt
plastic : 1
reward : 1
agent : integer (constant)
assigned_class : integer (constant)
theta_plus : volt (constant)
tau_theta : second (constant)
inhibition : 1 (constant)
"""

#: The same neuron while ``plastic`` is 0 for a whole run (the network's frozen
#: form): ``theta`` does not change (its decay and rise are multiplied by
#: ``plastic``, and ``theta + 0`` is ``theta`` exactly), so it is a constant
#: and the run skips its update at every time step.
FROZEN_EXCITATORY_EQUATIONS = EXCITATORY_EQUATIONS.replace(
    "dtheta/dt = -plastic * theta / tau_theta : volt", "theta : volt"
)

#: Parameters that are per-neuron variables of :data:`EXCITATORY_EQUATIONS`
#: (so that the agents of one population may differ in them) rather than
#: namespace constants; a host sets them from :func:`neuron_namespace`'s values.
PER_NEURON_PARAMETERS = ("theta_plus", "tau_theta", "inhibition")

#: A spike when the membrane crosses the resting threshold raised by ``theta``.
EXCITATORY_THRESHOLD = "v > v_threshold + theta"

#: Reset, and the homeostatic threshold rise (only while learning).
EXCITATORY_RESET = """
v = v_reset
theta += plastic * theta_plus
"""

#: The reset of the frozen form (no threshold rise: ``plastic`` is 0).
FROZEN_EXCITATORY_RESET = """
v = v_reset
"""

#: Direct lateral inhibition standing in for D&C's one-to-one inhibitory
#: neurons: the spiking neuron's ``inhibition`` reaches every other neuron.
LATERAL_INHIBITION_ON_PRE = "gi_post += inhibition_pre"

#: Diehl & Cook's excitatory-neuron constants (their Brian code), with the
#: threshold adaptation retuned for small data sets where noted.
DIEHL_COOK_NEURON = dict(
    v_rest=-65.0 * mV,
    v_reset=-65.0 * mV,
    v_threshold=-52.0 * mV,
    refractory_period=5.0 * ms,
    tau_membrane=100.0 * ms,
    tau_ge=1.0 * ms,
    tau_gi=2.0 * ms,
    E_exc=0.0 * mV,
    E_inh=-100.0 * mV,
    theta_plus=0.05 * mV,
    # D&C: 1e7 ms, i.e. effectively no decay over their 10^5-image run.
    tau_theta=1e4 * second,
    # D&C's inhibitory-to-excitatory weight.
    inhibition=17.0,
)


def neuron_namespace(**overrides) -> dict:
    """The excitatory neuron's constants, :data:`DIEHL_COOK_NEURON` updated by ``overrides``.

    Raises
    ------
    ValueError
        For an unknown constant (the known ones are listed) or a value whose
        units differ from the default's (e.g. ``tau_theta=100`` without a unit).
    """
    unknown = sorted(set(overrides) - set(DIEHL_COOK_NEURON))
    if unknown:
        raise ValueError(
            f"unknown neuron parameter(s) {unknown}; known: {sorted(DIEHL_COOK_NEURON)}"
        )
    namespace = dict(DIEHL_COOK_NEURON)
    for key, value in overrides.items():
        default = namespace[key]
        if (
            not have_same_dimensions(value, default)
            or isinstance(value, bool)
            or not isinstance(value, (Quantity, float, int))
        ):
            raise ValueError(
                f"neuron parameter {key} must have the units of its default {default!r}, "
                f"got {key}={value!r}"
            )
        namespace[key] = value
    return namespace
