"""Compiled runs of the Diehl & Cook network: built once per shape, reused by every call.

Brian2's runtime mode pays Python for every code object at every time step;
its ``cpp_standalone`` device compiles a whole simulation into one C++
program instead (tens of seconds of compilation, then the arithmetic alone).
This module makes that program reusable, so the compilation is paid once per
*network shape* on a machine rather than once per call:

* Everything a call changes is an input of the program, not part of its
  code: the learnable state and per-neuron parameters (set with Brian2's
  run arguments, ``name=file`` on the command line, Brian2 >= 2.6), and the
  input spikes, the per-window plasticity and label schedules and the number
  of windows to simulate (read by ``standalone_support/snn_run_inputs.cpp``
  from files in the run's results directory; a small code object ends the
  run after its last time step). The program is built for the longest run
  its spike-step counter allows and stops early.
* What the generated code depends on -- the numbers of agents, inputs and
  neurons, the rule's equations and constants (for the network's frozen
  form, used by runs without plasticity: its plain synapses and ``wmax``),
  the neuron constants, the time step and window lengths, the OpenMP
  threads, the Brian2 version, the compiler and this package's sources -- is
  hashed into the build's key (:func:`build_key`); a build lives in
  ``<cache>/<key>/`` (:func:`cache_root`). The build process recomputes the
  key from the sources it generates the code from and builds nothing if
  they differ.
* Builds run in a separate Python process (Brian2's standalone device is
  process-global state: this process's runtime simulations are never
  affected), inside a temporary directory that is renamed into place only
  after the compiled program exists and its manifest is written; one file
  lock per key serialises builders of the same shape, across processes. A
  killed build leaves only a temporary directory, which nothing trusts and
  the next builder of that key deletes.
* Each run writes its inputs and the program's outputs in a temporary
  directory of its own (``TMPDIR``), so any number of processes may run one
  build at once. The program writes only the outputs read back
  (:data:`OUTPUTS`), not every array of the network as Brian2's generated
  ``main`` would.
* Lateral inhibition is compiled code of its own
  (``snn_lateral_inhibition`` in ``standalone_support``) rather than the
  runtime path's all-to-all ``Synapses``: the same additions to ``gi`` in the
  same order, without ``n_neurons**2`` synapses per agent to create at the
  start of every run (2.6 million for 16 copies of 400 neurons).
* Without a working compiler (``CXX``, default ``g++``, and ``make``), or if a
  build fails, the network falls back to the runtime path with one warning
  per process.

The simulation is the runtime path's, step for step: the same equations,
objects, schedule order and input spikes, so a run's results are
reproducible bit for bit on the same backend, and agree with the runtime
path's up to floating-point rounding (compiled by another compiler
invocation).

Environment variables: ``SNN_STANDALONE_CACHE`` (the cache directory),
``SNN_STANDALONE_THREADS`` (OpenMP threads of new builds, default 0: none).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from snn._brian import codegen_target
from snn.neurons import PER_NEURON_PARAMETERS

__all__ = [
    "AUTO_BUILD_STEPS",
    "StandaloneUnavailable",
    "build_key",
    "cache_root",
    "choose_backend",
    "ensure_built",
    "is_built",
    "run",
]

CACHE_VARIABLE = "SNN_STANDALONE_CACHE"
THREADS_VARIABLE = "SNN_STANDALONE_THREADS"

#: Under ``backend="auto"``, a shape not yet built is compiled once this
#: process has asked for this many time steps of it (this call included):
#: about what compiling costs when simulated in runtime mode (~50 s at
#: ~0.1 ms per step of a 400-neuron network), so short calls (a society's
#: rounds) never wait for a compiler unless they add up to a compile's worth.
AUTO_BUILD_STEPS = 500_000

#: Files the compiled program reads at start (copied into every build).
SUPPORT_DIRECTORY = Path(__file__).with_name("standalone_support")
SUPPORT_FILES = ("snn_run_inputs.h", "snn_run_inputs.cpp")


def _excitatory(*names: str) -> dict[str, tuple[str, str]]:
    """``name -> ("snn_excitatory", name)``: variables of the excitatory neurons, by their names."""
    return {name: ("snn_excitatory", name) for name in names}


#: Variables set from files at every run (Brian2 run arguments).
RUN_ARGUMENTS = {
    "weights": ("snn_input_synapses", "w"),
    **_excitatory("theta", "assigned_class", "theta_plus", "tau_theta", "inhibition", "weight_sum"),
}

#: Variables read back after every run (see snn.network.FinalState).
OUTPUTS = {
    "weights": ("snn_input_synapses", "w"),
    **_excitatory("theta", "v", "ge", "gi", "diverged_window", "presentation_count", "spike_count"),
    "recorded_presentation_count": ("snn_count_monitor", "presentation_count"),
    "recorded_spike_count": ("snn_count_monitor", "spike_count"),
}

#: Bump when the layout of a build (manifest, files) changes.
BUILD_FORMAT = 1


class StandaloneUnavailable(RuntimeError):
    """No compiled program can be had here (no compiler, or the build failed)."""


# -- where builds live ------------------------------------------------------
def cache_root() -> Path:
    """The directory holding the builds.

    ``SNN_STANDALONE_CACHE`` if set; otherwise ``brain-vs-ann/standalone``
    under the user's cache directory (``XDG_CACHE_HOME``, default
    ``~/.cache``).
    """
    configured = os.environ.get(CACHE_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join("~", ".cache")
    return Path(base).expanduser() / "brain-vs-ann" / "standalone"


def _threads() -> int:
    value = os.environ.get(THREADS_VARIABLE, "0").strip() or "0"
    if not value.isdigit():
        raise ValueError(
            f"environment variable {THREADS_VARIABLE}={value!r} must be a non-negative integer"
        )
    return int(value)


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    """Hash of the sources that generate the program (this package's network code)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [
        package / "network.py",
        package / "neurons.py",
        package / "_standalone.py",
        package / "_standalone_build.py",
        *(SUPPORT_DIRECTORY / name for name in SUPPORT_FILES),
    ]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _describe(value):
    """A JSON-able, repr-stable description of a namespace value or equations."""
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    return repr(value)


