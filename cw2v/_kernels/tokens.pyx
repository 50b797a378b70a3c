# cython: language_level=3
"""Compiled token loops: sentences to int32 id batches, and vocabulary counting.

They make no per-token Python calls; all but :class:`TextIds` hold the GIL
(they work on Python objects).

* :class:`IdBatcher` fills the id batches behind ``cw2v.io.corpus.iter_id_batches``:
  one C-level dict probe per token, borrowed references; or, for sentences
  already converted by :class:`TextIds`, a copy of their known ids.
* :class:`TokenCounter` counts token lists for ``cw2v.vocab.Vocabulary.scan``:
  a dict maps each distinct token to a slot and the counts live in an int64
  array, so counting a token never allocates (a ``Counter`` makes a new int
  object for every increment past 256).
* :class:`TextCounter` counts the tokens of decoded text without splitting
  it into a list at all (used for cw2v's own file readers).
* :class:`TextIds` converts decoded text straight to vocabulary ids, without
  the GIL (training from cw2v's own file readers).
"""
import numpy as np

cimport numpy as cnp
from cpython.dict cimport PyDict_GetItemWithError, PyDict_SetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.ref cimport PyObject
from cpython.unicode cimport (Py_UNICODE_ISSPACE, PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND,
                              PyUnicode_READ, PyUnicode_Substring)
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy

cnp.import_array()

cdef extern from "Python.h":
    # Pure functions on immutable data: safe without the GIL while a
    # reference to the str is held.
    bint _isspace_nogil "Py_UNICODE_ISSPACE" (Py_UCS4 ch) nogil
    Py_UCS4 _read_nogil "PyUnicode_READ" (int kind, const void *data, Py_ssize_t index) nogil

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


cdef list _as_token_list(object sentence, long long index):
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
    sentence is a TypeError naming it. Rules: out-of-vocabulary tokens are dropped; a sentence with more than
    ``max_len`` in-vocabulary tokens becomes pieces of ``max_len`` ids; a
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
        while i < n and written < self.max_len:
            if raw[i] >= 0:
                out[written] = raw[i]
                written += 1
            i += 1
        n_ids[0] = written
        return i

    cdef Py_ssize_t _convert(self, list sentence, Py_ssize_t start, int32_t *out,
                             Py_ssize_t *n_ids) except -1:
        """Convert ``sentence[start:]`` into ``out`` until it ends or ``max_len`` ids.

        Stores the number of ids written in ``n_ids[0]``; returns the index
        of the next unconverted token.
        """
        cdef Py_ssize_t i = start, n = PyList_GET_SIZE(sentence), written = 0
        cdef PyObject *value
        while i < n and written < self.max_len:
            value = PyDict_GetItemWithError(self.vocab, <object>PyList_GET_ITEM(sentence, i))
            i += 1
            if value != NULL:
                out[written] = <int32_t>_as_ssize(value)
                written += 1
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
                    self.current = _as_token_list(obj, self.sentences_read)
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


