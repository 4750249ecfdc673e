"""Property-based tests (hypothesis) of the ann package's public API.

Random hyperparameters, data and call orders go into MLPClassifier,
MLPRegressor and MLPPopulation. What comes out is either a valid result
(right shapes, finite values, probabilities in [0, 1] summing to 1, labels
from ``classes_``) or a documented exception: ValueError/TypeError naming the
parameter (or X / y for bad data), NotFittedError before fitting, and the
FloatingPointError naming the epoch and the learning_rate when training
diverges. Whether an input is valid is decided by an independent model of
the documented contract, written here, not by the library's own checks.

Registries: finite arrays through every registered activation, loss,
optimizer and learning rule stay finite and keep their shapes; derivatives
agree with finite differences.
"""

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError

from ann import ACTIVATIONS, LOSSES, OPTIMIZERS, RULES, MLPClassifier, MLPPopulation, MLPRegressor
from ann.network import StackedMLP
from ann.optimizers import make_optimizer
from ann.rules import make_rule

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

SMALL = dict(hidden_layer_sizes=(5,), epochs=2, batch_size=8, random_state=0)


# -- an independent model of the parameter contract -------------------------------------------


def is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def positive_int(value):
    return is_int(value) and value > 0


def finite_real(value, low=-math.inf, low_open=False, high=math.inf, high_open=False):
    if not is_real(value) or not math.isfinite(value):
        return False
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return above and below


def valid_sizes(value):
    if is_int(value):
        return value > 0
    return isinstance(value, (tuple, list)) and all(positive_int(size) for size in value)


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
    st.integers(-5, 5),
    st.lists(st.integers(-1, 3), max_size=2),
    st.just(np.float64(np.nan)),
    st.just(np.int64(3)),
    st.just(np.bool_(True)),
)


def names(registry):
    return st.one_of(st.sampled_from(sorted(registry)), junk, st.text(min_size=1, max_size=8))


VALID_DTYPES = ("float64", "float32", "f4", "f8", np.float32, np.float64)

#: parameter -> (values to try, valid according to the documentation)
HYPERPARAMETERS = {
    "hidden_layer_sizes": (
        st.one_of(
            st.integers(-2, 6),
            junk,
            st.lists(
                st.one_of(st.integers(-2, 6), st.booleans(), st.floats(0, 5), st.text(max_size=1)),
                max_size=3,
            ).map(tuple),
        ),
        valid_sizes,
    ),
    "activation": (names(ACTIVATIONS), lambda v: isinstance(v, str) and v in ACTIVATIONS),
    "rule": (names(RULES), lambda v: isinstance(v, str) and v in RULES),
    "optimizer": (names(OPTIMIZERS), lambda v: isinstance(v, str) and v in OPTIMIZERS),
    "learning_rate": (
        st.one_of(st.floats(1e-4, 0.5), junk, st.floats(1e3, 1e300), st.floats(-1e3, 0)),
        lambda v: finite_real(v, low=0, low_open=True),
    ),
    "batch_size": (st.one_of(st.integers(-2, 20), junk), positive_int),
    "alpha": (
        st.one_of(st.floats(0, 1), junk, st.floats(1e100, 1e300), st.floats(-1, 0)),
        lambda v: finite_real(v, low=0),
    ),
    "shuffle": (st.one_of(st.booleans(), junk), lambda v: isinstance(v, (bool, np.bool_))),
    "random_state": (
        st.one_of(
            st.integers(-3, 2**70),
            junk,
            st.integers(0, 9).map(np.random.default_rng),
            st.integers(0, 9).map(np.random.SeedSequence),
        ),
        valid_random_state,
    ),
    "dtype": (
        st.sampled_from(
            VALID_DTYPES + ("float16", "int64", "complex128", "text", "", 5, np.int32, "object")
        ),
        lambda v: any(v is d or (isinstance(v, str) and v == d) for d in VALID_DTYPES),
    ),
}
ESTIMATOR_ONLY = {"epochs": (st.one_of(st.integers(-1, 3), junk), positive_int)}
POPULATION_ONLY = {"epochs_per_call": (st.one_of(st.integers(-1, 3), junk), positive_int)}

