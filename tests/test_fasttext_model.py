"""End-to-end behaviour of cw2v.FastText: planted answers, reproducibility, files in and out.

The kernels' subword former is checked update by update against a NumPy
reference in test_kernels.py; these tests check the model around it.
"""
import inspect
import logging
import math
import os

import numpy as np
import pytest

import cw2v
from cw2v import FastText, FastTextKeyedVectors, load_facebook_model, save_facebook_model
from cw2v._kernels.ngrams import fill_uniform_rows

from synthetic import own_topic_share, topic_corpus  # noqa: E402  (tests/synthetic.py)
from test_word2vec import CorpusLoss  # noqa: E402  (the loss of a corpus at lr 0)

SMALL = dict(vector_size=16, window=3, min_count=1, sample=0, workers=1, seed=3, bucket=997,
             min_n=2, max_n=4)


def write_corpus(path, sentences):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(" ".join(s) + "\n" for s in sentences)
    return str(path)


def opaque_topic_corpus(n_sentences=1500, seed=0):
    """topic_corpus with every word renamed to random letters, so that no n-gram tells its topic.

    Returns the corpus and ``{topic word: its new name}``.
    """
    corpus = topic_corpus(n_sentences)
    rng = np.random.default_rng(seed + 100)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    names = {w: "".join(rng.choice(letters, 6)) for w in sorted({w for s in corpus for w in s})}
    assert len(set(names.values())) == len(names)
    return [[names[w] for w in s] for s in corpus], names


def topic_share(model, names):
    """own_topic_share of the composed vectors, under the words' topic names."""
    keys = list(names)
    return own_topic_share(cw2v.KeyedVectors.from_arrays(keys, np.vstack([model.wv[names[k]] for k in keys])))


# ---------------------------------------------------------------- learning

@pytest.mark.parametrize("layer", [dict(sg=1, negative=5), dict(sg=0, negative=5),
                                   dict(sg=1, hs=1, negative=0)], ids=["sg-ns", "cbow-ns", "sg-hs"])
def test_learns_planted_topics_and_loss_falls_every_epoch(layer):
    corpus, names = opaque_topic_corpus()
    measured = CorpusLoss(corpus)
    model = FastText(corpus, epochs=4, compute_loss=True, callbacks=[measured],
                     **{**SMALL, **layer})
    share = topic_share(model, names)
    assert share > 0.85, f"only {share:.2f} of nearest neighbours share the topic"
    losses = measured.losses
    assert len(losses) == 5 and all(math.isfinite(x) and x > 0 for x in losses)
    assert all(after < before for before, after in zip(losses, losses[1:])), losses
    assert len(model.loss_history) == 4 and model.get_latest_training_loss() > 0


def test_untrained_composed_vectors_are_at_chance():
    corpus, names = opaque_topic_corpus()
    model = FastText(**SMALL)
    model.build_vocab(corpus)
    assert topic_share(model, names) < 0.3


STEMS = ["brom", "clav", "drux", "fent", "glim", "hosp", "jurn", "kelp"]
SUFFIXES = ["", "a", "er", "ing", "ed", "ly"]
HELD_OUT = "ers"   # a form of each stem that never occurs in the corpus


def family_corpus(n_sentences=2000, length=8, seed=0):
    """Each sentence uses the forms of one stem: a family is a topic, and its words share n-grams."""
    rng = np.random.default_rng(seed)
    corpus = []
    for _ in range(n_sentences):
        stem = STEMS[rng.integers(len(STEMS))]
        corpus.append([stem + SUFFIXES[i] for i in rng.integers(len(SUFFIXES), size=length)])
    return corpus


