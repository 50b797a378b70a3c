"""Word-pair counting for GloVe: Python's handle on ``src_c/cooccur.c``.

:class:`PairCounter` holds one C counter per worker.  Worker ``w`` counts
either id sentences (:meth:`PairCounter.count_batch`, iterable mode) or a
byte range of a text file (:meth:`PairCounter.count_range`, file mode, read
by the shared tokenizer); both run without the GIL, so worker threads count
in parallel, each into its own counter.  Then :meth:`PairCounter.merge`
plans the CSR matrix in row chunks, :meth:`PairCounter.fill_chunk` writes
them (in parallel threads) and :meth:`PairCounter.finish` joins them;
:meth:`PairCounter.csr_arrays` does all three in one thread.  The counting
rule and the exact integer arithmetic are described in ``cooccur.h``.
"""
import os

import numpy as np

from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc

from cw2v._kernels.textfile cimport (
    WordHash, cw2v_wordhash, cw2v_strerror, status_error, CW2V_ERR_NOMEM, CW2V_ERR_IO,
    CW2V_ERR_OPEN,
)


cdef extern from "cooccur.h" nogil:
    ctypedef struct cw2v_cooc_layout:
        pass
    ctypedef struct cw2v_cooc_counter:
        pass

    cw2v_cooc_layout *cw2v_cooc_layout_new(int32_t vocab_size, int32_t window, int symmetric,
                                           int distance_weighting, int64_t dense_product,
                                           int64_t max_word_count, int *status)
    void cw2v_cooc_layout_free(cw2v_cooc_layout *layout)
    int64_t cw2v_cooc_dense_size(const cw2v_cooc_layout *layout)
    int64_t cw2v_cooc_dense_size_for(int32_t vocab_size, int symmetric, int64_t dense_product)
    int64_t cw2v_cooc_unit(const cw2v_cooc_layout *layout)
    int64_t cw2v_cooc_weight_units(const cw2v_cooc_layout *layout, int32_t distance)
    cw2v_cooc_counter *cw2v_cooc_counter_new(const cw2v_cooc_layout *layout, size_t table_slots,
                                             const char *spill_prefix, int tag)
    void cw2v_cooc_counter_free(cw2v_cooc_counter *counter)
    int cw2v_cooc_sys_errno(const cw2v_cooc_counter *counter)
    int cw2v_cooc_count_line(cw2v_cooc_counter *counter, const int32_t *ids, int64_t n)
    int cw2v_cooc_count_range(cw2v_cooc_counter *counter, const cw2v_wordhash *vocab,
                              const char *path,
                              int64_t start, int64_t end, int64_t *tokens, int64_t *lines)
    int64_t cw2v_cooc_pairs_added(const cw2v_cooc_counter *counter)
    int64_t cw2v_cooc_pairs_dense(const cw2v_cooc_counter *counter)
    int64_t cw2v_cooc_runs(const cw2v_cooc_counter *counter)
    int cw2v_cooc_reduce(cw2v_cooc_counter **counters, int n)
    int cw2v_cooc_csr_plan(const cw2v_cooc_counter *counter, int n_chunks, int64_t *chunk_rows,
                           int64_t *chunk_room)
    int cw2v_cooc_csr_fill_rows(cw2v_cooc_counter *counter, int32_t row_begin, int32_t row_end,
                                int64_t *indptr, void *indices, int index_bytes, double *data,
                                int64_t room, int64_t *nnz, int *sys_errno)
    int64_t cw2v_cooc_csr_join(int32_t vocab_size, int n_chunks, const int64_t *chunk_rows,
                               const int64_t *chunk_start, const int64_t *chunk_nnz,
                               int64_t *indptr, void *indices, int index_bytes, double *data)


def dense_product_for(int32_t vocab_size, bint symmetric, int64_t max_entries):
    """The largest rank product whose dense block has at most ``max_entries`` entries.

    Pair (i, j) of 0-based frequency ranks is dense iff (i+1)(j+1) <= the
    product; 0 means no dense block.
    """
    cdef int64_t low = 0, high = <int64_t>vocab_size * vocab_size, mid
    if max_entries <= 0:
        return 0
    while low < high:   # largest product whose block fits
        mid = low + (high - low + 1) // 2
        if cw2v_cooc_dense_size_for(vocab_size, symmetric, mid) <= max_entries:
            low = mid
        else:
            high = mid - 1
    return low


