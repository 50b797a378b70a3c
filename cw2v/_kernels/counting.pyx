"""Word counts in C: the table behind :class:`cw2v.vocab.counts.Counts`.

One counting-mode word table (``src_c/wordhash.c``), keyed by each word's
UTF-8 form, filled from file byte ranges (GIL released), from the text
blocks of the Python readers (:class:`CountWalk`) and from token lists, the
text always split by the one rule of ``src_c/tokenizer.h``.

The table never prunes by itself: when a sentence leaves it holding more
than ``max_words`` words, counting pauses and calls ``on_full()``, where
``Counts`` applies its one pruning rule (through :meth:`CountTable.keep`),
and then goes on.
"""
import os

import numpy as np

from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.unicode cimport PyUnicode_Check, PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t
from libc.string cimport memcpy

from cw2v._kernels.textfile cimport (
    CW2V_OK, CW2V_PAUSE, TextWalk, cw2v_buffer_free, cw2v_counting, cw2v_counting_sentence_end,
    cw2v_counting_word, cw2v_pieces, cw2v_reader, cw2v_reader_close, cw2v_reader_open, cw2v_sink,
    cw2v_tally, cw2v_tally_full, cw2v_walk_init, cw2v_walk_range, cw2v_wordhash_add,
    cw2v_wordhash_add_known, cw2v_wordhash_free, cw2v_wordhash_get, cw2v_wordhash_keep,
    cw2v_wordhash_new, cw2v_wordhash_size, path_bytes, status_error, utf8_key,
)
from cw2v._kernels.tokens import as_token_list


def _not_a_token(token):
    hint = " (decode bytes tokens to str first)" if isinstance(token, bytes) else ""
    return TypeError(f"tokens must be str, found {type(token).__name__} {token!r}{hint}")


