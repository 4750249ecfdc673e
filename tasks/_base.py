"""Task container, registry and the helpers every task shares."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from core.params import Interval, check_param
from core.random import check_seed
from core.registry import Registry

#: Registered task loaders by name. ``list(TASKS)`` gives the names.
TASKS: Registry[Callable[..., Task]] = Registry("task")


#: Fraction of a task's former training split that :func:`load_task` holds out
#: as the validation split (``X_val``, ``y_val``) unless told otherwise.
VALIDATION_SIZE = 0.2


@dataclass(frozen=True)
class _Splits:
    """What a task and its development view share: names, the training split, shapes."""

    name: str
    description: str
    kind: str
    X_train: np.ndarray
    y_train: np.ndarray

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)


@dataclass(frozen=True)
class Task(_Splits):
    """One learning problem with fixed train / validation / test splits.

    Features are scaled to [0, 1] (the range the spiking encoders accept).

    The evaluation protocol: every choice made by measurement (a default, a
    hyper-parameter, a readout penalty) is scored on the validation split
    (``X_val``, ``y_val``); the test split is read once per reported number.
    Tuning code should be handed :meth:`development`, a view that has no test
    split at all. A task is frozen: derive a changed one with
    ``dataclasses.replace``.

    Attributes
    ----------
    name, description : str
    kind : {"classification", "regression"}
    X_train, y_train, X_test, y_test : ndarray
    X_val, y_val : ndarray or None
        The validation split, carved from the training data by
        :func:`load_task` (``None`` only for a Task built by hand).
    classes : ndarray or None
        Sorted class labels for classification, ``None`` for regression.
    graph : networkx.Graph or None
        The spatial structure behind the data, where there is one.
    metadata : dict
        Generator parameters and per-sample side information.
    """

    X_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray | None = None
    graph: Any = None
    metadata: dict = field(default_factory=dict)
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None

    def development(self) -> DevelopmentTask:
        """This task without its test split, for tuning: see :class:`DevelopmentTask`.

        Raises
        ------
        ValueError
            If the task has no validation split (a Task built by hand).

        Examples
        --------
        >>> dev = load_task("iris", seed=0).development()
        >>> len(dev.X_train), len(dev.X_val)
        (84, 21)
        >>> dev.X_test
        Traceback (most recent call last):
        ...
        AttributeError: a development view has no test split (X_test): tune on X_val, y_val ...
        """
        if self.X_val is None or self.y_val is None:
            raise ValueError(
                f"task {self.name!r} has no validation split (X_val is None); "
                "load it with load_task or give it X_val and y_val"
            )
        metadata = {
            key: value
            for key, value in self.metadata.items()
            if not (key.endswith("_test") or key == "test")
        }
        return DevelopmentTask(
            name=self.name,
            description=self.description,
            kind=self.kind,
            X_train=self.X_train,
            y_train=self.y_train,
            X_val=self.X_val,
            y_val=self.y_val,
            classes=self.classes,
            graph=self.graph,
            metadata=metadata,
        )

    def __repr__(self) -> str:
        n_val = None if self.X_val is None else len(self.X_val)
        return (
            f"Task(name={self.name!r}, kind={self.kind!r}, n_features={self.n_features}, "
            f"n_train={len(self.X_train)}, n_val={n_val}, n_test={len(self.X_test)}, "
            f"classes={None if self.classes is None else list(self.classes)})"
        )


_NO_TEST_SPLIT = (
    "a development view has no test split ({name}): tune on X_val, y_val and "
    "read the test split of the full Task once, for the reported number"
)


@dataclass(frozen=True)
class DevelopmentTask(_Splits):
    """A task's training and validation splits, and nothing of its test split.

    What tuning code is given (:meth:`Task.development`, and the only kind of
    task :mod:`tasks.tuning` accepts): its held-out split *is* the
    validation split, and asking for ``X_test`` or ``y_test`` raises
    ``AttributeError``. Per-sample metadata of the test split
    (keys ending in ``_test``) is left out too.
    """

    X_val: np.ndarray
    y_val: np.ndarray
    classes: np.ndarray | None = None
    graph: Any = None
    metadata: dict = field(default_factory=dict)

    def __getattr__(self, name):
        if name in ("X_test", "y_test"):
            raise AttributeError(_NO_TEST_SPLIT.format(name=name))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return (
            f"DevelopmentTask(name={self.name!r}, kind={self.kind!r}, "
            f"n_features={self.n_features}, n_train={len(self.X_train)}, "
            f"n_val={len(self.X_val)}, no test split)"
        )


def register_task(name: str, *, replace: bool = False):
    """Register a loader ``f(seed, **params) -> Task`` under ``name``."""
    return TASKS.register(name, replace=replace)


def load_task(
    name: str, seed: int = 0, *, validation_size: float = VALIDATION_SIZE, **params
) -> Task:
    """Load the task registered as ``name``, split and scaled with ``seed``.

    The task's generator makes the train/test split; ``validation_size`` of
    its training split is then held out as the validation split (``X_val``,
    ``y_val``; stratified by class for classification, drawn from a generator
    derived from ``seed`` so the same seed gives the same three splits).
    Per-sample metadata of the training split (arrays under keys ending in
    ``_train``, e.g. city_traffic's ``node_train``) is split the same way
    into ``..._val``. Features keep the scale fitted on the former training
    split (train and validation together; the test split plays no part).

    Parameters
    ----------
    name : str
        One of ``TASKS``.
    seed : int
        Seeds the splits and any generated data.
    validation_size : float in [0, 1)
        Fraction of the former training split held out for validation
        (default :data:`VALIDATION_SIZE`, 20%); 0 leaves it whole and makes
        the validation split empty. A task whose generator defines its own
        validation split (``xor``: all three splits are the four points)
        keeps it.
    **params
        Passed to the task's generator (see each task's docstring).

    Examples
    --------
    >>> task = load_task("iris", seed=1)
    >>> bool(task.X_train.min() >= 0 and task.X_train.max() <= 1)
    True
    >>> len(task.X_train), len(task.X_val), len(task.X_test)
    (84, 21, 45)
    """
    loader = TASKS[name]
    seed = check_seed(seed)
    validation_size = check_param(
        "validation_size", validation_size, [Interval(Real, 0, 1, closed="left")]
    )
    task = loader(seed=seed, **params)
    if task.X_val is None:
        task = hold_out_validation(task, validation_size, seed)
    return task


def hold_out_validation(task: Task, validation_size: float, seed: int) -> Task:
    """``task`` with ``validation_size`` of its training split moved to ``X_val``/``y_val``.

    Stratified for classification (when every class has at least two
    training samples), from a generator derived from ``seed`` (independent
    of the train/test split's). Metadata arrays under ``*_train`` keys with
    one entry per training sample are split alongside into ``*_val``.
    """
    n = len(task.X_train)
    train_meta = {
        key: value
        for key, value in task.metadata.items()
        if key.endswith("_train") and isinstance(value, np.ndarray) and len(value) == n
    }
    if validation_size == 0 or n < 2:
        keep, held = np.arange(n), np.arange(0)
    else:
        stratify = None
        if task.kind == "classification":
            _, counts = np.unique(task.y_train, return_counts=True)
            n_held = int(np.ceil(validation_size * n))
            if counts.min() >= 2 and len(counts) <= min(n_held, n - n_held):
                stratify = task.y_train
        random_state = int(np.random.SeedSequence([seed, 0x7A1]).generate_state(1)[0])
        keep, held = train_test_split(
            np.arange(n), test_size=validation_size, random_state=random_state, stratify=stratify
        )
        keep, held = np.sort(keep), np.sort(held)
    metadata = dict(task.metadata)
    for key, value in train_meta.items():
        metadata[key] = value[keep]
        metadata[key[: -len("_train")] + "_val"] = value[held]
    metadata["validation_size"] = validation_size
    return dataclasses.replace(
        task,
        X_train=task.X_train[keep],
        y_train=task.y_train[keep],
        X_val=task.X_train[held],
        y_val=task.y_train[held],
        metadata=metadata,
    )


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


def split_task(
    name, description, X, y, seed, test_size, *, classes=None, scale=False, transform=None, **fields
) -> Task:
    """A :class:`Task` from all of ``(X, y)``: a seeded train/test split, stratified for
    classification (given ``classes``), regression otherwise; the features then min-max
    scaled on the training split (``scale``) and/or mapped by ``transform``, split by split."""
    X_train, X_test, y_train, y_test = split(X, y, seed, test_size, stratify=classes is not None)
    if scale:
        X_train, X_test = minmax_scale(X_train, X_test)
    if transform is not None:
        X_train, X_test = transform(X_train), transform(X_test)
    return Task(
        name=name,
        description=description,
        kind="regression" if classes is None else "classification",
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        classes=classes,
        **fields,
    )
