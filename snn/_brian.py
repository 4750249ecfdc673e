"""Brian2 plumbing shared by the spiking package: code-generation target and units.

Brian2's runtime mode generates code for every object at each ``run()``; the
``cython`` target compiles it (cached by code hash in ``~/.cython``, so a model
is compiled once per machine), the ``numpy`` target interprets it (no compiler
needed, several times slower on networks of this package's size). The target is
chosen once per process: Cython when a test compilation succeeds, otherwise
numpy with a single warning. Setting the environment variable
``SNN_CODEGEN_TARGET`` to ``numpy`` or ``cython`` overrides the choice (the fast
test suite uses ``numpy`` for tiny networks, where compilation would dominate).

Every run of the package goes through :func:`run_network`: Brian2's
``Network.run`` starts with a full garbage collection, which walks every
object of the process (0.1-0.2 s in a process that has imported the whole
stack, on every run however short); the objects that exist before the run
are set aside meanwhile, so that collection sees only what the run built.
"""

from __future__ import annotations

import contextlib
import gc
import os
import warnings

import numpy as np
from brian2 import Quantity, ms, prefs
from brian2.units.fundamentalunits import (
    get_dimensions,
    get_or_create_dimension,
    get_unit,
    have_same_dimensions,
)

from core.archive import register_codec
from core.params import Constraint, NoneOf, Options, check_param

__all__ = [
    "BrianQuantity",
    "KNOWN_TARGETS",
    "as_time",
    "check_quantity",
    "check_target",
    "codegen_target",
    "code_object_class",
    "resolve_target",
    "run_network",
    "time_steps",
    "use_target",
]

KNOWN_TARGETS = ("cython", "numpy")
_ENV_VARIABLE = "SNN_CODEGEN_TARGET"
_chosen_target: str | None = None


def _cython_works() -> bool:
    """Whether Brian2 can compile and import a Cython test module here."""
    try:
        from brian2.codegen.runtime.cython_rt import CythonCodeObject
    except ImportError:  # Cython not installed
        return False
    # Brian2 logs its own warning when the test compilation fails; we issue
    # one warning of our own instead, so silence Brian2's logger meanwhile.
    from brian2.utils.logger import catch_logs

    with catch_logs():
        return bool(CythonCodeObject.is_available())


def codegen_target() -> str:
    """The Brian2 code-generation target this process uses: "cython" or "numpy".

    Decided on first call and cached. ``SNN_CODEGEN_TARGET`` (environment)
    forces a target; otherwise Cython is used when a test compilation works,
    else numpy with one ``RuntimeWarning`` saying what is lost and how to fix it.

    Returns
    -------
    str
    """
    global _chosen_target
    if _chosen_target is not None:
        return _chosen_target
    requested = os.environ.get(_ENV_VARIABLE, "").strip().lower()
    if requested:
        if requested not in KNOWN_TARGETS:
            raise ValueError(
                f"environment variable {_ENV_VARIABLE}={requested!r} is not a known "
                f"Brian2 target; known targets: {list(KNOWN_TARGETS)}"
            )
        _chosen_target = requested
    elif _cython_works():
        _chosen_target = "cython"
    else:
        warnings.warn(
            "No working C compiler/Cython for Brian2: the spiking networks fall back to "
            "Brian2's numpy target, which is several times slower. Install a C compiler "
            "(e.g. gcc) and Cython to get the fast target.",
            RuntimeWarning,
            stacklevel=2,
        )
        _chosen_target = "numpy"
    return _chosen_target


def check_target(target, name: str = "codegen_target") -> str | None:
    """``target`` if it is one of :data:`KNOWN_TARGETS` or None (the package's choice).

    Checks without choosing: None stays None (no test compilation happens
    here). ValueError (TypeError for a non-string) names ``name`` and the value.
    """
    return check_param(name, target, [Options(*KNOWN_TARGETS), NoneOf()])


def resolve_target(target: str | None = None, name: str = "codegen_target") -> str:
    """The target to use: ``target`` itself, or :func:`codegen_target` for None."""
    target = check_target(target, name)
    return codegen_target() if target is None else target


@contextlib.contextmanager
def use_target(target: str | None = None):
    """Context manager: Brian2's ``prefs.codegen.target`` set for the block, then restored.

    Network objects must be built *and* run inside the block (Brian2 resolves
    the target when a run starts).
    """
    target = resolve_target(target)
    previous = prefs.codegen.target
    prefs.codegen.target = target
    try:
        yield target
    finally:
        prefs.codegen.target = previous


