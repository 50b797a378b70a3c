"""Training kernels: one logistic step, output layers, input formers, one window loop.

Composition (every routine below runs without the GIL):

    train_batch -> train_sentence      (the window loop: subsampling, window
                                        shrinking, [first, last], learning rate,
                                        hot-row syncs)
                     -> skipgram_window | cbow_window | ns_update_window
                          -> input_vector / add_input_rows   (form x)
                          -> predict                         (every output layer in use)
                               -> hs_update  -> logistic_step (node by node, or the
                                                               gathered path at once)
                               -> ns_update  -> logistic_step
                               -> softmax_update
                          -> apply_input_step                (x's step back to its rows)

Each output layer reads the input vector x, adds its step for x into
``state.grad`` (already multiplied by the learning rate) and updates its own
output rows in place.  The architecture then hands ``state.grad`` to the input
former, which adds it to every row of w_in that x was formed from, times the
row's lock factor.

Random draws (the NumPy references in the tests replay the same sequences).
A thread has two generators, both seeded from (seed, stream) at the start of
each batch or file range.  The main one serves, in order:
  1. subsampling: one draw per word whose keep threshold is not ALWAYS;
  2. window shrinking: one draw per kept centre word (if shrink_windows).
The noise generator yields the sequence of noise words (two draws each:
slot, then acceptance), used in order: `negative` of them per prediction,
or, with shared negatives, per window that has at least one context word.
Being a separate stream lets noise words be drawn ahead of use.
"""

from libc.math cimport exp, log, log1p, expf
from libc.string cimport memcpy, memset

import numpy as np

cimport cw2v._kernels.blas as blas
from cw2v._kernels.common cimport (
    TrainParams, ThreadState, real, uint8_t, int32_t, uint32_t, int64_t, uint64_t,
    rng_next, rng_below, rng_seed, prefetch, alloc_lines, free_lines, atomic_increment, atomic_read,
    SIGMOID_TABLE_SIZE, SIGMOID_BOUND, ALWAYS,
    NOISE_AHEAD, HOT_SYNC_WORDS,
)

# The noise generator's seed differs from the main one's by this constant.
cdef uint64_t NOISE_SEED_SALT = 0x6E6F697365ULL     # "noise"

# ---------------------------------------------------------------- sigmoid tables

cdef real SIGMOID[SIGMOID_TABLE_SIZE]
cdef real LOG_SIGMOID[SIGMOID_TABLE_SIZE]
# Bins per unit of f, as a float so the lookup is one float multiply (word2vec.c
# uses an integer division here, which skews every lookup by a fraction of a bin).
cdef real SIGMOID_SCALE = SIGMOID_TABLE_SIZE / (2.0 * SIGMOID_BOUND)


cdef void _fill_sigmoid_tables() noexcept:
    cdef int i
    cdef double x
    for i in range(SIGMOID_TABLE_SIZE):
        x = -SIGMOID_BOUND + (i + 0.5) * (2.0 * SIGMOID_BOUND) / SIGMOID_TABLE_SIZE
        SIGMOID[i] = <real>(1.0 / (1.0 + exp(-x)))
        LOG_SIGMOID[i] = <real>(-log1p(exp(-x)))


_fill_sigmoid_tables()


cdef inline int sigmoid_bin(real f) noexcept nogil:
    cdef int i = <int>((f + SIGMOID_BOUND) * SIGMOID_SCALE)
    # f just below the bound can round up to the table size in float32.
    return i if i < SIGMOID_TABLE_SIZE else SIGMOID_TABLE_SIZE - 1


cdef inline real sigmoid(real f) noexcept nogil:
    """1 / (1 + exp(-f)) from the table; exactly 0 or 1 outside the bound (NaN -> 0)."""
    if not (f > -SIGMOID_BOUND):
        return 0.0
    if f >= SIGMOID_BOUND:
        return 1.0
    return SIGMOID[sigmoid_bin(f)]


cdef inline real log_sigmoid(real f) noexcept nogil:
    """log(sigmoid(f)) from the table; its asymptotes f and 0 outside the bound."""
    if not (f > -SIGMOID_BOUND):
        return f        # also passes a NaN on, so a diverged loss shows as NaN
    if f >= SIGMOID_BOUND:
        return 0.0
    return LOG_SIGMOID[sigmoid_bin(f)]


# ------------------------------------------------------------------ hot rows

cdef inline real *in_row(const TrainParams *p, ThreadState *s, int64_t row) noexcept nogil:
    """Row of w_in: the thread's copy if the row is hot (rows 0..hot_words-1)."""
    if row < p.hot_words:
        return s.hot_in + row * p.K
    return p.w_in + row * p.K


cdef inline real *ns_row(const TrainParams *p, ThreadState *s, int32_t word) noexcept nogil:
    """Row of w_out_ns for `word`: the thread's copy if the word is hot."""
    if word < p.hot_words:
        return s.hot_ns + <int64_t>word * p.K
    return p.w_out_ns + <int64_t>word * p.K


cdef inline real *hs_row(const TrainParams *p, ThreadState *s, int32_t node) noexcept nogil:
    """Row of w_out_hs for inner `node`: the thread's copy if the node is hot."""
    if node >= p.hot_first_node:
        return s.hot_hs + <int64_t>(node - p.hot_first_node) * p.K
    return p.w_out_hs + <int64_t>node * p.K


cdef inline void load_hot(int n, const real *shared, real *mine, real *base) noexcept nogil:
    memcpy(mine, shared, n * sizeof(real))
    memcpy(base, shared, n * sizeof(real))


cdef inline void merge_hot(int n, real *shared, real *mine, real *base,
                           real weight) noexcept nogil:
    """shared += weight * (mine - base), then start again from the merged shared values."""
    blas.axpy(n, -1.0, base, mine)            # mine := this thread's change
    blas.axpy(n, weight, mine, shared)
    load_hot(n, shared, mine, base)


cdef void load_hot_rows(const TrainParams *p, ThreadState *s) noexcept nogil:
    """Copy the hot rows of the shared matrices into the thread's copies."""
    cdef int n = p.hot_words * p.K
    if p.hot_words:
        load_hot(n, p.w_in, s.hot_in, s.hot_in_base)
        if p.negative:
            load_hot(n, p.w_out_ns, s.hot_ns, s.hot_ns_base)
    if p.hot_nodes:
        s.hot_node_merges_seen = atomic_read(p.hot_node_merges)
        load_hot(p.hot_nodes * p.K, p.w_out_hs + <int64_t>p.hot_first_node * p.K,
                 s.hot_hs, s.hot_hs_base)
    s.words_since_sync = 0


