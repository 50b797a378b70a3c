"""The driver: vocabulary by merged shard counts, then epochs of synchronous rounds.

A round at model version v:

1. each replica group (a run of shards) is sent as one task, preferably to
   its own worker: its slice of every shard it holds, cut into one piece per
   thread, all on the round's span of the global learning-rate schedule;
2. a task whose worker has no replica at version v (new or restarted
   worker) is sent again with a snapshot of the driver's weights;
3. the tasks' sparse deltas are summed in a fixed pairwise tree on the
   cluster and left there for the replicas, which average it into the
   round's update (averaging rule) at the start of round v + 1; the driver
   fetches the sum and applies the same update to its own weights while
   that next round trains, so moving it costs no round time.  Before it
   needs its weights (a snapshot, a checkpoint, the end of an epoch) the
   driver waits for that fetch.

A task is a pure function of (version, pieces, seed), so when a worker dies
dask runs its task again elsewhere and nothing is lost or counted twice;
when data the round needs is lost with the worker, the round is sent again
with a fresh snapshot (and a sum lost before the driver fetched it is made
again by training its round once more from the driver's weights).  The
driver owns the schedule (by global word count), ``model.training_history``
(through the base's epoch loop) and checkpoints.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from cw2v.distributed import checkpoint, counting, merge, shards
from cw2v.distributed.replica import (
    PieceTask, Recipe, ReplicaBehind, RoundTask, Snapshot, drop_run, train_round,
)
from cw2v.train.base import Callback, check_alpha_order, check_int, check_real
from cw2v.train.runner import EpochReport, Schedule, Tally

logger = logging.getLogger(__name__)

_MAX_ATTEMPTS = 5          # sends of one round before giving up
_SHARDS_PER_WORKER = 4     # so that a leaving worker's work can be shared among the others


@dataclass
class RoundReport:
    """What one round did, as logged and passed to ``on_round``.

    ``compute_seconds`` is the longest training time of one replica;
    the rest of ``seconds`` went to sending, merging and applying deltas.
    ``bytes_moved``: bytes sent between workers and the driver in the round.
    """
    epoch: int
    round: int
    version: int
    replicas: int
    raw_words: int
    seconds: float
    compute_seconds: float
    bytes_moved: int
    sends: int = 1              # > 1 when the round was sent again after losing data

    @property
    def words_per_second(self) -> float:
        return self.raw_words / self.seconds if self.seconds > 0 else 0.0

    @property
    def communication_share(self) -> float:
        return max(0.0, 1.0 - self.compute_seconds / self.seconds) if self.seconds > 0 else 0.0


@dataclass
class Options:
    epochs: int
    rounds_per_epoch: int = 12
    shards: Optional[int] = None
    replicas: Optional[int] = None
    threads: Optional[int] = None
    average: str = "replicas"
    alpha_scale: Optional[float] = None
    full_sync_every: int = 0
    checkpoint_dir: Optional[str] = None
    checkpoint_every: int = 0
    resume: bool = False
    retries: int = 2
    start_alpha: Optional[float] = None
    end_alpha: Optional[float] = None
    compute_loss: Optional[bool] = None
    callbacks: Optional[Sequence] = None
    on_round: Optional[Callable[[RoundReport], None]] = None


def _options(model, given: dict) -> Options:
    unknown = sorted(set(given) - {f.name for f in dataclasses.fields(Options)})
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {unknown}")
    opts = Options(**dict({"epochs": model.epochs}, **given))
    opts.epochs = check_int("epochs", opts.epochs, 1)
    opts.rounds_per_epoch = check_int("rounds_per_epoch", opts.rounds_per_epoch, 1)
    if opts.shards is not None:
        opts.shards = check_int("shards", opts.shards, 1)
    if opts.replicas is not None:
        opts.replicas = check_int("replicas", opts.replicas, 1)
    if opts.threads is not None:
        opts.threads = check_int("threads", opts.threads, 1)
    if opts.average not in merge.RULES:
        raise ValueError(f"average must be one of {merge.RULES}, got {opts.average!r}")
    if opts.alpha_scale is not None:
        opts.alpha_scale = check_real("alpha_scale", opts.alpha_scale, 0.0, strict=True)
    opts.full_sync_every = check_int("full_sync_every", opts.full_sync_every, 0)
    opts.checkpoint_every = check_int("checkpoint_every", opts.checkpoint_every, 0)
    opts.retries = check_int("retries", opts.retries, 0)
    if opts.checkpoint_every and opts.checkpoint_dir is None:
        raise ValueError("checkpoint_every needs checkpoint_dir, the directory to save into")
    if opts.resume and opts.checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the directory to resume from")
    return opts


def _corpus_paths(model, corpus_file) -> List[str]:
    paths = [corpus_file] if isinstance(corpus_file, (str, bytes)) or hasattr(corpus_file, "__fspath__") \
        else list(corpus_file)
    if not paths:
        raise ValueError("corpus_file is an empty list: give one or more plain-text files")
    checked = []
    for path in paths:
        if isinstance(path, str) and "://" in path:
            raise ValueError(f"{path!r} is a URL: cw2v.distributed reads plain-text files at a "
                             f"path every worker sees (NFS, Lustre, a mounted bucket); copy or "
                             f"mount the corpus there")
        # The same checks (exists, plain text) as single-process file mode.
        checked.append(os.fsdecode(model._corpus(None, path, passes_needed=1)))
    return checked


def _tree(client, futures, combine):
    """Pairwise reduction of ``futures`` (order kept: left before right) on the cluster."""
    level = list(futures)
    while len(level) > 1:
        paired = [client.submit(combine, level[i], level[i + 1], pure=False)
                  for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(paired) * 2:]
    return level[0]


def _outgoing_bytes(dask_worker):
    return getattr(dask_worker, "transfer_outgoing_bytes_total", 0)


def count_corpus(client, layout: shards.Layout, with_words: bool, retries: int,
                 settings: dict):
    """Count every shard on the cluster and merge the counts in a tree."""
    workers = sorted(client.nthreads())
    futures = [client.submit(counting.count_shard, layout.files, s,
                             counting.slices_of(layout, s), with_words, settings,
                             workers=[workers[s % len(workers)]], allow_other_workers=True,
                             retries=retries, pure=False)
               for s in range(layout.n_shards)]
    counts = _tree(client, futures, counting.merge).result()
    layout.slice_words = counting.slice_word_table(counts, layout.n_shards)
    return counts


class _Recoverable(Exception):
    """Data a round needs was lost with a worker: send the round again with a snapshot."""


class Driver:
    """Runs the rounds of one call to fit; see the module docstring."""

    def __init__(self, client, model, layout: shards.Layout, opts: Options, state: dict):
        self.client = client
        self.model = model
        self.layout = layout
        self.opts = opts
        self.state = state                  # the run's state: what a checkpoint records
        self.run_id = uuid.uuid4().hex[:12]
        self.version = state["version"]
        self.matrices = model._matrices()
        params = {name: getattr(model, name) for name in model._PARAMS}
        params.update(workers=state["threads"], progress=False)
        self.recipe = Recipe(type(model), params, model.vocab, state["compute_loss"],
                             layout.files)
        self.initial_weights = self.version == 0 and self._weights_are_initial()
        self.recipe_future = self.snapshot_future = self.previous = None
        # The last round's tasks and the fetch of its sum, until the driver applies it.
        self.unapplied = None
        self.fetcher = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cw2v-fetch")
        self.schedule = Schedule(state["start_alpha"], state["end_alpha"],
                                 float(layout.words_per_epoch) * state["epochs"], True)
        self.worker_bytes = {}
        self.epoch_stats = {}
        self.sent_bytes = 0
        self.snapshot_version = None
        self.direct = getattr(client, "direct_to_workers", None)

    def _weights_are_initial(self) -> bool:
        """Whether the model's weights are those a replica builds from the recipe."""
        fresh = self.recipe.build()._matrices()
        return all(np.array_equal(fresh[name], m) for name, m in self.matrices.items())

    # -------------------------------------------------------------- publishing

    def _publish_recipe(self):
        if self.recipe_future is None or self.recipe_future.status != "finished":
            self.recipe_future = self.client.scatter(self.recipe, hash=False)
            self.sent_bytes += _recipe_bytes(self.recipe)
        return self.recipe_future

    def _publish_snapshot(self):
        """A snapshot of the driver's weights at the current version (made once per version)."""
        self._catch_up()
        future = self.snapshot_future
        if future is None or future.status != "finished" or self.snapshot_version != self.version:
            if self.initial_weights and self.version == 0:
                snapshot = Snapshot(0, None)
            else:
                snapshot = Snapshot(self.version, {k: m.copy() for k, m in self.matrices.items()})
                self.sent_bytes += snapshot.__sizeof__()
            self.snapshot_future = self.client.scatter(snapshot, hash=False)
            self.snapshot_version = self.version
        return self.snapshot_future

    # -------------------------------------------------------------- one round

    def _task(self, epoch: int, round_: int, group: range, alpha_begin: float,
              alpha_end: float, reset: bool) -> RoundTask:
        layout = self.layout
        pieces = [PieceTask(p.path, p.start, p.end, layout.expected_words(s, round_, p),
                            layout.stream(epoch, s, round_, i))
                  for s in group for i, p in enumerate(layout.pieces[s][round_])]
        return RoundTask(self.run_id, self.version, epoch, pieces, alpha_begin, alpha_end,
                         self.state["seed"], self.state["threads"],
                         self.state["average"], reset)

    def _submit(self, task: RoundTask, index: int, with_snapshot: bool, workers: List[str]):
        recipe = self._publish_recipe() if with_snapshot else None
        snapshot = self._publish_snapshot() if with_snapshot else None
        previous = None if with_snapshot else self.previous
        return self.client.submit(
            train_round, task, previous, recipe, snapshot,
            key=f"cw2v-round-{self.run_id}-{task.version}-{index}-{uuid.uuid4().hex[:6]}",
            workers=[workers[index % len(workers)]] if workers else None,
            allow_other_workers=True, retries=self.opts.retries, pure=False)

    def _train_and_merge(self, tasks: List[RoundTask], with_snapshot: bool):
        """(future, value) of the sum of the round's deltas; _Recoverable if data it
        needs was lost.  The future stays on the cluster: the replicas fetch it
        from there at the start of the next round."""
        from distributed import wait
        if self.previous is not None and self.previous.status != "finished":
            logger.warning("the last update was lost with a worker: the replicas start round "
                           "%i from a snapshot of the weights", self.version)
            with_snapshot = True
        try:
            workers = sorted(self.client.nthreads())
            futures = [self._submit(t, i, with_snapshot, workers) for i, t in enumerate(tasks)]
            # The whole round at once (tasks, their sum, its figures), so the
            # scheduler starts each step as soon as its inputs exist.
            total, figures = self._merge(futures)
            self._catch_up(futures + [total, figures])     # while the replicas train
            try:
                return total, figures.result()
            except ReplicaBehind:
                pass
            wait(futures)
            behind = [i for i, f in enumerate(futures)
                      if f.status == "error" and isinstance(f.exception(), ReplicaBehind)]
            for i in behind:
                futures[i] = self._submit(tasks[i], i, True, workers)
            logger.info("round %i: %i replica(s) start from a snapshot", self.version, len(behind))
            total, figures = self._merge(futures)
            return total, figures.result()
        except (concurrent.futures.CancelledError, ReplicaBehind) as err:
            raise _Recoverable(f"{type(err).__name__}: {err}") from None

    def _merge(self, futures):
        """Futures of the sum of the tasks' deltas and of its figures (without rows)."""
        total = _tree(self.client, futures, merge.combine)
        return total, self.client.submit(_without_rows, total, pure=False)

    def _catch_up(self, in_flight=()):
        """Apply the last round's update to the driver's weights (fetched in the
        background since the round ended).  If that sum was lost with a worker,
        train its round again from the driver's weights, apply the result, and
        raise _Recoverable so that the round in flight is sent again."""
        if self.unapplied is None:
            return
        (tasks, fetch), self.unapplied = self.unapplied, None
        try:
            total = fetch.result()
        except Exception as err:     # whatever dask raises for data gone with a worker
            logger.warning("the update of version %i was lost before the driver fetched it "
                           "(%s: %s): training its round again", self.version, type(err).__name__,
                           err)
            self.client.cancel(list(in_flight))
            self.version -= 1
            self.previous, total = self._train_again(tasks)
            self.version += 1
            self._apply(total)
            raise _Recoverable(f"the update of version {self.version - 1} was lost") from None
        self._apply(total)

    def _train_again(self, tasks: List[RoundTask]):
        """(future, value) of the sum of a round trained again from a snapshot."""
        for _ in range(_MAX_ATTEMPTS):
            try:
                total_future, _ = self._train_and_merge(tasks, True)
                return total_future, self._gather(total_future)
            except Exception as err:     # _Recoverable, or data lost again before the fetch
                logger.warning("training version %i again failed (%s: %s); retrying",
                               self.version, type(err).__name__, err)
        raise RuntimeError(f"the round of version {self.version} lost its data "
                           f"{_MAX_ATTEMPTS} times; is the cluster stable?")

    def _apply(self, total: merge.Delta) -> None:
        merge.apply_average(self.matrices, total, self.state["average"])

    def _gather(self, future):
        """The future's value, fetched straight from its worker when the driver can
        reach the workers (several times faster than through the scheduler)."""
        if self.direct is not False:
            try:
                return self.client.gather(future, direct=True)
            except OSError as err:
                logger.info("cannot reach the workers directly (%s): fetching through the "
                            "scheduler", err)
                self.direct = False
        return self.client.gather(future)

    def run_round(self, epoch: int, round_: int):
        """Train round ``round_`` of ``epoch``; returns (RoundReport, Tally)."""
        started = time.perf_counter()
        self.sent_bytes = 0
        layout, opts = self.layout, self.opts
        n_groups = opts.replicas or max(1, len(self.client.nthreads()))
        groups = shards.deal(layout.n_shards, n_groups)
        done = float(layout.words_per_epoch) * epoch + layout.words_before_round(round_)
        round_words = int(layout.slice_words[:, round_].sum())
        scale = _alpha_scale(self.state["alpha_scale"], self.state["average"], len(groups))
        alpha_begin = self.schedule.alpha(done) * scale
        alpha_end = self.schedule.alpha(done + round_words) * scale
        reset = bool(opts.full_sync_every) and self.version > 0 \
            and self.version % opts.full_sync_every == 0
        tasks = [self._task(epoch, round_, g, alpha_begin, alpha_end, reset) for g in groups]
        sends = 0
        while True:
            sends += 1
            try:
                total_future, total = self._train_and_merge(tasks, self.previous is None or reset)
                merged = time.perf_counter()
                break
            except _Recoverable as err:
                if sends >= _MAX_ATTEMPTS:
                    raise RuntimeError(f"round {round_} of epoch {epoch} lost its data "
                                       f"{sends} times ({err}); is the cluster stable?") from None
                logger.warning("round %i of epoch %i lost data (%s): sending it again with a "
                               "snapshot of the weights", round_, epoch, err)
                self.previous = None
        self.version += 1
        self.previous = total_future
        self.unapplied = (tasks, self.fetcher.submit(self._gather, total_future))
        logger.debug("round %i: longest task %.2fs (training %.2fs), tasks to their summed "
                     "delta %.2fs", self.version, total.task_seconds, total.compute_seconds,
                     merged - started)
        report = RoundReport(epoch, round_, self.version, len(groups), total.tally.raw_words,
                             time.perf_counter() - started, total.compute_seconds,
                             self._moved_bytes() + self.sent_bytes, sends)
        return report, total.tally

    def _moved_bytes(self) -> int:
        """Bytes workers sent since the last call, to each other and to the driver
        (what the driver scatters is counted by the caller, from sizes)."""
        now = self.client.run(_outgoing_bytes, on_error="ignore") or {}
        moved = sum(max(0, n - self.worker_bytes.get(addr, 0)) for addr, n in now.items()
                    if isinstance(n, int))
        self.worker_bytes = {a: n for a, n in now.items() if isinstance(n, int)}
        return moved

    # -------------------------------------------------------------- epochs

    def train(self):
        model, state = self.model, self.state
        first_epoch = state["epoch"]

        def train_one_epoch(i):
            epoch = first_epoch + i
            if i == 0 and state["round"]:
                tally = Tally(**state["tally"])
                seconds = state["seconds"]
            else:
                tally, seconds = Tally(), 0.0
                self.epoch_stats = {}
            for round_ in range(state["round"] if i == 0 else 0, self.layout.rounds):
                report, round_tally = self.run_round(epoch, round_)
                tally.add(round_tally)
                seconds += report.seconds
                self._log(report)
                self._checkpoint_if_due(epoch, round_ + 1, tally, seconds)
            self._catch_up()        # callbacks at the epoch's end see the trained weights
            if tally.raw_words != self.layout.words_per_epoch:
                logger.warning("epoch %i trained %i raw words, the corpus has %i", epoch,
                               tally.raw_words, self.layout.words_per_epoch)
            result = EpochReport(epoch, tally, seconds)
            return result

        callbacks = (_History(self),) + tuple(state["callbacks"])
        return model._train_epochs(state["epochs"] - first_epoch, train_one_epoch,
                                   callbacks=callbacks, compute_loss=state["compute_loss"],
                                   mode="distributed")

    def _log(self, report: RoundReport) -> None:
        stats = self.epoch_stats
        stats["rounds"] = stats.get("rounds", 0) + 1
        stats["replicas"] = max(stats.get("replicas", 0), report.replicas)
        stats["communication_seconds"] = stats.get("communication_seconds", 0.0) + \
            report.seconds - report.compute_seconds
        stats["bytes_moved"] = stats.get("bytes_moved", 0) + report.bytes_moved
        logger.info("epoch %i round %i/%i: %i words in %.2fs (%.0f words/s) on %i replicas; "
                    "communication %.2fs (%.0f%% of the round), %.1f MB moved%s",
                    report.epoch + 1, report.round + 1, self.layout.rounds, report.raw_words,
                    report.seconds, report.words_per_second, report.replicas,
                    report.seconds - report.compute_seconds, 100 * report.communication_share,
                    report.bytes_moved / 1e6,
                    f", sent {report.sends} times" if report.sends > 1 else "")
        if self.opts.on_round is not None:
            self.opts.on_round(report)

    def _checkpoint_if_due(self, epoch: int, next_round: int, tally: Tally, seconds: float):
        every = self.opts.checkpoint_every
        if not every or self.version % every:
            return
        self._catch_up()
        saved = {k: v for k, v in self.state.items() if k != "callbacks"}
        saved.update(epoch=epoch, round=next_round, version=self.version,
                     tally=dataclasses.asdict(tally), seconds=seconds,
                     layout=self.layout.to_json())
        path = checkpoint.save(self.opts.checkpoint_dir, self.model, saved)
        logger.info("checkpoint at version %i saved in %s", self.version, path)

    def close(self):
        """Free the replicas on the workers and the data the run left on the cluster."""
        self.previous = self.recipe_future = self.snapshot_future = self.unapplied = None
        self.fetcher.shutdown(wait=False)
        try:
            self.client.run(drop_run, self.run_id, on_error="ignore")
        except Exception as err:      # the cluster may be gone; nothing else to free then
            logger.debug("could not drop the replicas of run %s: %s", self.run_id, err)


