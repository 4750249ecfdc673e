"""MNIST-scale image tasks: MNIST and Fashion-MNIST from local IDX files, and a 28x28 stand-in.

Nothing is downloaded. ``load_task("mnist", path=...)`` (or the environment
variable ``MNIST_DIR``; ``FASHION_MNIST_DIR`` for ``"fashion_mnist"``) points
at a directory holding the four standard IDX files, gzipped or not::

    train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
    t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]

(``train-images.idx3-ubyte`` style names are accepted too.) The IDX format
(LeCun et al.): a big-endian header -- two zero bytes, a type code (0x08 for
unsigned bytes), the number of dimensions -- then one 32-bit big-endian size
per dimension, then the values in C order.

``load_task("digits28")`` is scikit-learn's 8x8 digits upsampled to MNIST's
layout (the digit in the central 20x20 pixels of a 28x28 image, as MNIST
centres its digits), so that 784-input networks can be measured without the
MNIST files.

References
----------
LeCun, Y., Bottou, L., Bengio, Y. & Haffner, P. (1998). Gradient-based
learning applied to document recognition. Proc. IEEE 86(11):2278-2324.
Xiao, H., Rasul, K. & Vollgraf, R. (2017). Fashion-MNIST: a novel image
dataset for benchmarking machine learning algorithms. arXiv:1708.07747.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
from numbers import Integral
from pathlib import Path

import numpy as np
from scipy import ndimage

from core.params import Interval, check_param
from tasks._base import Task, register_task
from tasks._builtin import digits

__all__ = ["read_idx", "write_idx", "IDX_FILES"]

#: The four files of an MNIST-format data set, by role.
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzipped if its name ends in ``.gz``).

    Raises
    ------
    ValueError
        If the file is not IDX (bad magic number or type code) or its size
        does not match its header; the message names the file.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{os.fspath(path)!r} is not an IDX file (bad magic number)")
    dtype, n_dims = _IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * n_dims
    shape = tuple(int(size) for size in np.frombuffer(data[4:header], dtype=">u4"))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(shape) != n_dims or len(data) != expected:
        raise ValueError(
            f"{os.fspath(path)!r} is truncated or damaged: its header announces shape "
            f"{shape} ({expected} bytes), the file has {len(data)} bytes"
        )
    return (
        np.frombuffer(data, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def write_idx(path, array) -> None:
    """Write ``array`` (unsigned bytes) as an IDX file, gzipped if ``path`` ends in ``.gz``."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"write_idx writes unsigned bytes, got dtype {array.dtype}")
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())


