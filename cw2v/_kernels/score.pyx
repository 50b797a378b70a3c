# cython: language_level=3
"""Log-probability of sentences under a trained hierarchical-softmax model.

gensim's ``Word2Vec.score`` (Taddy, "Document Classification by Inversion of
Distributed Language Representations", 2015): every prediction the model
would make on a sentence, with the full window (no random shrinking) and no
subsampling, scored instead of trained. A prediction of word ``w`` from a
vector ``h`` has the log-probability of ``w``'s Huffman path::

    log p(w | h) = sum over the path's nodes d of  log sigmoid((1 - 2 code_d) * h . w_out_hs[point_d])

(code 0 means the branch whose label is 1, as in training). Skip-gram scores
every (context word, centre word) pair of a window, ``h`` being the context
word's input vector; CBOW scores each centre word from the sum (or mean,
``cbow_mean``) of its window's input vectors. A sentence's score is the sum.

The log-sigmoid is computed exactly, in double precision, for every value.
gensim reads it from a 1000-entry table over [-6, 6) indexed with the scale
83 (``1000 / 6 / 2`` in C integer arithmetic) instead of 83.33, so each term
is read up to about 0.06 too low, and it drops terms outside (-6, 6), so a
confidently wrong prediction costs nothing there: its sums come out lower
than these (by about 2% on a small test model) and can be higher for
sentences the model finds very unlikely.

Arrays in, numbers out: :class:`HsScorer` checks the model's arrays once;
:meth:`HsScorer.score` then scores batches of id sentences without the GIL,
so threads can score batches side by side.
"""
import numpy as np

cimport numpy as cnp
from libc.math cimport exp, log1p
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport calloc, free

from cw2v._kernels.blas cimport axpy, dot, scal

cnp.import_array()


cdef inline double log_sigmoid(double x) noexcept nogil:
    """log(1 / (1 + exp(-x))), without overflow at either end."""
    if x >= 0:
        return -log1p(exp(-x))
    return x - log1p(exp(x))


cdef double path_log_probability(const float *hidden, const float *w_out_hs, int k,
                                 const uint8_t *codes, const int32_t *points,
                                 int64_t depth) noexcept nogil:
    """sum_d log sigmoid((1 - 2 codes[d]) * hidden . w_out_hs[points[d]])"""
    cdef double total = 0.0, logit
    cdef int64_t d
    for d in range(depth):
        logit = dot(k, hidden, w_out_hs + <int64_t>points[d] * k)
        total += log_sigmoid(-logit if codes[d] else logit)
    return total


