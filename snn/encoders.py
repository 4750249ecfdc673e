"""Input encoders: features in [0, 1] -> spike trains, generated in numpy.

The spikes are produced here with a seeded numpy generator and fed to a
Brian2 ``SpikeGeneratorGroup``, so a network's input is reproducible regardless
of Brian2's own random number generator.

An encoder returns three integer arrays of equal length ``(sample, channel,
step)``: spike number ``k`` is on input channel ``channel[k]`` at time step
``step[k]`` (of length ``dt``) after the start of sample ``sample[k]``'s
presentation. At most one spike per channel and time step (Brian2's
``SpikeGeneratorGroup`` requires it).

>>> import numpy as np
>>> from brian2 import ms, Hz
>>> X = np.array([[0.0, 0.5, 1.0]])
>>> sample, channel, step = poisson_spikes(X, 350 * ms, max_rate=100 * Hz, random_state=0)
>>> int((channel == 0).sum())  # a zero feature never fires
0
>>> sample, channel, step = latency_spikes(X, 100 * ms)
>>> channel.tolist(), step.tolist()  # the strongest feature fires first
([2, 1], [0, 100])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from brian2 import Hz, ms

from core.data import check_X
from core.random import check_random_state
from core.registry import Registry
from snn._brian import as_time, check_quantity, time_steps

__all__ = [
    "ENCODERS",
    "register_encoder",
    "poisson_spikes",
    "latency_spikes",
    "check_features",
    "gaussian_receptive_fields",
]

#: Registered encoders, name -> function ``f(X, duration, *, max_rate, dt, random_state)``.
ENCODERS: Registry[Callable] = Registry("encoding")

#: Upper bound on random draws per chunk in :func:`poisson_spikes` (memory, not results).
_CHUNK_DRAWS = 1 << 22


def register_encoder(name: str, *, replace: bool = False):
    """Register an encoder function under ``name`` (the estimators' ``encoding=``)."""
    return ENCODERS.register(name, replace=replace)


def check_features(
    X, name: str = "X", *, n_features: int | None = None, owner: str = "the network"
) -> np.ndarray:
    """``X`` as a 2-D float array with every value in [0, 1] (:func:`core.data.check_X`, then the range).

    ``n_features`` (if given): the number of features ``owner`` expects.

    Raises
    ------
    ValueError
        Naming ``name``, if ``X`` is not 2-D, is empty of features, or holds NaN,
        infinities or values outside [0, 1] (scale features first, e.g. with
        ``sklearn.preprocessing.MinMaxScaler``).
    """
    array = check_X(X, name=name, allow_empty=True, n_features=n_features, owner=owner)
    if array.size and (array.min() < 0.0 or array.max() > 1.0):
        raise ValueError(
            f"{name} must lie in [0, 1] (rates/latencies are fractions of the maximum), "
            f"got values in [{array.min():g}, {array.max():g}]; scale the features first"
        )
    return array


def gaussian_receptive_fields(X: np.ndarray, n_fields: int) -> np.ndarray:
    """Population code: each feature -> ``n_fields`` Gaussian tuning curves on [0, 1].

    Field ``j`` of a feature responds ``exp(-(x - c_j)^2 / (2 sigma^2))`` with
    centres ``c_j = j / (n_fields - 1)`` and ``sigma = 2 / (3 (n_fields - 1))``
    (Bohte et al.'s width with beta = 1.5), so neighbouring fields overlap and
    every value of ``x`` -- 0 included -- drives a few inputs about equally
    strongly. Low-dimensional inputs (XOR, iris, a 2-D regression) need this:
    a raw feature at 0 would be silent, and two inputs cannot drive a neuron.
    ``n_fields=1`` returns ``X`` unchanged.

    References
    ----------
    Bohte, S. M., Kok, J. N. & La Poutre, H. (2002). Error-backpropagation in
    temporally encoded networks of spiking neurons. Neurocomputing 48:17-37.

    Examples
    --------
    >>> gaussian_receptive_fields(np.array([[0.0, 1.0]]), 3).round(2).tolist()
    [[1.0, 0.32, 0.0, 0.0, 0.32, 1.0]]
    """
    if n_fields == 1:
        return X
    centres = np.linspace(0.0, 1.0, n_fields)
    sigma = 2.0 / (3.0 * (n_fields - 1))
    fields = np.exp(-((X[:, :, None] - centres) ** 2) / (2.0 * sigma**2))
    return fields.reshape(len(X), X.shape[1] * n_fields)


def _check_rate(max_rate) -> float:
    return float(check_quantity(max_rate, Hz, "max_rate", "64*Hz") / Hz)


@register_encoder("poisson")
def poisson_spikes(X, duration, *, max_rate=64 * Hz, dt=0.5 * ms, random_state=None):
    """Poisson rate code: feature ``x`` fires at ``x * max_rate`` for ``duration``.

    Each time step of length ``dt`` holds a spike with probability
    ``x * max_rate * dt`` (a Bernoulli process, the discrete-time Poisson
    process Brian2's ``PoissonGroup`` also simulates), so the expected count is
    ``x * max_rate * duration``. Used by Diehl & Cook (2015), where pixel
    intensities set rates up to 63.75 Hz.

    Parameters
    ----------
    X : array (n_samples, n_features), values in [0, 1]
    duration : Quantity (time)
        Presentation time per sample.
    max_rate : Quantity (rate)
        Rate of a feature at 1. ``max_rate * dt`` must not exceed 1.
    dt : Quantity (time)
        The simulation time step.
    random_state : None, int or numpy Generator

    Returns
    -------
    sample, channel, step : int arrays
        Sorted by sample, then channel, then step.
    """
    X = check_features(X)
    n_steps = time_steps(as_time(duration, "duration"), as_time(dt, "dt"), "duration")
    rate = _check_rate(max_rate)
    p_spike_max = rate * float(dt / ms) / 1000.0
    if p_spike_max > 1.0:
        raise ValueError(
            f"max_rate={max_rate!r} exceeds one spike per time step dt={dt!r}; lower it"
        )
    rng = check_random_state(random_state)
    probability = (X * p_spike_max).astype(np.float32)
    n_samples, n_features = X.shape
    chunk = max(1, _CHUNK_DRAWS // max(1, n_features * n_steps))
    parts = []
    for start in range(0, n_samples, chunk):
        p = probability[start : start + chunk]
        fires = rng.random((len(p), n_features, n_steps), dtype=np.float32) < p[:, :, None]
        # np.nonzero's indices, several times faster from the flat positions
        sample, position = np.divmod(np.flatnonzero(fires), n_features * n_steps)
        channel, step = np.divmod(position, n_steps)
        parts.append((sample + start, channel, step))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    return tuple(np.concatenate([part[k] for part in parts]).astype(np.int64) for k in range(3))


@register_encoder("latency")
def latency_spikes(X, duration, *, max_rate=None, dt=0.5 * ms, random_state=None):
    """Latency (time-to-first-spike) code: one spike per feature, stronger -> earlier.

    Feature ``x > 0`` fires once at time ``(1 - x) * duration`` (rounded down
    to the time grid, clipped into the presentation); ``x == 0`` never fires.
    Deterministic: ``max_rate`` and ``random_state`` are accepted for a common
    encoder signature and ignored.

    References
    ----------
    Thorpe, S., Delorme, A. & Van Rullen, R. (2001). Spike-based strategies for
    rapid processing. Neural Networks 14:715-725.

    Returns
    -------
    sample, channel, step : int arrays
        Sorted by sample, then channel.
    """
    X = check_features(X)
    n_steps = time_steps(as_time(duration, "duration"), as_time(dt, "dt"), "duration")
    sample, channel = np.nonzero(X > 0.0)
    step = np.floor((1.0 - X[sample, channel]) * n_steps).astype(np.int64)
    step = np.clip(step, 0, n_steps - 1)
    return sample.astype(np.int64), channel.astype(np.int64), step