def test_unseen_words_land_near_their_morphological_family():
    model = FastText(family_corpus(), sg=1, epochs=5, **{**SMALL, "min_n": 3, "max_n": 5})
    wv = model.wv
    for stem in STEMS:
        unseen = stem + HELD_OUT
        assert not wv.has_index_for(unseen) and unseen in wv
        neighbours = [word for word, _ in wv.most_similar(unseen, topn=len(SUFFIXES))]
        assert all(word.startswith(stem) for word in neighbours), (unseen, neighbours)
    # Composed from n-gram rows alone, as fastText does for a word it never saw;
    # n-grams of buckets no vocabulary word uses count as zero rows.
    word = STEMS[0] + HELD_OUT
    rows, n_ngrams = wv.ngram_rows(word), len(cw2v._kernels.ngrams.ngrams(word, 3, 5))
    np.testing.assert_allclose(wv[word], wv.input_vectors[rows].sum(axis=0) / n_ngrams, rtol=1e-5)


def test_wv_holds_composed_vectors_after_training():
    model = FastText(topic_corpus(300), epochs=1, **SMALL)
    wv = model.wv
    assert isinstance(wv, FastTextKeyedVectors)
    used = np.unique(wv.bucket_rows[wv.bucket_rows >= 0])
    np.testing.assert_array_equal(used, np.arange(used.size))
    assert wv.input_vectors.shape == (len(wv) + used.size, SMALL["vector_size"])
    assert used.size < SMALL["bucket"]
    for word in ("t0w0", "t5w11"):
        rows = wv.ngram_rows(word)
        assert rows[0] == wv.key_to_index[word] and len(rows) > 1
        np.testing.assert_allclose(wv[word], wv.input_vectors[rows].mean(axis=0), rtol=1e-5, atol=1e-7)


def test_initialisation_follows_facebook_fasttext(caplog):
    K = 20
    with caplog.at_level(logging.INFO, logger="cw2v.models.fasttext"):
        model = FastText(**{**SMALL, "vector_size": K, "bucket": 5000})
        model.build_vocab(topic_corpus(100))
    matrix = model.wv.input_vectors
    assert matrix.min() >= -1.0 / K and matrix.max() < 1.0 / K
    assert matrix.min() < -0.9 / K and matrix.max() > 0.9 / K   # the whole range, not word2vec.c's half
    assert np.all(model.w_out_ns == 0)
    rows = len(model.wv.input_vectors)
    assert (f"({len(model.wv)} words + {rows - len(model.wv)} n-gram rows of 5000 buckets) x 20 "
            f"dimensions x 4 bytes = {rows * 80 / 2**20:.1f} MB") in caplog.text


# ---------------------------------------------------------------- modes and reproducibility

def train_small(tmp_path, mode, seed, **kw):
    corpus = topic_corpus(300)
    settings = {**SMALL, "seed": seed, "epochs": 2, "sg": 1, **kw}
    if mode == "file":
        return FastText(corpus_file=write_corpus(tmp_path / "corpus.txt", corpus), **settings)
    return FastText(corpus, **settings)


@pytest.mark.parametrize("mode", ["iterable", "file"])
@pytest.mark.parametrize("sg", [1, 0])
def test_workers_1_is_bit_reproducible(tmp_path, mode, sg):
    first, second = (train_small(tmp_path, mode, 7, sg=sg)._matrices() for _ in range(2))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].tobytes() == second[name].tobytes(), name
    other = train_small(tmp_path, mode, 8, sg=sg)
    assert other.wv.input_vectors.tobytes() != first["wv.vectors"].tobytes()


def test_iterable_and_file_modes_agree(tmp_path):
    corpus, names = opaque_topic_corpus()
    settings = {**SMALL, "epochs": 3, "sg": 1, "compute_loss": True}
    iterable = FastText(corpus, **settings)
    from_file = FastText(corpus_file=write_corpus(tmp_path / "c.txt", corpus), **settings)
    assert iterable.wv.index_to_key == from_file.wv.index_to_key
    np.testing.assert_array_equal(iterable.wv.subword_rows, from_file.wv.subword_rows)
    assert iterable.corpus_total_words == from_file.corpus_total_words
    for model in (iterable, from_file):
        assert topic_share(model, names) > 0.85
    # The same predictions up to the random draws: the epoch losses agree closely.
    np.testing.assert_allclose(iterable.loss_history, from_file.loss_history, rtol=0.05)


