"""Synaptic plasticity rules as plugins: Brian2 equation strings plus parameters.

A rule is a class registered in :data:`RULES` with :func:`register_rule`. It
holds three Brian2 code strings -- ``model`` (the rule's own synaptic state,
usually event-driven traces), ``on_pre`` and ``on_post`` (what happens at a
presynaptic / postsynaptic spike) -- and ``defaults``, its parameters with
units. A host (a network, :func:`snn.analysis.stdp_window`, ...) builds the
``Synapses`` object; the contract between host and rule is:

* the host declares the weight ``w : 1`` (dimensionless, in ``[0, wmax]``) and
  adds the synaptic transmission to ``on_pre`` itself; a rule never declares
  ``w`` and only changes it;
* the postsynaptic group has two dimensionless variables a rule may read,
  ``plastic_post`` (1 while learning, 0 while evaluating: every weight change
  is multiplied by it) and ``reward_post`` (the third factor of
  three-factor rules (``uses_reward``), +1 / -1 / 0 per postsynaptic neuron);
* a rule may read the postsynaptic membrane potential ``v_post`` but the rules
  shipped here use only their own traces, so they work with any neuron model.

Examples
--------
>>> from brian2 import ms
>>> rule = RULES["stdp"](tau_pre=15 * ms)
>>> rule.params["tau_pre"]
15. * msecond
>>> float(rule.window(10 * ms)[0]) > 0 > float(rule.window(-10 * ms)[0])
True
"""

from __future__ import annotations

import re
import warnings

import numpy as np
from brian2 import Hz, Quantity, ms
from brian2.units.fundamentalunits import have_same_dimensions

from core.registry import Registry
from snn.circuit import Circuit

__all__ = [
    "RULES",
    "register_rule",
    "get_rule",
    "PlasticityRule",
    "PairSTDP",
    "MultiplicativeSTDP",
    "TripletSTDP",
    "SpikingOja",
    "SpikingBCM",
    "LabelGatedSTDP",
    "pathway_words",
]

#: Registry of plasticity rules, name -> :class:`PlasticityRule` subclass
#: (its ``base`` is set once the class is defined, below).
RULES: Registry[type] = Registry("rule", set_name=True)


def register_rule(name, *, replace: bool = False):
    """Class decorator registering a :class:`PlasticityRule` under ``name``.

    Parameters
    ----------
    name : str
        The name estimators accept as ``rule=name``.
    replace : bool, default False
        Replace another class registered under ``name``.

    Raises
    ------
    ValueError
        If another class is already registered under ``name`` (redefining the
        same class, e.g. re-running a notebook cell, is allowed).
    """
    return RULES.register(name, replace=replace)


def get_rule(rule, **params):
    """Return a rule instance from a registered name, a class or an instance.

    Parameters
    ----------
    rule : str, PlasticityRule subclass or PlasticityRule instance
        What the user passed as ``rule=``.
    **params
        Parameter overrides; only allowed when ``rule`` is a name or a class
        (an instance already carries its parameters).

    Returns
    -------
    PlasticityRule
    """
    if isinstance(rule, PlasticityRule):
        if params:
            raise ValueError(
                f"rule parameters {sorted(params)} given together with the rule instance "
                f"{rule!r}; pass them to the rule's constructor instead"
            )
        return rule
    if isinstance(rule, type) and issubclass(rule, PlasticityRule):
        return rule(**params)
    if isinstance(rule, str):
        return RULES[rule](**params)
    raise TypeError(
        "rule must be a registered name, a PlasticityRule subclass or instance, "
        f"got {rule!r} of type {type(rule).__name__}"
    )


def delta_t_in_ms(delta_t):
    """``delta_t`` (Quantity in time units, or numbers meaning ms) as a float array in ms."""
    if isinstance(delta_t, Quantity):
        if not have_same_dimensions(delta_t, ms):
            raise ValueError(f"delta_t must be a time (e.g. 10 * ms), got {delta_t!r}")
        return np.atleast_1d(np.asarray(delta_t / ms, dtype=float))
    try:
        return np.atleast_1d(np.asarray(delta_t, dtype=float))
    except (TypeError, ValueError):  # text, ragged lists, ...
        raise ValueError(
            f"delta_t must be numbers (ms) or a time Quantity, got {delta_t!r}"
        ) from None


