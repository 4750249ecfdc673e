"""What every column of each experiment's ``metrics.csv`` means: the data dictionary.

Each built-in experiment declares its columns here, in the order its
``metrics.csv`` has them, with their meaning, unit and range; an experiment
registered elsewhere passes ``columns={name: Column(...)}`` to
``register_experiment``. docs/metrics.md is generated from these declarations
(``python -m experiments columns > docs/metrics.md``), the test suite checks
every ``metrics.csv`` it writes against them and the document against the
code, and ``aggregate`` clips confidence intervals to a column's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    meaning: str
    unit: str = ""
    low: float | None = None  # the range a value (and so an interval) can take
    high: float | None = None
    optional: bool = False  # present only for some settings
    #: For ``aggregate``: "identifier" (an agent's index: averaged over within a run),
    #: "metric" (aggregated even if the same in every run; yes/no as the fraction of yes),
    #: "key" (groups the rows even if every column repeats run to run), or "" (inferred).
    role: str = ""


SEED = Column("the inner seed of this row (spawned from the run's master seed)")
KIND = Column('the learner: "ann" (backprop MLP) or "snn" (spiking STDP network)')
ACCURACY = Column("fraction of test samples classified correctly", "", 0.0, 1.0)
UNIT = Column('what training_ops counts: "MAC" (MLP) or "SOP" (spiking network)')
TRAINING_OPS = Column(
    "effective operations spent on training so far (forward and backward multiply-accumulates "
    "skipping zeros, or synaptic operations: spikes times fan-out; core.opcounts)",
    "operations",
    0.0,
)
EPOCHS_TRAINED = Column(
    "MLP: epochs chosen by early stopping on validation; spiking: plastic epochs + "
    "the frozen readout pass; empty for reference models",
    "",
    0.0,
)
PRESENTATIONS = Column("training samples x epochs", "", 0.0)
#: The cost tables experiments price on (experiments.learners.ENERGY_TABLES).
_TABLES = ("horowitz45_fp32", "loihi")
TRAINING_JOULES = Column(
    "energy of all training so far: every counted operation (core.opcounts) priced on the "
    "cost table horowitz45_fp32 (core.energy)",
    "J",
    0.0,
)


def _per_table(prefix: str, meaning: str) -> dict:
    """One column per cost table: ``<prefix>_<table>``."""
    return {
        f"{prefix}_{t}": Column(f"{meaning}, priced on the cost table {t}", "J", 0.0)
        for t in _TABLES
    }


REACHED = Column(
    "whether the chance-corrected validation accuracy reached the target (aggregated as the "
    "fraction of runs that reached it)",
    "",
    0.0,
    1.0,
    role="metric",
)
ROUND = Column("the society round (from 1)", "", 1.0, role="key")
AGENT = Column("the agent's position within its component graph", role="identifier")
TYPE = Column('the agent type: "ann" or "snn"')
PROTOCOL = Column("the interaction protocol (social.PROTOCOLS)")
DEGREE = Column("number of neighbours of the agent in the graph", "", 0.0, role="metric")
DISAGREEMENT = Column(
    "mean fraction of evaluation samples on which the agent and a neighbour predict differently",
    "",
    0.0,
    1.0,
)
MESSAGES = Column("messages the agent sent this round", "", 0.0, role="metric")
LOCAL_SAMPLES = Column(
    "own training samples the agent learned from this round", "", 0.0, role="metric"
)
COST = Column(
    "cumulative energy of the agent: every counted operation priced on the society's cost "
    "table (see cost_unit)",
    "J",
    0.0,
)
COST_UNIT = Column('the cost table that priced cost: "J (<table>)"')

COLUMNS: dict[str, dict[str, Column]] = {
    "task_benchmark": {
        "task": Column("the task (tasks.TASKS)"),
        "kind": Column(
            'the learner: "ann", "snn", a reference model (experiments.reference) or a '
            'spiking ablation ("snn_no_plasticity", ...; experiments.baselines)'
        ),
        "seed": SEED,
        "score": Column("test accuracy (classification) or R^2 (regression)", "", None, 1.0),
        "corrected_score": Column(
            "(score - chance) / (1 - chance); chance 1/classes, or 0 for R^2", "", None, 1.0
        ),
        "n_train": Column("training samples used", "", 0.0),
        "n_test": Column("test samples scored", "", 0.0),
        "epochs": EPOCHS_TRAINED,
        "presentations": PRESENTATIONS,
        "samples_to_target": Column(
            "smallest nested training subset whose corrected_score reaches the target "
            "(empty if none)",
            "",
            0.0,
        ),
        "unit": UNIT,
        "training_ops": TRAINING_OPS,
        "training_joules": TRAINING_JOULES,
        "joules_per_inference": Column("energy of one prediction, priced as above", "J", 0.0),
        **{
            key: column
            for t in _TABLES
            for key, column in (
                (
                    f"training_joules_{t}",
                    Column(f"energy of all training, priced on the cost table {t}", "J", 0.0),
                ),
                (
                    f"joules_to_target_{t}",
                    Column(
                        "training energy on the smallest nested subset whose corrected_score "
                        f"reaches the target (empty if none), priced on the cost table {t}",
                        "J",
                        0.0,
                    ),
                ),
                (
                    f"joules_per_inference_{t}",
                    Column(f"energy of one prediction, priced on the cost table {t}", "J", 0.0),
                ),
            )
        },
    },
    "learning_curves": {
        "learner": Column('"ann", "snn" or a reference model (experiments.reference)'),
        "n_train": Column(
            "training samples of this point (a nested, class-balanced subset)", "", 0.0, role="key"
        ),
        "epochs": EPOCHS_TRAINED,
        "presentations": PRESENTATIONS,
        "score": Column("test accuracy of a learner trained from scratch on n_train", "", 0.0, 1.0),
        "unit": UNIT,
        "training_ops": TRAINING_OPS,
        "training_joules": TRAINING_JOULES,
        **_per_table("training_joules", "energy of all training"),
        "corrected": Column("(score - chance) / (1 - chance), chance = 1 / classes", "", None, 1.0),
        "seed": SEED,
    },
    "stdp_window": {
        "rule": Column("the spike-timing rule (snn.RULES)"),
        "delta_t_ms": Column("t_post - t_pre of the pairing", "ms", role="key"),
        "simulated": Column(
            "weight change per pairing measured in the Brian2 simulation", "weight units"
        ),
        "theory": Column("the rule's closed-form window at delta_t_ms", "weight units"),
    },
    "receptive_fields": {
        "kind": KIND,
        "accuracy": ACCURACY,
        "n_units": Column("units drawn as receptive-field tiles", "", 0.0),
        "class_mean_correlation": Column(
            "mean over tiles of each tile's largest Pearson correlation with a class-mean image",
            "",
            -1.0,
            1.0,
        ),
    },
    "continual_learning": {
        "learner": Column(
            '"mlp_finetune", "mlp_replay", "mlp_ewc", "ncm" (nearest class mean), or the '
            'spiking network with readout "snn_kept", "snn_reset" or "snn_refit_end"'
        ),
        "n_neurons": Column("spiking neurons (empty for the other learners)", "", 1.0, role="key"),
        "seed": SEED,
        "scenario": Column('"task" (task-incremental) or "class" (class-incremental)'),
        "after_task": Column("the task just learned (0-4)", "", 0.0, 4.0, role="key"),
        "test_task": Column(
            "the task whose test samples are scored (0-4)", "", 0.0, 4.0, role="key"
        ),
        "accuracy": ACCURACY,
    },
    "noise_robustness": {
        "kind": Column(
            'the learner: "ann", "snn", or a reference model (logistic regression, 1-NN, '
            "k-means prototypes, majority class)"
        ),
        "seed": SEED,
        "corruption": Column('"gaussian_noise" or "pixel_dropout" of the test inputs'),
        "level": Column(
            "noise standard deviation (pixel scale 0-1) or fraction of pixels dropped",
            "",
            0.0,
            role="key",
        ),
        "accuracy": ACCURACY,
    },
    "rule_zoo": {
        "kind": Column('the learner: "ann", "snn" or a reference model (experiments.reference)'),
        "rule": Column(
            'the learning rule (ann.RULES or snn.RULES); "reference" for a reference model '
            "(fitted once on all training samples; energy not counted)"
        ),
        "seed": SEED,
        "accuracy": ACCURACY,
        "reached": REACHED,
        "samples_to_target": Column(
            "training samples seen when training stopped (target reached or budget spent)", "", 0.0
        ),
        "unit": UNIT,
        "training_ops": TRAINING_OPS,
        "training_joules": TRAINING_JOULES,
        **_per_table("training_joules", "energy of all training until the stop"),
    },
    "energy_to_accuracy": {
        "kind": Column(
            'the learner: "ann", "snn" or a reference model (experiments.reference; fitted once '
            "on all training samples, energy not counted)"
        ),
        "seed": SEED,
        "reached": REACHED,
        "samples_to_target": Column(
            "training samples seen when training stopped (target reached or budget spent)", "", 0.0
        ),
        "epochs": Column("the epoch training stopped in (from 1)", "", 1.0),
        "val_corrected": Column(
            "chance-corrected validation accuracy at the stop: (acc - 1/k) / (1 - 1/k)",
            "",
            None,
            1.0,
        ),
        "test_accuracy": ACCURACY,
        "n_fit": Column("training samples", "", 0.0),
        "n_val": Column("validation samples", "", 0.0),
        "n_test": Column("test samples", "", 0.0),
    },
    "learner_matrix": {
        "task": Column("the task (tasks.TASKS)"),
        "learner": Column(
            "rate or spiking neurons x backprop or feedback alignment, or the STDP network; "
            'for rule "reference" a reference learner (experiments.reference)'
        ),
        "neurons": Column('"rate" or "spiking" ("reference" for a reference learner)'),
        "rule": Column(
            '"backprop", "feedback_alignment" or "stdp"; "reference" for a reference learner '
            "(fitted on the same training samples, scored on the same test samples; only "
            "test_score and the sample counts are filled)"
        ),
        "seed": SEED,
        "learning_rate": Column(
            "chosen on the validation split (empty for STDP and the reference learners)", "", 0.0
        ),
        "n_fit": Column("training samples", "", 0.0),
        "n_val": Column("validation samples", "", 0.0),
        "n_test": Column("test samples", "", 0.0),
        "val_score": Column(
            "score on the validation split: accuracy, or R^2 for a regression", "", None, 1.0
        ),
        "test_score": Column("score on the test split (accuracy, or R^2)", "", None, 1.0),
        "noisy_score": Column("test score under Gaussian input noise", "", None, 1.0),
        "training_joules": Column("training energy from the learner's cost() table", "J", 0.0),
        "joules_per_prediction": Column("energy of one prediction, priced likewise", "J", 0.0),
        "samples_to_target": Column(
            "training samples until the validation skill (chance-corrected accuracy, or "
            "R^2) reached the target (empty: not reached)",
            "",
            0.0,
        ),
        "updates_to_target": Column("weight updates until the same target", "", 0.0),
        "forgetting": Column(
            "accuracy on digits 0-4 after learning them minus after then learning 5-9 "
            "(digits only)",
            "",
            -1.0,
            1.0,
            optional=True,
        ),
    },
    "social_topology": {
        "seed": SEED,
        "protocol": Column(
            'the interaction protocol (social.PROTOCOLS), or "reference" for a reference '
            "learner's row"
        ),
        "type": Column(
            'the agent type: "ann" or "snn"; for protocol "reference" a reference learner '
            "(experiments.reference)"
        ),
        "topology": Column(
            'the graph of the agent\'s component (social.GRAPHS); for protocol "reference" '
            'the data the reference learner was fitted on: "own shard" (one position\'s shard '
            'alone) or "pooled" (every shard)'
        ),
        "agent": AGENT,
        "round": ROUND,
        "degree": DEGREE,
        "accuracy": ACCURACY,
        "disagreement": DISAGREEMENT,
        "messages": MESSAGES,
        "local_samples": LOCAL_SAMPLES,
        "cost": COST,
        "cost_unit": COST_UNIT,
    },
    "mixed_society": {
        "seed": SEED,
        "condition": Column(
            'the arrangement: "ann teaches snn" style, or "snn alone" (control); for role '
            '"reference" the data the reference learner was fitted on: "own shard" (one learner '
            'position\'s shard alone) or "pooled" (every shard)'
        ),
        "teacher_type": Column("the teacher's type in this condition (empty for a reference)"),
        "learner_type": Column("the learner's type in this condition (empty for a reference)"),
        "role": Column('"teacher" or "learner", or "reference" for a reference learner\'s row'),
        "agent": Column(
            "the position of the agent in its component; for a reference fitted on one shard "
            "the learner position, -1 pooled",
            role="identifier",
        ),
        "type": Column(
            'the agent type: "ann" or "snn"; for role "reference" a reference learner '
            "(experiments.reference)"
        ),
        "round": ROUND,
        "accuracy": ACCURACY,
        "local_samples": LOCAL_SAMPLES,
        "demonstrations_received": Column("demonstrations learned from this round", "", 0.0),
        "demonstration_accuracy": Column(
            "fraction of the received demonstrations whose label was right", "", 0.0, 1.0
        ),
        "messages": MESSAGES,
        "cost": COST,
        "cost_unit": COST_UNIT,
    },
    "smart_city": {
        "seed": SEED,
        "type": Column(
            'the agent type ("ann", "snn"), or for protocol "reference" a reference forecast '
            "(persistence, hour_profile, majority, logistic_own, logistic_city)"
        ),
        "protocol": PROTOCOL,
        "row": Column("the intersection's row in the city grid", "", 0.0, role="identifier"),
        "col": Column("the intersection's column in the city grid", "", 0.0, role="identifier"),
        "round": ROUND,
        "degree": DEGREE,
        "local_accuracy": Column(
            "accuracy on held-out hours of the agent's own intersection", "", 0.0, 1.0
        ),
        "city_accuracy": Column("accuracy on held-out hours of the whole city", "", 0.0, 1.0),
        "disagreement": DISAGREEMENT,
        "messages": MESSAGES,
        "cost": COST,
        "cost_unit": COST_UNIT,
    },
    "brain_synchrony": {
        "topology": Column("the graph coupling the agents (social.GRAPHS)"),
        "n_agents": Column("spiking agents (PING networks) in the graph", "", 1.0),
        "n_edges": Column("edges of the graph", "", 0.0),
        "coupling": Column(
            "total excitation from neighbours, shared among them", "mV", 0.0, role="key"
        ),
        "seed": SEED,
        "order_parameter": Column(
            "Kuramoto order parameter R of the agents' rhythms (time average)", "", 0.0, 1.0
        ),
        "order_parameter_std": Column("standard deviation of R over time", "", 0.0),
        "independent_level": Column("R expected of independent agents: 1/sqrt(N)", "", 0.0, 1.0),
        "mean_rate_hz": Column("mean firing rate of the excitatory cells", "Hz", 0.0),
        "mean_frequency_hz": Column("mean frequency of the agents' rhythms", "Hz", 0.0),
        "frequency_std_hz": Column("spread of the rhythms' frequencies across agents", "Hz", 0.0),
        "mean_phase_locking": Column(
            "mean pairwise phase-locking value of neighbours", "", 0.0, 1.0
        ),
    },
}


def columns_of(experiment) -> dict[str, Column] | None:
    """The declared columns of ``experiment`` (an Experiment or a name), or None."""
    if isinstance(experiment, str):
        from experiments._base import EXPERIMENTS

        name = experiment
        experiment = EXPERIMENTS.get(name)
    else:
        name = experiment.name
    declared = getattr(experiment, "columns", None)
    return declared if declared is not None else COLUMNS.get(name)


def value_range(experiment, column: str) -> tuple[float, float]:
    """``(low, high)`` a column's values lie in (infinite where unbounded or undeclared)."""
    declared = (columns_of(experiment) or {}).get(column)
    if declared is None:
        return -math.inf, math.inf
    return (
        -math.inf if declared.low is None else declared.low,
        math.inf if declared.high is None else declared.high,
    )


