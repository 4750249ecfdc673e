import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from tasks import DevelopmentTask, Task, load_task
from tasks.tuning import grid_search, random_search


class Poisoned:
    """Stands in for a test split: any use of it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the test split was read ({name})")

    def __array__(self, *args, **kwargs):
        raise AssertionError("the test split was read (as an array)")

    def __len__(self):
        raise AssertionError("the test split was read (len)")

    def __getitem__(self, item):
        raise AssertionError("the test split was read (indexing)")


def poisoned(task: Task) -> Task:
    return Task(
        name=task.name,
        description=task.description,
        kind=task.kind,
        X_train=task.X_train,
        y_train=task.y_train,
        X_test=Poisoned(),
        y_test=Poisoned(),
        X_val=task.X_val,
        y_val=task.y_val,
        classes=task.classes,
        metadata={"node_test": Poisoned()},
    )


def test_tuning_never_reads_the_test_split_and_scores_on_validation():
    task = poisoned(load_task("iris", seed=4))
    space = {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    result = grid_search(
        lambda C: LogisticRegression(C=C, max_iter=2000), space, task.development()
    )
    # the recorded scores are scikit-learn's validation accuracies, computed independently
    for trial in result.trials:
        model = LogisticRegression(C=trial.params["C"], max_iter=2000)
        expected = model.fit(task.X_train, task.y_train).score(task.X_val, task.y_val)
        assert trial.score == pytest.approx(expected)
    best = max(result.trials, key=lambda t: (t.score, -t.number))
    assert result.best_params == best.params
    random = random_search(
        lambda C: LogisticRegression(C=C, max_iter=2000), space, task.development(), 3, seed=0
    )
    assert len(random.trials) == 3


def test_a_full_task_is_refused():
    task = load_task("iris", seed=0)
    with pytest.raises(TypeError, match="development"):
        grid_search(lambda C: LogisticRegression(C=C), {"C": [1.0]}, task)
    with pytest.raises(TypeError, match="development"):
        random_search(lambda C: LogisticRegression(C=C), {"C": [1.0]}, task, 1, seed=0)
    with pytest.raises(TypeError, match="DevelopmentTask"):
        grid_search(lambda C: LogisticRegression(C=C), {"C": [1.0]}, object())


def test_random_search_budget_seed_and_first_setting():
    dev = load_task("seed_regression", seed=0).development()
    space = {"alpha": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    calls = []

    def build(**params):
        calls.append(params)
        return Ridge(**params)

    a = random_search(build, space, dev, 5, seed=7, first={"alpha": 1.0, "fit_intercept": True})
    b = random_search(build, space, dev, 5, seed=7, first={"alpha": 1.0, "fit_intercept": True})
    assert len(a.trials) == a.n_trials == 5 and len(calls) == 10
    assert a.trials[0].params == {"alpha": 1.0, "fit_intercept": True}
    settings = [tuple(sorted(t.params.items())) for t in a.trials]
    assert len(set(settings)) == 5  # without replacement
    assert settings == [tuple(sorted(t.params.items())) for t in b.trials]
    c = random_search(build, space, dev, 8, seed=1)
    assert len({tuple(sorted(t.params.items())) for t in c.trials}) == 8  # the whole grid
    assert a.to_frame().shape == (5, 6)
    assert "**best**" in a.to_markdown()


def test_failed_trials_are_recorded_and_count_against_the_budget():
    dev = load_task("iris", seed=0).development()

    def build(C):
        if C < 0:
            raise ValueError(f"C must be positive, got C={C}")
        return LogisticRegression(C=C, max_iter=1000)

    result = grid_search(build, {"C": [-1.0, 1.0]}, dev)
    assert np.isnan(result.trials[0].score) and "C must be positive" in result.trials[0].error
    assert result.best_params == {"C": 1.0}
    with pytest.raises(ValueError, match="failed"):
        grid_search(build, {"C": [-1.0]}, dev).best


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(space={}), "space"),
        (dict(space={"C": []}), "space"),
        (dict(space={"C": "abc"}), "space"),
        (dict(n_trials=0), "n_trials"),
        (dict(n_trials=4), "exceeds"),
        (dict(seed=-1), "seed"),
        (dict(first={"C": 3.0}), "first"),
        (dict(first={"D": 1.0}), "first"),
    ],
)
def test_bad_search_arguments_are_named(kwargs, match):
    dev = load_task("iris", seed=0).development()
    arguments = dict(space={"C": [0.1, 1.0, 10.0]}, n_trials=2, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        random_search(lambda C: LogisticRegression(C=C), task=dev, **arguments)


def test_empty_validation_split_is_refused():
    dev = load_task("iris", seed=0, validation_size=0.0).development()
    assert isinstance(dev, DevelopmentTask)
    with pytest.raises(ValueError, match="validation"):
        grid_search(lambda C: LogisticRegression(C=C), {"C": [1.0]}, dev)