class PlasticityRule:
    """Base class of a synaptic plasticity rule.

    Subclasses set the class attributes below; most write nothing else
    (spike-timing rules add :meth:`window`).

    Attributes
    ----------
    name : str
        Set by :func:`register_rule`.
    reference : str
        The paper the rule implements.
    defaults : dict
        Parameter name -> default value, with Brian2 units where it has any.
        The amplitudes of the shipped rules are fractions of ``wmax``.
    presets : dict
        Preset name -> dict of parameter overrides (see :meth:`from_preset`).
    model, on_pre, on_post : str
        Brian2 code: the rule's synaptic state and its spike-triggered updates.
        ``w`` is the host's; every change of ``w`` is gated by ``plastic_post``.
    uses_reward : bool
        True if the rule reads ``reward_post`` (the host must drive it).
    neuron_traces : dict
        Traces of ``model`` that follow the spikes of one neuron alone, as
        ``name: (side, tau)`` (``side`` "pre" or "post", ``tau`` the name of
        the time-constant parameter): each decays with ``tau`` and jumps by 1
        at that neuron's spike, so all synapses of the neuron hold the same
        value and a host may keep one copy on the neuron instead (see
        :meth:`neuron_trace_synapses_kwargs`). Empty: the rule has no such form.

    Parameters
    ----------
    **params
        Overrides of :attr:`defaults`. The constructor only stores them; they
        are checked when :attr:`params` (or anything using it) is first read.
    """

    name: str | None = None
    reference = ""
    defaults: dict = {}
    presets: dict = {}
    model = ""
    on_pre = ""
    on_post = ""
    uses_reward = False
    neuron_traces: dict = {}

    def __init__(self, **params):
        self.overrides = params

    # -- parameters -------------------------------------------------------
    @classmethod
    def from_preset(cls, preset, **params):
        """Build the rule from a named parameter set in :attr:`presets`, then ``params``."""
        if preset not in cls.presets:
            raise ValueError(
                f"unknown preset {preset!r} for rule {cls.__name__}; "
                f"known presets: {sorted(cls.presets)}"
            )
        return cls(**{**cls.presets[preset], **params})

    @property
    def params(self):
        """dict: :attr:`defaults` updated with the constructor's overrides, validated.

        Raises
        ------
        ValueError
            For an unknown parameter name (the known ones are listed) or a value
            whose units do not match the default's.
        """
        unknown = sorted(set(self.overrides) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for rule {self.label()}; "
                f"known parameters: {sorted(self.defaults)}"
            )
        params = dict(self.defaults)
        for key, value in self.overrides.items():
            default = self.defaults[key]
            if isinstance(value, bool) or not isinstance(
                value, (Quantity, float, int, np.floating, np.integer)
            ):
                raise TypeError(
                    f"parameter {key!r} of rule {self.label()} must be a number or a "
                    f"Brian2 quantity, got {value!r} of type {type(value).__name__}"
                )
            if not have_same_dimensions(value, default):
                raise ValueError(
                    f"parameter {key!r} of rule {self.label()} has the wrong units: "
                    f"got {value!r}, expected units like the default {default!r}"
                )
            if np.ndim(value) != 0:
                raise ValueError(f"parameter {key!r} of rule {self.label()} must be a scalar")
            params[key] = value
        return params

    def namespace(self):
        """dict to pass as the ``Synapses`` ``namespace`` (a host merges its own in)."""
        return dict(self.params)

    def get_params(self, deep=True):
        """Constructor arguments (scikit-learn convention, so estimators can clone rules)."""
        return dict(self.overrides)

    def set_params(self, **params):
        """Update constructor arguments; returns ``self``."""
        self.overrides = {**self.overrides, **params}
        return self

    def synapses_kwargs(self, transmission=""):
        """Keyword arguments for ``brian2.Synapses`` implementing this rule.

        Parameters
        ----------
        transmission : str
            The host's synaptic transmission, e.g. ``"ge_post += w"``; it is
            prepended to the rule's ``on_pre``.

        Returns
        -------
        dict with keys ``model``, ``on_pre``, ``on_post`` and ``namespace``.
        """
        on_pre = "\n".join(s for s in (transmission.strip(), _dedent(self.on_pre)) if s)
        kwargs = {
            "model": "w : 1\n" + _dedent(self.model),
            "on_pre": on_pre,
            "namespace": self.namespace(),
        }
        on_post = _dedent(self.on_post)
        if on_post:
            kwargs["on_post"] = on_post
        return kwargs

    def frozen_synapses_kwargs(self, transmission="", clip=True):
        """``Synapses`` keyword arguments for a run with plasticity off throughout, or None.

        When ``plastic_post`` is 0 at every synapse for a whole run, a rule
        whose every weight assignment has the form ``w = clip(w + plastic_post
        * term, 0, wmax)`` (or ``w - ...``, ``term`` a product, finite) leaves
        ``w`` at ``clip(w, 0, wmax)`` at each of its spikes: its traces
        never reach the weight. The same spikes then come from plain
        transmitting synapses that keep only that clipping (a no-op for
        weights inside ``[0, wmax]``), without the traces' decays and jumps:
        the arithmetic of a frozen pass (an evaluation, a readout pass) is
        then the transmission alone.

        Returns None -- the host keeps the full rule -- for code of any other
        form: a weight assignment not of that form, an assignment to a neuron
        variable (``*_pre`` / ``*_post``), a summed variable, or a rule
        without a ``wmax`` parameter.

        Parameters
        ----------
        transmission : str
            The host's synaptic transmission (see :meth:`synapses_kwargs`).
        clip : bool, default=True
            Keep the rule's clipping of ``w`` at spikes. A host whose weights
            are all inside ``[0, wmax]`` passes False: there the clipping
            changes nothing, and the synapses only transmit.

        Returns
        -------
        dict with keys ``model``, ``on_pre``, ``on_post`` and ``namespace``, or None.
        """
        if "wmax" not in self.params or "(summed)" in self.model:
            return None
        variables, _ = _synaptic_variables(self)
        clips = {}
        for pathway, code in (("on_pre", self.on_pre), ("on_post", self.on_post)):
            clips[pathway] = False
            for line in _dedent(code).splitlines():
                assigned = _ASSIGNMENT.match(line)
                if assigned is None:
                    return None
                name = assigned.group(1)
                if name == "w":
                    if not _is_gated_clip(line):
                        return None
                    clips[pathway] = True
                elif name.endswith(("_pre", "_post")) and name not in variables:
                    return None
        if not clip:
            return {"model": "w : 1\n", "on_pre": transmission.strip(), "namespace": {}}
        clipping = "w = clip(w, 0, wmax)"
        on_pre = "\n".join(
            s for s in (transmission.strip(), clipping if clips["on_pre"] else "") if s
        )
        kwargs = {"model": "w : 1\n", "on_pre": on_pre, "namespace": {"wmax": self.params["wmax"]}}
        if clips["on_post"]:
            kwargs["on_post"] = clipping
        return kwargs

    def neuron_trace_synapses_kwargs(self, transmission=""):
        """``Synapses`` keyword arguments with the :attr:`neuron_traces` kept on the neurons.

        The traces' equations and their jumps (``name += 1``) leave the
        synapses; the synapses declare each trace as a linked variable
        (``name : 1 (linked)``) and keep the rest of the rule's code as it
        is. The host keeps each trace on the neurons of its side (decaying
        every time step with ``tau``, jumping by 1 at the neuron's spikes),
        links it into the synapses through the synapse's pre- or
        postsynaptic index, and orders the jumps as the rule's pathways did:
        a presynaptic trace jumps before the postsynaptic pathway of the same
        time step runs, a postsynaptic trace after the presynaptic pathway.

        Every weight change is then the same as with the rule's own
        ``model`` up to floating-point rounding (the decay is applied step by
        step instead of at once from the last update), and a synaptic event
        no longer decays two traces: it reads them.

        Parameters
        ----------
        transmission : str
            The host's synaptic transmission (see :meth:`synapses_kwargs`).

        Returns
        -------
        dict with keys ``model``, ``on_pre``, ``on_post`` and ``namespace``.

        Raises
        ------
        ValueError
            If the rule lists no :attr:`neuron_traces`, or its code does not
            have the form they promise (each trace an event-driven
            ``d<name>/dt = -<name> / <tau>`` jumping by 1 in its side's
            pathway, nowhere else assigned).
        """
        if not self.neuron_traces:
            raise ValueError(
                f"rule {self.label()} keeps no traces that a neuron could hold "
                "(its neuron_traces is empty); keep its traces on the synapses"
            )
        model = _dedent(self.model).splitlines()
        pathways = {
            "pre": _dedent(self.on_pre).splitlines(),
            "post": _dedent(self.on_post).splitlines(),
        }
        for name, (side, tau) in self.neuron_traces.items():
            if side not in pathways:
                raise ValueError(
                    f"rule {self.label()}: trace {name!r} of neuron_traces has side "
                    f"{side!r}; expected 'pre' or 'post'"
                )
            equation = re.compile(
                rf"^d{name}/dt\s*=\s*-\s*{name}\s*/\s*{tau}\s*:\s*1\s*\(event-driven\)$"
            )
            jump = re.compile(rf"^{name}\s*\+=\s*1$")
            declared = [line for line in model if equation.match(line)]
            jumps = [line for line in pathways[side] if jump.match(line)]
            assignments = [
                line
                for lines in pathways.values()
                for line in lines
                if (m := _ASSIGNMENT.match(line)) and m.group(1) == name
            ]
            if len(declared) != 1 or len(jumps) != 1 or assignments != jumps:
                raise ValueError(
                    f"rule {self.label()}: trace {name!r} of neuron_traces is not an "
                    f"event-driven d{name}/dt = -{name} / {tau} jumping by 1 at each "
                    f"{side}synaptic spike and assigned nowhere else"
                )
            model.remove(declared[0])
            pathways[side].remove(jumps[0])
        model += [f"{name} : 1 (linked)" for name in self.neuron_traces]
        on_pre = "\n".join(s for s in (transmission.strip(), *pathways["pre"]) if s)
        kwargs = {
            "model": "w : 1\n" + "\n".join(model) + "\n",
            "on_pre": on_pre,
            "namespace": self.namespace(),
        }
        if pathways["post"]:
            kwargs["on_post"] = "\n".join(pathways["post"])
        return kwargs

    def check(self):
        """Build and run (0 ms) a one-synapse network with the rule.

        Raises
        ------
        ValueError
            Naming the rule, if Brian2 rejects its equations (syntax, unknown
            identifiers, dimensional inconsistency, ...).

        Returns
        -------
        self
        """
        kwargs = self.synapses_kwargs()
        circuit = Circuit(0.1 * ms, target="numpy", name="rule_check")
        try:
            pre = circuit.spike_generator(1, [0], [0] * ms)
            host = circuit.neurons(1, "v : volt\nplastic : 1\nreward : 1", threshold="False")
            synapses = circuit.synapses(pre, host, **kwargs)
            synapses.connect()
            circuit.run(0 * ms)
            # Event-driven equations are only unit-checked where a pathway
            # uses them; check them all here.
            if synapses.event_driven is not None:
                synapses.event_driven.check_units(synapses, run_namespace={})
        except Exception as err:  # Brian2 raises many types; all mean "bad equations"
            for obj in circuit.objects:
                # Brian2 warns about objects "never included in a network" when
                # they are garbage-collected; these were, the run failed instead.
                obj._network = 0
            raise ValueError(
                f"plasticity rule {self.label()}: Brian2 rejected its equations: {_root_cause(err)}"
            ) from err
        return self

    # -- spike timing -----------------------------------------------------
    def window(self, delta_t):
        """Weight change (in units of ``w``) per isolated pre/post pair.

        Only spike-timing rules define it; ``delta_t = t_post - t_pre``.
        """
        raise NotImplementedError(f"rule {self.label()} is not a spike-timing rule")

    @property
    def is_spike_timing(self):
        """bool: whether the rule defines :meth:`window`."""
        return type(self).window is not PlasticityRule.window

    # -- misc -------------------------------------------------------------
    def label(self) -> str:
        """The rule as messages name it: its registered name quoted, or its class name."""
        return repr(self.name) if self.name else type(self).__name__

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.overrides.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.overrides == other.overrides

    __hash__ = None


