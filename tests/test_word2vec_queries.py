"""Word2Vec's read-only queries: the scoring kernel against NumPy, predict_output_word on a planted context,
score's batching, estimate_memory before a vocabulary exists."""
import logging

import numpy as np
import pytest

from cw2v import Word2Vec
from cw2v._kernels.score import HsScorer
from cw2v.vocab.huffman import build_huffman

# ------------------------------------------------------------------ the kernel


def numpy_scores(w_in, w_out_hs, tree, sentences, window, sg, cbow_mean):
    """Sum of log p(centre | input) over every prediction of each sentence, slowly, in float64."""
    w_in, w_out_hs = w_in.astype(np.float64), w_out_hs.astype(np.float64)
    result = []
    for ids in sentences:
        total = 0.0
        for i, centre in enumerate(ids):
            context = [ids[j] for j in range(max(0, i - window), min(len(ids), i + window + 1)) if j != i]
            if sg:
                inputs = [w_in[j] for j in context]
            else:
                summed = w_in[context].sum(axis=0) if context else np.zeros(w_in.shape[1])
                inputs = [summed / len(context) if cbow_mean and context else summed]
            for hidden in inputs:
                logits = w_out_hs[tree.path(centre)] @ hidden
                labels = 1 - tree.code(centre).astype(np.float64)  # code 0: label 1, as in training
                total += np.sum(labels * -np.logaddexp(0, -logits) + (1 - labels) * -np.logaddexp(0, logits))
        result.append(total)
    return np.array(result)


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    V, K = 40, 7
    counts = rng.integers(1, 1000, size=V)
    # Large values too: logits far outside (-6, 6) are scored exactly, not clamped or skipped.
    w_in = rng.standard_normal((V, K)).astype(np.float32) * 2
    return w_in, rng.standard_normal((V - 1, K)).astype(np.float32), build_huffman(counts)


def flatten(sentences):
    ids = np.array([i for s in sentences for i in s], dtype=np.int32)
    return ids, np.cumsum([len(s) for s in sentences]).astype(np.int64)


@pytest.mark.parametrize("sg, cbow_mean", [(1, 1), (0, 1), (0, 0)])
@pytest.mark.parametrize("window", [1, 3])
def test_kernel_matches_numpy(arrays, sg, cbow_mean, window):
    w_in, w_out_hs, tree = arrays
    rng = np.random.default_rng(1)
    sentences = [rng.integers(0, len(w_in), size=n).tolist() for n in (1, 2, 9, 0, 25, 3)]
    scorer = HsScorer(w_in, w_out_hs, tree.codes, tree.points, tree.offsets, window, sg, cbow_mean)
    got = scorer.score(*flatten(sentences))
    expected = numpy_scores(w_in, w_out_hs, tree, sentences, window, sg, cbow_mean)
    assert got.dtype == np.float64
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert got[3] == 0.0 and (sg == 0 or got[0] == 0.0)  # empty; skip-gram has no pair in one word


def test_kernel_rejects_inconsistent_arrays(arrays):
    w_in, w_out_hs, tree = arrays
    args = (tree.codes, tree.points, tree.offsets, 2, 1, 1)
    with pytest.raises(ValueError, match="w_out_hs must have shape"):
        HsScorer(w_in, w_out_hs[:-1], *args)
    with pytest.raises(TypeError, match="float32"):
        HsScorer(w_in.astype(np.float64), w_out_hs, *args)
    with pytest.raises(ValueError, match="C-contiguous"):
        HsScorer(np.asfortranarray(w_in), w_out_hs, *args)
    bad_points = tree.points.copy()
    bad_points[0] = len(w_in)
    with pytest.raises(ValueError, match="points must lie"):
        HsScorer(w_in, w_out_hs, tree.codes, bad_points, tree.offsets, 2, 1, 1)
    scorer = HsScorer(w_in, w_out_hs, *args)
    with pytest.raises(ValueError, match="word ids must lie"):
        scorer.score(np.array([0, len(w_in)], np.int32), np.array([2], np.int64))
    with pytest.raises(ValueError, match="sentence_ends"):
        scorer.score(np.array([0, 1], np.int32), np.array([1], np.int64))


# ------------------------------------------------------------------ predict_output_word


def planted_corpus(groups=10, repeats=300, seed=0):
    """Sentences "a_i b_i c_i": with window=1, b_i is exactly what the context (a_i, c_i) predicts."""
    rng = np.random.default_rng(seed)
    return [[f"a{i}", f"b{i}", f"c{i}"] for i in rng.integers(groups, size=groups * repeats)]


