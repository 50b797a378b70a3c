"""cw2v.distributed.fit on a real local cluster: two worker processes of one thread each."""
import logging
import os
import sys
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="dask[distributed] is not installed; the cluster tests need it "
                          "(pip install \"cw2v[dask]\" or the test extra)")

import cloudpickle  # noqa: E402  (a dependency of dask.distributed)
import dask  # noqa: E402

import cw2v.distributed  # noqa: E402
from cw2v import FastText, GloVe, Word2Vec  # noqa: E402

from synthetic import own_topic_share, topic_corpus, write_topic_parts  # noqa: E402

# The workers run functions of this module (client.run) but cannot import it:
# tests/ is not installed, and a plain `pytest` puts no folder of it on their
# path.  Sent by value, the functions need no import.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = dict(vector_size=16, window=4, min_count=1, sample=0, seed=3)
# One replica, one shard, one round, one thread: exactly the work of single-process
# file mode with workers=1 (same range, random streams and learning rates).
AS_ONE_PROCESS = dict(replicas=1, shards=1, rounds_per_epoch=1, threads=1)
# Fixed replicas and one thread each: the result does not depend on timing or failures.
REPRODUCIBLE = dict(replicas=2, shards=4, threads=1)


@pytest.fixture(scope="module")
def client():
    # A dead worker is noticed through its nanny at once; never wait dask's 30 s
    # connect timeout for one (the workers inherit this setting).
    with dask.config.set({"distributed.comm.timeouts.connect": "5s"}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def write_lines(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def topics(tmp_path_factory):
    return write_lines(tmp_path_factory.mktemp("topics") / "topics.txt", topic_corpus())


def assert_same_weights(a, b):
    for (name, x), y in zip(a._matrices().items(), b._matrices().values()):
        np.testing.assert_array_equal(x, y, err_msg=name)


def counters(model):
    return [(h["raw_words"], h["words_seen"], h["words_trained"], h["predictions"])
            for h in model.training_history]


# ---------------------------------------------------------------------- against one process

@pytest.mark.parametrize("config", [dict(sg=1, negative=5), dict(sg=0, hs=1, negative=0)])
def test_one_replica_reproduces_single_process_training(client, topics, config):
    """Within float noise, not bit for bit: the replica trains exactly what
    single-process file mode trains, and returns new - old; the driver adds that
    to old in float32, which can differ from new in the last bit.  Output rows
    start at zero, where old + (new - old) is exact, so after one epoch they are
    identical; later the last-bit differences spread a little."""
    kw = dict(SMALL, compute_loss=True, **config)
    single = Word2Vec(corpus_file=topics, workers=1, epochs=1, **kw)
    model = cw2v.distributed.fit(Word2Vec(epochs=1, **kw), topics, client, **AS_ONE_PROCESS)
    assert counters(model) == counters(single)
    assert model.loss_history == pytest.approx(single.loss_history, rel=1e-12)
    output = "w_out_ns" if config["negative"] else "w_out_hs"
    np.testing.assert_array_equal(getattr(model, output), getattr(single, output))
    scale = np.abs(single.wv.vectors).max()
    np.testing.assert_allclose(model.wv.vectors, single.wv.vectors, rtol=0,
                               atol=2 * np.spacing(scale))

    single = Word2Vec(corpus_file=topics, workers=1, epochs=2, **kw)
    model = cw2v.distributed.fit(Word2Vec(epochs=2, **kw), topics, client, **AS_ONE_PROCESS)
    assert counters(model) == counters(single)        # the random draws are the same
    assert model.loss_history == pytest.approx(single.loss_history, rel=1e-5)
    for (name, x), y in zip(model._matrices().items(), single._matrices().values()):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-4, err_msg=name)


# FastText: its input matrix is word rows then n-gram buckets (few here, so that
# several words share a bucket and replicas' deltas of one bucket meet); the
# full layout, so that every bucket has its row and untouched ones can be checked.
FASTTEXT = dict(SMALL, bucket=300, min_n=2, max_n=3, compact_ngrams=False)


def test_one_fasttext_replica_reproduces_single_process_training(client, topics):
    """Within float noise, as for Word2Vec: the input matrix (words and n-gram
    buckets) differs from one process's in the last bits (old + (new - old));
    the output matrix, starting at zero, is identical after one epoch."""
    kw = dict(FASTTEXT, sg=1, negative=5, compute_loss=True, epochs=1)
    single = FastText(corpus_file=topics, workers=1, **kw)
    model = cw2v.distributed.fit(FastText(**kw), topics, client, **AS_ONE_PROCESS)
    assert counters(model) == counters(single)
    assert model.loss_history == pytest.approx(single.loss_history, rel=1e-12)
    np.testing.assert_array_equal(model.w_out_ns, single.w_out_ns)
    assert model.wv.input_vectors.shape == (96 + 300, 16)
    scale = np.abs(single.wv.input_vectors).max()
    np.testing.assert_allclose(model.wv.input_vectors, single.wv.input_vectors, rtol=0,
                               atol=2 * np.spacing(scale))
    # The composed vectors (word row and its n-grams' mean) were recomposed after the epoch.
    np.testing.assert_allclose(model.wv.vectors, single.wv.vectors, rtol=0, atol=1e-6)
    assert_ngram_rows_trained(model, kw)


def assert_ngram_rows_trained(model, kw):
    """The n-gram bucket rows of the vocabulary's words, and only those, left their
    initial values on the driver: the deltas carried every bucket trained."""
    initial = FastText(**kw)
    initial.build_vocab_from_vocabulary(model.vocab)
    V = len(model.vocab)
    moved = np.any(model.wv.input_vectors[V:] != initial.wv.input_vectors[V:], axis=1)
    used = np.zeros(model.bucket, dtype=bool)
    rows = np.asarray(model.wv.subword_rows)
    used[rows[rows >= V] - V] = True
    assert 0 < used.sum() < model.bucket
    np.testing.assert_array_equal(moved, used)


def test_a_trained_model_continues_from_its_own_weights(client, topics):
    """A model trained before is not at its seed's initial weights: the replicas
    start from a snapshot of them, and the vocabulary is kept (only words counted)."""
    kw = dict(SMALL, sg=1)
    single = Word2Vec(corpus_file=topics, workers=1, epochs=1, **kw)
    single.train(corpus_file=topics, total_words=single.corpus_total_words, epochs=1)
    model = Word2Vec(corpus_file=topics, workers=1, epochs=1, **kw)
    vocab = model.vocab
    cw2v.distributed.fit(model, topics, client, **AS_ONE_PROCESS)
    assert model.vocab is vocab and model.train_count == 2
    assert counters(model) == counters(single)
    np.testing.assert_allclose(model.wv.vectors, single.wv.vectors, rtol=0, atol=1e-5)


@pytest.mark.parametrize("cls,config", [(Word2Vec, dict(SMALL, sg=1)),
                                        (Word2Vec, dict(SMALL, sg=0)),
                                        (FastText, dict(FASTTEXT, sg=1))])
def test_two_replicas_learn_planted_topics_as_well_as_one_process(client, topics, cls, config):
    kw = dict(config, epochs=4, compute_loss=True)
    single = cls(corpus_file=topics, workers=2, **kw)
    reports = []
    model = cw2v.distributed.fit(cls(**kw), topics, client, rounds_per_epoch=3,
                                 on_round=reports.append)
    assert {r.replicas for r in reports} == {2}
    assert own_topic_share(model) >= min(own_topic_share(single) - 0.02, 0.95)
    assert model.loss_history[-1] < model.loss_history[0]
    assert [h["raw_words"] for h in model.training_history] == [15000] * 4
    assert [h["mode"] for h in model.training_history] == ["distributed"] * 4
    if cls is FastText:
        assert_ngram_rows_trained(model, kw)
        # Queries see the composed vectors, out-of-vocabulary words too.
        assert model.wv.most_similar("t1w1", topn=1)[0][0].startswith("t1")
        assert model.wv["t1w1x"].shape == (16,)


@pytest.mark.parametrize("settings", [dict(min_count=3), dict(min_count=1, max_vocab_size=97)])
def test_vocabulary_equals_single_process_build_vocab(client, tmp_path, settings):
    """With max_vocab_size=97 the two words seen twice make 98 and are pruned
    (word2vec.c's rising floor), by one scan as by the merge of the shards' Counts."""
    paths, joined = write_topic_parts(tmp_path, (300, 40, 200), rare_lines=2)
    single = Word2Vec(vector_size=8, **settings)
    single.build_vocab(corpus_file=joined)
    assert "rare" not in single.vocab.key_to_index
    model = cw2v.distributed.fit(Word2Vec(vector_size=8, epochs=1, **settings), paths, client,
                                 rounds_per_epoch=2)
    assert model.vocab.index_to_key == single.vocab.index_to_key
    np.testing.assert_array_equal(model.vocab.counts, single.vocab.counts)
    for name in Word2Vec._VOCAB_STATS:
        assert getattr(model.vocab, name) == getattr(single.vocab, name), name
    assert (model.corpus_count, model.corpus_total_words) == \
        (single.corpus_count, single.corpus_total_words)
    assert model.training_history[0]["raw_words"] == single.corpus_total_words


# ---------------------------------------------------------------------- checkpoints

def test_resuming_from_a_checkpoint_gives_the_uninterrupted_model(client, topics, tmp_path):
    kw = dict(SMALL, epochs=2, sg=1)
    options = dict(REPRODUCIBLE, rounds_per_epoch=3, checkpoint_dir=str(tmp_path / "ckpt"),
                   checkpoint_every=2)
    calm = cw2v.distributed.fit(Word2Vec(**kw), topics, client, **REPRODUCIBLE,
                                rounds_per_epoch=3)

    class DriverCrash(Exception):
        pass

    def crash(report):
        if report.version == 5:          # epoch 2, round 2: the last checkpoint is at 4
            raise DriverCrash

    with pytest.raises(DriverCrash):
        cw2v.distributed.fit(Word2Vec(**kw), topics, client, on_round=crash, **options)
    resumed = Word2Vec(**kw)
    versions = []
    cw2v.distributed.fit(resumed, topics, client, resume=True,
                         on_round=lambda r: versions.append(r.version), **options)
    assert versions == [5, 6]
    assert counters(resumed) == counters(calm)
    assert [h["epoch"] for h in resumed.training_history] == [1, 2]
    assert resumed.train_count == 1
    assert_same_weights(resumed, calm)


# ---------------------------------------------------------------------- reports and errors

def test_rounds_are_logged_with_speed_communication_and_bytes(client, topics, caplog):
    reports = []
    with caplog.at_level(logging.INFO, logger="cw2v.distributed.rounds"):
        model = cw2v.distributed.fit(Word2Vec(epochs=2, **SMALL), topics, client,
                                     rounds_per_epoch=3, on_round=reports.append)
    assert len(reports) == 6 and [r.version for r in reports] == list(range(1, 7))
    assert sum(r.raw_words for r in reports) == 2 * 15000
    assert all(r.bytes_moved > 0 and 0 <= r.communication_share < 1 for r in reports)
    lines = [r.getMessage() for r in caplog.records if "round" in r.getMessage()]
    assert len(lines) == 6 and all("words/s" in m and "communication" in m and "MB moved" in m
                                   for m in lines)
    entry = model.training_history[0]
    assert entry["rounds"] == 3 and entry["replicas"] == 2 and entry["bytes_moved"] > 0


def test_bad_corpus_and_options_are_refused_before_any_work(client, tmp_path):
    import gzip
    packed = tmp_path / "c.txt.gz"
    with gzip.open(packed, "wt") as f:
        f.write("a b c\n")
    with pytest.raises(ValueError, match="compressed"):
        cw2v.distributed.fit(Word2Vec(), str(packed), client)
    with pytest.raises(ValueError, match="URL"):
        cw2v.distributed.fit(Word2Vec(), "s3://bucket/corpus.txt", client)
    with pytest.raises(FileNotFoundError):
        cw2v.distributed.fit(Word2Vec(), str(tmp_path / "missing.txt"), client)
    with pytest.raises(TypeError, match="rounds"):
        cw2v.distributed.fit(Word2Vec(), str(packed), client, rounds=3)
    with pytest.raises(ValueError, match="average"):
        cw2v.distributed.fit(Word2Vec(), str(packed), client, average="median")
    with pytest.raises(ValueError, match="checkpoint_dir"):
        cw2v.distributed.fit(Word2Vec(), str(packed), client, resume=True)
    with pytest.raises(TypeError, match="Word2Vec or a FastText"):
        cw2v.distributed.fit(GloVe(), str(packed), client)


# ---------------------------------------------------------------------- faults (last)

def _hold_the_next_round_task():
    """In a worker process: the next round task stops (forever) once it has begun."""
    from cw2v.distributed import replica

    def held(self, task):
        replica.held_task = task.version
        threading.Event().wait()
    replica.Replica.train = held


def _held_task():
    from cw2v.distributed import replica
    return getattr(replica, "held_task", None)


def _kill_while_busy(client, victim, killed):
    """Kill (os._exit) ``victim`` once it is in the middle of a round task."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.run(_held_task, workers=[victim]).get(victim) is not None:
            try:
                client.run(os._exit, 1, workers=[victim], on_error="ignore")
            except Exception:   # the worker died before answering
                pass
            killed.append(victim)
            return
        time.sleep(0.01)


@pytest.fixture(scope="module")
def calm(client, tmp_path_factory):
    """A run without faults, to compare the faulty ones with: (path, keywords, options, model)."""
    path = write_lines(tmp_path_factory.mktemp("calm") / "c.txt", topic_corpus(n_sentences=4000))
    kw = dict(SMALL, epochs=2, sg=1)
    options = dict(REPRODUCIBLE, rounds_per_epoch=3)
    return path, kw, options, cw2v.distributed.fit(Word2Vec(**kw), path, client, **options)


def assert_nothing_lost(model, calm_model):
    assert [h["raw_words"] for h in model.training_history] == [40000] * 2
    assert counters(model) == counters(calm_model)
    # Tasks are pure functions of (version, pieces, seed): the work of the
    # dead worker ran again elsewhere and the model is the one without the fault.
    assert_same_weights(model, calm_model)


def _forget_replicas():
    """In a worker process: drop its replicas, as a restarted worker has none."""
    from cw2v.distributed import replica
    forgotten = len(replica._replicas)
    replica._replicas.clear()
    return forgotten


def test_a_worker_without_its_replica_is_sent_a_snapshot(client, calm, caplog):
    """The round's task fails on that worker (ReplicaBehind) and is sent again with
    the driver's weights, which equal the replica's: the model is the calm one."""
    path, kw, options, calm_model = calm
    client.wait_for_workers(2)
    forgot, reports = [], []

    def forget(report):
        reports.append(report)
        if report.epoch == 0 and report.round == 1:
            victim = sorted(client.nthreads())[0]
            forgot.append(client.run(_forget_replicas, workers=[victim])[victim])

    with caplog.at_level(logging.INFO, logger="cw2v.distributed.rounds"):
        model = cw2v.distributed.fit(Word2Vec(**kw), path, client, on_round=forget, **options)
    assert forgot == [1]
    assert "1 replica(s) start from a snapshot" in caplog.text
    assert [r.sends for r in reports] == [1] * 6       # only that task was sent again
    assert_nothing_lost(model, calm_model)


def test_losing_the_last_update_with_its_worker_loses_nothing(client, calm):
    """The worker holding the summed deltas the replicas need next dies between two
    rounds: dask recomputes them, or the driver sends the round from a snapshot."""
    path, kw, options, calm_model = calm
    client.wait_for_workers(2)
    killed = []

    def kill_the_holder(report):
        if report.epoch == 0 and report.round == 0:
            holders = {w for key, where in client.who_has().items()
                       if str(key).startswith("combine-") for w in where}
            victim = sorted(holders)[0]
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            killed.append(victim)

    model = cw2v.distributed.fit(Word2Vec(**kw), path, client, on_round=kill_the_holder,
                                 **options)
    assert len(killed) == 1
    assert_nothing_lost(model, calm_model)


def test_an_update_lost_before_the_driver_fetched_it_is_trained_again(client, calm,
                                                                    monkeypatch):
    """The driver fetches each round's summed deltas while the next round trains;
    when that fetch fails, the driver trains the round again from its own
    weights and sends the next round again, and the model is the calm one."""
    from cw2v.distributed import rounds
    path, kw, options, calm_model = calm
    client.wait_for_workers(2)
    gather, failed = rounds.Driver._gather, []

    def fails_once(driver, future):
        if not failed:
            failed.append(future.key)
            raise OSError("the worker holding the sum is gone")
        return gather(driver, future)

    monkeypatch.setattr(rounds.Driver, "_gather", fails_once)
    model = cw2v.distributed.fit(Word2Vec(**kw), path, client, **options)
    assert len(failed) == 1
    assert_nothing_lost(model, calm_model)


def test_killing_a_worker_mid_epoch_loses_nothing(client, calm):
    """Last in this module: the killed worker's nanny restarts it, which takes seconds."""
    path, kw, options, calm_model = calm
    client.wait_for_workers(2)
    killed = []

    def kill_in_the_second_round(report):
        if report.epoch == 0 and report.round == 0:
            victim = sorted(client.nthreads())[0]
            client.run(_hold_the_next_round_task, workers=[victim])
            threading.Thread(target=_kill_while_busy, args=(client, victim, killed)).start()

    model = cw2v.distributed.fit(Word2Vec(**kw), path, client,
                                 on_round=kill_in_the_second_round, **options)
    assert len(killed) == 1
    assert_nothing_lost(model, calm_model)
