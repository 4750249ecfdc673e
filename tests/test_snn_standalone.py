"""The compiled (Brian2 cpp_standalone) backend of the spiking network.

Fast tests check the cache's keys and trust rules and the fall-back without a
compiler (nothing is compiled). Slow tests compile two small programs and
check them against the runtime path (same input spikes: the same spike
counts, weights equal to rounding), against themselves (bit-identical
reruns, in this process and another), under two processes building the same
shape at once, and after a build killed half-way.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms

import snn
from snn import _brian, _standalone
from snn.network import DiehlCookNetwork

REPOSITORY = Path(snn.__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_standalone_state(monkeypatch):
    """Each test starts with standalone runs allowed and nothing counted."""
    monkeypatch.setattr(_standalone, "_unavailable_reason", None)
    monkeypatch.setattr(_standalone, "_steps_asked", {})


def make_case(n_agents=2, seed=0, backend="runtime", target="numpy"):
    """A small two-agent network and a curriculum of 6 windows (last two frozen)."""
    rng = np.random.default_rng(seed)
    n_inputs, n_neurons, n_windows = 16, 8, 6
    network = DiehlCookNetwork(
        n_inputs,
        n_neurons,
        snn.RULES["stdp"](nu_pre=2e-4, nu_post=2e-2),
        n_agents=n_agents,
        presentation_time=50 * ms,
        rest_time=20 * ms,
        weight_sum=0.3 * n_inputs,
        backend=backend,
        target=target,
    )
    weights = rng.uniform(0, 0.3, (n_agents, n_inputs, n_neurons))
    theta = rng.uniform(0, 1e-3, (n_agents, n_neurons))
    spikes = []
    for _ in range(n_agents):
        code = np.unique(rng.integers(0, n_windows * n_inputs * 100, 500))  # distinct events
        window, rest = np.divmod(code, n_inputs * 100)
        channel, step = np.divmod(rest, 100)
        spikes.append((window, channel, step))
    plastic = np.ones((n_windows, n_agents))
    plastic[-2:] = 0.0
    return network, (weights, theta, spikes, plastic)


# -- fast: keys, trust, fall-back ------------------------------------------------------------


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path / "builds"))
    assert _standalone.cache_root() == tmp_path / "builds"
    monkeypatch.delenv("SNN_STANDALONE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _standalone.cache_root() == tmp_path / "xdg" / "brain-vs-ann" / "standalone"


def test_build_key_tracks_what_changes_the_code_and_nothing_else():
    network, _ = make_case()
    key = _standalone.build_key(network)
    assert key == _standalone.build_key(make_case(seed=5)[0])  # other data: same program
    changed = [
        network.with_agents(3),
        DiehlCookNetwork(
            16, 9, network.rule, n_agents=2, presentation_time=50 * ms, rest_time=20 * ms
        ),
        DiehlCookNetwork(
            16,
            8,
            snn.RULES["stdp"](nu_pre=1e-4, nu_post=2e-2),
            n_agents=2,
            presentation_time=50 * ms,
            rest_time=20 * ms,
        ),
        DiehlCookNetwork(
            16, 8, network.rule, n_agents=2, presentation_time=60 * ms, rest_time=20 * ms
        ),
        DiehlCookNetwork(
            16,
            8,
            network.rule,
            n_agents=2,
            presentation_time=50 * ms,
            rest_time=20 * ms,
            dt=0.25 * ms,
        ),
        DiehlCookNetwork(
            16, 8, snn.RULES["oja"](), n_agents=2, presentation_time=50 * ms, rest_time=20 * ms
        ),
    ]
    keys = {_standalone.build_key(other) for other in changed}
    assert key not in keys and len(keys) == len(changed)
    # weight_sum and the inhibition are per-run values, not code
    same = DiehlCookNetwork(
        16,
        8,
        network.rule,
        n_agents=2,
        presentation_time=50 * ms,
        rest_time=20 * ms,
        weight_sum=1.0,
        inhibition=3.0,
    )
    assert _standalone.build_key(same) == key


def test_only_a_directory_with_program_and_manifest_is_trusted(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    network, _ = make_case()
    entry = tmp_path / _standalone.build_key(network)
    entry.mkdir()
    assert not _standalone.is_built(network)  # e.g. a build that died before its manifest
    (entry / "manifest.json").write_text("{not json")
    assert not _standalone.is_built(network)
    (entry / "manifest.json").write_text(json.dumps({"format": _standalone.BUILD_FORMAT}))
    assert not _standalone.is_built(network)  # no program
    (entry / "main").write_text("")
    assert _standalone.is_built(network)


def test_auto_on_the_numpy_target_never_compiles(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")
    monkeypatch.setattr(_standalone, "AUTO_BUILD_STEPS", 1)
    network, inputs = make_case(backend="auto")
    assert network.simulate(*inputs).backend == "runtime"
    assert list(tmp_path.iterdir()) == []


def test_auto_compiles_a_shape_once_the_work_asked_of_it_adds_up(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    monkeypatch.setattr(_brian, "_chosen_target", "cython")
    monkeypatch.setattr(_standalone, "_compiler_problem", lambda: None)
    network, _ = make_case(backend="auto")
    built = []
    monkeypatch.setattr(_standalone, "ensure_built", lambda net: built.append(net))
    monkeypatch.setattr(_standalone, "AUTO_BUILD_STEPS", 3 * 6 * network.window_steps)
    choices = [_standalone.choose_backend(network, 6) for _ in range(4)]
    assert choices == ["runtime", "runtime", "standalone", "standalone"]
    assert len(built) == 2


def test_missing_compiler_falls_back_to_runtime_with_one_warning(monkeypatch, tmp_path):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    network, inputs = make_case(backend="standalone")
    reference, _ = make_case(backend="runtime")
    with pytest.warns(RuntimeWarning, match="no-such-compiler") as caught:
        first = network.simulate(*inputs)
        second = network.simulate(*inputs)
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
    expected = reference.simulate(*inputs)
    for result in (first, second):
        assert result.backend == "runtime"
        np.testing.assert_array_equal(result.counts, expected.counts)
        np.testing.assert_array_equal(result.weights, expected.weights)
    assert not any(tmp_path.iterdir())


def test_estimators_refuse_an_unknown_backend():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="backend=.gpu."):
        snn.STDPClassifier(backend="gpu").fit(X, y)


# -- slow: compiled programs -------------------------------------------------------------------

SUBPROCESS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    sys.path.insert(0, {repository!r})
    from tests.test_snn_standalone import make_case
    from snn import _standalone
    network, inputs = make_case(n_agents={n_agents}, backend="standalone")
    built_before = _standalone.is_built(network)
    result = network.simulate(*inputs)
    np.savez({output!r}, counts=result.counts, weights=result.weights, theta=result.theta)
    print(json.dumps({{"backend": result.backend, "built_before": built_before}}))
    """
)


