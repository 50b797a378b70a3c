"""Stanford GloVe's files: co-occurrence records, vocab.txt and trained parameters.

Co-occurrence file (``cooccur``'s output, ``shuffle``'s input and output):
records of 16 bytes, no header: int32 word1, int32 word2, float64 count,
little-endian, ids 1-based in vocab.txt's order.  ``cooccur`` writes them
sorted by (word1, word2) with one record per pair; ``shuffle`` reorders them.
A pair appearing in several records is read as the sum of their counts.

vocab.txt (``vocab_count``'s output): one ``word count`` per line, most
frequent first, without word2vec.c's ``</s>`` entry.  Line i is the word of
id i (1-based) in the other files.

Parameter file (``glove -binary 1`` or ``2``, and ``-save-init-param``):
float64, 2V rows of K + 1 values: the V word vectors then the V context
vectors, each row ending with its bias.  The ``-save-gradsq`` file has the
same layout.

Stanford's text vectors (``word v1 ... vK`` lines, no header, plus an
``<unk>`` row) are KeyedVectors' word2vec text format without its header:
``save_word2vec_format(path, write_header=False)`` and
``KeyedVectors.load_word2vec_format(path, no_header=True)``.

Every reader raises ValueError naming the file and the first bad record or
line; none allocates more than the file's size implies.
"""
from __future__ import annotations

import os
import numpy as np
import scipy.sparse as sp

from cw2v.io.files import atomic_write, input_size, open_input
from cw2v.vectors.countbased import as_count_matrix
from cw2v.vocab.vocabulary import VOCAB_FILE_BREAKS, Vocabulary, read_vocab_entries

RECORD = np.dtype([("word1", "<i4"), ("word2", "<i4"), ("count", "<f8")])
_CHUNK_RECORDS = 1 << 20       # 16 MB read or written at a time

__all__ = ["RECORD", "read_cooccurrence", "write_cooccurrence", "read_vocab", "write_vocab",
           "read_parameters"]


# ------------------------------------------------------------------ co-occurrence records

def _record_chunks(stream, name):
    """The records of a stream, a chunk at a time; ValueError for a partial last record."""
    done = 0
    while True:
        block = stream.read(_CHUNK_RECORDS * RECORD.itemsize)
        whole = len(block) // RECORD.itemsize * RECORD.itemsize
        if whole:
            yield done, np.frombuffer(block[:whole], dtype=RECORD)
            done += whole // RECORD.itemsize
        if len(block) != whole:
            raise ValueError(
                f"{name!r} is not a GloVe co-occurrence file: its size is not a multiple of "
                f"{RECORD.itemsize} bytes (record {done}, at byte {done * RECORD.itemsize}, is "
                f"cut short after {len(block) - whole} bytes)")
        if not block:
            return


def _check_records(records, first, vocab_size, name):
    """ValueError naming the first record with an id outside 1..vocab_size or a bad count."""
    bad = ((records["word1"] < 1) | (records["word1"] > vocab_size)
           | (records["word2"] < 1) | (records["word2"] > vocab_size)
           | ~np.isfinite(records["count"]) | (records["count"] < 0))
    if not bad.any():
        return
    i = int(np.argmax(bad))
    w1, w2, count = int(records["word1"][i]), int(records["word2"][i]), float(records["count"][i])
    if not 1 <= w1 <= vocab_size or not 1 <= w2 <= vocab_size:
        problem = (f"word ids ({w1}, {w2}) are outside 1..{vocab_size}, the vocabulary's size "
                   f"(is the vocabulary the one the counts were made with?)")
    else:
        problem = f"its count {count!r} is not a finite number >= 0"
    at = first + i
    raise ValueError(f"{name!r}: record {at} (byte {at * RECORD.itemsize}) is damaged: {problem}")


