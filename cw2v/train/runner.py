"""Worker threads: one epoch of training, fed from an iterable or read from a file.

Iterable mode: the calling thread is the producer.  It turns sentences into
id batches (cw2v.io.corpus.iter_id_batches), gives each batch its learning-rate
span and its own random stream, and puts it on a bounded queue; `workers`
threads take batches and train each one entirely with the GIL released.

Every batch's learning rates and random stream are fixed by the producer, in
corpus order, before any thread sees it: which thread trains a batch changes
only the order of updates, never what the batch computes.  Workers never
share a counter: each sums what its own batches return into its own tally,
and the epoch's totals are summed after the threads have joined.
"""
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional

from cw2v.io.corpus import iter_id_batches

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


@dataclass
class Job:
    ids: object
    sentence_ends: object
    alpha_begin: float
    alpha_end: float
    stream: int
    raw_words: int
    sentences: int


@dataclass
class EpochReport:
    """Totals of one epoch, passed to the progress callback while it runs."""
    epoch: int
    tally: Tally = field(default_factory=Tally)
    alpha: float = 0.0
    seconds: float = 0.0


class _Workers:
    """`workers` threads training jobs from a bounded queue."""

    def __init__(self, trainer, n_workers: int, seed: int, queue_size: int):
        self.trainer = trainer
        self.seed = seed
        self.jobs: "queue.Queue[Optional[Job]]" = queue.Queue(maxsize=queue_size)
        self.tallies = [Tally() for _ in range(n_workers)]
        self.errors: List[BaseException] = []
        self.threads = [threading.Thread(target=self._run, args=(tally,), daemon=True,
                                         name=f"cw2v-worker-{i}")
                        for i, tally in enumerate(self.tallies)]
        for t in self.threads:
            t.start()

    def _run(self, tally: Tally) -> None:
        state = self.trainer.new_worker()
        try:
            while True:
                job = self.jobs.get()
                if job is None:
                    return
                loss, predictions, trained = self.trainer.train_batch(
                    state, job.ids, job.sentence_ends, job.alpha_begin, job.alpha_end,
                    self.seed, job.stream)
                tally.loss += loss
                tally.predictions += predictions
                tally.words_trained += trained
                tally.words_seen += len(job.ids)
                tally.raw_words += job.raw_words
                tally.sentences += job.sentences
        except BaseException as exc:       # re-raised in the producer
            self.errors.append(exc)
            # Keep draining so the producer never blocks on a full queue.
            while self.jobs.get() is not None:
                pass

    def put(self, job: Job) -> None:
        while True:
            self.raise_if_failed()
            try:
                self.jobs.put(job, timeout=0.2)
                return
            except queue.Full:
                continue

    def finish(self) -> Tally:
        """Let the workers train what is queued, join them; raise a worker's error."""
        self._join()
        self.raise_if_failed()
        return self.progress()

    def abandon(self) -> None:
        """Drop the queued jobs and join the workers, raising nothing: for when the
        producer fails, so that its exception is the one that propagates."""
        try:
            while True:
                self.jobs.get_nowait()
        except queue.Empty:
            pass
        self._join()

    def _join(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for t in self.threads:
            t.join()

    def progress(self) -> Tally:
        total = Tally()
        for tally in self.tallies:
            total.add(tally)
        return total

    def raise_if_failed(self) -> None:
        if self.errors:
            raise self.errors[0]


def train_epoch_iterable(trainer, corpus: Iterable, key_to_index: dict, *, epoch: int,
                         units_before: float, schedule: Schedule, workers: int, seed: int,
                         batch_words: int, max_sentence_length: int,
                         report: Optional[Callable[[EpochReport], None]] = None,
                         report_delay: float = 1.0, queue_size: int = 0,
                         earlier_pass_sentences: int = 0) -> EpochReport:
    """Train one pass over `corpus` with `workers` threads; returns the epoch's totals.

    units_before: work units (raw words or sentences) of the epochs before this one.
    queue_size: batches the queue holds (default 2 * workers, gensim's).
    """
    started = time.perf_counter()
    pool = _Workers(trainer, workers, seed, queue_size=queue_size or 2 * workers)
    units_done = units_before
    next_report = started + report_delay
    epoch_report = EpochReport(epoch=epoch)
    batch_index = 0
    try:
        for batch in iter_id_batches(corpus, key_to_index, batch_words=batch_words,
                                     earlier_pass_sentences=earlier_pass_sentences,
                                     max_sentence_length=max_sentence_length):
            units_after = units_done + schedule.units(batch.raw_words, batch.n_sentences)
            pool.put(Job(batch.ids, batch.sentence_ends, schedule.alpha(units_done),
                         schedule.alpha(units_after), stream=(epoch << 40) + batch_index,
                         raw_words=batch.raw_words, sentences=batch.n_sentences))
            units_done = units_after
            batch_index += 1
            if report is not None and time.perf_counter() >= next_report:
                epoch_report.tally = pool.progress()
                epoch_report.alpha = schedule.alpha(units_done)
                epoch_report.seconds = time.perf_counter() - started
                report(epoch_report)
                next_report = time.perf_counter() + report_delay
    except BaseException:
        pool.abandon()
        raise
    epoch_report.tally = pool.finish()
    epoch_report.alpha = schedule.alpha(units_done)
    epoch_report.seconds = time.perf_counter() - started
    return epoch_report


def train_epoch_file(trainer, vocab_hash, path: str, ranges, *, epoch: int,
                     units_before: float, units_per_epoch: float, schedule: Schedule,
                     expected_raw_words: int, seed: int, max_sentence_length: int,
                     report: Optional[Callable[[EpochReport], None]] = None,
                     report_delay: float = 1.0) -> EpochReport:
    """Train one pass over a text file: one thread per byte range, no Python in the loop.

    Every range runs the epoch's whole learning-rate span in parallel, each
    at the pace of its own share of the file's raw words.
    """
    from cw2v._kernels.filemode import train_file_range

    started = time.perf_counter()
    file_size = max(ranges[-1][1], 1)
    alpha_begin = schedule.alpha(units_before)
    alpha_end = schedule.alpha(units_before + units_per_epoch)
    workers = [trainer.new_worker() for _ in ranges]
    results: List[Optional[tuple]] = [None] * len(ranges)
    errors: List[BaseException] = []

    def run(i, start, end):
        try:
            share = round(expected_raw_words * (end - start) / file_size)
            results[i] = train_file_range(trainer, workers[i], vocab_hash, path, start, end,
                                          alpha_begin, alpha_end, max(share, 1), seed,
                                          (epoch << 40) + i, max_sentence_length)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, a, b), daemon=True,
                                name=f"cw2v-file-worker-{i}")
               for i, (a, b) in enumerate(ranges)]
    for t in threads:
        t.start()
    epoch_report = EpochReport(epoch=epoch)
    try:
        while True:
            alive = [t for t in threads if t.is_alive()]
            if not alive:
                break
            alive[0].join(timeout=report_delay)
            if report is not None and alive[0].is_alive():
                # Read while the threads write them: a snapshot, good enough for progress.
                raw = sum(w.raw_words_read for w in workers)
                epoch_report.tally = Tally(loss=sum(w.loss for w in workers),
                                           predictions=sum(w.predictions for w in workers),
                                           raw_words=raw,
                                           words_trained=sum(w.words_trained for w in workers))
                epoch_report.alpha = schedule.alpha(units_before + units_per_epoch * raw
                                                    / max(expected_raw_words, 1))
                epoch_report.seconds = time.perf_counter() - started
                report(epoch_report)
    except BaseException:
        # Interrupted (Ctrl-C) or the report failed: stop the threads before
        # leaving, so no weight changes once train() has returned.
        for w in workers:
            w.request_stop()
        for t in threads:
            t.join()
        raise
    if errors:
        raise errors[0]
    tally = Tally()
    for loss, predictions, trained, seen, raw, sentences in results:
        tally.add(Tally(loss, predictions, trained, seen, raw, sentences))
    epoch_report.tally = tally
    epoch_report.alpha = alpha_end
    epoch_report.seconds = time.perf_counter() - started
    return epoch_report
