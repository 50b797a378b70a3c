"""GloVe's pair counting (src_c/cooccur.c) against a plain reference: every rule of
Stanford's cooccur, file ranges, batches, spilling, merging and exactness."""
import os

import numpy as np
import pytest
import scipy.sparse as sp

from cw2v._kernels.cooccur import PairCounter, dense_product_for
from cw2v._kernels.textfile import WordHash


def reference_counts(lines, vocab, window, symmetric=True, weighted=True):
    """Stanford's cooccur rule, slowly: OOV words dropped first, no window across a line end."""
    index = {w: i for i, w in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for line in lines:
        ids = [index[w] for w in line.split() if w in index]
        for right, b in enumerate(ids):
            for d in range(1, window + 1):
                if right - d < 0:
                    break
                a = ids[right - d]
                counts[a, b] += 1.0 / d if weighted else 1.0
                if symmetric:
                    counts[b, a] += 1.0 / d if weighted else 1.0
    return counts


def as_dense(result, size):
    indptr, indices, data, _ = result
    matrix = sp.csr_matrix((data, indices, indptr), shape=(size, size))
    assert matrix.has_sorted_indices
    assert np.all(data > 0)
    return matrix.toarray()


def count_file(path, vocab, window, cuts=(), symmetric=True, weighted=True, **kwargs):
    bounds = [0, *cuts, -1]
    counter = PairCounter(len(vocab), window, symmetric, weighted, workers=len(bounds) - 1,
                          max_word_count=10 ** 6, **kwargs)
    table = WordHash(vocab)
    for worker in range(len(bounds) - 1):
        counter.count_range(worker, table, path, bounds[worker], bounds[worker + 1])
    return counter.csr_arrays()


def count_lines(lines, vocab, window, symmetric=True, weighted=True, **kwargs):
    index = {w: i for i, w in enumerate(vocab)}
    id_lines = [[index[w] for w in line.split() if w in index] for line in lines]
    ids = np.array([i for line in id_lines for i in line], dtype=np.int32)
    ends = np.cumsum([len(line) for line in id_lines]).astype(np.int32)
    counter = PairCounter(len(vocab), window, symmetric, weighted, max_word_count=10 ** 6, **kwargs)
    counter.count_batch(0, ids, ends)
    return counter.csr_arrays()


def write(tmp_path, text, name="corpus.txt"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return str(path)


# ------------------------------------------------------------------ the rules, by hand

def test_distance_weights_and_symmetric_self_pairs(tmp_path):
    # "a b a": a-b and b-a at distance 1, a-a at distance 2 (both orders on the diagonal).
    counts = as_dense(count_file(write(tmp_path, "a b a\n"), ["a", "b"], window=2), 2)
    np.testing.assert_array_equal(counts, [[1.0, 2.0], [2.0, 0.0]])


def test_asymmetric_counting_keeps_left_to_right_only(tmp_path):
    counts = as_dense(count_file(write(tmp_path, "a b c\n"), ["a", "b", "c"], window=2,
                                 symmetric=False), 3)
    np.testing.assert_array_equal(counts, [[0, 1, 0.5], [0, 0, 1], [0, 0, 0]])


def test_without_distance_weighting_every_pair_counts_one(tmp_path):
    counts = as_dense(count_file(write(tmp_path, "a b c\n"), ["a", "b", "c"], window=2,
                                 weighted=False), 3)
    np.testing.assert_array_equal(counts, [[0, 1, 1], [1, 0, 1], [1, 1, 0]])


def test_out_of_vocabulary_words_use_up_no_distance(tmp_path):
    # x and y are dropped before windowing: a and b are adjacent.
    counts = as_dense(count_file(write(tmp_path, "a x y b\n"), ["a", "b"], window=1), 2)
    np.testing.assert_array_equal(counts, [[0, 1], [1, 0]])


def test_windows_never_cross_a_line_end(tmp_path):
    counts = as_dense(count_file(write(tmp_path, "a\nb\n\na b\n"), ["a", "b"], window=5), 2)
    np.testing.assert_array_equal(counts, [[0, 1], [1, 0]])


def test_window_limits_the_distance(tmp_path):
    vocab = ["a", "b", "c"]
    counts = as_dense(count_file(write(tmp_path, "a c c c b\n"), vocab, window=3), 3)
    assert counts[0, 1] == counts[1, 0] == 0
    counts = as_dense(count_file(write(tmp_path, "a c c b\n"), vocab, window=3), 3)
    assert counts[0, 1] == counts[1, 0] == 1 / 3


# ------------------------------------------------------------------ against the reference

def random_corpus(rng, n_words=30, n_lines=6, max_len=40):
    words = [f"w{i}" for i in range(n_words)] + ["oov1", "oov2"]
    lines = [" ".join(rng.choice(words, size=rng.integers(0, max_len))) for _ in range(n_lines)]
    vocab = [w for w in words[:n_words] if rng.random() < 0.8]
    return lines, vocab


@pytest.mark.parametrize("trial", range(40))
def test_any_partition_of_a_file_gives_the_reference_counts(tmp_path, trial):
    rng = np.random.default_rng(trial)
    lines, vocab = random_corpus(rng)
    text = "\n".join(lines) + ("\n" if trial % 2 else "")
    path = write(tmp_path, text)
    window, symmetric, weighted = int(rng.integers(1, 8)), bool(trial % 3), bool(trial % 4)
    cuts = sorted(rng.integers(0, len(text) + 1, size=rng.integers(0, 4)).tolist())
    spill = str(tmp_path / "spill") if trial % 5 < 2 else None
    if spill:
        os.mkdir(spill)
    result = count_file(path, vocab, window, cuts, symmetric, weighted,
                        dense_entries=int(rng.integers(0, 300)), table_slots=8, spill_dir=spill)
    expected = reference_counts(text.split("\n"), vocab, window, symmetric, weighted)
    np.testing.assert_allclose(as_dense(result, len(vocab)), expected, rtol=1e-13, atol=0)
    if spill:
        assert os.listdir(spill) == []      # every run file was deleted once merged


def test_a_line_cut_by_ranges_keeps_its_windows(tmp_path):
    # One long line cut in the middle of words and between them, into ranges
    # shorter than the window: pairs across every cut must be counted once.
    text = " ".join(f"w{i % 7}" for i in range(60))
    path = write(tmp_path, text)
    vocab = [f"w{i}" for i in range(7)]
    expected = reference_counts([text], vocab, window=9)
    for cuts in ([5, 6, 7, 30], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], list(range(3, 170, 11))):
        got = as_dense(count_file(path, vocab, 9, cuts), len(vocab))
        np.testing.assert_allclose(got, expected, rtol=1e-13)


@pytest.mark.parametrize("symmetric", [True, False])
def test_batches_of_id_sentences_give_the_reference_counts(symmetric):
    rng = np.random.default_rng(7)
    lines, vocab = random_corpus(rng, n_lines=20)
    got = as_dense(count_lines(lines, vocab, 4, symmetric=symmetric, dense_entries=50,
                               table_slots=16), len(vocab))
    np.testing.assert_allclose(got, reference_counts(lines, vocab, 4, symmetric), rtol=1e-13)


# ------------------------------------------------------------------ exactness, memory

def big_corpus(tmp_path):
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, 401)
    lines = [" ".join(rng.choice(words, size=80, p=p / p.sum())) for _ in range(150)]
    return write(tmp_path, "\n".join(lines) + "\n"), words, lines