def build_spec(network) -> dict:
    """Everything the generated program of ``network`` depends on, as a JSON-able dict."""
    import brian2

    rule = network.rule
    synapses = network.synapses_kwargs()
    return {
        "format": BUILD_FORMAT,
        "brian2": brian2.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "compiler": os.environ.get("CXX", "g++"),
        "compiler_flags": os.environ.get("CXXFLAGS", ""),
        "sources": _source_digest(),
        "threads": _threads(),
        "n_agents": network.n_agents,
        "n_inputs": network.n_inputs,
        "n_neurons": network.n_neurons,
        "dt": repr(float(network.dt)),
        "window_steps": network.window_steps,
        "presentation_steps": network.presentation_steps,
        "reward": [network.reward_correct, network.reward_wrong],
        # ablations that remove objects (no threshold adaptation is a run value)
        "lateral_inhibition": network.lateral_inhibition,
        "weight_normalisation": network.weight_normalisation,
        # per-neuron parameters are run arguments, not code
        "neuron_params": _describe(
            {
                key: value
                for key, value in network.neuron_params.items()
                if key not in PER_NEURON_PARAMETERS
            }
        ),
        # The frozen form (runs without plasticity) has plain synapses and no
        # normalisation: its code depends on the rule only through them (rules
        # with the same frozen form share one program).
        "frozen": network.frozen,
        "neuron_traces": network.keeps_neuron_traces,
        "rule_class": (
            None if network.frozen else f"{type(rule).__module__}.{type(rule).__qualname__}"
        ),
        "rule_namespace": _describe(synapses["namespace"] if network.frozen else rule.namespace()),
        "rule_synapses": _describe(
            {key: value for key, value in synapses.items() if key != "namespace"}
        ),
    }


