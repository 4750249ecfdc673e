"""The two kinds of learner as the experiments build them, and their energy.

Experiments talk to learners through :func:`make_learner` and
:func:`operations`, so that every comparison builds an MLP and a spiking
network the same way and prices their operation counts alike: every
category a learner counts (:mod:`core.opcounts`: effective MACs of both
passes, synaptic operations, neuron updates, plasticity and optimizer
updates, normalisation, encoding draws, readout, memory words) times a
hardware cost table (:mod:`core.energy`), on each of :data:`ENERGY_TABLES`.
"""

from __future__ import annotations

import numpy as np

from core.progress import current_verbosity
from core.random import MAX_SEED

#: The cost tables every experiment reports energy on (see core.energy).
ENERGY_TABLES = ("horowitz45_fp32", "loihi")
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


def operations(estimator, X=None, tables=ENERGY_TABLES) -> dict:
    """Operation counts of a fitted estimator and their energy on each cost table.

    Returns a dict with ``unit`` ("MAC" or "SOP", the learner's main
    operation), ``training_ops`` (effective main operations of training:
    forward and backward MACs, or synaptic operations), and per table ``t``
    ``training_joules_<t>`` (all training so far) and, when ``X`` is given,
    ``inference_joules_<t>`` (predicting ``X``, computed without changing
    the estimator) and ``inference_ops``. ``training_joules`` and
    ``inference_joules`` repeat the first table's values.
    """
    from core.energy import total_joules

    counts = estimator.cost(X)
    totals = counts.groupby(["phase", "category"])["count"].sum()
    kind = "MAC" if ("train", "macs") in totals.index else "SOP"
    main = ("macs", "macs_backward") if kind == "MAC" else ("synaptic_ops",)

    def main_ops(phase):
        return float(sum(totals.get((phase, category), 0) for category in main))

    result = {"unit": kind, "training_ops": main_ops("train")}
    train = total_joules(counts, tables, phase="train")
    for table, joules in train.items():
        result[f"training_joules_{table}"] = float(joules)
    result["training_joules"] = float(train.iloc[0])
    if X is not None:
        result["inference_ops"] = main_ops("inference")
        inference = total_joules(counts, tables, phase="inference")
        for table, joules in inference.items():
            result[f"inference_joules_{table}"] = float(joules)
        result["inference_joules"] = float(inference.iloc[0])
    return result


def subsample(X, y, n, rng, stratify=True):
    """At most ``n`` rows of (X, y), class-balanced where possible, in a seeded order."""
    if n is None or n >= len(X):
        order = rng.permutation(len(X))
        return X[order], y[order]
    if stratify:
        from sklearn.model_selection import train_test_split

        keep, _ = train_test_split(
            np.arange(len(X)), train_size=n, stratify=y, random_state=int(rng.integers(MAX_SEED))
        )
        keep = rng.permutation(keep)
    else:
        keep = rng.choice(len(X), size=n, replace=False)
    return X[keep], y[keep]
