"""Scores of a set of word vectors, as every bench script reports them.

questions-words analogy accuracy (``restrict_vocab=30000``, gensim's
3CosAdd rules) overall and for its semantic and syntactic sections apart,
and the Spearman correlations with WS353 and SimLex-999.  Imported only by
child processes (it imports cw2v through the vectors it is given, and
nothing heavy itself), so the parent that orchestrates stays small.
"""
import os

DATA = "/work/shared/data"
RESTRICT_VOCAB = 30000
# The sections of questions-words.txt that test meaning; the others test form.
SEMANTIC_SECTIONS = ("capital-common-countries", "capital-world", "currency", "city-in-state",
                     "family")


def _accuracy(sections) -> float:
    """Share of correct answers over the questions of the given sections (0 if none)."""
    correct = sum(len(s["correct"]) for s in sections)
    asked = sum(len(s["correct"]) + len(s["incorrect"]) for s in sections)
    return correct / max(asked, 1)


def score_vectors(kv, data=DATA, restrict_vocab=RESTRICT_VOCAB) -> dict:
    """Scores of a KeyedVectors (cw2v's or gensim's: both have these methods).

    Returns ``analogy``, ``semantic``, ``syntactic`` (fractions in 0..1),
    ``ws353`` and ``simlex`` (Spearman rho) and ``words`` (vocabulary size).
    """
    score, sections = kv.evaluate_word_analogies(os.path.join(data, "questions-words.txt"),
                                                 restrict_vocab=restrict_vocab)
    parts = sections[:-1]      # the last section is the total
    ws353 = kv.evaluate_word_pairs(os.path.join(data, "wordsim353.tsv"))[1]
    simlex = kv.evaluate_word_pairs(os.path.join(data, "simlex999.txt"))[1]
    return {"analogy": float(score),
            "semantic": _accuracy([s for s in parts if s["section"] in SEMANTIC_SECTIONS]),
            "syntactic": _accuracy([s for s in parts if s["section"] not in SEMANTIC_SECTIONS]),
            "ws353": float(ws353[0]), "simlex": float(simlex[0]), "words": len(kv)}


def quality_rows(quality: dict) -> list:
    """Table rows (name, analogy, semantic, syntactic, WS353, SimLex) of named scores."""
    return [[name, f"{100 * q['analogy']:.1f}%", f"{100 * q['semantic']:.1f}%",
             f"{100 * q['syntactic']:.1f}%", f"{q['ws353']:.3f}", f"{q['simlex']:.3f}"]
            for name, q in quality.items()]


QUALITY_HEADERS = ["vectors", "analogy", "semantic", "syntactic", "WS353", "SimLex"]
