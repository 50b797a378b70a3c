"""The row loops of the distributed rounds' sparse deltas (:mod:`cw2v.distributed.merge`).

Each is one pass over its rows with the GIL released and no temporary the
size of a matrix.  The float32 operations are the ones NumPy did before
these loops existed, so the sums and updates are bit for bit the same:

* :func:`take_changes`: ``diff = working - pristine``; a row changed when
  ``diff.any()`` (NaN counts, -0.0 does not); its diff and id are written
  out and ``working``'s row is reset to ``pristine``'s.
* :func:`sum_rows`: the union of two sorted unique row lists, ``a + b`` where
  both have a row, the other's values where one has it (allocated here, once
  the union is counted).
* :func:`apply_rows`: ``matrix[rows] += values / divisor`` with the divisor
  per row (the replicas that changed it), one for all rows, or none; the new
  rows optionally copied into a second matrix.
"""
cimport cython
from libc.stdint cimport int32_t
from libc.string cimport memcmp, memcpy

import numpy as np

cpdef enum Divide:
    # How apply_rows divides a row's values before adding them.
    DIVIDE_NONE = 0
    DIVIDE_BY_TOUCHED = 1
    DIVIDE_BY_CONSTANT = 2


def _check_columns(name, Py_ssize_t got, Py_ssize_t want):
    if got != want:
        raise ValueError(f"{name} has {got} columns, the matrix has {want}: deltas must come "
                         "from a model of the same vector size")


def take_changes(float[:, ::1] working not None, const float[:, ::1] pristine not None,
                 int32_t[::1] rows not None, float[:, ::1] values not None):
    """Write the rows where ``working`` (n_rows, K) differs from ``pristine``
    into ``rows`` (n_rows,) and ``values`` (n_rows, K) as ``working - pristine``,
    and reset every row of ``working`` to ``pristine``.  Returns how many rows
    changed: the first that many entries of ``rows`` and ``values`` are set.
    """
    cdef Py_ssize_t n_rows = working.shape[0], k = working.shape[1]
    if pristine.shape[0] != n_rows or pristine.shape[1] != k:
        raise ValueError(f"working is {n_rows} x {k} but pristine is "
                         f"{pristine.shape[0]} x {pristine.shape[1]}")
    if rows.shape[0] < n_rows or values.shape[0] < n_rows:
        raise ValueError(f"rows and values need room for {n_rows} rows")
    _check_columns("values", values.shape[1], k)
    cdef Py_ssize_t i, j, n = 0
    cdef float *w
    cdef const float *p
    cdef float *out
    cdef float d
    cdef int changed
    if k == 0:
        return 0
    with nogil:
        for i in range(n_rows):
            w = &working[i, 0]
            p = &pristine[i, 0]
            out = &values[n, 0]     # written speculatively; kept only if the row changed
            changed = 0
            for j in range(k):
                d = w[j] - p[j]
                out[j] = d
                changed |= d != 0       # true for NaN, false for -0.0
            if changed:
                rows[n] = <int32_t>i
                n += 1
            # Unchanged rows can still differ in the sign of a zero: reset those too.
            if changed or memcmp(w, p, k * sizeof(float)) != 0:
                memcpy(w, p, k * sizeof(float))
    return n


cdef enum Side:
    FROM_A = 0
    FROM_B = 1
    FROM_BOTH = 2


cdef inline Side _next_side(const int32_t *a, Py_ssize_t ia, Py_ssize_t na,
                            const int32_t *b, Py_ssize_t ib, Py_ssize_t nb) noexcept nogil:
    """Where the next row of the merge of sorted ``a`` and ``b`` comes from."""
    if ib == nb or (ia < na and a[ia] < b[ib]):
        return FROM_A
    if ia == na or b[ib] < a[ia]:
        return FROM_B
    return FROM_BOTH


cdef Py_ssize_t _union_size(const int32_t *a, Py_ssize_t na,
                            const int32_t *b, Py_ssize_t nb) noexcept nogil:
    """How many rows the merge of sorted ``a`` and ``b`` has (the merge's own steps)."""
    cdef Py_ssize_t ia = 0, ib = 0, n = 0
    cdef Side side
    while ia < na or ib < nb:
        side = _next_side(a, ia, na, b, ib, nb)
        ia += side != FROM_B
        ib += side != FROM_A
        n += 1
    return n


