"""A sweep's plan: its seeds, the grid of settings and one run id per (setting, seed).

Nothing here writes or computes: :func:`plan_sweep` validates the whole
configuration and lists the runs, so every mistake surfaces before a sweep
directory is touched. :mod:`experiments.sweep` executes a plan.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from itertools import product
from typing import Any

from core.random import check_seed
from experiments._base import Experiment, get_experiment
from experiments.settings_text import apply_assignments, check_no_overlap, coerce, resolve_key
from experiments.store import digest, settings_json

#: Guard against a typo such as --seeds 0-99999999 planning a hundred million runs.
MAX_RUNS = 100_000

_SEED_PART = re.compile(r"^([0-9]+)(?:-([0-9]+))?$")


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0-9"``, ``"3"``, ``"0,2,5"`` or ``"0-4,10-14"`` (ranges include both ends).

    >>> parse_seeds("0-2,7")
    [0, 1, 2, 7]
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"--seeds must be a seed or a range like 0-9, got {text!r}")
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        match = _SEED_PART.match(part)
        if match is None:
            if re.match(r"^-[0-9]", part):
                raise ValueError(
                    f"--seeds: seeds are non-negative integers, got {part!r} in {text!r}"
                )
            raise ValueError(
                f"--seeds: {part!r} in {text!r} is neither a seed nor a range like 0-9"
            )
        start = int(match.group(1))
        stop = int(match.group(2)) if match.group(2) is not None else start
        if stop < start:
            raise ValueError(f"--seeds: the range {part!r} is empty (its end is below its start)")
        if stop - start + 1 + len(seeds) > MAX_RUNS:
            raise ValueError(f"--seeds: {text!r} gives more than {MAX_RUNS} seeds")
        seeds.extend(range(start, stop + 1))
    seen: set[int] = set()
    for seed in seeds:
        if seed in seen:
            raise ValueError(f"--seeds: seed {seed} appears twice in {text!r}")
        seen.add(seed)
    return seeds


@dataclass(frozen=True)
class PlannedRun:
    """One (setting, seed): ``setting`` holds the swept keys' values, ``settings`` the whole."""

    run_id: str
    setting: dict
    settings: Any
    seed: int


@dataclass(frozen=True)
class SweepPlan:
    experiment: Experiment
    preset: str
    base: Any
    swept: tuple
    seeds: tuple
    runs: tuple

    @property
    def n_settings(self) -> int:
        return len(self.runs) // max(1, len(self.seeds))


def jsonable(value):
    return json.loads(settings_json(value))


def _label(setting: dict) -> str:
    if not setting:
        return "base"
    text = ",".join(f"{key}={settings_json(value)}" for key, value in setting.items())
    # A readable file name: {"ann":1} -> ann-1, (32,16) -> 32,16; the hash keeps it unique.
    text = re.sub(r"[\[\]{}()\"' ]", "", text).replace(":", "-")
    return re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)[:80]


def run_id_for(setting: dict, settings, seed: int) -> str:
    """``<key=value,...>-<hash of the whole settings>-seed<seed>``: readable and unique."""
    settings_hash = digest(settings_json(dataclasses.asdict(settings)))[len("sha256:") :][:10]
    return f"{_label(setting)}-{settings_hash}-seed{seed}"


def plan_sweep(
    name: str | Experiment, *, quick: bool, seeds, grid: dict | None = None
) -> SweepPlan:
    """Validate a sweep and list its runs; nothing is written or computed.

    Parameters
    ----------
    name : str or Experiment
        A registered experiment, or an :class:`Experiment` object.
    quick : bool
        Start from the quick preset (else the full one).
    seeds : str or iterable of int
        ``"0-9"`` style text (:func:`parse_seeds`) or the seeds themselves.
    grid : dict, optional
        Swept key -> list of values (from the command line: :func:`parse_grid`).
        Each value must have the setting's field type (ints are accepted for
        floats, lists for tuples).

    Raises
    ------
    ValueError
        Naming the key and the value, for an unknown experiment or key, a
        value of the wrong type, an empty or repeated value list, a bad seed.
    """
    experiment = get_experiment(name) if isinstance(name, str) else name
    if isinstance(seeds, str):
        seeds = parse_seeds(seeds)
    else:
        seeds = [check_seed(s) for s in seeds]
        if not seeds:
            raise ValueError("seeds: no seeds given")
        if len(set(seeds)) < len(seeds):
            raise ValueError(f"seeds: {seeds!r} repeats a seed")
    base = experiment.preset(quick)
    grid = dict(grid or {})
    for key in grid:
        if not isinstance(key, str):
            raise ValueError(f"swept keys are strings, got {key!r}")
    check_no_overlap(grid)
    typed: dict[str, list] = {}
    for key, values in grid.items():
        _, hint = resolve_key(key, experiment, base)
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ValueError(f"--set {key}: expected a list of values, got {values!r}")
        values = list(values)
        if not values:
            raise ValueError(f"--set {key}: no values given")
        converted = []
        for value in values:
            try:
                converted.append(coerce(value, hint))
            except ValueError as error:
                raise ValueError(f"--set {key}={value!r}: {error}") from None
        texts = [settings_json(v) for v in converted]
        for text in texts:
            if texts.count(text) > 1:
                raise ValueError(f"--set {key}: the value {text} is given twice")
        typed[key] = converted
    n_settings = 1
    for values in typed.values():
        n_settings *= len(values)
    if n_settings * len(seeds) > MAX_RUNS:
        raise ValueError(f"the sweep has {n_settings * len(seeds)} runs, more than {MAX_RUNS}")
    combos = []
    for values in product(*typed.values()):
        setting = dict(zip(typed, values))
        try:
            settings = apply_assignments(base, setting)
        except (TypeError, ValueError) as error:  # the Settings class's own validation
            raise ValueError(f"--set {setting}: {error}") from None
        combos.append((setting, settings))
    # Seed-major order: an interrupted sweep has seen every setting on the first seeds.
    runs = tuple(
        PlannedRun(run_id_for(setting, settings, seed), setting, settings, seed)
        for seed in seeds
        for setting, settings in combos
    )
    return SweepPlan(
        experiment, "quick" if quick else "full", base, tuple(typed), tuple(seeds), runs
    )
