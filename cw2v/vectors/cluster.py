"""Word classes: word2vec.c's K-means (``-classes N``), with BLAS.

word2vec.c's loop, decided once here and tested against a literal
transcription of it (tests/test_cluster.py):

- start: word i is in class ``i % n_classes``;
- each of ``iterations`` rounds (10 in word2vec.c): every centroid is the sum
  of its words' vectors divided by (their number + 1), then scaled to unit
  length; every word then moves to the class whose centroid has the largest
  dot product with its (unnormalised) vector, the lowest class on ties;
- a class left without words has a zero centroid, which word2vec.c turns
  into NaNs by the scaling: no word can join it again;
- a word whose every dot product is <= -10 goes to class 0 (word2vec.c's
  starting "best" is -10).

The dot products are one matrix product per block of words (NumPy matmul,
so BLAS), in float64 so that ties are decided the same way as the reference.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

# word2vec.c starts its search for the closest centroid at this dot product.
_NO_CLASS_BELOW = -10.0
_BLOCK_WORDS = 4096  # rows per matrix product: bounds the (block, classes) scores


def _centroids(vectors: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, dim) unit centroids as word2vec.c makes them; NaN rows for empty classes."""
    n = len(labels)
    members = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(n_classes, n))
    sums = np.asarray(members @ vectors)                      # sums[k] = vectors[labels == k].sum(0)
    sums /= (np.bincount(labels, minlength=n_classes) + 1.0)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / np.sqrt(np.einsum("kd,kd->k", sums, sums))[:, None]


def _closest(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each word's class: the centroid with the largest dot product (see the module)."""
    usable = ~np.isnan(centroids).any(axis=1)
    targets = np.where(usable[:, None], centroids, 0.0).T      # (dim, n_classes)
    labels = np.empty(len(vectors), dtype=np.int64)
    for start in range(0, len(vectors), _BLOCK_WORDS):
        block = np.asarray(vectors[start:start + _BLOCK_WORDS], dtype=np.float64)
        scores = block @ targets                                 # (block, n_classes)
        scores[:, ~usable] = -np.inf
        best = scores.argmax(axis=1)                             # first of equal maxima
        best[scores[np.arange(len(best)), best] <= _NO_CLASS_BELOW] = 0
        labels[start:start + len(best)] = best
    return labels


def kmeans_classes(vectors, n_classes: int, iterations: int = 10) -> np.ndarray:
    """word2vec.c's word classes of ``vectors`` (n_words, dim): int64 class ids, one per row."""
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-d array, got shape {vectors.shape}")
    if int(n_classes) != n_classes or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    if int(iterations) != iterations or iterations < 0:
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
    if not np.isfinite(vectors).all():
        raise ValueError("the vectors hold NaN or infinity; K-means needs finite numbers")
    vectors64 = vectors.astype(np.float64, copy=False)
    labels = np.arange(len(vectors), dtype=np.int64) % int(n_classes)
    for _ in range(int(iterations)):
        labels = _closest(vectors64, _centroids(vectors64, labels, int(n_classes)))
    return labels


def save_word_classes(path, keys, labels) -> None:
    """Write ``word class`` lines, one per key in the order given, as word2vec.c's
    ``-classes`` output; atomically (a temporary file renamed into place)."""
    import os
    import tempfile
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.writelines(f"{key} {label}\n" for key, label in zip(keys, labels.tolist()))
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
