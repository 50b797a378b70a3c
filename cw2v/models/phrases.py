"""Phrase detection: "new york" becomes the one token "new_york" before training.

gensim 4's :class:`~gensim.models.phrases.Phrases` API and results, counted in C::

    >>> from cw2v import Phrases, LineSentence
    >>> phrases = Phrases(LineSentence("corpus.txt"), min_count=5, threshold=10.0)
    >>> phrases[["i", "live", "in", "new", "york"]]
    ['i', 'live', 'in', 'new_york']
    >>> frozen = phrases.freeze()          # only the phrases, for applying
    >>> bigram_corpus = frozen[LineSentence("corpus.txt")]

What is counted, and how a pair is scored, is gensim's: every word that is
not a connector word, and every span from one such word to the next
(connector words in between included, e.g. "bank_of_america"), in one table
whose size is ``len_vocab``; scores are gensim's formulas with the same double
arithmetic, so the same input gives the same phrases and the same scores.

Counting differs in how, not what: the words of a batch of sentences are
packed into bytes, each key hashed once, and counted in C by ``workers``
threads without the GIL, the keys spread by hash over 8 tables per thread,
each filled by one thread (``cw2v._kernels.phrases``).  The text of
:class:`~cw2v.LineSentence`, :class:`~cw2v.Text8Corpus` and
:class:`~cw2v.PathLineSentences` is packed straight from the file's bytes,
with no Python object per word (the same words and sentences as iterating
them gives).  A table over its share of ``max_vocab_size``
is pruned as word2vec.c prunes (keys counted at most its floor are dropped,
then its floor rises by one), where gensim prunes its one dict of counts
below its floor after a sentence: only corpora that reach the bound count
differently.

Saving writes a directory of ``.npy`` arrays and JSON (no pickle); a custom
scoring function is saved by name and must be passed again to ``load``.
"""
from __future__ import annotations

import inspect
import logging
import math
import os
import time

import numpy as np

from cw2v._kernels.phrases import DEFAULT_BATCH_WORDS, PhraseCounts
from cw2v.io.bundle import load_bundle, pack_strings, save_bundle, unpack_strings

logger = logging.getLogger(__name__)

NEGATIVE_INFINITY = float("-inf")

# Articles, common prepositions and conjunctions: English phrases may hold
# them inside ("bank_of_america") but never start or end with them.
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split())

PHRASES_KIND = "phrases"
FROZEN_PHRASES_KIND = "frozen_phrases"
_SCORER_PARAMETERS = ("worda_count", "wordb_count", "bigram_count", "len_vocab", "min_count",
                      "corpus_word_count")


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                    corpus_word_count):
    """Mikolov et al.'s score: ``(bigram_count - min_count) / (worda_count * wordb_count) * len_vocab``.

    ``corpus_word_count`` is unused.  -inf when a count is zero.
    """
    product = worda_count * wordb_count
    if product == 0:
        return NEGATIVE_INFINITY
    return (bigram_count - min_count) / float(product) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                corpus_word_count):
    """Normalised pointwise mutual information (Bouma 2009), in [-1, 1].

    ``ln(p_ab / (p_a * p_b)) / -ln(p_ab)`` with each probability a count over
    ``corpus_word_count``; -inf for pairs seen fewer than ``min_count`` times.
    """
    if bigram_count < min_count:
        return NEGATIVE_INFINITY
    total = float(corpus_word_count)
    p_a, p_b, p_ab = worda_count / total, wordb_count / total, bigram_count / total
    try:
        return math.log(p_ab / (p_a * p_b)) / -math.log(p_ab)
    except ValueError:  # a zero count: never a phrase
        return NEGATIVE_INFINITY


_BUILTIN_SCORERS = {"default": original_scorer, "npmi": npmi_scorer}


def _scorer_name(scoring) -> str:
    """'default', 'npmi', or 'module:qualname' of a custom scorer."""
    for name, function in _BUILTIN_SCORERS.items():
        if scoring is function:
            return name
    return f"{getattr(scoring, '__module__', '?')}:{getattr(scoring, '__qualname__', repr(scoring))}"


def _resolve_scoring(scoring):
    """The scoring function for a name or a callable with gensim's parameter names."""
    if isinstance(scoring, str):
        if scoring not in _BUILTIN_SCORERS:
            raise ValueError(f"unknown scoring {scoring!r}: use 'default', 'npmi' or a function")
        return _BUILTIN_SCORERS[scoring]
    if not callable(scoring):
        raise TypeError(f"scoring must be 'default', 'npmi' or a function, got {scoring!r}")
    try:
        names = inspect.signature(scoring).parameters
    except (TypeError, ValueError):
        names = {}
    missing = [name for name in _SCORER_PARAMETERS if name not in names]
    if missing:
        raise ValueError(f"scoring function missing expected parameters {missing}; it is "
                         f"called with the keywords {', '.join(_SCORER_PARAMETERS)}")
    return scoring


