"""Phrases against gensim's on generated corpora, and `cw2v phrases` against word2phrase.

The corpora plant phrases (pairs and connector spans that always occur
together) among random words, so both libraries find some phrases and reject
many candidates; every comparison is exact (dict equality, scores included).
The word2phrase expectations in tests/data/word2phrase/ were written by
word2vec.c's own word2phrase (commands in the README there).
"""
import gzip
import math
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from cw2v import FrozenPhrases, Phrases
from cw2v._kernels.phrases import PhraseCounts, score as c_score
from cw2v.cli import main
from cw2v.models import phrases as phrases_module
from cw2v.models.phrases import ENGLISH_CONNECTOR_WORDS, Phraser, npmi_scorer, original_scorer

gensim_phrases = pytest.importorskip("gensim.models.phrases")

DATA = Path(__file__).parent / "data" / "word2phrase"
PLANTED = [["new", "york"], ["san", "francisco"], ["bank", "of", "america"],
           ["eye", "of", "the", "beholder"], ["machine", "learning"], ["new", "york", "times"]]


def planted_corpus(n_sentences=600, seed=0, vocabulary=60):
    """Sentences of random words (Zipf-ish) with planted phrases and connector words."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocabulary)]
    weights = [1 / (i + 1) for i in range(vocabulary)]
    connectors = sorted(ENGLISH_CONNECTOR_WORDS)
    corpus = []
    for _ in range(n_sentences):
        sentence = []
        for _ in range(rng.randint(0, 25)):
            roll = rng.random()
            if roll < 0.12:
                sentence.extend(rng.choice(PLANTED))
            elif roll < 0.3:
                sentence.append(rng.choice(connectors))
            else:
                sentence.append(rng.choices(words, weights)[0])
        corpus.append(sentence)
    return corpus


@pytest.fixture(params=[1, 3], ids=["1worker", "3workers"])
def small_batches(request, monkeypatch):
    """Workers and tiny batches, so threads and batch edges are exercised."""
    monkeypatch.setattr(Phrases, "_batch_words", 37)
    return request.param


SETTINGS = [
    dict(min_count=1, threshold=1.0),
    dict(min_count=3, threshold=10.0),
    dict(min_count=2, threshold=0.3, scoring="npmi"),
    dict(min_count=1, threshold=-0.5, scoring="npmi"),
    dict(min_count=2, threshold=2.0, connector_words=ENGLISH_CONNECTOR_WORDS),
    dict(min_count=1, threshold=0.1, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS),
    dict(min_count=2, threshold=5.0, delimiter="--"),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()
                                                                      if k != "connector_words")
                         + (",connectors" if "connector_words" in s else ""))
def test_counts_phrases_and_scores_equal_gensims(settings, small_batches):
    corpus = planted_corpus()
    ours = Phrases(corpus, workers=small_batches, **settings)
    theirs = gensim_phrases.Phrases(corpus, **settings)
    assert ours.vocab == theirs.vocab
    assert ours.corpus_word_count == theirs.corpus_word_count
    exported = ours.export_phrases()
    assert exported == theirs.export_phrases()
    delimiter = settings.get("delimiter", "_")
    candidates = [key for key in ours.vocab if delimiter in key]
    assert exported, "the planted phrases are found"
    if settings["threshold"] > 0:
        assert len(exported) < len(candidates), "and some candidates rejected"
    assert ours.find_phrases(corpus) == theirs.find_phrases(corpus)
    for sentence in corpus[:80]:
        assert ours[sentence] == theirs[sentence]
    assert list(ours[corpus]) == list(theirs[corpus])
    frozen, their_frozen = ours.freeze(), theirs.freeze()
    assert frozen.phrasegrams == their_frozen.phrasegrams
    assert list(frozen[corpus]) == list(their_frozen[corpus])
    assert frozen.find_phrases(corpus) == their_frozen.find_phrases(corpus)


def length_ratio_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                        corpus_word_count):
    return bigram_count / (worda_count + wordb_count) - min_count / corpus_word_count


def test_a_custom_scorer_gives_gensims_results():
    corpus = planted_corpus(seed=1)
    ours = Phrases(corpus, min_count=2, threshold=0.2, scoring=length_ratio_scorer)
    theirs = gensim_phrases.Phrases(corpus, min_count=2, threshold=0.2,
                                    scoring=length_ratio_scorer)
    assert ours.export_phrases() == theirs.export_phrases()
    assert [ours[s] for s in corpus] == [theirs[s] for s in corpus]


def test_add_vocab_merges_as_gensim_does():
    first, second = planted_corpus(seed=2), planted_corpus(seed=3, vocabulary=90)
    ours = Phrases(first, min_count=2, threshold=1.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    theirs = gensim_phrases.Phrases(first, min_count=2, threshold=1.0,
                                    connector_words=ENGLISH_CONNECTOR_WORDS)
    ours.add_vocab(second)
    theirs.add_vocab(second)
    assert ours.vocab == theirs.vocab
    assert ours.export_phrases() == theirs.export_phrases()


def test_words_holding_the_delimiter_share_keys_with_phrases_as_in_gensim():
    corpus = [["new", "york", "new_york", "x"], ["new_york", "city"], ["new", "york", "city"]] * 5
    ours, theirs = Phrases(corpus, min_count=1, threshold=0.5), \
        gensim_phrases.Phrases(corpus, min_count=1, threshold=0.5)
    assert ours.vocab == theirs.vocab
    assert ours.vocab["new_york"] == 10 + 10  # the word and the pair
    assert ours.export_phrases() == theirs.export_phrases()


def test_unusual_tokens_round_trip():
    corpus = [["café", "naïve", "日本", "\ud800lone", ""], ["", "café", "naïve"],
              ["café", "naïve", "x y"]] * 4
    ours = Phrases(corpus, min_count=1, threshold=0.1)
    theirs = gensim_phrases.Phrases(corpus, min_count=1, threshold=0.1)
    assert ours.vocab == theirs.vocab
    assert ours.export_phrases() == theirs.export_phrases()
    assert [ours[s] for s in corpus] == [theirs[s] for s in corpus]


def test_phrases_of_an_iterator_and_of_an_empty_sentence():
    corpus = planted_corpus(seed=4)
    ours = Phrases(iter(corpus), min_count=1, threshold=1.0)
    theirs = gensim_phrases.Phrases(corpus, min_count=1, threshold=1.0)
    assert ours.vocab == theirs.vocab
    assert list(ours[iter(corpus[:20])]) == list(theirs[iter(corpus[:20])])
    assert ours[[]] == [] and Phrases()[["a", "b"]] == ["a", "b"]
    transformed = ours[corpus[:5]]
    assert list(transformed) == list(transformed) and len(transformed) == 5


def prune_reference(corpus, max_keys, part_of, n_parts):
    """word2vec.c's rule over gensim's keys, in each part on its own: a new key
    that makes a part hold more than its share of max_keys drops every count
    <= that part's floor, then its floor rises.  Returns (counts, highest floor)."""
    share = -(-max_keys // n_parts)
    parts = [{} for _ in range(n_parts)]
    floors = [1] * n_parts

    def add(key):
        p = part_of(key)
        counts = parts[p]
        if key in counts:
            counts[key] += 1
            return
        counts[key] = 1
        if len(counts) > share:
            for k in [k for k, c in counts.items() if c <= floors[p]]:
                del counts[k]
            floors[p] += 1
    for sentence in corpus:
        for previous, word in zip([None] + sentence, sentence):
            add(word)
            if previous is not None:
                add(previous + "_" + word)
    return {k: c for counts in parts for k, c in counts.items()}, max(floors)


@pytest.mark.parametrize("workers", [1, 3])
def test_max_vocab_size_prunes_with_word2vec_cs_rising_floor(workers):
    corpus = planted_corpus(n_sentences=400, seed=5, vocabulary=400)
    model = Phrases(corpus, min_count=1, threshold=1.0, max_vocab_size=300, workers=workers)
    counts = model._counts
    expected, floor = prune_reference(corpus, 300, counts.part_of, counts.n_parts)
    assert floor > 2
    assert model.vocab == expected
    assert model.min_reduce == floor
    assert len(model.vocab) <= 300
    unbounded = Phrases(corpus, min_count=1, threshold=1.0)
    assert all(unbounded.vocab[key] >= count for key, count in model.vocab.items())


@pytest.mark.parametrize("scoring", ["default", "npmi"])
def test_c_scorers_equal_the_python_ones_bit_for_bit(scoring):
    rng = np.random.default_rng(6)
    python = original_scorer if scoring == "default" else npmi_scorer
    for _ in range(2000):
        a, b = (int(x) for x in rng.integers(1, 10 ** rng.integers(1, 10), size=2))
        ab = int(rng.integers(1, min(a, b) + 1))
        min_count = float(rng.choice([1, 2, 5, 2.5]))
        len_vocab, total = int(rng.integers(1, 10 ** 9)), a + b + int(rng.integers(1, 10 ** 9))
        expected = python(worda_count=a, wordb_count=b, bigram_count=ab, len_vocab=len_vocab,
                          min_count=min_count, corpus_word_count=total)
        assert c_score(scoring, a, b, ab, min_count, len_vocab, total) == expected
    # and gensim's own functions agree with ours
    assert original_scorer(3, 4, 2, 10, 1, 50) == gensim_phrases.original_scorer(3, 4, 2, 10, 1, 50)
    assert npmi_scorer(3, 4, 2, 10, 1, 50) == gensim_phrases.npmi_scorer(3, 4, 2, 10, 1, 50)


def test_save_and_load_without_pickle(tmp_path):
    corpus = planted_corpus(seed=7)
    model = Phrases(corpus, min_count=2, threshold=1.0, connector_words=ENGLISH_CONNECTOR_WORDS,
                    delimiter="+")
    model.save(tmp_path / "phrases")
    loaded = Phrases.load(tmp_path / "phrases", workers=2)
    assert loaded.vocab == model.vocab
    assert (loaded.min_count, loaded.threshold, loaded.delimiter, loaded.connector_words,
            loaded.corpus_word_count, loaded.scoring) == \
        (model.min_count, model.threshold, model.delimiter, model.connector_words,
         model.corpus_word_count, original_scorer)
    assert loaded.export_phrases() == model.export_phrases()
    frozen = model.freeze()
    frozen.save(tmp_path / "frozen")
    loaded_frozen = FrozenPhrases.load(tmp_path / "frozen")
    assert loaded_frozen.phrasegrams == frozen.phrasegrams
    assert list(loaded_frozen[corpus]) == list(frozen[corpus])
    for path in (tmp_path / "phrases", tmp_path / "frozen"):
        for file in path.iterdir():
            if file.suffix == ".npy":
                np.load(file, allow_pickle=False)
    with pytest.raises(ValueError, match="not 'phrases'"):
        Phrases.load(tmp_path / "frozen")


def test_a_custom_scorer_is_saved_by_name_and_must_be_passed_to_load(tmp_path):
    model = Phrases(planted_corpus(seed=8), min_count=1, threshold=0.1,
                    scoring=length_ratio_scorer)
    model.save(tmp_path / "custom")
    with pytest.raises(ValueError, match="length_ratio_scorer.*scoring=function"):
        Phrases.load(tmp_path / "custom")
    loaded = Phrases.load(tmp_path / "custom", scoring=length_ratio_scorer)
    assert loaded.export_phrases() == model.export_phrases()


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="min_count"):
        Phrases(min_count=0)
    with pytest.raises(ValueError, match="threshold should be positive"):
        Phrases(threshold=0)
    with pytest.raises(ValueError, match="between -1 and 1"):
        Phrases(scoring="npmi", threshold=2)
    with pytest.raises(ValueError, match="unknown scoring"):
        Phrases(scoring="pmi")
    with pytest.raises(ValueError, match="missing expected parameters"):
        Phrases(scoring=lambda worda_count, wordb_count: 1.0)
    with pytest.raises(ValueError, match="delimiter"):
        Phrases(delimiter="")
    with pytest.raises(TypeError, match="sentence #1 is a str"):
        Phrases([["ok"], "not a list"])
    with pytest.raises(TypeError, match="holds a int token"):
        Phrases([["ok", 3]])
    with pytest.raises(TypeError, match="LineSentence"):
        Phrases("corpus.txt")


