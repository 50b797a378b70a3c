"""Exact top-k selection over rows of scores, without sorting whole rows."""
import math

import numpy as np


def top_k_rows(scores, k):
    """Indices and values of the ``k`` largest entries of each row, largest first.

    Parameters
    ----------
    scores : float32 array, shape (Q, n)
    k : int

    Returns
    -------
    indices : int64 (Q, min(k, n)), values : (Q, min(k, n))
        Ties are broken by the lower index.

    Exact, and much faster than ``argpartition`` on long rows: the row is cut
    into ``m >= k`` blocks; the k-th largest block maximum is a threshold that
    at least ``k`` entries reach (so every true top-k entry does), and only the
    few entries above it are sorted.
    """
    q, n = scores.shape
    k = min(int(k), n)
    if k <= 0:
        return np.empty((q, 0), np.int64), np.empty((q, 0), scores.dtype)
    m = max(k, math.isqrt(n))
    if n < 4 * m:
        return _top_k_by_sort(scores, k)
    width = n // m
    itemsize = scores.strides[1]
    if itemsize != scores.itemsize:
        scores = np.ascontiguousarray(scores)
        itemsize = scores.itemsize
    blocks = np.lib.stride_tricks.as_strided(
        scores, shape=(q, m, width), strides=(scores.strides[0], width * itemsize, itemsize), writeable=False)
    head_max = blocks.max(axis=2)
    block_max = head_max.copy()
    tail = scores[:, m * width:]
    if tail.shape[1]:  # for the threshold, the tail joins the last block
        np.maximum(block_max[:, -1], tail.max(axis=1), out=block_max[:, -1])
    threshold = np.partition(block_max, m - k, axis=1)[:, m - k]
    # Entries reaching the threshold can only sit in blocks whose maximum
    # does: look inside those few blocks (and the tail) only.
    block_rows, block_ids = np.nonzero(head_max >= threshold[:, None])
    inside_rows, inside_cols = np.nonzero(blocks[block_rows, block_ids] >= threshold[block_rows, None])
    rows = block_rows[inside_rows]
    cols = block_ids[inside_rows] * width + inside_cols
    if tail.shape[1]:
        tail_rows, tail_cols = np.nonzero(tail >= threshold[:, None])
        rows = np.concatenate([rows, tail_rows])
        cols = np.concatenate([cols, tail_cols + m * width])
    if np.any(np.bincount(rows, minlength=q) < k):  # NaN scores defeat the threshold
        return _top_k_by_sort(scores, k)
    values = scores[rows, cols]
    order = np.lexsort((cols, -values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows)
    keep = rank < k
    return cols[keep].reshape(q, k), values[keep].reshape(q, k)


def _top_k_by_sort(scores, k):
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)
