"""The results store of a sweep: run directories, done-markers and the manifest.

A sweep directory ``DIR`` holds::

    manifest.json      the sweep (experiment, preset, base settings, swept keys) and one
                       entry per (setting, seed): status pending/done/failed, run
                       directory, traceback of a failed run
    runs/<run-id>/     one run each, as :func:`experiments.runner.run_into` writes it,
                       plus done.json, the done-marker
    aggregate/         what ``python -m experiments aggregate DIR`` writes

Surviving a hard kill rests on three rules:

1. A run directory is assembled under a temporary name and renamed into place
   when complete (``runner.run_into``), so no directory under a final name is
   ever partial.
2. ``done.json`` is the last file written before the rename. It records the
   size and SHA-256 of every data file of the run (everything but the
   figures, which are redrawn from the CSV files and may legitimately be
   redrawn later) and a checksum of itself. A run counts as done only if its
   directory exists under its final name and every recorded file verifies.
3. The manifest is rewritten whole, to a temporary file that replaces the old
   one with ``os.replace`` (atomic), and it is a record, not the truth: the run
   directories are. A run that finished after the last manifest write of a
   killed sweep is found done on disk by the next invocation and never
   recomputed; a failed or pending one is computed again.

A final-named run directory that does not verify, or a manifest that is not
valid JSON or fails its checksum, was damaged or edited by hand: the store
raises :class:`StoreError` naming the file and what to do, rather than
guessing. Everything is JSON and CSV; nothing is pickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.archive import canonical_json, file_sha256, replaced_atomically, sha256_hex

MANIFEST_NAME = "manifest.json"
RUNS_DIR = "runs"
DONE_NAME = "done.json"
LOCK_NAME = ".lock"
FIGURES_DIR = "figures"
#: Version of the manifest and done-marker layout; bumped on incompatible changes.
FORMAT = 1
STATUSES = ("pending", "done", "failed")


class StoreError(ValueError):
    """A sweep directory is damaged, edited by hand, in use, or not a sweep directory."""


# -- small helpers -------------------------------------------------------------------------


def settings_json(value) -> str:
    """:func:`core.archive.canonical_json` of settings (NaN and any object allowed, as repr)."""
    return canonical_json(value, strict=False)


def digest(text: str) -> str:
    return "sha256:" + sha256_hex(text)


def file_digest(path: Path) -> str:
    return "sha256:" + file_sha256(path)


def write_json_atomic(path: Path, value) -> None:
    """Write ``value`` as JSON to ``path`` through a temporary file and ``os.replace``.

    A reader (or the next invocation after a kill) sees either the old file or
    the new one, never a mixture.
    """
    path = Path(path)
    with replaced_atomically(path, "w") as stream:
        stream.write(json.dumps(value, indent=1) + "\n")


def _with_checksum(payload: dict) -> dict:
    return {**payload, "checksum": digest(settings_json(payload))}


def _read_checked_json(path: Path, what: str, remedy: str) -> dict:
    """Read a JSON object written with :func:`_with_checksum` and check its checksum."""
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise StoreError(
            f"{path} is corrupt ({what} is not valid JSON: {error}); {remedy}"
        ) from None
    if not isinstance(data, dict) or "checksum" not in data:
        raise StoreError(f"{path} is not a {what} (no checksum field); {remedy}")
    payload = {k: v for k, v in data.items() if k != "checksum"}
    if data["checksum"] != digest(settings_json(payload)):
        raise StoreError(f"{path} fails its checksum ({what} edited or corrupted); {remedy}")
    if payload.get("format") != FORMAT:
        raise StoreError(
            f"{path} has format {payload.get('format')!r}, this version reads "
            f"format {FORMAT}; {remedy}"
        )
    return payload


# -- done-markers --------------------------------------------------------------------------


def _data_files(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and path.name != DONE_NAME
        and path.relative_to(directory).parts[0] != FIGURES_DIR
    )


def seal_run(directory: Path, *, run_id: str, seed: int) -> None:
    """Write the done-marker of the run being assembled in ``directory``.

    Called last, just before the directory is renamed into place: the data
    files are flushed to disk first, so a marker never vouches for bytes that
    a power cut could still lose.
    """
    directory = Path(directory)
    files = {}
    for path in _data_files(directory):
        with open(path, "rb") as stream:
            os.fsync(stream.fileno())
        files[path.relative_to(directory).as_posix()] = {
            "bytes": path.stat().st_size,
            "sha256": file_digest(path),
        }
    marker = _with_checksum({"format": FORMAT, "run_id": run_id, "seed": seed, "files": files})
    write_json_atomic(directory / DONE_NAME, marker)


def verify_run(directory: Path, run_id: str | None = None) -> dict:
    """Check a finished run directory against its done-marker; returns the marker.

    Raises
    ------
    StoreError
        If the marker is missing, corrupt or edited, belongs to another run,
        or a recorded file is missing or changed.
    """
    directory = Path(directory)
    remedy = f"remove the directory {directory} to compute the run again"
    marker_path = directory / DONE_NAME
    if not marker_path.is_file():
        raise StoreError(
            f"{directory} has no {DONE_NAME}: it was not finished by a sweep or was "
            f"modified; {remedy}"
        )
    marker = _read_checked_json(marker_path, "done-marker", remedy)
    if run_id is not None and marker.get("run_id") != run_id:
        raise StoreError(
            f"{marker_path} belongs to run {marker.get('run_id')!r}, not {run_id!r}; {remedy}"
        )
    files = marker.get("files")
    if not isinstance(files, dict) or "metrics.csv" not in files:
        raise StoreError(f"{marker_path} lists no metrics.csv; {remedy}")
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            raise StoreError(f"{path} is missing (recorded in {marker_path}); {remedy}")
        if path.stat().st_size != expected.get("bytes") or file_digest(path) != expected.get(
            "sha256"
        ):
            raise StoreError(
                f"{path} does not match its checksum in {marker_path}: the file "
                f"changed after the run finished; {remedy}"
            )
    return marker


# -- the manifest --------------------------------------------------------------------------


@dataclass
class RunEntry:
    """One (setting, seed) of a sweep.

    ``setting`` maps each swept key to its value (JSON types: tuples are lists).
    """

    run_id: str
    setting: dict
    seed: int
    status: str = "pending"
    traceback: str | None = None

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "setting": self.setting,
            "seed": self.seed,
            "status": self.status,
            "run_dir": f"{RUNS_DIR}/{self.run_id}",
            "traceback": self.traceback,
        }


@dataclass
class Manifest:
    """What a sweep directory holds: the sweep's definition and its runs by id."""

    experiment: str
    preset: str
    base_settings: dict
    swept: list
    runs: dict = field(default_factory=dict)  # run_id -> RunEntry, in grid order

    def header(self) -> dict:
        return {
            "experiment": self.experiment,
            "preset": self.preset,
            "base_settings": json.loads(settings_json(self.base_settings)),
            "swept": list(self.swept),
        }

    def to_json(self) -> dict:
        return _with_checksum(
            {
                "format": FORMAT,
                **self.header(),
                "runs": [entry.to_json() for entry in self.runs.values()],
            }
        )

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest written to ``path``, its checksum and every entry checked."""
        remedy = f"remove {path} to rebuild it from the finished run directories"
        data = _read_checked_json(path, "sweep manifest", remedy)

        def bad(what):
            return StoreError(f"{path} is malformed ({what}); {remedy}")

        for key, kind in (
            ("experiment", str),
            ("preset", str),
            ("base_settings", dict),
            ("swept", list),
            ("runs", list),
        ):
            if not isinstance(data.get(key), kind):
                raise bad(f"{key!r} missing or not a {kind.__name__}")
        manifest = cls(data["experiment"], data["preset"], data["base_settings"], data["swept"])
        for item in data["runs"]:
            if not isinstance(item, dict):
                raise bad("a run entry is not an object")
            try:
                fields = [item[key] for key in ("run_id", "setting", "seed", "status")]
            except KeyError as error:
                raise bad(f"a run entry lacks {error}") from None
            entry = RunEntry(*fields, item.get("traceback"))
            if (
                isinstance(entry.seed, bool)
                or not isinstance(entry.seed, int)
                or not isinstance(entry.setting, dict)
            ):
                raise bad(f"run {entry.run_id!r} has a malformed seed or setting")
            if entry.status not in STATUSES:
                raise bad(
                    f"run {entry.run_id!r} has status {entry.status!r}, not one of {list(STATUSES)}"
                )
            if (
                not isinstance(entry.run_id, str)
                or "/" in entry.run_id
                or entry.run_id in ("", ".", "..")
            ):
                raise bad(f"run id {entry.run_id!r} is not a directory name")
            if entry.run_id in manifest.runs:
                raise bad(f"run {entry.run_id!r} appears twice")
            manifest.runs[entry.run_id] = entry
        return manifest


# -- the store -----------------------------------------------------------------------------


class SweepStore:
    """A sweep directory on disk (see the module docstring for its layout)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def runs_path(self) -> Path:
        return self.root / RUNS_DIR

    def run_dir(self, run_id: str) -> Path:
        return self.runs_path / run_id

    def exists(self) -> bool:
        return self.manifest_path.is_file() or self.runs_path.is_dir()

    @contextlib.contextmanager
    def locked(self):
        """Hold the directory's lock: two sweeps never write to one directory at once.

        ``flock`` locks die with their process, so a killed sweep never leaves
        a stale lock behind. (Where ``fcntl`` does not exist, e.g. Windows,
        the lock is skipped.)
        """
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        with open(self.root / LOCK_NAME, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another sweep is writing to {self.root} (its lock is held); "
                    "wait for it to finish or choose another --out"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load_manifest(self) -> Manifest | None:
        """The manifest, or None if the directory has none yet."""
        return Manifest.read(self.manifest_path) if self.manifest_path.is_file() else None

    def save_manifest(self, manifest: Manifest) -> None:
        write_json_atomic(self.manifest_path, manifest.to_json())

    def is_done(self, run_id: str) -> bool:
        """Whether the run finished: its directory exists and verifies.

        Raises StoreError if the directory exists under its final name but does
        not verify (it was damaged or edited after it finished).
        """
        directory = self.run_dir(run_id)
        if not directory.is_dir():
            return False
        verify_run(directory, run_id)
        return True

    def remove_partials(self) -> int:
        """Delete what a killed sweep left half-written: run and manifest temporaries.

        Each is first renamed to a trash name (atomic): a worker of the killed
        sweep still finishing that run then fails to rename it into place,
        instead of renaming a half-deleted directory. Returns how many were removed.
        """
        for leftover in self.root.glob(f".{MANIFEST_NAME}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if not self.runs_path.is_dir():
            return 0
        removed = 0
        for path in list(self.runs_path.iterdir()):
            if path.name.startswith(".") and path.name.endswith((".partial", ".trash")):
                trash = path.with_name(path.name.removesuffix(".trash") + ".trash")
                try:
                    if trash != path:
                        os.rename(path, trash)
                except OSError:
                    continue
                shutil.rmtree(trash, ignore_errors=True)
                removed += 1
        return removed
