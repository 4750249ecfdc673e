"""core.archive: the pickle-free model file format and its JSON helpers.

Damaged and hand-edited files are made by cutting and rewriting real
archives at the byte and zip-member level (the way a failed copy or an
editor would), and each must be refused with an ArchiveError naming the file.
Properties (hypothesis): any flipped byte, truncation or appended garbage is
refused or leaves the content exactly as saved; any supported value
survives JSON with its types.
"""

from __future__ import annotations

import doctest
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from brian2 import Hz, ms, mV, nS, second
from brian2.units.fundamentalunits import have_same_dimensions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import archive
from core.archive import (
    ArchiveError,
    MetadataError,
    from_jsonable,
    read_archive,
    to_jsonable,
    write_archive,
)

ARRAYS = {
    "weights": np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
    "counts": np.array([3, 1, 4, 1, 5], dtype=np.int64),
    "labels": np.array(["setosa", "versicolor"]),
    "mask": np.array([True, False]),
    "scalar": np.array(2.5, dtype=np.float32),
    "empty": np.zeros((0, 3)),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
}
META = {"kind": "test.Model", "epochs": 3, "name": "demo", "history": [{"loss": 0.5, "epoch": 1}]}


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.npz"
    write_archive(path, ARRAYS, META)
    return path


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def rewrite(path, contents: dict[str, bytes]) -> None:
    """Write a new, internally consistent zip (valid CRCs) with these members."""
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in contents.items():
            zipped.writestr(name, data)


def npy_bytes(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=allow_pickle)
    return buffer.getvalue()


def document(path) -> dict:
    raw = np.load(io.BytesIO(members(path)["__meta__.npy"]), allow_pickle=False)
    return json.loads(raw.tobytes())


def meta_member(document_: dict) -> bytes:
    return npy_bytes(np.frombuffer(json.dumps(document_).encode(), dtype=np.uint8))


# -- round trip ---------------------------------------------------------------------------------


def test_round_trip_keeps_every_array_exactly_and_the_meta(saved):
    arrays, meta = read_archive(saved, expected_kind="test.Model")
    assert list(arrays) == list(ARRAYS)
    for name, array in ARRAYS.items():
        assert arrays[name].dtype == array.dtype and arrays[name].shape == array.shape
        assert np.array_equal(arrays[name], array)
    assert meta == META and list(meta) == list(META)  # key order kept too


def test_an_archive_is_a_plain_npz_without_pickle(saved):
    with np.load(saved, allow_pickle=False) as plain:
        assert set(plain.files) == set(ARRAYS) | {"__meta__"}
        assert np.array_equal(plain["weights"], ARRAYS["weights"])
    stored = document(saved)
    assert stored["format"] == "brain-vs-ann-archive" and stored["version"] == 1
    assert stored["arrays"]["counts"]["sha256"] == archive.array_sha256(ARRAYS["counts"])


def test_expected_kind_may_be_several(saved):
    read_archive(saved, expected_kind=["other.Kind", "test.Model"])


def test_the_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "m.npz"
    write_archive(path, ARRAYS, META)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_saving_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_dir"):
        write_archive(tmp_path / "no_such_dir" / "m.npz", ARRAYS, META)


def test_docstring_examples():
    result = doctest.testmod(archive, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_saving_over_an_archive_replaces_it(saved):
    write_archive(saved, {"x": np.ones(2)}, {"kind": "test.Model"})
    arrays, meta = read_archive(saved)
    assert list(arrays) == ["x"] and meta == {"kind": "test.Model"}


# -- what write_archive refuses -------------------------------------------------------------------


def test_object_arrays_are_refused_with_their_name(tmp_path):
    path = tmp_path / "m.npz"
    with pytest.raises(TypeError, match="'bad'.*object"):
        write_archive(path, {"good": np.ones(2), "bad": np.array([{}, []], dtype=object)}, META)
    assert not path.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["__meta__", "__x", "a/b", "", 3])
