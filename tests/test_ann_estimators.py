"""MLPClassifier / MLPRegressor: accuracy bars, scikit-learn cross-checks, reproducibility, history."""

import inspect

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier as SklearnClassifier
from sklearn.neural_network import MLPRegressor as SklearnRegressor

from ann import MLPClassifier, MLPPopulation, MLPRegressor, backprop_macs, forward_macs
from tasks import load_task

# -- accuracy bars ---------------------------------------------------------------------------


def test_xor_is_learned_exactly():
    task = load_task("xor")
    clf = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", epochs=300, random_state=0)
    clf.fit(task.X_train, task.y_train)
    np.testing.assert_array_equal(clf.predict(task.X_test), task.y_test)
    assert clf.predict_proba(task.X_test)[np.arange(4), task.y_test].min() > 0.9


def test_digits_defaults_reach_97_5_percent_median_of_three_seeds():
    scores = []
    for seed in range(3):
        task = load_task("digits", seed=seed)
        clf = MLPClassifier(hidden_layer_sizes=(64,), random_state=seed)
        scores.append(clf.fit(task.X_train, task.y_train).score(task.X_test, task.y_test))
    assert np.median(scores) >= 0.975, scores


def test_seed_regression_r2_at_least_0_99():
    task = load_task("seed_regression", seed=0)
    reg = MLPRegressor(random_state=0).fit(task.X_train, task.y_train)
    assert reg.score(task.X_test, task.y_test) >= 0.99
    assert reg.predict(task.X_test).shape == task.y_test.shape


def test_iris_at_least_95_percent():
    task = load_task("iris", seed=0)
    clf = MLPClassifier(random_state=0).fit(task.X_train, task.y_train)
    assert clf.score(task.X_test, task.y_test) >= 0.95


def test_deep_network_and_feedback_alignment_learn_iris():
    task = load_task("iris", seed=1)
    for rule in ("backprop", "feedback_alignment"):
        clf = MLPClassifier(
            hidden_layer_sizes=(16, 16, 16),
            activation="tanh",
            rule=rule,
            epochs=100,
            random_state=0,
        ).fit(task.X_train, task.y_train)
        assert clf.score(task.X_test, task.y_test) >= 0.9, rule


@pytest.mark.parametrize("optimizer, learning_rate", [("sgd", 0.5), ("momentum", 0.1)])
def test_other_optimizers_learn_iris(optimizer, learning_rate):
    task = load_task("iris", seed=0)
    clf = MLPClassifier(
        optimizer=optimizer, learning_rate=learning_rate, epochs=100, random_state=0
    ).fit(task.X_train, task.y_train)
    assert clf.score(task.X_test, task.y_test) >= 0.9


# -- against scikit-learn ----------------------------------------------------------------------


def _copy_weights_into_sklearn(ours, theirs):
    theirs.coefs_ = [W.copy() for W in ours.coefs_]
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]


@pytest.mark.parametrize(
    "activation, sklearn_name",
    [("relu", "relu"), ("tanh", "tanh"), ("sigmoid", "logistic"), ("identity", "identity")],
)
def test_same_weights_give_scikit_learn_forward_pass_and_loss_gradient(activation, sklearn_name):
    task = load_task("iris", seed=0)
    X, y = task.X_train, task.y_train
    ours = MLPClassifier(
        hidden_layer_sizes=(6, 5),
        activation=activation,
        alpha=0.3,
        epochs=3,
        dtype="float64",
        random_state=0,
    ).fit(X, y)
    theirs = SklearnClassifier(
        hidden_layer_sizes=(6, 5), activation=sklearn_name, alpha=0.3, max_iter=1, random_state=0
    )
    with pytest.warns(Warning):  # one iteration does not converge
        theirs.fit(X, y)
    _copy_weights_into_sklearn(ours, theirs)
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10, atol=1e-14
    )

    # Loss and gradients through scikit-learn's own backpropagation.
    Y = np.eye(3)[y]
    layer_units = [X.shape[1], 6, 5, 3]
    activations = [X] + [np.empty((len(X), n)) for n in layer_units[1:]]
    deltas = [np.empty_like(a) for a in activations[1:]]
    coef_grads = [np.empty((a, b)) for a, b in zip(layer_units[:-1], layer_units[1:])]
    intercept_grads = [np.empty(b) for b in layer_units[1:]]
    kwargs = dict(
        activations=activations,
        deltas=deltas,
        coef_grads=coef_grads,
        intercept_grads=intercept_grads,
    )
    if "sample_weight" in inspect.signature(theirs._backprop).parameters:
        kwargs["sample_weight"] = None
    loss, coef_grads, intercept_grads = theirs._backprop(X, Y, **kwargs)
    our_loss, grad, _ = ours._network.loss_and_gradient(X, Y, 1 / len(X), len(X))
    assert our_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(
        grad,
        np.concatenate([g.ravel() for g in coef_grads + intercept_grads]),
        rtol=1e-10,
        atol=1e-14,
    )


