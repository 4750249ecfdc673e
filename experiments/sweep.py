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
``numpy.random.SeedSequence`` (:func:`core.random.child_seeds`). So a
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

import contextlib
import dataclasses
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

from core.params import Interval, NoneOf, check_param
from core.progress import progress, verbosity
from experiments._base import Experiment
from experiments.dask_engine import (
    CONNECT_TIMEOUT,
    INSTALL_HINT,
    MAIN_THREAD_IMPORTS,
    QUIET_WORKER_CONFIG,
    WORKER_ENV,
    SweepSetupError,
    available_cores,
    connect,
    dask_config,
    local_client,
    main_thread_imports,
    on_dask,
    require_distributed,
)
from experiments.runner import RunExistsError, run_into
from experiments.settings_text import (
    apply_assignments,
    coerce,
    parse_assignment,
    parse_grid,
    parse_value,
    resolve_key,
    split_values,
)
from experiments.store import (
    Manifest,
    RunEntry,
    StoreError,
    SweepStore,
    seal_run,
    verify_run,
)
from experiments.sweep_plan import (
    MAX_RUNS,
    PlannedRun,
    SweepPlan,
    jsonable,
    parse_seeds,
    plan_sweep,
    run_id_for,
)

# The configuration parser, the plan and the Dask engine live in their own
# modules; their public names are importable from here as before.
__all__ = [
    "CONNECT_TIMEOUT",
    "INSTALL_HINT",
    "MAIN_THREAD_IMPORTS",
    "MAX_RUNS",
    "QUIET_WORKER_CONFIG",
    "WORKER_ENV",
    "PlannedRun",
    "RunJob",
    "SweepPlan",
    "SweepReport",
    "SweepSetupError",
    "apply_assignments",
    "available_cores",
    "coerce",
    "connect",
    "dask_config",
    "execute_run",
    "local_client",
    "main_thread_imports",
    "parse_assignment",
    "parse_grid",
    "parse_seeds",
    "parse_value",
    "plan_sweep",
    "require_distributed",
    "resolve_key",
    "run_id_for",
    "run_sweep",
    "split_values",
]


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

    @classmethod
    def of(cls, plan, run, run_dir, blas_threads: int | None = 1) -> RunJob:
        """The job of ``run`` (one of ``plan.runs``), saved in ``run_dir``."""
        return cls(
            plan.experiment,
            run.settings,
            run.seed,
            run.run_id,
            str(run_dir),
            plan.preset,
            run.setting,
            blas_threads,
        )


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
            # Silent: the sweep shows one bar over the runs instead of every run's own.
            with contextlib.redirect_stderr(_NotATerminal(sys.stderr)), verbosity(0):
                try:
                    run_into(
                        job.experiment,
                        job.settings,
                        job.seed,
                        final,
                        preset=job.preset,
                        config_extra={
                            "sweep": {"run_id": job.run_id, "setting": jsonable(job.setting)}
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


def _in_process(jobs):
    for job in jobs:
        yield execute_run(job)


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
            manifest.runs[run.run_id] = RunEntry(run.run_id, jsonable(run.setting), run.seed)
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
    check_param("workers", workers, [NoneOf(), Interval(Integral, 0, None)])
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
        jobs = [RunJob.of(plan, run, store.run_dir(run.run_id), blas_threads) for run in todo]
        failed, computed, run_seconds, run_cpu_seconds = [], 0, 0.0, 0.0
        if jobs:
            if client is None and workers != 0:
                client = stack.enter_context(local_client(workers))
            outcomes = _in_process(jobs) if client is None else on_dask(client, jobs, execute_run)
            last_save = time.monotonic()
            try:
                runs = progress(
                    outcomes, total=len(jobs), desc=plan.experiment.name, unit="runs", verbose=1
                )
                for outcome in runs:
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
