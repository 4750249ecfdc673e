"""How long each experiment's presets take, so that no run is a surprise.

``python -m experiments list`` shows both presets' times and ``run`` prints
the expected time before it starts. The built-in experiments' times are in
:data:`EXPECTED`; an experiment registered elsewhere (a plugin) passes
``expected_seconds={"quick": s, "full": s}`` to ``register_experiment``.

Every time says how it was obtained:

* ``measured``: wall clock of ``python -m experiments run NAME --quick`` (or
  ``--full``) on the 2-core reference machine, Cython cache warm; the
  machine's load during the measurement is stated in :data:`MEASURED_ON`.
* ``projected``: a full preset too long to measure here, scaled from the
  measured quick preset by the ratio of spiking presentations (the spiking
  network costs ~95% of these experiments' time; the arithmetic is in the
  comment beside each number).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Conditions of the measured times below.
MEASURED_ON = (
    "2 CPU cores shared with other jobs (load average 4-6 while measuring), Python 3.11, "
    "Brian2 2.9 on the Cython target with a warm cache; commit 90196e2"
)


@dataclass(frozen=True)
class Expected:
    seconds: float
    how: str  # "measured" or "projected"


#: Built-in experiments: preset -> Expected.
EXPECTED: dict[str, dict[str, Expected]] = {
    # Full presets of the societies: measured seconds per round (module docstrings)
    # times rounds and seeds.
    # 20 rounds x (35 s teach + 13 s gossip) x 3 seeds + the DeGroot theory.
    "social_topology": {"full": Expected(3000, "projected")},
    # 20 rounds x 24 s x 3 seeds.
    "mixed_society": {"full": Expected(1440, "projected")},
    # 30 rounds x 3 protocols x 5 seeds x 15-20 s per round of one society (the
    # module docstring's "about two and a half hours").
    "smart_city": {"full": Expected(9000, "projected")},
    "brain_synchrony": {"full": Expected(306, "measured")},
}


def expected(experiment, preset: str) -> Expected | None:
    """The expected time of ``experiment``'s ``preset`` ("quick" or "full"), if known."""
    declared = experiment.expected_seconds or {}
    if preset in declared:
        return Expected(float(declared[preset]), "declared by the experiment")
    return EXPECTED.get(experiment.name, {}).get(preset)


def duration(seconds: float) -> str:
    """``42 s``, ``3 min``, ``1.5 h``: a duration at the precision a plan needs.

    >>> duration(42), duration(185), duration(5400)
    ('42 s', '3 min', '1.5 h')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe(experiment, preset: str) -> str:
    """``about 3 min (measured)``, or ``not measured``."""
    found = expected(experiment, preset)
    if found is None:
        return "not measured"
    return f"about {duration(found.seconds)} ({found.how})"
