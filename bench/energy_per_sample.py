"""Operations and energy per sample, by category, of both learners at their default sizes.

The MLP (one hidden layer of 64, digits) is trained for its default 30
epochs; the spiking network (400 neurons, digits) for one pass over
``--snn-train`` samples. Each then predicts ``--n-predict`` test samples,
counted with ``cost(X)`` (the estimator does not change). Counts are divided
by the samples trained on (per training presentation; the MLP's per epoch
and sample) or predicted, and priced on every registered cost table.

    python bench/energy_per_sample.py --seeds 0 1 2

prints, per learner and phase, the counts per sample by category, the
energy per sample on each table with a 95% t-interval over seeds, and the
spiking/MLP ratio per table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's packages

from core.energy import COST_TABLES, price
from experiments.stats import mean_interval
from tasks import load_task


def per_sample_counts(seed: int, snn_train: int, n_predict: int) -> pd.DataFrame:
    from ann import MLPClassifier
    from snn import STDPClassifier

    task = load_task("digits", seed=seed)
    X_test = task.X_test[:n_predict]
    rows = []
    mlp = MLPClassifier(random_state=seed).fit(task.X_train, task.y_train)
    trained = mlp.epochs * len(task.X_train)
    rows.append(_normalised(mlp.cost(X_test), "ann", seed, trained, len(X_test)))
    brain = STDPClassifier(epochs=1, random_state=seed)
    brain.fit(task.X_train[:snn_train], task.y_train[:snn_train])
    rows.append(_normalised(brain.cost(X_test), "snn", seed, snn_train, len(X_test)))
    return pd.concat(rows, ignore_index=True)


def _normalised(counts: pd.DataFrame, kind: str, seed: int, n_train: int, n_predict: int):
    counts = counts.copy()
    counts["per_sample"] = counts["count"] / np.where(
        counts["phase"] == "train", n_train, n_predict
    )
    return counts.assign(kind=kind, seed=seed)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--snn-train", type=int, default=200)
    parser.add_argument("--n-predict", type=int, default=100)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = pd.concat(
        [per_sample_counts(s, args.snn_train, args.n_predict) for s in args.seeds],
        ignore_index=True,
    )
    print(f"seeds {args.seeds}; {time.perf_counter() - started:.0f} s\n")
    print("Counts per sample (mean over seeds):")
    table = counts.pivot_table(
        index="category", columns=["kind", "phase"], values="per_sample", aggfunc="mean"
    )
    print(table.to_string(float_format=lambda v: f"{v:,.0f}"))
    priced = price(counts.assign(count=counts["per_sample"]), list(COST_TABLES))
    totals = priced.groupby(["table", "kind", "phase", "seed"])["energy_pj"].sum()
    print("\nEnergy per sample, pJ: mean [95% t-interval over seeds]")
    print("| cost table | phase | MLP | spiking | spiking / MLP |")
    print("| --- | --- | --- | --- | --- |")
    for table in COST_TABLES:
        for phase in ("train", "inference"):
            mlp = totals.loc[(table, "ann", phase)]
            snn = totals.loc[(table, "snn", phase)]
            ratio = mean_interval(np.log(snn.to_numpy() / mlp.to_numpy()))
            print(
                f"| {table} | {phase} | {mean_interval(mlp.to_numpy()).format(0)} | "
                f"{mean_interval(snn.to_numpy()).format(0)} | {np.exp(ratio.mean):.3g} "
                f"[{np.exp(ratio.low):.3g}, {np.exp(ratio.high):.3g}] |"
            )
    shares = priced[priced["table"] == "horowitz45_fp32"]
    share = shares.groupby(["kind", "phase", "category"])["energy_pj"].sum()
    share = share / share.groupby(level=["kind", "phase"]).transform("sum")
    print("\nShare of energy by category on horowitz45_fp32:")
    print(share.unstack(["kind", "phase"]).to_string(float_format=lambda v: f"{v:.1%}"))


if __name__ == "__main__":
    main()