cdef real sync_hot_rows(const TrainParams *p, ThreadState *s) noexcept nogil:
    """Merge the thread's change of the hot rows into the shared matrices.

    Returns the weight its change of the hot tree nodes got (1 without them).
    """
    cdef int n = p.hot_words * p.K
    cdef int64_t merges_before
    cdef real node_weight = 1.0
    if p.hot_words:
        merge_hot(n, p.w_in, s.hot_in, s.hot_in_base, 1.0)
        if p.negative:
            merge_hot(n, p.w_out_ns, s.hot_ns, s.hot_ns_base, 1.0)
    if p.hot_nodes:
        # Weighted by the other threads' merges since this copy was loaded
        # (see TrainParams.hot_node_merges); alone, the weight is 1.
        merges_before = atomic_increment(p.hot_node_merges)
        node_weight = 1.0 / (1 + merges_before - s.hot_node_merges_seen)
        merge_hot(p.hot_nodes * p.K, p.w_out_hs + <int64_t>p.hot_first_node * p.K,
                  s.hot_hs, s.hot_hs_base, node_weight)
        s.hot_node_merges_seen = merges_before + 1
    s.words_since_sync = 0
    return node_weight


# ------------------------------------------------------------ the logistic step

# The label of a binary prediction.  Its type sets the precision in which the
# step is formed: float for the one-prediction-at-a-time layers, double for the
# shared-negatives block, each as it was written before the two shared this
# routine.  They differ in the last bit for label 1, and keeping both leaves
# every trained vector as it was (tests/test_refactor_checksums.py).
ctypedef fused label_t:
    float
    double


cdef inline real logistic_step(const TrainParams *p, ThreadState *s, real f,
                               label_t label) noexcept nogil:
    """The step of one binary prediction of `label` (0 or 1) from the logit f.

    Returns g = alpha * (label - sigmoid(f)), the factor by which both sides
    of the dot product move towards the label; adds -log sigmoid(f) (label 1)
    or -log sigmoid(-f) (label 0) to the loss when it is computed.  Every
    binary prediction goes through here: tree nodes, targets, noise words.
    """
    if p.compute_loss:
        s.loss -= log_sigmoid(f if label > 0.5 else -f)
    return (label - sigmoid(f)) * s.alpha


cdef inline void logistic_row(const TrainParams *p, ThreadState *s, const real *x,
                              real *out_row, real label) noexcept nogil:
    """One binary prediction from x . out_row, applied at once.

    grad += g * out_row; out_row += g * x, with g from logistic_step.
    """
    cdef real g = logistic_step(p, s, blas.dot(p.K, x, out_row), label)
    if g != 0.0:
        blas.axpy(p.K, g, out_row, s.grad)     # grad += g * out_row
        blas.axpy(p.K, g, x, out_row)          # out_row += g * x


# ------------------------------------------------------------------ output layers

cdef inline real hs_label(const TrainParams *p, int64_t step) noexcept nogil:
    """The label at a step of a Huffman path: 1 for branch 0 (as in word2vec.c)."""
    return 1.0 - p.hs_codes[step]


cdef void hs_gather(const TrainParams *p, ThreadState *s, int32_t target) noexcept nogil:
    """Copy the target's path rows of w_out_hs into the thread's block.

    Predictions then read and update the block with level-2 BLAS (one gemv,
    one gemv, one ger for the whole path) instead of three level-1 calls per
    node.  Skip-gram gathers once per window, as every pair of a window
    predicts the same centre word: 1.3x faster on sg/hs (measured).  CBOW
    makes one prediction per target, where the copies cost more than the
    calls they save (measured 1.3x slower), so it updates the rows in place.
    """
    cdef int d
    cdef int64_t path = p.hs_offsets[target]
    s.hs_path = path
    s.hs_depth = <int>(p.hs_offsets[target + 1] - path)
    s.hs_gathered = target
    for d in range(s.hs_depth):
        blas.copy(p.K, hs_row(p, s, p.hs_points[path + d]), s.hs_rows + d * p.K)
    blas.copy(s.hs_depth * p.K, s.hs_rows, s.hs_rows_start)


cdef void hs_scatter(const TrainParams *p, ThreadState *s) noexcept nogil:
    """Add the block's change since hs_gather to the live rows of w_out_hs.

    Adding the change, rather than copying the block back, keeps what other
    threads wrote to the same nodes (the root's row is shared by every word)
    in the meantime.
    """
    cdef int d
    blas.axpy(s.hs_depth * p.K, -1.0, s.hs_rows_start, s.hs_rows)   # block := its change
    for d in range(s.hs_depth):
        blas.axpy(p.K, 1.0, s.hs_rows + d * p.K, hs_row(p, s, p.hs_points[s.hs_path + d]))
    s.hs_gathered = -1


cdef void hs_update(const TrainParams *p, ThreadState *s, const real *x,
                    int32_t target) noexcept nogil:
    """Hierarchical softmax: one logistic step per node of the target's path.

    Two ways of applying the same steps.  On a path gathered by hs_gather,
    with level-2 BLAS for the whole path:

        f = R @ x;  g = logistic_step(f, labels);  grad += R.T @ g;  R += outer(g, x)

    (each node's row affects only its own logit, so this equals the node-by-
    node updates); otherwise node by node on the live rows (logistic_row).
    """
    cdef int d
    cdef int64_t step
    cdef real *steps = s.hs_steps
    if s.hs_gathered != target:
        for step in range(p.hs_offsets[target], p.hs_offsets[target + 1]):
            logistic_row(p, s, x, hs_row(p, s, p.hs_points[step]), hs_label(p, step))
        return
    blas.rows_dot(s.hs_depth, p.K, s.hs_rows, x, steps)                 # f = R @ x
    for d in range(s.hs_depth):
        steps[d] = logistic_step(p, s, steps[d], hs_label(p, s.hs_path + d))
    blas.rows_combine(s.hs_depth, p.K, 1.0, s.hs_rows, steps, s.grad)   # grad += R.T @ g
    blas.rows_rank1(s.hs_depth, p.K, 1.0, steps, x, s.hs_rows)          # R += outer(g, x)


cdef inline int32_t draw_noise(const TrainParams *p, uint64_t *rng) noexcept nogil:
    """A word from counts**ns_exponent by the alias method: a slot, then accept or alias."""
    cdef uint32_t slot = rng_below(rng, <uint32_t>p.V)
    cdef uint32_t r = rng_next(rng)
    cdef uint32_t accept = p.noise_accept[slot]
    if r < accept or accept == ALWAYS:
        return <int32_t>slot
    return p.noise_alias[slot]


