"""The command line as a user meets it: presets, --set, --out, the error lines, and
Brian2's bug banner kept for Brian2's own errors."""

import json
import os
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import EXPERIMENTS, Result, register_experiment
from experiments.cli import main
from experiments.style import figure

NAME = "_cli_probe"


@dataclass(frozen=True)
class _Settings:
    n: int = 7
    scale: float = 1.0
    task: str = "iris"
    params: dict = None

    @classmethod
    def quick(cls):
        return cls(n=3, params={"ann": {"epochs": 2}})

    @classmethod
    def full(cls):
        return cls(n=7, params={"ann": {"epochs": 20}})


def _figures(result, settings):
    fig, ax = figure()
    ax.plot(result.metrics["x"], result.metrics["y"], label="y")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    return {"line": fig}


if NAME not in EXPERIMENTS:

    @register_experiment(
        NAME,
        "probe for the command-line tests",
        _Settings,
        _figures,
        lambda result, settings: "# probe",
        expected_seconds={"quick": 2, "full": 5400},
    )
    def _run(settings, seed):
        x = np.arange(settings.n)
        y = settings.scale * np.random.default_rng(seed).normal(size=settings.n)
        return Result(
            metrics=pd.DataFrame({"x": x, "y": y}), timings=pd.DataFrame({"seconds": [0.0]})
        )


@pytest.fixture(autouse=True)
def _only_probe(monkeypatch):
    # `run all` here must not start the real experiments.
    monkeypatch.setattr(experiments.cli, "EXPERIMENTS", {NAME: EXPERIMENTS[NAME]})


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_no_preset_is_an_error_naming_both_presets_and_their_times(tmp_path, capsys):
    assert main(["run", NAME, "--out", str(tmp_path)]) == 2
    err = one_error_line(capsys)
    assert "choose a preset" in err and "--quick" in err and "--full" in err
    assert "about 2 s" in err and "about 1.5 h" in err
    assert not (tmp_path / NAME).exists()
    assert main(["sweep", NAME, "--seeds", "0", "--out", str(tmp_path / "s")]) == 2
    assert "choose a preset" in one_error_line(capsys)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("flags", [["--quick"], ["--preset", "quick"]])
def test_quick_and_preset_quick_are_the_same_run(tmp_path, flags):
    assert main(["run", NAME, *flags, "--out", str(tmp_path)]) == 0
    config = json.loads((tmp_path / NAME / "quick-seed0" / "config.json").read_text())
    assert config["preset"] == "quick" and config["settings"]["n"] == 3


