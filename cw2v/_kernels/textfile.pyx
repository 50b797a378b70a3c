"""The text layer in C: words, word tables and file byte ranges.

Thin Python wrappers over ``src_c/tokenizer.c``, ``src_c/wordhash.c`` and
``src_c/utf8.c``, the one place where cw2v decides what a word is (see
tokenizer.h): maximal runs of bytes other than ASCII whitespace (space, \\t,
\\n, \\v, \\f, \\r), decoded as UTF-8 with ill-formed bytes replaced by
U+FFFD; Unicode spaces such as U+00A0 belong to words.

- :class:`WordHash`: vocabulary word -> id table that C readers use without
  the GIL;
- :class:`TextWalk`: the base of the walkers that turn text blocks (from
  the Python readers) into sentences, ids or counts, through the same rule;
- :func:`read_range`: the sentences (int32 id arrays) of one byte range of a
  file, as a training worker sees them (a test and benchmark hook), and
  :func:`range_stats`: their numbers, counted without keeping them;
- :func:`split_ranges`: cut a file into byte ranges for the workers;
- :func:`last_break`: where a block of text may be cut without splitting a
  word; :data:`MAX_SENTENCE_LENGTH`: the default sentence length limit.

Reading ranges runs with the GIL released; only building Python results
(and a WordHash) holds it.
"""
import os

import numpy as np

from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ
from libc.stdint cimport INT64_MAX, uint32_t
from libc.stdlib cimport free, malloc, realloc

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)

MAX_SENTENCE_LENGTH = CW2V_DEFAULT_MAX_SENTENCE_LENGTH


cdef object status_error(int code, object path, int sys_errno):
    """The exception for a C status code; OSError subclasses name the path
    (None: text given in memory)."""
    where = "the text" if path is None else repr(os.fspath(path))
    if path is not None and (code == CW2V_ERR_OPEN or (code == CW2V_ERR_IO and sys_errno != 0)):
        return OSError(sys_errno, os.strerror(sys_errno) if sys_errno else
                       cw2v_strerror(code).decode(), os.fspath(path))
    if code == CW2V_ERR_IO:
        return OSError(f"read error in {where}")
    if code == CW2V_ERR_NOMEM:
        return MemoryError(f"out of memory while reading {where}")
    if code == CW2V_ERR_FULL:
        return OverflowError(f"{where} has more than 2**31 - 1 distinct "
                             "words; pass max_vocab_size to bound the scan")
    return RuntimeError(f"{cw2v_strerror(code).decode()} (status {code}) "
                        f"while reading {where}")


cdef Py_ssize_t utf8_key(str s, cw2v_buffer *scratch, const char **out) except -1:
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s), i, o = 0
    cdef int kind
    cdef const void *data
    cdef uint32_t c
    cdef unsigned char *p
    if PyUnicode_IS_ASCII(s):
        out[0] = <const char *>PyUnicode_DATA(s)
        return n
    if cw2v_buffer_reserve(scratch, 4 * n) != CW2V_OK:
        raise MemoryError("cannot allocate a word buffer")
    kind = PyUnicode_KIND(s)
    data = PyUnicode_DATA(s)
    p = <unsigned char *>scratch.data
    for i in range(n):
        c = <uint32_t>PyUnicode_READ(kind, data, i)
        if c < 0x80:
            p[o] = <unsigned char>c
            o += 1
        elif c < 0x800:
            p[o] = 0xC0 | (c >> 6)
            p[o + 1] = 0x80 | (c & 0x3F)
            o += 2
        elif c < 0x10000:  # surrogates too, as "surrogatepass" writes them
            p[o] = 0xE0 | (c >> 12)
            p[o + 1] = 0x80 | ((c >> 6) & 0x3F)
            p[o + 2] = 0x80 | (c & 0x3F)
            o += 3
        else:
            p[o] = 0xF0 | (c >> 18)
            p[o + 1] = 0x80 | ((c >> 12) & 0x3F)
            p[o + 2] = 0x80 | ((c >> 6) & 0x3F)
            p[o + 3] = 0x80 | (c & 0x3F)
            o += 4
    out[0] = scratch.data
    return o


cdef bytes _word_bytes(object word):
    if isinstance(word, str):
        return (<str>word).encode("utf-8", "surrogatepass")  # the key rule of utf8_key
    if isinstance(word, bytes):
        return <bytes>word
    raise TypeError(f"a word must be str or bytes, not {type(word).__name__}: {word!r}")


