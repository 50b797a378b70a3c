"""End-to-end behaviour of cw2v.Word2Vec on corpora whose right answer holds by construction."""
import logging
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import cw2v
from cw2v import Word2Vec
from cw2v import TrainingDivergedError

from synthetic import own_topic_share, topic_corpus  # noqa: E402  (tests/synthetic.py)


CONFIGS = {
    "sg-ns": dict(sg=1, negative=5),
    "cbow-ns": dict(sg=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
    "sg-softmax": dict(sg=1, softmax=True, negative=0),
    "cbow-softmax": dict(sg=0, softmax=True, negative=0),
    "cbow-sum-ns": dict(sg=0, negative=5, cbow_mean=0),
    "sg-ns-shared": dict(sg=1, negative=5, shared_negatives=True),
}


class CorpusLoss(cw2v.Callback):
    """The corpus's loss per prediction at the current weights, before training
    and after every epoch.

    The loss summed during an epoch wobbles (online updates, a falling
    learning rate), so each measurement is its own pass over the corpus at
    learning rate 0, which changes no weight (test_kernels checks it), with
    the same random draws every time: only the weights differ.
    """

    def __init__(self, corpus):
        self.corpus = corpus
        self.losses = []

    def measure(self, model):
        ids = np.array([model.wv.key_to_index[w] for s in self.corpus for w in s], dtype=np.int32)
        ends = np.cumsum([len(s) for s in self.corpus]).astype(np.int32)
        trainer = model._make_trainer(compute_loss=True)
        loss, predictions, _ = trainer.train_batch(trainer.new_worker(), ids, ends, 0.0, 0.0,
                                                   12345, 0)
        self.losses.append(loss / predictions)

    on_train_begin = on_epoch_end = measure


@pytest.mark.parametrize("name", list(CONFIGS))
def test_learns_planted_topics_and_loss_falls_every_epoch(name):
    corpus = topic_corpus()
    measured = CorpusLoss(corpus)
    # One worker: the same run every time, so a strict per-epoch test cannot flake.
    model = Word2Vec(corpus, vector_size=20, window=4, min_count=1, sample=0, epochs=4,
                     workers=1, seed=3, compute_loss=True, alpha=0.025, callbacks=[measured],
                     **CONFIGS[name])
    share = own_topic_share(model)
    assert share > 0.9, f"{name}: only {share:.2f} of nearest neighbours share the topic"
    losses = measured.losses
    assert len(losses) == 1 + 4 and all(math.isfinite(x) and x > 0 for x in losses)
    assert all(after < before for before, after in zip(losses, losses[1:])), \
        f"{name}: the loss did not fall every epoch: {losses}"
    assert len(model.loss_history) == 4 and all(x > 0 for x in model.loss_history)
    assert model.get_latest_training_loss() == model.loss_history[-1]


def test_untrained_model_is_at_chance():
    """The topic measure is not trivially satisfied: random vectors score near chance."""
    model = Word2Vec(vector_size=20, min_count=1)
    model.build_vocab(topic_corpus())
    assert own_topic_share(model) < 0.3


LAYER_KEYWORDS = {"hs": dict(hs=1, negative=0), "ns": dict(negative=3),
                  "softmax": dict(softmax=True, negative=0)}


def train_small(sg, layer, mode, seed, workdir):
    """A small model trained with workers=1; its matrices by name."""
    corpus = topic_corpus(300)
    kwargs = dict(vector_size=8, min_count=1, window=3, workers=1, seed=seed, epochs=2, sg=sg,
                  **LAYER_KEYWORDS[layer])
    if mode == "file":
        path = os.path.join(workdir, "corpus.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(" ".join(s) + "\n" for s in corpus)
        model = Word2Vec(corpus_file=path, **kwargs)
    else:
        model = Word2Vec(corpus, **kwargs)
    return model._matrices()


REPRODUCIBLE = [(sg, layer, mode) for sg in (1, 0) for layer in LAYER_KEYWORDS
                for mode in ("iterable", "file")]


@pytest.mark.parametrize("sg,layer,mode", REPRODUCIBLE)
def test_workers_1_is_bit_reproducible(tmp_path, sg, layer, mode):
    first = train_small(sg, layer, mode, 7, tmp_path)
    second = train_small(sg, layer, mode, 7, tmp_path)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].tobytes() == second[name].tobytes(), name
    # The seed is what fixes the run: another seed gives other vectors.
    other = train_small(sg, layer, mode, 8, tmp_path)
    assert first["wv.vectors"].tobytes() != other["wv.vectors"].tobytes()


def test_workers_1_is_bit_reproducible_across_hash_seeds(tmp_path):
    script = (
        "import numpy as np, sys\n"
        "sys.path.insert(0, %r)\n"
        "from test_word2vec import REPRODUCIBLE, train_small\n"
        "arrays = {}\n"
        "for sg, layer, mode in REPRODUCIBLE:\n"
        "    for name, m in train_small(sg, layer, mode, 7, sys.argv[2]).items():\n"
        "        arrays[f'{sg}-{layer}-{mode}-{name}'] = m\n"
        "np.savez(sys.argv[1], **arrays)\n" % os.path.dirname(__file__))
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"v{hash_seed}.npz"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        # cwd elsewhere: python -c puts the cwd (maybe the source tree) on sys.path.
        subprocess.run([sys.executable, "-c", script, str(out), str(tmp_path)], check=True,
                       env=env, cwd=tmp_path)
        outs.append(np.load(out))
    assert len(outs[0].files) >= 2 * len(REPRODUCIBLE)
    assert outs[0].files == outs[1].files
    for name in outs[0].files:
        assert outs[0][name].tobytes() == outs[1][name].tobytes(), name


def test_loss_does_not_depend_on_workers_beyond_update_order():
    corpus = topic_corpus(600)
    losses = []
    for workers in (1, 2):
        m = Word2Vec(corpus, vector_size=10, min_count=1, workers=workers, seed=1, epochs=1,
                     compute_loss=True, batch_words=200, sg=1)
        losses.append(m.get_latest_training_loss())
    assert losses[1] == pytest.approx(losses[0], rel=0.02)


def test_build_vocab_then_train_in_steps_and_continue():
    corpus = topic_corpus(400)
    model = Word2Vec(vector_size=10, min_count=1, seed=1, workers=1)
    with pytest.raises(RuntimeError, match="build_vocab"):
        model.train(corpus, total_examples=len(corpus), epochs=1)
    model.build_vocab(corpus)
    assert model.corpus_count == len(corpus)
    before = model.wv.vectors.copy()
    trained, raw = model.train(corpus, total_examples=model.corpus_count, epochs=2)
    assert raw == 2 * sum(map(len, corpus)) and 0 < trained <= raw
    after_first = model.wv.vectors.copy()
    assert not np.array_equal(before, after_first)
    model.train(corpus, total_words=model.corpus_total_words, epochs=1)
    assert not np.array_equal(after_first, model.wv.vectors)
    assert model.epochs_trained == 3


def test_vocabulary_update_keeps_old_rows_and_trains_new_words():
    corpus = topic_corpus(400)
    model = Word2Vec(corpus, vector_size=10, min_count=1, seed=1, workers=1, epochs=2)
    old = model.wv.vectors.copy()
    old_keys = list(model.wv.index_to_key)
    extra = [["novel", "words", "appear"]] * 50
    model.build_vocab(extra, update=True)
    assert model.wv.index_to_key[:len(old_keys)] == old_keys
    assert "novel" in model.wv.key_to_index
    np.testing.assert_array_equal(model.wv.vectors[:len(old_keys)], old)
    new_row = model.wv["novel"].copy()
    model.train(extra, total_examples=len(extra), epochs=1)
    assert not np.array_equal(model.wv["novel"], new_row)


def test_vocabulary_update_of_a_loaded_model_keeps_its_word_order_setting(tmp_path):
    model = Word2Vec(topic_corpus(200), vector_size=10, min_count=1, workers=1, epochs=1,
                     sorted_vocab=0)
    model.save(tmp_path / "m")
    loaded = Word2Vec.load(tmp_path / "m")
    # New words in order of first appearance, although "often" is the more frequent.
    loaded.build_vocab([["seldom"], ["often"], ["often"], ["often"]], update=True)
    assert loaded.wv.index_to_key[-2:] == ["seldom", "often"]


def test_initialisation_follows_word2vec_c():
    model = Word2Vec(vector_size=50, min_count=1, hs=1, negative=5, seed=4)
    model.build_vocab(topic_corpus(100))
    assert np.abs(model.wv.vectors).max() <= 0.5 / 50
    assert model.wv.vectors.std() > 0.1 / 50
    assert not model.w_out_ns.any() and not model.w_out_hs.any()
    assert model.w_out_hs.shape == (len(model.wv) - 1, 50)
    assert model.syn1neg is model.w_out_ns and model.syn1 is model.w_out_hs


@pytest.mark.parametrize("kwargs,match", [
    (dict(vector_size=0), "vector_size"),
    (dict(window=0), "window"),
    (dict(negative=-1), "negative"),
    (dict(epochs=0), "epochs"),
    (dict(alpha=-0.1), "alpha"),
    (dict(alpha=float("nan")), "alpha"),
    (dict(sample=-1e-3), "sample"),
    (dict(hs=0, negative=0), "no output layer"),
    (dict(workers=0), "workers"),
    (dict(shared_negatives=True, sg=0), "shared_negatives"),
])
def test_bad_parameters_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Word2Vec(**kwargs)


def test_bad_corpora_raise_clear_errors():
    with pytest.raises(TypeError, match="str"):
        Word2Vec("a plain string is not a corpus", min_count=1)
    with pytest.raises(TypeError, match="restartable|list"):
        Word2Vec((s for s in topic_corpus(10)), min_count=1)
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec([["rare", "words"]], min_count=5)
    with pytest.raises(ValueError):
        Word2Vec([], min_count=1)


class SharedSource:
    """Looks restartable (a new iterator per call) but every iterator drains one generator."""

    def __init__(self, sentences):
        self.source = iter(sentences)

    def __iter__(self):
        return (s for s in self.source)


def test_a_corpus_that_cannot_restart_is_an_error_not_an_empty_epoch():
    sentences = list(topic_corpus(300))
    model = Word2Vec(vector_size=10, min_count=1, workers=1)
    model.build_vocab(sentences)
    # The first epoch drains the shared source; the second finds it empty.
    with pytest.raises(ValueError, match="not restartable"):
        model.train(SharedSource(sentences), total_examples=len(sentences), epochs=2)
    assert model.epochs_trained == 1


def test_divergence_is_detected_and_not_saved(tmp_path):
    model = Word2Vec(vector_size=10, min_count=1, alpha=1e30, sg=1, workers=1)
    model.build_vocab(topic_corpus(200))
    assert not model.diverged
    with pytest.raises(TrainingDivergedError, match="alpha"):
        model.train(topic_corpus(200), total_examples=200, epochs=1)
    assert model.diverged
    with pytest.raises(TrainingDivergedError):
        model.save(tmp_path / "diverged")
    assert not (tmp_path / "diverged").exists()
    with pytest.raises(TrainingDivergedError, match="fresh model"):
        model.train(topic_corpus(200), total_examples=200, epochs=1)


def test_callbacks_are_called_in_order():
    events = []

    class Recorder(cw2v.Callback):
        def on_train_begin(self, model):
            events.append("train_begin")

        def on_epoch_begin(self, model):
            events.append("epoch_begin")

        def on_epoch_end(self, model):
            events.append(f"epoch_end:{len(model.loss_history)}")

        def on_train_end(self, model):
            events.append("train_end")

    Word2Vec(topic_corpus(100), vector_size=5, min_count=1, epochs=2, callbacks=[Recorder()])
    assert events == ["train_begin", "epoch_begin", "epoch_end:1", "epoch_begin",
                      "epoch_end:2", "train_end"]


def test_progress_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="cw2v"):
        Word2Vec(topic_corpus(200), vector_size=5, min_count=1, epochs=1, compute_loss=True)
    text = caplog.text
    assert "epoch 1/1" in text and "words/s" in text and "loss" in text


