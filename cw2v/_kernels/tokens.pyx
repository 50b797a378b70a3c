# cython: language_level=3
"""Words to what training and the readers need: id batches and sentences.

* :class:`IdBatcher` fills the id batches behind ``cw2v.io.corpus.iter_id_batches``
  from sentences of tokens (one C-level dict probe per token, borrowed
  references) or of ids already looked up by :class:`IdWalk` (a copy).
* :class:`SentenceWalk` and :class:`IdWalk` turn the text blocks of cw2v's
  own readers into sentences of str or into int32 id arrays, through the one
  rule of ``src_c/tokenizer.h`` (the same rule file mode reads with).

Sentences are cut everywhere by the same rule (``cw2v_pieces``): at most
``max_len`` tokens each, out-of-vocabulary ones included.
"""
import numpy as np

cimport numpy as cnp
from cpython.dict cimport PyDict_GetItemWithError
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE, PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF, PyObject
from cpython.unicode cimport (PyUnicode_1BYTE_KIND, PyUnicode_DecodeUTF8, PyUnicode_FromKindAndData,
                              PyUnicode_GET_LENGTH)
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove

from cw2v._kernels.textfile cimport (
    CW2V_ERR_CALLBACK, CW2V_ERR_NOMEM, CW2V_ERR_UTF8, CW2V_OK, CW2V_SKIP, TextWalk, WordHash,
    cw2v_buffer, cw2v_buffer_free, cw2v_find_word, cw2v_pieces, cw2v_pieces_word, cw2v_utf8_valid,
    cw2v_walk, cw2v_walk_init, cw2v_wordhash,
)

cnp.import_array()

cdef extern from "Python.h":
    # Same C function as cpython.long's, declared on a borrowed PyObject* so
    # the hot loops do not touch reference counts.
    Py_ssize_t _as_ssize "PyLong_AsSsize_t" (PyObject *obj) except? -1


def not_a_sentence_error(long long index, sentence):
    """The TypeError for sentence ``index`` (from 0) of a corpus that is not a sequence of tokens."""
    what = f"sentences must be lists of tokens, but sentence {index} (counting from 0) is a {type(sentence).__name__}"
    if isinstance(sentence, (str, bytes, bytearray)):
        return TypeError(f"{what} ({sentence[:40]!r}), which would be iterated character by character;"
                         " split each sentence into tokens, e.g. [line.split() for line in lines]")
    return TypeError(f"{what}, which is not iterable")


def as_token_list(object sentence, long long index):
    """A sentence that is not a list, as one; TypeError naming it if it is not a token sequence."""
    if isinstance(sentence, (str, bytes, bytearray)):
        raise not_a_sentence_error(index, sentence)
    try:
        tokens = iter(sentence)
    except TypeError:
        raise not_a_sentence_error(index, sentence) from None
    return list(tokens)