cdef class CountTable:
    """Words (str) and how often each was seen, in order of first sight,
    with the number of words (``words``) and sentences (``sentences``) counted.

    ``max_words`` (0: none) makes counting call ``on_full()`` after every
    sentence that leaves the table holding more words.
    """

    cdef cw2v_tally t

    def __cinit__(self):
        self.t.table = cw2v_wordhash_new(1 << 12)
        if self.t.table == NULL:
            raise MemoryError("cannot allocate the word count table")

    def __dealloc__(self):
        cw2v_wordhash_free(self.t.table)
        cw2v_buffer_free(&self.t.scratch)

    def __len__(self):
        return cw2v_wordhash_size(self.t.table)

    @property
    def words(self):
        return self.t.words

    @property
    def sentences(self):
        return self.t.sentences

    @property
    def max_words(self):
        return self.t.max_words

    @max_words.setter
    def max_words(self, size_t value):
        self.t.max_words = value

    def add_totals(self, int64_t words, int64_t sentences):
        """Adds to the totals (for merged or restored counts)."""
        self.t.words += words
        self.t.sentences += sentences

    # ------------------------------------------------------------ counting
    def count_range(self, path, int64_t start, int64_t end, int64_t max_len, on_full):
        """Counts the byte range [start, end) of a file (end < 0: to its end),
        its lines cut into sentences of at most max_len words, as file mode
        reads it; the GIL is released while reading."""
        cdef bytes bpath = path_bytes(path)
        cdef const char *cpath = bpath
        cdef cw2v_reader reader
        cdef cw2v_pieces pieces
        cdef cw2v_counting counting
        cdef cw2v_sink sink
        cdef int rc
        if max_len < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_len}")
        pieces.max_len, pieces.by_line, pieces.words = max_len, 1, 0
        counting.tally, counting.strict, counting.report_at = &self.t, 0, -1
        sink.word, sink.sentence_end, sink.ctx = cw2v_counting_word, cw2v_counting_sentence_end, &counting
        with nogil:
            rc = cw2v_reader_open(&reader, cpath, start, end)
        try:
            while rc == CW2V_OK or rc == CW2V_PAUSE:
                if rc == CW2V_PAUSE:
                    on_full()
                with nogil:
                    rc = cw2v_walk_range(&reader, &pieces, &sink)
                if rc == CW2V_OK:
                    break
            if rc != CW2V_OK:
                raise status_error(rc, path, reader.sys_errno)
        finally:
            cw2v_reader_close(&reader)

    def walk(self, int64_t max_len, bint by_line, int64_t line_limit, int64_t word_limit,
             bint strict, on_full, Py_ssize_t progress_every=0, progress=None):
        """A :class:`CountWalk` counting a text given in blocks into this table."""
        return CountWalk(self, max_len, by_line, line_limit, word_limit, strict, on_full,
                         progress_every, progress)

    def count_sentences(self, sentences, on_full, Py_ssize_t progress_every=0, progress=None):
        """Counts an iterator of token lists (each a sequence of str, not a str);
        ``progress(sentences, words, distinct)`` is called after every
        ``progress_every``-th sentence of the table (0: never)."""
        cdef Py_ssize_t i, n, index = 0
        cdef Py_ssize_t key_len
        cdef const char *key
        cdef object token
        cdef int rc
        for sentence in sentences:
            if type(sentence) is not list:
                sentence = as_token_list(sentence, index)
            n = PyList_GET_SIZE(sentence)
            for i in range(n):
                token = <object>PyList_GET_ITEM(sentence, i)
                if not PyUnicode_Check(token):
                    raise _not_a_token(token)
                key_len = utf8_key(token, &self.t.scratch, &key)
                if cw2v_wordhash_add_known(self.t.table, key, key_len, 1) < 0:
                    rc = cw2v_wordhash_add(self.t.table, key, key_len, 1)
                    if rc != CW2V_OK:
                        raise status_error(rc, None, 0)
            self.t.words += n
            self.t.sentences += 1
            index += 1
            if progress_every > 0 and self.t.sentences % progress_every == 0 and progress is not None:
                progress(self.t.sentences, self.t.words, len(self))
            if cw2v_tally_full(&self.t):
                on_full()

    # ------------------------------------------------------- combining
    def merge(self, CountTable other not None):
        """Adds other's words, counts and totals to this table (new words go
        at the end, in other's order)."""
        cdef size_t i, n = cw2v_wordhash_size(other.t.table), length
        cdef const char *word
        cdef int64_t count
        cdef int rc
        if other is self:
            raise ValueError("a CountTable cannot be merged into itself; merge a copy")
        for i in range(n):
            cw2v_wordhash_get(other.t.table, i, &word, &length, NULL, &count)
            rc = cw2v_wordhash_add(self.t.table, word, length, count)
            if rc != CW2V_OK:
                raise status_error(rc, None, 0)
        self.t.words += other.t.words
        self.t.sentences += other.t.sentences

    def keep(self, const unsigned char[::1] mask not None):
        """Drops the words whose byte in mask (one per word, in order) is 0."""
        if mask.shape[0] != len(self):
            raise ValueError(f"mask must have {len(self)} entries, got {mask.shape[0]}")
        if mask.shape[0]:
            cw2v_wordhash_keep(self.t.table, &mask[0])

    # ------------------------------------------------------------- reading
    def counts(self):
        """int64 array: the count of each word, in table order."""
        cdef size_t i, n = cw2v_wordhash_size(self.t.table)
        out = np.empty(n, dtype=np.int64)
        cdef int64_t[::1] view = out
        for i in range(n):
            cw2v_wordhash_get(self.t.table, i, NULL, NULL, NULL, &view[i])
        return out

    def keys(self):
        """list[str]: the words, in table order."""
        cdef size_t i, n = cw2v_wordhash_size(self.t.table), length
        cdef const char *word
        cdef list out = []
        for i in range(n):
            cw2v_wordhash_get(self.t.table, i, &word, &length, NULL, NULL)
            out.append(PyUnicode_DecodeUTF8(word, length, "surrogatepass"))
        return out

    def get(self, str word not None):
        """The count of word, or -1 if the table does not hold it."""
        cdef const char *key
        cdef Py_ssize_t key_len = utf8_key(word, &self.t.scratch, &key)
        cdef int32_t id = cw2v_wordhash_add_known(self.t.table, key, key_len, 0)
        cdef int64_t count = -1
        if id >= 0:
            cw2v_wordhash_get(self.t.table, id, NULL, NULL, NULL, &count)
        return count

    def packed(self):
        """(uint8 array of every word's UTF-8 key, concatenated; int64 offsets,
        one more than words: word i is data[offsets[i]:offsets[i + 1]])."""
        cdef size_t i, n = cw2v_wordhash_size(self.t.table), length, total = 0
        cdef const char *word
        offsets = np.empty(n + 1, dtype=np.int64)
        cdef int64_t[::1] ends = offsets
        ends[0] = 0
        for i in range(n):
            cw2v_wordhash_get(self.t.table, i, NULL, &length, NULL, NULL)
            total += length
            ends[i + 1] = total
        data = np.empty(total, dtype=np.uint8)
        cdef unsigned char[::1] out = data
        for i in range(n):
            cw2v_wordhash_get(self.t.table, i, &word, &length, NULL, NULL)
            if length:
                memcpy(&out[ends[i]], word, length)
        return data, offsets

    def add_packed(self, const unsigned char[::1] data not None,
                   const int64_t[::1] offsets not None, const int64_t[::1] counts not None):
        """Adds the words of :meth:`packed` arrays with the given counts.

        The caller checks shapes and that offsets rise from 0 to len(data);
        here each word must be a table key (UTF-8, surrogates allowed) that
        appears once: ValueError naming the word's index otherwise."""
        cdef Py_ssize_t i, n = counts.shape[0], length
        cdef const char *word
        cdef char nothing = 0
        cdef const char *base = <const char *>&data[0] if data.shape[0] else &nothing
        cdef int rc
        for i in range(n):
            word = base + offsets[i]
            length = offsets[i + 1] - offsets[i]
            try:
                PyUnicode_DecodeUTF8(word, length, "surrogatepass")
            except UnicodeDecodeError as err:
                raise ValueError(f"word {i} is not UTF-8 ({err.reason}): "
                                 f"{bytes(data[offsets[i]:offsets[i + 1]])!r}") from None
            if cw2v_wordhash_add_known(self.t.table, word, length, 0) >= 0:
                raise ValueError(f"word {i} ({PyUnicode_DecodeUTF8(word, length, 'surrogatepass')!r})"
                                 " appears twice")
            rc = cw2v_wordhash_add(self.t.table, word, length, counts[i])
            if rc != CW2V_OK:
                raise status_error(rc, None, 0)


