"""Hand-built Brian2 circuits on the package's Brian2 plumbing.

The learners of this package build their networks in :mod:`snn.network`. A
spiking model that is not a learner (the plasticity protocols of
:mod:`snn.analysis`, the coupled gamma circuits of :mod:`social.synchrony`)
builds its spike generators, neuron groups, synapses, monitors and network
operations through a :class:`Circuit`, so that every Brian2
object of the project is simulated on a target chosen one way:

* **target**: ``target=None`` is the package's choice,
  :func:`snn.codegen_target` (Cython when a test compilation works, else
  numpy; the environment variable ``SNN_CODEGEN_TARGET`` overrides);
  ``"numpy"`` or ``"cython"`` force one. The target is given to every object
  the circuit makes (Brian2's ``codeobj_class``), so Brian2's global
  preferences are left alone and an object cannot be given another target.
* **clock**: the objects share one clock of step ``dt`` unless given a ``dt``
  or ``clock`` of their own (Brian2's scheduler cost grows with the number of
  clocks; objects with equal steps run in the same order either way, by
  ``when``, ``order`` and name).
* **network**: every object the circuit makes is in its explicit
  ``Network`` (Brian2's magic ``run()`` misses objects held in lists), and
  the namespace of a run is what the caller passes, never the caller's local
  variables.
* **randomness**: Brian2's own random number generator is global state.
  Draw random values on the numpy side from a generator
  (:func:`core.random.check_random_state`) and assign them, so that the same
  seed reproduces a run exactly and nothing global changes.

Runtime mode only (numpy or Cython targets); the standalone device of the
learners is :mod:`snn._standalone`'s business. Give objects fixed names
(not Brian2's ``name*`` default): the generated code, hence Cython's cache,
is then the same from run to run.

Examples
--------
A leaky neuron driven above threshold fires regularly; its period follows
from the membrane equation, ``tau * log(drive / (drive - gap))``:

>>> import numpy as np
>>> from brian2 import ms, mV
>>> circuit = Circuit(0.1 * ms, target="numpy", name="demo")
>>> neuron = circuit.neurons(
...     1, "dv/dt = (drive - v) / tau : volt", threshold="v > 15*mV", reset="v = 0*mV",
...     method="exact", name="demo_neuron")
>>> spikes = circuit.spike_monitor(neuron, name="demo_spikes")
>>> circuit.run(100 * ms, namespace={"drive": 20 * mV, "tau": 10 * ms})
>>> period_ms = float(np.diff(spikes.t / ms).mean())
>>> bool(abs(period_ms - 10 * np.log(20 / 5)) < 0.2)
True
"""

from __future__ import annotations

from brian2 import (
    Clock,
    Network,
    NetworkOperation,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)

from snn._brian import as_time, code_object_class, resolve_target, run_network

__all__ = ["Circuit"]


class Circuit:
    """Brian2 objects built on one code-generation target and clock, run as one network.

    Parameters
    ----------
    dt : brian2 time
        Step of the shared clock (e.g. ``0.1*ms``).
    target : {"numpy", "cython"} or None, default None
        Brian2 code-generation target of every object; None is the package's
        choice, :func:`snn.codegen_target`.
    name : str, default "circuit"
        Prefix of the clock's and the network's names.

    Attributes
    ----------
    target : str
        The target used ("numpy" or "cython").
    clock : brian2.Clock
    objects : list
        Every object made so far, in order; all of them are simulated by :meth:`run`.
    network : brian2.Network or None
        The network of the objects, made by the first :meth:`run`.

    Examples
    --------
    See the module docstring.
    """

    def __init__(self, dt, *, target: str | None = None, name: str = "circuit"):
        self.dt = as_time(dt, "dt")
        self.target = resolve_target(target, "target")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name must be a Python identifier, got name={name!r}")
        self.name = name
        self.clock = Clock(self.dt, name=f"{name}_clock")
        self.objects: list = []
        self.network: Network | None = None
        self._codeobj_class = code_object_class(self.target)

    def _add(self, kind, args, kwargs, *, timed=True, generated=True):
        """``kind(*args, **kwargs)`` made on the circuit's clock (if ``timed`` and not
        given another) and target (if its code is ``generated``), and kept."""
        if "codeobj_class" in kwargs:
            raise TypeError(
                "Circuit picks the code-generation target of its objects (target="
                f"{self.target!r}); do not pass codeobj_class"
            )
        if timed and "dt" not in kwargs and "clock" not in kwargs:
            kwargs["clock"] = self.clock
        if generated:
            kwargs["codeobj_class"] = self._codeobj_class
        made = kind(*args, **kwargs)
        self.objects.append(made)
        return made

    def neurons(self, n, model, **kwargs) -> NeuronGroup:
        """A ``NeuronGroup(n, model, **kwargs)`` on the circuit's target and clock."""
        return self._add(NeuronGroup, (n, model), kwargs)

    def spike_generator(self, n, indices, times, **kwargs) -> SpikeGeneratorGroup:
        """A ``SpikeGeneratorGroup`` of ``n`` cells, cell ``indices[k]`` firing at ``times[k]``,
        on the circuit's target and clock."""
        return self._add(SpikeGeneratorGroup, (n, indices, times), kwargs)

    def synapses(self, source, target, **kwargs) -> Synapses:
        """``Synapses(source, target, **kwargs)`` on the circuit's target and clock;
        connect them with their ``connect`` method."""
        return self._add(Synapses, (source, target), kwargs)

    def spike_monitor(self, source, **kwargs) -> SpikeMonitor:
        """A ``SpikeMonitor`` of ``source`` (on the source's clock, as Brian2 decides)."""
        return self._add(SpikeMonitor, (source,), kwargs, timed=False)

    def state_monitor(self, source, variables, **kwargs) -> StateMonitor:
        """A ``StateMonitor`` of ``source``'s ``variables`` on the circuit's target and clock."""
        return self._add(StateMonitor, (source, variables), kwargs)

    def operation(self, function, **kwargs) -> NetworkOperation:
        """A Python function run during the simulation (``NetworkOperation``), by default
        every step of the circuit's clock; ``dt=`` runs it less often."""
        return self._add(NetworkOperation, (function,), kwargs, generated=False)

    def run(self, duration, *, namespace: dict | None = None) -> None:
        """Simulate every object for ``duration`` (a Brian2 time) in one ``Network.run``.

        ``namespace`` holds the constants the models refer to (None: none);
        names are never looked up among the caller's variables. A zero
        ``duration`` builds the code of every object (checking its equations
        and units) without simulating a step.
        """
        duration = as_time(duration, "duration", allow_zero=True)
        if self.network is None:
            self.network = Network(name=f"{self.name}_network")
        # a second run continues the first, with the objects made since added
        self.network.add([obj for obj in self.objects if obj not in self.network.objects])
        run_network(
            self.network,
            duration,
            namespace={} if namespace is None else dict(namespace),
            report=None,
        )
