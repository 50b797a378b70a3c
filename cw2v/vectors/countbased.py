"""Count-based word vectors from a co-occurrence matrix (Levy, Goldberg and Dagan, 2015).

* :func:`ppmi`: positive (shifted) pointwise mutual information, as sparse
  rows.  With context-distribution smoothing a (``smoothing``) and shift k::

      PMI(w, c) = log( X[w, c] * sum_c' X[:, c']^a / (X[w, :] * X[:, c]^a) )
      PPMI(w, c) = max(PMI(w, c) - log k, 0)

  where X[w, :] is a row sum and X[:, c] a column sum.  Only positive
  entries are stored, so the rows stay sparse: one-hot rows are orthogonal,
  PPMI rows are as sparse as the counts and carry similarity.
* :func:`svd_vectors`: dense vectors from the truncated SVD of the PPMI
  matrix, U_k * S_k^p (p = ``eigenvalue_weight``; 0.5 is Levy et al.'s
  symmetric choice, 1 the classic LSA), as KeyedVectors.
* :func:`most_similar_rows`: cosine neighbours among sparse rows.

These work on any non-negative V x V count matrix, e.g. ``GloVe``'s
``cooccurrence`` or one read with ``cw2v.io.stanford.read_cooccurrence``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from cw2v.vectors.keyedvectors import KeyedVectors

__all__ = ["as_count_matrix", "ppmi", "svd_vectors", "most_similar_rows"]


def as_count_matrix(matrix, size=None) -> sp.csr_matrix:
    """``matrix`` (scipy sparse or 2-d array) as a float64 CSR count matrix, or ValueError.

    It must be square, ``(size, size)`` when ``size`` is given, and hold
    only finite counts >= 0.  Duplicates and explicit zeros are left as given.
    """
    counts = sp.csr_matrix(matrix, dtype=np.float64)
    if size is not None and counts.shape != (size, size):
        raise ValueError(f"the co-occurrence matrix has shape {counts.shape}, but there are "
                         f"{size} words: it must be ({size}, {size})")
    if counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a co-occurrence matrix is square (V x V), got shape {counts.shape}")
    if counts.nnz and (not np.isfinite(counts.data).all() or counts.data.min() < 0):
        raise ValueError("co-occurrence counts must be finite and >= 0")
    return counts


def ppmi(counts, smoothing: float = 0.75, shift: float = 1.0) -> sp.csr_matrix:
    """The positive shifted PMI of a V x V count matrix, as a float64 CSR matrix.

    ``smoothing`` raises the context counts to that power (1: no smoothing);
    ``shift`` is k of SPPMI (log k is subtracted; 1: no shift).  Rows or
    columns without counts stay empty.
    """
    if not 0 < smoothing <= 1:
        raise ValueError(f"smoothing must lie in (0, 1], got {smoothing!r}")
    if not shift >= 1:
        raise ValueError(f"shift must be >= 1 (log shift is subtracted), got {shift!r}")
    counts = as_count_matrix(counts).copy()
    counts.eliminate_zeros()
    counts.sort_indices()
    row_sums = np.asarray(counts.sum(axis=1)).ravel()
    smoothed_columns = np.asarray(counts.sum(axis=0)).ravel() ** smoothing
    total = smoothed_columns.sum()
    row_sums[row_sums == 0] = 1.0               # empty rows and columns are never indexed
    smoothed_columns[smoothed_columns == 0] = 1.0
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    # log X[w,c] - log X[w,:] - log X[:,c]^a + log sum X[:,c']^a - log k, in place.
    pmi = counts.data
    np.log(pmi, out=pmi)
    pmi -= np.log(row_sums)[rows]
    pmi -= np.log(smoothed_columns)[counts.indices]
    pmi += np.log(total) - np.log(shift)
    np.maximum(pmi, 0.0, out=pmi)
    counts.eliminate_zeros()
    return counts


def svd_vectors(counts, index_to_key, k: int, eigenvalue_weight: float = 0.5, *,
                smoothing: float = 0.75, shift: float = 1.0, seed: int = 1,
                word_counts=None) -> KeyedVectors:
    """KeyedVectors of U_k * S_k ** eigenvalue_weight from the SVD of ``ppmi(counts)``.

    ``k`` (< V) dimensions, in decreasing singular value; each dimension's
    sign is fixed so that its largest-magnitude entry is positive, and the
    solver starts from a vector drawn from ``seed``, so the result is
    reproducible.  ``word_counts`` (optional) become the vectors' counts.
    """
    matrix = ppmi(counts, smoothing, shift)
    size = matrix.shape[0]
    if len(index_to_key) != size:
        raise ValueError(f"{len(index_to_key)} words for a {size} x {size} matrix")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < size:
        raise ValueError(f"k must be an integer in 1..{size - 1} (fewer than the words), got {k!r}")
    start = np.random.default_rng(seed).uniform(-1.0, 1.0, size)
    u, s, _ = svds(matrix, k=int(k), v0=start)
    order = np.argsort(-s)
    u, s = u[:, order], s[order]
    u *= np.where(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])] < 0, -1.0, 1.0)
    vectors = (u * s ** float(eigenvalue_weight)).astype(np.float32)
    return KeyedVectors.from_arrays(index_to_key, vectors, counts=word_counts)


def most_similar_rows(rows, index_to_key, word, topn: int = 10):
    """The ``topn`` (word, cosine) pairs nearest to ``word`` among the rows of a
    sparse matrix (e.g. :func:`ppmi`'s), the word itself left out."""
    rows = sp.csr_matrix(rows)
    keys = list(index_to_key)
    try:
        i = keys.index(word)
    except ValueError:
        raise KeyError(f"word {word!r} is not in the vocabulary") from None
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    if norms[i] == 0:
        raise ValueError(f"the row of {word!r} is empty: it has no neighbours")
    scores = np.asarray((rows @ rows[i].T).todense()).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(norms > 0, scores / (norms * norms[i]), -np.inf)
    scores[i] = -np.inf
    best = np.argsort(-scores, kind="stable")[:topn]
    return [(keys[j], float(scores[j])) for j in best if np.isfinite(scores[j])]