def test_bad_array_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="array name"):
        write_archive(tmp_path / "m.npz", {name: np.ones(1)}, META)


def test_meta_must_name_its_kind_and_be_plain_json(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        write_archive(tmp_path / "m.npz", {}, {"epochs": 3})
    with pytest.raises(TypeError, match="to_jsonable"):
        write_archive(tmp_path / "m.npz", {}, {"kind": "k", "values": {1, 2}})
    with pytest.raises(TypeError, match="to_jsonable"):
        write_archive(tmp_path / "m.npz", {}, {"kind": "k", "loss": float("nan")})
    assert not list(tmp_path.iterdir())


# -- interrupted saves ----------------------------------------------------------------------------


def test_a_save_interrupted_before_the_rename_leaves_no_file(tmp_path, monkeypatch):
    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(archive.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_archive(tmp_path / "m.npz", ARRAYS, META)
    assert not list(tmp_path.iterdir())  # neither the file nor a temporary one


def test_a_save_interrupted_while_writing_keeps_the_previous_file(saved, monkeypatch):
    before = saved.read_bytes()
    written = []
    real_write_array = np.lib.format.write_array

    def write_then_stop(file, array, **kwargs):
        if written:  # the first member is written, then the process is interrupted
            raise KeyboardInterrupt
        written.append(array)
        real_write_array(file, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        write_archive(saved, {"x": np.ones(3), "y": np.zeros(3)}, {"kind": "test.Model"})
    assert written and saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]


# -- damaged and modified files -------------------------------------------------------------------


def test_missing_file_is_a_file_not_found_error_naming_it(tmp_path):
    path = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        read_archive(path)


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.25, 0.5, 0.9, 0.999])
def test_truncated_files_are_refused(saved, fraction):
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ArchiveError, match="model.npz.*truncated or not a brain-vs-ann archive"):
        read_archive(saved)


def test_the_last_bytes_cut_off_are_noticed(saved):
    data = saved.read_bytes()
    for cut in (1, 10, 22, 23, 100):
        saved.write_bytes(data[:-cut])
        with pytest.raises(ArchiveError, match="model.npz"):
            read_archive(saved)


def test_a_flipped_byte_inside_an_array_is_noticed(saved):
    data = bytearray(saved.read_bytes())
    start = bytes(data).index(ARRAYS["weights"].tobytes())
    data[start + 45] ^= 0x10
    saved.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="model.npz.*'weights'"):
        read_archive(saved)


def test_a_flipped_encryption_flag_in_the_zip_directory_is_damage_too(saved):
    # zipfile raises RuntimeError ("password required") for this one.
    data = bytearray(saved.read_bytes())
    entry = bytes(data).index(b"PK\x01\x02")  # the first central directory entry
    data[entry + 8] ^= 0x01  # general-purpose flags, bit 0: encrypted
    saved.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="model.npz.*'weights'.*damaged"):
        read_archive(saved)


def test_a_modified_array_in_a_consistent_zip_fails_its_checksum(saved):
    contents = members(saved)
    changed = ARRAYS["weights"].copy()
    changed[1, 2] += 1e-12
    contents["weights.npy"] = npy_bytes(changed)
    rewrite(saved, contents)
    with pytest.raises(
        ArchiveError, match="array 'weights' does not match its checksum: the file was modified"
    ):
        read_archive(saved)


def test_an_array_of_another_shape_is_noticed(saved):
    contents = members(saved)
    contents["counts.npy"] = npy_bytes(ARRAYS["counts"][:4])
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="'counts' has dtype <i8 and shape \\[4\\]"):
        read_archive(saved)


def test_edited_metadata_fails_its_checksum(saved):
    stored = document(saved)
    stored["meta"]["epochs"] = 300
    contents = members(saved)
    contents["__meta__.npy"] = meta_member(stored)
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="metadata does not match its checksum"):
        read_archive(saved)