def test_gensim_names():
    model = Phrases(planted_corpus(seed=9), min_count=1, threshold=1.0)
    assert Phraser is FrozenPhrases
    assert str(model).startswith("Phrases<") and "threshold=1.0" in str(model)
    assert str(model.freeze()).startswith("FrozenPhrases<")
    assert ENGLISH_CONNECTOR_WORDS == gensim_phrases.ENGLISH_CONNECTOR_WORDS


def test_counts_report_memory_errors_as_exceptions():
    counts = PhraseCounts(2, None, "_")
    assert counts.count([["a", "b"], ["a"]]) == (3, 2)
    assert counts.get("a_b") == 1 and counts.get("missing") == 0
    with pytest.raises(ValueError, match="one more element"):
        counts.add_arrays(np.zeros(2, np.uint8), np.array([0, 2]), np.array([1, 1]))


# ---- cw2v phrases against word2phrase's output

W2P_CASES = [  # input, expected output, flags
    ("rules.txt", "rules-m1-t1.txt", ["-min-count", "1", "-threshold", "1"]),
    ("rules.txt", "rules-m0-t0.5.txt", ["-min-count", "0", "-threshold", "0.5"]),
    ("rules.txt", "rules-m3-t-1.txt", ["-min-count", "3", "-threshold", "-1"]),
    ("text.txt", "text-phrase0.txt", ["-min-count", "5", "-threshold", "10"]),
    ("text-phrase0.txt", "text-phrase1.txt", ["-min-count", "5", "-threshold", "3"]),
]


