"""Thin ``def`` twins of the BLAS wrappers in blas.pxd, for tests/test_blas.py.

The wrappers are ``cdef inline`` and vanish into the kernels that use them;
these twins let a test call each one on NumPy arrays and compare it with
NumPy (scikit-learn keeps such twins for its Cython BLAS the same way).  Not
part of cw2v's API.  Every array is float32 and C-contiguous; arguments are
checked here, never in the wrappers.
"""
cimport cw2v._kernels.blas as blas

SERIAL_BLOCK = blas.SERIAL_BLOCK


def _check(bint ok, str what):
    if not ok:
        raise ValueError(what)


def block_rows(int rows, int k):
    """Rows of a rows x k matrix that one level-2 call takes."""
    _check(rows > 0 and k > 0, "rows and k must be positive")
    return blas.block_rows(rows, k)


def dot(const float[::1] x, const float[::1] y):
    """x . y"""
    _check(x.shape[0] == y.shape[0] > 0, "x and y need the same, non-zero length")
    cdef float result
    with nogil:
        result = blas.dot(<int>x.shape[0], &x[0], &y[0])
    return result


def axpy(float a, const float[::1] x, float[::1] y):
    """y := a * x + y"""
    _check(x.shape[0] == y.shape[0] > 0, "x and y need the same, non-zero length")
    with nogil:
        blas.axpy(<int>x.shape[0], a, &x[0], &y[0])


def scal(float a, float[::1] x):
    """x := a * x"""
    _check(x.shape[0] > 0, "x must not be empty")
    with nogil:
        blas.scal(<int>x.shape[0], a, &x[0])


def copy(const float[::1] x, float[::1] y):
    """y := x"""
    _check(x.shape[0] == y.shape[0] > 0, "x and y need the same, non-zero length")
    with nogil:
        blas.copy(<int>x.shape[0], &x[0], &y[0])


def rows_dot(const float[:, ::1] m, const float[::1] x, float[::1] out):
    """out := M @ x"""
    _check(m.shape[0] > 0 and m.shape[1] == x.shape[0] > 0 and out.shape[0] == m.shape[0],
           "need M (rows, k), x (k,), out (rows,)")
    with nogil:
        blas.rows_dot(<int>m.shape[0], <int>m.shape[1], &m[0, 0], &x[0], &out[0])


def rows_combine(float a, const float[:, ::1] m, const float[::1] w, float[::1] y):
    """y := a * M^T @ w + y"""
    _check(m.shape[0] == w.shape[0] > 0 and m.shape[1] == y.shape[0] > 0,
           "need M (rows, k), w (rows,), y (k,)")
    with nogil:
        blas.rows_combine(<int>m.shape[0], <int>m.shape[1], a, &m[0, 0], &w[0], &y[0])


def rows_rank1(float a, const float[::1] w, const float[::1] x, float[:, ::1] m):
    """M := a * outer(w, x) + M"""
    _check(m.shape[0] == w.shape[0] > 0 and m.shape[1] == x.shape[0] > 0,
           "need w (rows,), x (k,), M (rows, k)")
    with nogil:
        blas.rows_rank1(<int>m.shape[0], <int>m.shape[1], a, &w[0], &x[0], &m[0, 0])