def test_metadata_that_is_not_json_is_noticed(saved):
    contents = members(saved)
    text = json.dumps(document(saved))
    contents["__meta__.npy"] = npy_bytes(np.frombuffer(text[:-5].encode(), dtype=np.uint8))
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="metadata is not valid JSON"):
        read_archive(saved)


def test_missing_and_extra_members_are_noticed(saved, tmp_path):
    contents = members(saved)
    del contents["counts.npy"]
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="array 'counts' listed in the metadata is missing"):
        read_archive(saved)
    contents["counts.npy"] = npy_bytes(ARRAYS["counts"])
    contents["smuggled.npy"] = npy_bytes(np.ones(2))
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="member 'smuggled' is not listed"):
        read_archive(saved)


def test_a_newer_format_version_is_named(saved):
    stored = document(saved)
    stored["version"] = 2
    stored["sha256"] = archive._document_sha256(stored)
    contents = members(saved)
    contents["__meta__.npy"] = meta_member(stored)
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="format version 2.*up to 1"):
        read_archive(saved)


def test_a_file_of_another_kind_is_refused_naming_both(saved):
    with pytest.raises(ArchiveError, match="holds a test.Model, not ann.MLPClassifier"):
        read_archive(saved, expected_kind="ann.MLPClassifier")


UNPICKLED = []


class Payload:
    """Records it if anything ever unpickles it (pickle calls __reduce__'s function)."""

    def __reduce__(self):
        return (UNPICKLED.append, ("unpickled",))


def test_object_arrays_in_a_file_are_never_unpickled(saved):
    # A forged archive: consistent metadata listing an object array.
    stored = document(saved)
    stored["arrays"]["trap"] = {"dtype": "|O", "shape": [1], "sha256": "0" * 64}
    stored["sha256"] = archive._document_sha256(stored)
    contents = members(saved)
    contents["__meta__.npy"] = meta_member(stored)
    contents["trap.npy"] = npy_bytes(np.array([Payload()], dtype=object), allow_pickle=True)
    rewrite(saved, contents)
    with pytest.raises(ArchiveError, match="member 'trap' holds Python objects"):
        read_archive(saved)
    assert UNPICKLED == []


def test_files_that_are_not_archives(tmp_path):
    cases = {
        "text.npz": lambda p: p.write_text("weights: 1, 2, 3"),
        "pickle.npz": lambda p: p.write_bytes(pickle.dumps(Payload())),
        "empty.npz": lambda p: p.write_bytes(b""),
    }
    for name, make in cases.items():
        make(tmp_path / name)
        with pytest.raises(ArchiveError, match=f"{name}.*truncated or not a brain-vs-ann archive"):
            read_archive(tmp_path / name)
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ArchiveError, match="single .npy array"):
        read_archive(tmp_path / "single.npy")
    np.savez(tmp_path / "plain.npz", weights=np.ones(3))
    with pytest.raises(ArchiveError, match="without a '__meta__' member"):
        read_archive(tmp_path / "plain.npz")
    np.savez(tmp_path / "objects.npz", trap=np.array([Payload()], dtype=object))
    with pytest.raises(ArchiveError, match="objects.npz"):
        read_archive(tmp_path / "objects.npz")
    assert UNPICKLED == []


# -- JSON helpers ----------------------------------------------------------------------------------


def json_round_trip(value, **kwargs):
    """Through real JSON text, as the archive stores it (strict JSON: no NaN tokens)."""
    text = json.dumps(to_jsonable(value, **kwargs.get("encode", {})), allow_nan=False)
    return from_jsonable(json.loads(text), **kwargs.get("decode", {}))


