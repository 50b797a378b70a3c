"""Intrinsic evaluation: word analogies and word-pair similarity.

Both functions read the public test-set formats and return what gensim's
``KeyedVectors`` methods of the same names return, so scores are comparable:

* :func:`evaluate_word_analogies`: the Google ``questions-words.txt`` format
  (``: section`` header lines, then ``a b c d`` questions meaning
  "a is to b as c is to d"), solved with 3CosAdd.
* :func:`evaluate_word_pairs`: WordSim-353 / SimLex-999 style
  ``word1<TAB>word2<TAB>score`` lines, scored by Pearson and Spearman correlation.

Only the first ``restrict_vocab`` keys are used (the vocabulary is normally
sorted by frequency), and with ``case_insensitive`` a test word matches the
first key equal to it up to case, as in gensim.

The analogy solver is vectorised: the query vectors of many questions form one
matrix, multiplied once by the normalised vocabulary matrix; no question is
answered by its own Python-level search.
"""
from __future__ import annotations

import logging
import os

import numpy as np

from cw2v.io.files import open_input
from cw2v.vectors.topk import top_k_rows

logger = logging.getLogger(__name__)

# Candidates examined per question, as gensim does (most_similar(topn=5)).
_ANALOGY_CANDIDATES = 5
_SCORE_BLOCK_FLOATS = 1 << 22  # cap on one (questions x vocabulary) score block: 16 MB


