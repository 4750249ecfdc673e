"""Longer accuracy checks (run with ``pytest -m slow``)."""

import numpy as np
import pytest

from ann import MLPClassifier, MLPPopulation
from tasks import load_task

pytestmark = pytest.mark.slow


def test_digits_bar_holds_over_five_seeds_and_in_float32():
    for dtype in ("float64", "float32"):
        scores = []
        for seed in range(5):
            task = load_task("digits", seed=seed)
            clf = MLPClassifier(random_state=seed, dtype=dtype).fit(task.X_train, task.y_train)
            scores.append(clf.score(task.X_test, task.y_test))
        assert np.median(scores) >= 0.975, (dtype, scores)
        assert min(scores) >= 0.97, (dtype, scores)


def test_feedback_alignment_learns_digits():
    """Lillicrap et al. (2016) report feedback alignment learning MNIST nearly as well as backprop."""
    task = load_task("digits", seed=0)
    backprop = MLPClassifier(hidden_layer_sizes=(64, 64), random_state=0).fit(
        task.X_train, task.y_train
    )
    feedback = MLPClassifier(
        hidden_layer_sizes=(64, 64), rule="feedback_alignment", random_state=0
    ).fit(task.X_train, task.y_train)
    assert feedback.score(task.X_test, task.y_test) >= 0.9
    assert (
        backprop.score(task.X_test, task.y_test) >= feedback.score(task.X_test, task.y_test) - 0.01
    )


def test_hundred_agents_on_digits_shards():
    task = load_task("digits", seed=0)
    parts = np.array_split(np.random.default_rng(0).permutation(len(task.X_train)), 100)
    Xs, ys = [task.X_train[p] for p in parts], [task.y_train[p] for p in parts]
    pop = MLPPopulation(100, 64, np.arange(10), batch_size=8, random_state=0)
    for _ in range(30):
        pop.partial_fit(Xs, ys)
    accuracy = (pop.predict(task.X_test) == task.y_test).mean(axis=1)
    # 13 or 14 images each (about one per class) bound what a lone agent can
    # learn; chance is 0.1.
    assert np.median(accuracy) > 0.45, np.median(accuracy)
    assert (pop.cost().query("category == 'macs'")["count"] > 0).all()
