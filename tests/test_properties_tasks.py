"""Property-based tests (hypothesis) of the tasks package and the experiments CLI's input handling.

Tasks: for any seed, every task's features are finite and scaled to [0, 1], shapes
agree, labels are among the classes, and the same seed gives the same arrays.

CLI: any --seeds text and any --set text either is accepted, exactly when an
independent model of the grammar says so, or gives one line on stderr, exit
status 2 and no file written; typed values survive formatting and parsing.
"""

import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments import EXPERIMENTS, Result, get_experiment, register_experiment
from experiments.cli import main
from experiments.sweep import MAX_RUNS, parse_assignment, parse_grid, parse_seeds, plan_sweep
from tasks import TASKS, load_task

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# -- tasks -----------------------------------------------------------------------------------

# Seeds are 32-bit (what scikit-learn's splits accept); load_task refuses larger ones.
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@FAST
@given(name=st.sampled_from(sorted(TASKS)), seed=seeds)
def test_any_seed_gives_a_scaled_consistent_reproducible_task(name, seed):
    task = load_task(name, seed=seed)
    for X, y in ((task.X_train, task.y_train), (task.X_test, task.y_test)):
        assert X.ndim == 2 and X.shape == (len(y), task.n_features)
        assert np.isfinite(X).all() and X.min() >= 0.0 and X.max() <= 1.0
        if task.kind == "classification":
            assert np.isin(y, task.classes).all()
        else:
            assert np.isfinite(y).all()
    again = load_task(name, seed=seed)
    np.testing.assert_array_equal(task.X_train, again.X_train)
    np.testing.assert_array_equal(task.y_test, again.y_test)


@FAST
@given(
    name=st.sampled_from(sorted(TASKS)),
    seed=st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=2**32),
        st.floats(allow_nan=True),
        st.booleans(),
        st.text(max_size=5),
        st.none(),
    ),
)
def test_a_bad_seed_is_refused_naming_it(name, seed):
    # an integer out of range is a ValueError, anything else a TypeError (core.params)
    is_int = isinstance(seed, int) and not isinstance(seed, bool)
    with pytest.raises(ValueError if is_int else TypeError, match="seed"):
        load_task(name, seed=seed)


@FAST
@given(name=st.text(max_size=20).filter(lambda n: n not in TASKS))
def test_an_unknown_task_is_refused_listing_the_known_ones(name):
    with pytest.raises(ValueError, match="unknown task=.*; known: .*digits"):
        load_task(name)


# -- the sweep command line ----------------------------------------------------------------------

NAME = "_property_probe"


@dataclass(frozen=True)
class ProbeSettings:
    count: int = 1
    rate: float = 0.1
    on: bool = False
    label: str = "x"
    limit: int | None = None
    sizes: tuple = (4,)

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls()


if NAME not in EXPERIMENTS:
    register_experiment(
        NAME, "probe for the property tests", ProbeSettings, lambda r, s: {}, lambda r, s: ""
    )(lambda settings, seed: Result(metrics=__import__("pandas").DataFrame({"x": [seed]})))
PROBE = get_experiment(NAME)


def reference_seeds(text: str):
    """An independent model of the --seeds grammar: the seeds, or None if invalid."""
    if not re.fullmatch(r"\s*[0-9]+\s*(-\s*[0-9]+\s*)?(,\s*[0-9]+\s*(-\s*[0-9]+\s*)?)*", text):
        return None
    result = []
    for part in text.split(","):
        bounds = [int(b) for b in part.split("-")]
        if len(bounds) == 2 and re.search(r"[0-9]\s+-|-\s+[0-9]", part):
            return None  # spaces inside a range are not accepted
        if bounds[-1] < bounds[0] or len(result) + bounds[-1] - bounds[0] + 1 > MAX_RUNS:
            return None
        result += list(range(bounds[0], bounds[-1] + 1))
    return result if len(set(result)) == len(result) else None


seed_texts = st.one_of(
    st.text(alphabet="0123456789-, ", max_size=12),
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=4).map(
        lambda ranges: ",".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges)
    ),
    st.text(max_size=8),
)


@FAST
@given(text=seed_texts)
def test_seeds_text_is_accepted_exactly_as_the_grammar_says(text):
    expected = reference_seeds(text)
    if expected is None:
        with pytest.raises(ValueError, match="--seeds"):
            parse_seeds(text)
    else:
        assert parse_seeds(text) == expected


@pytest.fixture
def not_a_directory(tmp_path):
    # Valid input gets as far as the output check, which fails on a file: the
    # sweep never runs, whatever hypothesis draws.
    path = tmp_path / "a-file"
    path.write_text("")
    return path


@FAST
@given(text=seed_texts, assignment=st.text(max_size=16))
def test_cli_sweep_any_input_gives_one_line_and_exit_2_before_any_work(
    text, assignment, not_a_directory, capsys
):
    argv = [
        "sweep",
        NAME,
        "--quick",
        "--seeds",
        text,
        "--set",
        assignment,
        "--workers",
        "0",
        "--out",
        str(not_a_directory),
    ]
    code = main(argv)  # (a value starting with "-" may be read as an option: still one line)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not_a_directory.read_text() == ""
    seeds_ok = reference_seeds(text) is not None
    try:
        plan_sweep(PROBE, quick=True, seeds="0", grid=parse_grid([assignment], PROBE))
        set_ok = True
    except ValueError:
        set_ok = False
    if text.startswith("-") or assignment.startswith("-"):
        return
    if not set_ok:
        assert "--set" in err
    elif not seeds_ok:
        assert "--seeds" in err
    else:
        assert "is not a directory" in err


@FAST
@given(
    count=st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=4, unique=True),
    rate=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    sizes=st.lists(
        st.lists(st.integers(0, 512), min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
    ),
    limit=st.lists(st.one_of(st.none(), st.integers(0, 99)), min_size=1, max_size=3),
)
def test_typed_values_survive_formatting_and_parsing(count, rate, sizes, limit):
    assert parse_assignment("count=" + ",".join(map(str, count)), PROBE) == ("count", count)
    parsed = parse_assignment("rate=" + ",".join(map(repr, rate)), PROBE)[1]
    assert parsed == rate and all(type(v) is float for v in parsed)
    assert parse_assignment("sizes=" + ",".join(map(repr, sizes)), PROBE)[1] == sizes
    text = ",".join("none" if v is None else str(v) for v in limit)
    assert parse_assignment("limit=" + text, PROBE)[1] == limit