class _History(Callback):
    """Adds the distributed figures of each epoch to its training_history entry."""

    def __init__(self, driver):
        self.driver = driver

    def on_epoch_end(self, model):
        entry = model.training_history[-1]
        entry.update(self.driver.epoch_stats, threads_per_replica=self.driver.state["threads"])


def _without_rows(delta: merge.Delta) -> merge.Delta:
    """A delta's figures without its rows: what the driver needs at once."""
    return dataclasses.replace(delta, matrices={})


def _alpha_scale(option: Optional[float], average: str, replicas: int) -> float:
    """What the replicas' learning rates are multiplied by (see fit's alpha_scale)."""
    if option is not None:
        return option
    return 1.0 if average == "sum" else float(replicas)


def _recipe_bytes(recipe: Recipe) -> int:
    vocab = recipe.vocabulary
    return sum(len(w) + 60 for w in vocab.index_to_key) + vocab.counts.nbytes


# ------------------------------------------------------------------ entry point

def _default_client(distributed):
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError("no dask client: pass client=Client(...) or create one first "
                         "(e.g. Client(LocalCluster()) or Client('tcp://scheduler:8786'))") from None


def _restore(model, opts: Options, paths):
    """Continue from the newest checkpoint in opts.checkpoint_dir, if there is one."""
    found = checkpoint.load_latest(opts.checkpoint_dir, type(model))
    if found is None:
        logger.info("no checkpoint in %s: starting from the beginning", opts.checkpoint_dir)
        return None
    loaded, state = found
    layout = shards.Layout.from_json(state["layout"])
    now = shards.file_sizes(paths)
    if [tuple(f) for f in layout.files] != now:
        raise ValueError(f"the checkpoint in {opts.checkpoint_dir!r} was made for the corpus "
                         f"files {layout.files}, not {now}: give the same files, unchanged")
    keep = {"callbacks": model.callbacks, "progress": model.progress}
    vars(model).update(vars(loaded))
    vars(model).update(keep)
    logger.info("resuming from %s: epoch %i, round %i", opts.checkpoint_dir,
                state["epoch"] + 1, state["round"] + 1)
    return layout, state


