"""Progress of long work with elapsed and remaining time, cheap enough to leave on.

On a terminal a :mod:`tqdm` bar (``12/40 presentations [00:31<01:12]``); when
stderr is not a terminal (a log file, CI, a batch job) one line every
``interval`` seconds, plus one at the end::

    rule_zoo: 3/12 fits, 2 min 10 s elapsed, about 6 min left

What is counted is the work itself: presentations of a spiking fit, epochs
of an MLP fit, rounds of a society, seeds and settings of an experiment. The
caller reports progress per epoch or per chunk of simulation (a spiking fit
reports from Brian2's ``report`` hook, at most once per ``interval`` of wall
time), never per time step.

Verbosity follows scikit-learn: ``verbose=0`` is silent, ``verbose>=1``
shows progress. ``verbose=None`` means "as the surrounding code decides":
:func:`verbosity` sets that default for a block (the command line turns it on
for a run, a sweep turns it off inside its runs).
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from numbers import Integral

from core.params import Interval, check_param

#: Seconds between status lines when stderr is not a terminal.
INTERVAL = 30.0

_VERBOSITY: contextvars.ContextVar[int] = contextvars.ContextVar("verbosity", default=0)


@contextlib.contextmanager
def verbosity(level: int):
    """Within the block, ``verbose=None`` means ``level``."""
    token = _VERBOSITY.set(int(level))
    try:
        yield
    finally:
        _VERBOSITY.reset(token)


def current_verbosity() -> int:
    """The level set by the innermost :func:`verbosity` block (0 outside any)."""
    return _VERBOSITY.get()


def resolve(verbose) -> int:
    """``verbose`` as an int, ``None`` as the surrounding :func:`verbosity`; ValueError else."""
    if verbose is None:
        return _VERBOSITY.get()
    return check_param("verbose", verbose, [Interval(Integral, 0, None)])


def duration(seconds: float) -> str:
    """``42 s``, ``2 min 10 s``, ``1 h 05 min``.

    >>> duration(42.3), duration(130), duration(3900)
    ('42 s', '2 min 10 s', '1 h 05 min')
    """
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """``total`` units of work, advanced with :meth:`update`; a context manager.

    Parameters
    ----------
    total : int or None
        Units of work (None: unknown, no remaining time).
    desc : str
        What is being done, e.g. ``"STDPClassifier.fit"``.
    unit : str
        What is counted, plural (``"presentations"``, ``"rounds"``).
    verbose : int or None
        0 shows nothing; None follows :func:`verbosity`.
    stream : file, optional
        Where to write (default: ``sys.stderr`` at the time of the call).
    interval : float
        Seconds between status lines off a terminal.
    """

    def __init__(
        self, total, desc="", unit="steps", *, verbose=None, stream=None, interval=INTERVAL
    ):
        self.total, self.desc, self.unit = total, desc, unit
        self.enabled = resolve(verbose) > 0
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.done = 0
        self._bar = None
        self._started = time.monotonic()
        self._last_line = self._started
        self._printed = None
        if self.enabled and _is_terminal(self.stream):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=f" {unit}", leave=False, file=self.stream)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def status(self) -> str:
        """``desc: done/total unit, elapsed, about remaining left``."""
        elapsed = time.monotonic() - self._started
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        line = f"{self.desc}: {count} {self.unit}, {duration(elapsed)} elapsed"
        if self.total and 0 < self.done < self.total:
            line += f", about {duration(elapsed / self.done * (self.total - self.done))} left"
        return line

    def update(self, n=1) -> None:
        """Advance by ``n`` units."""
        self.set(self.done + n)

    def set(self, done) -> None:
        """Set the units done so far (never goes backwards)."""
        done = max(self.done, done if self.total is None else min(done, self.total))
        if not self.enabled or done == self.done:
            self.done = done
            return
        if self._bar is not None:
            self._bar.update(done - self.done)
            self.done = done
            return
        self.done = done
        now = time.monotonic()
        if now - self._last_line >= self.interval:
            self._last_line = now
            self._print()

    def _print(self) -> None:
        line = self.status()
        if line != self._printed:  # the closing line may repeat the last one
            print(line, file=self.stream, flush=True)
            self._printed = line

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif time.monotonic() - self._started >= self.interval:
            # Long work ends with a line, so a log shows when it finished.
            self._print()
        self.enabled = False


def progress(iterable, total=None, desc="", unit="steps", *, verbose=None, **kwargs):
    """Iterate ``iterable``, advancing a :class:`Progress` by one per item."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    with Progress(total, desc, unit, verbose=verbose, **kwargs) as bar:
        for item in iterable:
            yield item
            bar.update()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
