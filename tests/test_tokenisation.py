"""One tokenisation rule: every reader and mode gives the same words, counts and sentences.

The oracle is the rule stated in Python: ``bytes.split()`` splits on exactly
the six ASCII whitespace bytes (space, \\t, \\n, \\v, \\f, \\r), each word is
decoded from UTF-8 with errors="replace", a newline ends a line, and a line
of n words is max_len-word sentences (the last shorter).  The file holds
what used to tell the modes apart: Unicode spaces (which now belong to
words), tabs, \\r\\n, lone \\r, \\v, \\f, invalid UTF-8, blank lines and
lines longer than the sentence limit (with out-of-vocabulary words in them).
"""
import collections
import gzip
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cw2v import LineSentence, PathLineSentences, Text8Corpus, Word2Vec
from cw2v._kernels.textfile import WordHash, last_break, read_range, word_key
from cw2v.cli import main
from cw2v.io.corpus import iter_id_batches
from cw2v.vocab.counts import Counts
from cw2v.vocab.vocabulary import Vocabulary

UNICODE_SPACES = ["\u00a0", "\u2003", "\u3000", "\u2028", "\u0085", "\x1c", "\x1f", "\u202f"]
ASCII_SPACES = [" ", "  ", "\t", "\r\n", "\r", "\x0b", "\x0c", " \t\x0b\x0c "]


def rule_lines(data: bytes, max_len: int):
    """The sentences of data by the rule, as lists of str."""
    sentences = []
    for line in data.split(b"\n"):
        words = [w.decode("utf-8", "replace") for w in line.split()]
        sentences += [words[i:i + max_len] for i in range(0, len(words), max_len)]
    return sentences


def rule_text8(data: bytes, max_len: int):
    words = [w.decode("utf-8", "replace") for w in data.split()]
    return [words[i:i + max_len] for i in range(0, len(words), max_len)]


def mixed_corpus(seed=4, lines=300, long_line=40):
    """Bytes of a corpus with every kind of separator, and long lines."""
    rng = random.Random(seed)
    vocab = ["the", "cat", "é", "日本", "x", "naïve", "rare"] + [f"w{i}" for i in range(30)]
    out = []
    for i in range(lines):
        n = long_line if i % 50 == 7 else rng.randint(0, 9)
        parts = []
        for _ in range(n):
            word = rng.choice(vocab)
            if rng.random() < 0.15:  # a Unicode space inside or around a word
                word = rng.choice(["", word]) + rng.choice(UNICODE_SPACES) + rng.choice(["", word])
            parts.append(word)
            parts.append(rng.choice(ASCII_SPACES))
        out.append("".join(parts))
    data = "\n".join(out).encode("utf-8")
    return data + b"caf\xe9 \xe6\x97\nbad\xff\xfe bytes\n\n"  # invalid UTF-8, no final text line


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    data = mixed_corpus()
    folder = tmp_path_factory.mktemp("tok")
    path = folder / "corpus.txt"
    path.write_bytes(data)
    with gzip.open(folder / "corpus.txt.gz", "wb") as f:
        f.write(data)
    return data, path


MAX_LEN = 7  # below the long lines' length


def counts_of(sentences):
    return collections.Counter(w for s in sentences for w in s)


def test_the_file_exercises_the_rule(corpus_file):
    data, _ = corpus_file
    sentences = rule_lines(data, MAX_LEN)
    words = counts_of(sentences)
    assert any(space in w for w in words for space in UNICODE_SPACES)
    assert "caf\ufffd" in words and "bad\ufffd\ufffd" in words
    assert max(len(line.split()) for line in data.split(b"\n")) > MAX_LEN
    assert b"\r\n" in data and b"\x0b" in data and b"\x0c" in data