def _fresh_start(client, model, opts: Options, paths):
    """Count the corpus (building the vocabulary if the model has none); the run's first state."""
    workers = client.nthreads()
    threads = opts.threads or max(workers.values())
    n_shards = opts.shards or _SHARDS_PER_WORKER * len(workers)
    layout = shards.plan(paths, n_shards, opts.rounds_per_epoch, threads)
    with_words = model.vocab is None
    started = time.perf_counter()
    counts = count_corpus(client, layout, with_words, opts.retries,
                          counting.count_settings(model))
    logger.info("counted %i raw words in %i shards in %.1fs", counts.raw_words, layout.n_shards,
                time.perf_counter() - started)
    if with_words:
        model.build_vocab_from_vocabulary(counting.vocabulary(counts, model))
    model._check_trainable()
    start_alpha = model.alpha if opts.start_alpha is None else check_real(
        "start_alpha", opts.start_alpha, 0.0, strict=True)
    end_alpha = model.min_alpha if opts.end_alpha is None else check_real(
        "end_alpha", opts.end_alpha, 0.0)
    check_alpha_order("start_alpha", start_alpha, "end_alpha", end_alpha)
    state = {"epochs": opts.epochs, "epoch": 0, "round": 0, "version": 0,
             "tally": dataclasses.asdict(Tally()), "seconds": 0.0,
             "start_alpha": start_alpha, "end_alpha": end_alpha, "threads": threads,
             "compute_loss": model.compute_loss if opts.compute_loss is None
             else bool(opts.compute_loss),
             "seed": model.seed + model.train_count, "average": opts.average,
             "alpha_scale": opts.alpha_scale}
    return layout, state


def _check_model(model) -> None:
    """TypeError unless ``model`` is a Word2Vec or a FastText (a Word2Vec whose input
    matrix holds the n-gram rows too: its deltas carry the buckets it touched)."""
    from cw2v.models.word2vec import Word2Vec
    if not isinstance(model, Word2Vec):
        raise TypeError(f"cw2v.distributed.fit trains a Word2Vec or a FastText model, not "
                        f"{type(model).__name__}; train other models in one process")


def fit(model, corpus_file, client=None, **options):
    """See :func:`cw2v.distributed.fit`."""
    from cw2v.distributed import require_dask
    distributed = require_dask()
    _check_model(model)
    opts = _options(model, options)
    paths = _corpus_paths(model, corpus_file)
    client = client or _default_client(distributed)
    if not client.nthreads():
        logger.info("waiting for a dask worker to join the cluster")
        client.wait_for_workers(1)
    restored = _restore(model, opts, paths) if opts.resume else None
    layout, state = restored or _fresh_start(client, model, opts, paths)
    model._check_trainable()
    state["callbacks"] = model.callbacks if opts.callbacks is None else tuple(opts.callbacks)
    driver = Driver(client, model, layout, opts, state)
    try:
        driver.train()
    finally:
        driver.close()
    return model