def _is_single(obj):
    """``(True, sentence)`` for one sentence, ``(False, corpus)`` for a corpus.

    As gensim decides: an empty input or one whose first item is a str is a
    sentence; anything else a corpus.  A one-shot iterator comes back with
    its first item put back.
    """
    iterator = iter(obj)
    try:
        first = next(iterator)
    except StopIteration:
        return True, obj
    rest = _Chain(first, iterator)
    if isinstance(first, str):
        return True, rest
    return False, (rest if iterator is obj else obj)


class _Chain:
    """``first`` followed by the rest of ``iterator``: iterable once."""

    def __init__(self, first, iterator):
        self.first, self.iterator = first, iterator

    def __iter__(self):
        yield self.first
        yield from self.iterator


class _PhrasedCorpus:
    """``phrases[corpus]``: each sentence of ``corpus`` with its phrases joined, lazily.

    Iterable as many times as ``corpus`` is.
    """

    def __init__(self, model, corpus):
        self.model, self.corpus = model, corpus

    def __iter__(self):
        for sentence in self.corpus:
            yield self.model[sentence]

    def __len__(self):
        return len(self.corpus)


class _PhrasesTransformation:
    """What Phrases and FrozenPhrases share: finding phrases in sentences."""

    delimiter: str
    threshold: float
    min_count: float
    connector_words: frozenset

    def score_candidate(self, word_a, word_b, in_between):
        """``(phrase, score)`` if ``word_a in_between... word_b`` is a phrase, else ``(None, None)``."""
        raise NotImplementedError

    def analyze_sentence(self, sentence):
        """Yield ``(token, score)`` for each phrase found and ``(word, None)`` for other words.

        A phrase runs from one word that is not a connector to the next, with
        the connectors between them; the words of a candidate that is not a
        phrase come out one by one.
        """
        connectors = self.connector_words
        start, between = None, []
        for word in sentence:
            if word in connectors:
                if start:
                    between.append(word)
                else:
                    yield word, None
                continue
            if start:
                phrase, score = self.score_candidate(start, word, between)
                if score is not None:
                    yield phrase, score
                    start, between = None, []
                    continue
                yield start, None
                for connector in between:
                    yield connector, None
            start, between = word, []
        if start:
            yield start, None
            for connector in between:
                yield connector, None

    def __getitem__(self, sentence):
        """The sentence with its phrases joined into single tokens.

        Given a corpus (an iterable of sentences) instead, an iterable that
        transforms each of its sentences as it is read.
        """
        single, sentence = _is_single(sentence)
        if not single:
            return _PhrasedCorpus(self, sentence)
        return [token for token, _ in self.analyze_sentence(sentence)]

    def find_phrases(self, sentences):
        """``{phrase: score}`` of every phrase found in ``sentences``."""
        found = {}
        for sentence in sentences:
            for token, score in self.analyze_sentence(sentence):
                if score is not None:
                    found[token] = score
        return found

    def _common_meta(self) -> dict:
        return {"min_count": self.min_count, "threshold": self.threshold,
                "delimiter": self.delimiter, "scoring": _scorer_name(self.scoring),
                "connector_words": sorted(self.connector_words)}

    @staticmethod
    def _scoring_from_meta(meta, path, scoring):
        """The scorer a bundle names: built-in by name; a custom one must be passed."""
        name = meta.get("scoring", "default")
        if scoring is not None:
            return _resolve_scoring(scoring)
        if name in _BUILTIN_SCORERS:
            return _BUILTIN_SCORERS[name]
        raise ValueError(f"{path} was saved with the custom scoring function {name}; cw2v does not "
                         f"import code named in a file: pass it, load(path, scoring=function)")


