"""Operations that rewrite the rows of KeyedVectors, with gensim 4's names and results.

* :meth:`RowEditing.sort_by_descending_frequency`: reorder rows by count.
* :meth:`RowEditing.unit_normalize_all`: scale every row to unit length, in place.
* :meth:`RowEditing.resize_vectors`: bring the matrix to one row per key,
  new rows drawn exactly as gensim draws them for the same seed.
* :meth:`RowEditing.vectors_for_all`: a new KeyedVectors for a list of keys.
* :meth:`RowEditing.intersect_word2vec_format`: copy in the vectors a file
  holds for known keys, and set their lock factors (0.0: keep them frozen).

Every one keeps the per-key attributes and lock factors in step with the rows
(see :mod:`cw2v.vectors.attributes`) and drops the cached norms.
"""
from __future__ import annotations

import logging

import numpy as np

from cw2v.io import word2vec_format as formats
from cw2v.vectors.files import check_utf8

logger = logging.getLogger(__name__)


class RowEditing:
    """Mixin for KeyedVectors (needs its storage, attributes and ``_writable_vectors``)."""

    def sort_by_descending_frequency(self):
        """Reorder keys (and their rows) so the most frequent come first.

        Keys of equal count keep their relative order, so sorting twice changes
        nothing (gensim reverses the order of ties each time). Needs counts:
        ``ValueError`` without them. Sorting ``model.wv`` of a trained model
        leaves the model's output layers in the old order, so do it before
        training or on vectors alone, as in gensim.
        """
        if not len(self):
            return
        if self.counts is None:
            raise ValueError("these vectors have no counts to sort by; set them first (kv.counts = ..., "
                             "or set_vecattr(key, 'count', n))")
        if None in self.index_to_key:
            raise ValueError("cannot sort vectors with unfilled preallocated rows; fill them (add_vector) "
                             "or drop them first")
        order = np.argsort(-self.counts, kind="stable")
        if np.array_equal(order, np.arange(len(order))):
            return
        self.index_to_key = [self.index_to_key[i] for i in order.tolist()]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        self._permute_attributes(order)
        self.vectors = self._vectors[order]

    def unit_normalize_all(self):
        """Scale every row to unit length, in place (zero rows stay zero; gensim makes them NaN).

        The matrix is changed where it is, so a model training this matrix
        sees the change; you cannot sensibly continue training afterwards.
        """
        vectors = self._writable_vectors()
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1
        vectors /= norms[:, None].astype(np.float32)
        self.invalidate_norms()

    def resize_vectors(self, seed=0):
        """Make ``vectors`` one row per key of ``index_to_key``, keeping existing rows.

        New rows are uniform in ``[-1/K, 1/K)`` drawn from
        ``numpy.random.default_rng(seed)`` exactly as gensim draws them, so
        the same seed gives gensim's values. Extra rows past the keys are
        dropped. Attributes and lock factors follow.
        """
        rows, size = len(self.index_to_key), self.vector_size
        prior = self._vectors
        if prior.shape == (rows, size):
            return
        # gensim draws the whole target shape, then copies the old rows over it.
        grown = np.random.default_rng(seed=seed).random((rows, size), dtype=np.float32)
        grown *= 2.0
        grown -= 1.0
        grown /= size
        keep = min(rows, len(prior))
        grown[:keep] = prior[:keep]
        self.vectors = grown
        self.next_index = min(self.next_index, rows)
        self._resize_attributes(rows)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors holding the vectors of ``keys`` (deduplicated, in first-seen order).

        Keys without a vector are left out. ``allow_inference`` lets a subclass
        (fastText's) produce vectors for unknown keys; ``copy_vecattrs`` copies
        the per-key attributes (counts included) to the new vectors.
        """
        from cw2v.vectors.keyedvectors import KeyedVectors

        chosen, names = [], {}
        for key in keys:
            known = (key in self) if allow_inference else (key in self.key_to_index)
            # An int that is a row number stands for that row's key, as in get_index.
            name = key if isinstance(key, str) or not known else self.index_to_key[self.get_index(key)]
            if known and name not in names:
                names[name] = len(chosen)
                chosen.append(key)
        vectors = self[chosen] if chosen else np.zeros((0, self.vector_size), np.float32)
        result = KeyedVectors.from_arrays(list(names), vectors)
        if copy_vecattrs:
            rows = np.array([self.key_to_index.get(name, -1) for name in names], dtype=np.int64)
            present = rows >= 0  # keys a subclass inferred have no attributes
            for attr, values in self.expandos.items():
                copied = np.zeros(len(rows), dtype=values.dtype)
                copied[present] = values[rows[present]]
                result.expandos[attr] = copied
        return result

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Copy in the vectors a word2vec.c file holds for keys already here; set their lock factor.

        No key is added: keys the file shares with these vectors take the
        file's vectors and the lock factor ``lockf`` (0.0, the default, keeps
        them unchanged by later training; 1.0 lets them train), and every
        other row is left as it is. Use it after ``build_vocab`` and before
        ``train`` to seed a model with pretrained vectors. The file must have
        this vector size. A key the file holds twice takes its first vector,
        as :meth:`load_word2vec_format` does. Returns the number of keys copied.
        """
        check_utf8(encoding)
        lockf = np.float32(lockf)
        if not np.isfinite(lockf):
            raise ValueError(f"lockf must be a finite number (0.0 frozen .. 1.0 trained), got {lockf}")
        file_keys, file_vectors = formats.load_word2vec_format(fname, binary=binary,
                                                               unicode_errors=unicode_errors)
        if file_vectors.shape[1] != self.vector_size:
            raise ValueError(f"{fname}: vectors of size {file_vectors.shape[1]}, these have {self.vector_size}; "
                             "only vectors of the same size can be merged")
        rows, file_rows = [], []
        taken = set()
        for file_row, key in enumerate(file_keys):
            row = self.key_to_index.get(key)
            if row is not None and row not in taken:
                taken.add(row)
                rows.append(row)
                file_rows.append(file_row)
        if rows:
            self._writable_vectors()[rows] = file_vectors[file_rows]
            self.vectors_lockf[rows] = lockf
            self.invalidate_norms()
        logger.info("merged %i vectors of %s into %i x %i vectors (lock factor %g)",
                    len(rows), fname, len(self), self.vector_size, lockf)
        return len(rows)