cdef class HsScorer:
    """A trained hierarchical-softmax model's arrays, checked once, for scoring.

    Parameters
    ----------
    w_in : float32 (V, K), C-contiguous
        Input word vectors.
    w_out_hs : float32 (V-1, K), C-contiguous
        Inner-node vectors of the Huffman tree.
    codes, points, offsets : uint8 (L,), int32 (L,), int64 (V+1,)
        Flattened Huffman paths (see cw2v.vocab.huffman): word w's path is
        ``[offsets[w], offsets[w+1])``, root first.
    window : int >= 1
        Largest distance between a centre word and a context word.
    sg : bool
        Skip-gram (True) or CBOW (False).
    cbow_mean : bool
        CBOW: average the context vectors (True) or sum them.

    The arrays are kept, not copied; they must not change while scoring.
    """
    cdef object _keep
    cdef const float *w_in
    cdef const float *w_out_hs
    cdef const uint8_t *codes
    cdef const int32_t *points
    cdef const int64_t *offsets
    cdef int64_t V
    cdef readonly int vector_size, window
    cdef readonly bint sg, cbow_mean

    def __init__(self, w_in, w_out_hs, codes, points, offsets, int window, bint sg, bint cbow_mean):
        w_in = _checked(w_in, "w_in", np.float32, 2)
        V, K = w_in.shape
        if V < 2 or K < 1:
            raise ValueError(f"scoring needs at least 2 words and 1 dimension, w_in has shape {w_in.shape}")
        w_out_hs = _checked(w_out_hs, "w_out_hs", np.float32, 2)
        if w_out_hs.shape != (V - 1, K):
            raise ValueError(f"w_out_hs must have shape ({V - 1}, {K}) for w_in of shape {w_in.shape}, "
                             f"got {w_out_hs.shape}")
        offsets = _checked(offsets, "offsets", np.int64, 1)
        if offsets.shape != (V + 1,) or offsets[0] != 0 or np.any(np.diff(offsets) < 1):
            raise ValueError(f"offsets must be {V + 1} increasing int64 from 0 (every word has a path)")
        codes = _checked(codes, "codes", np.uint8, 1)
        points = _checked(points, "points", np.int32, 1)
        if codes.shape != (offsets[V],) or points.shape != (offsets[V],):
            raise ValueError(f"codes and points must hold offsets[-1] = {offsets[V]} entries, "
                             f"got {codes.shape[0]} and {points.shape[0]}")
        if points.min() < 0 or points.max() > V - 2 or codes.max() > 1:
            raise ValueError(f"points must lie in [0, {V - 2}] and codes be 0 or 1")
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self._keep = (w_in, w_out_hs, codes, points, offsets)
        self.w_in = <const float *>cnp.PyArray_DATA(<cnp.ndarray>w_in)
        self.w_out_hs = <const float *>cnp.PyArray_DATA(<cnp.ndarray>w_out_hs)
        self.codes = <const uint8_t *>cnp.PyArray_DATA(<cnp.ndarray>codes)
        self.points = <const int32_t *>cnp.PyArray_DATA(<cnp.ndarray>points)
        self.offsets = <const int64_t *>cnp.PyArray_DATA(<cnp.ndarray>offsets)
        self.V, self.vector_size, self.window = V, K, window
        self.sg, self.cbow_mean = sg, cbow_mean

    def score(self, word_ids, sentence_ends):
        """Log-probability of each sentence: float64 (S,).

        ``word_ids``: int32 (N,), the sentences' word ids one after another;
        ``sentence_ends``: int64 (S,), where each sentence ends in
        ``word_ids`` (non-decreasing, the last equal to N). Runs without the GIL.
        """
        ids = _checked(word_ids, "word_ids", np.int32, 1)
        ends = _checked(sentence_ends, "sentence_ends", np.int64, 1)
        n_words, n_sentences = ids.shape[0], ends.shape[0]
        if n_words and (ids.min() < 0 or ids.max() >= self.V):
            raise ValueError(f"word ids must lie in [0, {self.V - 1}]")
        if (n_sentences and (ends[0] < 0 or np.any(np.diff(ends) < 0) or ends[n_sentences - 1] != n_words)) \
                or (not n_sentences and n_words):
            raise ValueError(f"sentence_ends must be non-decreasing, from >= 0 to the number of ids ({n_words})")
        result = np.zeros(n_sentences, dtype=np.float64)
        cdef double[::1] out = result
        cdef const int32_t[::1] id_view = ids
        cdef const int64_t[::1] end_view = ends
        cdef const int32_t *sentence = &id_view[0] if n_words else NULL
        cdef int64_t s, length, start = 0, count = n_sentences
        cdef float *hidden = <float *>calloc(self.vector_size, sizeof(float))
        if hidden == NULL:
            raise MemoryError()
        try:
            with nogil:
                for s in range(count):
                    length = end_view[s] - start
                    if self.sg:
                        out[s] = self._skip_gram(sentence, length)
                    else:
                        out[s] = self._cbow(sentence, length, hidden)
                    sentence += length
                    start = end_view[s]
        finally:
            free(hidden)
        return result

    cdef double _skip_gram(self, const int32_t *words, int64_t length) noexcept nogil:
        """Every context word's input vector predicting its centre word."""
        cdef double total = 0.0
        cdef int64_t i, j, first, last, path
        cdef int k = self.vector_size
        for i in range(length):
            path = self.offsets[words[i]]
            first, last = max(0, i - self.window), min(length, i + self.window + 1)
            for j in range(first, last):
                if j != i:
                    total += path_log_probability(self.w_in + <int64_t>words[j] * k, self.w_out_hs, k,
                                                  self.codes + path, self.points + path,
                                                  self.offsets[words[i] + 1] - path)
        return total

    cdef double _cbow(self, const int32_t *words, int64_t length, float *hidden) noexcept nogil:
        """Each centre word predicted from its window's summed (or mean) input vectors."""
        cdef double total = 0.0
        cdef int64_t i, j, first, last, path, n_context, d
        cdef int k = self.vector_size
        for i in range(length):
            for d in range(k):
                hidden[d] = 0.0
            first, last = max(0, i - self.window), min(length, i + self.window + 1)
            n_context = 0
            for j in range(first, last):
                if j != i:
                    axpy(k, 1.0, self.w_in + <int64_t>words[j] * k, hidden)  # hidden += w_in[words[j]]
                    n_context += 1
            if self.cbow_mean and n_context > 1:
                scal(k, 1.0 / n_context, hidden)
            path = self.offsets[words[i]]
            total += path_log_probability(hidden, self.w_out_hs, k, self.codes + path, self.points + path,
                                          self.offsets[words[i] + 1] - path)
        return total


def _checked(value, name, dtype, ndim):
    """``value`` as a C-contiguous array of ``dtype`` and ``ndim`` dimensions, never silently copied."""
    if not isinstance(value, np.ndarray) or value.dtype != dtype or value.ndim != ndim:
        got = f"{value.dtype} of shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise TypeError(f"{name} must be a {ndim}-d numpy array of {np.dtype(dtype)}, got {got}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous; pass np.ascontiguousarray({name})")
    return value