cdef class IdBatcher:
    """Pull sentences from an iterator and convert them to id batches.

    ``next_batch()`` returns ``(ids, sentence_ends, raw_words, n_sentences)``
    (see ``cw2v.io.corpus.IdBatch``) or None once the corpus is exhausted.
    Sentences are lists (or other iterables) of tokens; a str or bytes
    sentence is a TypeError naming it. Rules: a sentence with more than
    ``max_len`` tokens becomes pieces of ``max_len`` tokens (the rule of
    ``cw2v_pieces``); out-of-vocabulary tokens are dropped from each; a
    batch closes before the first piece that carries ids once it already
    holds ``batch_words`` ids, so sentences without ids that follow a full
    batch are still accounted to it (every token and sentence of the corpus is
    counted in exactly one batch, provided the corpus has at least one
    in-vocabulary token). Empty batches are never returned.
    """

    cdef object sentences        # iterator over token sequences
    cdef dict vocab              # token -> int id
    cdef Py_ssize_t batch_words
    cdef Py_ssize_t max_len
    cdef object current          # sentence being converted (a list of tokens, or an
                                 # int32 array of ids with -1 for unknown tokens), or None
    cdef Py_ssize_t current_len
    cdef Py_ssize_t current_pos  # next token of `current` to convert
    cdef bint exhausted
    cdef readonly long long sentences_read  # sentences pulled so far (the next one's index)
    # A piece converted while closing the previous batch, kept for this one
    # rather than converted twice: its ids and the token index after it.
    cdef cnp.ndarray carry_arr
    cdef Py_ssize_t carry_n
    cdef Py_ssize_t carry_next

    def __init__(self, sentences, dict key_to_index, Py_ssize_t batch_words, Py_ssize_t max_len):
        if batch_words < 1 or max_len < 1:
            raise ValueError("batch_words and max_len must be positive")
        self.sentences = sentences
        self.vocab = key_to_index
        self.batch_words = batch_words
        self.max_len = max_len
        self.current = None
        self.current_pos = 0
        self.exhausted = False
        self.sentences_read = 0
        self.carry_arr = np.empty(max_len, dtype=np.int32)
        self.carry_n = 0
        self.carry_next = 0

    cdef Py_ssize_t _convert_ids(self, cnp.ndarray sentence, Py_ssize_t start, int32_t *out,
                                 Py_ssize_t *n_ids) noexcept:
        """_convert for a sentence already converted to ids (-1: unknown token)."""
        cdef const int32_t *raw = <const int32_t *>cnp.PyArray_DATA(sentence)
        cdef Py_ssize_t i = start, n = sentence.shape[0], written = 0
        cdef cw2v_pieces piece
        piece.max_len, piece.by_line, piece.words = self.max_len, 0, 0
        while i < n:
            if raw[i] >= 0:
                out[written] = raw[i]
                written += 1
            i += 1
            if cw2v_pieces_word(&piece):
                break
        n_ids[0] = written
        return i

    cdef Py_ssize_t _convert(self, list sentence, Py_ssize_t start, int32_t *out,
                             Py_ssize_t *n_ids) except -1:
        """Convert the piece of ``sentence`` that starts at token ``start`` into ``out``.

        Stores the number of ids written in ``n_ids[0]``; returns the index
        of the next unconverted token.
        """
        cdef Py_ssize_t i = start, n = PyList_GET_SIZE(sentence), written = 0
        cdef PyObject *value
        cdef cw2v_pieces piece
        piece.max_len, piece.by_line, piece.words = self.max_len, 0, 0
        while i < n:
            value = PyDict_GetItemWithError(self.vocab, <object>PyList_GET_ITEM(sentence, i))
            i += 1
            if value != NULL:
                out[written] = <int32_t>_as_ssize(value)
                written += 1
            if cw2v_pieces_word(&piece):
                break
        n_ids[0] = written
        return i

    def next_batch(self):
        if self.exhausted and self.current is None:
            return None
        # Before closing, a full batch (up to batch_words + max_len - 1 ids) may
        # convert one more piece (up to max_len ids) to see whether it has ids.
        cdef Py_ssize_t capacity = self.batch_words + 2 * self.max_len
        cdef cnp.ndarray ids_arr = np.empty(capacity, dtype=np.int32)
        cdef cnp.ndarray ends_arr = np.empty(capacity, dtype=np.int32)
        cdef int32_t *ids = <int32_t *>cnp.PyArray_DATA(ids_arr)
        cdef int32_t *ends = <int32_t *>cnp.PyArray_DATA(ends_arr)
        cdef Py_ssize_t pos = 0, n_ends = 0, n_piece = 0, nxt
        cdef long long raw_words = 0, n_sentences = 0
        cdef object sentence
        cdef int32_t *carry = <int32_t *>cnp.PyArray_DATA(self.carry_arr)
        if self.carry_n:
            # The piece that did not fit the last batch opens this one.
            memcpy(ids, carry, self.carry_n * sizeof(int32_t))
            pos = self.carry_n
            ends[0] = <int32_t>pos
            n_ends = 1
            raw_words += self.carry_next - self.current_pos
            if self.carry_next >= self.current_len:
                n_sentences += 1
                self.current = None
            else:
                self.current_pos = self.carry_next
            self.carry_n = 0
        while True:
            if self.current is None:
                if self.exhausted:
                    break
                try:
                    obj = next(self.sentences)
                except StopIteration:
                    self.exhausted = True
                    break
                if type(obj) is list:
                    self.current = obj
                elif type(obj) is cnp.ndarray and obj.dtype == np.int32 and obj.ndim == 1:
                    self.current = np.ascontiguousarray(obj)
                else:
                    self.current = as_token_list(obj, self.sentences_read)
                self.sentences_read += 1
                self.current_len = len(self.current)
                self.current_pos = 0
            sentence = self.current
            if type(sentence) is list:
                nxt = self._convert(<list>sentence, self.current_pos, ids + pos, &n_piece)
            else:
                nxt = self._convert_ids(<cnp.ndarray>sentence, self.current_pos, ids + pos,
                                        &n_piece)
            if n_piece > 0:
                if pos >= self.batch_words:
                    # Full batch: this piece opens the next one.
                    memcpy(carry, ids + pos, n_piece * sizeof(int32_t))
                    self.carry_n = n_piece
                    self.carry_next = nxt
                    break
                pos += n_piece
                ends[n_ends] = <int32_t>pos
                n_ends += 1
            raw_words += nxt - self.current_pos
            if nxt >= self.current_len:
                n_sentences += 1
                self.current = None
            else:
                self.current_pos = nxt
        if pos == 0:
            self.current = None
            return None
        return (ids_arr[:pos].copy(), ends_arr[:n_ends].copy(), raw_words, n_sentences)