def _root_cause(err):
    """The innermost message of a chained Brian2 exception (the useful one)."""
    while err.__cause__ is not None:
        err = err.__cause__
    return f"{type(err).__name__}: {err}"


def _dedent(code):
    return "\n".join(line.strip() for line in code.strip().splitlines() if line.strip())


RULES.base = PlasticityRule


@register_rule("stdp")
class PairSTDP(PlasticityRule):
    """Pair-based additive STDP with all-to-all traces (Song, Miller & Abbott 2000).

    Each synapse keeps a presynaptic trace ``apre`` and a postsynaptic trace
    ``apost`` (both jump by 1 at a spike and decay with ``tau_pre`` /
    ``tau_post``). A presynaptic spike depresses by the postsynaptic trace,
    a postsynaptic spike potentiates by the presynaptic trace:

    .. math::

        \\Delta w = -\\nu_{pre} w_{max} a_{post} \\text{ at a pre spike}, \\qquad
        \\Delta w = +\\nu_{post} w_{max} a_{pre} \\text{ at a post spike},

    and ``w`` is clipped to ``[0, wmax]`` (hard bounds, the "additive" rule).
    For an isolated pair at ``delta_t = t_post - t_pre`` this gives the window
    ``nu_post*wmax*exp(-delta_t/tau_pre)`` for ``delta_t >= 0`` and
    ``-nu_pre*wmax*exp(delta_t/tau_post)`` for ``delta_t < 0``.

    A Diehl & Cook-like rule, not theirs: it has their two parameters
    ``nu_pre`` (depression at presynaptic spikes, by the postsynaptic trace)
    and ``nu_post`` (potentiation at postsynaptic spikes, by the presynaptic
    trace), and ``RULES["stdp"].from_preset("diehl_cook")`` uses their MNIST
    values, but their code resets the traces to 1 at a spike (nearest-spike
    interaction, not all-to-all accumulation) and multiplies potentiation
    by a second, slower postsynaptic trace (40 ms; a triplet-like term).
    docs/deviations.md lists every difference from their network.

    Parameters
    ----------
    tau_pre, tau_post : Quantity (time)
        Decay constants of the pre- and postsynaptic traces (20 ms).
    nu_pre : float
        Depression amplitude per pair, as a fraction of ``wmax`` (Song et al.:
        ``A_- = 1.05 A_+``, so the rule is slightly depression-dominated).
    nu_post : float
        Potentiation amplitude per pair, as a fraction of ``wmax`` (0.005).
    wmax : float
        Upper weight bound.

    References
    ----------
    Song, S., Miller, K. D. & Abbott, L. F. (2000). Competitive Hebbian learning
    through spike-timing-dependent synaptic plasticity. Nat. Neurosci. 3:919-926.
    Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
    """

    reference = "Song, Miller & Abbott (2000), Nat. Neurosci. 3:919"
    defaults = dict(tau_pre=20 * ms, tau_post=20 * ms, nu_pre=0.00525, nu_post=0.005, wmax=1.0)
    presets = {
        "song2000": dict(
            tau_pre=20 * ms, tau_post=20 * ms, nu_pre=0.00525, nu_post=0.005, wmax=1.0
        ),
        # Diehl & Cook (2015) MNIST values (their code: tc_pre_ee = tc_post_1_ee = 20 ms).
        "diehl_cook": dict(tau_pre=20 * ms, tau_post=20 * ms, nu_pre=1e-4, nu_post=1e-2, wmax=1.0),
        # Ten times larger rates: a small data set gives each neuron few wins
        # (measured on digits 8x8, see the project's DESIGN notes).
        "diehl_cook_small_data": dict(
            tau_pre=20 * ms, tau_post=20 * ms, nu_pre=1e-3, nu_post=1e-1, wmax=1.0
        ),
    }
    model = """
        dapre/dt = -apre / tau_pre : 1 (event-driven)
        dapost/dt = -apost / tau_post : 1 (event-driven)
    """
    on_pre = """
        apre += 1
        w = clip(w - plastic_post * nu_pre * wmax * apost, 0, wmax)
    """
    on_post = """
        apost += 1
        w = clip(w + plastic_post * nu_post * wmax * apre, 0, wmax)
    """
    neuron_traces = {"apre": ("pre", "tau_pre"), "apost": ("post", "tau_post")}

    def window(self, delta_t):
        """Weight change per isolated pair, ``delta_t = t_post - t_pre`` (ms or Quantity).

        At ``delta_t == 0`` Brian2 processes the presynaptic spike first, so
        the pair counts as causal (potentiation).
        """
        p = self.params
        dt_ms = delta_t_in_ms(delta_t)
        tau_pre, tau_post = float(p["tau_pre"] / ms), float(p["tau_post"] / ms)
        potentiation = p["nu_post"] * p["wmax"] * np.exp(-np.abs(dt_ms) / tau_pre)
        depression = -p["nu_pre"] * p["wmax"] * np.exp(-np.abs(dt_ms) / tau_post)
        return np.where(dt_ms >= 0, potentiation, depression)


