"""Interop with Stanford GloVe: its files (tests/data/glove, made by its real programs),
read and written by cw2v.io.stanford, and its counts and one training epoch reproduced."""
import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from cw2v import KeyedVectors, LineSentence, Vocabulary
from cw2v._kernels.cooccur import PairCounter
from cw2v._kernels.glove import AdaGradTrainer, pairs_from_csr
from cw2v._kernels.textfile import WordHash
from cw2v.io.stanford import (RECORD, read_cooccurrence, read_parameters, read_vocab,
                              write_cooccurrence, write_vocab)

DATA = os.path.join(os.path.dirname(__file__), "data", "glove")
CORPUS = os.path.join(DATA, "corpus.txt")


def data(name):
    return os.path.join(DATA, name)


@pytest.fixture(scope="module")
def vocab():
    return read_vocab(data("vocab.txt"))


def counted(vocab, symmetric=True, weighted=True, window=5):
    counter = PairCounter(len(vocab), window, symmetric, weighted, max_word_count=10 ** 6)
    counter.count_range(0, WordHash(vocab.index_to_key), CORPUS, 0, -1)
    indptr, indices, counts, _ = counter.csr_arrays()
    return sp.csr_matrix((counts, indices, indptr), shape=(len(vocab),) * 2)


def test_vocab_txt_is_cw2v_s_vocabulary(vocab):
    scanned = Vocabulary.scan(LineSentence(CORPUS), min_count=2)
    assert vocab.index_to_key == scanned.index_to_key
    np.testing.assert_array_equal(vocab.counts, scanned.counts)
    assert len(vocab) == 43 and vocab.index_to_key[0] == "the"


@pytest.mark.parametrize("name, symmetric, weighted", [
    ("cooccurrence.bin", True, True),
    ("cooccurrence_asymmetric.bin", False, True),
    ("cooccurrence_unweighted.bin", True, False),
])
def test_cooccur_output_equals_cw2v_s_counts(vocab, name, symmetric, weighted):
    stanford = read_cooccurrence(data(name), len(vocab))
    ours = counted(vocab, symmetric, weighted)
    assert stanford.nnz == ours.nnz
    np.testing.assert_array_equal(stanford.indptr, ours.indptr)
    np.testing.assert_array_equal(stanford.indices, ours.indices)
    # Stanford sums 1/d in float64 as it goes; cw2v sums exactly, then rounds once.
    np.testing.assert_allclose(stanford.data, ours.data, rtol=1e-14)


def test_merge_files_bug_doubles_the_first_record_only(vocab):
    buggy = read_cooccurrence(data("cooccurrence_default.bin"), len(vocab))
    right = counted(vocab)
    difference = (buggy - right).tocoo()
    big = np.abs(difference.data) > 1e-9
    assert list(zip(difference.row[big], difference.col[big])) == [(0, 0)]
    assert buggy[0, 0] == pytest.approx(2 * right[0, 0], rel=1e-14)


def test_written_records_are_byte_for_byte_cooccur_s(vocab, tmp_path):
    for name in ("cooccurrence.bin", "cooccurrence_asymmetric.bin"):
        out = tmp_path / name
        matrix = read_cooccurrence(data(name), len(vocab))
        assert write_cooccurrence(matrix, out) == matrix.nnz
        assert out.read_bytes() == Path(data(name)).read_bytes()


def test_written_records_follow_the_format(tmp_path):
    matrix = sp.csr_matrix(np.array([[0.0, 1.5, 0], [0, 0, 0], [2.0, 0, 0.25]]))
    write_cooccurrence(matrix, tmp_path / "x.bin")
    records = np.fromfile(tmp_path / "x.bin", dtype=RECORD)
    assert RECORD.itemsize == 16
    assert records.tolist() == [(1, 2, 1.5), (3, 1, 2.0), (3, 3, 0.25)]
    # Compressed by the name, read back by the content.
    write_cooccurrence(matrix.toarray(), tmp_path / "x.bin.gz")
    assert gzip.open(tmp_path / "x.bin.gz").read() == (tmp_path / "x.bin").read_bytes()
    np.testing.assert_array_equal(read_cooccurrence(tmp_path / "x.bin.gz", 3).toarray(),
                                  matrix.toarray())


def test_repeated_records_add_up(tmp_path):
    records = np.array([(2, 1, 1.0), (1, 1, 0.5), (2, 1, 2.0), (1, 2, 0.0)], dtype=RECORD)
    records.tofile(tmp_path / "shuffled.bin")
    matrix = read_cooccurrence(tmp_path / "shuffled.bin", 2)
    np.testing.assert_array_equal(matrix.toarray(), [[0.5, 0], [3.0, 0]])
    assert matrix.nnz == 2          # zero counts are dropped


def test_vocab_txt_round_trip_is_byte_for_byte(vocab, tmp_path):
    write_vocab(vocab, tmp_path / "vocab.txt")
    assert (tmp_path / "vocab.txt").read_bytes() == Path(data("vocab.txt")).read_bytes()
    write_vocab((["a", "b"], [3, 1]), tmp_path / "two.txt")
    assert (tmp_path / "two.txt").read_text() == "a 3\nb 1\n"
    with pytest.raises(ValueError, match="whitespace"):
        write_vocab((["a b"], [1]), tmp_path / "bad.txt")