def test_every_reader_gives_the_rules_sentences(corpus_file, tmp_path):
    data, path = corpus_file
    expected = rule_lines(data, MAX_LEN)
    assert list(LineSentence(path, max_sentence_length=MAX_LEN)) == expected
    assert list(LineSentence(f"{path}.gz", max_sentence_length=MAX_LEN)) == expected
    assert list(PathLineSentences(path.parent, max_sentence_length=MAX_LEN)) == expected * 2
    assert list(Text8Corpus(path, max_sentence_length=MAX_LEN)) == rule_text8(data, MAX_LEN)
    # The default limit, on a line longer than it.
    long_path = tmp_path / "long.txt"
    long_path.write_bytes(b"a\xc2\xa0b " * 10003 + b"\n" + data)
    assert list(LineSentence(long_path)) == rule_lines(long_path.read_bytes(), 10000)


def test_every_reader_and_file_mode_count_the_same(corpus_file):
    data, path = corpus_file
    sentences = rule_lines(data, MAX_LEN)
    expected = (counts_of(sentences), sum(map(len, sentences)), len(sentences))

    def seen(counts):
        return collections.Counter(counts.to_dict()), counts.raw_words, counts.n_sentences

    assert seen(Counts().add_file(path, max_sentence_length=MAX_LEN)) == expected
    for reader in (LineSentence(path, max_sentence_length=MAX_LEN),
                   LineSentence(f"{path}.gz", max_sentence_length=MAX_LEN)):
        assert seen(Counts().add_corpus(reader)) == expected
        assert seen(Counts().add_corpus(list(reader))) == expected
    text8 = seen(Counts().add_corpus(Text8Corpus(path, max_sentence_length=MAX_LEN)))
    assert text8[:2] == expected[:2]  # the same words; sentences cut across lines


def test_file_mode_reads_the_sentences_iterable_mode_trains(corpus_file):
    """The byte ranges of file mode and the id batches of iterable mode cut
    the same sentences, whatever is in or out of the vocabulary."""
    data, path = corpus_file
    sentences = rule_lines(data, MAX_LEN)
    words = sorted(counts_of(sentences))[::2]  # half the words are out of vocabulary
    ids = {w: i for i, w in enumerate(words)}
    want = [[ids[w] for w in s if w in ids] for s in sentences]
    from_file, raw = read_range(path, 0, None, WordHash(words), MAX_LEN)
    assert [s.tolist() for s in from_file] == want
    assert raw == sum(map(len, sentences))
    for corpus in (LineSentence(path, max_sentence_length=MAX_LEN), sentences):
        batches = list(iter_id_batches(corpus, ids, batch_words=50, max_sentence_length=MAX_LEN))
        pieces = [piece.tolist() for b in batches for piece in np.split(b.ids, b.sentence_ends[:-1])]
        assert pieces == [s for s in want if s]
        assert sum(b.raw_words for b in batches) == raw
        assert sum(b.n_sentences for b in batches) == len(sentences)


@pytest.mark.parametrize("max_vocab_size", [None, 25])
def test_vocabulary_is_the_same_in_iterable_and_file_mode(corpus_file, max_vocab_size):
    data, path = corpus_file
    settings_ = dict(vector_size=4, min_count=2, max_vocab_size=max_vocab_size, workers=1,
                     max_sentence_length=MAX_LEN, epochs=1, seed=3)
    from_file = Word2Vec(corpus_file=str(path), **settings_)
    for corpus in (LineSentence(path, max_sentence_length=MAX_LEN),
                   LineSentence(f"{path}.gz", max_sentence_length=MAX_LEN),
                   list(LineSentence(path, max_sentence_length=MAX_LEN))):
        iterable = Word2Vec(corpus, **settings_)
        assert iterable.wv.index_to_key == from_file.wv.index_to_key
        assert iterable.vocab.counts.tolist() == from_file.vocab.counts.tolist()
        assert (iterable.corpus_count, iterable.corpus_total_words) == \
            (from_file.corpus_count, from_file.corpus_total_words)
        for key in ("raw_words", "words_seen", "sentences"):
            assert iterable.training_history[0][key] == from_file.training_history[0][key], key
    if max_vocab_size is None:  # words holding Unicode spaces are in the vocabulary
        assert any(space in w for w in from_file.wv.index_to_key for space in UNICODE_SPACES)
    else:                       # pruning happened
        assert len(from_file.wv) < len(Word2Vec(corpus_file=str(path), **{
            **settings_, "max_vocab_size": None}).wv)