@register_rule("stdp_multiplicative")
class MultiplicativeSTDP(PlasticityRule):
    """Weight-dependent (multiplicative) STDP (Guetig et al. 2003; van Rossum et al. 2000).

    The same traces as :class:`PairSTDP`, but the amplitudes depend on the
    weight: potentiation shrinks as ``w`` approaches ``wmax`` and depression
    grows with ``w``,

    .. math::

        \\Delta w_+ = \\nu_{post} w_{max} (1 - w/w_{max})^{\\mu} a_{pre}, \\qquad
        \\Delta w_- = -\\nu_{pre} w_{max} (w/w_{max})^{\\mu} a_{post}.

    ``mu = 1`` is the multiplicative rule (potentiation proportional to
    ``wmax - w``, depression proportional to ``w``); ``mu = 0`` recovers the
    additive rule. With ``mu = 1`` and uncorrelated Poisson inputs the weights
    settle into one unimodal distribution around ``nu_post / (nu_pre +
    nu_post)`` times ``wmax`` instead of the bimodal distribution of the
    additive rule (van Rossum, Bi & Turrigiano 2000).

    Parameters
    ----------
    tau_pre, tau_post : Quantity (time)
        Trace decay constants (20 ms).
    nu_pre, nu_post : float
        Depression and potentiation rates (fractions of ``wmax``).
    mu : float
        Weight dependence exponent, 0 (additive) to 1 (multiplicative).
    wmax : float
        Upper weight bound.

    References
    ----------
    Guetig, R., Aharonov, R., Rotter, S. & Sompolinsky, H. (2003). Learning
    input correlations through nonlinear temporally asymmetric Hebbian
    plasticity. J. Neurosci. 23:3697-3714.
    van Rossum, M. C. W., Bi, G. Q. & Turrigiano, G. G. (2000). Stable Hebbian
    learning from spike timing-dependent plasticity. J. Neurosci. 20:8812-8821.
    """

    reference = (
        "Guetig et al. (2003), J. Neurosci. 23:3697; van Rossum et al. (2000), J. Neurosci. 20:8812"
    )
    defaults = dict(
        tau_pre=20 * ms, tau_post=20 * ms, nu_pre=0.00525, nu_post=0.005, mu=1.0, wmax=1.0
    )
    model = PairSTDP.model
    on_pre = """
        apre += 1
        w = clip(w - plastic_post * nu_pre * wmax * (clip(w / wmax, 0, 1) ** mu) * apost, 0, wmax)
    """
    on_post = """
        apost += 1
        w = clip(w + plastic_post * nu_post * wmax * (clip(1 - w / wmax, 0, 1) ** mu) * apre, 0, wmax)
    """

    def window(self, delta_t, w, n_pairings=None):
        """Weight change per isolated pair at weight ``w``, ``delta_t = t_post - t_pre``.

        Parameters
        ----------
        delta_t : Quantity or array-like (ms)
        w : float
            Weight before the pairing(s).
        n_pairings : int, optional
            Mean change per pair over ``n_pairings`` isolated repetitions (the
            weight, hence the amplitude, changes from one pair to the next;
            bounds included). None: a single pair.
        """
        p = self.params
        dt_ms = delta_t_in_ms(delta_t)
        wmax = p["wmax"]
        tau_pre, tau_post = float(p["tau_pre"] / ms), float(p["tau_post"] / ms)
        potentiation_kernel = p["nu_post"] * wmax * np.exp(-np.abs(dt_ms) / tau_pre)
        depression_kernel = p["nu_pre"] * wmax * np.exp(-np.abs(dt_ms) / tau_post)
        weight_before = np.full(dt_ms.shape, float(w))
        weight = weight_before.copy()
        for _ in range(1 if n_pairings is None else int(n_pairings)):
            w_rel = np.clip(weight / wmax, 0, 1)
            change = np.where(
                dt_ms >= 0,
                potentiation_kernel * (1 - w_rel) ** p["mu"],
                -depression_kernel * w_rel ** p["mu"],
            )
            weight = np.clip(weight + change, 0, wmax)
        return (weight - weight_before) / (1 if n_pairings is None else int(n_pairings))


