"""Reading saved ``ann`` models: :func:`load`."""

from __future__ import annotations

from ann.estimators import MLPClassifier, MLPRegressor
from ann.population import MLPPopulation
from ann.spiking import SpikingMLPClassifier, SpikingMLPRegressor
from core.persistence import load_any

__all__ = ["load"]


def load(path):
    """Read a model written by the ``save`` method of an ``ann`` estimator or population.

    No pickle is involved: the file is an ``.npz`` archive of arrays and
    checksummed JSON (:mod:`core.archive`). The estimator comes back fitted,
    with bit-identical predictions, and continues training exactly as the
    saved one would have.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    MLPClassifier, MLPRegressor, MLPPopulation, SpikingMLPClassifier or SpikingMLPRegressor

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    core.archive.ArchiveError
        (a ValueError) A truncated, damaged or modified file, or a file of
        another kind (e.g. an ``snn`` model: use :func:`snn.load`); the
        message names the file and the problem.
    core.persistence.NotRegistered
        (a ValueError) The model uses a rule, optimizer or activation that is
        not registered in this session (named, with the known ones).

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
