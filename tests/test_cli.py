"""The `cw2v` command line: word2vec.c's train flags, queries, evaluation, errors.

Most tests call ``cw2v.cli.main`` in-process; a few run ``python -m cw2v`` (and
the installed ``cw2v`` script, when there is one) in a subprocess.  Answers are
checked against references computed here: a corpus with planted topics for
training, hand-made vectors with a known geometry for the queries.
"""
import collections
import gzip
import logging
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from cw2v import KeyedVectors, Word2Vec
from cw2v.cli import DEMO_QUERIES, bundled_corpus_path, detect_vectors_format, main
from synthetic import N_TOPICS, TOPIC_WORDS, own_topic_share, topic_corpus

# Every flag word2vec.c's main() reads.
W2V_FLAGS = ("train", "output", "size", "window", "sample", "hs", "negative", "threads", "iter",
             "min-count", "alpha", "binary", "cbow", "save-vocab", "read-vocab", "debug",
             "classes")
RARE_WORDS = {"rare3": 3, "rare4": 4}          # below word2vec.c's default -min-count 5

# Hand-made vectors: a gender axis, a royalty axis and a fruit axis, so that
# man : king :: woman : queen holds by construction.
WORDS = ["man", "woman", "king", "queen", "apple", "pear"]
VECTORS = np.array([[1, 0, .1, 0], [0, 1, .1, .05], [1, .1, 1, 0], [.1, 1, 1, .05],
                    [0, .1, 0, 1], [.1, 0, .3, 1]], dtype=np.float32)


def run(argv, capsys):
    """(exit status, stdout, stderr) of ``cw2v ARGV`` run in-process."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's usage errors and --help
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, out, err, command, *fragments, code=1):
    assert status == code, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"cw2v {command}: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def parse_neighbours(text):
    """{query line: [(word, score), ...]} from similar / analogy / demo output."""
    blocks, current = {}, None
    for line in text.splitlines():
        if line.startswith("  ") and current is not None:
            word, score = line.split()
            blocks[current].append((word, float(score)))
        elif line.endswith(":"):
            current = line[:-1]
            blocks[current] = []
    return blocks


def reference_neighbours(positive, negative=(), topn=10):
    """Brute-force 3CosAdd over the hand-made vectors, in float64."""
    unit = VECTORS / np.linalg.norm(VECTORS, axis=1, keepdims=True)
    query = (sum(unit[WORDS.index(w)] for w in positive)
             - sum(unit[WORDS.index(w)] for w in negative))
    scores = unit @ (query / np.linalg.norm(query))
    order = [i for i in np.argsort(-scores) if WORDS[i] not in (*positive, *negative)]
    return [(WORDS[i], float(scores[i])) for i in order[:topn]]


def assert_same_ranking(printed, expected):
    assert [w for w, _ in printed] == [w for w, _ in expected]
    np.testing.assert_allclose([s for _, s in printed], [s for _, s in expected], atol=1e-4)


def write_text_vectors(path, words=WORDS, vectors=VECTORS, header=True):
    lines = [f"{len(words)} {vectors.shape[1]}"] if header else []
    lines += [w + " " + " ".join(repr(float(x)) for x in v) for w, v in zip(words, vectors)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_binary_vectors(path, words=WORDS, vectors=VECTORS):
    """word2vec.c's binary layout, written by hand (not by cw2v)."""
    with open(path, "wb") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        for word, vector in zip(words, vectors):
            f.write(word.encode() + b" " + vector.astype("<f4").tobytes() + b"\n")
    return path


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    """5000 topic tokens plus a few rare words; returns (path, Counter of its tokens)."""
    sentences = topic_corpus(n_sentences=500, length=10, seed=3)
    for word, count in RARE_WORDS.items():
        sentences += [[word, "t0w0"]] * count
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n", encoding="utf-8")
    return path, collections.Counter(w for s in sentences for w in s)


@pytest.fixture()
def corpus(corpus_file):
    return str(corpus_file[0])


@pytest.fixture()
def text_vectors(tmp_path):
    return write_text_vectors(tmp_path / "hand.txt")


QUICK = ["-size", 16, "-sample", 0, "-threads", 1, "-iter", 5, "-min-count", 1, "-debug", 0]


