"""Tests of cw2v.vocab.vocabulary.Vocabulary.

Oracles: collections.Counter counts, slow pure-Python re-implementations of
the selection and word2vec.c-style pruning rules, and gensim's build_vocab on
the same corpus.
"""
import bz2
import gzip
import importlib.resources
import logging
import lzma
import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v.io.corpus import LineSentence
from cw2v.vocab.counts import Counts
from cw2v.vocab.vocabulary import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Vocabulary
from test_counts import reference_pruned  # word2vec.c's rising floor, in plain Python

KJV = importlib.resources.files("cw2v") / "data" / "kjv.txt.gz"


@pytest.fixture(scope="module")
def kjv():
    return list(LineSentence(KJV))


def reference_vocab(counts: dict, min_count: int, max_final_vocab=None):
    """Kept (word, count) pairs in the documented order: count desc, then word."""
    effective = min_count
    if max_final_vocab is not None and max_final_vocab < len(counts):
        effective = max(min_count, sorted(counts.values(), reverse=True)[max_final_vocab] + 1)
    kept = [(w, c) for w, c in counts.items() if c >= effective]
    return sorted(kept, key=lambda wc: (-wc[1], wc[0])), effective


def as_pairs(vocab: Vocabulary):
    return list(zip(vocab.index_to_key, vocab.counts.tolist()))


def check_invariants(vocab: Vocabulary):
    assert vocab.counts.dtype == np.int64 and vocab.counts.shape == (len(vocab.index_to_key),)
    assert vocab.key_to_index == {w: i for i, w in enumerate(vocab.index_to_key)}
    assert vocab.retained_word_count <= vocab.raw_word_count


# ----------------------------------------------------------------------- scan
def test_scan_kjv_matches_counter(kjv):
    vocab = Vocabulary.scan(kjv, min_count=5)
    counts = Counter(t for s in kjv for t in s)
    expected, _ = reference_vocab(counts, 5)
    assert as_pairs(vocab) == expected
    check_invariants(vocab)
    assert vocab.raw_word_count == 789684 and vocab.corpus_count == 31102
    assert vocab.distinct_count == 12672
    assert vocab.retained_word_count == sum(c for _, c in expected)


@settings(max_examples=100, deadline=None)
@given(corpus=st.lists(st.lists(st.sampled_from("a b c d e f g h ab é 日本".split()), max_size=15), min_size=1,
                       max_size=30).filter(lambda c: any(c)),
       min_count=st.integers(1, 4), max_final_vocab=st.none() | st.integers(1, 12))
def test_scan_matches_reference_rules(corpus, min_count, max_final_vocab):
    counts = Counter(t for s in corpus for t in s)
    expected, effective = reference_vocab(counts, min_count, max_final_vocab)
    if not expected:
        with pytest.raises(ValueError, match="min_count"):
            Vocabulary.scan(corpus, min_count=min_count, max_final_vocab=max_final_vocab)
        return
    vocab = Vocabulary.scan(corpus, min_count=min_count, max_final_vocab=max_final_vocab)
    assert as_pairs(vocab) == expected
    assert vocab.effective_min_count == effective
    if max_final_vocab is not None:
        assert len(vocab) <= max_final_vocab
    check_invariants(vocab)
    # Order never depends on how the corpus was laid out.
    shuffled = [list(reversed(s)) for s in reversed(corpus)]
    assert as_pairs(Vocabulary.scan(shuffled, min_count=min_count, max_final_vocab=max_final_vocab)) == expected


def test_unsorted_vocab_keeps_first_appearance_order():
    corpus = [["c", "a", "c"], ["b", "a", "d", "c"]]
    vocab = Vocabulary.scan(corpus, min_count=1, sorted_vocab=False)
    assert vocab.index_to_key == ["c", "a", "b", "d"]
    assert vocab.counts.tolist() == [3, 2, 1, 1]
    assert Vocabulary.scan(corpus, min_count=1).index_to_key == ["c", "a", "b", "d"]
    assert Vocabulary.scan(corpus, min_count=2, sorted_vocab=False).index_to_key == ["c", "a"]


