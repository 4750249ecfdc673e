"""Property-based tests (hypothesis) of the snn package's public API.

Brian2 runs are expensive, so most examples exercise the checks that must
run before any simulation: the Brian2 network class is replaced by a marker
that raises :class:`WorkStarted`, and every example either stops at a
ValueError/TypeError naming the parameter (or X / y) or reaches the marker,
exactly as an independent model of the documented contract says. A handful
of tiny real fits (2-6 neurons, 20-40 ms presentations, Brian2's numpy
target) check that predictions are labels from ``classes_``, probabilities
sum to 1 and the same random_state gives the same predictions.

SNNPopulation: constructor arguments and every agent's batch in
``partial_fit`` are refused by name (``Xs[i]``, ``ys[i]``) or accepted before
the run starts.

Encoders: any valid input gives spikes inside the presentation window, at
most one per channel and step, silent zero features, and Poisson counts
within a few standard deviations of ``x * max_rate * duration``; invalid
input raises naming the parameter.
"""

import math
import re

import numpy as np
import pytest
from brian2 import Hz, Quantity, ms, mV, second
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import snn.analysis
import snn.estimators
import snn.population
from snn import (
    ENCODERS,
    READOUTS,
    RULES,
    SNNPopulation,
    STDPClassifier,
    STDPRegressor,
    _brian,
)
from snn.analysis import stdp_window
from snn.encoders import check_features

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: Real Brian2 fits: a few examples only.
SIMULATED = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class WorkStarted(Exception):
    """Raised where the simulation would start: every check has passed."""


def refuse_work(*args, **kwargs):
    raise WorkStarted


@pytest.fixture(autouse=True)
def numpy_target(monkeypatch):
    """Tiny networks: Brian2's numpy target, no compilation."""
    monkeypatch.setattr(_brian, "_chosen_target", "numpy")


@pytest.fixture
def no_simulation(monkeypatch):
    monkeypatch.setattr(snn.estimators, "SpikingAgents", refuse_work)
    monkeypatch.setattr(snn.population, "SpikingAgents", refuse_work)
    # the plasticity protocols build their spike generators first
    monkeypatch.setattr(snn.Circuit, "spike_generator", refuse_work)


# -- an independent model of the parameter contract -------------------------------------------

DT = 0.5 * ms


def is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def finite_real(value, low=-math.inf, low_open=False, high=math.inf):
    return (
        is_real(value)
        and math.isfinite(value)
        and value <= high
        and (value > low if low_open else value >= low)
    )


def scalar_of(value, unit):
    """The value in ``unit`` if it is a finite scalar quantity of unit's dimensions, else None."""
    if (
        not isinstance(value, Quantity)
        or getattr(value, "dim", None) != unit.dim
        or np.ndim(value) != 0
    ):
        return None
    number = float(value / unit)
    return number if math.isfinite(number) else None


def whole_steps(value, dt=DT):
    steps = float(value / dt)
    return abs(steps - round(steps)) <= 1e-6


def valid_time(value, *, allow_zero=False, multiple_of=DT):
    number = scalar_of(value, ms)
    if number is None or number < 0 or (number == 0 and not allow_zero):
        return False
    return multiple_of is None or whole_steps(value, multiple_of)


def valid_random_state(value):
    return (
        value is None
        or isinstance(value, (np.random.Generator, np.random.SeedSequence))
        or (is_int(value) and value >= 0)
    )


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=4),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3, 3),
    st.lists(st.integers(0, 2), max_size=2),
    st.just(np.float64(np.nan)),
)


def names(registry):
    return st.one_of(st.sampled_from(sorted(registry)), junk, st.text(min_size=1, max_size=8))


def time_values(unit=ms):
    return st.one_of(
        st.integers(-4, 80).map(lambda k: k * 0.5 * unit),
        # (not absurdly small steps: 1e-300 ms is valid and would allocate forever)
        st.floats(-5, 50).filter(lambda v: v == 0 or abs(v) >= 0.05).map(lambda v: v * unit),
        st.sampled_from(
            [np.nan * ms, np.inf * ms, 5 * mV, 5 * Hz, -1 * second, np.array([20.0, 40.0]) * ms]
        ),
        junk,
    )