# ---------------------------------------------------------------- train

@pytest.mark.parametrize("cbow", [0, 1])
def test_train_text_and_binary_outputs_load_and_agree(corpus, tmp_path, capsys, cbow):
    outputs = {}
    for binary in (0, 1):
        out = tmp_path / f"vectors{binary}"
        status, stdout, stderr = run(["train", "-train", corpus, "-output", out, "-binary", binary,
                                      "-cbow", cbow, "-window", 5, "-negative", 5, "-hs", 0,
                                      *QUICK], capsys)
        assert (status, stdout, stderr) == (0, "", "")
        assert detect_vectors_format(str(out)) == ("binary" if binary else "text")
        outputs[binary] = KeyedVectors.load_word2vec_format(out, binary=bool(binary))
    text, binary = outputs[0], outputs[1]
    assert len(text) == N_TOPICS * TOPIC_WORDS + len(RARE_WORDS)
    assert text.vector_size == 16
    # One thread and one seed: the two runs trained the same vectors.
    assert text.index_to_key == binary.index_to_key
    np.testing.assert_allclose(text.vectors, binary.vectors, rtol=1e-5, atol=1e-6)
    topic_words = KeyedVectors.from_arrays(
        [w for w in text.index_to_key if w.startswith("t")],
        np.stack([text[w] for w in text.index_to_key if w.startswith("t")]))
    assert own_topic_share(topic_words) > 0.8   # chance is 0.12


def test_train_output_loads_in_gensim(corpus, tmp_path, capsys):
    gensim_models = pytest.importorskip("gensim.models")
    out = tmp_path / "vectors.bin"
    assert run(["train", "-train", corpus, "-output", out, "-binary", 1, *QUICK], capsys)[0] == 0
    ours = KeyedVectors.load_word2vec_format(out, binary=True)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert theirs.index_to_key == ours.index_to_key
    np.testing.assert_array_equal(theirs.vectors, ours.vectors)


def _trained_params(argv, tmp_path, capsys):
    model_dir = tmp_path / "model"
    status, _, err = run(["train", *argv, "--save-model", model_dir, "-debug", 0], capsys)
    assert status == 0, err
    model = Word2Vec.load(model_dir)
    names = ("vector_size", "window", "sample", "hs", "negative", "workers", "epochs",
             "min_count", "alpha", "min_alpha", "sg", "cbow_mean", "softmax", "seed")
    return {name: getattr(model, name) for name in names}, model


def test_train_defaults_are_word2vec_c_defaults(corpus, tmp_path, capsys):
    params, model = _trained_params(["-train", corpus], tmp_path, capsys)
    assert params == dict(vector_size=100, window=5, sample=1e-3, hs=0, negative=5,
                          workers=min(12, os.cpu_count() or 1), epochs=5, min_count=5,
                          alpha=0.05, min_alpha=pytest.approx(0.05e-4), sg=0, cbow_mean=1,
                          softmax=False, seed=1)
    assert not set(RARE_WORDS) & set(model.wv.index_to_key)   # -min-count 5 applied
    assert model.epochs_trained == 5


def test_skip_gram_default_alpha_and_flags_reach_the_model(corpus, tmp_path, capsys):
    params, _ = _trained_params(["-train", corpus, "-cbow", 0], tmp_path, capsys)
    assert (params["sg"], params["alpha"]) == (1, 0.025)
    flags = ["-train", corpus, "-size", 12, "-window", 3, "-sample", 1e-4, "-hs", 1,
             "-negative", 0, "-threads", 1, "-iter", 2, "-min-count", 2, "-alpha", 0.1,
             "-cbow", 0, "--seed", 7]
    params, model = _trained_params(flags, tmp_path, capsys)
    assert params == dict(vector_size=12, window=3, sample=1e-4, hs=1, negative=0, workers=1,
                          epochs=2, min_count=2, alpha=0.1, min_alpha=pytest.approx(1e-5), sg=1,
                          cbow_mean=1, softmax=False, seed=7)
    assert model.w_out_ns is None and model.w_out_hs is not None
    long_flags = ["--train", corpus, "--vector-size", 12, "--window", 3, "--sample", 1e-4,
                  "--hs", 1, "--negative", 0, "--workers", 1, "--epochs", 2, "--min-count", 2,
                  "--alpha", 0.1, "--sg", "--seed", 7]
    assert _trained_params(long_flags, tmp_path, capsys)[0] == params


