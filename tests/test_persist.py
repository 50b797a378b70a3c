"""Native bundles: round trips, memory mapping, atomic replacement, damage detection."""
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v.io import bundle as persist
from cw2v.io.bundle import load_bundle, pack_strings, save_bundle, unpack_strings


def sample_arrays():
    rng = np.random.default_rng(0)
    return {
        "vectors": rng.standard_normal((7, 3)).astype(np.float32),
        "counts": np.arange(7, dtype=np.int64) * 3,
        "empty": np.zeros((0, 5), dtype=np.float64),
        "scalar": np.array(2.5),
        "flags": np.array([True, False]),
    }


def assert_same_arrays(got, expected):
    assert set(got) == set(expected)
    for name, array in expected.items():
        assert got[name].dtype == array.dtype, name
        assert got[name].shape == array.shape, name
        assert np.array_equal(got[name], array), name


def test_round_trip_in_memory(tmp_path):
    arrays = sample_arrays()
    meta = {"kind": "test", "alpha": 0.025, "losses": [1.5, 1.25], "name": "ünïcode"}
    save_bundle(tmp_path / "b", meta, arrays)
    got_meta, got_arrays = load_bundle(tmp_path / "b")
    assert got_meta == {"format": "cw2v", "format_version": 1, **meta}
    assert_same_arrays(got_arrays, arrays)
    on_disk = json.loads((tmp_path / "b" / "meta.json").read_text(encoding="utf-8"))
    assert on_disk["format"] == "cw2v" and on_disk["format_version"] == 1 and on_disk["kind"] == "test"


def test_mmap_read_only_shares_the_file(tmp_path):
    arrays = sample_arrays()
    save_bundle(tmp_path / "b", {"kind": "test"}, arrays)
    _, got = load_bundle(tmp_path / "b", mmap="r")
    vectors = got["vectors"]
    assert isinstance(vectors, np.memmap)
    assert not vectors.flags.writeable
    assert np.array_equal(vectors, arrays["vectors"])
    assert os.path.samefile(vectors.filename, tmp_path / "b" / "vectors.npy")


def test_replacing_an_existing_bundle(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test", "v": 1}, {"a": np.arange(3)})
    save_bundle(tmp_path / "b", {"kind": "test", "v": 2}, {"b": np.arange(4)})
    meta, arrays = load_bundle(tmp_path / "b")
    assert meta["v"] == 2
    assert list(arrays) == ["b"]
    assert not (tmp_path / "b" / "a.npy").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temp or old dirs left


def test_saving_over_a_mapped_bundle_of_itself(tmp_path):
    """Load with mmap, then save to the same path: the new files are written
    before the old ones go away, so the data being saved stays readable."""
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(1000.0)})
    _, arrays = load_bundle(tmp_path / "b", mmap="r")
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": arrays["a"] * 2})
    _, again = load_bundle(tmp_path / "b")
    assert np.array_equal(again["a"], np.arange(1000.0) * 2)


