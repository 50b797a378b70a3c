"""GloVe training: AdaGrad over the nonzero co-occurrence counts, without the GIL.

Model (Pennington, Socher and Manning, 2014): for every nonzero count X[i, j]

    diff = w_i . c_j + b_i + b~_j - log X[i, j]
    cost = 1/2 f(X[i, j]) diff^2,   f(x) = min(1, (x / x_max)^alpha)

with word vectors w (V x K), context vectors c (V x K) and their biases, all
float32.  The gradient of the cost is f diff times the other vector (for a
bias, f diff); every component is clipped to [-clip, clip] first.  Each
parameter has its own AdaGrad accumulator G, which starts at 1.

Two updates, chosen by ``variant``:

* ``stanford`` (the default): what Stanford's ``glove.c`` does.  It
  accumulates the squared *scaled* gradient, (eta g)^2, and steps with the
  accumulator as it was before this gradient: theta -= eta g / sqrt(G_old).
  Since G starts at 1 this is AdaGrad with a learning rate of 1 and a
  starting accumulator of 1/eta^2 (400 for eta 0.05): the rate starts at
  eta and decays slowly, and a large gradient can step far (up to eta times
  the clip bound, 5).  Biases are stepped without eta and without clipping:
  b -= f diff / sqrt(G_b_old), then G_b += (f diff)^2, a rate of 1.
  glove.c also skips a vector update whose sum is not finite while still
  adding to G; here a pair whose diff is not finite is skipped and counted,
  and the caller checks the weights after each epoch.
* ``paper`` (the paper's text, "AdaGrad, initial learning rate 0.05"):
  G += g^2, then theta -= eta g / sqrt(G), for vectors and biases alike.
  Its rate decays as soon as the squared gradients add up to about 1, and
  the biases, which must absorb the log-counts, move at 0.05: after 15
  epochs on the 100 MB benchmark corpus it is far behind (10.4% analogy
  accuracy against 19%).

Elsewhere glove.c differs from the paper too: it trains 25 iterations by
default where the paper ran 50 (100 above 300 dimensions); it shuffles the
records once (the ``shuffle`` program) and every iteration sees them in that
order, where here each epoch draws a fresh permutation; it reports the mean
cost per record where this module returns the sum.

Order and threads: epoch e visits the pairs in a pseudo-random permutation
keyed by (seed, e): a 4-round Feistel network over [0, 4^h) with cycle
walking into [0, n), so a position maps to a pair in constant time and no
permutation array is stored.  Worker threads take disjoint slices of the
positions and update the shared weights without locks (as glove.c does);
with one worker the result is bit-identical from run to run.
"""
import numpy as np

from libc.math cimport exp, log, sqrtf
from libc.stdint cimport int32_t, int64_t, uint64_t

from cw2v._kernels.common cimport prefetch, rng_seed


cdef packed struct Pair:
    int32_t row
    int32_t col
    float log_x
    float weight


# One training pair: 16 bytes, so a pair never straddles a cache line.
PAIR_DTYPE = np.dtype([("row", "<i4"), ("col", "<i4"), ("log_x", "<f4"), ("weight", "<f4")])

VARIANTS = ("stanford", "paper")

cdef enum:
    AHEAD = 16              # pairs whose record is fetched ahead of use
    ROWS_AHEAD = 6          # pairs whose rows are fetched ahead of use (< AHEAD)
    PROGRESS_EVERY = 65536  # pairs between progress updates


def pairs_from_csr(indptr, indices, const double[::1] data, double x_max, double alpha):
    """The training pairs of a CSR count matrix, in its order: a PAIR_DTYPE array
    holding row, column, log X and the weight f(X) = min(1, (X / x_max)^alpha)
    of each stored entry (float32).  Every count must be positive and finite."""
    cdef const int64_t[::1] starts = np.ascontiguousarray(indptr, dtype=np.int64)
    cdef const int32_t[::1] columns = np.ascontiguousarray(indices, dtype=np.int32)
    cdef Py_ssize_t rows = starts.shape[0] - 1, r
    cdef int64_t k, n = data.shape[0]
    cdef double x, log_x, log_x_max = log(x_max)
    out = np.empty(n, dtype=PAIR_DTYPE)
    cdef Pair *pairs = <Pair *><size_t>out.ctypes.data
    if columns.shape[0] != n or (rows >= 0 and starts[rows] != n):
        raise ValueError("indptr, indices and data do not form a CSR matrix")
    with nogil:
        for r in range(rows):
            for k in range(starts[r], starts[r + 1]):
                x = data[k]
                log_x = log(x)
                pairs[k].row = <int32_t>r
                pairs[k].col = columns[k]
                pairs[k].log_x = <float>log_x
                pairs[k].weight = 1.0 if x >= x_max else <float>exp(alpha * (log_x - log_x_max))
    return out


