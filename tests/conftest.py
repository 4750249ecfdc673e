import os

import matplotlib
import pytest
from hypothesis import settings

# The property tests draw the same examples on every run (derived from each test's
# name), so the suite gives the same verdict every time; set
# HYPOTHESIS_PROFILE=explore to draw fresh examples when hunting for bugs.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)

matplotlib.use("Agg")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def numpy_target_for_fast_tests(request, monkeypatch):
    """The fast suite runs Brian2 on its numpy target; slow tests keep the compiled one.

    A slow test marked ``numpy_target`` is a small network moved out of the
    default run for its time: it keeps the numpy target it was written for.

    The fast tests' networks are tiny, so interpreting them costs about what
    running compiled code does (the whole suite: 301 s numpy, 308 s Cython
    with a warm cache), but on a machine without Brian2's Cython cache the
    compiled target first builds ~70 code objects: about 4 more minutes.
    The environment variable reaches processes started by the test (Dask
    workers of the sweep tests); Brian2's own preference covers networks
    that tests build with Brian2 directly (peer checks such as
    ``test_spiking_mlp_brian2``).
    """
    if "slow" in request.keywords and "numpy_target" not in request.keywords:
        yield
        return
    from brian2 import prefs

    from snn import _brian

    monkeypatch.setenv("SNN_CODEGEN_TARGET", "numpy")
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")
    previous = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        yield
    finally:
        prefs.codegen.target = previous


def write_small_idx_set(directory, seed, n_train=60, n_test=20, gzipped=True, shape=(28, 28)):
    """The four MNIST-format IDX files with random images and labels 0-9 (all present)."""
    import numpy as np

    from tasks.mnist import IDX_FILES, write_idx

    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for part, n in (("train", n_train), ("test", n_test)):
        arrays[f"{part}_images"] = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
        arrays[f"{part}_labels"] = (np.arange(n) % 10).astype(np.uint8)[rng.permutation(n)]
    for role, array in arrays.items():
        write_idx(directory / (IDX_FILES[role] + (".gz" if gzipped else "")), array)
    return arrays


@pytest.fixture(scope="session", autouse=True)
def small_mnist_files(tmp_path_factory):
    """MNIST_DIR and FASHION_MNIST_DIR point at small generated IDX files for the session,
    so that every registered task loads (tests of tasks iterate over all of them)."""
    root = tmp_path_factory.mktemp("idx")
    files = {
        "MNIST_DIR": write_small_idx_set(root / "mnist", seed=0),
        "FASHION_MNIST_DIR": write_small_idx_set(root / "fashion", seed=1, gzipped=False),
    }
    with pytest.MonkeyPatch.context() as patch:
        for variable in files:
            patch.setenv(variable, str(root / ("mnist" if variable == "MNIST_DIR" else "fashion")))
        yield files


@pytest.fixture(autouse=True)
def metrics_columns_match_the_data_dictionary(tmp_path):
    """Every run directory a test writes under its tmp_path has the metrics.csv columns
    that experiments/columns.py declares (docs/metrics.md is generated from it)."""
    yield
    import json

    from experiments.columns import check_columns

    for metrics in tmp_path.rglob("metrics.csv"):
        config = metrics.with_name("config.json")
        if not config.is_file():
            continue
        with open(metrics) as file:
            header = file.readline().strip()
        if header:
            check_columns(json.loads(config.read_text())["experiment"], header.split(","))
