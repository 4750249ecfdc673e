"""Split digits: five tasks of two classes learned one after the other, measured as the field does.

The protocol of van de Ven & Tolias (2019): digits is split into five tasks
({0, 1}, {2, 3}, ..., {8, 9}) presented in sequence; every learner sees each
training sample of the current task ``epochs_per_task`` times and no sample
of an earlier task again (except the replay baseline's small buffer). After
each task every learner is tested on the test samples of every task, which
gives the accuracy matrix ``R[i, j]`` (accuracy on task ``j`` after training
on task ``i``), in two scenarios:

task-incremental
    the task of a test sample is given: the prediction is the more likely of
    that task's two classes;
class-incremental
    it is not: the prediction is one of all the classes seen.

Each learner is one network trained once on the sequence and evaluated in
both scenarios (a single-headed output; task-incremental evaluation masks it
to the task's two classes). Reported: the average accuracy after the last
task, ``ACC = mean_j R[T-1, j]``, and the backward transfer ``BWT = mean_{j
< T-1} (R[T-1, j] - R[j, j])`` (Lopez-Paz & Ranzato 2017): negative BWT is
forgetting.

Learners (the same training samples per task for all; the MLP variants also
the same optimiser steps per task):

* ``mlp_finetune``: the project's MLP (its default architecture and
  optimiser) trained on each task in turn;
* ``mlp_replay``: the same, every minibatch joined by as many samples drawn
  from a class-balanced buffer of at most ``replay_size`` earlier samples;
* ``mlp_ewc``: the same with elastic weight consolidation (Kirkpatrick et al.
  2017): a penalty ``lambda / 2 * sum_k F_k (theta - theta_k)^2`` per earlier
  task ``k``, ``F_k`` the diagonal of the Fisher information at the end of
  task ``k``; ``lambda`` is chosen on the validation split;
* ``ncm``: nearest class mean on the raw pixels (class sums kept, never
  forgotten by construction);
* the spiking network (unsupervised STDP, Diehl & Cook-like) with three vote
  readouts on its spike counts, which separate what the network retains
  from what the readout remembers:

  - ``snn_kept``: the readout statistics accumulate over tasks (each task's
    responses measured right after that task, as ``partial_fit`` does);
  - ``snn_reset``: the readout statistics are reset at each task (only the
    current task's responses);
  - ``snn_refit_end``: after the last task, the readout is refitted on the
    final network's responses to every task's training data (the data
    kept to the end): whatever this recovers, the network's features still
    hold. It has a last row only (no BWT).

  The number of spiking neurons is swept (``n_neurons``): with many neurons
  per class, winner-take-all learning can leave old neurons untouched
  (spare capacity); with few, new tasks must recruit old neurons.

References
----------
G. M. van de Ven and A. S. Tolias, "Three scenarios for continual learning",
arXiv:1904.07734 (2019).
J. Kirkpatrick et al., "Overcoming catastrophic forgetting in neural
networks", PNAS 114, 3521-3526 (2017).
D. Lopez-Paz and M. Ranzato, "Gradient episodic memory for continual
learning", NeurIPS (2017).
J. M. Allred and K. Roy, "Controlled forgetting: targeted stimulation and
dopaminergic plasticity modulation for unsupervised lifelong learning in
spiking neural networks", Front. Neurosci. 14:7 (2020).
P. U. Diehl and M. Cook, "Unsupervised learning of digit recognition using
spike-timing-dependent plasticity", Front. Comput. Neurosci. 9:99 (2015).

Run time on 2 cores: the quick preset about a minute of CPU time (16 minutes
of wall time on the shared machine at load 15); the full preset (all of
digits, 25, 100 and 400 neurons, 5 seeds) about 10 minutes of CPU time (17
minutes of wall time beside other jobs), almost all of it the spiking
networks.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd

from core.params import Interval, check_param
from core.random import child_seeds
from experiments._base import COUNT, Presets, Result, register_experiment
from experiments.learners import subsample, with_units
from experiments.stats import interval_table, mean_interval, paired_difference
from experiments.style import curve_with_band, figure, titled_over_legend
from experiments.sweep_figures import Panel, band, bars, derived_summary, metric_rows, panel_grid
from tasks import load_task

TASKS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
SCENARIOS = ("task", "class")
#: The range of each summary measure, for its intervals: ACC an accuracy, BWT a difference
#: of two accuracies.
RANGES = {"acc": (0.0, 1.0), "bwt": (-1.0, 1.0)}
SCENARIO_TITLES = {"task": "task-incremental", "class": "class-incremental"}
MLP_VARIANTS = ("mlp_finetune", "mlp_replay", "mlp_ewc")
LABELS = {
    "mlp_finetune": "MLP, fine-tuning",
    "mlp_replay": "MLP + replay buffer",
    "mlp_ewc": "MLP + EWC",
    "ncm": "nearest class mean (pixels)",
    "snn_kept": "spiking, readout statistics kept",
    "snn_reset": "spiking, readout reset per task",
    "snn_refit_end": "spiking, readout refitted at the end",
}
COLORS = {
    "mlp_finetune": "#1f77b4",
    "mlp_replay": "#17becf",
    "mlp_ewc": "#9467bd",
    "ncm": "#2ca02c",
    "snn_kept": "#d62728",
    "snn_reset": "#ff7f0e",
    "snn_refit_end": "#8c564b",
}


@dataclass(frozen=True)
class Settings(Presets):
    n_seeds: int = 5
    n_train: int | None = None  # training samples per task (None: all)
    n_test: int | None = None  # test samples per task
    epochs_per_task: int = 2  # presentations of each training sample, every learner
    n_neurons: tuple = (25, 100, 400)
    replay_size: int = 50  # samples the replay buffer holds, all classes together
    ewc_lambdas: tuple = (1.0, 10.0, 100.0, 1000.0, 10000.0)  # chosen on validation
    mlp_learning_rates: tuple = (0.02, 0.005, 0.001)  # chosen on validation
    mlp_batch_size: int = 16
    ann_params: dict = field(default_factory=dict)
    snn_params: dict = field(default_factory=dict)

    CONSTRAINTS = {"epochs_per_task": COUNT, "mlp_batch_size": COUNT}

    QUICK = dict(
        n_seeds=2,
        n_train=20,
        n_test=20,
        n_neurons=(25, 100),
        ewc_lambdas=(10.0, 1000.0),
        mlp_learning_rates=(0.02, 0.002),
        snn_params={"presentation_time_ms": 100.0, "rest_time_ms": 25.0},
    )


# ----------------------------------------------------------------------------
# Measures
# ----------------------------------------------------------------------------
def average_accuracy(R: np.ndarray) -> float:
    """Mean accuracy over all tasks after the last one: ``mean_j R[T-1, j]``."""
    R = np.asarray(R, dtype=float)
    return float(R[-1].mean())


def backward_transfer(R: np.ndarray) -> float:
    """``mean_{j < T-1} (R[T-1, j] - R[j, j])`` (Lopez-Paz & Ranzato 2017); negative is forgetting.

    >>> backward_transfer([[0.9, 0.1], [0.5, 0.8]])
    -0.4
    """
    R = np.asarray(R, dtype=float)
    T = len(R)
    if R.shape != (T, T) or T < 2:
        raise ValueError(f"R must be a square matrix of at least 2 tasks, got shape {R.shape}")
    return float(np.mean([R[-1, j] - R[j, j] for j in range(T - 1)]))


def accuracy_matrices(metrics: pd.DataFrame) -> dict:
    """``{(learner, n_neurons, seed, scenario): R}`` from the metrics rows (NaN where missing)."""
    out = {}
    keys = ["learner", "n_neurons", "seed", "scenario"]
    for key, part in metrics.groupby(keys, sort=False, dropna=False):
        T = int(part["test_task"].max()) + 1
        R = np.full((T, T), np.nan)
        R[part["after_task"].to_numpy(int), part["test_task"].to_numpy(int)] = part["accuracy"]
        out[key] = R
    return out


def outcomes(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per learner, n_neurons, seed and scenario: ``acc`` (ACC) and ``bwt`` (BWT; NaN for a
    learner evaluated after the last task only)."""
    rows = []
    for (learner, n_neurons, seed, scenario), R in accuracy_matrices(metrics).items():
        complete = not np.isnan(R).any()
        rows.append(
            {
                "learner": learner,
                "n_neurons": n_neurons,
                "seed": seed,
                "scenario": scenario,
                "acc": float(np.nanmean(R[-1])),
                "bwt": backward_transfer(R) if complete else np.nan,
            }
        )
    return pd.DataFrame(rows)


