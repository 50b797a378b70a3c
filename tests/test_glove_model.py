"""cw2v.GloVe end to end: counting modes, training, reproducibility, vectors, persistence."""
import os

import numpy as np
import pytest
import scipy.sparse as sp

from cw2v import LineSentence
from cw2v.io.stanford import read_cooccurrence, read_vocab
from cw2v.models.glove import GloVe
from cw2v.train.base import Callback, TrainingDivergedError

from glove_corpora import noisy_topics
from synthetic import N_TOPICS, TOPIC_WORDS, own_topic_share

CHANCE = (TOPIC_WORDS - 1) / (N_TOPICS * TOPIC_WORDS - 1)
DATA = os.path.join(os.path.dirname(__file__), "data", "glove")
SMALL = dict(vector_size=16, window=5, min_count=1, x_max=10.0)


@pytest.fixture(scope="module")
def topics():
    return noisy_topics()


@pytest.fixture(scope="module")
def topic_file(tmp_path_factory, topics):
    path = tmp_path_factory.mktemp("glove") / "topics.txt"
    path.write_text("\n".join(" ".join(s) for s in topics) + "\n")
    return str(path)


@pytest.mark.parametrize("update", ["stanford", "paper"])
def test_planted_topics_are_learned_and_the_loss_falls(topics, update):
    model = GloVe(topics, epochs=10, workers=2, update=update, **SMALL)
    assert own_topic_share(model) > 0.9 > 3 * CHANCE
    losses = model.loss_history
    assert len(losses) == 10 and losses[-1] < 0.5 * losses[0]
    assert all(np.isfinite(losses))
    assert [e["predictions"] for e in model.training_history] == [model.cooccurrence.nnz] * 10


def test_one_worker_with_a_seed_is_bit_identical(topics):
    first = GloVe(topics, epochs=3, workers=1, seed=4, **SMALL)
    second = GloVe(topics, epochs=3, workers=1, seed=4, **SMALL)
    other = GloVe(topics, epochs=3, workers=1, seed=5, **SMALL)
    np.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)
    assert first.loss_history == second.loss_history
    assert not np.array_equal(first.wv.vectors, other.wv.vectors)


def test_file_and_iterable_modes_count_the_same(topics, topic_file):
    from_file = GloVe(corpus_file=topic_file, epochs=1, workers=2, **SMALL)
    from_lines = GloVe(LineSentence(topic_file), epochs=1, workers=2, **SMALL)
    from_lists = GloVe(topics, epochs=1, workers=1, **SMALL)
    assert from_file.wv.index_to_key == from_lists.wv.index_to_key
    for model in (from_lines, from_lists):
        assert (from_file.cooccurrence != model.cooccurrence).nnz == 0


def test_bounded_memory_counts_exactly_the_same(topic_file):
    unbounded = GloVe(corpus_file=topic_file, epochs=1, workers=2, **SMALL)
    bounded = GloVe(corpus_file=topic_file, epochs=1, workers=2, memory=2e-5, **SMALL)
    assert bounded.count_stats["runs"] > 4          # a 21 KB budget spills many runs
    assert unbounded.count_stats["runs"] == 0
    np.testing.assert_array_equal(bounded.cooccurrence.indptr, unbounded.cooccurrence.indptr)
    np.testing.assert_array_equal(bounded.cooccurrence.indices, unbounded.cooccurrence.indices)
    np.testing.assert_array_equal(bounded.cooccurrence.data, unbounded.cooccurrence.data)


def test_the_counts_are_stanford_s():
    corpus = os.path.join(DATA, "corpus.txt")
    model = GloVe(corpus_file=corpus, vector_size=5, window=5, min_count=2, epochs=1, workers=2)
    vocab = read_vocab(os.path.join(DATA, "vocab.txt"))
    assert model.wv.index_to_key == vocab.index_to_key
    stanford = read_cooccurrence(os.path.join(DATA, "cooccurrence.bin"), len(vocab))
    np.testing.assert_allclose(model.cooccurrence.toarray(), stanford.toarray(), rtol=1e-14)


