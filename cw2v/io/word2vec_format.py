"""word2vec.c's vector file formats: text and binary, read and write.

Both formats start with a header line ``"<vocab size> <vector size>\\n"``.

* **text**: one line per word: the word, then the vector's numbers, separated
  by spaces. GloVe writes the same without the header line (``no_header=True``).
* **binary**: per word, the UTF-8 word, one space, ``vector_size``
  little-endian float32, then ``\\n``. word2vec.c writes that newline; gensim
  omits it. The reader accepts both, and a mix.

Files are read through :func:`cw2v.io.files.open_input`: gzip, bzip2 and xz
are recognised by their first bytes, whatever the name. Writing compresses as
the target's suffix says (``.gz``, ``.bz2``, ``.xz``, ``.lzma``).

The binary reader is vectorised: it only walks the file to find where each
word ends (one ``bytes.find`` per word, since the float bytes can hold any
value), then copies every vector of a multi-megabyte block in a single NumPy
gather. No Python work happens per float.

Errors in the input raise ``ValueError`` naming the file and the line number
(text) or byte offset (binary) of the problem; nothing is returned partially.
Writes are atomic (:func:`cw2v.io.files.atomic_write`).
"""
from __future__ import annotations

import mmap
import os
import re

import numpy as np

from cw2v.io.files import atomic_write, input_size, open_input

_LE_FLOAT32 = np.dtype("<f4")
_BLOCK_BYTES = 1 << 24  # bytes read per step; big enough that per-block overhead vanishes
_WRITE_ROWS = 8192  # rows formatted per write() call
# ASCII whitespace separates fields in both formats, so a key may not contain it.
_FIELD_SEPARATOR = re.compile(r"[ \t\n\r\x0b\x0c]")
_MAX_HEADER_BYTES = 4096
_MAX_WORD_BYTES = 1 << 20
# No real embedding comes near this; a bigger header value means a corrupt file.
_MAX_VECTOR_SIZE = 1 << 24
# When the plain size is unknown (compressed or piped input) the header's word
# count is unchecked: allocate at most this much up front and grow as rows arrive.
_FIRST_ALLOCATION_BYTES = 1 << 26
_NOT_WHITESPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")
_RECORDS_PER_STEP = 1 << 16  # records parsed per NumPy step: bounds the temporary arrays
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True  # a longer "word" in a binary file means the file is not what it claims


# --------------------------------------------------------------------------- writing


def save_word2vec_format(path, keys, vectors, binary=False, write_header=True, allow_non_finite=False):
    """Write ``keys`` and ``vectors`` in word2vec.c's text or binary format.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; ``.gz``, ``.bz2``, ``.xz``, ``.lzma`` suffixes compress. Written atomically.
    keys : sequence of str, length V
        The words, in file order. Must be non-empty and free of ASCII
        whitespace (the formats use it as the field separator).
    vectors : array_like, shape (V, K)
        One row per word; stored as float32.
    binary : bool
        Binary format (byte-for-byte what word2vec.c writes) instead of text.
    write_header : bool
        Write the ``"V K"`` first line. ``False`` gives GloVe-style text.
        word2vec.c's binary format always has a header; ``binary=True`` with
        ``write_header=False`` writes one the reader must be told about.
    allow_non_finite : bool
        Write rows holding NaN or infinity. By default they raise
        ``ValueError`` (see :func:`check_finite`): they come from a training
        run that diverged, and would poison every query on the file.

    Text numbers are written with 9 significant digits, which reproduces every
    float32 exactly when read back.
    """
    keys = list(keys)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-d array (words x dimensions), got shape {vectors.shape}")
    if len(keys) != vectors.shape[0]:
        raise ValueError(f"{len(keys)} keys but {vectors.shape[0]} vector rows; they must match")
    if vectors.shape[1] < 1:
        raise ValueError("vectors must have at least one dimension")
    _check_keys(keys)
    with np.errstate(over="ignore"):  # a value too big for float32 becomes inf, which check_finite reports
        vectors = np.ascontiguousarray(vectors, dtype=_LE_FLOAT32)
    if not allow_non_finite:
        check_finite(keys, vectors)
    n_rows, vector_size = vectors.shape

    with atomic_write(path) as out:
        if write_header:
            out.write(f"{n_rows} {vector_size}\n".encode("ascii"))
        if binary:
            for start in range(0, n_rows, _WRITE_ROWS):
                stop = min(start + _WRITE_ROWS, n_rows)
                out.write(b"".join(
                    word.encode("utf-8") + b" " + row.tobytes() + b"\n"
                    for word, row in zip(keys[start:stop], vectors[start:stop])
                ))
        else:
            row_format = " ".join(["%.9g"] * vector_size)
            for start in range(0, n_rows, _WRITE_ROWS):
                stop = min(start + _WRITE_ROWS, n_rows)
                rows = vectors[start:stop].tolist()
                out.write("".join(
                    f"{word} {row_format % tuple(row)}\n" for word, row in zip(keys[start:stop], rows)
                ).encode("utf-8"))


