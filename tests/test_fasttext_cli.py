"""`cw2v skipgram|cbow` and `cw2v print-word-vectors`, in fastText's style."""
import io

import numpy as np
import pytest

import cw2v
from cw2v.cli import main

from synthetic import topic_corpus  # noqa: E402  (tests/synthetic.py)
from test_cli import run  # noqa: E402  (status, stdout, stderr of an in-process run)

FLAGS = ["-dim", 8, "-ws", 3, "-epoch", 1, "-minCount", 1, "-minn", 2, "-maxn", 4,
         "-bucket", 997, "-thread", 1, "-verbose", 0]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "corpus.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in topic_corpus(200)), encoding="utf-8")
    return path


@pytest.mark.parametrize("command,loss", [("skipgram", "ns"), ("cbow", "hs")])
def test_training_writes_bin_and_vec_with_the_flags_given(tmp_path, capsys, corpus_file, command, loss):
    prefix = tmp_path / "model"
    status, out, err = run([command, "-input", corpus_file, "-output", prefix, "-loss", loss, *FLAGS], capsys)
    assert status == 0, err
    model = cw2v.load_facebook_model(f"{prefix}.bin")
    assert (model.sg, model.hs, model.vector_size, model.window, model.bucket, model.min_n, model.max_n) == \
        (int(command == "skipgram"), int(loss == "hs"), 8, 3, 997, 2, 4)
    vec = cw2v.KeyedVectors.load_word2vec_format(f"{prefix}.vec")
    assert vec.index_to_key == model.wv.index_to_key
    np.testing.assert_allclose(vec.vectors, model.wv.vectors, atol=1e-5)


def test_print_word_vectors_prints_known_and_unseen_words(tmp_path, capsys, corpus_file, monkeypatch):
    prefix = tmp_path / "model"
    assert run(["skipgram", "-input", corpus_file, "-output", prefix, *FLAGS], capsys)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("t0w0 t1w1\nnever-seen\n"))
    status, out, err = run(["print-word-vectors", f"{prefix}.bin"], capsys)
    assert status == 0, err
    wv = cw2v.load_facebook_vectors(f"{prefix}.bin")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["t0w0", "t1w1", "never-seen"]
    for line in lines:
        word, *values = line.split(" ")
        assert values[-1] == "" and len(values) == 9     # each value followed by a space, as fastText
        np.testing.assert_allclose([float(v) for v in values[:-1]], wv[word], rtol=1e-4, atol=1e-6)


def test_usage_errors(tmp_path, capsys, corpus_file):
    status, _, err = run(["skipgram", "-input", corpus_file, "-output", tmp_path / "m", "-neg", 0], capsys)
    assert status == 2 and "-neg" in err
    status, _, err = run(["cbow", "-input", tmp_path / "missing.txt", "-output", tmp_path / "m"], capsys)
    assert status == 1 and "does not exist" in err
    status, _, err = run(["skipgram", "-input", corpus_file], capsys)
    assert status == 2 and "-output" in err