def test_regressor_forward_pass_matches_scikit_learn():
    task = load_task("seed_regression", seed=0)
    ours = MLPRegressor(
        hidden_layer_sizes=(7,), activation="tanh", epochs=2, dtype="float64", random_state=0
    )
    ours.fit(task.X_train, task.y_train)
    theirs = SklearnRegressor(
        hidden_layer_sizes=(7,), activation="tanh", max_iter=1, random_state=0
    )
    with pytest.warns(Warning):
        theirs.fit(task.X_train, task.y_train)
    _copy_weights_into_sklearn(ours, theirs)
    np.testing.assert_allclose(ours.predict(task.X_test), theirs.predict(task.X_test), rtol=1e-12)
    assert ours.score(task.X_test, task.y_test) == pytest.approx(
        theirs.score(task.X_test, task.y_test)
    )


# -- reproducibility, labels, partial_fit -------------------------------------------------------


def test_same_seed_same_weights_and_predictions_other_seed_differs():
    task = load_task("iris", seed=0)
    fit = lambda seed: MLPClassifier(epochs=5, random_state=seed).fit(task.X_train, task.y_train)
    a, b, c = fit(3), fit(3), fit(4)
    for Wa, Wb, Wc in zip(a.coefs_, b.coefs_, c.coefs_):
        np.testing.assert_array_equal(Wa, Wb)
        assert not np.allclose(Wa, Wc)
    np.testing.assert_array_equal(a.predict_proba(task.X_test), b.predict_proba(task.X_test))
    # A Generator seeds as well, and refitting with an int restarts identically.
    g1 = MLPClassifier(epochs=5, random_state=np.random.default_rng(9)).fit(
        task.X_train, task.y_train
    )
    g2 = MLPClassifier(epochs=5, random_state=np.random.default_rng(9)).fit(
        task.X_train, task.y_train
    )
    np.testing.assert_array_equal(g1.coefs_[0], g2.coefs_[0])
    np.testing.assert_array_equal(a.fit(task.X_train, task.y_train).coefs_[0], b.coefs_[0])