def predict_scores(scores: np.ndarray, tasks_of_samples, scenario: str, seen_classes):
    """Class predictions from per-class scores (samples, classes).

    ``task``: the argmax over the two classes of each sample's task;
    ``class``: the argmax over every class seen so far.
    """
    scores = np.asarray(scores, dtype=float)
    allowed = np.zeros(scores.shape, dtype=bool)
    if scenario == "task":
        for row, task in enumerate(tasks_of_samples):
            allowed[row, list(TASKS[task])] = True
    elif scenario == "class":
        allowed[:, list(seen_classes)] = True
    else:
        raise ValueError(f"unknown scenario={scenario!r}; known: {list(SCENARIOS)}")
    return np.where(allowed, scores, -np.inf).argmax(axis=1)


# ----------------------------------------------------------------------------
# The MLP learners: the project's numpy MLP, trained task after task
# ----------------------------------------------------------------------------
def ewc_penalty(theta, anchors, fishers, strength: float):
    """EWC penalty ``strength / 2 * sum_k sum_i F_k,i (theta_i - anchor_k,i)^2`` and its gradient.

    Parameters
    ----------
    theta : ndarray (n_params,)
    anchors, fishers : lists of ndarray (n_params,)
        The parameters at the end of each earlier task and the diagonal of the
        Fisher information there.
    strength : float
        ``lambda``.
    """
    theta = np.asarray(theta, dtype=float)
    value, grad = 0.0, np.zeros_like(theta)
    for anchor, fisher in zip(anchors, fishers):
        delta = theta - anchor
        value += 0.5 * strength * float(np.sum(fisher * delta * delta))
        grad += strength * fisher * delta
    return value, grad