def test_save_and_load_round_trip(tmp_path):
    model = Word2Vec(topic_corpus(300), vector_size=8, min_count=1, hs=1, negative=3,
                     compute_loss=True, epochs=2, workers=1)
    path = tmp_path / "model"
    model.save(path)
    for mmap in (None, "r"):
        loaded = Word2Vec.load(path, mmap=mmap)
        np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
        np.testing.assert_array_equal(loaded.w_out_hs, model.w_out_hs)
        np.testing.assert_array_equal(loaded.w_out_ns, model.w_out_ns)
        assert loaded.wv.index_to_key == model.wv.index_to_key
        assert loaded.loss_history == model.loss_history
        assert loaded.vocab.counts.tolist() == model.vocab.counts.tolist()
    # A loaded model continues training.
    loaded = Word2Vec.load(path)
    loaded.train(topic_corpus(300), total_examples=300, epochs=1)
    assert loaded.epochs_trained == 3


def test_output_matrices_are_reachable():
    model = Word2Vec(topic_corpus(300), vector_size=8, min_count=1, negative=3, softmax=True,
                     epochs=1)
    assert model.w_out_ns.shape == model.w_out_softmax.shape == (len(model.wv), 8)
    out = model.output_vectors("softmax")
    np.testing.assert_array_equal(out.vectors, model.w_out_softmax)
    with pytest.raises(ValueError, match="output layer"):
        model.output_vectors("hs")


