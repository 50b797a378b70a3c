"""Analogy and word-pair evaluation on hand-built vectors whose answers hold by construction,
and agreement with gensim on the same vectors."""
import bz2
import gzip
import itertools
import re

import numpy as np
import pytest

from cw2v.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs
from cw2v.vectors.keyedvectors import KeyedVectors

GENDERS = ["male", "female"]
ROLES = {"person": ("man", "woman"), "royal": ("king", "queen"), "child": ("boy", "girl"),
         "sibling": ("brother", "sister"), "parent": ("father", "mother")}


def grid_vectors(noise=0.0, seed=0, n_distractors=20):
    """Words = one gender direction + one role direction (orthonormal basis).

    For a b c d with a, b sharing a role and a, c sharing a gender,
    unit(b) + unit(c) - unit(a) is exactly d's direction: 3CosAdd must answer d.
    """
    rng = np.random.default_rng(seed)
    dim = len(GENDERS) + len(ROLES) + 4
    keys, vectors = [], []
    for r, words in enumerate(ROLES.values()):
        for g, word in enumerate(words):
            v = np.zeros(dim)
            v[g] = 1
            v[len(GENDERS) + r] = 1
            keys.append(word)
            vectors.append(v)
    for i in range(n_distractors):
        keys.append(f"other{i}")
        vectors.append(rng.standard_normal(dim))
    vectors = np.array(vectors) + noise * rng.standard_normal((len(keys), dim))
    return keys, vectors.astype(np.float32)


def analogy_questions():
    """All 'a b c d' of the grid: (g1, r1) (g2, r1) (g1, r2) -> (g2, r2)."""
    roles = list(ROLES.values())
    out = []
    for (r1, r2), (g1, g2) in itertools.product(itertools.permutations(range(len(roles)), 2),
                                                 itertools.permutations(range(2), 2)):
        out.append((roles[r1][g1], roles[r1][g2], roles[r2][g1], roles[r2][g2]))
    return out