@pytest.fixture(scope="module")
def planted():
    common = dict(vector_size=16, window=1, min_count=1, sample=0, workers=1, seed=3, epochs=10, sg=0)
    sentences = planted_corpus()
    return {"ns": Word2Vec(sentences, negative=5, **common),
            "hs": Word2Vec(sentences, hs=1, negative=0, **common),
            "softmax": Word2Vec(sentences, softmax=True, negative=0, **common)}


@pytest.mark.parametrize("layer", ["ns", "hs", "softmax"])
def test_predict_output_word_recovers_the_planted_centre(planted, layer):
    model = planted[layer]
    for i in range(10):
        top = model.predict_output_word([f"a{i}", f"c{i}"], topn=3)
        assert top[0][0] == f"b{i}", (layer, top)
        assert top[0][1] > 0.5 and all(p1 >= p2 for (_, p1), (_, p2) in zip(top, top[1:]))


def test_predict_output_word_probabilities_are_each_layers_distribution(planted):
    model = planted["hs"]
    everything = model.predict_output_word(["a1", "c1"], topn=len(model.wv))
    assert sum(p for _, p in everything) == pytest.approx(1.0, abs=1e-9)  # the tree's leaves sum to 1
    hidden = model.wv[["a1", "c1"]].astype(np.float64).mean(axis=0)
    tree = build_huffman(model.wv.counts)
    b1 = model.wv.get_index("b1")
    logits = model.w_out_hs[tree.path(b1)].astype(np.float64) @ hidden
    expected = np.prod(1 / (1 + np.exp(np.where(tree.code(b1) == 0, -logits, logits))))
    assert dict(everything)["b1"] == pytest.approx(expected, rel=1e-9)
    model = planted["softmax"]
    scores = model.w_out_softmax.astype(np.float64) @ model.wv[["a1", "c1"]].astype(np.float64).mean(axis=0)
    softmax = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    for word, probability in model.predict_output_word(["a1", "c1"], topn=5):
        assert probability == pytest.approx(softmax[model.wv.get_index(word)], rel=1e-9)


def test_predict_output_word_layer_choice_and_errors(planted, caplog):
    with pytest.raises(ValueError, match=r"output layers are \['ns'\]"):
        planted["ns"].predict_output_word(["a1"], layer="hs")
    with caplog.at_level(logging.WARNING):
        assert planted["ns"].predict_output_word(["unknown"]) is None
    assert "none of the context words" in caplog.text
    with pytest.raises(RuntimeError, match="no vocabulary"):
        Word2Vec(vector_size=4).predict_output_word(["a"])


# ------------------------------------------------------------------ score


def test_score_is_the_same_whatever_the_batching(planted):
    model = planted["hs"]
    sentences = planted_corpus(repeats=30, seed=5) + [["a1", "zzz", "b1"], []]
    reference = model.score(sentences, total_sentences=10**6, chunksize=1000)
    model.workers = 3
    try:
        for chunksize in (1, 7, 50):
            assert np.array_equal(model.score(sentences, chunksize=chunksize, queue_factor=1), reference)
    finally:
        model.workers = 1
    assert reference[-1] == 0.0 and np.all(reference[:-1] < 0)
    # A planted sentence is far likelier than the same words shuffled across groups.
    assert model.score([["a1", "b1", "c1"]])[0] > model.score([["a1", "b2", "c3"]])[0] + 5


def test_score_stops_at_total_sentences(planted, caplog):
    model = planted["hs"]
    sentences = planted_corpus(repeats=5, seed=6)
    with caplog.at_level(logging.WARNING):
        scores = model.score(iter(sentences), total_sentences=7, chunksize=3)
    assert np.array_equal(scores, model.score(sentences[:7]))
    assert "total_sentences=7" in caplog.text


def test_score_needs_hierarchical_softmax(planted):
    with pytest.raises(RuntimeError, match="hs=1"):
        planted["ns"].score([["a1", "b1"]])
    with pytest.raises(RuntimeError, match="vocabulary"):
        Word2Vec(vector_size=4, hs=1).score([["a1", "b1"]])


# ------------------------------------------------------------------ estimate_memory


def test_estimate_memory_without_a_vocabulary():
    model = Word2Vec(vector_size=50, hs=1, negative=5, sample=1e-3)
    report = model.estimate_memory(vocab_size=1000)
    assert report["vectors"] == report["syn1neg"] == 1000 * 50 * 4 and report["syn1"] == 999 * 50 * 4
    assert report["vocab"] == 1000 * 160
    assert report["tables"] == 4 * 1000 + 8 * 1000 + 5 * round(1000 * np.log2(1000)) + 8 * 1001
    assert report["total"] == sum(v for k, v in report.items() if k != "total")
    assert "w_out_softmax" in Word2Vec(vector_size=5, softmax=True).estimate_memory(vocab_size=10)
