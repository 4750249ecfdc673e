"""Sweeps without Dask: configuration parsing and validation, the results store and its
manifest, crash recording, restarts, damage detection, and the CLI's error lines.

The sweeps here run in this process (``workers=0``); tests/test_sweep_dask.py runs
them on Dask workers.
"""

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import EXPERIMENTS, Result, get_experiment, register_experiment
from experiments.cli import main
from experiments.runner import run_experiment
from experiments.store import (
    DONE_NAME,
    MANIFEST_NAME,
    StoreError,
    SweepStore,
    verify_run,
    write_json_atomic,
)
from experiments.style import figure
from experiments.sweep import (
    SweepSetupError,
    parse_assignment,
    parse_grid,
    parse_seeds,
    plan_sweep,
    run_sweep,
    split_values,
)

NAME = "_sweep_probe"


@dataclass(frozen=True)
class ProbeSettings:
    n: int = 4
    scale: float = 1.0
    widths: tuple = (1, 2)
    mode: str = "plain"
    cap: int | None = None
    verbose: bool = False
    draw: bool = False  # figures cost time: most tests go without
    params: dict = field(default_factory=lambda: {"ann": {"learning_rate": 0.1, "layers": (8,)}})

    @classmethod
    def quick(cls):
        return cls(n=3)

    @classmethod
    def full(cls):
        return cls(n=6)


def _figures(result, settings):
    if not settings.draw:
        return {}
    fig, ax = figure()
    ax.plot(result.metrics["step"], result.metrics["value"])
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    return {"values": fig}


if NAME not in EXPERIMENTS:

    @register_experiment(
        NAME, "probe for the sweep tests", ProbeSettings, _figures, lambda result, settings: "probe"
    )
    def _run(settings, seed):
        if settings.mode == "crash":
            raise RuntimeError(f"probe crash for scale={settings.scale}")
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        step = np.arange(settings.n)
        return Result(
            metrics=pd.DataFrame(
                {
                    "kind": "ann",
                    "step": step,
                    "seed": seed,
                    "value": settings.scale * step + rng.normal(size=settings.n),
                }
            ),
            timings=pd.DataFrame({"seconds": [rng.random()]}),
        )


PROBE = get_experiment(NAME)


def _sweep(out, seeds="0-2", grid=None, quick=True, **kwargs):
    plan = plan_sweep(NAME, quick=quick, seeds=seeds, grid=grid or {"scale": [1.0, 2.0]})
    return plan, run_sweep(plan, out, workers=0, **kwargs)


def _manifest(out):
    return json.loads((Path(out) / MANIFEST_NAME).read_text())


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seeds",
    [
        ("0-3", [0, 1, 2, 3]),
        ("7", [7]),
        ("0,5,2", [0, 5, 2]),
        ("0-1,10-11", [0, 1, 10, 11]),
        (" 2 - 2 ".replace(" ", ""), [2]),
    ],
)
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    "text, message",
    [
        ("5-2", "empty"),
        ("-3", "non-negative"),
        ("a-b", "neither"),
        ("", "--seeds"),
        ("1,,2", "neither"),
        ("0-3,2", "twice"),
        ("1.5", "neither"),
        ("0-200000", "more than"),
    ],
)
def test_parse_seeds_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_seeds(text)


def test_split_values_respects_brackets_and_quotes():
    assert split_values('(1, 2),[3],{"a": 1, "b": 2},"x,y",none') == [
        "(1, 2)",
        "[3]",
        '{"a": 1, "b": 2}',
        '"x,y"',
        "none",
    ]


@pytest.mark.parametrize(
    "text, key, values",
    [
        ("n=1,2,30", "n", [1, 2, 30]),
        ("scale=1,0.5,1e-3", "scale", [1.0, 0.5, 0.001]),
        ("verbose=true,False", "verbose", [True, False]),
        ("mode=plain,'a,b'", "mode", ["plain", "a,b"]),
        ("cap=none,5", "cap", [None, 5]),
        ("widths=(3,),[4, 5],(6, (7, 8))", "widths", [(3,), (4, 5), (6, (7, 8))]),
        ('params={"ann": {"layers": [4]}},{}', "params", [{"ann": {"layers": (4,)}}, {}]),
        ("params.ann.learning_rate=0.01,1", "params.ann.learning_rate", [0.01, 1.0]),
        ("params.ann.layers=(16,),(32, 32)", "params.ann.layers", [(16,), (32, 32)]),
        ("params.snn.epochs=2,fast", "params.snn.epochs", [2, "fast"]),  # new entry: untyped
    ],
)
def test_parse_assignment_gives_the_field_type(text, key, values):
    parsed_key, parsed = parse_assignment(text, PROBE)
    assert parsed_key == key and parsed == values
    assert [type(v) for v in parsed] == [type(v) for v in values]


