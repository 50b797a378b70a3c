"""The job runner: worker threads that train jobs, shared by every model family.

A job is a unit of work one thread runs with the GIL released: a batch of
sentences (iterable mode), a byte range of a text file (file mode), and
whatever else a family defines (a slice of GloVe's pairs, a shard of a
distributed corpus).  A job carries everything that fixes what it computes
(its learning-rate span and its random stream), decided by the producer in
corpus order before any thread sees it: which thread runs a job changes only
the order of updates, never what the job computes.

Workers never share a counter: each sums what its own jobs return into its
own Tally, and the epoch's totals are summed after the threads have joined.

    jobs (producer, corpus order) -> bounded queue -> N threads -> Tally each
"""
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional

logger = logging.getLogger(__name__)


@dataclass
class Tally:
    """What one worker (or, summed, one epoch) has trained."""
    loss: float = 0.0
    predictions: int = 0
    words_trained: int = 0      # centre words left after subsampling
    words_seen: int = 0         # in-vocabulary words before subsampling
    raw_words: int = 0          # corpus tokens, out-of-vocabulary ones included
    sentences: int = 0

    def add(self, other: "Tally") -> None:
        self.loss += other.loss
        self.predictions += other.predictions
        self.words_trained += other.words_trained
        self.words_seen += other.words_seen
        self.raw_words += other.raw_words
        self.sentences += other.sentences


@dataclass
class Schedule:
    """Linear learning-rate decay over all the work of a call to train().

    Progress is counted in raw words when `total_words` is known, otherwise in
    sentences (gensim's total_examples), so that either total works.
    """
    start_alpha: float
    end_alpha: float
    total_units: float              # work units of all epochs
    by_words: bool

    def alpha(self, units_done: float) -> float:
        fraction = min(max(units_done / self.total_units, 0.0), 1.0)
        return self.start_alpha - (self.start_alpha - self.end_alpha) * fraction

    def units(self, raw_words: int, sentences: int) -> int:
        return raw_words if self.by_words else sentences


# ---------------------------------------------------------------------- jobs

@dataclass
class BatchJob:
    """Sentences already turned into word ids (cw2v.io.corpus.iter_id_batches)."""
    ids: object                 # int32 (n,)
    sentence_ends: object       # int32 (n_sentences,), cumulative
    alpha_begin: float
    alpha_end: float
    stream: int
    raw_words: int
    sentences: int

    def run(self, trainer, state, seed: int) -> Tally:
        loss, predictions, trained = trainer.train_batch(
            state, self.ids, self.sentence_ends, self.alpha_begin, self.alpha_end, seed,
            self.stream)
        return Tally(loss, predictions, trained, len(self.ids), self.raw_words, self.sentences)

    def progress(self, state) -> Optional[Tally]:
        return None             # short: counted when it is done


@dataclass
class RangeJob:
    """The byte range [start, end) of a text file, read and trained in C.

    The learning rate falls from alpha_begin to alpha_end at the pace of the
    range's raw words, expected_raw_words being its share of the file.
    """
    vocab_hash: object          # cw2v._kernels.textfile.WordHash of the vocabulary
    path: str
    start: int
    end: int
    alpha_begin: float
    alpha_end: float
    expected_raw_words: int
    stream: int
    max_sentence_length: int

    def run(self, trainer, state, seed: int) -> Tally:
        from cw2v._kernels.filemode import train_file_range
        result = train_file_range(trainer, state, self.vocab_hash, self.path, self.start,
                                  self.end, self.alpha_begin, self.alpha_end,
                                  self.expected_raw_words, seed, self.stream,
                                  self.max_sentence_length)
        return Tally(*result)

    def progress(self, state) -> Optional[Tally]:
        # Read while the thread writes them: a snapshot, good enough for progress.
        return Tally(loss=state.loss, predictions=state.predictions,
                     raw_words=state.raw_words_read, words_trained=state.words_trained)

    @staticmethod
    def stop(state) -> None:
        state.request_stop()


# -------------------------------------------------------------------- runner

