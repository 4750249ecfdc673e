"""Progress of a spiking fit, in presentations, reported from Brian2's run loop.

An estimator opens a :class:`core.progress.Progress` around a fit with
:func:`fit_progress`; each simulation in it advances the bar through Brian2's
``report`` hook, which Brian2 calls at most once per ``REPORT_PERIOD`` of wall
time (not per time step), and to the end of its windows when it returns.
Brian2's standalone device compiles its report into C++ and takes no Python
callable: there the bar advances once per simulation.
"""

from __future__ import annotations

import contextlib
import contextvars

from brian2 import get_device, second
from brian2.devices.device import RuntimeDevice

from core.progress import Progress, resolve

#: Wall time between Brian2's calls of the report hook.
REPORT_PERIOD = 1 * second

_ACTIVE: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "snn_fit_progress", default=None
)


@contextlib.contextmanager
def fit_progress(total: int, desc: str, verbose):
    """A Progress of ``total`` presentations that the simulations inside the block advance."""
    with Progress(total, desc, "presentations", verbose=resolve(verbose)) as bar:
        token = _ACTIVE.set(bar if bar.enabled else None)
        try:
            yield bar
        finally:
            _ACTIVE.reset(token)


def simulation_progress(n_presentations: int):
    """``(run keyword arguments, finished callback)`` for a simulation of ``n_presentations``
    (windows x agents: a frozen pass presents samples side by side as agents)."""
    bar = _ACTIVE.get()
    if bar is None:
        return {}, lambda: None
    start = bar.done

    def report(elapsed, completed, start_time, duration):
        bar.set(start + int(completed * n_presentations))

    def finished():
        bar.set(start + n_presentations)

    if not isinstance(get_device(), RuntimeDevice):
        return {}, finished
    return {"report": report, "report_period": REPORT_PERIOD}, finished