@register_rule("triplet")
class TripletSTDP(PlasticityRule):
    """Triplet STDP, all-to-all interactions (Pfister & Gerstner 2006).

    Two presynaptic traces ``r1`` (fast, ``tau_plus``) and ``r2`` (slow,
    ``tau_x``) and two postsynaptic traces ``o1`` (``tau_minus``) and ``o2``
    (slow, ``tau_y``), each jumping by 1 at a spike. At a presynaptic spike

    .. math:: \\Delta w = -w_{max}\\, o_1 [A_2^- + A_3^- r_2(t-\\epsilon)],

    at a postsynaptic spike

    .. math:: \\Delta w = +w_{max}\\, r_1 [A_2^+ + A_3^+ o_2(t-\\epsilon)],

    where ``(t - epsilon)`` means the trace before the current spike's own
    jump. The defaults are the *minimal* all-to-all model fitted to the visual
    cortex data of Sjoestroem et al. (2001) (Pfister & Gerstner 2006, Table 4:
    ``A2_plus = A3_minus = 0``), so an isolated pre-before-post pair causes no
    potentiation: LTP needs a second postsynaptic spike within ``~tau_y``,
    which makes potentiation grow with the pairing frequency (the
    frequency dependence of Sjoestroem et al. 2001) -- see :meth:`window`.

    Parameters
    ----------
    tau_plus, tau_minus, tau_x, tau_y : Quantity (time)
        Trace time constants of r1, o1, r2 and o2.
    A2_plus, A3_plus, A2_minus, A3_minus : float
        Pair and triplet amplitudes (fractions of ``wmax``).
    wmax : float
        Upper weight bound.

    References
    ----------
    Pfister, J.-P. & Gerstner, W. (2006). Triplets of spikes in a model of
    spike timing-dependent plasticity. J. Neurosci. 26:9673-9682.
    Sjoestroem, P. J., Turrigiano, G. G. & Nelson, S. B. (2001). Rate, timing,
    and cooperativity jointly determine cortical synaptic plasticity. Neuron
    32:1149-1164.
    """

    reference = "Pfister & Gerstner (2006), J. Neurosci. 26:9673"
    defaults = dict(
        tau_plus=16.8 * ms,
        tau_minus=33.7 * ms,
        tau_x=101 * ms,
        tau_y=114 * ms,
        A2_plus=0.0,
        A3_plus=6.5e-3,
        A2_minus=7.1e-3,
        A3_minus=0.0,
        wmax=1.0,
    )
    model = """
        dr1/dt = -r1 / tau_plus : 1 (event-driven)
        dr2/dt = -r2 / tau_x : 1 (event-driven)
        do1/dt = -o1 / tau_minus : 1 (event-driven)
        do2/dt = -o2 / tau_y : 1 (event-driven)
    """
    # Weight first, then the jumps: the triplet terms use r2 and o2 *before*
    # the current spike (t - epsilon in the paper).
    on_pre = """
        w = clip(w - plastic_post * wmax * o1 * (A2_minus + A3_minus * r2), 0, wmax)
        r1 += 1
        r2 += 1
    """
    on_post = """
        w = clip(w + plastic_post * wmax * r1 * (A2_plus + A3_plus * o2), 0, wmax)
        o1 += 1
        o2 += 1
    """

    def window(self, delta_t, pairing_frequency=None, n_pairings=None):
        """Mean weight change per pre/post pair, ``delta_t = t_post - t_pre``.

        Parameters
        ----------
        delta_t : Quantity or array-like (ms)
            Spike-time differences, post minus pre.
        pairing_frequency : Quantity (Hz), optional
            Repetition frequency of the pairs. None: an isolated pair (the
            low-frequency limit, where only the pair terms act).
        n_pairings : int, optional
            Average over the first ``n_pairings`` repetitions (the traces build
            up from zero); None: the steady state (infinitely many).

        Returns
        -------
        ndarray
            Weight change per pair, in units of ``w`` (bounds ignored).

        Notes
        -----
        With pairs every ``T`` seconds, the fast presynaptic trace seen by the
        k-th postsynaptic spike is ``sum_j exp(-(lag + j T)/tau_plus)`` over
        the presynaptic spikes already emitted (``lag`` = time since the last
        one); the steady state is the geometric series
        ``exp(-lag/tau) / (1 - exp(-T/tau))``. The same holds for o1, and o2 /
        r2 sum over earlier spikes only. A pre and a post spike in the same
        time step count as pre-first (Brian2 runs ``on_pre`` first).
        """
        p = self.params
        dt_ms = delta_t_in_ms(delta_t)
        taus = {k: float(p[k] / ms) for k in ("tau_plus", "tau_minus", "tau_x", "tau_y")}
        wmax = p["wmax"]
        if pairing_frequency is None:
            return np.where(
                dt_ms >= 0,
                wmax * p["A2_plus"] * np.exp(-dt_ms / taus["tau_plus"]),
                -wmax * p["A2_minus"] * np.exp(dt_ms / taus["tau_minus"]),
            )
        period = float(1 / (pairing_frequency * ms))
        if np.any(np.abs(dt_ms) >= period):
            raise ValueError(
                f"|delta_t| must be shorter than the pairing period {period} ms, got {dt_ms}"
            )
        lag_pre_to_post = np.mod(dt_ms, period)  # in [0, T)
        lag_post_to_pre = period - lag_pre_to_post  # in (0, T]: same step counts as pre-first
        # Post spike first in time (delta_t < 0): the first pre spike sees one
        # post spike more than the first post spike sees pre spikes.
        post_first = dt_ms < 0

        def trace(lag, tau, count):
            """Sum of exp(-(lag + j T)/tau) for j = 0 .. count-1 (count may be inf)."""
            q = np.exp(-period / tau)
            return np.exp(-lag / tau) * (1 - q ** np.asarray(count, dtype=float)) / (1 - q)

        counts = [np.inf] if n_pairings is None else range(int(n_pairings))
        total = np.zeros_like(dt_ms)
        for k in counts:  # k = index of the pairing
            # Spikes of the other side already emitted when the k-th spike of
            # one side arrives: with pre first, the k-th post spike has seen
            # k + 1 pre spikes and the k-th pre spike k post spikes; with post
            # first, the other way round.
            n_pre_before_post = np.where(post_first, k, k + 1)
            n_post_before_pre = np.where(post_first, k + 1, k)
            r1 = trace(lag_pre_to_post, taus["tau_plus"], n_pre_before_post)
            o1 = trace(lag_post_to_pre, taus["tau_minus"], n_post_before_pre)
            # o2 before the k-th post spike: the k earlier post spikes, T apart
            # (and likewise r2 before the k-th pre spike).
            o2 = trace(period, taus["tau_y"], k)
            r2 = trace(period, taus["tau_x"], k)
            total += wmax * (
                r1 * (p["A2_plus"] + p["A3_plus"] * o2) - o1 * (p["A2_minus"] + p["A3_minus"] * r2)
            )
        return total / len(counts)


