"""Energy at a matched stopping rule: train until validation accuracy reaches a target.

Both learners are trained in the same way: ``partial_fit`` on chunks of the
training data, the validation score read after every chunk, training stopped
at the first checkpoint whose *chance-corrected* validation score reaches
``target`` (or when the budget of epochs runs out). The operation counts at
that point (``cost()``, :mod:`core.opcounts`) are the training cost to reach
the target; validation passes are the experimenter's measurement and are not
charged to the learner. Energy is the counts priced on a cost table
(:mod:`core.energy`) after the run.

Chance correction: ``(accuracy - 1/k) / (1 - 1/k)`` for ``k`` classes (0 at
chance, 1 when perfect), so one target means the same thing on iris and on
digits; for regression the score is R^2, already 0 for predicting the mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.energy import price
from experiments._curves import chance_corrected, chance_level, chance_of

__all__ = [
    "train_to_target",
    "reference_stops",
]


def train_to_target(
    estimator, kind: str, task, fit, validation, settings
) -> tuple[pd.DataFrame, bool]:
    """Train with ``partial_fit`` on chunks until the chance-corrected validation score reaches a target.

    ``fit`` and ``validation`` are ``(X, y)`` pairs; ``settings`` (an
    experiment's) gives the ``target``, the budget ``max_epochs[kind]`` and
    the ``chunk_size``.

    Returns
    -------
    curve : DataFrame
        One row per checkpoint: ``samples_seen``, ``epoch``, ``val_score``,
        ``val_corrected``.
    reached : bool
        Whether the target was reached within ``max_epochs`` (training stops there).
    """
    (X, y), (X_val, y_val) = fit, validation
    target, chunk_size = settings.target, settings.chunk_size
    max_epochs = settings.max_epochs[kind]
    classes = task.classes if task.kind == "classification" else None
    chance = chance_level(task)
    starts = range(0, len(X), max(1, int(chunk_size)))
    rows, seen = [], 0
    for epoch in range(1, max_epochs + 1):
        for start in starts:
            X_chunk, y_chunk = X[start : start + chunk_size], y[start : start + chunk_size]
            if classes is not None:
                estimator.partial_fit(X_chunk, y_chunk, classes=classes)
            else:
                estimator.partial_fit(X_chunk, y_chunk)
            seen += len(X_chunk)
            score = float(estimator.score(X_val, y_val))
            corrected = float(chance_corrected(score, chance))
            rows.append(
                {
                    "samples_seen": seen,
                    "epoch": epoch,
                    "val_score": score,
                    "val_corrected": corrected,
                }
            )
            if corrected >= target:
                return pd.DataFrame(rows), True
    return pd.DataFrame(rows), False


def reference_stops(task, fit, validation, test, *, target, names, n_prototypes, seed):
    """The reference learners of :mod:`experiments.reference` named in ``names``, fitted once
    on all of ``fit`` (``(X, y)`` pairs throughout), as rows next to the learners' stops.

    Each row: ``kind`` (the reference's name), ``reached`` (its chance-corrected score on
    ``validation`` reaches ``target``), ``val_corrected``, ``samples_to_target`` (all of
    ``fit``: one fit sees every sample), ``test_accuracy`` (accuracy or R^2 on ``test``).
    No energy: the references' operations are not counted.
    """
    from experiments import reference

    n_classes = len(np.unique(fit[1])) if task.kind == "classification" else None
    rows = []
    for row in reference.reference_scores(
        task.kind,
        *fit,
        *test,
        n_prototypes=min(int(n_prototypes), len(fit[0])),
        random_state=seed,
        test_sets={"val": validation},
    ):
        if row["kind"] not in names:
            continue
        corrected = float(chance_corrected(row["score_val"], chance_of(n_classes)))
        rows.append(
            {
                "kind": row["kind"],
                "reached": bool(corrected >= target),
                "val_corrected": corrected,
                "samples_to_target": len(fit[0]),
                "test_accuracy": row["score"],
            }
        )
    return rows


def energy_by_category(counts: pd.DataFrame, tables) -> pd.DataFrame:
    """Joules per table, phase and category of a ``cost()`` table."""
    priced = price(counts, tables)
    return priced.groupby(["table", "phase", "category"], as_index=False)["joules"].sum()
