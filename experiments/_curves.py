"""Train a learner in chunks and score it on held-out data after each chunk."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from experiments.learners import operations


def learning_curve(
    estimator, task, *, X_train, y_train, X_eval, y_eval, epochs: int, checkpoints_per_epoch: int
) -> tuple[pd.DataFrame, float]:
    """Train ``estimator`` with ``partial_fit`` and score it after every chunk.

    Returns the curve (``samples_seen``, ``epoch``, ``score``, ``training_ops``
    and ``training_joules_<table>`` for each of
    :data:`experiments.learners.ENERGY_TABLES`: all training so far, priced
    from the operation counts) and the wall seconds spent training (scoring
    excluded, and not charged to the learner).
    """
    chunks = np.array_split(np.arange(len(X_train)), max(1, checkpoints_per_epoch))
    classes = task.classes if task.kind == "classification" else None
    rows, seen, train_seconds = [], 0, 0.0
    for epoch in range(1, epochs + 1):
        for chunk in chunks:
            if len(chunk) == 0:
                continue
            started = time.perf_counter()
            if classes is not None:
                estimator.partial_fit(X_train[chunk], y_train[chunk], classes=classes)
            else:
                estimator.partial_fit(X_train[chunk], y_train[chunk])
            train_seconds += time.perf_counter() - started
            seen += len(chunk)
            ops = operations(estimator)
            rows.append(
                {
                    "samples_seen": seen,
                    "epoch": epoch,
                    "score": float(estimator.score(X_eval, y_eval)),
                    "training_ops": ops["training_ops"],
                    **{
                        key: value
                        for key, value in ops.items()
                        if key.startswith("training_joules_")
                    },
                }
            )
    return pd.DataFrame(rows), train_seconds


def joules_to_target(curve: pd.DataFrame, table: str, target: float, n_classes) -> float:
    """Training energy (J, on ``table``) at the first checkpoint whose chance-corrected
    score reaches ``target`` (see :mod:`experiments._energy`); NaN if none does."""
    from experiments._energy import chance_corrected

    corrected = curve["score"].map(lambda score: chance_corrected(score, n_classes))
    reached = curve.loc[corrected >= target, f"training_joules_{table}"]
    return float(reached.iloc[0]) if len(reached) else float("nan")


def samples_to_fraction(curve: pd.DataFrame, fraction: float = 0.9) -> int:
    """Samples seen when the score first reaches ``fraction`` of its final value."""
    final = curve["score"].iloc[-1]
    reached = curve.loc[curve["score"] >= fraction * final, "samples_seen"]
    return int(reached.iloc[0]) if len(reached) else int(curve["samples_seen"].iloc[-1])
