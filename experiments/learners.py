"""The two kinds of learner as the experiments build them, and their energy proxy.

Experiments talk to learners through :func:`make_learner` and
:func:`operations`, so that every comparison builds an MLP and a spiking
network the same way and converts their operation counts to energy alike.

Energy per operation follows Horowitz (2014) for 32-bit floating point at
45 nm: a multiply-accumulate costs 3.7 pJ (multiply) + 0.9 pJ (add) = 4.6 pJ;
a synaptic operation of a spiking network is one accumulate, 0.9 pJ. These are
the figures the neuromorphic literature uses to compare ANN MACs with SNN SOPs
(e.g. NeuroBench, Yik et al. 2025).

Horowitz, M. (2014). Computing's energy problem (and what we can do about it).
IEEE ISSCC Digest of Technical Papers, 10-14.
"""

from __future__ import annotations

import numpy as np

from core.progress import current_verbosity
from core.random import check_random_state

#: Joules per operation, by operation unit.
ENERGY_PER_OPERATION = {"MAC": 4.6e-12, "SOP": 0.9e-12}
KINDS = ("ann", "snn")


def make_learner(kind: str, task, random_state, **params):
    """An unfitted estimator of ``kind`` ("ann" or "snn") suited to ``task``.

    ``params`` override the estimator's defaults. Experiment settings stay
    JSON-friendly by giving times as plain numbers with the unit in the key:
    ``presentation_time_ms=100`` becomes ``presentation_time=100 * ms``.
    """
    params = with_units(params)
    if kind == "ann":
        from ann import MLPClassifier, MLPRegressor

        cls = MLPClassifier if task.kind == "classification" else MLPRegressor
    elif kind == "snn":
        from snn import STDPClassifier, STDPRegressor

        cls = STDPClassifier if task.kind == "classification" else STDPRegressor
        if task.kind == "regression":
            params.setdefault("readout", "linear")
        # A spiking fit takes minutes: it shows its presentations whenever the
        # surrounding run shows progress (core.progress.verbosity).
        params.setdefault("verbose", current_verbosity())
    else:
        raise ValueError(f"unknown learner kind={kind!r}; known: {list(KINDS)}")
    return cls(random_state=random_state, **params)


def with_units(params: dict) -> dict:
    converted = {}
    for key, value in params.items():
        if key.endswith("_ms"):
            from brian2 import ms

            converted[key[:-3]] = value * ms
        else:
            converted[key] = value
    return converted


def operations(estimator, X=None) -> dict:
    """Operation counts of a fitted estimator's training, and of predicting ``X``, with their energy.

    Returns a dict with ``unit`` ("MAC" or "SOP"), ``training_ops``,
    ``inference_ops`` (of predicting ``X``, 0 without it; predicting does not
    change an estimator, so its ``cost(X)`` prices it) and
    ``training_joules``, ``inference_joules``.
    """
    if hasattr(estimator, "training_macs_"):
        counts = estimator.cost(X).groupby("phase")["count"].sum()
        unit, train, infer = "MAC", counts.get("train", 0), counts.get("inference", 0)
    elif callable(getattr(estimator, "cost", None)):
        counts = estimator.cost(X)
        unit, train, infer = "SOP", counts["train_sops"], counts["inference_sops"]
    else:
        raise TypeError(f"{type(estimator).__name__} counts neither MACs nor SOPs")
    joules = ENERGY_PER_OPERATION[unit]
    return {
        "unit": unit,
        "training_ops": float(train),
        "inference_ops": float(infer),
        "training_joules": float(train) * joules,
        "inference_joules": float(infer) * joules,
    }


def continue_training(estimator, X, y, epochs: int, classes):
    """Train a spiking classifier on (X, y) as ``fit`` does, continuing from its current state.

    ``epochs`` plastic passes with ``fit``'s plasticity annealing (the
    ``plasticity_decay`` schedule restarts with each call), then one frozen pass
    over (X, y) whose responses are added to the readout's statistics. Unlike
    ``fit``, the network, the thresholds and the readout statistics of earlier
    calls are kept; unlike one ``partial_fit``, the call runs ``fit``'s whole
    schedule. The first call builds the network for ``classes``.
    """
    first = not hasattr(estimator, "agents_")
    if first:
        estimator.classes_ = np.unique(np.asarray(classes))
        estimator._rng = check_random_state(estimator.random_state)
        n = len(estimator.classes_)
        estimator._start(np.asarray(X, dtype=float), (n, n), estimator._rng)
    X = estimator._validate_X(X, reset=False)
    targets, labels = estimator._encode_labels(np.asarray(y))
    estimator._train(X, targets, labels, epochs=int(epochs), readout_pass=True)
    return estimator


def subsample(X, y, n, rng, stratify=True):
    """At most ``n`` rows of (X, y), class-balanced where possible, in a seeded order."""
    if n is None or n >= len(X):
        order = rng.permutation(len(X))
        return X[order], y[order]
    if stratify:
        from sklearn.model_selection import train_test_split

        keep, _ = train_test_split(
            np.arange(len(X)), train_size=n, stratify=y, random_state=int(rng.integers(2**31))
        )
        keep = rng.permutation(keep)
    else:
        keep = rng.choice(len(X), size=n, replace=False)
    return X[keep], y[keep]


def with_validation(task, seed):
    """The task with a validation split (``X_val``, ``y_val``): the task's own where it has
    one, else a stratified 20% carved from its training split, deterministic per seed."""
    if getattr(task, "X_val", None) is not None:
        return task
    import dataclasses

    from sklearn.model_selection import train_test_split

    if len(task.y_train) < 10:  # too few to hold any out (xor): validate on the same points
        replaced = dataclasses.replace(task)
        replaced.X_val, replaced.y_val = task.X_train.copy(), task.y_train.copy()
        return replaced
    stratify = task.y_train if task.kind == "classification" else None
    keep, held = train_test_split(
        np.arange(len(task.y_train)),
        test_size=0.2,
        stratify=stratify,
        random_state=int(np.random.SeedSequence([seed, 0x7A1]).generate_state(1)[0]),
    )
    replaced = dataclasses.replace(
        task, X_train=task.X_train[np.sort(keep)], y_train=task.y_train[np.sort(keep)]
    )
    replaced.X_val, replaced.y_val = task.X_train[np.sort(held)], task.y_train[np.sort(held)]
    return replaced