class JobRunner:
    """`n_threads` threads running jobs from a bounded queue.

    ``trainer.new_worker()`` gives each thread its scratch state once; a job's
    ``run(trainer, state, seed)`` returns its Tally.
    """

    def __init__(self, trainer, n_threads: int, seed: int, queue_size: int):
        self.trainer = trainer
        self.seed = seed
        self.jobs: "queue.Queue" = queue.Queue(maxsize=queue_size)
        self.tallies = [Tally() for _ in range(n_threads)]
        self.running: List[Optional[tuple]] = [None] * n_threads
        self.errors: List[BaseException] = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True,
                                         name=f"cw2v-worker-{i}")
                        for i in range(n_threads)]
        self._closed = False
        for t in self.threads:
            t.start()

    def _run(self, i: int) -> None:
        try:
            state = self.trainer.new_worker()
            while True:
                job = self.jobs.get()
                if job is None:
                    return
                self.running[i] = (job, state)
                done = job.run(self.trainer, state, self.seed)
                self.running[i] = None
                self.tallies[i].add(done)
        except BaseException as exc:       # re-raised in the producer
            self.running[i] = None
            self.errors.append(exc)
            # Keep draining so the producer never blocks on a full queue.
            while self.jobs.get() is not None:
                pass

    def put(self, job) -> None:
        while True:
            self.raise_if_failed()
            try:
                self.jobs.put(job, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """No more jobs: each thread ends once the queue is empty."""
        if not self._closed:
            self._closed = True
            for _ in self.threads:
                self.jobs.put(None)

    def join(self, timeout: Optional[float] = None) -> bool:
        """Wait up to `timeout` seconds for every thread; True once all have ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self.threads:
            t.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
            if t.is_alive():
                return False
        return True

    def stop(self) -> None:
        """Drop the queued jobs, ask running ones to stop, join, raising nothing: for
        when the producer fails, so that its exception is the one that propagates."""
        try:
            while True:
                self.jobs.get_nowait()
        except queue.Empty:
            pass
        for entry in list(self.running):
            if entry is not None and hasattr(entry[0], "stop"):
                entry[0].stop(entry[1])
        # The drain may have taken the end markers of an earlier close(): put them back.
        for _ in self.threads:
            self.jobs.put(None)
        self._closed = True
        self.join()

    def progress(self) -> Tally:
        total = Tally()
        for tally in self.tallies:
            total.add(tally)
        for entry in list(self.running):
            partial = entry[0].progress(entry[1]) if entry is not None else None
            if partial is not None:
                total.add(partial)
        return total

    def raise_if_failed(self) -> None:
        if self.errors:
            raise self.errors[0]


@dataclass
class EpochReport:
    """Totals of one epoch, passed to the progress callback while it runs."""
    epoch: int
    tally: Tally = field(default_factory=Tally)
    seconds: float = 0.0


def run_epoch(trainer, jobs: Iterable, *, epoch: int, threads: int, seed: int,
              queue_size: int = 0,
              report: Optional[Callable[[EpochReport], None]] = None,
              report_delay: float = 1.0) -> EpochReport:
    """Run every job of one epoch on `threads` threads; returns the epoch's totals.

    `jobs` is consumed lazily, in order, by the calling thread (the producer).
    `report` is called about every `report_delay` seconds with the totals so
    far.  If the producer or a report fails (or Ctrl-C), the running jobs are
    asked to stop and the threads joined before the exception propagates, so no
    weight changes after this function has returned.
    """
    started = time.perf_counter()
    runner = JobRunner(trainer, threads, seed, queue_size=queue_size or 2 * threads)
    epoch_report = EpochReport(epoch=epoch)
    next_report = started + report_delay

    def maybe_report():
        nonlocal next_report
        if report is not None and time.perf_counter() >= next_report:
            epoch_report.tally = runner.progress()
            epoch_report.seconds = time.perf_counter() - started
            report(epoch_report)
            next_report = time.perf_counter() + report_delay

    try:
        for job in jobs:
            runner.put(job)
            maybe_report()
        runner.close()
        while not runner.join(timeout=report_delay if report is not None else None):
            maybe_report()
        runner.raise_if_failed()
    except BaseException:
        runner.stop()
        raise
    epoch_report.tally = runner.progress()
    epoch_report.seconds = time.perf_counter() - started
    return epoch_report
