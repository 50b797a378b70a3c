"""KeyedVectors in and out of files: word2vec.c's formats (with vocabulary files) and bundles.

* word2vec.c's vector files hold keys and vectors only. Their counts travel
  in a separate word2vec.c ``-save-vocab`` file (``word count`` per line),
  gensim's ``fvocab``: :func:`save_word2vec_format` writes one from the
  ``count`` attribute and :func:`load_word2vec_format` reads it back.
* A bundle (:mod:`cw2v.io.bundle`) holds everything: keys, vectors, counts,
  the other per-key attributes and the lock factors.

The functions take and return plain parts; :class:`cw2v.KeyedVectors` wraps
them in gensim's method signatures.
"""
from __future__ import annotations

import codecs
import logging

import numpy as np

from cw2v.io import bundle as persist
from cw2v.io import word2vec_format as formats
from cw2v.vectors.attributes import attribute_arrays, restore_attributes
from cw2v.vocab.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

BUNDLE_KIND = "keyed_vectors"


def save_word2vec_format(kv, fname, fvocab=None, binary=False, total_vec=None, write_header=True, prefix="",
                         sort_attr="count", allow_non_finite=False):
    """Write ``kv`` to ``fname`` in word2vec.c's text or binary format.

    Rows go in descending order of the attribute ``sort_attr`` when ``kv``
    has it (ties keep row order: a count-sorted vocabulary is written as it
    is), else in row order. ``fvocab`` also writes a vocabulary file of
    those values in the same order (``ValueError`` when there are none);
    ``prefix`` goes before every key; ``total_vec``, when given, must equal
    the number of keys. Non-finite vectors raise ``ValueError`` naming the
    row unless ``allow_non_finite``.
    """
    keys = kv._keys_for_saving()
    if total_vec is not None and total_vec != len(keys):
        raise ValueError(f"total_vec={total_vec}, but there are {len(keys)} vectors to write")
    vectors, values = kv.vectors, kv.expandos.get(sort_attr)
    if values is not None:
        order = np.argsort(-values, kind="stable")
        keys, vectors, values = [keys[i] for i in order.tolist()], vectors[order], values[order]
    elif fvocab is not None:
        raise ValueError(f"cannot write the vocabulary file {fvocab}: these vectors have no {sort_attr!r} "
                         "attribute (set counts first)")
    if prefix:
        keys = [prefix + key for key in keys]
    if not allow_non_finite:
        formats.check_finite(keys, vectors)
    if fvocab is not None:
        Vocabulary(keys, values).save_word2vec_vocab(fvocab)
    formats.save_word2vec_format(fname, keys, vectors, binary=binary, write_header=write_header,
                                 allow_non_finite=True)


def load_word2vec_format(fname, fvocab=None, binary=False, unicode_errors="strict", limit=None, no_header=False):
    """Read a word2vec.c vector file: ``(keys, key_to_index, vectors, counts or None)``.

    If a word occurs twice, its first occurrence is kept (with a warning), as
    gensim does. ``fvocab`` gives the counts (0, with a warning, for words it
    lacks); without it there are none.
    """
    keys, vectors = formats.load_word2vec_format(fname, binary=binary, limit=limit,
                                                 unicode_errors=unicode_errors, no_header=no_header)
    # The reader returns str keys and a (V, K>=1) array: only uniqueness is
    # left to check, and the one dict built for it is the index itself.
    key_to_index = dict(zip(keys, range(len(keys))))  # a repeated key maps to its last row
    if len(key_to_index) != len(keys):
        first = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        repeated = [key for key, i in first.items() if key_to_index[key] != i]
        shown = ", ".join(map(repr, repeated[:5])) + (", ..." if len(repeated) > 5 else "")
        logger.warning("%s: %d words occur more than once (%s); keeping the first occurrence of each",
                       fname, len(repeated), shown)
        rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        keys, vectors = list(first), vectors[rows]
        key_to_index = dict(zip(keys, range(len(keys))))
    counts = None if fvocab is None else _counts_from_vocab_file(fvocab, keys, unicode_errors)
    return keys, key_to_index, vectors, counts


def save_bundle(kv, path, allow_non_finite=False):
    """Save ``kv`` as a bundle directory: keys, vectors, counts, attributes, lock factors."""
    keys = kv._keys_for_saving()
    if not allow_non_finite:
        formats.check_finite(keys, kv.vectors)
    blob, offsets = persist.pack_strings(keys)
    attributes, attribute_files = attribute_arrays(kv)
    arrays = {"vectors": kv.vectors, "keys_utf8": blob, "keys_offsets": offsets, **attribute_files}
    if kv.counts is not None:
        arrays["counts"] = kv.counts
    meta = {"kind": BUNDLE_KIND, "vector_size": kv.vector_size, "attributes": attributes}
    persist.save_bundle(path, meta, arrays)


def load_bundle(cls, path, mmap=None):
    """A ``cls`` (KeyedVectors) from a bundle written by :func:`save_bundle`."""
    meta, arrays = persist.load_bundle(path, mmap=mmap, kind=BUNDLE_KIND)
    missing = {"vectors", "keys_utf8", "keys_offsets"} - set(arrays)
    if missing:
        raise ValueError(f"{path}: bundle lacks the arrays {sorted(missing)}; it is damaged")
    try:
        keys = persist.unpack_strings(arrays["keys_utf8"], arrays["keys_offsets"])
        kv = cls.from_arrays(keys, arrays["vectors"], counts=arrays.get("counts"))
        restore_attributes(kv, meta.get("attributes", []), arrays)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None
    return kv


def check_utf8(encoding):
    """ValueError unless ``encoding`` names UTF-8, the only encoding cw2v's readers decode."""
    if codecs.lookup(encoding).name != "utf-8":
        raise ValueError(f"encoding={encoding!r}: cw2v reads these files as UTF-8 only "
                         "(use unicode_errors='replace' or 'ignore' for damaged bytes)")


def _counts_from_vocab_file(path, keys, unicode_errors):
    """int64 count of each key from a word2vec.c vocabulary file; 0 (with a warning) for keys it lacks."""
    vocab = Vocabulary.load_word2vec_vocab(path, min_count=0, sorted_vocab=False, unicode_errors=unicode_errors)
    rows = np.fromiter((vocab.key_to_index.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
    missing = np.flatnonzero(rows < 0)
    if missing.size:
        logger.warning("%s lacks %d of the %d words (e.g. %r); their count is 0", path, missing.size,
                       len(keys), keys[missing[0]])
    return np.where(rows >= 0, vocab.counts[rows], 0)
