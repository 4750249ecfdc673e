"""Tune the surrogate-gradient spiking MLP on digits on a validation split, then test once.

The validation split (20% of the training images, stratified, per seed) is
carved from the training data; every setting of the grid is scored on it;
the best setting is refitted on the whole training split and scored on the
test split once per seed. ``ann.MLPClassifier`` (its defaults) and logistic
regression on raw pixels run beside it on the same splits as baselines. Wall
times are for one process with one BLAS thread.

Run (repository root):
    python bench/spiking_mlp_digits.py            # grid on seed 0, then 3 test seeds
    python bench/spiking_mlp_digits.py --seeds 5
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from ann import MLPClassifier, SpikingMLPClassifier
from tasks import load_task

GRID = {
    "hidden_layer_sizes": [(128,), (256,)],
    "n_steps": [10, 20],
    "learning_rate": [0.002, 0.005, 0.01],
}
EPOCHS = 20


def timed_fit(estimator, X, y):
    started = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    task = load_task("digits", seed=0)
    X_fit, X_val, y_fit, y_val = task.X_train, task.X_val, task.y_train, task.y_val
    print(f"## grid on seed 0 ({len(X_fit)} fit / {len(X_val)} validation images), {EPOCHS} epochs")
    print("| hidden | n_steps | learning_rate | validation accuracy | fit s |")
    print("| --- | --- | --- | --- | --- |")
    trials = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values))
        clf = SpikingMLPClassifier(epochs=EPOCHS, random_state=0, **params)
        seconds = timed_fit(clf, X_fit, y_fit)
        accuracy = clf.score(X_val, y_val)
        trials.append((accuracy, -seconds, params))
        print(
            f"| {params['hidden_layer_sizes'][0]} | {params['n_steps']} | "
            f"{params['learning_rate']} | {accuracy:.4f} | {seconds:.1f} |",
            flush=True,
        )
    best = max(trials, key=lambda trial: (trial[0], trial[1]))[2]
    print(f"\nchosen on validation: {best}\n")
    print("| seed | spiking MLP test acc. | fit s | MLP test acc. | fit s | logistic regression |")
    print("| --- | --- | --- | --- | --- | --- |")
    scores = []
    for seed in range(args.seeds):
        task = load_task("digits", seed=seed)
        spiking = SpikingMLPClassifier(epochs=EPOCHS, random_state=seed, **best)
        spiking_s = timed_fit(spiking, task.X_train, task.y_train)
        mlp = MLPClassifier(random_state=seed)
        mlp_s = timed_fit(mlp, task.X_train, task.y_train)
        logistic = LogisticRegression(max_iter=2000).fit(task.X_train, task.y_train)
        row = (
            spiking.score(task.X_test, task.y_test),
            mlp.score(task.X_test, task.y_test),
            logistic.score(task.X_test, task.y_test),
        )
        scores.append(row)
        print(
            f"| {seed} | {row[0]:.4f} | {spiking_s:.1f} | {row[1]:.4f} | {mlp_s:.1f} | "
            f"{row[2]:.4f} |",
            flush=True,
        )
    scores = np.array(scores)
    print(
        f"| mean | {scores[:, 0].mean():.4f} | | {scores[:, 1].mean():.4f} | | "
        f"{scores[:, 2].mean():.4f} |"
    )


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        main()
