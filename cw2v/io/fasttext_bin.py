"""Facebook fastText's binary model files (``.bin``), read and written.

The layout (fastText 0.9, file version 12; version 11 has the same layout),
all little-endian, as ``src/fasttext.cc``, ``args.cc``, ``dictionary.cc`` and
``densematrix.cc`` write it::

    int32 magic 793712314, int32 version
    args        int32 dim, ws, epoch, minCount, neg, wordNgrams,
                loss (1 hs, 2 ns, 3 softmax, 4 ova), model (1 cbow, 2 sg, 3 sup),
                bucket, minn, maxn, lrUpdateRate; float64 t
    dictionary  int32 size, nwords, nlabels; int64 ntokens, pruneidx_size (-1: not pruned)
                size x (word bytes, NUL, int64 count, int8 type: 0 word, 1 label)
                pruneidx_size x (int32, int32)
    uint8 quant_input, then the input matrix:  int64 rows, cols; float32 rows x cols
    uint8 qout, then the output matrix:        int64 rows, cols; float32 rows x cols

The input matrix is ``(nwords + bucket) x dim``: word rows, then n-gram rows.
The output matrix is ``nwords x dim``: negative-sampling or softmax vectors of
the words, or for hierarchical softmax the inner nodes of fastText's Huffman
tree (row ``r`` is node ``nwords + r``; the last row is unused).

Only unsupervised, unquantized models are read: a supervised model, a
quantized one (``.ftz``) or a pruned one raises ``ValueError`` saying so.
Every size is checked against the bytes left in the file before anything is
allocated, so a damaged file raises ``ValueError`` naming the file and the
byte offset, and never makes cw2v allocate more than the file could hold.

Words are decoded from UTF-8 with ``surrogateescape``: a word that is not
valid UTF-8 keeps its exact bytes (and so its n-gram hashes) on a round trip.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import struct

import numpy as np

from cw2v.io.files import atomic_write

logger = logging.getLogger(__name__)

FASTTEXT_MAGIC = 793712314
FASTTEXT_VERSION = 12
READABLE_VERSIONS = (11, 12)
MODEL_NAMES = {1: "cbow", 2: "sg", 3: "sup"}
LOSS_NAMES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}

_HEADER = struct.Struct("<ii")
_ARGS = struct.Struct("<12id")
_DICT_HEADER = struct.Struct("<iiiqq")
_ENTRY_TAIL = struct.Struct("<qb")        # after a word's NUL: count, type
_MATRIX_HEADER = struct.Struct("<qq")
_MIN_ENTRY_BYTES = 1 + _ENTRY_TAIL.size  # an empty word: its NUL, count and type
_READ_CHUNK = 1 << 20


@dataclasses.dataclass
class FacebookArgs:
    """The training arguments a ``.bin`` stores (fastText's names, snake case)."""

    dim: int = 100
    ws: int = 5
    epoch: int = 5
    min_count: int = 5
    neg: int = 5
    word_ngrams: int = 1
    loss: str = "ns"          # "hs", "ns", "softmax" ("ova": supervised only)
    model: str = "sg"         # "cbow", "sg" ("sup": supervised, not read)
    bucket: int = 2000000
    minn: int = 3
    maxn: int = 6
    lr_update_rate: int = 100
    t: float = 1e-4


@dataclasses.dataclass
class FacebookModel:
    """Everything an unsupervised ``.bin`` holds.

    Attributes
    ----------
    args : FacebookArgs
    words : list of str, length V
        The vocabulary in row order (labels of the file, if any, left out).
    counts : int64 (V,)
    ntokens : int
        Tokens fastText counted in its corpus.
    input_matrix : float32 (V + bucket, dim), or (V + U, dim) with bucket_rows
    output_matrix : float32 (V, dim), or None when not read
    version : int
        The file version read (written files are always version 12).
    bucket_rows : int32 (bucket,) or None
        A compact input matrix's row (after the V word rows) of each bucket,
        -1 for a bucket without one: written as a zero row.  Files read are
        always full (None).
    """

    args: FacebookArgs
    words: list
    counts: np.ndarray
    ntokens: int
    input_matrix: np.ndarray
    output_matrix: np.ndarray | None
    version: int = FASTTEXT_VERSION
    bucket_rows: np.ndarray | None = None


# ---------------------------------------------------------------------- reading

def read_facebook_bin(path, output=True) -> FacebookModel:
    """Read a Facebook fastText ``.bin`` file; ``output=False`` skips the output matrix.

    Raises
    ------
    ValueError
        Not a fastText model, a version other than 11 or 12, a supervised,
        quantized or pruned model, or a damaged file; the message names the
        file and what is wrong.
    """
    path = os.fspath(path)
    with open(path, "rb") as stream:
        reader = _Reader(stream, path, os.fstat(stream.fileno()).st_size)
        version = reader.header()
        args = reader.args()
        words, counts, ntokens = reader.dictionary(args)
        reader.flag("quant_input", "the input matrix is quantized (an .ftz file)")
        input_matrix = reader.matrix("input", len(words) + args.bucket, args.dim)
        reader.flag("qout", "the output matrix is quantized")
        if output:
            output_matrix = reader.matrix("output", len(words), args.dim)
        else:
            output_matrix = None
            reader.skip_matrix("output", len(words), args.dim)
        reader.finish()
    return FacebookModel(args, words, counts, ntokens, input_matrix, output_matrix, version)


def load_facebook_vectors(path):
    """The word vectors of a fastText ``.bin``, as :class:`~cw2v.vectors.fasttext_keyedvectors.FastTextKeyedVectors`.

    Known words get the vectors fastText's ``get_word_vector`` gives them,
    and so do unseen words (the mean of their n-gram rows). The output
    matrix is not read.
    """
    from cw2v.vectors.fasttext_keyedvectors import FastTextKeyedVectors

    model = read_facebook_bin(path, output=False)
    try:
        return FastTextKeyedVectors.from_input_matrix(model.words, model.input_matrix, model.args.minn,
                                                      model.args.maxn, model.args.bucket, counts=model.counts)
    except ValueError as err:  # e.g. a word that occurs twice
        raise ValueError(f"{path}: {err}") from None


class _Reader:
    """Sequential reads of one file with every length checked against the bytes left.

    A small buffer serves the header and dictionary; matrices are read
    straight into their arrays.
    """

    def __init__(self, stream, path, size):
        self.stream, self.path, self.size = stream, path, size
        self.buffer = b""
        self.start = 0   # offset in the buffer of the next unread byte
        self.offset = 0  # file offset of buffer[0]

    # -- the primitives

    @property
    def position(self):
        return self.offset + self.start

    def left(self):
        return self.size - self.position

    def error(self, what):
        return ValueError(f"{self.path}: {what} (at byte {self.position} of {self.size})")

    def need(self, n, what):
        """Fail unless n more bytes exist; keeps every allocation within the file's size."""
        if n > self.left():
            raise self.error(f"truncated or damaged: {what} needs {n} bytes but only {self.left()} remain")

    def fill(self, n):
        """Make at least n unread bytes available in the buffer (when the file has them)."""
        available = len(self.buffer) - self.start
        if available >= n:
            return
        more = self.stream.read(max(n - available, _READ_CHUNK))
        self.offset += self.start
        self.buffer = self.buffer[self.start:] + more
        self.start = 0

    def take(self, n, what):
        self.need(n, what)
        self.fill(n)
        if len(self.buffer) - self.start < n:
            raise self.error(f"the file ended early while reading {what}")
        data = self.buffer[self.start:self.start + n]
        self.start += n
        return data

    def unpack(self, layout, what):
        return layout.unpack(self.take(layout.size, what))

    # -- the sections

    def header(self):
        if self.size < _HEADER.size:
            raise self.error(f"only {self.size} bytes: too short to be a fastText model")
        head = self.stream.peek(_HEADER.size)[:_HEADER.size] if hasattr(self.stream, "peek") else b""
        if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
            raise self.error("the file is compressed; decompress it first (e.g. gunzip) and load the .bin")
        magic, version = self.unpack(_HEADER, "the header")
        if magic != FASTTEXT_MAGIC:
            raise self.error(f"not a fastText model: magic number {magic}, expected {FASTTEXT_MAGIC} "
                             "(a .vec text file loads with KeyedVectors.load_word2vec_format)")
        if version not in READABLE_VERSIONS:
            raise self.error(f"fastText file version {version} is not supported; cw2v reads versions "
                             f"{READABLE_VERSIONS[0]} to {READABLE_VERSIONS[-1]}")
        return version

    def args(self):
        (dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update_rate,
         t) = self.unpack(_ARGS, "the training arguments")
        if model not in MODEL_NAMES or loss not in LOSS_NAMES:
            raise self.error(f"damaged arguments: model {model}, loss {loss} are not fastText's")
        if MODEL_NAMES[model] == "sup":
            raise self.error("a supervised (classification) model; cw2v reads unsupervised word-vector "
                             "models (trained with skipgram or cbow)")
        if dim < 1 or bucket < 0 or minn < 0 or maxn < 0:
            raise self.error(f"damaged arguments: dim {dim}, bucket {bucket}, minn {minn}, maxn {maxn}")
        return FacebookArgs(dim, ws, epoch, min_count, neg, word_ngrams, LOSS_NAMES[loss], MODEL_NAMES[model],
                            bucket, minn, maxn, lr_update_rate, t)

    def dictionary(self, args):
        size, nwords, nlabels, ntokens, pruneidx_size = self.unpack(_DICT_HEADER, "the dictionary header")
        if min(size, nwords, nlabels) < 0 or size != nwords + nlabels:
            raise self.error(f"damaged dictionary: {size} entries, {nwords} words, {nlabels} labels")
        self.need(size * _MIN_ENTRY_BYTES, f"a dictionary of {size} entries")
        words, counts = [], np.empty(nwords, np.int64)
        for i in range(size):
            word, count, kind = self.entry(i)
            if (kind == 0) != (i < nwords):
                raise self.error(f"damaged dictionary: entry {i} is a {'word' if kind == 0 else 'label'} "
                                 f"where the header expects {'words' if i < nwords else 'labels'}")
            if i < nwords:
                words.append(word)
                counts[i] = count
        if nlabels:
            logger.info("%s: dropping %d labels of the dictionary (words starting with fastText's label "
                        "prefix, which have no vectors)", self.path, nlabels)
        if pruneidx_size >= 0:
            raise self.error("a pruned model (made by fastText's quantize); cw2v reads full models only")
        return words, counts, ntokens

    def entry(self, i):
        """One dictionary entry: (word, count, type)."""
        searched = 0  # bytes after self.start known to hold no NUL
        while True:
            end = self.buffer.find(b"\0", self.start + searched)
            if end >= 0 and end + 1 + _ENTRY_TAIL.size <= len(self.buffer):
                break
            buffered = len(self.buffer) - self.start
            if buffered >= self.left():  # everything left is buffered
                raise self.error(f"truncated or damaged: dictionary entry {i} is cut short")
            searched = buffered if end < 0 else end - self.start
            self.fill(2 * buffered + _READ_CHUNK)  # doubling: a long word costs linear time
        word = self.buffer[self.start:end].decode("utf-8", "surrogateescape")
        count, kind = _ENTRY_TAIL.unpack_from(self.buffer, end + 1)
        self.start = end + 1 + _ENTRY_TAIL.size
        if kind not in (0, 1) or count < 0:
            raise self.error(f"damaged dictionary: entry {i} has type {kind}, count {count}")
        return word, count, kind

    def flag(self, name, meaning):
        (value,) = self.unpack(struct.Struct("<B"), f"the {name} flag")
        if value == 1:
            raise self.error(f"{meaning}; cw2v reads unquantized fastText models only")
        if value != 0:
            raise self.error(f"damaged: the {name} flag is {value}, not 0 or 1")

    def matrix_shape(self, name, rows, cols):
        m, n = self.unpack(_MATRIX_HEADER, f"the {name} matrix header")
        if (m, n) != (rows, cols):
            raise self.error(f"the {name} matrix is {m} x {n}, but the header and dictionary say "
                             f"{rows} x {cols}")
        self.need(rows * cols * 4, f"the {rows} x {cols} {name} matrix")

    def matrix(self, name, rows, cols):
        self.matrix_shape(name, rows, cols)
        matrix = np.empty((rows, cols), dtype="<f4")
        target = memoryview(matrix).cast("B")
        buffered = min(len(self.buffer) - self.start, target.nbytes)
        target[:buffered] = self.buffer[self.start:self.start + buffered]
        self.start += buffered
        filled = buffered
        while filled < target.nbytes:
            got = self.stream.readinto(target[filled:])
            if not got:
                raise self.error(f"the file ended early inside the {name} matrix")
            filled += got
            self.offset += got
        return matrix.astype(np.float32, copy=False)  # native byte order on a big-endian machine

    def skip_matrix(self, name, rows, cols):
        self.matrix_shape(name, rows, cols)
        nbytes = rows * cols * 4
        buffered = min(len(self.buffer) - self.start, nbytes)
        self.start += buffered
        self.offset += nbytes - buffered
        self.stream.seek(nbytes - buffered, os.SEEK_CUR)

    def finish(self):
        extra = self.left()
        if extra:
            logger.warning("%s: %d bytes after the output matrix were ignored", self.path, extra)


# ---------------------------------------------------------------------- writing

def write_facebook_bin(path, model: FacebookModel):
    """Write ``model`` as a fastText version-12 ``.bin`` (atomically).

    ``input_matrix`` must be ``(V + bucket) x dim`` (or compact, with
    ``bucket_rows``: expanded to that while writing, in blocks) and
    ``output_matrix`` ``V x dim``; words may not contain NUL bytes (the
    format ends words with one).
    """
    args, words = model.args, list(model.words)
    n_words = len(words)
    input_matrix = _float32_le(model.input_matrix)
    output_matrix = _float32_le(model.output_matrix)
    bucket_rows = check_bucket_rows(model.bucket_rows, args.bucket, input_matrix.shape[0] - n_words)
    if bucket_rows is None and input_matrix.shape != (n_words + args.bucket, args.dim):
        raise ValueError(f"the input matrix is {input_matrix.shape}, but {n_words} words + {args.bucket} buckets "
                         f"of dim {args.dim} need ({n_words + args.bucket}, {args.dim})")
    if input_matrix.shape[1] != args.dim:
        raise ValueError(f"the input matrix has {input_matrix.shape[1]} columns, the arguments say dim {args.dim}")
    if output_matrix.shape != (n_words, args.dim):
        raise ValueError(f"the output matrix is {output_matrix.shape}, {n_words} words of dim {args.dim} "
                         f"need ({n_words}, {args.dim})")
    counts = np.asarray(model.counts, dtype=np.int64)
    if counts.shape != (n_words,):
        raise ValueError(f"{n_words} words but {counts.size} counts")
    losses = {name: code for code, name in LOSS_NAMES.items()}
    models = {name: code for code, name in MODEL_NAMES.items()}
    if args.loss not in ("hs", "ns", "softmax") or args.model not in ("cbow", "sg"):
        raise ValueError(f"cw2v writes unsupervised models: loss hs, ns or softmax and model cbow or sg, "
                         f"not {args.loss!r} / {args.model!r}")
    entries = bytearray()
    for i, word in enumerate(words):
        data = word.encode("utf-8", "surrogateescape")
        if b"\0" in data:
            raise ValueError(f"word {i} ({word!r}) contains a NUL character, which fastText's format cannot store")
        entries += data + b"\0" + _ENTRY_TAIL.pack(int(counts[i]), 0)
    with atomic_write(path) as out:
        out.write(_HEADER.pack(FASTTEXT_MAGIC, FASTTEXT_VERSION))
        out.write(_ARGS.pack(args.dim, args.ws, args.epoch, args.min_count, args.neg, args.word_ngrams,
                             losses[args.loss], models[args.model], args.bucket, args.minn, args.maxn,
                             args.lr_update_rate, float(args.t)))
        out.write(_DICT_HEADER.pack(n_words, n_words, 0, int(model.ntokens), -1))
        out.write(entries)
        out.write(b"\0")  # quant_input: not quantized
        out.write(_MATRIX_HEADER.pack(n_words + args.bucket, args.dim))
        if bucket_rows is None:
            out.write(memoryview(input_matrix).cast("B"))
        else:
            _write_expanded(out, input_matrix, n_words, bucket_rows)
        out.write(b"\0")  # qout: not quantized
        out.write(_MATRIX_HEADER.pack(*output_matrix.shape))
        out.write(memoryview(output_matrix).cast("B"))


def save_facebook_model(model, path):
    """Save a model as Facebook fastText's ``.bin``, loadable by ``fasttext.load_model`` and gensim.

    ``model`` is a :class:`FacebookModel`, or any model with a
    ``to_facebook()`` method returning one (``cw2v.FastText``).
    """
    parts = model if isinstance(model, FacebookModel) else model.to_facebook()
    write_facebook_bin(path, parts)


_WRITE_BLOCK_ROWS = 1 << 16


def check_bucket_rows(bucket_rows, bucket, n_ngram_rows=None):
    """A compact model's bucket map as int32 ``(bucket,)``, or None if it is None.

    ValueError unless it holds ``bucket`` integers >= -1 (-1: a bucket
    without a row) and, when ``n_ngram_rows`` is given, below it.
    """
    if bucket_rows is None:
        return None
    bucket_rows = np.asarray(bucket_rows)
    if bucket_rows.shape != (bucket,) or bucket_rows.dtype.kind not in "iu":
        raise ValueError(f"bucket_rows must be {bucket} integers (one per bucket), got "
                         f"{bucket_rows.dtype} {bucket_rows.shape}")
    if bucket_rows.size and bucket_rows.min() < -1:
        raise ValueError("bucket_rows holds values below -1; -1 marks a bucket without a row")
    if n_ngram_rows is not None and not bucket_rows.max(initial=-1) < n_ngram_rows:
        raise ValueError(f"bucket_rows points outside the {max(n_ngram_rows, 0)} n-gram rows of the "
                         f"input matrix")
    return bucket_rows.astype(np.int32, copy=False)


def _write_expanded(out, input_matrix, n_words, bucket_rows):
    """Write word rows, then one row per bucket (zeros where bucket_rows is -1), a block at a time."""
    out.write(memoryview(input_matrix[:n_words]).cast("B"))
    ngram_rows = input_matrix[n_words:]
    block = np.empty((min(_WRITE_BLOCK_ROWS, bucket_rows.size), input_matrix.shape[1]), "<f4")
    for start in range(0, bucket_rows.size, _WRITE_BLOCK_ROWS):
        rows = bucket_rows[start:start + _WRITE_BLOCK_ROWS]
        part = block[:rows.size]
        has_row = rows >= 0
        part[~has_row] = 0
        part[has_row] = ngram_rows[rows[has_row]]
        out.write(memoryview(part).cast("B"))


def _float32_le(matrix):
    if matrix is None:
        raise ValueError("the model has no output matrix to save")
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"matrices must be 2-d, got shape {matrix.shape}")
    return np.ascontiguousarray(matrix, dtype="<f4")