def _find(directory: Path, stem: str):
    """The file of ``stem`` in ``directory`` under any accepted name, or None."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, f"{stem}.gz", dotted, f"{dotted}.gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _load_idx_task(name, description, variable, path, seed, n_train, n_test):
    source = "path="
    if path is None:
        path = os.environ.get(variable, "").strip() or None
        source = f"environment variable {variable}"
    if path is None:
        raise FileNotFoundError(
            f"task {name!r} reads the IDX files {sorted(IDX_FILES.values())} (gzipped or "
            f"not) from a local directory: pass load_task({name!r}, path=...) or set the "
            f"environment variable {variable}; nothing is downloaded"
        )
    directory = Path(path).expanduser()
    found = {role: _find(directory, stem) for role, stem in IDX_FILES.items()}
    missing = [IDX_FILES[role] for role, file in found.items() if file is None]
    if missing:
        raise FileNotFoundError(
            f"task {name!r}: {missing} (or the same with .gz) not found in "
            f"{os.fspath(directory)!r} (from {source}); it needs "
            f"{sorted(IDX_FILES.values())}"
        )
    arrays = {role: read_idx(file) for role, file in found.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"task {name!r}: {os.fspath(found[f'{part}_images'])!r} has shape "
                f"{images.shape} and {os.fspath(found[f'{part}_labels'])!r} shape "
                f"{labels.shape}; expected (n, rows, columns) images and n labels"
            )
    rng = np.random.default_rng(seed)
    X = {}
    y = {}
    for part, limit in (("train", n_train), ("test", n_test)):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"].astype(np.int64)
        keep = _subset(labels, limit, rng, f"n_{part}")
        X[part] = images[keep].reshape(len(keep), -1) / 255.0
        y[part] = labels[keep]
    image_shape = arrays["train_images"].shape[1:]
    return Task(
        name=name,
        description=description,
        kind="classification",
        X_train=X["train"],
        y_train=y["train"],
        X_test=X["test"],
        y_test=y["test"],
        classes=np.unique(np.concatenate([y["train"], y["test"]])),
        metadata={"image_shape": tuple(int(s) for s in image_shape), "directory": str(directory)},
    )


def _subset(labels, limit, rng, name):
    """Indices of all samples (limit None) or a seeded subset of ``limit``, in file order."""
    if limit is None:
        return np.arange(len(labels))
    limit = check_param(name, limit, [Interval(Integral, 1, None)])
    if limit > len(labels):
        raise ValueError(f"{name}={limit} exceeds the {len(labels)} samples in the files")
    return np.sort(rng.choice(len(labels), size=int(limit), replace=False))


@register_task("mnist")
def mnist(seed: int = 0, path=None, n_train=None, n_test=None) -> Task:
    """MNIST handwritten digits (60,000 training / 10,000 test images, 28x28) from IDX files.

    Parameters
    ----------
    seed : int
        Seeds the subsets drawn with ``n_train`` / ``n_test``.
    path : str or os.PathLike, optional
        Directory of the four IDX files; default: environment variable ``MNIST_DIR``.
    n_train, n_test : int, optional
        Use a random subset of this many images (in file order) instead of all.

    Pixels are divided by 255. The split is MNIST's own.
    """
    return _load_idx_task(
        "mnist",
        "MNIST 28x28 handwritten digits -> 10 classes (LeCun et al. 1998).",
        "MNIST_DIR",
        path,
        seed,
        n_train,
        n_test,
    )


@register_task("fashion_mnist")
def fashion_mnist(seed: int = 0, path=None, n_train=None, n_test=None) -> Task:
    """Fashion-MNIST (Zalando's 28x28 clothing images, 10 classes) from IDX files.

    As :func:`mnist`, with the environment variable ``FASHION_MNIST_DIR``.
    """
    return _load_idx_task(
        "fashion_mnist",
        "Fashion-MNIST 28x28 clothing images -> 10 classes (Xiao et al. 2017).",
        "FASHION_MNIST_DIR",
        path,
        seed,
        n_train,
        n_test,
    )


def upsample_digits(images8: np.ndarray) -> np.ndarray:
    """8x8 images (values in [0, 1]) as 28x28: bilinear to 20x20, centred with 4 pixels of margin."""
    images8 = np.asarray(images8, dtype=float).reshape(-1, 8, 8)
    zoomed = ndimage.zoom(images8, (1, 2.5, 2.5), order=1, grid_mode=True, mode="nearest")
    out = np.zeros((len(images8), 28, 28))
    out[:, 4:24, 4:24] = np.clip(zoomed, 0.0, 1.0)
    return out.reshape(len(images8), 28 * 28)


@register_task("digits28")
def digits28(seed: int = 0, test_size: float = 0.25) -> Task:
    """scikit-learn's 8x8 digits upsampled to MNIST's 28x28 layout (784 features).

    The same images and split as ``load_task("digits", seed)`` (1347 / 450),
    each interpolated bilinearly to 20x20 and placed in the middle of a
    28x28 image: a stand-in with MNIST's input size for measuring networks
    of that size without the MNIST files (not a substitute for its accuracy).
    """
    task = digits(seed, test_size)
    return dataclasses.replace(
        task,
        name="digits28",
        description="8x8 digits upsampled to 28x28 (MNIST's layout) -> 10 classes.",
        X_train=upsample_digits(task.X_train),
        X_test=upsample_digits(task.X_test),
        metadata={"image_shape": (28, 28)},
    )
