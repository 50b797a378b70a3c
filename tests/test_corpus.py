"""Tests of cw2v.io.corpus: file readers, corpus checks and id batches.

Oracles: the readers are compared with the obvious whole-file reference
(split lines, split tokens on ASCII whitespace with ``bytes.split()``,
decode each, cut into sentences), also with tiny read blocks so every
block-boundary case is exercised; id batches are compared with a slow
reference that applies the documented rules literally.
"""
import bz2
from collections import Counter
import gzip
import importlib.resources
import itertools
import lzma
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cw2v.io.corpus as corpus_mod
from cw2v.io.corpus import (
    CorpusDecodeError,
    IdBatch,
    LineSentence,
    PathLineSentences,
    Text8Corpus,
    check_corpus,
    iter_checked,
    iter_id_batches,
)
from cw2v.vocab.counts import Counts

KJV = importlib.resources.files("cw2v") / "data" / "kjv.txt.gz"


# ----------------------------------------------------------------- references
def chunks(tokens, size):
    return [tokens[i: i + size] for i in range(0, len(tokens), size)]


def words_of(text: bytes, errors: str = "replace"):
    """The rule: ASCII whitespace splits, each word decoded on its own (one
    that decodes to nothing, with errors='ignore', is no word)."""
    return [w for w in (w.decode("utf-8", errors) for w in text.split()) if w]


def reference_lines(data: bytes, max_len: int, errors: str = "replace", limit=None):
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines = lines[:-1]
    if limit is not None:
        lines = lines[:limit]
    out = []
    for line in lines:
        out.extend(chunks(words_of(line, errors), max_len))
    return out


def reference_text8(data: bytes, max_len: int, errors: str = "replace", limit=None):
    tokens = words_of(data, errors)
    if limit is not None:
        tokens = tokens[:limit]
    return chunks(tokens, max_len)


def write(path: Path, data: bytes) -> Path:
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "wb") as f:
        f.write(data)
    return path