def check_finite(keys, vectors):
    """Raise ``ValueError`` naming the first row of ``vectors`` (V, K) that holds NaN or infinity.

    Such rows come from a training run that diverged (a learning rate too
    high for the data); saving them would only move the failure to whoever
    loads the file. The message says how to save them anyway.
    """
    bad_rows = []
    for start in range(0, len(vectors), _WRITE_ROWS):  # bounded temporary arrays
        finite = np.isfinite(vectors[start:start + _WRITE_ROWS]).all(axis=1)
        if not finite.all():
            bad_rows.extend((start + np.flatnonzero(~finite)).tolist())
    if bad_rows:
        row = bad_rows[0]
        others = f" (as do {len(bad_rows) - 1} other rows)" if len(bad_rows) > 1 else ""
        raise ValueError(
            f"vector row {row} ({keys[row]!r}) holds NaN or infinity{others}: training diverged; "
            "train again with a lower alpha (learning rate). To save the vectors anyway, pass "
            "allow_non_finite=True"
        )


def _check_keys(keys):
    for key in keys[:1]:
        if not isinstance(key, str):
            raise TypeError(f"keys must be str, got {type(key).__name__}")
    if not all(isinstance(k, str) for k in keys):
        bad = next(k for k in keys if not isinstance(k, str))
        raise TypeError(f"keys must be str, got {type(bad).__name__} ({bad!r})")
    if keys and min(map(len, keys)) == 0:
        raise ValueError(f"key number {keys.index('')} is the empty string, which the format cannot store")
    # One regex scan over all keys at C speed instead of a check per key.
    joined = "\x00".join(keys)
    hit = _FIELD_SEPARATOR.search(joined)
    if hit:
        index = joined.count("\x00", 0, hit.start())
        raise ValueError(
            f"key number {index} ({keys[index]!r}) contains whitespace, which separates fields in "
            "word2vec files; replace it (e.g. with '_') before saving"
        )


# --------------------------------------------------------------------------- reading


def load_word2vec_format(path, binary=False, limit=None, unicode_errors="strict", no_header=False):
    """Read a word2vec.c text or binary vector file.

    Parameters
    ----------
    path : str or os.PathLike
        Input file; gzip, bzip2 and xz compression are detected by content and undone.
    binary : bool
        The file is in binary format.
    limit : int, optional
        Read only the first ``limit`` words (the rest of the file is not read).
    unicode_errors : str
        How to decode words that are not valid UTF-8: ``'strict'`` raises
        ``ValueError`` with the position; ``'replace'`` or ``'ignore'`` as
        in ``bytes.decode`` (word2vec.c can cut a multi-byte character).
    no_header : bool
        Text only: the file has no ``"V K"`` line (GloVe); the vector size is
        taken from the first line.

    Returns
    -------
    keys : list of str, length V
        Words in file order (duplicates, if the file has any, are kept).
    vectors : numpy.ndarray, float32, shape (V, K), C-contiguous

    Raises
    ------
    ValueError
        Malformed header, truncated file, wrong number of values on a line,
        undecodable word (strict), data beyond the declared word count, or a
        text file read with ``binary=True``. The message names the file and
        the position.
    """
    if limit is not None:
        limit = int(limit)
        if limit < 0:
            raise ValueError(f"limit must be >= 0 or None, got {limit}")
    if binary and no_header:
        raise ValueError("no_header=True works only for text files: binary word2vec files always have a header")
    path_str = os.fspath(path)
    with open_input(path_str) as stream:
        reader = _BinaryReader if binary else _TextReader
        keys, vectors = reader(stream, path_str, limit, unicode_errors, no_header, input_size(stream)).read()
    if vectors.dtype != np.float32:  # big-endian machine: make the array native
        vectors = vectors.astype(np.float32)
    return keys, vectors


