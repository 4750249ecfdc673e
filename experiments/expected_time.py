"""How long each experiment's presets take, so that no run is a surprise.

``python -m experiments list`` shows both presets' times and ``run`` prints
the expected time before it starts. The built-in experiments' times are in
:data:`EXPECTED`; an experiment registered elsewhere (a plugin) passes
``expected_seconds={"quick": s, "full": s}`` to ``register_experiment``.

Every time says how it was obtained: CPU seconds of ``python -m experiments
run NAME --quick`` (or ``--full``) on the 2-core reference machine, Cython
cache warm, measured on a busy machine; the machine's load during the
measurements is stated in :data:`MEASURED_ON` and beside each number. (The
comments also keep the projections made before the full presets could be
run: scaled from the quick preset by the ratio of spiking presentations, they
ran 2-50x above the measured times.)
"""

from __future__ import annotations

from dataclasses import dataclass

#: Conditions of the measured times below.
MEASURED_ON = (
    "quick: CPU seconds of `python -m experiments run NAME --quick` at commit 90196e2 "
    "(a run uses one core), measured one by one on the 2-core machine while other jobs "
    "shared it (load average 7-19, wall times 3-5x the CPU times), Cython cache warm. "
    "Contention inflates CPU time too: the 11 quick presets used 1198 s of CPU here against "
    "361 s of wall time on the idle machine, so these are upper bounds, about 3x the idle "
    "time. full: CPU seconds measured the same way (commits 6c1f240, d8a3cd7 and 307f33b, load "
    "2-13), every full preset; the projections made before them from the quick times ran "
    "2-50x above the measured times"
)


@dataclass(frozen=True)
class Expected:
    seconds: float
    how: str  # how it was measured, printed beside the time


def _measured(quick: float, full: float) -> dict[str, Expected]:
    """Both presets' CPU seconds, measured on a busy machine (see :data:`MEASURED_ON`)."""
    how = "measured on a busy machine"
    return {"quick": Expected(quick, how), "full": Expected(full, how)}