# Text pieces chosen to stress the reader: every ASCII whitespace kind, CRLF,
# multi-byte UTF-8 (2, 3 and 4 bytes), Unicode whitespace (NBSP, U+2003: part
# of words), invalid bytes and truncated multi-byte sequences.
PIECES = [b"a", b"bc", b"word", b" ", b"  ", b"\t", b"\n", b"\r\n", b"\x0b", b"\x0c",
          "é".encode(), "日本".encode(), "😀".encode(), "\u00a0".encode(), "\u2003".encode(),
          b"\xff", b"\xe6\x97", b"\x80"]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Make the readers use very small blocks so tokens straddle block boundaries."""
    def set_size(n):
        monkeypatch.setattr(corpus_mod, "_BLOCK_BYTES", n)
    return set_size


# ------------------------------------------------------------------ LineSentence
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=texts, block=st.integers(1, 9), max_len=st.integers(1, 4),
       errors=st.sampled_from(["replace", "ignore", "backslashreplace"]))
def test_line_sentence_matches_whole_file_reference(tmp_path, tiny_blocks, data, block, max_len, errors):
    path = write(tmp_path / "c.txt", data)
    tiny_blocks(block)
    assert list(LineSentence(path, max_sentence_length=max_len, unicode_errors=errors)) == \
        reference_lines(data, max_len, errors)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=texts, block=st.integers(1, 9), max_len=st.integers(1, 4))
def test_text8_matches_whole_file_reference(tmp_path, tiny_blocks, data, block, max_len):
    path = write(tmp_path / "c.txt", data)
    tiny_blocks(block)
    assert list(Text8Corpus(path, max_sentence_length=max_len)) == reference_text8(data, max_len)


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_compressed_files_read_transparently(tmp_path, suffix):
    data = "in the beginning\nGod created  the heaven\n\nand the earth é\n".encode()
    path = write(tmp_path / f"c.txt{suffix}", data)
    expected = reference_lines(data, 10000)
    assert list(LineSentence(path)) == expected
    assert list(Text8Corpus(path)) == reference_text8(data, 10000)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compression_is_recognised_by_content_not_name(tmp_path, compress):
    data = "in the beginning\nGod created  the heaven é\n".encode()
    renamed = tmp_path / "renamed.txt"  # compressed, but the name says plain text
    renamed.write_bytes(compress(data))
    assert list(LineSentence(renamed)) == reference_lines(data, 10000)
    misnamed = tmp_path / "plain.txt.gz"  # plain text, but the name says gzip
    misnamed.write_bytes(data)
    assert list(LineSentence(misnamed)) == reference_lines(data, 10000)


def test_plain_text_starting_like_a_magic_number_is_plain(tmp_path):
    path = write(tmp_path / "c.txt", b"BZh is not bzip2\n")
    assert list(LineSentence(path)) == [["BZh", "is", "not", "bzip2"]]


def test_readers_are_restartable(tmp_path):
    path = write(tmp_path / "c.txt", b"a b\nc d e\n" * 100)
    for reader in (LineSentence(path, max_sentence_length=2), Text8Corpus(path, max_sentence_length=7)):
        first = list(reader)
        assert first and list(reader) == first


def test_enormous_line_is_split_in_order_and_nothing_is_lost(tmp_path):
    tokens = [f"w{i}" for i in range(25000)]
    path = write(tmp_path / "long.txt", ("short line\n" + " ".join(tokens) + "\nlast\n").encode())
    sentences = list(LineSentence(path))
    assert [len(s) for s in sentences] == [2, 10000, 10000, 5000, 1]
    assert [t for s in sentences[1:4] for t in s] == tokens


def test_a_20_mb_run_without_whitespace_is_read_whole_in_linear_work(tmp_path, monkeypatch):
    # Every read must be searched for whitespace once, not re-searched with
    # the run carried so far (that was quadratic: 2 s for 20 MB).  The "é"
    # straddles a 64 KiB read boundary.
    run = b"x" * ((20 << 20) - 7)
    data = b"first " + run + "é\nlast line\n".encode()
    path = write(tmp_path / "c.txt", data)
    searched = []
    real_cut = corpus_mod.last_break

    def counting_cut(block):
        searched.append(len(block))
        return real_cut(block)

    monkeypatch.setattr(corpus_mod, "last_break", counting_cut)
    token = run.decode() + "é"
    assert list(LineSentence(path)) == [["first", token], ["last", "line"]]
    assert sum(searched) == len(data)
    searched.clear()
    counts = Counts().add_corpus(Text8Corpus(path))
    assert counts.words() == ["first", token, "last", "line"] and counts.counts().tolist() == [1, 1, 1, 1]
    assert sum(searched) == len(data)


def test_line_without_trailing_newline_and_crlf(tmp_path):
    path = write(tmp_path / "c.txt", b"a b\r\nc\r\nd e")
    assert list(LineSentence(path)) == [["a", "b"], ["c"], ["d", "e"]]


def test_line_limit_counts_lines_including_blank_ones(tmp_path, tiny_blocks):
    data = b"a b\n\nc\nd e f\ng\n"
    path = write(tmp_path / "c.txt", data)
    for block in (1, 3, 1 << 16):
        tiny_blocks(block)
        for limit in range(0, 7):
            assert list(LineSentence(path, limit=limit)) == reference_lines(data, 10000, limit=limit), (block, limit)


def test_text8_limit_counts_tokens(tmp_path, tiny_blocks):
    data = b"a bb c\ndd e ff g"
    path = write(tmp_path / "c.txt", data)
    for block in (1, 4, 1 << 16):
        tiny_blocks(block)
        for limit in range(0, 9):
            assert list(Text8Corpus(path, max_sentence_length=3, limit=limit)) == \
                reference_text8(data, 3, limit=limit)


def test_bundled_kjv_corpus_statistics():
    sentences = list(LineSentence(KJV))
    tokens = [t for s in sentences for t in s]
    # Figures stated in cw2v/data/README.md
    assert len(sentences) == 31102
    assert len(tokens) == 789684
    assert len(set(tokens)) == 12672
    assert sentences[0] == "in the beginning god created the heaven and the earth".split()


# ------------------------------------------------------ counting without lists
def iterate_and_count(reader):
    sentences = list(reader)
    return Counter(t for s in sentences for t in s), sum(map(len, sentences)), len(sentences)


def counted(counts):
    return Counter(counts.to_dict()), counts.raw_words, counts.n_sentences


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=texts, block=st.integers(1, 9), max_len=st.integers(1, 4), limit=st.none() | st.integers(0, 8),
       kind=st.sampled_from(["line", "text8"]), errors=st.sampled_from(["replace", "strict", "ignore"]))
def test_counting_a_reader_equals_iterating_it(tmp_path, tiny_blocks, data, block, max_len, limit, kind,
                                               errors):
    path = write(tmp_path / "c.txt", data)
    tiny_blocks(block)
    cls = LineSentence if kind == "line" else Text8Corpus
    reader = cls(path, max_sentence_length=max_len, limit=limit, unicode_errors=errors)
    try:
        expected = iterate_and_count(reader)
    except CorpusDecodeError as err:
        with pytest.raises(CorpusDecodeError) as info:
            Counts().add_corpus(reader)
        assert info.value.offset == err.offset
        return
    if expected[2] == 0 and not corpus_mod._walkable(reader):
        return  # iterated like a token list, whose corpus checks reject an empty one
    assert counted(Counts().add_corpus(reader)) == expected


def test_counting_kjv_and_folders(tmp_path):
    counts = Counts().add_corpus(LineSentence(KJV))
    assert (counts.raw_words, counts.n_sentences, len(counts)) == (789684, 31102, 12672)
    write(tmp_path / "a.txt", b"x y\n\nz " + b"w " * 12 + b"\n")
    write(tmp_path / "b.txt.gz", "é x\n".encode())
    folder = PathLineSentences(tmp_path, max_sentence_length=5)
    assert counted(Counts().add_corpus(folder)) == iterate_and_count(folder)


def test_counting_reports_progress(tmp_path, caplog):
    path = write(tmp_path / "c.txt", b"a b\n" * 2500)
    for corpus in (LineSentence(path), list(LineSentence(path))):
        caplog.clear()
        with caplog.at_level("INFO", logger="cw2v.vocab.counts"):
            Counts().add_corpus(corpus, progress_per=1000)
        reports = [r.args for r in caplog.records if r.getMessage().startswith("PROGRESS")]
        assert reports == [(1000, 2000, 2), (2000, 4000, 2)]


def test_a_reader_subclass_is_counted_as_it_iterates(tmp_path):
    class Lowercased(LineSentence):
        def __iter__(self):
            return ([t.lower() for t in s] for s in super().__iter__())

    path = write(tmp_path / "c.txt", b"A b\n")
    assert corpus_mod.walk_text_corpus(Lowercased(path), None) is None
    assert corpus_mod.walk_text_corpus([["a"]], None) is None
    assert corpus_mod.walk_text_corpus(LineSentence(path, unicode_errors="ignore"), None) is None
    assert Counts().add_corpus(Lowercased(path)).to_dict() == {"a": 1, "b": 1}


def test_readers_agree_with_gensim(tmp_path):
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    assert list(LineSentence(KJV, max_sentence_length=20)) == \
        list(gensim_w2v.LineSentence(str(KJV), max_sentence_length=20))
    words = [f"w{i % 997}" for i in range(30000)]
    path = write(tmp_path / "text8", (" " + " ".join(words)).encode())
    assert list(Text8Corpus(path, max_sentence_length=1000)) == \
        list(gensim_w2v.Text8Corpus(str(path), max_sentence_length=1000))


# -------------------------------------------------------------- invalid UTF-8
def test_invalid_utf8_is_replaced_by_default(tmp_path):
    path = write(tmp_path / "c.txt", b"ok caf\xe9 fine\n")
    assert list(LineSentence(path)) == [["ok", "caf\ufffd", "fine"]]
    assert list(LineSentence(path, unicode_errors="ignore")) == [["ok", "caf", "fine"]]


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("block", [1, 5, 1 << 16])
def test_strict_mode_names_file_and_byte_offset(tmp_path, tiny_blocks, suffix, block):
    good = "première ligne\n".encode() * 7
    data = good + b"abc \xc3\x28 tail\n"
    bad_offset = len(good) + 4
    path = write(tmp_path / f"bad.txt{suffix}", data)
    tiny_blocks(block)
    for reader in (LineSentence(path, unicode_errors="strict"), Text8Corpus(path, unicode_errors="strict")):
        with pytest.raises(CorpusDecodeError) as info:
            list(reader)
        err = info.value
        assert isinstance(err, ValueError)
        assert err.offset == bad_offset and err.path == str(path)
        assert str(path) in str(err) and str(bad_offset) in str(err)
        assert ("decompressed" in str(err)) == (suffix == ".gz")


def test_strict_mode_truncated_multibyte_at_end_of_file(tmp_path):
    path = write(tmp_path / "c.txt", b"ab \xe6\x97")
    with pytest.raises(CorpusDecodeError) as info:
        list(LineSentence(path, unicode_errors="strict"))
    assert info.value.offset == 3


def test_unknown_error_handler_rejected(tmp_path):
    path = write(tmp_path / "c.txt", b"a\n")
    with pytest.raises(ValueError, match="unicode_errors"):
        LineSentence(path, unicode_errors="bogus")


# ------------------------------------------------------------ reader arguments
def test_missing_file_and_directory_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        LineSentence(tmp_path / "nope.txt")
    with pytest.raises(IsADirectoryError, match="PathLineSentences"):
        LineSentence(tmp_path)
    with pytest.raises(TypeError, match="path"):
        LineSentence(["a", "b"])


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_bad_max_sentence_length(tmp_path, bad):
    path = write(tmp_path / "c.txt", b"a\n")
    with pytest.raises(ValueError, match="max_sentence_length"):
        LineSentence(path, max_sentence_length=bad)


# ----------------------------------------------------------- PathLineSentences
def test_path_line_sentences_reads_sorted_files(tmp_path):
    write(tmp_path / "b.txt", b"b1\nb2 x\n")
    write(tmp_path / "a.txt.gz", b"a1\n")
    write(tmp_path / "c.txt", b"c1 c2 c3\n")
    write(tmp_path / ".hidden", b"never\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "d.txt", b"never\n")
    reader = PathLineSentences(tmp_path, max_sentence_length=2)
    expected = [["a1"], ["b1"], ["b2", "x"], ["c1", "c2"], ["c3"]]
    assert list(reader) == expected
    assert list(reader) == expected
    assert list(PathLineSentences(tmp_path, limit=1)) == [["a1"], ["b1"], ["c1", "c2", "c3"]]
    assert list(PathLineSentences(tmp_path / "c.txt")) == [["c1", "c2", "c3"]]


def test_path_line_sentences_errors(tmp_path):
    with pytest.raises(ValueError, match="no corpus files"):
        PathLineSentences(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing"):
        PathLineSentences(tmp_path / "missing")


# ---------------------------------------------------------------- check_corpus
def test_check_corpus_rejects_strings_and_none():
    for bad in ("some text here", b"bytes text"):
        with pytest.raises(TypeError, match=r"wrap it.*split\(\)"):
            check_corpus(bad)
    with pytest.raises(TypeError, match="None"):
        check_corpus(None)
    with pytest.raises(TypeError, match="LineSentence"):
        check_corpus(Path("corpus.txt"))
    with pytest.raises(TypeError, match="iterable"):
        check_corpus(42)


def test_check_corpus_rejects_generator_when_several_passes_needed():
    gen = (s for s in [["a"], ["b"]])
    with pytest.raises(TypeError, match="restartable"):
        check_corpus(gen, passes_needed=2)
    with pytest.raises(TypeError, match="one-shot"):
        check_corpus(iter([["a"]]), passes_needed=5)


def test_check_corpus_one_pass_generator_loses_nothing():
    gen = (s for s in [["a"], ["b", "c"]])
    assert list(check_corpus(gen, passes_needed=1)) == [["a"], ["b", "c"]]


class SameIterator:
    """Not restartable: __iter__ hands out the one generator made at construction."""

    def __init__(self, sentences):
        self.generator = (s for s in sentences)

    def __iter__(self):
        return self.generator


class SharedSource:
    """Looks restartable (a new iterator per call) but every iterator drains one generator."""

    def __init__(self, sentences):
        self.source = (s for s in sentences)

    def __iter__(self):
        return itertools.chain(self.source)


def test_check_corpus_rejects_an_iterable_returning_the_same_iterator():
    data = [["a"], ["b"], ["c"]]
    with pytest.raises(TypeError, match=r"not restartable: SameIterator.__iter__ returns the same"
                                        r" generator.*pass a list"):
        check_corpus(SameIterator(data), passes_needed=2)
    # One pass is fine, and the inspected sentence is not lost.
    assert list(check_corpus(SameIterator(data), passes_needed=1)) == data


def test_check_corpus_names_restartability_when_an_iterable_comes_back_empty():
    corpus = SharedSource([["a"]])
    assert list(corpus) == [["a"]]
    with pytest.raises(ValueError, match="empty.*not restartable.*__iter__"):
        check_corpus(corpus, passes_needed=2)


def test_iter_checked_reads_each_sentence_once():
    data = [["a"], ["b", "c"], ["d"]]
    assert list(iter_checked(SharedSource(data))) == data  # check_corpus + iter would lose ["a"]
    assert list(iter_checked(data)) == data
    with pytest.raises(TypeError, match="sentence 0"):
        iter_checked(["a b"])


def test_id_batches_report_a_later_pass_that_comes_back_empty():
    corpus = SharedSource([["a", "b"], ["b"]])
    first = list(iter_id_batches(corpus, {"a": 0, "b": 1}, earlier_pass_sentences=2))
    assert [b.ids.tolist() for b in first] == [[0, 1, 1]]
    with pytest.raises(ValueError, match="no sentences on this pass.*yielded 2: SharedSource is not"
                                         " restartable; pass a list"):
        list(iter_id_batches(corpus, {"a": 0, "b": 1}, earlier_pass_sentences=2))
    # Without an earlier pass an empty corpus simply yields no batch; nor is a
    # pass whose sentences are all out of vocabulary an error.
    assert list(iter_id_batches([], {"a": 0}, earlier_pass_sentences=0)) == []
    assert list(iter_id_batches([["x"]], {"a": 0}, earlier_pass_sentences=1)) == []


def test_check_corpus_restartable_returned_unchanged(tmp_path):
    data = [["a"], ["b"]]
    assert check_corpus(data) is data
    reader = LineSentence(write(tmp_path / "c.txt", b"x y\n"))
    assert check_corpus(reader) is reader


def test_check_corpus_rejects_string_sentences_and_empty_corpus():
    with pytest.raises(TypeError, match=r"lists of tokens, but sentence 0 .* is a str.*split"):
        check_corpus(["a sentence as a string", "another"])
    with pytest.raises(TypeError, match="lists of tokens, but sentence 0 .* is a int"):
        check_corpus([3, 4])
    with pytest.raises(ValueError, match="empty"):
        check_corpus([])


# ---------------------------------------------------------------- id batches
def reference_batches(corpus, vocab, batch_words, max_len):
    """The documented batching rules, applied literally, one token at a time."""
    batches = []
    ids, ends, raw, n_sent = [], [], 0, 0

    pieces = []  # (ids of piece, raw tokens consumed, finishes sentence)
    for sentence in corpus:
        # Pieces of max_len tokens, in the vocabulary or not (an empty sentence: one empty piece).
        starts = range(0, len(sentence), max_len) or [0]
        for k, start in enumerate(starts):
            chunk = sentence[start:start + max_len]
            pieces.append(([vocab[t] for t in chunk if t in vocab], len(chunk), k == len(starts) - 1))
    for piece, consumed, finishes in pieces:
        if piece and len(ids) >= batch_words:
            batches.append((ids, ends, raw, n_sent))
            ids, ends, raw, n_sent = [], [], 0, 0
        if piece:
            ids = ids + piece
            ends = ends + [len(ids)]
        raw += consumed
        n_sent += finishes
    if ids:
        batches.append((ids, ends, raw, n_sent))
    return batches


corpora = st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=12), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(corpus=corpora, vocab_letters=st.sets(st.sampled_from("abcdefgh")),
       batch_words=st.integers(1, 12), max_len=st.integers(1, 6))
def test_id_batches_match_reference(corpus, vocab_letters, batch_words, max_len):
    vocab = {w: i for i, w in enumerate(sorted(vocab_letters))}
    got = list(iter_id_batches(corpus, vocab, batch_words=batch_words, max_sentence_length=max_len))
    expected = reference_batches(corpus, vocab, batch_words, max_len)
    assert [(b.ids.tolist(), b.sentence_ends.tolist(), b.raw_words, b.n_sentences) for b in got] == expected
    for b in got:
        assert isinstance(b, IdBatch)
        assert b.ids.dtype == np.int32 and b.sentence_ends.dtype == np.int32
        assert 0 < len(b.ids) <= batch_words + max_len - 1
        assert np.all(np.diff(np.r_[0, b.sentence_ends]) > 0) and b.sentence_ends[-1] == len(b.ids)
    for b in got[:-1]:
        assert len(b.ids) >= batch_words
    if got:  # every token and sentence is accounted for exactly once
        assert sum(b.raw_words for b in got) == sum(map(len, corpus))
        assert sum(b.n_sentences for b in got) == len(corpus)


def test_id_batches_on_kjv_keep_every_in_vocab_token_in_order():
    sentences = list(LineSentence(KJV, limit=3000))
    words = sorted({t for s in sentences for t in s})[::2]  # half the words are OOV
    vocab = {w: i for i, w in enumerate(words)}
    batches = list(iter_id_batches(iter(sentences), vocab, batch_words=1000))
    flat = np.concatenate([b.ids for b in batches])
    assert flat.tolist() == [vocab[t] for s in sentences for t in s if t in vocab]
    assert sum(b.raw_words for b in batches) == sum(map(len, sentences))
    assert sum(b.n_sentences for b in batches) == len(sentences)


def test_id_batches_accept_tuples_and_generators_as_sentences():
    corpus = [("a", "b"), iter(["b", "x", "a"])]
    (batch,) = iter_id_batches(corpus, {"a": 0, "b": 1})
    assert batch.ids.tolist() == [0, 1, 1, 0] and batch.sentence_ends.tolist() == [2, 4]


@pytest.mark.parametrize("bad", ["abc", b"abc", bytearray(b"abc")])
def test_id_batches_reject_a_later_string_sentence_by_its_index(bad):
    corpus = [["a", "b"]] * 5 + [bad]
    with pytest.raises(TypeError, match=r"sentence 5 \(counting from 0\) is a .*split"):
        list(iter_id_batches(corpus, {"a": 0, "b": 1, "c": 2}, batch_words=1))
    with pytest.raises(TypeError, match="sentence 2 .* is a int, which is not iterable"):
        list(iter_id_batches([["a"], ("b",), 7], {"a": 0, "b": 1}))


def test_id_batches_all_oov_yields_nothing_and_bad_arguments():
    assert list(iter_id_batches([["x", "y"], []], {"a": 0})) == []
    with pytest.raises(ValueError, match="batch_words"):
        list(iter_id_batches([["a"]], {"a": 0}, batch_words=0))
    with pytest.raises(TypeError, match="dict"):
        list(iter_id_batches([["a"]], [("a", 0)]))
    with pytest.raises(TypeError):  # an unhashable token is an error, not silently OOV
        list(iter_id_batches([["a", ["nested"]]], {"a": 0}))


@pytest.mark.parametrize("head", [b"BZh9", b"BZh91AY&S", b"BZh9 1AY&SY"])
def test_plain_text_starting_with_a_bzip2_level_is_plain(tmp_path, head):
    """Regression: 'BZh' and a digit used to be taken for bzip2 (OSError: Invalid data stream)."""
    data = head + b" is the first word\nsecond line\n"
    path = write(tmp_path / "c.txt", data)
    assert list(LineSentence(path)) == reference_lines(data, 10000)
    assert list(Text8Corpus(path)) == reference_text8(data, 10000)
    assert list(PathLineSentences(tmp_path)) == reference_lines(data, 10000)
    assert Counts().add_corpus(LineSentence(path)).words()[0] == head.split()[0].decode()


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_damaged_compressed_corpus_is_a_value_error_naming_the_file(tmp_path, compress):
    whole = compress(b"in the beginning\n" * 2000)
    path = tmp_path / "c.txt"
    path.write_bytes(whole[: len(whole) // 2])
    for reader in (LineSentence(path), Text8Corpus(path), PathLineSentences(tmp_path)):
        with pytest.raises(ValueError, match=f"{path}: cannot decompress"):
            list(reader)
    with pytest.raises(ValueError, match=f"{path}: cannot decompress"):
        Counts().add_corpus(LineSentence(path))
