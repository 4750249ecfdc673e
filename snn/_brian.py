"""Brian2 plumbing shared by the spiking package: code-generation target and units.

Brian2's runtime mode generates code for every object at each ``run()``; the
``cython`` target compiles it (cached by code hash in ``~/.cython``, so a model
is compiled once per machine), the ``numpy`` target interprets it (no compiler
needed, several times slower on networks of this package's size). The target is
chosen once per process: Cython when a test compilation succeeds, otherwise
numpy with a single warning. Setting the environment variable
``SNN_CODEGEN_TARGET`` to ``numpy`` or ``cython`` overrides the choice (the fast
test suite uses ``numpy`` for tiny networks, where compilation would dominate).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np
from brian2 import Quantity, ms, prefs
from brian2.units.fundamentalunits import have_same_dimensions

__all__ = ["codegen_target", "use_target", "as_time", "time_steps", "KNOWN_TARGETS"]

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


@contextlib.contextmanager
def use_target(target: str | None = None):
    """Context manager: Brian2's ``prefs.codegen.target`` set for the block, then restored.

    Network objects must be built *and* run inside the block (Brian2 resolves
    the target when a run starts).
    """
    target = codegen_target() if target is None else target
    if target not in KNOWN_TARGETS:
        raise ValueError(f"unknown Brian2 target {target!r}; known targets: {list(KNOWN_TARGETS)}")
    previous = prefs.codegen.target
    prefs.codegen.target = target
    try:
        yield target
    finally:
        prefs.codegen.target = previous


def as_time(value, name: str, *, allow_zero: bool = False) -> Quantity:
    """Check that ``value`` is a scalar Brian2 time (e.g. ``350 * ms``) and return it.

    Raises
    ------
    TypeError
        If ``value`` is a plain number or has no time units (the message names
        ``name`` and shows how to write it).
    ValueError
        If it is negative, or zero when ``allow_zero`` is False, or not finite.
    """
    if not isinstance(value, Quantity) or not have_same_dimensions(value, ms):
        raise TypeError(
            f"{name} must be a Brian2 time quantity such as 350*ms "
            f"(from brian2 import ms), got {value!r} of type {type(value).__name__}"
        )
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a scalar time, got {value!r}")
    seconds = float(value / ms) / 1000.0
    if not np.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound} and finite, got {name}={value!r}")
    return value


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