def test_scan_of_file_readers_equals_scan_of_their_sentences(kjv, tmp_path, caplog):
    # File readers take the list-free counting path; the result must not differ.
    with caplog.at_level(logging.INFO, logger="cw2v.vocab"):
        fast = Vocabulary.scan(LineSentence(KJV), min_count=3, progress_per=10000)
    slow = Vocabulary.scan(kjv, min_count=3)
    assert as_pairs(fast) == as_pairs(slow)
    for attr in ("raw_word_count", "retained_word_count", "distinct_count", "corpus_count"):
        assert getattr(fast, attr) == getattr(slow, attr)
    assert "PROGRESS: sentence #30000" in caplog.text
    unsorted = Vocabulary.scan(LineSentence(KJV), min_count=3, sorted_vocab=False)
    assert unsorted.index_to_key == Vocabulary.scan(kjv, min_count=3, sorted_vocab=False).index_to_key
    # A subclass may change the tokens, so it is iterated like any corpus.

    class Upper(LineSentence):
        def __iter__(self):
            return ([t.upper() for t in s] for s in super().__iter__())

    assert Vocabulary.scan(Upper(KJV), min_count=3).index_to_key[:2] == ["THE", "AND"]
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="empty"):
        Vocabulary.scan(LineSentence(empty))


def test_scan_accepts_one_shot_iterator(kjv):
    vocab = Vocabulary.scan(iter(kjv[:500]), min_count=1)
    assert vocab.corpus_count == 500
    assert vocab.raw_word_count == sum(map(len, kjv[:500]))


# ------------------------------------------------------------- max_vocab_size
@pytest.mark.parametrize("cap", [50, 400, 3000])
def test_max_vocab_size_prunes_like_word2vec_c(kjv, cap):
    expected_counts = reference_pruned(kjv, cap)[0]
    expected, _ = reference_vocab(expected_counts, 1)
    vocab = Vocabulary.scan(kjv, min_count=1, max_vocab_size=cap)
    assert as_pairs(vocab) == expected
    assert vocab.distinct_count == len(expected_counts)
    assert vocab.raw_word_count == 789684  # every token is still seen
    # Pruning really happened and bounded the table (a sentence adds few words).
    assert len(expected_counts) < 12672 and vocab.distinct_count <= cap + max(map(len, kjv))


def test_max_vocab_size_consults_trim_rule(kjv):
    def keep_moses(word, count, min_count):
        return RULE_KEEP if word == "moses" else RULE_DEFAULT
    expected_counts = reference_pruned(kjv, 50, keep_moses)[0]
    vocab = Vocabulary.scan(kjv, min_count=1, max_vocab_size=50, trim_rule=keep_moses)
    assert dict(as_pairs(vocab)) == expected_counts
    assert "moses" in vocab


# ------------------------------------------------------------------ trim_rule
def test_trim_rule_overrides_min_count():
    corpus = [["a"] * 5 + ["b"] * 5 + ["rare"]]
    calls = []

    def rule(word, count, min_count):
        calls.append((word, count, min_count))
        return {"rare": RULE_KEEP, "b": RULE_DISCARD}.get(word, RULE_DEFAULT)

    vocab = Vocabulary.scan(corpus, min_count=3, trim_rule=rule)
    assert vocab.index_to_key == ["a", "rare"]
    assert sorted(calls) == [("a", 5, 3), ("b", 5, 3), ("rare", 1, 3)]


def test_rule_values_match_gensim():
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (0, 1, 2)
    gensim_utils = pytest.importorskip("gensim.utils")
    assert (gensim_utils.RULE_DEFAULT, gensim_utils.RULE_DISCARD, gensim_utils.RULE_KEEP) == (0, 1, 2)


def test_trim_rule_bad_return_value():
    with pytest.raises(ValueError, match="RULE_KEEP"):
        Vocabulary.scan([["a", "b"]], min_count=1, trim_rule=lambda w, c, m: True)


