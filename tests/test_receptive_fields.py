"""The receptive-field tiles show each unit's own input weights, pixel for pixel."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from experiments.receptive_fields import _grid, class_mean_correlation, first_layer
from tasks import load_task


def known_weights(n_units=5):
    # unit k's weight on pixel p is 1000 * k + p: every tile is recognisable
    return 1000.0 * np.arange(n_units)[None, :] + np.arange(64)[:, None]  # (inputs, units)


@pytest.mark.parametrize("kind, attribute", [("snn", "weights_"), ("ann", "coefs_")])
def test_a_known_weight_matrix_maps_to_known_tiles(kind, attribute):
    weights = known_weights()
    value = weights if kind == "snn" else [weights, np.zeros((5, 3))]
    estimator = SimpleNamespace(n_features_in_=64, **{attribute: value})
    tiles = first_layer(kind, estimator)
    assert tiles.shape == (5, 64)
    for k in range(5):
        np.testing.assert_array_equal(tiles[k], 1000.0 * k + np.arange(64))
    fig, ax = plt.subplots()
    image = _grid(ax, tiles, "known", diverging=False)
    canvas = image.get_array()
    for k in range(5):
        r, c = divmod(k, 3)  # 5 tiles on a 3x3 grid, 9 pixels apart
        tile = np.asarray(canvas[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8])
        np.testing.assert_array_equal(tile, (1000.0 * k + np.arange(64)).reshape(8, 8))
    plt.close(fig)


def test_tiles_need_one_input_per_pixel():
    estimator = SimpleNamespace(n_features_in_=64, weights_=np.zeros((128, 4)))
    with pytest.raises(ValueError, match="128 inputs for 64 features"):
        first_layer("snn", estimator)


def test_class_mean_correlation_tells_prototypes_from_scrambled_tiles():
    task = load_task("digits", seed=0)
    means = np.stack([task.X_train[task.y_train == c].mean(axis=0) for c in range(10)])
    np.testing.assert_allclose(class_mean_correlation(means, task.X_train, task.y_train), 1.0)
    # the old bug: the (inputs, units) matrix of prototypes reshaped instead of transposed
    scrambled = means.T.reshape(-1, 64)
    assert class_mean_correlation(scrambled, task.X_train, task.y_train).mean() < 0.5


@pytest.mark.slow
def test_tiles_of_a_trained_spiking_network_resemble_class_means():
    # A Diehl & Cook layer learns digit prototypes: each neuron's tile
    # correlates with some class-mean image (0.79-0.87 measured at full size);
    # a tile of weights from several neurons (the reshape bug) does not.
    from snn import STDPClassifier

    task = load_task("digits", seed=0)
    model = STDPClassifier(n_neurons=36, epochs=1, random_state=0)
    model.fit(task.X_train[:400], task.y_train[:400])
    tiles = first_layer("snn", model)
    correlation = class_mean_correlation(tiles, task.X_train, task.y_train)
    assert correlation.mean() > 0.6
    wrong = np.asarray(model.weights_).reshape(-1, 64)
    assert class_mean_correlation(wrong, task.X_train, task.y_train).mean() < 0.5
