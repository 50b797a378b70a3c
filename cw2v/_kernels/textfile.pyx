"""Plain-text file reading in C, for file mode (``corpus_file=``).

Thin Python wrappers over ``src_c/tokenizer.c`` and ``src_c/wordhash.c``:

- :class:`WordHash`: vocabulary word -> id table that C readers use without
  the GIL;
- :func:`read_range`: the sentences (int32 id arrays) of one byte range of a
  file, as a training worker sees them (a test and benchmark hook), and
  :func:`range_stats`: their numbers, counted without keeping them;
- :func:`split_ranges`: cut a file into byte ranges for the workers;
- :func:`count_file` / :func:`scan_file`: the vocabulary scan of a file;
- :class:`FileSentences`: the lines of a file as lists of str, split the
  same way, for the rare scans that need Python per word.

Words are maximal runs of bytes other than ASCII whitespace (space, \\t, \\n,
\\v, \\f, \\r; unlike ``str.split()``, Unicode spaces such as U+00A0 do not
split); a newline ends a sentence. Reading and counting run with the GIL
released; only building Python results (and a WordHash) holds it.
"""
import os
from typing import NamedTuple

import numpy as np

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport INT64_MAX
from libc.stdlib cimport free, malloc, realloc


cdef object status_error(int code, object path, int sys_errno):
    """The exception for a C status code; OSError subclasses name the path."""
    if code == CW2V_ERR_OPEN or (code == CW2V_ERR_IO and sys_errno != 0):
        return OSError(sys_errno, os.strerror(sys_errno) if sys_errno else
                       cw2v_strerror(code).decode(), os.fspath(path))
    if code == CW2V_ERR_IO:
        return OSError(f"read error in {os.fspath(path)!r}")
    if code == CW2V_ERR_NOMEM:
        return MemoryError(f"out of memory while reading {os.fspath(path)!r}")
    if code == CW2V_ERR_FULL:
        return OverflowError(f"{os.fspath(path)!r} has more than 2**31 - 1 distinct "
                             "words; pass max_vocab_size to bound the scan")
    return RuntimeError(f"{cw2v_strerror(code).decode()} (status {code}) "
                        f"while reading {os.fspath(path)!r}")


cdef bytes _word_bytes(object word):
    if isinstance(word, str):
        # surrogateescape: a word decoded that way maps back to its raw bytes.
        return (<str>word).encode("utf-8", "surrogateescape")
    if isinstance(word, bytes):
        return <bytes>word
    raise TypeError(f"a word must be str or bytes, not {type(word).__name__}: {word!r}")


cdef bytes _path_bytes(object path):
    try:
        return os.fsencode(path)
    except TypeError:
        raise TypeError(f"path must be a str, bytes or os.PathLike, not "
                        f"{type(path).__name__}") from None


cdef class WordHash:
    """Word -> id table built from a vocabulary, for lookups from C threads.

    ``WordHash(keys)``: ``keys`` is a sequence of words (str, stored as UTF-8,
    or bytes, stored as is); word ``keys[i]`` gets id ``i``. Duplicate words
    raise ValueError. Once built the table is only read, so any number of
    C threads may look words up at once without the GIL.
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


def read_range(path, start, end, WordHash vocab not None,
               max_sentence_length=CW2V_DEFAULT_MAX_SENTENCE_LENGTH, *,
               buffer_size=CW2V_READER_BUFFER_SIZE, passes=1):
    """Read the sentences of the byte range ``[start, end)`` of a text file.

    Parameters: ``path`` (str or PathLike), ``start`` (int >= 0), ``end``
    (int >= start, or None for the end of the file), ``vocab`` (WordHash),
    ``max_sentence_length``: a line with more in-vocabulary words is cut into
    chunks of exactly that many (the last shorter); ``buffer_size``: bytes
    read at a time (small values are for tests); ``passes``: read the range
    this many times, rewinding the reader in between as epochs do.

    Returns ``(sentences, raw_tokens)``: a list of 1-D int32 arrays of word
    ids, one per sentence or chunk, in file order (a line whose words are all
    out of vocabulary gives an empty array; empty lines give nothing), and
    the number of words in the range, in vocabulary or not. A word belongs
    to the range holding its first byte, so the ranges of any partition of
    the file read each word exactly once.
    """
    cdef bytes bpath = _path_bytes(path)
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
    raw_tokens)``: the number of sentences (chunks), of in-vocabulary ids
    and of words in ``[start, end)``. Used to size an epoch and to time the
    reader alone.
    """
    cdef bytes bpath = _path_bytes(path)
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
    cdef bytes bpath = _path_bytes(path)
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