def test_progress_bar_counts_the_whole_epoch(capsys):
    pytest.importorskip("tqdm")
    corpus = topic_corpus(300)
    Word2Vec(corpus, vector_size=5, min_count=1, epochs=1, progress=True, workers=1)
    err = capsys.readouterr().err
    assert sum(map(len, corpus)) == 3000
    assert "epoch 1" in err and "3.00k/3.00k" in err, err


# ---- gensim's signature -----------------------------------------------------------

def test_positional_arguments_follow_gensim_order():
    """Word2Vec(s, None, 100, 0.025, 5) means window=5 in gensim 4, not min_alpha=5."""
    model = Word2Vec(None, None, 30, 0.05, 7, 2)
    assert (model.vector_size, model.alpha, model.window, model.min_count) == (30, 0.05, 7, 2)
    assert model.min_alpha == 0.0001


def test_signature_matches_gensim_and_extras_are_keyword_only():
    import inspect
    gensim = pytest.importorskip("gensim")
    ours = inspect.signature(Word2Vec).parameters
    theirs = inspect.signature(gensim.models.Word2Vec).parameters
    positional = [n for n, p in ours.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == list(theirs)
    for name, param in theirs.items():
        assert ours[name].default == param.default, name
    extras = [n for n, p in ours.items() if p.kind is p.KEYWORD_ONLY]
    assert set(extras) == set(ours) - set(theirs)
    assert {"softmax", "shared_negatives", "progress", "report_delay"} <= set(extras)


def test_gensim_only_keywords(caplog, tmp_path):
    with caplog.at_level(logging.WARNING, logger="cw2v"):
        Word2Vec(min_count=1)
    assert "hashfxn" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="cw2v"):
        Word2Vec(min_count=1, hashfxn=lambda s: 0)
    assert "hashfxn is ignored" in caplog.text
    with pytest.raises(NotImplementedError, match="null_word"):
        Word2Vec(min_count=1, null_word=1)
    assert Word2Vec(min_count=1, null_word=0).null_word == 0
    model = Word2Vec(topic_corpus(50), vector_size=4, min_count=1, epochs=1, comment="run 7")
    model.save(tmp_path / "m")
    assert Word2Vec.load(tmp_path / "m").comment == "run 7"
    with pytest.raises(TypeError, match="comment"):
        Word2Vec(comment=3)


