"""Counting words and phrases in C for :class:`cw2v.models.phrases.Phrases`.

:class:`PhraseCounts` holds the counts of gensim's ``Phrases.vocab`` (words
and delimiter-joined phrases in one table, keyed by their UTF-8 bytes), split
by key hash over C tables, several per worker (``src_c/phrasecount.c``).
The calling thread packs sentences into a batch (each key hashed once and
filed under the worker that counts it) while the workers count the previous
batch with the GIL released, each into its own parts.  The text of
cw2v's own readers is packed by the shared text walker (:class:`_PhraseWalk`)
without making Python sentences.

:func:`word2phrase` is word2vec.c's ``word2phrase`` tool over files
(``src_c/phrasefile.c``), for ``cw2v phrases``.
"""
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

from cw2v._kernels.textfile cimport (
    CW2V_ERR_CALLBACK, CW2V_ERR_UTF8, CW2V_OK, CW2V_PAUSE, CW2V_UTF8_REPLACED_MAX, TextWalk,
    cw2v_utf8_replace, cw2v_utf8_valid, cw2v_walk_init,
)
from cw2v.io.corpus import walk_text_corpus

logger = logging.getLogger("cw2v.models.phrases")


cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object text, Py_ssize_t *size) except NULL


cdef extern from "phrasecount.h" nogil:
    ctypedef struct cw2v_pc_table:
        pass
    ctypedef struct cw2v_pc_candidate:
        int64_t slot
        int64_t count_a, count_b, count_ab
        double score
    int CW2V_PC_OK, CW2V_PC_NOMEM, CW2V_PC_TOO_LONG, CW2V_PC_FULL, CW2V_PC_BATCH_FULL
    int CW2V_PC_SCORE_DEFAULT, CW2V_PC_SCORE_NPMI, CW2V_PC_SCORE_NONE
    uint64_t cw2v_pc_hash(const char *key, size_t len)
    int cw2v_pc_part(uint64_t hash, int n_parts)
    cw2v_pc_table *cw2v_pc_new(size_t max_keys)
    void cw2v_pc_free(cw2v_pc_table *t)
    int cw2v_pc_add(cw2v_pc_table *t, const char *key, size_t len, uint64_t hash, int64_t n)
    int64_t cw2v_pc_get(const cw2v_pc_table *t, const char *key, size_t len, uint64_t hash)
    int cw2v_pc_prune(cw2v_pc_table *t, int64_t floor)
    int cw2v_pc_merge(cw2v_pc_table *dst, const cw2v_pc_table *src)
    size_t cw2v_pc_size(const cw2v_pc_table *t)
    size_t cw2v_pc_key_bytes(const cw2v_pc_table *t)
    int64_t cw2v_pc_floor(const cw2v_pc_table *t)
    int64_t cw2v_pc_prune_rounds(const cw2v_pc_table *t)
    void cw2v_pc_set_floor(cw2v_pc_table *t, int64_t floor)
    size_t cw2v_pc_capacity(const cw2v_pc_table *t)
    int64_t cw2v_pc_slot(const cw2v_pc_table *t, size_t i, const char **key, size_t *len)
    ctypedef struct cw2v_pc_batch:
        size_t used
        int64_t words, sentences
    size_t CW2V_PC_BATCH_BYTES
    int cw2v_pc_batch_init(cw2v_pc_batch *b, int n_parts, int n_workers,
                           const cw2v_pc_table *connectors, const char *delimiter,
                           size_t delimiter_len)
    void cw2v_pc_batch_free(cw2v_pc_batch *b)
    void cw2v_pc_batch_clear(cw2v_pc_batch *b)
    int cw2v_pc_batch_word(cw2v_pc_batch *b, const char *word, size_t len)
    void cw2v_pc_batch_end_sentence(cw2v_pc_batch *b)
    int cw2v_pc_count_batch(cw2v_pc_table *const *parts, int worker, const cw2v_pc_batch *b)
    int64_t cw2v_pc_candidates(const cw2v_pc_table *const *parts, int n_parts, int part_index,
                               const char *delimiter, size_t delimiter_len, int scoring,
                               double min_count, double threshold, double len_vocab,
                               double corpus_word_count, cw2v_pc_candidate *out, int64_t room)
    double cw2v_pc_score(int scoring, int64_t a, int64_t b, int64_t ab, double min_count,
                         double len_vocab, double corpus_word_count)


