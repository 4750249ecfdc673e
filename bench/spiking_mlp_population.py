"""Stacked spiking-MLP population against a Python loop over lone estimators, side by side.

``ann.SpikingMLPPopulation`` computes every agent's forward pass and
backward pass through time as one stacked array with a leading agent axis.
The reference is what the population did before: one
``ann.SpikingMLPClassifier`` per agent (seeded with that agent's
generator), each trained and asked in turn. Both see the same data: digits'
training split cut into one shard per agent, ``--rounds`` rounds of one
``partial_fit`` pass each, then every agent predicts the test split. The
script reports the CPU (and wall) time of both, for training and for
predicting, their ratio, and the largest
difference between their weights and between their predicted
probabilities (the two must agree up to rounding: the stack changes the
order of floating-point sums, nothing else).

Run (repository root; one BLAS thread):
    python bench/spiking_mlp_population.py                      # 10 and 50 agents
    python bench/spiking_mlp_population.py --agents 10 --rounds 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threadpoolctl import threadpool_limits

from ann import SpikingMLPClassifier, SpikingMLPPopulation
from tasks import load_task

#: The society's spiking_mlp agent settings (social.agents: batches of 8) at the estimator's defaults otherwise.
PARAMS = {"batch_size": 8, "n_steps": 20}
HIDDEN = (64,)


class Clock:
    """Wall and CPU seconds of a block (the run is single-threaded: on a shared
    machine its CPU time is the steadier measure)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def run(n_agents: int, rounds: int, seed: int = 0):
    task = load_task("digits", seed=seed)
    shards = np.array_split(np.random.default_rng(seed).permutation(len(task.X_train)), n_agents)
    Xs = [task.X_train[s] for s in shards]
    ys = [task.y_train[s] for s in shards]
    classes = np.arange(10)

    pop = SpikingMLPPopulation(
        n_agents, 64, classes, hidden_layer_sizes=HIDDEN, random_state=seed, **PARAMS
    )
    with Clock() as stacked_fit:
        for _ in range(rounds):
            pop.partial_fit(Xs, ys)
    with Clock() as stacked_predict:
        stacked_proba = pop.predict_proba(task.X_test)

    agents = [
        SpikingMLPClassifier(HIDDEN, random_state=rng, **PARAMS)
        for rng in np.random.default_rng(seed).spawn(n_agents)
    ]
    with Clock() as looped_fit:
        for _ in range(rounds):
            for agent, X, y in zip(agents, Xs, ys):
                agent.partial_fit(X, y, classes=classes)
    with Clock() as looped_predict:
        looped_proba = np.stack([agent.predict_proba(task.X_test) for agent in agents])

    weights = max(
        float(np.abs(pop.get_agent_weights(i)["weights_0"] - agent.coefs_[0]).max())
        for i, agent in enumerate(agents)
    )
    proba = float(np.abs(stacked_proba - looped_proba).max())
    accuracy = float((stacked_proba.argmax(-1) == task.y_test).mean())
    return {
        "fit": (stacked_fit, looped_fit),
        "predict": (stacked_predict, looped_predict),
        "weights": weights,
        "proba": proba,
        "accuracy": accuracy,
        "per_agent": len(shards[0]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"digits, hidden {HIDDEN}, {PARAMS}, float32, {args.rounds} rounds of partial_fit, "
        "then predict the 450 test images; CPU seconds (wall in brackets)"
    )
    print(
        "| agents | samples per agent | part | stacked s | loop s | loop / stacked (CPU) | "
        "max weight difference | max probability difference | mean accuracy |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n_agents in args.agents:
        found = run(n_agents, args.rounds)
        for part in ("fit", "predict"):
            stacked, looped = found[part]
            print(
                f"| {n_agents} | {found['per_agent']} | {part} | {stacked.cpu:.2f} "
                f"({stacked.wall:.1f}) | {looped.cpu:.2f} ({looped.wall:.1f}) | "
                f"{looped.cpu / stacked.cpu:.1f} | {found['weights']:.1e} | "
                f"{found['proba']:.1e} | {found['accuracy']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        main()
