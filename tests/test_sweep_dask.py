"""Sweeps on Dask workers: the same bytes as a run alone on 1 and 2 workers, one BLAS
thread per worker, a crashing run recorded while the others finish, and a sweep killed
with SIGKILL mid-way that the next invocation completes without losing, duplicating or
recomputing a finished run.

One local cluster (2 worker processes) is shared by the module; starting one costs
a few seconds.
"""

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

from core.random import child_seeds
from experiments import EXPERIMENTS, Result, register_experiment
from experiments.aggregate import aggregate
from experiments.cli import main
from experiments.runner import run_experiment
from experiments.store import DONE_NAME, MANIFEST_NAME, verify_run
from experiments.sweep import local_client, plan_sweep, run_sweep

NAME = "_sweep_mlp_probe"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class MLPProbeSettings:
    hidden: int = 16
    epochs: int = 15
    n_inner_seeds: int = 2
    crash_hidden: int = -1  # a run with this many hidden units raises
    sleep_seconds: float = 0.0  # makes runs last long enough to be killed mid-way
    log_path: str = ""  # each run appends "hidden seed" here when it starts
    # Every run but the first to start (first line of log_path) waits until this
    # file exists: a test holds the sweep at exactly one finished run, whatever
    # the machine's load.
    gate_path: str = ""

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls(epochs=60)


if NAME not in EXPERIMENTS:

    @register_experiment(
        NAME,
        "MLP on iris, for the Dask sweep tests",
        MLPProbeSettings,
        lambda result, settings: {},
        lambda result, settings: "probe",
    )
    def _run(settings, seed):
        from threadpoolctl import threadpool_info

        from ann import MLPClassifier
        from tasks import load_task

        if settings.log_path:
            with open(settings.log_path, "a") as log:
                log.write(f"{settings.hidden} {seed}\n")
        started = Path(settings.log_path).read_text().splitlines() if settings.log_path else []
        if settings.gate_path and started.index(f"{settings.hidden} {seed}") > 0:
            while not Path(settings.gate_path).exists():
                time.sleep(0.01)
        if settings.hidden == settings.crash_hidden:
            raise RuntimeError(f"probe crash with hidden={settings.hidden}")
        time.sleep(settings.sleep_seconds)
        rows = []
        for inner in child_seeds(seed, settings.n_inner_seeds):
            task = load_task("iris", seed=inner)
            clf = MLPClassifier(
                hidden_layer_sizes=(settings.hidden,),
                epochs=settings.epochs,
                batch_size=16,
                random_state=inner,
            )
            clf.fit(task.X_train, task.y_train)
            rows += [
                {
                    "seed": inner,
                    "epoch": h["epoch"],
                    "loss": h["loss"],
                    "test_accuracy": clf.score(task.X_test, task.y_test),
                }
                for h in clf.history_
            ]
        blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        # Environment facts go to timings.csv: metrics.csv holds only what the seed decides.
        return Result(
            metrics=pd.DataFrame(rows), timings=pd.DataFrame({"blas_threads": blas or [-1]})
        )


@pytest.fixture(scope="module")
def client():
    with local_client(2) as shared:
        yield shared


def _plan(seeds="0-1", hidden=(8, 16), **settings):
    grid = {"hidden": list(hidden)}
    grid.update({key: [value] for key, value in settings.items()})
    return plan_sweep(NAME, quick=True, seeds=seeds, grid=grid)