class _Reader:
    """Shared state of one read: the stream, a byte buffer and its file offset."""

    def __init__(self, stream, path, limit, unicode_errors, no_header, plain_size):
        self.stream = stream
        self.path = path
        self.limit = limit
        self.errors = unicode_errors
        self.no_header = no_header
        self.plain_size = plain_size
        self.buffer = b""
        self.buffer_offset = 0  # file offset of buffer[0]
        self.eof = False

    def fill(self, size=None):
        """Append the next block to the buffer; False if the stream is exhausted."""
        if self.eof:
            return False
        block = self.stream.read(size or _BLOCK_BYTES)
        if not block:
            self.eof = True
            return False
        self.buffer = self.buffer + block if self.buffer else block
        return True

    def consume(self, n):
        self.buffer = self.buffer[n:]
        self.buffer_offset += n

    def fail(self, where, what):
        raise ValueError(f"{self.path}: {where}: {what}")

    def read_header(self):
        """Parse the ``V K`` line; returns (vocab size, vector size)."""
        while b"\n" not in self.buffer[:_MAX_HEADER_BYTES] and len(self.buffer) < _MAX_HEADER_BYTES:
            if not self.fill(_MAX_HEADER_BYTES):
                break
        end = self.buffer.find(b"\n", 0, _MAX_HEADER_BYTES)
        line = self.buffer[: end if end >= 0 else _MAX_HEADER_BYTES]
        fields = line.split()
        try:
            if len(fields) != 2:
                raise ValueError
            vocab_size, vector_size = int(fields[0]), int(fields[1])
        except ValueError:
            shown = line[:60].decode("utf-8", "replace")
            hint = (" (a header-less GloVe file? pass no_header=True)"
                    if len(fields) > 2 and not getattr(self, "is_binary", False) else "")
            self.fail("line 1", f"expected the header 'VOCAB_SIZE VECTOR_SIZE', found {shown!r}{hint}")
        if vocab_size < 0 or not 1 <= vector_size <= _MAX_VECTOR_SIZE:
            self.fail("line 1", f"header declares {vocab_size} words of {vector_size} dimensions; "
                                f"expected a word count >= 0 and a vector size from 1 to {_MAX_VECTOR_SIZE} "
                                "(a corrupt file, or not a word2vec file)")
        self.consume(end + 1 if end >= 0 else len(line))
        return vocab_size, vector_size

