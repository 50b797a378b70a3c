"""cw2v.io.files: compression recognised by content at every entry point, and atomic writes.

Oracles: the bytes Python's own gzip, bz2 and lzma modules write, and the
plain file itself: every reader must give for a compressed file, whatever it
is called, what it gives for the plain text under a plain name; and for a
damaged compressed file, a ValueError naming the file.
"""
import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import stat
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cw2v.io.files as files
from cw2v import KeyedVectors, LineSentence, PathLineSentences, Text8Corpus, Vocabulary, Word2Vec
from cw2v.cli import main
from cw2v.io.bundle import load_bundle, save_bundle
from cw2v.io.files import (MAGIC_BYTES, atomic_write, detect_compression, file_compression, input_size,
                           open_input, require_plain_file)
from cw2v.io.word2vec_format import load_word2vec_format, save_word2vec_format
from cw2v.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

PACKERS = {
    "plain": lambda data: data,
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}
COMPRESSED = ("gzip", "bzip2", "xz")
# Every format under every suffix: no name is trusted.
NAMES = ("data", "data.txt", "data.gz", "data.bz2", "data.xz", "data.lzma")

# Plain files that begin like a magic number without the rest of it.
NEAR_MISSES = [
    b"BZh", b"BZh9", b"BZh9 is plain text\n", b"BZh91AY&S", b"BZh0" + b"1AY&SY rest",
    b"BZhx" + b"1AY&SY rest", b"BZh9" + b"1AY&SX rest", b"\x1f", b"\x1f\x8b", b"\x1f\x8b\x07 rest",
    b"\x1f\x8b plain\n", b"\xfd7zXZ", b"\xfd7zXZ\x01 rest", b"7zXZ\x00 rest",
]


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def read_all(path):
    with open_input(path) as stream:
        return stream.read()


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize("level", range(1, 10))
def test_bzip2_of_every_block_size_and_the_empty_stream(level):
    assert detect_compression(bz2.compress(b"some text", level)) == "bzip2"
    empty = bz2.compress(b"", level)  # no block: the end-of-stream magic follows the level
    assert empty[4:10] == b"\x17\x72\x45\x38\x50\x90"
    assert detect_compression(empty) == "bzip2"


@pytest.mark.parametrize("kind", COMPRESSED)
@pytest.mark.parametrize("data", [b"", b"x", b"word " * 1000])
def test_each_format_is_recognised_by_its_first_bytes(kind, data):
    packed = PACKERS[kind](data)
    assert detect_compression(packed) == kind
    assert detect_compression(packed[:MAGIC_BYTES]) == kind  # the magic alone is enough


@pytest.mark.parametrize("head", NEAR_MISSES)
def test_a_magic_number_prefix_alone_is_plain(tmp_path, head):
    assert detect_compression(head) is None
    path = write(tmp_path / "data.gz", head)
    assert read_all(path) == head
    assert file_compression(path) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), kind=st.sampled_from(sorted(PACKERS)), name=st.sampled_from(NAMES))
def test_any_bytes_come_back_whatever_the_name(tmp_path, data, kind, name):
    packed = PACKERS[kind](data)
    if kind == "plain" and (detect_compression(data) or name.endswith(".lzma")):
        return  # bytes that start with a real magic are compressed data by definition
    path = write(tmp_path / name, packed)
    assert file_compression(path) == (None if kind == "plain" else kind)
    assert read_all(path) == data


def test_empty_files(tmp_path):
    for name in NAMES:
        path = write(tmp_path / name, b"")
        assert read_all(path) == b"" and file_compression(path) is None
        assert list(LineSentence(path)) == [] and list(Text8Corpus(path)) == []


# --------------------------------------------------------------------------- legacy .lzma


LZMA_ALONE = lzma.compress(b"legacy lzma text\nsecond line\n", format=lzma.FORMAT_ALONE)


def test_legacy_lzma_needs_its_suffix_and_a_well_formed_header(tmp_path):
    assert read_all(write(tmp_path / "a.lzma", LZMA_ALONE)) == b"legacy lzma text\nsecond line\n"
    assert read_all(write(tmp_path / "a.LZMA", LZMA_ALONE)).startswith(b"legacy")
    # Without the suffix there is nothing to recognise it by: its bytes are read as they are.
    for name in ("a.txt", "a.xz", "a"):
        assert read_all(write(tmp_path / name, LZMA_ALONE)) == LZMA_ALONE
    # Text named .lzma is text: it never has the range coder's zero byte.
    text = b"]\x00\x00\x80\x00 a text that starts like an LZMA properties byte\n"
    assert read_all(write(tmp_path / "t.lzma", text)) == text
    assert read_all(write(tmp_path / "e.lzma", lzma.compress(b"", format=lzma.FORMAT_ALONE))) == b""
    assert read_all(write(tmp_path / "z.lzma", b"")) == b""


