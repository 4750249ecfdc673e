"""The small classic tasks: XOR, the article's regression, iris and digits."""

from __future__ import annotations

import numpy as np
from sklearn import datasets

from tasks._base import Task, register_task, split_task


@register_task("xor")
def xor(seed: int = 0) -> Task:
    """The four XOR points; train, validation and test are the same four points."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    return Task(
        name="xor",
        description="XOR of two binary inputs: the classic non-linearly separable problem.",
        kind="classification",
        X_train=X.copy(),
        y_train=y.copy(),
        X_test=X.copy(),
        y_test=y.copy(),
        X_val=X.copy(),
        y_val=y.copy(),
        classes=np.array([0, 1]),
    )


@register_task("seed_regression")
def seed_regression(
    seed: int = 0, n_samples: int = 400, noise: float = 0.0, test_size: float = 0.25
) -> Task:
    """y = x1 + 2*x2 + 3 with x drawn from a standard normal.

    The example of the article this project started from. Features are
    min-max scaled to [0, 1] (an affine map, so y stays linear in them);
    targets are left in their own units.
    """
    if n_samples < 8:
        raise ValueError(f"n_samples must be at least 8, got n_samples={n_samples!r}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, 2))
    y = X[:, 0] + 2 * X[:, 1] + 3 + noise * rng.standard_normal(n_samples)
    return split_task(
        "seed_regression",
        "y = x1 + 2*x2 + 3, x ~ N(0, 1): the article's regression example.",
        X,
        y,
        seed,
        test_size,
        scale=True,
        metadata={"n_samples": n_samples, "noise": noise},
    )


@register_task("iris")
def iris(seed: int = 0, test_size: float = 0.3) -> Task:
    """Fisher's iris (150 flowers, 4 measurements, 3 species), as scikit-learn ships it."""
    data = datasets.load_iris()
    return split_task(
        "iris",
        "Fisher's iris: 4 flower measurements -> 3 species.",
        data.data,
        data.target,
        seed,
        test_size,
        classes=np.unique(data.target),
        scale=True,
        metadata={"target_names": list(data.target_names)},
    )


@register_task("digits")
def digits(seed: int = 0, test_size: float = 0.25) -> Task:
    """The 8x8 handwritten digits scikit-learn ships (1797 images, 16 grey levels).

    Pixels are divided by 16, so the [0, 1] scale is the same for every split.
    With the default ``test_size`` the generator splits 1347 training and 450
    test images; :func:`tasks.load_task` then holds out 270 of the 1347 for
    validation (1077 remain in ``X_train``).
    """
    data = datasets.load_digits()
    return split_task(
        "digits",
        "8x8 handwritten digits -> 10 classes (UCI, as shipped by scikit-learn).",
        data.data / 16.0,
        data.target,
        seed,
        test_size,
        classes=np.arange(10),
        metadata={"image_shape": (8, 8)},
    )