#: keyword arguments each rule / optimizer documents, with their valid values
RULE_KEYWORDS = {
    "backprop": {},
    "feedback_alignment": {
        "feedback_scale": lambda v: v is None or finite_real(v, low=0, low_open=True)
    },
}
OPTIMIZER_KEYWORDS = {
    "sgd": {},
    "momentum": {
        "momentum": lambda v: finite_real(v, low=0, high=1, high_open=True),
        "nesterov": lambda v: isinstance(v, (bool, np.bool_)),
    },
    "adam": {
        "beta_1": lambda v: finite_real(v, low=0, high=1, high_open=True),
        "beta_2": lambda v: finite_real(v, low=0, high=1, high_open=True),
        "epsilon": lambda v: finite_real(v, low=0, low_open=True),
    },
}
keyword_values = st.one_of(st.floats(0, 1, exclude_max=True), junk, st.floats(1, 1e3))


def dataset(n_samples=12, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n_samples, n_features))
    return X, np.arange(n_samples) % 3, X @ np.arange(1, n_features + 1)


# -- what a valid result looks like ------------------------------------------------------------


def assert_divergence_message(error):
    message = str(error)
    assert re.search(r"epoch \d+|call \d+", message), message
    assert "learning_rate=" in message, message


def assert_valid_outputs(estimator, X, y):
    if isinstance(estimator, MLPClassifier):
        proba = estimator.predict_proba(X)
        assert proba.shape == (len(X), len(estimator.classes_))
        assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
        tolerance = 1e-5 if proba.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=tolerance)
        predicted = estimator.predict(X)
        np.testing.assert_array_equal(predicted, estimator.classes_[proba.argmax(axis=1)])
        assert 0.0 <= estimator.score(X, y) <= 1.0
    else:
        predicted = estimator.predict(X)
        assert predicted.shape == np.shape(y) and np.isfinite(predicted).all()
        if len(X) > 1:  # (R^2 of a single sample is undefined)
            with np.errstate(over="ignore"):  # (scikit-learn squares predictions near 1e300)
                assert not math.isnan(estimator.score(X, y))
    history = estimator.history_
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))
    assert all(math.isfinite(h["loss"]) for h in history)


def fit_or_diverge(estimator, X, y, method="fit", **kwargs):
    """Fit; a divergence must be the documented FloatingPointError. True if fitted."""
    try:
        getattr(estimator, method)(X, y, **kwargs)
    except FloatingPointError as error:
        assert_divergence_message(error)
        return False
    return True


# -- hyperparameters ---------------------------------------------------------------------------


@FAST
@given(
    name=st.sampled_from(sorted({**HYPERPARAMETERS, **ESTIMATOR_ONLY})),
    estimator_class=st.sampled_from([MLPClassifier, MLPRegressor]),
    data=st.data(),
    explicit=st.none(),
)
@example(name="hidden_layer_sizes", estimator_class=MLPClassifier, data=None, explicit="").via(
    "a string is no sequence of sizes"
)
@example(name="dtype", estimator_class=MLPRegressor, data=None, explicit="text").via(
    "an unreadable dtype is not float64"
)
def test_any_hyperparameter_is_used_or_refused_by_name(name, estimator_class, data, explicit):
    strategy, valid = {**HYPERPARAMETERS, **ESTIMATOR_ONLY}[name]
    value = explicit if data is None else data.draw(strategy, label=name)
    X, labels, targets = dataset()
    y = labels if estimator_class is MLPClassifier else targets
    estimator = estimator_class(**{**SMALL, name: value})
    if not valid(value):
        with pytest.raises((ValueError, TypeError), match=name):
            estimator.fit(X, y)
        return
    if fit_or_diverge(estimator, X, y):
        assert_valid_outputs(estimator, X, y)


def keyword_dicts(registry_keywords, name_key):
    """(registered name, its keyword dict or junk) pairs; keys known and unknown."""
    return st.sampled_from(sorted(registry_keywords)).flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.one_of(
                st.none(),
                junk.filter(lambda v: v is not None),
                st.dictionaries(
                    st.sampled_from(sorted(registry_keywords[name]) + ["bogus", name_key]),
                    keyword_values,
                    max_size=2,
                ),
            ),
        )
    )


def valid_keywords(value, accepted):
    if value is None:
        return True
    return isinstance(value, dict) and all(
        key in accepted and accepted[key](v) for key, v in value.items()
    )


