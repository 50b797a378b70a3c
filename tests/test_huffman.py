"""Tests of cw2v.vocab.huffman.build_huffman.

Oracles: the structure the paths must describe (a full binary tree with V-1
inner nodes, root V-2, prefix-free codes), the entropy bounds, and the cost
of an optimal code computed by a slow textbook heapq Huffman (every optimal
prefix code has the same cost sum(count * length)).
"""
import heapq
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v.vocab.huffman import HuffmanCodes, build_huffman


def optimal_cost(counts):
    """sum(count * code length) of an optimal prefix code (textbook Huffman)."""
    if len(counts) < 2:
        return 0
    tie = itertools.count()
    heap = [(c, next(tie)) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, _ = heapq.heappop(heap)
        b, _ = heapq.heappop(heap)
        cost += a + b  # every leaf under the merge gets one bit longer
        heapq.heappush(heap, (a + b, next(tie)))
    return cost


def check_tree(h: HuffmanCodes, n_words: int):
    """The paths describe one full binary tree with inner nodes 0..V-2, root V-2."""
    assert h.codes.dtype == np.uint8 and h.points.dtype == np.int32 and h.offsets.dtype == np.int64
    assert h.offsets.shape == (n_words + 1,) and h.offsets[0] == 0
    assert h.offsets[-1] == h.codes.size == h.points.size
    assert set(np.unique(h.codes).tolist()) <= {0, 1}
    lengths = h.lengths
    assert lengths.min() >= 1
    prefix_of_node = {}  # inner node -> the code bits leading to it
    children = {}  # inner node -> {branch: child}, child = ("inner", p) or ("leaf", w)
    for w in range(n_words):
        code, path = h.code(w).tolist(), h.path(w).tolist()
        assert path[0] == n_words - 2
        for d, (node, branch) in enumerate(zip(path, code)):
            assert prefix_of_node.setdefault(node, tuple(code[:d])) == tuple(code[:d])
            child = ("inner", path[d + 1]) if d + 1 < len(path) else ("leaf", w)
            assert children.setdefault(node, {}).setdefault(branch, child) == child
    assert sorted(prefix_of_node) == list(range(n_words - 1))  # exactly V-1 inner nodes, all used
    assert all(set(c) == {0, 1} for c in children.values())  # each has two children
    # Prefix-free: in sorted order, a code that prefixes another prefixes its successor.
    codes = sorted("".join(map(str, h.code(w).tolist())) for w in range(n_words))
    assert all(not b.startswith(a) for a, b in zip(codes, codes[1:]))


count_lists = st.lists(st.integers(1, 10 ** 6), min_size=2, max_size=120)


@settings(max_examples=200, deadline=None)
@given(counts=count_lists)
def test_codes_form_an_optimal_prefix_code(counts):
    c = np.array(counts, dtype=np.int64)
    h = build_huffman(c)
    check_tree(h, len(counts))
    lengths = h.lengths
    cost = int((c * lengths).sum())
    assert cost == optimal_cost(counts)
    p = c / c.sum()
    entropy = float(-(p * np.log2(p)).sum())
    expected_length = float((p * lengths).sum())
    assert entropy - 1e-9 <= expected_length < entropy + 1
    assert lengths[np.argmax(c)] == lengths.min()  # argmax: the first of the most frequent
    # More frequent never means longer; among equal counts the lower index is not longer.
    by_rank = np.lexsort((np.arange(len(c)), -c))
    assert np.all(np.diff(lengths[by_rank]) >= 0)


@settings(max_examples=50, deadline=None)
@given(counts=count_lists, seed=st.integers(0, 2 ** 32 - 1))
def test_order_of_counts_does_not_matter(counts, seed):
    c = np.array(counts)
    perm = np.random.default_rng(seed).permutation(len(c))
    h, hp = build_huffman(c), build_huffman(c[perm])
    check_tree(hp, len(c))
    assert int((c[perm] * hp.lengths).sum()) == int((c * h.lengths).sum())


def test_zero_counts_are_allowed():
    counts = [0, 0, 5, 0, 1]
    h = build_huffman(counts)
    check_tree(h, 5)
    assert int((np.array(counts) * h.lengths).sum()) == optimal_cost(counts)


def test_skewed_counts_give_a_deep_tree():
    counts = [2 ** k for k in range(40)]  # each merge swallows the previous one
    h = build_huffman(counts)
    check_tree(h, 40)
    assert h.max_length == 39
    assert h.lengths[-1] == 1


def test_two_words_and_equal_counts():
    h = build_huffman([3, 7])
    assert h.codes.tolist() == [0, 1] and h.points.tolist() == [0, 0] and h.offsets.tolist() == [0, 1, 2]
    h = build_huffman([5] * 8)
    check_tree(h, 8)
    assert h.lengths.tolist() == [3] * 8


def test_known_small_tree():
    # counts 5,1,3,2: merges (1,2)->3, (3,3)->6, (5,6)->11; lengths 1,3,2,3.
    h = build_huffman([5, 1, 3, 2])
    check_tree(h, 4)
    assert h.lengths.tolist() == [1, 3, 2, 3]


@pytest.mark.parametrize("counts", [[], [17]])
def test_fewer_than_two_words_rejected(counts):
    with pytest.raises(ValueError, match="at least 2 words"):
        build_huffman(counts)


def test_bad_counts_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        build_huffman([3, -1])
    with pytest.raises(ValueError, match="1-D"):
        build_huffman([[1, 2], [3, 4]])


def test_same_cost_as_gensim_tree():
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    from gensim.models.keyedvectors import KeyedVectors

    counts = np.random.default_rng(3).zipf(1.4, size=500).clip(max=10 ** 7)
    wv = KeyedVectors(4)
    wv.add_vectors([f"w{i}" for i in range(len(counts))], np.zeros((len(counts), 4), dtype=np.float32))
    for i, c in enumerate(counts):
        wv.set_vecattr(f"w{i}", "count", int(c))
    gensim_w2v._assign_binary_codes(wv)
    gensim_lengths = np.array([len(wv.get_vecattr(f"w{i}", "code")) for i in range(len(counts))])
    assert int((counts * build_huffman(counts).lengths).sum()) == int((counts * gensim_lengths).sum())