def test_failed_save_keeps_the_old_bundle(tmp_path, monkeypatch):
    save_bundle(tmp_path / "b", {"kind": "test", "v": 1}, {"a": np.arange(3)})
    calls = []

    def failing_save(fh, array, allow_pickle):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        np.lib.format.write_array(fh, array, allow_pickle=False)

    monkeypatch.setattr(persist.np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        save_bundle(tmp_path / "b", {"kind": "test", "v": 2}, {"x": np.arange(2), "y": np.arange(2)})
    monkeypatch.undo()
    meta, arrays = load_bundle(tmp_path / "b")
    assert meta["v"] == 1 and np.array_equal(arrays["a"], np.arange(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_refuses_to_overwrite_something_else(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a cw2v bundle; refusing"):
        save_bundle(tmp_path / "plain", {"kind": "test"}, {})
    (tmp_path / "file").write_text("keep me too")
    with pytest.raises(ValueError, match="refusing"):
        save_bundle(tmp_path / "file", {"kind": "test"}, {})
    assert (tmp_path / "plain" / "precious.txt").read_text() == "keep me"
    assert (tmp_path / "file").read_text() == "keep me too"


@pytest.mark.parametrize("meta, arrays, error, match", [
    ({}, {}, ValueError, "kind"),
    ({"kind": ""}, {}, ValueError, "kind"),
    ({"kind": "t", "format": "x"}, {}, ValueError, "reserved"),
    ({"kind": "t", "arrays": 1}, {}, ValueError, "reserved"),
    ({"kind": "t", "f": object()}, {}, TypeError, "JSON"),
    ({"kind": "t"}, {"../evil": np.arange(2)}, ValueError, "file name"),
    ({"kind": "t"}, {"words": np.array(["a", None], dtype=object)}, TypeError, "pickle"),
])
def test_bad_save_arguments(tmp_path, meta, arrays, error, match):
    with pytest.raises(error, match=match):
        save_bundle(tmp_path / "b", meta, arrays)
    assert not any(tmp_path.iterdir())  # nothing written


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_bundle(tmp_path / "nope")


def test_not_a_bundle(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(ValueError, match="not a cw2v bundle"):
        load_bundle(tmp_path / "dir")
    (tmp_path / "dir" / "meta.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a cw2v bundle"):
        load_bundle(tmp_path / "dir")
    (tmp_path / "dir" / "meta.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_bundle(tmp_path / "dir")
    (tmp_path / "file.npy").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a cw2v bundle"):
        load_bundle(tmp_path / "file.npy")


def rewrite_meta(path, **changes):
    meta = json.loads((path / "meta.json").read_text())
    meta.update(changes)
    (path / "meta.json").write_text(json.dumps(meta))


def test_newer_format_version_is_refused(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(3)})
    rewrite_meta(tmp_path / "b", format_version=2)
    with pytest.raises(ValueError, match=r"version 2.*upgrade cw2v"):
        load_bundle(tmp_path / "b")


def test_kind_is_checked_when_asked(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "model"}, {})
    assert load_bundle(tmp_path / "b", kind="model")[0]["kind"] == "model"
    with pytest.raises(ValueError, match="'model' bundle, not 'keyed_vectors'"):
        load_bundle(tmp_path / "b", kind="keyed_vectors")


def test_missing_array_file(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test"}, sample_arrays())
    os.remove(tmp_path / "b" / "counts.npy")
    with pytest.raises(ValueError, match=r"counts\.npy is missing"):
        load_bundle(tmp_path / "b")


@pytest.mark.parametrize("mmap", [None, "r"])
def test_truncated_array_file(tmp_path, mmap):
    save_bundle(tmp_path / "b", {"kind": "test"}, sample_arrays())
    target = tmp_path / "b" / "vectors.npy"
    data = target.read_bytes()
    target.write_bytes(data[:-5])
    with pytest.raises(ValueError, match=r"vectors\.npy.*truncated"):
        load_bundle(tmp_path / "b", mmap=mmap)
    target.write_bytes(data[:20])  # cut inside the header
    with pytest.raises(ValueError, match=r"vectors\.npy"):
        load_bundle(tmp_path / "b", mmap=mmap)


def replace_npy_header(path, header: bytes):
    """Put ``header`` (padded to the original length) in place of the .npy file's header dict."""
    data = path.read_bytes()
    start, end = 10, data.index(b"\n", 10)  # magic, version and length take 10 bytes (format 1.0)
    path.write_bytes(data[:start] + header.ljust(end - start)[:end - start] + data[end:])


DAMAGED_HEADERS = {
    # ast.literal_eval fails, numpy's fallback tokenizer then raises tokenize.TokenError
    "unclosed bracket": b"{'descr': '<f8', (",
    "unclosed string": b"{'descr': '" + b"''",
    # the fallback tokenizer raises IndentationError
    "bad indentation": b"\tx\n  y",
    # a shape too big for int64
    "huge shape": b"{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000000000000000,), }",
    "negative shape": b"{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }",
    "bad descr": b"{'descr': [1], 'fortran_order': False, 'shape': (4,), }",
    "not a dict": b"[1, 2, 3]",
    "deep nesting": b"(" * 40 + b")" * 40,
}


@pytest.mark.parametrize("mmap", [None, "r"])
@pytest.mark.parametrize("header", DAMAGED_HEADERS)
def test_damaged_npy_header_is_a_value_error_naming_the_file(tmp_path, header, mmap):
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(4.0)})
    replace_npy_header(tmp_path / "b" / "a.npy", DAMAGED_HEADERS[header])
    with pytest.raises(ValueError, match=r"a\.npy: cannot read array 'a'"):
        load_bundle(tmp_path / "b", mmap=mmap)


@pytest.mark.filterwarnings("ignore:Reading `.npy`")  # a Python 2 style "4L" read by numpy's fallback
def test_every_one_byte_change_of_an_npy_header_is_caught(tmp_path):
    """Mutation sweep: each header byte replaced by characters that upset a literal parser."""
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(4.0)})
    path = tmp_path / "b" / "a.npy"
    original = path.read_bytes()
    end = original.index(b"\n", 10) + 1
    for position in range(6, end):  # from the version bytes to the header's newline
        for byte in b"('\t\nL\x00":
            path.write_bytes(original[:position] + bytes([byte]) + original[position + 1:])
            try:
                meta, arrays = load_bundle(tmp_path / "b")
            except ValueError as err:
                assert "a.npy" in str(err)
            else:  # a harmless change (e.g. inside the padding): the data must be intact
                assert arrays["a"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_array_that_disagrees_with_manifest(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(3, dtype=np.int64)})
    np.save(tmp_path / "b" / "a.npy", np.arange(4, dtype=np.int64))
    with pytest.raises(ValueError, match="damaged"):
        load_bundle(tmp_path / "b")


def test_pickled_array_is_never_loaded(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(2)})
    np.save(tmp_path / "b" / "a.npy", np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    rewrite_meta(tmp_path / "b", arrays={"a": {"file": "a.npy", "dtype": "|O", "shape": [2]}})
    with pytest.raises(ValueError, match="a.npy"):
        load_bundle(tmp_path / "b")


def test_manifest_cannot_point_outside(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(2)})
    np.save(tmp_path / "outside.npy", np.arange(2))
    rewrite_meta(tmp_path / "b", arrays={"a": {"file": "../outside.npy", "dtype": "<i8", "shape": [2]}})
    with pytest.raises(ValueError, match="outside"):
        load_bundle(tmp_path / "b")


def test_bad_mmap_mode(tmp_path):
    save_bundle(tmp_path / "b", {"kind": "test"}, {})
    with pytest.raises(ValueError, match="mmap"):
        load_bundle(tmp_path / "b", mmap="w")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text()))
def test_strings_round_trip(strings):
    blob, offsets = pack_strings(strings)
    assert blob.dtype == np.uint8 and offsets.dtype == np.int64
    assert unpack_strings(blob, offsets) == strings


def test_strings_round_trip_with_newlines_and_surrogates():
    strings = ["a b", "", "line\nbreak", "\ud800lone", "日本語", "\n"]
    assert unpack_strings(*pack_strings(strings)) == strings


def test_damaged_string_arrays():
    blob, offsets = pack_strings(["ab", "c"])
    with pytest.raises(ValueError):
        unpack_strings(blob[:-1], offsets)
    bad = offsets.copy()
    bad[1] = 1
    with pytest.raises(ValueError):
        unpack_strings(blob, bad)