def word_key(word):
    """The bytes a table keys ``word`` by: for a str its UTF-8 (lone
    surrogates as ``"surrogatepass"`` writes them); for bytes read from text,
    their UTF-8 decoding with ill-formed bytes replaced by U+FFFD, encoded
    again (what ``bytes.decode("utf-8", "replace").encode()`` gives)."""
    cdef const char *out
    cdef cw2v_buffer scratch
    cdef bytes b
    cdef size_t n
    scratch.data, scratch.cap = NULL, 0
    try:
        if isinstance(word, str):
            n = utf8_key(<str>word, &scratch, &out)
            return out[:n]
        b = word
        if cw2v_utf8_valid(b, len(b)):
            return b
        if cw2v_buffer_reserve(&scratch, CW2V_UTF8_REPLACED_MAX(len(b))) != CW2V_OK:
            raise MemoryError("cannot allocate a word buffer")
        n = cw2v_utf8_replace(b, len(b), scratch.data)
        return scratch.data[:n]
    finally:
        cw2v_buffer_free(&scratch)


def last_break(const unsigned char[::1] block not None):
    """Index just past the last ASCII whitespace byte of ``block`` (0 if
    none): cutting a text there splits no word, nor a UTF-8 character."""
    if block.shape[0] == 0:
        return 0
    return cw2v_last_break(<const char *>&block[0], block.shape[0])


cdef bytes path_bytes(object path):
    try:
        return os.fsencode(path)
    except TypeError:
        raise TypeError(f"path must be a str, bytes or os.PathLike, not "
                        f"{type(path).__name__}") from None


cdef class WordHash:
    """Word -> id table built from a vocabulary, for lookups from C threads.

    ``WordHash(keys)``: ``keys`` is a sequence of words (str, stored as UTF-8
    as :func:`word_key` says, or bytes, stored as is); word ``keys[i]`` gets
    id ``i``. Duplicate words raise ValueError. Once built the table is only
    read, so any number of C threads may look words up at once without the
    GIL.
    """

    def __cinit__(self, keys):
        cdef bytes b
        cdef Py_ssize_t i
        cdef int rc
        self.table = cw2v_wordhash_new(len(keys))
        if self.table == NULL:
            raise MemoryError("cannot allocate the word table")
        for i, word in enumerate(keys):
            b = _word_bytes(word)
            if i > 2147483646:
                raise OverflowError("a WordHash holds at most 2**31 - 1 words")
            rc = cw2v_wordhash_insert(self.table, b, len(b), <int32_t>i)
            if rc == CW2V_ERR_DUPLICATE:
                raise ValueError(
                    f"duplicate word {word!r} at positions "
                    f"{cw2v_wordhash_find(self.table, b, len(b))} and {i}: "
                    "vocabulary words must be unique")
            if rc != CW2V_OK:
                raise MemoryError("cannot grow the word table")

    def __dealloc__(self):
        cw2v_wordhash_free(self.table)

    def __len__(self):
        return cw2v_wordhash_size(self.table)

    def find(self, word):
        """The id of ``word`` (str or bytes), or -1 if it is not in the table."""
        cdef bytes b = _word_bytes(word)
        return cw2v_wordhash_find(self.table, b, len(b))

    def __contains__(self, word):
        return self.find(word) >= 0


cdef class TextWalk:
    """The words of a text given in blocks, cut into sentences by the rule,
    fed to a sink.  The base of the walkers that give sentences of str,
    id arrays (``cw2v._kernels.tokens``) or counts (``cw2v._kernels.counting``).

    ``feed(block)`` walks one block (bytes, cut at :func:`last_break`: no
    word may run into the next block) and returns what the subclass collected
    from it; ``end()`` ends the text (its last sentence). ``stopped`` is true
    once a line or word limit was reached: feed no more.  Ill-formed UTF-8
    under a strict sink raises UnicodeDecodeError with offsets in the block.
    """

    def __cinit__(self, *args, **kwargs):
        self.error = None
        cw2v_walk_init(&self.walk, 1, 1, -1, -1)

    def feed(self, bytes block not None):
        cdef int rc
        self.block = block
        cw2v_walk_block(&self.walk, block, len(block))
        while True:
            rc = cw2v_walk_next(&self.walk, &self.sink)
            if rc != CW2V_PAUSE:
                break
            self._paused()
        self._check(rc)
        return self._take()

    def end(self):
        cdef int rc = cw2v_walk_end(&self.walk, &self.sink)
        if rc == CW2V_PAUSE:
            self._paused()
            rc = CW2V_OK
        self._check(rc)
        return self._take()

    @property
    def stopped(self):
        return bool(self.walk.stopped)

    cdef int _paused(self) except -1:
        return 0

    cdef list _take(self):
        return []

    cdef int _check(self, int rc) except -1:
        """Raises what made the walk fail with status rc (nothing if rc >= 0)."""
        if rc >= 0:
            return 0
        error, self.error = self.error, None
        at = self.walk.word_at
        if rc == CW2V_ERR_UTF8:
            try:
                self.block[at:self.walk.pos].decode("utf-8")
            except UnicodeDecodeError as err:
                error = err
        if isinstance(error, UnicodeDecodeError):
            raise UnicodeDecodeError(error.encoding, self.block, at + error.start, at + error.end,
                                     error.reason)
        if error is not None:
            raise error
        raise status_error(rc, None, 0)