cdef class PairCounter:
    """Co-occurrence counts of a corpus, gathered by ``workers`` threads.

    Parameters
    ----------
    vocab_size : int
        Ids are 0..vocab_size-1, in descending frequency for the dense
        block to hold the frequent pairs.
    window, symmetric, distance_weighting
        Stanford's ``cooccur`` rule (see ``src_c/cooccur.h``).
    workers : int
        Counters, one per worker thread; worker ``w`` is used by one thread
        at a time.
    dense_entries : int
        int64 entries of each worker's dense block (8 bytes each).
    table_slots : int
        Initial 16-byte slots of each worker's hash table of rare pairs.
    spill_dir : str or None
        None: tables grow in memory.  Otherwise a private directory for the
        sorted runs written whenever a table is half full (deleted as they
        are merged, or when the counter is freed).
    max_word_count : int
        The largest count of a vocabulary word: bounds every pair count, so
        that the exact integer unit is chosen to never overflow.
    """

    cdef cw2v_cooc_layout *layout
    cdef cw2v_cooc_counter **counters
    cdef readonly int workers
    cdef readonly int32_t vocab_size
    cdef readonly int64_t dense_product
    cdef readonly bint symmetric
    cdef readonly bint merged
    cdef int next_worker

    def __cinit__(self, int32_t vocab_size, int32_t window, bint symmetric=True,
                  bint distance_weighting=True, int workers=1, int64_t dense_entries=0,
                  size_t table_slots=1 << 16, spill_dir=None, int64_t max_word_count=0):
        cdef int status = 0, w
        cdef bytes prefix
        cdef const char *c_prefix = NULL
        if vocab_size < 1 or window < 1 or workers < 1:
            raise ValueError("vocab_size, window and workers must be >= 1")
        self.workers = workers
        self.vocab_size = vocab_size
        self.symmetric = symmetric
        self.dense_product = dense_product_for(vocab_size, symmetric, dense_entries)
        self.layout = cw2v_cooc_layout_new(vocab_size, window, symmetric, distance_weighting,
                                           self.dense_product, max_word_count, &status)
        if self.layout == NULL:
            if status == CW2V_ERR_NOMEM:
                raise MemoryError("cannot allocate the co-occurrence layout")
            raise ValueError(f"counts of words occurring {max_word_count} times with window="
                             f"{window} could overflow int64; count a smaller corpus")
        self.counters = <cw2v_cooc_counter **>malloc(workers * sizeof(cw2v_cooc_counter *))
        if self.counters == NULL:
            raise MemoryError("cannot allocate the counters")
        for w in range(workers):
            self.counters[w] = NULL
        if spill_dir is not None:
            prefix = os.fsencode(os.path.join(os.fspath(spill_dir), "pairs"))
            c_prefix = prefix
        for w in range(workers):
            self.counters[w] = cw2v_cooc_counter_new(self.layout, table_slots, c_prefix, w)
            if self.counters[w] == NULL:
                # memory=None (the default) gives every worker fixed sizes: the way
                # out is a bound that fits, or fewer counters.
                raise MemoryError(
                    f"cannot allocate co-occurrence counter {w + 1} of {workers} "
                    f"({dense_entries * 8 / 2**20:.0f} MB dense block, "
                    f"{table_slots * 16 / 2**20:.0f} MB table); set memory= to a bound in GB "
                    f"that fits (or lower it), or use fewer workers")

    def __dealloc__(self):
        cdef int w
        if self.counters != NULL:
            for w in range(self.workers):
                cw2v_cooc_counter_free(self.counters[w])
            free(self.counters)
        cw2v_cooc_layout_free(self.layout)

    @property
    def unit(self):
        """Counts are exact multiples of 1 / unit."""
        return cw2v_cooc_unit(self.layout)

    @property
    def dense_entries(self):
        return cw2v_cooc_dense_size(self.layout)

    def weight_units(self, int32_t distance):
        """What one pair at this distance adds, in units (0 outside 1..window)."""
        return cw2v_cooc_weight_units(self.layout, distance)

    def new_worker(self):
        """A worker index for a runner thread (the runner asks once per thread;
        indices wrap around, so a second pass over the threads, such as the
        merge's, gets them again)."""
        self.next_worker += 1
        return (self.next_worker - 1) % self.workers

    cdef cw2v_cooc_counter *_counter(self, int worker) except NULL:
        if self.merged:
            raise ValueError("this PairCounter was merged already; count with a new one")
        if not 0 <= worker < self.workers:
            raise IndexError(f"worker {worker} is outside 0..{self.workers - 1}")
        return self.counters[worker]

    def count_batch(self, int worker, const int32_t[::1] ids not None,
                    const int32_t[::1] sentence_ends not None):
        """Count a batch of sentences: ``ids[sentence_ends[k-1]:sentence_ends[k]]``
        is sentence k (cw2v.io.corpus.IdBatch).  Returns the pairs added."""
        cdef cw2v_cooc_counter *c = self._counter(worker)
        cdef Py_ssize_t k, begin = 0, end
        cdef int rc = 0
        cdef int64_t before = cw2v_cooc_pairs_added(c)
        _check_batch(ids, sentence_ends, self.vocab_size)
        with nogil:
            for k in range(sentence_ends.shape[0]):
                end = sentence_ends[k]
                rc = cw2v_cooc_count_line(c, &ids[begin] if end > begin else NULL, end - begin)
                if rc != 0:
                    break
                begin = end
        if rc != 0:
            raise _counter_error(rc, c)
        return cw2v_cooc_pairs_added(c) - before

    def count_range(self, int worker, WordHash vocab not None, path, int64_t start, int64_t end):
        """Count the byte range [start, end) of a text file (end < 0: to the end).

        A line cut by ``end`` is followed into the next range, so the ranges
        of a partition of the file count it exactly once.  Returns
        ``(words_read, newlines)``.
        """
        cdef cw2v_cooc_counter *c = self._counter(worker)
        cdef bytes bpath = os.fsencode(path)
        cdef const char *cpath = bpath
        cdef int64_t tokens = 0, lines = 0
        cdef int rc
        if len(vocab) != self.vocab_size:
            raise ValueError(f"the word table has {len(vocab)} words, the counter "
                             f"{self.vocab_size}")
        # Caught here: the reader's invalid-argument status would otherwise read as a bug.
        if start < 0 or 0 <= end < start:
            raise ValueError(f"the byte range must have 0 <= start <= end (or end < 0), "
                             f"got {start}, {end}")
        with nogil:
            rc = cw2v_cooc_count_range(c, vocab.table, cpath, start, end, &tokens, &lines)
        if rc != 0:
            if rc == CW2V_ERR_IO or rc == CW2V_ERR_OPEN:
                raise status_error(rc, path, cw2v_cooc_sys_errno(c))
            raise _counter_error(rc, c)
        return tokens, lines

    def stats(self):
        """Pairs added (each order of a symmetric pair counts once), how many of
        them went to the dense blocks, and the sorted runs made so far."""
        cdef int w
        pairs = dense = runs = 0
        for w in range(self.workers):
            pairs += cw2v_cooc_pairs_added(self.counters[w])
            dense += cw2v_cooc_pairs_dense(self.counters[w])
            runs += cw2v_cooc_runs(self.counters[w])
        return {"pairs": pairs, "dense_pairs": dense, "runs": runs,
                "dense_product": self.dense_product, "dense_entries": self.dense_entries,
                "unit": self.unit}

    def merge(self, int n_chunks=1):
        """End counting and plan the CSR matrix in ``n_chunks`` row chunks of
        similar work: returns a :class:`CsrPlan` whose chunks
        :meth:`fill_chunk` writes (in parallel threads if wanted) before
        :meth:`finish`.  The counter cannot count any more afterwards."""
        cdef int rc
        cdef cw2v_cooc_counter *c = self._counter(0)
        cdef int64_t[::1] rows_view, room_view
        if n_chunks < 1:
            raise ValueError(f"n_chunks must be >= 1, got {n_chunks}")
        self.merged = True
        with nogil:
            rc = cw2v_cooc_reduce(self.counters, self.workers)
        if rc != 0:
            raise _counter_error(rc, c)
        chunk_rows = np.zeros(n_chunks + 1, dtype=np.int64)
        chunk_room = np.zeros(n_chunks, dtype=np.int64)
        rows_view, room_view = chunk_rows, chunk_room
        with nogil:
            rc = cw2v_cooc_csr_plan(c, n_chunks, &rows_view[0], &room_view[0])
        if rc != 0:
            raise _counter_error(rc, c)
        return CsrPlan(self.vocab_size, chunk_rows, chunk_room, self.stats())

    def fill_chunk(self, plan, int chunk):
        """Write chunk ``chunk`` of the plan's rows into its arrays (GIL released;
        different chunks may be written by different threads at once)."""
        cdef cw2v_cooc_counter *c
        cdef int64_t[::1] indptr = plan.indptr
        cdef int64_t begin = plan.chunk_rows[chunk], end = plan.chunk_rows[chunk + 1]
        cdef int64_t start = plan.chunk_start[chunk], room = plan.chunk_room[chunk], nnz = 0
        cdef int index_bytes = plan.indices.itemsize
        cdef char *indices = <char *><size_t>plan.indices.ctypes.data
        cdef double *data = <double *><size_t>plan.data.ctypes.data
        cdef int rc, sys_errno = 0
        if not self.merged or self.counters[0] == NULL:
            raise ValueError("fill_chunk needs a plan from merge() on this PairCounter")
        c = self.counters[0]
        with nogil:
            rc = cw2v_cooc_csr_fill_rows(c, <int32_t>begin, <int32_t>end, &indptr[0],
                                         indices + start * index_bytes, index_bytes, data + start,
                                         room, &nnz, &sys_errno)
        if rc != 0:
            if sys_errno:
                raise OSError(sys_errno, f"while reading the co-occurrence spill files: "
                                         f"{os.strerror(sys_errno)}")
            raise _counter_error(rc, c)
        plan.chunk_nnz[chunk] = nnz
        return nnz

    def finish(self, plan):
        """The CSR arrays once every chunk is written: ``(indptr, indices, data,
        stats)`` (float64 data; int32 indices and indptr below 2**31 entries);
        frees the counts and deletes the run files."""
        cdef int64_t[::1] indptr = plan.indptr
        cdef const int64_t[::1] rows = plan.chunk_rows, starts = plan.chunk_start
        cdef const int64_t[::1] nnz = plan.chunk_nnz
        cdef char *indices = <char *><size_t>plan.indices.ctypes.data
        cdef double *data = <double *><size_t>plan.data.ctypes.data
        cdef int index_bytes = plan.indices.itemsize, w
        cdef int64_t total
        if (plan.chunk_nnz < 0).any():
            raise ValueError("fill every chunk of the plan before finish()")
        with nogil:
            total = cw2v_cooc_csr_join(self.vocab_size, <int>rows.shape[0] - 1, &rows[0],
                                       &starts[0], &nnz[0], &indptr[0], indices, index_bytes,
                                       data)
        for w in range(self.workers):     # free the memory and the run files now
            cw2v_cooc_counter_free(self.counters[w])
            self.counters[w] = NULL
        plan.indices.resize(max(total, 0), refcheck=False)
        plan.data.resize(max(total, 0), refcheck=False)
        return plan.indptr.astype(plan.indices.dtype, copy=False), plan.indices, plan.data, \
            plan.stats

    def csr_arrays(self):
        """merge, fill_chunk and finish in one call, in this thread."""
        plan = self.merge(1)
        self.fill_chunk(plan, 0)
        return self.finish(plan)


