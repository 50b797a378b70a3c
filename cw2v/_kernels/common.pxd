# Types, constants and the two structs every training kernel shares.
#
# Glossary (word2vec.c name -> cw2v name):
#   syn0    -> w_in       input word vectors, V x K (model.wv.vectors)
#   syn1neg -> w_out_ns   output word vectors for negative sampling, V x K
#   syn1    -> w_out_hs   inner-node vectors of the Huffman tree, (V-1) x K
#   (none)  -> w_out_sm   output word vectors for the full softmax, V x K
#   neu1    -> hidden     a formed input vector (CBOW context, subword mean)
#   neu1e   -> grad       step accumulated for that vector, already times alpha
#   cw      -> n_context  number of context words in a CBOW window
# All matrices are row-major float32, one row per word (or inner node).

from libc.stdint cimport uint8_t, int32_t, uint32_t, int64_t, uint64_t

ctypedef float real

cdef extern from "cw2v_rng.h" nogil:
    uint32_t rng_next "cw2v_rng_next"(uint64_t *state)
    uint32_t rng_below "cw2v_rng_below"(uint64_t *state, uint32_t n)
    uint64_t rng_seed "cw2v_rng_seed"(uint64_t seed, uint64_t stream)

# Sigmoid and log-sigmoid are read from tables over (-SIGMOID_BOUND,
# SIGMOID_BOUND), SIGMOID_TABLE_SIZE equal bins, each holding the value at its
# centre.  Outside the bound sigmoid is taken as exactly 0 or 1: the update is
# clamped, for hierarchical softmax and negative sampling alike (word2vec.c
# skips the hierarchical-softmax update there instead; cw2v does not, because
# a confident wrong prediction is exactly the one that should be corrected).
cdef enum:
    SIGMOID_TABLE_SIZE = 1024
    SIGMOID_BOUND = 6

cdef extern from "cw2v_memory.h" nogil:
    void *alloc_lines "cw2v_alloc_lines"(size_t bytes)
    void free_lines "cw2v_free_lines"(void *p)

cdef extern from "cw2v_atomic.h" nogil:
    int64_t atomic_increment "cw2v_atomic_increment"(int64_t *counter)
    int64_t atomic_read "cw2v_atomic_read"(const int64_t *counter)

cdef extern from "cw2v_prefetch.h" nogil:
    void prefetch "cw2v_prefetch"(const void *address, size_t bytes)

# A uint32 threshold equal to this means "always" (probability one).
cdef enum:
    ALWAYS = 0xFFFFFFFF

# Per-thread copies of the hot rows are merged into the shared matrices every
# this many trained words (after subsampling).
cdef enum:
    HOT_SYNC_WORDS = 4096

# Noise words are drawn this many ahead of use, so their rows can be
# prefetched while earlier predictions compute (a power of two).
cdef enum:
    NOISE_AHEAD = 32


