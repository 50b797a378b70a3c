# BLAS through scipy.linalg.cython_blas, wrapped once.
#
# Fortran BLAS takes every argument by pointer and sees matrices in
# column-major order.  cw2v keeps its matrices row-major (one row per word),
# so a row-major R x K matrix is, to BLAS, a column-major K x R matrix with
# leading dimension K.  The wrappers below take that into account: callers
# think in row-major terms only.

from scipy.linalg.cython_blas cimport sdot as _sdot
from scipy.linalg.cython_blas cimport saxpy as _saxpy
from scipy.linalg.cython_blas cimport sscal as _sscal
from scipy.linalg.cython_blas cimport scopy as _scopy
from scipy.linalg.cython_blas cimport sgemv as _sgemv
from scipy.linalg.cython_blas cimport sger as _sger


# OpenBLAS hands a call to its own thread pool above a size: saxpy above
# 10,000 elements, sgemv from 9,216 matrix entries, sger above 8,192.
# Called from a worker thread, that oversubscribes the cores (measured: at
# vector_size=300 two workers were no faster than one), so the wrappers below
# that can see long operands work in blocks of at most SERIAL_BLOCK elements,
# under every threshold.  The usual call is one block.
cdef enum:
    SERIAL_BLOCK = 8192


cdef inline float dot(int n, const float *x, const float *y) noexcept nogil:
    """x . y"""
    cdef int one = 1
    return _sdot(&n, <float *>x, &one, <float *>y, &one)


cdef inline void axpy(int n, float a, const float *x, float *y) noexcept nogil:
    """y := a * x + y"""
    cdef int one = 1, part
    while n > 0:
        part = min(n, SERIAL_BLOCK)
        _saxpy(&part, &a, <float *>x, &one, y, &one)
        x += part
        y += part
        n -= part


cdef inline void scal(int n, float a, float *x) noexcept nogil:
    """x := a * x"""
    cdef int one = 1
    _sscal(&n, &a, x, &one)


cdef inline void copy(int n, const float *x, float *y) noexcept nogil:
    """y := x"""
    cdef int one = 1
    _scopy(&n, <float *>x, &one, y, &one)


cdef inline int block_rows(int rows, int k) noexcept nogil:
    """Rows of a row-major rows x k matrix that one level-2 call may take."""
    return min(rows, max(1, SERIAL_BLOCK // k))


cdef inline void rows_dot(int rows, int k, const float *m, const float *x,
                          float *out) noexcept nogil:
    """out := M @ x, for a row-major rows x k matrix M."""
    cdef char trans = b'T'
    cdef int one = 1, part
    cdef float alpha = 1.0, beta = 0.0
    while rows > 0:
        part = block_rows(rows, k)
        # Column-major k x part matrix, transposed: (M^T)^T x = M x.
        _sgemv(&trans, &k, &part, &alpha, <float *>m, &k, <float *>x, &one,
               &beta, out, &one)
        m += <long>part * k
        out += part
        rows -= part


cdef inline void rows_combine(int rows, int k, float a, const float *m,
                              const float *w, float *y) noexcept nogil:
    """y := a * M^T @ w + y, for a row-major rows x k matrix M (y has k entries)."""
    cdef char trans = b'N'
    cdef int one = 1, part
    cdef float beta = 1.0
    while rows > 0:
        part = block_rows(rows, k)
        _sgemv(&trans, &k, &part, &a, <float *>m, &k, <float *>w, &one,
               &beta, y, &one)
        m += <long>part * k
        w += part
        rows -= part


cdef inline void rows_rank1(int rows, int k, float a, const float *w,
                            const float *x, float *m) noexcept nogil:
    """M := a * outer(w, x) + M, for a row-major rows x k matrix M."""
    cdef int one = 1, part
    while rows > 0:
        part = block_rows(rows, k)
        # Column-major k x part matrix: M^T += a * x w^T.
        _sger(&k, &part, &a, <float *>x, &one, <float *>w, &one, m, &k)
        m += <long>part * k
        w += part
        rows -= part