def test_plain_and_python_values_round_trip_with_their_types():
    value = {
        "sizes": (64, 32),
        "nested": [(1, (2, 3)), {"a": None}],
        "flag": True,
        "loss": float("nan"),
        "big": 2**100,
        "bounds": (float("-inf"), float("inf")),
        "text": "ümlaut",
        "__type__": "a user key that looks like a tag",
    }
    back = json_round_trip(value)
    assert back["sizes"] == (64, 32) and isinstance(back["nested"][0], tuple)
    assert back["nested"][0][1] == (2, 3) and back["flag"] is True and back["big"] == 2**100
    assert np.isnan(back["loss"]) and back["bounds"] == (float("-inf"), float("inf"))
    assert back["text"] == "ümlaut" and back["__type__"] == value["__type__"]
    assert list(back) == list(value)


def test_numpy_scalars_dtypes_and_arrays_keep_their_types():
    value = [
        np.float32(0.1),
        np.int64(-3),
        np.bool_(True),
        np.float64(1 / 3),
        np.dtype("float32"),
        np.array([[1, 2]], dtype=np.uint8),
        np.array([np.nan, 1.5]),
    ]
    back = json_round_trip(value)
    for original, restored in zip(value[:4], back[:4]):
        assert type(restored) is type(original) and restored == original
    assert back[4] == np.dtype("float32")
    assert back[5].dtype == np.uint8 and back[5].tolist() == [[1, 2]]
    assert np.array_equal(back[6], value[6], equal_nan=True)


def test_a_generator_continues_and_spawns_exactly_as_the_original():
    for generator in (
        np.random.default_rng(12345),
        np.random.Generator(np.random.MT19937(7)),
        np.random.default_rng(np.random.SeedSequence(5, spawn_key=(2,))),
    ):
        generator.normal(size=7)  # move away from the start
        copy = json_round_trip(generator)
        assert np.array_equal(copy.random(20), generator.random(20))
        children, copy_children = generator.spawn(2), copy.spawn(2)
        for a, b in zip(children, copy_children):
            assert np.array_equal(a.integers(0, 2**62, 5), b.integers(0, 2**62, 5))


def test_a_seed_sequence_round_trips():
    sequence = np.random.SeedSequence([1, 2, 3], spawn_key=(4,))
    sequence.spawn(3)
    copy = json_round_trip(sequence)
    assert np.array_equal(copy.generate_state(8), sequence.generate_state(8))
    assert copy.n_children_spawned == 3
    assert np.array_equal(
        copy.spawn(1)[0].generate_state(4), sequence.spawn(1)[0].generate_state(4)
    )


def test_brian2_quantities_come_back_equal_with_their_units():
    values = {
        "presentation_time": 350 * ms,
        "theta_plus": 0.05 * mV,
        "rate": 128 * Hz,
        "tau": 1000 * second,
        "conductance": 3 * nS,
        "one_third": (1 / 3) * ms,
        "trace": np.array([1.0, 2.5]) * mV,
    }
    back = json_round_trip(values)
    for key, value in values.items():
        assert have_same_dimensions(back[key], value), key
        assert np.all(back[key] == value), key
    assert back["presentation_time"] == 350 * ms
    assert repr(back["presentation_time"]) == repr(350 * ms)
    stored = to_jsonable(350 * ms)["value"]
    assert stored["unit"] == "s" and stored["dimensions"][2] == 1.0  # seconds, SI


def test_custom_encoders_and_decoders():
    class Rule:
        def __init__(self, rate):
            self.rate = rate

    def encode(value):
        return ("test.Rule", {"rate": value.rate}) if isinstance(value, Rule) else None

    back = json_round_trip(
        {"rule": Rule(2 * ms)},
        encode={"custom": encode},
        decode={"custom": {"test.Rule": lambda payload: Rule(**payload)}},
    )
    assert isinstance(back["rule"], Rule) and back["rule"].rate == 2 * ms


def test_unsupported_values_are_named():
    with pytest.raises(TypeError, match=r"params\['rule_params'\]\['hook'\].*function"):
        to_jsonable({"rule_params": {"hook": print}}, where="params")
    with pytest.raises(TypeError, match="non-str keys"):
        to_jsonable({1: 2})
    with pytest.raises(TypeError, match="object"):
        to_jsonable(np.array([None, 1]))