@pytest.mark.parametrize("compact", [True, False])
def test_vocabulary_update_keeps_rows_and_recomputes_subwords(compact):
    model = FastText(topic_corpus(300), epochs=1, compact_ngrams=compact, **SMALL)
    old = model.wv
    old_words, old_ngrams = old.vectors_vocab.copy(), old.vectors_ngrams.copy()
    model.build_vocab([["t0w0", "newword", "t1w1"]] * 5, update=True)
    wv = model.wv
    V = len(old.index_to_key)
    assert len(wv) == V + 1 and wv.has_index_for("newword")
    np.testing.assert_array_equal(wv.vectors_vocab[:V], old_words)
    np.testing.assert_array_equal(wv.vectors_ngrams[:len(old_ngrams)], old_ngrams)
    # The new word's n-gram rows follow the new number of words (through the
    # compact store's bucket map, grown for the buckets it uses first).
    rows = wv.ngram_rows("newword")
    full_rows = cw2v._kernels.ngrams.ngram_rows("newword", 2, 4, 997, V + 1)
    if compact:
        assert len(wv.vectors_ngrams) > len(old_ngrams)
        np.testing.assert_array_equal(old.bucket_rows[old.bucket_rows >= 0],
                                      wv.bucket_rows[old.bucket_rows >= 0])
        full_rows = wv.bucket_rows[full_rows - (V + 1)] + V + 1
        grown = wv.vectors_ngrams[len(old_ngrams):]
        assert np.abs(grown).max() < 1 / 16 and np.abs(grown).min() > 0
    else:
        assert wv.bucket_rows is None and len(wv.vectors_ngrams) == 997
    np.testing.assert_array_equal(rows[1:], full_rows)
    before = wv.input_vectors.copy()
    model.train([["t0w0", "newword", "t1w1"]] * 5, total_examples=5, epochs=1)
    assert not np.array_equal(before[rows], wv.input_vectors[rows])