def test_any_nonzero_int_turns_a_switch_on_as_in_word2vec_c(corpus, tmp_path, capsys):
    """word2vec.c tests -binary, -cbow and -hs with `if (x)`: 2 and -1 mean on."""
    params, model = _trained_params(["-train", corpus, "-cbow", 2, "-hs", -1, *QUICK], tmp_path, capsys)
    assert (params["sg"], params["alpha"], params["hs"]) == (0, 0.05, 1)   # CBOW's alpha
    assert model.w_out_hs is not None
    out = tmp_path / "vectors"
    assert run(["train", "-train", corpus, "-output", out, "-binary", 2, *QUICK], capsys)[0] == 0
    assert detect_vectors_format(str(out)) == "binary"
    help_text = run(["train", "--help"], capsys)[1]
    assert f"at most the number of cores, {min(12, os.cpu_count() or 1)} here" in " ".join(help_text.split())


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_debug_levels(corpus_file, tmp_path, capsys, level):
    corpus, counts = corpus_file
    handlers = list(logging.getLogger("cw2v").handlers)
    status, out, err = run(["train", "-train", corpus, "-output", tmp_path / "v.txt",
                            "--save-model", tmp_path / "m", *QUICK[:-2], "-debug", level], capsys)
    assert status == 0 and out == ""
    assert logging.getLogger("cw2v").handlers == handlers       # nothing left behind
    if level == 0:
        assert err == ""
    summary = [f"Vocab size: {len(counts)}", f"Words in train file: {sum(counts.values())}"]
    assert all((line in err) == (level >= 1) for line in summary), err
    assert ("epoch 1/5" in err) == (level >= 2)
    assert ("loss" in err) == (level >= 3)
    losses = Word2Vec.load(tmp_path / "m").loss_history
    assert all(math.isfinite(x) for x in losses) == (level >= 3)


def test_save_vocab_then_read_vocab_round_trip(corpus_file, tmp_path, capsys):
    corpus, counts = str(corpus_file[0]), corpus_file[1]
    vocab, a, b = tmp_path / "vocab.txt", tmp_path / "a.txt", tmp_path / "b.txt"
    common = ["train", "-train", corpus, "-size", 16, "-threads", 1, "-iter", 3, "-debug", 0]
    assert run([*common, "-output", a, "-save-vocab", vocab], capsys)[0] == 0
    # word2vec.c's vocabulary file: its sentence end '</s>' counting the text's lines, then
    # 'word count' lines, most frequent first, min-count 5 applied.
    expected = sorted(((w, c) for w, c in counts.items() if c >= 5), key=lambda wc: (-wc[1], wc[0]))
    lines = len(corpus_file[0].read_text().splitlines())
    assert vocab.read_text().splitlines() == [f"</s> {lines}"] + [f"{w} {c}" for w, c in expected]
    assert run([*common, "-output", b, "-read-vocab", vocab], capsys)[0] == 0
    # Same vocabulary, same schedule, one thread: the very same vectors.
    assert a.read_bytes() == b.read_bytes()


def test_read_vocab_takes_the_vocabulary_from_the_file(corpus, tmp_path, capsys):
    # word2vec.c's own files start with </s>; counts here contradict the text's on purpose.
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("</s> 500\nt1w0 3\nt0w0 10\nt0w1 30\nt0w2 20\nnotintext 40\n")
    out, saved = tmp_path / "v.txt", tmp_path / "saved.txt"
    status, _, err = run(["train", "-train", corpus, "-output", out, "-read-vocab", vocab,
                          "-save-vocab", saved, "-size", 8, "-threads", 1, "-debug", 0], capsys)
    assert status == 0, err
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.index_to_key == ["notintext", "t0w1", "t0w2", "t0w0"]   # by the file's counts
    lines = len(open(corpus, encoding="utf-8").read().splitlines())  # </s> counts the text's lines
    assert saved.read_text() == f"</s> {lines}\nnotintext 40\nt0w1 30\nt0w2 20\nt0w0 10\n"


