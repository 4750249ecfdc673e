"""Progress reports: what they count, the time left, the line off a terminal, verbosity."""

import io
import re

import numpy as np
import pytest

from core import progress as core_progress
from core.progress import Progress, duration, resolve, verbosity


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(core_progress.time, "monotonic", fake)
    return fake


def test_remaining_time_is_elapsed_per_unit_times_units_left(clock):
    stream = io.StringIO()
    bar = Progress(10, "fit", "presentations", verbose=1, stream=stream, interval=30)
    clock.now += 40
    bar.update(4)  # 10 s per presentation, 6 left: 60 s
    assert stream.getvalue() == "fit: 4/10 presentations, 40 s elapsed, about 1 min 00 s left\n"
    clock.now += 5
    bar.update(1)  # within the interval: no line
    assert stream.getvalue().count("\n") == 1
    clock.now += 100
    bar.set(10)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "fit: 10/10 presentations, 2 min 25 s elapsed"
    assert lines.count(lines[-1]) == 1  # the closing line does not repeat the last


def test_silent_by_default_and_when_verbose_is_0(clock):
    stream = io.StringIO()
    for verbose in (None, 0):
        with Progress(3, "x", verbose=verbose, stream=stream, interval=0) as bar:
            clock.now += 100
            bar.update(3)
    assert stream.getvalue() == ""
    with verbosity(1):
        with Progress(3, "x", stream=stream, interval=0) as bar:
            clock.now += 100
            bar.update(1)
    assert stream.getvalue().startswith("x: 1/3 steps")


def test_a_terminal_gets_a_tqdm_bar_with_elapsed_and_remaining():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    with Progress(5, "rounds", "rounds", verbose=1, stream=stream) as bar:
        assert bar._bar is not None  # tqdm, not status lines
        for _ in range(5):
            bar.update()
        assert bar._bar.n == 5
    # tqdm's own format: counts, then [elapsed<remaining]
    assert re.search(r"rounds: +0%.*0/5 \[00:00<\?", stream.getvalue()), stream.getvalue()


def test_set_never_goes_backwards_or_past_the_total(clock):
    bar = Progress(5, "x", verbose=1, stream=io.StringIO())
    bar.set(3)
    bar.set(2)
    bar.set(9)
    assert bar.done == 5


@pytest.mark.parametrize(
    "bad, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("1", TypeError)]
)
def test_verbose_must_be_a_non_negative_integer(bad, error):
    with pytest.raises(error, match="verbose must be a non-negative integer"):
        resolve(bad)


def test_duration():
    assert [duration(s) for s in (0.4, 59, 60, 3599, 3600)] == [
        "0 s",
        "59 s",
        "1 min 00 s",
        "59 min 59 s",
        "1 h 00 min",
    ]


def _lines_of_fit(estimator, X, y, monkeypatch):
    stream = io.StringIO()
    original = Progress.__init__

    def to_stream(self, *args, **kwargs):
        kwargs.update(stream=stream, interval=0.0)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Progress, "__init__", to_stream)
    estimator.fit(X, y)
    return stream.getvalue().splitlines()


def test_mlp_verbose_counts_epochs_and_changes_nothing(monkeypatch):
    from ann import MLPClassifier
    from tasks import load_task

    task = load_task("iris", seed=0)
    quiet = MLPClassifier(hidden_layer_sizes=(8,), epochs=4, random_state=0)
    loud = MLPClassifier(hidden_layer_sizes=(8,), epochs=4, random_state=0, verbose=1)
    lines = _lines_of_fit(loud, task.X_train, task.y_train, monkeypatch)
    assert [line.split(",")[0] for line in lines[:4]] == [
        f"MLPClassifier.fit: {i}/4 epochs" for i in range(1, 5)
    ]
    quiet.fit(task.X_train, task.y_train)
    assert np.array_equal(quiet.predict_proba(task.X_test), loud.predict_proba(task.X_test))


def test_stdp_verbose_counts_presentations_and_changes_nothing(monkeypatch):
    from brian2 import ms

    from snn import STDPClassifier
    from tasks import load_task

    task = load_task("iris", seed=0)
    X, y = task.X_train[:12], task.y_train[:12]
    params = dict(n_neurons=4, epochs=2, presentation_time=20 * ms, rest_time=5 * ms)
    loud = STDPClassifier(**params, random_state=0, verbose=1)
    lines = _lines_of_fit(loud, X, y, monkeypatch)
    # two plastic epochs and the frozen readout pass: 3 x 12 presentations
    assert lines and lines[-1].startswith("STDPClassifier.fit: 36/36 presentations")
    counts = [int(re.search(r": (\d+)/36", line).group(1)) for line in lines]
    assert counts == sorted(counts) and 24 in counts  # the plastic run ends at 2 x 12
    quiet = STDPClassifier(**params, random_state=0).fit(X, y)
    assert np.array_equal(quiet.weights_, loud.weights_)