def test_full_preset_and_the_expected_time_printed_before_the_run(tmp_path, capsys):
    assert main(["run", NAME, "--full", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "full preset" in out[0] and "expected time about 1.5 h" in out[0]
    assert len(pd.read_csv(tmp_path / NAME / "full-seed0" / "metrics.csv")) == 7


def test_list_shows_the_time_of_both_presets(capsys):
    assert main(["list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(NAME))
    assert "about 2 s" in line and "about 1.5 h" in line


def test_set_changes_one_run_and_is_recorded(tmp_path, capsys):
    argv = ["run", NAME, "--quick", "--set", "n=5", "--set", "params.ann.epochs=4"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    (run_dir,) = (tmp_path / NAME).iterdir()
    assert run_dir.name.startswith("quick-n=5,params.ann.epochs=4-") and "seed0" in run_dir.name
    config = json.loads((run_dir / "config.json").read_text())
    assert config["settings"]["n"] == 5 and config["settings"]["params"] == {"ann": {"epochs": 4}}
    assert config["overrides"] == {"n": 5, "params.ann.epochs": 4}
    assert len(pd.read_csv(run_dir / "metrics.csv")) == 5
    assert "expected time unknown with --set" in capsys.readouterr().out


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("nope=3", "unknown setting 'nope'"),
        ("n=abc", "--set n=abc: expected an integer"),
        ("n=3,4", "a run takes one value per key"),
        ("scale", "expected KEY=VALUE"),
        ("task=no_such_task", "setting task: unknown task 'no_such_task'"),
    ],
)
def test_a_bad_set_is_one_line_before_any_work(tmp_path, capsys, assignment, message):
    assert main(["run", NAME, "--quick", "--set", assignment, "--out", str(tmp_path)]) == 2
    assert message in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_set_with_several_experiments_is_refused(tmp_path, capsys, monkeypatch):
    two = {NAME: EXPERIMENTS[NAME], "_cli_probe_twin": EXPERIMENTS[NAME]}
    monkeypatch.setattr(experiments.cli, "EXPERIMENTS", two)
    assert main(["run", "all", "--quick", "--set", "n=2", "--out", str(tmp_path)]) == 2
    assert "name just one" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def _out_cases(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    cases = [
        (str(a_file), "is a file, not a directory"),
        (str(a_file / "below"), "cannot create the directory"),
    ]
    if sys.platform.startswith("linux"):
        cases.append(("/proc/self", "is not writable"))  # not writable even for root
        cases.append(("/proc/forbidden/results", "cannot create the directory"))
    return cases


def test_an_unusable_out_is_one_line_and_exit_2(tmp_path, capsys):
    for out, message in _out_cases(tmp_path):
        assert main(["run", NAME, "--quick", "--out", out]) == 2, out
        assert message in one_error_line(capsys), out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_out_is_one_line_and_exit_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    assert main(["run", NAME, "--quick", "--out", str(locked)]) == 2
    assert "is not writable" in one_error_line(capsys)


def test_run_directories_get_the_permissions_of_any_new_directory(tmp_path):
    previous = os.umask(0o022)
    try:
        assert main(["run", NAME, "--quick", "--out", str(tmp_path)]) == 0
    finally:
        os.umask(previous)
    run_dir = tmp_path / NAME / "quick-seed0"
    assert run_dir.stat().st_mode & 0o777 == 0o755
    assert (run_dir / "metrics.csv").stat().st_mode & 0o777 == 0o644


def _hook_output(capfd, caplog, error: BaseException) -> str:
    """What the installed excepthook prints (Brian2 logs its banner through logging)."""
    capfd.readouterr()
    caplog.clear()
    sys.excepthook(type(error), error, error.__traceback__)
    captured = capfd.readouterr()
    return captured.out + captured.err + caplog.text


def test_brian2_bug_banner_only_for_errors_raised_inside_brian2(capfd, caplog):
    import brian2

    import snn  # noqa: F401  (wraps the hook Brian2 installed on import)

    try:
        raise RuntimeError("my own mistake")
    except RuntimeError as error:
        own = _hook_output(capfd, caplog, error)
    assert "RuntimeError: my own mistake" in own and "report" not in own.lower()

    group = brian2.NeuronGroup(1, "dv/dt = -v / tau : 1")  # tau is not defined anywhere
    try:
        brian2.Network(group).run(1 * brian2.ms)
    except Exception as error:  # Brian2 raises while preparing the run
        inside = _hook_output(capfd, caplog, error)
    else:
        pytest.fail("Brian2 ran a model with an undefined constant")
    assert "report this issue" in inside


def test_every_run_directory_has_timings(tmp_path):
    from experiments.runner import run_into

    untimed = EXPERIMENTS[NAME]
    run = untimed.run

    def without_timings(settings, seed):
        result = run(settings, seed)
        result.timings = None
        return result

    import dataclasses

    probe = dataclasses.replace(untimed, run=without_timings)
    path = run_into(probe, _Settings.quick(), 0, tmp_path / "run", preset="quick")
    timings = pd.read_csv(path / "timings.csv")
    assert list(timings.columns) == ["run_seconds", "run_cpu_seconds"]
    assert (timings.to_numpy() >= 0).all()