class Phrases(_PhrasesTransformation):
    """Detect phrases from word and pair counts (gensim 4's ``Phrases``).

    Parameters
    ----------
    sentences : iterable of list of str, optional
        Corpus to count now (else call :meth:`add_vocab` later).
    min_count : float
        Pairs seen fewer times are never phrases (and the default score
        subtracts it).
    threshold : float
        A pair is a phrase when its score is above this.
    max_vocab_size : int
        Bound on the words and pairs held while counting (see the module).
    delimiter : str
        Joins the words of a phrase.
    progress_per : int
        Log progress every this many sentences.
    scoring : 'default', 'npmi' or callable
        :func:`original_scorer`, :func:`npmi_scorer`, or a function taking
        their keyword arguments.
    connector_words : set of str
        Words a phrase may contain but neither start nor end with (see
        :data:`ENGLISH_CONNECTOR_WORDS`).
    workers : int, optional
        Counting threads (cw2v only); default: the cores, at most 4.
    """

    # Words per batch handed to the counting threads (tests make it small).
    _batch_words = DEFAULT_BATCH_WORDS

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000,
                 delimiter="_", progress_per=10000, scoring="default",
                 connector_words=frozenset(), workers=None):
        if min_count <= 0:
            raise ValueError(f"min_count should be at least 1, got {min_count!r}")
        if scoring == "default" and threshold <= 0:
            raise ValueError(f"threshold should be positive for default scoring, got {threshold!r}")
        if scoring == "npmi" and not -1 <= threshold <= 1:
            raise ValueError(f"threshold should be between -1 and 1 for npmi scoring, "
                             f"got {threshold!r}")
        if not isinstance(delimiter, str) or not delimiter:
            raise ValueError(f"delimiter must be a non-empty str, got {delimiter!r}")
        if max_vocab_size is not None and (int(max_vocab_size) != max_vocab_size
                                           or max_vocab_size < 1):
            raise ValueError(f"max_vocab_size must be a positive integer, got {max_vocab_size!r}")
        if workers is None:
            workers = max(1, min(4, os.cpu_count() or 1))
        if int(workers) != workers or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.scoring = _resolve_scoring(scoring)
        self.min_count = min_count
        self.threshold = threshold
        self.max_vocab_size = max_vocab_size
        self.delimiter = delimiter
        self.progress_per = progress_per
        self.connector_words = frozenset(connector_words)
        self.workers = int(workers)
        self.corpus_word_count = 0
        self._counts = self._new_counts()
        if sentences is not None:
            started = time.perf_counter()
            self.add_vocab(sentences)
            logger.info("built %s in %.2fs", self, time.perf_counter() - started)

    def _new_counts(self) -> PhraseCounts:
        return PhraseCounts(self.workers, self.max_vocab_size, self.delimiter,
                            self.connector_words)

    def __str__(self):
        return (f"{type(self).__name__}<{len(self._counts)} vocab, min_count={self.min_count}, "
                f"threshold={self.threshold}, max_vocab_size={self.max_vocab_size}>")

    @property
    def vocab(self) -> dict:
        """``{word or joined phrase: count}``, built from the C tables on each access."""
        return dict(self._counts.items())

    @property
    def min_reduce(self) -> int:
        """The pruning floor: keys counted fewer times may have been dropped."""
        return self._counts.min_reduce

    def add_vocab(self, sentences):
        """Count the words and phrases of more ``sentences`` into this model.

        As in gensim, the new sentences are counted apart first and then
        added, so their pairs are not pruned by the bigger counts already held.
        """
        if isinstance(sentences, (str, bytes, os.PathLike)):
            raise TypeError("sentences must be an iterable of token lists; wrap a file path "
                            "in LineSentence(path) or Text8Corpus(path)")
        fresh = self._new_counts()
        logger.info("collecting all words and their counts")
        words, n_sentences = fresh.count(sentences, batch_words=self._batch_words,
                                         progress_per=self.progress_per or 0)
        logger.info("collected %i token types (unigram + bigrams) from a corpus of %i words "
                    "and %i sentences", len(fresh), words, n_sentences)
        self.corpus_word_count += words
        if len(self._counts) == 0:
            self._counts = fresh
            return
        logger.info("merging %i counts into %s", len(fresh), self)
        self._counts.min_reduce = max(self._counts.min_reduce, fresh.min_reduce)
        self._counts.merge(fresh)
        logger.info("merged %s", self)

    def score_candidate(self, word_a, word_b, in_between):
        count_a = self._counts.get(word_a)
        if count_a <= 0:
            return None, None
        count_b = self._counts.get(word_b)
        if count_b <= 0:
            return None, None
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        count_ab = self._counts.get(phrase)
        if count_ab <= 0:
            return None, None
        score = self.scoring(worda_count=count_a, wordb_count=count_b, bigram_count=count_ab,
                             len_vocab=len(self._counts), min_count=self.min_count,
                             corpus_word_count=self.corpus_word_count)
        if score <= self.threshold:
            return None, None
        return phrase, score

    def export_phrases(self) -> dict:
        """``{phrase: score}`` of every counted phrase that scores above the threshold."""
        name = _scorer_name(self.scoring)
        if name in _BUILTIN_SCORERS:  # scored in C, with the same arithmetic
            found = self._counts.candidates(name, self.min_count, self.threshold,
                                            self.corpus_word_count)
            return {phrase: score for phrase, _, _, _, score in found}
        len_vocab = len(self._counts)
        phrases = {}
        for phrase, count_a, count_b, count_ab, _ in self._counts.candidates(
                None, self.min_count, self.threshold, self.corpus_word_count):
            score = self.scoring(worda_count=count_a, wordb_count=count_b, bigram_count=count_ab,
                                 len_vocab=len_vocab, min_count=self.min_count,
                                 corpus_word_count=self.corpus_word_count)
            if score > self.threshold:
                phrases[phrase] = score
        return phrases

    def freeze(self) -> "FrozenPhrases":
        """A :class:`FrozenPhrases` holding only the phrases: smaller and faster to apply."""
        return FrozenPhrases(self)

    def save(self, path):
        """Write a directory of arrays and JSON (atomic; no pickle)."""
        blob, offsets, counts = self._counts.to_arrays()
        meta = {"kind": PHRASES_KIND, **self._common_meta(),
                "max_vocab_size": self.max_vocab_size, "progress_per": self.progress_per,
                "corpus_word_count": int(self.corpus_word_count),
                "min_reduce": int(self.min_reduce), "workers": self.workers}
        save_bundle(path, meta, {"keys": blob, "key_offsets": offsets, "counts": counts})

    @classmethod
    def load(cls, path, scoring=None, workers=None) -> "Phrases":
        """Read a model written by :meth:`save`.

        ``scoring``: the function, for a model saved with a custom one.
        """
        meta, arrays = load_bundle(path, kind=PHRASES_KIND)
        model = cls(min_count=meta["min_count"], threshold=meta["threshold"],
                    max_vocab_size=meta["max_vocab_size"], delimiter=meta["delimiter"],
                    progress_per=meta["progress_per"],
                    scoring=cls._scoring_from_meta(meta, path, scoring),
                    connector_words=meta["connector_words"],
                    workers=workers or meta.get("workers"))
        model.corpus_word_count = meta["corpus_word_count"]
        model._counts.add_arrays(arrays["keys"], arrays["key_offsets"], arrays["counts"])
        model._counts.min_reduce = meta["min_reduce"]
        return model