@register_rule("oja")
class SpikingOja(PlasticityRule):
    """Hebbian learning with Oja's normalisation, in spiking form (Oja 1982).

    Oja's rule ``dw/dt = eta * y * (x - y * w)`` for a linear neuron with
    input rates ``x`` and output rate ``y``. Here ``x`` is the presynaptic
    rate trace ``x_trace`` (jumps by ``1/tau_pre`` at a presynaptic spike,
    so it estimates the presynaptic rate in Hz), one factor ``y`` is the
    postsynaptic spike train itself and the other its rate trace
    ``y_trace`` (``tau_post``). At each postsynaptic spike

    .. math:: \\Delta w = \\eta\\, (x_{trace} - y_{trace}\\, w),

    with ``y_trace`` read *before* the spike's own jump, so that for Poisson
    firing its product with the spike train estimates ``y^2`` without a shot
    noise bias. Averaged over spikes this is Oja's rule, so for a neuron
    firing at ``y = g * sum_i w_i x_i`` the weight vector converges to the
    principal eigenvector of the input correlation matrix (as seen through
    the traces' filters), with norm ``1/sqrt(g)``. Weights stay in ``[0,
    wmax]`` (the host's contract); non-negative inputs have a non-negative
    principal eigenvector, so the bound rarely acts.

    Everything is event-driven: no per-time-step cost.

    Parameters
    ----------
    tau_pre, tau_post : Quantity (time)
        Time constants of the rate traces (50 ms: a few spikes at tens of Hz).
    eta : Quantity (time)
        Learning rate: weight change per postsynaptic spike per Hz.
    wmax : float
        Upper weight bound.

    References
    ----------
    Oja, E. (1982). Simplified neuron model as a principal component analyzer.
    J. Math. Biol. 15:267-273.
    """

    reference = "Oja (1982), J. Math. Biol. 15:267"
    defaults = dict(tau_pre=50 * ms, tau_post=50 * ms, eta=0.05 * ms, wmax=1.0)
    model = """
        dx_trace/dt = -x_trace / tau_pre : Hz (event-driven)
        dy_trace/dt = -y_trace / tau_post : Hz (event-driven)
    """
    on_pre = """
        x_trace += 1 / tau_pre
    """
    on_post = """
        w = clip(w + plastic_post * eta * (x_trace - y_trace * w), 0, wmax)
        y_trace += 1 / tau_post
    """