def test_keep_raw_vocab_is_accepted_and_changes_nothing(caplog):
    corpus = topic_corpus(100)
    plain = Word2Vec(vector_size=4, min_count=1)
    plain.build_vocab(corpus)
    kept = Word2Vec(vector_size=4, min_count=1)
    with caplog.at_level(logging.WARNING, logger="cw2v"):
        kept.build_vocab(corpus, keep_raw_vocab=True)
    assert "keep_raw_vocab" in caplog.text
    assert kept.wv.index_to_key == plain.wv.index_to_key
    np.testing.assert_array_equal(kept.wv.vectors, plain.wv.vectors)


def test_learning_rate_must_decay():
    with pytest.raises(ValueError, match="min_alpha=0.5 is above alpha=0.025"):
        Word2Vec(min_alpha=0.5)
    Word2Vec(alpha=0.01, min_alpha=0.01)        # constant rate is fine
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab(topic_corpus(20))
    with pytest.raises(ValueError, match="end_alpha=0.03 is above start_alpha=0.02"):
        model.train(topic_corpus(20), total_examples=20, start_alpha=0.02, end_alpha=0.03)
    with pytest.raises(ValueError, match="end_alpha"):
        model.train(topic_corpus(20), total_examples=20, start_alpha=1e-5)   # below min_alpha