cdef inline int32_t take_noise(const TrainParams *p, ThreadState *s) noexcept nogil:
    """The next noise word of the thread's noise stream.

    Its replacement is drawn NOISE_AHEAD words ahead and its output row
    prefetched, so that row is in cache by the time it is used.
    """
    cdef int32_t word = s.noise_ahead[s.noise_next]
    cdef int32_t fresh = draw_noise(p, &s.noise_rng)
    prefetch(ns_row(p, s, fresh), p.K * sizeof(real))
    s.noise_ahead[s.noise_next] = fresh
    s.noise_next = (s.noise_next + 1) & (NOISE_AHEAD - 1)
    return word


cdef void start_stream(const TrainParams *p, ThreadState *s, uint64_t seed,
                       uint64_t stream) noexcept nogil:
    cdef int i
    s.rng = rng_seed(seed, stream)
    s.noise_rng = rng_seed(seed ^ NOISE_SEED_SALT, stream)
    s.hs_gathered = -1
    s.noise_next = 0
    load_hot_rows(p, s)
    if p.negative:
        for i in range(NOISE_AHEAD):
            s.noise_ahead[i] = draw_noise(p, &s.noise_rng)
            prefetch(ns_row(p, s, s.noise_ahead[i]), p.K * sizeof(real))


cdef inline int32_t noise_against(const TrainParams *p, ThreadState *s,
                                   int32_t target) noexcept nogil:
    """The next noise word, or -1 if the draw is the target itself (then it is
    wasted, as in word2vec.c)."""
    cdef int32_t noise = take_noise(p, s)
    return -1 if noise == target else noise


cdef void ns_update(const TrainParams *p, ThreadState *s, const real *x,
                    int32_t target) noexcept nogil:
    """Negative sampling: the target as a positive, `negative` noise words as negatives.

    Each noise word is drawn just before its update: drawing them all first
    measured 5% slower on sg-ns (the alias-table reads then stall instead of
    overlapping the BLAS work).
    """
    cdef int d
    cdef int32_t noise
    logistic_row(p, s, x, ns_row(p, s, target), 1.0)
    for d in range(p.negative):
        noise = noise_against(p, s, target)
        if noise >= 0:
            logistic_row(p, s, x, ns_row(p, s, noise), 0.0)


cdef void softmax_update(const TrainParams *p, ThreadState *s, const real *x,
                         int32_t target) noexcept nogil:
    """Exact softmax over the whole vocabulary, O(V K): three level-2 BLAS passes."""
    cdef real *scores = s.scores
    cdef int32_t j
    cdef real top, alpha = s.alpha
    cdef double total = 0.0
    blas.rows_dot(p.V, p.K, p.w_out_sm, x, scores)         # scores = W_sm @ x
    top = scores[0]
    for j in range(1, p.V):
        if scores[j] > top:
            top = scores[j]
    if p.compute_loss:
        s.loss += top - scores[target]      # plus log(total), below
    for j in range(p.V):
        scores[j] = expf(scores[j] - top)
        total += scores[j]
    if p.compute_loss:
        s.loss += log(total)
    # scores := alpha * (onehot(target) - softmax), the step for each logit.
    for j in range(p.V):
        scores[j] = <real>(-alpha * (scores[j] / total))
    scores[target] += alpha
    blas.rows_combine(p.V, p.K, 1.0, p.w_out_sm, scores, s.grad)   # grad += W_sm^T @ scores
    blas.rows_rank1(p.V, p.K, 1.0, scores, x, p.w_out_sm)          # W_sm += outer(scores, x)


cdef inline void predict(const TrainParams *p, ThreadState *s, const real *x,
                         int32_t target) noexcept nogil:
    """Predict `target` from x with every output layer in use; leaves x's step in grad."""
    memset(s.grad, 0, p.K * sizeof(real))
    if p.hs:
        hs_update(p, s, x, target)
    if p.negative:
        ns_update(p, s, x, target)
    if p.softmax:
        softmax_update(p, s, x, target)
    s.predictions += 1


# ------------------------------------------------------------------ input formers
#
# How the input vector of a prediction is formed from a word, and where its
# step goes back.  The former is chosen by TrainParams.subword_offsets:
#
#   NULL (word2vec): word w's input vector is row w of w_in, read and updated
#       in place (no copy);
#   set (fastText subwords): it is the mean of the rows subword_rows[
#       subword_offsets[w] : subword_offsets[w+1]] of w_in (the word's own
#       row and the rows of its character n-grams).
#
# Facebook's fastText (src/model.cc, Model::computeHidden and Model::update)
# forms the hidden vector as the plain mean of the listed input rows and adds
# the whole gradient, unscaled, to every listed row (it divides the gradient by
# the number of rows only for supervised models, not for skip-gram or CBOW).
# Its CBOW (src/fasttext.cc) concatenates the lists of all context words
# into one list, so the mean is taken over every row of every context word,
# and a row listed twice is counted and updated twice.  cw2v does the same.
#
# Each update of row r is multiplied by its lock factor lockf[r] (1 without
# lockf; gensim's vectors_lockf): 0 freezes the row.
#
# The dispatch is one well-predicted branch per word; a function pointer
# could not be inlined into the BLAS calls around it.

cdef inline bint centre_is_input(const TrainParams *p) noexcept nogil:
    """Skip-gram direction: does the centre word form the input vector?

    word2vec.c and gensim's Word2Vec let each context word's row predict the
    centre word, so every pair of a window predicts the same target and
    hierarchical softmax gathers its path once per window.  Facebook's
    fastText (src/fasttext.cc, skipgram) lets the centre's subword mean
    predict each context word; the subword former follows it, which also
    allows forming the centre's mean once per window (issue 11).  Over a
    corpus both visit the same pairs.
    """
    return p.subword_offsets != NULL


cdef inline real lock_factor(const TrainParams *p, int64_t row) noexcept nogil:
    return 1.0 if p.lockf == NULL else p.lockf[row]


cdef inline int64_t add_input_rows(const TrainParams *p, ThreadState *s, int32_t word,
                                   real *hidden) noexcept nogil:
    """hidden += every input row of `word`; returns how many rows were added."""
    cdef int64_t i
    if p.subword_offsets == NULL:
        blas.axpy(p.K, 1.0, in_row(p, s, word), hidden)
        return 1
    # Ask for every row first: their cache misses then overlap instead of
    # waiting one after the other behind each axpy.
    for i in range(p.subword_offsets[word], p.subword_offsets[word + 1]):
        prefetch(in_row(p, s, p.subword_rows[i]), p.K * sizeof(real))
    for i in range(p.subword_offsets[word], p.subword_offsets[word + 1]):
        blas.axpy(p.K, 1.0, in_row(p, s, p.subword_rows[i]), hidden)
    return p.subword_offsets[word + 1] - p.subword_offsets[word]