cdef class TokenCounter:
    """Streaming token counts: ``index`` dict token -> slot, int64 ``counts`` per slot.

    Slots follow first appearance (and keep that order through pruning).
    Attributes ``raw_words`` (tokens seen) and ``n_sentences`` accumulate over
    all :meth:`count_sentences` calls.
    """

    cdef dict index
    cdef list words
    cdef cnp.ndarray counts_arr  # int64, capacity >= len(words)
    cdef public long long raw_words
    cdef public long long n_sentences

    def __init__(self):
        self.index = {}
        self.words = []
        self.counts_arr = np.zeros(1024, dtype=np.int64)
        self.raw_words = 0
        self.n_sentences = 0

    def __len__(self):
        return len(self.words)

    cdef int _grow(self) except -1:
        cdef cnp.ndarray bigger = np.zeros(2 * self.counts_arr.shape[0], dtype=np.int64)
        bigger[: self.counts_arr.shape[0]] = self.counts_arr
        self.counts_arr = bigger
        return 0

    cdef int _count_list(self, list sentence) except -1:
        cdef Py_ssize_t i, n = PyList_GET_SIZE(sentence), slot
        cdef int64_t *counts = <int64_t *>cnp.PyArray_DATA(self.counts_arr)
        cdef PyObject *value
        cdef object token
        for i in range(n):
            token = <object>PyList_GET_ITEM(sentence, i)
            value = PyDict_GetItemWithError(self.index, token)
            if value != NULL:
                counts[_as_ssize(value)] += 1
            else:
                slot = PyList_GET_SIZE(self.words)
                if slot == self.counts_arr.shape[0]:
                    self._grow()
                    counts = <int64_t *>cnp.PyArray_DATA(self.counts_arr)
                PyDict_SetItem(self.index, token, slot)
                self.words.append(token)
                counts[slot] = 1
        self.raw_words += n
        return 0

    def count_sentences(self, sentences, Py_ssize_t max_distinct=-1,
                        Py_ssize_t progress_every=0, progress=None):
        """Count sentences from the iterator ``sentences`` (each a sequence of tokens, not a str).

        Returns True when the iterator is exhausted, False when it stopped
        early because more than ``max_distinct`` (>= 0) distinct tokens are
        held: the caller prunes and calls again with the same iterator.
        ``progress(n_sentences, raw_words, distinct)`` is called before every
        ``progress_every``-th sentence (0 = never).
        """
        cdef object sentence
        for sentence in sentences:
            if progress_every > 0 and self.n_sentences % progress_every == 0 and progress is not None:
                progress(self.n_sentences, self.raw_words, len(self.words))
            if type(sentence) is not list:
                sentence = _as_token_list(sentence, self.n_sentences)
            self._count_list(<list>sentence)
            self.n_sentences += 1
            if 0 <= max_distinct < PyList_GET_SIZE(self.words):
                return False
        return True

    def words_and_counts(self):
        """(list of distinct tokens in slot order, int64 counts array (a copy))."""
        return list(self.words), self.counts_arr[: len(self.words)].copy()

    def keep_only(self, keep):
        """Drop every slot whose entry in the bool array ``keep`` is False (renumbering the rest)."""
        keep = np.asarray(keep, dtype=bool)
        n = len(self.words)
        if keep.shape != (n,):
            raise ValueError(f"keep mask must have shape ({n},), got {keep.shape}")
        kept_slots = np.flatnonzero(keep)
        new_words = [self.words[i] for i in kept_slots.tolist()]
        new_counts = np.zeros(max(1024, 2 * len(new_words)), dtype=np.int64)
        new_counts[: len(new_words)] = self.counts_arr[kept_slots]
        self.words = new_words
        self.index = {w: i for i, w in enumerate(new_words)}
        self.counts_arr = new_counts


# ---------------------------------------------------------------------------
# Counting straight from decoded text
# ---------------------------------------------------------------------------
cdef uint64_t _FNV_OFFSET = 14695981039346656037ULL
cdef uint64_t _FNV_PRIME = 1099511628211ULL

# str.split() whitespace for code points < 256 (the same predicate, tabulated).
cdef bint _SPACE_LATIN1[256]
for _cp in range(256):
    _SPACE_LATIN1[_cp] = chr(_cp).isspace()


cdef inline bint _is_space(Py_UCS4 ch) noexcept nogil:
    if ch < 256:
        return _SPACE_LATIN1[ch]
    return _isspace_nogil(ch)


cdef inline Py_ssize_t _next_token(int kind, const char *data, Py_ssize_t n, Py_ssize_t i,
                                   Py_ssize_t *start, uint64_t *hash_out) noexcept nogil:
    """Find the token at or after code point i of a str's data, as str.split() does.

    Returns the index just past it (its first code point in start[0], its
    FNV-1a hash over code points in hash_out[0]), or -1 if none is left.
    The same word hashes the same whatever the str's kind (Latin-1, UCS-2, UCS-4).
    """
    cdef const unsigned char *latin1 = <const unsigned char *>data
    cdef uint64_t h = _FNV_OFFSET
    cdef Py_UCS4 ch
    if kind == 1:  # the common case, specialised: one byte per code point
        while i < n and _SPACE_LATIN1[latin1[i]]:
            i += 1
        if i >= n:
            return -1
        start[0] = i
        while i < n and not _SPACE_LATIN1[latin1[i]]:
            h = (h ^ latin1[i]) * _FNV_PRIME
            i += 1
    else:
        while i < n and _is_space(_read_nogil(kind, data, i)):
            i += 1
        if i >= n:
            return -1
        start[0] = i
        while i < n:
            ch = _read_nogil(kind, data, i)
            if _is_space(ch):
                break
            h = (h ^ <uint64_t>ch) * _FNV_PRIME
            i += 1
    hash_out[0] = h
    return i