SCORING_CODES = {"default": CW2V_PC_SCORE_DEFAULT, "npmi": CW2V_PC_SCORE_NPMI}
# Words per batch: each holds about 40 bytes a word (keys and text); two are
# held at once, so smaller batches mean less memory, at one hand-over each.
DEFAULT_BATCH_WORDS = 1 << 16
# Parts per worker: a table that grows holds its old and new slots at once
# for a moment, and the smaller each part, the less memory that takes.
PARTS_PER_WORKER = 8


cdef int _check(int status) except -1:
    if status == CW2V_PC_OK:
        return 0
    if status == CW2V_PC_NOMEM:
        raise MemoryError("out of memory while counting phrases; lower max_vocab_size")
    if status == CW2V_PC_TOO_LONG:
        raise ValueError("a word or phrase of 16 MiB or more cannot be counted")
    if status == CW2V_PC_FULL:
        raise ValueError("more than 2**32 - 2 distinct words and phrases in one table; "
                         "lower max_vocab_size or use more workers")
    if status == CW2V_PC_BATCH_FULL:
        raise ValueError("a sentence of 4 GiB or more cannot be counted; split it")
    raise RuntimeError(f"phrase counting failed with status {status}")


cdef bytes _utf8(str text):
    """UTF-8 of any str; lone surrogates survive (as in the bundle's strings)."""
    return text.encode("utf-8", "surrogatepass")


cdef str _text(const char *key, size_t length):
    return key[:length].decode("utf-8", "surrogatepass")


cdef class _Batch:
    """Sentences packed for the counting workers (``cw2v_pc_batch``): every
    key hashed once and filed under the worker that counts it."""
    cdef cw2v_pc_batch b

    def __cinit__(self, PhraseCounts counts not None):
        cdef const char *delimiter = PyBytes_AS_STRING(counts.delimiter_bytes)
        cdef size_t delimiter_size = PyBytes_GET_SIZE(counts.delimiter_bytes)
        if cw2v_pc_batch_init(&self.b, counts.n_parts, counts.n_workers, counts.connectors,
                              delimiter, delimiter_size) != CW2V_PC_OK:
            cw2v_pc_batch_free(&self.b)
            raise MemoryError()

    def __dealloc__(self):
        cw2v_pc_batch_free(&self.b)


