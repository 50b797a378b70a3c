from cw2v._kernels.common cimport TrainParams, ThreadState, real, int32_t, int64_t, uint64_t

# The window loop shared by in-memory batches and file slices: trains one
# sentence of in-vocabulary word ids.  alpha_first is the learning rate of the
# sentence's first word and alpha_step its change per word (before
# subsampling).  Returns 0, or -1 if scratch memory could not be allocated.
cdef int train_sentence(const TrainParams *p, ThreadState *s, const int32_t *words,
                        int64_t length, double alpha_first, double alpha_step) noexcept nogil

# Starts a batch or file range: seeds both generators from (seed, stream) and
# draws the first noise words.
cdef void start_stream(const TrainParams *p, ThreadState *s, uint64_t seed,
                       uint64_t stream) noexcept nogil

# Merges a thread's copies of the hot rows into the shared matrices; call at
# the end of every batch or file range.
cdef real sync_hot_rows(const TrainParams *p, ThreadState *s) noexcept nogil

cdef class Trainer:
    cdef TrainParams params
    cdef object _arrays     # keeps every array behind params alive
    cdef readonly int sg, hs, negative, softmax, window, vector_size

cdef class WorkerState:
    cdef ThreadState *state     # on cache lines of its own (see cw2v_memory.h)
    cdef readonly Trainer trainer
    cdef real *_alloc(self, size_t bytes) except NULL