@register_rule("bcm")
class SpikingBCM(PlasticityRule):
    """BCM rule with a sliding threshold, in spiking form (Bienenstock, Cooper & Munro 1982).

    The BCM rule ``dw/dt = eta * x * y * (y - theta)`` with a threshold that
    follows the recent activity, ``theta = <y^2> / rate_target`` (Intrator &
    Cooper 1992), so a neuron firing above ``rate_target`` raises its
    threshold and turns potentiation into depression; the rate settles at
    ``rate_target``. Spiking form, at each postsynaptic spike (the spike
    train is one factor ``y``):

    .. math::

        \\Delta w = \\nu\\, \\frac{x_{trace}}{r_0}\\, \\frac{y_{trace} - \\theta}{r_0},
        \\qquad \\tau_\\theta \\frac{d\\theta}{dt} =
        \\frac{y_{sq} - y_{trace} / (2 \\tau_{post})}{r_0} - \\theta,

    with ``r0 = rate_target``, rate traces ``x_trace`` and ``y_trace`` (Hz,
    jump by ``1/tau``), ``y_trace`` read before its own jump (so its product
    with the spike train estimates ``y^2`` without shot noise).

    How ``<y^2>`` is estimated, event-driven (no per-time-step cost): between
    postsynaptic spikes ``y_trace`` decays as ``exp(-s / tau_post)`` and
    ``y_sq`` as ``exp(-2 s / tau_post)`` (``y_sq`` is reset to the new
    ``y_trace**2`` at each postsynaptic spike), so the threshold equation is
    linear with exponentially decaying inputs and is solved in closed form at
    each postsynaptic spike from the values just after the previous one
    (``y_at``, ``sq_at``, ``theta_at``, at ``t_at``). For Poisson firing at
    rate ``y``, ``<y_trace^2> = y^2 + y / (2 tau_post)`` (the trace's shot
    noise); subtracting ``y_trace / (2 tau_post)`` makes the threshold settle
    at ``y^2 / rate_target`` exactly (for more regular firing it is then
    slightly low). The threshold is stored per synapse (a rule may not add
    variables to the neuron); all copies onto one neuron see the same spikes
    and agree.

    The closed form is written with decaying exponentials only. Brian2's own
    exact integration of the same linear system (declaring the three
    variables ``event-driven``) multiplies growing and decaying exponentials
    of the time since the synapse's last event, which overflows to NaN once
    the synapse has seen no spike for about 35 s (``2 s / tau_post > 709``):
    a digits network hit that within 100 presentations.

    Parameters
    ----------
    tau_pre, tau_post : Quantity (time)
        Rate trace time constants.
    tau_threshold : Quantity (time)
        Averaging time of the sliding threshold (it must adapt faster than
        the weights for BCM to be stable).
    rate_target : Quantity (Hz)
        ``r0``: the rate the threshold steers the neuron to.
    nu : float
        Learning rate (dimensionless).
    wmax : float
        Upper weight bound.

    References
    ----------
    Bienenstock, E. L., Cooper, L. N. & Munro, P. W. (1982). Theory for the
    development of neuron selectivity. J. Neurosci. 2:32-48.
    Intrator, N. & Cooper, L. N. (1992). Objective function formulation of the
    BCM theory of visual cortical plasticity. Neural Netw. 5:3-17.
    """

    reference = "Bienenstock, Cooper & Munro (1982), J. Neurosci. 2:32"
    defaults = dict(
        tau_pre=50 * ms,
        tau_post=100 * ms,
        tau_threshold=1000 * ms,
        rate_target=10 * Hz,
        nu=1e-3,
        wmax=1.0,
    )
    model = """
        dx_trace/dt = -x_trace / tau_pre : Hz (event-driven)
        y_at : Hz
        sq_at : Hz**2
        theta_at : Hz
        t_at : second
    """
    on_pre = """
        x_trace += 1 / tau_pre
    """
    # y_at, sq_at, theta_at: y_trace and y_sq just after, and the threshold at,
    # the previous postsynaptic spike (time t_at); the threshold now is the
    # closed-form solution of its equation (see the docstring), written with
    # decaying exponentials only.
    on_post = """
        decay_y = exp(-(t - t_at) / tau_post)
        decay_threshold = exp(-(t - t_at) / tau_threshold)
        y_trace = y_at * decay_y
        theta_bcm = theta_at * decay_threshold + (sq_at * (decay_y ** 2 - decay_threshold) / (1 - 2 * tau_threshold / tau_post) - y_at / (2 * tau_post) * (decay_y - decay_threshold) / (1 - tau_threshold / tau_post)) / rate_target
        w = clip(w + plastic_post * nu * (x_trace / rate_target) * (y_trace - theta_bcm) / rate_target, 0, wmax)
        y_at = y_trace + 1 / tau_post
        sq_at = y_at ** 2
        theta_at = theta_bcm
        t_at = t
    """

    @property
    def params(self):
        params = super().params
        # The closed form divides by these; equal time constants need another form.
        for ratio in (1.0, 0.5):
            if abs(float(params["tau_threshold"] / params["tau_post"]) - ratio) < 1e-9:
                raise ValueError(
                    f"rule {self.label()}: tau_threshold={params['tau_threshold']!r} may not "
                    f"equal {ratio:g} x tau_post={params['tau_post']!r}; choose a slightly "
                    "different value"
                )
        return params