def test_constructor_follows_gensim():
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    ours = list(inspect.signature(FastText.__init__).parameters.values())
    theirs = list(inspect.signature(gensim_fasttext.FastText.__init__).parameters.values())
    positional = [p.name for p in ours if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == [p.name for p in theirs]
    defaults = {p.name: p.default for p in ours}
    for p in theirs:
        assert defaults[p.name] == p.default, p.name
    with pytest.raises(NotImplementedError, match="word_ngrams"):
        FastText(word_ngrams=2)
    with pytest.raises(ValueError, match="min_n"):
        FastText(min_n=-1)


# ---------------------------------------------------------------- files

def test_save_and_load_round_trip(tmp_path):
    model = FastText(topic_corpus(300), epochs=1, **{**SMALL, "hs": 1})
    model.save(tmp_path / "model")
    loaded = FastText.load(tmp_path / "model")
    assert type(loaded) is FastText and repr(loaded) == repr(model)
    for name, matrix in model._matrices().items():
        np.testing.assert_array_equal(loaded._matrices()[name], matrix, err_msg=name)
    for word in ("t0w0", "t9w9", "никогда"):
        np.testing.assert_array_equal(loaded.wv[word], model.wv[word])
    assert (loaded.min_n, loaded.max_n, loaded.bucket) == (2, 4, 997)
    np.testing.assert_array_equal(loaded.wv.bucket_rows, model.wv.bucket_rows)   # still compact
    # Both continue identically.
    for m in (model, loaded):
        m.train(topic_corpus(50), total_examples=50, epochs=1)
    np.testing.assert_array_equal(loaded.wv.input_vectors, model.wv.input_vectors)
    cw2v.Word2Vec(topic_corpus(50), min_count=1, epochs=1).save(tmp_path / "w2v")
    with pytest.raises(ValueError, match="not a cw2v FastText"):
        FastText.load(tmp_path / "w2v")


UNSEEN = ["t0w99", "никогда", "北海道", "t1w1s", "café"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    corpus = topic_corpus(300) + [["команда", "北海道", "café"]] * 5
    model = FastText(corpus, epochs=1, **{**SMALL, "vector_size": 8})
    path = tmp_path_factory.mktemp("ft") / "model.bin"
    save_facebook_model(model, path)
    return model, path


def test_saved_bin_loads_in_the_fasttext_package(trained):
    fasttext = pytest.importorskip("fasttext")
    model, path = trained
    theirs = fasttext.load_model(str(path))
    assert theirs.get_words() == model.wv.index_to_key
    # Some unseen words have n-grams in buckets no vocabulary word uses (zero rows).
    assert any(0 < len(model.wv.ngram_rows(w)) < len(cw2v._kernels.ngrams.ngrams(w, 2, 4))
               for w in UNSEEN)
    for word in model.wv.index_to_key[:20] + ["команда", "北海道"] + UNSEEN:
        np.testing.assert_allclose(theirs.get_word_vector(word), model.wv[word], atol=1e-6,
                                   err_msg=word)


def test_saved_bin_loads_in_gensim(trained):
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    model, path = trained
    theirs = gensim_fasttext.load_facebook_model(str(path))
    for word in model.wv.index_to_key[:20] + ["команда", "北海道"] + UNSEEN:
        np.testing.assert_allclose(theirs.wv[word], model.wv[word], atol=1e-6, err_msg=word)


def test_saved_bin_loads_back_as_the_same_model(trained):
    model, path = trained
    loaded = load_facebook_model(path)
    assert_same_as_expanded(loaded.wv, model.wv)
    np.testing.assert_array_equal(loaded.w_out_ns, model.w_out_ns)
    assert (loaded.sg, loaded.negative, loaded.window, loaded.bucket) == (model.sg, 5, 3, 997)


def test_a_facebook_model_loads_and_trains_further(tmp_path):
    """On test_fasttext_bin's corpus and settings, where fasttext 0.9.3 trains reliably
    (on some other tiny corpora it often stops with "Encountered NaN" or blows up)."""
    fasttext = pytest.importorskip("fasttext")
    from test_fasttext_bin import CORPUS, train
    for attempt in range(20):
        # fasttext 0.9.3 sometimes leaves rows blown up (1e32, inf) on this corpus too.
        theirs, path = train(tmp_path)
        if np.all(np.abs(theirs.get_input_matrix()) < 1e3):
            break
    else:
        pytest.fail("fasttext.train_unsupervised blew up 20 times")
    model = load_facebook_model(path)
    # The label fastText keeps out of the word vocabulary stays out of the corpus too.
    corpus = [[w for w in line.split() if model.wv.has_index_for(w)] for line in CORPUS.splitlines()]
    assert isinstance(model, FastText) and model.sg == 1 and model.ns_exponent == 0.5
    for word in theirs.get_words() + UNSEEN:
        np.testing.assert_allclose(model.wv[word], theirs.get_word_vector(word), atol=1e-6,
                                   err_msg=word)
    # Training continues from fastText's weights: the corpus's loss falls every epoch.
    measured = CorpusLoss(corpus)
    model.sample = 0    # fastText's t=1e-4 would skip most of this tiny corpus
    model.train(corpus, total_examples=len(corpus), epochs=3, callbacks=[measured])
    assert np.isfinite(model.wv.input_vectors).all()
    losses = measured.losses
    assert all(after < before for before, after in zip(losses, losses[1:])), losses
    save_facebook_model(model, tmp_path / "again.bin")
    np.testing.assert_allclose(fasttext.load_model(str(tmp_path / "again.bin")).get_word_vector("walker"),
                               model.wv["walker"], atol=1e-6)


def test_gensims_deprecated_loader_warns_and_loads(trained):
    model, path = trained
    with pytest.warns(DeprecationWarning, match="load_facebook_model"):
        loaded = FastText.load_fasttext_format(str(path))
    assert_same_as_expanded(loaded.wv, model.wv)


def assert_same_as_expanded(full, compact):
    """full (a loaded .bin) is compact's store expanded: its rows where they exist, zeros elsewhere."""
    V = len(compact.index_to_key)
    assert full.bucket_rows is None and full.vectors_ngrams.shape == (compact.bucket, compact.vector_size)
    np.testing.assert_array_equal(full.vectors_vocab, compact.vectors_vocab)
    has_row = compact.bucket_rows >= 0
    np.testing.assert_array_equal(full.vectors_ngrams[has_row],
                                  compact.vectors_ngrams[compact.bucket_rows[has_row]])
    assert not full.vectors_ngrams[~has_row].any()
    np.testing.assert_array_equal(full.vectors, compact.vectors)
    assert V and has_row.any() and not has_row.all()


def test_sentence_vectors_and_recomputed_ngram_rows(trained):
    model, _ = trained
    wv = FastTextKeyedVectors.from_input_matrix(model.wv.index_to_key, model.wv.input_vectors.copy(),
                                                2, 4, 997, bucket_rows=model.wv.bucket_rows)
    sentence = ["t0w0", "никогда"]
    units = [v / np.linalg.norm(v) for v in (wv["t0w0"], wv["никогда"])]
    np.testing.assert_allclose(wv.get_sentence_vector(sentence), np.mean(units, axis=0), rtol=1e-5)
    wv.max_n = 3
    wv.recalc_char_ngram_buckets()
    assert len(wv.ngram_rows("t0w0")) == 1 + len(cw2v._kernels.ngrams.ngrams("t0w0", 2, 3))
    np.testing.assert_allclose(wv["t0w0"], wv.input_vectors[wv.ngram_rows("t0w0")].mean(axis=0), rtol=1e-5)


def test_estimate_memory_counts_the_input_matrix_and_subwords(trained):
    model, _ = trained
    report = model.estimate_memory()
    wv = model.wv
    assert report["vectors_vocab"] + report["vectors_ngrams"] == wv.input_vectors.nbytes
    assert report["vectors"] == wv.vectors.nbytes
    assert report["subwords"] == wv.subword_offsets.nbytes + wv.subword_rows.nbytes
    assert report["total"] == sum(v for k, v in report.items() if k != "total")
    assert FastText(vector_size=10, bucket=1000).estimate_memory(50)["vectors_ngrams"] == 40000


@pytest.mark.parametrize("row", [0, 40_000, 70_000])
def test_finiteness_check_sees_every_block_of_a_large_matrix(row):
    """The check after each epoch goes a block of rows at a time (no boolean
    copy of fastText's input matrix); a NaN in any block is still found."""
    from cw2v.train.base import _all_finite
    matrix = np.zeros((70_001, 3), np.float32)
    assert _all_finite(matrix)
    matrix[row, 1] = np.nan
    assert not _all_finite(matrix)


# ---------------------------------------------------------------- the compact n-gram store

def compact_and_full(**kw):
    """The same seeded run twice: compact store and full matrix."""
    settings = {**SMALL, "epochs": 2, **kw}
    return (FastText(topic_corpus(200), compact_ngrams=True, **settings),
            FastText(topic_corpus(200), compact_ngrams=False, **settings))


def assert_full_rows_equal(compact, full):
    """compact's rows are full's rows of the words and of the buckets compact keeps."""
    has_row = compact.bucket_rows >= 0
    np.testing.assert_array_equal(compact.vectors_vocab, full.vectors_vocab)
    np.testing.assert_array_equal(compact.vectors_ngrams[compact.bucket_rows[has_row]],
                                  full.vectors_ngrams[has_row])


@pytest.mark.parametrize("layer", [dict(sg=1, negative=5), dict(sg=0, hs=1, negative=0)],
                         ids=["sg-ns", "cbow-hs"])
def test_compact_store_trains_exactly_as_the_full_matrix(layer):
    compact, full = compact_and_full(**layer)
    assert compact.wv.bucket_rows is not None and full.wv.bucket_rows is None
    assert len(compact.wv.vectors_ngrams) < SMALL["bucket"] == len(full.wv.vectors_ngrams)
    assert_full_rows_equal(compact.wv, full.wv)
    np.testing.assert_array_equal(compact.wv.vectors, full.wv.vectors)
    for name in ("w_out_ns", "w_out_hs"):
        if getattr(full, name) is not None:
            np.testing.assert_array_equal(getattr(compact, name), getattr(full, name))
    # The full matrix's unused buckets kept their initial values: training never reached them.
    untrained = FastText(**{**SMALL, **layer, "epochs": 2}, compact_ngrams=False)
    untrained.build_vocab(topic_corpus(200))
    unused = compact.wv.bucket_rows < 0
    np.testing.assert_array_equal(full.wv.vectors_ngrams[unused], untrained.wv.vectors_ngrams[unused])


def test_compact_and_full_models_keep_equal_rows_through_a_vocabulary_update():
    compact, full = compact_and_full(sg=1)
    new_words = [["t0w0", "newword", "zebra", "t1w1"]] * 5
    rows_before = len(compact.wv.vectors_ngrams)
    for model in (compact, full):
        model.build_vocab(new_words, update=True)
    assert len(compact.wv.vectors_ngrams) > rows_before
    assert_full_rows_equal(compact.wv, full.wv)       # the new buckets' rows included
    for model in (compact, full):
        model.train(new_words, total_examples=5, epochs=1)
    assert_full_rows_equal(compact.wv, full.wv)


def test_unseen_words_of_compact_and_full_models_differ_only_by_unused_rows():
    compact, full = compact_and_full(sg=1)
    zeroed = full.wv.input_vectors.copy()
    V = len(full.wv)
    zeroed[V:][compact.wv.bucket_rows < 0] = 0
    as_zero = FastTextKeyedVectors.from_input_matrix(full.wv.index_to_key, zeroed, 2, 4, 997)
    partly = 0
    for word in UNSEEN + ["t0w0x", "zzqq"]:
        n_rows, n_grams = len(compact.wv.ngram_rows(word)), len(cw2v._kernels.ngrams.ngrams(word, 2, 4))
        partly += 0 < n_rows < n_grams
        np.testing.assert_allclose(compact.wv[word], as_zero[word], rtol=1e-6, atol=1e-7, err_msg=word)
    assert partly


def test_compact_bin_is_written_in_blocks(monkeypatch, tmp_path, trained):
    """The .bin writer expands the compact store a block at a time: small blocks write the same bytes."""
    import cw2v.io.fasttext_bin as fasttext_bin
    model, path = trained
    monkeypatch.setattr(fasttext_bin, "_WRITE_BLOCK_ROWS", 10)
    save_facebook_model(model, tmp_path / "blocks.bin")
    assert (tmp_path / "blocks.bin").read_bytes() == path.read_bytes()
    full = FastText(topic_corpus(100), epochs=1, compact_ngrams=False, **SMALL)
    save_facebook_model(full, tmp_path / "full.bin")
    np.testing.assert_array_equal(load_facebook_model(tmp_path / "full.bin").wv.input_vectors,
                                  full.wv.input_vectors)


# ---------------------------------------------------------------- initial rows

def test_fill_uniform_rows_draws_each_row_from_its_id_alone():
    everything = np.empty((50, 8), np.float32)
    fill_uniform_rows(everything, np.arange(50), 7, 0, 0.125)
    some = np.empty((3, 8), np.float32)
    fill_uniform_rows(some, np.array([41, 3, 17]), 7, 0, 0.125)
    np.testing.assert_array_equal(some, everything[[41, 3, 17]])
    assert everything.min() >= -0.125 and everything.max() < 0.125
    assert len(np.unique(everything)) > 390      # no repeated rows or stuck values
    # Roughly uniform: each quarter of the range holds about a quarter of the draws.
    quarters = np.histogram(everything, bins=4, range=(-0.125, 0.125))[0]
    assert quarters.min() > 70


def test_fill_uniform_rows_differs_by_seed_and_stream():
    ids = np.arange(4)
    draws = {}
    for seed, stream in [(1, 0), (2, 0), (1, 1)]:
        out = np.empty((4, 5), np.float32)
        fill_uniform_rows(out, ids, seed, stream, 1.0)
        draws[seed, stream] = out
    assert not np.array_equal(draws[1, 0], draws[2, 0])
    assert not np.array_equal(draws[1, 0], draws[1, 1])


def test_fill_uniform_rows_needs_one_id_per_row():
    with pytest.raises(ValueError, match="3 ids for 2 rows"):
        fill_uniform_rows(np.empty((2, 4), np.float32), np.arange(3), 0, 0, 1.0)