@pytest.mark.parametrize(
    "text, message",
    [
        ("nope=1", "unknown setting 'nope'"),
        ("n=1.5", "n=1.5: expected an integer"),
        ("n=true", "n=true: expected an integer"),
        ("scale=abc", "scale=abc: expected a number"),
        ("scale=nan", "NaN"),
        ("verbose=maybe", "verbose=maybe: expected true or false"),
        ("cap=1.5", "cap=1.5: expected an integer or none"),
        ("widths=3", "widths=3: expected a tuple"),
        ("params=[1]", "params=[1]: expected a dict"),
        ("n=", "n: no values given"),
        ("n=1,,2", "an empty value"),
        ("n", "expected KEY=VALUE"),
        ("=3", "expected KEY=VALUE"),
        ("n.x=1", "'n' is not a dict-valued setting"),
        ("params.ann.learning_rate=fast", "expected a number"),
    ],
)
def test_parse_assignment_rejects(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_assignment(text, PROBE)


def test_parse_grid_rejects_a_key_given_twice():
    with pytest.raises(ValueError, match="given twice"):
        parse_grid(["n=1", "n=2"], PROBE)


# -- the plan --------------------------------------------------------------------------------


def test_plan_is_the_product_of_the_values_times_the_seeds_seed_major():
    plan = plan_sweep(
        NAME, quick=True, seeds="3-4", grid={"scale": [1, 2.5], "params.ann.layers": [(4,), [8, 8]]}
    )
    assert len(plan.runs) == 8 and plan.n_settings == 4
    assert [run.seed for run in plan.runs] == [3] * 4 + [4] * 4
    assert len({run.run_id for run in plan.runs}) == 8
    first = plan.runs[1]
    assert first.setting == {"scale": 1.0, "params.ann.layers": (8, 8)}
    assert first.settings.scale == 1.0 and isinstance(first.settings.scale, float)
    assert first.settings.params == {"ann": {"learning_rate": 0.1, "layers": (8, 8)}}
    assert first.settings.n == 3  # the quick preset
    assert ProbeSettings.quick().params["ann"]["layers"] == (8,)  # the preset is untouched
    # The same configuration plans the same run ids (restarts depend on it).
    again = plan_sweep(
        NAME,
        quick=True,
        seeds=[3, 4],
        grid={"scale": [1.0, 2.5], "params.ann.layers": [(4,), (8, 8)]},
    )
    assert [r.run_id for r in again.runs] == [r.run_id for r in plan.runs]


@pytest.mark.parametrize(
    "grid, seeds, message",
    [
        ({"scale": [1, 1.0]}, "0", "given twice"),
        ({"scale": []}, "0", "no values"),
        ({"scale": "1,2"}, "0", "expected a list"),
        ({"n": ["3"]}, "0", "expected an integer"),
        ({"params": [{}], "params.ann.layers": [(3,)]}, "0", "overlap"),
        ({}, [], "no seeds"),
        ({}, [-1], r"seed must be an integer in \[0, "),
        ({}, [1, 1], "repeats"),
    ],
)
def test_plan_rejects(grid, seeds, message):
    with pytest.raises(ValueError, match=message):
        plan_sweep(NAME, quick=True, seeds=seeds, grid=grid)


# -- sweeping in this process -------------------------------------------------------------------


def test_sweep_writes_one_verified_directory_per_run_and_a_manifest(tmp_path):
    plan, report = _sweep(tmp_path / "sweep", grid={"scale": [1.0, 2.0], "draw": [True]})
    assert (report.planned, report.computed, report.finished_before, report.failed) == (6, 6, 0, [])
    manifest = _manifest(tmp_path / "sweep")
    assert manifest["experiment"] == NAME and manifest["swept"] == ["scale", "draw"]
    assert [e["run_id"] for e in manifest["runs"]] == [r.run_id for r in plan.runs]
    for entry, run in zip(manifest["runs"], plan.runs):
        assert entry["status"] == "done" and entry["traceback"] is None
        run_dir = tmp_path / "sweep" / entry["run_dir"]
        assert verify_run(run_dir, run.run_id)["seed"] == run.seed
        config = json.loads((run_dir / "config.json").read_text())
        assert config["settings"]["scale"] == run.settings.scale and config["seed"] == run.seed
        assert (run_dir / "figures" / "values.png").is_file()
    assert not [p for p in (tmp_path / "sweep" / "runs").iterdir() if p.name.startswith(".")]


def test_sweep_run_writes_the_same_metrics_bytes_as_the_run_alone(tmp_path):
    plan, _ = _sweep(tmp_path / "sweep", seeds="5", grid={"scale": [2.0]})
    run = plan.runs[0]
    alone = run_experiment(NAME, seed=5, out=tmp_path / "alone", settings=run.settings)
    swept = tmp_path / "sweep" / "runs" / run.run_id
    assert (alone / "metrics.csv").read_bytes() == (swept / "metrics.csv").read_bytes()


def test_a_crashing_run_is_recorded_and_the_others_finish(tmp_path):
    _, report = _sweep(tmp_path / "s", grid={"mode": ["plain", "crash"]})
    assert report.computed == 3 and len(report.failed) == 3
    entries = _manifest(tmp_path / "s")["runs"]
    failed = [e for e in entries if e["status"] == "failed"]
    assert {e["setting"]["mode"] for e in failed} == {"crash"}
    assert all("RuntimeError: probe crash" in e["traceback"] for e in failed)
    assert all(not (tmp_path / "s" / e["run_dir"]).exists() for e in failed)
    # Running the same sweep again retries the failed runs only.
    _, again = _sweep(tmp_path / "s", grid={"mode": ["plain", "crash"]})
    assert (again.finished_before, again.computed, len(again.failed)) == (3, 0, 3)


def test_rerun_skips_finished_runs_and_extends_seeds_and_values(tmp_path):
    out = tmp_path / "s"
    _sweep(out, seeds="0-1")
    marker_times = {p.parent.name: p.stat().st_mtime_ns for p in out.glob(f"runs/*/{DONE_NAME}")}
    _, report = _sweep(out, seeds="0-2", grid={"scale": [1.0, 2.0, 3.0]})
    assert (report.planned, report.finished_before, report.computed) == (9, 4, 5)
    for run_id, mtime in marker_times.items():
        assert (out / "runs" / run_id / DONE_NAME).stat().st_mtime_ns == mtime
    assert len(_manifest(out)["runs"]) == 9


def test_a_run_finished_but_not_recorded_is_found_on_disk_and_not_recomputed(tmp_path):
    # A kill between a run's rename into place and the next manifest write.
    out = tmp_path / "s"
    _sweep(out)
    store = SweepStore(out)
    manifest = store.load_manifest()
    for entry in manifest.runs.values():
        entry.status = "pending"
    store.save_manifest(manifest)
    (out / "runs" / ".scale=1.0-0000000000-seed0.abcd.partial").mkdir()  # a half-written run
    _, report = _sweep(out)
    assert (report.finished_before, report.computed) == (6, 0)
    assert all(e["status"] == "done" for e in _manifest(out)["runs"])
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]