def code_object_class(target: str | None = None):
    """Brian2's code-object class for ``target`` (``None``: :func:`codegen_target`).

    Given to each object as ``codeobj_class=``, it picks the target for that
    object without touching Brian2's global preferences (the other way,
    :func:`use_target`, sets them for a block).
    """
    if resolve_target(target) == "numpy":
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

        return NumpyCodeObject
    from brian2.codegen.runtime.cython_rt import CythonCodeObject

    return CythonCodeObject


def run_network(network, duration, **kwargs) -> None:
    """``network.run(duration, **kwargs)``, with the process's older objects frozen.

    Brian2 calls ``gc.collect()`` at the start of every run (to warn about
    objects left out of a network); ``gc.freeze`` moves every object that
    exists now out of the collector's sight, so that collection costs what
    the run built rather than what the process holds. ``gc.unfreeze`` gives
    them back afterwards, also when the run raises.
    """
    gc.freeze()
    try:
        network.run(duration, **kwargs)
    finally:
        gc.unfreeze()


class BrianQuantity(Constraint):
    """A scalar, finite Brian2 quantity with the dimensions of ``unit`` (a :mod:`core.params` constraint).

    Parameters
    ----------
    unit : brian2 unit, e.g. ``ms``, ``Hz``, ``mV``
    example : str
        Shown in the message, e.g. ``"350*ms"``.
    allow_zero : bool, default False
        Zero is allowed (negative values never are).
    """

    def __init__(self, unit, example: str, *, allow_zero: bool = False):
        self.unit, self.allow_zero = unit, allow_zero
        bound = "non-negative" if allow_zero else "positive"
        self.description = f"a {bound} scalar Brian2 quantity such as {example}"

    def type_ok(self, value) -> bool:
        return isinstance(value, Quantity) and have_same_dimensions(value, self.unit)

    def accept(self, value):
        if np.ndim(value) != 0:
            raise ValueError
        number = float(value / self.unit)
        if not np.isfinite(number) or number < 0 or (number == 0 and not self.allow_zero):
            raise ValueError
        return value


def check_quantity(value, unit, name: str, example: str, *, allow_zero: bool = False) -> Quantity:
    """``value`` if it is a scalar Brian2 quantity of ``unit``'s dimensions, > 0 (or >= 0).

    TypeError for a plain number or other dimensions, ValueError for a bad
    value, both naming ``name`` and showing how to write it.
    """
    return check_param(name, value, [BrianQuantity(unit, example, allow_zero=allow_zero)])


def as_time(value, name: str, *, allow_zero: bool = False) -> Quantity:
    """``value`` if it is a scalar Brian2 time (e.g. ``350 * ms``): :func:`check_quantity`."""
    return check_quantity(value, ms, name, "350*ms (from brian2 import ms)", allow_zero=allow_zero)


def time_steps(value: Quantity, dt: Quantity, name: str) -> int:
    """``value / dt`` as an int; ``value`` must be a whole number of time steps."""
    steps = float(value / dt)
    rounded = int(round(steps))
    if abs(steps - rounded) > 1e-6:
        raise ValueError(
            f"{name}={value!r} is not a whole number of time steps dt={dt!r}; "
            f"choose a multiple of dt"
        )
    return rounded


# Order of Brian2's seven SI base dimensions.
_SI_BASE = ("m", "kg", "s", "A", "K", "mol", "cd")


def _encode_quantity(value: Quantity) -> dict:
    """A quantity as its SI value and dimension exponents (rebuilt exactly: ``350*ms == 350*ms``)."""
    dimensions = get_dimensions(value)
    number = np.asarray(value)  # the value in SI units, as a plain array
    return {
        "value": number if number.ndim else number.item(),
        "dimensions": [float(dimensions.get_dimension(base)) for base in _SI_BASE],
        "unit": str(get_unit(dimensions)),
    }


def _decode_quantity(payload: dict) -> Quantity:
    dimensions = get_or_create_dimension([float(x) for x in payload["dimensions"]])
    return Quantity(payload["value"], dim=dimensions)


register_codec("brian2.Quantity", Quantity, _encode_quantity, _decode_quantity)