class _BinaryReader(_Reader):
    is_binary = True

    def read(self):
        vocab_size, vector_size = self.read_header()
        wanted = vocab_size if self.limit is None else min(vocab_size, self.limit)
        record_bytes = 4 * vector_size
        if self.plain_size is not None:
            # Every record takes at least a 1-byte word, a space and the floats:
            # never allocate for more records than the file can hold.
            capacity = min(wanted, (self.plain_size - self.buffer_offset) // (record_bytes + 2) + 1)
        else:
            # The header alone is no reason to allocate: grow as records arrive.
            capacity = min(wanted, max(1, _FIRST_ALLOCATION_BYTES // record_bytes))
        vectors = np.empty((capacity, vector_size), dtype=_LE_FLOAT32)
        pos = self._map_plain_file()
        try:
            keys, vectors, done = self._read_records(vectors, wanted, vocab_size, vector_size, pos)
        finally:
            self._unmap()
        return keys, vectors[:done] if done < vectors.shape[0] else vectors

    def _map_plain_file(self):
        """Map an uncompressed file so records are parsed in place, without copies.

        Returns the position after the header in the new buffer. Compressed
        input stays a stream read block by block (``self.mapped`` is None).
        """
        self.mapped = None
        pos = 0
        if self.plain_size is not None and self.plain_size > self.buffer_offset:
            try:
                self.mapped = mmap.mmap(self.stream.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError, AttributeError):  # e.g. no mmap on this platform/file
                return 0
            pos = self.buffer_offset
            self.buffer, self.buffer_offset, self.eof = self.mapped, 0, True
        return pos

    def _unmap(self):
        if self.mapped is not None:
            self.buffer = b""
            try:
                self.mapped.close()
            except BufferError:  # an exception's traceback still holds a view; GC closes it
                pass

    def _read_records(self, vectors, wanted, vocab_size, vector_size, pos):
        record_bytes = 4 * vector_size
        end_of_vector = record_bytes + 1
        record_type = np.dtype((np.void, record_bytes))
        keys = []
        done = 0
        while done < wanted:
            buf = self.buffer
            size = len(buf)
            find = buf.find
            spaces = []
            append = spaces.append
            start = pos
            todo = min(wanted - done, _RECORDS_PER_STEP)
            need_more = False
            # The only per-word Python work: find the space that ends each word.
            # A word starts right after the previous vector (plus word2vec.c's
            # newline, stripped later), so only the space needs recording.
            while todo:
                space = find(b" ", pos)
                if space < 0 or space + end_of_vector > size:
                    need_more = True
                    break
                if space == pos:  # a stray space before a word: skip it
                    pos += 1
                    continue
                append(space)
                pos = space + end_of_vector
                todo -= 1
            found = len(spaces)
            resynced = False
            if found:
                spaces = np.array(spaces, dtype=np.int64)
                starts = self._word_starts(buf, spaces, end_of_vector, start)
                blank = np.flatnonzero(starts == spaces)
                if blank.size:
                    # Only whitespace before this space ("\n  word"): it was not
                    # the end of a word. Keep the records before it and look for
                    # the next word after it.
                    found = int(blank[0])
                    pos = int(spaces[found]) + 1
                    spaces, starts = spaces[:found], starts[:found]
                    need_more, resynced = False, True
            if found:
                if done == 0:
                    self._reject_text(buf, int(spaces[0]) + 1, vector_size)
                if done + found > vectors.shape[0]:
                    vectors = _grow(vectors, min(wanted, max(2 * vectors.shape[0], done + found)))
                # One gather copies every vector of the step: view the buffer as
                # overlapping record-sized items, one starting at each byte.
                items = np.ndarray(shape=(size - record_bytes + 1,), dtype=record_type, buffer=buf, strides=(1,))
                vectors[done:done + found].view(record_type)[:, 0] = items[spaces + 1]
                del items
                keys.extend(self._block_words(buf, starts, spaces, end_of_vector))
                done += found
            elif not resynced and size - pos > record_bytes + _MAX_WORD_BYTES:
                self.fail(f"byte offset {self.buffer_offset + pos}",
                          f"no word ending (a space) within {_MAX_WORD_BYTES} bytes: not a binary word2vec "
                          "file, or corrupt")
            if need_more and done < wanted:
                if self.mapped is None:
                    self.consume(pos)
                    pos = 0
                if not self.fill():
                    self._truncated(done, vocab_size, vector_size, pos)
        if self.limit is None:
            self._expect_end(vocab_size, pos)
        return keys, vectors, done

    @staticmethod
    def _word_starts(buf, spaces, end_of_vector, start):
        """Where each word of a step starts, given the offset of the space after each.

        Skips the newline word2vec.c writes after each vector, and any other
        stray whitespace: words never contain whitespace, so this is safe. A
        start equal to its space means only whitespace preceded that space.
        """
        data = np.frombuffer(buf, dtype=np.uint8)
        starts = np.empty_like(spaces)
        starts[0] = start
        starts[1:] = spaces[:-1] + end_of_vector
        while True:
            lead = (starts < spaces) & _WHITESPACE[data[starts]]
            if not lead.any():
                return starts
            starts[lead] += 1

    def _block_words(self, buf, starts, spaces, end_of_vector):
        """Decode the words of one step given where each starts and the space after each."""
        data = np.frombuffer(buf, dtype=np.uint8)
        # Gather every word with its trailing space into one bytes object:
        # one decode and one split instead of a decode per word.
        lengths = spaces - starts + 1
        ends = np.cumsum(lengths)
        index = np.arange(ends[-1], dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        word_bytes = data[index]
        # Whitespace inside a word means the records are out of step: a wrong
        # vector size in the header, or a damaged file. Without this check a
        # wrong size could go unnoticed under limit= or unicode_errors=.
        inside = _WHITESPACE[word_bytes]
        inside[ends - 1] = False  # the space that ends each word
        if inside.any():
            i = int(np.searchsorted(ends, np.argmax(inside), side="right"))
            raw = bytes(buf[starts[i]:spaces[i]][:60])
            self.fail(f"byte offset {self.buffer_offset + int(starts[i])}",
                      f"word {raw!r} contains whitespace: wrong vector size or corrupt file (the header "
                      f"declares {(end_of_vector - 1) // 4} floats per word)")
        joined = word_bytes.tobytes()
        try:
            text = joined.decode("utf-8", self.errors)
        except UnicodeDecodeError as err:
            i = int(np.searchsorted(ends, err.start, side="right"))
            raw = buf[starts[i]:spaces[i]]
            self.fail(f"byte offset {self.buffer_offset + int(starts[i])}",
                      f"word {raw!r} is not valid UTF-8 ({err.reason}); "
                      "pass unicode_errors='replace' to load it anyway")
        words = text.split(" ")
        words.pop()  # empty string after the last separator
        if len(words) != len(spaces):  # an error handler produced a space
            words = [buf[a:b].decode("utf-8", self.errors) for a, b in zip(starts.tolist(), spaces.tolist())]
        return words

    def _reject_text(self, buf, start, vector_size):
        """Fail if the first "vector", starting at ``buf[start]``, is text: numbers in ASCII.

        Two signs: 16 or more bytes of nothing but number characters (needs
        ``vector_size >= 4``), or a line of exactly ``vector_size`` numbers
        (any size; random float bytes practically never form one).
        """
        sample = bytes(buf[start:start + min(4 * vector_size, 64)])
        looks_like_text = len(sample) >= 16 and not sample.translate(None, b"0123456789.-+eE \t\r\n")
        if not looks_like_text:
            # "%.9g" numbers take at most 16 characters and a separator.
            line = bytes(buf[start:start + 17 * vector_size + 16]).split(b"\n", 1)[0]
            fields = line.split()
            looks_like_text = len(fields) == vector_size and _all_numbers(fields)
        if looks_like_text:
            self.fail(f"byte offset {self.buffer_offset + start}",
                      "the first vector is ASCII numbers, not float32 bytes: this looks like a text-format "
                      "file; pass binary=False")

    def _truncated(self, done, vocab_size, vector_size, pos):
        rest = self.buffer[pos:]
        stripped = rest.lstrip()
        where = f"byte offset {self.buffer_offset + pos + len(rest) - len(stripped)}"
        if not stripped:
            self.fail(where, f"file ends after {done} words, but the header declares {vocab_size}")
        space = stripped.find(b" ")
        if done == 0 and space >= 0:  # a short text file read as binary ends here too
            self._reject_text(self.buffer, pos + len(rest) - len(stripped) + space + 1, vector_size)
        floats = (len(stripped) - space - 1) // 4 if space >= 0 else 0
        self.fail(where, f"record {done + 1} is truncated: the word is followed by {floats} of "
                         f"{vector_size} floats before the file ends (header declares {vocab_size} words)")

    def _expect_end(self, vocab_size, pos):
        """Fail unless only whitespace follows the last declared record."""
        while True:
            extra = _NOT_WHITESPACE.search(self.buffer, pos)
            if extra:
                self.fail(f"byte offset {self.buffer_offset + extra.start()}",
                          f"data continues after the {vocab_size} words the header declares; "
                          f"pass limit={vocab_size} to read only those")
            if self.mapped is None:
                self.consume(len(self.buffer))
                pos = 0
            if not self.fill():
                return


class _TextReader(_Reader):
    is_binary = False

    def decode_words(self, raw_words, position_of):
        """Decode a list of word bytes at once.

        ``position_of(i)`` describes where word ``i`` is in the file; it is only
        called to build an error message, so no per-word work is done otherwise.
        """
        # Words never contain a space (it ends a word), so one decode of the
        # space-joined bytes followed by a split is exact and fast.
        try:
            text = b" ".join(raw_words).decode("utf-8", self.errors)
        except UnicodeDecodeError:
            for i, raw in enumerate(raw_words):
                try:
                    raw.decode("utf-8", self.errors)
                except UnicodeDecodeError as err:
                    self.fail(position_of(i), f"word {raw!r} is not valid UTF-8 ({err.reason}); "
                                              "pass unicode_errors='replace' to load it anyway")
            raise
        words = text.split(" ")
        if len(words) != len(raw_words):  # an error handler produced a space
            words = [raw.decode("utf-8", self.errors) for raw in raw_words]
        return words

    def read(self):
        if self.no_header:
            vocab_size, vector_size, line_no = None, None, 0
            wanted = self.limit
        else:
            vocab_size, vector_size = self.read_header()
            line_no = 1
            wanted = vocab_size if self.limit is None else min(vocab_size, self.limit)
        keys, blocks = [], []
        done = 0
        finished = False
        while not finished:
            more = self.fill()
            buf = self.buffer
            cut = buf.rfind(b"\n") + 1 if more else len(buf)
            if more and cut == 0:
                continue  # no complete line yet: read on
            lines = buf[:cut].split(b"\n")
            if lines[-1] == b"":
                lines.pop()  # what split leaves after a final newline
            self.consume(cut)
            rows, row_lines = [], []
            for line in lines:
                line_no += 1
                fields = line.split()
                if not fields:
                    continue  # blank line
                if vector_size is None:
                    vector_size = len(fields) - 1
                    if vector_size < 1:
                        self.fail(f"line {line_no}", f"expected a word followed by numbers, found {line[:60]!r}")
                if wanted is not None and done + len(rows) == wanted:
                    if self.limit is None:
                        self.fail(f"line {line_no}",
                                  f"data continues after the {vocab_size} words the header declares; "
                                  f"pass limit={vocab_size} to read only those")
                    finished = True
                    break
                if len(fields) != vector_size + 1:
                    self.fail(f"line {line_no}",
                              f"expected a word and {vector_size} numbers, found {len(fields) - 1} numbers")
                rows.append(fields)
                row_lines.append(line_no)
            if rows:
                try:
                    # NumPy parses every number of the block in one call.
                    blocks.append(np.array([fields[1:] for fields in rows], dtype=np.float32))
                except ValueError:
                    self._locate_bad_number(rows, row_lines)
                    raise
                raw_words = [fields[0] for fields in rows]
                keys.extend(self.decode_words(raw_words, lambda i, lines=row_lines: f"line {lines[i]}"))
                done += len(rows)
            if not more:
                break
        if vocab_size is not None and done < wanted:
            self.fail(f"line {line_no + 1}", f"file ends after {done} words, but the header declares {vocab_size}")
        if vector_size is None:
            self.fail("line 1", "the file holds no vectors")
        vectors = np.concatenate(blocks) if blocks else np.empty((0, vector_size), dtype=np.float32)
        return keys, np.ascontiguousarray(vectors, dtype=np.float32)

    def _locate_bad_number(self, rows, row_lines):
        for fields, line_no in zip(rows, row_lines):
            for field in fields[1:]:
                try:
                    float(field)
                except ValueError:
                    self.fail(f"line {line_no}", f"{field[:40]!r} is not a number")


def _all_numbers(fields):
    try:
        for field in fields:
            float(field)
    except ValueError:
        return False
    return True


def _grow(vectors, rows):
    grown = np.empty((rows, vectors.shape[1]), dtype=vectors.dtype)
    grown[: vectors.shape[0]] = vectors
    return grown