def test_legacy_lzma_damage_is_a_value_error(tmp_path):
    packed = lzma.compress(b"word " * 5000, format=lzma.FORMAT_ALONE)
    for cut in (14, len(packed) // 2, len(packed) - 1):
        path = write(tmp_path / f"cut{cut}.lzma", packed[:cut])
        with pytest.raises(ValueError, match=f"cut{cut}.lzma: cannot decompress"):
            read_all(path)


# --------------------------------------------------------------------------- damaged streams


def damaged_versions(kind):
    """(label, bytes) of a compressed stream cut short or with a byte changed after its magic."""
    whole = PACKERS[kind](b" ".join(b"w%d" % (i * 7919 % 1000) for i in range(20000)))
    middle = len(whole) // 2
    return [("magic only", whole[:MAGIC_BYTES if kind == "bzip2" else 6]),
            ("half", whole[:middle]),
            ("one byte short", whole[:-1]),
            ("changed byte", whole[:middle] + bytes([whole[middle] ^ 0x55]) + whole[middle + 1:])]


READ_STYLES = {
    "read()": lambda s: s.read(),
    "read(n)": lambda s: list(iter(lambda: s.read(1000), b"")),
    "readinto": lambda s: list(iter(lambda: s.readinto(bytearray(777)), 0)),
    "readline": lambda s: list(iter(s.readline, b"")),
    "lines": list,
}


@pytest.mark.parametrize("kind", COMPRESSED)
@pytest.mark.parametrize("style", READ_STYLES)
def test_damage_is_a_value_error_naming_the_file_however_it_is_read(tmp_path, kind, style):
    for label, data in damaged_versions(kind):
        path = write(tmp_path / f"damaged {label}.txt", data)
        with pytest.raises(ValueError, match=f"damaged {label}.txt: cannot decompress") as info:
            with open_input(path) as stream:
                READ_STYLES[style](stream)
        assert kind in str(info.value)


def test_a_real_read_error_stays_an_os_error():
    """An OSError with an errno comes from the disk, not from the data: passed on as it is."""
    class FailingDecompressor(io.BytesIO):
        def read(self, *size):
            raise OSError(5, "Input/output error")

        readinto = read

    for read in (lambda s: s.read(), lambda s: s.read(10), lambda s: s.readline()):
        stream = io.BufferedReader(files._Decompressed(FailingDecompressor(), io.BytesIO(), "gzip", "f.gz"))
        with pytest.raises(OSError) as info:
            read(stream)
        assert info.value.errno == 5 and not isinstance(info.value, ValueError)


def test_missing_file_and_directory_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.txt"):
        open_input(tmp_path / "nothere.txt")
    with pytest.raises(IsADirectoryError, match="directory, not a file.*sub"):
        open_input(write(tmp_path / "sub" / "x", b"x").parent)


def test_input_size(tmp_path):
    plain = write(tmp_path / "p.gz", b"12345")
    with open_input(plain) as stream:
        assert input_size(stream) == 5
    packed = write(tmp_path / "c.txt", gzip.compress(b"12345"))
    with open_input(packed) as stream:
        assert input_size(stream) is None


# --------------------------------------------------------------------------- pipes


@contextlib.contextmanager
def fifo_fed_with(path, data):
    """A named pipe at ``path`` that a thread fills with ``data``, a few bytes per write."""
    os.mkfifo(path)

    def feed():
        with open(path, "wb", buffering=0) as out:
            for i in range(0, len(data), 7):
                out.write(data[i:i + 7])

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield path
    finally:
        writer.join(10)
        if writer.is_alive():  # the reader never opened the pipe: open it so the writer can end
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            writer.join(10)
            os.close(fd)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("kind", sorted(PACKERS))
def test_named_pipes_are_read_and_decompressed(tmp_path, kind):
    text = b"in the beginning\nBZh9 was the word\n" * 30
    with fifo_fed_with(tmp_path / "corpus", PACKERS[kind](text)) as fifo:
        assert list(LineSentence(fifo)) == [line.split() for line in text.decode().splitlines()]
    keys, vectors = ["king", "queen"], np.array([[1, 2], [3, 4]], dtype=np.float32)
    save_word2vec_format(tmp_path / "v.bin", keys, vectors, binary=True)
    with fifo_fed_with(tmp_path / "vectors", PACKERS[kind]((tmp_path / "v.bin").read_bytes())) as fifo:
        got_keys, got = load_word2vec_format(fifo, binary=True)
    assert got_keys == keys and np.array_equal(got, vectors)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_file_mode_refuses_a_pipe_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="not a regular file.*LineSentence"):
        require_plain_file(tmp_path / "pipe")


