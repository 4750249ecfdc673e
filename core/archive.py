"""A small pickle-free file format for fitted models: arrays in an ``.npz`` plus checksummed JSON.

Both learner packages save their models with :func:`write_archive` and read
them back with :func:`read_archive`; nothing in a file is ever unpickled, so
loading a file from someone else cannot run code.

The format
----------
An archive is a standard ``.npz`` (a zip of ``.npy`` members, readable by
``numpy.load(path, allow_pickle=False)``) holding

* one member per array (numbers, booleans or fixed-width strings; Python
  objects are refused when writing and when reading), and
* a member ``__meta__``: UTF-8 JSON as a ``uint8`` array, of the form::

      {"format": "brain-vs-ann-archive", "version": 1,
       "arrays": {name: {"dtype": "<f8", "shape": [3, 4], "sha256": "..."}},
       "meta": {"kind": "ann.MLPClassifier", ...what the model needs...},
       "sha256": "..."}

  where each array's ``sha256`` covers its dtype, shape and bytes, and the
  last ``sha256`` covers the rest of the JSON (in canonical form: sorted
  keys, no spaces; the file keeps the order in which the keys were
  written). ``meta["kind"]`` names what the archive holds.

The checksums catch damaged, truncated and hand-edited files, each with an
:class:`ArchiveError` saying which part is wrong. They are not a signature:
someone who recomputes them can forge a file, but what they forge is still
only numbers and JSON.

A file is written under a temporary name in the same directory and renamed
into place (``os.replace``), so an interrupted save leaves either the old
file or the complete new one under the final name, never half of one.

:func:`to_jsonable` and :func:`from_jsonable` carry what estimators hold but
JSON does not: tuples, numpy scalars, dtypes and small arrays, non-finite
floats, numpy random generators (bit-generator state and seed sequence),
and ``SeedSequence`` s. A package adds the types it needs with
:func:`register_codec` (``snn`` registers Brian2 quantities), so this module
knows nothing of the packages above it.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from core.archive import read_archive, write_archive
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> write_archive(path, {"weights": np.eye(2)}, {"kind": "example", "epochs": 3})
>>> arrays, meta = read_archive(path, expected_kind="example")
>>> arrays["weights"].tolist(), meta["epochs"]
([[1.0, 0.0], [0.0, 1.0]], 3)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "ArchiveError",
    "MetadataError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "array_sha256",
    "canonical_json",
    "file_sha256",
    "register_codec",
    "from_jsonable",
    "read_archive",
    "replaced_atomically",
    "sha256_hex",
    "to_jsonable",
    "write_archive",
]

#: The value of ``"format"`` in every archive's metadata.
FORMAT_NAME = "brain-vs-ann-archive"
#: The newest format version this code writes and reads.
FORMAT_VERSION = 1
#: Name of the metadata member (array names may not start with ``__``).
META_MEMBER = "__meta__"

#: What an array name may be: non-empty, no slashes, not starting with ``__``.
_ARRAY_NAME = re.compile(r"(?!__)[^/\\]+")

#: Marks a tagged value in :func:`to_jsonable` output: ``{TAG: kind, "value": ...}``.
TAG = "__type__"

# Bit generators a Generator may be rebuilt with (looked up by name in a
# file, so only numpy's own are accepted).
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


class ArchiveError(ValueError):
    """A file is not a readable archive of the expected kind; the message names the file and the problem."""


class MetadataError(ArchiveError):
    """:func:`from_jsonable` met a value it cannot rebuild (callers add the file's name)."""


# -- writing -------------------------------------------------------------------------------------


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 (hex) of an array's dtype, shape and bytes (C order)."""
    array = np.asarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}|{list(array.shape)}|".encode("ascii"))
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def canonical_json(value, *, strict: bool = True) -> str:
    """Compact JSON with sorted keys, ASCII only: equal values give equal strings.

    What every checksum of the project is taken over (model archives here, the
    sweep store's manifest and done-markers, run identifiers). ``strict``: JSON
    values only (a NaN or another object raises); otherwise NaN is written as
    ``NaN`` and any other object as its ``repr`` (for hashing settings).
    """
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=not strict,
        default=None if strict else repr,
    )