cdef inline real *input_vector(const TrainParams *p, ThreadState *s,
                               int32_t word) noexcept nogil:
    """The input vector of `word`: its row of w_in itself, or the mean of its
    subword rows formed in s.hidden."""
    cdef int64_t n
    if p.subword_offsets == NULL:
        return in_row(p, s, word)
    memset(s.hidden, 0, p.K * sizeof(real))
    n = add_input_rows(p, s, word, s.hidden)
    blas.scal(p.K, 1.0 / n, s.hidden)
    return s.hidden


cdef inline void add_to_input_row(const TrainParams *p, ThreadState *s, int64_t row,
                                  const real *step) noexcept nogil:
    """w_in[row] += lockf[row] * step"""
    blas.axpy(p.K, lock_factor(p, row), step, in_row(p, s, row))


cdef inline void apply_input_step(const TrainParams *p, ThreadState *s, int32_t word,
                                  const real *step) noexcept nogil:
    """w_in[r] += lockf[r] * step for every input row r of `word`."""
    cdef int64_t i
    if p.subword_offsets == NULL:
        add_to_input_row(p, s, word, step)
        return
    for i in range(p.subword_offsets[word], p.subword_offsets[word + 1]):
        add_to_input_row(p, s, p.subword_rows[i], step)


# ------------------------------------------------------------------ architectures

cdef inline void skipgram_pair(const TrainParams *p, ThreadState *s, int32_t input_word,
                               int32_t target) noexcept nogil:
    """Skip-gram: `input_word`'s input vector predicts `target`."""
    cdef real *x = input_vector(p, s, input_word)
    predict(p, s, x, target)
    apply_input_step(p, s, input_word, s.grad)


cdef real mean_step_factor(const TrainParams *p, int32_t word) noexcept nogil:
    """How far the mean of `word`'s subword rows moves when `step` is added to
    each of its rows (times the row's lock factor): mean += factor * step, with
    factor = (1/n) sum over listed rows r of lockf[r] x (times r is listed).
    A row listed twice (an n-gram found twice in the word, "ana" in "banana")
    is both counted twice in the mean and stepped twice."""
    cdef int64_t a, b, start = p.subword_offsets[word], end = p.subword_offsets[word + 1]
    cdef real total = 0
    for a in range(start, end):
        for b in range(start, end):
            if p.subword_rows[a] == p.subword_rows[b]:
                total += lock_factor(p, p.subword_rows[b])
    return total / (end - start)


cdef object _mean_steps(const TrainParams *p):
    """mean_step_factor of every word: it depends only on the word's rows and
    their lock factors, and its pairwise loop measured 3% of a skip-gram epoch
    when worked out per window."""
    cdef float[::1] steps = np.empty(p.V, dtype=np.float32)
    cdef int32_t w
    with nogil:
        for w in range(p.V):
            steps[w] = mean_step_factor(p, w)
    return np.asarray(steps)


cdef void skipgram_window_centre_once(const TrainParams *p, ThreadState *s,
                                      const int32_t *words, int64_t pos, int64_t first,
                                      int64_t last) noexcept nogil:
    """Skip-gram with subwords, the centre's rows gathered and scattered once per window.

    x = mean of the centre's rows, then for each context word c in [first,
    last]: predict(x, c) (output rows updated as it goes), window_grad +=
    grad, and x moves as the mean of the rows would if grad had been added
    to each of them (mean_step_factor); finally every row of the centre +=
    window_grad.  The same update as one gather and scatter per pair, up to
    rounding (and to other threads' writes to those rows during the
    window), at one gather and one scatter of the n rows per window instead
    of one per pair: the per-pair rule's cost is mostly those 2n `axpy`s.
    """
    cdef int64_t j
    cdef int32_t centre = words[pos]
    cdef real *x = input_vector(p, s, centre)
    cdef real moves = p.mean_steps[centre]
    memset(s.window_grad, 0, p.K * sizeof(real))
    for j in range(first, last + 1):
        if j != pos:
            predict(p, s, x, words[j])
            blas.axpy(p.K, 1.0, s.grad, s.window_grad)     # window_grad += grad
            blas.axpy(p.K, moves, s.grad, x)                # x = the rows' mean after grad
    apply_input_step(p, s, centre, s.window_grad)


cdef void skipgram_window(const TrainParams *p, ThreadState *s, const int32_t *words,
                          int64_t pos, int64_t first, int64_t last) noexcept nogil:
    """Skip-gram: one prediction per context word in [first, last] around pos.

    The direction is the former's (see centre_is_input); with centre_once
    the centre's subword mean is formed once per window
    (skipgram_window_centre_once).
    """
    cdef int64_t j
    cdef int32_t centre = words[pos]
    if p.centre_once:
        skipgram_window_centre_once(p, s, words, pos, first, last)
        return
    if centre_is_input(p):
        for j in range(first, last + 1):
            if j != pos:
                skipgram_pair(p, s, centre, words[j])
        return
    if p.hs:
        hs_gather(p, s, centre)     # every pair of the window predicts the centre
    for j in range(first, last + 1):
        if j != pos:
            skipgram_pair(p, s, words[j], centre)
    if p.hs:
        hs_scatter(p, s)


cdef void ns_update_window(const TrainParams *p, ThreadState *s, const int32_t *words,
                           int64_t pos, int64_t first, int64_t last) noexcept nogil:
    """Skip-gram with one set of noise words shared by the whole window (Ji et al., 2016).

    Every context word in [first, last] predicts words[pos] against the same
    `negative` noise words.  With X the gathered context rows of w_in (m x K)
    and T the gathered rows of w_out_ns of the centre (label 1) and the noise
    words (label 0) (t x K):

        S = X @ T.T;   G = logistic_step(S, labels)
        X_rows += lockf * (G @ T);   T_rows += G.T @ X

    Each product is a handful of sgemv calls on the gathered blocks, the
    last two adding straight into the weight rows.  (sgemm measured slower
    here: at m, t <= 11 OpenBLAS spends its time packing the operands and
    serialises threads on a buffer lock.)  All steps use the weights as they
    were at the start of the window (a minibatch), where ns_update updates
    as it goes.  Word rows only (the Trainer refuses subwords here).
    """
    cdef int64_t j
    cdef int m = 0, t = 1, a, b, d, K = p.K
    cdef int32_t word, noise
    cdef real g
    cdef real *steps = s.block_scores        # m x t: logits, then G
    cdef real *steps_t = s.block_steps_t     # t x m: G transposed
    for j in range(first, last + 1):
        if j != pos:
            s.block_ids_in[m] = words[j]
            memcpy(s.block_in + m * K, in_row(p, s, words[j]), K * sizeof(real))
            m += 1
    if m == 0:
        return
    s.block_ids_out[0] = words[pos]
    for d in range(p.negative):
        noise = noise_against(p, s, words[pos])
        if noise >= 0:
            s.block_ids_out[t] = noise
            t += 1
    for b in range(t):
        memcpy(s.block_out + b * K, ns_row(p, s, s.block_ids_out[b]), K * sizeof(real))
    for a in range(m):
        blas.rows_dot(t, K, s.block_out, s.block_in + a * K, steps + a * t)   # S[a] = T @ X[a]
    for a in range(m):
        for b in range(t):
            g = logistic_step(p, s, steps[a * t + b], <double>(b == 0))
            steps[a * t + b] = g
            steps_t[b * m + a] = g
    for a in range(m):          # w_in[X[a]] += lockf * (G[a] @ T)
        word = s.block_ids_in[a]
        blas.rows_combine(t, K, lock_factor(p, word), s.block_out, steps + a * t,
                          in_row(p, s, word))
    for b in range(t):          # w_out[T[b]] += G[:, b] @ X
        blas.rows_combine(m, K, 1.0, s.block_in, steps_t + b * m, ns_row(p, s, s.block_ids_out[b]))
    s.predictions += m


