"""MNIST-format tasks read from IDX files the tests write, and the 28x28 digits stand-in."""

import gzip
import struct

import numpy as np
import pytest
from conftest import write_small_idx_set

from tasks import load_task
from tasks.mnist import IDX_FILES, read_idx, upsample_digits, write_idx


def test_read_idx_follows_the_format_byte_for_byte(tmp_path):
    # written by hand from the format: 0, 0, type 0x08, 2 dims, sizes 2 and 3, then the bytes
    raw = bytes([0, 0, 8, 2]) + struct.pack(">II", 2, 3) + bytes(range(6))
    (tmp_path / "plain").write_bytes(raw)
    with gzip.open(tmp_path / "packed.gz", "wb") as handle:
        handle.write(raw)
    for name in ("plain", "packed.gz"):
        array = read_idx(tmp_path / name)
        assert array.dtype == np.uint8
        np.testing.assert_array_equal(array, [[0, 1, 2], [3, 4, 5]])
    # other element types: big-endian 32-bit integers
    raw = bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2) + struct.pack(">ii", -7, 70000)
    (tmp_path / "ints").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "ints"), [-7, 70000])


def test_write_then_read_round_trips(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        write_idx(tmp_path / name, array)
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)


def test_damaged_idx_files_are_named(tmp_path):
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="'.*text' is not an IDX file"):
        read_idx(tmp_path / "text")
    raw = bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + bytes(4)
    (tmp_path / "short").write_bytes(raw)
    with pytest.raises(ValueError, match="short' is truncated"):
        read_idx(tmp_path / "short")


@pytest.mark.parametrize("gzipped", [True, False])
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_tasks_read_the_four_files(tmp_path, name, gzipped):
    arrays = write_small_idx_set(tmp_path, seed=3, n_train=30, n_test=10, gzipped=gzipped)
    task = load_task(name, path=tmp_path, validation_size=0.0)  # the files as they are
    np.testing.assert_array_equal(task.X_train, arrays["train_images"].reshape(30, 784) / 255)
    np.testing.assert_array_equal(task.y_train, arrays["train_labels"])
    np.testing.assert_array_equal(task.X_test, arrays["test_images"].reshape(10, 784) / 255)
    np.testing.assert_array_equal(task.y_test, arrays["test_labels"])
    np.testing.assert_array_equal(task.classes, np.arange(10))
    assert task.metadata["image_shape"] == (28, 28)


def test_dotted_file_names_and_the_environment_variable(tmp_path, monkeypatch):
    arrays = write_small_idx_set(tmp_path, seed=4, n_train=20, n_test=10, gzipped=False)
    for stem in IDX_FILES.values():
        (tmp_path / stem).rename(tmp_path / stem.replace("-idx", ".idx"))
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    task = load_task("mnist")
    np.testing.assert_array_equal(task.y_test, arrays["test_labels"])


def test_subsets_are_seeded_and_drawn_from_the_files(tmp_path):
    arrays = write_small_idx_set(tmp_path, seed=5, n_train=50, n_test=20)
    subset = dict(path=tmp_path, n_train=12, n_test=5, validation_size=0.0)
    a = load_task("mnist", seed=1, **subset)
    b = load_task("mnist", seed=1, **subset)
    c = load_task("mnist", seed=2, **subset)
    assert a.X_train.shape == (12, 784) and a.X_test.shape == (5, 784)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)
    # every subset row is a row of the file, with its own label
    rows = {
        image.tobytes(): label
        for image, label in zip(arrays["train_images"].reshape(50, 784), arrays["train_labels"])
    }
    for x, label in zip(a.X_train, a.y_train):
        assert rows[np.round(x * 255).astype(np.uint8).tobytes()] == label
    with pytest.raises(ValueError, match="n_train=51 exceeds the 50"):
        load_task("mnist", path=tmp_path, n_train=51)
    with pytest.raises(ValueError, match="n_test must be a positive integer"):
        load_task("mnist", path=tmp_path, n_test=0)


def test_missing_files_are_named_with_the_place_looked(tmp_path, monkeypatch):
    write_small_idx_set(tmp_path, seed=6)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as error:
        load_task("fashion_mnist", path=tmp_path)
    message = str(error.value)
    assert "t10k-labels-idx1-ubyte" in message and str(tmp_path) in message
    assert "train-images-idx3-ubyte'" not in message.split("not found")[0]
    monkeypatch.delenv("MNIST_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="MNIST_DIR"):
        load_task("mnist")


def test_digits28_is_digits_in_mnists_layout():
    small, large = load_task("digits", seed=0), load_task("digits28", seed=0)
    np.testing.assert_array_equal(small.y_train, large.y_train)
    assert large.X_train.shape == (len(small.X_train), 784)
    images = large.X_train.reshape(-1, 28, 28)
    # MNIST's margin: nothing outside the central 20x20
    assert images[:, :4].max() == 0 and images[:, 24:].max() == 0
    assert images[:, :, :4].max() == 0 and images[:, :, 24:].max() == 0
    # each 2.5x2.5 block of the 20x20 image averages close to the 8x8 pixel it came from
    centre = images[:, 4:24, 4:24]
    coarse = centre.reshape(-1, 4, 5, 4, 5).mean(axis=(2, 4))  # 4x4 blocks of 5x5 pixels
    original = small.X_train.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4))
    assert np.abs(coarse - original).mean() < 0.05
    np.testing.assert_allclose(
        upsample_digits(np.ones((1, 64))),
        large.X_train[:0].sum() + (np.pad(np.ones((20, 20)), 4).reshape(1, 784)),
    )
