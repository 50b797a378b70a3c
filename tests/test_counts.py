"""cw2v.vocab.counts.Counts: one table, filled in C, merged, pruned once, shipped as arrays.

Oracles: collections.Counter over the concatenated corpus (merging shards
must give exactly its counts, order of first appearance and totals), and a
plain-Python word2vec.c pruning loop for max_vocab_size.
"""
import collections
import pickle
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cw2v._kernels.textfile import split_ranges
from cw2v.io.corpus import LineSentence, Text8Corpus
from cw2v.vocab.counts import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Counts
from cw2v.vocab.vocabulary import Vocabulary

WORDS = ["a", "b", "c", "dd", "é", "日本", "😀", "x\u00a0y", "\udcff", "", "new york"]
corpora = st.lists(st.lists(st.sampled_from(WORDS), max_size=8), max_size=12)


def state(counts):
    """Everything a Counts holds, comparable with ==."""
    return (list(counts.to_dict().items()), counts.raw_words, counts.n_sentences,
            counts.prune_floor, counts.prune_rounds)


def reference(corpus):
    counter = collections.Counter(t for s in corpus for t in s)
    return list(counter.items()), sum(map(len, corpus)), len(corpus)


def count(corpus):
    """Counts of a list of token lists (an empty one is an empty Counts:
    add_corpus rejects an empty corpus, as every corpus check does)."""
    return Counts().add_corpus(iter(corpus)) if corpus else Counts()


def shards(corpus, cuts):
    bounds = [0] + sorted(min(c, len(corpus)) for c in cuts) + [len(corpus)]
    return [corpus[a:b] for a, b in zip(bounds, bounds[1:])]


# ------------------------------------------------------------------ merging
@settings(max_examples=200, deadline=None)
@given(corpus=corpora, cuts=st.lists(st.integers(0, 12), max_size=4), min_count=st.integers(0, 4),
       tree=st.booleans())
def test_merged_shards_equal_the_whole(corpus, cuts, min_count, tree):
    whole = count(corpus)
    assert state(whole)[:3] == reference(corpus)
    parts = [count(shard) for shard in shards(corpus, cuts)]
    if tree:  # pairwise, as a distributed reduce would
        while len(parts) > 1:
            parts = [parts[i].merge(parts[i + 1]) if i + 1 < len(parts) else parts[i]
                     for i in range(0, len(parts), 2)]
        merged = parts[0]
    else:
        merged = parts[0]
        for part in parts[1:]:
            merged.merge(part)
    assert state(merged) == state(whole)
    # Pruning applied once, at the end, commutes with merging.
    assert merged.prune(min_count) == whole.prune(min_count)
    assert state(merged) == state(whole)