cdef class _Pipeline:
    """Hands full batches to the workers: they count one batch while the
    calling thread fills the next (``filling``), so at most two are held."""
    cdef PhraseCounts counts
    cdef _Batch filling, counting
    cdef object pool, pending
    cdef readonly int64_t words, sentences
    cdef int64_t progress_per, next_report

    def __cinit__(self, PhraseCounts counts not None, pool, int64_t progress_per):
        self.counts, self.pool, self.pending = counts, pool, []
        self.filling, self.counting = _Batch(counts), _Batch(counts)
        self.progress_per = self.next_report = progress_per

    cdef int wait(self) except -1:
        pending, self.pending = self.pending, []
        for future in pending:
            _check(future.result())
        return 0

    cdef int submit(self) except -1:
        """Counts the filled batch (once the one before is counted); empties ``filling``."""
        self.wait()
        if self.filling.b.words == 0 and self.filling.b.sentences == 0:
            return 0
        self.words += self.filling.b.words
        self.sentences += self.filling.b.sentences
        if self.progress_per and self.sentences >= self.next_report:
            logger.info("PROGRESS: at sentence #%i, processed %i words and %i word types",
                        self.sentences, self.words, len(self.counts))
            self.next_report = (self.sentences // self.progress_per + 1) * self.progress_per
        self.filling, self.counting = self.counting, self.filling
        cw2v_pc_batch_clear(&self.filling.b)
        self.pending = [self.pool.submit(self.counts._count_batch, self.counting, w)
                        for w in range(self.counts.n_workers)]
        return 0


cdef inline bint _batch_full(const cw2v_pc_batch *batch, int64_t batch_words) noexcept nogil:
    """Whether to hand the batch over (after a sentence)."""
    return batch.words >= batch_words or batch.used >= CW2V_PC_BATCH_BYTES


cdef struct _WalkSink:
    cw2v_pc_batch *batch
    int strict
    int status                 # a cw2v_pc_* error of the last word
    int64_t batch_words        # pause after a sentence that fills the batch this far
    char *scratch              # a replaced ill-formed word
    size_t scratch_cap


cdef int _walk_word(void *ctx, const char *data, size_t size) noexcept nogil:
    cdef _WalkSink *s = <_WalkSink *>ctx
    cdef char *grown
    if not cw2v_utf8_valid(data, size):
        if s.strict:
            return CW2V_ERR_UTF8
        if CW2V_UTF8_REPLACED_MAX(size) > s.scratch_cap:
            grown = <char *>realloc(s.scratch, CW2V_UTF8_REPLACED_MAX(size))
            if grown == NULL:
                s.status = CW2V_PC_NOMEM
                return CW2V_ERR_CALLBACK
            s.scratch, s.scratch_cap = grown, CW2V_UTF8_REPLACED_MAX(size)
        size = cw2v_utf8_replace(data, size, s.scratch)
        data = s.scratch
    s.status = cw2v_pc_batch_word(s.batch, data, size)
    return CW2V_OK if s.status == CW2V_PC_OK else CW2V_ERR_CALLBACK


cdef int _walk_sentence_end(void *ctx) noexcept nogil:
    cdef _WalkSink *s = <_WalkSink *>ctx
    cw2v_pc_batch_end_sentence(s.batch)
    return CW2V_PAUSE if _batch_full(s.batch, s.batch_words) else CW2V_OK


cdef class _PhraseWalk(TextWalk):
    """Packs the words of a text given in blocks (see TextWalk) straight into
    the pipeline's batches, as iterating the reader would give them: the
    same words (ill-formed UTF-8 replaced, or raising with strict), cut
    into the same sentences, without a Python object per word."""
    cdef _Pipeline pipeline
    cdef _WalkSink state

    def __cinit__(self, _Pipeline pipeline not None, int64_t batch_words, int64_t max_len,
                  bint by_line, int64_t line_limit, int64_t word_limit, bint strict):
        if max_len < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_len}")
        cw2v_walk_init(&self.walk, max_len, by_line, line_limit, word_limit)
        self.pipeline = pipeline
        self.state.batch = &pipeline.filling.b
        self.state.strict, self.state.status = strict, CW2V_PC_OK
        self.state.batch_words = batch_words
        self.sink.word, self.sink.sentence_end = _walk_word, _walk_sentence_end
        self.sink.ctx = &self.state

    def __dealloc__(self):
        free(self.state.scratch)

    cdef int _paused(self) except -1:
        self.pipeline.submit()
        self.state.batch = &self.pipeline.filling.b
        return 0

    cdef int _check(self, int rc) except -1:
        if rc == CW2V_ERR_CALLBACK:
            return _check(self.state.status)
        return TextWalk._check(self, rc)


def _not_a_sentence(index, sentence):
    return TypeError(
        f"sentence #{index} is a {type(sentence).__name__}, not a list of str tokens; "
        "a corpus is an iterable of token lists, e.g. [['new', 'york'], ...] or LineSentence(path)")


