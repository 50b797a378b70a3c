"""The C text reader of file mode (cw2v._kernels.textfile) against Python oracles.

The oracles: ``bytes.split()`` splits on exactly the six ASCII whitespace
bytes the reader uses, so the words of a file, of one of its lines, or of a
byte range (words whose first byte lies in it) are easy to state in Python.
Counting a file goes through cw2v.vocab.counts.Counts.add_file.
"""
import collections
import gzip
import random
import re
import threading
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v._kernels.textfile import WordHash, range_stats, read_range, split_ranges, word_key
from cw2v.vocab.counts import Counts

# The installed package's copy: the suite also runs against a wheel, away from the sources.
KJV = Path(str(resources.files("cw2v").joinpath("data", "kjv.txt.gz")))
WORD_RE = re.compile(rb"[^ \t\n\v\f\r]+")


# ---- oracles -----------------------------------------------------------------

def ref_range_sentences(data, start, end, vocab, max_len):
    """Sentences of [start, end) as lists of ids, and the raw word count.

    A word belongs to the range holding its first byte; words are grouped by
    line; a group of more than max_len words (in the vocabulary or not) is
    cut after every max_len words; out-of-vocabulary words are then dropped.
    vocab maps word keys (ill-formed UTF-8 replaced) to ids.
    """
    groups = collections.defaultdict(list)
    raw = 0
    for m in WORD_RE.finditer(data):
        if start <= m.start() < end:
            groups[data.count(b"\n", 0, m.start())].append(m.group())
            raw += 1
    sentences = []
    for line in sorted(groups):
        words = groups[line]
        for piece in range(0, len(words), max_len):
            keys = [word_key(w) for w in words[piece:piece + max_len]]
            sentences.append([vocab[k] for k in keys if k in vocab])
    return sentences, raw


def as_lists(sentences):
    assert all(s.dtype == np.int32 and s.ndim == 1 for s in sentences)
    return [s.tolist() for s in sentences]


def make_vocab(words):
    """(WordHash, dict word key -> id) with ids in order of first appearance;
    words that decode alike (ill-formed bytes replaced) are one word."""
    ids = {}
    for w in words:
        ids.setdefault(word_key(w), len(ids))
    return WordHash(list(ids)), ids


def check_range(path, data, start, end, table, ids, max_len, buffer_size):
    got, raw = read_range(path, start, end, table, max_len, buffer_size=buffer_size)
    want, want_raw = ref_range_sentences(data, start, len(data) if end is None else end,
                                         ids, max_len)
    assert as_lists(got) == want, (data, start, end, buffer_size)
    assert raw == want_raw
    assert range_stats(path, start, end, table, max_len) == (len(want), len(sum(want, [])), raw)
    return got, raw


def check_every_split(path, data, table, ids, max_len=10000, buffer_sizes=(1, 3, 1 << 20)):
    """Two ranges [0, k), [k, size) for every k: each matches the oracle, and
    together they read every word exactly once."""
    all_ids = [ids[word_key(w)] for w in data.split() if word_key(w) in ids]
    for buffer_size in buffer_sizes:
        for k in range(len(data) + 1):
            left, raw_left = check_range(path, data, 0, k, table, ids, max_len, buffer_size)
            right, raw_right = check_range(path, data, k, None if k % 2 else len(data),
                                           table, ids, max_len, buffer_size)
            assert raw_left + raw_right == len(data.split())
            assert sum(as_lists(left + right), []) == all_ids


# ---- WordHash ----------------------------------------------------------------

def test_wordhash_matches_dict_on_many_random_keys():
    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyzéüß世界😀"
    keys = set()
    while len(keys) < 30000:
        keys.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25))))
    keys = sorted(keys)
    rng.shuffle(keys)
    table = WordHash(keys)
    assert len(table) == len(keys)
    for i, k in enumerate(keys):
        assert table.find(k) == i
        assert table.find(k.encode("utf-8")) == i
    present = set(keys)
    absent = 0
    while absent < 30000:
        k = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 26)))
        if k not in present:
            assert table.find(k) == -1
            absent += 1
    # Prefixes and extensions of keys share most bytes but are other words.
    for k in keys[:2000]:
        for other in (k[:-1], k + "a", k + " "):
            assert table.find(other) == (keys.index(other) if other in present else -1)


