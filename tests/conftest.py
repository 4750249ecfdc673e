import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def numpy_target_for_fast_tests(request, monkeypatch):
    """The fast suite runs Brian2 on its numpy target; slow tests keep the compiled one.

    The fast tests' networks are tiny, so interpreting them costs about what
    running compiled code does (the whole suite: 301 s numpy, 308 s Cython
    with a warm cache), but on a machine without Brian2's Cython cache the
    compiled target first builds ~70 code objects: about 4 more minutes.
    The environment variable reaches processes started by the test (Dask
    workers of the sweep tests); Brian2's own preference covers networks
    built outside ``snn`` (``social.synchrony``).
    """
    if "slow" in request.keywords:
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
