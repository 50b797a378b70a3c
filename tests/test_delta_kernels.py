"""The row loops of cw2v/_kernels/deltas.pyx (through cw2v.distributed.merge) against
plain NumPy references: the NumPy code they replaced.  Results must match bit for
bit (NaN payloads, signed zeros), since the driver and every replica apply them."""
import types

import numpy as np
import pytest

from cw2v._kernels import deltas
from cw2v.distributed import merge, replica, rounds

K = 5


def bits(array):
    return np.ascontiguousarray(array).view(np.uint32)


def assert_same_bits(got, want):
    assert got.shape == want.shape
    np.testing.assert_array_equal(bits(got), bits(want))


# ------------------------------------------------------------------ references

def changes_reference(working, pristine):
    """(rows, values) of the changed rows; working is reset to pristine."""
    with np.errstate(invalid="ignore"):       # inf - inf
        diff = working - pristine
    rows = np.flatnonzero(diff.any(axis=1)).astype(np.int32)
    working[...] = pristine
    return rows, diff[rows]


def sum_reference(a, b):
    rows = np.union1d(a.rows, b.rows).astype(np.int32)
    at_a, at_b = np.searchsorted(rows, a.rows), np.searchsorted(rows, b.rows)
    values = np.zeros((len(rows), a.values.shape[1]), dtype=np.float32)
    touched = np.zeros(len(rows), dtype=np.int32)
    values[at_a] = a.values
    values[at_b] += b.values
    touched[at_a] = a.touched
    touched[at_b] += b.touched
    return rows, values, touched


def apply_reference(matrix, d, rule, replicas):
    if rule == "touched":
        values = d.values / d.touched[:, None].astype(np.float32)
    elif rule == "replicas":
        values = d.values / np.float32(replicas)
    else:
        values = d.values
    matrix[d.rows] += values


# ------------------------------------------------------------------ data

def random_matrices(rng, n_rows, share):
    """(working, pristine) where about ``share`` of the rows changed, with rows of
    every kind: NaN, inf - inf, a signed zero only, changed in one element only."""
    pristine = rng.standard_normal((n_rows, K)).astype(np.float32)
    working = pristine.copy()
    changed = rng.random(n_rows) < share
    working[changed] += rng.standard_normal((changed.sum(), K)).astype(np.float32)
    if n_rows >= 6:
        pristine[0] = working[0] = 0.0
        working[0, 1] = -0.0                  # differs from 0.0 only in its sign: unchanged
        working[1, 2] = np.nan                # NaN: changed
        pristine[2, 0] = working[2, 0] = np.inf     # inf - inf is NaN: changed
        working[3] = pristine[3]
        working[3, 4] = np.nextafter(pristine[3, 4], np.float32(np.inf))   # one ulp
        working[4] = pristine[4]              # unchanged, whatever the draw said
        working[5] = np.float32(-np.nan)      # a NaN of the other sign
    return working, pristine


def random_delta(rng, n_rows, share, touched_max=1):
    rows = np.flatnonzero(rng.random(n_rows) < share).astype(np.int32)
    values = rng.standard_normal((len(rows), K)).astype(np.float32)
    if len(rows):
        values[rng.random(values.shape) < 0.1] = -0.0
        values[0, 0] = np.nan
    touched = rng.integers(1, touched_max + 1, len(rows)).astype(np.int32)
    return merge.RowDelta(rows, values, touched)


# ------------------------------------------------------------------ take_changes