@FAST
@given(
    rule=keyword_dicts(RULE_KEYWORDS, "learning_rate"),
    optimizer=keyword_dicts(OPTIMIZER_KEYWORDS, "learning_rate"),
)
@example(rule=("feedback_alignment", {"feedback_scale": "0.5"}), optimizer=("sgd", None))
@example(rule=("feedback_alignment", {"feedback_scale": True}), optimizer=("sgd", None))
@example(rule=("backprop", None), optimizer=("momentum", {"momentum": "0.5"}))
@example(rule=("backprop", None), optimizer=("adam", {"epsilon": math.inf}))
def test_rule_and_optimizer_keywords_are_used_or_refused_by_name(rule, optimizer):
    (rule_name, rule_params), (optimizer_name, optimizer_params) = rule, optimizer
    X, labels, _ = dataset()
    clf = MLPClassifier(
        **SMALL,
        rule=rule_name,
        rule_params=rule_params,
        optimizer=optimizer_name,
        optimizer_params=optimizer_params,
    )
    problems = []
    if not valid_keywords(rule_params, RULE_KEYWORDS[rule_name]):
        problems += ["rule_params"] + list(rule_params if isinstance(rule_params, dict) else [])
    if not valid_keywords(optimizer_params, OPTIMIZER_KEYWORDS[optimizer_name]):
        problems += ["optimizer_params"] + list(
            optimizer_params if isinstance(optimizer_params, dict) else []
        )
    if problems:
        with pytest.raises((ValueError, TypeError)) as error:
            clf.fit(X, labels)
        assert any(problem in str(error.value) for problem in problems), str(error.value)
        return
    if fit_or_diverge(clf, X, labels):
        assert_valid_outputs(clf, X, labels)


# -- data ----------------------------------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 1e300, -1e300, 1e40]


@st.composite
def feature_arrays(draw):
    """Mostly well-formed 2-D float matrices; sometimes other shapes, dtypes and values."""
    shape = draw(
        st.one_of(
            st.tuples(st.integers(1, 10), st.integers(1, 4)),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        )
    )
    values = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    if values.size and draw(st.booleans()):
        values.flat[draw(st.integers(0, values.size - 1))] = draw(st.sampled_from(SPECIAL))
    dtype = draw(
        st.sampled_from(
            [
                "float64",
                "float64",
                "float64",
                "float32",
                "int64",
                "bool",
                "object",
                "complex128",
                "str",
                "list",
            ]
        )
    )
    if dtype == "int64":  # (values too large for int64 stay float)
        return values.astype(np.int64) if (np.abs(values) < 2**62).all() else values
    if dtype == "bool":
        return values > 0
    if dtype == "str":
        return values.astype(str)
    if dtype == "list":
        return values.tolist()
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def x_problem(X):
    array = np.asarray(X)
    if array.dtype.kind == "O":  # an object array of numbers is converted, as scikit-learn does
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            return "dtype"
    if array.dtype.kind not in "biuf":
        return "dtype"
    if array.ndim != 2 or 0 in array.shape:
        return "shape"
    if not np.isfinite(array).all():
        return "values"
    return None


@st.composite
def label_arrays(draw, n_samples):
    pool = draw(st.sampled_from([[0, 1, 2], ["a", "b"], [0.5, 1.5, np.nan], [7], [-1, 1]]))
    length = draw(st.one_of(st.just(n_samples), st.integers(0, 12)))
    y = np.array(draw(st.lists(st.sampled_from(pool), min_size=length, max_size=length)))
    if draw(st.integers(0, 5)) == 0:
        y = y.reshape(-1, 1)
    return y


def label_problem(y, n_samples):
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()  # a column of labels is raveled with a warning, as scikit-learn does
    if y.ndim != 1 or len(y) != n_samples:
        return "shape"
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        return "values"
    if y.dtype.kind == "f" and (y != np.round(y)).any():
        return "real values are no class labels (scikit-learn: 'continuous')"
    if len(np.unique(y)) < 2:
        return "one class"
    return None