def test_a_removed_run_directory_is_computed_again(tmp_path):
    out = tmp_path / "s"
    plan, _ = _sweep(out)
    victim = out / "runs" / plan.runs[2].run_id
    metrics = (victim / "metrics.csv").read_bytes()
    shutil.rmtree(victim)
    _, report = _sweep(out)
    assert (report.finished_before, report.computed) == (5, 1)
    assert (victim / "metrics.csv").read_bytes() == metrics


def test_a_deleted_manifest_is_rebuilt_from_the_run_directories(tmp_path):
    out = tmp_path / "s"
    _sweep(out)
    (out / MANIFEST_NAME).unlink()
    _, report = _sweep(out)
    assert (report.finished_before, report.computed) == (6, 0)


# -- damage is reported, never silently used ----------------------------------------------------


def _damage_manifest_truncate(out):
    path = out / MANIFEST_NAME
    path.write_text(path.read_text()[:200])


def _damage_manifest_edit(out):
    path = out / MANIFEST_NAME
    path.write_text(path.read_text().replace('"status": "done"', '"status": "failed"', 1))


def _damage_manifest_garbage(out):
    (out / MANIFEST_NAME).write_bytes(b"\x00\xff" * 10)


def _first_run(out):
    return sorted((out / "runs").iterdir())[0]


def _damage_metrics(out):
    path = _first_run(out) / "metrics.csv"
    path.write_text(path.read_text().replace("ann", "snn", 1))


def _damage_metrics_truncate(out):
    path = _first_run(out) / "metrics.csv"
    path.write_bytes(path.read_bytes()[:-5])


def _damage_marker_truncate(out):
    path = _first_run(out) / DONE_NAME
    path.write_text(path.read_text()[:-40])


def _damage_marker_edit(out):
    path = _first_run(out) / DONE_NAME
    data = json.loads(path.read_text())
    data["seed"] = 99
    path.write_text(json.dumps(data))


def _damage_marker_missing(out):
    (_first_run(out) / DONE_NAME).unlink()


