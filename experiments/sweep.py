"""Sweeps: every (setting, seed) of an experiment as an independent run, on Dask.

    python -m experiments sweep NAME [--quick] --seeds 0-9 [--set KEY=V1,V2 ...]
                                [--workers N | --scheduler ADDRESS] --out DIR

The grid is the product of the ``--set`` value lists (in the order given) times
the seeds. Each (setting, seed) is one run of the experiment, written by a Dask
worker into its own directory of the results store (:mod:`experiments.store`):
a local cluster of ``N`` single-threaded worker processes by default, or the
workers of an existing scheduler (``--scheduler tcp://host:8786``; the workers
must see ``DIR`` on a shared file system and have this package installed).
``--workers 0`` runs everything in this process, without Dask.

Seeds. A run's seed is the same master seed ``python -m experiments run NAME
--seed S`` takes; the experiment derives all its randomness from it through
``numpy.random.SeedSequence`` (:func:`experiments.learners.child_seeds`). So a
run inside a sweep writes the same ``metrics.csv``, to the byte, as the run
alone with the same settings, on any number of workers (on one machine and
library stack: every run uses one BLAS thread, see
:func:`experiments.runner.run_into`). Every setting gets the same seeds
(common random numbers): settings are compared on equal draws.

Restarting. Invoking the same sweep again skips the runs that finished (their
directory verifies against its done-marker) and computes the others: those
that failed, and those a killed sweep had not finished. The seeds and the
values of the swept keys may be extended between invocations; the experiment,
the preset, its settings and the set of swept keys may not.

Configuration is validated before anything is written or computed: a bad
seed, key or value raises ``ValueError`` naming the key and the value.

From Python::

    from experiments.sweep import plan_sweep, run_sweep
    plan = plan_sweep("learning_curves", quick=True, seeds="0-9",
                      grid={"n_train": [100, 300], "params.ann.learning_rate": [0.01, 0.1]})
    report = run_sweep(plan, "results/sweeps/lc", workers=2)
    # then: experiments.aggregate.aggregate("results/sweeps/lc")
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import importlib
import json
import logging
import os
import re
import sys
import time
import traceback
import types
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from core.random import check_seed
from experiments._base import Experiment, get_experiment
from experiments.runner import RunExistsError, progress, run_into
from experiments.store import (
    Manifest,
    RunEntry,
    StoreError,
    SweepStore,
    canonical_json,
    digest,
    seal_run,
    verify_run,
)

#: Guard against a typo such as --seeds 0-99999999 planning a hundred million runs.
MAX_RUNS = 100_000
#: Environment of local Dask workers: one BLAS thread each, or N workers on N cores
#: would run N x (BLAS threads) threads and fight over the cores.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: How long to try reaching a --scheduler before giving up.
CONNECT_TIMEOUT = "10s"
INSTALL_HINT = (
    "sweeps on Dask need the 'distributed' extra: pip install 'brain-vs-ann[distributed]' "
    "(or run the sweep in this process with --workers 0)"
)


class SweepSetupError(RuntimeError):
    """The sweep cannot start: Dask is missing or the scheduler cannot be reached."""


# -- parsing and validating the configuration ----------------------------------------------

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


def split_values(text: str) -> list[str]:
    """Split ``"v1,v2"`` at the commas outside brackets and quotes.

    >>> split_values("(1, 2),(3,),none")
    ['(1, 2)', '(3,)', 'none']
    """
    pieces, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    pieces.append(text[start:].strip())
    return pieces


def _field_hints(settings_cls: type) -> dict:
    fields = {f.name: f for f in dataclasses.fields(settings_cls)}
    try:
        hints = typing.get_type_hints(settings_cls)
    except Exception:  # an annotation that cannot be evaluated: parse such values untyped
        hints = {}
    return {
        name: hints.get(name, f.type if isinstance(f.type, type) else Any)
        for name, f in fields.items()
    }


def _describe(hint) -> str:
    if hint is Any:
        return "a value"
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return "none"
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    name = getattr(typing.get_origin(hint) or hint, "__name__", str(hint))
    return {
        "tuple": "a tuple such as (1, 2)",
        "dict": 'a dict such as {"a": 1}',
        "list": "a list such as [1, 2]",
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "str": "a string",
    }.get(name, f"a {name}")


def _deep_tuple(value):
    if isinstance(value, (list, tuple)):
        return tuple(_deep_tuple(v) for v in value)
    if isinstance(value, dict):
        return {k: _deep_tuple(v) for k, v in value.items()}
    return value


def _literal(text: str):
    """A JSON or Python literal (``[1, 2]``, ``(1, 2)``, ``{"a": 1}``, ``true``, ``None``)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError("not a literal") from None


