"""`cw2v glove`: Stanford's flags, its file formats out, planted topics learned."""
import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from cw2v import KeyedVectors
from cw2v.cli import main
from cw2v.io.stanford import read_cooccurrence, read_vocab

from glove_corpora import noisy_topics
from synthetic import own_topic_share

DATA = os.path.join(os.path.dirname(__file__), "data", "glove")
CORPUS = os.path.join(DATA, "corpus.txt")


def run(argv, capsys):
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_stanford_flags_give_stanford_files(tmp_path, capsys):
    status, out, err = run(["glove", "-train", CORPUS, "-output", tmp_path / "vectors.txt",
                            "-vector-size", 6, "-window-size", 5, "-min-count", 2, "-iter", 2,
                            "-x-max", 10, "-eta", 0.05, "-alpha", 0.75, "-threads", 2,
                            "-memory", 0.001, "-save-vocab", tmp_path / "vocab.txt",
                            "-save-cooccurrence", tmp_path / "cooc.bin"], capsys)
    assert status == 0, err
    assert (tmp_path / "vocab.txt").read_bytes() == Path(DATA, "vocab.txt").read_bytes()
    vocab = read_vocab(tmp_path / "vocab.txt")
    ours = read_cooccurrence(tmp_path / "cooc.bin", len(vocab))
    stanford = read_cooccurrence(os.path.join(DATA, "cooccurrence.bin"), len(vocab))
    np.testing.assert_allclose(ours.toarray(), stanford.toarray(), rtol=1e-14)
    # Stanford's text layout: no header line.
    first = (tmp_path / "vectors.txt").read_text().splitlines()[0].split()
    assert first[0] == "the" and len(first) == 7
    kv = KeyedVectors.load_word2vec_format(tmp_path / "vectors.txt", no_header=True)
    assert kv.index_to_key == vocab.index_to_key
    assert "Trained 2 iterations" in err


def test_planted_topics_binary_output_and_a_compressed_corpus(tmp_path, capsys):
    text = "\n".join(" ".join(s) for s in noisy_topics()) + "\n"
    with gzip.open(tmp_path / "topics.txt.gz", "wt") as out:
        out.write(text)
    status, _, err = run(["glove", "-train", tmp_path / "topics.txt.gz", "-output",
                          tmp_path / "v.bin", "-binary", 1, "-size", 16, "-window", 5,
                          "-min-count", 1, "-iter", 15, "-x-max", 10, "-threads", 1,
                          "--save-model", tmp_path / "model", "-verbose", 0], capsys)
    assert status == 0, err
    kv = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True)
    assert own_topic_share(kv) > 0.9
    from cw2v.models.glove import GloVe
    np.testing.assert_allclose(GloVe.load(tmp_path / "model").wv.vectors, kv.vectors)


def test_header_on_request(tmp_path, capsys):
    status, _, err = run(["glove", "-train", CORPUS, "-output", tmp_path / "v.txt", "-size", 4,
                          "-min-count", 2, "-iter", 1, "--header", "-verbose", 0], capsys)
    assert status == 0, err
    assert (tmp_path / "v.txt").read_text().splitlines()[0] == "43 4"


def test_counts_only(tmp_path, capsys):
    status, _, err = run(["glove", "-train", CORPUS, "-save-cooccurrence", tmp_path / "c.bin",
                          "-window", 5, "-min-count", 2, "-verbose", 0], capsys)
    assert status == 0, err
    assert read_cooccurrence(tmp_path / "c.bin", 43).nnz == 1004


@pytest.mark.parametrize("argv, fragment, code", [
    (["-train", CORPUS], "nothing to write", 2),
    (["-train", "missing.txt", "-output", "v.txt"], "missing.txt", 1),
    (["-train", CORPUS, "-output", "v.txt", "-eta", 0], "must be > 0", 2),
    (["-train", CORPUS, "-output", "v.txt", "-binary", 1, "--header"], "--header", 2),
])
def test_errors_are_one_line(tmp_path, monkeypatch, capsys, argv, fragment, code):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["glove", *argv], capsys)
    assert status == code
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_min_count_above_every_word(tmp_path, capsys):
    shutil.copy(CORPUS, tmp_path / "c.txt")
    status, _, err = run(["glove", "-train", tmp_path / "c.txt", "-output", tmp_path / "v.txt",
                          "-min-count", 1000], capsys)
    assert status == 1 and "min_count" in err
