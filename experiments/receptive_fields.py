"""What each learner's first layer learns on digits, drawn as 8x8 images.

The spiking network's input weights form prototypes of whole digits (each
winner-take-all neuron specialises on a cluster of similar images, Diehl &
Cook 2015); the MLP's first-layer weights are distributed features tuned by
backpropagated error, rarely recognisable on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from experiments._base import COUNT, Presets, Result, register_experiment
from experiments.learners import make_learner, subsample
from experiments.style import figure, label
from experiments.sweep_figures import PER_LEARNER, Panel, bar_panel, panel_grid
from tasks import load_task


@dataclass(frozen=True)
class Settings(Presets):
    n_train: int | None = None
    n_units: int = 64  # how many units of each learner to draw
    params: dict = field(default_factory=lambda: {"ann": {}, "snn": {}})
    # One network per learner, whose tiles the figure draws; more seeds are a
    # sweep's (``python -m experiments sweep ... --seeds``).
    n_seeds: ClassVar[int] = 1

    CONSTRAINTS = {"n_units": COUNT}

    QUICK = dict(n_train=400, n_units=36, params={"ann": {"epochs": 20}, "snn": {"epochs": 1}})


def first_layer(kind: str, estimator) -> np.ndarray:
    """Weights into each first-layer unit, shape (n_units, n_features).

    Both learners store input weights as (n_inputs, n_units) -- the MLP's
    ``coefs_[0]`` and the spiking network's ``weights_`` -- so a unit's
    receptive field is a column: transpose, never reshape (a reshape mixes
    the weights of different neurons into one tile).
    """
    weights = np.asarray(estimator.coefs_[0] if kind == "ann" else estimator.weights_)
    if weights.shape[0] != estimator.n_features_in_:
        raise ValueError(
            f"the {kind} learner has {weights.shape[0]} inputs for "
            f"{estimator.n_features_in_} features (receptive-field encoding?); "
            "tiles need one input per pixel"
        )
    return weights.T


def class_mean_correlation(tiles: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For each tile, its highest Pearson correlation with a class-mean image.

    A spiking neuron that learned a digit prototype correlates strongly with
    that digit's mean image (about 0.8 on digits); a scrambled tile does not
    (0.1-0.3).
    """
    means = np.stack([X[y == c].mean(axis=0) for c in np.unique(y)])
    a = tiles - tiles.mean(axis=1, keepdims=True)
    b = means - means.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :]
    return (a @ b.T / np.where(norms > 0, norms, 1.0)).max(axis=1)


def _grid(ax, weights: np.ndarray, title: str, diverging: bool):
    n = len(weights)
    side = int(np.ceil(np.sqrt(n)))
    canvas = np.full((side * 9 - 1, side * 9 - 1), np.nan)
    for k, w in enumerate(weights):
        r, c = divmod(k, side)
        canvas[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = w.reshape(8, 8)
    if diverging:
        limit = np.nanmax(np.abs(canvas))
        image = ax.imshow(canvas, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        image = ax.imshow(canvas, cmap="magma", vmin=0)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return image


def _figures(result: Result, settings: Settings) -> dict:
    weights = result.tables["weights"]
    fig, axes = figure(1, 2, figsize=(11, 5.6))
    for ax, kind, diverging, unit in zip(
        axes, ("snn", "ann"), (False, True), ("synaptic weight (0 to w$_{max}$)", "weight")
    ):
        rows = weights[weights.kind == kind].sort_values(["unit", "pixel"])
        matrix = rows.pivot(index="unit", columns="pixel", values="weight").to_numpy()
        image = _grid(ax, matrix, f"{label(kind)}: weights into {len(matrix)} units", diverging)
        fig.colorbar(image, ax=ax, shrink=0.75, label=unit)
    fig.suptitle("Receptive fields on 8x8 digits (one tile per unit; tile = input pixels)")
    fig.tight_layout()
    return {"receptive_fields": fig}


def _summary(result: Result, settings: Settings) -> str:
    lines = [
        "# Receptive fields (digits)",
        "",
        "One network of each learner, trained once (one seed): the numbers describe the "
        "tiles drawn and carry no interval; intervals over seeds come from a sweep "
        "(python -m experiments sweep receptive_fields --full --seeds 0-9 --out DIR).",
        "",
    ]
    for _, row in result.metrics.iterrows():
        lines.append(
            f"- {label(row.kind)}: test accuracy {row.accuracy:.3f}; {row.n_units} units drawn; "
            f"mean over units of the best correlation with a class-mean digit "
            f"{row.class_mean_correlation:.2f}"
        )
    return "\n".join(lines)


def _aggregate_figures(aggregate) -> dict:
    """Accuracy and how much each learner's units look like class means, per learner."""
    panels = [
        Panel(
            "test accuracy",
            bar_panel("accuracy", "kind", "test accuracy on digits", limits=(0, 1), **PER_LEARNER),
        ),
        Panel(
            "receptive fields like class means",
            bar_panel(
                "class_mean_correlation",
                "kind",
                "mean largest correlation of a tile\nwith a class-mean image",
                limits=(-1, 1),
                **PER_LEARNER,
            ),
        ),
    ]
    figure = panel_grid(
        aggregate,
        panels,
        ["kind"],
        "Receptive fields on 8x8 digits: the learners' first layers",
        panel_size=(4.2, 3.6),
        note="The tiles themselves are in each run's weights.csv.",
    )
    return {"receptive_fields": figure}


@register_experiment(order=40)
def run(settings: Settings, seed: int) -> Result:
    """spiking input weights as 8x8 images next to the MLP's first-layer weights"""
    (run_seed,) = settings.run_seeds(seed)
    task = load_task("digits", seed=run_seed)
    rng = np.random.default_rng(run_seed)
    X_train, y_train = subsample(task.X_train, task.y_train, settings.n_train, rng)
    metrics, tables = [], []
    for kind in ("snn", "ann"):
        estimator = make_learner(
            kind, task, random_state=run_seed, **settings.params.get(kind, {})
        ).fit(X_train, y_train)
        weights = first_layer(kind, estimator)[: settings.n_units]
        unit, pixel = np.meshgrid(
            np.arange(len(weights)), np.arange(weights.shape[1]), indexing="ij"
        )
        tables.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "unit": unit.ravel(),
                    "pixel": pixel.ravel(),
                    "weight": weights.ravel(),
                }
            )
        )
        metrics.append(
            {
                "kind": kind,
                "accuracy": float(estimator.score(task.X_test, task.y_test)),
                "n_units": len(weights),
                "class_mean_correlation": float(
                    class_mean_correlation(weights, X_train, y_train).mean()
                ),
            }
        )
    return Result(
        metrics=pd.DataFrame(metrics), tables={"weights": pd.concat(tables, ignore_index=True)}
    )
