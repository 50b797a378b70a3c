"""Huffman tree over word counts, for hierarchical softmax.

The tree has the V words as leaves and V - 1 inner nodes, numbered like
word2vec.c: inner nodes in the order they are created (lightest merges
first), so the root is node V - 2. A word's path from the root is a sequence
of (inner node, branch bit) pairs; frequent words get short paths.

Layout (flattened, as the kernels read it)::

    path of word w = slice(offsets[w], offsets[w + 1])
    points[d]      inner node (0 .. V-2) at step d of the path; the first is the root
    codes[d]       branch (0 or 1) taken at that node

Construction is the two-queue method: sort once (O(V log V)), then O(V)
merges, taking a leaf over an inner node of equal weight (this keeps the tree
as shallow as Huffman allows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HuffmanCodes", "build_huffman"]


@dataclass(frozen=True)
class HuffmanCodes:
    """Per-word Huffman paths, flattened (see module docstring).

    codes : uint8[total]     branch bits, root first
    points : int32[total]    inner-node index of each bit, root = V - 2
    offsets : int64[V + 1]   word w's path is ``[offsets[w]:offsets[w + 1]]``
    """

    codes: np.ndarray
    points: np.ndarray
    offsets: np.ndarray

    @property
    def vocab_size(self) -> int:
        return self.offsets.shape[0] - 1

    @property
    def lengths(self) -> np.ndarray:
        """int64[V]: code length (path depth) of each word."""
        return np.diff(self.offsets)

    @property
    def max_length(self) -> int:
        return int(self.lengths.max())

    def code(self, word_index: int) -> np.ndarray:
        """uint8 code bits of one word, root first."""
        return self.codes[self.offsets[word_index]: self.offsets[word_index + 1]]

    def path(self, word_index: int) -> np.ndarray:
        """int32 inner nodes on one word's path, root first."""
        return self.points[self.offsets[word_index]: self.offsets[word_index + 1]]


def build_huffman(counts) -> HuffmanCodes:
    """Build the Huffman codes of ``counts`` (shape (V,), non-negative, any order).

    Raises ValueError when V < 2: hierarchical softmax needs at least two
    words (a one-word tree has no inner node to train).
    """
    c = np.asarray(counts)
    if c.ndim != 1:
        raise ValueError(f"counts must be a 1-D array, got shape {c.shape}")
    n_words = c.shape[0]
    if n_words < 2:
        raise ValueError(
            f"hierarchical softmax needs a vocabulary of at least 2 words, got {n_words};"
            " lower min_count or use negative sampling"
        )
    if n_words >= 2 ** 31:
        raise ValueError("a vocabulary of 2**31 words or more does not fit int32 node ids")
    if not (np.issubdtype(c.dtype, np.integer) or np.issubdtype(c.dtype, np.floating)):
        raise ValueError(f"counts must be numeric, got dtype {c.dtype}")
    if not np.all(np.isfinite(c)) or c.min() < 0:
        raise ValueError("counts must be finite and non-negative")

    # Nodes: 0..V-1 are the leaves in ascending count order, V + j the j-th
    # merge. Equal counts: the higher word index counts as lighter, so in a
    # count-sorted vocabulary lengths never decrease with the index.
    order = (n_words - 1) - np.argsort(c[::-1], kind="stable")
    parent, bit = _merge_two_queues(c[order].tolist(), n_words)

    depth = _depths(parent)
    leaf_of_word = np.empty(n_words, dtype=np.int64)
    leaf_of_word[order] = np.arange(n_words)
    lengths = depth[leaf_of_word]
    offsets = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])

    codes = np.empty(offsets[-1], dtype=np.uint8)
    points = np.empty(offsets[-1], dtype=np.int32)
    # Walk all words up towards the root together, filling each path from its
    # end. Longest paths first, so the words still walking are always a prefix.
    by_length = np.argsort(-lengths, kind="stable")
    node = leaf_of_word[by_length]
    write_at = offsets[1:][by_length] - 1
    still_walking = np.searchsorted(-lengths[by_length], -np.arange(1, lengths.max() + 1), side="right")
    for n_active in still_walking.tolist():
        node, write_at = node[:n_active], write_at[:n_active]
        codes[write_at] = bit[node]
        node = parent[node]
        points[write_at] = node - n_words
        write_at -= 1
    return HuffmanCodes(codes=codes, points=points, offsets=offsets)


def _merge_two_queues(leaf_weights: list, n_words: int):
    """Huffman merges of ascending ``leaf_weights``: (parent int64[2V-1], bit uint8[2V-1]).

    Merged weights come out non-decreasing, so the two cheapest nodes are
    always at the fronts of the leaf queue and the merged queue. The root's
    parent is itself.
    """
    n_nodes = 2 * n_words - 1
    parent = [0] * n_nodes
    bit = [0] * n_nodes
    merged = []  # weights of inner nodes, creation order
    next_leaf = 0
    next_merged = 0
    for j in range(n_words - 1):
        new_node = n_words + j
        pair_weight = 0
        for branch in (0, 1):
            if next_leaf < n_words and (next_merged >= j or leaf_weights[next_leaf] <= merged[next_merged]):
                child = next_leaf
                pair_weight += leaf_weights[next_leaf]
                next_leaf += 1
            else:
                child = n_words + next_merged
                pair_weight += merged[next_merged]
                next_merged += 1
            parent[child] = new_node
            bit[child] = branch
        merged.append(pair_weight)
    parent[n_nodes - 1] = n_nodes - 1
    return np.array(parent, dtype=np.int64), np.array(bit, dtype=np.uint8)


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (root 0) by pointer jumping: O(N log depth) array work."""
    root = parent.shape[0] - 1
    depth = (np.arange(parent.shape[0]) != root).astype(np.int64)
    ancestor = parent.copy()
    # Invariant: depth[n] = distance from n to ancestor[n]; done when all ancestors are the root.
    while np.any(ancestor != root):
        depth += depth[ancestor]
        ancestor = ancestor[ancestor]
    return depth
