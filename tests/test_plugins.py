"""Plugins reach the command line: an installed distribution's entry point, and a local
module file given with --plugin, through list, run, sweep (Dask workers too) and a
society experiment; a broken plugin or an unregistered name is one line, exit 2."""

import contextlib
import json
import sys
import textwrap

import pandas as pd
import pytest

import experiments
from experiments import EXPERIMENTS, plugins
from experiments.cli import main

# A plugin in the shape docs/extending.md gives: a protocol, an ann rule, a task and an
# experiment, each with the project's own decorator.
PLUGIN_SOURCE = textwrap.dedent(
    '''
    import numpy as np
    import pandas as pd

    from ann import register_rule
    from ann.rules import Backprop
    from experiments import Result, register_experiment
    from experiments.style import figure
    from social import Protocol, register_protocol
    from tasks import register_task, load_task


    @register_protocol("{prefix}_listen")
    class Listen(Protocol):
        """Each agent learns from its first in-neighbour's predictions."""

        def __init__(self, demonstrations=4):
            self.demonstrations = demonstrations

        def interact(self, society, rng):
            shown = society.sample_own_inputs(self.demonstrations, rng)
            labels = society.predict(shown)
            teacher = [t[0] if len(t) else -1 for t in society.in_neighbours_]
            Xs = [shown[t] if t >= 0 else shown[0][:0] for t in teacher]
            ys = [labels[t] if t >= 0 else labels[0][:0] for t in teacher]
            society.partial_fit(Xs, ys)
            sent = np.bincount([t for t in teacher if t >= 0], minlength=society.n_agents_)
            return {{"messages": sent * self.demonstrations}}


    @register_rule("{prefix}_backprop")
    class SameAsBackprop(Backprop):
        pass


    @register_task("{prefix}_xor")
    def xor_task(seed=0):
        return load_task("xor", seed=seed)


    def _figures(result, settings):
        fig, ax = figure()
        ax.plot(result.metrics["x"], result.metrics["y"])
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        return {{"line": fig}}


    from dataclasses import dataclass


    @dataclass(frozen=True)
    class Settings:
        n: int = 3
        protocol: str = "{prefix}_listen"

        @classmethod
        def quick(cls):
            return cls()

        @classmethod
        def full(cls):
            return cls(n=6)


    @register_experiment(
        "{prefix}_experiment", "a plugin's experiment", Settings, _figures, lambda r, s: "# plugin"
    )
    def run(settings, seed):
        from social.protocols import PROTOCOLS

        # Runs wherever the run runs (a Dask worker in a sweep): the plugin's names
        # must be registered there.
        assert settings.protocol in PROTOCOLS, sorted(PROTOCOLS)
        x = np.arange(settings.n)
        y = np.random.default_rng(seed).normal(size=settings.n)
        return Result(metrics=pd.DataFrame({{"x": x, "y": y}}))
    '''
)


def _registries():
    import ann
    import social
    import tasks

    return [ann.RULES, social.PROTOCOLS, tasks.TASKS, EXPERIMENTS]


@pytest.fixture
def clean_plugins(monkeypatch):
    """Leave the registries, sys.modules and the plugin record as they were."""
    modules = set(sys.modules)
    monkeypatch.setattr(plugins, "LOADED", [])
    monkeypatch.setattr(plugins, "_ENTRY_POINTS_LOADED", False)
    monkeypatch.setattr(experiments.cli, "EXPERIMENTS", EXPERIMENTS)
    with contextlib.ExitStack() as stack:
        for registry in _registries():
            stack.enter_context(registry.restored())
        yield
    for name in set(sys.modules) - modules:
        if name.startswith(("probe_", "broken_")):
            del sys.modules[name]


def install_distribution(root, module, entry_points_txt, source=None):
    """A distribution 'installed' by hand: a module and a dist-info with entry_points.txt,
    found by importlib.metadata on sys.path exactly as pip would leave it."""
    root.mkdir(parents=True, exist_ok=True)
    if source is not None:
        (root / f"{module}.py").write_text(source)
    info = root / f"{module.replace('_', '-')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points_txt)
    return root