def coerce(value, hint):
    """``value`` as the type ``hint`` asks for, or ValueError (ints become floats, lists tuples)."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return _deep_tuple(value)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return None
        for arg in typing.get_args(hint):
            if arg is type(None):
                continue
            try:
                return coerce(value, arg)
            except ValueError:
                pass
        raise ValueError(f"expected {_describe(hint)}")
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        raise ValueError(f"expected {_describe(hint)}")
    target = origin or hint
    if target is bool:
        if isinstance(value, bool):
            return value
    elif target is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
    elif target is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value:
                raise ValueError("NaN is not a usable setting")
            return float(value)
    elif target is str:
        if isinstance(value, str):
            return value
    elif target in (tuple, list):
        if isinstance(value, (tuple, list)):
            return _deep_tuple(value)
    elif target is dict:
        if isinstance(value, dict):
            return _deep_tuple(value)
    elif isinstance(target, type):
        if isinstance(value, target):
            return value
    else:
        return value
    raise ValueError(f"expected {_describe(hint)}")


def parse_value(text: str, hint):
    """One command-line value converted to the type ``hint`` (see :func:`parse_assignment`)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in typing.get_args(hint):
            return None
        for arg in typing.get_args(hint):
            if arg is not type(None):
                try:
                    return parse_value(text, arg)
                except ValueError:
                    pass
        raise ValueError(f"expected {_describe(hint)}")
    if hint is bool:
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() in words:
            return words[text.lower()]
        raise ValueError("expected true or false")
    if hint is int:
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text)
        raise ValueError("expected an integer")
    if hint is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number") from None
        return coerce(value, float)
    if hint is str:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        return text
    try:
        value = _literal(text)
    except ValueError:
        if hint is Any:
            return text  # an untyped word: a string
        raise ValueError(f"expected {_describe(hint)}") from None
    return coerce(value, hint)


def parse_assignment(text: str, experiment: Experiment, *, quick: bool = True) -> tuple[str, list]:
    """``"key=v1,v2"`` -> ``(key, [v1, v2])`` with values of the setting's field type.

    Values are separated by commas outside brackets and quotes. Scalars are
    written plainly (``3``, ``0.1``, ``true``, ``digits``, ``none`` for an
    optional field); tuples, lists and dicts as JSON or Python literals
    (``(32, 16)``, ``[32, 16]``, ``{"ann": 5, "snn": 1}``). A dotted key
    (``params.ann.learning_rate=0.01,0.1``) sets one entry of a dict-valued
    setting; its values take the type of the entry in the preset (quick or
    full, as ``quick`` says), if any.

    >>> from experiments import get_experiment
    >>> parse_assignment("n_train=100,none", get_experiment("learning_curves"))
    ('n_train', [100, None])
    """
    key, sep, values_text = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--set {text!r}: expected KEY=VALUE[,VALUE...]")
    _, hint = _resolve_key(key, experiment, experiment.preset(quick))
    pieces = split_values(values_text)
    if values_text.strip() == "":
        raise ValueError(f"--set {key}: no values given")
    values = []
    for piece in pieces:
        if piece == "":
            raise ValueError(f"--set {key}={values_text}: an empty value")
        try:
            values.append(parse_value(piece, hint))
        except ValueError as error:
            raise ValueError(f"--set {key}={piece}: {error}") from None
    return key, values