def rate_values():
    return st.one_of(
        st.just("auto"),
        st.floats(-100, 3000).map(lambda v: v * Hz),
        st.sampled_from([2000 * Hz, 0 * Hz, np.nan * Hz, np.inf * Hz, 5 * ms, "AUTO"]),
        junk,
    )


def valid_rate(value):
    if isinstance(value, str) and value == "auto":
        return True
    rate = scalar_of(value, Hz)
    return rate is not None and rate > 0 and float(value * DT) <= 1


rule_values = st.one_of(
    names(RULES),
    st.sampled_from(sorted(RULES)).map(lambda name: RULES[name]()),
    st.just(RULES["stdp"](nu_pre="fast")),
    st.just(RULES["stdp"](no_such=1.0)),
)


def valid_rule(value, regression):
    if isinstance(value, str):
        rule = RULES[value]() if value in RULES else None
    elif isinstance(value, snn.PlasticityRule):
        rule = value
    else:
        return False
    if rule is None or (regression and rule.uses_reward):
        return False
    return set(rule.overrides) <= set(rule.defaults) and all(
        is_real(v) or isinstance(v, Quantity) for v in rule.overrides.values()
    )


#: parameter -> (values to try, valid(value, regression) according to the documentation)
PARAMETERS = {
    "n_neurons": (st.one_of(st.integers(-2, 6), junk), lambda v, r: is_int(v) and v > 0),
    "rule": (rule_values, valid_rule),
    "encoding": (names(ENCODERS), lambda v, r: isinstance(v, str) and v in ENCODERS),
    "readout": (
        names(READOUTS),
        lambda v, r: isinstance(v, str) and v in READOUTS and (not r or v == "linear"),
    ),
    "epochs": (st.one_of(st.integers(-1, 3), junk), lambda v, r: is_int(v) and v > 0),
    "presentation_time": (time_values(), lambda v, r: valid_time(v)),
    "rest_time": (time_values(), lambda v, r: valid_time(v, allow_zero=True)),
    "dt": (
        st.one_of(
            st.sampled_from([0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 0.3, 0.7, 3.0, 0.0, -0.5]).map(
                lambda v: v * ms
            ),
            time_values(),
        ),
        # the base presentation (20 ms), rest (5 ms) and max_rate (auto) must fit the new step
        lambda v, r: (
            valid_time(v, multiple_of=None) and whole_steps(20 * ms, v) and whole_steps(5 * ms, v)
        ),
    ),
    "max_rate": (rate_values(), lambda v, r: valid_rate(v)),
    "inhibition": (st.one_of(st.floats(-1, 30), junk), lambda v, r: finite_real(v, low=0)),
    "evaluation_inhibition": (
        st.one_of(st.floats(-1, 30), junk),
        lambda v, r: v is None or finite_real(v, low=0),
    ),
    "mean_input_weight": (
        st.one_of(st.floats(-1, 2), junk),
        lambda v, r: finite_real(v, low=0, low_open=True),
    ),
    "initial_weight": (
        st.one_of(st.floats(-1, 2), junk),
        lambda v, r: finite_real(v, low=0, high=1),
    ),
    "theta_plus": (
        st.one_of(
            st.floats(-1, 1).map(lambda v: v * mV), st.just(np.nan * mV), st.just(1 * ms), junk
        ),
        lambda v, r: scalar_of(v, mV) is not None and scalar_of(v, mV) >= 0,
    ),
    "tau_theta": (time_values(second), lambda v, r: valid_time(v, multiple_of=None)),
    "receptive_fields": (
        st.one_of(st.just("auto"), st.integers(-1, 9), junk),
        lambda v, r: (isinstance(v, str) and v == "auto") or (is_int(v) and v > 0),
    ),
    "plasticity_decay": (
        st.one_of(st.floats(-1, 2), junk),
        lambda v, r: finite_real(v, low=0, low_open=True, high=1),
    ),
    "alpha": (st.one_of(st.floats(-1, 100), junk), lambda v, r: finite_real(v, low=0)),
    "random_state": (
        st.one_of(st.integers(-3, 2**64), junk, st.integers(0, 9).map(np.random.default_rng)),
        lambda v, r: valid_random_state(v),
    ),
}