def write_questions(path, sections):
    lines = []
    for name, questions in sections.items():
        lines.append(f": {name}")
        lines += [" ".join(q) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_analogies_solvable_by_construction(tmp_path):
    keys, vectors = grid_vectors()
    kv = KeyedVectors.from_arrays(keys, vectors)
    questions = analogy_questions()
    wrong = [(a, b, c, "other3") for a, b, c, _ in questions[:5]]  # deliberately wrong answers
    oov = [("man", "woman", "prince", "princess"), ("man", "unknownword", "king", "queen")]
    path = write_questions(tmp_path / "q.txt", {"gender": questions, "wrong answers": wrong + oov})

    score, sections = evaluate_word_analogies(kv, path)
    upper = [tuple(w.upper() for w in q) for q in questions]
    assert [s["section"] for s in sections] == ["gender", "wrong answers", "Total accuracy"]
    assert sections[0]["correct"] == upper and sections[0]["incorrect"] == [] and sections[0]["oov"] == 0
    assert sections[1]["correct"] == [] and len(sections[1]["incorrect"]) == 5 and sections[1]["oov"] == 2
    assert sections[2]["oov"] == 2
    assert score == pytest.approx(len(questions) / (len(questions) + 5))

    score, sections = evaluate_word_analogies(kv, path, dummy4unknown=True)
    assert len(sections[1]["incorrect"]) == 7  # OOV questions now count as wrong, in file order
    assert sections[1]["incorrect"][-1] == ("MAN", "UNKNOWNWORD", "KING", "QUEEN")
    assert score == pytest.approx(len(questions) / (len(questions) + 7))


def test_analogy_case_handling_and_restrict_vocab(tmp_path):
    keys, vectors = grid_vectors()
    kv = KeyedVectors.from_arrays(keys, vectors)
    shouted = [tuple(w.upper() for w in q) for q in analogy_questions()]
    path = write_questions(tmp_path / "q.txt", {"s": shouted})
    assert evaluate_word_analogies(kv, path)[0] == 1.0
    with pytest.raises(ValueError, match="no analogy questions"):
        evaluate_word_analogies(kv, write_questions(tmp_path / "e.txt", {"empty": []}))
    score, sections = evaluate_word_analogies(kv, path, case_insensitive=False)
    assert sections[-1]["oov"] == len(shouted) and score == 0.0
    # Only the first 4 words (man woman king queen) allowed: only their questions remain.
    score, sections = evaluate_word_analogies(kv, path, restrict_vocab=4)
    assert sections[0]["correct"] == [("MAN", "WOMAN", "KING", "QUEEN"), ("WOMAN", "MAN", "QUEEN", "KING"),
                                      ("KING", "QUEEN", "MAN", "WOMAN"), ("QUEEN", "KING", "WOMAN", "MAN")]


def test_case_variant_of_a_question_word_is_skipped(tmp_path):
    """'WOMAN' (a later, near-identical variant of 'woman') would win man:woman::king:?
    if it were not recognised as the question word itself."""
    keys, vectors = grid_vectors()
    keys.append("Queen2")
    vectors = np.vstack([vectors, vectors[1] + 0.02])  # near 'woman'
    keys[-1] = "WOMAN"
    kv = KeyedVectors.from_arrays(keys, vectors)
    path = write_questions(tmp_path / "q.txt", {"s": [("man", "woman", "king", "queen")]})
    assert evaluate_word_analogies(kv, path)[0] == 1.0


def test_bad_analogy_files(tmp_path):
    kv = KeyedVectors.from_arrays(*grid_vectors())
    (tmp_path / "nohead.txt").write_text("man woman king queen\n")
    with pytest.raises(ValueError, match="line 1.*section"):
        evaluate_word_analogies(kv, tmp_path / "nohead.txt")
    (tmp_path / "bad.txt").write_bytes(b": s\nman woman king queen\nman \xff king queen\n")
    with pytest.raises(ValueError, match="line 3.*UTF-8"):
        evaluate_word_analogies(kv, tmp_path / "bad.txt")
    (tmp_path / "short.txt").write_text(": s\nman woman king\nman woman king queen\n")
    assert evaluate_word_analogies(kv, tmp_path / "short.txt")[0] == 1.0  # malformed line skipped


@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress)])
def test_damaged_compressed_files(tmp_path, suffix, compress):
    kv = KeyedVectors.from_arrays(*grid_vectors())
    questions = b": s\nman woman king queen\n" * 200
    whole = compress(questions)
    path = tmp_path / ("cut" + suffix)
    path.write_bytes(whole[: len(whole) // 2])
    for evaluate in (evaluate_word_analogies, evaluate_word_pairs):
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}: cannot decompress"):
            evaluate(kv, path)
    # Compression is recognised by content: a plain file named like a compressed one is plain.
    plain = tmp_path / ("plain" + suffix)
    plain.write_bytes(questions)
    assert evaluate_word_analogies(kv, plain)[0] == 1.0
    with pytest.raises(FileNotFoundError):
        evaluate_word_pairs(kv, tmp_path / ("missing" + suffix))


def test_analogy_blocks_do_not_change_results(tmp_path, monkeypatch):
    import cw2v.vectors.evaluate as module

    kv = KeyedVectors.from_arrays(*grid_vectors(noise=0.3, seed=4))
    path = write_questions(tmp_path / "q.txt", {"s": analogy_questions()})
    whole = evaluate_word_analogies(kv, path)
    monkeypatch.setattr(module, "_SCORE_BLOCK_FLOATS", 3 * len(kv))  # 3 questions per block
    assert evaluate_word_analogies(kv, path) == whole


def write_pairs(path, rows, header="# word1\tword2\tscore"):
    path.write_text(header + "\n" + "\n".join("\t".join(map(str, r)) for r in rows) + "\n", encoding="utf-8")
    return path


def test_word_pairs_by_construction(tmp_path):
    keys, vectors = grid_vectors(noise=0.2, seed=1)
    kv = KeyedVectors.from_arrays(keys, vectors)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    rng = np.random.default_rng(2)
    pairs = [tuple(rng.choice(len(keys), 2, replace=False)) for _ in range(30)]
    # Gold scores: a monotone function of the true cosine -> Spearman exactly 1.
    rows = [(keys[i].upper(), keys[j], 5 + 4 * float(unit[i] @ unit[j]) ** 3) for i, j in pairs]
    rows += [("man", "nosuchword", 3.0), ("nosuch", "woman", 2.0)]
    path = write_pairs(tmp_path / "p.tsv", rows)
    with open(path, "a") as fh:
        fh.write("malformed line\nman\twoman\tnot-a-number\n")
    pearson, spearman, oov = evaluate_word_pairs(kv, path)
    assert spearman[0] == pytest.approx(1.0)
    assert 0.5 < pearson[0] < 0.999  # cubed: linear correlation high but not perfect
    assert oov == pytest.approx(100 * 2 / 32)
    linear = write_pairs(tmp_path / "l.tsv", [(keys[i], keys[j], 3 * float(unit[i] @ unit[j]) + 1) for i, j in pairs])
    assert evaluate_word_pairs(kv, linear)[0][0] == pytest.approx(1.0, abs=1e-6)
    _, _, oov_dummy = evaluate_word_pairs(kv, path, dummy4unknown=True)
    assert oov_dummy == pytest.approx(100 * 2 / 32)
    with pytest.raises(ValueError, match="no usable word pairs"):  # upper-cased words are now unknown
        evaluate_word_pairs(kv, path, case_insensitive=False)
    with pytest.raises(ValueError, match="no usable word pairs"):
        evaluate_word_pairs(kv, write_pairs(tmp_path / "none.tsv", [("x", "y", 1.0)]))


def test_methods_on_keyed_vectors(tmp_path):
    kv = KeyedVectors.from_arrays(*grid_vectors(noise=0.1))
    path = write_questions(tmp_path / "q.txt", {"s": analogy_questions()})
    assert kv.evaluate_word_analogies(path) == evaluate_word_analogies(kv, path)
    pairs = write_pairs(tmp_path / "p.tsv", [("man", "woman", 3), ("king", "boy", 1), ("queen", "girl", 2)])
    assert kv.evaluate_word_pairs(pairs)[0][0] == evaluate_word_pairs(kv, pairs)[0][0]


# ------------------------------------------------------------------ agreement with gensim


def gensim_pair(keys, vectors):
    gensim_models = pytest.importorskip("gensim.models")
    theirs = gensim_models.KeyedVectors(vectors.shape[1])
    theirs.add_vectors(keys, vectors)
    return KeyedVectors.from_arrays(keys, vectors), theirs


def noisy_vocabulary():
    keys, vectors = grid_vectors(noise=0.45, seed=7, n_distractors=60)
    rng = np.random.default_rng(8)
    # Case variants close to their originals exercise the skip-the-question-word rule.
    for word in ("woman", "King", "girl"):
        keys.append(word.upper() if word.islower() else word)
        vectors = np.vstack([vectors, vectors[keys.index(word.lower())] + 0.1 * rng.standard_normal(vectors.shape[1])])
    return keys, vectors.astype(np.float32)


@pytest.mark.parametrize("restrict_vocab, case_insensitive, dummy4unknown", [
    (300000, True, False), (8, True, True), (300000, False, False), (20, True, False),
])
def test_analogies_agree_with_gensim(tmp_path, restrict_vocab, case_insensitive, dummy4unknown):
    keys, vectors = noisy_vocabulary()
    ours, theirs = gensim_pair(keys, vectors)
    questions = analogy_questions() + [("man", "woman", "x", "y"), ("boy", "girl", "king", "queen")]
    mixed_case = [tuple(w.capitalize() if i % 3 == 0 else w for w in q) for i, q in enumerate(questions)]
    path = write_questions(tmp_path / "q.txt", {"one": questions[:25], "two": mixed_case[25:]})
    kwargs = dict(restrict_vocab=restrict_vocab, case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)
    score, sections = evaluate_word_analogies(ours, path, **kwargs)
    their_score, their_sections = theirs.evaluate_word_analogies(str(path), **kwargs)
    assert score == pytest.approx(their_score)
    for mine, other in zip(sections, their_sections):
        assert mine["section"] == other["section"]
        assert mine["correct"] == other["correct"]
        assert mine["incorrect"] == other["incorrect"]
    assert 0 < len(sections[-1]["correct"]) and 0 < len(sections[-1]["incorrect"])  # not trivial


@pytest.mark.parametrize("dummy4unknown", [False, True])
def test_word_pairs_agree_with_gensim(tmp_path, dummy4unknown):
    keys, vectors = noisy_vocabulary()
    ours, theirs = gensim_pair(keys, vectors)
    rng = np.random.default_rng(3)
    rows = [(keys[i], keys[j].capitalize(), round(float(rng.uniform(0, 10)), 2))
            for i, j in rng.choice(len(keys), size=(40, 2))]
    rows += [("man", "zzz", 4.0)]
    path = write_pairs(tmp_path / "p.tsv", rows)
    mine = evaluate_word_pairs(ours, path, restrict_vocab=50, dummy4unknown=dummy4unknown)
    other = theirs.evaluate_word_pairs(str(path), restrict_vocab=50, dummy4unknown=dummy4unknown)
    assert mine[0][0] == pytest.approx(other[0][0], abs=1e-5)
    assert mine[1][0] == pytest.approx(other[1][0], abs=1e-5)
    assert mine[2] == pytest.approx(other[2])
