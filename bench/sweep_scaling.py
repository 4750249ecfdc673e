"""Sweep scaling: a 16-run sweep on 2 local Dask workers against the same runs in sequence.

The sweep is CPU-bound numpy work: a two-hidden-layer MLP (backprop, Adam)
trained on the digits task for a number of epochs, scored on the test split
after each epoch; 4 learning rates x 4 seeds = 16 runs of a few seconds each.
(The experiments in experiments/ train a spiking network next to every MLP,
so this one, registered here for the benchmark, keeps the work numpy-only.)

Side by side in one invocation, on the same 16 runs:

* ``sequential``: every run in this process, one after another (``--workers 0``),
  with one BLAS thread, as every run has (see ``experiments.runner.run_into``);
* ``dask, cold``: ``--workers N``, counting the local cluster's start and the
  workers' imports, i.e. what the user waits for;
* ``dask, warm``: a cluster started and warmed beforehand (a long sweep's regime);
* ``processes, no Dask``: the same jobs on a warmed ``multiprocessing`` pool of N
  processes, i.e. what the machine gives N processes at that moment: the
  ceiling of any engine, which tells Dask's overhead from a busy machine;
* with ``--blas-default``, also ``sequential, BLAS default``: the library's
  default BLAS threads, to show what a single thread per run avoids.

The script checks that every run's metrics.csv is byte-identical across the
one-thread modes (and counts the runs whose bits differ with the default BLAS
threads), and prints the wall times and the speed-ups over ``sequential``.

Usage::

    python bench/sweep_scaling.py                  # 16 runs, 2 workers, 60 epochs
    python bench/sweep_scaling.py --epochs 3       # smoke run

The figures and the command go to bench/RESULTS.md ("Sweep scaling").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np
import pandas as pd

from experiments import EXPERIMENTS, Result, register_experiment

NAME = "_bench_mlp_digits"


@dataclass(frozen=True)
class Settings:
    hidden_layer_sizes: tuple = (256, 256)
    learning_rate: float = 0.01
    epochs: int = 60

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls()


def run(settings: Settings, seed: int) -> Result:
    from ann import MLPClassifier
    from core.random import child_seeds
    from tasks import load_task

    task_seed, model_seed = child_seeds(seed, 2)
    task = load_task("digits", seed=task_seed)
    clf = MLPClassifier(
        hidden_layer_sizes=settings.hidden_layer_sizes,
        epochs=1,
        learning_rate=settings.learning_rate,
        random_state=model_seed,
    )
    rows = []
    for epoch in range(1, settings.epochs + 1):
        clf.partial_fit(task.X_train, task.y_train, classes=task.classes)
        rows.append(
            {
                "epoch": epoch,
                "loss": clf.history_[-1]["loss"],
                "test_accuracy": clf.score(task.X_test, task.y_test),
            }
        )
    return Result(metrics=pd.DataFrame(rows))


def no_figures(result: Result, settings: Settings) -> dict:
    return {}


def summary(result: Result, settings: Settings) -> str:
    final = result.metrics.iloc[-1]
    return f"test accuracy {final.test_accuracy:.3f} after {final.epoch} epochs"


if NAME not in EXPERIMENTS:
    register_experiment(
        NAME, "MLP learning curve on digits (sweep benchmark)", Settings, no_figures, summary
    )(run)


def _warm(_):
    import ann  # noqa: F401
    import experiments  # noqa: F401
    import tasks  # noqa: F401

    return os.getpid()


def main(argv=None) -> int:
    from experiments.sweep import (
        RunJob,
        execute_run,
        local_client,
        main_thread_imports,
        plan_sweep,
        run_sweep,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", default="0-3")
    parser.add_argument("--learning-rates", default="0.0025,0.005,0.01,0.02")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="alternate the modes this many times and keep each one's best",
    )
    parser.add_argument(
        "--blas-default",
        action="store_true",
        help="also time the sequential runs with the default BLAS threads",
    )
    args = parser.parse_args(argv)

    rates = [float(r) for r in args.learning_rates.split(",")]
    plan = plan_sweep(
        EXPERIMENTS[NAME],
        quick=True,
        seeds=args.seeds,
        grid={"learning_rate": rates, "epochs": [args.epochs]},
    )
    print(
        f"{len(plan.runs)} runs ({len(rates)} learning rates x {len(plan.seeds)} seeds), "
        f"MLP {Settings.hidden_layer_sizes} on digits, {args.epochs} epochs each; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    # The machine is shared: modes alternate over the repeats and each keeps its
    # best (least disturbed) wall time, with the load average seen before it.
    times: dict[str, list] = {}
    loads: dict[str, list] = {}
    cores: dict[str, list] = {}
    cpu_per_run: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)

        def timed(label, repeat, sweep):
            directory = scratch / f"{label.replace(' ', '_').replace(',', '')}-{repeat}"
            loads.setdefault(label, []).append(os.getloadavg()[0])
            started = time.perf_counter()
            computed, failed, cpu_seconds = sweep(directory)
            times.setdefault(label, []).append(time.perf_counter() - started)
            assert computed == len(plan.runs) and not failed, (label, failed)
            # CPU seconds the runs got per wall second: the cores this mode actually
            # had, which other processes on a shared machine can take away.
            cores.setdefault(label, []).append(cpu_seconds / times[label][-1])
            cpu_per_run.setdefault(label, []).append(cpu_seconds / len(plan.runs))
            print(
                f"  {label:<26} {times[label][-1]:7.1f} s   cores used {cores[label][-1]:.2f}"
                f"   (load average before: {loads[label][-1]:.1f})",
                flush=True,
            )
            return directory

        def with_run_sweep(**engine):
            def sweep(directory):
                report = run_sweep(plan, directory, **engine)
                return report.computed, report.failed, report.run_cpu_seconds

            return sweep

        def with_pool(pool):
            # The same jobs on plain processes, without Dask: what this machine
            # gives two processes right now, the ceiling for any engine.
            def sweep(directory):
                (directory / "runs").mkdir(parents=True)
                jobs = [RunJob.of(plan, run, directory / "runs" / run.run_id) for run in plan.runs]
                outcomes = pool.map(execute_run, jobs, chunksize=1)
                return (
                    sum(o["status"] == "done" for o in outcomes),
                    [o["run_id"] for o in outcomes if o["status"] != "done"],
                    sum(o["cpu_seconds"] for o in outcomes),
                )

            return sweep

        directories = {}
        for repeat in range(args.repeats):
            directories["sequential"] = timed("sequential", repeat, with_run_sweep(workers=0))
            directories["dask, cold"] = timed(
                "dask, cold", repeat, with_run_sweep(workers=args.workers)
            )
            with local_client(args.workers) as client:
                # Warm: the workers have imported the project and Brian2 (which a sweep
                # makes them import in their main thread, see experiments.sweep).
                client.register_plugin(main_thread_imports())
                client.run(_warm, None)
                directories["dask, warm"] = timed(
                    "dask, warm", repeat, with_run_sweep(client=client)
                )
            with get_context("spawn").Pool(args.workers) as pool:
                pool.map(_warm, range(args.workers))
                directories["processes, no Dask"] = timed(
                    "processes, no Dask", repeat, with_pool(pool)
                )
        if args.blas_default:
            directories["sequential, BLAS default"] = timed(
                "sequential, BLAS default", 0, with_run_sweep(workers=0, blas_threads=None)
            )
        labels = list(times)
        reference = {
            run.run_id: (
                directories["sequential"] / "runs" / run.run_id / "metrics.csv"
            ).read_bytes()
            for run in plan.runs
        }
        differing = {}
        for label in labels[1:]:
            differing[label] = sum(
                (directories[label] / "runs" / run.run_id / "metrics.csv").read_bytes()
                != reference[run.run_id]
                for run in plan.runs
            )
            if "BLAS default" not in label:
                assert differing[label] == 0, f"{label}: {differing[label]} runs differ"
    best = {label: int(np.argmin(values)) for label, values in times.items()}
    cores = {label: cores[label][best[label]] for label in times}
    cpu_per_run = {label: cpu_per_run[label][best[label]] for label in times}
    loads = {label: loads[label][best[label]] for label in times}
    times = {label: values[best[label]] for label, values in times.items()}
    print(
        f"\nbest of {args.repeats}; metrics.csv byte-identical in 1 process, on "
        f"{args.workers} Dask workers and on {args.workers} plain processes"
    )
    if args.blas_default:
        print(
            f"with the default BLAS threads, {differing['sequential, BLAS default']} of "
            f"{len(plan.runs)} runs differ in metrics.csv (floating-point summation order)"
        )
    print("\n| mode | wall s | speed-up | cores used | CPU s per run | load average before |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label in labels:
        print(
            f"| {label} | {times[label]:.1f} | {times['sequential'] / times[label]:.2f}x | "
            f"{cores[label]:.2f} | {cpu_per_run[label]:.2f} | {loads[label]:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