def test_wordhash_words_of_every_length_and_zero_bytes():
    # Words up to 8 bytes are stored packed in their slot, longer ones in an
    # arena, and lengths >= 255 share one length code: cross all three.
    words = [b"x" * n for n in range(300)] + [b"\0" * n for n in range(1, 20)]
    words += [b"a" + b"\0" * n for n in range(12)] + [b"\0" * n + b"a" for n in range(1, 12)]
    words += [bytes([i, j, k]) for i in (0, 97, 255) for j in (0, 97) for k in (0, 98, 255)]
    words += [b"x" * 100000, b"y" * 100000, b"x" * 99999 + b"y"]
    words = list(dict.fromkeys(words))
    table = WordHash(words)
    for i, w in enumerate(words):
        assert table.find(w) == i
    for absent in (b"x" * 300, b"x" * 99999, b"x" * 100001, b"\0" * 20, b"\0b", b"b"):
        assert table.find(absent) == -1


def test_wordhash_rejects_duplicates_and_bad_types():
    with pytest.raises(ValueError, match="duplicate word 'b' at positions 1 and 3"):
        WordHash(["a", "b", "c", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        WordHash(["é", "é".encode("utf-8")])  # same UTF-8 bytes
    with pytest.raises(TypeError, match="str or bytes"):
        WordHash(["a", 3])
    with pytest.raises(TypeError):
        WordHash(["a"]).find(None)


# ---- reading ranges: exactly once ----------------------------------------------

EDGE_CASES = [
    b"",
    b" \t\n\v\f\r \n\n",                              # only whitespace
    b"single",                                        # no newline at all
    b"alpha beta\ngamma",                             # no trailing newline
    b"alpha beta\r\ngamma delta\r\n\r\nepsilon\r\n",  # CRLF, empty CRLF line
    b"\n\n a \n\n\n b c \n\n",                        # empty lines
    "héllo wörld\n世界 😀x é\n".encode("utf-8"),       # multi-byte at every cut
    b"a\xffb \xfe\xff\n\xc3 z",                       # invalid UTF-8 passes as bytes
    b"short " + b"L" * 41 + b" mid\n" + b"M" * 17,    # words longer than buffers
]


@pytest.mark.parametrize("data", EDGE_CASES)
def test_every_split_point_reads_each_word_once(tmp_path, data):
    path = tmp_path / "corpus.txt"
    path.write_bytes(data)
    # A vocabulary of every other distinct word: OOV words are dropped too.
    words = list(dict.fromkeys(data.split()))
    table, ids = make_vocab(words[::2])
    check_every_split(str(path), data, table, ids, max_len=2)
    table, ids = make_vocab(words)
    check_every_split(path, data, table, ids)


_PIECES = [b"a", b"b", b"cd", b"xyz", "é".encode(), "世".encode(), "😀".encode(),
           b"\xff", b" ", b"  ", b"\t", b"\n", b"\r\n", b"\v", b"\f", b"\r", b"\n\n"]


@settings(max_examples=60, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=40),
       keep=st.integers(0, 3), max_len=st.integers(1, 4), buffer_size=st.integers(1, 9))
def test_random_files_every_split_point(tmp_path_factory, pieces, keep, max_len, buffer_size):
    data = b"".join(pieces)
    path = tmp_path_factory.mktemp("h") / "corpus.txt"
    path.write_bytes(data)
    words = list(dict.fromkeys(data.split()))
    table, ids = make_vocab([w for i, w in enumerate(words) if (i + keep) % 4 != 0])
    check_every_split(str(path), data, table, ids, max_len, buffer_sizes=(buffer_size,))


def test_three_ranges_every_pair_of_cuts(tmp_path):
    data = "ab  cd\néf\r\n\n世界 g\th 😀😀 ij".encode("utf-8")
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    table, ids = make_vocab(data.split())
    everything = [ids[w] for w in data.split()]
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            got = []
            for start, end in ((0, i), (i, j), (j, len(data))):
                got += sum(as_lists(check_range(str(path), data, start, end, table, ids,
                                                3, 2)[0]), [])
            assert got == everything


def test_range_past_end_of_file_is_empty(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"one two\n")
    table, _ = make_vocab([b"one", b"two"])
    assert read_range(path, 8, None, table) == ([], 0)
    assert read_range(path, 100, 200, table) == ([], 0)
    assert read_range(path, 3, 3, table) == ([], 0)


# ---- sentences ---------------------------------------------------------------

def test_long_line_is_cut_into_chunks_and_nothing_is_lost(tmp_path):
    words = [f"w{i % 1000}".encode() for i in range(25000)]
    path = tmp_path / "long.txt"
    path.write_bytes(b" ".join(words) + b"\nshort line\n")
    table, ids = make_vocab(words + [b"short", b"line"])
    sentences, raw = read_range(path, 0, None, table)
    assert [len(s) for s in sentences] == [10000, 10000, 5000, 2]
    assert np.concatenate(sentences[:3]).tolist() == [ids[w] for w in words]
    assert raw == 25002


def test_long_lines_are_cut_by_words_in_or_out_of_vocabulary(tmp_path):
    # Where a sentence ends never depends on the vocabulary; a line of
    # exactly 2 * max_len words followed by whitespace gives two sentences.
    path = tmp_path / "c.txt"
    path.write_bytes(b"a oov1 b c d oov2  \t\na b c d \n")
    table, _ = make_vocab([b"a", b"b", b"c", b"d"])
    sentences, raw = read_range(path, 0, None, table, max_sentence_length=2)
    assert as_lists(sentences) == [[0], [1, 2], [3], [0, 1], [2, 3]]
    assert raw == 10


def test_ill_formed_utf8_is_looked_up_as_its_replacement(tmp_path):
    # LineSentence decodes with errors="replace": file mode finds the same words.
    path = tmp_path / "c.txt"
    path.write_bytes(b"caf\xe9 caf\xe8 \xff\xfe ok\n")
    table = WordHash(["caf\ufffd", "\ufffd\ufffd", "ok"])
    sentences, raw = read_range(path, 0, None, table)
    assert as_lists(sentences) == [[0, 0, 1, 2]] and raw == 4


def test_oov_words_are_dropped_but_counted(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"the cat sat\nzzz qqq\n\n\nthe end zzz\n")
    table, _ = make_vocab([b"the", b"cat", b"end"])
    sentences, raw = read_range(path, 0, None, table)
    # The all-OOV line gives an empty sentence; empty lines give none.
    assert as_lists(sentences) == [[0, 1], [], [0, 2]]
    assert raw == 8


def test_rewind_reads_the_range_again(tmp_path):
    data = b"x y\nz " + b"w" * 30 + b"\ny x"
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    table, _ = make_vocab(data.split())
    for start, end in ((0, None), (1, 9), (5, len(data)), (7, 40), (len(data), None)):
        once, raw = read_range(path, start, end, table, buffer_size=4)
        thrice, raw3 = read_range(path, start, end, table, buffer_size=4, passes=3)
        assert as_lists(thrice) == as_lists(once) * 3
        assert raw3 == 3 * raw


def test_kjv_in_two_ranges_matches_whole_file(tmp_path):
    data = gzip.decompress(KJV.read_bytes())
    path = tmp_path / "kjv.txt"
    path.write_bytes(data)
    counts = collections.Counter(data.split())
    words = [w for w, c in counts.items() if c >= 5]
    table, ids = make_vocab(words)
    want = [[ids[w] for w in line.split() if w in ids] for line in data.split(b"\n") if line.split()]
    whole, raw = read_range(path, 0, None, table)
    assert as_lists(whole) == want
    assert raw == sum(counts.values())
    assert range_stats(path, 0, None, table) == (len(want), sum(map(len, want)), raw)
    # Two threads share the table, each on its own range.
    results = [None, None]
    ranges = split_ranges(path, 2)

    def work(i):
        results[i] = read_range(path, *ranges[i], table)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert as_lists(results[0][0] + results[1][0]) == want  # cut at a line start
    assert results[0][1] + results[1][1] == raw


# ---- split_ranges --------------------------------------------------------------

def test_split_ranges_cuts_after_newlines(tmp_path):
    lines = [b" ".join([b"word"] * (i % 7 + 1)) for i in range(300)]
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    table, _ = make_vocab([b"word"])
    for n in (1, 2, 3, 8):
        ranges = split_ranges(path, n)
        assert len(ranges) == n
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert all(s <= e for s, e in ranges)
        sizes = [e - s for s, e in ranges]
        assert max(sizes) - min(sizes) <= 2 * max(len(x) for x in lines) + 2
        for s, _ in ranges[1:]:
            assert data[s - 1:s] == b"\n"
        # No line is split between ranges, so sentences are whole.
        got = sum((read_range(path, s, e, table)[0] for s, e in ranges), [])
        assert [len(x) for x in got] == [len(x.split()) for x in lines]


def test_split_ranges_without_newlines_and_tiny_files(tmp_path):
    path = tmp_path / "c.txt"
    data = b"ab cde fgh ijklm no p"
    path.write_bytes(data)
    ranges = split_ranges(path, 4)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for s, _ in ranges[1:]:
        assert s == len(data) or data[s - 1:s] == b" "
    path.write_bytes(b"ab")
    ranges = split_ranges(path, 5)
    assert len(ranges) == 5 and ranges[-1][1] == 2
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    with pytest.raises(ValueError, match="n must be"):
        split_ranges(path, 0)
    with pytest.raises(ValueError, match="n must be"):
        split_ranges(path, 2.0)


# ---- errors -----------------------------------------------------------------

def test_missing_file_raises_naming_the_path(tmp_path):
    missing = tmp_path / "no such dir" / "missing.txt"
    table = WordHash(["a"])
    for call in (lambda: read_range(missing, 0, None, table),
                 lambda: split_ranges(missing, 2),
                 lambda: Counts().add_file(missing)):
        with pytest.raises(FileNotFoundError) as info:
            call()
        assert info.value.filename == str(missing)
        assert str(missing) in str(info.value)


def test_directory_is_a_clean_error(tmp_path):
    with pytest.raises(OSError) as info:
        Counts().add_file(tmp_path)
    assert str(tmp_path) in str(info.value)
    with pytest.raises(OSError):
        read_range(tmp_path, 0, None, WordHash(["a"]))


def test_bad_arguments(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a b")
    table = WordHash(["a"])
    with pytest.raises(ValueError, match="start"):
        read_range(path, -1, None, table)
    with pytest.raises(ValueError, match="end"):
        read_range(path, 2, 1, table)
    with pytest.raises(ValueError, match="max_sentence_length"):
        read_range(path, 0, None, table, 0)
    with pytest.raises(TypeError):
        read_range(path, 0, None, None)
    with pytest.raises(TypeError, match="path"):
        read_range(3.5, 0, None, table)
    with pytest.raises(ValueError, match="max_sentence_length"):
        Counts().add_file(path, max_sentence_length=0)


# ---- counting -----------------------------------------------------------------

def ref_count(data, max_vocab_size=None, max_len=10000):
    """Counter reference: the words decoded as LineSentence decodes them,
    word2vec.c's rising floor applied after each sentence."""
    counts, floor, rounds, sentences = {}, 1, 0, 0
    for line in data.split(b"\n"):
        words = [w.decode("utf-8", "replace") for w in line.split()]
        for piece in range(0, len(words), max_len):
            for w in words[piece:piece + max_len]:
                counts[w] = counts.get(w, 0) + 1
            sentences += 1
            if max_vocab_size and len(counts) > max_vocab_size:
                counts = {k: c for k, c in counts.items() if c > floor}
                floor += 1
                rounds += 1
    return counts, len(data.split()), sentences, rounds, floor


def scanned(path, max_vocab_size=None, max_len=10000):
    counts = Counts(max_vocab_size).add_file(path, max_sentence_length=max_len)
    return (counts.to_dict(), counts.raw_words, counts.n_sentences, counts.prune_rounds,
            counts.prune_floor)


def test_count_file_matches_counter_on_kjv(tmp_path):
    data = gzip.decompress(KJV.read_bytes())
    path = tmp_path / "kjv.txt"
    path.write_bytes(data)
    counts, raw, n_sentences, _, _ = scanned(path)
    assert counts == collections.Counter(data.decode().split())
    assert raw == len(data.split())
    assert n_sentences == 31102 == len(data.splitlines())


def test_count_file_merges_words_that_decode_alike(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a\xff a\xfe a\xff\n\n b\r\n")
    counts, raw, n_sentences, _, _ = scanned(str(path))
    assert counts == {"a\ufffd": 3, "b": 1}
    assert (raw, n_sentences) == (4, 2)


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.sampled_from([b"a", b"b", b"c", b"dd", b"e\xff", b"e\xfe", "é".encode(),
                                       b"f", b"g", b"h", b"ii", b"j", b"long" * 5,
                                       b"x" * 300, b"eight888", b"nine99999"]), max_size=120),
       seps=st.lists(st.sampled_from([b" ", b"\n", b"\t", b"\r\n", b"  \n"]), min_size=1),
       max_vocab_size=st.one_of(st.none(), st.integers(1, 8)), max_len=st.integers(1, 5))
def test_count_and_prune_match_reference(tmp_path_factory, words, seps, max_vocab_size, max_len):
    data = b"".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    path = tmp_path_factory.mktemp("c") / "c.txt"
    path.write_bytes(data)
    assert scanned(path, max_vocab_size, max_len) == ref_count(data, max_vocab_size, max_len)


def test_pruning_keeps_the_scan_bounded(tmp_path):
    rng = random.Random(1)
    # Zipf-like: a few frequent words, many rare ones, 20 to a line.
    words = [f"w{int(rng.paretovariate(1.0))}".encode() for _ in range(50000)]
    data = b"\n".join(b" ".join(words[i:i + 20]) for i in range(0, len(words), 20))
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    got = scanned(path, max_vocab_size=100)
    assert got == ref_count(data, 100) and got[3] > 0
    assert len(got[0]) < len(set(words))
    # The frequent words survive with their exact counts.
    exact = collections.Counter(w.decode() for w in words)
    for w, c in exact.most_common(5):
        assert got[0][w] == c
