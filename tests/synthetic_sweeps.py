"""Synthetic sweeps of the real experiments, for the aggregate-figure tests.

For an experiment ``name``, :func:`synthetic_sweep` registers a stand-in
``_synthetic_<name>`` with the real experiment's columns (experiments.columns)
and aggregate figures, whose run writes a metrics table shaped like the real
one (the group structure of ``SPECS[name]``) with random values in each
column's declared range, then sweeps it over two settings and three seeds and
aggregates it. No learner is trained and no simulation runs.
"""

from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments import EXPERIMENTS, Result, register_experiment
from experiments.aggregate import aggregate
from experiments.columns import COLUMNS
from experiments.sweep import plan_sweep, run_sweep

NAN = math.nan
YES_NO = object()  # a yes/no column drawn at random

_SOCIETY_ROUNDS = [1, 2, 3]

#: Per experiment, the blocks its metrics table is made of: in each block, a list is
#: one level of a key (every combination appears), anything else a constant.
SPECS = {
    "task_benchmark": [
        {"task": ["xor", "digits"], "kind": ["ann"], "unit": "MAC", "n_train": 80},
        {"task": ["xor", "digits"], "kind": ["snn"], "unit": "SOP", "n_train": 80},
        {
            "task": ["xor", "digits"],
            "kind": ["logistic_regression", "snn_no_plasticity"],
            "unit": "",
            "n_train": 80,
            "epochs": NAN,
            "presentations": NAN,
            "training_ops": NAN,
            "training_joules": NAN,
            "joules_per_inference": NAN,
            "training_joules_horowitz45_fp32": NAN,
            "training_joules_loihi": NAN,
            "joules_per_inference_horowitz45_fp32": NAN,
            "joules_per_inference_loihi": NAN,
        },
    ],
    "learning_curves": [
        {"learner": ["ann"], "n_train": [20, 60, 150], "unit": "MAC"},
        {"learner": ["snn"], "n_train": [20, 60, 150], "unit": "SOP"},
        {
            "learner": ["logistic_regression"],
            "n_train": [20, 60, 150],
            "unit": "",
            "epochs": NAN,
            "presentations": NAN,
            "training_ops": NAN,
            "training_joules": NAN,
            "training_joules_horowitz45_fp32": NAN,
            "training_joules_loihi": NAN,
        },
    ],
    "stdp_window": [{"rule": ["stdp", "triplet"], "delta_t_ms": [-20.0, -10.0, 10.0, 20.0]}],
    "receptive_fields": [{"kind": ["snn", "ann"], "n_units": 36}],
    "continual_learning": [
        {
            "learner": ["mlp_finetune", "ncm"],
            "n_neurons": NAN,
            "scenario": ["task", "class"],
            "after_task": [0, 1, 2],
            "test_task": [0, 1, 2],
        },
        {
            "learner": ["snn_kept"],
            "n_neurons": [25, 100],
            "scenario": ["task", "class"],
            "after_task": [0, 1, 2],
            "test_task": [0, 1, 2],
        },
    ],
    "noise_robustness": [
        {
            "kind": ["ann", "snn", "logistic_regression"],
            "corruption": ["gaussian_noise", "pixel_dropout"],
            "level": [0.0, 0.25, 0.5],
        }
    ],
    "rule_zoo": [
        {"kind": ["ann"], "rule": ["backprop", "feedback_alignment"], "unit": "MAC"},
        {"kind": ["snn"], "rule": ["stdp", "triplet"], "unit": "SOP"},
        {
            "kind": ["logistic_regression", "nearest_neighbour"],
            "rule": ["reference"],
            "unit": "",
            "training_ops": NAN,
            "training_joules": NAN,
            "training_joules_horowitz45_fp32": NAN,
            "training_joules_loihi": NAN,
        },
    ],
    "energy_to_accuracy": [
        {"kind": ["ann", "snn"], "reached": YES_NO, "n_fit": 300, "n_val": 100, "n_test": 150},
        {
            "kind": ["logistic_regression", "nearest_neighbour"],
            "reached": YES_NO,
            "epochs": NAN,
            "n_fit": 300,
            "n_val": 100,
            "n_test": 150,
        },
    ],
    "learner_matrix": [
        {
            "task": ["digits"],
            "learner": [f"{neurons}_{rule}"],
            "neurons": neurons,
            "rule": rule,
            "n_fit": 300,
            "n_val": 150,
            "n_test": 200,
        }
        for neurons in ("rate", "spiking")
        for rule in ("backprop", "feedback_alignment")
    ]
    + [
        {
            "task": ["digits"],
            "learner": ["stdp"],
            "neurons": "spiking",
            "rule": "stdp",
            "learning_rate": NAN,
            "n_fit": 300,
            "n_val": 150,
            "n_test": 200,
        },
        {
            "task": ["digits"],
            "learner": ["logistic_regression", "nearest_neighbour"],
            "neurons": "reference",
            "rule": "reference",
            "learning_rate": NAN,
            "n_fit": 300,
            "n_val": 150,
            "n_test": 200,
            **{
                column: NAN
                for column in (
                    "val_score",
                    "noisy_score",
                    "training_joules",
                    "joules_per_prediction",
                    "samples_to_target",
                    "updates_to_target",
                    "forgetting",
                )
            },
        },
    ],
    "social_topology": [
        {
            "protocol": ["teach", "gossip"],
            "type": ["ann", "snn"],
            "topology": ["ring", "complete"],
            "agent": [0, 1],
            "round": _SOCIETY_ROUNDS,
            "cost_unit": "J (horowitz45_fp32)",
        },
    ]
    + [
        {
            "protocol": ["reference"],
            "type": ["logistic_regression", "majority"],
            "topology": [scope],
            "agent": agents,
            "round": _SOCIETY_ROUNDS[-1],
            "degree": NAN,
            "disagreement": NAN,
            "messages": 0,
            "local_samples": NAN,
            "cost": NAN,
            "cost_unit": "",
        }
        for scope, agents in (("own shard", [0, 1]), ("pooled", [-1]))
    ],
    "mixed_society": [
        {
            "condition": ["ann teaches snn"],
            "teacher_type": "ann",
            "learner_type": "snn",
            "role": ["teacher"],
            "type": "ann",
            "agent": [0],
            "round": _SOCIETY_ROUNDS,
            "cost_unit": "J (horowitz45_fp32)",
        },
        {
            "condition": ["ann teaches snn"],
            "teacher_type": "ann",
            "learner_type": "snn",
            "role": ["learner"],
            "type": "snn",
            "agent": [1],
            "round": _SOCIETY_ROUNDS,
            "cost_unit": "J (horowitz45_fp32)",
        },
        {
            "condition": ["snn alone"],
            "teacher_type": "alone",
            "learner_type": "snn",
            "role": ["learner"],
            "type": "snn",
            "agent": [0],
            "round": _SOCIETY_ROUNDS,
            "demonstrations_received": 0,
            "demonstration_accuracy": NAN,
            "cost_unit": "J (horowitz45_fp32)",
        },
    ]
    + [
        {
            "condition": [scope],
            "teacher_type": "",
            "learner_type": "",
            "role": ["reference"],
            "type": ["logistic_regression", "majority"],
            "agent": agents,
            "round": _SOCIETY_ROUNDS[-1],
            "local_samples": NAN,
            "demonstrations_received": NAN,
            "demonstration_accuracy": NAN,
            "messages": 0,
            "cost": NAN,
            "cost_unit": "",
        }
        for scope, agents in (("own shard", [0, 1]), ("pooled", [-1]))
    ],
    "smart_city": [
        {
            "type": ["ann", "snn"],
            "protocol": ["isolated", "teach"],
            "row": [0, 1],
            "col": [0, 1],
            "round": _SOCIETY_ROUNDS,
            "cost_unit": "J (horowitz45_fp32)",
        },
        {
            "type": ["persistence", "majority"],
            "protocol": ["reference"],
            "row": [0, 1],
            "col": [0, 1],
            "round": _SOCIETY_ROUNDS[-1],
            "city_accuracy": NAN,
            "disagreement": NAN,
            "messages": 0,
            "cost": NAN,
            "cost_unit": "",
        },
    ],
    "brain_synchrony": [
        {"topology": ["ring"], "n_agents": 8, "n_edges": 8, "coupling": [0.0, 2.5, 10.0]},
        {"topology": ["complete"], "n_agents": 8, "n_edges": 28, "coupling": [0.0, 2.5, 10.0]},
    ],
}


