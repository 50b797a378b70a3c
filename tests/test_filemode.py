"""File mode (corpus_file=): every word trained exactly once per epoch, same kernels."""
import numpy as np
import pytest

from cw2v import Word2Vec
from cw2v._kernels.filemode import train_file_range
from cw2v._kernels.textfile import WordHash

from synthetic import own_topic_share, topic_corpus  # noqa: E402  (tests/synthetic.py)


def write_lines(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return str(path)


def test_trains_every_word_once_per_epoch_whatever_the_line_length(tmp_path):
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(50)] + ["é", "ünï", "日本"]
    lines = [list(rng.choice(vocab, size=n)) for n in (1, 7, 0, 25_000, 10_000, 9_999, 3, 12_345)]
    lines.append(["rare"])                              # below min_count: raw, not seen
    path = write_lines(tmp_path / "corpus.txt", lines)
    tokens = sum(len(s) for s in lines)
    in_vocab = tokens - 1
    for workers in (1, 2, 3):
        model = Word2Vec(corpus_file=path, vector_size=8, min_count=2, sample=0, epochs=2,
                         workers=workers, sg=0)
        assert model.corpus_total_words == tokens
        for epoch in model.training_history:
            assert epoch["raw_words"] == tokens
            assert epoch["words_seen"] == in_vocab
            assert epoch["words_trained"] == in_vocab        # sample=0 keeps all
            assert epoch["mode"] == "file"


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 3), (0, 1, 0), (1, 1, 2)])
def test_file_mode_computes_what_batch_mode_computes(tmp_path, sg, hs, negative):
    """One line, one worker: the file path and the batch path (checked against the
    NumPy reference in test_kernels.py) give bit-identical weights."""
    sentence = [f"t0w{i % 7}" for i in range(40)] + [f"t1w{i % 5}" for i in range(30)]
    path = write_lines(tmp_path / "one.txt", [sentence])
    kwargs = dict(vector_size=6, min_count=1, sample=1e-2, workers=1, epochs=2, sg=sg, hs=hs,
                  negative=negative, seed=5, window=3, compute_loss=True)
    from_file = Word2Vec(corpus_file=path, **kwargs)
    from_list = Word2Vec([sentence], batch_words=10**6, **kwargs)
    assert from_file.wv.index_to_key == from_list.wv.index_to_key
    np.testing.assert_array_equal(from_file.wv.vectors, from_list.wv.vectors)
    assert from_file.loss_history == pytest.approx(from_list.loss_history, rel=1e-12)


@pytest.mark.parametrize("sg", [1, 0])
def test_file_mode_learns_planted_topics(tmp_path, sg):
    path = write_lines(tmp_path / "topics.txt", topic_corpus())
    model = Word2Vec(corpus_file=path, vector_size=20, window=4, min_count=1, sample=0,
                     epochs=6, workers=2, seed=3, sg=sg, compute_loss=True)
    assert own_topic_share(model) > 0.9
    assert model.loss_history[-1] < model.loss_history[0]


def test_compressed_or_missing_corpus_file_is_rejected(tmp_path):
    import gzip
    gz = tmp_path / "c.txt.gz"
    with gzip.open(gz, "wt") as f:
        f.write("a b c\n")
    with pytest.raises(ValueError, match="compressed"):
        Word2Vec(corpus_file=str(gz), min_count=1)
    with pytest.raises(FileNotFoundError, match="nope"):
        Word2Vec(corpus_file=str(tmp_path / "nope.txt"), min_count=1)


def test_range_error_names_the_file(tmp_path):
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab([["a", "b"]])
    trainer = model._make_trainer(False)
    with pytest.raises(OSError, match="missing.txt"):
        train_file_range(trainer, trainer.new_worker(), WordHash(["a", "b"]),
                         str(tmp_path / "missing.txt"), 0, -1, 0.025, 0.0001, 10, 1, 0)


def test_an_interrupted_epoch_stops_every_thread(tmp_path):
    """A failure in the main thread mid-epoch stops the workers before train() returns."""
    path = write_lines(tmp_path / "big.txt", topic_corpus(20000))
    model = Word2Vec(vector_size=20, min_count=1, workers=2, sg=1, epochs=1)
    model.build_vocab(corpus_file=path)

    class Interrupt(Exception):
        pass

    def interrupt(report):
        raise Interrupt

    from cw2v.train import runner as training
    original = training.run_epoch

    def with_interrupting_report(*args, **kwargs):
        kwargs.update(report=interrupt, report_delay=0.001)
        return original(*args, **kwargs)

    training_fn = "cw2v.models.word2vec.run_epoch"
    import unittest.mock as mock
    with mock.patch(training_fn, with_interrupting_report):
        with pytest.raises(Interrupt):
            model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
    frozen = model.wv.vectors.copy()
    import time
    time.sleep(0.2)
    np.testing.assert_array_equal(model.wv.vectors, frozen)


def test_interim_progress_shows_the_running_loss(tmp_path, caplog):
    """File-mode progress lines carry the loss so far, not 0.0000/prediction."""
    import logging
    import re
    path = write_lines(tmp_path / "big.txt", topic_corpus(20000))
    with caplog.at_level(logging.INFO, logger="cw2v"):
        model = Word2Vec(corpus_file=path, vector_size=10, min_count=1, workers=2, sg=1,
                         epochs=1, compute_loss=True, report_delay=0.001)
    interim = [float(x) for x in re.findall(r"% done, .*, loss ([0-9.]+)/prediction", caplog.text)]
    assert interim, caplog.text
    epoch = model.training_history[0]
    final = epoch["loss"] / epoch["predictions"]
    assert all(final / 3 < x < final * 3 for x in interim), (interim, final)


def test_trim_rule_is_consulted_when_max_vocab_size_prunes(tmp_path):
    """File mode keeps what the rule keeps while pruning, exactly as iterable mode does."""
    import random
    from cw2v.vocab.vocabulary import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP
    rng = random.Random(2)
    words = [f"w{int(rng.paretovariate(1.0))}" for _ in range(6000)]
    words.insert(3, "keepme")                 # seen once, early: the first pruning drops it
    lines = [words[i:i + 10] for i in range(0, len(words), 10)]
    path = write_lines(tmp_path / "zipf.txt", lines)

    def rule(word, count, min_count):
        return {"keepme": RULE_KEEP, "w1": RULE_DISCARD}.get(word, RULE_DEFAULT)

    def vocab_of(**corpus):
        model = Word2Vec(vector_size=4, min_count=1, max_vocab_size=40, trim_rule=rule)
        model.build_vocab(**corpus)
        return model

    from_file = vocab_of(corpus_file=path)
    from_lines = vocab_of(corpus_iterable=lines)
    assert "keepme" in from_file.wv.key_to_index and "w1" not in from_file.wv.key_to_index
    assert from_file.wv.index_to_key == from_lines.wv.index_to_key
    assert from_file.vocab.counts.tolist() == from_lines.vocab.counts.tolist()
    assert (from_file.corpus_total_words, from_file.corpus_count) == (len(words), len(lines))
    # Without the rule the scan would have dropped it: pruning did happen.
    plain = Word2Vec(vector_size=4, min_count=1, max_vocab_size=40)
    plain.build_vocab(corpus_file=path)
    assert "keepme" not in plain.wv.key_to_index
    from_file.train(corpus_file=path, total_words=from_file.corpus_total_words, epochs=1)
