"""Run experiments and save their results; redraw figures from saved results.

A run writes ``OUT/NAME/RUN_ID/``::

    config.json     experiment, preset, seed, settings, package versions
    metrics.csv     the tidy results (reproducible to the byte for a seed)
    timings.csv     wall-clock measurements, kept apart from metrics (the experiment's,
                    else the whole run's wall and CPU seconds)
    <table>.csv     further tables the figures need
    summary.md      the key numbers in a few lines
    figures/*.png   (and .svg)

The directory is assembled under a temporary name beside its final place and
renamed into place when complete, so an interrupted run never leaves a
directory that looks finished; an existing run directory is never overwritten.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from core.random import check_seed
from experiments._base import Experiment, Result, get_experiment

RESERVED_FILES = {"config.json", "metrics.csv", "timings.csv", "summary.md"}


class RunExistsError(FileExistsError):
    """The run directory exists already; results are never overwritten."""


def default_run_id(quick: bool, seed: int) -> str:
    return f"{'quick' if quick else 'full'}-seed{seed}"


@contextlib.contextmanager
def blas_thread_limit(threads: int | None):
    """Limit BLAS (and OpenMP) threads in this process while the block runs."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    with threadpool_limits(limits=threads):
        yield


def _versions() -> dict:
    import importlib.metadata as md

    out = {}
    for package in ("numpy", "scipy", "brian2", "networkx", "scikit-learn", "pandas", "matplotlib"):
        try:
            out[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return out


def save_result(directory: Path, result: Result) -> None:
    """Write a result's tables as CSV into ``directory``."""
    result.metrics.to_csv(directory / "metrics.csv", index=False)
    if result.timings is not None:
        result.timings.to_csv(directory / "timings.csv", index=False)
    for name, table in result.tables.items():
        if f"{name}.csv" in RESERVED_FILES:
            raise ValueError(f"table name {name!r} clashes with a reserved file")
        table.to_csv(directory / f"{name}.csv", index=False)


def load_result(directory: Path) -> Result:
    """Read back what :func:`save_result` wrote."""
    directory = Path(directory)
    metrics_path = directory / "metrics.csv"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"no metrics.csv in {directory}: not a finished run directory")
    timings_path = directory / "timings.csv"
    tables = {
        path.stem: pd.read_csv(path)
        for path in sorted(directory.glob("*.csv"))
        if path.name not in RESERVED_FILES
    }
    return Result(
        metrics=pd.read_csv(metrics_path),
        timings=pd.read_csv(timings_path) if timings_path.is_file() else None,
        tables=tables,
    )


def draw(experiment: Experiment, result: Result, settings, directory: Path) -> list[Path]:
    """Draw the experiment's figures into ``directory/figures`` (PNG and SVG)."""
    figure_dir = directory / "figures"
    figure_dir.mkdir(exist_ok=True)
    written = []
    for name, fig in experiment.figures(result, settings).items():
        for suffix in (".png", ".svg"):
            path = figure_dir / f"{name}{suffix}"
            fig.savefig(path)
            written.append(path)
        plt.close(fig)
    return written


def make_staging_directory(final: Path) -> Path:
    """A new empty directory beside ``final``, named ``.<final>.<random>.partial``.

    Created with ``mkdir`` rather than ``tempfile.mkdtemp`` so that it gets the
    permissions of any new directory (the umask's), not mkdtemp's owner-only
    0700, which the finished run directory would otherwise keep.
    """
    while True:
        staging = final.parent / f".{final.name}.{uuid.uuid4().hex[:12]}.partial"
        try:
            staging.mkdir()
            return staging
        except FileExistsError:  # pragma: no cover - a 48-bit collision
            continue


def run_experiment(
    name: str,
    *,
    quick: bool = True,
    seed: int = 0,
    out: str | Path = "results",
    run_id: str | None = None,
    settings=None,
) -> Path:
    """Run one experiment and save it; returns the run directory.

    Raises
    ------
    RunExistsError
        If the run directory exists already (checked before any work).
    """
    experiment = get_experiment(name)
    seed = check_seed(seed)
    settings = settings if settings is not None else experiment.preset(quick)
    run_id = run_id or default_run_id(quick, seed)
    return run_into(
        experiment, settings, seed, Path(out) / name / run_id, preset="quick" if quick else "full"
    )


def run_into(
    experiment: Experiment,
    settings,
    seed: int,
    final: str | Path,
    *,
    preset: str,
    config_extra: dict | None = None,
    seal: Callable[[Path], None] | None = None,
    blas_threads: int | None = 1,
) -> Path:
    """Run ``experiment`` once with ``settings`` and ``seed`` and save it as directory ``final``.

    The files are written into a temporary directory beside ``final`` and
    renamed into place when complete. ``config_extra`` adds entries to
    ``config.json``; ``seal(staging_dir)``, if given, is called after every
    other file is written and before the rename (the sweep store writes its
    done-marker there). The figures are drawn from the saved files, so that
    :func:`replot` redraws a run directory's figures from it alone, exactly.
    Returns ``final``.

    The run uses ``blas_threads`` BLAS threads (None: the library's default).
    One thread by default, because a matrix product split over threads sums
    in another order, which changes the last bits of the results: with a fixed
    count, ``metrics.csv`` is the same whether the run executes alone, on a
    machine with more cores, or as one of many sweep runs sharing the cores.

    Raises
    ------
    RunExistsError
        If ``final`` exists already (checked before any work).
    """
    seed = check_seed(seed)
    final = Path(final)
    if final.exists():
        raise RunExistsError(
            f"run directory {final} exists already; choose another --out or --run-id, or remove it"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_directory(final)
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        with blas_thread_limit(blas_threads):
            result = experiment.run(settings, seed)
        if result.timings is None:
            # Every run directory has a timings.csv: at least the whole run's time.
            result.timings = pd.DataFrame(
                {
                    "run_seconds": [time.perf_counter() - started],
                    "run_cpu_seconds": [time.process_time() - cpu_started],
                }
            )
        config = {
            "experiment": experiment.name,
            "preset": preset,
            "seed": seed,
            "settings": dataclasses.asdict(settings),
            "versions": _versions(),
            **(config_extra or {}),
        }
        (staging / "config.json").write_text(json.dumps(config, indent=2, default=str) + "\n")
        save_result(staging, result)
        (staging / "summary.md").write_text(experiment.summary(result, settings).rstrip() + "\n")
        # The figures come from the files just written, as replot draws them.
        draw(experiment, load_result(staging), settings, staging)
        if seal is not None:
            seal(staging)
        # rename(2) would silently replace an empty directory created meanwhile.
        if final.exists():
            raise RunExistsError(f"run directory {final} appeared while the run was computed")
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def replot(name: str, run_dir: str | Path) -> list[Path]:
    """Redraw the figures of a saved run from its CSV files, without recomputing."""
    experiment = get_experiment(name)
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"no config.json in {run_dir}: not a run directory")
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{config_path} is not valid JSON ({error})") from None
    if config.get("experiment") != name:
        raise ValueError(f"{run_dir} holds a run of {config.get('experiment')!r}, not {name!r}")
    settings = experiment.settings_from_dict(config["settings"])
    return draw(experiment, load_result(run_dir), settings, run_dir)