@pytest.mark.parametrize(
    "damage, message",
    [
        (_damage_manifest_truncate, "manifest.json is corrupt"),
        (_damage_manifest_edit, "manifest.json fails its checksum"),
        (_damage_manifest_garbage, "manifest.json is corrupt"),
        (_damage_metrics, "metrics.csv does not match its checksum"),
        (_damage_metrics_truncate, "metrics.csv does not match its checksum"),
        (_damage_marker_truncate, "done.json is corrupt"),
        (_damage_marker_edit, "done.json fails its checksum"),
        (_damage_marker_missing, "has no done.json"),
    ],
)
def test_damage_gives_a_clear_error_on_rerun_and_on_aggregate(tmp_path, damage, message, capsys):
    out = tmp_path / "s"
    _sweep(out)
    damage(out)
    before = sorted(p.name for p in (out / "runs").iterdir())
    with pytest.raises(StoreError, match=message):
        _sweep(out)
    assert sorted(p.name for p in (out / "runs").iterdir()) == before  # nothing recomputed
    assert main(["aggregate", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "remove" in err


def test_a_second_sweep_on_the_same_directory_is_refused(tmp_path):
    out = tmp_path / "s"
    with SweepStore(out).locked():
        with pytest.raises(StoreError, match="another sweep is writing"):
            _sweep(out)
    _sweep(out)  # the lock is released


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(quick=False), "quick preset"),
        (dict(grid={"n": [1, 2]}), "swept keys"),
    ],
)
def test_a_different_sweep_in_the_same_directory_is_refused(tmp_path, change, message):
    out = tmp_path / "s"
    _sweep(out, seeds="0")
    with pytest.raises(StoreError, match=message):
        _sweep(out, **{"seeds": "0", **change})


def test_a_directory_that_is_not_a_sweep_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a sweep directory"):
        _sweep(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_write_json_atomic_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "a.json"
    write_json_atomic(path, {"x": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"x": object()})
    assert json.loads(path.read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


# -- the command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--seeds", "5-2"], "--seeds: the range '5-2' is empty"),
        (["--seeds", "-3"], "--seeds: seeds are non-negative integers, got '-3'"),
        (["--seeds", "x"], "--seeds: 'x'"),
        (["--seeds", "0", "--set", "nope=1"], "unknown setting 'nope'"),
        (["--seeds", "0", "--set", "n=abc"], "--set n=abc: expected an integer"),
        (["--seeds", "0", "--set", "n="], "--set n: no values given"),
        (["--seeds", "0", "--set", "n=1", "--set", "n=2"], "--set n is given twice"),
        (["--seeds", "0", "--workers", "-1"], "--workers must be a non-negative integer"),
        (["--seeds", "0", "--workers", "2", "--scheduler", "tcp://x:1"], "not allowed with"),
        (
            ["--seeds", "0", "--workers", "two"],
            "--workers must be a non-negative integer, got 'two'",
        ),
    ],
)
def test_cli_sweep_bad_input_gives_one_line_exit_2_and_writes_nothing(
    tmp_path, argv, message, capsys
):
    out = tmp_path / "never"
    assert main(["sweep", NAME, "--quick", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_cli_sweep_unknown_experiment_and_missing_out(tmp_path, capsys):
    assert main(["sweep", "no_such", "--seeds", "0", "--out", str(tmp_path / "x")]) == 2
    assert "unknown experiment 'no_such'" in capsys.readouterr().err
    assert main(["sweep", NAME, "--seeds", "0"]) == 2
    assert "--out" in capsys.readouterr().err


def test_cli_sweep_without_dask_says_what_to_install(tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    out = tmp_path / "s"
    assert (
        main(["sweep", NAME, "--quick", "--seeds", "0", "--workers", "2", "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert "pip install 'brain-vs-ann[distributed]'" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    with pytest.raises(SweepSetupError, match="distributed"):
        run_sweep(plan_sweep(NAME, quick=True, seeds="0"), out, scheduler="tcp://127.0.0.1:1")
    # In this process, without Dask, the sweep still works.
    assert (
        main(["sweep", NAME, "--quick", "--seeds", "0", "--workers", "0", "--out", str(out)]) == 0
    )


def test_cli_sweep_and_aggregate_end_to_end(tmp_path, capsys):
    out = tmp_path / "s"
    argv = [
        "sweep",
        NAME,
        "--quick",
        "--seeds",
        "0-2",
        "--set",
        "scale=1,3",
        "--set",
        "mode=plain,crash",
        "--workers",
        "0",
        "--out",
        str(out),
    ]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "6 computed, 0 finished before, 6 failed" in captured.out
    assert "6 of 12 runs failed" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert main(["aggregate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "6 runs (6 not finished)" in printed
    summary = pd.read_csv(out / "aggregate" / "summary.csv")
    assert list(summary.columns) == [
        "scale",
        "mode",
        "kind",
        "step",
        "metric",
        "n",
        "mean",
        "std",
        "sem",
        "ci_low",
        "ci_high",
    ]
    assert set(summary["mode"]) == {"plain"} and set(summary["metric"]) == {"value"}
    assert (summary["n"] == 3).all() and len(summary) == 2 * 3
    assert (out / "aggregate" / "figures" / "value.png").stat().st_size > 1000
