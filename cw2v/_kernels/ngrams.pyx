"""fastText's character n-grams and their hash rows (``src_c/ngrams.c``).

Facebook fastText's rule (see ``src_c/ngrams.h``): the word is wrapped as
``<word>``, every run of ``min_n..max_n`` UTF-8 characters is an n-gram
(except ``<`` and ``>`` alone), an n-gram's hash is FNV-1a over its bytes
taken as signed chars, and its row in the ``(nwords + bucket) x K`` input
matrix is ``nwords + hash % bucket``.

* :func:`vocabulary_subwords`: the rows of every vocabulary word in one call,
  as a CSR (``offsets``, ``rows``) for the training kernels and for
  composing word vectors; each word's own row comes first.
* :func:`ngram_rows`: the n-gram rows of one word outside the vocabulary.
* :func:`ngram_hashes`, :func:`ngrams`, :func:`fasttext_hash`: the pieces,
  for tests and for gensim's ``ft_ngram_hashes`` / ``compute_ngrams``.

A ``str`` word is hashed as its UTF-8 bytes; lone surrogates (a word read
from invalid UTF-8 with ``errors="surrogateescape"``) turn back into the
original bytes, so a word from a fastText ``.bin`` hashes as it did there.
"""
import numpy as np

cimport numpy as cnp
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.stdint cimport INT32_MAX, int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp

from cw2v._kernels.common cimport rng_next, rng_seed

cnp.import_array()

cdef extern from "ngrams.h" nogil:
    uint32_t cw2v_fasttext_hash(const char *bytes, size_t len)
    int64_t cw2v_ngrams(const char *word, size_t len, int min_n, int max_n,
                        uint32_t *hashes, int64_t *starts, int64_t *ends, size_t cap)
    int64_t cw2v_ngram_rows(const char *word, size_t len, int min_n, int max_n,
                            uint32_t bucket, int32_t nwords, int32_t *rows, size_t cap)

# fastText's end-of-sentence token: in the vocabulary, but without n-grams.
EOS = "</s>"
cdef bytes _EOS_BYTES = b"</s>"


def utf8_bytes(word):
    """The bytes fastText would see for ``word`` (a str or bytes).

    Lone surrogates from ``surrogateescape`` decoding become their original
    bytes again; any other lone surrogate is kept as its 3-byte encoding
    (``surrogatepass``, how cw2v's bundles store such keys).
    """
    if isinstance(word, bytes):
        return word
    if not isinstance(word, str):
        raise TypeError(f"words must be str or bytes, got {type(word).__name__} ({word!r})")
    try:
        return word.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return word.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return word.encode("utf-8", "surrogatepass")


cdef int _check_lengths(int min_n, int max_n) except -1:
    if min_n < 0 or max_n < 0:
        raise ValueError(f"min_n and max_n must be >= 0, got min_n={min_n}, max_n={max_n}")
    return 0


def fasttext_hash(word):
    """fastText's 32-bit hash of ``word`` (str or bytes): ``dictionary.cc``'s ``hash``."""
    cdef bytes data = utf8_bytes(word)
    return cw2v_fasttext_hash(data, len(data))


def ngrams(word, int min_n, int max_n):
    """The n-grams of ``<word>`` of ``min_n..max_n`` characters, as str, in fastText's order.

    fastText's ``get_subwords(word)`` lists the same strings after the word
    itself (for a vocabulary word).
    """
    _check_lengths(min_n, max_n)
    cdef bytes data = utf8_bytes(word)
    cdef bytes wrapped = b"<" + data + b">"
    cdef int64_t n = cw2v_ngrams(data, len(data), min_n, max_n, NULL, NULL, NULL, 0)
    cdef cnp.ndarray[int64_t] starts = np.empty(n, dtype=np.int64)
    cdef cnp.ndarray[int64_t] ends = np.empty(n, dtype=np.int64)
    if n:
        cw2v_ngrams(data, len(data), min_n, max_n, NULL, &starts[0], &ends[0], n)
    return [wrapped[a:b].decode("utf-8", "surrogateescape") for a, b in zip(starts.tolist(), ends.tolist())]


def ngram_hashes(word, int min_n, int max_n, long long bucket):
    """uint32 ``hash % bucket`` of each n-gram of ``<word>``: gensim's ``ft_ngram_hashes``."""
    _check_lengths(min_n, max_n)
    _check_bucket(bucket, 0)
    cdef cnp.ndarray[int32_t] rows = ngram_rows(word, min_n, max_n, bucket, 0)
    return rows.astype(np.uint32)


