"""Bad input is refused early, with the parameter and value named; divergence stops training."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from ann import MLPClassifier, MLPPopulation, MLPRegressor

X = np.random.default_rng(0).uniform(size=(20, 3))
y = np.arange(20) % 2


@pytest.mark.parametrize(
    "params, error, message",
    [
        (
            {"activation": "softplus"},
            ValueError,
            r"unknown activation='softplus'.*identity.*relu.*sigmoid.*tanh",
        ),
        ({"optimizer": "rmsprop"}, ValueError, r"unknown optimizer='rmsprop'.*adam.*momentum.*sgd"),
        ({"rule": "hebb"}, ValueError, r"unknown rule='hebb'.*backprop.*feedback_alignment"),
        ({"hidden_layer_sizes": (8, 0)}, ValueError, r"hidden_layer_sizes.*positive.*\(8, 0\)"),
        ({"hidden_layer_sizes": (8, -2)}, ValueError, r"hidden_layer_sizes"),
        ({"hidden_layer_sizes": (8.5,)}, ValueError, r"hidden_layer_sizes"),
        ({"hidden_layer_sizes": "64"}, ValueError, r"hidden_layer_sizes"),
        (
            {"learning_rate": 0},
            ValueError,
            r"learning_rate must be a positive number, got learning_rate=0",
        ),
        ({"learning_rate": -0.1}, ValueError, r"learning_rate=-0.1"),
        ({"learning_rate": float("nan")}, ValueError, r"learning_rate"),
        ({"batch_size": 0}, ValueError, r"batch_size must be a positive integer, got batch_size=0"),
        ({"batch_size": 2.5}, TypeError, r"batch_size"),
        ({"epochs": 0}, ValueError, r"epochs.*got epochs=0"),
        ({"alpha": -1}, ValueError, r"alpha must be a non-negative number, got alpha=-1"),
        ({"shuffle": "yes"}, TypeError, r"shuffle"),
        ({"random_state": -3}, ValueError, r"random_state"),
        ({"random_state": "seed"}, TypeError, r"random_state"),
        ({"dtype": "int32"}, ValueError, r"dtype"),
        ({"optimizer_params": {"beta_3": 0.5}}, ValueError, r"beta_3.*beta_1"),
        ({"optimizer": "sgd", "optimizer_params": {"momentum": 0.5}}, ValueError, r"momentum.*sgd"),
        ({"rule_params": {"feedback_scale": 1.0}}, ValueError, r"feedback_scale.*backprop"),
        (
            {"rule": "feedback_alignment", "rule_params": {"feedback_scale": -1.0}},
            ValueError,
            r"feedback_scale=-1.0",
        ),
    ],
)
def test_bad_hyperparameters_are_named(params, error, message):
    clf = MLPClassifier(**params)
    with pytest.raises(error, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")  # nothing was built


@pytest.mark.parametrize(
    "X_bad, y_bad, error, message",
    [
        (
            np.where(np.eye(20, 3) == 1, np.nan, X),
            y,
            ValueError,
            r"X contains NaN or infinity.*row 0, column 0",
        ),
        (np.where(np.eye(20, 3) == 1, np.inf, X), y, ValueError, r"X contains NaN or infinity"),
        (X, y[:-1], ValueError, r"different lengths.*X has 20.*y has 19"),
        (X[:, 0], y, ValueError, r"X must be 2-D.*shape \(20,\).*reshape"),
        (X[:0], y[:0], ValueError, r"X is empty"),
        (X, np.zeros(20), ValueError, r"only one class"),
        (X.astype(str), y, TypeError, r"X must contain real numbers"),
        (None, y, TypeError, r"X must be a 2-D array"),
        (X, y.reshape(-1, 2), ValueError, r"y must be 1-D.*shape \(10, 2\)"),
        (X * 1e300, y, ValueError, r"X has values too large for float32.*dtype='float64'"),
    ],
)
def test_bad_training_data_is_named(X_bad, y_bad, error, message):
    with pytest.raises(error, match=message):
        MLPClassifier(dtype="float32").fit(X_bad, y_bad)


def test_a_column_of_labels_is_raveled_with_a_warning_as_in_scikit_learn():
    from sklearn.exceptions import DataConversionWarning

    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = MLPClassifier(epochs=2, random_state=0).fit(X, y.reshape(-1, 1))
    flat = MLPClassifier(epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(column.predict_proba(X), flat.predict_proba(X))


def test_regressor_rejects_bad_targets():
    with pytest.raises(ValueError, match="y contains NaN"):
        MLPRegressor().fit(X, np.where(y == 0, np.nan, 1.0))
    with pytest.raises(TypeError, match="y must contain real numbers"):
        MLPRegressor().fit(X, y.astype(str))
    reg = MLPRegressor(epochs=1).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="2 outputs.*built for 1"):
        reg.partial_fit(X, np.column_stack([y, y]).astype(float))


def test_predict_before_fit_and_wrong_feature_count():
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(X)
    clf = MLPClassifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 2 features, but MLPClassifier is expecting 3"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match=r"X contains NaN"):
        clf.predict_proba(np.full((1, 3), np.nan))


def test_partial_fit_labels_and_classes():
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="at least 2"):
        MLPClassifier().partial_fit(X, y * 0, classes=[0])
    clf = MLPClassifier().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"label 7 which is not in classes=\[0, 1, 2\]"):
        clf.partial_fit(X, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match=r"differs from the classes_"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"label 'c' which is not in classes=\['a', 'b'\]"):
        MLPClassifier().partial_fit(X, np.array(["a", "c"] * 10), classes=["a", "b"])


def test_divergence_names_the_epoch_and_learning_rate():
    task_X = np.random.default_rng(1).uniform(size=(50, 4)) * 100
    with pytest.raises(FloatingPointError, match=r"diverged in epoch \d+.*learning_rate=1e\+30"):
        MLPRegressor(optimizer="sgd", learning_rate=1e30, epochs=5, random_state=0).fit(
            task_X, task_X.sum(axis=1)
        )


# -- population ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, params, error, message",
    [
        ((0, 3, [0, 1]), {}, ValueError, r"n_agents must be a positive integer, got n_agents=0"),
        ((2.5, 3, [0, 1]), {}, TypeError, r"n_agents"),
        ((2, 0, [0, 1]), {}, ValueError, r"n_features"),
        ((2, 3, [0]), {}, ValueError, r"classes must hold at least 2"),
        ((2, 3, [0, 1, 1]), {}, ValueError, r"classes contains duplicates"),
        ((2, 3, [0, 1]), {"rule": "hebb"}, ValueError, r"unknown rule='hebb'.*backprop"),
        ((2, 3, [0, 1]), {"activation": "gelu"}, ValueError, r"unknown activation='gelu'"),
        ((2, 3, [0, 1]), {"optimizer": "lbfgs"}, ValueError, r"unknown optimizer='lbfgs'"),
        ((2, 3, [0, 1]), {"learning_rate": 0.0}, ValueError, r"learning_rate"),
        ((2, 3, [0, 1]), {"hidden_layer_sizes": (0,)}, ValueError, r"hidden_layer_sizes"),
        ((2, 3, [0, 1]), {"epochs_per_call": 0}, ValueError, r"epochs_per_call"),
        ((2, 3, [0, 1]), {"optimizer_params": {"beta": 1}}, ValueError, r"beta"),
    ],
)
def test_population_constructor_checks(args, params, error, message):
    with pytest.raises(error, match=message):
        MLPPopulation(*args, **params)


def test_population_data_checks():
    pop = MLPPopulation(3, 3, ["a", "b"], dtype="float32", random_state=0)
    good_X, good_y = [X[:5]] * 3, [np.array(["a", "b", "a", "b", "a"])] * 3
    with pytest.raises(ValueError, match=r"Xs must have one entry per agent: expected 3, got 2"):
        pop.partial_fit(good_X[:2], good_y)
    with pytest.raises(ValueError, match=r"ys must have one entry per agent: expected 3, got 4"):
        pop.partial_fit(good_X, good_y + good_y[:1])
    with pytest.raises(TypeError, match=r"Xs must be a list"):
        pop.partial_fit(5, good_y)
    with pytest.raises(ValueError, match=r"Xs\[1\] contains NaN"):
        pop.partial_fit([X[:5], np.full((5, 3), np.nan), X[:5]], good_y)
    with pytest.raises(ValueError, match=r"Xs\[2\] has values too large for float32"):
        pop.partial_fit([X[:5], X[:5], X[:5] * 1e300], good_y)
    with pytest.raises(ValueError, match=r"Xs\[2\] has 2 features"):
        pop.partial_fit([X[:5], X[:5], X[:5, :2]], good_y)
    with pytest.raises(ValueError, match=r"Xs\[0\] must be 2-D"):
        pop.partial_fit([X[:5, 0], X[:5], X[:5]], good_y)
    with pytest.raises(ValueError, match=r"Xs\[1\] and ys\[1\] have different lengths"):
        pop.partial_fit(good_X, [good_y[0], good_y[0][:3], good_y[0]])
    with pytest.raises(ValueError, match=r"ys\[2\] contains label 'c' which is not in classes"):
        pop.partial_fit(good_X, [good_y[0], good_y[0], np.array(["c"] * 5)])
    with pytest.raises(ValueError, match=r"Xs must have one entry per agent"):
        pop.predict([X[:5]])
    with pytest.raises(ValueError, match=r"X has 2 features"):
        pop.predict(X[:, :2])
    before = pop.cost().copy()
    with pytest.raises(ValueError):
        pop.partial_fit(good_X, [good_y[0], good_y[0], np.array(["c"] * 5)])
    np.testing.assert_array_equal(pop.cost(), before)  # refused before any work
    assert pop.samples_seen_.sum() == 0


def test_population_params_checks():
    pop = MLPPopulation(2, 3, [0, 1], hidden_layer_sizes=(4,), random_state=0)
    params = pop.get_agent_weights(0)
    with pytest.raises(ValueError, match=r"i must be an integer in \[0, 2\), got i=2"):
        pop.get_agent_weights(2)
    with pytest.raises(TypeError, match=r"i must be an integer.*got i=1.0"):
        pop.set_agent_weights(1.0, params)
    with pytest.raises(ValueError, match=r"weights must be a dict with keys"):
        pop.set_agent_weights(1, {k: v for k, v in params.items() if k != "biases_0"})
    with pytest.raises(
        ValueError, match=r"weights\['weights_0'\] must have shape \(3, 4\), got \(4, 3\)"
    ):
        pop.set_agent_weights(1, {**params, "weights_0": params["weights_0"].T})
    with pytest.raises(ValueError, match=r"weights\['biases_1'\] must be finite"):
        pop.set_agent_weights(1, {**params, "biases_1": np.full(2, np.nan)})


def test_population_divergence_names_agents_and_learning_rate():
    pop = MLPPopulation(3, 3, [0, 1], optimizer="sgd", learning_rate=1e200, random_state=0)
    big = X[:10] * 1e100
    with pytest.raises(
        FloatingPointError, match=r"partial_fit call \d for agents \[1\].*learning_rate=1e\+200"
    ):
        for _ in range(5):
            pop.partial_fit([X[:0], big, X[:0]], [y[:0], y[:10], y[:0]])
    assert pop.n_calls_ < 5
