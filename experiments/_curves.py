"""Learning curves as a reviewer reads them: score against training-set size.

Each point of a curve is a learner trained *from scratch* on the first ``n``
samples of one seeded, class-balanced order of the training split, the way
it would be used on a training set of that size, then scored once on the
test split:

* the MLP trains with early stopping on the validation split: epoch by
  epoch up to ``max_epochs``, the epoch with the best validation score is
  chosen, and the network is retrained from the same seed for exactly that
  many epochs (the same trajectory, so the same weights);
* the spiking network runs ``fit`` (its tuned epochs, plasticity annealing,
  readout fitted on a frozen pass);
* reference learners (:mod:`experiments.reference`) fit the same subset.

Budgets are recorded beside every score, so a figure can compare learners at
matched training samples, matched presentations (samples x epochs) and
matched training energy.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import pandas as pd

from experiments import reference
from experiments.learners import ENERGY_TABLES, make_learner, operations


def nested_order(y, rng, stratify: bool = True) -> np.ndarray:
    """A seeded order of the training samples whose every prefix is close to class-balanced.

    Classes take turns (round robin over a random order within each class), so the
    first ``n`` samples hold every class about equally for any ``n``.
    """
    y = np.asarray(y)
    if not stratify:
        return rng.permutation(len(y))
    queues = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    order = []
    for position in range(max(len(q) for q in queues)):
        turn = [q[position] for q in queues if position < len(q)]
        order.extend(rng.permutation(turn))
    return np.asarray(order)


def chance_level(task) -> float:
    """Score of a guess: 1 / classes for classification, 0 (R^2 of the mean) for regression."""
    return chance_of(len(task.classes) if task.kind == "classification" else None)


def chance_of(n_classes: int | None) -> float:
    """Score of a guess among ``n_classes`` balanced classes, ``1 / n_classes``; 0 for a
    regression (``None``: the R^2 of predicting the mean)."""
    return 0.0 if n_classes is None else 1.0 / n_classes


def chance_corrected(score, chance: float):
    """``(score - chance) / (1 - chance)``: 0 at chance, 1 perfect (Cohen's kappa-style).

    The one chance correction of the experiments (the skill every target is set
    on). With ``chance`` 0 (a regression's R^2) the score comes back unchanged.
    """
    return (np.asarray(score, dtype=float) - chance) / (1.0 - chance)


def early_stopped_mlp(make, X, y, X_val, y_val, max_epochs: int, classes=None):
    """An MLP trained for the number of epochs (1 to ``max_epochs``) that scores best on
    (X_val, y_val); returns ``(estimator, chosen_epochs, validation_scores)``.

    ``make(epochs)`` builds an unfitted estimator with a fixed seed; ``classes``
    (classifiers) is passed to ``partial_fit``. One run of
    ``max_epochs`` single-epoch ``partial_fit`` calls measures the validation
    score after each epoch (``partial_fit`` continues the optimiser exactly as
    ``fit``'s epochs do); the returned estimator is a fresh ``fit`` for the best
    epoch count (earliest on ties), which retraces the same trajectory.
    """
    probe = make(1)
    scores = []
    for _ in range(max_epochs):
        if classes is not None:
            probe.partial_fit(X, y, classes=classes)
        else:
            probe.partial_fit(X, y)
        scores.append(float(probe.score(X_val, y_val)))
    best = int(np.argmax(scores)) + 1
    return make(best).fit(X, y), best, scores


def learner_fitters(
    task, learner_seed: int, *, ann_params: dict, snn_params: dict, ann_max_epochs: int, references
) -> dict:
    """``name -> fit(X, y) -> (estimator, epochs)`` for both learners, as each would be used,
    and the named references.

    The MLP is early-stopped on the task's validation split (:func:`early_stopped_mlp`,
    up to ``ann_max_epochs``); the spiking network runs its own ``fit``, and counts its
    plastic epochs plus the frozen readout pass. A reference is built for the task's
    kind with as many prototypes as the spiking network has neurons
    (:func:`experiments.reference.matching_prototypes`).
    """

    def fit_ann(X, y):
        def make(epochs):
            return make_learner(
                "ann", task, random_state=learner_seed, **{**ann_params, "epochs": epochs}
            )

        estimator, epochs, _ = early_stopped_mlp(
            make, X, y, task.X_val, task.y_val, ann_max_epochs, task.classes
        )
        return estimator, epochs

    def fit_snn(X, y):
        estimator = make_learner("snn", task, random_state=learner_seed, **snn_params)
        estimator.fit(X, y)
        return estimator, estimator.epochs + 1  # plastic epochs + the frozen readout pass

    def fit_reference(X, y, name):
        models = reference.reference_models(task.kind, min(n_prototypes, len(X)), learner_seed)
        return models[name].fit(X, y), None

    n_prototypes = reference.matching_prototypes(snn_params)
    fitters = {"ann": fit_ann, "snn": fit_snn}
    for name in references:
        fitters[name] = functools.partial(fit_reference, name=name)
    return fitters


def size_curve(fitters: dict, sizes, X_train, y_train, X_test, y_test, chance: float) -> tuple:
    """Fit every learner on the first ``n`` training samples for each ``n`` in ``sizes``.

    ``fitters`` maps a learner name to ``fit(X, y) -> (estimator, epochs)``.
    Returns the tidy curve (``learner``, ``n_train``, ``epochs``, ``presentations``,
    ``score``, ``training_ops``, ``training_joules`` and ``training_joules_<table>`` for
    each of :data:`experiments.learners.ENERGY_TABLES`, ``unit``; ops NaN for learners
    that count none; ``corrected``, the score corrected for ``chance`` by
    :func:`chance_corrected`), the wall seconds per learner and size, and the
    estimators fitted on the largest subset, by learner.
    """
    rows, timings, last = [], [], {}
    for n in sorted({int(min(n, len(X_train))) for n in sizes}):
        X, y = X_train[:n], y_train[:n]
        for name, fit in fitters.items():
            started = time.perf_counter()
            estimator, epochs = fit(X, y)
            seconds = time.perf_counter() - started
            try:
                ops = operations(estimator)
            except (TypeError, AttributeError, ValueError):
                ops = {"unit": "", "training_ops": np.nan, "training_joules": np.nan}
                ops.update({f"training_joules_{t}": np.nan for t in ENERGY_TABLES})
            rows.append(
                {
                    "learner": name,
                    "n_train": n,
                    "epochs": epochs,
                    "presentations": n * epochs if epochs else np.nan,
                    "score": float(estimator.score(X_test, y_test)),
                    "unit": ops["unit"],
                    "training_ops": ops["training_ops"],
                    "training_joules": ops["training_joules"],
                    **{f"training_joules_{t}": ops[f"training_joules_{t}"] for t in ENERGY_TABLES},
                }
            )
            timings.append({"learner": name, "n_train": n, "train_seconds": seconds})
            last[name] = estimator
    curve = pd.DataFrame(rows)
    curve["corrected"] = chance_corrected(curve["score"], chance)
    return curve, pd.DataFrame(timings), last


def area_under_curve(n_train, score) -> float:
    """Mean score over the curve with log-spaced sizes weighted equally: the trapezoid
    area under score against ``log(n_train)``, divided by the log range (in [0, 1] for
    scores in [0, 1]; a single point gives its score)."""
    x, y = np.log(np.asarray(n_train, dtype=float)), np.asarray(score, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    if len(x) == 1 or x[-1] == x[0]:
        return float(y.mean())
    return float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)) / (x[-1] - x[0]))


def samples_to_target(n_train, score, target: float) -> float:
    """The smallest training-set size whose score reaches ``target`` (NaN if none does)."""
    n_train, score = np.asarray(n_train, dtype=float), np.asarray(score, dtype=float)
    reached = n_train[score >= target]
    return float(reached.min()) if len(reached) else float("nan")
