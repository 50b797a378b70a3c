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
update through the same routine (:func:`apply_average`: ``matrix[rows] +=
values / divisor`` in float32), so they all stay bit-identical without ever
sending a whole matrix.  The row loops are in ``cw2v/_kernels/deltas.pyx``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

import numpy as np

from cw2v._kernels import deltas
from cw2v._kernels.deltas import Divide
from cw2v.train.runner import Tally

RULES = ("touched", "replicas", "sum")


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


def _trimmed(array: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` rows of a freshly allocated output, as an array of its own
    (shrunk in place: no copy), so that pickling and memory accounting see only them."""
    array.resize((n,) + array.shape[1:], refcheck=False)
    return array


def _changes(working: np.ndarray, pristine: np.ndarray) -> RowDelta:
    """The rows where ``working`` differs from ``pristine`` (NaN counts, -0.0 does
    not), as deltas new - old; resets ``working`` to ``pristine``."""
    rows = np.empty(len(working), dtype=np.int32)
    values = np.empty(working.shape, dtype=np.float32)
    n = deltas.take_changes(working, pristine, rows, values)
    return RowDelta(_trimmed(rows, n), _trimmed(values, n), np.ones(n, dtype=np.int32))


def take_changes(working: Mapping[str, np.ndarray], pristine: Mapping[str, np.ndarray]) -> Dict[str, RowDelta]:
    """The rows ``working`` changed since ``pristine``, as deltas; resets them in ``working``."""
    return {name: _changes(matrix, pristine[name]) for name, matrix in working.items()}


def _sum_rows(a: RowDelta, b: RowDelta) -> RowDelta:
    """Rows of either, values and touched summed where both have a row."""
    return RowDelta(*deltas.sum_rows(a.rows, a.values, a.touched, b.rows, b.values, b.touched))


def combine(a: Delta, b: Delta) -> Delta:
    """The sum of two replicas' (or two partial sums') deltas."""
    tally = Tally()
    tally.add(a.tally)
    tally.add(b.tally)
    matrices = {name: _sum_rows(a.matrices[name], b.matrices[name]) for name in a.matrices}
    return Delta(matrices, tally, max(a.compute_seconds, b.compute_seconds),
                 a.replicas + b.replicas, max(a.task_seconds, b.task_seconds))


def apply_average(matrices: Mapping[str, np.ndarray], total: Delta, rule: str,
                  also: Optional[Mapping[str, np.ndarray]] = None) -> None:
    """Apply the round's update, the sum of its replicas' deltas averaged by ``rule``
    (see the module docstring): ``matrices[name][rows] += values / divisor``
    in float32, in place.  ``also`` (matrices of the same shapes, or None)
    receives a copy of every row written.  The driver and every replica
    call this, so they stay bit-identical."""
    if rule not in RULES:
        raise ValueError(f"average must be one of {RULES}, got {rule!r}")
    divide = {"touched": Divide.DIVIDE_BY_TOUCHED, "replicas": Divide.DIVIDE_BY_CONSTANT,
              "sum": Divide.DIVIDE_NONE}[rule]
    for name, d in total.matrices.items():
        deltas.apply_rows(matrices[name], d.rows, d.values, d.touched, divide,
                          float(total.replicas), None if also is None else also[name])