@pytest.mark.parametrize("share", [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("n_rows", [0, 1, 6, 40])
def test_take_changes_matches_numpy(share, n_rows):
    rng = np.random.default_rng(n_rows * 10 + int(share * 10))
    working, pristine = random_matrices(rng, n_rows, share)
    expected_working = working.copy()
    rows, values = changes_reference(expected_working, pristine)
    got = merge.take_changes({"w": working}, {"w": pristine})["w"]
    np.testing.assert_array_equal(got.rows, rows)
    assert_same_bits(got.values, values)
    np.testing.assert_array_equal(got.touched, np.ones(len(rows), np.int32))
    assert_same_bits(working, pristine)             # every row reset, signed zeros too
    if n_rows >= 6:
        assert 0 not in got.rows and 4 not in got.rows and {1, 2, 3, 5} <= set(got.rows)


def test_take_changes_of_a_fully_changed_matrix_and_of_an_unchanged_one():
    pristine = np.arange(24, dtype=np.float32).reshape(8, 3)
    working = pristine + np.float32(0.25)
    got = merge.take_changes({"w": working}, {"w": pristine})["w"]
    np.testing.assert_array_equal(got.rows, np.arange(8))
    np.testing.assert_array_equal(got.values, np.full((8, 3), 0.25, np.float32))
    again = merge.take_changes({"w": working}, {"w": pristine})["w"]
    assert again.rows.shape == (0,) and again.values.shape == (0, 3) and again.nbytes == 0


def test_changes_hold_only_the_changed_rows():
    # What is pickled to the driver: arrays of their own, no unused tail behind them.
    pristine = np.zeros((1000, K), np.float32)
    working = pristine.copy()
    working[[3, 500]] = 1.0
    got = merge.take_changes({"w": working}, {"w": pristine})["w"]
    for array in (got.rows, got.values, got.touched):
        assert array.flags.owndata and array.flags.c_contiguous and len(array) == 2


def test_take_changes_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="pristine is 4 x 3"):
        merge.take_changes({"w": np.zeros((4, 4), np.float32)}, {"w": np.zeros((4, 3), np.float32)})


# ------------------------------------------------------------------ sums

@pytest.mark.parametrize("shares", [(0.3, 0.6), (0.7, 0.95), (0.0, 0.5), (0.5, 0.0), (0.0, 0.0),
                                    (1.0, 1.0), (1.0, 0.2)])
def test_sum_rows_matches_numpy(shares):
    rng = np.random.default_rng(int(shares[0] * 100 + shares[1] * 10))
    a, b = (random_delta(rng, 50, share, touched_max=3) for share in shares)
    rows, values, touched = sum_reference(a, b)
    got = merge._sum_rows(a, b)
    np.testing.assert_array_equal(got.rows, rows)
    assert_same_bits(got.values, values)
    np.testing.assert_array_equal(got.touched, touched)
    assert got.rows.dtype == np.int32 and got.touched.dtype == np.int32
    assert got.values.flags.owndata and len(got.values) == len(rows)


def test_sum_rows_of_disjoint_and_interleaved_rows():
    a = merge.RowDelta(np.array([0, 2, 9], np.int32), np.ones((3, 2), np.float32),
                       np.ones(3, np.int32))
    b = merge.RowDelta(np.array([1, 2, 10], np.int32), np.full((3, 2), 2, np.float32),
                       np.array([2, 2, 2], np.int32))
    got = merge._sum_rows(a, b)
    np.testing.assert_array_equal(got.rows, [0, 1, 2, 9, 10])
    np.testing.assert_array_equal(got.values[:, 0], [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(got.touched, [1, 2, 3, 1, 2])


def test_sum_rows_refuses_deltas_of_different_widths():
    a = merge.RowDelta(np.array([0], np.int32), np.ones((1, 2), np.float32), np.ones(1, np.int32))
    b = merge.RowDelta(np.array([0], np.int32), np.ones((1, 3), np.float32), np.ones(1, np.int32))
    with pytest.raises(ValueError, match="same vector size"):
        merge._sum_rows(a, b)


# ------------------------------------------------------------------ the averaged update

@pytest.mark.parametrize("rule", merge.RULES)
@pytest.mark.parametrize("share", [0.0, 0.4, 1.0])
def test_apply_average_matches_numpy(rule, share):
    rng = np.random.default_rng(int(share * 10))
    d = random_delta(rng, 30, share, touched_max=3)
    total = merge.Delta({"w": d}, replicas=3)
    matrix = rng.standard_normal((30, K)).astype(np.float32)
    matrix[-1, 0] = -0.0
    expected = matrix.copy()
    apply_reference(expected, d, rule, 3)
    also = np.full_like(matrix, 7.0)
    merge.apply_average({"w": matrix}, total, rule, also={"w": also})
    assert_same_bits(matrix, expected)
    assert_same_bits(also[d.rows], matrix[d.rows])
    untouched = np.setdiff1d(np.arange(30), d.rows)
    assert (also[untouched] == 7.0).all()


def test_apply_average_refuses_rows_outside_the_matrix_before_writing():
    matrix = np.zeros((4, 2), np.float32)
    d = merge.RowDelta(np.array([1, 4], np.int32), np.ones((2, 2), np.float32),
                       np.ones(2, np.int32))
    with pytest.raises(IndexError, match="row 4 of the delta is outside the matrix's 4 rows"):
        merge.apply_average({"w": matrix}, merge.Delta({"w": d}), "sum")
    assert (matrix == 0).all()
    with pytest.raises(ValueError, match="also is 3 x 2"):
        merge.apply_average({"w": matrix}, merge.Delta({"w": d}), "sum",
                            also={"w": np.zeros((3, 2), np.float32)})
    with pytest.raises(ValueError, match="divide must be"):
        deltas.apply_rows(matrix, d.rows[:1], d.values[:1], d.touched[:1], 7, 1.0)


@pytest.mark.parametrize("rule", merge.RULES)
def test_driver_and_replica_stay_bit_identical(rule):
    """Rounds of summed deltas applied by the driver's and the replica's own methods."""
    rng = np.random.default_rng(3)
    start = {name: rng.standard_normal((60, K)).astype(np.float32) for name in ("w_in", "w_out")}
    driver = types.SimpleNamespace(matrices={n: m.copy() for n, m in start.items()},
                                   state={"average": rule})
    held = types.SimpleNamespace(pristine={n: m.copy() for n, m in start.items()},
                                 working={n: m.copy() for n, m in start.items()}, version=0)
    expected = {n: m.copy() for n, m in start.items()}
    for version in range(4):
        parts = [merge.Delta({n: random_delta(rng, 60, share) for n in start})
                 for share in (0.3, 0.7, 0.95, 1.0)]
        total = merge.combine(merge.combine(parts[0], parts[1]), merge.combine(parts[2], parts[3]))
        rounds.Driver._apply(driver, total)
        replica.Replica.advance(held, total, rule)
        for name, d in total.matrices.items():
            apply_reference(expected[name], d, rule, total.replicas)
        assert held.version == version + 1
        for name in start:
            assert_same_bits(driver.matrices[name], held.pristine[name])
            assert_same_bits(held.working[name], held.pristine[name])
            assert_same_bits(driver.matrices[name], expected[name])


def test_deltas_received_read_only_are_summed_and_applied():
    # Deserialized from the network, a delta's arrays may be read-only.
    rng = np.random.default_rng(5)
    a, b = random_delta(rng, 20, 0.5), random_delta(rng, 20, 0.5)
    for d in (a, b):
        for array in (d.rows, d.values, d.touched):
            array.setflags(write=False)
    total = merge.combine(merge.Delta({"w": a}), merge.Delta({"w": b}))
    assert_same_bits(total.matrices["w"].values, sum_reference(a, b)[1])
    matrix, expected = np.zeros((20, K), np.float32), np.zeros((20, K), np.float32)
    merge.apply_average({"w": matrix}, merge.Delta({"w": a}), "touched")
    apply_reference(expected, a, "touched", 1)
    assert_same_bits(matrix, expected)
