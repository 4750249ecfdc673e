"""The experiment section of docs/extending.md works as written: a new module is found and listed."""

import doctest
import importlib
import pathlib
import pkgutil
import re
import sys

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import experiments
from experiments import EXPERIMENTS
from experiments.aggregate import aggregate
from experiments.runner import run_experiment
from experiments.sweep import plan_sweep, run_sweep

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "extending.md"
HEADING = "## A new experiment (`experiments`)"


def _example() -> str:
    text = DOCS.read_text()
    assert HEADING in text, "docs/extending.md lost the experiment section"
    section = re.split(r"\n## ", text.split(HEADING, 1)[1], maxsplit=1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_a_new_module_is_discovered_listed_in_its_order_and_runs(tmp_path, monkeypatch):
    package = tmp_path / "package"
    package.mkdir()
    (package / "iris_width.py").write_text(_example())
    (package / "_helper.py").write_text("raise AssertionError('helpers are not imported')\n")
    monkeypatch.setattr(experiments, "__path__", [*experiments.__path__, str(package)])
    with EXPERIMENTS.restored():
        try:
            experiments.import_modules()
            names = list(EXPERIMENTS)
            # order=25: between learning_curves (20) and stdp_window (30).
            assert names[names.index("iris_width") - 1 : names.index("iris_width") + 2] == [
                "learning_curves",
                "iris_width",
                "stdp_window",
            ]
            path = run_experiment("iris_width", quick=True, seed=0, out=tmp_path / "runs")
            # a sweep of it draws the example's own aggregate figure
            plan = plan_sweep("iris_width", quick=True, seeds="0-1", grid={"epochs": [10]})
            run_sweep(plan, tmp_path / "sweep", workers=0)
            swept = aggregate(tmp_path / "sweep", figures=False)
            drawn = EXPERIMENTS["iris_width"].aggregate_figures(swept)
        finally:
            sys.modules.pop("experiments.iris_width", None)
    assert "iris_width" not in EXPERIMENTS
    metrics = pd.read_csv(path / "metrics.csv")
    assert sorted(metrics["width"].unique()) == [2, 8] and metrics["seed"].nunique() == 2
    assert (path / "figures" / "iris_width.png").stat().st_size > 5000
    # the summary gives each width's accuracy with its interval over the two seeds
    from experiments.stats import mean_interval

    for width, part in metrics.groupby("width"):
        interval = mean_interval(part["accuracy"], bounds=(0, 1))
        assert f"| {width} | {interval} |" in (path / "summary.md").read_text()
    (ax,) = drawn["iris_width"].axes
    assert list(ax.lines[0].get_xdata()) == [2, 8] and ax.get_xlabel() == "hidden units"
    plt.close(drawn["iris_width"])


#: Every module of the package but the command-line entry point.
MODULES = sorted(
    f"experiments.{m.name}"
    for m in pkgutil.iter_modules(experiments.__path__)
    if m.name != "__main__"
)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_docstring_examples_are_found():
    examples = {
        module: doctest.testmod(importlib.import_module(module), report=False).attempted
        for module in ("experiments.settings_text", "experiments.stats", "experiments.baselines")
    }
    assert all(examples.values()), examples