def test_metrics_are_the_same_bytes_alone_and_on_one_and_two_workers(tmp_path, client):
    plan = _plan()
    two = run_sweep(plan, tmp_path / "two", client=client)
    assert (two.computed, two.failed) == (4, [])
    assert (
        main(
            [
                "sweep",
                NAME,
                "--quick",
                "--seeds",
                "0-1",
                "--set",
                "hidden=8,16",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "one"),
            ]
        )
        == 0
    )
    contents = set()
    for run in plan.runs:
        alone = run_experiment(
            NAME, seed=run.seed, settings=run.settings, out=tmp_path / "alone", run_id=run.run_id
        )
        expected = (alone / "metrics.csv").read_bytes()
        for sweep in ("one", "two"):
            run_dir = tmp_path / sweep / "runs" / run.run_id
            assert (run_dir / "metrics.csv").read_bytes() == expected, (sweep, run.run_id)
            # Each worker ran with one BLAS thread, whatever this process uses.
            assert set(pd.read_csv(run_dir / "timings.csv")["blas_threads"]) == {1}
        # And so did the run alone (experiments.runner.run_into pins BLAS to one thread).
        assert set(pd.read_csv(alone / "timings.csv")["blas_threads"]) == {1}
        contents.add(expected)
    assert len(contents) == len(plan.runs)  # seeds and settings do change the results


def test_a_crash_on_a_worker_is_recorded_and_the_other_runs_finish(tmp_path, client):
    plan = _plan(seeds="0-2", crash_hidden=16)
    report = run_sweep(plan, tmp_path / "s", client=client)
    assert report.computed == 3 and len(report.failed) == 3
    entries = json.loads((tmp_path / "s" / MANIFEST_NAME).read_text())["runs"]
    for entry in entries:
        if entry["setting"]["hidden"] == 16:
            assert entry["status"] == "failed"
            assert "RuntimeError: probe crash with hidden=16" in entry["traceback"]
        else:
            assert entry["status"] == "done" and entry["traceback"] is None
            verify_run(tmp_path / "s" / entry["run_dir"], entry["run_id"])


def test_a_sweep_killed_mid_way_is_completed_without_loss_duplication_or_recomputation(
    tmp_path, client
):
    out, log, gate = tmp_path / "s", tmp_path / "started.log", tmp_path / "gate"
    seeds, hidden = "0-3", (8, 16)
    command = [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "import test_sweep_dask; from experiments.cli import main; sys.exit(main(sys.argv[1:]))",
        "sweep",
        NAME,
        "--quick",
        "--seeds",
        seeds,
        "--set",
        "hidden=8,16",
        "--set",
        f"log_path={log}",
        "--set",
        f"gate_path={gate}",
        "--workers",
        "1",
        "--out",
        str(out),
    ]

    def finished_runs():
        # A run is finished once its directory is renamed into place; glob's "*"
        # also matches the hidden ".partial" directory a run is written in.
        return [p for p in out.glob(f"runs/*/{DONE_NAME}") if not p.parent.name.startswith(".")]

    sweep = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 900  # a guard against a hang only: the gate decides
    try:
        # Every run but the first to start waits at the gate: exactly one can finish.
        while not finished_runs():
            assert sweep.poll() is None, sweep.communicate()
            assert time.monotonic() < deadline, "the first run never finished"
            time.sleep(0.02)
    finally:
        sweep.kill()  # SIGKILL: no cleanup of any kind runs in the sweep process
        sweep.communicate()
    finished = {
        p.parent.name: (p.parent.stat().st_ino, p.stat().st_mtime_ns) for p in finished_runs()
    }
    plan = _plan(seeds=seeds, hidden=hidden, log_path=str(log), gate_path=str(gate))
    assert len(finished) == 1 and len(plan.runs) == 8
    gate.touch()  # the completing sweep runs freely

    report = run_sweep(plan, out, client=client)

    assert report.failed == [] and report.finished_before >= len(finished)
    entries = json.loads((out / MANIFEST_NAME).read_text())["runs"]
    assert sorted(e["run_id"] for e in entries) == sorted(r.run_id for r in plan.runs)
    assert all(e["status"] == "done" for e in entries)
    visible = sorted(p.name for p in (out / "runs").iterdir() if not p.name.startswith("."))
    assert visible == sorted(r.run_id for r in plan.runs)
    for run in plan.runs:
        verify_run(out / "runs" / run.run_id, run.run_id)
    # The runs finished before the kill are untouched and were started exactly once.
    for run_id, (inode, mtime) in finished.items():
        marker = out / "runs" / run_id / DONE_NAME
        assert (marker.parent.stat().st_ino, marker.stat().st_mtime_ns) == (inode, mtime)
    starts = log.read_text().splitlines()
    for run in plan.runs:
        count = starts.count(f"{run.settings.hidden} {run.seed}")
        assert count == 1 if run.run_id in finished else count >= 1
    # And the results are those of an uninterrupted sweep.
    for run in plan.runs[:2]:
        alone = run_experiment(
            NAME, seed=run.seed, settings=run.settings, out=tmp_path / "alone", run_id=run.run_id
        )
        assert (alone / "metrics.csv").read_bytes() == (
            out / "runs" / run.run_id / "metrics.csv"
        ).read_bytes()