@pytest.mark.parametrize("source, expected, flags", W2P_CASES, ids=[c[1] for c in W2P_CASES])
def test_phrases_command_writes_word2phrases_bytes(source, expected, flags, tmp_path, capsys):
    output = tmp_path / "out.txt"
    assert main(["phrases", "-train", str(DATA / source), "-output", str(output), *flags,
                 "-debug", "0"]) == 0
    assert output.read_bytes() == (DATA / expected).read_bytes()
    assert os.listdir(tmp_path) == ["out.txt"]  # no temporary file left


def test_phrases_command_twice_gives_trigrams_and_reads_gzip(tmp_path, capsys):
    packed = tmp_path / "text.txt.gz"
    with gzip.open(packed, "wb") as f:
        f.write((DATA / "text.txt").read_bytes())
    first, second = tmp_path / "p0.txt", tmp_path / "p1.txt"
    assert main(["phrases", "-train", str(packed), "-output", str(first), "-threshold", "10"]) == 0
    assert "Words in train file:" in capsys.readouterr().err
    assert main(["phrases", "-train", str(first), "-output", str(second), "-threshold", "3",
                 "-debug", "0"]) == 0
    text = second.read_text()
    assert second.read_bytes() == (DATA / "text-phrase1.txt").read_bytes()
    assert "world_war_ii" in text and "new_york_times" in text
    assert sorted(os.listdir(tmp_path)) == ["p0.txt", "p1.txt", "text.txt.gz"]


def test_phrases_command_overwrites_its_own_input_safely(tmp_path, capsys):
    text = tmp_path / "t.txt"
    shutil.copy(DATA / "text.txt", text)
    assert main(["phrases", "-train", str(text), "-output", str(text), "-threshold", "10",
                 "-debug", "0"]) == 0
    assert text.read_bytes() == (DATA / "text-phrase0.txt").read_bytes()


def test_phrases_command_errors(tmp_path, capsys):
    assert main(["phrases", "-train", str(tmp_path / "missing"), "-output",
                 str(tmp_path / "o")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["phrases", "-train", str(DATA / "text.txt"), "-output",
                 str(tmp_path / "no" / "o")]) == 1
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["phrases", "-train", str(DATA / "text.txt"), "-output", str(tmp_path / "o"),
              "-min-count", "-2"])
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"lonely")  # word2phrase drops a last word with no end after it
    assert main(["phrases", "-train", str(empty), "-output", str(tmp_path / "o")]) == 0
    assert "holds no words" in capsys.readouterr().err
    assert (tmp_path / "o").read_bytes() == b""