# ------------------------------------------------------------------ bad input
def test_empty_corpus_raises():
    with pytest.raises(ValueError, match="empty"):
        Vocabulary.scan([])
    with pytest.raises(ValueError, match="not a single token"):
        Vocabulary.scan([[], []])


def test_everything_below_min_count_says_what_to_change():
    with pytest.raises(ValueError, match=r"min_count=5.*'a'.*2 times.*lower min_count"):
        Vocabulary.scan([["a", "b", "a"]], min_count=5)


def test_wrong_corpus_types():
    with pytest.raises(TypeError, match="plain string"):
        Vocabulary.scan("just a string of text")
    with pytest.raises(TypeError, match="lists of tokens"):
        Vocabulary.scan(["sentence one", "sentence two"])
    with pytest.raises(TypeError, match="bytes"):
        Vocabulary.scan([[b"a", b"b"]], min_count=1)


@pytest.mark.parametrize("kwargs", [{"min_count": -1}, {"max_vocab_size": 0}, {"max_final_vocab": 0},
                                    {"min_count": 2.5}])
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        Vocabulary.scan([["a"]], **kwargs)


def test_scan_logs_statistics(kjv, caplog):
    with caplog.at_level(logging.INFO, logger="cw2v.vocab"):
        Vocabulary.scan(kjv[:1000], min_count=5, progress_per=400)
    text = caplog.text
    assert "PROGRESS: sentence #800" in text
    n_tokens = sum(map(len, kjv[:1000]))
    assert f"from a corpus of {n_tokens} raw words and 1000 sentences" in text
    assert "min_count=5 keeps" in text


# ----------------------------------------------------------------- from_counts
def test_from_counts_equals_scan(kjv):
    counts = Counter(t for s in kjv for t in s)
    a = Vocabulary.from_counts(counts, min_count=3)
    b = Vocabulary.scan(kjv, min_count=3)
    assert as_pairs(a) == as_pairs(b)
    assert a.raw_word_count == b.raw_word_count and a.corpus_count == 0
    with pytest.raises(ValueError, match="non-negative"):
        Vocabulary.from_counts({"a": -1})
    with pytest.raises(ValueError, match="empty"):
        Vocabulary.from_counts({})
    with pytest.raises(TypeError, match="mapping"):
        Vocabulary.from_counts([("a", 1)])


def test_from_counts_of_a_counts_takes_its_totals(kjv):
    counts = Counts().add_corpus(kjv[:100]).merge(Counts().add_corpus(kjv[100:300]))
    vocab = Vocabulary.from_counts(counts, min_count=3)
    assert as_pairs(vocab) == as_pairs(Vocabulary.scan(kjv[:300], min_count=3))
    assert (vocab.raw_word_count, vocab.corpus_count) == (sum(map(len, kjv[:300])), 300)
    unsorted = Vocabulary.from_counts(counts, min_count=1, sorted_vocab=False)
    assert unsorted.index_to_key == list(dict.fromkeys(t for s in kjv[:300] for t in s))
    with pytest.raises(ValueError, match="not a single token"):
        Vocabulary.from_counts(Counts().add_corpus([[]]))


# ------------------------------------------------------------------- update
def test_update_from_counts_equals_update_from_the_corpus():
    new = [["a", "z", "z", "y", "y", "x", "b", "w", "w", "w"]]
    a = Vocabulary.scan([["a", "a", "b", "b", "b", "c"]], min_count=2)
    b = Vocabulary.scan([["a", "a", "b", "b", "b", "c"]], min_count=2)
    assert a.update(new) == b.update(Counts().add_corpus(new)) == 3
    assert as_pairs(a) == as_pairs(b)
    assert (a.raw_word_count, a.corpus_count) == (b.raw_word_count, b.corpus_count) == (10, 1)