def range_of_name(column: str) -> tuple[float, float]:
    """``(low, high)`` a column called ``column`` can take in any experiment that declares it.

    The loosest range over the declarations (e.g. ``score``: an accuracy in [0, 1] in one
    experiment, an R^2 in (-inf, 1] in another, so (-inf, 1]); infinite where undeclared.
    """
    from experiments._base import EXPERIMENTS

    declarations = [cols for cols in COLUMNS.values()]
    declarations += [getattr(e, "columns", None) or {} for e in EXPERIMENTS.values()]
    found = [cols[column] for cols in declarations if column in cols]
    if not found:
        return -math.inf, math.inf
    low = -math.inf if any(c.low is None for c in found) else min(c.low for c in found)
    high = math.inf if any(c.high is None for c in found) else max(c.high for c in found)
    return low, high


def check_columns(experiment, columns) -> None:
    """Raise AssertionError unless ``columns`` are the declared ones, in order (optional
    columns may be missing)."""
    declared = columns_of(experiment)
    if declared is None:
        return
    name = experiment if isinstance(experiment, str) else experiment.name
    columns = list(columns)
    expected = [c for c, spec in declared.items() if not spec.optional or c in columns]
    if columns != expected:
        raise AssertionError(
            f"metrics.csv of {name} has columns {list(columns)}, but experiments/columns.py "
            f"declares {list(declared)}; update the declaration (and regenerate "
            "docs/metrics.md with python -m experiments columns > docs/metrics.md)"
        )


