"""Reading saved ``ann`` models: :func:`load`."""

from __future__ import annotations

from ann.estimators import MLPClassifier, MLPRegressor
from ann.population import MLPPopulation
from ann.spiking import SpikingMLPClassifier, SpikingMLPRegressor
from core.persistence import load_any

__all__ = ["load"]


def load(path):
    """Read a model written by the ``save`` method of an ``ann`` estimator or population.

    Reads what :func:`core.persistence.load_any` reads and raises what it
    raises (no pickle; an ``snn`` model needs :func:`snn.load`).

    Returns
    -------
    MLPClassifier, MLPRegressor, MLPPopulation, SpikingMLPClassifier or SpikingMLPRegressor

    Examples
    --------
    >>> import os, tempfile
    >>> from ann import MLPClassifier, load
    >>> from tasks import load_task
    >>> task = load_task("iris", seed=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0)
    >>> clf = clf.fit(task.X_train, task.y_train)
    >>> path = os.path.join(tempfile.mkdtemp(), "iris_mlp.npz")
    >>> clf.save(path)
    >>> again = load(path)
    >>> bool((again.predict_proba(task.X_test) == clf.predict_proba(task.X_test)).all())
    True
    """
    return load_any(
        path,
        (MLPClassifier, MLPRegressor, MLPPopulation, SpikingMLPClassifier, SpikingMLPRegressor),
    )