def evaluate_word_analogies(kv, path, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
    """Accuracy of ``kv`` on an analogy test set, per section and in total.

    For a question ``a b c d``, the answer is the key (among the first
    ``restrict_vocab``) whose unit vector has the largest cosine with
    ``unit(b) + unit(c) - unit(a)``, excluding ``a``, ``b`` and ``c`` themselves
    (and, with ``case_insensitive``, their other-case variants among the top
    candidates), exactly as gensim's 3CosAdd evaluation.

    Parameters
    ----------
    kv : cw2v.KeyedVectors
    path : str or os.PathLike
        Questions file (gzip, bzip2 or xz compressed files are recognised by content).
    restrict_vocab : int
        Search and accept only the first ``restrict_vocab`` keys.
    case_insensitive : bool
        Compare words upper-cased; a test word maps to the first matching key.
    dummy4unknown : bool
        Count questions with out-of-vocabulary words as incorrect instead of
        skipping them.

    Returns
    -------
    score : float
        Overall accuracy, ``correct / (correct + incorrect)`` (0.0 if nothing was scored).
    sections : list of dict
        One dict per section, then a final ``'Total accuracy'`` one, each with
        ``'section'`` (name), ``'correct'`` and ``'incorrect'`` (lists of
        ``(a, b, c, d)`` tuples, upper-cased if ``case_insensitive``), and
        ``'oov'`` (number of questions with an out-of-vocabulary word).
    """
    canonical, group = _restricted_vocab(kv, restrict_vocab, case_insensitive)
    fold = str.upper if case_insensitive else (lambda w: w)
    parsed = _read_analogy_sections(path, fold)
    n_questions = sum(len(questions) for _, questions in parsed)
    if n_questions == 0:
        raise ValueError(f"{os.fspath(path)}: no analogy questions found (expected lines 'a b c d' after ': section')")
    normed = kv.get_normed_vectors()[: len(group)]

    sections = []
    total_oov = 0
    for name, questions in parsed:
        rows = [tuple(canonical.get(w, -1) for w in q) for q in questions]
        known = [i for i, r in enumerate(rows) if min(r) >= 0]
        predicted_right = _solve_analogies(normed, group, np.array([rows[i] for i in known], np.int64).reshape(-1, 4))
        right = dict(zip(known, predicted_right.tolist()))
        section = {"section": name, "correct": [], "incorrect": [], "oov": len(questions) - len(known)}
        for i, question in enumerate(questions):
            if i in right:
                section["correct" if right[i] else "incorrect"].append(question)
            elif dummy4unknown:
                section["incorrect"].append(question)
        total_oov += section["oov"]
        _log_section(section)
        sections.append(section)

    total = {
        "section": "Total accuracy",
        "correct": [q for s in sections for q in s["correct"]],
        "incorrect": [q for s in sections for q in s["incorrect"]],
        "oov": total_oov,
    }
    logger.info("questions with out-of-vocabulary words: %d of %d (%.1f%%)%s", total_oov, n_questions,
                100.0 * total_oov / n_questions,
                "" if dummy4unknown else "; skipped (dummy4unknown=True counts them as wrong)")
    score = _log_section(total)
    sections.append(total)
    return score, sections


def evaluate_word_pairs(kv, path, delimiter="\t", restrict_vocab=300000, case_insensitive=True,
                        dummy4unknown=False):
    """Correlation between ``kv``'s cosine similarities and human similarity scores.

    Parameters
    ----------
    kv : cw2v.KeyedVectors
    path : str or os.PathLike
        Lines ``word1<delimiter>word2<delimiter>score``; lines starting with
        ``#`` and malformed lines are skipped (compressed files as in
        :func:`evaluate_word_analogies`).
    delimiter : str
    restrict_vocab, case_insensitive
        As in :func:`evaluate_word_analogies`.
    dummy4unknown : bool
        Give pairs with an out-of-vocabulary word similarity 0 instead of skipping them.

    Returns
    -------
    pearson : scipy.stats PearsonRResult (``statistic``, ``pvalue``; indexable like a tuple)
    spearman : scipy.stats SignificanceResult (``statistic``, ``pvalue``)
    oov_ratio : float
        Percentage of pairs with an out-of-vocabulary word (relative to the
        pairs used when ``dummy4unknown``, else to all valid pairs, as gensim).
    """
    canonical, _ = _restricted_vocab(kv, restrict_vocab, case_insensitive)
    fold = str.upper if case_insensitive else (lambda w: w)
    gold, first, second = [], [], []
    oov = 0
    for line_no, line in enumerate(_read_lines(path), start=1):
        if not line or line.startswith("#"):
            continue
        parts = line.split(delimiter)
        if len(parts) != 3:
            logger.debug("%s: skipping line %d: not 3 fields", path, line_no)
            continue
        try:
            score = float(parts[2])
        except ValueError:
            logger.debug("%s: skipping line %d: %r is not a number", path, line_no, parts[2])
            continue
        a, b = canonical.get(fold(parts[0]), -1), canonical.get(fold(parts[1]), -1)
        if a < 0 or b < 0:
            oov += 1
            if not dummy4unknown:
                continue
        gold.append(score)
        first.append(a)
        second.append(b)
    if not gold:
        raise ValueError(f"{os.fspath(path)}: no usable word pairs (bad format, or every pair out of vocabulary)")

    first, second = np.array(first), np.array(second)
    known = (first >= 0) & (second >= 0)
    normed = kv.get_normed_vectors()
    model = np.zeros(len(gold), dtype=np.float32)
    model[known] = np.einsum("ij,ij->i", normed[first[known]], normed[second[known]])
    # scipy.stats costs 45 MB and seconds to import: only when correlations are asked for.
    from scipy import stats

    pearson = stats.pearsonr(gold, model)
    spearman = stats.spearmanr(gold, model)
    oov_ratio = 100.0 * oov / (len(gold) if dummy4unknown else len(gold) + oov)
    logger.info("%s: Pearson %.4f, Spearman %.4f, out-of-vocabulary pairs %.1f%%",
                path, pearson[0], spearman[0], oov_ratio)
    return pearson, spearman, oov_ratio


def _restricted_vocab(kv, restrict_vocab, case_insensitive):
    """Map each (case-folded) test word to the row of its first matching key.

    Returns ``(canonical, group)``: ``canonical[word] -> row`` and
    ``group[row]`` = the canonical row of that key's folded form, for the
    first ``restrict_vocab`` keys.
    """
    keys = kv.index_to_key[: int(restrict_vocab)]
    folded = [k.upper() for k in keys] if case_insensitive else list(keys)
    canonical = {}
    for row, word in enumerate(folded):
        canonical.setdefault(word, row)
    group = np.fromiter((canonical[w] for w in folded), dtype=np.int64, count=len(folded))
    return canonical, group


def _solve_analogies(normed, group, rows):
    """Whether 3CosAdd answers each question right.

    ``rows`` int64 (Q, 4): canonical rows of a, b, c, expected. ``group`` maps
    a row to its canonical row. Returns bool (Q,).
    """
    n = normed.shape[0]
    result = np.zeros(len(rows), dtype=bool)
    if len(rows) == 0 or n == 0:
        return result
    k = min(_ANALOGY_CANDIDATES, n)
    block = max(1, _SCORE_BLOCK_FLOATS // n)
    for start in range(0, len(rows), block):
        r = rows[start:start + block]
        queries = normed[r[:, 1]] + normed[r[:, 2]] - normed[r[:, 0]]
        scores = queries @ normed.T
        line = np.arange(len(r))[:, None]
        scores[line, r[:, :3]] = -np.inf  # the question's own words never answer it
        top, top_scores = top_k_rows(scores, k)
        valid = top_scores != -np.inf
        candidate = group[top]
        # A candidate that is a case variant of a question word is passed over.
        usable = valid & np.all(candidate[:, :, None] != r[:, None, :3], axis=2)
        first_usable = np.argmax(usable, axis=1)
        # No usable candidate: gensim ends on the last one it looked at.
        last_valid = np.maximum(valid.sum(axis=1) - 1, 0)
        pick = np.where(usable.any(axis=1), first_usable, last_valid)
        answer = candidate[line[:, 0], pick]
        result[start:start + block] = valid.any(axis=1) & (answer == r[:, 3])
    return result


def _read_analogy_sections(path, fold):
    """[(section name, [(a, b, c, d), ...]), ...] from a questions-words file."""
    sections = []
    for line_no, line in enumerate(_read_lines(path), start=1):
        if line.startswith(": "):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        words = line.split()
        if not words:
            continue
        if not sections:
            raise ValueError(f"{os.fspath(path)}: line {line_no}: question before the first ': section' header")
        if len(words) != 4:
            logger.debug("%s: skipping line %d: not 4 words", path, line_no)
            continue
        sections[-1][1].append(tuple(fold(w) for w in words))
    return sections


def _read_lines(path):
    """The lines of a test-set file (decompressed if compressed), without line ends."""
    path = os.fspath(path)
    with open_input(path) as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ValueError(f"{path}: line {line}: not valid UTF-8 ({err.reason})") from None
    # Split on "\n" only (str.splitlines would also split on rarer separators
    # that can occur inside words).
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _log_section(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    score = correct / (correct + incorrect) if correct + incorrect else 0.0
    if correct + incorrect:
        logger.info("%s: %.1f%% (%d/%d)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score
