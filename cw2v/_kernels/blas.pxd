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


cdef inline float dot(int n, const float *x, const float *y) noexcept nogil:
    """x . y"""
    cdef int one = 1
    return _sdot(&n, <float *>x, &one, <float *>y, &one)


cdef inline void axpy(int n, float a, const float *x, float *y) noexcept nogil:
    """y := a * x + y"""
    cdef int one = 1
    _saxpy(&n, &a, <float *>x, &one, y, &one)


cdef inline void scal(int n, float a, float *x) noexcept nogil:
    """x := a * x"""
    cdef int one = 1
    _sscal(&n, &a, x, &one)


cdef inline void copy(int n, const float *x, float *y) noexcept nogil:
    """y := x"""
    cdef int one = 1
    _scopy(&n, <float *>x, &one, y, &one)


# OpenBLAS hands a level-1 call of more than about 10,000 elements to its own
# thread pool.  Called from a worker thread, that oversubscribes the cores
# (measured: 2 workers no faster than 1 at vector_size=300), so long vectors
# go through in blocks that stay on the calling thread.
cdef enum:
    SERIAL_BLOCK = 4096


cdef inline void axpy_serial(long n, float a, const float *x, float *y) noexcept nogil:
    """y := a * x + y for any n, on the calling thread only."""
    cdef long done = 0
    while done < n:
        axpy(<int>min(n - done, SERIAL_BLOCK), a, x + done, y + done)
        done += SERIAL_BLOCK


cdef inline void rows_dot(int rows, int k, const float *m, const float *x,
                          float *out) noexcept nogil:
    """out := M @ x, for a row-major rows x k matrix M."""
    cdef char trans = b'T'
    cdef int one = 1
    cdef float alpha = 1.0, beta = 0.0
    # Column-major k x rows matrix, transposed: (M^T)^T x = M x.
    _sgemv(&trans, &k, &rows, &alpha, <float *>m, &k, <float *>x, &one,
           &beta, out, &one)


cdef inline void rows_combine(int rows, int k, float a, const float *m,
                              const float *w, float *y) noexcept nogil:
    """y := a * M^T @ w + y, for a row-major rows x k matrix M (y has k entries)."""
    cdef char trans = b'N'
    cdef int one = 1
    cdef float beta = 1.0
    _sgemv(&trans, &k, &rows, &a, <float *>m, &k, <float *>w, &one,
           &beta, y, &one)


cdef inline void rows_rank1(int rows, int k, float a, const float *w,
                            const float *x, float *m) noexcept nogil:
    """M := a * outer(w, x) + M, for a row-major rows x k matrix M."""
    cdef int one = 1
    # Column-major k x rows matrix: M^T += a * x w^T.
    _sger(&k, &rows, &a, <float *>x, &one, <float *>w, &one, m, &k)


# Row-block versions of the three level-2 calls, for matrices with many rows
# (the full softmax's V x K): each call stays under OpenBLAS's threading
# threshold, for the reason given at axpy_serial.

cdef inline int serial_rows(int k) noexcept nogil:
    return SERIAL_BLOCK // k if k < SERIAL_BLOCK else 1


cdef inline void rows_dot_serial(int rows, int k, const float *m, const float *x,
                                 float *out) noexcept nogil:
    """out := M @ x, in row blocks on the calling thread."""
    cdef int first = 0, block = serial_rows(k)
    while first < rows:
        rows_dot(min(block, rows - first), k, m + <long>first * k, x, out + first)
        first += block


cdef inline void rows_combine_serial(int rows, int k, float a, const float *m,
                                     const float *w, float *y) noexcept nogil:
    """y := a * M^T @ w + y, in row blocks on the calling thread."""
    cdef int first = 0, block = serial_rows(k)
    while first < rows:
        rows_combine(min(block, rows - first), k, a, m + <long>first * k, w + first, y)
        first += block


cdef inline void rows_rank1_serial(int rows, int k, float a, const float *w,
                                   const float *x, float *m) noexcept nogil:
    """M := a * outer(w, x) + M, in row blocks on the calling thread."""
    cdef int first = 0, block = serial_rows(k)
    while first < rows:
        rows_rank1(min(block, rows - first), k, a, w + first, x, m + <long>first * k)
        first += block