BASE = dict(n_neurons=3, epochs=1, presentation_time=20 * ms, rest_time=5 * ms, random_state=0)


def tiny_data(n_samples=6, n_features=2):
    X = np.random.default_rng(0).uniform(0, 1, (n_samples, n_features))
    return X, np.arange(n_samples) % 2, X.sum(axis=1)


@FAST
@given(name=st.sampled_from(sorted(PARAMETERS)), regression=st.booleans(), data=st.data())
@example(name="rule", regression=True, data=None).via("a label-gated rule cannot regress")
def test_any_parameter_is_refused_by_name_or_accepted_before_any_simulation(
    name, regression, data, no_simulation
):
    strategy, valid = PARAMETERS[name]
    value = "label_gated_stdp" if data is None else data.draw(strategy, label=name)
    X, labels, targets = tiny_data()
    estimator = (STDPRegressor if regression else STDPClassifier)(**{**BASE, name: value})
    if valid(value, regression):
        with pytest.raises(WorkStarted):
            estimator.fit(X, targets if regression else labels)
        return
    with pytest.raises((ValueError, TypeError)) as error:
        estimator.fit(X, targets if regression else labels)
    message = str(error.value)
    assert name in message or (name == "rule" and "of rule" in message), message


@st.composite
def feature_arrays(draw):
    """Mostly valid (n, f) arrays in [0, 1]; sometimes other shapes, dtypes or values."""
    shape = draw(
        st.one_of(
            st.tuples(st.integers(1, 6), st.integers(1, 3)),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
        )
    )
    values = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)))
    if values.size and draw(st.booleans()):
        values.flat[draw(st.integers(0, values.size - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -0.1, 1.5, -1e300, 1.0 + 1e-9])
        )
    kind = draw(
        st.sampled_from(["float64", "float64", "float32", "int64", "bool", "complex", "list"])
    )
    if kind == "int64":
        return (values >= 0.5).astype(np.int64)
    if kind == "bool":
        return values >= 0.5
    if kind == "complex":
        return values + 0.5j
    if kind == "list":
        return values.tolist()
    with np.errstate(over="ignore"):  # -1e300 as float32 is -inf: still invalid
        return values.astype(kind)


def x_problem(X, allow_no_samples=False):
    """What is wrong with X for an estimator (encoders also take zero samples), or None."""
    array = np.asarray(X)
    if array.dtype.kind == "O":  # an object array of numbers is converted, as scikit-learn does
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            return "dtype"
    if array.dtype.kind not in "biuf":
        return "dtype"
    if array.ndim != 2 or array.shape[1] == 0 or (array.shape[0] == 0 and not allow_no_samples):
        return "shape"
    if not np.isfinite(array).all() or (array.size and (array.min() < 0 or array.max() > 1)):
        return "values"
    return None


def n_rows(X):
    array = np.asarray(X)
    return array.shape[0] if array.ndim else 0


@st.composite
def labels_or_targets(draw, n_samples, regression):
    length = draw(st.one_of(st.just(n_samples), st.integers(0, 7)))
    shape = draw(st.sampled_from([(length,), (length,), (length, 1), (length, 2), ()]))
    if regression:
        y = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
        if y.size and draw(st.booleans()):
            y.flat[0] = draw(st.sampled_from([np.nan, np.inf]))
        return y
    pool = draw(st.sampled_from([[0, 1, 2], ["a", "b"], [5]]))
    return np.array(
        draw(st.lists(st.sampled_from(pool), min_size=math.prod(shape), max_size=math.prod(shape)))
    ).reshape(shape)


def y_problem(y, n_samples, regression):
    if regression:
        if y.ndim not in (1, 2) or len(y) != n_samples:
            return "shape"
        return None if np.isfinite(y).all() else "values"
    if y.ndim != 1 or len(y) != n_samples:
        return "shape"
    return None if len(np.unique(y)) >= 2 else "one class"