def test_an_installed_plugin_reaches_list_and_run(tmp_path, monkeypatch, capsys, clean_plugins):
    site = install_distribution(
        tmp_path / "site",
        "probe_installed",
        f"[{plugins.ENTRY_POINT_GROUP}]\nprobe = probe_installed\n",
        PLUGIN_SOURCE.format(prefix="probe_installed"),
    )
    monkeypatch.syspath_prepend(str(site))
    assert main(["list"]) == 0
    assert "probe_installed_experiment" in capsys.readouterr().out
    import ann
    import social
    import tasks

    assert "probe_installed_backprop" in ann.RULES
    assert "probe_installed_listen" in social.PROTOCOLS
    assert "probe_installed_xor" in tasks.TASKS
    out = tmp_path / "results"
    assert main(["run", "probe_installed_experiment", "--quick", "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "probe_installed_experiment/quick-seed0/metrics.csv")) == 3


def test_an_entry_point_may_name_a_registering_function(
    tmp_path, monkeypatch, capsys, clean_plugins
):
    source = PLUGIN_SOURCE.format(prefix="probe_function").replace(
        "@register_protocol", "def register():\n    pass\n\n\n@register_protocol", 1
    )
    site = install_distribution(
        tmp_path / "site",
        "probe_function",
        f"[{plugins.ENTRY_POINT_GROUP}]\nprobe = probe_function:register\n",
        source,
    )
    monkeypatch.syspath_prepend(str(site))
    assert main(["list"]) == 0
    assert "probe_function_experiment" in capsys.readouterr().out


def test_a_broken_installed_plugin_is_one_line_naming_it(
    tmp_path, monkeypatch, capsys, clean_plugins
):
    site = install_distribution(
        tmp_path / "site",
        "broken_installed",
        f"[{plugins.ENTRY_POINT_GROUP}]\nbroken = broken_installed\n",
        "raise RuntimeError('the plugin is broken')\n",
    )
    monkeypatch.syspath_prepend(str(site))
    assert main(["list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "plugin 'broken'" in err and "broken_installed" in err
    assert "RuntimeError: the plugin is broken" in err


def test_a_local_plugin_file_reaches_run(tmp_path, capsys, clean_plugins):
    plugin = tmp_path / "probe_local.py"
    plugin.write_text(PLUGIN_SOURCE.format(prefix="probe_local"))
    argv = ["run", "probe_local_experiment", "--quick", "--plugin", str(plugin)]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r/probe_local_experiment/quick-seed0/metrics.csv").is_file()


@pytest.mark.parametrize(
    "plugin, message",
    [
        ("no_such_plugin_module", "--plugin no_such_plugin_module: no module named"),
        ("{tmp}/missing.py", "no such file"),
        ("{tmp}/broken_file.py", "failed to import: ZeroDivisionError: division by zero"),
        ("{tmp}/broken_import.py", "failed to import: ModuleNotFoundError"),
        ("not a module", "is neither a .py file nor a module name"),
    ],
)
def test_a_bad_plugin_is_one_line_before_any_work(tmp_path, capsys, clean_plugins, plugin, message):
    (tmp_path / "broken_file.py").write_text("x = 1 / 0\n")
    (tmp_path / "broken_import.py").write_text("import no_such_dependency_of_a_plugin\n")
    out = tmp_path / "r"
    argv = ["run", "stdp_window", "--quick", "--out", str(out)]
    assert main([*argv, "--plugin", plugin.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not out.exists()


def test_an_unregistered_protocol_in_a_society_experiment_is_one_line(tmp_path, capsys):
    argv = ["run", "social_topology", "--quick", "--set", 'protocols=["telepathy"]']
    assert main([*argv, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "setting protocols: unknown protocol 'telepathy'" in err and "teach" in err
    assert not (tmp_path / "r").exists()
    sweep = ["sweep", "social_topology", "--quick", "--seeds", "0", *argv[3:]]
    assert main([*sweep, "--out", str(tmp_path / "s")]) == 2
    assert not (tmp_path / "s").exists()
    assert "unknown protocol 'telepathy'" in capsys.readouterr().err


def test_a_plugin_protocol_runs_in_a_society_experiment(tmp_path, clean_plugins):
    plugin = tmp_path / "probe_society.py"
    plugin.write_text(PLUGIN_SOURCE.format(prefix="probe_society"))
    tiny = [
        'protocols=["probe_society_listen"]',
        'agent_types=["ann"]',
        'topologies=["ring"]',
        "rounds=1",
        "n_agents=4",
        "theory_sizes=[6]",
        "theory_graphs=1",
    ]
    argv = ["run", "social_topology", "--quick", "--plugin", str(plugin), "--run-id", "tiny"]
    for assignment in tiny:
        argv += ["--set", assignment]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 0
    metrics = pd.read_csv(tmp_path / "r/social_topology/tiny/metrics.csv")
    assert set(metrics["protocol"]) == {"probe_society_listen", "reference"}  # + references
    config = json.loads((tmp_path / "r/social_topology/tiny/config.json").read_text())
    assert config["settings"]["protocols"] == ["probe_society_listen"]


def test_dask_workers_load_the_plugins_of_the_sweep(tmp_path, clean_plugins):
    """The experiment comes from one plugin file, the protocol it checks from another:
    a worker that did not load both plugins fails the run."""
    pytest.importorskip("distributed")
    from experiments.sweep import local_client, plan_sweep, run_sweep

    (tmp_path / "probe_dask_protocol.py").write_text(PLUGIN_SOURCE.format(prefix="probe_dask"))
    experiment_only = (
        PLUGIN_SOURCE.format(prefix="probe_dask")
        .replace('@register_protocol("probe_dask_listen")', "")
        .replace('@register_rule("probe_dask_backprop")', "")
        .replace('@register_task("probe_dask_xor")', "")
        .replace("probe_dask_experiment", "probe_dask_only_experiment")
    )
    (tmp_path / "probe_dask_experiment.py").write_text(experiment_only)
    plugins.load_plugins([str(tmp_path / "probe_dask_protocol.py")])
    plugins.load_plugins([str(tmp_path / "probe_dask_experiment.py")])
    plan = plan_sweep("probe_dask_only_experiment", quick=True, seeds="0-1")
    with local_client(1) as client:
        report = run_sweep(plan, tmp_path / "sweep", client=client)
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    assert report.failed == [], [run["traceback"] for run in manifest["runs"]]
    assert report.computed == 2