def parse_grid(assignments, experiment: Experiment, *, quick: bool = True) -> dict:
    """The grid of several ``--set KEY=V1,V2`` texts: ``{key: [values]}``, in the order given."""
    grid: dict[str, list] = {}
    for text in assignments:
        key, values = parse_assignment(text, experiment, quick=quick)
        if key in grid:
            raise ValueError(
                f"--set {key} is given twice; list all its values in one --set {key}=V1,V2"
            )
        grid[key] = values
    return grid


def _resolve_key(key: str, experiment: Experiment, base) -> tuple[list[str], Any]:
    """The path of a (possibly dotted) key and the type its values must have."""
    hints = _field_hints(experiment.settings)
    head, *path = key.split(".")
    if head not in hints:
        raise ValueError(
            f"--set: unknown setting {head!r} for experiment {experiment.name!r}; "
            f"known: {', '.join(hints)}"
        )
    if not path:
        return [head], hints[head]
    current = getattr(base, head)
    if not isinstance(current, dict):
        raise ValueError(
            f"--set {key}: {head!r} is not a dict-valued setting, so it has no "
            f"entry {'.'.join(path)!r}"
        )
    for part in path[:-1]:
        current = current.get(part, {})
        if not isinstance(current, dict):
            raise ValueError(f"--set {key}: {head}[{part!r}] is not a dict")
    existing = current.get(path[-1]) if path[-1] in current else None
    hint = (
        type(existing) if isinstance(existing, (bool, int, float, str, tuple, list, dict)) else Any
    )
    return [head, *path], hint


def _apply(base, assignments: dict):
    """``base`` with each (possibly dotted) key set; the dataclass is rebuilt (and validated)."""
    replaced: dict[str, Any] = {}
    for key, value in assignments.items():
        head, *path = key.split(".")
        if not path:
            replaced[head] = value
            continue
        tree = replaced.setdefault(head, copy.deepcopy(getattr(base, head)))
        for part in path[:-1]:
            tree = tree.setdefault(part, {})
        tree[path[-1]] = value
    return dataclasses.replace(base, **replaced)


# -- the plan --------------------------------------------------------------------------------


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


def _jsonable(value):
    return json.loads(canonical_json(value))


def _label(setting: dict) -> str:
    if not setting:
        return "base"
    text = ",".join(f"{key}={canonical_json(value)}" for key, value in setting.items())
    # A readable file name: {"ann":1} -> ann-1, (32,16) -> 32,16; the hash keeps it unique.
    text = re.sub(r"[\[\]{}()\"' ]", "", text).replace(":", "-")
    return re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)[:80]


def run_id_for(setting: dict, settings, seed: int) -> str:
    """``<key=value,...>-<hash of the whole settings>-seed<seed>``: readable and unique."""
    settings_hash = digest(canonical_json(dataclasses.asdict(settings)))[len("sha256:") :][:10]
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
        for other in grid:
            if other != key and other.startswith(key + "."):
                raise ValueError(f"--set {key} and --set {other} overlap; give one of them")
    typed: dict[str, list] = {}
    for key, values in grid.items():
        _, hint = _resolve_key(key, experiment, base)
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
        texts = [canonical_json(v) for v in converted]
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
            settings = _apply(base, setting)
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


# -- one run, on a worker --------------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    """What a worker needs to compute one run (pickled to Dask workers)."""

    experiment: Experiment
    settings: Any
    seed: int
    run_id: str
    run_dir: str
    preset: str
    setting: dict
    blas_threads: int | None = 1


