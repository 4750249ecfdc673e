"""Benchmark: ann's MLP against scikit-learn's, and the batched population against loops.

Run from the repository root::

    python bench/ann_vs_sklearn.py            # about two minutes on 2 cores
    python bench/ann_vs_sklearn.py --quick    # a smoke run
    python bench/ann_vs_sklearn.py --society-only   # part 2 only

1. **One network.** Digits (1347 training images), one hidden layer of 64
   units, both libraries at their defaults: ``ann.MLPClassifier()`` against
   ``sklearn.neural_network.MLPClassifier()``. Fit time and test accuracy,
   measured side by side (alternating which goes first) for each seed.
   Targets: accuracy no lower, time at most half.
2. **A society.** 100 agents, each with its own shard of the digits training
   set, each round one epoch on its shard: ``ann.MLPPopulation()`` against a
   Python loop over 100 ``ann.MLPClassifier()`` (both at their defaults: the
   same computation, checked to give the same predictions) and over 100
   scikit-learn ``MLPClassifier`` with the same network and optimizer
   settings; the population also in float32. Shards: the training set split
   100 ways (13-14 samples), 32 samples per agent (the local batch of a
   ``social`` round) and 128. Target: the population at least 10x faster.
   To show where the population's time goes, one Adam update of all its
   parameters is also timed alone: the part of a step that costs the same
   per parameter whether the agents are stacked or looped over.

The machine is shared, so absolute times carry noise; each comparison is
measured in one run, interleaved, and summarised by medians, in wall time
and in CPU time (this process, all threads), which other jobs disturb less.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

from ann import MLPClassifier, MLPPopulation
from tasks import load_task


def timed(function):
    """``(result, wall seconds, CPU seconds of this process, all threads)``.

    CPU time is the load-robust figure on a shared machine: wall time grows
    with whatever else runs, CPU time much less.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def single_network(repeats: int) -> dict:
    rows = []
    for seed in range(repeats):
        task = load_task("digits", seed=seed)

        def ours(task=task, seed=seed):
            return MLPClassifier(hidden_layer_sizes=(64,), random_state=seed).fit(
                task.X_train, task.y_train
            )

        def theirs(task=task, seed=seed):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return SklearnMLP(hidden_layer_sizes=(64,), random_state=seed).fit(
                    task.X_train, task.y_train
                )

        order = [("ann", ours), ("sklearn", theirs)]
        if seed % 2:
            order.reverse()
        result = {}
        for name, run in order:
            model, wall, cpu = timed(run)
            result[name] = (model.score(task.X_test, task.y_test), wall, cpu)
        rows.append(result)
        print(
            f"  seed {seed}: ann {result['ann'][0]:.4f} in {result['ann'][1]:.3f} s "
            f"(CPU {result['ann'][2]:.3f} s), sklearn {result['sklearn'][0]:.4f} in "
            f"{result['sklearn'][1]:.3f} s (CPU {result['sklearn'][2]:.3f} s), time ratio "
            f"{result['ann'][1] / result['sklearn'][1]:.2f} (CPU "
            f"{result['ann'][2] / result['sklearn'][2]:.2f})",
            flush=True,
        )
    summary = {
        "ann_accuracy": float(np.median([r["ann"][0] for r in rows])),
        "sklearn_accuracy": float(np.median([r["sklearn"][0] for r in rows])),
        "ann_seconds": float(np.median([r["ann"][1] for r in rows])),
        "sklearn_seconds": float(np.median([r["sklearn"][1] for r in rows])),
        "time_ratio": float(np.median([r["ann"][1] / r["sklearn"][1] for r in rows])),
        "cpu_ratio": float(np.median([r["ann"][2] / r["sklearn"][2] for r in rows])),
    }
    print(
        f"  median: ann {summary['ann_accuracy']:.4f} in {summary['ann_seconds']:.3f} s, "
        f"sklearn {summary['sklearn_accuracy']:.4f} in {summary['sklearn_seconds']:.3f} s; "
        f"time ratio ann/sklearn {summary['time_ratio']:.2f} (target <= 0.5; CPU time ratio "
        f"{summary['cpu_ratio']:.2f}), accuracy "
        f"{'no lower' if summary['ann_accuracy'] >= summary['sklearn_accuracy'] else 'LOWER'}"
    )
    return summary