def test_update_appends_new_words_and_grows_counts():
    vocab = Vocabulary.scan([["a", "a", "b", "b", "b", "c"]], min_count=2)
    assert vocab.index_to_key == ["b", "a"]
    new = [["a", "z", "z", "y", "y", "x", "b", "w", "w", "w"]]
    added = vocab.update(new)
    assert added == 3
    assert vocab.index_to_key == ["b", "a", "w", "y", "z"]  # old keep their index; new by count, word
    assert vocab.counts.tolist() == [4, 3, 3, 2, 2]  # a grows by 1 although 1 < min_count
    assert vocab.key_to_index == {w: i for i, w in enumerate(vocab.index_to_key)}
    assert vocab.raw_word_count == 10 and vocab.corpus_count == 1
    assert vocab.retained_word_count == 9  # every token but "x"
    assert vocab.update({"b": 1, "q": 1}, min_count=1) == 1
    assert vocab.index_to_key[-1] == "q" and vocab.counts[0] == 5


def test_update_respects_sorted_vocab():
    new = [["a", "z", "y", "y", "x", "x", "x"]]
    unsorted = Vocabulary.scan([["b", "a", "a"]], min_count=1, sorted_vocab=False)
    assert unsorted.index_to_key == ["b", "a"] and not unsorted.sorted_vocab
    unsorted.update(new)
    assert unsorted.index_to_key == ["b", "a", "z", "y", "x"]  # first appearance
    assert unsorted.counts.tolist() == [1, 3, 1, 2, 3]
    ordered = Vocabulary.scan([["b", "a", "a"]], min_count=1)
    ordered.update(new)
    assert ordered.index_to_key == ["a", "b", "x", "y", "z"]  # by count, then word
    # An explicit setting overrides the vocabulary's (e.g. after loading a model).
    unsorted.update({"q": 1, "p": 5}, sorted_vocab=True)
    assert unsorted.index_to_key[-2:] == ["p", "q"]
    ordered.update({"q": 1, "p": 5}, sorted_vocab=False)
    assert ordered.index_to_key[-2:] == ["q", "p"]


def test_update_with_nothing_new():
    vocab = Vocabulary.scan([["a", "b"]], min_count=1)
    assert vocab.update([["a"]]) == 0
    assert vocab.counts.tolist() == [2, 1]


@pytest.mark.parametrize("bad", ["abc", b"abc"])
@pytest.mark.parametrize("max_vocab_size", [None, 2])
def test_scan_rejects_a_later_string_sentence_by_its_index(bad, max_vocab_size):
    # Only the first sentence is checked up front; a later str used to be
    # counted character by character (a, b, c).
    corpus = [["a"] * 5, ["x", "y", "z"], bad]
    with pytest.raises(TypeError, match=r"sentence 2 \(counting from 0\) is a .*split"):
        Vocabulary.scan(corpus, min_count=1, max_vocab_size=max_vocab_size)
    vocab = Vocabulary.scan([["a"]], min_count=1)
    with pytest.raises(TypeError, match="sentence 1 .*split"):
        vocab.update([["b"], bad])
    with pytest.raises(TypeError, match="sentence 1 .* is a float, which is not iterable"):
        Vocabulary.scan([["a"], 1.5], min_count=1)


def test_scan_counts_the_inspected_first_sentence_once():
    # Every iterator of this corpus drains one shared generator: the scan must
    # count the sentence its validity check looked at, and only once.
    class SharedSource:
        def __init__(self, sentences):
            self.source = iter(sentences)

        def __iter__(self):
            return (s for s in self.source)

    vocab = Vocabulary.scan(SharedSource([["a", "b"], ["b"], ["c"]]), min_count=1)
    assert dict(as_pairs(vocab)) == {"a": 1, "b": 2, "c": 1} and vocab.corpus_count == 3


# ------------------------------------------------------------ vocab files
def test_word2vec_vocab_round_trip(tmp_path):
    vocab = Vocabulary.from_counts({"the": 10, "été": 4, "日本": 4, "x": 1}, min_count=1, corpus_count=3)
    path = tmp_path / "vocab.txt"
    vocab.save_word2vec_vocab(path)
    # word2vec.c's layout: its sentence end first (here counting the corpus's sentences).
    assert path.read_bytes() == "</s> 3\nthe 10\nété 4\n日本 4\nx 1\n".encode()
    assert os.listdir(tmp_path) == ["vocab.txt"]  # no temp file left behind
    loaded = Vocabulary.load_word2vec_vocab(path, min_count=1)
    assert as_pairs(loaded) == as_pairs(vocab) and loaded.corpus_count == 3
    assert loaded.raw_word_count == 19  # the sentence end is not a word
    assert as_pairs(Vocabulary.load_word2vec_vocab(path, min_count=4)) == as_pairs(vocab)[:3]
    # Overwriting goes through the same atomic path.
    Vocabulary.from_counts({"a": 1}, min_count=1).save_word2vec_vocab(path)
    assert path.read_text() == "</s> 0\na 1\n"


