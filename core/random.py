"""One random-state policy: resolve once at the top, pass generators and seeds down.

Everything that draws random numbers takes ``random_state`` (estimators,
populations, societies, circuits) or ``seed`` (tasks, graphs). Both accept
the same values: None (fresh entropy), an int >= 0, a ``numpy.random.SeedSequence``
or a ``numpy.random.Generator``. :func:`check_random_state` turns any of them
into a Generator; :func:`child_seeds` derives independent integer seeds
from ``SeedSequence.spawn`` for code that needs plain integers (tasks,
scikit-learn, Brian2), all in ``[0, 2**31)`` so that every consumer accepts
them without a modulo.

Examples
--------
>>> from core.random import check_random_state, child_seeds
>>> rng = check_random_state(7)
>>> float(rng.random()) == float(check_random_state(7).random())
True
>>> child_seeds(7, 3) == child_seeds(7, 3), len(set(child_seeds(7, 3)))
(True, 3)
"""

from __future__ import annotations

import numpy as np

from core.params import RandomState, check_param

__all__ = ["MAX_SEED", "check_random_state", "check_seed", "child_seeds", "spawn"]

#: Child seeds are in ``[0, MAX_SEED)`` (what every consumer here accepts).
MAX_SEED = 2**31


def check_random_state(random_state, name: str = "random_state") -> np.random.Generator:
    """A ``numpy.random.Generator`` from None, an int >= 0, a SeedSequence or a Generator.

    A Generator is returned as it is (draws continue from it); the others
    seed a new one. TypeError or ValueError name ``name`` and the value.
    """
    return np.random.default_rng(check_param(name, random_state, [RandomState()]))


def check_seed(seed, name: str = "seed") -> int:
    """An integer seed in ``[0, 2**32)`` (what numpy and scikit-learn accept)."""
    from numbers import Integral

    from core.params import Interval

    return check_param(name, seed, [Interval(Integral, 0, 2**32, closed="left")])


def _seed_sequence(random_state) -> np.random.SeedSequence:
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(2**63, size=4))
    return np.random.SeedSequence(check_param("random_state", random_state, [RandomState()]))


def spawn(random_state, n: int) -> list[np.random.Generator]:
    """``n`` independent generators, children of ``random_state`` by ``SeedSequence.spawn``.

    A Generator given here advances (its draws seed the children), so two
    calls give different children; an int or SeedSequence gives the same
    children every time.
    """
    return [np.random.default_rng(child) for child in _seed_sequence(random_state).spawn(n)]


def child_seeds(random_state, n: int) -> list[int]:
    """``n`` independent integer seeds in ``[0, 2**31)`` from ``SeedSequence.spawn``."""
    return [
        int(child.generate_state(1, np.uint32)[0] >> 1)
        for child in _seed_sequence(random_state).spawn(n)
    ]
