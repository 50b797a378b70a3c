"""GloVe's AdaGrad kernel against NumPy references: one step, the pair order, slices."""
import numpy as np
import pytest
import scipy.sparse as sp

from cw2v._kernels.glove import PAIR_DTYPE, AdaGradTrainer, pairs_from_csr, permutation


def make_state(vocab=6, k=5, seed=0):
    rng = np.random.default_rng(seed)
    state = {
        "word_vectors": rng.uniform(-0.5, 0.5, (vocab, k)).astype(np.float32),
        "context_vectors": rng.uniform(-0.5, 0.5, (vocab, k)).astype(np.float32),
        "word_biases": rng.uniform(-0.5, 0.5, vocab).astype(np.float32),
        "context_biases": rng.uniform(-0.5, 0.5, vocab).astype(np.float32),
        "word_gradsq": rng.uniform(1, 3, (vocab, k)).astype(np.float32),
        "context_gradsq": rng.uniform(1, 3, (vocab, k)).astype(np.float32),
        "word_bias_gradsq": rng.uniform(1, 3, vocab).astype(np.float32),
        "context_bias_gradsq": rng.uniform(1, 3, vocab).astype(np.float32),
    }
    return state


def make_pairs(rows, cols, counts, x_max=10.0, alpha=0.75):
    pairs = np.zeros(len(rows), dtype=PAIR_DTYPE)
    pairs["row"], pairs["col"] = rows, cols
    pairs["log_x"] = np.log(counts)
    pairs["weight"] = np.minimum(1.0, (np.asarray(counts) / x_max) ** alpha)
    return pairs


def trainer(state, pairs, variant, eta=0.05, clip=100.0):
    return AdaGradTrainer(*state.values(), pairs, learning_rate=eta, gradient_clip=clip,
                          variant=variant)


def reference_step(s, pair, variant, eta, clip):
    """One step on float64 copies: the paper's AdaGrad or glove.c's rule."""
    i, j = int(pair["row"]), int(pair["col"])
    w, c = s["word_vectors"][i].copy(), s["context_vectors"][j].copy()
    diff = w @ c + s["word_biases"][i] + s["context_biases"][j] - pair["log_x"]
    fdiff = pair["weight"] * diff
    g_w, g_c = np.clip(fdiff * c, -clip, clip), np.clip(fdiff * w, -clip, clip)
    if variant == "paper":
        s["word_gradsq"][i] += g_w ** 2
        s["context_gradsq"][j] += g_c ** 2
        s["word_vectors"][i] = w - eta * g_w / np.sqrt(s["word_gradsq"][i])
        s["context_vectors"][j] = c - eta * g_c / np.sqrt(s["context_gradsq"][j])
        g_b = np.clip(fdiff, -clip, clip)
        for bias, acc, index in (("word_biases", "word_bias_gradsq", i),
                                 ("context_biases", "context_bias_gradsq", j)):
            s[acc][index] += g_b ** 2
            s[bias][index] -= eta * g_b / np.sqrt(s[acc][index])
    else:
        s_w, s_c = eta * g_w, eta * g_c
        s["word_vectors"][i] = w - s_w / np.sqrt(s["word_gradsq"][i])
        s["context_vectors"][j] = c - s_c / np.sqrt(s["context_gradsq"][j])
        s["word_gradsq"][i] += s_w ** 2
        s["context_gradsq"][j] += s_c ** 2
        for bias, acc, index in (("word_biases", "word_bias_gradsq", i),
                                 ("context_biases", "context_bias_gradsq", j)):
            s[bias][index] -= fdiff / np.sqrt(s[acc][index])
            s[acc][index] += fdiff ** 2
    return 0.5 * fdiff * diff


@pytest.mark.parametrize("variant", ["paper", "stanford"])
@pytest.mark.parametrize("clip", [100.0, 0.05])
def test_one_step_matches_numpy(variant, clip):
    state = make_state()
    expected = {name: a.astype(np.float64) for name, a in state.items()}
    pairs = make_pairs([2], [2], [37.0])      # a word with its own context: separate rows
    loss, trained, skipped = trainer(state, pairs, variant, clip=clip).train_slice(
        0, seed=1, epoch=0, begin=0, end=1)
    expected_loss = reference_step(expected, pairs[0], variant, 0.05, clip)
    assert (trained, skipped) == (1, 0)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    for name, array in state.items():
        np.testing.assert_allclose(array, expected[name], rtol=2e-6, atol=1e-7, err_msg=name)
    if clip < 1:    # the bound was reached, so clipping was exercised
        assert np.abs(expected["word_vectors"] - make_state()["word_vectors"]).max() > 0


