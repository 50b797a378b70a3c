"""The BLAS wrappers' splitting into blocks of SERIAL_BLOCK entries, against NumPy.

blas.pxd cuts long operands into blocks of at most 8,192 entries so that
OpenBLAS never hands a worker's call to its own thread pool.  A wrong pointer
step between blocks would only show on operands above that size, so every
wrapper is checked here on sizes on both sides of the boundary (through the
def twins in cw2v/_kernels/blas_twins.pyx), and then the kernels whose
operands grow past it at vector_size=300: a deep Huffman path, the full
softmax and the hot-row merge, against the NumPy reference.
"""
import numpy as np
import pytest

from cw2v._kernels import blas_twins as B
from kernel_reference import build, check_one_update, check_sentence, make_arrays

BLOCK = B.SERIAL_BLOCK
RTOL = 1e-5

# (rows, k): under, at and over one block, several blocks with a partial last
# one, and rows longer than a block (one row per call).
MATRIX_SHAPES = [(27, 300), (28, 300), (100, 300), (64, 128), (65, 128), (3000, 7),
                 (2, 9000), (1, 1)]
VECTOR_LENGTHS = [1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 5, 20000]


def rand(rng, *shape):
    return (rng.random(shape) - 0.5).astype(np.float32)


def close(got, want, scale):
    """float32 against float64: error relative to the size of the terms summed."""
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


def test_block_rows_stays_within_one_block():
    assert BLOCK == 8192
    for rows, k in MATRIX_SHAPES:
        part = B.block_rows(rows, k)
        assert 1 <= part <= rows
        assert part * k <= BLOCK or part == 1
    assert B.block_rows(100, 300) == 27      # K=300: 27 rows a call, so 100 rows take 4


@pytest.mark.parametrize("n", VECTOR_LENGTHS)
def test_vector_wrappers(n):
    rng = np.random.default_rng(n)
    x, y = rand(rng, n), rand(rng, n)
    assert B.dot(x, y) == pytest.approx(float(x.astype(np.float64) @ y), rel=RTOL,
                                        abs=RTOL * np.sqrt(n))
    want = 0.75 * x.astype(np.float64) + y
    B.axpy(0.75, x, y)
    close(y, want, 1.0)
    want = -2.5 * y.astype(np.float64)
    B.scal(-2.5, y)
    close(y, want, 1.0)
    out = np.zeros(n, dtype=np.float32)
    B.copy(x, out)
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("rows,k", MATRIX_SHAPES)
def test_rows_dot(rows, k):
    rng = np.random.default_rng(rows * k)
    m, x = rand(rng, rows, k), rand(rng, k)
    out = np.full(rows, np.nan, dtype=np.float32)     # every entry must be written
    B.rows_dot(m, x, out)
    close(out, m.astype(np.float64) @ x, np.sqrt(k))


@pytest.mark.parametrize("rows,k", MATRIX_SHAPES)
def test_rows_combine(rows, k):
    rng = np.random.default_rng(rows * k + 1)
    m, w, y = rand(rng, rows, k), rand(rng, rows), rand(rng, k)
    want = 0.3 * m.astype(np.float64).T @ w + y
    B.rows_combine(0.3, m, w, y)
    close(y, want, np.sqrt(rows))


@pytest.mark.parametrize("rows,k", MATRIX_SHAPES)
def test_rows_rank1(rows, k):
    rng = np.random.default_rng(rows * k + 2)
    w, x, m = rand(rng, rows), rand(rng, k), rand(rng, rows, k)
    want = -1.5 * np.outer(w.astype(np.float64), x) + m
    B.rows_rank1(-1.5, w, x, m)
    close(m, want, 1.0)


def test_twins_check_their_shapes():
    with pytest.raises(ValueError, match="same"):
        B.axpy(1.0, np.zeros(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="rows"):
        B.rows_dot(np.zeros((2, 3), np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32))


# ---- the kernels whose operands pass the block size at vector_size=300

K300, V64 = 300, 64


def deep_path_arrays(seed, depth=40):
    """V=64, K=300, word 5's Huffman path 40 nodes deep (40 x 300 = 12,000
    entries: the gathered block takes two calls of each level-2 wrapper)."""
    arrays = make_arrays(seed=seed, V=V64, dim=K300)
    rng = np.random.default_rng(seed)
    lengths = np.full(V64, 2)
    lengths[5] = depth
    arrays["hs_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    arrays["hs_codes"] = rng.integers(0, 2, size=lengths.sum()).astype(np.uint8)
    arrays["hs_points"] = np.concatenate([rng.choice(V64 - 1, size=n, replace=False)
                                          for n in lengths]).astype(np.int32)
    return arrays


@pytest.mark.parametrize("sg", [1, 0])
def test_deep_huffman_path_at_k300(sg):
    """Skip-gram trains the path gathered into one block (rows_dot, rows_combine,
    rows_rank1 and the scatter's axpy over 12,000 entries); CBOW node by node."""
    arrays = deep_path_arrays(seed=41)
    trainer, live, ref = build(arrays, sg, "hs", hot_rows=8)
    check_one_update(trainer, live, ref, sg, 5, 0, pair=(5, 9), words=(9, 3, 5, 11, 2))
    path = arrays["hs_points"][arrays["hs_offsets"][5]:arrays["hs_offsets"][6]]
    assert np.all(np.any(live["w_out_hs"][path] != arrays["w_out_hs"][path], axis=1))


@pytest.mark.parametrize("layer", ["hs+ns", "softmax"])
def test_hot_row_merge_and_softmax_at_k300(layer):
    """Every word and tree node hot (64 x 300 = 19,200 entries per merge, three
    blocks); the full softmax's matrix 64 x 300 as well."""
    arrays = deep_path_arrays(seed=43)
    trainer, live, ref = build(arrays, 1, layer, window=3, hot_rows=V64)
    words = np.random.default_rng(2).integers(0, V64, size=30)
    words[10] = 5                                       # the deep path is used
    check_sentence(trainer, live, ref, words, 0.05, -0.001, 17, 1)
    # Rows in the last block of the merge (rows 55..63) moved too.
    touched = sorted(set(words))
    late = [w for w in touched if w >= 2 * BLOCK // K300]
    assert late and np.all(np.any(live["w_in"][late] != arrays["w_in"][late], axis=1))