DECOMPRESS = {"": bytes, ".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress,
              ".lzma": lzma.decompress}
# Any str word2vec.c keeps whole: no space, tab or line break (surrogates cannot be UTF-8).
vocab_file_words = st.text(st.characters(exclude_characters=" \t\n\r", exclude_categories=("Cs",)),
                           min_size=1, max_size=6).filter(lambda word: word != "</s>")


@settings(max_examples=100, deadline=None)
@given(pairs=st.dictionaries(vocab_file_words, st.integers(0, 2 ** 50), min_size=1, max_size=12),
       sentences=st.integers(0, 2 ** 40), suffix=st.sampled_from(sorted(DECOMPRESS)))
def test_vocab_file_round_trip_compressed_by_suffix(tmp_path_factory, pairs, sentences, suffix):
    vocab = Vocabulary.from_counts(pairs, min_count=0, corpus_count=sentences)
    path = tmp_path_factory.mktemp("vocab") / f"vocab.txt{suffix}"
    vocab.save_word2vec_vocab(path)
    expected = f"</s> {sentences}\n" + "".join(f"{w} {c}\n" for w, c in as_pairs(vocab))
    assert DECOMPRESS[suffix](path.read_bytes()) == expected.encode()  # compressed as the name says
    assert os.listdir(path.parent) == [path.name]
    loaded = Vocabulary.load_word2vec_vocab(path, min_count=0)
    assert as_pairs(loaded) == as_pairs(vocab)
    assert loaded.corpus_count == sentences and loaded.raw_word_count == sum(pairs.values())


def test_load_word2vec_c_style_file_gz(tmp_path):
    # As word2vec.c -save-vocab writes it: </s> (counting lines) first, then by count.
    path = tmp_path / "v.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("</s> 7\nthe 5\nof 3\nrare 1\n")
    vocab = Vocabulary.load_word2vec_vocab(path, min_count=2)
    assert as_pairs(vocab) == [("the", 5), ("of", 3)]
    assert vocab.raw_word_count == 9 and vocab.corpus_count == 7
    kept = Vocabulary.load_word2vec_vocab(path, min_count=2, keep_sentence_end=True)
    assert as_pairs(kept) == [("</s>", 7), ("the", 5), ("of", 3)]
    assert kept.raw_word_count == 16 and kept.corpus_count == 7
    # A kept sentence end is written once, first, with its own count.
    again = tmp_path / "again.txt"
    kept.save_word2vec_vocab(again)
    assert again.read_text() == "</s> 7\nthe 5\nof 3\n"


@pytest.mark.parametrize("content, message", [
    ("a 1\nb\n", "line 2"),
    ("a 1\nb two\n", "line 2"),
    ("a 1\nb -3\n", "line 2"),
    ("a 1\nb 2\na 3\n", "line 3: duplicate"),
    ("\n\n", "no 'word count'"),
    ("a 1\nnew york 3\n", "line 2: expected 'word count'"),
    ("a 1\nb +3\n", "line 2: count"),
    ("a 1\nb 1_000\n", "line 2: count"),
    ("a 1\nb \u0663\n", "line 2: count"),  # ARABIC-INDIC DIGIT THREE: int() would take it
    ("a\u00a03\n", "line 1: expected"),     # U+00A0 does not separate
    ("</s> 4\na 1\n</s> 2\n", "line 3: duplicate word '</s>'"),
    ("</s> 4\n", "no 'word count' lines besides the sentence end '</s>'"),
])
def test_load_word2vec_vocab_rejects_malformed(tmp_path, content, message):
    path = tmp_path / "v.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        Vocabulary.load_word2vec_vocab(path, min_count=1)
    assert str(path) in str(info.value)