def test_cli_sweep_on_a_running_scheduler(tmp_path, client, capsys):
    out = tmp_path / "s"
    argv = [
        "sweep",
        NAME,
        "--quick",
        "--seeds",
        "0",
        "--set",
        "hidden=4",
        "--scheduler",
        client.scheduler.address,
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert f"on Dask scheduler {client.scheduler.address}" in capsys.readouterr().out
    assert json.loads((out / MANIFEST_NAME).read_text())["runs"][0]["status"] == "done"


def test_cli_sweep_with_an_unreachable_scheduler_gives_one_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    import experiments.dask_engine

    monkeypatch.setattr(experiments.dask_engine, "CONNECT_TIMEOUT", "0.5s")
    out = tmp_path / "never"
    assert (
        main(
            [
                "sweep",
                NAME,
                "--quick",
                "--seeds",
                "0",
                "--scheduler",
                "tcp://127.0.0.1:1",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "cannot connect to the Dask scheduler" in err and len(err.splitlines()) == 1
    assert not out.exists()


# Real experiments, made small: the MLP and the spiking network side by side
# (learning_curves), corrupted inputs drawn from the seed (noise_robustness), and a
# Brian2 simulation (stdp_window; Brian2 must be imported in the workers' main thread).
REAL_EXPERIMENTS = {
    "learning_curves": {
        "n_seeds": [1],
        "sizes": [(20, 40)],
        "n_test": [30],
        "mlp_max_epochs": [5],
    },
    "noise_robustness": {
        "n_seeds": [1],
        "n_train": [60],
        "n_test": [30],
        "levels": [{"gaussian_noise": (0.0, 0.3), "pixel_dropout": (0.2,)}],
    },
    "stdp_window": {"rules": [("stdp",)], "delta_t_ms": [(-20.0, 20.0)], "n_pairings": [3]},
}


OWN_AGGREGATE_FIGURES = {
    "learning_curves": {"learning_curves"},
    "noise_robustness": {"noise_robustness"},
    "stdp_window": {"stdp_windows"},
}
REAL_KEYS = {
    "learning_curves": ["learner", "n_train"],
    "noise_robustness": ["kind", "corruption", "level"],
    "stdp_window": ["rule", "delta_t_ms"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL_EXPERIMENTS))
def test_real_experiments_write_the_same_metrics_bytes_alone_and_on_two_workers(
    tmp_path, client, name
):
    plan = plan_sweep(name, quick=True, seeds="0-1", grid=REAL_EXPERIMENTS[name])
    report = run_sweep(plan, tmp_path / "sweep", client=client)
    assert report.failed == [], json.loads((tmp_path / "sweep" / MANIFEST_NAME).read_text())
    for run in plan.runs:
        alone = run_experiment(
            name, seed=run.seed, settings=run.settings, out=tmp_path / "alone", run_id=run.run_id
        )
        assert (alone / "metrics.csv").read_bytes() == (
            tmp_path / "sweep" / "runs" / run.run_id / "metrics.csv"
        ).read_bytes()
    # Aggregated, the sweep draws the experiment's own figures, grouped by its declared keys
    # (stdp_window is deterministic: without the declaration delta_t_ms would be averaged).
    result = aggregate(tmp_path / "sweep")
    assert {path.stem for path in result.figures} == OWN_AGGREGATE_FIGURES[name]
    assert set(REAL_KEYS[name]) <= set(result.keys)