def test_queue_factor_sets_the_queue_size_and_word_count_warns(monkeypatch, caplog):
    from cw2v.train import runner as training
    sizes = []

    class RecordingRunner(training.JobRunner):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            sizes.append(self.jobs.maxsize)

    monkeypatch.setattr(training, "JobRunner", RecordingRunner)
    model = Word2Vec(vector_size=4, min_count=1, workers=2)
    model.build_vocab(topic_corpus(50))
    model.train(topic_corpus(50), total_examples=50, epochs=1)
    model.train(topic_corpus(50), total_examples=50, epochs=1, queue_factor=5)
    assert sizes == [4, 10]
    with pytest.raises(ValueError, match="queue_factor"):
        model.train(topic_corpus(50), total_examples=50, epochs=1, queue_factor=0)
    with caplog.at_level(logging.WARNING, logger="cw2v"):
        model.train(topic_corpus(50), total_examples=50, epochs=1, word_count=100)
    assert "word_count=100 is ignored" in caplog.text


# ---- worker threads ---------------------------------------------------------------

class FailingTrainer:
    """Stands in for a Trainer: every batch fails, and says so through `failed`."""

    def __init__(self):
        import threading
        self.failed = threading.Event()

    def new_worker(self):
        return None

    def train_batch(self, state, ids, sentence_ends, alpha_begin, alpha_end, seed, stream):
        self.failed.set()
        raise RuntimeError("worker failed")


def run_iterable_epoch(trainer, report=None, report_delay=1.0):
    from cw2v.io.corpus import iter_id_batches
    from cw2v.train.runner import BatchJob, run_epoch
    corpus = topic_corpus(50)
    vocab = {w: i for i, w in enumerate(sorted({w for s in corpus for w in s}))}
    jobs = (BatchJob(b.ids, b.sentence_ends, 0.025, 0.025, i, b.raw_words, b.n_sentences)
            for i, b in enumerate(iter_id_batches(corpus, vocab, batch_words=10)))
    return run_epoch(trainer, jobs, epoch=0, threads=2, seed=1, report=report,
                     report_delay=report_delay)


def test_a_worker_error_reaches_the_caller():
    with pytest.raises(RuntimeError, match="worker failed"):
        run_iterable_epoch(FailingTrainer())


def test_an_interrupt_is_not_masked_by_a_worker_error():
    """Ctrl-C in the producer while a worker has failed: the interrupt propagates."""
    import threading
    trainer = FailingTrainer()

    def interrupt_once_a_worker_failed(report):
        assert trainer.failed.wait(timeout=10)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_iterable_epoch(trainer, interrupt_once_a_worker_failed, report_delay=0.0)
    assert not [t for t in threading.enumerate() if t.name.startswith("cw2v-worker")]


def _set(section, key, value):
    def corrupt(meta):
        (meta if section is None else meta[section])[key] = value
    return corrupt


@pytest.mark.parametrize("corrupt,match", [
    (lambda meta: meta.pop("params"), r"lacks \['params'\]"),
    (_set(None, "params", [1, 2]), "params of type list"),
    (_set("params", "vector_sise", 8), r"unknown parameters \['vector_sise'\]"),
    (lambda meta: meta["params"].pop("window"), r"lacks the parameters \['window'\]"),
    (_set("params", "vector_size", "8"), "vector_size must be an integer"),
    (_set("params", "sg", "yes"), "sg='yes'"),
    (lambda meta: meta["params"].update(negative=0, softmax=True),
     "w_out_ns but its parameters turn that layer off"),
    (_set("params", "vector_size", 9), r"w_in has shape \(\d+, 8\), expected"),
    (_set("params", "hs", 1), r"w_out_hs should have shape"),
    (_set(None, "vocab_stats", {"raw_word_count": "many"}), "vocab_stats"),
    (_set("vocab_stats", "colour", 3), "vocab_stats"),
    (_set(None, "epochs_trained", -1), "epochs_trained=-1"),
    (_set(None, "loss_history", "low"), "loss_history"),
])
def test_damaged_meta_json_raises_value_error_naming_the_path(tmp_path, corrupt, match):
    import json
    model = Word2Vec(topic_corpus(100), vector_size=8, min_count=1, epochs=1, workers=1)
    path = tmp_path / "model"
    model.save(path)
    meta_file = path / "meta.json"
    meta = json.loads(meta_file.read_text())
    corrupt(meta)
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=match) as info:
        Word2Vec.load(path)
    assert str(path) in str(info.value) and "damaged" in str(info.value)