def _draw(column, spec, group_rng, run_rng, size):
    """Values of a numeric column: a mean per group (fixed by the setting), noise per run."""
    low = -1.0 if spec.low is None else spec.low
    high = low + 2.0 if spec.high is None else spec.high
    if spec.high is None and spec.low is not None:
        # unbounded above (energies, sample counts): positive, spread over decades
        mean = 10.0 ** group_rng.uniform(-6, 3, size)
        return mean * np.exp(run_rng.normal(0, 0.3, size))
    # bounded: means anywhere in the range, some at its edge, noise a tenth of the range,
    # so that raw t intervals leave the range and the aggregate must clip them
    mean = group_rng.uniform(low, high, size)
    mean[::3] = high
    return np.clip(mean + run_rng.normal(0, 0.1 * (high - low), size), low, high)


def synthetic_metrics(name: str, shift: float, seed: int) -> pd.DataFrame:
    """One run's metrics table of experiment ``name``: the structure of ``SPECS[name]``."""
    columns = COLUMNS[name]
    frames = []
    for number, block in enumerate(SPECS[name]):
        levels = {c: v for c, v in block.items() if isinstance(v, list)}
        rows = pd.DataFrame(list(itertools.product(*levels.values())), columns=list(levels))
        # a group's mean depends on the setting and the block, the noise on the run's seed
        group_rng = np.random.default_rng([zlib.crc32(f"{name}/{shift}/{number}".encode())])
        run_rng = np.random.default_rng([seed, number])
        for column, spec in columns.items():
            if column in levels:
                continue
            if column == "seed":
                rows[column] = 1000 * seed
            elif block.get(column) is YES_NO:
                rows[column] = run_rng.uniform(size=len(rows)) < 0.6
            elif column in block:
                rows[column] = block[column]
            else:
                rows[column] = _draw(column, spec, group_rng, run_rng, len(rows))
        frames.append(rows[[c for c in columns if c in rows.columns]])
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Settings:
    shift: float = 0.0  # moves every group's mean: the swept setting
    quick = full = classmethod(lambda cls: cls())  # one preset


def stand_in(name: str) -> str:
    """Register (once) and return the name of experiment ``name``'s synthetic stand-in."""
    synthetic = f"_synthetic_{name}"
    if synthetic not in EXPERIMENTS:
        real = EXPERIMENTS[name]

        def run(settings, seed):
            return Result(metrics=synthetic_metrics(name, settings.shift, seed))

        register_experiment(
            synthetic,
            f"synthetic metrics shaped like {name}'s",
            Settings,
            lambda result, settings: {},
            lambda result, settings: "synthetic",
            aggregate_figures=real.aggregate_figures,
            columns=COLUMNS[name],
        )(run)
    return synthetic


def synthetic_sweep(name: str, out, seeds: str = "0-2", shifts=(0.0, 0.5), figures=False):
    """Sweep ``name``'s stand-in over ``shift`` and ``seeds`` into ``out``; its Aggregate."""
    plan = plan_sweep(stand_in(name), quick=True, seeds=seeds, grid={"shift": list(shifts)})
    run_sweep(plan, out, workers=0)
    return aggregate(out, figures=figures)