def test_compressed_training_text(corpus_file, tmp_path, capsys):
    compressed = tmp_path / "corpus.txt.gz"
    compressed.write_bytes(gzip.compress(corpus_file[0].read_bytes()))
    vocab, a, b = tmp_path / "vocab.txt", tmp_path / "a.txt", tmp_path / "b.txt"
    common = ["train", "-train", compressed, "-size", 16, "-threads", 1, "-iter", 3, "-sample", 0,
              "-debug", 0]
    assert run([*common, "-output", a, "-save-vocab", vocab], capsys)[0] == 0
    assert run([*common, "-output", b, "-read-vocab", vocab], capsys)[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert own_topic_share(KeyedVectors.load_word2vec_format(a)) > 0.8


def test_without_output_only_the_vocabulary_is_written(corpus, tmp_path, capsys):
    vocab = tmp_path / "vocab.txt"
    status, out, err = run(["train", "-train", corpus, "-save-vocab", vocab, "-debug", 1], capsys)
    assert status == 0 and "Vocab size: 96" in err and "Trained" not in err
    assert sorted(os.listdir(tmp_path)) == ["vocab.txt"]
    lines = vocab.read_text().splitlines()
    assert lines[0].startswith("</s> ") and len(lines) == 1 + N_TOPICS * TOPIC_WORDS


# ---------------------------------------------------------------- queries

def test_similar_matches_brute_force(text_vectors, capsys):
    status, out, err = run(["similar", text_vectors, "king", "apple", "--topn", 3], capsys)
    assert status == 0 and err == ""
    blocks = parse_neighbours(out)
    assert list(blocks) == ["nearest to 'king'", "nearest to 'apple'"]
    assert_same_ranking(blocks["nearest to 'king'"], reference_neighbours(["king"], topn=3))
    assert_same_ranking(blocks["nearest to 'apple'"], reference_neighbours(["apple"], topn=3))
    assert blocks["nearest to 'apple'"][0][0] == "pear"


def test_analogy_solves_the_planted_one(text_vectors, capsys):
    status, out, _ = run(["analogy", text_vectors, "man", "king", "woman", "--topn", 4], capsys)
    assert status == 0
    answers = parse_neighbours(out)["man is to king as woman is to"]
    assert answers[0][0] == "queen"
    assert_same_ranking(answers, reference_neighbours(["king", "woman"], ["man"], topn=4))


def test_every_kind_of_vectors_file_gives_the_same_answer(tmp_path, capsys):
    """Formats are told apart by content: names that lie, no header, gzip, saved directories."""
    kv = KeyedVectors.from_arrays(WORDS, VECTORS)
    kv.save(tmp_path / "kv_dir")
    candidates = {
        "binary": write_binary_vectors(tmp_path / "binary.txt"),        # binary, named .txt
        "text": write_text_vectors(tmp_path / "text.bin"),              # text, named .bin
        "glove": write_text_vectors(tmp_path / "glove", header=False),
        "bundle": tmp_path / "kv_dir",
    }
    gz = tmp_path / "binary.gz"
    gz.write_bytes(gzip.compress(candidates["binary"].read_bytes()))
    candidates["binary gz"] = gz
    expected = reference_neighbours(["queen"], topn=5)
    for kind, path in candidates.items():
        assert detect_vectors_format(str(path)) == kind.split()[0]
        status, out, err = run(["similar", path, "queen", "--topn", 5], capsys)
        assert status == 0, (kind, err)
        assert_same_ranking(parse_neighbours(out)["nearest to 'queen'"], expected)
    # --format overrides detection, and a wrong one fails cleanly.
    assert run(["similar", candidates["binary"], "queen", "--format", "binary"], capsys)[0] == 0
    assert_one_line_error(*run(["similar", candidates["binary"], "queen", "--format", "text"],
                               capsys), "similar", "binary.txt")


def test_similar_on_a_saved_model_directory(corpus, tmp_path, capsys):
    model_dir, vectors = tmp_path / "model", tmp_path / "v.bin"
    run(["train", "-train", corpus, "-output", vectors, "-binary", 1, "--save-model", model_dir,
         *QUICK], capsys)
    from_dir = run(["similar", model_dir, "t3w3", "--topn", 5], capsys)
    from_file = run(["similar", vectors, "t3w3", "--topn", 5], capsys)
    assert from_dir[0] == 0 and from_dir == from_file
    assert all(w.startswith("t3") for w, _ in parse_neighbours(from_dir[1])["nearest to 't3w3'"])


def test_evaluate_analogies_and_pairs(text_vectors, tmp_path, capsys):
    analogies = tmp_path / "questions.txt"
    analogies.write_text(": royalty\nman king woman queen\nwoman queen man king\n"
                         "Man King Woman Queen\n: mixed\nman woman king apple\nman king dog cat\n")
    pairs = [("man", "king"), ("woman", "queen"), ("king", "queen"), ("apple", "pear"),
             ("man", "pear"), ("king", "apple")]
    unit = VECTORS.astype(float) / np.linalg.norm(VECTORS, axis=1, keepdims=True)
    cosines = [unit[WORDS.index(a)] @ unit[WORDS.index(b)] for a, b in pairs]
    gold = [math.exp(3 * c) for c in cosines]           # monotone in the cosine, not linear
    pairs_file = tmp_path / "pairs.tsv"
    pairs_file.write_text("# word1\tword2\tscore\n" + "".join(
        f"{a}\t{b}\t{g:.6f}\n" for (a, b), g in zip(pairs, gold)) + "man\tunicorn\t5.0\n")

    status, out, err = run(["evaluate", text_vectors, "--analogies", analogies,
                            "--pairs", pairs_file], capsys)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["royalty", "100.00%"] and "(3 questions" in lines[0]
    assert lines[1].split()[:2] == ["mixed", "0.00%"] and "1 out of vocabulary" in lines[1]
    assert lines[2] == "analogy accuracy: 75.00% of 4 questions (1 skipped: out of vocabulary)"
    pearson = stats.pearsonr(gold, cosines)[0]
    assert lines[3] == (f"word pairs: Pearson {pearson:.4f}, Spearman 1.0000, "
                        f"{100 / 7:.1f}% of pairs out of vocabulary")

    status, out, _ = run(["evaluate", text_vectors, "--analogies", analogies,
                          "--case-sensitive"], capsys)
    assert status == 0
    assert "analogy accuracy: 66.67% of 3 questions (2 skipped" in out


# ---------------------------------------------------------------- errors

def test_missing_files(corpus, text_vectors, tmp_path, capsys):
    missing = str(tmp_path / "missing.txt")
    cases = [
        ("train", ["-train", missing, "-output", tmp_path / "o"], "training file"),
        ("train", ["-train", corpus, "-output", tmp_path / "o", "-read-vocab", missing],
         "vocabulary file"),
        ("similar", [missing, "king"], "vectors file"),
        ("analogy", [missing, "a", "b", "c"], "vectors file"),
        ("evaluate", [text_vectors, "--analogies", missing], "analogy file"),
        ("evaluate", [text_vectors, "--pairs", missing], "word-pair file"),
    ]
    for command, argv, what in cases:
        assert_one_line_error(*run([command, *argv], capsys), command, what, missing)
    assert not os.path.exists(tmp_path / "o")


def test_unknown_words(text_vectors, capsys):
    assert_one_line_error(*run(["similar", text_vectors, "king", "unicorn"], capsys),
                          "similar", "not in the vocabulary: 'unicorn'")
    assert_one_line_error(*run(["analogy", text_vectors, "man", "King", "woman"], capsys),
                          "analogy", "'King' (did you mean 'king'?)")


def _corrupt_files(tmp_path):
    good = write_binary_vectors(tmp_path / "good.bin").read_bytes()
    header_end = good.index(b"\n") + 1
    bad_utf8 = good[:header_end] + b"\xff\xfe" + good[header_end + 3:]      # replaces 'man'
    text = write_text_vectors(tmp_path / "good.txt").read_text().splitlines()
    text[3] = text[3].rsplit(" ", 1)[0]                                      # one number short
    return {
        "truncated.bin": good[:-20],
        "toomany.bin": b"7 4" + good[3:],
        "badutf8.bin": bad_utf8,
        "shortline.txt": "\n".join(text).encode(),
        "garbage.bin": np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes(),
        "empty.txt": b"",
        "cut.gz": gzip.compress(good)[:-30],
    }


def test_corrupt_vectors_files(tmp_path, capsys):
    for name, content in _corrupt_files(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(content)
        assert_one_line_error(*run(["similar", path, "king"], capsys), "similar", name)


def test_corrupt_vocabulary_file(corpus, tmp_path, capsys):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("t0w0 10\nt0w1 many\n")
    assert_one_line_error(*run(["train", "-train", corpus, "-output", tmp_path / "o", "-debug", 0,
                                "-read-vocab", vocab], capsys), "train", "vocab.txt", "line 2")
    vocab.write_text("nowhere 10\n")
    assert_one_line_error(*run(["train", "-train", corpus, "-output", tmp_path / "o", "-debug", 0,
                                "-read-vocab", vocab], capsys), "train", "none of the 1 words")


def test_empty_training_text_and_divergence(corpus, tmp_path, capsys):
    empty, compressed = tmp_path / "empty.txt", tmp_path / "empty.txt.gz"
    empty.write_text("\n \n")
    compressed.write_bytes(gzip.compress(b"\n"))
    output = tmp_path / "v.txt"
    for path in (empty, compressed):
        assert_one_line_error(*run(["train", "-train", path, "-output", output, "-debug", 0],
                                   capsys), "train", str(path))
    assert_one_line_error(*run(["train", "-train", corpus, "-output", output, "-alpha", 1e30,
                                "-debug", 0], capsys), "train", "diverged")
    assert not output.exists()


def test_unwritable_outputs_fail_before_any_work(corpus, tmp_path, capsys):
    vocab = tmp_path / "vocab.txt"
    assert_one_line_error(*run(["train", "-train", corpus, "-save-vocab", vocab,
                                "-output", tmp_path / "no" / "v.txt"], capsys),
                          "train", "does not exist")
    (tmp_path / "plain").write_text("not a model")
    assert_one_line_error(*run(["train", "-train", corpus, "-save-vocab", vocab,
                                "--save-model", tmp_path / "plain"], capsys),
                          "train", "is not a saved cw2v model")
    assert not vocab.exists()
    assert (tmp_path / "plain").read_text() == "not a model"


@pytest.mark.parametrize("argv, fragment", [
    (["-size", "0"], "-size"),
    (["-size", "abc"], "-size"),
    (["-binary", "yes"], "-binary"),
    (["-alpha", "0"], "-alpha"),
    (["-window", "-3"], "-window"),
    (["-foo", "1"], "-foo"),
    (["-classes", "-5"], "-classes"),
    (["-hs", "0", "-negative", "0"], "no output layer"),
    (["--sg", "-cbow", "1"], "contradicts"),
    ([], "nothing to write"),
])
def test_bad_train_flags_exit_2(corpus, tmp_path, capsys, argv, fragment):
    output = ["-output", tmp_path / "v.txt"] if argv else []
    status, out, err = run(["train", "-train", corpus, *output, *argv], capsys)
    assert_one_line_error(status, out, err, "train", fragment, code=2)
    assert err.endswith("; see cw2v train --help\n")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("argv, command", [
    ([], "cw2v"),
    (["nosuchcommand"], "cw2v"),
    (["similar"], "cw2v similar"),
    (["analogy", "v.bin", "a", "b"], "cw2v analogy"),
    (["evaluate", "v.bin", "--restrict-vocab", "0"], "cw2v evaluate"),
    (["demo", "--sg", "2"], "cw2v demo"),
])
def test_usage_errors_are_one_line(capsys, argv, command):
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "usage:" not in err, err
    assert err.startswith(f"{command}: error: ") and err.endswith(f"; see {command} --help\n")


def test_classes_zero_is_word2vec_c_default(corpus, tmp_path, capsys):
    assert run(["train", "-train", corpus, "-output", tmp_path / "v", "-classes", 0, *QUICK],
               capsys)[0] == 0


def test_evaluate_needs_a_test_file(text_vectors, capsys):
    status, out, err = run(["evaluate", text_vectors], capsys)
    assert_one_line_error(status, out, err, "evaluate", "--analogies", code=2)


# ---------------------------------------------------------------- help, demo, processes

@pytest.mark.parametrize("command", [None, "demo", "train", "similar", "analogy", "evaluate"])
def test_help(command, capsys):
    status, out, _ = run([command, "--help"] if command else ["--help"], capsys)
    assert status == 0
    assert out.startswith(f"usage: cw2v {command or ''}".rstrip())
    if command is None:
        assert all(name in out for name in ("demo", "train", "similar", "analogy", "evaluate"))
    if command == "train":
        for flag in W2V_FLAGS:
            assert f"  -{flag} " in out and f"--{flag} " in out, flag


def test_demo(capsys):
    status, out, _ = run(["demo"], capsys)
    assert status == 0
    with gzip.open(bundled_corpus_path(), "rt", encoding="utf-8") as f:
        counts = collections.Counter(f.read().split())
    assert f"{sum(c >= 5 for c in counts.values())} words, {5 * sum(counts.values())} tokens" in out
    blocks = parse_neighbours(out)
    assert list(blocks) == [f"nearest to {w!r}" for w in DEMO_QUERIES]
    for query, neighbours in zip(DEMO_QUERIES, blocks.values()):
        words, scores = zip(*neighbours)
        assert len(set(words)) == 5 and query not in words
        assert all(counts[w] >= 5 for w in words)
        assert list(scores) == sorted(scores, reverse=True) and -1 <= scores[-1] <= scores[0] <= 1


def _command_lines():
    yield [sys.executable, "-m", "cw2v"]
    script = shutil.which("cw2v", path=os.path.dirname(sys.executable)) or shutil.which("cw2v")
    if script:
        yield [script]


@pytest.mark.parametrize("prefix", list(_command_lines()), ids=" ".join)
def test_runs_as_a_program(prefix, text_vectors, tmp_path, capsys):
    def program(*argv):
        # Outside the source tree, so that `python -m cw2v` imports the installed package.
        return subprocess.run([*prefix, *map(str, argv)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=60)

    ok = program("similar", text_vectors, "king", "--topn", 3)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout == run(["similar", text_vectors, "king", "--topn", 3], capsys)[1]
    missing = program("similar", tmp_path / "missing.bin", "king")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.splitlines() == [
        f"cw2v similar: error: vectors file {str(tmp_path / 'missing.bin')!r} does not exist"]
    usage = program("train", "-size", 7)
    assert usage.returncode == 2 and usage.stdout == ""
    assert usage.stderr.splitlines() == [
        "cw2v train: error: the following arguments are required: -train/--train; "
        "see cw2v train --help"]


def test_gzip_training_text_with_a_plain_name_is_decompressed(corpus_file, tmp_path, capsys):
    """Regression: a gzip file named .txt was sent to file mode and trained as bytes.

    Recognised by content, it streams through LineSentence exactly like the
    same file named .gz, and has the plain text's vocabulary.
    """
    plain = corpus_file[0]
    packed = gzip.compress(plain.read_bytes())
    outputs = {}
    for name in ("plain.txt", "packed.txt", "packed.txt.gz"):
        path = tmp_path / name
        path.write_bytes(plain.read_bytes() if name == "plain.txt" else packed)
        vocab, vectors = tmp_path / f"{name}.vocab", tmp_path / f"{name}.vec"
        status, out, err = run(["train", "-train", path, "-output", vectors, "-save-vocab", vocab,
                                "-size", 16, "-threads", 1, "-iter", 3, "-sample", 0, "-debug", 0], capsys)
        assert status == 0, err
        outputs[name] = vocab.read_bytes(), vectors.read_bytes()
    assert outputs["packed.txt"] == outputs["packed.txt.gz"]
    assert outputs["packed.txt"][0] == outputs["plain.txt"][0]
    assert own_topic_share(KeyedVectors.load_word2vec_format(tmp_path / "packed.txt.vec")) > 0.8


def test_damaged_compressed_inputs_fail_in_one_line(corpus_file, tmp_path, capsys):
    whole = gzip.compress(corpus_file[0].read_bytes())
    cut = tmp_path / "cut.txt"
    cut.write_bytes(whole[: len(whole) // 2])
    assert_one_line_error(*run(["train", "-train", cut, "-output", tmp_path / "v", "-debug", 0], capsys),
                          "train", f"{cut}: cannot decompress")
    assert_one_line_error(*run(["similar", cut, "king"], capsys), "similar", f"{cut}: cannot decompress")