def test_model_saved_before_comment_existed_still_loads(tmp_path):
    import json
    model = Word2Vec(topic_corpus(100), vector_size=8, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    del meta["params"]["comment"]
    (tmp_path / "m" / "meta.json").write_text(json.dumps(meta))
    loaded = Word2Vec.load(tmp_path / "m")
    assert loaded.comment is None
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)


def test_train_defaults_to_the_models_loss_and_callbacks_and_reports_each_epochs_loss():
    """Documented differences from gensim: train()'s compute_loss/callbacks default to
    the model's, and get_latest_training_loss() is the last epoch's loss, not a total."""
    seen = []

    class EpochLoss(cw2v.Callback):
        def on_epoch_end(self, model):
            seen.append(model.get_latest_training_loss())

    model = Word2Vec(vector_size=5, min_count=1, workers=1, compute_loss=True,
                     callbacks=[EpochLoss()])
    model.build_vocab(topic_corpus(100))
    model.train(topic_corpus(100), total_examples=100, epochs=3)
    assert seen == model.loss_history and all(x > 0 for x in seen)
    assert model.get_latest_training_loss() == seen[-1] < sum(seen)
    model.train(topic_corpus(100), total_examples=100, epochs=1, compute_loss=False,
                callbacks=())
    assert len(seen) == 3 and math.isnan(model.loss_history[-1])
    assert model.get_latest_training_loss() == 0.0


def test_loaded_model_reports_the_same_latest_loss(tmp_path):
    for compute_loss in (True, False):
        model = Word2Vec(topic_corpus(100), vector_size=5, min_count=1, epochs=1, workers=1,
                         compute_loss=compute_loss)
        model.save(tmp_path / f"m{compute_loss}")
        loaded = Word2Vec.load(tmp_path / f"m{compute_loss}")
        assert loaded.get_latest_training_loss() == model.get_latest_training_loss()


@pytest.mark.parametrize("mode", ["iterable", "file"])
@pytest.mark.parametrize("config", ["sg-ns", "cbow-hs", "sg-ns-shared"])
def test_pretrained_rows_frozen_with_lockf_zero_stay_put(tmp_path, mode, config):
    """intersect_word2vec_format(lockf=0.0) seeds rows that training then leaves alone."""
    corpus = topic_corpus(300)
    model = Word2Vec(vector_size=8, min_count=1, window=3, workers=1, seed=2, epochs=2,
                     **CONFIGS[config])
    model.build_vocab(corpus)
    frozen = ["t0w1", "t3w5"]
    pretrained = cw2v.KeyedVectors.from_arrays(
        frozen, np.full((2, 8), 0.25, dtype=np.float32))
    path = tmp_path / "pretrained.txt"
    pretrained.save_word2vec_format(str(path))
    assert model.wv.intersect_word2vec_format(str(path), lockf=0.0) == 2
    before = model.wv.vectors.copy()
    if mode == "file":
        text = tmp_path / "corpus.txt"
        text.write_text("".join(" ".join(s) + "\n" for s in corpus))
        model.train(corpus_file=str(text), total_words=sum(map(len, corpus)), epochs=2)
    else:
        model.train(corpus, total_examples=len(corpus), epochs=2)
    rows = [model.wv.get_index(w) for w in frozen]
    np.testing.assert_array_equal(model.wv.vectors[rows], np.full((2, 8), 0.25, np.float32))
    others = [i for i in range(len(model.wv)) if i not in rows]
    assert np.all(np.any(model.wv.vectors[others] != before[others], axis=1))