# --------------------------------------------------------------------------- file mode


@pytest.mark.parametrize("kind", COMPRESSED)
@pytest.mark.parametrize("name", NAMES)
def test_file_mode_refuses_compressed_input_whatever_its_name(tmp_path, kind, name):
    path = write(tmp_path / name, PACKERS[kind](b"a b c\n"))
    with pytest.raises(ValueError, match=f"{kind}-compressed.*Decompress it.*LineSentence"):
        require_plain_file(path)


@pytest.mark.parametrize("head", NEAR_MISSES)
def test_file_mode_accepts_plain_text_that_starts_like_a_magic_number(tmp_path, head):
    path = write(tmp_path / "c.gz", head + b" more words\n")
    assert require_plain_file(path) == str(path)


def test_file_mode_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus_file.*nope.txt"):
        require_plain_file(tmp_path / "nope.txt")
    with pytest.raises(IsADirectoryError, match="directory"):
        require_plain_file(tmp_path)


@pytest.mark.parametrize("head", [b"BZh9", b"BZh91AY&S"])
def test_corpus_file_reads_plain_text_that_starts_like_a_magic_number(tmp_path, head):
    path = write(tmp_path / "c.txt", (head + b" a b\n") * 20)
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab(corpus_file=str(path))
    assert head.decode() in model.wv


# --------------------------------------------------------------------------- every entry point

KEYS = ["man", "woman", "king", "queen", "apple", "pear"]
VECTORS = np.random.default_rng(0).standard_normal((len(KEYS), 5)).astype(np.float32)


def vector_file_bytes(tmp_path, **kwargs):
    path = tmp_path / "vectors.tmp"
    save_word2vec_format(path, KEYS, VECTORS, **kwargs)
    data = path.read_bytes()
    path.unlink()
    return data


def contents(tmp_path):
    """What each kind of file holds, in plain bytes."""
    corpus = "".join(" ".join(KEYS[i % 6] for i in range(n, n + 9)) + "\n" for n in range(40)).encode()
    return {
        "corpus": corpus,
        "vocab": b"</s> 40\nking 30\nqueen 20\nman 10\n",
        "text vectors": vector_file_bytes(tmp_path),
        "binary vectors": vector_file_bytes(tmp_path, binary=True),
        "glove vectors": vector_file_bytes(tmp_path, write_header=False),
        "analogies": b": family\nman woman king queen\nking queen man woman\n: fruit\napple pear man woman\n",
        "pairs": b"# w1\tw2\tscore\nman\twoman\t8.5\nking\tqueen\t9\napple\tman\t1.5\npear\tking\t2\n",
    }


class CliFailed(ValueError):
    """A cw2v command that exited with a nonzero status (the message is its stderr)."""


