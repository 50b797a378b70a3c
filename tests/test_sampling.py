"""Tests of cw2v.vocab.sampling: subsampling thresholds and the alias noise table.

Oracles: word2vec.c's keep-probability formula evaluated per word with the
math module; the target distribution counts**exponent computed directly;
the distribution implied by the alias table (exact, float64); and
chi-square goodness-of-fit tests of the reference sampler and of the
training kernel's own sampler, each with a negative control showing the
test rejects a wrong distribution.
"""
import logging
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from cw2v._kernels.train import Trainer, WorkerState
from cw2v.vocab.sampling import ALWAYS, NoiseTable, build_noise_table, keep_probabilities, keep_thresholds


# ---------------------------------------------------------------- subsampling
def reference_threshold(count, total, sample):
    if sample == 0 or count == 0:
        return 0xFFFFFFFF
    st_ = sample * total
    p = min(1.0, (math.sqrt(count / st_) + 1) * st_ / count)
    return min(math.floor(p * 2 ** 32), 2 ** 32 - 1)


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 10 ** 9), min_size=1, max_size=50).filter(lambda c: sum(c) > 0),
       sample=st.sampled_from([0, 1e-5, 1e-4, 1e-3, 0.01, 0.5, 3.0]))
def test_keep_thresholds_match_word2vec_c_formula(counts, sample):
    thr = keep_thresholds(np.array(counts, dtype=np.int64), sample)
    assert thr.dtype == np.uint32
    total = sum(counts)
    assert thr.tolist() == [reference_threshold(c, total, sample) for c in counts]


def test_subsampling_effect_on_a_known_case():
    # One word is 90% of a 1000-token corpus: with sample=1e-3, s*T = 1 and
    # p = (sqrt(900) + 1) / 900.
    counts = np.array([900, 50, 50])
    p = keep_probabilities(counts, 1e-3)
    assert p[0] == pytest.approx((30 + 1) / 900)
    assert p[1] == pytest.approx((math.sqrt(50) + 1) / 50)
    thr = keep_thresholds(counts, 1e-3)
    # The kernels' rule applied to many uniform uint32s keeps about p of them.
    r = np.random.default_rng(5).integers(0, 2 ** 32, size=200_000, dtype=np.uint64)
    kept = np.mean((r < thr[0]) | (thr[0] == ALWAYS))
    assert abs(kept - p[0]) < 4 * math.sqrt(p[0] * (1 - p[0]) / r.size)


def test_keep_thresholds_logs_the_expected_effect(caplog):
    counts = np.array([900, 50, 50])
    with caplog.at_level(logging.INFO, logger="cw2v.vocab.sampling"):
        keep_thresholds(counts, 1e-3)
    kept = 31 + 2 * (math.sqrt(50) + 1)  # sum of p * count, from the known case above
    assert f"downsamples 3 most frequent words, keeping an estimated {round(kept)} of 1000 tokens" in caplog.text


def test_sample_zero_disables_and_rare_words_always_kept():
    counts = np.array([10 ** 6, 5, 1])
    assert keep_thresholds(counts, 0).tolist() == [0xFFFFFFFF] * 3
    thr = keep_thresholds(counts, 1e-3)
    assert thr[0] < 0xFFFFFFFF and thr[1] == thr[2] == 0xFFFFFFFF


@pytest.mark.parametrize("bad", [-1e-3, float("nan"), None, "1e-3"])
def test_bad_sample_rejected(bad):
    with pytest.raises(ValueError, match="sample"):
        keep_thresholds([1, 2, 3], bad)


def test_bad_counts_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        keep_thresholds([1, -2], 1e-3)
    with pytest.raises(ValueError, match="1-D"):
        keep_thresholds([[1, 2]], 1e-3)


# ---------------------------------------------------------------- noise table
def target(counts, exponent):
    w = np.array([float(c) ** exponent for c in counts])
    return w / w.sum()


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(1, 10 ** 7), min_size=1, max_size=300),
       exponent=st.sampled_from([0.75, 1.0, 0.0, -0.5, 0.25, 2.0]))
def test_alias_table_implies_exactly_the_target(counts, exponent):
    table = NoiseTable(np.array(counts), exponent)
    assert table.accept.dtype == np.uint32 and table.alias.dtype == np.int32
    assert table.accept.shape == table.alias.shape == (len(counts),)
    assert table.alias.min() >= 0 and table.alias.max() < len(counts)
    expected = target(counts, exponent)
    np.testing.assert_allclose(table.probabilities, expected, rtol=1e-9, atol=0)
    np.testing.assert_allclose(table.implied_probabilities(), expected, rtol=0, atol=1e-6)
    assert table.implied_probabilities().sum() == pytest.approx(1.0, abs=1e-12)


def test_implied_probabilities_computed_independently():
    # Recompute the table's distribution slot by slot, as the kernel reads it.
    counts = np.array([1, 2, 3, 100, 7, 7, 40])
    table = build_noise_table(counts, 0.75)
    implied = np.zeros(len(counts))
    for i in range(len(counts)):
        a = 1.0 if table.accept[i] == 0xFFFFFFFF else table.accept[i] / 2 ** 32
        implied[i] += a / len(counts)
        implied[table.alias[i]] += (1 - a) / len(counts)
    np.testing.assert_allclose(implied, target(counts, 0.75), atol=1e-9)


