"""Data checks shared by every learner (parameters: :mod:`core.params`).

Every check raises before any work is done, with a message that names the
parameter and the value received.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.exceptions import DataConversionWarning

from core.params import Interval, check_param
from core.params import short_repr as _short


def check_X(
    X,
    *,
    name: str = "X",
    n_features: int | None = None,
    dtype=np.float64,
    allow_empty: bool = False,
    owner: str = "the network",
) -> np.ndarray:
    """A finite 2-D float array ``(n_samples, n_features)``.

    The messages are scikit-learn's where it has one (its estimator checks
    look for them): sparse input, complex numbers, 1-D input ("Reshape your
    data"), no features, a different number of features than ``owner`` was
    fitted with. An object array of numbers is converted; of anything else
    numpy's conversion error (a TypeError or ValueError) passes through.
    """
    if X is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got {name}=None")
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported, pass {name}.toarray()"
        )
    try:
        array = np.asarray(X)
    except Exception as error:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be read as an array: {error}") from None
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {array.dtype}")
    if array.dtype.kind == "O":
        array = array.astype(np.float64)  # numbers pass; numpy names anything else
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must contain real numbers, got dtype {array.dtype} in {name}")
    if array.ndim != 2:
        hint = (
            " (Reshape your data: X.reshape(-1, 1) for a single feature, "
            "X.reshape(1, -1) for a single sample)"
            if array.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}{hint}"
        )
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: got shape {array.shape}, need at least one sample")
    if array.shape[1] == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} features, but {owner} is expecting "
            f"{n_features} features as input (shape {array.shape})"
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


def check_agent_list(values, n_agents: int, name: str) -> list:
    """A population's per-agent argument: a sequence with one entry per agent."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(
            f"{name} must be a list with one array per agent, got {type(values).__name__}"
        )
    if len(values) != n_agents:
        raise ValueError(
            f"{name} must have one entry per agent: expected {n_agents}, got {len(values)}"
        )
    return list(values)


def check_agent_index(i, n_agents: int) -> int:
    """A population's agent index ``i``: an integer in ``[0, n_agents)``."""
    return check_param("i", i, [Interval(Integral, 0, n_agents, closed="left")])


def check_same_length(n_samples: int, y: np.ndarray) -> None:
    """``y`` must have one entry per row of X."""
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have different lengths: X has {n_samples} samples, y has {len(y)}"
        )


def check_labels_1d(y, name: str = "y") -> np.ndarray:
    """Class labels: a 1-D array of any hashable, sortable type (ints, strings, ...)."""
    if y is None:
        raise ValueError(
            f"this classifier requires y to be passed, but the target y is None ({name}=None)"
        )
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1 and name == "y":
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; it is raveled "
            "(pass y.ravel() to avoid this warning)",
            DataConversionWarning,
            stacklevel=4,
        )
        labels = labels.ravel()
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
            f"Unknown label type: continuous. {name} holds real values such as {value!r}, "
            "not class labels; use integer or string labels, or a regressor for "
            "real-valued targets"
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
