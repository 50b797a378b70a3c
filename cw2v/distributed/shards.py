"""How a corpus of plain-text files is cut into work: shards, round slices, pieces.

Each file is cut into byte ranges that start just after a newline (or, in a
file of very long lines, just after whitespace), so no word is ever split
and a range holds exactly the words whose first byte it holds, as file mode
reads them.  A *shard* is a contiguous range of one file; it is cut into one
*slice* per round of an epoch, and each slice into *pieces*, one per thread
of a replica.  Round ``r`` of every epoch trains slice ``r`` of every shard,
so over an epoch each shard is read once, in order, like one file-mode
thread reads its range.

    file -> shards (several per worker) -> slices (one per round) -> pieces (one per thread)

Nothing here needs dask: the layout is plain data the driver ships in tasks.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

WHITESPACE = b" \t\n\v\f\r"     # file mode's word separators (src_c/tokenizer.h)
_SEARCH_WINDOW = 1 << 20        # look this far for a newline before settling for whitespace
_BLOCK = 1 << 16


@dataclass(frozen=True)
class Piece:
    """The byte range [start, end) of file ``path``, trained as one RangeJob."""
    path: str
    start: int
    end: int


def _first_cut_after(f, offset: int, size: int) -> int:
    """The first position >= offset that starts a line (or, failing that within
    1 MiB, a word); ``size`` when there is none."""
    if offset <= 0:
        return 0
    f.seek(offset - 1)
    window = f.read(_SEARCH_WINDOW + 1)
    if window[:1] == b"\n":
        return offset
    newline = window.find(b"\n")
    if newline >= 0:
        return offset + newline
    # A very long line: cut after the first whitespace, however far it is.
    at = offset - 1
    while True:
        for i, byte in enumerate(window):
            if byte in WHITESPACE:
                return min(at + i + 1, size)
        at += len(window)
        if at >= size:
            return size
        window = f.read(_BLOCK)
        if not window:
            return size


def cut_file(path: str, size: int, parts: int) -> List[int]:
    """``parts + 1`` non-decreasing offsets 0 = b0 <= ... = size cutting ``path``
    into about equal ranges, each cut just after a newline or whitespace."""
    bounds = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            target = max(size * i // parts, bounds[-1])
            bounds.append(_first_cut_after(f, target, size))
    bounds.append(size)
    return bounds


@dataclass
class Layout:
    """The work of one epoch: ``pieces[shard][round][piece]``.

    ``files`` are (path, size) as seen when the layout was made; workers
    check them so that a file changed or missing on a worker is an error,
    not a silently different corpus.  ``slice_words[shard, round]`` (int64)
    is filled by the counting pass: the raw words of each slice.
    """
    files: List[Tuple[str, int]]
    pieces: List[List[List[Piece]]]
    slice_words: np.ndarray = None

    @property
    def n_shards(self) -> int:
        return len(self.pieces)

    @property
    def rounds(self) -> int:
        return len(self.pieces[0])

    @property
    def pieces_per_slice(self) -> int:
        return len(self.pieces[0][0])

    def slice(self, shard: int, round_: int) -> Piece:
        """The whole slice as one range (its pieces are contiguous in one file)."""
        parts = self.pieces[shard][round_]
        return Piece(parts[0].path, parts[0].start, parts[-1].end)

    @property
    def words_per_epoch(self) -> int:
        return int(self.slice_words.sum())

    def words_before_round(self, round_: int) -> int:
        return int(self.slice_words[:, :round_].sum())

    def stream(self, epoch: int, shard: int, round_: int, piece: int) -> int:
        """A random stream id unique to a piece within a call to fit (as file mode's
        (epoch << 40) + range index): the first piece of epoch e gets e << 40."""
        index = (round_ * self.n_shards + shard) * self.pieces_per_slice + piece
        return (epoch << 40) + index

    def expected_words(self, shard: int, round_: int, piece: Piece) -> int:
        """A piece's share of its slice's words, by bytes (file mode's estimate)."""
        whole = self.slice(shard, round_)
        words = int(self.slice_words[shard, round_])
        span = whole.end - whole.start
        share = round(words * (piece.end - piece.start) / span) if span else 0
        return max(share, 1)

    def to_json(self) -> dict:
        return {"files": [list(f) for f in self.files],
                "bounds": [[[p.start for p in s] + [s[-1].end] for s in shard]
                           for shard in self.pieces],
                "shard_files": [shard[0][0].path for shard in self.pieces],
                "slice_words": self.slice_words.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "Layout":
        pieces = []
        for path, shard in zip(data["shard_files"], data["bounds"]):
            pieces.append([[Piece(path, b[i], b[i + 1]) for i in range(len(b) - 1)]
                           for b in shard])
        return cls([tuple(f) for f in data["files"]], pieces,
                   np.asarray(data["slice_words"], dtype=np.int64))


def file_sizes(paths: Sequence[str]) -> List[Tuple[str, int]]:
    return [(os.fspath(p), os.path.getsize(p)) for p in paths]


def plan(paths: Sequence[str], n_shards: int, rounds: int, pieces: int) -> Layout:
    """Cut ``paths`` into about ``n_shards`` shards (shared among the files by
    size, at least one per file), each into ``rounds`` slices of ``pieces`` pieces."""
    files = file_sizes(paths)
    total = sum(size for _, size in files) or 1
    layout = []
    for path, size in files:
        shards = max(1, round(n_shards * size / total))
        per_shard = rounds * pieces
        bounds = cut_file(path, size, shards * per_shard)
        for s in range(shards):
            b = bounds[s * per_shard:(s + 1) * per_shard + 1]
            layout.append([[Piece(path, b[r * pieces + p], b[r * pieces + p + 1])
                            for p in range(pieces)] for r in range(rounds)])
    return Layout(files, layout)


def deal(n_shards: int, groups: int) -> List[range]:
    """Shards 0..n_shards-1 dealt into ``groups`` contiguous runs of about equal length."""
    groups = max(1, min(groups, n_shards))
    return [range(n_shards * g // groups, n_shards * (g + 1) // groups) for g in range(groups)]