@st.composite
def target_arrays(draw, n_samples):
    length = draw(st.one_of(st.just(n_samples), st.integers(0, 12)))
    shape = draw(
        st.sampled_from([(length,), (length, 1), (length, 2), (length, 0), (length, 1, 1)])
    )
    y = draw(hnp.arrays(np.float64, shape, elements=st.floats(-5, 5)))
    if y.size and draw(st.booleans()):
        y.flat[draw(st.integers(0, y.size - 1))] = draw(st.sampled_from(SPECIAL))
    return y.astype(str) if draw(st.integers(0, 7)) == 0 else y


def target_problem(y, n_samples):
    if y.dtype.kind not in "biuf":
        return "dtype"
    if y.ndim not in (1, 2) or len(y) != n_samples or (y.ndim == 2 and y.shape[1] == 0):
        return "shape"
    if not np.isfinite(y).all():
        return "values"
    return None


def n_rows(X):
    array = np.asarray(X)
    return array.shape[0] if array.ndim else 0


@FAST
@given(data=st.data(), explicit=st.none())
@example(data=None, explicit=(dataset()[0], np.zeros((12, 0)), False)).via(
    "a (n, 0) target has no outputs to learn"
)
@example(data=None, explicit=(np.zeros((2, 1)), np.array([0.5, 1.5]), True)).via(
    "real-valued labels are refused by fit, as score cannot use them"
)
def test_classifier_and_regressor_fit_any_data_or_refuse_naming_x_or_y(data, explicit):
    if explicit:
        X, y, classification = explicit
    else:
        X = data.draw(feature_arrays(), label="X")
        classification = data.draw(st.booleans(), label="classification")
        targets = label_arrays if classification else target_arrays
        y = data.draw(targets(n_rows(X)), label="y")
    problem = x_problem(X) or (
        label_problem(y, n_rows(X)) if classification else target_problem(y, n_rows(X))
    )
    estimator = (MLPClassifier if classification else MLPRegressor)(**SMALL)
    if problem:
        with pytest.raises((ValueError, TypeError)) as error:
            estimator.fit(X, y)
        assert re.search(r"\b[Xy]\b", str(error.value)), str(error.value)
        return
    if fit_or_diverge(estimator, X, y):
        assert_valid_outputs(estimator, np.asarray(X), y)


def test_huge_targets_diverge_by_the_documented_error_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(FloatingPointError, match="epoch"):
            MLPRegressor(**SMALL).fit(np.zeros((2, 1)), np.array([1e300, 0.0]))


@FAST
@given(X=feature_arrays())
@example(X=np.full((2, 3), 1e300))
def test_a_fitted_estimator_predicts_on_any_input_or_refuses_it(X):
    features, labels, targets = dataset()
    for estimator in (
        MLPClassifier(**SMALL).fit(features, labels),
        MLPRegressor(**SMALL).fit(features, targets),
    ):
        problem = x_problem(X)
        if problem is None and np.shape(X)[1] != 3:
            problem = "features"
        if problem:
            with pytest.raises((ValueError, TypeError), match=r"\bX\b"):
                estimator.predict(X)
            continue
        try:
            y = estimator.predict(X)
        except FloatingPointError as error:  # inputs so large that the output overflows
            assert "X" in str(error), str(error)
            continue
        assert_valid_outputs(estimator, np.asarray(X), y)


# -- call order ------------------------------------------------------------------------------------

label_pool = st.sampled_from([0, 1, 2, 3])
operations = st.lists(
    st.tuples(
        st.sampled_from(["partial_fit", "partial_fit", "predict", "predict_proba", "score"]),
        st.integers(1, 3),  # n_features
        st.lists(label_pool, min_size=1, max_size=6),  # labels of the batch
        st.one_of(st.none(), st.lists(label_pool, max_size=4, unique=True)),
    ),  # classes=
    min_size=1,
    max_size=6,
)


