"""word2vec.c text/binary formats: exact bytes, round trips, tolerated variants, precise errors."""
import bz2
import gzip
import lzma
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v.io import word2vec_format as formats
from cw2v.io.word2vec_format import load_word2vec_format, save_word2vec_format


def sample(n=6, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    keys = ["the", "ünï", "日本", "a-b_c", "x" * 40, "w5"][:n] + [f"extra{i}" for i in range(max(0, n - 6))]
    return keys, rng.standard_normal((n, dim)).astype(np.float32)


def word2vec_c_bytes(keys, vectors, newline=True):
    """What word2vec.c's binary writer emits, built the slow obvious way."""
    out = f"{len(keys)} {vectors.shape[1]}\n".encode()
    for key, row in zip(keys, vectors):
        out += key.encode("utf-8") + b" " + struct.pack(f"<{len(row)}f", *row.tolist())
        if newline:
            out += b"\n"
    return out


def text_bytes(keys, vectors, header=True, sep=" ", end="\n"):
    lines = [f"{len(keys)} {vectors.shape[1]}"] if header else []
    lines += [sep.join([k] + [repr(float(v)) for v in row]) for k, row in zip(keys, vectors)]
    return (end.join(lines) + end).encode("utf-8")


def test_binary_writer_is_byte_exact(tmp_path):
    keys, vectors = sample()
    save_word2vec_format(tmp_path / "v.bin", keys, vectors, binary=True)
    assert (tmp_path / "v.bin").read_bytes() == word2vec_c_bytes(keys, vectors)


def test_text_writer_layout(tmp_path):
    keys, vectors = sample()
    save_word2vec_format(tmp_path / "v.txt", keys, vectors)
    lines = (tmp_path / "v.txt").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "6 4" and lines[-1] == ""
    for key, row, line in zip(keys, vectors, lines[1:]):
        fields = line.split(" ")
        assert fields[0] == key
        assert np.array_equal(np.array(fields[1:], dtype=np.float32), row)
    save_word2vec_format(tmp_path / "h.txt", keys, vectors, write_header=False)
    assert (tmp_path / "h.txt").read_text(encoding="utf-8").split("\n")[0].startswith("the ")


words = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\n\r\x0b\x0c"),
                min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(keys=st.lists(words, min_size=0, max_size=12, unique=True), dim=st.integers(1, 7),
       binary=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_round_trip_is_exact(tmp_path_factory, keys, dim, binary, seed):
    path = tmp_path_factory.mktemp("rt") / "v"
    rng = np.random.default_rng(seed)
    # Raw random bit patterns cover tiny, huge and subnormal floats.
    vectors = rng.integers(0, 2**32, size=(len(keys), dim), dtype=np.uint32).view(np.float32)
    vectors = np.where(np.isfinite(vectors), vectors, np.float32(1.5))
    save_word2vec_format(path, keys, vectors, binary=binary)
    got_keys, got = load_word2vec_format(path, binary=binary)
    assert got_keys == keys
    assert got.dtype == np.float32 and got.flags.c_contiguous and got.shape == (len(keys), dim)
    assert np.array_equal(got.view(np.uint32), vectors.view(np.uint32))


@pytest.mark.parametrize("suffix, opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open),
                                            (".lzma", lzma.open)])
@pytest.mark.parametrize("binary", [False, True])
def test_compressed(tmp_path, suffix, opener, binary):
    keys, vectors = sample()
    path = tmp_path / ("v" + suffix)
    save_word2vec_format(path, keys, vectors, binary=binary)
    with opener(path, "rb") as fh:
        raw = fh.read()
    if binary:
        assert raw == word2vec_c_bytes(keys, vectors)
    got_keys, got = load_word2vec_format(path, binary=binary)
    assert got_keys == keys and np.array_equal(got, vectors)
    if suffix == ".lzma":
        return  # legacy LZMA has no magic number: only its suffix tells (see cw2v.io.files)
    # Recognised by content, whatever the file is called.
    renamed = tmp_path / "renamed.dat"
    os.replace(path, renamed)
    assert load_word2vec_format(renamed, binary=binary)[0] == keys


def write(tmp_path, data, name="f"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("newline", [True, False])
def test_binary_with_and_without_newline_after_vectors(tmp_path, newline):
    keys, vectors = sample()
    got_keys, got = load_word2vec_format(write(tmp_path, word2vec_c_bytes(keys, vectors, newline)), binary=True)
    assert got_keys == keys and np.array_equal(got, vectors)


def test_binary_mixed_newlines_and_stray_whitespace(tmp_path):
    keys, vectors = sample()
    data = f"{len(keys)} {vectors.shape[1]}\n".encode()
    for i, (key, row) in enumerate(zip(keys, vectors)):
        lead = [b"", b"\n", b" ", b"\r\n  ", b"\n  \t \n ", b"\n\n"][i]
        data += lead + key.encode() + b" " + row.tobytes()
    got_keys, got = load_word2vec_format(write(tmp_path, data + b"\n\n"), binary=True)
    assert got_keys == keys and np.array_equal(got, vectors)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_binary_spaces_after_a_newline_before_every_word(tmp_path, monkeypatch, suffix):
    """Each word's whitespace run holds spaces, so the first space found never ends a word."""
    monkeypatch.setattr(formats, "_BLOCK_BYTES", 29)
    monkeypatch.setattr(formats, "_RECORDS_PER_STEP", 4)
    keys, vectors = sample(n=30, dim=3)
    data = f"{len(keys)} 3\n".encode()
    for i, (key, row) in enumerate(zip(keys, vectors)):
        data += b"\n" + b" " * (i % 4 + 1) + b"\n " * (i % 3) + key.encode() + b" " + row.tobytes()
    path = tmp_path / f"v{suffix}"
    with (gzip.open if suffix else open)(path, "wb") as fh:
        fh.write(data + b"\n  \n")
    got_keys, got = load_word2vec_format(path, binary=True)
    assert got_keys == keys and np.array_equal(got, vectors)
    got_keys, got = load_word2vec_format(path, binary=True, limit=11)
    assert got_keys == keys[:11] and np.array_equal(got, vectors[:11])


@pytest.mark.parametrize("suffix", ["", ".gz"])  # mapped file, and a stream read block by block
def test_binary_spanning_many_blocks_and_steps(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(formats, "_BLOCK_BYTES", 37)  # records straddle every block boundary
    monkeypatch.setattr(formats, "_RECORDS_PER_STEP", 7)
    keys, vectors = sample(n=50, dim=5)
    opener = gzip.open if suffix else open
    for newline in (True, False):
        path = tmp_path / f"v{int(newline)}{suffix}"
        with opener(path, "wb") as fh:
            fh.write(word2vec_c_bytes(keys, vectors, newline))
        got_keys, got = load_word2vec_format(path, binary=True)
        assert got_keys == keys and np.array_equal(got, vectors)
        got_keys, got = load_word2vec_format(path, binary=True, limit=17)
        assert got_keys == keys[:17] and np.array_equal(got, vectors[:17])
        with opener(path, "wb") as fh:
            fh.write(word2vec_c_bytes(keys, vectors, newline)[:-10])
        assert "record 50 is truncated" in error_for(path, binary=True)
    save_word2vec_format(tmp_path / f"t.txt{suffix}", keys, vectors)
    got_keys, got = load_word2vec_format(tmp_path / f"t.txt{suffix}")
    assert got_keys == keys and np.array_equal(got, vectors)


def test_text_variants(tmp_path):
    keys, vectors = sample()
    expected = (keys, vectors)
    variants = {
        "no trailing newline": text_bytes(keys, vectors)[:-1],
        "windows line ends": text_bytes(keys, vectors, end="\r\n"),
        "extra spaces and tabs": text_bytes(keys, vectors, sep="  \t "),
        "word2vec.c trailing space": text_bytes(keys, vectors, end=" \n"),
        "blank lines": text_bytes(keys, vectors).replace(b"\n", b"\n\n", 3),
    }
    for name, data in variants.items():
        got_keys, got = load_word2vec_format(write(tmp_path, data))
        assert got_keys == expected[0], name
        assert np.array_equal(got, expected[1]), name


def test_glove_without_header(tmp_path):
    keys, vectors = sample()
    path = write(tmp_path, text_bytes(keys, vectors, header=False))
    got_keys, got = load_word2vec_format(path, no_header=True)
    assert got_keys == keys and np.array_equal(got, vectors)
    got_keys, got = load_word2vec_format(path, no_header=True, limit=2)
    assert got_keys == keys[:2]
    with pytest.raises(ValueError, match=r"line 1.*no_header=True"):
        load_word2vec_format(path)


@pytest.mark.parametrize("binary", [False, True])
def test_limit(tmp_path, binary):
    keys, vectors = sample()
    save_word2vec_format(tmp_path / "v", keys, vectors, binary=binary)
    for limit in (0, 1, 3, 6, 100):
        got_keys, got = load_word2vec_format(tmp_path / "v", binary=binary, limit=limit)
        assert got_keys == keys[:limit] and np.array_equal(got, vectors[:limit])
        assert got.shape == (min(limit, 6), 4)


def test_empty_vocabulary(tmp_path):
    for binary in (False, True):
        got_keys, got = load_word2vec_format(write(tmp_path, b"0 7\n"), binary=binary)
        assert got_keys == [] and got.shape == (0, 7)


# ----------------------------------------------------------------- errors


def error_for(path, **kwargs):
    with pytest.raises(ValueError) as info:
        load_word2vec_format(path, **kwargs)
    message = str(info.value)
    assert str(path) in message  # always names the file
    return message


def test_header_promises_more_words_than_present(tmp_path):
    keys, vectors = sample()
    data = word2vec_c_bytes(keys, vectors).replace(b"6 4\n", b"9 4\n", 1)
    assert "file ends after 6 words, but the header declares 9" in error_for(write(tmp_path, data), binary=True)
    text = text_bytes(keys, vectors).replace(b"6 4\n", b"9 4\n", 1)
    assert "line 8: file ends after 6 words, but the header declares 9" in error_for(write(tmp_path, text))


def test_truncated_binary_record(tmp_path):
    keys, vectors = sample()
    data = word2vec_c_bytes(keys, vectors)[:-7]  # last record loses 6 bytes + newline
    message = error_for(write(tmp_path, data), binary=True)
    record_start = len(word2vec_c_bytes(keys[:5], vectors[:5]))
    assert f"byte offset {record_start}" in message and "record 6 is truncated" in message


def test_data_after_declared_words(tmp_path):
    keys, vectors = sample()
    data = word2vec_c_bytes(keys, vectors).replace(b"6 4\n", b"5 4\n", 1)
    message = error_for(write(tmp_path, data), binary=True)
    assert "data continues after the 5 words" in message and "limit=5" in message
    assert load_word2vec_format(tmp_path / "f", binary=True, limit=5)[0] == keys[:5]
    text = text_bytes(keys, vectors).replace(b"6 4\n", b"5 4\n", 1)
    assert "line 7: data continues" in error_for(write(tmp_path, text))


def test_wrong_float_count_on_a_line(tmp_path):
    keys, vectors = sample()
    lines = text_bytes(keys, vectors).split(b"\n")
    lines[3] = lines[3].rsplit(b" ", 1)[0]  # word 3 loses a number
    message = error_for(write(tmp_path, b"\n".join(lines)))
    assert "line 4" in message and "found 3 numbers" in message
    lines = text_bytes(keys, vectors).split(b"\n")
    lines[5] += b" 1.0"
    assert "line 6" in error_for(write(tmp_path, b"\n".join(lines)))


def test_non_number_in_text(tmp_path):
    keys, vectors = sample()
    lines = text_bytes(keys, vectors).split(b"\n")
    fields = lines[2].split(b" ")
    fields[2] = b"1.2.3"
    lines[2] = b" ".join(fields)
    message = error_for(write(tmp_path, b"\n".join(lines)))
    assert "line 3" in message and "'1.2.3'" in message


@pytest.mark.parametrize("binary", [False, True])
def test_invalid_utf8_word(tmp_path, binary):
    keys, vectors = sample()
    data = (word2vec_c_bytes if binary else text_bytes)(keys, vectors)
    data = data.replace("日本".encode(), b"\xe6\x97", 1)  # cut inside a character
    path = write(tmp_path, data)
    message = error_for(path, binary=binary)
    if binary:
        offset = len(word2vec_c_bytes(keys[:2], vectors[:2]))
        assert f"byte offset {offset}" in message
    else:
        assert "line 4" in message
    assert "unicode_errors='replace'" in message
    got_keys, _ = load_word2vec_format(path, binary=binary, unicode_errors="replace")
    assert got_keys[2] == "\ufffd" and got_keys[3] == keys[3]
    got_keys, _ = load_word2vec_format(path, binary=binary, unicode_errors="ignore")
    assert got_keys[2] == ""


def test_binary_garbage(tmp_path):
    rng = np.random.default_rng(5)
    garbage = rng.integers(0, 256, size=5000, dtype=np.uint8).tobytes()
    error_for(write(tmp_path, b"100 50\n" + garbage), binary=True)
    error_for(write(tmp_path, garbage), binary=True)
    error_for(write(tmp_path, garbage), binary=False)
    no_spaces = garbage.replace(b" ", b"x") * 300
    assert "no word ending" in error_for(write(tmp_path, b"3 2\n" + no_spaces), binary=True)


@pytest.mark.parametrize("kwargs", [{}, {"limit": 2}, {"unicode_errors": "replace"}])
def test_binary_header_with_the_wrong_vector_size(tmp_path, kwargs):
    """Records of 2 floats under a header saying 1: the second 'word' starts inside a vector."""
    keys = ["abcd", "efgh", "w1", "w2"]
    vectors = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=np.float32)
    data = word2vec_c_bytes(keys, vectors).replace(b"4 2\n", b"4 1\n", 1)
    message = error_for(write(tmp_path, data), binary=True, **kwargs)
    second_word = len(b"4 1\nabcd ") + 4  # right after the one float the header allows
    assert f"byte offset {second_word}: " in message
    assert "wrong vector size or corrupt file" in message and "declares 1 floats" in message


@pytest.mark.parametrize("dim", [1, 2, 3, 4, 20])
def test_text_file_read_as_binary(tmp_path, dim):
    keys, vectors = sample(dim=dim)
    save_word2vec_format(tmp_path / "v.txt", keys, vectors)
    for limit in (None, 1):
        assert "looks like a text-format file; pass binary=False" in error_for(
            tmp_path / "v.txt", binary=True, limit=limit)


def test_tiny_text_file_read_as_binary(tmp_path):
    """A number shorter than 4 bytes cannot even fill the one float the header asks for."""
    for data in (b"1 1\na 0.5\n", b"1 1\na 0.5", b"1 2\na 1 2\n"):
        assert "pass binary=False" in error_for(write(tmp_path, data), binary=True)


def test_bad_headers(tmp_path):
    for data in (b"", b"\n", b"12\n", b"a b\n", b"3 0\n", b"-1 5\n", b"1 2 3 4\n", b"3 99999999999999\n"):
        assert "line 1" in error_for(write(tmp_path, data), binary=False)
        assert "line 1" in error_for(write(tmp_path, data), binary=True)


@pytest.mark.parametrize("vocab_size", [10**8, 10**19])
def test_compressed_binary_with_a_huge_word_count_fails_without_allocating_it(tmp_path, vocab_size):
    """A compressed file's size is unknown, so the header's count must not size the array."""
    keys, vectors = sample(n=3, dim=300)
    path = tmp_path / "v.bin.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(word2vec_c_bytes(keys, vectors).replace(b"3 300\n", f"{vocab_size} 300\n".encode(), 1))
    message = error_for(path, binary=True)
    assert f"file ends after 3 words, but the header declares {vocab_size}" in message
    got_keys, got = load_word2vec_format(path, binary=True, limit=3)
    assert got_keys == keys and np.array_equal(got, vectors)


def test_compressed_binary_grows_its_array_as_records_arrive(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "_FIRST_ALLOCATION_BYTES", 3 * 4 * 5)  # room for 3 rows of 5 floats
    keys, vectors = sample(n=50, dim=5)
    path = tmp_path / "v.bin.gz"
    save_word2vec_format(path, keys, vectors, binary=True)
    got_keys, got = load_word2vec_format(path, binary=True)
    assert got_keys == keys and np.array_equal(got, vectors) and got.flags.c_contiguous


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="no_header"):
        load_word2vec_format(tmp_path / "x", binary=True, no_header=True)
    with pytest.raises(ValueError, match="limit"):
        load_word2vec_format(tmp_path / "x", limit=-1)
    with pytest.raises(FileNotFoundError):
        load_word2vec_format(tmp_path / "missing")
    with pytest.raises(ValueError, match="no vectors"):
        load_word2vec_format(write(tmp_path, b"\n\n"), no_header=True)


@pytest.mark.parametrize("key", ["two words", "tab\there", "new\nline", ""])
def test_writer_rejects_keys_the_format_cannot_hold(tmp_path, key):
    keys, vectors = sample()
    keys[3] = key
    with pytest.raises(ValueError, match="key number 3"):
        save_word2vec_format(tmp_path / "v", keys, vectors)
    assert not (tmp_path / "v").exists()


def test_writer_rejects_mismatched_input(tmp_path):
    keys, vectors = sample()
    with pytest.raises(ValueError, match="must match"):
        save_word2vec_format(tmp_path / "v", keys[:-1], vectors)
    with pytest.raises(ValueError, match="2-d"):
        save_word2vec_format(tmp_path / "v", keys, vectors.ravel())
    with pytest.raises(TypeError, match="str"):
        save_word2vec_format(tmp_path / "v", [1, 2], vectors[:2])


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_writer_refuses_non_finite_vectors_unless_allowed(tmp_path, monkeypatch, binary, bad):
    monkeypatch.setattr(formats, "_WRITE_ROWS", 4)  # bad rows in different blocks
    keys, vectors = sample(n=30)
    vectors[13, 2] = vectors[29, 0] = bad
    with pytest.raises(ValueError, match=r"vector row 13 \('extra7'\) holds NaN or infinity \(as do 1 other "
                                         r"rows\): training diverged; .*lower alpha.*allow_non_finite=True"):
        save_word2vec_format(tmp_path / "v", keys, vectors, binary=binary)
    assert not os.listdir(tmp_path)
    save_word2vec_format(tmp_path / "v", keys, vectors, binary=binary, allow_non_finite=True)
    got_keys, got = load_word2vec_format(tmp_path / "v", binary=binary)
    assert got_keys == keys and np.array_equal(got, vectors, equal_nan=True)


def test_writer_refuses_float64_values_that_overflow_float32(tmp_path):
    keys, vectors = sample()
    vectors = vectors.astype(np.float64)
    vectors[4, 1] = 1e300  # finite here, infinite once stored as float32
    with pytest.raises(ValueError, match=r"vector row 4 \('x{40}'\)"):
        save_word2vec_format(tmp_path / "v", keys, vectors)


def test_failed_write_leaves_existing_file_untouched(tmp_path, monkeypatch):
    keys, vectors = sample(n=40)
    target = tmp_path / "v.bin"
    target.write_bytes(b"old contents")
    monkeypatch.setattr(formats, "_WRITE_ROWS", 4)
    keys[30] = "bad\ud800surrogate"  # cannot be encoded: fails after 28 rows were written
    for binary in (True, False):
        with pytest.raises(UnicodeEncodeError):
            save_word2vec_format(target, keys, vectors, binary=binary)
        assert target.read_bytes() == b"old contents"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["v.bin"]  # temp file removed


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_corrupt_compressed_file(tmp_path, suffix):
    keys, vectors = sample(n=40, dim=30)
    path = tmp_path / f"v{suffix}"
    save_word2vec_format(path, keys, vectors, binary=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "cannot decompress" in error_for(path, binary=True)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("name", ["v.gz", "v.bz2", "v.xz", "v.lzma"])
def test_plain_file_with_a_compressed_name_is_plain(tmp_path, name, binary):
    """The name never decides: only the content's magic bytes make a file compressed."""
    keys, vectors = sample()
    save_word2vec_format(tmp_path / "plain", keys, vectors, binary=binary)
    os.replace(tmp_path / "plain", tmp_path / name)
    got_keys, got = load_word2vec_format(tmp_path / name, binary=binary)
    assert got_keys == keys and np.array_equal(got, vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_a_damaged_compressed_file_named_plain_is_reported(tmp_path, binary):
    keys, vectors = sample(n=40, dim=30)
    save_word2vec_format(tmp_path / "v.xz", keys, vectors, binary=binary)
    data = (tmp_path / "v.xz").read_bytes()
    (tmp_path / "v.bin").write_bytes(data[: len(data) // 2])
    assert "cannot decompress" in error_for(tmp_path / "v.bin", binary=binary)


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="needs /dev/fd to name a pipe")
@pytest.mark.parametrize("binary", [False, True])
def test_reads_from_a_pipe(tmp_path, binary):
    """A pipe can neither seek nor be memory-mapped, and reports size 0."""
    import threading

    keys, vectors = sample()
    save_word2vec_format(tmp_path / "v", keys, vectors, binary=binary)
    data = (tmp_path / "v").read_bytes()
    read_end, write_end = os.pipe()

    def feed():
        with os.fdopen(write_end, "wb") as out:
            out.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        got_keys, got = load_word2vec_format(f"/dev/fd/{read_end}", binary=binary)
    finally:
        writer.join()
        os.close(read_end)
    assert got_keys == keys and np.array_equal(got, vectors)
