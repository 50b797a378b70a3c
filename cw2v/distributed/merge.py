"""Sparse deltas: the rows a replica changed in a round, their sum over replicas, their average.

A replica trains a round starting from the model of version v and sends back
only the rows it changed: for each weight matrix, sorted row ids (int32),
float32 deltas (new - old) and how many replicas changed each row (1).
Deltas of adjacent replicas are summed pairwise in a fixed tree (so the
float32 sums do not depend on which finished first), and the driver turns the
sum into the round's update by one of the averaging rules:

* ``"replicas"`` (default): every row divided by the number of replicas of
  the round (plain model averaging).  With the learning rates scaled by N
  (below), a word seen by one replica moves as far as in one process.
* ``"touched"``: each row's sum divided by the number of replicas that
  changed it.  A word seen by one replica gets that replica's whole
  update (N times one process's step under the scaled rates); a frequent
  word, changed by all, gets the mean (as Spark's Word2Vec since 3.0).
* ``"sum"``: no division (every replica's steps kept, as if they had run one
  after the other; frequent words, which settle within a round, overshoot).

A mean moves a row about as far as one replica alone would: with N
replicas, a word in all of them progresses N times slower than in one
process.  So the driver multiplies the replicas' learning rate by N for the
two means (``alpha_scale``): the mean of N deltas then moves a row as far as
N replicas' steps taken one after the other would, while a row that settles
within a round still lands on the mean of where the replicas put it.

Everyone holding the model (the driver and each replica) applies the same
update with the same float32 operation, ``matrix[rows] += values``, so they
all stay bit-identical without ever sending a whole matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping

import numpy as np

from cw2v.train.runner import Tally

RULES = ("touched", "replicas", "sum")
_ROW_BLOCK = 1 << 14       # rows compared at a time, to bound the temporary mask


@dataclass
class RowDelta:
    """Changes to some rows of one (n_rows, K) float32 matrix.

    rows: int32 (n,), sorted, unique; values: float32 (n, K);
    touched: int32 (n,), replicas that changed each row.
    """
    rows: np.ndarray
    values: np.ndarray
    touched: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.values.nbytes + self.touched.nbytes


@dataclass
class Delta:
    """A round's changes, by matrix name, with what produced them.

    ``tally``: what the replicas trained; ``compute_seconds``: the longest
    time one of them spent training, ``task_seconds`` the longest task
    (catching up with the last update, training, taking the changes);
    ``replicas``: how many were summed.
    """
    matrices: Dict[str, RowDelta]
    tally: Tally = field(default_factory=Tally)
    compute_seconds: float = 0.0
    replicas: int = 1
    task_seconds: float = 0.0

    @property
    def nbytes(self) -> int:
        return sum(d.nbytes for d in self.matrices.values())

    def __sizeof__(self):   # what dask's memory accounting sees
        return self.nbytes + 500


def _changes(working: np.ndarray, pristine: np.ndarray) -> RowDelta:
    """The rows where ``working`` differs from ``pristine`` (NaN counts), as deltas
    new - old; resets ``working`` to ``pristine``.  Works on blocks of rows, so the
    temporary memory stays small whatever the matrix."""
    rows, values = [], []
    for begin in range(0, len(working), _ROW_BLOCK):
        block = working[begin:begin + _ROW_BLOCK]
        diff = block - pristine[begin:begin + _ROW_BLOCK]
        changed = np.flatnonzero(diff.any(axis=1))
        rows.append(changed.astype(np.int32) + np.int32(begin))
        values.append(diff if len(changed) == len(block) else diff[changed])
        block[...] = pristine[begin:begin + _ROW_BLOCK]
    if not rows:
        return RowDelta(np.zeros(0, np.int32), np.zeros((0, working.shape[1]), np.float32),
                        np.zeros(0, np.int32))
    rows = np.concatenate(rows)
    return RowDelta(rows, np.concatenate(values), np.ones(len(rows), dtype=np.int32))


def take_changes(working: Mapping[str, np.ndarray], pristine: Mapping[str, np.ndarray]) -> Dict[str, RowDelta]:
    """The rows ``working`` changed since ``pristine``, as deltas; resets them in ``working``."""
    return {name: _changes(matrix, pristine[name]) for name, matrix in working.items()}


def _sum_rows(a: RowDelta, b: RowDelta) -> RowDelta:
    if np.array_equal(a.rows, b.rows):      # the usual case: both changed every row
        return RowDelta(a.rows, a.values + b.values, a.touched + b.touched)
    rows = np.union1d(a.rows, b.rows).astype(np.int32)
    at_a, at_b = np.searchsorted(rows, a.rows), np.searchsorted(rows, b.rows)
    values = np.zeros((len(rows), a.values.shape[1]), dtype=np.float32)
    touched = np.zeros(len(rows), dtype=np.int32)
    values[at_a] = a.values
    values[at_b] += b.values
    touched[at_a] = a.touched
    touched[at_b] += b.touched
    return RowDelta(rows, values, touched)


def combine(a: Delta, b: Delta) -> Delta:
    """The sum of two replicas' (or two partial sums') deltas."""
    tally = Tally()
    tally.add(a.tally)
    tally.add(b.tally)
    matrices = {name: _sum_rows(a.matrices[name], b.matrices[name]) for name in a.matrices}
    return Delta(matrices, tally, max(a.compute_seconds, b.compute_seconds),
                 a.replicas + b.replicas, max(a.task_seconds, b.task_seconds))


def average(total: Delta, rule: str) -> Delta:
    """The round's update from the sum of its replicas' deltas (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"average must be one of {RULES}, got {rule!r}")
    out = {}
    for name, d in total.matrices.items():
        if rule == "touched":
            values = d.values / d.touched[:, None].astype(np.float32)
        elif rule == "replicas":
            values = d.values / np.float32(total.replicas)
        else:
            values = d.values
        out[name] = RowDelta(d.rows, values.astype(np.float32, copy=False), d.touched)
    return Delta(out, total.tally, total.compute_seconds, total.replicas, total.task_seconds)


def apply(matrices: Mapping[str, np.ndarray], update: Delta) -> None:
    """matrices[name][rows] += values, in place, for each matrix of the update."""
    for name, d in update.matrices.items():
        matrix = matrices[name]
        if len(d.rows) == len(matrix):          # every row: the same sums, without indexing
            np.add(matrix, d.values, out=matrix)
        else:
            matrix[d.rows] += d.values