class FrozenPhrases(_PhrasesTransformation):
    """The phrases of a trained :class:`Phrases` and their scores, for applying only.

    ``phrasegrams`` is the ``{phrase: score}`` dict of ``export_phrases()``.
    """

    def __init__(self, phrases_model):
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = phrases_model.delimiter
        self.scoring = phrases_model.scoring
        self.connector_words = phrases_model.connector_words
        started = time.perf_counter()
        self.phrasegrams = phrases_model.export_phrases()
        logger.info("exported %s from %s in %.2fs", self, phrases_model,
                    time.perf_counter() - started)

    def __str__(self):
        return (f"{type(self).__name__}<{len(self.phrasegrams)} phrases, "
                f"min_count={self.min_count}, threshold={self.threshold}>")

    def score_candidate(self, word_a, word_b, in_between):
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self.phrasegrams.get(phrase, NEGATIVE_INFINITY)
        if score > self.threshold:
            return phrase, score
        return None, None

    def save(self, path):
        """Write a directory of arrays and JSON (atomic; no pickle)."""
        blob, offsets = pack_strings(self.phrasegrams)
        scores = np.fromiter(self.phrasegrams.values(), dtype=np.float64,
                             count=len(self.phrasegrams))
        meta = {"kind": FROZEN_PHRASES_KIND, **self._common_meta()}
        save_bundle(path, meta, {"phrases": blob, "phrase_offsets": offsets, "scores": scores})

    @classmethod
    def load(cls, path, scoring=None) -> "FrozenPhrases":
        """Read phrases written by :meth:`save` (``scoring``: see :meth:`Phrases.load`)."""
        meta, arrays = load_bundle(path, kind=FROZEN_PHRASES_KIND)
        phrases = unpack_strings(arrays["phrases"], arrays["phrase_offsets"])
        scores = np.asarray(arrays["scores"], dtype=np.float64)
        if len(phrases) != len(scores):
            raise ValueError(f"{path}: {len(phrases)} phrases but {len(scores)} scores; "
                             "the bundle is damaged")
        model = cls.__new__(cls)
        model.threshold = meta["threshold"]
        model.min_count = meta["min_count"]
        model.delimiter = meta["delimiter"]
        model.connector_words = frozenset(meta["connector_words"])
        try:
            model.scoring = cls._scoring_from_meta(meta, path, scoring)
        except ValueError:
            model.scoring = None  # unused when applying: the scores are stored
        model.phrasegrams = dict(zip(phrases, scores.tolist()))
        return model


Phraser = FrozenPhrases  # gensim's older name