def test_merged_file_ranges_equal_the_whole_file(tmp_path):
    rng = random.Random(3)
    lines = [" ".join(rng.choice(WORDS[:8]) for _ in range(rng.randint(0, 30))) for _ in range(400)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = Counts().add_file(path, max_sentence_length=7)
    for n in (2, 3, 8):
        merged = Counts()
        for start, end in split_ranges(path, n):  # cut at line starts
            merged.merge(Counts().add_file(path, start, end, max_sentence_length=7))
        assert state(merged) == state(whole)
    # A cut inside a line still counts every word once (the line counts twice).
    left, right = Counts().add_file(path, 0, 1001), Counts().add_file(path, 1001)
    merged = left.merge(right)
    assert merged.to_dict() == whole.to_dict() and merged.raw_words == whole.raw_words


def test_threads_count_a_file_as_one_thread_does(tmp_path, monkeypatch):
    import cw2v.vocab.counts as counts_module
    monkeypatch.setattr(counts_module, "_PARALLEL_MIN_BYTES", 0)
    rng = random.Random(4)
    lines = [" ".join(rng.choice(WORDS[:8]) for _ in range(rng.randint(0, 30))) for _ in range(400)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = Counts().add_file(path, max_sentence_length=7)
    threaded = {n: Counts().add_file(path, max_sentence_length=7, workers=n) for n in (2, 3, 8)}
    assert counts_module._line_ranges(path, 3) is not None        # it did cut the file
    for counts in threaded.values():
        assert state(counts) == state(whole)
    # One long line: a cut would split it, so one thread counts it.
    long_line = tmp_path / "long.txt"
    long_line.write_text(" ".join(rng.choice(WORDS[:8]) for _ in range(3000)), encoding="utf-8")
    assert counts_module._line_ranges(long_line, 2) is None
    assert state(Counts().add_file(long_line, workers=2)) == state(Counts().add_file(long_line))


def test_merge_arguments():
    counts = Counts().add_corpus([["a"]])
    with pytest.raises(TypeError, match="Counts"):
        counts.merge({"a": 1})
    with pytest.raises(ValueError, match="themselves"):
        counts.merge(counts)


# ------------------------------------------------------------- max_vocab_size
def reference_pruned(corpus, max_vocab_size, trim_rule=None):
    """word2vec.c's rising floor, checked after each sentence, in plain Python."""
    counts, floor = {}, 1
    for sentence in corpus:
        for token in sentence:
            counts[token] = counts.get(token, 0) + 1
        if len(counts) > max_vocab_size:
            kept = {}
            for word, count in counts.items():
                rule = trim_rule(word, count, floor + 1) if trim_rule else RULE_DEFAULT
                if rule == RULE_KEEP or (rule == RULE_DEFAULT and count > floor):
                    kept[word] = count
            counts, floor = kept, floor + 1
    return counts, floor


def zipf_lines(n_words=6000, seed=2):
    rng = random.Random(seed)
    words = [f"w{int(rng.paretovariate(1.0))}" for _ in range(n_words)]
    words.insert(3, "keepme")
    return [words[i:i + 10] for i in range(0, len(words), 10)]


@pytest.mark.parametrize("trim", [False, True])
def test_every_source_prunes_by_the_one_rule(tmp_path, trim):
    def rule(word, count, min_count):
        return {"keepme": RULE_KEEP, "w1": RULE_DISCARD}.get(word, RULE_DEFAULT)

    trim_rule = rule if trim else None
    lines = zipf_lines()
    path = tmp_path / "zipf.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in lines))
    expected, floor = reference_pruned(lines, 40, trim_rule)
    sources = {
        "token lists": lambda c: c.add_corpus(lines),
        "LineSentence": lambda c: c.add_corpus(LineSentence(path)),
        "file": lambda c: c.add_file(path),
    }
    for name, fill in sources.items():
        counts = fill(Counts(max_vocab_size=40, trim_rule=trim_rule))
        assert counts.to_dict() == expected, name
        assert (counts.prune_floor, counts.prune_rounds) == (floor, floor - 1), name
        assert counts.raw_words == sum(map(len, lines)) and counts.n_sentences == len(lines)
    assert ("keepme" in expected) == trim and floor > 2


def test_merge_under_max_vocab_size_prunes_until_it_fits():
    a = Counts(max_vocab_size=30).add_corpus(zipf_lines(3000, seed=1))
    b = Counts(max_vocab_size=30).add_corpus(zipf_lines(3000, seed=9))
    floor = max(a.prune_floor, b.prune_floor)
    rounds = a.prune_rounds + b.prune_rounds
    a.merge(b)
    assert len(a) <= 30 and a.prune_floor >= floor and a.prune_rounds >= rounds
    assert a.raw_words == 6002


def test_prune_consults_trim_rule_with_min_count():
    calls = []

    def rule(word, count, min_count):
        calls.append((word, count, min_count))
        return RULE_KEEP if word == "rare" else RULE_DEFAULT

    counts = Counts(trim_rule=rule).add_corpus([["a", "a", "b", "rare"]])
    assert counts.prune(2) == 1
    assert counts.to_dict() == {"a": 2, "rare": 1}
    assert sorted(calls) == [("a", 2, 2), ("b", 1, 2), ("rare", 1, 2)]
    with pytest.raises(ValueError, match="RULE_KEEP"):
        Counts(trim_rule=lambda w, c, m: True).add_corpus([["a"]]).prune(1)


# ------------------------------------------------------------------ shipping
@settings(max_examples=60, deadline=None)
@given(corpus=corpora)
def test_arrays_and_pickle_round_trip(corpus):
    counts = Counts(max_vocab_size=5)
    if corpus:
        counts.add_corpus(iter(corpus))
    arrays = counts.to_arrays()
    assert {k: (v.dtype, v.ndim) for k, v in arrays.items()} == {
        "words": (np.uint8, 1), "word_offsets": (np.int64, 1), "counts": (np.int64, 1),
        "totals": (np.int64, 1)}
    assert arrays["words"].nbytes == sum(len(w.encode("utf-8", "surrogatepass")) for w in counts.words())
    for restored in (Counts.from_arrays(arrays, max_vocab_size=5), pickle.loads(pickle.dumps(counts))):
        assert state(restored) == state(counts) and restored.max_vocab_size == 5
        restored.merge(Counts().add_corpus([["zz"]] * 9))  # a working table (frequent: not pruned)
        assert restored["zz"] == 9


def test_from_arrays_rejects_arrays_that_do_not_fit():
    good = Counts().add_corpus([["a", "bb", "a"]]).to_arrays()

    def broken(**changes):
        return {**good, **changes}

    cases = [
        (broken(counts=good["counts"].astype(np.int32)), "1-D int64"),
        (broken(word_offsets=np.array([0, 1], dtype=np.int64)), "word_offsets"),
        (broken(word_offsets=np.array([0, 2, 1], dtype=np.int64)), "word_offsets"),
        (broken(counts=np.array([2, -1], dtype=np.int64)), "negative"),
        (broken(totals=np.array([3, 1, 0, 0], dtype=np.int64)), "prune_floor"),
        (broken(words=np.frombuffer(b"\xffbb", dtype=np.uint8)), "word 0 is not UTF-8"),
        (broken(words=np.frombuffer(b"aa", dtype=np.uint8),
                word_offsets=np.array([0, 1, 2], dtype=np.int64)), "word 1 .* twice"),
    ]
    for arrays, message in cases:
        with pytest.raises(ValueError, match=message):
            Counts.from_arrays(arrays)
    with pytest.raises(ValueError, match="lack"):
        Counts.from_arrays({"words": good["words"]})


# ------------------------------------------------------------------- reading
def test_reading_and_vocabulary():
    counts = Counts().add_corpus([["b", "a", "b"], ["c"]])
    assert counts.words() == ["b", "a", "c"] and counts.counts().tolist() == [2, 1, 1]
    assert (counts["b"], counts["zz"], "a" in counts, "zz" in counts, 3 in counts) == (2, 0, True, False, False)
    assert len(counts) == 3 and "3 words" in repr(counts)
    vocab = Vocabulary.from_counts(counts, min_count=2)
    assert vocab.index_to_key == ["b"]
    assert (vocab.raw_word_count, vocab.corpus_count, vocab.distinct_count) == (4, 2, 3)
    with pytest.raises(TypeError, match="str"):
        counts[b"a"]


def test_bad_tokens_and_corpora():
    with pytest.raises(ValueError, match="empty"):
        Counts().add_corpus([])
    with pytest.raises(TypeError, match="bytes"):
        Counts().add_corpus([[b"a"]])
    with pytest.raises(TypeError, match=r"sentence 1 \(counting from 0\)"):
        Counts().add_corpus([["a"], "a b"])
    with pytest.raises(ValueError, match="max_vocab_size"):
        Counts(max_vocab_size=0)
    with pytest.raises(ValueError, match="end"):
        Counts().add_file("x", 5, 2)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.sampled_from("ab é\u00a0\n\t"), max_size=40), limit=st.integers(0, 6))
def test_reader_limits_count_what_iteration_yields(tmp_path, text, limit):
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    for reader in (LineSentence(path, max_sentence_length=2, limit=limit),
                   Text8Corpus(path, max_sentence_length=2, limit=limit)):
        sentences = list(reader)
        counts = Counts().add_corpus(reader)
        assert state(counts)[:3] == reference(sentences), type(reader).__name__
