"""Brian2's "please report this bug" message for Brian2's own errors only.

Importing Brian2 replaces ``sys.excepthook`` with a hook that answers every
uncaught exception, a user's typo included, with a message asking to report
a bug in Brian2. :func:`install` wraps it: an exception whose innermost frame
is in Brian2's code goes to Brian2's hook (its debug log is useful there);
any other goes to the hook that was in place before Brian2's.
"""

from __future__ import annotations

import os
import sys


def _raised_in(package_dir: str, tb) -> bool:
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return False
    filename = os.path.abspath(last.tb_frame.f_code.co_filename)
    return filename.startswith(package_dir + os.sep)


def install() -> None:
    """Wrap Brian2's excepthook (idempotent; nothing happens if Brian2 did not install one)."""
    import brian2
    from brian2.utils.logger import brian_excepthook

    if sys.excepthook is not brian_excepthook:
        return  # already wrapped, or someone else's hook: leave it
    package_dir = os.path.dirname(os.path.abspath(brian2.__file__))
    fallback = sys.__excepthook__

    def excepthook(exc_type, exc_value, tb):
        if _raised_in(package_dir, tb):
            return brian_excepthook(exc_type, exc_value, tb)
        return fallback(exc_type, exc_value, tb)

    excepthook.brian_excepthook = brian_excepthook
    sys.excepthook = excepthook