def test_one_epoch_of_glove_c_is_the_stanford_update(vocab):
    """Stanford's glove, 1 thread, 1 iteration over the unshuffled records, from the
    parameters it saved before training: cw2v's 'stanford' update, in the file's order,
    lands on the same parameters and accumulators (float32 against float64)."""
    V, K = len(vocab), 5
    start = read_parameters(data("vectors.000.bin"), V, K)
    end = read_parameters(data("vectors.bin"), V, K)
    gradsq = read_parameters(data("gradsq.bin"), V, K)
    counts = read_cooccurrence(data("cooccurrence.bin"), V)
    pairs = pairs_from_csr(counts.indptr, counts.indices, counts.data, 10.0, 0.75)
    ours = {name: a.astype(np.float32) for name, a in start.items()}
    accumulators = [np.ones((V, K), np.float32), np.ones((V, K), np.float32),
                    np.ones(V, np.float32), np.ones(V, np.float32)]
    trainer = AdaGradTrainer(ours["word_vectors"], ours["context_vectors"], ours["word_biases"],
                             ours["context_biases"], *accumulators, pairs, learning_rate=0.05,
                             gradient_clip=100.0, variant="stanford")
    loss, trained, skipped = trainer.train_slice(0, 1, 0, 0, len(pairs), shuffle=False)
    assert (trained, skipped) == (len(pairs), 0)
    assert loss / trained == pytest.approx(0.132809, abs=1e-6)     # what glove printed
    for name in ours:
        moved = np.abs(end[name] - start[name]).max()
        assert moved > 0.01
        np.testing.assert_allclose(ours[name], end[name], atol=2e-6 * max(moved, 1), rtol=0)
    for ours_acc, name in zip(accumulators, ("word_vectors", "context_vectors", "word_biases",
                                             "context_biases")):
        np.testing.assert_allclose(ours_acc, gradsq[name], rtol=1e-5)


def test_stanford_text_vectors_load_without_header(vocab):
    kv = KeyedVectors.load_word2vec_format(data("vectors.txt"), no_header=True)
    assert kv.index_to_key == vocab.index_to_key + ["<unk>"]
    assert kv.vectors.shape == (44, 5)
    start = read_parameters(data("vectors.bin"), len(vocab), 5)
    np.testing.assert_allclose(kv.vectors[:-1], start["word_vectors"] + start["context_vectors"],
                               atol=1e-6)   # glove.c's default output: W + W~


# ------------------------------------------------------------------ damaged files

def damaged_copy(tmp_path, edit):
    records = np.fromfile(data("cooccurrence.bin"), dtype=RECORD)
    edit(records)
    path = tmp_path / "damaged.bin"
    records.tofile(path)
    return path


@pytest.mark.parametrize("field, value, message", [
    ("word1", 0, r"record 7 \(byte 112\).*ids \(0, "),
    ("word2", 44, r"record 7 \(byte 112\).*outside 1..43"),
    ("word1", -5, r"record 7 "),
    ("count", np.nan, r"record 7 .*count nan"),
    ("count", -1.0, r"record 7 .*count -1.0"),
    ("count", np.inf, r"record 7 .*count inf"),
])
def test_a_damaged_record_is_named(tmp_path, vocab, field, value, message):
    def edit(records):
        records[field][7] = value
        records[field][9] = value       # the first bad record is the one named
    path = damaged_copy(tmp_path, edit)
    with pytest.raises(ValueError, match=message) as info:
        read_cooccurrence(path, len(vocab))
    assert "damaged.bin" in str(info.value)


def test_a_file_cut_short_is_refused(tmp_path, vocab):
    path = tmp_path / "cut.bin"
    path.write_bytes(Path(data("cooccurrence.bin")).read_bytes()[:-5])
    with pytest.raises(ValueError, match=r"cut.bin.*not a multiple of 16.*record 1003"):
        read_cooccurrence(path, len(vocab))
    with gzip.open(tmp_path / "cut.bin.gz", "wb") as out:     # size unknown until the end
        out.write(path.read_bytes())
    with pytest.raises(ValueError,
                       match=r"cut.bin.gz.*record 1003, at byte 16048, is cut short after 11"):
        read_cooccurrence(tmp_path / "cut.bin.gz", len(vocab))


def test_a_vocabulary_too_small_for_the_ids_is_named(vocab):
    with pytest.raises(ValueError, match=r"cooccurrence.bin.*record \d+.*outside 1..42"):
        read_cooccurrence(data("cooccurrence.bin"), len(vocab) - 1)


def test_empty_file_is_an_empty_matrix(tmp_path):
    (tmp_path / "empty.bin").write_bytes(b"")
    assert read_cooccurrence(tmp_path / "empty.bin", 4).shape == (4, 4)


@pytest.mark.parametrize("text, message", [
    ("the 3\nof\n", "line 2: expected 'word count'"),
    ("the 3\nof -2\n", "line 2"),
    ("the 3\nthe 2\n", "line 2: the word 'the' appears twice"),
    ("", "no 'word count' lines"),
])
def test_damaged_vocab_txt_is_named(tmp_path, text, message):
    path = tmp_path / "vocab.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_vocab(path)


def test_parameter_file_of_the_wrong_size_is_refused(tmp_path):
    shutil.copy(data("vectors.bin"), tmp_path / "v.bin")
    with pytest.raises(ValueError, match="v.bin.*wrong vocabulary size or vector size"):
        read_parameters(tmp_path / "v.bin", 43, 6)