@FAST
@given(regression=st.booleans(), data=st.data())
@example(regression=False, data=None).via("a 2-D y is refused before the network is built")
def test_any_data_is_refused_naming_x_or_y_or_accepted_before_any_simulation(
    regression, data, no_simulation
):
    if data is None:
        X, y = tiny_data()[0], np.zeros((6, 2), dtype=int)
        y[::2, 0] = 1
    else:
        X = data.draw(feature_arrays(), label="X")
        y = data.draw(labels_or_targets(n_rows(X), regression), label="y")
    estimator = (STDPRegressor if regression else STDPClassifier)(**BASE)
    if x_problem(X) or y_problem(y, n_rows(X), regression):
        with pytest.raises((ValueError, TypeError), match=r"\b[Xy]\b"):
            estimator.fit(X, y)
    else:
        with pytest.raises(WorkStarted):
            estimator.fit(X, y)


@FAST
@given(
    X=feature_arrays(),
    method=st.sampled_from(["predict", "predict_proba", "decision_function"]),
    classes=st.one_of(st.none(), st.lists(st.integers(0, 2), max_size=3)),
)
@example(X=np.full((2, 1), 0.5), method="predict", classes=[0, 2]).via(
    "a label outside classes is refused before the network is built"
)
def test_calls_before_fitting_are_refused_before_any_simulation(X, method, classes, no_simulation):
    clf = STDPClassifier(**BASE)
    with pytest.raises(ValueError, match=r"not fitted|\bX\b"):
        getattr(clf, method)(X)
    y = np.arange(n_rows(X)) % 2
    if x_problem(X):
        with pytest.raises((ValueError, TypeError), match=r"\bX\b"):
            clf.partial_fit(X, y, classes=classes)
    elif classes is None or len(set(classes)) < 2:
        with pytest.raises(ValueError, match="classes"):
            clf.partial_fit(X, y, classes=classes)
    elif not set(y) <= set(classes):
        with pytest.raises(ValueError, match="labels"):
            clf.partial_fit(X, y, classes=classes)
    else:
        with pytest.raises(WorkStarted):
            clf.partial_fit(X, y, classes=classes)


@FAST
@given(
    n_agents=st.one_of(st.integers(-1, 3), junk),
    n_features=st.one_of(st.integers(-1, 3), junk),
    classes=st.one_of(st.lists(st.integers(0, 3), max_size=4), junk),
    extra=st.sampled_from(
        [
            {},
            {"epochs": 2},
            {"bogus": 1},
            {"presentation_time": 7},
            {"readout": "linear"},
            {"encoding": "latency"},
        ]
    ),
)
def test_population_arguments_are_refused_by_name_or_accepted_before_any_simulation(
    n_agents, n_features, classes, extra, no_simulation
):
    problems = []
    if not (is_int(n_agents) and n_agents > 0):
        problems.append("n_agents")
    if not (is_int(n_features) and n_features > 0):
        problems.append("n_features")
    if not (isinstance(classes, list) and len(classes) >= 2 and len(set(classes)) == len(classes)):
        problems.append("classes")
    if set(extra) - {"readout", "encoding", "presentation_time"}:
        problems += list(extra) + ["parameter"]
    if "presentation_time" in extra:
        problems.append("presentation_time")
    if problems:
        with pytest.raises((ValueError, TypeError)) as error:
            SNNPopulation(n_agents, n_features, classes, n_neurons=3, **extra)
        assert any(problem in str(error.value) for problem in problems), str(error.value)
    else:
        with pytest.raises(WorkStarted):
            SNNPopulation(n_agents, n_features, classes, n_neurons=3, **extra)


# -- tiny real fits --------------------------------------------------------------------------------