# ---------------------------------------------------------------------------
# Text blocks of cw2v's readers
# ---------------------------------------------------------------------------
cdef struct SpanList:      # SentenceWalk's C sink: where the words of a block are
    const cw2v_walk *walk      # the walk, whose buf is the block
    int strict
    int64_t *spans             # (offset in the block, length) of each word
    Py_ssize_t n_words, spans_cap   # spans_cap counts int64s: two per word
    int64_t *ends              # where each ended sentence ends, in words
    Py_ssize_t n_ends, ends_cap


cdef int _grow(void **array, Py_ssize_t *cap, size_t item) noexcept nogil:
    cdef void *grown = realloc(array[0], 2 * cap[0] * item)
    if grown == NULL:
        return CW2V_ERR_NOMEM
    array[0], cap[0] = grown, 2 * cap[0]
    return CW2V_OK


cdef int _end_at(int64_t **ends, Py_ssize_t *n_ends, Py_ssize_t *cap, int64_t at) noexcept nogil:
    if n_ends[0] == cap[0] and _grow(<void **>ends, cap, sizeof(int64_t)) != CW2V_OK:
        return CW2V_ERR_NOMEM
    ends[0][n_ends[0]] = at
    n_ends[0] += 1
    return CW2V_OK


cdef int _span_word(void *ctx, const char *bytes, size_t len) noexcept nogil:
    cdef SpanList *s = <SpanList *>ctx
    if s.strict and not cw2v_utf8_valid(bytes, len):
        return CW2V_ERR_UTF8
    if 2 * s.n_words == s.spans_cap and _grow(<void **>&s.spans, &s.spans_cap, sizeof(int64_t)) != CW2V_OK:
        return CW2V_ERR_NOMEM
    s.spans[2 * s.n_words] = bytes - s.walk.buf
    s.spans[2 * s.n_words + 1] = len
    s.n_words += 1
    return CW2V_OK


cdef int _span_sentence_end(void *ctx) noexcept nogil:
    cdef SpanList *s = <SpanList *>ctx
    return _end_at(&s.ends, &s.n_ends, &s.ends_cap, s.n_words)


cdef int _python_word(void *ctx, const char *bytes, size_t len) noexcept:
    """The sink for error handlers only Python knows: decodes each word."""
    cdef SentenceWalk walk = <SentenceWalk>ctx
    try:
        word = PyUnicode_DecodeUTF8(bytes, len, walk.errors)
    except BaseException as err:
        walk.error = err
        return CW2V_ERR_CALLBACK
    if PyUnicode_GET_LENGTH(word) == 0:
        return CW2V_SKIP  # an error handler such as "ignore" dropped every byte
    walk.decoded.append(word)
    return CW2V_OK


cdef int _python_sentence_end(void *ctx) noexcept:
    cdef SentenceWalk walk = <SentenceWalk>ctx
    return _end_at(&walk.spans.ends, &walk.spans.n_ends, &walk.spans.ends_cap,
                   len(walk.decoded))


cdef class SentenceWalk(TextWalk):
    """Sentences of str from a text given in blocks (see TextWalk): at most
    max_len words each, by line or not, stopping after line_limit lines or
    word_limit words (when >= 0).  Each word is decoded from UTF-8 with the
    ``errors`` handler of ``bytes.decode``; a word it decodes to nothing
    (``"ignore"``) is no word.  ``feed`` and ``end`` return the sentences
    they completed."""

    cdef bytes errors
    cdef SpanList spans        # the words of the block, and the sentence ends
    cdef list decoded          # words decoded by Python (other handlers than C's)
    cdef list open             # words of the sentence still open after a block

    def __cinit__(self, int64_t max_len, bint by_line, int64_t line_limit, int64_t word_limit,
                  str errors not None):
        if max_len < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_len}")
        cw2v_walk_init(&self.walk, max_len, by_line, line_limit, word_limit)
        self.errors = errors.encode("ascii")
        self.decoded, self.open = [], []
        self.spans.walk, self.spans.strict = &self.walk, errors == "strict"
        self.spans.spans = <int64_t *>realloc(NULL, 2048 * sizeof(int64_t))
        self.spans.ends = <int64_t *>realloc(NULL, 64 * sizeof(int64_t))
        if self.spans.spans == NULL or self.spans.ends == NULL:
            raise MemoryError("cannot allocate word buffers")
        self.spans.spans_cap, self.spans.ends_cap = 2048, 64
        if errors in ("replace", "strict"):   # C's own decoding: no Python per word
            self.sink.word, self.sink.sentence_end = _span_word, _span_sentence_end
            self.sink.ctx = &self.spans
        else:
            self.sink.word, self.sink.sentence_end = _python_word, _python_sentence_end
            self.sink.ctx = <void *>self

    def __dealloc__(self):
        free(self.spans.spans)
        free(self.spans.ends)

    cdef list _words(self):
        """The block's words as str, in order."""
        cdef SpanList *s = &self.spans
        cdef Py_ssize_t i
        cdef list words
        if self.sink.word != _span_word:
            words, self.decoded = self.decoded, []
            return words
        if s.n_words == 0:
            return []
        words = PyList_New(s.n_words)
        ascii = self.block.isascii()  # then a word's bytes are its characters: no decoding
        for i in range(s.n_words):
            if ascii:
                word = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, self.walk.buf + s.spans[2 * i],
                                                 s.spans[2 * i + 1])
            else:
                word = PyUnicode_DecodeUTF8(self.walk.buf + s.spans[2 * i], s.spans[2 * i + 1], "replace")
            Py_INCREF(word)
            PyList_SET_ITEM(words, i, word)
        s.n_words = 0
        return words

    cdef list _take(self):
        cdef SpanList *s = &self.spans
        cdef list words = self._words(), done = []
        cdef Py_ssize_t i, begin = 0
        for i in range(s.n_ends):
            sentence = words[begin:s.ends[i]]
            if i == 0 and self.open:
                sentence = self.open + sentence
                self.open = []
            done.append(sentence)
            begin = s.ends[i]
        if begin < len(words):
            self.open = self.open + words[begin:] if self.open else words[begin:]
        s.n_ends = 0
        return done