@FAST
@given(ops=operations)
def test_partial_fit_and_predict_in_any_order_follow_the_contract(ops):
    clf = MLPClassifier(hidden_layer_sizes=(4,), batch_size=4, random_state=0)
    rng = np.random.default_rng(0)
    known_classes, n_features = None, None
    for method, n_feat, labels, classes in ops:
        X, y = rng.uniform(0, 1, (len(labels), n_feat)), np.array(labels)
        if method != "partial_fit":
            call = (
                (lambda: clf.score(X, y))
                if method == "score"
                else (lambda: getattr(clf, method)(X))
            )
            if known_classes is None:
                with pytest.raises(NotFittedError):
                    call()
            elif n_feat != n_features:
                with pytest.raises(ValueError, match="features"):
                    call()
            else:
                result = call()
                if method == "predict":
                    assert np.isin(result, known_classes).all() and len(result) == len(X)
                elif method == "predict_proba":
                    assert result.shape == (len(X), len(known_classes))
                    np.testing.assert_allclose(result.sum(axis=1), 1.0)
                else:
                    assert 0.0 <= result <= 1.0
            continue
        first = known_classes is None
        if not first and n_feat != n_features:
            expected = "features"
        elif first and classes is None:
            expected = "classes"
        elif classes is not None and (
            len(classes) < 2 or (not first and sorted(classes) != known_classes)
        ):
            expected = "classes"
        elif not set(labels) <= set(classes if first else known_classes):
            expected = "label"
        else:
            expected = None
        if expected:
            with pytest.raises(ValueError, match=expected):
                clf.partial_fit(X, y, classes=classes)
            continue
        clf.partial_fit(X, y, classes=classes)
        if first:
            known_classes, n_features = sorted(classes), n_feat
        np.testing.assert_array_equal(clf.classes_, known_classes)
        assert clf.n_features_in_ == n_features


@FAST
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["partial_fit", "partial_fit", "predict", "score"]),
            st.integers(1, 3),
            st.sampled_from([None, 1, 2]),
            st.integers(2, 6),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_regressor_partial_fit_and_predict_in_any_order_follow_the_contract(ops):
    reg = MLPRegressor(hidden_layer_sizes=(4,), batch_size=4, random_state=0)
    rng = np.random.default_rng(0)
    shape = None  # (n_features, n_outputs or None for a 1-D y) once fitted
    for method, n_features, n_outputs, n_samples in ops:
        X = rng.uniform(0, 1, (n_samples, n_features))
        y = rng.normal(size=(n_samples,) if n_outputs is None else (n_samples, n_outputs))
        if method != "partial_fit":
            call = (lambda: reg.score(X, y)) if method == "score" else (lambda: reg.predict(X))
            if shape is None:
                with pytest.raises(NotFittedError):
                    call()
            elif n_features != shape[0]:
                with pytest.raises(ValueError, match="features"):
                    call()
            elif method == "predict":
                expected = (n_samples,) if shape[1] is None else (n_samples, shape[1])
                predicted = call()
                assert predicted.shape == expected and np.isfinite(predicted).all()
            continue
        if shape is not None and n_features != shape[0]:
            with pytest.raises(ValueError, match="features"):
                reg.partial_fit(X, y)
        elif shape is not None and (n_outputs or 1) != (shape[1] or 1):
            with pytest.raises(ValueError, match="outputs"):
                reg.partial_fit(X, y)
        else:
            reg.partial_fit(X, y)
            shape = shape or (n_features, n_outputs)
            assert reg.n_features_in_ == shape[0] and reg.n_outputs_ == (shape[1] or 1)


# -- the population ------------------------------------------------------------------------------------


@FAST
@given(name=st.sampled_from(sorted({**HYPERPARAMETERS, **POPULATION_ONLY})), data=st.data())
def test_population_hyperparameters_are_used_or_refused_by_name(name, data):
    strategy, valid = {**HYPERPARAMETERS, **POPULATION_ONLY}[name]
    value = data.draw(strategy, label=name)
    arguments = {**dict(hidden_layer_sizes=(4,), random_state=0, batch_size=4), name: value}
    if not valid(value):
        with pytest.raises((ValueError, TypeError), match=name):
            MLPPopulation(2, 3, [0, 1, 2], **arguments)
        return
    pop = MLPPopulation(2, 3, [0, 1, 2], **arguments)
    X, labels, _ = dataset()
    try:
        pop.partial_fit([X, X[:5]], [labels, labels[:5]])
    except FloatingPointError as error:
        assert_divergence_message(error)
        return
    proba = pop.predict_proba(X)
    assert proba.shape == (2, len(X), 3) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0, rtol=1e-5)