@SIMULATED
@given(
    n_neurons=st.integers(2, 6),
    presentation_steps=st.integers(40, 80),
    rest_steps=st.integers(10, 20),
    n_samples=st.integers(4, 6),
    n_features=st.integers(1, 3),
    encoding=st.sampled_from(sorted(ENCODERS)),
    readout=st.sampled_from(sorted(READOUTS)),
    rule=st.sampled_from(sorted(RULES)),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_tiny_fits_predict_known_labels_with_probabilities_and_are_reproducible(
    n_neurons,
    presentation_steps,
    rest_steps,
    n_samples,
    n_features,
    encoding,
    readout,
    rule,
    seed,
    data,
):
    X = data.draw(
        hnp.arrays(np.float64, (n_samples, n_features), elements=st.floats(0, 1)), label="X"
    )
    y = np.array(["a", "b"] * n_samples)[:n_samples]
    settings = dict(
        n_neurons=n_neurons,
        presentation_time=presentation_steps * DT,
        rest_time=rest_steps * DT,
        encoding=encoding,
        readout=readout,
        rule=rule,
        epochs=1,
        random_state=seed,
    )
    first = STDPClassifier(**settings).fit(X, y)
    proba = first.predict_proba(X)
    predicted = first.predict(X)
    assert list(first.classes_) == ["a", "b"]
    assert np.isin(predicted, first.classes_).all() and predicted.shape == (n_samples,)
    assert proba.shape == (n_samples, 2) and np.isfinite(proba).all()
    assert (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    second = STDPClassifier(**settings).fit(X, y)  # (each call is a Brian2 run: few of them)
    np.testing.assert_array_equal(second.weights_, first.weights_)
    np.testing.assert_array_equal(second.predict(X), predicted)


# -- encoders ----------------------------------------------------------------------------------------


@FAST
@given(
    X=feature_arrays(),
    duration=st.one_of(st.integers(1, 200).map(lambda k: k * 0.5 * ms), time_values()),
    dt=st.one_of(st.sampled_from([0.5 * ms, 0.1 * ms, 1 * ms]), time_values()),
    max_rate=st.one_of(st.floats(1, 2000).map(lambda v: v * Hz), rate_values()),
    encoding=st.sampled_from(sorted(ENCODERS)),
    random_state=st.one_of(
        st.integers(0, 2**32), st.none(), st.integers(-3, -1), st.text(max_size=2)
    ),
)
@example(
    X=np.ones((1, 1)),
    duration=10 * ms,
    dt=0.5 * ms,
    max_rate=100 * Hz,
    encoding="poisson",
    random_state=-1,
).via("a negative seed is refused naming random_state")
@example(
    X=np.full((1, 2), 0.5 + 0.5j),
    duration=10 * ms,
    dt=0.5 * ms,
    max_rate=100 * Hz,
    encoding="latency",
    random_state=0,
).via("complex features are refused, not truncated")
def test_encoders_give_spikes_inside_the_window_or_refuse_by_name(
    X, duration, dt, max_rate, encoding, random_state
):
    dt_ok = valid_time(dt, multiple_of=None)
    problems = []
    if x_problem(X, allow_no_samples=True):
        problems.append("X")
    if not valid_time(duration, multiple_of=dt if dt_ok else None):
        problems.append("duration")
    if not dt_ok:
        problems.append("dt")
    if encoding == "poisson":
        rate = scalar_of(max_rate, Hz)
        if rate is None or rate <= 0 or (dt_ok and float(max_rate * dt) > 1):
            problems.append("max_rate")
        if not valid_random_state(random_state):
            problems.append("random_state")
    encoder = ENCODERS[encoding]
    if problems:
        with pytest.raises((ValueError, TypeError)) as error:
            encoder(X, duration, max_rate=max_rate, dt=dt, random_state=random_state)
        assert any(problem in str(error.value) for problem in problems), str(error.value)
        return
    X = np.asarray(X, dtype=float)
    n_steps = int(round(float(duration / dt)))
    sample, channel, step = encoder(
        X, duration, max_rate=max_rate, dt=dt, random_state=random_state
    )
    assert len(sample) == len(channel) == len(step)
    assert ((0 <= sample) & (sample < len(X))).all() and (
        (0 <= channel) & (channel < X.shape[1])
    ).all()
    assert ((0 <= step) & (step < n_steps)).all()
    assert len(set(zip(sample.tolist(), channel.tolist(), step.tolist()))) == len(sample)
    assert (X[sample, channel] > 0).all()  # a zero feature never fires
    counts = np.zeros(X.shape)
    np.add.at(counts, (sample, channel), 1)
    if encoding == "latency":
        np.testing.assert_array_equal(counts, X > 0)
    else:
        p = X * float(max_rate * dt)
        mean = p * n_steps
        spread = np.sqrt(n_steps * p * (1 - p))
        # Bernoulli counts: at most n_steps, and within 8 standard deviations of the mean.
        assert (counts <= n_steps).all() and (np.abs(counts - mean) <= 8 * spread + 1).all()


# -- stdp_window ---------------------------------------------------------------------------------------

STDP_ARGUMENTS = {
    "rule": (
        st.one_of(names(RULES), st.just(RULES["stdp"]())),
        lambda v: (isinstance(v, str) and v in RULES) or isinstance(v, snn.PlasticityRule),
    ),
    "delta_t": (
        st.one_of(
            st.lists(st.integers(-20, 20).map(lambda k: k * 5.0), min_size=1, max_size=4),
            st.just([]),
            st.just([np.nan]),
            st.just(["a"]),
            st.just([[1.0, 2.0]]),
            st.just(np.array([-10.0, 10.0]) * ms),
            st.just(np.array([1.0]) * mV),
            st.just([0.05]),
            st.just([2000.0]),
        ),
        "delta_t",
    ),
    "pairing_frequency": (
        st.one_of(
            st.sampled_from([1, 2, 5, 0, -1, np.nan]).map(lambda v: v * Hz), st.just(5 * ms), junk
        ),
        lambda v: scalar_of(v, Hz) is not None and scalar_of(v, Hz) > 0,
    ),
    "n_pairings": (st.one_of(st.integers(-1, 5), junk), lambda v: is_int(v) and v > 0),
    "dt": (
        st.one_of(st.sampled_from([0.1, 0.5, 1.0, 0.0, -0.1]).map(lambda v: v * ms), junk),
        lambda v: valid_time(v, multiple_of=None),
    ),
    "initial_weight": (
        st.one_of(st.none(), st.floats(0, 1), junk),
        lambda v: v is None or finite_real(v),
    ),
    "reward": (st.one_of(st.floats(-1, 1), junk), lambda v: finite_real(v)),
    "codegen_target": (
        st.one_of(st.sampled_from(["numpy", "cython", None]), junk),
        lambda v: v in ("numpy", "cython", None) and not isinstance(v, bool),
    ),
}


def valid_delta_t(value, dt=0.1 * ms, frequency=1 * Hz):
    if isinstance(value, Quantity):
        if value.dim != ms.dim:
            return False
        value = np.asarray(value / ms)
    try:
        delta = np.atleast_1d(np.asarray(value, dtype=float))
    except ValueError:
        return False
    if delta.ndim != 1 or delta.size == 0 or not np.isfinite(delta).all():
        return False
    steps = delta / float(dt / ms)
    period = 1000.0 / float(frequency / Hz)
    return bool(np.all(np.abs(steps - np.round(steps)) <= 1e-6) and np.all(np.abs(delta) < period))


@FAST
@given(name=st.sampled_from(sorted(STDP_ARGUMENTS)), data=st.data(), explicit=st.none())
@example(name="initial_weight", data=None, explicit=("heavy",)).via(
    "initial_weight is checked before the network is built"
)
@example(name="pairing_frequency", data=None, explicit=(None,)).via(
    "a value without dimensions is refused naming it"
)
@example(name="delta_t", data=None, explicit=(["a"],)).via("text is refused naming delta_t")
def test_stdp_window_refuses_bad_arguments_by_name_before_any_simulation(
    name, data, explicit, no_simulation
):
    strategy, valid = STDP_ARGUMENTS[name]
    value = explicit[0] if explicit else data.draw(strategy, label=name)
    arguments = {"rule": "stdp", "delta_t": [-10.0, 10.0], "n_pairings": 2, name: value}
    ok = valid_delta_t(value) if name == "delta_t" else valid(value)
    if ok:
        with pytest.raises(WorkStarted):
            stdp_window(**arguments)
        return
    with pytest.raises((ValueError, TypeError)) as error:
        stdp_window(**arguments)
    message = str(error.value)
    assert name in message or (name == "rule" and "rule" in message), message


@FAST
@given(X=feature_arrays())
def test_check_features_accepts_exactly_the_documented_inputs(X):
    if x_problem(X, allow_no_samples=True):
        with pytest.raises(ValueError, match="X"):
            check_features(X)
    else:
        np.testing.assert_array_equal(check_features(X), np.asarray(X, dtype=float))


# -- the population's data checks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def population():
    """One small population (built once: constructing Brian2 objects is not free)."""
    previous, _brian._chosen_target = _brian._chosen_target, "numpy"
    try:
        yield SNNPopulation(
            2,
            2,
            ["a", "b"],
            n_neurons=2,
            presentation_time=20 * ms,
            rest_time=5 * ms,
            random_state=0,
        )
    finally:
        _brian._chosen_target = previous


@st.composite
def agent_batches(draw, n_agents):
    """Per-agent (X, y), mostly valid; sometimes the wrong count, width, values, dtype or labels."""
    count = draw(st.one_of(st.just(n_agents), st.integers(0, n_agents + 1)))
    Xs, ys = [], []
    for _ in range(count):
        n = draw(st.integers(0, 3))
        width = draw(st.one_of(st.just(2), st.integers(1, 3)))
        X = draw(hnp.arrays(np.float64, (n, width), elements=st.floats(0, 1)))
        if X.size and draw(st.integers(0, 4)) == 0:
            X.flat[0] = draw(st.sampled_from([-0.5, 1.5, np.nan]))
        kind = draw(st.sampled_from(["float", "float", "float", "complex", "text", "list"]))
        X = {"float": X, "complex": X + 0.5j, "text": X.astype(str), "list": X.tolist()}[kind]
        length = draw(st.one_of(st.just(n), st.integers(0, 3)))
        Xs.append(X)
        ys.append(
            np.array(
                draw(st.lists(st.sampled_from(["a", "b", "z"]), min_size=length, max_size=length))
            )
        )
    return Xs, ys


def agent_problem(X):
    array = np.asarray(X)
    if array.size == 0 and array.ndim in (1, 2):
        return None  # no data for this agent
    if array.dtype.kind == "U":  # text is refused, as every learner's data check does
        return "text"
    return x_problem(array) or ("width" if array.shape[1] != 2 else None)


@FAST
@given(data=st.data(), explicit=st.none())
@example(
    data=None,
    explicit=([np.full((1, 2), 0.5 + 0.5j), np.zeros((0, 2))], [np.array(["a"]), np.array([])]),
).via("complex inputs are refused, not truncated")
def test_population_partial_fit_refuses_bad_batches_by_name_before_any_simulation(
    data, explicit, population, monkeypatch
):
    monkeypatch.setattr(population._agents, "train", refuse_work)
    Xs, ys = explicit if explicit else data.draw(agent_batches(2), label="batches")
    # The documented order of the checks: the number of inputs, each input, each label array.
    culprits = [] if len(Xs) == 2 else ["Xs"]
    culprits += [f"Xs[{i}]" for i, X in enumerate(Xs) if agent_problem(X)]
    lengths = [0 if agent_problem(X) is None and np.asarray(X).size == 0 else len(X) for X in Xs]
    culprits += [
        f"ys[{i}]"
        for i, (n, y) in enumerate(zip(lengths, ys))
        if not (n == 0 and y.size == 0) and (len(y) != n or not np.isin(y, ["a", "b"]).all())
    ]
    if culprits:
        with pytest.raises((ValueError, TypeError), match=re.escape(culprits[0])):
            population.partial_fit(Xs, ys)
    elif any(lengths):
        with pytest.raises(WorkStarted):
            population.partial_fit(Xs, ys)
    else:
        assert population.partial_fit(Xs, ys) is population