def test_malformed_tags_are_metadata_errors():
    for data in (
        {"__type__": "no.such.tag", "value": 1},
        {"__type__": "numpy.scalar", "value": {"dtype": "|O", "value": 1}},
        {"__type__": "numpy.Generator", "value": {"bit_generator": "os.system"}},
        {"__type__": "float", "value": "1.5"},
        {"__type__": "numpy.ndarray", "value": {"dtype": "<f8", "shape": [3], "data": [1]}},
    ):
        with pytest.raises(MetadataError):
            from_jsonable(data)


# -- the documentation ------------------------------------------------------------------------------


def test_the_saving_section_of_the_extending_guide_runs(monkeypatch, capsys):
    import pathlib
    import re

    from snn import _brian

    monkeypatch.setattr(_brian, "_chosen_target", "numpy")  # a tiny network: no Cython compile
    docs = pathlib.Path(__file__).resolve().parents[1] / "docs" / "extending.md"
    heading = "## Saving and loading models"
    text = docs.read_text()
    assert heading in text, "docs/extending.md lost the section on saving models"
    section = re.split(r"\n## ", text.split(heading, 1)[1], maxsplit=1)[0]
    for name in ("save(path)", "ann.load", "snn.load", "allow_pickle=False", "ArchiveError"):
        assert name in section, f"{name} is not documented"
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{docs.name} (saving section)", "exec"), {"__name__": "docs_saving"})
    assert "holds a snn.STDPClassifier, not one of" in capsys.readouterr().out


# -- properties ------------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def reference_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("reference") / "reference.npz"
    write_archive(path, ARRAYS, META)
    return path.read_bytes()


def assert_unchanged_or_refused(path):
    """The only outcomes allowed for a damaged file: ArchiveError, or exactly the saved content."""
    try:
        arrays, meta = read_archive(path, expected_kind="test.Model")
    except ArchiveError as error:
        assert str(path) in str(error)
        return
    assert meta == META and list(arrays) == list(ARRAYS)
    for name, array in ARRAYS.items():
        assert arrays[name].dtype == array.dtype and np.array_equal(arrays[name], array)


@PROPERTY
@given(data=st.data())
def test_any_flipped_byte_is_refused_or_harmless(reference_bytes, tmp_path, data):
    # Bytes outside the members' data (zip timestamps, "version made by", ...)
    # may change without changing the content; every other change must be caught.
    position = data.draw(st.integers(0, len(reference_bytes) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="xor mask")
    damaged = bytearray(reference_bytes)
    damaged[position] ^= mask
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(damaged))
    assert_unchanged_or_refused(path)


@PROPERTY
@given(data=st.data())
def test_any_truncation_or_appended_garbage_is_refused_or_harmless(reference_bytes, tmp_path, data):
    cut = data.draw(st.integers(0, len(reference_bytes) - 1), label="cut")
    path = tmp_path / "cut.npz"
    path.write_bytes(reference_bytes[:cut])
    with pytest.raises(ArchiveError, match="cut.npz"):
        read_archive(path)
    garbage = data.draw(st.binary(min_size=1, max_size=64), label="garbage")
    path.write_bytes(reference_bytes + garbage)
    assert_unchanged_or_refused(path)


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32).map(np.float32),
    st.integers(-(2**31), 2**31 - 1).map(np.int32),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(
            st.sampled_from(["a", "b", "__type__", "value", "ü"]), children, max_size=4
        ),
    ),
    max_leaves=20,
)


def same(a, b) -> bool:
    """Equal in value and type, NaN equal to NaN, containers compared in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (float, np.floating)) and np.isnan(a):
        return bool(np.isnan(b))
    return a == b


@PROPERTY
@given(value=json_values)
def test_any_supported_value_survives_json_with_its_types(value):
    text = json.dumps(to_jsonable(value), allow_nan=False)
    assert same(from_jsonable(json.loads(text)), value)