def build_key(network) -> str:
    """The cache key of ``network``'s program (a hash of :func:`build_spec`)."""
    text = json.dumps(build_spec(network), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _trusted(directory: Path):
    """The manifest of a finished build in ``directory``, or None."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("format") != BUILD_FORMAT or not (directory / "main").is_file():
        return None
    return manifest


def is_built(network) -> bool:
    """Whether a finished build of ``network``'s shape is in the cache."""
    return _trusted(cache_root() / build_key(network)) is not None


# -- choosing a backend -------------------------------------------------------
_unavailable_reason: str | None = None
_steps_asked: dict[str, int] = {}


def _compiler_problem() -> str | None:
    compiler = os.environ.get("CXX", "g++")
    for tool in (compiler, "make"):
        if shutil.which(tool) is None:
            return f"{tool!r} was not found"
    return None


def _give_up(reason: str):
    """Remember that standalone runs are impossible in this process; warn once."""
    global _unavailable_reason
    if _unavailable_reason is None:
        warnings.warn(
            f"Brian2 standalone runs are unavailable ({reason}); the spiking network "
            "runs in Brian2's runtime mode instead, which is several times slower. "
            "Install a C++ compiler and make (or set CXX) to get compiled runs.",
            RuntimeWarning,
            stacklevel=4,
        )
    _unavailable_reason = reason


def choose_backend(network, n_windows: int) -> str:
    """``"standalone"`` or ``"runtime"`` for a call of ``n_windows`` windows on ``network``.

    ``backend="runtime"`` and ``"standalone"`` are obeyed (the latter falls
    back to runtime with one warning when no program can be built).
    ``"auto"`` picks runtime when the process uses Brian2's numpy target
    (``SNN_CODEGEN_TARGET=numpy``: nothing is compiled), standalone when the
    shape is already built, and otherwise standalone once the time steps
    asked of this shape in this process reach :data:`AUTO_BUILD_STEPS`.
    """
    backend = network.backend
    if backend == "runtime" or _unavailable_reason is not None:
        return "runtime"
    if backend == "auto":
        if codegen_target() == "numpy":
            return "runtime"
        key = build_key(network)
        if _trusted(cache_root() / key) is None:
            asked = _steps_asked.get(key, 0) + n_windows * network.window_steps
            _steps_asked[key] = asked
            if asked < AUTO_BUILD_STEPS:
                return "runtime"
    problem = _compiler_problem()
    if problem is not None:
        _give_up(problem)
        return "runtime"
    try:
        ensure_built(network)
    except StandaloneUnavailable as error:
        _give_up(str(error))
        return "runtime"
    return "standalone"


# -- building -----------------------------------------------------------------
@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` (created if needed), held for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_built(network) -> tuple[Path, dict]:
    """The build directory and manifest of ``network``'s program, building it if needed.

    Raises
    ------
    StandaloneUnavailable
        If the build failed (the compiler's output is in the message).
    """
    root = cache_root()
    key = build_key(network)
    final = root / key
    manifest = _trusted(final)
    if manifest is not None:
        return final, manifest
    with _locked(root / f"{key}.lock"):
        manifest = _trusted(final)  # built by another process meanwhile
        if manifest is not None:
            return final, manifest
        # Leftovers of this key are from builders that died (the lock is ours).
        for stale in root.glob(f".{key}.*"):
            shutil.rmtree(stale, ignore_errors=True)
        if final.exists():  # a directory without a manifest: not trusted
            shutil.rmtree(final, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            _build_in(network, staging)
            manifest = _trusted(staging)
            if manifest is None:
                raise StandaloneUnavailable(f"the build in {staging} left no program")
            os.rename(staging, final)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return final, manifest


def _build_in(network, directory: Path):
    """Generate and compile ``network``'s program in ``directory`` (a separate process)."""
    for name in SUPPORT_FILES:
        shutil.copyfile(SUPPORT_DIRECTORY / name, directory / name)
    spec_path = directory / "network.pickle"
    blueprint = network.with_agents(network.n_agents)
    with open(spec_path, "wb") as handle:
        pickle.dump(blueprint, handle)
    started = time.perf_counter()
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "snn._standalone_build",
            str(spec_path),
            str(directory),
            build_key(network),
        ],
        capture_output=True,
        text=True,
        cwd=str(Path(__file__).resolve().parent.parent),
        env={**os.environ, THREADS_VARIABLE: str(_threads())},
    )
    if process.returncode != 0:
        output = (process.stdout + process.stderr).strip().splitlines()
        raise StandaloneUnavailable(
            "the standalone build failed: " + " | ".join(output[-12:]) or "no output"
        )
    manifest = json.loads((directory / "manifest.partial.json").read_text())
    manifest["build_seconds"] = time.perf_counter() - started
    manifest["key"] = directory.name.split(".")[1]
    # The manifest is written last: its presence marks a finished build.
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


# -- running ------------------------------------------------------------------
def run(network, inputs):
    """Simulate ``inputs`` (a :class:`snn.network.RunInputs`) with the compiled program.

    Returns the fields of a :class:`snn.network.FinalState` by name (the
    network wraps them: this module does not import the network's).
    """
    directory, manifest = ensure_built(network)
    n_windows = inputs.n_windows
    total_steps = n_windows * network.window_steps
    if total_steps > manifest["max_steps"]:
        raise ValueError(
            f"{n_windows} windows of {network.window_steps} steps exceed the "
            f"{manifest['max_steps']} steps a standalone run can count; split the call"
        )
    results = Path(tempfile.mkdtemp(prefix="snn-standalone-run."))
    try:
        (results / "snn_run_header.txt").write_text(
            f"{n_windows} {network.n_agents} {total_steps} "
            f"{float(network.window_time)!r} {len(inputs.spike_indices)}\n"
        )
        np.ascontiguousarray(inputs.plastic, dtype=np.float64).tofile(results / "snn_plastic.bin")
        np.ascontiguousarray(inputs.labels, dtype=np.float64).tofile(results / "snn_label.bin")
        inputs.spike_indices.astype(np.int32).tofile(results / "snn_spike_indices.bin")
        inputs.spike_steps.astype(np.int32).tofile(results / "snn_spike_steps.bin")
        values = {
            "weights": inputs.weights.ravel(),
            "theta": inputs.theta.ravel(),
            "assigned_class": inputs.assigned_class.ravel(),
            **{name: np.asarray(value) for name, value in inputs.per_neuron.items()},
        }
        arguments = []
        for name, (owner, variable) in RUN_ARGUMENTS.items():
            spec = manifest["inputs"][name]
            array = np.ascontiguousarray(values[name], dtype=spec["dtype"])
            if array.size != spec["size"]:
                raise ValueError(
                    f"{name} has {array.size} values, the program needs {spec['size']}"
                )
            path = results / f"in_{owner}_{variable}.dat"
            array.tofile(path)
            arguments.append(f"{owner}.{variable}={path}")
        process = subprocess.run(
            [str(directory / "main"), "--results_dir", f"{results}{os.sep}", *arguments],
            cwd=str(directory),
            capture_output=True,
            text=True,
        )
        if process.returncode != 0 or process.stderr.strip():
            raise RuntimeError(
                f"the compiled network in {directory} failed (exit status "
                f"{process.returncode}): {process.stderr.strip() or process.stdout.strip()}"
            )
        n_cells = network.n_agents * network.n_neurons
        final = {}
        for name in OUTPUTS:
            spec = manifest["outputs"][name]
            array = np.fromfile(results / spec["file"], dtype=spec["dtype"])
            if name.startswith("recorded_"):
                array = array.reshape(-1, n_cells)[:n_windows]
            final[name] = array
        return final
    finally:
        shutil.rmtree(results, ignore_errors=True)
