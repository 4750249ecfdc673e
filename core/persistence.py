"""Saving and loading models: one skeleton, each class writes only its own state.

A saveable class mixes in :class:`Persistent`, names its archives with
``_archive_kind`` and implements two methods, in the manner of Brian2's
``_full_state`` / ``_restore_from_full_state``:

``_full_state(self) -> (arrays, meta)``
    The arrays to store and a dict of JSON (made with
    :func:`core.archive.to_jsonable`) describing everything else.
``_from_full_state(cls, arrays, meta)`` (classmethod)
    Rebuild an instance. It may raise :class:`StateMismatch` when the arrays
    do not fit what the metadata describes, ``KeyError`` / ``TypeError`` /
    :class:`core.archive.MetadataError` for incomplete metadata and
    :class:`NotRegistered` (see :func:`require_registered`) for a plugin
    that is not registered in this session.

:class:`Persistent` does the rest once: the fitted check, the file (through
:mod:`core.archive`: pickle-free, checksummed, written atomically), the
``kind`` check, and errors that name the file.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> class Counter(Persistent):
...     _archive_kind = "example.Counter"
...     def __init__(self, counts):
...         self.counts = counts
...     def _full_state(self):
...         return {"counts": self.counts}, {}
...     @classmethod
...     def _from_full_state(cls, arrays, meta):
...         return cls(arrays["counts"])
>>> path = os.path.join(tempfile.mkdtemp(), "counter.npz")
>>> Counter(np.arange(3)).save(path)
>>> Counter.load(path).counts.tolist()
[0, 1, 2]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from sklearn.exceptions import NotFittedError

from core.archive import ArchiveError, MetadataError, read_archive, write_archive

__all__ = [
    "NotRegistered",
    "Persistent",
    "StateMismatch",
    "check_shape",
    "load_any",
    "require_registered",
]


class StateMismatch(ValueError):
    """Stored arrays do not fit the model the metadata describes."""


class NotRegistered(ValueError):
    """A saved model uses a plugin (rule, optimizer, ...) not registered in this session."""


def require_registered(what: str, name, registry: Mapping) -> None:
    """Raise :class:`NotRegistered` unless ``name`` is registered in ``registry``."""
    if name not in registry:
        raise NotRegistered(
            f"was saved with {what}={name!r}, which is not registered here "
            f"(known: {sorted(registry)}); import the module that registers it before loading"
        )


def check_shape(name: str, array, shape: tuple):
    """``array`` if it has ``shape``, else :class:`StateMismatch` naming the array."""
    if array.shape != shape:
        raise StateMismatch(f"array {name!r} has shape {array.shape}, not {shape}")
    return array


class Persistent:
    """Mixin: ``save(path)`` and ``load(path)`` around ``_full_state`` / ``_from_full_state``."""

    #: ``meta["kind"]`` of this class's archives.
    _archive_kind: str = ""
    #: What the arrays describe, in messages ("network", "population").
    _archive_noun: str = "model"
    #: ``(setting, registry)`` pairs: names a saved model uses, checked before it is rebuilt.
    _registered_names: tuple = ()
    #: The attribute fitting sets, if saving needs a fitted model (None: always saveable).
    _fitted_attribute: str | None = None

    @classmethod
    def _check_registered(cls, settings: Mapping) -> None:
        """:func:`require_registered` for each of ``_registered_names`` in ``settings``."""
        for name, registry in cls._registered_names:
            require_registered(name, settings[name], registry)

    def _full_state(self) -> tuple[dict, dict]:
        raise NotImplementedError

    @classmethod
    def _from_full_state(cls, arrays: dict, meta: dict):
        raise NotImplementedError

    def save(self, path) -> None:
        """Write this model to ``path``: an ``.npz`` archive, no pickle (see :mod:`core.archive`).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If there is nothing learned to save yet.
        TypeError
            If part of the state cannot be stored without pickle (named).
        """
        if self._fitted_attribute is not None and not hasattr(self, self._fitted_attribute):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet, so there is nothing "
                "learned to save; call fit or partial_fit first (its settings "
                "are get_params())"
            )
        arrays, meta = self._full_state()
        write_archive(path, arrays, {"kind": self._archive_kind, **meta})

    @classmethod
    def load(cls, path):
        """Read a model of this class written by :meth:`save`."""
        arrays, meta = read_archive(path, expected_kind=cls._archive_kind)
        return cls._restore(path, arrays, meta)

    @classmethod
    def _restore(cls, path, arrays: dict, meta: dict):
        where = repr(os.fspath(path))
        try:
            return cls._from_full_state(arrays, meta)
        except StateMismatch as error:
            raise ArchiveError(
                f"{where} does not fit the {cls._archive_noun} it describes: {error}"
            ) from None
        except NotRegistered as error:
            raise NotRegistered(f"{where} {error}") from None
        except (KeyError, TypeError, AttributeError, MetadataError) as error:
            raise ArchiveError(
                f"{where}: the archive's content is incomplete or malformed "
                f"({type(error).__name__}: {error})"
            ) from None


def load_any(path, classes: Iterable[type[Persistent]]):
    """Read a model saved by any of ``classes`` (dispatched on the archive's kind).

    No pickle is involved: the file is an ``.npz`` archive of arrays and
    checksummed JSON (:mod:`core.archive`). The model comes back as it was
    saved: bit-identical predictions, and training continues exactly as the
    saved model's would have.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    core.archive.ArchiveError
        (a ValueError) A truncated, damaged or modified file, or a file of
        another kind (e.g. a model of another package); the message names
        the file and the problem.
    NotRegistered
        (a ValueError) The model uses a name (rule, optimizer, ...) that is
        not registered in this session (named, with the known ones).
    """
    kinds = {cls._archive_kind: cls for cls in classes}
    arrays, meta = read_archive(path, expected_kind=list(kinds))
    return kinds[meta["kind"]]._restore(path, arrays, meta)