def society(n_agents: int, shard_size: int | None, rounds: int, repeats: int) -> dict:
    """``rounds`` rounds of one epoch per agent; shards split the training set, or
    (``shard_size``) are drawn per agent without replacement."""
    task = load_task("digits", seed=0)
    rng = np.random.default_rng(0)
    if shard_size is None:
        parts = np.array_split(rng.permutation(len(task.X_train)), n_agents)
    else:
        parts = [rng.choice(len(task.X_train), shard_size, replace=False) for _ in range(n_agents)]
    Xs = [task.X_train[p] for p in parts]
    ys = [task.y_train[p] for p in parts]
    classes = np.arange(10)
    seeds = lambda: np.random.SeedSequence(0).spawn(n_agents)  # noqa: E731

    def population(dtype="float64"):
        pop = MLPPopulation(n_agents, 64, classes, random_state=0, dtype=dtype)
        for _ in range(rounds):
            pop.partial_fit(Xs, ys)
        return pop

    def ann_loop():
        models = [MLPClassifier(random_state=s) for s in seeds()]
        for _ in range(rounds):
            for model, X, y in zip(models, Xs, ys):
                model.partial_fit(X, y, classes=classes)
        return models

    def sklearn_loop():
        # The same network (scikit-learn's default is 100 hidden units) and
        # the same Adam step size, minibatch size and L2 penalty as ann's
        # defaults, so that both loops do the same computation.
        models = [
            SklearnMLP(
                hidden_layer_sizes=(64,), learning_rate_init=0.02, batch_size=64, random_state=i
            )
            for i in range(n_agents)
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "batch_size larger than sample size: clipped"
            for _ in range(rounds):
                for model, X, y in zip(models, Xs, ys):
                    model.partial_fit(X, y, classes=classes)
        return models

    def adam_update_seconds(dtype: str, n_updates: int = 50) -> float:
        # CPU time of one Adam update of all agents' parameters, alone, on a
        # population that has trained (so the moments are not zero). Reaches
        # into the network on purpose: this is a diagnostic, not an interface.
        network = population(dtype)._network
        _, _, cpu = timed(
            lambda: [
                network.optimizer.step([network.theta], [network._grad]) for _ in range(n_updates)
            ]
        )
        return cpu / n_updates

    runs = (
        ("population", population),
        ("population_float32", lambda: population("float32")),
        ("ann_loop", ann_loop),
        ("sklearn_loop", sklearn_loop),
    )
    times = {name: [] for name, _ in runs}
    cpu_times = {name: [] for name, _ in runs}
    for _ in range(repeats):
        for name, run in runs:
            result, wall, cpu = timed(run)
            times[name].append(wall)
            cpu_times[name].append(cpu)
            if name == "population":
                pop = result
            elif name == "ann_loop":
                models = result
    adam_cpu = {
        dtype: float(np.median([adam_update_seconds(dtype) for _ in range(3)]))
        for dtype in ("float64", "float32")
    }
    # The loop of lone classifiers computes exactly what the population does.
    shared = pop.predict_proba(task.X_test)
    difference = max(
        np.abs(shared[i] - m.predict_proba(task.X_test)).max() for i, m in enumerate(models)
    )
    accuracy = float(np.median((pop.predict(task.X_test) == task.y_test).mean(axis=1)))
    medians = {k: float(np.median(v)) for k, v in times.items()}
    cpu = {k: float(np.median(v)) for k, v in cpu_times.items()}
    steps_per_round = int(np.ceil(max(len(X) for X in Xs) / 64))  # minibatches of the default size
    summary = {
        **{f"{k}_cpu_seconds": v for k, v in cpu.items()},
        **{f"{k}_seconds": v for k, v in medians.items()},
        "speedup_vs_ann_loop": medians["ann_loop"] / medians["population"],
        "speedup_vs_sklearn_loop": medians["sklearn_loop"] / medians["population"],
        "float32_speedup_vs_ann_loop": medians["ann_loop"] / medians["population_float32"],
        "cpu_speedup_vs_ann_loop": cpu["ann_loop"] / cpu["population"],
        "cpu_speedup_vs_sklearn_loop": cpu["sklearn_loop"] / cpu["population"],
        "float32_cpu_speedup_vs_ann_loop": cpu["ann_loop"] / cpu["population_float32"],
        "adam_update_cpu_seconds": adam_cpu["float64"],
        "adam_update_cpu_seconds_float32": adam_cpu["float32"],
        "max_probability_difference": float(difference),
        "median_agent_accuracy": accuracy,
    }
    sizes = [len(X) for X in Xs]
    ms = lambda seconds: 1e3 * seconds / rounds  # noqa: E731  per round, in ms
    print(
        f"  {n_agents} agents, {min(sizes)}-{max(sizes)} samples each, {rounds} rounds: "
        f"population {medians['population']:.3f} s, loop of ann.MLPClassifier "
        f"{medians['ann_loop']:.3f} s ({summary['speedup_vs_ann_loop']:.1f}x), loop of sklearn "
        f"MLPClassifier {medians['sklearn_loop']:.3f} s ({summary['speedup_vs_sklearn_loop']:.1f}x); "
        f"population in float32 {medians['population_float32']:.3f} s "
        f"({summary['float32_speedup_vs_ann_loop']:.1f}x the ann loop)\n"
        f"    CPU time per round: population {ms(cpu['population']):.1f} ms (float32 "
        f"{ms(cpu['population_float32']):.1f} ms), ann loop {ms(cpu['ann_loop']):.1f} ms, sklearn loop "
        f"{ms(cpu['sklearn_loop']):.1f} ms; CPU-time speedups {summary['cpu_speedup_vs_ann_loop']:.1f}x "
        f"(ann loop; float32 {summary['float32_cpu_speedup_vs_ann_loop']:.1f}x), "
        f"{summary['cpu_speedup_vs_sklearn_loop']:.1f}x (sklearn loop)\n"
        f"    10x the ann loop needs <= {ms(cpu['ann_loop']) / 10:.1f} ms per round; {steps_per_round} "
        f"Adam update(s) of all {n_agents} agents' parameters alone take "
        f"{1e3 * steps_per_round * adam_cpu['float64']:.1f} ms CPU (float32 "
        f"{1e3 * steps_per_round * adam_cpu['float32']:.1f} ms)\n"
        f"    population vs lone classifiers: max |p difference| {difference:.1e}; median agent "
        f"test accuracy {accuracy:.3f}",
        flush=True,
    )
    return summary


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="seeds / repetitions (default 5)")
    parser.add_argument("--rounds", type=int, default=10, help="society rounds (default 10)")
    parser.add_argument("--quick", action="store_true", help="1 repeat, 2 rounds")
    parser.add_argument("--society-only", action="store_true", help="skip part 1 (one network)")
    args = parser.parse_args(argv)
    repeats, rounds = (1, 2) if args.quick else (args.repeats, args.rounds)
    results = {}
    if not args.society_only:
        print("1. digits, hidden_layer_sizes=(64,), both at their defaults")
        results["single"] = single_network(repeats)
    print("2. 100 agents, one epoch per round (MLPPopulation vs Python loops)")
    results["shards"] = society(100, None, rounds, max(1, repeats // 2))
    results["local_batches"] = society(100, 32, rounds, max(1, repeats // 2))
    results["subsets"] = society(100, 128, rounds, max(1, repeats // 2))
    return results


if __name__ == "__main__":
    main()
