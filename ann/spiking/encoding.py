"""Input encodings: feature values in [0, 1] become spike trains over ``n_steps`` time steps.

Every encoder maps ``X`` of shape ``(n_samples, n_features)`` to an array of
shape ``(n_samples, n_steps, n_features)`` whose entries are 0 or 1 (the
``current`` encoder: the feature values themselves, a constant input current).
Values outside [0, 1] are clipped into it (a spike probability or a latency
has no meaning outside), so noisy inputs stay usable.

- ``rate``: a Bernoulli process, the discrete-time Poisson process, with the
  feature value as the spike probability of every step (Neftci, Mostafa &
  Zenke 2019 use the same for their benchmarks). Needs a generator.
- ``latency``: one spike per feature at step ``round((1 - x) * (n_steps - 1))``
  (bright pixels fire first; Thorpe's time-to-first-spike code); a feature at
  exactly 0 does not fire. Deterministic.
- ``current``: no input spikes; the values drive the first layer as a
  constant current every step (the "direct encoding" of Rueckauer et al.
  2017), so the first layer is the encoder. Deterministic.

>>> import numpy as np
>>> from ann.spiking.encoding import encode
>>> encode("latency", np.array([[1.0, 0.5, 0.0]]), 5, None)[0].T
array([[1., 0., 0., 0., 0.],
       [0., 0., 1., 0., 0.],
       [0., 0., 0., 0., 0.]])
"""

from __future__ import annotations

import numpy as np

#: Encodings by name: does the encoding draw random numbers?
ENCODINGS = {"rate": True, "latency": False, "current": False}


def encode(name: str, X: np.ndarray, n_steps: int, rng: np.random.Generator | None) -> np.ndarray:
    """Spike trains ``(n_samples, n_steps, n_features)`` of encoding ``name`` (see module doc)."""
    values = np.clip(X, 0.0, 1.0)
    shape = (values.shape[0], n_steps, values.shape[1])
    if name == "rate":
        if rng is None:
            raise ValueError("the rate encoding draws spikes: pass a numpy Generator as rng")
        draws = rng.random(shape, dtype=np.float64)
        return (draws < values[:, None, :]).astype(X.dtype)
    if name == "latency":
        trains = np.zeros(shape, dtype=X.dtype)
        sample, feature = np.nonzero(values > 0)
        step = np.rint((1.0 - values[sample, feature]) * (n_steps - 1)).astype(np.intp)
        trains[sample, step, feature] = 1
        return trains
    if name == "current":
        return np.broadcast_to(values[:, None, :], shape).astype(X.dtype)
    raise ValueError(f"unknown encoding={name!r}; known: {sorted(ENCODINGS)}")


def draws_per_sample(name: str, n_steps: int, n_features: int) -> int:
    """Random numbers one sample's encoding draws (counted as ``encoding_draws``)."""
    return n_steps * n_features if ENCODINGS[name] else 0
