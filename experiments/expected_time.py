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
    "quick: CPU seconds of `python -m experiments run NAME --quick` (one core, so the wall "
    "time on an idle 2-core machine), measured at commit 90196e2 on a 2-core machine shared "
    "with other jobs (load average 7-17; wall times 3-5x longer), Cython cache warm; full: "
    "projected from the quick CPU time by the ratio of spiking presentations, or from "
    "measured seconds per round (experiments/expected_time.py shows the arithmetic)"
)


@dataclass(frozen=True)
class Expected:
    seconds: float
    how: str  # "measured" or "projected"


def _measured(cpu_seconds):
    return Expected(cpu_seconds, "measured")


def _projected(seconds):
    return Expected(seconds, "projected")


#: Built-in experiments: preset -> Expected. Quick: user + sys CPU seconds of
#: `/usr/bin/time python -m experiments run NAME --quick` (wall seconds and load
#: average in the comment). Full: the ratio of spiking presentations (training
#: samples x (epochs + the frozen readout pass) + test samples x evaluations, over
#: seeds and rules) full / quick times the quick time, where the spiking network
#: is ~95% of the time; or rounds x measured seconds per round for the societies.
EXPECTED: dict[str, dict[str, Expected]] = {
    # quick: wall 1050 s at load 11.6. full: 3 seeds x (city_traffic 6187 x 4 +
    # 2063 x 6 evaluations + digits 1347 x 4 + 450 x 6 + the small tasks) ~ 143k
    # presentations against ~2.95k in quick: x48.
    "task_benchmark": {"quick": _measured(226), "full": _projected(226 * 48)},
    # quick: wall 456 s at load 14.6. full: 5 seeds x (1347 x 3 epochs + 24
    # checkpoints x 450) = 74k presentations against 2 x (240 + 4 x 120) = 1.4k: x51.
    "learning_curves": {"quick": _measured(104), "full": _projected(104 * 51)},
    # quick: wall 556 s at load 6.8. full: 41 spike timings x 60 pairings against
    # 17 x 10 simulated seconds per rule: x14.5.
    "stdp_window": {"quick": _measured(151), "full": _projected(151 * 14.5)},
    # quick: wall 292 s at load 14.7. full: 1347 x (2 + 1) + 450 = 4.5k
    # presentations against 400 x 2 + 450 = 1.25k: x3.6.
    "receptive_fields": {"quick": _measured(75), "full": _projected(75 * 3.6)},
    # quick: wall 313 s at load 17.4. full: 3 seeds x (2 halves x 673 x 2 epochs +
    # 2 x 2 x 4 checkpoints x 2 subsets x 225) = 29.7k against 1.5k: x19.8.
    "continual_learning": {"quick": _measured(84), "full": _projected(84 * 19.8)},
    # quick: wall 388 s at load 15.3 (before the reference models were added; they
    # cost seconds). full: 10 seeds x (1347 x 3 + 12 conditions x 450) = 94k
    # presentations against 300 x 2 + 6 x 100 = 1.2k: x79.
    "noise_robustness": {"quick": _measured(100), "full": _projected(100 * 79)},
    # Full presets of the societies: measured seconds per round (module docstrings)
    # times rounds and seeds.
    # 20 rounds x (35 s teach + 13 s gossip) x 3 seeds + the DeGroot theory.
    "social_topology": {"full": _projected(3000)},
    # 20 rounds x 24 s x 3 seeds.
    "mixed_society": {"full": _projected(1440)},
    # 30 rounds x 3 protocols x 5 seeds x 15-20 s per round of one society (the
    # module docstring's "about two and a half hours").
    "smart_city": {"full": _projected(9000)},
    # quick: wall 69 s at load 9.9. full: measured (module docstring), 306 s.
    "brain_synchrony": {"quick": _measured(16), "full": Expected(306, "measured")},
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