def sha256_hex(data: str | bytes) -> str:
    """SHA-256 (hex) of a text (UTF-8) or of bytes."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def file_sha256(path) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _document_sha256(document: Mapping) -> str:
    body = {key: value for key, value in document.items() if key != "sha256"}
    return sha256_hex(canonical_json(body))


def _check_arrays(arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a dict of name -> ndarray, got {type(arrays).__name__}")
    checked = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not _ARRAY_NAME.fullmatch(name):
            raise ValueError(
                f"array name {name!r} is not allowed: use a non-empty str without "
                "slashes that does not start with '__'"
            )
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(
                f"array {name!r} has dtype {array.dtype} (Python objects), which only "
                "pickle could store; convert it to numbers or fixed-width strings"
            )
        checked[name] = array
    return checked


def write_archive(path, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
    """Write ``arrays`` and the JSON ``meta`` to ``path`` as a checksummed ``.npz`` archive.

    The file is written under a temporary name next to ``path`` and renamed
    into place, so an interrupted save never leaves a partial file under
    ``path`` (an existing file there stays as it was until the rename).
    ``path`` is used as given (no ``.npz`` suffix is added).

    Parameters
    ----------
    path : str or os.PathLike
    arrays : dict of str -> ndarray
        Numbers, booleans or fixed-width strings; names must not start with
        ``__`` nor contain slashes.
    meta : dict
        Plain JSON (str keys; str, int, finite float, bool, None, list,
        dict): use :func:`to_jsonable` for anything else. ``meta["kind"]``
        (a str) names what the archive holds, checked by :func:`read_archive`.

    Raises
    ------
    FileNotFoundError
        The directory of ``path`` does not exist.
    TypeError
        An object-dtype array (named) or ``meta`` that is not plain JSON.
    ValueError
        A bad array name, or ``meta`` without a str ``"kind"``.
    """
    arrays = _check_arrays(arrays)
    if not isinstance(meta, Mapping) or not isinstance(meta.get("kind"), str):
        raise ValueError(
            f"meta must be a dict with a str 'kind' naming what the archive holds, got {meta!r:.80}"
        )
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "arrays": {
            name: {
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "sha256": array_sha256(array),
            }
            for name, array in arrays.items()
        },
        "meta": dict(meta),
    }
    try:
        document["sha256"] = _document_sha256(document)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"meta is not plain JSON ({error}); encode it with core.archive.to_jsonable"
        ) from None
    # Stored in insertion order (dicts read back in the order they were
    # written); the checksum is over the canonical form, which does not
    # depend on the order.
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    meta_bytes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "no such directory to save the archive in", directory)
    # What np.savez writes (an uncompressed zip of .npy members), with pickling off.
    with (
        replaced_atomically(path) as file,
        zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as npz,
    ):
        for name, array in {**arrays, META_MEMBER: meta_bytes}.items():
            with npz.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


@contextlib.contextmanager
def replaced_atomically(path, mode: str = "wb"):
    """A file to write that appears at ``path`` only once the block has completed.

    It is written under a temporary name in the same directory, flushed to
    disk and renamed into place with ``os.replace``: a reader, or the next
    run after a kill, sees the old file or the new one, never a part; the
    directory is synced too, so the rename survives a power cut. If the
    block raises, the temporary file is removed and ``path`` is untouched.
    Shared by the model archives and the sweep store (``experiments.store``).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    )
    # os.open with mode 0o666 gives the file the permissions a plain open()
    # would (the umask applies), unlike tempfile's private 0o600.
    descriptor = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        with os.fdopen(descriptor, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    # the rename itself made durable across a power cut, not only a kill
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# -- reading -------------------------------------------------------------------------------------

# What parsing damaged bytes can raise inside numpy and zipfile is open-ended
# (BadZipFile, EOFError, ValueError, zlib and lzma errors, NotImplementedError
# for a compression method, RuntimeError for a flipped "encrypted" flag,
# MemoryError for an absurd size...), so every Exception raised while
# parsing is reported as damage. Only the parsing calls are guarded; opening
# the file (FileNotFoundError, PermissionError) is outside them.
_DAMAGE = Exception


def read_archive(
    path, expected_kind: str | Iterable[str] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an archive written by :func:`write_archive`, checking every checksum.

    Parameters
    ----------
    path : str or os.PathLike
    expected_kind : str or collection of str, optional
        The ``meta["kind"]`` (or kinds) the caller can use; another kind
        raises before any array is read.

    Returns
    -------
    arrays : dict of str -> ndarray
    meta : dict
        The ``meta`` given to :func:`write_archive` (plain JSON).

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (other errors of opening it, such as
        ``PermissionError``, also pass through).
    ArchiveError
        (a ValueError) The file is truncated or damaged, is not an archive
        (a plain ``.npz``, ``.npy``, pickle...), was written by a newer
        version, holds an object array (never unpickled), was modified
        (a checksum does not match), lacks a member or has an extra one, or
        holds another kind than ``expected_kind``. The message names the
        file and what is wrong.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        try:
            loaded = np.load(file, allow_pickle=False)
        except _DAMAGE as error:
            raise ArchiveError(
                f"{path!r} is truncated or not a brain-vs-ann archive "
                f"(numpy could not read it as .npz: {error})"
            ) from None
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ArchiveError(f"{path!r} is a single .npy array, not a brain-vs-ann archive")
        with loaded:
            document = _read_document(path, loaded)
            kind = document["meta"]["kind"]
            if expected_kind is not None:
                expected = (
                    [expected_kind] if isinstance(expected_kind, str) else list(expected_kind)
                )
                if kind not in expected:
                    wanted = expected[0] if len(expected) == 1 else f"one of {expected}"
                    raise ArchiveError(f"{path!r} holds a {kind}, not {wanted}")
            listed = document["arrays"]
            present = {name for name in loaded.files if name != META_MEMBER}
            missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
            if missing:
                raise ArchiveError(
                    f"{path!r}: array {missing[0]!r} listed in the metadata is "
                    "missing: the file was modified or damaged"
                )
            if extra:
                raise ArchiveError(
                    f"{path!r}: member {extra[0]!r} is not listed in the "
                    "metadata: the file was modified"
                )
            arrays = {name: _read_array(path, loaded, name, listed[name]) for name in listed}
    return arrays, document["meta"]


def _read_member(path: str, loaded, name: str) -> np.ndarray:
    try:
        return loaded[name]
    except _DAMAGE as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise ArchiveError(
                f"{path!r}: member {name!r} holds Python objects, which only "
                "pickle could load; refusing to load it"
            ) from None
        raise ArchiveError(
            f"{path!r}: member {name!r} is damaged or truncated ({error}): "
            "the file was modified or damaged"
        ) from None


def _read_document(path: str, loaded) -> dict:
    if META_MEMBER not in loaded.files:
        raise ArchiveError(
            f"{path!r} is an .npz without a {META_MEMBER!r} member: not a "
            "brain-vs-ann archive (a file from np.savez?)"
        )
    raw = _read_member(path, loaded, META_MEMBER)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ArchiveError(
            f"{path!r}: member {META_MEMBER!r} is not JSON bytes "
            f"(dtype {raw.dtype}, shape {raw.shape})"
        )
    try:
        document = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(
            f"{path!r}: the metadata is not valid JSON ({error}): the file was modified or damaged"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ArchiveError(
            f"{path!r} is not a brain-vs-ann archive (its metadata does not "
            f"say format={FORMAT_NAME!r})"
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArchiveError(
            f"{path!r}: the metadata has no valid format version "
            f"(got {version!r}): the file was modified"
        )
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"{path!r} has archive format version {version}; this version of "
            f"brain-vs-ann reads versions up to {FORMAT_VERSION}: upgrade it"
        )
    try:
        matches = document.get("sha256") == _document_sha256(document)
    except (TypeError, ValueError):  # e.g. NaN smuggled into the JSON
        matches = False
    if not matches:
        raise ArchiveError(
            f"{path!r}: the metadata does not match its checksum: the file was modified"
        )
    arrays, meta = document.get("arrays"), document.get("meta")
    if (
        not isinstance(arrays, dict)
        or not isinstance(meta, dict)
        or not isinstance(meta.get("kind"), str)
    ):
        raise ArchiveError(f"{path!r}: the metadata lacks 'arrays' or 'meta' with a 'kind'")
    return document


def _read_array(path: str, loaded, name: str, listed: Mapping) -> np.ndarray:
    array = _read_member(path, loaded, name)
    if not isinstance(listed, Mapping):
        raise ArchiveError(f"{path!r}: the metadata entry of array {name!r} is malformed")
    if array.dtype.str != listed.get("dtype") or list(array.shape) != listed.get("shape"):
        raise ArchiveError(
            f"{path!r}: array {name!r} has dtype {array.dtype.str} and shape "
            f"{list(array.shape)}, the metadata says {listed.get('dtype')} and "
            f"{listed.get('shape')}: the file was modified"
        )
    if array_sha256(array) != listed.get("sha256"):
        raise ArchiveError(
            f"{path!r}: array {name!r} does not match its checksum: the file was modified"
        )
    return array


# -- JSON for what estimators hold ----------------------------------------------------------------


def _tagged(kind: str, value) -> dict:
    return {TAG: kind, "value": value}


def register_codec(
    tag: str, type_: type, encode: Callable[[Any], Any], decode: Callable[[Any], Any]
) -> None:
    """Teach :func:`to_jsonable` / :func:`from_jsonable` a type.

    ``encode(value)`` returns a payload :func:`to_jsonable` can store and
    ``decode(payload)`` rebuilds the value; instances of ``type_`` (checked
    before the built-in types, so a subclass of ``numpy.ndarray`` such as a
    Brian2 quantity keeps its type) are stored as ``{"__type__": tag, ...}``.
    Registering a tag again replaces its codec (re-imports are harmless).
    """
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"tag must be a non-empty str, got tag={tag!r}")
    _ENCODERS[tag] = (type_, encode)
    _DECODERS[tag] = decode


def to_jsonable(
    value, *, custom: Callable[[Any], tuple[str, Any] | None] | None = None, where: str = "value"
):
    """``value`` as plain JSON that :func:`from_jsonable` turns back into an equal value.

    Handles None, bool, int, str, float (NaN and infinities too), lists,
    tuples, dicts (any str keys), numpy scalars, dtypes and arrays (arrays
    inline as lists: keep large ones for the archive's arrays), numpy
    ``Generator`` s (bit-generator state and seed sequence, so the generator
    continues and spawns as the original would), ``SeedSequence`` s and the
    types given to :func:`register_codec`.

    Parameters
    ----------
    value
    custom : callable, optional
        Called first on every value; returns ``(tag, payload)`` for values it
        encodes (the payload is encoded in turn) or None. Read back with
        ``from_jsonable(..., custom={tag: decoder})``.
    where : str
        How to name ``value`` in error messages.

    Raises
    ------
    TypeError
        For a value of another type, naming where it is (e.g. ``params['rule']``).

    Examples
    --------
    >>> import numpy as np
    >>> data = to_jsonable({"sizes": (8, 4), "rate": np.float32(0.5), "loss": float("nan")})
    >>> back = from_jsonable(data)
    >>> back["sizes"], type(back["rate"]).__name__, bool(np.isnan(back["loss"]))
    ((8, 4), 'float32', True)
    """
    if custom is not None:
        encoded = custom(value)
        if encoded is not None:
            tag, payload = encoded
            return _tagged(tag, to_jsonable(payload, custom=custom, where=where))
    if value is None or isinstance(value, (bool, str)):
        return value
    for tag, (type_, encode) in _ENCODERS.items():
        if isinstance(value, type_):
            return _tagged(tag, to_jsonable(encode(value), where=where))
    if isinstance(value, np.generic):  # before int/float: np.float64 is a float
        return _tagged(
            "numpy.scalar",
            {"dtype": value.dtype.str, "value": to_jsonable(value.item(), where=where)},
        )
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else _tagged("float", repr(float(value)))
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError(
                f"{where} is an array of Python objects (dtype object), which JSON cannot hold"
            )
        data = to_jsonable(value.ravel().tolist(), where=where)
        return _tagged(
            "numpy.ndarray", {"dtype": value.dtype.str, "shape": list(value.shape), "data": data}
        )
    if isinstance(value, (tuple, list)):
        items = [
            to_jsonable(item, custom=custom, where=f"{where}[{index}]")
            for index, item in enumerate(value)
        ]
        return _tagged("tuple", items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(
                f"{where} is a dict with non-str keys {list(value)!r:.80}, which JSON cannot hold"
            )
        items = {
            key: to_jsonable(item, custom=custom, where=f"{where}[{key!r}]")
            for key, item in value.items()
        }
        # A dict that happens to use the tag key is stored as a list of pairs.
        return _tagged("dict", [list(pair) for pair in items.items()]) if TAG in items else items
    raise TypeError(
        f"{where}={value!r:.80} of type {type(value).__name__} cannot be stored without pickle"
    )


def from_jsonable(data, *, custom: Mapping[str, Callable[[Any], Any]] | None = None):
    """Rebuild a value from :func:`to_jsonable` output.

    Parameters
    ----------
    data
        Parsed JSON.
    custom : dict of tag -> callable, optional
        Decoders of the tags that ``to_jsonable``'s ``custom`` produced
        (each gets its decoded payload).

    Raises
    ------
    MetadataError
        (an ArchiveError) An unknown tag or a malformed tagged value. What
        a ``custom`` decoder raises passes through unchanged.
    """
    if isinstance(data, list):
        return [from_jsonable(item, custom=custom) for item in data]
    if not isinstance(data, dict):
        return data
    if TAG not in data:
        return {key: from_jsonable(item, custom=custom) for key, item in data.items()}
    tag = data[TAG]
    if custom is not None and tag in custom:
        return custom[tag](from_jsonable(data.get("value"), custom=custom))
    if tag not in _DECODERS:
        raise MetadataError(f"unknown type tag {tag!r} in the metadata")
    payload = from_jsonable(data.get("value"), custom=custom)
    try:
        return _DECODERS[tag](payload)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as error:
        raise MetadataError(f"malformed {tag!r} value in the metadata: {error!r}") from None


def _plain_dtype(text) -> np.dtype:
    dtype = np.dtype(text)
    if dtype.hasobject:
        raise ValueError(f"dtype {text!r} holds Python objects")
    return dtype


def _decode_float(text: str) -> float:
    if text not in ("nan", "inf", "-inf"):
        raise ValueError(f"not a non-finite float: {text!r}")
    return float(text)


def _encode_generator(generator: np.random.Generator) -> dict:
    bit_generator = generator.bit_generator
    seed_sequence = getattr(bit_generator, "seed_seq", None)
    return {
        "bit_generator": type(bit_generator).__name__,
        "state": bit_generator.state,
        "seed_sequence": (
            seed_sequence if isinstance(seed_sequence, np.random.SeedSequence) else None
        ),
    }


def _decode_generator(payload: dict) -> np.random.Generator:
    name = payload["bit_generator"]
    if name not in _BIT_GENERATORS:
        raise ValueError(f"unknown bit generator {name!r}; known: {list(_BIT_GENERATORS)}")
    bit_generator = getattr(np.random, name)(payload["seed_sequence"])
    bit_generator.state = payload["state"]
    return np.random.Generator(bit_generator)


def _encode_seed_sequence(sequence: np.random.SeedSequence) -> dict:
    return {
        "entropy": sequence.entropy,
        "spawn_key": list(sequence.spawn_key),
        "pool_size": sequence.pool_size,
        "n_children_spawned": sequence.n_children_spawned,
    }


def _decode_seed_sequence(payload: dict) -> np.random.SeedSequence:
    return np.random.SeedSequence(
        payload["entropy"],
        spawn_key=tuple(payload["spawn_key"]),
        pool_size=payload["pool_size"],
        n_children_spawned=payload["n_children_spawned"],
    )


#: Decoders of the tags :func:`to_jsonable` writes itself (tag -> decode(decoded payload)).
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "tuple": tuple,
    "dict": dict,
    "float": _decode_float,
    "numpy.scalar": lambda payload: _plain_dtype(payload["dtype"]).type(payload["value"]),
    "numpy.ndarray": lambda payload: np.array(
        payload["data"], dtype=_plain_dtype(payload["dtype"])
    ).reshape(payload["shape"]),
}
#: Types encoded through a codec, tag -> (type, encode); checked in order (see :func:`register_codec`).
_ENCODERS: dict[str, tuple[type, Callable[[Any], Any]]] = {}
register_codec("numpy.dtype", np.dtype, lambda dtype: dtype.str, _plain_dtype)
register_codec("numpy.Generator", np.random.Generator, _encode_generator, _decode_generator)
register_codec(
    "numpy.SeedSequence", np.random.SeedSequence, _encode_seed_sequence, _decode_seed_sequence
)
