"""Re-tune both learners' defaults on digits' validation split, with the same trial budget.

The evaluation protocol (bench/RESULTS.md, "Evaluation protocol"): every
default chosen by measurement is chosen on the validation split of
``load_task("digits", seed=0)`` (270 images held out of the training split);
this script never sees the test split -- it works on
``task.development()``, which has none.

Both learners get the same budget: ``--trials`` settings (default 12) drawn
by :func:`tasks.tuning.draw_settings` from a declared space with the same
seed, the current defaults being trial 0. Each trial trains on the 1077
remaining training images and is scored (accuracy) on the 270 validation
images.

* MLP (``ann.MLPClassifier``): each trial is one ``fit`` through
  :func:`tasks.tuning.random_search`.
* Spiking network (``snn.STDPClassifier``, vote readout, 400 neurons): the
  trials are trained side by side as the agents of ONE block-diagonal Brian2
  network (:class:`snn._engine.SpikingAgents`; agent ``i``'s arithmetic is
  that of a lone network, see :mod:`snn.network`), which costs about what
  two or three single fits cost. Per-agent settings: threshold rise and
  decay, a factor on the STDP learning rates, input weight sum, the number
  of epochs and the plasticity decay between them (each epoch is one run in
  which an agent's plasticity factor is ``lr * decay**epoch``, or 0 once
  its epochs are done: a frozen agent does not change), and the lateral
  inhibition of the frozen passes (readout fit and validation). This is the
  estimator's procedure (``fit``: plastic epochs, a frozen pass on the
  training set to fit the vote readout) with other random draws than a
  standalone estimator would make.

Run (about 25 minutes on one free core; both searches print one JSON line
per trial and end with markdown tables for bench/RESULTS.md):

    nice -n 5 python bench/tune_defaults.py --trials 12 --seed 0 | tee tune.log
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brian2 import ms, mV, second

from ann import MLPClassifier
from snn import STDPClassifier
from snn._engine import SpikingAgents
from snn.estimators import build_config
from snn.readouts import VoteReadout
from tasks import DevelopmentTask, load_task
from tasks.tuning import SearchResult, Trial, draw_settings, random_search

MLP_SPACE = {
    "hidden_layer_sizes": [(32,), (64,), (128,), (256,)],
    "learning_rate": [0.003, 0.01, 0.02, 0.05],
    "epochs": [10, 30, 60, 100],
    "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
    "batch_size": [32, 64, 128],
}
MLP_DEFAULTS = {
    "hidden_layer_sizes": (64,),
    "learning_rate": 0.02,
    "epochs": 30,
    "alpha": 1e-4,
    "batch_size": 64,
}

#: theta_plus in mV, tau_theta in s, learning_rate a factor on the rule's
#: tuned rates (snn.estimators.DIEHL_COOK_RULE_PARAMS).
SNN_SPACE = {
    "theta_plus": [0.05, 0.1, 0.25, 0.5, 1.0],
    "tau_theta": [10.0, 100.0, 1000.0],
    "learning_rate": [0.5, 1.0, 2.0],
    "epochs": [1, 2, 3],
    "plasticity_decay": [0.25, 0.5, 1.0],
    "evaluation_inhibition": [1.0, 2.0, 5.0, 17.0],
    "mean_input_weight": [0.2, 0.3, 0.4],
}
SNN_DEFAULTS = {
    "theta_plus": 0.5,
    "tau_theta": 1000.0,
    "learning_rate": 1.0,
    "epochs": 2,
    "plasticity_decay": 0.5,
    "evaluation_inhibition": 5.0,
    "mean_input_weight": 0.3,
}


def tune_mlp(dev: DevelopmentTask, n_trials: int, seed: int) -> SearchResult:
    def build(**params):
        return MLPClassifier(random_state=seed, **params)

    def log(trial):
        print(json.dumps({"learner": "mlp", "trial": trial.number, **_jsonable(trial)}), flush=True)

    return random_search(build, MLP_SPACE, dev, n_trials, seed, first=MLP_DEFAULTS, log=log)


def tune_snn(dev: DevelopmentTask, n_trials: int, seed: int, **overrides) -> SearchResult:
    if not isinstance(dev, DevelopmentTask):
        raise TypeError("tune_snn takes task.development()")
    settings = draw_settings(SNN_SPACE, n_trials, seed, first=SNN_DEFAULTS)
    n = len(settings)
    X, y, X_val, y_val = dev.X_train, dev.y_train, dev.X_val, dev.y_val
    n_classes = len(dev.classes)
    params = STDPClassifier(**overrides).get_params()
    # frozen passes get each agent's own inhibition below
    params["evaluation_inhibition"] = None
    config = build_config(params, X.shape[1], regression=False)
    engine = SpikingAgents(
        n, X.shape[1], config, n_classes, n_classes, np.random.default_rng(seed).spawn(n)
    )
    value = {key: np.array([s[key] for s in settings], dtype=float) for key in SNN_SPACE}
    lr = value["learning_rate"]
    # The plasticity factor scales threshold changes too: dividing theta_plus
    # (and multiplying tau_theta) by the learning-rate factor keeps the
    # threshold dynamics at the agent's nominal values, decayed like fit's.
    engine.agent_params = {
        "theta_plus": value["theta_plus"] / lr * mV,
        "tau_theta": value["tau_theta"] * lr * second,
        "weight_sum": value["mean_input_weight"] * engine.n_inputs,
    }
    targets = np.eye(n_classes)[y]
    started = time.perf_counter()
    for epoch in range(int(value["epochs"].max())):
        engine.learning_rate_scale = np.where(
            epoch < value["epochs"], lr * value["plasticity_decay"] ** epoch, 0.0
        )
        engine.train([X] * n, [targets] * n, [y] * n, epochs=1, readout_pass=False)
        print(f"# snn epoch {epoch + 1} done, {time.perf_counter() - started:.0f} s", flush=True)
    engine.agent_params["inhibition"] = value["evaluation_inhibition"]
    train_counts, _ = engine.respond([X] * n, rngs=engine.rngs, charge_to="train")
    val_counts, _ = engine.respond([X_val] * n)
    vote = VoteReadout(n, config.n_neurons, n_classes)
    vote.update(train_counts, np.tile(targets, (n, 1, 1)))
    accuracy = (vote.scores(val_counts).argmax(axis=2) == y_val).mean(axis=1)
    seconds = time.perf_counter() - started
    trials = [
        Trial(i, settings[i], float(accuracy[i]), seconds / n) for i in range(n)
    ]  # the run is shared: each trial is charged an equal share
    for trial in trials:
        print(json.dumps({"learner": "snn", "trial": trial.number, **_jsonable(trial)}), flush=True)
    return SearchResult(trials, SNN_SPACE, n, seed, dev.name, {"wall_seconds": seconds})


def _jsonable(trial: Trial) -> dict:
    return {
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in trial.params.items()},
        "val_accuracy": round(trial.score, 4),
        "seconds": round(trial.seconds, 1),
        "error": trial.error,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learners", nargs="+", default=["mlp", "snn"], choices=["mlp", "snn"])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a tiny run (60 images, 20 neurons) to check the script",
    )
    args = parser.parse_args(argv)
    dev = load_task("digits", seed=args.seed).development()
    overrides = {}
    if args.smoke:
        dev = dataclasses.replace(dev, X_train=dev.X_train[:60], y_train=dev.y_train[:60])
        overrides = {"n_neurons": 20, "presentation_time": 50 * ms, "rest_time": 10 * ms}
    print(f"# {dev!r}", flush=True)
    results = {}
    for learner in args.learners:
        started = time.perf_counter()
        if learner == "mlp":
            results[learner] = tune_mlp(dev, args.trials, args.seed)
        else:
            results[learner] = tune_snn(dev, args.trials, args.seed, **overrides)
        print(f"# {learner}: {time.perf_counter() - started:.0f} s", flush=True)
    for learner, result in results.items():
        print(f"\n{learner}: {result.n_trials} trials, seed {result.seed}, on {result.task}")
        print(f"best: {result.best_params} (validation accuracy {result.best_score:.4f})\n")
        print(result.to_markdown())


if __name__ == "__main__":
    main()