#: Built-in experiments: preset -> Expected. Quick: user + sys CPU seconds of
#: `/usr/bin/time python -m experiments run NAME --quick` (wall seconds and load
#: average in the comment). Full: the ratio of spiking presentations (training
#: samples x (epochs + the frozen readout pass) + test samples x evaluations, over
#: seeds and rules) full / quick times the quick time, where the spiking network
#: is ~95% of the time; or rounds x measured seconds per round for the societies.
EXPECTED: dict[str, dict[str, Expected]] = {
    # Measured at 90196e2, before this experiment was rewritten with a validation
    # split and references: to be measured again. quick: wall 1050 s at load 11.6. full: 3 seeds x (city_traffic 6187 x 4 +
    # 2063 x 6 evaluations + digits 1347 x 4 + 450 x 6 + the small tasks) ~ 143k
    # presentations against ~2.95k in quick: x48.
    # full, measured 2026-11-30 at commit 307f33b (load 2-3.5): 5 seeds, wall 3785 s, CPU 3117 s.
    "task_benchmark": _measured(226, 3117),
    # Measured at 90196e2, before this experiment was rewritten with a validation
    # split and references: to be measured again. quick: wall 456 s at load 14.6. full: 5 seeds x (1347 x 3 epochs + 24
    # checkpoints x 450) = 74k presentations against 2 x (240 + 4 x 120) = 1.4k: x51.
    # full, measured 2026-11-30 at commit 6c1f240 (load 4-13): 10 seeds, wall 1426 s, CPU 650 s.
    "learning_curves": _measured(104, 650),
    # quick: wall 556 s at load 6.8. full: 41 spike timings x 60 pairings against
    # 17 x 10 simulated seconds per rule: x14.5.
    # full, measured 2026-11-30 at commit d8a3cd7 (load 3-6): wall 151 s, CPU 147 s.
    "stdp_window": _measured(151, 147),
    # quick: wall 292 s at load 14.7. full: 1347 x (2 + 1) + 450 = 4.5k
    # presentations against 400 x 2 + 450 = 1.25k: x3.6.
    # full, measured 2026-11-30 at commit 6c1f240 (load 4-13): wall 34 s, CPU 33 s.
    "receptive_fields": _measured(75, 33),
    # quick: wall 944 s at load 15 (user + sys 72 s). Per spiking network, full / quick
    # presentations x presentation time: 5 tasks x (270 x 2 epochs + 270 frozen + 450
    # test) + 1347 refit = 7.65k x 500 ms against 5 x (20 x 3 + 100) + 100 = 900 x 125 ms
    # (x34); networks: 5 seeds x 3 sizes against 2 x 2 (x3.75): x127, 2.5 h projected.
    # full, measured 2026-11-30 at commit 307f33b (load 1-4): 5 seeds, wall 997 s, CPU 606 s.
    "continual_learning": _measured(72, 606),
    # quick: wall 388 s at load 15.3 (before the reference models were added; they
    # cost seconds). full: 10 seeds x (1347 x 3 + 12 conditions x 450) = 94k
    # presentations against 300 x 2 + 6 x 100 = 1.2k: x79.
    # full, measured 2026-11-30 at commit 6c1f240 (load 4-13): 10 seeds, wall 1468 s, CPU 542 s.
    "noise_robustness": _measured(100, 542),
    # quick: wall 1274 s at load 15.7. full: 5 seeds x 6 spiking rules x (1347 x 3 +
    # 450) = 135k presentations against 6 x (300 x 2 + 150) = 4.5k: x30.
    # full, measured 2026-11-30 at commit 307f33b (load 2-3.5): 5 seeds, wall 1310 s, CPU 1228 s.
    "rule_zoo": _measured(350, 1228),
    # quick: 95 s of CPU for 3 seeds (605 s wall at load ~15; the quick preset runs 2).
    # full: the module docstring's projection, digits at 400 neurons, 5 seeds
    # (2400 s measured for 3).
    # full, measured 2026-11-30 at commit 6c1f240 (load 4-13): 5 seeds, wall 275 s, CPU 81 s (both
    # learners reach the target after a few hundred samples).
    "energy_to_accuracy": _measured(95, 81),
    # Full presets of the societies: measured seconds per round (module docstrings)
    # times rounds and seeds.
    # 20 rounds x (35 s teach + 13 s gossip) x 5 seeds + the DeGroot theory.
    # quick: wall 180 s at load 17.1.
    # full, measured 2026-11-30 at commit d8a3cd7 (load 3-6): 5 seeds, wall 1197 s, CPU 1089 s.
    "social_topology": _measured(52, 1089),
    # quick: wall 116 s at load 16.4 (3 seeds then). full: 20 rounds x 24 s x 5 seeds.
    # full, measured 2026-11-30 at commit 6c1f240 (load 4-13): 5 seeds, wall 2094 s, CPU 878 s.
    "mixed_society": _measured(31, 878),
    # 30 rounds x 3 protocols x 5 seeds x 15-20 s per round of one society (the
    # module docstring's "about two and a half hours").
    # quick: wall 36 s at load 18.6 (before the reference forecasts were added).
    # full, measured 2026-11-30 at commit 307f33b (load 2-4): 5 seeds, wall 2580 s, CPU 1468 s.
    "smart_city": _measured(9, 1468),
    # quick: wall 69 s at load 9.9. full: 306 s measured for 3 seeds (module
    # docstring), 10 seeds.
    # full, measured 2026-11-30 at commit 6c1f240 (load 4-13): 10 seeds, wall 1412 s, CPU 528 s.
    "brain_synchrony": _measured(16, 528),
    # quick (5 tasks x 3 seeds): 121 s of CPU (user 119.8 + sys 1.2), wall 277 s at
    # load 7-8, commit 7251b12; the STDP network took 80% of it (timings.csv). full,
    # measured in parts at load 7-9 (bench/RESULTS.md): xor + iris + seed_regression,
    # 5 seeds, 330 s of CPU; digits, 3 seeds, 235 s (392 s for 5); city_traffic, 1
    # seed, 151 s (755 s for 5). Together ~1480 s of CPU (a run uses one core).
    # full, measured 2026-11-30 at commit d8a3cd7 (load 3-6): 5 seeds, wall 2049 s, CPU 910 s.
    "learner_matrix": _measured(121, 910),
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
