"""Reading saved ``snn`` models: :func:`load`."""

from __future__ import annotations

from core.persistence import load_any
from snn.estimators import STDPClassifier, STDPRegressor
from snn.population import SNNPopulation

__all__ = ["load"]


def load(path):
    """Read a model written by the ``save`` method of an ``snn`` estimator or ``SNNPopulation``.

    Reads what :func:`core.persistence.load_any` reads and raises what it
    raises (no pickle; an ``ann`` model needs :func:`ann.load`).

    Returns
    -------
    STDPClassifier, STDPRegressor or SNNPopulation

    Examples
    --------
    >>> import os, tempfile
    >>> from brian2 import ms
    >>> from snn import STDPClassifier, load
    >>> from tasks import load_task
    >>> task = load_task("xor")
    >>> clf = STDPClassifier(n_neurons=4, epochs=1, presentation_time=50*ms,
    ...                      rest_time=10*ms, random_state=0).fit(task.X_train, task.y_train)
    >>> path = os.path.join(tempfile.mkdtemp(), "xor_brain.npz")
    >>> clf.save(path)
    >>> again = load(path)
    >>> bool(again.presentation_time == 50*ms)
    True
    >>> bool((again.predict_proba(task.X_test) == clf.predict_proba(task.X_test)).all())
    True
    """
    return load_any(path, (STDPClassifier, STDPRegressor, SNNPopulation))