cdef class CountWalk(TextWalk):
    """Counts a text given in blocks (see TextWalk) into a CountTable:
    sentences of at most max_len words, by line or not, stopping after
    line_limit lines or word_limit words (when >= 0).  Ill-formed UTF-8 is
    replaced, or raises with strict.  ``on_full()`` after a sentence that
    leaves the table too full; ``progress(sentences, words, distinct)`` after
    every ``progress_every``-th sentence of the table."""

    cdef CountTable table
    cdef cw2v_counting counting
    cdef object on_full, progress
    cdef int64_t progress_every

    def __cinit__(self, CountTable table not None, int64_t max_len, bint by_line,
                  int64_t line_limit, int64_t word_limit, bint strict, on_full,
                  int64_t progress_every=0, progress=None):
        if max_len < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_len}")
        cw2v_walk_init(&self.walk, max_len, by_line, line_limit, word_limit)
        self.table = table
        self.counting.tally = &table.t
        self.counting.strict = strict
        self.sink.word, self.sink.sentence_end = cw2v_counting_word, cw2v_counting_sentence_end
        self.sink.ctx = &self.counting
        self.on_full, self.progress = on_full, progress
        self.progress_every = progress_every if progress is not None else 0
        self.counting.report_at = -1
        if self.progress_every > 0:
            self.counting.report_at = (table.t.sentences // progress_every + 1) * progress_every

    cdef int _paused(self) except -1:
        cdef cw2v_tally *t = &self.table.t
        if t.sentences == self.counting.report_at:
            self.progress(t.sentences, t.words, len(self.table))
            self.counting.report_at += self.progress_every
        if cw2v_tally_full(t):
            self.on_full()
        return 0
