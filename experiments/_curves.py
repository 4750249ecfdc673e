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

    Returns the curve (``samples_seen``, ``epoch``, ``score``, ``training_ops``)
    and the wall seconds spent training (scoring excluded).
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
            rows.append(
                {
                    "samples_seen": seen,
                    "epoch": epoch,
                    "score": float(estimator.score(X_eval, y_eval)),
                    "training_ops": operations(estimator)["training_ops"],
                }
            )
    return pd.DataFrame(rows), train_seconds


def samples_to_fraction(curve: pd.DataFrame, fraction: float = 0.9) -> int:
    """Samples seen when the score first reaches ``fraction`` of its final value."""
    final = curve["score"].iloc[-1]
    reached = curve.loc[curve["score"] >= fraction * final, "samples_seen"]
    return int(reached.iloc[0]) if len(reached) else int(curve["samples_seen"].iloc[-1])
