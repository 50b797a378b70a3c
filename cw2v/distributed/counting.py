"""Counting a corpus shard by shard: counts that merge, and the vocabulary they make.

The driver sees three operations only, so that the counting underneath can
change without touching it:

* :func:`count_shard` (on a worker): the words of one shard's slices and
  how many raw words each slice holds;
* :func:`merge` (anywhere): the counts of two adjacent runs of shards, the
  left one first, as if they had been counted in one go;
* :func:`vocabulary` (on the driver): prune and select once, giving the
  :class:`~cw2v.vocab.vocabulary.Vocabulary` that ``build_vocab(corpus_file=...)``
  gives on the files one after the other.

Words are split as file mode splits them (ASCII whitespace, ``bytes.split()``)
and kept as bytes until the end, where they are decoded as ``scan_file`` does
(UTF-8, errors replaced, counts of byte strings that decode alike added).
A sentence (``corpus_count``) is a line holding at least one word; it belongs
to the shard holding its first word, so a line cut between shards counts once.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from cw2v.distributed.shards import WHITESPACE, Layout
from cw2v.vocab.vocabulary import Vocabulary

_BLOCK = 1 << 24


@dataclass
class ShardCounts:
    """Counts of a run of shards.

    ``words``: bytes -> count in order of first appearance (None when only
    the raw words were counted); ``raw_words``, ``sentences``: totals;
    ``slice_words``: shard index -> int64 raw words of each of its slices.
    """
    words: Optional[Dict[bytes, int]]
    raw_words: int = 0
    sentences: int = 0
    slice_words: Dict[int, np.ndarray] = field(default_factory=dict)

    def __sizeof__(self):   # what dask's memory accounting sees
        words = 0 if self.words is None else sum(len(w) + 60 for w in self.words)
        return words + 8 * sum(len(v) for v in self.slice_words.values()) + 200


def _line_has_word_before(f, offset: int) -> bool:
    """Whether the line holding byte ``offset`` has a word before it."""
    while offset > 0:
        begin = max(0, offset - (1 << 16))
        f.seek(begin)
        block = f.read(offset - begin)
        newline = block.rfind(b"\n")
        if block[newline + 1:].strip(WHITESPACE):
            return True
        if newline >= 0:
            return False
        offset = begin
    return False


def _last_whitespace(data: bytes) -> int:
    return max(data.rfind(bytes([c])) for c in WHITESPACE)


def _count_range(f, start: int, end: int, counter: Optional[Counter]):
    """(raw words, sentences starting here) of [start, end); words into counter."""
    raw = sentences = 0
    in_counted_line = start > 0 and _line_has_word_before(f, start)
    f.seek(start)
    left, carry = end - start, b""
    while left > 0 or carry:
        block = f.read(min(_BLOCK, left)) if left > 0 else b""
        if left > 0 and not block:
            raise ValueError(f"{f.name!r} ended before byte {end}: the file changed while "
                             f"training read it")
        left -= len(block)
        data = carry + block
        cut = len(data) if left <= 0 else _last_whitespace(data) + 1
        data, carry = data[:cut], data[cut:]
        if not data:
            continue
        words = data.split()
        raw += len(words)
        if counter is not None:
            counter.update(words)
        for i, line in enumerate(data.split(b"\n")):
            if i:
                in_counted_line = False
            if not in_counted_line and line.strip(WHITESPACE):
                sentences += 1
                in_counted_line = True
    return raw, sentences


def count_shard(layout_files, shard: int, slices, with_words: bool) -> ShardCounts:
    """Count the slices ((path, start, end), in order) of shard number ``shard``."""
    _check_files(layout_files, {path for path, _, _ in slices})
    counter = Counter() if with_words else None
    result = ShardCounts(None)
    per_slice = np.zeros(len(slices), dtype=np.int64)
    for i, (path, start, end) in enumerate(slices):
        with open(path, "rb") as f:
            raw, sentences = _count_range(f, start, end, counter)
        per_slice[i] = raw
        result.raw_words += raw
        result.sentences += sentences
    result.words = None if counter is None else dict(counter)
    result.slice_words = {shard: per_slice}
    return result


def merge(left: ShardCounts, right: ShardCounts) -> ShardCounts:
    """The counts of ``left`` then ``right`` (new words of right appended in its order)."""
    words = None
    if left.words is not None:
        words = dict(left.words)
        for word, count in right.words.items():
            words[word] = words.get(word, 0) + count
    slice_words = dict(left.slice_words)
    slice_words.update(right.slice_words)
    return ShardCounts(words, left.raw_words + right.raw_words,
                       left.sentences + right.sentences, slice_words)


def slice_word_table(counts: ShardCounts, n_shards: int) -> np.ndarray:
    """The (n_shards, rounds) int64 table of raw words per slice."""
    return np.stack([counts.slice_words[s] for s in range(n_shards)])


def _prune_once(counts: Dict[str, int], max_vocab_size: int) -> Dict[str, int]:
    """word2vec.c's rising floor, applied once at the end: drop words seen at most
    ``floor`` times, floor = 1, 2, ..., until at most max_vocab_size words are left."""
    floor = 1
    while len(counts) > max_vocab_size:
        counts = {w: c for w, c in counts.items() if c > floor}
        floor += 1
    return counts


def vocabulary(counts: ShardCounts, model) -> Vocabulary:
    """Select ``model``'s vocabulary from merged counts, as build_vocab(corpus_file=) does.

    With ``max_vocab_size`` the counts are pruned once, after the merge (the
    survivors keep their exact counts), where a single-process scan prunes
    while it counts; without it the result is the single-process one.
    """
    if not counts.raw_words:
        raise ValueError("the corpus files hold no words")
    decoded: Dict[str, int] = {}
    for word, count in counts.words.items():
        key = word.decode("utf-8", "replace")
        decoded[key] = decoded.get(key, 0) + count
    if model.max_vocab_size is not None:
        decoded = _prune_once(decoded, model.max_vocab_size)
    vocab = Vocabulary.from_counts(decoded, min_count=model.min_count,
                                   max_final_vocab=model.max_final_vocab,
                                   trim_rule=model.trim_rule, sorted_vocab=model.sorted_vocab)
    vocab.raw_word_count = counts.raw_words
    vocab.corpus_count = counts.sentences
    return vocab


def _check_files(layout_files, paths):
    """FileNotFoundError / ValueError unless this machine sees the files as the driver did."""
    sizes = dict(layout_files)
    for path in paths:
        try:
            size = os.path.getsize(path)
        except OSError as err:
            raise FileNotFoundError(
                f"corpus file {path!r} cannot be read on this worker ({err}); every worker "
                f"must see the corpus at the same path (shared storage such as NFS)") from None
        if size != sizes[path]:
            raise ValueError(f"corpus file {path!r} has {size} bytes on this worker but "
                             f"{sizes[path]} on the driver: a different or changing file")


def slices_of(layout: Layout, shard: int):
    return [(p.path, p.start, p.end) for p in (layout.slice(shard, r)
                                                for r in range(layout.rounds))]