def cli(capsys, *argv):
    """stdout of ``cw2v ARGV``, run in-process; CliFailed if it fails."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    if status != 0:
        raise CliFailed(err)
    return out


def cli_train_vocab(path, ctx):
    saved = ctx.tmp_path / "saved.vocab"
    cli(ctx.capsys, "train", "-train", path, "-save-vocab", saved, "-min-count", 1, "-debug", 0)
    return saved.read_text()


def cli_read_vocab(path, ctx):
    saved = ctx.tmp_path / "saved.vocab"
    cli(ctx.capsys, "train", "-train", ctx.plain_corpus, "-read-vocab", path, "-save-vocab", saved,
        "-min-count", 1, "-debug", 0)
    return saved.read_text()


def vocab_summary(vocab):
    return vocab.index_to_key, vocab.counts.tolist(), vocab.raw_word_count, vocab.corpus_count


# entry point -> (the kind of file it reads, how to read one into something comparable)
ENTRY_POINTS = {
    "LineSentence": ("corpus", lambda path, ctx: list(LineSentence(path))),
    "Text8Corpus": ("corpus", lambda path, ctx: list(Text8Corpus(path, max_sentence_length=7))),
    "PathLineSentences": ("corpus", lambda path, ctx: list(PathLineSentences(path.parent))),
    "Vocabulary.scan": ("corpus", lambda path, ctx: vocab_summary(Vocabulary.scan(LineSentence(path),
                                                                                  min_count=1))),
    "load_word2vec_vocab": ("vocab", lambda path, ctx: vocab_summary(
        Vocabulary.load_word2vec_vocab(path, min_count=1))),
    "text vectors": ("text vectors", lambda path, ctx: load_word2vec_format(path)),
    "binary vectors": ("binary vectors", lambda path, ctx: load_word2vec_format(path, binary=True)),
    "glove vectors": ("glove vectors", lambda path, ctx: load_word2vec_format(path, no_header=True)),
    "evaluate_word_analogies": ("analogies", lambda path, ctx: evaluate_word_analogies(ctx.kv, path)),
    "evaluate_word_pairs": ("pairs", lambda path, ctx: tuple(map(tuple, evaluate_word_pairs(ctx.kv, path)[:2]))),
    "cli similar (binary)": ("binary vectors", lambda path, ctx: cli(ctx.capsys, "similar", path, "king")),
    "cli similar (glove)": ("glove vectors", lambda path, ctx: cli(ctx.capsys, "similar", path, "king")),
    "cli evaluate": ("analogies", lambda path, ctx: cli(ctx.capsys, "evaluate", ctx.plain_vectors,
                                                        "--analogies", path)),
    "cli train -train": ("corpus", cli_train_vocab),
    "cli train -read-vocab": ("vocab", cli_read_vocab),
}


class Context:
    def __init__(self, tmp_path, capsys):
        self.tmp_path, self.capsys = tmp_path, capsys
        self.kv = KeyedVectors.from_arrays(KEYS, VECTORS)
        self.contents = contents(tmp_path)
        self.plain_vectors = write(tmp_path / "plain" / "vectors.bin", self.contents["binary vectors"])
        self.plain_corpus = write(tmp_path / "plain" / "corpus.txt", self.contents["corpus"])


@pytest.fixture
def ctx(tmp_path, capsys):
    return Context(tmp_path, capsys)


def outcome(entry, path, ctx):
    """What reading ``path`` through ``entry`` gives: ("ok", its result) or ("error", the error's type)."""
    try:
        result = ENTRY_POINTS[entry][1](path, ctx)
    except (ValueError, OSError) as err:
        return "error", type(err).__name__
    return "ok", repr(result)


def case_path(ctx, kind, name):
    """A file alone in its own folder (PathLineSentences reads the whole folder)."""
    return ctx.tmp_path / kind / name.replace(".", "_") / name


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("empty", [False, True], ids=["content", "empty"])
def test_every_entry_point_reads_by_content_not_by_name(ctx, entry, empty):
    what = ENTRY_POINTS[entry][0]
    data = b"" if empty else ctx.contents[what]
    expected = outcome(entry, write(case_path(ctx, "reference", "plain"), data), ctx)
    if not empty:
        assert expected[0] == "ok", expected  # the plain file itself is read
    for kind, pack in PACKERS.items():
        for name in NAMES:
            path = write(case_path(ctx, kind, name), pack(data))
            assert outcome(entry, path, ctx) == expected, (kind, name)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("kind", COMPRESSED)
def test_every_entry_point_reports_damage_naming_the_file(ctx, entry, kind):
    whole = PACKERS[kind](ctx.contents[ENTRY_POINTS[entry][0]])
    path = write(case_path(ctx, "damaged", "data.txt"), whole[:len(whole) // 2])
    with pytest.raises(ValueError, match=f"{path}: cannot decompress"):
        ENTRY_POINTS[entry][1](path, ctx)


# Readers of text whose first word may be anything.
TEXT_ENTRY_POINTS = {
    "LineSentence": lambda path: list(LineSentence(path)),
    "Text8Corpus": lambda path: list(Text8Corpus(path)),
    "PathLineSentences": lambda path: list(PathLineSentences(path.parent)),
    "Vocabulary.scan": lambda path: Vocabulary.scan(LineSentence(path), min_count=1).index_to_key,
    "load_word2vec_vocab": lambda path: Vocabulary.load_word2vec_vocab(
        path, min_count=1, unicode_errors="replace").index_to_key,
    "glove vectors": lambda path: load_word2vec_format(path, no_header=True, unicode_errors="replace")[0],
    "evaluate_word_pairs": lambda path: evaluate_word_pairs(
        KeyedVectors.from_arrays(KEYS, VECTORS), path, dummy4unknown=True)[2],
}


@pytest.mark.parametrize("entry", TEXT_ENTRY_POINTS)
@pytest.mark.parametrize("head", [b"BZh9", b"BZh91AY&S", b"\x1f\x8b", b"\x1f\x8b\x07", b"\xfd7zXZ"])
def test_text_that_starts_like_a_magic_number_is_text(tmp_path, entry, head):
    body = {"glove vectors": b" 1.5 2.5\n", "load_word2vec_vocab": b" 7\n",
            "evaluate_word_pairs": b"\tking\t1\nman\twoman\t2\nking\tqueen\t3\n"}.get(entry, b" more words\n")
    lines = (head + body) + b"".join(bytes([65 + i]) + body for i in range(3))
    path = write(tmp_path / "dir" / "data.txt.gz", lines)
    if entry == "evaluate_word_pairs":
        try:
            head.decode()
        except UnicodeDecodeError:  # evaluation files must be UTF-8: an error about text, not compression
            with pytest.raises(ValueError, match="line 1: not valid UTF-8"):
                TEXT_ENTRY_POINTS[entry](path)
            return
        # Every line is a pair; those of the first words (the magic-like one, A, B, C) are unknown.
        assert TEXT_ENTRY_POINTS[entry](path) == pytest.approx(100 * 4 / 12)
        return
    got = TEXT_ENTRY_POINTS[entry](path)
    words = [w for item in got for w in ([item] if isinstance(item, str) else item)]
    # U+FFFD stands for the bytes that are not UTF-8; whatever the whitespace
    # rule makes of "\x1f", the rest of the first word is there.
    assert any(head.decode("utf-8", "replace").lstrip("\x1f") in word for word in words), words


@pytest.mark.parametrize("head", [b"BZh9", b"BZh91AY&S"])
@pytest.mark.parametrize("name", ["corpus.txt", "corpus.bz2"])
def test_cli_trains_on_plain_text_that_starts_like_a_magic_number(tmp_path, capsys, head, name):
    path = write(tmp_path / name, (head + b" a b\n") * 20)
    cli(capsys, "train", "-train", path, "-save-vocab", tmp_path / "v", "-min-count", 1, "-debug", 0)
    assert (tmp_path / "v").read_text().splitlines()[1:] == [f"{head.decode()} 20", "a 20", "b 20"]


# --------------------------------------------------------------------------- atomic writes


def leftovers(directory, *expected):
    return sorted(p.name for p in directory.iterdir()) == sorted(expected)


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz", ".lzma", ".GZ"])
def test_atomic_write_round_trip_compressed_as_the_suffix_says(tmp_path, suffix):
    path = tmp_path / f"out.txt{suffix}"
    data = b"some words\n" * 1000
    with atomic_write(path) as out:
        out.write(data)
    expected = {"": None, ".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".lzma": "lzma", ".GZ": "gzip"}[suffix]
    assert file_compression(path) == expected
    assert read_all(path) == data
    assert leftovers(tmp_path, path.name)


def test_gzip_output_is_reproducible(tmp_path):
    outputs = []
    for name in ("a.gz", "b.gz"):
        with atomic_write(tmp_path / name) as out:
            out.write(b"same words\n")
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0][4:8] == b"\x00\x00\x00\x00"  # gzip's mtime field


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_a_write_failing_midway_leaves_the_target_intact(tmp_path, suffix):
    path = write(tmp_path / f"v{suffix}", b"old contents")
    with pytest.raises(RuntimeError, match="midway"):
        with atomic_write(path) as out:
            out.write(b"new contents\n" * 10000)
            out.flush()
            assert len(list(tmp_path.iterdir())) == 2  # the temporary file beside the target
            raise RuntimeError("failed midway")
    assert path.read_bytes() == b"old contents"
    assert leftovers(tmp_path, path.name)


def test_a_failed_rename_leaves_the_target_intact(tmp_path, monkeypatch):
    path = write(tmp_path / "v.txt", b"old contents")

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", no_rename)
    with pytest.raises(OSError, match="No space"):
        with atomic_write(path) as out:
            out.write(b"new")
    assert path.read_bytes() == b"old contents" and leftovers(tmp_path, "v.txt")


@contextlib.contextmanager
def umask_set_to(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def write_with_every_writer(directory):
    """Write one file or bundle with each of cw2v's writers; returns what was written."""
    with atomic_write(directory / "plain.txt") as out:
        out.write(b"x")
    save_word2vec_format(directory / "v.bin", KEYS, VECTORS, binary=True)
    save_word2vec_format(directory / "v.txt.gz", KEYS, VECTORS)
    Vocabulary(KEYS, [6, 5, 4, 3, 2, 1]).save_word2vec_vocab(directory / "vocab.txt")
    save_bundle(directory / "bundle", {"kind": "test"}, {"a": np.arange(3)})
    KeyedVectors.from_arrays(KEYS, VECTORS).save(directory / "kv")
    model = Word2Vec([KEYS] * 5, vector_size=4, min_count=1, epochs=1, workers=1)
    model.save(directory / "model")
    return sorted(os.listdir(directory))


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_files_get_the_permissions_the_umask_gives(tmp_path, mask):
    with umask_set_to(mask):
        write_with_every_writer(tmp_path)
    for root, dirs, names in os.walk(tmp_path):
        for name in names:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o666 & ~mask, name
        for name in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o777 & ~mask, name


def test_rewriting_a_file_keeps_its_permissions(tmp_path):
    path = write(tmp_path / "v.txt", b"old")
    os.chmod(path, 0o600)
    save_word2vec_format(path, KEYS, VECTORS)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_word2vec_format(path)[0] == KEYS


def test_no_writer_reads_or_changes_the_umask(tmp_path, monkeypatch):
    """os.umask is process-wide: changing it, even for an instant, races with other threads."""
    def forbidden(*args):
        raise AssertionError("os.umask was called")

    monkeypatch.setattr(os, "umask", forbidden)
    written = write_with_every_writer(tmp_path)
    assert written == ["bundle", "kv", "model", "plain.txt", "v.bin", "v.txt.gz", "vocab.txt"]


@pytest.fixture
def sync_log(monkeypatch):
    """Record, in order, every fsync (of a file or a folder, by path) and every rename."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to name a descriptor")
    log = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        log.append(("fsync dir" if os.path.isdir(target) else "fsync file", target))
        return real_fsync(fd)

    def replace(src, dst):
        log.append(("rename", os.fspath(src), os.fspath(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return log


def test_atomic_write_syncs_the_file_renames_then_syncs_the_folder(tmp_path, sync_log):
    path = tmp_path / "v.txt"
    save_word2vec_format(path, KEYS, VECTORS)
    (_, tmp), (_, src, dst), last = sync_log
    assert src == tmp and dst == str(path) and os.path.dirname(tmp) == str(tmp_path)
    assert last == ("fsync dir", str(tmp_path))


@pytest.mark.parametrize("replacing", [False, True])
def test_bundle_syncs_every_file_and_both_folders(tmp_path, sync_log, replacing):
    if replacing:
        save_bundle(tmp_path / "b", {"kind": "test"}, {"old": np.arange(2)})
        sync_log.clear()
    save_bundle(tmp_path / "b", {"kind": "test"}, {"a": np.arange(3), "c": np.ones(2)})
    synced_files = [os.path.basename(entry[1]) for entry in sync_log if entry[0] == "fsync file"]
    assert sorted(synced_files) == ["a.npy", "c.npy", "meta.json"]
    tmp_dir = os.path.dirname([entry[1] for entry in sync_log if entry[0] == "fsync file"][0])
    renames = [entry for entry in sync_log if entry[0] == "rename"]
    into_place = renames.index(next(r for r in renames if r[1] == tmp_dir))
    assert sync_log.index(("fsync dir", tmp_dir)) < sync_log.index(renames[into_place])
    assert sync_log[-1] == ("fsync dir", str(tmp_path))
    assert json.loads((tmp_path / "b" / "meta.json").read_text())["arrays"].keys() == {"a", "c"}
    assert load_bundle(tmp_path / "b")[1]["a"].tolist() == [0, 1, 2]
    assert leftovers(tmp_path, "b")