def test_from_cooccurrence_trains_on_counts_made_elsewhere():
    vocab = read_vocab(os.path.join(DATA, "vocab.txt"))
    counts = read_cooccurrence(os.path.join(DATA, "cooccurrence.bin"), len(vocab))
    model = GloVe.from_cooccurrence(counts, vocab.index_to_key, vocab.counts, vector_size=8,
                                    epochs=5, workers=1, x_max=10.0)
    assert model.wv.vectors.shape == (43, 8)
    assert model.wv.get_vecattr("the", "count") == vocab.counts[0] == 130
    assert model.loss_history[-1] < model.loss_history[0]
    dense = GloVe.from_cooccurrence(counts.toarray(), vocab.index_to_key, vector_size=8,
                                    epochs=5, workers=1, x_max=10.0)
    np.testing.assert_array_equal(dense.wv.vectors, model.wv.vectors)
    with pytest.raises(ValueError, match="shape"):
        GloVe.from_cooccurrence(counts, vocab.index_to_key[:-1])
    bad = counts.copy()
    bad.data[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        GloVe.from_cooccurrence(bad, vocab.index_to_key)


def test_vectors_biases_and_what_wv_holds(topics):
    model = GloVe(topics, epochs=2, workers=1, **SMALL)
    V, K = len(model.wv), 16
    assert model.word_vectors.shape == model.context_vectors.shape == (V, K)
    assert model.word_biases.shape == model.context_biases.shape == (V,)
    np.testing.assert_array_equal(model.wv.vectors, model.word_vectors + model.context_vectors)
    words_only = GloVe(topics, epochs=2, workers=1, vectors="word", **SMALL)
    np.testing.assert_array_equal(words_only.wv.vectors, words_only.word_vectors)
    np.testing.assert_array_equal(words_only.word_vectors, model.word_vectors)


def test_callbacks_see_every_epoch(topics):
    seen = []

    class Record(Callback):
        def on_epoch_end(self, model):
            seen.append((model.epochs_trained, model.wv.vectors.copy()))

    model = GloVe(topics, epochs=3, workers=1, callbacks=[Record()], **SMALL)
    assert [n for n, _ in seen] == [1, 2, 3]
    np.testing.assert_array_equal(seen[-1][1], model.wv.vectors)
    assert not np.array_equal(seen[0][1], seen[1][1])


def test_save_load_and_train_on(topics, tmp_path):
    model = GloVe(topics, epochs=2, workers=1, **SMALL)
    model.save(tmp_path / "model")
    loaded = GloVe.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.word_biases, model.word_biases)
    assert (loaded.cooccurrence != model.cooccurrence).nnz == 0
    assert loaded.loss_history == model.loss_history
    model.train(epochs=1)
    loaded.train(epochs=1)        # same accumulators, same next epoch's order
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)


def test_steps_in_build_vocab_count_train(topics):
    model = GloVe(epochs=2, workers=1, **SMALL)
    with pytest.raises(RuntimeError, match="build_vocab"):
        model.count(topics)
    model.build_vocab(topics)
    with pytest.raises(RuntimeError, match="co-occurrence"):
        model.train()
    counts = model.count(topics)
    assert counts.shape == (N_TOPICS * TOPIC_WORDS,) * 2 and counts.dtype == np.float64
    assert isinstance(counts, sp.csr_matrix) and counts.has_sorted_indices
    model.train()
    assert model.epochs_trained == 2


def test_divergence_is_caught(topics):
    model = GloVe(epochs=1, workers=1, learning_rate=1e38, gradient_clip=1e38,
                  update="stanford", **SMALL)
    model.build_vocab(topics)
    model.count(topics)
    with pytest.raises(TrainingDivergedError, match="learning_rate"):
        model.train()


def test_count_based_vectors_from_the_model(topics):
    model = GloVe(epochs=1, workers=1, **SMALL)
    model.build_vocab(topics)
    model.count(topics)
    assert model.ppmi().shape == (N_TOPICS * TOPIC_WORDS,) * 2
    assert own_topic_share(model.svd_vectors(N_TOPICS)) > 0.9


@pytest.mark.parametrize("keyword, value", [("update", "sgd"), ("vectors", "both"),
                                            ("memory", 0), ("x_max", -1), ("window", 0)])
def test_bad_keywords(keyword, value):
    with pytest.raises(ValueError, match=keyword):
        GloVe(**{keyword: value})