cdef struct IdList:        # IdWalk's sink: ids of the words, and where sentences end
    const cw2v_wordhash *vocab
    int strict
    cw2v_buffer scratch
    int32_t *ids               # ids of the ended sentences, then of the open one
    Py_ssize_t n_ids, ids_cap
    int64_t *ends              # where each ended sentence ends in ids
    Py_ssize_t n_ends, ends_cap


cdef int _id_word(void *ctx, const char *bytes, size_t len) noexcept nogil:
    cdef IdList *s = <IdList *>ctx
    cdef int32_t id = cw2v_find_word(s.vocab, bytes, len, s.strict, &s.scratch)
    if id < -1:
        return id
    if s.n_ids == s.ids_cap and _grow(<void **>&s.ids, &s.ids_cap, sizeof(int32_t)) != CW2V_OK:
        return CW2V_ERR_NOMEM
    s.ids[s.n_ids] = id
    s.n_ids += 1
    return CW2V_OK


cdef int _id_sentence_end(void *ctx) noexcept nogil:
    cdef IdList *s = <IdList *>ctx
    return _end_at(&s.ends, &s.n_ends, &s.ends_cap, s.n_ids)


cdef class IdWalk(TextWalk):
    """Sentences as int32 arrays of vocabulary ids (-1 for a word not in
    vocab, so an array has one entry per word) from a text given in blocks:
    the sentences of SentenceWalk with "replace" (or, with strict, "strict")
    decoding, looked up without making a str.  ``feed`` and ``end`` return
    the arrays of the sentences they completed."""

    cdef WordHash vocab          # keeps state.vocab alive
    cdef IdList state

    def __cinit__(self, WordHash vocab not None, int64_t max_len, bint by_line,
                  int64_t line_limit, int64_t word_limit, bint strict):
        if max_len < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_len}")
        cw2v_walk_init(&self.walk, max_len, by_line, line_limit, word_limit)
        self.vocab = vocab
        self.state.vocab, self.state.strict = vocab.table, strict
        self.state.ids = <int32_t *>realloc(NULL, 1024 * sizeof(int32_t))
        self.state.ends = <int64_t *>realloc(NULL, 64 * sizeof(int64_t))
        if self.state.ids == NULL or self.state.ends == NULL:
            raise MemoryError("cannot allocate id buffers")
        self.state.ids_cap, self.state.ends_cap = 1024, 64
        self.sink.word, self.sink.sentence_end = _id_word, _id_sentence_end
        self.sink.ctx = &self.state

    def __dealloc__(self):
        free(self.state.ids)
        free(self.state.ends)
        cw2v_buffer_free(&self.state.scratch)

    cdef list _take(self):
        cdef IdList *s = &self.state
        cdef list done = []
        cdef Py_ssize_t i, begin = 0, length
        cdef cnp.ndarray array
        for i in range(s.n_ends):
            length = s.ends[i] - begin
            array = np.empty(length, dtype=np.int32)
            if length:
                memcpy(cnp.PyArray_DATA(array), s.ids + begin, length * sizeof(int32_t))
            done.append(array)
            begin = s.ends[i]
        # The open sentence's ids move to the front for the next block.
        if begin:
            memmove(s.ids, s.ids + begin, (s.n_ids - begin) * sizeof(int32_t))
            s.n_ids -= begin
        s.n_ends = 0
        return done