cdef void cbow_window(const TrainParams *p, ThreadState *s, const int32_t *words,
                      int64_t pos, int64_t first, int64_t last) noexcept nogil:
    """CBOW: the context words in [first, last] around pos predict words[pos].

    hidden is the sum (cbow_mean=0) or mean (cbow_mean=1) of the input rows
    of every context word (one row each for word2vec, the subword rows for
    fastText).  Every one of those rows then receives the whole step for
    hidden: the exact gradient for the sum, and word2vec.c's and fastText's
    choice for the mean (n times the exact gradient, which trains faster).
    """
    cdef int64_t j, n_rows = 0
    memset(s.hidden, 0, p.K * sizeof(real))
    for j in range(first, last + 1):
        if j != pos:
            n_rows += add_input_rows(p, s, words[j], s.hidden)
    if n_rows == 0:
        return
    if p.cbow_mean:
        blas.scal(p.K, 1.0 / n_rows, s.hidden)
    predict(p, s, s.hidden, words[pos])
    for j in range(first, last + 1):
        if j != pos:
            apply_input_step(p, s, words[j], s.grad)


# ------------------------------------------------------------------- window loop

cdef inline void window_bounds(int64_t pos, int64_t reach, int64_t length, int64_t *first,
                               int64_t *last) noexcept nogil:
    """[first, last]: the positions within `reach` of pos, clamped to [0, length)."""
    first[0] = pos - reach if pos > reach else 0
    last[0] = pos + reach if pos + reach < length else length - 1


cdef int train_sentence(const TrainParams *p, ThreadState *s, const int32_t *words,
                        int64_t length, double alpha_first, double alpha_step) noexcept nogil:
    cdef int64_t i, n_kept = 0, pos, first, last, reach
    cdef int32_t w
    cdef uint32_t threshold
    cdef int32_t *grown

    if length > s.kept_capacity:
        # The old contents are dead: a fresh line-aligned buffer, not realloc.
        grown = <int32_t *>alloc_lines(length * sizeof(int32_t))
        if grown == NULL:
            return -1
        free_lines(s.kept)
        s.kept = grown
        s.kept_capacity = length

    # Frequent-word subsampling, before windows are formed (as word2vec.c does).
    for i in range(length):
        w = words[i]
        if p.keep_threshold != NULL:
            threshold = p.keep_threshold[w]
            if threshold != ALWAYS and rng_next(&s.rng) >= threshold:
                continue
        s.kept[n_kept] = w
        n_kept += 1
    s.words_trained += n_kept

    for pos in range(n_kept):
        # Linear decay: each kept word gets the rate of its place in the input.
        # Spread the sentence's words evenly over its span of the schedule.
        s.alpha = <real>(alpha_first + alpha_step * (pos * length / n_kept))
        reach = p.window
        if p.shrink_windows:
            reach -= rng_below(&s.rng, <uint32_t>p.window)      # 1..window
        window_bounds(pos, reach, n_kept, &first, &last)
        if p.shared_negatives:
            ns_update_window(p, s, s.kept, pos, first, last)
        elif p.sg:
            skipgram_window(p, s, s.kept, pos, first, last)
        else:
            cbow_window(p, s, s.kept, pos, first, last)
        # Counted here, not per sentence: a 10,000-word line is one sentence.
        s.words_since_sync += 1
        if s.words_since_sync >= HOT_SYNC_WORDS:
            sync_hot_rows(p, s)
    return 0


# ------------------------------------------------------------- Python interface