@register_rule("label_gated_stdp")
class LabelGatedSTDP(PlasticityRule):
    """Supervised, label-gated three-factor STDP with an eligibility trace (``label_gated_stdp``).

    The machinery of reward-modulated STDP (Izhikevich 2007; Fremaux &
    Gerstner 2016) driven by a teacher: pair STDP (as in :class:`PairSTDP`)
    does not change the weight but an eligibility trace ``elig`` (decay
    ``tau_elig``); the weight follows the eligibility times the third
    factor, ``dw/dt = reward_post * elig / tau_elig``, so an STDP event of
    size ``Delta`` under a constant third factor ``R`` ends up changing ``w``
    by ``R * Delta`` once its eligibility has decayed. The third factor is
    NOT a reward earned by the network's own output: the host sets
    ``reward_post`` per presentation from the label alone -- +1 for neurons
    assigned to the presented class, -1 for neurons assigned to another, 0
    without a label (:class:`snn.network.DiehlCookNetwork`). It is a
    supervised, label-gated rule, hence its name. Its former name ``rstdp``
    (and the class name ``RewardModulatedSTDP``) still work, with a
    ``DeprecationWarning``, so that saved models and scripts keep loading.

    Implementation (event-driven, no per-time-step cost): between two events
    of a synapse ``elig`` only decays, and ``integral(elig dt) / tau_elig``
    over that interval is exactly the drop ``elig_after_event - elig`` (the
    value left by the previous event minus the current one). At each pre or
    post spike that drop is credited to ``w`` with the reward current at that
    spike, then the STDP update enters ``elig`` and ``elig_after_event``
    records the new value. This is exact as long as ``reward_post`` is
    constant between two consecutive spikes of a synapse; a host that
    switches the reward (e.g. per presentation) credits the eligibility left
    over from before the switch with the new reward at the synapse's next
    spike, which weighs ``exp(-gap / tau_elig)`` of it -- keep ``tau_elig``
    short against the presentation time. Eligibility keeps building while
    ``plastic_post`` is 0, but nothing is credited then.

    Parameters
    ----------
    tau_pre, tau_post : Quantity (time)
        STDP trace decay constants.
    tau_elig : Quantity (time)
        Eligibility trace decay (Izhikevich 2007 uses 1 s for distal rewards;
        the teaching signal here is concurrent with the activity, so shorter).
    nu_pre, nu_post : float
        Depression / potentiation of the eligibility per pair (fractions of
        ``wmax``).
    wmax : float
        Upper weight bound.

    References
    ----------
    Izhikevich, E. M. (2007). Solving the distal reward problem through linkage
    of STDP and dopamine signaling. Cereb. Cortex 17:2443-2452.
    Fremaux, N. & Gerstner, W. (2016). Neuromodulated spike-timing-dependent
    plasticity, and theory of three-factor learning rules. Front. Neural
    Circuits 9:85.
    """

    reference = "Izhikevich (2007), Cereb. Cortex 17:2443; Fremaux & Gerstner (2016), Front. Neural Circuits 9:85"
    uses_reward = True
    defaults = dict(
        tau_pre=20 * ms,
        tau_post=20 * ms,
        tau_elig=100 * ms,
        nu_pre=0.0105,
        nu_post=0.01,
        wmax=1.0,
    )
    model = """
        dapre/dt = -apre / tau_pre : 1 (event-driven)
        dapost/dt = -apost / tau_post : 1 (event-driven)
        delig/dt = -elig / tau_elig : 1 (event-driven)
        elig_after_event : 1
    """
    on_pre = """
        w = clip(w + plastic_post * reward_post * (elig_after_event - elig), 0, wmax)
        apre += 1
        elig -= nu_pre * wmax * apost
        elig_after_event = elig
    """
    on_post = """
        w = clip(w + plastic_post * reward_post * (elig_after_event - elig), 0, wmax)
        apost += 1
        elig += nu_post * wmax * apre
        elig_after_event = elig
    """

    def window(self, delta_t, reward=1.0):
        """Total weight change per isolated pair under a constant ``reward``.

        The eligibility window (pair STDP) times the reward, once the
        eligibility has been credited completely.
        """
        p = self.params
        stdp = PairSTDP(
            tau_pre=p["tau_pre"],
            tau_post=p["tau_post"],
            nu_pre=p["nu_pre"],
            nu_post=p["nu_post"],
            wmax=p["wmax"],
        )
        return float(reward) * stdp.window(delta_t)


#: Former name of ``label_gated_stdp`` (its third factor is set by the label, not
#: earned by the network's output): still accepted, with a DeprecationWarning.
RULES.rename("rstdp", "label_gated_stdp")


def __getattr__(name):
    if name == "RewardModulatedSTDP":  # the class's former name
        warnings.warn(
            "snn.rules.RewardModulatedSTDP is now called LabelGatedSTDP; use LabelGatedSTDP",
            DeprecationWarning,
            stacklevel=2,
        )
        return LabelGatedSTDP
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:[-+*/]?=)(?!=)")


def _synaptic_variables(rule) -> tuple[set, set]:
    """(all per-synapse variables incl. ``w``, the event-driven ones) of a rule's model."""
    variables, event_driven = {"w"}, set()
    for line in _dedent(rule.model).splitlines():
        differential = re.match(r"^d([A-Za-z_][A-Za-z0-9_]*)/dt\s*=", line)
        if differential:
            variables.add(differential.group(1))
            if "event-driven" in line:
                event_driven.add(differential.group(1))
            continue
        declared = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", line)
        if declared:
            variables.add(declared.group(1))
    return variables, event_driven


_GATED_CLIP = re.compile(
    r"^w\s*=\s*clip\(\s*w\s*[-+]\s*plastic_post\s*\*(.*),\s*0\s*,\s*wmax\s*\)$"
)


def _is_gated_clip(line) -> bool:
    """Whether ``line`` is ``w = clip(w +/- plastic_post * term, 0, wmax)`` with ``term`` a product.

    ``term`` may hold anything inside parentheses but no ``+``, ``-`` or
    comparison at its top level (which would add something not multiplied by
    ``plastic_post``), nor the ``, 0, wmax`` of another ``clip``.
    """
    match = _GATED_CLIP.match(line.strip())
    if match is None:
        return False
    depth = 0
    for char in match.group(1):
        depth += (char == "(") - (char == ")")
        if depth < 0 or (depth == 0 and char in "+-,<>=!"):
            return False
    return depth == 0


def pathway_words(rule) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Per-synapse memory words a rule reads and writes at a pre- and at a postsynaptic spike.

    Read from the rule's code: a pathway reads every per-synapse variable
    (the weight and those of ``rule.model``) it mentions and writes every one
    it assigns; an event-driven trace it mentions is also written (decayed to
    the present). Names assigned that are not per-synapse variables are
    temporaries and cost nothing. Used by :func:`core.opcounts.spiking_counts`.

    Returns
    -------
    (pre, post)
        ``(reads, writes)`` for each pathway, or None if the rule has no code there.

    Examples
    --------
    >>> pathway_words(RULES["stdp"]())   # apre, apost and w on both pathways
    ((3, 3), (3, 3))
    >>> pathway_words(RULES["oja"]())    # on_pre only bumps x_trace
    ((1, 1), (3, 3))
    """
    variables, event_driven = _synaptic_variables(rule)
    result = []
    for code in (rule.on_pre, rule.on_post):
        lines = _dedent(code).splitlines()
        if not lines:
            result.append(None)
            continue
        mentioned = {name for line in lines for name in _IDENTIFIER.findall(line)} & variables
        assigned = {m.group(1) for line in lines if (m := _ASSIGNMENT.match(line))} & variables
        written = assigned | (mentioned & event_driven)
        result.append((len(mentioned), len(written)))
    return tuple(result)