class ReplayBuffer:
    """At most ``size`` stored samples, shared equally among the classes seen (van de Ven
    et al. 2020's "experience replay" with a class-balanced memory).

    ``add(X, y)`` is called at the end of a task with its data; each class then
    keeps at most ``size // n_classes_seen`` samples (a seeded random choice of
    those it had).
    """

    def __init__(self, size: int, rng: np.random.Generator):
        self.size = check_param("replay_size", size, [Interval(Integral, 0, None)])
        self.rng = rng
        self.by_class: dict = {}

    def add(self, X, y):
        for label in np.unique(y):
            self.by_class[int(label)] = X[y == label]
        quota = self.size // max(len(self.by_class), 1)
        for label, samples in self.by_class.items():
            if len(samples) > quota:
                keep = np.sort(self.rng.choice(len(samples), quota, replace=False))
                self.by_class[label] = samples[keep]

    def __len__(self):
        return sum(len(samples) for samples in self.by_class.values())

    def sample(self, n: int):
        """``n`` stored samples drawn without replacement (fewer if fewer are stored)."""
        if not self.by_class:
            return None, None
        X = np.concatenate(list(self.by_class.values()))
        y = np.concatenate([np.full(len(v), k) for k, v in self.by_class.items()])
        pick = self.rng.choice(len(X), min(n, len(X)), replace=False)
        return X[pick], y[pick]


