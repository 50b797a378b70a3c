"""Word classes: KeyedVectors.cluster against a literal transcription of word2vec.c's K-means,
and `cw2v train -classes N`."""
import math

import numpy as np
import pytest

from cw2v import KeyedVectors
from cw2v.cli import main
from cw2v.vectors.cluster import kmeans_classes
from synthetic import topic_corpus, topic_of


def word2vec_c_classes(syn0, classes, iterations=10):
    """word2vec.c's K-means loop statement by statement (its TrainModel, -classes),
    in float64 and plain loops: slow and obvious."""
    vocab_size, layer1_size = syn0.shape
    cl = [a % classes for a in range(vocab_size)]
    for _ in range(iterations):
        cent = np.zeros((classes, layer1_size))
        centcn = [1] * classes
        for c in range(vocab_size):
            for d in range(layer1_size):
                cent[cl[c], d] += syn0[c, d]
            centcn[cl[c]] += 1
        for b in range(classes):
            closev = 0.0
            for c in range(layer1_size):
                cent[b, c] /= centcn[b]
                closev += cent[b, c] * cent[b, c]
            closev = math.sqrt(closev)
            for c in range(layer1_size):
                cent[b, c] = cent[b, c] / closev if closev else math.nan
        for c in range(vocab_size):
            closev, closeid = -10.0, 0
            for d in range(classes):
                x = float(np.dot(cent[d], syn0[c]))  # NaN for an empty class: never > closev
                if x > closev:
                    closev, closeid = x, d
            cl[c] = closeid
    return np.array(cl)


def blobs(n_words, dim, n_blobs, seed, spread=0.6):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim)) * 3
    return (centres[rng.integers(0, n_blobs, n_words)]
            + rng.normal(scale=spread, size=(n_words, dim))).astype(np.float32)


@pytest.mark.parametrize("n_words, dim, n_classes, seed", [
    (200, 8, 5, 0), (157, 5, 12, 1), (90, 3, 2, 2), (40, 6, 40, 3), (30, 4, 50, 4)])
def test_cluster_equals_word2vec_cs_loop(n_words, dim, n_classes, seed):
    vectors = blobs(n_words, dim, 6, seed)
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(n_words)], vectors)
    expected = word2vec_c_classes(vectors.astype(np.float64), n_classes)
    labels = kv.cluster(n_classes)
    assert labels.dtype == np.int64 and labels.shape == (n_words,)
    np.testing.assert_array_equal(labels, expected)
    assert labels.min() >= 0 and labels.max() < n_classes


def test_iterations_and_the_starting_classes():
    vectors = blobs(60, 4, 3, 5)
    for iterations in (0, 1, 3):
        np.testing.assert_array_equal(
            kmeans_classes(vectors, 7, iterations),
            word2vec_c_classes(vectors.astype(np.float64), 7, iterations))
    np.testing.assert_array_equal(kmeans_classes(vectors, 7, 0), np.arange(60) % 7)


def test_empty_classes_stay_empty_and_far_words_go_to_class_zero():
    # Two words far out on opposite sides: with two classes, after the first
    # round each centroid points at one of them, and the other scores < -10.
    vectors = np.array([[100.0, 0], [-100.0, 0], [99.0, 1], [-99.0, -1]])
    np.testing.assert_array_equal(kmeans_classes(vectors, 2),
                                  word2vec_c_classes(vectors, 2))
    # More classes than words: the extra ones start empty and never fill.
    labels = kmeans_classes(vectors, 9)
    np.testing.assert_array_equal(labels, word2vec_c_classes(vectors, 9))
    assert set(labels) <= {0, 1, 2, 3}


def test_a_separated_group_is_never_split():
    # Round-robin starts can merge groups (a local optimum, word2vec.c's too),
    # but words pointing the same way end up in the same class.
    rng = np.random.default_rng(6)
    group = np.repeat(np.arange(4), 25)
    vectors = np.eye(4)[group] * 5 + rng.normal(scale=0.3, size=(100, 4))
    order = rng.permutation(100)
    labels = kmeans_classes(vectors[order], 4, 10)
    for g in range(4):
        assert len(set(labels[group[order] == g])) == 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_classes"):
        kmeans_classes(np.ones((3, 2)), 0)
    with pytest.raises(ValueError, match="iterations"):
        kmeans_classes(np.ones((3, 2)), 2, -1)
    with pytest.raises(ValueError, match="NaN"):
        kmeans_classes(np.array([[1.0, np.nan]]), 2)


def test_train_classes_writes_word_class_lines_in_vocabulary_order(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in topic_corpus(800)) + "\n")
    classes, model_dir = tmp_path / "classes.txt", tmp_path / "model"
    assert main(["train", "-train", str(corpus), "-output", str(classes), "-classes", "4",
                 "-size", "20", "-iter", "3", "-threads", "1", "--save-model", str(model_dir),
                 "-debug", "0", "-min-count", "1"]) == 0
    from cw2v import Word2Vec
    kv = Word2Vec.load(str(model_dir)).wv
    lines = classes.read_text().splitlines()
    assert [line.split()[0] for line in lines] == kv.index_to_key
    labels = np.array([int(line.split()[1]) for line in lines])
    np.testing.assert_array_equal(labels, kv.cluster(4))
    # trained topics come out as classes: most words share a class with their topic
    topic_words = [w for w in kv.index_to_key if topic_of(w) is not None]
    agree = sum(labels[kv.get_index(a)] == labels[kv.get_index(b)]
                for a in topic_words for b in topic_words
                if a != b and topic_of(a) == topic_of(b))
    pairs = sum(1 for a in topic_words for b in topic_words if a != b and topic_of(a) == topic_of(b))
    assert agree / pairs > 0.5