cdef class TextCounter:
    """Token counts taken directly from decoded text, as ``str.split()`` would split it.

    Unlike :class:`TokenCounter` it never builds token lists: each token is
    hashed in place (FNV-1a over its code points, so the same word hashes the
    same in a Latin-1, UCS-2 or UCS-4 string) and looked up in an
    open-addressing table; a ``str`` is created only for a word seen for the
    first time. Used by the vocabulary scan of cw2v's own file readers.
    Attributes ``raw_words`` (tokens counted) and ``n_sentences`` (kept by the
    caller, which knows the sentence rules) accumulate.
    """

    cdef list words
    cdef cnp.ndarray counts_arr   # int64 per word, capacity >= len(words)
    cdef cnp.ndarray hashes_arr   # uint64 per word
    cdef cnp.ndarray table_arr    # int64 slots: word index or -1; size power of 2
    cdef Py_ssize_t mask
    cdef public long long raw_words
    cdef public long long n_sentences

    def __init__(self):
        self.words = []
        self.counts_arr = np.zeros(1024, dtype=np.int64)
        self.hashes_arr = np.zeros(1024, dtype=np.uint64)
        self.table_arr = np.full(2048, -1, dtype=np.int64)
        self.mask = 2047
        self.raw_words = 0
        self.n_sentences = 0

    def __len__(self):
        return len(self.words)

    def words_and_counts(self):
        """(list of distinct tokens in first-appearance order, int64 counts array (a copy))."""
        return list(self.words), self.counts_arr[: len(self.words)].copy()

    cdef int _grow_words(self) except -1:
        cdef Py_ssize_t n = self.counts_arr.shape[0]
        counts = np.zeros(2 * n, dtype=np.int64)
        counts[:n] = self.counts_arr
        hashes = np.zeros(2 * n, dtype=np.uint64)
        hashes[:n] = self.hashes_arr
        self.counts_arr, self.hashes_arr = counts, hashes
        return 0

    cdef int _grow_table(self) except -1:
        cdef Py_ssize_t size = 2 * (self.mask + 1), i, slot, n = len(self.words)
        cdef cnp.ndarray table_arr = np.full(size, -1, dtype=np.int64)
        cdef int64_t *table = <int64_t *>cnp.PyArray_DATA(table_arr)
        cdef uint64_t *hashes = <uint64_t *>cnp.PyArray_DATA(self.hashes_arr)
        cdef Py_ssize_t mask = size - 1
        for i in range(n):
            slot = <Py_ssize_t>(hashes[i] & <uint64_t>mask)
            while table[slot] >= 0:
                slot = (slot + 1) & mask
            table[slot] = i
        self.table_arr, self.mask = table_arr, mask
        return 0

    cdef bint _same(self, Py_ssize_t index, int kind, const char *data, Py_ssize_t start,
                    Py_ssize_t length):
        """Whether stored word ``index`` equals ``length`` code points of ``data`` at ``start``."""
        cdef object key = <object>PyList_GET_ITEM(self.words, index)
        cdef int key_kind = PyUnicode_KIND(key)
        cdef void *key_data = PyUnicode_DATA(key)
        cdef Py_ssize_t i
        if PyUnicode_GET_LENGTH(key) != length:
            return False
        if key_kind == kind:
            return memcmp(key_data, data + start * kind, length * kind) == 0
        for i in range(length):
            if PyUnicode_READ(key_kind, key_data, i) != PyUnicode_READ(kind, <void *>data, start + i):
                return False
        return True

    cdef int _add(self, str text, int kind, const char *data, Py_ssize_t start, Py_ssize_t end,
                  uint64_t h) except -1:
        cdef int64_t *table = <int64_t *>cnp.PyArray_DATA(self.table_arr)
        cdef Py_ssize_t slot = <Py_ssize_t>(h & <uint64_t>self.mask), index
        cdef uint64_t *hashes = <uint64_t *>cnp.PyArray_DATA(self.hashes_arr)
        while True:
            index = table[slot]
            if index < 0:
                break
            if hashes[index] == h and self._same(index, kind, data, start, end - start):
                (<int64_t *>cnp.PyArray_DATA(self.counts_arr))[index] += 1
                return 0
            slot = (slot + 1) & self.mask
        index = PyList_GET_SIZE(self.words)
        if index == self.counts_arr.shape[0]:
            self._grow_words()
        self.words.append(PyUnicode_Substring(text, start, end))
        (<int64_t *>cnp.PyArray_DATA(self.counts_arr))[index] = 1
        (<uint64_t *>cnp.PyArray_DATA(self.hashes_arr))[index] = h
        table[slot] = index
        if 2 * (index + 1) > self.mask + 1:  # keep the load factor <= 1/2
            self._grow_table()
        return 0

    def count_text(self, str text, long long max_tokens=-1):
        """Count the tokens of ``text`` (``text.split()``); return how many were counted.

        ``max_tokens >= 0`` stops after that many tokens.
        """
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, start = 0
        cdef int kind = PyUnicode_KIND(text)
        cdef const char *data = <const char *>PyUnicode_DATA(text)
        cdef uint64_t h = 0
        cdef long long counted = 0
        while counted != max_tokens:
            i = _next_token(kind, data, n, i, &start, &h)
            if i < 0:
                break
            self._add(text, kind, data, start, i, h)
            counted += 1
        self.raw_words += counted
        return counted