@pytest.mark.parametrize("exponent", [0.75, 0.0, -0.5, 1.0])
def test_sampled_frequencies_pass_chi_square(exponent):
    counts = np.random.default_rng(1).zipf(1.5, size=60).clip(max=10 ** 6)
    table = NoiseTable(counts, exponent)
    n = 300_000
    observed = np.bincount(table.sample(n, np.random.default_rng(2024)), minlength=len(counts))
    expected = target(counts, exponent) * n
    assert chisquare(observed, expected).pvalue > 1e-3


def test_chi_square_detects_a_wrong_distribution():
    # Negative control: the same samples tested against counts**1.0 must fail.
    counts = np.random.default_rng(1).zipf(1.5, size=60).clip(max=10 ** 6)
    table = NoiseTable(counts, 0.75)
    n = 300_000
    observed = np.bincount(table.sample(n, np.random.default_rng(2024)), minlength=len(counts))
    assert chisquare(observed, target(counts, 1.0) * n).pvalue < 1e-9


def test_sampler_follows_the_kernel_recipe():
    # Drive the reference sampler with known uint32s and check the slot maths.
    table = NoiseTable(np.array([1, 1, 1, 5]), 1.0)

    class FixedRng:
        def __init__(self, r1, r2):
            self.values = [np.array(r1, dtype=np.uint64), np.array(r2, dtype=np.uint64)]

        def integers(self, *args, **kwargs):
            return self.values.pop(0)

    r1 = [0, 2 ** 30, 2 ** 31, 3 * 2 ** 30, 2 ** 32 - 1]
    r2 = [0, 0, 2 ** 32 - 1, 2 ** 32 - 1, 0]
    got = table.sample(5, FixedRng(r1, r2))
    for k in range(5):
        slot = (r1[k] * 4) >> 32
        keep = r2[k] < table.accept[slot] or table.accept[slot] == 0xFFFFFFFF
        assert got[k] == (slot if keep else table.alias[slot])


def test_zero_counts_and_exponent_edge_cases():
    table = NoiseTable(np.array([0, 3, 5]), 0.75)
    assert table.implied_probabilities()[0] == 0
    assert 0 not in set(table.sample(20_000, np.random.default_rng(0)).tolist())
    uniform = NoiseTable(np.array([0, 3, 5]), 0.0)
    np.testing.assert_allclose(uniform.implied_probabilities(), [1 / 3] * 3, atol=1e-9)
    with pytest.raises(ValueError, match="negative exponent"):
        NoiseTable(np.array([0, 3]), -1.0)
    with pytest.raises(ValueError, match="every count is 0"):
        NoiseTable(np.array([0, 0]), 0.75)
    with pytest.raises(ValueError, match="empty"):
        NoiseTable(np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match="finite"):
        NoiseTable(np.array([1, 2]), float("inf"))
    single = NoiseTable(np.array([42]))
    assert single.sample(10, np.random.default_rng(0)).tolist() == [0] * 10


def test_huge_counts_and_exponents_do_not_overflow():
    counts = np.array([1, 10 ** 12, 10 ** 15])
    table = NoiseTable(counts, 30.0)  # 1e15**30 overflows float64; log space does not
    np.testing.assert_allclose(table.implied_probabilities(), [0, 0, 1], atol=1e-6)


def kernel_noise_draws(table: NoiseTable, n: int, seed: int) -> np.ndarray:
    """n noise words drawn by the compiled kernel (Trainer.draw_noise_words) from ``table``."""
    V, dim = len(table), 4
    trainer = Trainer(np.zeros((V, dim), dtype=np.float32), sg=1, negative=5, hot_rows=0,
                      w_out_ns=np.zeros((V, dim), dtype=np.float32),
                      noise_accept=table.accept, noise_alias=table.alias)
    worker = WorkerState(trainer)
    trainer.start_stream(worker, seed, 0)
    return trainer.draw_noise_words(worker, n)


@pytest.mark.parametrize("exponent", [0.75, 0.0, -0.5, 1.0])
def test_kernel_sampled_frequencies_pass_chi_square(exponent):
    counts = np.random.default_rng(1).zipf(1.5, size=60).clip(max=10 ** 6)
    n = 300_000
    draws = kernel_noise_draws(NoiseTable(counts, exponent), n, seed=2024)
    assert draws.dtype == np.int32 and draws.min() >= 0 and draws.max() < len(counts)
    observed = np.bincount(draws, minlength=len(counts))
    assert chisquare(observed, target(counts, exponent) * n).pvalue > 1e-3


def test_kernel_chi_square_detects_a_wrong_distribution():
    # Negative controls: the kernel's draws from the counts**0.75 table fail
    # against counts**1.0, and against counts**0.75 with two words' shares swapped.
    counts = np.random.default_rng(1).zipf(1.5, size=60).clip(max=10 ** 6)
    n = 300_000
    observed = np.bincount(kernel_noise_draws(NoiseTable(counts, 0.75), n, seed=2024), minlength=len(counts))
    assert chisquare(observed, target(counts, 1.0) * n).pvalue < 1e-9
    swapped = target(counts, 0.75)
    top, other = np.argmax(swapped), np.argsort(swapped)[len(counts) // 2]
    swapped[[top, other]] = swapped[[other, top]]
    assert chisquare(observed, swapped * n).pvalue < 1e-9