def test_spilling_and_merging_gives_identical_counts(tmp_path):
    path, vocab, lines = big_corpus(tmp_path)
    size = os.path.getsize(path)
    in_memory = count_file(path, vocab, 10, dense_entries=10 ** 6, table_slots=1 << 16)
    spill_dir = tmp_path / "runs"
    spill_dir.mkdir()
    # A tiny dense block and table: hundreds of runs, merged in several rounds.
    spilled = count_file(path, vocab, 10, [size // 3, 2 * size // 3], dense_entries=100,
                         table_slots=64, spill_dir=str(spill_dir))
    assert spilled[3]["runs"] > 2 * 64
    for a, b in zip(in_memory[:3], spilled[:3]):
        np.testing.assert_array_equal(a, b)         # bit for bit
    assert os.listdir(spill_dir) == []
    np.testing.assert_allclose(as_dense(in_memory, len(vocab)),
                               reference_counts(lines, vocab, 10), rtol=1e-12)


def test_counts_are_exact_multiples_of_the_unit(tmp_path):
    path, vocab, _ = big_corpus(tmp_path)
    counter = PairCounter(len(vocab), 10, max_word_count=10 ** 6)
    assert counter.unit == 2520                     # lcm(1..10): every 1/d is exact
    assert [counter.weight_units(d) for d in (1, 7, 10)] == [2520, 360, 252]
    data = count_file(path, vocab, 10)[2]
    np.testing.assert_array_equal(np.round(data * 2520) / 2520, data)


def test_windows_beyond_twenty_round_far_weights_finely():
    counter = PairCounter(5, 30, max_word_count=1000)
    assert counter.unit == 232792560                # lcm(1..20)
    for d in range(1, 31):
        assert counter.weight_units(d) / counter.unit == pytest.approx(1.0 / d, rel=1e-7)


def test_the_unit_shrinks_rather_than_overflow():
    huge = PairCounter(5, 20, max_word_count=10 ** 12)
    assert huge.unit < 232792560
    with pytest.raises(ValueError, match="overflow"):
        PairCounter(5, 20, max_word_count=10 ** 17)


def test_dense_block_follows_the_rank_product():
    # Upper triangle of 4 words with (i+1)(j+1) <= 5: (0, 0..3) and (1, 1); 6 adds (1, 2).
    assert dense_product_for(4, True, 5) == 5
    assert dense_product_for(4, True, 6) == 7           # (i+1)(j+1) <= 7 adds nothing more
    assert dense_product_for(4, False, 4) == 2          # full rows: (0, 0), (0, 1), (1, 0)
    counter = PairCounter(4, 2, dense_entries=5, max_word_count=10)
    assert counter.dense_entries == 5 and counter.dense_product == 5


def test_frequent_and_rare_pairs_meet_in_sorted_rows(tmp_path):
    path, vocab, lines = big_corpus(tmp_path)
    for dense in (0, 500, 5000, 10 ** 6):
        indptr, indices, data, stats = count_file(path, vocab, 5, dense_entries=dense,
                                                  table_slots=256)
        assert all(np.all(np.diff(indices[a:b]) > 0) for a, b in zip(indptr[:-1], indptr[1:]))
        assert 0 <= stats["dense_pairs"] <= stats["pairs"]
    assert stats["dense_pairs"] == stats["pairs"]       # everything fits the largest block


def test_bad_input_is_refused(tmp_path):
    counter = PairCounter(3, 2, max_word_count=10)
    with pytest.raises(ValueError, match="0..2"):
        counter.count_batch(0, np.array([0, 3], dtype=np.int32), np.array([2], dtype=np.int32))
    with pytest.raises(ValueError, match="sentence_ends"):
        counter.count_batch(0, np.array([0, 1], dtype=np.int32), np.array([3], dtype=np.int32))
    with pytest.raises(IndexError):
        counter.count_batch(1, np.array([0], dtype=np.int32), np.array([1], dtype=np.int32))
    with pytest.raises(OSError):
        counter.count_range(0, WordHash(["a", "b", "c"]), str(tmp_path / "missing.txt"), 0, -1)
    counter.csr_arrays()
    with pytest.raises(ValueError, match="merged"):
        counter.count_batch(0, np.array([0], dtype=np.int32), np.array([1], dtype=np.int32))


@pytest.mark.parametrize("spill", [False, True])
def test_row_chunks_filled_in_any_order_give_the_same_matrix(tmp_path, spill):
    path, vocab, _ = big_corpus(tmp_path)
    spill_dir = None
    if spill:
        spill_dir = tmp_path / "runs"
        spill_dir.mkdir()
    whole = count_file(path, vocab, 6, dense_entries=3000, table_slots=256)

    counter = PairCounter(len(vocab), 6, workers=2, dense_entries=3000, table_slots=256,
                          spill_dir=None if spill_dir is None else str(spill_dir),
                          max_word_count=10 ** 6)
    table, size = WordHash(vocab), os.path.getsize(path)
    counter.count_range(0, table, path, 0, size // 2)
    counter.count_range(1, table, path, size // 2, -1)
    plan = counter.merge(7)
    assert plan.chunk_rows[0] == 0 and plan.chunk_rows[-1] == len(vocab)
    assert np.all(np.diff(plan.chunk_rows) >= 0)
    for chunk in reversed(range(plan.chunks)):
        counter.fill_chunk(plan, chunk)
    chunked = counter.finish(plan)
    for a, b in zip(whole[:3], chunked[:3]):
        np.testing.assert_array_equal(a, b)
    assert spill_dir is None or os.listdir(spill_dir) == []
