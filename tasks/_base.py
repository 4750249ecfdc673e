"""Task container, registry and the helpers every task shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from core.random import check_seed
from core.registry import Registry

#: Registered task loaders by name. ``list(TASKS)`` gives the names.
TASKS: Registry[Callable[..., Task]] = Registry("task")


@dataclass
class Task:
    """One learning problem with a fixed train/test split.

    Features are scaled to [0, 1] (the range the spiking encoders accept).

    Attributes
    ----------
    name, description : str
    kind : {"classification", "regression"}
    X_train, y_train, X_test, y_test : ndarray
    classes : ndarray or None
        Sorted class labels for classification, ``None`` for regression.
    graph : networkx.Graph or None
        The spatial structure behind the data, where there is one.
    metadata : dict
        Generator parameters and per-sample side information.
    """

    name: str
    description: str
    kind: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray | None = None
    graph: Any = None
    metadata: dict = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    def __repr__(self) -> str:
        return (
            f"Task(name={self.name!r}, kind={self.kind!r}, n_features={self.n_features}, "
            f"n_train={len(self.X_train)}, n_test={len(self.X_test)}, "
            f"classes={None if self.classes is None else list(self.classes)})"
        )


def register_task(name: str, *, replace: bool = False):
    """Register a loader ``f(seed, **params) -> Task`` under ``name``."""
    return TASKS.register(name, replace=replace)


def load_task(name: str, seed: int = 0, **params) -> Task:
    """Load the task registered as ``name``, split and scaled with ``seed``.

    Parameters
    ----------
    name : str
        One of ``TASKS``.
    seed : int
        Seeds the split and any generated data.
    **params
        Passed to the task's generator (see each task's docstring).

    Examples
    --------
    >>> task = load_task("iris", seed=1)
    >>> task.X_train.min() >= 0 and task.X_train.max() <= 1
    True
    """
    loader = TASKS[name]
    return loader(seed=check_seed(seed), **params)


def minmax_scale(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale to [0, 1] by the training set's range; test values are clipped into it."""
    low = X_train.min(axis=0)
    span = X_train.max(axis=0) - low
    span[span == 0] = 1.0
    scale = lambda X: np.clip((X - low) / span, 0.0, 1.0)  # noqa: E731
    return scale(X_train), scale(X_test)


def split(X, y, seed: int, test_size: float, stratify: bool):
    """Seeded (and for classification stratified) train/test split."""
    return train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if stratify else None
    )
