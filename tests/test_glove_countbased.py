"""PPMI and SVD vectors against NumPy references, and on planted topics."""
import numpy as np
import pytest
import scipy.sparse as sp

from cw2v._kernels.cooccur import PairCounter
from cw2v.vectors.countbased import most_similar_rows, ppmi, svd_vectors

from synthetic import TOPIC_WORDS, N_TOPICS, own_topic_share, topic_corpus, topic_of

CHANCE = (TOPIC_WORDS - 1) / (N_TOPICS * TOPIC_WORDS - 1)


def reference_ppmi(counts, smoothing, shift):
    counts = np.asarray(counts, dtype=np.float64)
    p_wc = counts / counts.sum()
    p_w = counts.sum(axis=1) / counts.sum()
    p_c = counts.sum(axis=0) ** smoothing
    p_c /= p_c.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(p_wc / np.outer(p_w, p_c)) - np.log(shift)
    return np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)


def tiny_counts():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 6, (7, 7)).astype(float) * rng.uniform(0.5, 2, (7, 7))
    counts[3] = 0       # a word without counts keeps an empty row
    return counts


@pytest.mark.parametrize("smoothing, shift", [(0.75, 1), (1.0, 1), (0.75, 5), (0.5, 2.5)])
def test_ppmi_matches_numpy(smoothing, shift):
    counts = tiny_counts()
    got = ppmi(sp.csr_matrix(counts), smoothing=smoothing, shift=shift)
    np.testing.assert_allclose(got.toarray(), reference_ppmi(counts, smoothing, shift),
                               rtol=1e-12, atol=1e-12)
    assert np.all(got.data > 0)              # only positive entries are stored
    assert got.getrow(3).nnz == 0


def test_svd_vectors_match_numpy():
    counts, words = tiny_counts(), [f"w{i}" for i in range(7)]
    kv = svd_vectors(sp.csr_matrix(counts), words, k=3, eigenvalue_weight=0.5)
    u, s, _ = np.linalg.svd(reference_ppmi(counts, 0.75, 1))
    expected = u[:, :3] * np.sqrt(s[:3])
    # Each dimension's sign is fixed: largest-magnitude entry positive.
    expected *= np.sign(expected[np.argmax(np.abs(expected), axis=0), np.arange(3)])
    np.testing.assert_allclose(kv.vectors, expected, atol=1e-5)
    assert kv.index_to_key == words
    again = svd_vectors(sp.csr_matrix(counts), words, k=3, eigenvalue_weight=1.0)
    np.testing.assert_allclose(again.vectors, expected * np.sqrt(s[:3]), atol=1e-5)


def topic_counts():
    corpus = topic_corpus(n_sentences=1200)
    words = sorted({w for sentence in corpus for w in sentence})
    index = {w: i for i, w in enumerate(words)}
    ids = np.array([index[w] for sentence in corpus for w in sentence], dtype=np.int32)
    ends = np.cumsum([len(sentence) for sentence in corpus]).astype(np.int32)
    counter = PairCounter(len(words), 5, max_word_count=len(ids))
    counter.count_batch(0, ids, ends)
    indptr, indices, data, _ = counter.csr_arrays()
    return sp.csr_matrix((data, indices, indptr), shape=(len(words),) * 2), words


def test_ppmi_rows_find_their_topic():
    counts, words = topic_counts()
    rows = ppmi(counts)
    hits = [sum(topic_of(other) == topic_of(word) for other, _ in
                most_similar_rows(rows, words, word, topn=5)) for word in words]
    assert np.mean(hits) / 5 > 0.9 > 3 * CHANCE
    # One-hot rows, by contrast, are orthogonal: every cosine is 0.
    assert most_similar_rows(sp.identity(len(words), format="csr"), words, words[0])[0][1] == 0


def test_svd_vectors_beat_chance_on_planted_topics():
    counts, words = topic_counts()
    kv = svd_vectors(counts, words, k=N_TOPICS)
    assert own_topic_share(kv) > 0.9 > 3 * CHANCE


def test_bad_arguments():
    counts = sp.csr_matrix(tiny_counts())
    with pytest.raises(ValueError, match="smoothing"):
        ppmi(counts, smoothing=0)
    with pytest.raises(ValueError, match="shift"):
        ppmi(counts, shift=0.5)
    with pytest.raises(ValueError, match="square"):
        ppmi(sp.csr_matrix(np.ones((2, 3))))
    with pytest.raises(ValueError, match="k must"):
        svd_vectors(counts, [f"w{i}" for i in range(7)], k=7)
    with pytest.raises(KeyError, match="nope"):
        most_similar_rows(counts, [f"w{i}" for i in range(7)], "nope")
    with pytest.raises(ValueError, match="empty"):
        most_similar_rows(counts, [f"w{i}" for i in range(7)], "w3")