def ngram_rows(word, int min_n, int max_n, long long bucket, long long nwords):
    """int32 rows ``nwords + hash % bucket`` of the n-grams of a word outside the vocabulary.

    Empty when the word has no n-gram of ``min_n..max_n`` characters, when
    ``bucket`` is 0, or for ``</s>`` (fastText gives it none).
    """
    _check_lengths(min_n, max_n)
    _check_bucket(bucket, nwords)
    cdef bytes data = utf8_bytes(word)
    if bucket == 0 or data == _EOS_BYTES:
        return np.empty(0, dtype=np.int32)
    cdef int64_t n = cw2v_ngrams(data, len(data), min_n, max_n, NULL, NULL, NULL, 0)
    cdef cnp.ndarray[int32_t] rows = np.empty(n, dtype=np.int32)
    if n:
        cw2v_ngram_rows(data, len(data), min_n, max_n, <uint32_t>bucket, <int32_t>nwords, &rows[0], n)
    return rows


cdef int _check_bucket(long long bucket, long long nwords) except -1:
    if bucket < 0 or nwords < 0:
        raise ValueError(f"bucket and the number of words must be >= 0, got {bucket} and {nwords}")
    if nwords + bucket > <long long>INT32_MAX + 1:
        raise ValueError(f"{nwords} words + {bucket} buckets is more rows than an int32 index reaches "
                         "(2**31); use fewer buckets")
    return 0


def vocabulary_subwords(words, int min_n, int max_n, long long bucket):
    """Input-matrix rows of every word of a vocabulary, as a CSR.

    Parameters
    ----------
    words : sequence of str (or bytes), length V
        The vocabulary in row order: word ``i`` owns row ``i``.
    min_n, max_n : int
        n-gram lengths in characters (no n-grams when ``max_n < min_n`` or ``max_n == 0``).
    bucket : int
        Number of n-gram rows; they follow the ``V`` word rows. 0: no n-grams.

    Returns
    -------
    offsets : numpy.ndarray of int64, shape (V + 1,)
    rows : numpy.ndarray of int32, shape (offsets[V],)
        Word ``i`` is the mean of the rows ``rows[offsets[i]:offsets[i + 1]]``
        of the ``(V + bucket) x K`` input matrix: ``i`` itself, then
        ``V + hash % bucket`` for each of its n-grams in fastText's order
        (repeats kept). ``</s>`` has its own row only.
    """
    _check_lengths(min_n, max_n)
    cdef Py_ssize_t n_words = len(words)
    _check_bucket(bucket, n_words)
    cdef const char **data = <const char **>malloc(max(n_words, 1) * sizeof(char *))
    cdef Py_ssize_t *lengths = <Py_ssize_t *>malloc(max(n_words, 1) * sizeof(Py_ssize_t))
    cdef list kept = []  # owners of bytes whose pointers are used below
    cdef Py_ssize_t i
    cdef int64_t total = 0, k
    cdef uint32_t buckets = <uint32_t>bucket
    cdef int32_t nwords = <int32_t>n_words
    cdef cnp.ndarray[int64_t] offsets = np.empty(n_words + 1, dtype=np.int64)
    cdef cnp.ndarray[int32_t] rows
    cdef int64_t *offs = &offsets[0]
    cdef int32_t *out
    if data == NULL or lengths == NULL:
        free(data)
        free(lengths)
        raise MemoryError(f"no memory for the addresses of {n_words} words")
    try:
        for i in range(n_words):
            _word_bytes(words[i], &data[i], &lengths[i], kept)
        with nogil:
            offs[0] = 0
            for i in range(n_words):
                total += 1 + _word_ngram_count(data[i], lengths[i], min_n, max_n, buckets)
                offs[i + 1] = total
        rows = np.empty(total, dtype=np.int32)
        out = &rows[0] if total else NULL
        with nogil:
            for i in range(n_words):
                k = offs[i]
                out[k] = <int32_t>i
                if offs[i + 1] > k + 1:
                    cw2v_ngram_rows(data[i], lengths[i], min_n, max_n, buckets, nwords,
                                    out + k + 1, offs[i + 1] - k - 1)
    finally:
        free(data)
        free(lengths)
    return offsets, rows


cdef int _word_bytes(object word, const char **data, Py_ssize_t *length, list kept) except -1:
    """Point data/length at the UTF-8 of word; the str's own cached UTF-8 when it has one."""
    if isinstance(word, str):
        try:
            data[0] = PyUnicode_AsUTF8AndSize(word, length)
            return 0
        except UnicodeEncodeError:
            pass
    cdef bytes encoded = utf8_bytes(word)
    kept.append(encoded)
    data[0] = encoded
    length[0] = len(encoded)
    return 0