cdef class TextIds:
    """Vocabulary ids of the tokens of decoded text, as ``str.split()`` splits it.

    No token ``str`` is ever made: each token is hashed in place (the hash of
    :class:`TextCounter`) and compared, code point by code point, with the
    vocabulary word in its slot.  Conversion runs without the GIL, so the
    thread feeding training workers leaves them the interpreter.
    ``TextIds(index_to_key)``: word ``index_to_key[i]`` gets id ``i``.
    """

    cdef cnp.ndarray table_arr    # int32 slots: word id or -1; size a power of 2
    cdef Py_ssize_t mask
    cdef cnp.ndarray hashes_arr   # uint64 per word
    cdef cnp.ndarray chars_arr    # uint32 code points of every word, concatenated
    cdef cnp.ndarray offsets_arr  # int64, V + 1: word i is chars[offsets[i]:offsets[i+1]]
    cdef int32_t *table           # the data of the arrays above, for GIL-free loops
    cdef uint64_t *hashes
    cdef uint32_t *chars
    cdef int64_t *offsets

    def __init__(self, index_to_key):
        cdef Py_ssize_t V = len(index_to_key), i, j, start = 0, total = 0, slot, size = 2
        cdef uint64_t h = 0
        cdef str word
        if V >= 2 ** 31:
            raise ValueError("a vocabulary of 2**31 words or more does not fit int32 ids")
        while size < 2 * V:
            size *= 2
        for word in index_to_key:
            total += PyUnicode_GET_LENGTH(word)
        self.table_arr = np.full(size, -1, dtype=np.int32)
        self.mask = size - 1
        self.hashes_arr = np.zeros(V, dtype=np.uint64)
        self.chars_arr = np.zeros(max(total, 1), dtype=np.uint32)
        self.offsets_arr = np.zeros(V + 1, dtype=np.int64)
        self.table = <int32_t *>cnp.PyArray_DATA(self.table_arr)
        self.hashes = <uint64_t *>cnp.PyArray_DATA(self.hashes_arr)
        self.chars = <uint32_t *>cnp.PyArray_DATA(self.chars_arr)
        self.offsets = <int64_t *>cnp.PyArray_DATA(self.offsets_arr)
        cdef int32_t *table = self.table
        cdef uint64_t *hashes = self.hashes
        cdef uint32_t *chars = self.chars
        cdef int64_t *offsets = self.offsets
        cdef Py_ssize_t n
        cdef int kind
        cdef const char *data
        total = 0
        for i, word in enumerate(index_to_key):
            n = PyUnicode_GET_LENGTH(word)
            kind = PyUnicode_KIND(word)
            data = <const char *>PyUnicode_DATA(word)
            if _next_token(kind, data, n, 0, &start, &h) != n or start != 0:
                raise ValueError(f"vocabulary word {word!r} is empty or holds whitespace: "
                                 "it can never be a token of split text")
            for j in range(n):
                chars[total + j] = _read_nogil(kind, data, j)
            offsets[i] = total
            total += n
            offsets[i + 1] = total
            hashes[i] = h
            slot = <Py_ssize_t>(h & <uint64_t>self.mask)
            while table[slot] >= 0:
                if self._same(table[slot], kind, data, 0, n):
                    raise ValueError(f"duplicate vocabulary word {word!r}")
                slot = (slot + 1) & self.mask
            table[slot] = <int32_t>i

    cdef inline bint _same(self, int32_t word, int kind, const char *data, Py_ssize_t start,
                           Py_ssize_t length) noexcept nogil:
        cdef Py_ssize_t j, first = self.offsets[word]
        if self.offsets[word + 1] - first != length:
            return False
        for j in range(length):
            if self.chars[first + j] != _read_nogil(kind, data, start + j):
                return False
        return True

    cdef inline int32_t _find(self, int kind, const char *data, Py_ssize_t start,
                              Py_ssize_t end, uint64_t h) noexcept nogil:
        cdef Py_ssize_t slot = <Py_ssize_t>(h & <uint64_t>self.mask)
        cdef int32_t word
        while True:
            word = self.table[slot]
            if word < 0:
                return -1
            if self.hashes[word] == h and self._same(word, kind, data, start, end - start):
                return word
            slot = (slot + 1) & self.mask

    def convert(self, str text, long long max_tokens=-1):
        """int32 array with one entry per token of ``text.split()``: its id, or -1 if unknown.

        ``max_tokens >= 0`` stops after that many tokens.
        """
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, start = 0, count = 0
        cdef int kind = PyUnicode_KIND(text)
        cdef const char *data = <const char *>PyUnicode_DATA(text)
        cdef uint64_t h = 0
        cdef cnp.ndarray out_arr = np.empty(n // 2 + 1, dtype=np.int32)  # tokens <= ceil(n/2)
        cdef int32_t *out = <int32_t *>cnp.PyArray_DATA(out_arr)
        with nogil:
            while count != max_tokens:
                i = _next_token(kind, data, n, i, &start, &h)
                if i < 0:
                    break
                out[count] = self._find(kind, data, start, i, h)
                count += 1
        return out_arr[:count]