cdef class PhraseCounts:
    """Counts of words and delimiter-joined phrases, in ``workers * parts_per_worker`` C tables.

    A key lives in the part its hash picks, and worker w fills the parts p
    with ``p % workers == w``.  ``max_vocab_size`` bounds the keys in all
    (each part holds at most its share, pruned with its own rising floor).
    """
    cdef cw2v_pc_table **parts
    cdef cw2v_pc_table *connectors
    cdef readonly int n_parts, n_workers
    cdef readonly object max_vocab_size
    cdef readonly str delimiter
    cdef bytes delimiter_bytes

    def __cinit__(self, int workers, max_vocab_size, str delimiter, connector_words=(),
                  int parts_per_worker=PARTS_PER_WORKER):
        cdef int p, n_parts = workers * parts_per_worker
        cdef bytes word
        if workers < 1 or parts_per_worker < 1:
            raise ValueError(f"workers and parts_per_worker must be >= 1, got {workers} "
                             f"and {parts_per_worker}")
        if not delimiter:
            raise ValueError("the delimiter must be a non-empty string")
        self.n_parts, self.n_workers = n_parts, workers
        self.max_vocab_size = max_vocab_size
        self.delimiter = delimiter
        self.delimiter_bytes = _utf8(delimiter)
        self.parts = <cw2v_pc_table **>malloc(n_parts * sizeof(cw2v_pc_table *))
        if self.parts == NULL:
            raise MemoryError()
        share = 0 if not max_vocab_size else -(-int(max_vocab_size) // n_parts)
        for p in range(n_parts):
            self.parts[p] = cw2v_pc_new(share)
        self.connectors = cw2v_pc_new(0)
        for p in range(n_parts):
            if self.parts[p] == NULL:
                raise MemoryError()
        if self.connectors == NULL:
            raise MemoryError()
        for text in connector_words:
            word = _utf8(text)
            _check(cw2v_pc_add(self.connectors, word, len(word),
                               cw2v_pc_hash(word, len(word)), 1))

    def __dealloc__(self):
        cdef int p
        if self.parts != NULL:
            for p in range(self.n_parts):
                cw2v_pc_free(self.parts[p])
            free(self.parts)
        cw2v_pc_free(self.connectors)

    def __len__(self):
        cdef int p
        cdef size_t n = 0
        for p in range(self.n_parts):
            n += cw2v_pc_size(self.parts[p])
        return n

    @property
    def min_reduce(self):
        """The highest pruning floor of the parts (gensim's ``Phrases.min_reduce``)."""
        return max(cw2v_pc_floor(self.parts[p]) for p in range(self.n_parts))

    @min_reduce.setter
    def min_reduce(self, value):
        for p in range(self.n_parts):
            cw2v_pc_set_floor(self.parts[p], int(value))

    @property
    def prune_rounds(self):
        return sum(cw2v_pc_prune_rounds(self.parts[p]) for p in range(self.n_parts))

    def nbytes(self):
        """Bytes of the keys stored (a lower bound of the memory held)."""
        return sum(cw2v_pc_key_bytes(self.parts[p]) for p in range(self.n_parts))

    # ---- counting

    def count(self, sentences, int64_t batch_words=DEFAULT_BATCH_WORDS, progress_per=10000):
        """Count the words and phrases of ``sentences`` (an iterable of token lists).

        Returns ``(words, sentences)`` read.  Workers count a batch while the
        calling thread packs the next one.  A corpus that is one of
        ``cw2v.io.corpus``'s readers is packed from its text in C (the same
        words and sentences as iterating it gives); anything else is iterated.
        """
        cdef _Pipeline pipeline
        with ThreadPoolExecutor(max_workers=self.n_workers,
                                thread_name_prefix="cw2v-phrases") as pool:
            pipeline = _Pipeline(self, pool, progress_per or 0)
            walks = walk_text_corpus(sentences, lambda *shape: _PhraseWalk(
                pipeline, batch_words, *shape))
            if walks is not None:
                for _ in walks:
                    pass
            else:
                self._pack(pipeline, iter(sentences), batch_words)
            pipeline.submit()
            pipeline.wait()
        return pipeline.words, pipeline.sentences

    cdef int _pack(self, _Pipeline pipeline, iterator, int64_t batch_words) except -1:
        """Packs the sentences of ``iterator``, handing over each batch of about batch_words."""
        cdef const char *data
        cdef Py_ssize_t size
        cdef bytes encoded
        cdef cw2v_pc_batch *batch = &pipeline.filling.b
        for sentence in iterator:
            if type(sentence) is not list:
                if isinstance(sentence, (str, bytes, bytearray)):
                    raise _not_a_sentence(pipeline.sentences + batch.sentences, sentence)
                try:
                    sentence = list(sentence)
                except TypeError:
                    raise _not_a_sentence(pipeline.sentences + batch.sentences,
                                          sentence) from None
            for token in <list>sentence:
                if type(token) is not str:
                    if not isinstance(token, str):
                        raise TypeError(
                            f"sentence #{pipeline.sentences + batch.sentences} holds a "
                            f"{type(token).__name__} token ({token!r}); tokens must be str")
                try:
                    data = PyUnicode_AsUTF8AndSize(token, &size)
                except UnicodeEncodeError:  # a lone surrogate
                    encoded = _utf8(token)
                    data, size = PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded)
                _check(cw2v_pc_batch_word(batch, data, size))
            cw2v_pc_batch_end_sentence(batch)
            if _batch_full(batch, batch_words):
                pipeline.submit()
                batch = &pipeline.filling.b
        return 0

    def _count_batch(self, _Batch batch, int worker):
        cdef int status
        with nogil:
            status = cw2v_pc_count_batch(self.parts, worker, &batch.b)
        return status

    # ---- lookups

    cdef int64_t _get_bytes(self, const char *key, size_t size):
        cdef uint64_t hash = cw2v_pc_hash(key, size)
        return cw2v_pc_get(self.parts[cw2v_pc_part(hash, self.n_parts)], key, size, hash)

    def part_of(self, str key):
        """The part (0 <= part < n_parts) that holds ``key``."""
        cdef bytes data = _utf8(key)
        return cw2v_pc_part(cw2v_pc_hash(data, len(data)), self.n_parts)

    def get(self, str key):
        """The count of a word or delimiter-joined phrase, 0 if absent."""
        cdef bytes data = _utf8(key)
        return self._get_bytes(data, len(data))

    def is_connector(self, str word):
        cdef bytes data = _utf8(word)
        return cw2v_pc_get(self.connectors, data, len(data), cw2v_pc_hash(data, len(data))) > 0

    def items(self):
        """Every (key, count), part after part."""
        cdef const char *key
        cdef size_t size, i
        cdef int64_t count
        cdef int p
        for p in range(self.n_parts):
            for i in range(cw2v_pc_capacity(self.parts[p])):
                count = cw2v_pc_slot(self.parts[p], i, &key, &size)
                if count:
                    yield _text(key, size), count

    # ---- changes

    def merge(self, PhraseCounts other not None):
        """Add ``other``'s counts (same number of parts), then prune each part once if over
        its bound."""
        cdef int p
        if other.n_parts != self.n_parts:
            raise ValueError("can only merge counts split into the same number of parts")
        for p in range(self.n_parts):
            _check(cw2v_pc_merge(self.parts[p], other.parts[p]))

    def prune(self, int64_t floor):
        """Drop every key whose count is <= floor."""
        for p in range(self.n_parts):
            _check(cw2v_pc_prune(self.parts[p], floor))

    # ---- export

    def candidates(self, scoring, double min_count, double threshold, double corpus_word_count):
        """Phrases that ``export_phrases`` keeps, with their counts and scores.

        ``scoring``: "default" or "npmi" (scored here, only those above
        threshold returned) or None (every phrase whose first and last word
        have counts, score 0, for a Python scorer).  Returns a list of
        ``(phrase, count_a, count_b, count_ab, score)``.  The parts are
        searched by parallel threads (the tables are only read).
        """
        code = CW2V_PC_SCORE_NONE if scoring is None else SCORING_CODES[scoring]
        settings = (code, min_count, threshold, float(len(self)), corpus_word_count)
        with ThreadPoolExecutor(max_workers=self.n_workers,
                                thread_name_prefix="cw2v-phrases") as pool:
            found = [pool.submit(self._part_candidates, p, *settings)
                     for p in range(self.n_parts)]
            return [candidate for future in found for candidate in future.result()]

    def _part_candidates(self, int p, int code, double min_count, double threshold,
                         double len_vocab, double corpus_word_count):
        cdef const char *key
        cdef size_t size
        cdef int64_t found, room = 1 << 16, i
        cdef cw2v_pc_candidate *out = NULL
        cdef const char *delimiter = PyBytes_AS_STRING(self.delimiter_bytes)
        cdef size_t delimiter_size = PyBytes_GET_SIZE(self.delimiter_bytes)
        result = []
        try:
            while True:
                out = <cw2v_pc_candidate *>malloc(room * sizeof(cw2v_pc_candidate))
                if out == NULL:
                    raise MemoryError()
                with nogil:
                    found = cw2v_pc_candidates(<const cw2v_pc_table *const *>self.parts,
                                               self.n_parts, p, delimiter, delimiter_size,
                                               code, min_count, threshold, len_vocab,
                                               corpus_word_count, out, room)
                if found <= room:
                    break
                free(out)
                out, room = NULL, found
            for i in range(found):
                cw2v_pc_slot(self.parts[p], out[i].slot, &key, &size)
                result.append((_text(key, size), out[i].count_a, out[i].count_b,
                               out[i].count_ab, out[i].score))
        finally:
            free(out)
        return result

    # ---- arrays, for save and load

    def to_arrays(self):
        """``(blob uint8, offsets int64[n + 1], counts int64[n])`` of every key."""
        cdef int64_t n = len(self), total = self.nbytes(), k = 0, at = 0, count
        cdef const char *key
        cdef size_t size, i
        cdef int p
        blob = np.empty(total, dtype=np.uint8)
        offsets = np.empty(n + 1, dtype=np.int64)
        counts = np.empty(n, dtype=np.int64)
        cdef unsigned char[::1] blob_view = blob
        cdef int64_t[::1] offsets_view = offsets
        cdef int64_t[::1] counts_view = counts
        offsets_view[0] = 0
        for p in range(self.n_parts):
            for i in range(cw2v_pc_capacity(self.parts[p])):
                count = cw2v_pc_slot(self.parts[p], i, &key, &size)
                if count == 0:
                    continue
                if size:
                    memcpy(&blob_view[at], key, size)
                at += size
                counts_view[k] = count
                k += 1
                offsets_view[k] = at
        return blob, offsets, counts

    def add_arrays(self, blob, offsets, counts):
        """Add the counts of keys given as :meth:`to_arrays` returns them."""
        cdef const unsigned char[::1] blob_view = np.ascontiguousarray(blob, dtype=np.uint8)
        cdef const int64_t[::1] offsets_view = np.ascontiguousarray(offsets, dtype=np.int64)
        cdef const int64_t[::1] counts_view = np.ascontiguousarray(counts, dtype=np.int64)
        cdef int64_t k, start, size
        cdef const char *key
        cdef const char *base = b""
        cdef uint64_t hash
        if blob_view.shape[0]:
            base = <const char *>&blob_view[0]
        if offsets_view.shape[0] != counts_view.shape[0] + 1:
            raise ValueError("offsets must have one more element than counts")
        if offsets_view.shape[0] and (offsets_view[0] != 0
                                      or offsets_view[offsets_view.shape[0] - 1]
                                      != blob_view.shape[0]):
            raise ValueError("the offsets do not span the key bytes")
        for k in range(counts_view.shape[0]):
            start, size = offsets_view[k], offsets_view[k + 1] - offsets_view[k]
            if size < 0:
                raise ValueError("the offsets are not increasing")
            if counts_view[k] <= 0:
                raise ValueError(f"count #{k} is {counts_view[k]}; counts are positive")
            key = base + start
            hash = cw2v_pc_hash(key, size)
            _check(cw2v_pc_add(self.parts[cw2v_pc_part(hash, self.n_parts)], key, size, hash,
                               counts_view[k]))