cdef inline int64_t _word_ngram_count(const char *data, Py_ssize_t length, int min_n, int max_n,
                                      uint32_t bucket) noexcept nogil:
    """n-gram rows of a vocabulary word: none for ``</s>`` or without buckets."""
    if bucket == 0:
        return 0
    if length == 4 and memcmp(data, b"</s>", 4) == 0:
        return 0
    return cw2v_ngrams(data, length, min_n, max_n, NULL, NULL, NULL, 0)


def mean_rows(const float[:, ::1] matrix, const int64_t[::1] offsets, const int32_t[::1] rows,
              float[:, ::1] out):
    """Compose word vectors: ``out[i] = mean(matrix[rows[offsets[i]:offsets[i + 1]]])``.

    Parameters
    ----------
    matrix : float32 (R, K)
        The input matrix (word rows, then n-gram rows).
    offsets : int64 (N + 1,), rows : int32 (offsets[N],)
        A CSR as :func:`vocabulary_subwords` makes, or one word's rows with ``offsets = [0, n]``.
    out : float32 (N, K), written
        An empty list of rows gives a zero vector.

    fastText's arithmetic, so composed vectors equal its ``getWordVector``
    bit for bit: a float32 sum in list order, then a product with the
    float32 ``1 / n``. Runs without the GIL.
    """
    cdef Py_ssize_t n_out = out.shape[0], dim = matrix.shape[1], n_rows = matrix.shape[0]
    cdef Py_ssize_t i, j, d
    cdef int64_t start, stop
    cdef float scale
    cdef float *target
    cdef const float *source
    cdef const float *base
    if offsets.shape[0] != n_out + 1 or out.shape[1] != dim:
        raise ValueError(f"{offsets.shape[0] - 1} words in the CSR, {n_out} x {out.shape[1]} output rows for "
                         f"{dim}-dimensional vectors; they must agree")
    offsets_array = np.asarray(offsets)
    rows_array = np.asarray(rows)
    if offsets_array[0] != 0 or offsets_array[-1] != rows.shape[0] or np.any(np.diff(offsets_array) < 0):
        raise ValueError("offsets must rise from 0 to the number of rows")
    if rows.shape[0] and (rows_array.min() < 0 or rows_array.max() >= n_rows):
        raise ValueError(f"a subword row lies outside the {n_rows}-row input matrix")
    if n_out == 0:
        return
    base = &matrix[0, 0] if n_rows else NULL
    with nogil:
        for i in range(n_out):
            # Raw pointers so the compiler vectorises over d; each element
            # still sums its rows in list order, so results do not change.
            target = &out[i, 0]
            for d in range(dim):
                target[d] = 0
            start, stop = offsets[i], offsets[i + 1]
            for j in range(start, stop):
                source = base + <Py_ssize_t>rows[j] * dim
                for d in range(dim):
                    target[d] += source[d]
            if stop > start:
                scale = <float>(1.0 / <double>(stop - start))
                for d in range(dim):
                    target[d] *= scale


def fill_uniform_rows(float[:, ::1] out, const int64_t[::1] ids, uint64_t seed,
                      uint64_t stream, float half_width):
    """``out[i]`` := a row uniform in ``[-half_width, half_width)`` drawn for the id ``ids[i]``.

    Each row comes from its own generator, seeded by (``seed``, ``stream``,
    ``ids[i]``), so a row's values depend on its id alone: a compact model
    that keeps some of the buckets draws them exactly as the full
    ``bucket``-row matrix would, without drawing the others.  The generator
    is cw2v's LCG (``src_c/cw2v_rng.h``); 24 bits per value.  Runs without
    the GIL.
    """
    cdef Py_ssize_t n = out.shape[0], dim = out.shape[1], i, d
    cdef uint64_t key, state
    cdef float *target
    cdef float width = 2 * half_width, unit = 1.0 / (1 << 24)
    if ids.shape[0] != n:
        raise ValueError(f"{ids.shape[0]} ids for {n} rows; they must agree")
    key = rng_seed(seed, stream)
    with nogil:
        for i in range(n):
            state = rng_seed(key, <uint64_t>ids[i])
            target = &out[i, 0]
            for d in range(dim):
                target[d] = (rng_next(&state) >> 8) * unit * width - half_width
