"""Test-split numbers under the evaluation protocol: both learners next to baselines and ablations.

The protocol (bench/RESULTS.md, "Evaluation protocol"): defaults were chosen
on validation splits only (bench/tune_defaults.py); here every model is
trained on the training split of ``load_task(task, seed)`` for each seed and
scored ONCE on its test split. The test split is read nowhere else. Numbers
are means over seeds with 95% t-intervals, and paired differences (same
seed, same split) against the spiking network.

Models per task
---------------
* ``mlp``: ``ann.MLPClassifier`` / ``MLPRegressor`` with its defaults.
* ``snn`` (vote readout, the classifier's default) and ``snn_linear`` (the
  same trained network, a ridge readout whose alpha is chosen per seed on
  the validation split): ``snn.STDPClassifier`` with its defaults.
  ``STDPRegressor`` on regression tasks.
* spiking ablations, same readout: ``snn_no_plasticity`` (random
  normalised weights), ``snn_no_threshold_adaptation``,
  ``snn_no_lateral_inhibition``; ``snn_no_weight_normalisation`` and
  ``snn_dt_0.25ms`` (the network simulated at half the time step) with
  ``--extra``.
* baselines from :mod:`experiments.baselines`: logistic regression, 1-NN,
  k-means + vote with as many prototypes as spiking neurons (ridge, ridge on
  receptive fields and the mean for regression).

The spiking variants of all seeds are trained side by side as the agents of
one block-diagonal Brian2 network (:class:`snn._engine.SpikingAgents`, each
agent with its own seed's data and the generator
``numpy.random.default_rng(seed)``, as ``STDPClassifier(random_state=seed)``
would use): agent ``i``'s arithmetic is that of a lone network. The
switches that are per-agent values here (threshold rise 0, lateral
inhibition 0, plasticity factor 0 on weights first rescaled to the
normalised sum) are what the estimators' switches do; weight normalisation
and the time step are network-wide, so they run as separate networks.

Run:
    nice -n 5 python bench/evaluation_protocol.py --tasks digits --seeds 0 1 2 3 4
    nice -n 5 python bench/evaluation_protocol.py --tasks digits --seeds 0 1 2 --extra
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brian2 import ms

from ann import MLPClassifier, MLPRegressor
from experiments.baselines import baselines
from snn import STDPClassifier, STDPRegressor
from snn._engine import SpikingAgents
from snn.estimators import build_config
from snn.readouts import LinearReadout, VoteReadout
from tasks import load_task

ALPHAS = (0.1, 1.0, 10.0, 100.0)


class _Agents(SpikingAgents):
    """Agents whose lateral inhibition differs per agent, in learning and in frozen passes."""

    learn_inhibition: np.ndarray
    frozen_inhibition: np.ndarray

    @property
    def evaluated_differently(self):
        return False  # the caller makes the frozen passes itself

    def train(self, *args, **kwargs):
        self.agent_params["inhibition"] = self.learn_inhibition
        return super().train(*args, **kwargs)

    def _frozen_pass(self, *args, **kwargs):
        self.agent_params["inhibition"] = self.frozen_inhibition
        try:
            return super()._frozen_pass(*args, **kwargs)
        finally:
            self.agent_params["inhibition"] = self.learn_inhibition


def spiking_side_by_side(estimator, tasks, variants, **network):
    """Train ``len(tasks) * len(variants)`` agents in one network; return test scores.

    Parameters
    ----------
    estimator : STDPClassifier or STDPRegressor (unfitted; its parameters are used)
    tasks : dict seed -> Task
    variants : list of {"full", "no_plasticity", "no_threshold_adaptation",
        "no_lateral_inhibition"}
    **network : estimator parameters that change the whole network
        (``weight_normalisation=False``, ``dt=...``)

    Returns
    -------
    list of dict rows (seed, model, score, ...)
    """
    params = {**estimator.get_params(), **network}
    regression = isinstance(estimator, STDPRegressor)
    evaluation_inhibition = params["evaluation_inhibition"]
    params["evaluation_inhibition"] = None  # per agent, below
    first = next(iter(tasks.values()))
    config = build_config(params, first.n_features, regression=regression)
    agents = [(seed, variant) for variant in variants for seed in tasks]
    n = len(agents)
    n_classes = None if regression else len(first.classes)
    n_outputs = 1 if regression else n_classes
    engine = _Agents(
        n,
        first.n_features,
        config,
        n_outputs,
        n_classes,
        [np.random.default_rng(seed) for seed, _ in agents],
    )
    learn = np.full(n, config.inhibition)
    frozen = np.full(
        n, config.inhibition if evaluation_inhibition is None else float(evaluation_inhibition)
    )
    theta_plus = np.full(n, float(config.theta_plus))
    lr = np.ones(n)
    for a, (_, variant) in enumerate(agents):
        if variant == "no_lateral_inhibition":
            learn[a] = frozen[a] = 0.0
        elif variant == "no_threshold_adaptation":
            theta_plus[a] = 0.0
        elif variant == "no_plasticity":
            lr[a] = 0.0
        elif variant != "full":
            raise ValueError(f"unknown variant {variant!r}")
    engine.learn_inhibition, engine.frozen_inhibition = learn, frozen
    engine.agent_params["theta_plus"] = theta_plus * config.theta_plus / float(config.theta_plus)
    engine.learning_rate_scale = lr
    if (lr == 0).any():
        normalised = engine._normalised_weights()
        engine.weights[lr == 0] = normalised[lr == 0]

    def targets_of(task, y):
        return y.reshape(-1, 1).astype(float) if regression else np.eye(n_classes)[y]

    Xs = [tasks[seed].X_train for seed, _ in agents]
    ys = [tasks[seed].y_train for seed, _ in agents]
    targets = [targets_of(tasks[seed], y) for (seed, _), y in zip(agents, ys)]
    labels = None if regression else ys
    started = time.perf_counter()
    engine.train(Xs, targets, labels, epochs=int(params["epochs"]), readout_pass=False)
    # the frozen readout pass fit makes (same generators, same order)
    train_counts, _ = engine.respond(Xs, rngs=engine.rngs, charge_to="train")
    val_counts, _ = engine.respond([tasks[seed].X_val for seed, _ in agents])
    test_counts, _ = engine.respond([tasks[seed].X_test for seed, _ in agents])
    seconds = time.perf_counter() - started

    def padded(arrays, width):
        out = np.zeros((n, max(len(a) for a in arrays), width))
        mask = np.zeros((n, out.shape[1]))
        for a, array in enumerate(arrays):
            out[a, : len(array)] = array
            mask[a, : len(array)] = 1
        return out, mask

    train_targets, train_mask = padded(targets, n_outputs)
    rows = []

    def score(predictions, a, split):
        task = tasks[agents[a][0]]
        y = task.y_val if split == "val" else task.y_test
        k = len(y)
        if regression:
            residual = ((y - predictions[a, :k, 0]) ** 2).sum()
            return 1.0 - residual / ((y - y.mean()) ** 2).sum()
        return float(np.mean(predictions[a, :k].argmax(axis=1) == y))

    readouts = {}
    if not regression:
        vote = VoteReadout(n, config.n_neurons, n_outputs)
        vote.update(train_counts, train_targets, train_mask)
        readouts[""] = [(vote.scores(test_counts), None)]
    linear_val, linear_test = [], []
    for alpha in ALPHAS if not regression else (config.alpha,):
        linear = LinearReadout(n, config.n_neurons, n_outputs, alpha=alpha)
        linear.update(train_counts, train_targets, train_mask)
        linear_val.append(linear.scores(val_counts))
        linear_test.append(linear.scores(test_counts))
    suffix = "" if regression else "_linear"
    for a, (seed, variant) in enumerate(agents):
        name = "snn" if variant == "full" else f"snn_{variant}"
        if not regression:
            rows.append(dict(seed=seed, model=name, score=score(readouts[""][0][0], a, "test")))
        chosen = int(np.argmax([score(p, a, "val") for p in linear_val]))
        rows.append(
            dict(
                seed=seed,
                model=name + suffix,
                score=score(linear_test[chosen], a, "test"),
                alpha=(ALPHAS if not regression else (config.alpha,))[chosen],
            )
        )
    for row in rows:
        row.update(seconds_shared=round(seconds, 1), n_agents=n, **_network_tag(network))
        if network:
            row["model"] = row["model"].replace("snn", "snn_" + _network_tag(network)["network"], 1)
    return rows


def no_plasticity_rows(estimator, tasks):
    """``plasticity=False`` through the estimator itself: random normalised weights, readouts only.

    Cheap (frozen passes only), so every seed runs as a lone estimator; the
    vote readout is the estimator's own, the ridge readout (alpha chosen on
    validation) is fitted on a frozen pass over the training set.
    """
    rows = []
    for seed, task in tasks.items():
        started = time.perf_counter()
        model = clone(estimator).set_params(plasticity=False, random_state=seed)
        model.fit(task.X_train, task.y_train)
        rows.append(
            dict(seed=seed, model="snn_no_plasticity", score=model.score(task.X_test, task.y_test))
        )
        agents = model.agents_
        train_counts, _ = agents.respond([task.X_train], rngs=[np.random.default_rng(seed + 1)])
        val_counts, _ = agents.respond([task.X_val])
        test_counts, _ = agents.respond([task.X_test])
        n_classes = len(model.classes_)
        best = None
        for alpha in ALPHAS:
            linear = LinearReadout(1, model.n_neurons, n_classes, alpha=alpha)
            linear.update(train_counts, np.eye(n_classes)[task.y_train][None])
            val = float(np.mean(linear.scores(val_counts)[0].argmax(axis=1) == task.y_val))
            test = float(np.mean(linear.scores(test_counts)[0].argmax(axis=1) == task.y_test))
            if best is None or val > best[0]:
                best = (val, test, alpha)
        rows.append(dict(seed=seed, model="snn_no_plasticity_linear", score=best[1], alpha=best[2]))
        for row in rows[-2:]:
            row["seconds"] = round(time.perf_counter() - started, 1)
            print(json.dumps({"task": task.name, **row}), flush=True)
    return rows


def _network_tag(network):
    if not network:
        return {}
    parts = []
    for key, value in network.items():
        if key == "weight_normalisation" and value is False:
            parts.append("no_weight_normalisation")
        elif key == "dt":
            parts.append(f"dt_{float(value / ms):g}ms")
        else:
            parts.append(f"{key}={value}")
    return {"network": "+".join(parts)}


def other_models(tasks, n_neurons):
    rows = []
    for seed, task in tasks.items():
        mlp = (MLPClassifier if task.kind == "classification" else MLPRegressor)(random_state=seed)
        models = {"mlp": mlp, **baselines(task, n_prototypes=n_neurons, random_state=seed)}
        for name, model in models.items():
            started = time.perf_counter()
            model.fit(task.X_train, task.y_train)
            rows.append(
                dict(
                    seed=seed,
                    model=name,
                    score=float(model.score(task.X_test, task.y_test)),
                    seconds=round(time.perf_counter() - started, 1),
                )
            )
            print(json.dumps({"task": task.name, **rows[-1]}), flush=True)
    return rows


def interval(values):
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = values.mean()
    if n < 2:
        return mean, float("nan")
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return mean, half


def table(frame: pd.DataFrame, reference: str = "snn") -> str:
    lines = [
        f"| model | n seeds | test score, mean ± 95% CI | paired difference to {reference} |",
        "| --- | ---: | ---: | ---: |",
    ]
    wide = frame.pivot_table(index="seed", columns="model", values="score")
    order = frame.groupby("model")["score"].mean().sort_values(ascending=False).index
    for model in order:
        column = wide[model].dropna()
        mean, half = interval(column)
        diff = ""
        if reference in wide and model != reference:
            paired = (wide[model] - wide[reference]).dropna()
            if len(paired) >= 2:
                d, h = interval(paired)
                diff = f"{d:+.3f} ± {h:.3f}"
        lines.append(f"| {model} | {len(column)} | {mean:.3f} ± {half:.3f} | {diff} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["digits"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["full", "no_plasticity", "no_threshold_adaptation", "no_lateral_inhibition"],
    )
    parser.add_argument(
        "--extra",
        action="store_true",
        help="also the network without weight normalisation and the network at dt 0.25 ms",
    )
    parser.add_argument("--skip-others", action="store_true", help="spiking models only")
    parser.add_argument(
        "--others-from",
        default=None,
        help="read the MLP and baseline rows from this earlier run's log (JSON lines)",
    )
    parser.add_argument(
        "--no-plasticity-estimator",
        action="store_true",
        help="the no-plasticity network through STDPClassifier(plasticity=False), every seed",
    )
    parser.add_argument(
        "--extra-only", action="store_true", help="only the --extra networks (implies --extra)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script")
    parser.add_argument(
        "--n-train", type=int, default=None, help="train on the first N training samples only"
    )
    parser.add_argument(
        "--snn",
        default="{}",
        help='JSON spiking parameters, e.g. \'{"n_neurons": 100, "epochs": 1}\'',
    )
    parser.add_argument("--out", default=None, help="CSV of every (task, seed, model) score")
    args = parser.parse_args(argv)
    all_rows = []
    for name in args.tasks:
        tasks = {seed: load_task(name, seed=seed) for seed in args.seeds}
        first = tasks[args.seeds[0]]
        estimator = STDPClassifier() if first.kind == "classification" else STDPRegressor()
        estimator.set_params(**json.loads(args.snn))
        if args.n_train:
            tasks = {
                s: dataclasses.replace(
                    t, X_train=t.X_train[: args.n_train], y_train=t.y_train[: args.n_train]
                )
                for s, t in tasks.items()
            }
        if args.smoke:
            small = dict(n_neurons=12, presentation_time=50 * ms, rest_time=10 * ms, epochs=1)
            estimator.set_params(**small)
            tasks = {
                s: dataclasses.replace(
                    t,
                    X_train=t.X_train[:40],
                    y_train=t.y_train[:40],
                    X_test=t.X_test[:30],
                    y_test=t.y_test[:30],
                    X_val=t.X_val[:30],
                    y_val=t.y_val[:30],
                )
                for s, t in tasks.items()
            }
        if args.others_from:
            rows = [
                {k: v for k, v in json.loads(line).items() if k != "task"}
                for line in Path(args.others_from).read_text().splitlines()
                if line.startswith("{")
                and json.loads(line).get("task") == name
                and not json.loads(line)["model"].startswith("snn")
            ]
        else:
            rows = [] if args.skip_others else other_models(tasks, estimator.n_neurons)
        if args.no_plasticity_estimator:
            rows += no_plasticity_rows(estimator, tasks)
        runs = [] if args.extra_only else [({}, args.variants)]
        if args.extra or args.extra_only:
            runs += [({"weight_normalisation": False}, ["full"]), ({"dt": 0.25 * ms}, ["full"])]
        for network, variants in runs:
            started = time.perf_counter()
            spiking = spiking_side_by_side(estimator, tasks, variants, **network)
            for row in spiking:
                print(json.dumps({"task": name, **row}), flush=True)
            print(
                f"# {name} {network or 'main'}: {time.perf_counter() - started:.0f} s", flush=True
            )
            rows += spiking
        frame = pd.DataFrame(rows).assign(task=name)
        all_rows.append(frame)
        print(f"\n### {name} (seeds {args.seeds})\n")
        print(table(frame))
        print()
    if args.out:
        pd.concat(all_rows).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