def score(scoring, int64_t a, int64_t b, int64_t ab, double min_count, double len_vocab,
          double corpus_word_count):
    """The C scorer on one candidate (for tests against gensim's Python scorers)."""
    return cw2v_pc_score(SCORING_CODES[scoring], a, b, ab, min_count, len_vocab,
                         corpus_word_count)


# ---- word2phrase over files (``cw2v phrases``)

cdef extern from "phrasefile.h" nogil:
    int CW2V_W2P_OPEN, CW2V_W2P_IO
    size_t CW2V_W2P_MAX_KEYS
    int cw2v_w2p_learn(const char *path, cw2v_pc_table *counts, int64_t *words, int *sys_errno)
    int cw2v_w2p_apply(const char *in_path, const char *out_path, const cw2v_pc_table *counts,
                       int64_t min_count, float threshold, int64_t words, int64_t *joined,
                       int *sys_errno)


cdef int _check_file(int status, path, int sys_errno) except -1:
    if status == CW2V_W2P_OPEN or status == CW2V_W2P_IO:
        what = "cannot open" if status == CW2V_W2P_OPEN else "cannot read or write"
        raise OSError(sys_errno, f"{what} {os.fsdecode(path)!r}: {os.strerror(sys_errno)}")
    return _check(status)


def word2phrase(train, output, int64_t min_count, float threshold):
    """word2vec.c's word2phrase: ``output`` gets ``train`` with its phrases joined by '_'.

    The rules are in ``src_c/phrasefile.h``.  Returns ``(words, keys,
    joined)``: the words of ``train``, the words and pairs counted at least
    ``min_count`` times (word2phrase's "vocab size"), and the pairs joined.
    """
    cdef bytes train_path = os.fsencode(train), output_path = os.fsencode(output)
    cdef const char *train_c = train_path
    cdef const char *output_c = output_path
    cdef cw2v_pc_table *counts = cw2v_pc_new(CW2V_W2P_MAX_KEYS)
    cdef int64_t words = 0, joined = 0, kept = 0, count
    cdef int status, sys_errno = 0
    cdef size_t i, size
    cdef const char *key
    if counts == NULL:
        raise MemoryError()
    try:
        with nogil:
            status = cw2v_w2p_learn(train_c, counts, &words, &sys_errno)
        _check_file(status, train_path, sys_errno)
        for i in range(cw2v_pc_capacity(counts)):
            count = cw2v_pc_slot(counts, i, &key, &size)
            kept += count > 0 and count >= min_count
        with nogil:
            status = cw2v_w2p_apply(train_c, output_c, counts, min_count, threshold, words,
                                    &joined, &sys_errno)
        _check_file(status, output_path if status == CW2V_W2P_OPEN else train_path, sys_errno)
    finally:
        cw2v_pc_free(counts)
    return words, kept, joined