class FileScan(NamedTuple):
    """Result of :func:`scan_file`."""
    counts: dict          # word (str) -> number of occurrences
    raw_tokens: int       # number of words in the file
    n_sentences: int      # number of lines holding at least one word
    prune_rounds: int     # pruning rounds done to respect max_vocab_size
    prune_floor: int      # words with count < prune_floor may have been dropped


def scan_file(path, max_vocab_size=None):
    """Count the words of a text file in C (the GIL is released meanwhile).

    Words are counted as bytes; they are decoded to str (UTF-8 with
    errors='replace') only at the end, and byte strings that decode to the
    same str have their counts added. With ``max_vocab_size`` the table is
    pruned like word2vec.c's: whenever it would hold more distinct words
    than that, every word seen at most ``floor`` times so far is dropped and
    ``floor`` (starting at 1) goes up by one, so counts of the survivors may
    be too low. Returns a :class:`FileScan`.
    """
    cdef bytes bpath = _path_bytes(path)
    cdef const char *cpath = bpath
    cdef cw2v_wordhash *table
    cdef int64_t raw = 0, lines = 0, count
    cdef int sys_errno = 0, rc
    cdef size_t i, size, max_words = 0, length
    cdef const char *word
    if max_vocab_size is not None:
        if not isinstance(max_vocab_size, int) or max_vocab_size < 1:
            raise ValueError(f"max_vocab_size must be None or an int >= 1, got {max_vocab_size!r}")
        max_words = max_vocab_size
    table = cw2v_wordhash_new(1 << 16)
    if table == NULL:
        raise MemoryError("cannot allocate the word count table")
    try:
        cw2v_wordhash_set_max_words(table, max_words)
        with nogil:
            rc = cw2v_count_range(cpath, 0, -1, table, &raw, &lines, &sys_errno)
        if rc != CW2V_OK:
            raise status_error(rc, path, sys_errno)
        counts = {}
        size = cw2v_wordhash_size(table)
        for i in range(size):
            cw2v_wordhash_get(table, i, &word, &length, NULL, &count)
            key = PyUnicode_DecodeUTF8(word, length, "replace")
            counts[key] = counts.get(key, 0) + count
        return FileScan(counts, raw, lines, cw2v_wordhash_prune_rounds(table),
                        cw2v_wordhash_prune_floor(table))
    finally:
        cw2v_wordhash_free(table)


def count_file(path, max_vocab_size=None):
    """Vocabulary scan of a text file: ``(counts, raw_tokens, n_sentences)``.

    ``counts`` maps each word (str) to its number of occurrences,
    ``raw_tokens`` is the number of words and ``n_sentences`` the number of
    lines holding at least one word. See :func:`scan_file` for the decoding
    and ``max_vocab_size`` pruning (it also reports the pruning rounds).
    """
    scan = scan_file(path, max_vocab_size)
    return scan.counts, scan.raw_tokens, scan.n_sentences


class FileSentences:
    """The lines of a text file as lists of words (str), split as file mode splits them.

    A restartable corpus: each iteration reads the file again with the C
    reader.  Words are decoded from UTF-8 with errors='replace' one by one;
    lines without words are skipped.  Slow next to :func:`scan_file` (a
    Python str per word): for scans that must call Python while counting,
    such as a ``trim_rule`` consulted when ``max_vocab_size`` prunes.
    """

    def __init__(self, path):
        self.path = os.fsdecode(_path_bytes(path))

    def __iter__(self):
        return _file_sentences(self.path)

    def __repr__(self):
        return f"FileSentences({self.path!r})"


def _file_sentences(path):
    cdef bytes bpath = _path_bytes(path)
    cdef cw2v_reader reader
    cdef const char *word
    cdef size_t length
    cdef int token
    cdef int rc = cw2v_reader_open(&reader, bpath, 0, -1)
    if rc != CW2V_OK:
        raise status_error(rc, path, reader.sys_errno)
    try:
        sentence = []
        while True:
            token = cw2v_reader_next_word(&reader, &word, &length)
            if token == CW2V_TOKEN_WORD:
                sentence.append(PyUnicode_DecodeUTF8(word, length, "replace"))
            elif token == CW2V_TOKEN_NEWLINE or token == CW2V_TOKEN_END:
                if sentence:
                    yield sentence
                    sentence = []
                if token == CW2V_TOKEN_END:
                    return
            else:
                raise status_error(token, path, reader.sys_errno)
    finally:
        cw2v_reader_close(&reader)