def read_range(path, start, end, WordHash vocab not None,
               max_sentence_length=CW2V_DEFAULT_MAX_SENTENCE_LENGTH, *,
               buffer_size=CW2V_READER_BUFFER_SIZE, passes=1):
    """Read the sentences of the byte range ``[start, end)`` of a text file.

    Parameters: ``path`` (str or PathLike), ``start`` (int >= 0), ``end``
    (int >= start, or None for the end of the file), ``vocab`` (WordHash),
    ``max_sentence_length``: a line with more words is cut into sentences of
    exactly that many words (the last shorter); ``buffer_size``: bytes
    read at a time (small values are for tests); ``passes``: read the range
    this many times, rewinding the reader in between as epochs do.

    Returns ``(sentences, raw_tokens)``: a list of 1-D int32 arrays of word
    ids, one per sentence, in file order (a sentence whose words are all
    out of vocabulary gives an empty array; empty lines give nothing), and
    the number of words in the range, in vocabulary or not. A word belongs
    to the range holding its first byte, so the ranges of any partition of
    the file read each word exactly once.
    """
    cdef bytes bpath = path_bytes(path)
    cdef const char *cpath = bpath
    cdef int64_t c_start, c_end, max_len, n, raw, total_raw = 0
    cdef size_t c_buffer_size
    cdef cw2v_reader reader
    cdef int64_t *lengths = NULL
    cdef int64_t *grown_lengths
    cdef int64_t n_sent = 0, sent_cap = 0, block_first = 0
    cdef int64_t block_size, block_used = 0, block_cap = 0
    cdef int32_t *block = NULL
    cdef int64_t passes_left
    cdef int rc = CW2V_OK
    cdef int32_t[::1] block_view

    if start is None or start < 0:
        raise ValueError(f"start must be an int >= 0, got {start!r}")
    if end is not None and end < start:
        raise ValueError(f"end must be None or >= start ({start}), got {end!r}")
    if max_sentence_length is None or max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be an int >= 1, got {max_sentence_length!r}")
    if buffer_size < 1:
        raise ValueError(f"buffer_size must be >= 1, got {buffer_size!r}")
    if passes < 1:
        raise ValueError(f"passes must be >= 1, got {passes!r}")
    passes_left = passes
    c_start = start
    c_end = -1 if end is None else min(end, INT64_MAX)
    max_len = max_sentence_length
    c_buffer_size = buffer_size
    # Ids go straight into numpy blocks (sentences are views of them, never
    # split between two); a range of b bytes holds at most b // 2 + 1 words.
    block_size = 1 << 22
    if end is not None and passes == 1:
        block_size = min(block_size, (end - start) // 2 + 1)
    block_size = max(block_size, max_len)
    sentences = []
    array = None

    with nogil:
        rc = cw2v_reader_open_buffered(&reader, cpath, c_start, c_end, c_buffer_size)
    if rc != CW2V_OK:
        raise status_error(rc, path, reader.sys_errno)
    try:
        with nogil:
            while True:
                if block_used + max_len > block_cap:
                    with gil:
                        _take_views(sentences, array, lengths, block_first, n_sent)
                        array = np.empty(block_size, dtype=np.int32)
                        block_view = array
                        block = &block_view[0]
                    block_cap = block_size
                    block_used = 0
                    block_first = n_sent
                if n_sent == sent_cap:
                    sent_cap = 2 * sent_cap if sent_cap else 64
                    grown_lengths = <int64_t *>realloc(lengths, sent_cap * sizeof(int64_t))
                    if grown_lengths == NULL:
                        rc = CW2V_ERR_NOMEM
                        break
                    lengths = grown_lengths
                n = cw2v_reader_next_sentence(&reader, vocab.table, block + block_used,
                                              max_len, &raw)
                if n == CW2V_END_OF_RANGE:
                    passes_left -= 1
                    if passes_left == 0:
                        break
                    rc = cw2v_reader_rewind(&reader)
                    if rc != CW2V_OK:
                        break
                    continue
                if n < 0:
                    rc = <int>n
                    break
                lengths[n_sent] = n
                n_sent += 1
                block_used += n
                total_raw += raw
        if rc != CW2V_OK:
            raise status_error(rc, path, reader.sys_errno)
        _take_views(sentences, array, lengths, block_first, n_sent)
        return sentences, total_raw
    finally:
        cw2v_reader_close(&reader)
        free(lengths)


cdef void _take_views(list sentences, object array, const int64_t *lengths,
                      int64_t first, int64_t stop) except *:
    """Appends to sentences the views of array holding sentences first..stop-1."""
    cdef int64_t i, at = 0
    for i in range(first, stop):
        sentences.append(array[at:at + lengths[i]])
        at += lengths[i]


def range_stats(path, start, end, WordHash vocab not None,
                max_sentence_length=CW2V_DEFAULT_MAX_SENTENCE_LENGTH):
    """What :func:`read_range` would return, counted instead of kept.

    Runs the same C reader loop as a training worker (sentences into one
    reused buffer, no Python objects) and returns ``(n_sentences, n_ids,
    raw_tokens)``: the number of sentences, of in-vocabulary ids
    and of words in ``[start, end)``. Used to size an epoch and to time the
    reader alone.
    """
    cdef bytes bpath = path_bytes(path)
    cdef const char *cpath = bpath
    cdef int64_t c_start, c_end, max_len, n, raw
    cdef int64_t n_sent = 0, n_ids = 0, total_raw = 0
    cdef cw2v_reader reader
    cdef int32_t *ids
    cdef int rc = CW2V_OK
    if start is None or start < 0:
        raise ValueError(f"start must be an int >= 0, got {start!r}")
    if end is not None and end < start:
        raise ValueError(f"end must be None or >= start ({start}), got {end!r}")
    if max_sentence_length is None or max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be an int >= 1, got {max_sentence_length!r}")
    c_start = start
    c_end = -1 if end is None else min(end, INT64_MAX)
    max_len = max_sentence_length
    ids = <int32_t *>malloc(max_len * sizeof(int32_t))
    if ids == NULL:
        raise MemoryError(f"cannot allocate a buffer of {max_len} ids")
    try:
        with nogil:
            rc = cw2v_reader_open(&reader, cpath, c_start, c_end)
            while rc == CW2V_OK:
                n = cw2v_reader_next_sentence(&reader, vocab.table, ids, max_len, &raw)
                if n == CW2V_END_OF_RANGE:
                    break
                if n < 0:
                    rc = <int>n
                    break
                n_sent += 1
                n_ids += n
                total_raw += raw
        if rc != CW2V_OK:
            raise status_error(rc, path, reader.sys_errno)
        return n_sent, n_ids, total_raw
    finally:
        cw2v_reader_close(&reader)
        free(ids)


def split_ranges(path, n):
    """Cut a file into ``n`` contiguous byte ranges of about equal size.

    Returns a list of ``n`` ``(start, end)`` pairs covering ``[0, file size)``
    in order (some may be empty when the file is tiny). Each cut moves
    forward to just after a newline (or whitespace, in a file of very long
    lines) when one is within 1 MiB, so ranges tend to start at a line.
    """
    cdef bytes bpath = path_bytes(path)
    cdef const char *cpath = bpath
    cdef int64_t c_n
    cdef int sys_errno = 0
    cdef int rc
    cdef int64_t[::1] bounds
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or n > (1 << 30):
        raise ValueError(f"n must be an int between 1 and 2**30, got {n!r}")
    c_n = n
    bounds_arr = np.empty(n + 1, dtype=np.int64)
    bounds = bounds_arr
    with nogil:
        rc = cw2v_split_ranges(cpath, c_n, &bounds[0], &sys_errno)
    if rc != CW2V_OK:
        raise status_error(rc, path, sys_errno)
    b = bounds_arr.tolist()
    return [(b[i], b[i + 1]) for i in range(n)]
