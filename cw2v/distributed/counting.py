"""Counting a corpus shard by shard with the one count table, and the vocabulary it makes.

The driver sees three operations:

* :func:`count_shard` (on a worker): the words of one shard's slices in a
  :class:`~cw2v.vocab.Counts` (counted in C by file mode's reader, pruned
  by word2vec.c's rising floor as it counts when ``max_vocab_size`` is set)
  and how many raw words each slice holds;
* :func:`merge` (anywhere): the counts of two adjacent runs of shards, the
  left one first (``Counts.merge``: new words of the right appended in its
  order, pruned again if the union is too large);
* :func:`vocabulary` (on the driver): selected once from the merged counts
  by ``Vocabulary.from_counts``, the routine ``build_vocab(corpus_file=...)``
  uses.

Shards are line-aligned byte ranges, so without pruning during counting the
merged counts are those of one scan of the files one after the other: same
words, order, counts, raw words and sentences (but for a line cut between two
shards, only done to a line longer than 1 MiB: a sentence in each, as for
file mode's ranges).  With ``max_vocab_size`` each
shard (and each merge) is bounded as a single scan is, but a single scan
prunes at points that depend on the whole corpus before them: the result
equals the single-process one when the words pruned are rare words of one
shard, and is otherwise an approximation of the same kind (see
``cw2v.vocab.counts``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from cw2v._kernels.textfile import WordHash, range_stats
from cw2v.distributed.shards import Layout
from cw2v.vocab import Counts, Vocabulary


@dataclass
class ShardCounts:
    """Counts of a run of shards.

    ``counts``: the words and totals (None when only the raw words per slice
    were counted); ``raw_words``: words of the run;
    ``slice_words``: shard index -> int64 raw words of each of its slices.
    """
    counts: Optional[Counts]
    raw_words: int = 0
    slice_words: Dict[int, np.ndarray] = field(default_factory=dict)

    def __sizeof__(self):   # what dask's memory accounting sees (an estimate, no copy)
        table = 0 if self.counts is None else 64 * len(self.counts)
        return table + 8 * sum(len(v) for v in self.slice_words.values()) + 200


def count_shard(layout_files, shard: int, slices, with_words: bool, settings: dict) -> ShardCounts:
    """Count the slices ((path, start, end), in order) of shard number ``shard``.

    ``settings``: ``max_vocab_size``, ``trim_rule`` and ``max_sentence_length``
    of the model.  Without words only file mode's reader runs (no table).
    """
    check_files(layout_files, {path for path, _, _ in slices})
    counts = Counts(settings["max_vocab_size"], settings["trim_rule"]) if with_words else None
    per_slice = np.zeros(len(slices), dtype=np.int64)
    for i, (path, start, end) in enumerate(slices):
        if counts is None:
            per_slice[i] = range_stats(path, start, end, WordHash([]),
                                       settings["max_sentence_length"])[2]
        else:
            before = counts.raw_words
            counts.add_file(path, start, end, settings["max_sentence_length"])
            per_slice[i] = counts.raw_words - before
    return ShardCounts(counts, int(per_slice.sum()), {shard: per_slice})


def merge(left: ShardCounts, right: ShardCounts) -> ShardCounts:
    """The counts of ``left`` then ``right``; the arguments are left unchanged."""
    counts = None
    if left.counts is not None:
        # A copy: dask may hand the same object to another task (or retry this one).
        counts = Counts.from_arrays(left.counts.to_arrays(), left.counts.max_vocab_size,
                                    left.counts.trim_rule).merge(right.counts)
    slice_words = dict(left.slice_words)
    slice_words.update(right.slice_words)
    return ShardCounts(counts, left.raw_words + right.raw_words, slice_words)


def slice_word_table(counts: ShardCounts, n_shards: int) -> np.ndarray:
    """The (n_shards, rounds) int64 table of raw words per slice."""
    return np.stack([counts.slice_words[s] for s in range(n_shards)])


def count_settings(model) -> dict:
    """What a shard's counting needs of ``model`` (see :func:`count_shard`)."""
    return {"max_vocab_size": model.max_vocab_size, "trim_rule": model.trim_rule,
            "max_sentence_length": model.max_sentence_length}


def vocabulary(counts: ShardCounts, model) -> Vocabulary:
    """Select ``model``'s vocabulary from merged counts, as build_vocab(corpus_file=) does."""
    if not counts.raw_words:
        raise ValueError("the corpus files hold no words")
    return Vocabulary.from_counts(counts.counts, min_count=model.min_count,
                                  max_final_vocab=model.max_final_vocab,
                                  trim_rule=model.trim_rule, sorted_vocab=model.sorted_vocab)


def check_files(layout_files, paths):
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
