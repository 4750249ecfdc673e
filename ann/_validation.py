"""Data checks shared by the estimators and the population (parameters: :mod:`core.params`).

Every check raises before any work is done, with a message that names the
parameter and the value received.
"""

from __future__ import annotations

import numpy as np

from core.params import short_repr as _short


def check_X(
    X,
    *,
    name: str = "X",
    n_features: int | None = None,
    dtype=np.float64,
    allow_empty: bool = False,
) -> np.ndarray:
    """A finite 2-D float array ``(n_samples, n_features)``."""
    if X is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {name}=None")
    try:
        array = np.asarray(X)
    except Exception as error:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be read as an array: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype} in {name}")
    if array.ndim != 2:
        hint = " (for a single feature use X.reshape(-1, 1))" if array.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}{hint}"
        )
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: got shape {array.shape}, need at least one sample")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no features: got shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} features, but the network takes "
            f"{n_features} (shape {array.shape})"
        )
    if not np.isfinite(array).all():
        row, column = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or infinity (first at row {row}, column {column}: "
            f"{array[row, column]})"
        )
    with np.errstate(over="ignore"):
        converted = array.astype(dtype, copy=False)
    if converted is not array and not np.isfinite(converted).all():
        row, column = np.argwhere(~np.isfinite(converted))[0]
        raise ValueError(
            f"{name} has values too large for {np.dtype(dtype).name} (first at row {row}, "
            f"column {column}: {array[row, column]}); scale the data or use dtype='float64'"
        )
    return converted


def check_same_length(n_samples: int, y: np.ndarray) -> None:
    """``y`` must have one entry per row of X."""
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have different lengths: X has {n_samples} samples, y has {len(y)}"
        )


def check_labels_1d(y, name: str = "y") -> np.ndarray:
    """Class labels: a 1-D array of any hashable, sortable type (ints, strings, ...)."""
    if y is None:
        raise TypeError(f"{name} must be a 1-D array of class labels, got {name}=None")
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (n_samples,), got shape {labels.shape}"
            + (" (use y.ravel())" if labels.ndim == 2 and labels.shape[1] == 1 else "")
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return labels


def check_class_labels(y, name: str = "y") -> np.ndarray:
    """A classifier's labels: :func:`check_labels_1d`, and floats only when whole numbers.

    Real values such as 0.5 are a regression target, not classes (scikit-learn
    calls them "continuous" and refuses them too; its ``score`` could not use them).
    """
    labels = check_labels_1d(y, name)
    if labels.dtype.kind == "f" and np.any(labels != np.round(labels)):
        value = labels[np.argmax(labels != np.round(labels))].item()
        raise ValueError(
            f"{name} holds real values such as {value!r}, not class labels; use "
            f"integer or string labels, or a regressor for real-valued targets"
        )
    return labels


def check_classes(classes, name: str = "classes", *, sort: bool) -> np.ndarray:
    """At least two distinct labels; sorted (scikit-learn) or kept in the order given."""
    labels = check_labels_1d(classes, name)
    unique = np.unique(labels)
    if len(unique) != len(labels):
        raise ValueError(f"{name} contains duplicates: {name}={_short(labels.tolist())}")
    if len(unique) < 2:
        raise ValueError(
            f"{name} must hold at least 2 distinct labels to classify, "
            f"got {name}={_short(labels.tolist())}"
        )
    return unique if sort else labels


def encode_labels(y: np.ndarray, classes: np.ndarray, name: str = "y") -> np.ndarray:
    """Indices of ``y``'s labels in ``classes``; a label outside ``classes`` raises."""
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    try:
        position = np.searchsorted(sorted_classes, y)
    except TypeError:
        raise TypeError(
            f"{name} has labels of type {y.dtype} that cannot be compared with "
            f"classes of type {classes.dtype}"
        ) from None
    position = np.clip(position, 0, len(classes) - 1)
    unknown = sorted_classes[position] != y
    if np.any(unknown):
        label = y[np.argmax(unknown)]
        label = label.item() if isinstance(label, np.generic) else label
        raise ValueError(
            f"{name} contains label {label!r} which is not in classes={_short(classes.tolist())}"
        )
    return order[position]