def test_command_line_counts_like_the_library(corpus_file, tmp_path, capsys):
    data, path = corpus_file
    vocab_files = []
    for train in (path, f"{path}.gz"):  # file mode, and LineSentence for the compressed copy
        out = tmp_path / f"vocab{len(vocab_files)}.txt"
        assert main(["train", "-train", str(train), "-save-vocab", str(out), "-min-count", "1",
                     "-debug", "0"]) == 0
        vocab_files.append(out.read_bytes())
    assert vocab_files[0] == vocab_files[1]
    loaded = Vocabulary.load_word2vec_vocab(tmp_path / "vocab0.txt", min_count=1)
    # The command line counts sentences with the default limit: lines here.
    sentences = rule_lines(data, 10000)
    assert dict(zip(loaded.index_to_key, loaded.counts.tolist())) == counts_of(sentences)
    assert loaded.corpus_count == len(sentences)


# ------------------------------------------------------------------- the rule
PIECES = [b"a", b"bc", " ".join(UNICODE_SPACES).encode(), "\u00a0".encode(), "é".encode(),
          "😀".encode(), b"\xff", b"\xe6\x97", b"\xed\xa0\x80", b" ", b"\t", b"\n", b"\r\n", b"\r",
          b"\x0b", b"\x0c", b"\x1c", b"\n\n"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.sampled_from(PIECES), max_size=50).map(b"".join), max_len=st.integers(1, 4))
def test_random_texts_through_every_reader(tmp_path, data, max_len):
    path = tmp_path / "c.txt"
    path.write_bytes(data)
    expected = rule_lines(data, max_len)
    assert list(LineSentence(path, max_sentence_length=max_len)) == expected
    assert list(Text8Corpus(path, max_sentence_length=max_len)) == rule_text8(data, max_len)
    counts = Counts().add_file(path, max_sentence_length=max_len)
    assert (counts.to_dict(), counts.raw_words, counts.n_sentences) == \
        (dict(counts_of(expected)), sum(map(len, expected)), len(expected))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=24) | st.lists(st.sampled_from(
    [b"a", b"\x80", b"\xbf", b"\xc0", b"\xc2", b"\xdf", b"\xe0", b"\xa0", b"\xed", b"\x9f", b"\xef",
     b"\xf0", b"\x90", b"\xf4", b"\x8f", b"\xf5", b"\xff"]), max_size=10).map(b"".join))
def test_words_decode_as_python_replaces(word):
    """The C replacement of ill-formed UTF-8 is Python's errors='replace'."""
    assert word_key(word) == word.decode("utf-8", "replace").encode("utf-8")
    text = word.decode("utf-8", "surrogateescape")
    assert word_key(text) == text.encode("utf-8", "surrogatepass")


def test_last_break_is_the_rules_whitespace():
    for byte in range(256):
        block = b"ab" + bytes([byte]) + b"cd"
        assert last_break(block) == (3 if bytes([byte]).isspace() else 0), byte
    assert last_break(b"") == 0 and last_break(b"a b\nc") == 4


def test_text_never_matches_a_token_lists_lone_surrogate(tmp_path):
    # "\udcff" from a token list is keyed by its surrogatepass bytes ED B3 BF;
    # the same bytes in a file are ill-formed UTF-8 and stand for U+FFFD x 3.
    path = tmp_path / "c.txt"
    path.write_bytes(b"\xed\xb3\xbf ok\n")
    counts = Counts().add_corpus([["\udcff"]]).merge(Counts().add_file(path))
    assert counts.to_dict() == {"\udcff": 1, "\ufffd\ufffd\ufffd": 1, "ok": 1}
    assert list(LineSentence(path)) == [["\ufffd\ufffd\ufffd", "ok"]]
    (sentence,), _ = read_range(path, 0, None, WordHash(["\udcff", "ok"]))
    assert sentence.tolist() == [1]
