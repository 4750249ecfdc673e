"""Accuracy of the Diehl & Cook network on the project's tasks, per rule and per setting.

Two modes:

``rules``   every registered plasticity rule in ``STDPClassifier`` (its tuned
            defaults, ``rule=<name>``) on digits: test accuracy with the
            ``vote`` readout and with the ``linear`` readout on the same
            trained network (the readout is refitted on the frozen pass's
            spike counts), plus wall time. Optionally the other tasks.
``sweep``   a parameter sweep on digits: many differently tuned agents
            trained side by side in ONE block-diagonal Brian2 network
            (``snn._engine.SpikingAgents`` with per-agent learning-rate and
            input-rate factors and per-agent threshold, inhibition and weight
            normalisation), each scored with both readouts -- the way the
            settings in bench/RESULTS.md were explored.

Run:
    python bench/snn_accuracy.py rules [--rules stdp label_gated_stdp] [--tasks digits iris]
    python bench/snn_accuracy.py sweep --agents '[{"theta_plus": 0.5}, {"lr": 2}]' \\
        --base '{"n_neurons": 100}' --epochs 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brian2 import Hz, ms, mV, second

from snn import RULES, SimulationDiverged, STDPClassifier, STDPRegressor
from snn._engine import SpikingAgents
from snn.estimators import build_config
from snn.readouts import LinearReadout, VoteReadout
from tasks import load_task

UNITS = {
    "presentation_time": ms,
    "rest_time": ms,
    "dt": ms,
    "max_rate": Hz,
    "theta_plus": mV,
    "tau_theta": second,
}
ALPHAS = (1.0, 10.0, 100.0)


def with_units(spec: dict) -> dict:
    """Estimator parameters from a JSON-friendly dict (times in ms, rates in Hz, theta in mV,
    tau_theta in s; ``rule_params`` builds the rule instance)."""
    params = {k: (v * UNITS[k] if k in UNITS else v) for k, v in spec.items() if k != "rule_params"}
    if "rule_params" in spec:
        params["rule"] = RULES[spec.get("rule", "stdp")](**spec["rule_params"])
    return params


def linear_accuracy(train_counts, y_train, test_counts, y_test, n_classes, normalize=False):
    """Best test accuracy of ridge readouts (alphas in ALPHAS) on the given counts."""
    n_agents, _, n_neurons = train_counts.shape
    best = np.zeros(n_agents)
    if normalize:
        train_counts = train_counts / np.maximum(train_counts.sum(axis=2, keepdims=True), 1)
        test_counts = test_counts / np.maximum(test_counts.sum(axis=2, keepdims=True), 1)
    for alpha in ALPHAS:
        readout = LinearReadout(n_agents, n_neurons, n_classes, alpha=alpha)
        readout.update(train_counts, np.tile(np.eye(n_classes)[y_train], (n_agents, 1, 1)))
        accuracy = (readout.scores(test_counts).argmax(axis=2) == y_test).mean(axis=1)
        best = np.maximum(best, accuracy)
    return best


def run_rules(args):
    rows = []
    for task_name in args.tasks:
        task = load_task(task_name, seed=0)
        for rule in args.rules:
            started = time.perf_counter()
            if task.kind == "regression":
                if RULES[rule].uses_reward:
                    continue
                model = STDPRegressor(rule=rule, random_state=args.seed)
                model.fit(task.X_train, task.y_train)
                score = model.score(task.X_test, task.y_test)
                rows.append(
                    (task_name, rule, "-", f"R2 {score:.3f}", time.perf_counter() - started)
                )
                continue
            model = STDPClassifier(rule=rule, random_state=args.seed)
            try:
                model.fit(task.X_train, task.y_train)
            except SimulationDiverged as error:
                rows.append((task_name, rule, "diverged", "-", time.perf_counter() - started))
                print(f"{task_name} {rule}: {error}", flush=True)
                continue
            vote = model.score(task.X_test, task.y_test)
            agents = model.agents_
            y_index = np.searchsorted(model.classes_, task.y_train)
            train_counts, _ = agents.respond(
                [task.X_train], rngs=[np.random.default_rng(args.seed + 1)]
            )
            test_counts, _ = agents.respond([task.X_test])
            linear = linear_accuracy(
                train_counts,
                y_index,
                test_counts,
                np.searchsorted(model.classes_, task.y_test),
                len(model.classes_),
            )[0]
            rows.append(
                (task_name, rule, f"{vote:.3f}", f"{linear:.3f}", time.perf_counter() - started)
            )
            print(
                json.dumps(
                    dict(
                        task=task_name,
                        rule=rule,
                        vote=vote,
                        linear=float(linear),
                        seconds=round(rows[-1][-1]),
                    )
                ),
                flush=True,
            )
    print()
    print("| task | rule | vote | linear | wall s |")
    print("| --- | --- | ---: | ---: | ---: |")
    for task_name, rule, vote, linear, seconds in rows:
        print(f"| {task_name} | {rule} | {vote} | {linear} | {seconds:.0f} |")


def run_sweep(args):
    base = json.loads(args.base)
    agents = json.loads(args.agents)
    task = load_task("digits", seed=0)
    n = args.n_train or len(task.X_train)
    X, y = task.X_train[:n], task.y_train[:n]
    params = STDPClassifier().get_params()
    params.update(with_units(base))
    config = build_config(params, X.shape[1], regression=False)
    n_agents = len(agents)
    engine = SpikingAgents(
        n_agents, X.shape[1], config, 10, 10, np.random.default_rng(args.seed).spawn(n_agents)
    )
    # A learning-rate factor scales every plastic change, the threshold's
    # included; dividing theta_plus (and multiplying tau_theta) by it keeps the
    # threshold dynamics at the agent's nominal values.
    lr = np.array([a.get("lr", 1.0) for a in agents], dtype=float)
    engine.learning_rate_scale = lr
    engine.rate_scale = np.array([a.get("rate", 1.0) for a in agents], dtype=float)
    default = dict(
        theta_plus=float(config.theta_plus / mV),
        tau_theta=float(config.tau_theta / second),
        inhibition=config.inhibition,
        mean_weight=config.mean_input_weight,
    )
    value = {
        key: np.array([a.get(key, d) for a in agents], dtype=float) for key, d in default.items()
    }
    engine.agent_params = {
        "theta_plus": value["theta_plus"] / lr * mV,
        "tau_theta": value["tau_theta"] * lr * second,
        "inhibition": value["inhibition"],
        "weight_sum": value["mean_weight"] * engine.n_inputs,
    }
    started = time.perf_counter()
    engine.train(
        [X] * n_agents,
        [np.eye(10)[y]] * n_agents,
        [y] * n_agents,
        epochs=args.epochs,
        readout_pass=True,
    )
    seconds = time.perf_counter() - started
    scores = {}
    for inhibition in [None] + [float(v) for v in args.evaluation_inhibition]:
        if inhibition is not None:
            engine.agent_params["inhibition"] = np.full(n_agents, inhibition)
        label = "" if inhibition is None else f"_inh{inhibition:g}"
        train_counts, _ = engine.respond(
            [X] * n_agents, rngs=[np.random.default_rng(args.seed + 1)] * n_agents
        )
        test_counts, _ = engine.respond([task.X_test] * n_agents)
        vote = VoteReadout(n_agents, config.n_neurons, 10)
        vote.update(train_counts, np.tile(np.eye(10)[y], (n_agents, 1, 1)))
        scores["vote" + label] = (vote.scores(test_counts).argmax(axis=2) == task.y_test).mean(
            axis=1
        )
        scores["linear" + label] = linear_accuracy(train_counts, y, test_counts, task.y_test, 10)
        scores["linear_norm" + label] = linear_accuracy(
            train_counts, y, test_counts, task.y_test, 10, normalize=True
        )
        scores["spikes" + label] = test_counts.sum(axis=2).mean(axis=1)
    for i, agent in enumerate(agents):
        print(
            json.dumps(
                dict(
                    base=base,
                    agent=agent,
                    epochs=args.epochs,
                    n_train=n,
                    **{k: round(float(v[i]), 4) for k, v in scores.items()},
                    wall_seconds=round(seconds),
                )
            ),
            flush=True,
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    rules = sub.add_parser("rules", help="each rule with the estimator's defaults")
    rules.add_argument("--rules", nargs="+", default=sorted(RULES))
    rules.add_argument("--tasks", nargs="+", default=["digits"])
    rules.add_argument("--seed", type=int, default=0)
    sweep = sub.add_parser("sweep", help="heterogeneous agents in one network, on digits")
    sweep.add_argument("--base", default="{}", help="JSON: estimator parameters shared by all")
    sweep.add_argument(
        "--agents",
        required=True,
        help="JSON list of per-agent dicts: lr, rate, theta_plus (mV), "
        "tau_theta (s), inhibition, mean_weight",
    )
    sweep.add_argument("--epochs", type=int, default=1)
    sweep.add_argument(
        "--evaluation-inhibition",
        nargs="*",
        default=[5.0],
        help="also score with these lateral inhibitions in the frozen passes",
    )
    sweep.add_argument("--n-train", type=int, default=None)
    sweep.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    run_rules(args) if args.mode == "rules" else run_sweep(args)


if __name__ == "__main__":
    main()