def _as_array(value, name, dtype, ndim, shape=None, writable=False):
    """Check a training array without copying it: the kernels write in place."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if value.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {value.dtype.name}; "
                        f"convert it with .astype(np.{np.dtype(dtype).name})")
    if value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {value.shape}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {value.shape}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous; pass np.ascontiguousarray({name})")
    if writable and not value.flags.writeable:
        raise ValueError(f"{name} must be writable (it is updated in place during training)")
    return value


def _check_offsets(offsets, name, n_items):
    """CSR offsets: int64 (n_items + 1,), from 0, never decreasing; returns the total listed."""
    offsets = _as_array(offsets, name, np.int64, 1, (n_items + 1,))
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0):
        raise ValueError(f"{name} must start at 0 and never decrease")
    return offsets, int(offsets[n_items])


cdef class Trainer:
    """The read-only training parameters and every array the kernels touch.

    Built once per call to train; shared by all worker threads.  Arrays are
    used in place, never copied: the weight matrices are updated directly.

    Parameters
    ----------
    w_in : float32 (V, K), or (R, K) with R >= V rows when subwords are given
        Input vectors (word2vec.c's syn0; with subwords, fastText's input
        matrix: V word rows, then the n-gram buckets).
    w_out_ns, w_out_hs, w_out_sm : float32 (V, K), (V-1, K), (V, K) or None
        Output vectors of negative sampling, hierarchical softmax and full
        softmax; each is required exactly when its layer is on.
    hs_codes, hs_points, hs_offsets : uint8, int32, int64 (V+1,)
        Flattened Huffman paths (see cw2v.vocab.huffman).
    noise_accept, noise_alias : uint32 (V,), int32 (V,)
        Alias table of the noise distribution (see cw2v.vocab.sampling).
    keep_threshold : uint32 (V,) or None
        Subsampling thresholds (see cw2v.vocab.sampling); None keeps every word.
    hot_rows : int
        How many of the most written rows (words 0.. of w_in and w_out_ns,
        the inner nodes nearest the root of w_out_hs) each thread trains in
        its own copy, merged into the shared matrices every HOT_SYNC_WORDS
        trained words and at the end of each batch or file range (0: none).
        A thread adds its whole change of the word rows, and 1/(k+1) of its
        change of the tree nodes when k other merges came after its copy
        was loaded (see common.pxd).
    subword_offsets, subword_rows : int64 (V+1,), int32 (n,) or None
        Subword input (fastText): word w's input vector is the mean of the
        rows w_in[subword_rows[subword_offsets[w]:subword_offsets[w+1]]]
        (its own row and its n-gram rows; at least one), and every one of
        those rows receives the step.  Skip-gram then lets the centre word's
        mean predict each context word, as Facebook's fastText does.  V is
        len(subword_offsets) - 1.  None: word w's input vector is row w.
    centre_once : bool
        Skip-gram with subwords only: gather the centre's rows once per
        window (the mean then follows the pairs' steps) and scatter the
        window's summed step once, instead of both once per pair as
        Facebook's fastText does; the same update up to rounding.
    lockf : float32 (R,) or None
        Lock factor of each row of w_in (gensim's vectors_lockf): every
        update of row r is multiplied by lockf[r], so 0.0 freezes it.
        None: all ones.
    """

    def __init__(self, w_in, *, sg, hs=0, negative=0, softmax=0, window=5,
                 shrink_windows=True, cbow_mean=1, compute_loss=False, shared_negatives=False,
                 hot_rows=64, w_out_ns=None, w_out_hs=None, w_out_sm=None,
                 hs_codes=None, hs_points=None, hs_offsets=None,
                 noise_accept=None, noise_alias=None, keep_threshold=None,
                 subword_offsets=None, subword_rows=None, lockf=None, centre_once=False):
        w_in = _as_array(w_in, "w_in", np.float32, 2, writable=True)
        cdef int64_t rows = w_in.shape[0]
        cdef int64_t V = rows if subword_offsets is None else len(subword_offsets) - 1
        cdef int K = w_in.shape[1]
        if V < 1 or K < 1:
            raise ValueError(f"w_in must have at least one row and column, got shape {w_in.shape}")
        if V > rows:
            raise ValueError(f"subword_offsets lists {V} words but w_in has only {rows} rows")
        if V >= 2**31 - 1:
            raise ValueError("vocabularies of 2**31 - 1 words or more are not supported")
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        if negative < 0:
            raise ValueError(f"negative must be >= 0, got {negative}")
        if not (hs or negative or softmax):
            raise ValueError("no output layer: set hs=1, negative > 0 or softmax=True")
        if shared_negatives and not (sg and negative and not hs and not softmax):
            raise ValueError("shared_negatives needs skip-gram with negative sampling alone "
                             "(sg=1, negative > 0, hs=0, softmax=False)")
        if shared_negatives and subword_offsets is not None:
            raise ValueError("shared_negatives is not available with subword input; "
                             "set shared_negatives=False")
        if centre_once and not (sg and subword_offsets is not None):
            raise ValueError("centre_once needs skip-gram with subword input (sg=1 and "
                             "subword_offsets); set centre_once=False")
        keep = [w_in]
        memset(&self.params, 0, sizeof(TrainParams))
        p = &self.params
        p.w_in = <real *><size_t>w_in.ctypes.data
        p.K, p.V = K, <int32_t>V
        p.sg, p.cbow_mean, p.window = bool(sg), bool(cbow_mean), window
        p.shrink_windows, p.compute_loss = bool(shrink_windows), bool(compute_loss)
        p.hs, p.negative, p.softmax = bool(hs), negative, bool(softmax)
        p.shared_negatives = bool(shared_negatives)
        if hot_rows < 0:
            raise ValueError(f"hot_rows must be >= 0, got {hot_rows}")
        p.hot_words = <int>min(hot_rows, V)
        p.hot_nodes = <int>min(hot_rows, V - 1) if hs else 0
        p.hot_first_node = <int32_t>(V - 1 - p.hot_nodes)
        hot_node_merges = np.zeros(1, dtype=np.int64)
        keep.append(hot_node_merges)
        p.hot_node_merges = <int64_t *><size_t>hot_node_merges.ctypes.data
        if hs:
            if V < 2:
                raise ValueError("hierarchical softmax needs a vocabulary of at least 2 words")
            w_out_hs = _as_array(w_out_hs, "w_out_hs", np.float32, 2, (V - 1, K), writable=True)
            hs_offsets, total = _check_offsets(hs_offsets, "hs_offsets", V)
            hs_codes = _as_array(hs_codes, "hs_codes", np.uint8, 1, (total,))
            hs_points = _as_array(hs_points, "hs_points", np.int32, 1, (total,))
            if total and (hs_points.min() < 0 or hs_points.max() > V - 2):
                raise ValueError(f"hs_points must lie in [0, {V - 2}]")
            keep += [w_out_hs, hs_codes, hs_points, hs_offsets]
            p.hs_max_depth = int(np.diff(hs_offsets).max())
            if p.hs_max_depth < 1:
                raise ValueError("every word needs a Huffman path of at least one node")
            p.w_out_hs = <real *><size_t>w_out_hs.ctypes.data
            p.hs_codes = <const uint8_t *><size_t>hs_codes.ctypes.data
            p.hs_points = <const int32_t *><size_t>hs_points.ctypes.data
            p.hs_offsets = <const int64_t *><size_t>hs_offsets.ctypes.data
        if negative:
            w_out_ns = _as_array(w_out_ns, "w_out_ns", np.float32, 2, (V, K), writable=True)
            noise_accept = _as_array(noise_accept, "noise_accept", np.uint32, 1, (V,))
            noise_alias = _as_array(noise_alias, "noise_alias", np.int32, 1, (V,))
            if noise_alias.min() < 0 or noise_alias.max() >= V:
                raise ValueError(f"noise_alias must lie in [0, {V - 1}]")
            keep += [w_out_ns, noise_accept, noise_alias]
            p.w_out_ns = <real *><size_t>w_out_ns.ctypes.data
            p.noise_accept = <const uint32_t *><size_t>noise_accept.ctypes.data
            p.noise_alias = <const int32_t *><size_t>noise_alias.ctypes.data
        if softmax:
            w_out_sm = _as_array(w_out_sm, "w_out_sm", np.float32, 2, (V, K), writable=True)
            keep.append(w_out_sm)
            p.w_out_sm = <real *><size_t>w_out_sm.ctypes.data
        if keep_threshold is not None:
            keep_threshold = _as_array(keep_threshold, "keep_threshold", np.uint32, 1, (V,))
            keep.append(keep_threshold)
            p.keep_threshold = <const uint32_t *><size_t>keep_threshold.ctypes.data
        if (subword_offsets is None) != (subword_rows is None):
            raise ValueError("give both subword_offsets and subword_rows, or neither")
        if subword_offsets is not None:
            subword_offsets, total = _check_offsets(subword_offsets, "subword_offsets", V)
            subword_rows = _as_array(subword_rows, "subword_rows", np.int32, 1, (total,))
            if np.any(np.diff(subword_offsets) == 0):
                raise ValueError("every word needs at least one input row in subword_rows")
            if subword_rows.min() < 0 or subword_rows.max() >= rows:
                raise ValueError(f"subword_rows must lie in [0, {rows - 1}] (rows of w_in)")
            keep += [subword_offsets, subword_rows]
            p.subword_offsets = <const int64_t *><size_t>subword_offsets.ctypes.data
            p.subword_rows = <const int32_t *><size_t>subword_rows.ctypes.data
            p.centre_once = bool(centre_once)
        if lockf is not None:
            lockf = _as_array(lockf, "lockf", np.float32, 1, (rows,))
            keep.append(lockf)
            p.lockf = <const real *><size_t>lockf.ctypes.data
        if p.centre_once:
            mean_steps = _mean_steps(p)
            keep.append(mean_steps)
            p.mean_steps = <const real *><size_t>mean_steps.ctypes.data
        self._arrays = tuple(keep)
        self.sg, self.hs, self.negative, self.softmax = p.sg, p.hs, p.negative, p.softmax
        self.window, self.vector_size = window, K

    def new_worker(self):
        """Scratch state for one worker thread (allocate once, reuse for every batch)."""
        return WorkerState(self)

    def train_batch(self, WorkerState worker, const int32_t[::1] ids,
                    const int32_t[::1] sentence_ends, double alpha_begin,
                    double alpha_end, uint64_t seed, uint64_t stream):
        """Train on one batch of sentences, with the GIL released.

        ids : int32 (n,)
            In-vocabulary word ids of all sentences, concatenated.
        sentence_ends : int32 (n_sentences,)
            Cumulative end offsets of the sentences in `ids`.
        alpha_begin, alpha_end : float
            Learning rate at the first and after the last word of the batch;
            each sentence gets the rate of its place between them.
        seed, stream : int
            The worker's generator starts from (seed, stream): give every
            batch its own stream and results do not depend on which thread
            trains it.

        Returns (loss, predictions, words_trained): the summed negative
        log-likelihood (0.0 unless compute_loss), the number of predictions
        made, and the number of words left after subsampling.
        """
        if worker.trainer is not self:
            raise ValueError("this WorkerState belongs to another Trainer")
        cdef int64_t n = ids.shape[0], n_sentences = sentence_ends.shape[0]
        cdef int64_t i, begin = 0, end
        cdef int32_t bad = -1
        cdef int status = 0
        cdef double alpha_step = (alpha_end - alpha_begin) / n if n else 0.0
        cdef ThreadState *s = worker.state
        with nogil:
            for i in range(n):
                if ids[i] < 0 or ids[i] >= self.params.V:
                    bad = <int32_t>i
                    break
        if bad >= 0:
            raise ValueError(f"word id {ids[bad]} at position {bad} is outside the vocabulary "
                             f"[0, {self.params.V})")
        for i in range(n_sentences):
            if sentence_ends[i] < begin or sentence_ends[i] > n:
                raise ValueError("sentence_ends must be non-decreasing offsets into ids")
            begin = sentence_ends[i]
        if n_sentences and sentence_ends[n_sentences - 1] != n:
            raise ValueError("the last sentence end must equal len(ids)")
        start_stream(&self.params, s, seed, stream)
        s.loss, s.predictions, s.words_trained = 0.0, 0, 0
        begin = 0
        with nogil:
            for i in range(n_sentences):
                end = sentence_ends[i]
                if end > begin:
                    status = train_sentence(&self.params, s, &ids[0] + begin, end - begin,
                                            alpha_begin + alpha_step * begin, alpha_step)
                    if status != 0:
                        break
                begin = end
            sync_hot_rows(&self.params, s)
        if status != 0:
            raise MemoryError("out of memory for a sentence buffer")
        return s.loss, s.predictions, s.words_trained

    # ---- single steps, for the reference tests (thin twins of the cdef kernels)

    def skipgram_pair_step(self, WorkerState worker, int32_t centre, int32_t context,
                           double alpha, bint hot_sync=True):
        """One skip-gram update of the pair (centre, context); returns its loss.

        hot_sync=False leaves the worker's copies of the hot rows as they are,
        neither loaded before nor merged after (see load_hot_rows).
        """
        cdef int32_t[::1] pair = np.array([centre, context], dtype=np.int32)
        self._check_ids(worker, pair)
        s = worker.state
        s.alpha, s.loss = alpha, 0.0
        if hot_sync:
            load_hot_rows(&self.params, s)
        skipgram_window(&self.params, s, &pair[0], 0, 0, 1)     # the window of one pair
        if hot_sync:
            sync_hot_rows(&self.params, s)
        return s.loss

    def load_hot_rows(self, WorkerState worker):
        """Copy the shared hot rows into the worker's copies (as a batch starts)."""
        if worker.trainer is not self:
            raise ValueError("this WorkerState belongs to another Trainer")
        load_hot_rows(&self.params, worker.state)

    def merge_hot_rows(self, WorkerState worker):
        """Merge the worker's change of the hot rows; returns the tree nodes' weight."""
        if worker.trainer is not self:
            raise ValueError("this WorkerState belongs to another Trainer")
        return sync_hot_rows(&self.params, worker.state)

    def shared_window_step(self, WorkerState worker, const int32_t[::1] words, int64_t pos,
                           int64_t reach, double alpha):
        """One shared-negatives skip-gram update of the window around words[pos]."""
        if not self.params.shared_negatives:
            raise ValueError("this Trainer was built without shared_negatives")
        self._check_ids(worker, words)
        if not 0 <= pos < words.shape[0] or not 1 <= reach <= self.params.window:
            raise IndexError("pos or reach out of range")
        cdef int64_t first, last
        window_bounds(pos, reach, words.shape[0], &first, &last)
        s = worker.state
        s.alpha, s.loss = alpha, 0.0
        load_hot_rows(&self.params, s)
        ns_update_window(&self.params, s, &words[0], pos, first, last)
        sync_hot_rows(&self.params, s)
        return s.loss

    def cbow_step(self, WorkerState worker, const int32_t[::1] words, int64_t pos,
                  int64_t reach, double alpha):
        """One CBOW update of words[pos] from its neighbours within `reach`."""
        self._check_ids(worker, words)
        if not 0 <= pos < words.shape[0]:
            raise IndexError("pos is outside words")
        cdef int64_t first, last
        window_bounds(pos, reach, words.shape[0], &first, &last)
        s = worker.state
        s.alpha, s.loss = alpha, 0.0
        load_hot_rows(&self.params, s)
        cbow_window(&self.params, s, &words[0], pos, first, last)
        sync_hot_rows(&self.params, s)
        return s.loss

    def sentence_step(self, WorkerState worker, const int32_t[::1] words,
                      double alpha_first, double alpha_step):
        """train_sentence on one sentence; returns (loss, predictions, words_trained)."""
        self._check_ids(worker, words)
        s = worker.state
        s.loss, s.predictions, s.words_trained = 0.0, 0, 0
        load_hot_rows(&self.params, s)
        status = train_sentence(&self.params, s, &words[0], words.shape[0], alpha_first,
                                alpha_step)
        sync_hot_rows(&self.params, s)
        if status != 0:
            raise MemoryError("out of memory for a sentence buffer")
        return s.loss, s.predictions, s.words_trained

    def draw_noise_words(self, WorkerState worker, int64_t n):
        """The next n words of the worker's noise stream."""
        if not self.params.negative:
            raise ValueError("this Trainer has no negative sampling")
        out = np.empty(n, dtype=np.int32)
        cdef int32_t[::1] view = out
        cdef int64_t i
        with nogil:
            for i in range(n):
                view[i] = take_noise(&self.params, worker.state)
        return out

    def start_stream(self, WorkerState worker, uint64_t seed, uint64_t stream):
        """Seed the worker's generators as train_batch does for (seed, stream)."""
        start_stream(&self.params, worker.state, seed, stream)

    def _check_ids(self, WorkerState worker, ids):
        if worker.trainer is not self:
            raise ValueError("this WorkerState belongs to another Trainer")
        ids = np.asarray(ids)
        if ids.size == 0:
            raise ValueError("no word ids given")
        if ids.min() < 0 or ids.max() >= self.params.V:
            raise ValueError(f"word ids must lie in [0, {self.params.V})")


cdef class WorkerState:
    """Scratch buffers, random generator and counters of one worker thread."""

    def __cinit__(self, Trainer trainer):
        self.trainer = trainer
        self.state = <ThreadState *>alloc_lines(sizeof(ThreadState))
        if self.state == NULL:
            raise MemoryError("cannot allocate worker state")
        s = self.state
        s.hs_gathered = -1
        cdef int K = trainer.params.K
        cdef const TrainParams *p = &trainer.params
        s.hidden = self._alloc(K * sizeof(real))
        s.grad = self._alloc(K * sizeof(real))
        if p.centre_once:
            s.window_grad = self._alloc(K * sizeof(real))
        s.kept_capacity = 10000
        s.kept = <int32_t *>self._alloc(s.kept_capacity * sizeof(int32_t))
        if p.softmax:
            s.scores = self._alloc(p.V * sizeof(real))
        if p.hs:
            s.hs_rows = self._alloc(p.hs_max_depth * K * sizeof(real))
            s.hs_rows_start = self._alloc(p.hs_max_depth * K * sizeof(real))
            s.hs_steps = self._alloc(p.hs_max_depth * sizeof(real))
        if p.hot_words:
            s.hot_in = self._alloc(p.hot_words * K * sizeof(real))
            s.hot_in_base = self._alloc(p.hot_words * K * sizeof(real))
            if p.negative:
                s.hot_ns = self._alloc(p.hot_words * K * sizeof(real))
                s.hot_ns_base = self._alloc(p.hot_words * K * sizeof(real))
        if p.hot_nodes:
            s.hot_hs = self._alloc(p.hot_nodes * K * sizeof(real))
            s.hot_hs_base = self._alloc(p.hot_nodes * K * sizeof(real))
        if p.shared_negatives:
            contexts, targets = 2 * p.window, 1 + p.negative
            s.block_ids_in = <int32_t *>self._alloc(contexts * sizeof(int32_t))
            s.block_ids_out = <int32_t *>self._alloc(targets * sizeof(int32_t))
            s.block_in = self._alloc(contexts * K * sizeof(real))
            s.block_out = self._alloc(targets * K * sizeof(real))
            s.block_scores = self._alloc(contexts * targets * sizeof(real))
            s.block_steps_t = self._alloc(contexts * targets * sizeof(real))

    cdef real *_alloc(self, size_t bytes) except NULL:
        cdef void *p = alloc_lines(bytes)
        if p == NULL:
            raise MemoryError(f"cannot allocate {bytes} bytes of worker buffers")
        return <real *>p

    def __dealloc__(self):
        s = self.state
        if s == NULL:
            return
        free_lines(s.hidden)
        free_lines(s.grad)
        free_lines(s.window_grad)
        free_lines(s.scores)
        free_lines(s.kept)
        free_lines(s.hot_in)
        free_lines(s.hot_in_base)
        free_lines(s.hot_ns)
        free_lines(s.hot_ns_base)
        free_lines(s.hot_hs)
        free_lines(s.hot_hs_base)
        free_lines(s.hs_rows)
        free_lines(s.hs_rows_start)
        free_lines(s.hs_steps)
        free_lines(s.block_ids_in)
        free_lines(s.block_ids_out)
        free_lines(s.block_in)
        free_lines(s.block_out)
        free_lines(s.block_scores)
        free_lines(s.block_steps_t)
        free_lines(s)

    @property
    def raw_words_read(self):
        """Tokens read so far by a file-mode call (read while it runs, for progress)."""
        return self.state.raw_words_read

    def request_stop(self):
        """Ask a running file-mode call to stop after its current sentence."""
        self.state.stop_requested = 1

    @property
    def words_trained(self):
        """Words left after subsampling so far in the current call."""
        return self.state.words_trained

    @property
    def loss(self):
        """Loss summed so far in the current call (0.0 unless compute_loss; for progress)."""
        return self.state.loss

    @property
    def predictions(self):
        """Predictions made so far in the current call (for progress)."""
        return self.state.predictions

    @property
    def rng(self):
        """The generator state (settable, so tests can replay a sequence)."""
        return self.state.rng

    @rng.setter
    def rng(self, uint64_t value):
        self.state.rng = value


def seeded_rng_states(uint64_t seed, uint64_t stream):
    """(main, noise) generator states a batch with (seed, stream) starts from."""
    return rng_seed(seed, stream), rng_seed(seed ^ NOISE_SEED_SALT, stream)


def sigmoid_tables():
    """(sigmoid, log_sigmoid) tables as float32 arrays, plus the bound, for the tests."""
    sig = np.empty(SIGMOID_TABLE_SIZE, dtype=np.float32)
    logsig = np.empty(SIGMOID_TABLE_SIZE, dtype=np.float32)
    for i in range(SIGMOID_TABLE_SIZE):
        sig[i] = SIGMOID[i]
        logsig[i] = LOG_SIGMOID[i]
    return sig, logsig, float(SIGMOID_BOUND)