class ContinualMLP:
    """The project's MLP (``ann.network.StackedMLP`` with MLPClassifier's defaults) trained
    task after task, with an optional replay buffer and EWC penalty.

    Every task gets the same number of optimiser steps whatever the variant:
    ``epochs * ceil(n_task / batch_size)``.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        rng: np.random.Generator,
        *,
        batch_size: int = 16,
        replay_size: int = 0,
        ewc_strength: float = 0.0,
        params: dict | None = None,
    ):
        from ann import MLPClassifier
        from ann.network import StackedMLP, layer_sizes, network_rngs

        defaults = MLPClassifier().get_params()
        defaults.update(params or {})
        self.network = StackedMLP(
            layer_sizes(n_features, tuple(defaults["hidden_layer_sizes"]), n_classes),
            None,
            activation=defaults["activation"],
            loss="cross_entropy",
            rule=defaults["rule"],
            optimizer=defaults["optimizer"],
            learning_rate=defaults["learning_rate"],
            alpha=defaults["alpha"],
        )
        init_rng, rule_rng, self.rng = network_rngs(rng)
        self.network.initialize(init_rng, rule_rng)
        self.n_classes = n_classes
        self.batch_size = batch_size
        self.buffer = ReplayBuffer(replay_size, self.rng) if replay_size else None
        self.ewc_strength = float(ewc_strength)
        self.anchors, self.fishers = [], []

    def _one_hot(self, y):
        return np.eye(self.n_classes)[np.asarray(y, dtype=int)]

    def train_task(self, X, y, epochs: int):
        network = self.network
        for _ in range(epochs):
            order = self.rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                rows = order[start : start + self.batch_size]
                Xb, yb = X[rows], y[rows]
                if self.buffer is not None and len(self.buffer):
                    X_old, y_old = self.buffer.sample(len(rows))
                    Xb, yb = np.concatenate([Xb, X_old]), np.concatenate([yb, y_old])
                n = len(Xb)
                _, grad, _ = network.loss_and_gradient(Xb, self._one_hot(yb), 1.0 / n, n)
                if self.ewc_strength and self.anchors:
                    grad = (
                        grad
                        + ewc_penalty(network.theta, self.anchors, self.fishers, self.ewc_strength)[
                            1
                        ]
                    )
                network.optimizer.step([network.theta], [grad])
        if self.buffer is not None:
            self.buffer.add(X, y)
        if self.ewc_strength:
            self.anchors.append(network.theta.copy())
            self.fishers.append(self.fisher_diagonal(X))

    def fisher_diagonal(self, X, max_samples: int = 200):
        """Diagonal of the Fisher information, ``E_x sum_c p(c|x) (d log p(c|x) / d theta)^2``,
        over (at most ``max_samples`` of) ``X``, exact in the classes."""
        network = self.network
        if len(X) > max_samples:
            X = X[self.rng.choice(len(X), max_samples, replace=False)]
        alpha, network.alpha = network.alpha, 0.0  # the likelihood only, no weight decay
        try:
            fisher = np.zeros_like(network.theta)
            probabilities = network.forward(X)[-1]
            for x, p in zip(X, probabilities):
                for c in np.flatnonzero(p > 1e-8):
                    target = self._one_hot([c])
                    _, grad, _ = network.loss_and_gradient(x[None], target, 1.0, 1)
                    fisher += p[c] * grad * grad
        finally:
            network.alpha = alpha
        return fisher / len(X)

    def scores(self, X):
        return self.network.forward(X)[-1]


class NearestClassMean:
    """Nearest class mean on the raw inputs: class sums and counts, updated task by task."""

    def __init__(self, n_features: int, n_classes: int):
        self.sums = np.zeros((n_classes, n_features))
        self.counts = np.zeros(n_classes)

    def train_task(self, X, y, epochs: int = 1):
        np.add.at(self.sums, np.asarray(y, dtype=int), X)
        self.counts += np.bincount(np.asarray(y, dtype=int), minlength=len(self.counts))

    def scores(self, X):
        means = self.sums / np.maximum(self.counts, 1.0)[:, None]
        distance = ((X[:, None, :] - means[None]) ** 2).sum(axis=2)
        return np.where(self.counts[None] > 0, -distance, -1e300)


# ----------------------------------------------------------------------------
# The spiking network and its readouts
# ----------------------------------------------------------------------------
def _vote_scores(stats: dict, counts: np.ndarray, n_classes: int) -> np.ndarray:
    from snn.readouts import VoteReadout

    readout = VoteReadout(1, counts.shape[1], n_classes)
    readout.stats = {key: value.copy() for key, value in stats.items()}
    scores = readout.scores(counts[None])[0]
    # a class with no assigned neuron loses to any class that has one (its score 0 would
    # tie with a silent response); among such classes the first allowed one is predicted
    assigned = readout.assignments()[0]
    present = np.isin(np.arange(n_classes), assigned)
    return np.where(present[None], scores, -1.0)


class ContinualSpiking:
    """An STDPClassifier trained task after task with the schedule ``fit`` runs (``epochs``
    plastic passes with plasticity annealing, then a frozen pass over the task's samples
    that updates the vote readout's statistics)."""

    def __init__(self, n_features: int, n_classes: int, seed: int, params: dict):
        from snn import STDPClassifier

        self.classifier = STDPClassifier(random_state=seed, **params)
        self.n_classes = n_classes
        self.kept = None
        self.current = None

    def train_task(self, X, y, epochs: int):
        before = None if self.kept is None else {k: v.copy() for k, v in self.kept.items()}
        self.classifier.continue_fit(X, y, epochs=epochs, classes=np.arange(self.n_classes))
        self.kept = {
            key: value[0].copy()[None]
            for key, value in self.classifier.agents_.readout.stats.items()
        }
        self.current = (
            {k: v.copy() for k, v in self.kept.items()}
            if before is None
            else {k: self.kept[k] - before[k] for k in self.kept}
        )

    def counts(self, X):
        return self.classifier.agents_.respond([X])[0][0]


# ----------------------------------------------------------------------------
# Figures and summary
# ----------------------------------------------------------------------------
def _budget_text(settings: Settings) -> str:
    return (
        f"budget per task: the same training samples for every learner, each shown "
        f"{settings.epochs_per_task} times; MLP variants: the same optimiser steps "
        f"(minibatch {settings.mlp_batch_size}), replay adds {settings.mlp_batch_size} "
        f"buffer samples per step (buffer {settings.replay_size})"
    )


def _figures(result: Result, settings: Settings) -> dict:
    metrics = result.metrics
    table = outcomes(metrics)
    seeds = metrics["seed"].nunique()
    largest = int(max(settings.n_neurons))
    learners = [name for name in LABELS if name in set(metrics["learner"])]

    # 1. accuracy on each task along the sequence: both scenarios
    fig, axes = figure(2, len(TASKS), figsize=(3.0 * len(TASKS), 7.2), sharey=True, sharex=True)
    for row, scenario in enumerate(SCENARIOS):
        for task in range(len(TASKS)):
            ax = axes[row, task]
            for learner in learners:
                rows = metrics[
                    (metrics.learner == learner)
                    & (metrics.scenario == scenario)
                    & (metrics.test_task == task)
                    & ((metrics.n_neurons == largest) | metrics.n_neurons.isna())
                ]
                if rows.empty:
                    continue
                stats = interval_table(rows, "after_task", "accuracy", bounds=(0, 1)).sort_values(
                    "after_task"
                )
                # (with two seeds the t interval spans the whole axis: no band)
                band = (stats["low"], stats["high"]) if seeds > 2 else ()
                curve_with_band(
                    ax,
                    stats["after_task"] + 1,
                    stats["mean"],
                    *band,
                    color=COLORS[learner],
                    label=LABELS[learner],
                )
            # every learner switches to the next task at the same point: after each task
            ax.axvline(task + 1, color="0.5", linestyle="--", linewidth=0.8)
            ax.set_ylim(0, 1.02)
            ax.set_xticks(range(1, len(TASKS) + 1))
            if row == 0:
                ax.set_title(f"task {task + 1}: digits {TASKS[task][0]}, {TASKS[task][1]}")
            if row == 1:
                ax.set_xlabel("after training on task")
        axes[row, 0].set_ylabel(f"{SCENARIO_TITLES[scenario]}\ntest accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    titled_over_legend(
        fig,
        f"Split digits, 5 tasks in sequence (dashed: the end of that task's training); "
        f"spiking: {largest} neurons; n = {seeds} seeds, mean and 95% interval\n"
        + _budget_text(settings),
        handles,
        labels,
        ncol=4,
        space=0.08,
        fontsize=9.5,
    )

    # 2. ACC and BWT against the number of spiking neurons, baselines as lines
    fig2, axes2 = figure(2, 2, figsize=(11, 8.2), sharex=True)
    for column, scenario in enumerate(SCENARIOS):
        for row, (measure, title) in enumerate(
            (("acc", "average accuracy after the last task"), ("bwt", "backward transfer"))
        ):
            ax = axes2[row, column]
            for learner in learners:
                rows = table[(table.learner == learner) & (table.scenario == scenario)].dropna(
                    subset=[measure]
                )
                if rows.empty:
                    continue
                if learner.startswith("snn"):
                    stats = interval_table(
                        rows, "n_neurons", measure, bounds=RANGES[measure]
                    ).sort_values("n_neurons")
                    ax.errorbar(
                        stats["n_neurons"],
                        stats["mean"],
                        yerr=[stats["mean"] - stats["low"], stats["high"] - stats["mean"]]
                        if seeds > 2
                        else None,
                        marker="o",
                        capsize=3,
                        color=COLORS[learner],
                        label=LABELS[learner],
                    )
                else:
                    interval = mean_interval(rows[measure], bounds=RANGES[measure])
                    ax.axhline(interval.mean, color=COLORS[learner], label=LABELS[learner])
                    if seeds > 2:
                        ax.axhspan(interval.low, interval.high, color=COLORS[learner], alpha=0.1)
            ax.set_xscale("log")
            ax.set_xticks(list(settings.n_neurons), [str(n) for n in settings.n_neurons])
            ax.set_xticks([], minor=True)
            ax.set_ylim((0, 1.02) if measure == "acc" else (-1.05, 0.5))
            ax.set_title(f"{SCENARIO_TITLES[scenario]}: {title}")
            if row == 1:
                ax.set_xlabel("spiking neurons (MLP and nearest class mean: lines)")
                ax.axhline(0.0, color="black", linewidth=0.6)
    axes2[0, 0].set_ylabel("ACC (chance: 0.5 task-, 0.1 class-incremental)")
    axes2[1, 0].set_ylabel("BWT (negative: forgetting)")
    handles, labels = axes2[0, 1].get_legend_handles_labels()
    titled_over_legend(
        fig2,
        f"Retention against spiking network size, n = {seeds} seeds, mean and 95% interval "
        "(bands and error bars from 3 seeds up)",
        handles,
        labels,
        ncol=4,
        space=0.07,
        fontsize=10,
    )
    return {"continual_learning": fig, "continual_learning_capacity": fig2}


def _summary(result: Result, settings: Settings) -> str:
    table = outcomes(result.metrics)
    seeds = result.metrics["seed"].nunique()
    lines = [
        "# Continual learning: split digits, 5 tasks of 2 classes",
        "",
        f"n = {seeds} seed(s); mean [95% Student-t interval over seeds]. "
        + _budget_text(settings)
        + ". ACC: mean accuracy over the 5 tasks after the last; BWT: mean change of a "
        "task's accuracy from right after it was learned to the end (negative: "
        "forgetting).",
        "",
        "| learner | spiking neurons | task-IL ACC | task-IL BWT | class-IL ACC | class-IL BWT |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (learner, n_neurons), part in table.groupby(
        ["learner", "n_neurons"], sort=False, dropna=False
    ):
        cells = []
        for scenario in SCENARIOS:
            rows = part[part.scenario == scenario]
            for measure in ("acc", "bwt"):
                values = rows[measure].dropna()
                cells.append(
                    mean_interval(values, bounds=RANGES[measure]).format() if len(values) else "n/a"
                )
        neurons = "" if pd.isna(n_neurons) else f"{int(n_neurons)}"
        lines.append(f"| {LABELS.get(learner, learner)} | {neurons} | " + " | ".join(cells) + " |")
    for name, column, criterion in (
        (
            "learning_rate_choice",
            "learning_rate",
            "mean accuracy on each task right after it; every MLP variant uses it",
        ),
        ("ewc_choice", "lambda", "class-incremental ACC"),
    ):
        chosen = result.tables.get(name)
        if chosen is not None and len(chosen):
            picks = chosen[chosen["chosen"]].groupby("seed")[column].first()
            lines += [
                "",
                f"MLP {column.replace('_', ' ')} chosen per seed on the validation split "
                f"({criterion}): " + ", ".join(f"{value:g}" for value in picks) + ".",
            ]
    lines += _baseline_difference_lines(table, settings)
    lines += ["", _interpretation(table, settings)]
    return "\n".join(lines)


def _baseline_difference_lines(table: pd.DataFrame, settings: Settings) -> list[str]:
    """The spiking network with its readout statistics kept (the largest size) minus each
    baseline, ACC and BWT per scenario, paired by seed: every learner of a seed learns the
    same task sequence from the same samples and is tested on the same samples."""
    largest = max(settings.n_neurons)
    spiking = table[(table.learner == "snn_kept") & (table.n_neurons == largest)]
    baselines = [name for name in (*MLP_VARIANTS, "ncm") if name in set(table.learner)]
    if spiking.empty or not baselines:
        return []
    lines = [
        "",
        f"Spiking network, readout statistics kept ({largest} neurons), minus each baseline, "
        "paired by seed (same tasks, samples and test samples), mean [95% Student-t interval]:",
        "",
        "| minus | task-IL ACC | task-IL BWT | class-IL ACC | class-IL BWT |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in baselines:
        baseline = table[table.learner == name]
        cells = []
        for scenario in SCENARIOS:
            for measure in ("acc", "bwt"):
                a, b = (
                    rows[rows.scenario == scenario].set_index("seed")[measure]
                    for rows in (spiking, baseline)
                )
                seeds = a.index.intersection(b.index)
                pairs = pd.DataFrame({"a": a[seeds], "b": b[seeds]}).dropna()
                cells.append(
                    paired_difference(pairs.a, pairs.b, bounds=RANGES[measure]).format()
                    if len(pairs)
                    else "n/a"
                )
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    return lines


def _interpretation(table: pd.DataFrame, settings: Settings) -> str:
    """What the readout ablation says about where retention comes from, in numbers: each
    class-incremental ACC with its 95% interval over seeds, and the readout variants'
    differences paired by seed (the same network and data under each readout)."""
    largest = max(settings.n_neurons)
    rows = table[table.scenario == "class"]
    spiking = rows[rows.n_neurons == largest]

    def acc(learner, source):
        values = source.loc[source.learner == learner].set_index("seed")["acc"]
        return values if len(values) else None

    def mean(learner, source):
        values = acc(learner, source)
        return "n/a" if values is None else mean_interval(values, bounds=RANGES["acc"]).format()

    def paired(a, b):
        first, second = acc(a, spiking), acc(b, spiking)
        if first is None or second is None:
            return "n/a"
        seeds = first.index.intersection(second.index)
        return paired_difference(first[seeds], second[seeds], bounds=RANGES["acc"]).format()

    return (
        f"Where the spiking network's class-incremental retention comes from ({largest} "
        f"neurons; mean [95% interval over seeds]): with its readout statistics kept across "
        f"tasks it reaches ACC {mean('snn_kept', spiking)}; with the readout reset at each "
        f"task {mean('snn_reset', spiking)}; with the readout refitted at the end on every "
        f"task's data {mean('snn_refit_end', spiking)}. Paired by seed (same network and "
        f"data): kept minus reset {paired('snn_kept', 'snn_reset')}, refitted minus kept "
        f"{paired('snn_refit_end', 'snn_kept')}. Nearest class mean on raw pixels, which "
        f"keeps class statistics and has no features to forget, reaches "
        f"{mean('ncm', rows)}; MLP fine-tuning {mean('mlp_finetune', rows)}. Kept "
        "statistics are a memory of the old tasks outside the network; the refitted readout "
        "measures what the final network's features still separate."
    )


# ----------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------
def _task_data(task, rng, n_train, n_test):
    """Per task of :data:`TASKS`: train, validation and test arrays (subsampled, seeded)."""
    out = []
    X_val_all, y_val_all = task.X_val, task.y_val
    for classes in TASKS:
        parts = []
        for X, y, n in (
            (task.X_train, task.y_train, n_train),
            (X_val_all, y_val_all, n_test),
            (task.X_test, task.y_test, n_test),
        ):
            keep = np.isin(y, classes)
            parts.append(subsample(X[keep], y[keep], n, rng))
        out.append(parts)
    return out


def _evaluate(scores_for, data, after, seen, learner, n_neurons, seed, split="test"):
    """Rows of the accuracy matrix for ``after``: every task's test set, both scenarios."""
    rows = []
    position = {"train": 0, "val": 1, "test": 2}[split]
    for test_task, parts in enumerate(data):
        X, y = parts[position]
        scores = scores_for(X)
        for scenario in SCENARIOS:
            predicted = predict_scores(scores, [test_task] * len(y), scenario, seen)
            rows.append(
                {
                    "learner": learner,
                    "n_neurons": n_neurons,
                    "seed": seed,
                    "scenario": scenario,
                    "after_task": after,
                    "test_task": test_task,
                    "accuracy": float(np.mean(predicted == y)),
                }
            )
    return rows


def _run_mlp(data, settings, rng_seed, n_features, n_classes, strength, replay, split):
    learner = ContinualMLP(
        n_features,
        n_classes,
        np.random.default_rng(rng_seed),
        batch_size=settings.mlp_batch_size,
        replay_size=settings.replay_size if replay else 0,
        ewc_strength=strength,
        params=settings.ann_params,
    )
    rows, seen = [], []
    for k, parts in enumerate(data):
        X, y = parts[0]
        learner.train_task(X, y, settings.epochs_per_task)
        seen.extend(TASKS[k])
        rows += _evaluate(learner.scores, data, k, seen, "", np.nan, 0, split)
    return learner, rows


def choose_learning_rate(data, settings, rng_seed, n_features, n_classes) -> pd.DataFrame:
    """For every ``settings.mlp_learning_rates``: fine-tuning's mean accuracy on each task's
    validation samples right after learning that task (class-incremental), the criterion
    that picks the rate (how well each task is learned, not how little is forgotten).

    The MLP's default rate (0.02, tuned for one task) lets ReLU units die task after task
    here: by the fifth task most hidden units are silent on its inputs and it is not learned.
    """
    rows = []
    for rate in settings.mlp_learning_rates:
        tuned = dataclasses.replace(
            settings, ann_params={**settings.ann_params, "learning_rate": rate}
        )
        _, evaluation = _run_mlp(data, tuned, rng_seed, n_features, n_classes, 0.0, False, "val")
        table = pd.DataFrame(evaluation)
        diagonal = table[(table.scenario == "class") & (table.after_task == table.test_task)]
        rows.append({"learning_rate": rate, "validation_learned": diagonal["accuracy"].mean()})
    return pd.DataFrame(rows)


def choose_ewc_strength(data, settings, rng_seed, n_features, n_classes) -> pd.DataFrame:
    """Class-incremental ACC on the validation split for every ``settings.ewc_lambdas``."""
    rows = []
    for strength in settings.ewc_lambdas:
        _, evaluation = _run_mlp(
            data, settings, rng_seed, n_features, n_classes, strength, False, "val"
        )
        table = pd.DataFrame(evaluation)
        last = table[(table.scenario == "class") & (table.after_task == len(TASKS) - 1)]
        rows.append({"lambda": strength, "validation_acc": float(last["accuracy"].mean())})
    return pd.DataFrame(rows)


def _variant(learner: str, n_neurons) -> str:
    """A learner's label, with its size for the spiking variants."""
    text = LABELS.get(learner, learner)
    return text if n_neurons != n_neurons else f"{text}, {n_neurons:g} neurons"


def retention(aggregate) -> pd.DataFrame:
    """ACC and BWT of every run (from its accuracy matrix), as means and intervals over runs
    per setting, learner, size and scenario (:func:`experiments.sweep_figures.derived_summary`)."""

    def measures(rows):
        table = outcomes(rows.rename(columns={"run_seed": "seed"}))
        return {"acc": float(table["acc"].iloc[0]), "bwt": float(table["bwt"].iloc[0])}

    return derived_summary(
        aggregate,
        measures,
        ["learner", "n_neurons", "scenario"],
        {"acc": (0.0, 1.0), "bwt": (-1.0, 1.0)},
    )


def _aggregate_figures(aggregate) -> dict:
    """ACC and BWT per learner (bars, one row per scenario), and accuracy on each task along
    the sequence (one panel per task); means and intervals over runs."""
    table = retention(aggregate)
    # (learner, n_neurons) pairs by name: NaN sizes never compare equal
    learner_of = {_variant(*v): v[0] for v in zip(table["learner"], table["n_neurons"])}
    names = list(learner_of)

    def measure(name, xlabel, limits):
        def panel(ax, rows):
            rows = metric_rows(rows, name)
            bars(
                ax,
                rows.assign(variant=[_variant(*v) for v in zip(rows.learner, rows.n_neurons)]),
                "variant",
                categories=names,
                category_color=lambda text: COLORS.get(learner_of[text], "#444444"),
                horizontal=True,
            )
            ax.set_xlabel(xlabel)
            ax.set_xlim(*limits)
            ax.axvline(0, color="black", linewidth=0.6)

        return panel

    scores = panel_grid(
        aggregate,
        [
            Panel(
                "average accuracy after the last task",
                measure("acc", "ACC (chance: 0.5 task-, 0.1 class-incremental)", (0, 1)),
            ),
            Panel("backward transfer", measure("bwt", "BWT (negative: forgetting)", (-1.05, 0.5))),
        ],
        ["learner", "n_neurons"],
        "Split digits, tasks in sequence: retention of every learner",
        table=table,
        panel_size=(5.2, 0.4 * len(names) + 1.8),
    )

    tasks = sorted(aggregate.summary["test_task"].dropna().unique())

    def along(task):
        def panel(ax, rows):
            rows = metric_rows(rows, "accuracy", test_task=task)
            for (learner, n_neurons), curve in rows.groupby(
                ["learner", "n_neurons"], sort=False, dropna=False
            ):
                sizes = sorted(rows.loc[rows.learner == learner, "n_neurons"].dropna().unique())
                rank = sizes.index(n_neurons) if n_neurons in sizes else 0
                band(
                    ax,
                    curve.assign(after=curve["after_task"] + 1),
                    "after",
                    label=_variant(learner, n_neurons),
                    color=COLORS.get(learner, "#444444"),
                    linestyle=("-", "--", ":", "-.")[rank % 4],
                )
            ax.axvline(task + 1, color="0.5", linestyle="--", linewidth=0.8)
            ax.set_ylim(0, 1.02)
            ax.set_xticks(range(1, len(tasks) + 1))
            ax.set_xlabel("after training on task")
            ax.set_ylabel("test accuracy")

        return panel

    sequence = panel_grid(
        aggregate,
        [
            Panel(f"task {int(t) + 1}: digits {', '.join(map(str, TASKS[int(t)]))}", along(t))
            for t in tasks
        ],
        ["learner", "n_neurons", "after_task", "test_task"],
        "Split digits: accuracy on each task along the sequence (dashed: the end of its training)",
        panel_size=(3.0, 3.0),
    )
    return {"continual_learning": scores, "continual_learning_sequence": sequence}


@register_experiment(order=50)
def run(settings: Settings, seed: int) -> Result:
    """split digits (5 tasks of 2 classes): task- and class-incremental accuracy and
    backward transfer of MLP baselines (fine-tuning, replay, EWC), nearest class mean
    and the spiking network with three readouts, over spiking network sizes"""
    for name, values, constraint in (
        ("n_neurons", settings.n_neurons, Interval(Integral, 1, None)),
        ("ewc_lambdas", settings.ewc_lambdas, Interval(Real, 0, None)),
    ):
        if not values:
            raise ValueError(f"{name} must hold at least one value, got {name}={values!r}")
        for k, value in enumerate(values):
            check_param(f"{name}[{k}]", value, [constraint])
    ReplayBuffer(settings.replay_size, np.random.default_rng(0))  # checks replay_size
    rows, choices, rate_choices, timings = [], [], [], []
    for run_seed in settings.seed_runs(seed, "continual_learning"):
        task = load_task("digits", seed=run_seed)
        data_seed, mlp_seed, snn_seed = child_seeds(run_seed, 3)
        data = _task_data(task, np.random.default_rng(data_seed), settings.n_train, settings.n_test)
        n_features, n_classes = task.n_features, len(task.classes)

        started = time.perf_counter()
        rates = choose_learning_rate(data, settings, mlp_seed, n_features, n_classes)
        rate = float(rates.loc[rates["validation_learned"].idxmax(), "learning_rate"])
        rate_choices.append(rates.assign(seed=run_seed, chosen=rates["learning_rate"] == rate))
        tuned = dataclasses.replace(
            settings, ann_params={**settings.ann_params, "learning_rate": rate}
        )
        choice = choose_ewc_strength(data, tuned, mlp_seed, n_features, n_classes)
        strength = float(choice.loc[choice["validation_acc"].idxmax(), "lambda"])
        choices.append(choice.assign(seed=run_seed, chosen=choice["lambda"] == strength))
        for name, ewc, replay in (
            ("mlp_finetune", 0.0, False),
            ("mlp_replay", 0.0, True),
            ("mlp_ewc", strength, False),
        ):
            _, evaluation = _run_mlp(
                data, tuned, mlp_seed, n_features, n_classes, ewc, replay, "test"
            )
            rows += [{**row, "learner": name, "seed": run_seed} for row in evaluation]
        ncm, seen = NearestClassMean(n_features, n_classes), []
        for k, parts in enumerate(data):
            ncm.train_task(*parts[0])
            seen.extend(TASKS[k])
            rows += _evaluate(ncm.scores, data, k, seen, "ncm", np.nan, run_seed)
        timings.append(
            {"seed": run_seed, "learner": "baselines", "seconds": time.perf_counter() - started}
        )

        params = with_units(dict(settings.snn_params))
        for n_neurons in settings.n_neurons:
            started = time.perf_counter()
            network = ContinualSpiking(
                n_features, n_classes, snn_seed, {**params, "n_neurons": int(n_neurons)}
            )
            seen = []
            # one frozen pass over every task's test samples after each task
            X_test_all = np.concatenate([p[2][0] for p in data])
            test_sizes = [len(p[2][0]) for p in data]
            for k, parts in enumerate(data):
                network.train_task(*parts[0], settings.epochs_per_task)
                seen.extend(TASKS[k])
                test_counts = _split_counts(network.counts(X_test_all), test_sizes)
                for name, stats in (("snn_kept", network.kept), ("snn_reset", network.current)):
                    rows += _counts_rows(
                        test_counts, data, stats, n_classes, k, seen, name, n_neurons, run_seed
                    )
            # the readout refitted on the final network's responses to every task's data
            from snn.readouts import VoteReadout

            X_all = np.concatenate([p[0][0] for p in data])
            y_all = np.concatenate([p[0][1] for p in data])
            refit = VoteReadout(1, int(n_neurons), n_classes)
            refit.update(network.counts(X_all)[None], np.eye(n_classes)[y_all][None])
            rows += _counts_rows(
                test_counts,
                data,
                refit.stats,
                n_classes,
                len(TASKS) - 1,
                seen,
                "snn_refit_end",
                n_neurons,
                run_seed,
            )
            timings.append(
                {
                    "seed": run_seed,
                    "learner": f"snn_{int(n_neurons)}",
                    "seconds": time.perf_counter() - started,
                }
            )
    return Result(
        metrics=pd.DataFrame(rows),
        timings=pd.DataFrame(timings),
        tables={
            "ewc_choice": pd.concat(choices, ignore_index=True),
            "learning_rate_choice": pd.concat(rate_choices, ignore_index=True),
        },
    )


def _split_counts(counts, sizes):
    return np.split(counts, np.cumsum(sizes)[:-1])


def _counts_rows(test_counts, data, stats, n_classes, after, seen, learner, n_neurons, seed):
    """:func:`_evaluate`'s rows for a spiking network whose test-set spike counts are known."""
    scores = iter([_vote_scores(stats, counts, n_classes) for counts in test_counts])
    # _evaluate asks for the scores of the tasks' test sets in task order.
    return _evaluate(lambda X: next(scores), data, after, seen, learner, int(n_neurons), seed)