class _NotATerminal:
    """stderr as a run in a sweep sees it: not a terminal, so its progress bars stay quiet
    (the sweep shows one bar over the runs instead of interleaved bars of every worker)."""

    def __init__(self, stream):
        self._stream = stream

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def execute_run(job: RunJob) -> dict:
    """Compute one run into its directory; never raises for a failure of the run itself.

    Returns ``{"run_id", "status": "done" | "failed", "traceback", "seconds",
    "cpu_seconds"}`` (wall and CPU time of this process spent on the run).
    If the directory exists already (a worker of an earlier, killed sweep
    finished it), it is verified and reported done without computing it again.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    final = Path(job.run_dir)

    def outcome(status, trace=None):
        return {
            "run_id": job.run_id,
            "status": status,
            "traceback": trace,
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu_started,
        }

    try:
        if not final.exists():
            with contextlib.redirect_stderr(_NotATerminal(sys.stderr)):
                try:
                    run_into(
                        job.experiment,
                        job.settings,
                        job.seed,
                        final,
                        preset=job.preset,
                        config_extra={
                            "sweep": {"run_id": job.run_id, "setting": _jsonable(job.setting)}
                        },
                        seal=lambda staging: seal_run(staging, run_id=job.run_id, seed=job.seed),
                        blas_threads=job.blas_threads,
                    )
                except RunExistsError:
                    pass  # finished meanwhile by a worker of an earlier sweep: verified below
        verify_run(final, job.run_id)
        return outcome("done")
    except Exception:
        return outcome("failed", traceback.format_exc())


# -- engines ---------------------------------------------------------------------------------


def require_distributed():
    """``dask.distributed``, imported on first use, or SweepSetupError saying what to install."""
    try:
        import distributed
    except ImportError:
        raise SweepSetupError(INSTALL_HINT) from None
    return distributed


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def connect(scheduler: str):
    """A Dask client of the scheduler at ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``)."""
    distributed = require_distributed()
    try:
        return distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise SweepSetupError(
            f"cannot connect to the Dask scheduler at --scheduler {scheduler!r}: {error}"
        ) from None


#: Dask settings for the local cluster's workers (the nannies pass the
#: configuration current at their start on to them). A worker samples its task
#: thread's stack every 10 ms for the dashboard's profile by default and polls
#: the system every 0.5 s; with one CPU-bound task per core those samples are
#: taken from the runs' own CPU time. Sweep runs are timed by the runner and
#: their errors recorded in the manifest, so the profile is switched off and
#: the monitors slowed down.
QUIET_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
}


def dask_config():
    """``dask.config`` (imported only when a cluster is started)."""
    import dask.config

    return dask.config


@contextlib.contextmanager
def local_client(workers: int):
    """A Dask client of a fresh local cluster: ``workers`` processes, one thread each."""
    distributed = require_distributed()
    try:
        # The scheduler's HTTP server takes a free local port: clusters of two
        # sweeps at once must not clash over Dask's default 8787. Dask's own logs
        # are silenced: a run's failure is recorded in the manifest instead.
        with dask_config().set(QUIET_WORKER_CONFIG):
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.CRITICAL,
                env=WORKER_ENV,
            )
    except Exception as error:
        # Worker processes start by importing the main script: a script that
        # starts a sweep at import (no ``if __name__ == "__main__":``) fails here.
        raise SweepSetupError(
            f"could not start a local Dask cluster of {workers} workers: {error}"
        ) from error
    with cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client


#: Modules a Dask worker imports in its main thread when it starts: Brian2 installs a
#: SIGINT handler on import, which Python allows only in the main thread, and Dask
#: runs tasks in other threads (an experiment importing brian2 there would fail).
MAIN_THREAD_IMPORTS = ("brian2",)


def _main_thread_imports():
    """A Dask worker plugin importing MAIN_THREAD_IMPORTS (setup runs in the main thread)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class MainThreadImports(WorkerPlugin):
        name = "brain-vs-ann-main-thread-imports"

        def setup(self, worker):
            for module in MAIN_THREAD_IMPORTS:
                with contextlib.suppress(ImportError):
                    importlib.import_module(module)

    return MainThreadImports()


def _in_process(jobs):
    for job in jobs:
        yield execute_run(job)