cdef struct TrainParams:
    # Read-only during training, shared by all threads.
    real *w_in              # V x K (V + buckets rows with subwords)
    real *w_out_ns          # V x K, or NULL without negative sampling
    real *w_out_hs          # (V-1) x K, or NULL without hierarchical softmax
    real *w_out_sm          # V x K, or NULL without full softmax
    int K                   # vector size
    int32_t V               # vocabulary size
    int sg                  # 1: skip-gram, 0: CBOW
    int cbow_mean           # CBOW: 1 averages the context vectors, 0 sums them
    int window              # maximal distance between centre and context
    int shrink_windows      # draw the effective window uniformly in 1..window
    int negative            # noise words per prediction (0: no negative sampling)
    int hs                  # hierarchical softmax on/off
    int softmax             # full softmax on/off
    int compute_loss        # accumulate the negative log-likelihood
    int shared_negatives    # skip-gram: one set of noise words per window
    # Hot rows: the rows every thread writes most (the most frequent words,
    # rows 0..hot_words-1 of w_in and w_out_ns with a count-sorted vocabulary;
    # the inner nodes nearest the root, hot_first_node..V-2 of w_out_hs) are
    # trained in per-thread copies whose change is merged into the shared
    # matrices every HOT_SYNC_WORDS words.  Writing them in place from every
    # thread made the cores fight over their cache lines (measured: two
    # workers no faster than one on CBOW with hierarchical softmax).
    int hot_words           # 0 disables
    int hot_nodes
    int32_t hot_first_node  # V - 1 - hot_nodes
    # Merges of the hot nodes so far, by all threads (bumped atomically).  A
    # thread whose copy was loaded before k other merges adds 1/(k+1) of its
    # change: every prediction updates the nodes nearest the root, so within
    # one interval each thread moves them most of the way to the same
    # optimum, and adding every thread's whole change overshot it (measured:
    # a higher loss than training them in place).  Word rows are updated
    # far less often per interval and keep the plain sum (averaging them
    # measured worse on CBOW).
    int64_t *hot_node_merges
    # Hierarchical softmax: word w's path is [hs_offsets[w], hs_offsets[w+1]).
    const uint8_t *hs_codes     # branch taken at each node (0/1)
    const int32_t *hs_points    # inner-node index at each step (root = V-2)
    const int64_t *hs_offsets   # V+1 offsets
    int hs_max_depth            # longest path (rows of the gathered block)
    # Negative sampling: alias table over counts**ns_exponent.
    const uint32_t *noise_accept  # V
    const int32_t *noise_alias    # V
    # Subsampling: keep word w iff r < keep_threshold[w] (or it is ALWAYS).
    const uint32_t *keep_threshold  # V, or NULL to keep every word
    # Input former (see "input formers" in train.pyx).  NULL: word w's input
    # vector is row w of w_in (word2vec).  Set: it is the mean of the rows
    # subword_rows[subword_offsets[w]:subword_offsets[w+1]] of w_in, which then
    # has V + buckets rows (fastText: the word's own row and its n-gram rows).
    const int64_t *subword_offsets  # V+1, or NULL
    const int32_t *subword_rows     # subword_offsets[V] row indices into w_in
    # Skip-gram with subwords: form the centre's mean once per window and
    # scatter the window's summed step once (1), or per pair (0, fastText's).
    int centre_once
    # With centre_once: how far each word's subword mean moves per unit of
    # step added to its rows (mean_step_factor, worked out once per Trainer).
    const real *mean_steps          # V, or NULL
    # Lock factors (gensim's vectors_lockf): every update of row r of w_in is
    # multiplied by lockf[r]; 0 freezes the row.
    const real *lockf               # one per row of w_in, or NULL for all ones


cdef struct ThreadState:
    # Owned by one thread; scratch buffers are allocated once per thread.
    real *hidden            # K
    real *grad              # K
    real *window_grad       # K, the window's summed step (centre_once), else NULL
    real *scores            # V, full-softmax scores/probabilities (else NULL)
    int32_t *kept           # words of the current sentence after subsampling
    int64_t kept_capacity
    uint64_t rng            # generator for subsampling and window shrinking
    uint64_t noise_rng      # generator for noise words (its own stream, drawn ahead)
    int32_t noise_ahead[NOISE_AHEAD]   # the next noise words, in draw order (a ring)
    int noise_next          # ring position of the next noise word to use
    real alpha              # learning rate of the current word
    # Counters, reset by the caller at the start of each batch.
    double loss             # sum of -log p over the predictions made
    int64_t predictions     # number of predictions (sg pairs, CBOW windows)
    int64_t words_trained   # centre words left after subsampling
    int64_t raw_words_read  # file mode: corpus tokens read so far (for progress)
    int stop_requested      # file mode: set by another thread to end the range early
    # Hot rows (see TrainParams): this thread's copies, and the shared values
    # they were copied from (their difference is this thread's change).
    real *hot_in            # hot_words x K
    real *hot_in_base
    real *hot_ns            # hot_words x K
    real *hot_ns_base
    real *hot_hs            # hot_nodes x K
    real *hot_hs_base
    int64_t words_since_sync
    int64_t hot_node_merges_seen    # hot_node_merges when the copies were loaded
    # Hierarchical softmax: the target's path rows, gathered into a block.
    real *hs_rows           # hs_max_depth x K, updated in place during predictions
    real *hs_rows_start     # the same rows as gathered, to find this thread's steps
    real *hs_steps          # hs_max_depth: logits, then steps
    int64_t hs_path         # offset of the gathered path in hs_codes / hs_points
    int hs_depth            # its length
    int32_t hs_gathered     # the word whose path is gathered, or -1
    # Shared-negatives skip-gram: the window's rows gathered into blocks.
    int32_t *block_ids_in   # 2 * window context word ids
    int32_t *block_ids_out  # 1 + negative target ids (centre, then noise)
    real *block_in          # (2 * window) x K context vectors
    real *block_out         # (1 + negative) x K output vectors
    real *block_scores      # (2 * window) x (1 + negative) logits, then steps
    real *block_steps_t     # (1 + negative) x (2 * window) steps, transposed