def test_vocab_file_words_may_hold_non_ascii_whitespace(tmp_path):
    # word2vec.c splits vocab lines on ASCII spaces and tabs only; str.split()
    # would cut all of these words in two.
    words = ["a\u00a0b", "em\u2003space", "v\x0btab", "f\x0cfeed", "nel\x85", "ls\u2028x", "\u00a0"]
    path = tmp_path / "v.txt"
    path.write_bytes("".join(f"{w} {i + 1}\n" for i, w in enumerate(words)).encode())
    vocab = Vocabulary.load_word2vec_vocab(path, min_count=1, sorted_vocab=False)
    assert as_pairs(vocab) == [(w, i + 1) for i, w in enumerate(words)]
    again = tmp_path / "again.txt"
    vocab.save_word2vec_vocab(again)  # and they can be written back
    assert as_pairs(Vocabulary.load_word2vec_vocab(again, min_count=1, sorted_vocab=False)) == as_pairs(vocab)


def test_vocab_file_separators_and_line_ends(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"  the\t\t10 \r\nof   3\r\n\n \t\nx 1")
    vocab = Vocabulary.load_word2vec_vocab(path, min_count=1)
    assert as_pairs(vocab) == [("the", 10), ("of", 3), ("x", 1)]


@pytest.mark.parametrize("word", ["new york", "tab\tbed", "two\nlines", "cr\r", ""])
def test_save_rejects_words_the_format_cannot_hold(tmp_path, word):
    vocab = Vocabulary.from_counts({word: 3, "a": 2}, min_count=1)
    with pytest.raises(ValueError, match="cannot be written") as info:
        vocab.save_word2vec_vocab(tmp_path / "v.txt")
    assert repr(word) in str(info.value)
    assert not os.listdir(tmp_path)


# -------------------------------------------------------------------- gensim
def test_agrees_with_gensim_build_vocab(kjv):
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    for kwargs in ({"min_count": 5}, {"min_count": 2, "max_final_vocab": 3000}):
        model = gensim_w2v.Word2Vec(vector_size=8, **kwargs)
        model.build_vocab(kjv)
        ours = Vocabulary.scan(kjv, **kwargs)
        theirs = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
        assert dict(as_pairs(ours)) == theirs
        assert ours.raw_word_count == model.corpus_total_words
        assert ours.corpus_count == model.corpus_count
        assert ours.effective_min_count == model.effective_min_count


def test_update_agrees_with_gensim(kjv):
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    first, second = kjv[:15000], kjv[15000:]
    model = gensim_w2v.Word2Vec(vector_size=8, min_count=5)
    model.build_vocab(first)
    model.build_vocab(second, update=True)
    ours = Vocabulary.scan(first, min_count=5)
    old = list(ours.index_to_key)
    ours.update(second)
    assert ours.index_to_key[: len(old)] == old
    theirs = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
    assert dict(as_pairs(ours)) == theirs


def test_counts_whose_total_overflows_int64_are_rejected():
    with pytest.raises(ValueError, match="2\\*\\*63"):
        Vocabulary.from_counts({"a": 2 ** 62, "b": 2 ** 62}, min_count=1)
    assert Vocabulary.from_counts({"a": 2 ** 62, "b": 2 ** 62 - 1}, min_count=1).raw_word_count == 2 ** 63 - 1


def test_constructor_validation():
    with pytest.raises(ValueError, match="duplicate word 'a'"):
        Vocabulary(["a", "b", "a"], [1, 2, 3])
    with pytest.raises(ValueError, match="shape"):
        Vocabulary(["a"], [1, 2])
    vocab = Vocabulary(["x", "y"], [3, 1])
    assert vocab.get_count("x") == 3 and "y" in vocab and len(vocab) == 2
    with pytest.raises(KeyError, match="'zz'"):
        vocab.get_count("zz")