def read_cooccurrence(path, vocab_size: int) -> sp.csr_matrix:
    """A Stanford co-occurrence file as a V x V float64 CSR matrix in vocab.txt's order.

    Records of the same pair are added up; zero counts are dropped.
    Compressed files are read too (gzip, bzip2, xz, by their content).

    Raises ValueError naming the file and the first bad record when its size
    is not a multiple of 16 bytes, an id lies outside 1..vocab_size, or a
    count is NaN, infinite or negative.
    """
    vocab_size = int(vocab_size)
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
    name = os.fsdecode(os.fspath(path))
    with open_input(path) as stream:
        size = input_size(stream)
        if size is not None and size % RECORD.itemsize:
            raise ValueError(
                f"{name!r} is not a GloVe co-occurrence file: its size, {size} bytes, is not a "
                f"multiple of {RECORD.itemsize} (int32 word1, int32 word2, float64 count); "
                f"record {size // RECORD.itemsize} is cut short")
        rows, cols, counts = [], [], []
        for first, records in _record_chunks(stream, name):
            _check_records(records, first, vocab_size, name)
            rows.append(records["word1"] - 1)
            cols.append(records["word2"] - 1)
            counts.append(records["count"].copy())
    if not rows:
        return sp.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    matrix = sp.coo_matrix((np.concatenate(counts), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(vocab_size, vocab_size)).tocsr()     # sums duplicates
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def write_cooccurrence(matrix, path) -> int:
    """Write a V x V count matrix (scipy sparse or 2-d array) as Stanford's records.

    One record per stored nonzero entry, sorted by (word1, word2), ids
    1-based: what ``cooccur`` writes.  Atomic; compressed if the name ends in
    .gz, .bz2 or .xz.  Returns the number of records.  ValueError for a
    matrix that is not square or holds NaN, infinite or negative counts.
    """
    matrix = as_count_matrix(matrix)
    if matrix.shape[0] >= 2 ** 31:
        raise ValueError("word ids beyond 2**31 - 1 do not fit Stanford's int32 records")
    matrix = matrix.copy() if not matrix.has_canonical_format else matrix
    matrix.sum_duplicates()         # also sorts each row's columns
    data = matrix.data
    written = 0
    with atomic_write(path) as out:
        rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
        for start in range(0, matrix.nnz, _CHUNK_RECORDS):
            stop = min(start + _CHUNK_RECORDS, matrix.nnz)
            keep = data[start:stop] != 0
            records = np.empty(int(keep.sum()), dtype=RECORD)
            records["word1"] = rows[start:stop][keep] + 1
            records["word2"] = matrix.indices[start:stop][keep] + 1
            records["count"] = data[start:stop][keep]
            out.write(records.tobytes())
            written += len(records)
    return written


# ------------------------------------------------------------------ vocab.txt

def read_vocab(path) -> Vocabulary:
    """Stanford's vocab.txt as a :class:`~cw2v.Vocabulary` in the file's order.

    Each line is ``word count``, split at its last space or tab (the rule of
    word2vec.c's vocab files, :func:`~cw2v.vocab.vocabulary.split_vocab_line`;
    a trailing ``\\r`` is ignored).  ValueError naming the file and line for
    any other line (a blank one too), a negative count or a repeated word.
    """
    name = os.fsdecode(os.fspath(path))
    words, counts, seen = [], [], set()
    for number, entry in read_vocab_entries(path):
        if entry is None:
            raise ValueError(f"{name!r} line {number}: expected 'word count', got a blank line")
        word, count = entry
        if word in seen:
            raise ValueError(f"{name!r} line {number}: the word {word!r} appears twice")
        seen.add(word)
        words.append(word)
        counts.append(count)
    if not words:
        raise ValueError(f"{name!r} holds no 'word count' lines")
    return Vocabulary(words, np.array(counts, dtype=np.int64), min_count=0, sorted_vocab=False)


def write_vocab(vocab, path) -> None:
    """Write Stanford's vocab.txt: ``word count`` per line, in the vocabulary's order.

    ``vocab`` is a :class:`~cw2v.Vocabulary` or a pair (words, counts).
    ValueError for an empty word or one holding a space, tab or line break
    (it could not be read back).  Atomic.
    """
    words, counts = (vocab.index_to_key, vocab.counts) if isinstance(vocab, Vocabulary) else vocab
    lines = []
    for word, count in zip(words, np.asarray(counts).tolist()):
        if not word or any(sep in word for sep in VOCAB_FILE_BREAKS):
            raise ValueError(f"the word {word!r} is empty or holds a space, tab or line break: "
                             f"Stanford's vocab.txt separates fields by that whitespace")
        lines.append(f"{word} {int(count)}\n")
    with atomic_write(path) as out:
        out.write("".join(lines).encode("utf-8"))


# ------------------------------------------------------------------ trained parameters

def read_parameters(path, vocab_size: int, vector_size: int) -> dict:
    """A parameter file of Stanford's ``glove`` (``-binary``, ``-save-init-param``, gradsq).

    Returns float64 arrays: ``word_vectors`` and ``context_vectors`` (V x K),
    ``word_biases`` and ``context_biases`` (V).  ValueError naming the file
    when its size is not 2 V (K + 1) doubles.
    """
    name = os.fsdecode(os.fspath(path))
    shape = (2 * int(vocab_size), int(vector_size) + 1)
    expected = shape[0] * shape[1] * 8
    with open_input(path) as stream:
        data = stream.read(expected + 1)
    if len(data) != expected:
        raise ValueError(f"{name!r} holds {len(data)}{'+' if len(data) > expected else ''} bytes, "
                         f"not the {expected} of 2 x {vocab_size} rows of {vector_size} + 1 "
                         f"float64 values: wrong vocabulary size or vector size?")
    table = np.frombuffer(data, dtype="<f8").reshape(shape)
    words, contexts = table[:vocab_size], table[vocab_size:]
    return {"word_vectors": words[:, :-1].copy(), "word_biases": words[:, -1].copy(),
            "context_vectors": contexts[:, :-1].copy(), "context_biases": contexts[:, -1].copy()}