# ------------------------------------------------------------------ order

cdef struct Order:
    uint64_t n
    int half_bits
    uint64_t half_mask
    uint64_t keys[4]
    bint shuffle


cdef inline uint64_t _mix(uint64_t z) noexcept nogil:
    """The splitmix64 finaliser: a cheap, well-mixing bijection of 64 bits."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef void _order_init(Order *order, uint64_t n, uint64_t seed, uint64_t epoch,
                      bint shuffle) noexcept nogil:
    cdef int bits = 0, r
    while bits < 64 and (<uint64_t>1 << bits) < n:
        bits += 1
    order.n = n
    order.half_bits = (bits + 1) // 2
    order.half_mask = (<uint64_t>1 << order.half_bits) - 1
    order.shuffle = shuffle
    for r in range(4):
        order.keys[r] = rng_seed(seed, (epoch << 2) + <uint64_t>r)


cdef inline uint64_t _position_to_pair(const Order *order, uint64_t t) noexcept nogil:
    """Pair visited at position t (< n) of the epoch."""
    cdef uint64_t left, right, mixed
    cdef int r
    if not order.shuffle:
        return t
    while True:       # cycle walking: stays in [0, n) because t started there
        left = t >> order.half_bits
        right = t & order.half_mask
        for r in range(4):
            mixed = left ^ (_mix(right ^ order.keys[r]) & order.half_mask)
            left = right
            right = mixed
        t = (left << order.half_bits) | right
        if t < order.n:
            return t


def permutation(uint64_t n, uint64_t seed, uint64_t epoch, bint shuffle=True):
    """The order in which epoch ``epoch`` visits n pairs (int64 array; for tests)."""
    cdef Order order
    cdef uint64_t t
    _order_init(&order, n, seed, epoch, shuffle)
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] view = out
    for t in range(n):
        view[t] = <int64_t>_position_to_pair(&order, t)
    return out


# ------------------------------------------------------------------ updates

cdef struct Params:
    # Row r of each array starts at pointer + r * stride (strides in floats),
    # so a model may keep each word's vector, accumulator and bias together.
    float *w            # V x K word vectors
    float *c            # V x K context vectors
    float *bw           # V word biases
    float *bc           # V context biases
    float *gw           # AdaGrad accumulators of the four above
    float *gc
    float *gbw
    float *gbc
    Py_ssize_t w_stride, c_stride, bw_stride, bc_stride
    Py_ssize_t gw_stride, gc_stride, gbw_stride, gbc_stride
    const Pair *pairs
    int64_t n_pairs
    int k
    float eta
    float clip
    bint stanford


cdef extern from "glove_adagrad.h" nogil:
    float cw2v_glove_dot(int k, const float *w, const float *c)
    void cw2v_glove_adagrad_rows(int k, float fdiff, float eta, float clip, float *w, float *c,
                                 float *gw, float *gc)
    void cw2v_glove_stanford_rows(int k, float fdiff, float eta, float clip, float *w, float *c,
                                  float *gw, float *gc)


cdef inline float _clipped(float x, float bound) noexcept nogil:
    return bound if x > bound else (-bound if x < -bound else x)


cdef inline void _bias_step(const Params *p, float fdiff, float *b, float *g) noexcept nogil:
    cdef float grad
    if p.stanford:          # no eta, no clipping, the accumulator before this step
        b[0] = b[0] - fdiff / sqrtf(g[0])
        g[0] = g[0] + fdiff * fdiff
    else:
        grad = _clipped(fdiff, p.clip)
        g[0] = g[0] + grad * grad
        b[0] = b[0] - p.eta * grad / sqrtf(g[0])


cdef inline bint _train_pair(const Params *p, const Pair *pair, double *loss) noexcept nogil:
    """One AdaGrad step on one pair; False (and nothing changed) if its diff is
    not finite."""
    cdef Py_ssize_t row = pair.row, col = pair.col
    cdef float *w = p.w + row * p.w_stride
    cdef float *c = p.c + col * p.c_stride
    cdef float *bw = p.bw + row * p.bw_stride
    cdef float *bc = p.bc + col * p.bc_stride
    cdef float diff = cw2v_glove_dot(p.k, w, c) + bw[0] + bc[0] - pair.log_x
    cdef float fdiff
    if not (diff - diff == 0.0):        # NaN or infinite
        return False
    fdiff = pair.weight * diff
    loss[0] += 0.5 * <double>fdiff * <double>diff
    if p.stanford:
        cw2v_glove_stanford_rows(p.k, fdiff, p.eta, p.clip, w, c, p.gw + row * p.gw_stride,
                                 p.gc + col * p.gc_stride)
    else:
        cw2v_glove_adagrad_rows(p.k, fdiff, p.eta, p.clip, w, c, p.gw + row * p.gw_stride,
                                p.gc + col * p.gc_stride)
    _bias_step(p, fdiff, bw, p.gbw + row * p.gbw_stride)
    _bias_step(p, fdiff, bc, p.gbc + col * p.gbc_stride)
    return True


cdef inline void _prefetch_rows(const Params *p, const Pair *pair) noexcept nogil:
    cdef Py_ssize_t row = pair.row, col = pair.col
    cdef size_t row_bytes = <size_t>p.k * sizeof(float)
    prefetch(p.w + row * p.w_stride, row_bytes)
    prefetch(p.gw + row * p.gw_stride, row_bytes)
    prefetch(p.c + col * p.c_stride, row_bytes)
    prefetch(p.gc + col * p.gc_stride, row_bytes)
    prefetch(p.bw + row * p.bw_stride, sizeof(float))
    prefetch(p.bc + col * p.bc_stride, sizeof(float))
    prefetch(p.gbw + row * p.gbw_stride, sizeof(float))
    prefetch(p.gbc + col * p.gbc_stride, sizeof(float))


cdef class AdaGradTrainer:
    """The arrays of one GloVe model and the pairs it trains on.

    All weight arrays are float32 and are updated in place: word_vectors and
    context_vectors (V x K, contiguous rows), word_biases and context_biases
    (V), and an AdaGrad accumulator of the same shape for each (the caller
    fills them with 1 before the first epoch).  They may be strided views
    into one array, e.g. one row per word holding its vector, accumulator
    and bias side by side.  ``pairs`` is a PAIR_DTYPE
    array (see :func:`pairs_from_csr`) whose ids are below V.
    """

    cdef Params params
    cdef object arrays          # keeps the arrays alive
    cdef readonly int64_t n_pairs
    cdef readonly str variant
    cdef public bint stop_requested
    cdef int64_t[::1] progress
    cdef int next_worker

    def __init__(self, word_vectors, context_vectors, word_biases, context_biases,
                 word_gradsq, context_gradsq, word_bias_gradsq, context_bias_gradsq,
                 pairs, *, float learning_rate, float gradient_clip, str variant="stanford",
                 int workers=1):
        cdef float[:, :] w = word_vectors
        cdef float[:, :] c = context_vectors
        cdef float[:, :] gw = word_gradsq
        cdef float[:, :] gc = context_gradsq
        cdef float[:] bw = word_biases
        cdef float[:] bc = context_biases
        cdef float[:] gbw = word_bias_gradsq
        cdef float[:] gbc = context_bias_gradsq
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        vocab, k = w.shape[0], w.shape[1]
        for name, m in (("word_vectors", w), ("context_vectors", c), ("word_gradsq", gw),
                        ("context_gradsq", gc)):
            if (m.shape[0], m.shape[1]) != (vocab, k):
                raise ValueError(f"{name} must have shape ({vocab}, {k})")
            if k > 1 and m.strides[1] != sizeof(float):
                raise ValueError(f"the rows of {name} must be contiguous")
            if m.strides[0] % sizeof(float) or m.strides[0] < 0:
                raise ValueError(f"{name} must have a positive row stride in whole floats")
        for name, v in (("word_biases", bw), ("context_biases", bc),
                        ("word_bias_gradsq", gbw), ("context_bias_gradsq", gbc)):
            if v.shape[0] != vocab:
                raise ValueError(f"{name} must have shape ({vocab},)")
            if v.strides[0] % sizeof(float) or v.strides[0] < 0:
                raise ValueError(f"{name} must have a positive stride in whole floats")
        if not isinstance(pairs, np.ndarray) or pairs.dtype != PAIR_DTYPE or pairs.ndim != 1 \
                or not pairs.flags.c_contiguous:
            raise ValueError("pairs must be a contiguous 1-d array of PAIR_DTYPE")
        if len(pairs) and (pairs["row"].min() < 0 or pairs["col"].min() < 0
                           or max(pairs["row"].max(), pairs["col"].max()) >= vocab):
            raise ValueError(f"pair ids must lie in 0..{vocab - 1}")
        if not learning_rate > 0 or not gradient_clip > 0:
            raise ValueError("learning_rate and gradient_clip must be positive")
        self.arrays = (word_vectors, context_vectors, word_biases, context_biases, word_gradsq,
                       context_gradsq, word_bias_gradsq, context_bias_gradsq, pairs)
        if vocab and k:
            self.params.w, self.params.w_stride = &w[0, 0], w.strides[0] // sizeof(float)
            self.params.c, self.params.c_stride = &c[0, 0], c.strides[0] // sizeof(float)
            self.params.gw, self.params.gw_stride = &gw[0, 0], gw.strides[0] // sizeof(float)
            self.params.gc, self.params.gc_stride = &gc[0, 0], gc.strides[0] // sizeof(float)
        if vocab:
            self.params.bw, self.params.bw_stride = &bw[0], bw.strides[0] // sizeof(float)
            self.params.bc, self.params.bc_stride = &bc[0], bc.strides[0] // sizeof(float)
            self.params.gbw, self.params.gbw_stride = &gbw[0], gbw.strides[0] // sizeof(float)
            self.params.gbc, self.params.gbc_stride = &gbc[0], gbc.strides[0] // sizeof(float)
        self.params.pairs = <const Pair *><size_t>pairs.ctypes.data
        self.params.n_pairs = len(pairs)
        self.params.k = k
        self.params.eta = learning_rate
        self.params.clip = gradient_clip
        self.params.stanford = variant == "stanford"
        self.n_pairs = len(pairs)
        self.variant = variant
        self.progress = np.zeros(max(workers, 1), dtype=np.int64)

    def new_worker(self):
        """The next worker index, for its progress slot (the job runner asks once per
        thread; indices wrap around, so a trainer serves several epochs)."""
        self.next_worker += 1
        return (self.next_worker - 1) % self.progress.shape[0]

    def progress_of(self, int worker):
        """Pairs worker ``worker`` has trained in its current slice (updated every
        few tens of thousands of pairs while it runs; for progress reports)."""
        return self.progress[worker]

    def train_slice(self, int worker, uint64_t seed, uint64_t epoch, int64_t begin, int64_t end,
                    bint shuffle=True):
        """Train positions [begin, end) of epoch ``epoch``'s order of the pairs.

        Returns ``(loss, trained, skipped)``: the summed cost of the pairs
        before their step (float64), the pairs stepped, and the pairs
        skipped because their diff was not finite.  ``stop_requested`` (set
        from another thread) ends it early.
        """
        cdef Order order
        cdef const Params *p = &self.params
        cdef uint64_t ring[AHEAD]
        cdef int64_t t, ahead, trained = 0, skipped = 0
        cdef double loss = 0.0
        if not 0 <= worker < self.progress.shape[0]:
            raise IndexError(f"worker {worker} is outside 0..{self.progress.shape[0] - 1}")
        if begin < 0 or end > self.n_pairs or begin > end:
            raise ValueError(f"[{begin}, {end}) is not a slice of 0..{self.n_pairs}")
        self.progress[worker] = 0
        with nogil:
            _order_init(&order, <uint64_t>p.n_pairs, seed, epoch, shuffle)
            for t in range(begin, min(begin + AHEAD, end)):
                ring[t % AHEAD] = _position_to_pair(&order, <uint64_t>t)
                prefetch(&p.pairs[ring[t % AHEAD]], sizeof(Pair))
            for t in range(begin, end):
                ahead = t + ROWS_AHEAD
                if ahead < end:
                    _prefetch_rows(p, &p.pairs[ring[ahead % AHEAD]])
                if _train_pair(p, &p.pairs[ring[t % AHEAD]], &loss):
                    trained += 1
                else:
                    skipped += 1
                ahead = t + AHEAD
                if ahead < end:
                    ring[t % AHEAD] = _position_to_pair(&order, <uint64_t>ahead)
                    prefetch(&p.pairs[ring[t % AHEAD]], sizeof(Pair))
                if (t - begin) % PROGRESS_EVERY == PROGRESS_EVERY - 1:
                    self.progress[worker] = t - begin + 1
                    if self.stop_requested:
                        break
        self.progress[worker] = trained + skipped
        return loss, trained, skipped