def start_subprocess(tmp_path, name, n_agents, cache):
    output = tmp_path / f"{name}.npz"
    script = SUBPROCESS_SCRIPT.format(
        repository=str(REPOSITORY), n_agents=n_agents, output=str(output)
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=str(REPOSITORY),
        env={**os.environ, "SNN_STANDALONE_CACHE": str(cache), "PYTHONPATH": str(REPOSITORY)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return process, output


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("standalone-cache")


@pytest.mark.slow
def test_a_killed_build_leaves_nothing_trusted(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(cache))
    network, _ = make_case(n_agents=2)
    key = _standalone.build_key(network)
    process, _ = start_subprocess(tmp_path, "killed", 2, cache)
    deadline = time.monotonic() + 300
    # kill once the compiler is at work in the staging directory
    while not list(cache.glob(f".{key}.*/code_objects/*.o")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the build never started compiling"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not _standalone.is_built(network)
    assert not (cache / key).exists()


@pytest.mark.slow
def test_two_processes_building_one_shape_at_once(cache, tmp_path):
    # (after the killed build above: its staging directory is cleaned up)
    key = _standalone.build_key(make_case(n_agents=2)[0])
    runs = [start_subprocess(tmp_path, f"builder{k}", 2, cache) for k in range(2)]
    reports = []
    for process, _ in runs:
        stdout, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, stderr
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    assert all(report["backend"] == "standalone" for report in reports)
    first, second = (np.load(output) for _, output in runs)
    for name in ("counts", "weights", "theta"):
        np.testing.assert_array_equal(first[name], second[name])
    assert sorted(path.name for path in cache.iterdir() if key in path.name) == [key, f"{key}.lock"]
    assert json.loads((cache / key / "manifest.json").read_text())["build_seconds"] > 0


@pytest.mark.slow
def test_standalone_matches_runtime_and_itself_across_processes(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(cache))
    compiled, inputs = make_case(n_agents=2, backend="standalone")
    assert _standalone.is_built(compiled)  # built by the test above
    runtime, _ = make_case(n_agents=2, backend="runtime")
    expected = runtime.simulate(*inputs)
    first = compiled.simulate(*inputs)
    again = compiled.simulate(*inputs)
    assert first.backend == again.backend == "standalone"
    assert expected.backend == "runtime"
    # the same arithmetic on the same spikes: equal counts, weights equal to rounding
    assert expected.counts.sum() > 0
    np.testing.assert_array_equal(first.counts, expected.counts)
    np.testing.assert_allclose(first.weights, expected.weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(first.theta, expected.theta, rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(first.excitatory_spikes, expected.excitatory_spikes)
    # bit-identical reruns, in this process and in another one, without a new build
    process, output = start_subprocess(tmp_path, "rerun", 2, cache)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert json.loads(stdout.strip().splitlines()[-1]) == {
        "backend": "standalone",
        "built_before": True,
    }
    other = np.load(output)
    for result in (again, other):
        np.testing.assert_array_equal(
            result["counts"] if isinstance(result, np.lib.npyio.NpzFile) else result.counts,
            first.counts,
        )
    np.testing.assert_array_equal(again.weights, first.weights)
    np.testing.assert_array_equal(other["weights"], first.weights)
    np.testing.assert_array_equal(other["theta"], first.theta)


@pytest.mark.slow
def test_a_failing_compiler_falls_back_and_leaves_nothing_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_STANDALONE_CACHE", str(tmp_path))
    monkeypatch.setenv("CXX", "false")  # exists, fails
    network, inputs = make_case(backend="standalone")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = network.simulate(*inputs)
    assert result.backend == "runtime"
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "build failed" in messages[0]
    assert not _standalone.is_built(network)
    assert [path.name for path in tmp_path.iterdir() if not path.name.endswith(".lock")] == []