def data_dictionary() -> str:
    """docs/metrics.md: one table per experiment."""
    import experiments  # noqa: F401  (registers every experiment)
    from experiments._base import EXPERIMENTS

    names = [name for name in EXPERIMENTS if name in COLUMNS]
    lines = [
        "# What the columns of metrics.csv mean",
        "",
        "Generated from `experiments/columns.py` by `python -m experiments columns > "
        "docs/metrics.md`; the test suite checks every `metrics.csv` it writes against it.",
        "One row of `metrics.csv` is one observation; columns named `seed` identify",
        "replicates. The range is what a value can take: `aggregate` and the summaries",
        "(experiments.stats) clip confidence intervals to it, and a paired difference of",
        "two values to the range of a difference (two accuracies: [-1, 1]).",
    ]
    for name in names:
        lines += [
            "",
            f"## {name}",
            "",
            EXPERIMENTS[name].description[:1].upper() + EXPERIMENTS[name].description[1:] + ".",
            "",
            "| column | meaning | unit | range |",
            "| --- | --- | --- | --- |",
        ]
        for column, spec in COLUMNS[name].items():
            low = "" if spec.low is None else f"{spec.low:g}"
            high = "" if spec.high is None else f"{spec.high:g}"
            bounds = f"[{low or '-inf'}, {high or 'inf'}]" if low or high else ""
            meaning = spec.meaning + (" (not always present)" if spec.optional else "")
            lines.append(f"| `{column}` | {meaning} | {spec.unit} | {bounds} |")
    return "\n".join(lines) + "\n"
