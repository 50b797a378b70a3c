"""What runs on a worker: one replica of the model per worker, trained a round at a time.

A replica is built once per worker from a :class:`Recipe` (the model's class,
parameters and vocabulary: the seed makes its initial weights the driver's)
or, when the driver's weights are no longer the initial ones, from a
snapshot of them.  It then follows the driver version by version: at the
start of round v it applies the merged update of round v - 1, which every
replica receives, and so holds exactly the driver's weights.

It keeps two copies of each matrix: ``pristine`` (version v) and the one
the kernels train.  A round task trains its pieces into the working copy,
takes the rows that changed as a delta and resets them, so the task is a
pure function of (version, pieces, seed): run twice, on this worker or on
another (after a worker died), it computes the same thing.  Tasks on one
worker run one at a time, each with all the replica's threads.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from cw2v._kernels.textfile import WordHash
from cw2v.distributed import merge
from cw2v.distributed.counting import check_files
from cw2v.train.runner import RangeJob, run_epoch


class ReplicaBehind(RuntimeError):
    """This worker's replica cannot reach the round's version from what the task
    carries (a new or restarted worker): the driver resends the task with a
    snapshot to start from."""


@dataclass
class Recipe:
    """How to build a replica's model: ``cls(**params)`` with ``vocabulary``."""
    cls: type
    params: dict
    vocabulary: object
    compute_loss: bool
    files: List[Tuple[str, int]]

    def build(self):
        model = self.cls(**self.params)
        model.build_vocab_from_vocabulary(self.vocabulary)
        return model


@dataclass
class Snapshot:
    """The driver's weights at ``version`` (None: the recipe's initial weights)."""
    version: int
    matrices: Optional[Dict[str, np.ndarray]]

    def __sizeof__(self):
        return sum(m.nbytes for m in (self.matrices or {}).values()) + 200


@dataclass
class PieceTask:
    """One RangeJob of a round: a byte range, its expected words and random stream."""
    path: str
    start: int
    end: int
    expected_words: int
    stream: int


@dataclass
class RoundTask:
    """What a replica trains in round ``version``: its pieces, all on one learning-rate span."""
    run_id: str
    version: int
    epoch: int
    pieces: List[PieceTask]
    alpha_begin: float
    alpha_end: float
    seed: int
    threads: int
    average: str = "replicas"   # how the previous round's summed deltas become its update
    reset: bool = False         # a full sync: take the snapshot even when up to date


class Replica:
    def __init__(self, recipe: Recipe, snapshot: Snapshot):
        check_files(recipe.files, {path for path, _ in recipe.files})
        self.model = recipe.build()
        self.working = self.model._matrices()
        self.pristine = {name: m.copy() for name, m in self.working.items()}
        self.trainer = self.model._make_trainer(recipe.compute_loss)
        self.vocab_hash = WordHash(self.model.wv.index_to_key)
        self.version = snapshot.version
        if snapshot.matrices is not None:
            self.reset(snapshot)

    def reset(self, snapshot: Snapshot) -> None:
        """Take the driver's weights as they were at ``snapshot.version``."""
        for name, matrix in self.working.items():
            np.copyto(matrix, snapshot.matrices[name])
            np.copyto(self.pristine[name], snapshot.matrices[name])
        self.version = snapshot.version

    def advance(self, total: merge.Delta, rule: str) -> None:
        """Apply the summed deltas of the current version, averaged by ``rule``, as
        the driver does (the same routine), to both copies of the weights."""
        merge.apply_average(self.pristine, total, rule, also=self.working)
        self.version += 1

    def train(self, task: RoundTask) -> merge.Delta:
        jobs = [RangeJob(self.vocab_hash, p.path, p.start, p.end, task.alpha_begin,
                         task.alpha_end, p.expected_words, p.stream,
                         self.model.max_sentence_length) for p in task.pieces]
        started = time.perf_counter()
        report = run_epoch(self.trainer, jobs, epoch=task.epoch, threads=task.threads,
                           seed=task.seed)
        seconds = time.perf_counter() - started
        return merge.Delta(merge.take_changes(self.working, self.pristine), report.tally, seconds)


# One replica per (run, worker); a worker runs its tasks of a run one at a time.
_replicas: Dict[Tuple[str, str], Replica] = {}
_locks: Dict[Tuple[str, str], threading.Lock] = {}
_store_lock = threading.Lock()


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):    # called outside a dask worker (tests)
        return "local"


def _lock_for(key) -> threading.Lock:
    with _store_lock:
        return _locks.setdefault(key, threading.Lock())


def train_round(task: RoundTask, previous: Optional[merge.Delta], recipe: Optional[Recipe],
                snapshot: Optional[Snapshot]) -> merge.Delta:
    """Train one round's pieces on this worker's replica; returns its delta.

    ``previous`` is the sum of the deltas of round ``task.version - 1`` (None in
    a run's first round or after a snapshot), which the replica averages as
    the driver does; ``recipe`` and ``snapshot`` are
    given when the replica may have to be built or reset.  Raises
    ReplicaBehind when it cannot reach ``task.version`` from these.
    """
    key = (task.run_id, _worker_name())
    with _lock_for(key):
        started = time.perf_counter()
        replica = _replicas.get(key)
        if replica is not None and previous is not None and replica.version == task.version - 1:
            replica.advance(previous, task.average)
        if snapshot is not None:
            if snapshot.version != task.version:
                raise ValueError(f"snapshot of version {snapshot.version} sent with a task of "
                                 f"version {task.version}")
            if replica is None or replica.version != task.version or task.reset:
                if replica is None or snapshot.matrices is None:
                    replica = _replicas[key] = Replica(recipe, snapshot)
                else:
                    replica.reset(snapshot)
        if replica is None or replica.version != task.version:
            have = None if replica is None else replica.version
            raise ReplicaBehind(f"the replica on {key[1]} is at version {have}, the round "
                                f"needs {task.version}")
        delta = replica.train(task)
        delta.task_seconds = time.perf_counter() - started
        return delta


def drop_run(run_id: str) -> int:
    """Free this process's replicas of a finished run; returns how many there were."""
    with _store_lock:
        keys = [k for k in _replicas if k[0] == run_id]
        for k in keys:
            del _replicas[k]
        for k in [k for k in _locks if k[0] == run_id]:
            del _locks[k]
    return len(keys)
