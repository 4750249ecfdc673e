"""The Dask side of sweeps: a local cluster or a running scheduler, and runs submitted to it.

``dask.distributed`` is imported on first use only (it is the optional
``distributed`` extra); without it :func:`require_distributed` raises
:class:`SweepSetupError` saying what to install.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import traceback
import uuid

from experiments import plugins

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


def main_thread_imports():
    """A Dask worker plugin importing MAIN_THREAD_IMPORTS (setup runs in the main thread)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class MainThreadImports(WorkerPlugin):
        name = "brain-vs-ann-main-thread-imports"

        def setup(self, worker):
            for module in MAIN_THREAD_IMPORTS:
                with contextlib.suppress(ImportError):
                    importlib.import_module(module)

    return MainThreadImports()


def on_dask(client, jobs, execute):
    from distributed import as_completed

    client.register_plugin(main_thread_imports())  # on current and future workers
    # The plugins this process loaded (entry points and --plugin modules) load there too.
    client.register_plugin(plugins.worker_plugin())
    futures = {}
    for job in jobs:
        # A key of its own per submission: never a result cached from an earlier sweep.
        future = client.submit(execute, job, key=f"sweep-run-{uuid.uuid4().hex}")
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