@FAST
@given(
    n_agents=st.one_of(st.integers(-1, 3), junk),
    n_features=st.one_of(st.integers(-1, 3), junk),
    classes=st.one_of(
        st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["a", "b"])), max_size=4), junk
    ),
)
def test_population_shape_arguments_are_used_or_refused_by_name(n_agents, n_features, classes):
    problems = []
    if not positive_int(n_agents):
        problems.append("n_agents")
    if not positive_int(n_features):
        problems.append("n_features")
    labels = np.asarray(classes) if isinstance(classes, list) else None
    if (
        labels is None
        or labels.ndim != 1
        or len(np.unique(labels)) != len(labels)
        or len(labels) < 2
    ):
        problems.append("classes")
    if problems:
        with pytest.raises((ValueError, TypeError)) as error:
            MLPPopulation(n_agents, n_features, classes, hidden_layer_sizes=(3,))
        assert any(p in str(error.value) for p in problems), str(error.value)
        return
    pop = MLPPopulation(n_agents, n_features, classes, hidden_layer_sizes=(3,), random_state=0)
    assert pop.n_agents == n_agents and list(pop.classes_) == list(labels)


@st.composite
def agent_batches(draw, n_agents, n_features, classes):
    """Per-agent (X, y) lists, mostly right; sometimes the wrong count, width, length or label."""
    count = draw(st.one_of(st.just(n_agents), st.integers(0, n_agents + 1)))
    Xs, ys = [], []
    for _ in range(count):
        n = draw(st.integers(0, 5))
        width = draw(st.one_of(st.just(n_features), st.integers(1, n_features + 1)))
        X = draw(hnp.arrays(np.float64, (n, width), elements=st.floats(-2, 2)))
        if n and draw(st.integers(0, 6)) == 0:
            X[0, 0] = draw(st.sampled_from(SPECIAL[:3]))
        length = draw(st.one_of(st.just(n), st.integers(0, 5)))
        y = draw(st.lists(st.sampled_from(list(classes) + [99]), min_size=length, max_size=length))
        Xs.append(X)
        ys.append(np.array(y) if length else np.array([]))
    return Xs, ys


@FAST
@given(n_agents=st.integers(1, 3), data=st.data())
def test_population_partial_fit_takes_any_batches_or_refuses_them(n_agents, data):
    classes = ["no", "yes", "maybe"]
    pop = MLPPopulation(n_agents, 2, classes, hidden_layer_sizes=(4,), batch_size=3, random_state=1)
    Xs, ys = data.draw(agent_batches(n_agents, 2, classes), label="batches")
    # The documented order of the checks: the number of entries, every X's
    # width, every X's values, every y's length, every y's labels.
    culprits = [] if len(Xs) == n_agents else ["Xs"]
    culprits += [f"Xs[{i}]" for i, X in enumerate(Xs) if len(X) and X.shape[1] != 2]
    culprits += [f"Xs[{i}]" for i, X in enumerate(Xs) if not np.isfinite(X).all()]
    culprits += [f"ys[{i}]" for i, (X, y) in enumerate(zip(Xs, ys)) if len(y) != len(X)]
    culprits += [f"ys[{i}]" for i, y in enumerate(ys) if not np.isin(y, classes).all()]
    problem = culprits[0] if culprits else None
    before = pop.samples_seen_.copy()
    if problem:
        with pytest.raises((ValueError, TypeError), match=re.escape(problem)):
            pop.partial_fit(Xs, ys)
        np.testing.assert_array_equal(pop.samples_seen_, before)  # refused before any work
        return
    pop.partial_fit(Xs, ys)
    np.testing.assert_array_equal(pop.samples_seen_, [len(X) for X in Xs])
    probabilities = pop.predict_proba(Xs)
    for X, p in zip(Xs, probabilities):
        assert p.shape == (len(X), 3) and np.isfinite(p).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
    for X, labels in zip(Xs, pop.predict(Xs)):
        assert len(labels) == len(X) and np.isin(labels, classes).all()


