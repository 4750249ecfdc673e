"""The runner and CLI, exercised with a small experiment registered by the test."""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import EXPERIMENTS, Result, register_experiment
from experiments.cli import main
from experiments.runner import load_result, replot, run_experiment
from experiments.style import figure


@dataclass(frozen=True)
class _Settings:
    n: int = 5
    widths: tuple = (1, 2)

    @classmethod
    def quick(cls):
        return cls(n=3)

    @classmethod
    def full(cls):
        return cls(n=7)


def _figures(result, settings):
    fig, ax = figure()
    ax.plot(result.metrics["x"], result.metrics["y"], label="y")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    return {"line": fig}


def _summary(result, settings):
    return f"mean y = {result.metrics['y'].mean():.3f}"


NAME = "_runner_probe"
if NAME not in EXPERIMENTS:

    @register_experiment(NAME, "probe for the runner tests", _Settings, _figures, _summary)
    def _run(settings, seed):
        if settings.n == 99:
            raise RuntimeError("boom")
        rng = np.random.default_rng(seed)
        x = np.arange(settings.n)
        return Result(
            metrics=pd.DataFrame({"x": x, "y": rng.normal(size=settings.n)}),
            timings=pd.DataFrame({"seconds": [0.1]}),
            tables={"extra": pd.DataFrame({"a": [1, 2]})},
        )


@pytest.fixture(autouse=True)
def _only_probe(monkeypatch):
    # `run all` in these tests must not start the real (long) experiments.
    monkeypatch.setattr(experiments._base, "EXPERIMENTS", {NAME: EXPERIMENTS[NAME]})
    monkeypatch.setattr(experiments.cli, "EXPERIMENTS", {NAME: EXPERIMENTS[NAME]})


def test_run_writes_everything_and_refuses_to_overwrite(tmp_path):
    path = run_experiment(NAME, quick=True, seed=3, out=tmp_path)
    assert path == tmp_path / NAME / "quick-seed3"
    config = json.loads((path / "config.json").read_text())
    assert config["seed"] == 3 and config["settings"]["n"] == 3
    assert len(pd.read_csv(path / "metrics.csv")) == 3
    assert (path / "timings.csv").is_file() and (path / "extra.csv").is_file()
    assert (path / "figures" / "line.png").stat().st_size > 1000
    assert (path / "figures" / "line.svg").is_file()
    assert "mean y" in (path / "summary.md").read_text()
    with pytest.raises(FileExistsError, match="exists already"):
        run_experiment(NAME, quick=True, seed=3, out=tmp_path)


def test_same_seed_same_bytes(tmp_path):
    a = run_experiment(NAME, quick=True, seed=1, out=tmp_path / "a")
    b = run_experiment(NAME, quick=True, seed=1, out=tmp_path / "b")
    c = run_experiment(NAME, quick=True, seed=2, out=tmp_path / "c")
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()
    assert (a / "metrics.csv").read_bytes() != (c / "metrics.csv").read_bytes()


def test_failed_run_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError):
        run_experiment(NAME, seed=0, out=tmp_path, settings=_Settings(n=99))
    assert list((tmp_path / NAME).iterdir()) == []


def test_replot_redraws_from_saved_tables(tmp_path):
    path = run_experiment(NAME, quick=True, seed=0, out=tmp_path)
    drawn_by_the_run = (path / "figures" / "line.png").read_bytes()
    (path / "figures" / "line.png").unlink()
    written = replot(NAME, path)
    assert path / "figures" / "line.png" in written
    # the run drew its figures from the files it saved: replot gives the same image
    assert (path / "figures" / "line.png").read_bytes() == drawn_by_the_run
    assert load_result(path).tables["extra"]["a"].tolist() == [1, 2]


def test_cli_list_run_and_plot(tmp_path, capsys):
    assert main(["list"]) == 0
    assert NAME in capsys.readouterr().out
    assert main(["run", "all", "--quick", "--seed", "4", "--out", str(tmp_path)]) == 0
    run_dir = tmp_path / NAME / "quick-seed4"
    assert (run_dir / "metrics.csv").is_file()
    assert main(["plot", NAME, "--from", str(run_dir)]) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "no_such_experiment"], "unknown experiment 'no_such_experiment'"),
        (["run", NAME, "--seed", "-3"], "--seed"),
        (["run", NAME, "--seed", "abc"], "--seed"),
        (["plot", NAME, "--from", "/nonexistent/run"], "config.json"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_cli_mistakes_give_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_refuses_existing_run_directory_before_any_work(tmp_path, capsys):
    assert main(["run", NAME, "--quick", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["run", NAME, "--quick", "--out", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err


def test_an_experiment_registered_bare_takes_its_parts_from_its_module():
    from experiments import task_benchmark

    experiment = EXPERIMENTS["task_benchmark"]
    assert experiment.name == task_benchmark.__name__.rpartition(".")[2]
    assert experiment.description == " ".join(task_benchmark.run.__doc__.split())
    assert experiment.settings is task_benchmark.Settings
    assert experiment.figures is task_benchmark._figures
    assert experiment.summary is task_benchmark._summary
    assert experiment.aggregate_figures is task_benchmark._aggregate_figures


def test_registration_mistakes_are_named_before_anything_is_registered():
    with EXPERIMENTS.restored():
        with pytest.raises(TypeError, match="give settings, figures and summary together"):
            register_experiment("_half", "half given", _Settings)
        with pytest.raises(TypeError, match="lacks"):
            # this test module has no ``Settings``
            register_experiment("_no_settings", "no module settings")(lambda settings, seed: None)
        with pytest.raises(TypeError, match="needs a description"):
            register_experiment("_undescribed", None, _Settings, _figures, _summary)(
                lambda settings, seed: None
            )
        assert not {"_half", "_no_settings", "_undescribed"} & set(EXPERIMENTS)


def test_the_per_seed_loop_pairs_items_with_the_same_seeds_and_keeps_a_shared_seed_apart():
    from core.random import child_seeds
    from experiments import Presets

    @dataclass(frozen=True)
    class Seeded(Presets):
        n_seeds: int = 3

    settings = Seeded()
    seeds = child_seeds(7, 3)
    assert settings.run_seeds(7) == seeds == list(settings.seed_runs(7, "probe"))
    assert list(settings.seed_runs(7, "probe", each=("a", "b"))) == [
        (item, s) for item in ("a", "b") for s in seeds
    ]
    # one more child of the same master seed: never one of the runs' seeds
    assert settings.shared_seed(7) == child_seeds(7, 4)[3] not in seeds