def test_string_labels_and_probability_columns():
    task = load_task("iris", seed=0)
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = MLPClassifier(random_state=0).fit(task.X_train, names[task.y_train])
    assert clf.classes_.tolist() == names.tolist()
    predicted = clf.predict(task.X_test)
    assert predicted.dtype.kind == "U" and set(predicted) <= set(names)
    proba = clf.predict_proba(task.X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(names[proba.argmax(axis=1)], predicted)
    assert clf.score(task.X_test, names[task.y_test]) >= 0.95


def test_partial_fit_is_one_epoch_of_fit():
    task = load_task("iris", seed=0)
    fitted = MLPClassifier(epochs=4, random_state=2).fit(task.X_train, task.y_train)
    stepped = MLPClassifier(random_state=2)
    for _ in range(4):
        stepped.partial_fit(task.X_train, task.y_train, classes=[0, 1, 2])
    np.testing.assert_array_equal(fitted.coefs_[0], stepped.coefs_[0])
    assert [h["loss"] for h in fitted.history_] == [h["loss"] for h in stepped.history_]


def test_partial_fit_accepts_batches_missing_some_classes():
    task = load_task("iris", seed=0)
    clf = MLPClassifier(random_state=0)
    clf.partial_fit(
        task.X_train[task.y_train == 0], task.y_train[task.y_train == 0], classes=[0, 1, 2]
    )
    assert clf.predict_proba(task.X_test).shape == (len(task.X_test), 3)


def test_regressor_multi_output():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(300, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(3 * X[:, 0])])
    reg = MLPRegressor(epochs=200, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (300, 2)
    assert reg.score(X, Y) > 0.95
    assert reg.history_[-1]["r2"] > 0.95


def test_float64_and_float32_train_in_their_precision_and_agree():
    task = load_task("iris", seed=0)
    single = MLPClassifier(dtype="float32", random_state=0).fit(task.X_train, task.y_train)
    double = MLPClassifier(random_state=0).fit(task.X_train, task.y_train)  # float64 by default
    assert (
        single.coefs_[0].dtype == np.float32
        and single.predict_proba(task.X_test).dtype == np.float32
    )
    assert (
        double.coefs_[0].dtype == np.float64
        and double.predict_proba(task.X_test).dtype == np.float64
    )
    np.testing.assert_allclose(
        single.predict_proba(task.X_test), double.predict_proba(task.X_test), atol=1e-4
    )


# -- history and MACs --------------------------------------------------------------------------


def test_history_records_loss_score_samples_time_and_macs():
    task = load_task("iris", seed=0)
    clf = MLPClassifier(hidden_layer_sizes=(10, 6), epochs=20, random_state=0)
    clf.fit(task.X_train, task.y_train)
    n = len(task.X_train)
    sizes = (4, 10, 6, 3)
    per_sample = forward_macs(sizes) + backprop_macs(sizes)
    # Exact counts: forward 4*10 + 10*6 + 6*3 = 118; backward 118 (weight gradients)
    # + 10*6 + 6*3 (errors sent back through layers 2 and 3) = 196.
    assert forward_macs(sizes) == 118 and per_sample == 118 + 196
    assert len(clf.history_) == 20
    for epoch, entry in enumerate(clf.history_, start=1):
        assert entry["epoch"] == epoch
        assert entry["samples_seen"] == epoch * n
        assert entry["training_macs"] == epoch * n * per_sample
        assert entry["wall_seconds"] > 0
        assert 0 <= entry["accuracy"] <= 1
    losses = [h["loss"] for h in clf.history_]
    assert losses[-1] < 0.5 * losses[0]
    before = clf.cost()
    clf.predict(task.X_test)
    clf.score(task.X_test, task.y_test)
    # predicting changes nothing; cost(X) prices it: one forward pass per sample
    assert before.equals(clf.cost())
    costs = clf.cost(task.X_test).set_index("phase")["count"]
    assert costs["inference"] == len(task.X_test) * 118
    assert costs["train"] == 20 * n * per_sample
    clf.partial_fit(task.X_train, task.y_train)
    assert clf.history_[-1]["epoch"] == 21


def test_history_loss_and_accuracy_are_those_of_the_epochs_forward_passes():
    """Full-batch: epoch 2 reports loss and accuracy of the weights after epoch 1's step."""
    task = load_task("iris", seed=0)
    params = dict(batch_size=1000, alpha=0.0, random_state=0)
    one_epoch = MLPClassifier(epochs=1, **params).fit(task.X_train, task.y_train)
    proba = one_epoch.predict_proba(task.X_train)
    expected_loss = -np.log(proba[np.arange(len(proba)), task.y_train]).mean()
    two_epochs = MLPClassifier(epochs=2, **params).fit(task.X_train, task.y_train)
    assert two_epochs.history_[1]["loss"] == pytest.approx(expected_loss, rel=1e-12)
    assert two_epochs.history_[1]["accuracy"] == np.mean(proba.argmax(1) == task.y_train)


def test_population_and_classifier_share_defaults():
    ours = inspect.signature(MLPClassifier.__init__).parameters
    theirs = inspect.signature(MLPPopulation.__init__).parameters
    for name, parameter in theirs.items():
        if name in ours:
            assert parameter.default == ours[name].default, name