@FAST
@given(i=st.one_of(st.integers(-2, 4), junk), shape_change=st.booleans(), key_change=st.booleans())
def test_population_parameters_move_between_agents_or_are_refused(i, shape_change, key_change):
    pop = MLPPopulation(3, 2, [0, 1], hidden_layer_sizes=(4,), random_state=0)
    if not (is_int(i) and 0 <= i < 3):
        with pytest.raises((ValueError, TypeError), match=r"\bi must be an integer in \[0, 3\)"):
            pop.get_agent_weights(i)
        return
    params = pop.get_agent_weights((i + 1) % 3)
    if shape_change:
        params["weights_0"] = params["weights_0"][:1]
    if key_change:
        params["extra"] = np.zeros(1)
    if shape_change or key_change:
        with pytest.raises(ValueError, match="weights"):
            pop.set_agent_weights(i, params)
        return
    pop.set_agent_weights(i, params)
    for key, value in pop.get_agent_weights(i).items():
        np.testing.assert_array_equal(value, params[key])


# -- registries ----------------------------------------------------------------------------------------

finite_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
    elements=st.floats(-1e100, 1e100),
)


@FAST
@given(name=st.sampled_from(sorted(ACTIVATIONS)), z=finite_arrays)
def test_every_activation_keeps_finite_input_finite_and_its_shape(name, z):
    activation = ACTIVATIONS[name]
    a = activation.function(z.copy())
    assert a.shape == z.shape and np.isfinite(a).all()
    derivative = activation.derivative(a)
    assert derivative.shape == z.shape and np.isfinite(derivative).all()


@FAST
@given(
    name=st.sampled_from(sorted(ACTIVATIONS)),
    z=hnp.arrays(
        np.float64, st.integers(1, 8), elements=st.floats(-5, 5).filter(lambda v: abs(v) > 1e-2)
    ),
)
def test_every_activation_derivative_matches_a_finite_difference(name, z):
    function, derivative = ACTIVATIONS[name]
    step = 1e-6
    numeric = (function(z + step) - function(z - step)) / (2 * step)
    np.testing.assert_allclose(derivative(function(z.copy())), numeric, rtol=1e-4, atol=1e-7)


@FAST
@given(name=st.sampled_from(sorted(LOSSES)), data=st.data())
def test_every_loss_gives_finite_nonnegative_values_per_sample(name, data):
    n, k = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4))
    z = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-1e100, 1e100)))
    output, per_sample = LOSSES[name]
    prediction = output(z)
    assert prediction.shape == (n, k) and np.isfinite(prediction).all()
    if name == "cross_entropy":
        assert (prediction >= 0).all() and (prediction <= 1).all()
        np.testing.assert_allclose(prediction.sum(axis=1), 1.0)
        target = np.eye(k)[data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))]
    else:
        target = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-1e100, 1e100)))
    loss = per_sample(target, prediction)
    assert loss.shape == (n,) and np.isfinite(loss).all() and (loss >= 0).all()


@FAST
@given(name=st.sampled_from(sorted(OPTIMIZERS)), n_networks=st.integers(1, 4), data=st.data())
def test_every_optimizer_keeps_parameters_finite_and_leaves_inactive_networks_alone(
    name, n_networks, data
):
    shape = (n_networks, data.draw(st.integers(1, 5)))
    theta = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e3, 1e3)))
    active = data.draw(hnp.arrays(np.bool_, n_networks))
    optimizer = make_optimizer(name, [theta], data.draw(st.floats(1e-6, 1.0)), (n_networks,))
    for _ in range(3):
        grad = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e100, 1e100)))
        before = theta.copy()
        optimizer.step([theta], [grad], active)
        assert theta.shape == shape and np.isfinite(theta).all()
        np.testing.assert_array_equal(theta[~active], before[~active])


@FAST
@given(
    rule=st.sampled_from(sorted(RULES)),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    n_samples=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_every_rule_gives_finite_gradients_shaped_like_the_parameters(
    rule, activation, sizes, n_samples, seed
):
    network = StackedMLP(
        sizes,
        None,
        activation=activation,
        loss="cross_entropy",
        rule=rule,
        optimizer="sgd",
        learning_rate=0.1,
        alpha=0.0,
    )
    rng = np.random.default_rng(seed)
    network.initialize(rng, rng)
    X = rng.uniform(-1, 1, (n_samples, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n_samples)]
    loss, grad, output = network.loss_and_gradient(X, Y, 1.0 / n_samples, n_samples)
    assert grad.shape == network.theta.shape and np.isfinite(grad).all()
    assert output.shape == (n_samples, sizes[-1]) and np.isfinite(loss)
    assert make_rule(rule).backward_macs(tuple(sizes)) >= 0