def _on_dask(client, jobs):
    from distributed import as_completed

    client.register_plugin(_main_thread_imports())  # on current and future workers
    futures = {}
    for job in jobs:
        # A key of its own per submission: never a result cached from an earlier sweep.
        future = client.submit(execute_run, job, key=f"sweep-run-{uuid.uuid4().hex}")
        futures[future.key] = (future, job)
    for future in as_completed([f for f, _ in futures.values()], loop=client.loop):
        job = futures.pop(future.key)[1]
        try:
            result = future.result()
        except Exception as error:  # the worker died, or could not unpickle the job
            result = {
                "run_id": job.run_id,
                "status": "failed",
                "seconds": 0.0,
                "cpu_seconds": 0.0,
                "traceback": "".join(traceback.format_exception(error)),
            }
        future.release()
        yield result


# -- the sweep -------------------------------------------------------------------------------


@dataclass
class SweepReport:
    """What :func:`run_sweep` did. ``run_seconds`` and ``run_cpu_seconds`` sum the wall
    and CPU time of the runs computed now, as measured where they ran."""

    directory: Path
    planned: int
    finished_before: int
    computed: int
    failed: list
    engine: str
    seconds: float
    run_seconds: float = 0.0
    run_cpu_seconds: float = 0.0


def _check_directory(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise StoreError(f"--out {root} exists and is not a directory")
    store = SweepStore(root)
    if root.is_dir() and not store.exists():
        foreign = [p.name for p in root.iterdir() if p.name != ".lock"]
        if foreign:
            raise StoreError(
                f"--out {root} exists and is not a sweep directory (it holds "
                f"{foreign[0]!r} and no manifest.json); choose another --out"
            )


def _prepare(store: SweepStore, plan: SweepPlan) -> Manifest:
    """Load or create the manifest, check it is this sweep, add the planned runs and set
    every status from the disk (a verified run directory is done, whatever was recorded)."""
    manifest = store.load_manifest()
    fresh = Manifest(
        plan.experiment.name, plan.preset, dataclasses.asdict(plan.base), list(plan.swept)
    )
    if manifest is None:
        manifest = fresh
    else:
        where = f"{store.manifest_path}"
        if manifest.experiment != fresh.experiment:
            raise StoreError(
                f"{store.root} holds a sweep of {manifest.experiment!r}, not "
                f"{fresh.experiment!r}; choose another --out"
            )
        if manifest.preset != fresh.preset:
            raise StoreError(
                f"{store.root} holds a sweep of the {manifest.preset} preset; "
                f"{'drop' if fresh.preset == 'quick' else 'add'} --quick or choose another --out"
            )
        if set(manifest.swept) != set(fresh.swept):
            raise StoreError(
                f"{store.root} sweeps {manifest.swept}, not {list(fresh.swept)}; the "
                "swept keys of a sweep directory are fixed: choose another --out"
            )
        recorded, current = manifest.header()["base_settings"], fresh.header()["base_settings"]
        if recorded != current:
            changed = sorted(
                k for k in set(recorded) | set(current) if recorded.get(k) != current.get(k)
            )
            raise StoreError(
                f"the {fresh.preset} preset of {fresh.experiment!r} changed since this "
                f"sweep started (settings {changed} differ from {where}); choose "
                "another --out"
            )
    for run in plan.runs:
        if run.run_id not in manifest.runs:
            manifest.runs[run.run_id] = RunEntry(run.run_id, _jsonable(run.setting), run.seed)
    for entry in manifest.runs.values():
        if store.is_done(entry.run_id):
            entry.status, entry.traceback = "done", None
        elif entry.status == "done":  # its directory was removed: compute it again
            entry.status = "pending"
    store.remove_partials()
    store.save_manifest(manifest)
    return manifest


def run_sweep(
    plan: SweepPlan,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    blas_threads: int | None = 1,
    log: Callable[[str], None] | None = None,
    save_interval: float = 1.0,
) -> SweepReport:
    """Compute every run of ``plan`` not finished yet into the sweep directory ``out``.

    Parameters
    ----------
    plan : SweepPlan
        From :func:`plan_sweep`.
    out : path
        The sweep directory (created if needed; see :mod:`experiments.store`).
    workers : int, optional
        Size of the local Dask cluster (default: the cores this process may
        use); 0 runs everything in this process, without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler to use instead of a local cluster.
    client : distributed.Client, optional
        An existing client to use (e.g. one cluster shared by several sweeps).
    blas_threads : int or None
        BLAS threads per run: 1 by default, as for a run alone
        (:func:`experiments.runner.run_into`), so that metrics are the same
        bits everywhere and parallel runs do not oversubscribe the cores;
        None leaves the library default.
    log : callable, optional
        Receives one line per notable event (failed runs, the plan).
    save_interval : float
        Seconds between manifest writes while runs complete. The manifest is
        also written at the start and the end; what a kill loses between
        writes is recovered from the run directories.

    Returns
    -------
    SweepReport
        How many runs were planned, finished before, computed now, and which failed.
    """
    log = log or (lambda line: None)
    chosen = [workers is not None, scheduler is not None, client is not None]
    if sum(chosen) > 1:
        raise ValueError("give at most one of workers, scheduler and client")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 0
    ):
        raise ValueError(f"workers must be a non-negative integer, got workers={workers!r}")
    root = Path(out).absolute()
    _check_directory(root)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # Dask problems surface before anything is written.
        if scheduler is not None:
            client = stack.enter_context(connect(scheduler))
            engine = f"Dask scheduler {scheduler}"
        elif client is not None:
            engine = "the given Dask client"
        elif workers == 0:
            engine = "this process"
        else:
            require_distributed()
            workers = workers or available_cores()
            engine = f"{workers} local Dask worker{'s' if workers > 1 else ''}"
        store = SweepStore(root)
        stack.enter_context(store.locked())
        manifest = _prepare(store, plan)
        finished_before = [run for run in plan.runs if manifest.runs[run.run_id].status == "done"]
        todo = [run for run in plan.runs if manifest.runs[run.run_id].status != "done"]
        log(
            f"{plan.experiment.name}: {len(plan.runs)} runs ({plan.n_settings} setting"
            f"{'s' if plan.n_settings > 1 else ''} x {len(plan.seeds)} seeds), "
            f"{len(finished_before)} finished before, {len(todo)} to compute on {engine}"
        )
        jobs = [
            RunJob(
                plan.experiment,
                run.settings,
                run.seed,
                run.run_id,
                str(store.run_dir(run.run_id)),
                plan.preset,
                run.setting,
                blas_threads,
            )
            for run in todo
        ]
        failed, computed, run_seconds, run_cpu_seconds = [], 0, 0.0, 0.0
        if jobs:
            if client is None and workers != 0:
                client = stack.enter_context(local_client(workers))
            outcomes = _in_process(jobs) if client is None else _on_dask(client, jobs)
            last_save = time.monotonic()
            try:
                for outcome in progress(outcomes, total=len(jobs), desc=plan.experiment.name):
                    entry = manifest.runs[outcome["run_id"]]
                    entry.status, entry.traceback = outcome["status"], outcome["traceback"]
                    run_seconds += outcome["seconds"]
                    run_cpu_seconds += outcome["cpu_seconds"]
                    if entry.status == "done":
                        computed += 1
                    else:
                        failed.append(entry.run_id)
                        last_line = (entry.traceback or "").strip().splitlines()[-1:] or ["?"]
                        log(f"run {entry.run_id} failed: {last_line[0]}")
                    if time.monotonic() - last_save >= save_interval:
                        store.save_manifest(manifest)
                        last_save = time.monotonic()
            finally:
                store.save_manifest(manifest)
    return SweepReport(
        root,
        len(plan.runs),
        len(finished_before),
        computed,
        failed,
        engine,
        time.perf_counter() - started,
        run_seconds,
        run_cpu_seconds,
    )