class CsrPlan:
    """Row chunks of a merged count matrix and the arrays they are written into.

    chunk k is rows [chunk_rows[k], chunk_rows[k+1]); it is written at
    offset chunk_start[k] of ``indices`` and ``data``, with room for
    chunk_room[k] entries, and fill_chunk records its length in chunk_nnz[k].
    """

    def __init__(self, vocab_size, chunk_rows, chunk_room, stats):
        self.chunk_rows, self.chunk_room, self.stats = chunk_rows, chunk_room, stats
        self.chunk_start = np.zeros(len(chunk_room), dtype=np.int64)
        np.cumsum(chunk_room[:len(chunk_room) - 1], out=self.chunk_start[1:])
        self.chunk_nnz = np.full(len(chunk_room), -1, dtype=np.int64)
        total = int(chunk_room.sum())
        # Room for every entry of the runs; the untouched end never gets memory
        # and is given back when finish() shrinks the arrays.
        self.indices = np.empty(total, dtype=np.int32 if total < 2 ** 31 else np.int64)
        self.data = np.empty(total, dtype=np.float64)
        self.indptr = np.zeros(vocab_size + 1, dtype=np.int64)

    @property
    def chunks(self):
        return len(self.chunk_room)


cdef void _check_batch(const int32_t[::1] ids, const int32_t[::1] ends,
                       int32_t vocab_size) except *:
    cdef Py_ssize_t k, n = ids.shape[0]
    cdef int32_t previous = 0
    for k in range(ends.shape[0]):
        if ends[k] < previous or ends[k] > n:
            raise ValueError(f"sentence_ends must rise within 0..{n}, got {ends[k]} "
                             f"after {previous}")
        previous = ends[k]
    if n and (np.min(ids) < 0 or np.max(ids) >= vocab_size):
        raise ValueError(f"ids must lie in 0..{vocab_size - 1}")


cdef object _counter_error(int rc, cw2v_cooc_counter *c):
    cdef int err = cw2v_cooc_sys_errno(c)
    if rc == CW2V_ERR_NOMEM:
        return MemoryError("out of memory while counting word pairs; pass memory= to bound it")
    if err:
        return OSError(err, f"while writing or reading the co-occurrence spill files: "
                            f"{os.strerror(err)}")
    if rc == CW2V_ERR_IO or rc == CW2V_ERR_OPEN:
        return OSError(f"I/O error in the co-occurrence spill files (status {rc})")
    # Anything else (e.g. a chunk overrunning its planned room) is not the user's doing.
    return RuntimeError(f"co-occurrence counting failed: {cw2v_strerror(rc).decode()} "
                        f"(status {rc}); this is a bug in cw2v, please report it")