def sum_rows(const int32_t[::1] a_rows not None, const float[:, ::1] a_values not None,
             const int32_t[::1] a_touched not None,
             const int32_t[::1] b_rows not None, const float[:, ::1] b_values not None,
             const int32_t[::1] b_touched not None):
    """The sum of two deltas with sorted unique row ids, as new arrays ``(rows,
    values, touched)``: the union of the rows, values ``a + b`` and touched
    summed where both have a row.

    A row only in b gets ``0 + b`` (as a zeroed sum plus b: -0.0 becomes 0.0),
    a row only in a its values as they are.  The output is counted before it
    is allocated: an allocation of len(a) + len(b) rows, over glibc's largest
    mmap threshold (32 MB), would be fresh pages to fault in every round.
    """
    cdef Py_ssize_t na = a_rows.shape[0], nb = b_rows.shape[0], k = a_values.shape[1]
    if a_values.shape[0] != na or a_touched.shape[0] != na:
        raise ValueError("a's rows, values and touched differ in length")
    if b_values.shape[0] != nb or b_touched.shape[0] != nb:
        raise ValueError("b's rows, values and touched differ in length")
    _check_columns("b's values", b_values.shape[1], k)
    cdef Py_ssize_t n
    cdef const int32_t *ar = &a_rows[0] if na else NULL
    cdef const int32_t *br = &b_rows[0] if nb else NULL
    cdef Side side
    with nogil:
        n = _union_size(ar, na, br, nb)
    out_rows = np.empty(n, dtype=np.int32)
    out_values = np.empty((n, k), dtype=np.float32)
    out_touched = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] rows = out_rows, touched = out_touched
    cdef float[:, ::1] values = out_values
    cdef Py_ssize_t ia = 0, ib = 0, i, j
    cdef const float *x
    cdef const float *y
    cdef float *out
    cdef float zero = 0
    with nogil:
        for i in range(n):
            out = &values[i, 0] if k else NULL
            side = _next_side(ar, ia, na, br, ib, nb)
            if side == FROM_A:
                rows[i] = a_rows[ia]
                touched[i] = a_touched[ia]
                if k:
                    memcpy(out, &a_values[ia, 0], k * sizeof(float))
                ia += 1
            elif side == FROM_B:
                rows[i] = b_rows[ib]
                touched[i] = b_touched[ib]
                y = &b_values[ib, 0] if k else NULL
                for j in range(k):
                    out[j] = zero + y[j]
                ib += 1
            else:
                rows[i] = a_rows[ia]
                touched[i] = a_touched[ia] + b_touched[ib]
                x = &a_values[ia, 0] if k else NULL
                y = &b_values[ib, 0] if k else NULL
                for j in range(k):
                    out[j] = x[j] + y[j]
                ia += 1
                ib += 1
    return out_rows, out_values, out_touched


@cython.cdivision(True)     # IEEE float division even in a debug build, as NumPy's
def apply_rows(float[:, ::1] matrix not None, const int32_t[::1] rows not None,
               const float[:, ::1] values not None, const int32_t[::1] touched not None,
               Divide divide, float divisor, float[:, ::1] also=None):
    """``matrix[rows] += values / d`` in float32, where ``d`` is ``touched[i]``
    (``divide == DIVIDE_BY_TOUCHED``), ``divisor`` (``DIVIDE_BY_CONSTANT``) or
    no division (``DIVIDE_NONE``).  ``also`` (same shape as ``matrix``, or
    None) receives a copy of every row written.
    """
    cdef Py_ssize_t n_rows = matrix.shape[0], k = matrix.shape[1], n = rows.shape[0]
    if values.shape[0] != n or touched.shape[0] != n:
        raise ValueError("rows, values and touched differ in length")
    _check_columns("values", values.shape[1], k)
    if also is not None and (also.shape[0] != n_rows or also.shape[1] != k):
        raise ValueError(f"also is {also.shape[0]} x {also.shape[1]}, the matrix "
                         f"{n_rows} x {k}")
    if divide not in (DIVIDE_NONE, DIVIDE_BY_TOUCHED, DIVIDE_BY_CONSTANT):
        raise ValueError(f"divide must be one of Divide's members, got {divide}")
    cdef Py_ssize_t i, j, r, bad = -1
    cdef float d = divisor
    cdef float *m
    cdef const float *v
    cdef bint copy = also is not None
    with nogil:
        for i in range(n):      # every row id first: a bad one must not write anything
            if rows[i] < 0 or rows[i] >= n_rows:
                bad = i
                break
    if bad >= 0:
        raise IndexError(f"row {rows[bad]} of the delta is outside the matrix's {n_rows} rows")
    if k == 0:
        return
    with nogil:
        for i in range(n):
            r = rows[i]
            m = &matrix[r, 0]
            v = &values[i, 0]
            if divide == DIVIDE_NONE:
                for j in range(k):
                    m[j] = m[j] + v[j]
            else:
                if divide == DIVIDE_BY_TOUCHED:
                    d = <float>touched[i]
                for j in range(k):
                    m[j] = m[j] + v[j] / d
            if copy:
                memcpy(&also[r, 0], m, k * sizeof(float))