@pytest.mark.parametrize("variant", ["paper", "stanford"])
def test_a_slice_follows_the_order_step_by_step(variant):
    state = make_state(vocab=7, k=4, seed=3)
    expected = {name: a.astype(np.float64) for name, a in state.items()}
    rng = np.random.default_rng(4)
    pairs = make_pairs(rng.integers(0, 7, 40), rng.integers(0, 7, 40), rng.uniform(0.2, 30, 40))
    loss, trained, _ = trainer(state, pairs, variant).train_slice(0, 9, 2, 5, 33)
    expected_loss = sum(reference_step(expected, pairs[p], variant, 0.05, 100.0)
                        for p in permutation(40, 9, 2)[5:33])
    assert trained == 28
    assert loss == pytest.approx(expected_loss, rel=1e-4)
    for name, array in state.items():
        np.testing.assert_allclose(array, expected[name], rtol=1e-4, atol=1e-6, err_msg=name)


def test_slices_add_up_to_the_whole_epoch():
    rng = np.random.default_rng(5)
    pairs = make_pairs(rng.integers(0, 6, 50), rng.integers(0, 6, 50), rng.uniform(1, 9, 50))
    whole, parts = make_state(), make_state()
    loss = trainer(whole, pairs, "paper").train_slice(0, 1, 0, 0, 50)[0]
    split = trainer(parts, pairs, "paper")
    loss_parts = split.train_slice(0, 1, 0, 0, 17)[0] + split.train_slice(0, 1, 0, 17, 50)[0]
    assert loss == pytest.approx(loss_parts, rel=1e-12)    # summed in two groups
    for name in whole:
        np.testing.assert_array_equal(whole[name], parts[name])


@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 1000, 4097])
def test_permutation_is_a_fresh_permutation_each_epoch(n):
    first, second = permutation(n, 7, 0), permutation(n, 7, 1)
    np.testing.assert_array_equal(np.sort(first), np.arange(n))
    np.testing.assert_array_equal(np.sort(second), np.arange(n))
    if n >= 16:
        assert not np.array_equal(first, second)
        assert not np.array_equal(first, permutation(n, 8, 0))
        assert not np.array_equal(first, np.arange(n))
    np.testing.assert_array_equal(permutation(n, 7, 0, shuffle=False), np.arange(n))


def test_permutation_looks_uniform():
    # Where position 0 lands over many epochs: no value is much more likely.
    landing = [permutation(10, 3, epoch)[0] for epoch in range(2000)]
    counts = np.bincount(landing, minlength=10)
    assert counts.min() > 140 and counts.max() < 260


def test_a_pair_with_a_nonfinite_diff_is_skipped():
    state = make_state()
    state["word_vectors"][1, 0] = np.inf
    pairs = make_pairs([1, 0], [3, 3], [5.0, 5.0])
    before = {name: a.copy() for name, a in state.items()}
    loss, trained, skipped = trainer(state, pairs, "paper").train_slice(0, 1, 0, 0, 2, False)
    assert (trained, skipped) == (1, 1) and np.isfinite(loss)
    np.testing.assert_array_equal(state["word_vectors"][1], before["word_vectors"][1])
    np.testing.assert_array_equal(state["word_gradsq"][1], before["word_gradsq"][1])


def test_pairs_from_csr_hold_log_counts_and_weights():
    matrix = sp.csr_matrix(np.array([[0, 2.0, 150.0], [3.0, 0, 0], [0, 0, 100.0]]))
    pairs = pairs_from_csr(matrix.indptr, matrix.indices, matrix.data, 100.0, 0.75)
    assert pairs.dtype == PAIR_DTYPE and pairs.dtype.itemsize == 16
    np.testing.assert_array_equal(pairs["row"], [0, 0, 1, 2])
    np.testing.assert_array_equal(pairs["col"], [1, 2, 0, 2])
    np.testing.assert_allclose(pairs["log_x"], np.log([2.0, 150.0, 3.0, 100.0]), rtol=1e-7)
    np.testing.assert_allclose(pairs["weight"], [0.02 ** 0.75, 1.0, 0.03 ** 0.75, 1.0], rtol=1e-6)


def test_bad_arguments_are_refused():
    state = make_state()
    pairs = make_pairs([0], [6], [1.0])
    with pytest.raises(ValueError, match="0..5"):
        trainer(state, pairs, "paper")
    with pytest.raises(ValueError, match="variant"):
        trainer(state, make_pairs([0], [1], [1.0]), "sgd")
    good = trainer(state, make_pairs([0], [1], [1.0]), "paper")
    with pytest.raises(ValueError, match="slice"):
        good.train_slice(0, 1, 0, 0, 2)
