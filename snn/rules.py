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
  reward-modulated rules, +1 / -1 / 0 per postsynaptic neuron);
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

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    Quantity,
    SpikeGeneratorGroup,
    Synapses,
    ms,
)
from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
from brian2.units.fundamentalunits import have_same_dimensions

__all__ = ["RULES", "register_rule", "get_rule", "PlasticityRule", "PairSTDP"]

#: Registry of plasticity rules, name -> :class:`PlasticityRule` subclass.
RULES: dict[str, type] = {}


def register_rule(name):
    """Class decorator registering a :class:`PlasticityRule` under ``name``.

    Parameters
    ----------
    name : str
        The name estimators accept as ``rule=name``.

    Raises
    ------
    ValueError
        If another class is already registered under ``name`` (redefining the
        same class, e.g. re-running a notebook cell, is allowed).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_rule: name must be a non-empty str, got {name!r}")

    def decorator(cls):
        if not (isinstance(cls, type) and issubclass(cls, PlasticityRule)):
            raise TypeError(
                f"register_rule({name!r}) decorates PlasticityRule subclasses, got {cls!r}"
            )
        previous = RULES.get(name)
        if previous is not None and (previous.__module__, previous.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):
            raise ValueError(
                f"a plasticity rule is already registered as {name!r} "
                f"({previous.__module__}.{previous.__qualname__}); choose another name"
            )
        cls.name = name
        RULES[name] = cls
        return cls

    return decorator


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
        if rule not in RULES:
            raise ValueError(f"unknown plasticity rule {rule!r}; known rules: {sorted(RULES)}")
        return RULES[rule](**params)
    raise TypeError(
        "rule must be a registered name, a PlasticityRule subclass or instance, "
        f"got {rule!r} of type {type(rule).__name__}"
    )


def _delta_t_in_ms(delta_t):
    """``delta_t`` (Quantity in time units, or numbers meaning ms) as a float array in ms."""
    if isinstance(delta_t, Quantity):
        if not have_same_dimensions(delta_t, ms):
            raise ValueError(f"delta_t must be a time (e.g. 10 * ms), got {delta_t!r}")
        return np.atleast_1d(np.asarray(delta_t / ms, dtype=float))
    return np.atleast_1d(np.asarray(delta_t, dtype=float))


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
                f"unknown parameter(s) {unknown} for rule {self._label()}; "
                f"known parameters: {sorted(self.defaults)}"
            )
        params = dict(self.defaults)
        for key, value in self.overrides.items():
            default = self.defaults[key]
            if isinstance(value, bool) or not isinstance(
                value, (Quantity, float, int, np.floating, np.integer)
            ):
                raise TypeError(
                    f"parameter {key!r} of rule {self._label()} must be a number or a "
                    f"Brian2 quantity, got {value!r} of type {type(value).__name__}"
                )
            if not have_same_dimensions(value, default):
                raise ValueError(
                    f"parameter {key!r} of rule {self._label()} has the wrong units: "
                    f"got {value!r}, expected units like the default {default!r}"
                )
            if np.ndim(value) != 0:
                raise ValueError(f"parameter {key!r} of rule {self._label()} must be a scalar")
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
        objects = []
        try:
            objects.append(SpikeGeneratorGroup(1, [0], [0] * ms, codeobj_class=NumpyCodeObject))
            objects.append(
                NeuronGroup(
                    1,
                    "v : volt\nplastic : 1\nreward : 1",
                    threshold="False",
                    reset="",
                    codeobj_class=NumpyCodeObject,
                )
            )
            synapses = Synapses(*objects, codeobj_class=NumpyCodeObject, **kwargs)
            objects.append(synapses)
            synapses.connect()
            Network(*objects).run(0 * ms)
        except Exception as err:  # Brian2 raises many types; all mean "bad equations"
            for obj in objects:
                # Brian2 warns about objects "never included in a network" when
                # they are garbage-collected; these were, the run failed instead.
                obj._network = 0
            raise ValueError(
                f"plasticity rule {self._label()}: Brian2 rejected its equations: "
                f"{_root_cause(err)}"
            ) from err
        return self

    # -- spike timing -----------------------------------------------------
    def window(self, delta_t):
        """Weight change (in units of ``w``) per isolated pre/post pair.

        Only spike-timing rules define it; ``delta_t = t_post - t_pre``.
        """
        raise NotImplementedError(f"rule {self._label()} is not a spike-timing rule")

    @property
    def is_spike_timing(self):
        """bool: whether the rule defines :meth:`window`."""
        return type(self).window is not PlasticityRule.window

    # -- misc -------------------------------------------------------------
    def _label(self):
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

    This is also the learning rule of Diehl & Cook (2015): their ``nu_pre``
    (depression at presynaptic spikes, by the postsynaptic trace) and
    ``nu_post`` (potentiation at postsynaptic spikes, by the presynaptic
    trace) are the parameters here; ``RULES["stdp"].from_preset("diehl_cook")``
    uses their MNIST values.

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
        "song2000": dict(tau_pre=20 * ms, tau_post=20 * ms, nu_pre=0.00525, nu_post=0.005, wmax=1.0),
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

    def window(self, delta_t):
        """Weight change per isolated pair, ``delta_t = t_post - t_pre`` (ms or Quantity).

        At ``delta_t == 0`` Brian2 processes the presynaptic spike first, so
        the pair counts as causal (potentiation).
        """
        p = self.params
        dt_ms = _delta_t_in_ms(delta_t)
        tau_pre, tau_post = float(p["tau_pre"] / ms), float(p["tau_post"] / ms)
        potentiation = p["nu_post"] * p["wmax"] * np.exp(-np.abs(dt_ms) / tau_pre)
        depression = -p["nu_pre"] * p["wmax"] * np.exp(-np.abs(dt_ms) / tau_post)
        return np.where(dt_ms >= 0, potentiation, depression)
