"""Vocabulary: counting a corpus, selecting the words to keep, word2vec.c vocab files.

After the scan everything is arrays: ``index_to_key`` (list of str),
``key_to_index`` (dict str -> int) and ``counts`` (int64, aligned with
``index_to_key``). The Huffman tree (``cw2v.vocab.huffman``), subsampling thresholds
and negative-sampling table (``cw2v.vocab.sampling``) are all built from ``counts``.

Selection rules, applied in this order:

1. ``max_vocab_size`` (scan only) bounds memory *during* the scan as word2vec.c
   does: whenever a sentence leaves more than that many distinct words held,
   every word with count <= floor is dropped and the floor (starting at 1)
   rises by one (``cw2v.vocab.counts.Counts``, which does all counting).
   Counts of words seen again after being dropped restart from zero, so the
   final counts can be lower than the true ones.
2. ``max_final_vocab`` (as gensim 4): the effective min_count is raised to one
   more than the count of the (max_final_vocab + 1)-th most frequent word, so
   at most ``max_final_vocab`` words survive (fewer when counts tie).
3. A word is kept iff ``count >= effective_min_count``, unless
   ``trim_rule(word, count, effective_min_count)`` says :data:`RULE_KEEP` or
   :data:`RULE_DISCARD` (:data:`RULE_DEFAULT` leaves the count test in charge).
   The same rule is consulted when ``max_vocab_size`` prunes (with
   ``min_count = floor + 1``).
4. ``sorted_vocab``: descending count, ties by the word in Python string
   order, so the result does not depend on how the counting was done.
   Otherwise words keep the order in which they first appeared.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from cw2v.io.files import atomic_write, open_input
from cw2v.vocab.counts import (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Counts, TrimRule, apply_trim_rule,
                               check_count)

logger = logging.getLogger(__name__)

# word2vec.c's sentence-end token: entry 0 of its vocabulary files.
SENTENCE_END = "</s>"

__all__ = ["Vocabulary", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "SENTENCE_END"]


def _order_by_count(words: List[str], counts: np.ndarray) -> np.ndarray:
    """Permutation putting words in descending count, ties by the word (str order)."""
    by_word = np.array(sorted(range(len(words)), key=words.__getitem__), dtype=np.int64)
    return by_word[np.argsort(-counts[by_word], kind="stable")]


def _check_words_are_str(words: Sequence) -> None:
    for word in words:
        if type(word) is not str:
            if isinstance(word, str):
                continue
            hint = " (decode bytes tokens to str first)" if isinstance(word, bytes) else ""
            raise TypeError(f"tokens must be str, found {type(word).__name__} {word!r}{hint}")


def _collected(counts: Counts) -> Tuple[List[str], np.ndarray]:
    """The words and counts of a Counts (logged); ValueError if it holds no word."""
    words, count_arr = counts.words(), counts.counts()
    logger.info("collected %i distinct words from a corpus of %i raw words and %i sentences%s",
                len(words), counts.raw_words, counts.n_sentences,
                f" (max_vocab_size pruning reached count floor {counts.prune_floor - 1})"
                if counts.prune_rounds else "")
    if counts.raw_words == 0:
        raise ValueError(f"the corpus has {counts.n_sentences} sentences but not a single token")
    return words, count_arr


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


class Vocabulary:
    """The retained words of a corpus, their counts and the scan statistics.

    Attributes
    ----------
    index_to_key : list[str]
        Word of each index.
    key_to_index : dict[str, int]
        Index of each word.
    counts : np.ndarray, int64, shape (V,)
        Corpus count of each word, aligned with ``index_to_key``.
    raw_word_count : int
        Tokens seen by the last scan (all words, before any selection).
    retained_word_count : int
        Tokens of the last scanned corpus that belong to the vocabulary.
    distinct_count : int
        Distinct words held at the end of the last scan (after any
        ``max_vocab_size`` pruning), before min_count selection.
    corpus_count : int
        Sentences in the last scanned corpus (0 when built from counts).
    min_count, effective_min_count : int
        Requested and applied (after ``max_final_vocab``) count thresholds.
    sorted_vocab : bool
        Whether words were put in descending count order (else first
        appearance); :meth:`update` appends new words the same way.

    "Last scan" is the one of :meth:`scan` or of the latest :meth:`update`:
    training after an update runs over the update's corpus.
    """

    def __init__(self, index_to_key: Sequence[str], counts, *, raw_word_count: Optional[int] = None,
                 retained_word_count: Optional[int] = None, distinct_count: Optional[int] = None,
                 corpus_count: int = 0, min_count: int = 1, effective_min_count: Optional[int] = None,
                 sorted_vocab: bool = True):
        keys = list(index_to_key)
        _check_words_are_str(keys)
        counts = np.asarray(counts)
        if counts.shape != (len(keys),):
            raise ValueError(f"counts must have shape ({len(keys)},) to match index_to_key, got {counts.shape}")
        if len(keys) and (not np.issubdtype(counts.dtype, np.integer) or counts.min() < 0):
            raise ValueError("counts must be non-negative integers")
        self.index_to_key: List[str] = keys
        self.key_to_index = {word: i for i, word in enumerate(keys)}
        if len(self.key_to_index) != len(keys):
            seen = set()
            dup = next(w for w in keys if w in seen or seen.add(w))
            raise ValueError(f"duplicate word {dup!r} in index_to_key")
        self.counts = counts.astype(np.int64, copy=True)
        total = int(self.counts.sum())
        self.raw_word_count = total if raw_word_count is None else int(raw_word_count)
        self.retained_word_count = total if retained_word_count is None else int(retained_word_count)
        self.distinct_count = len(keys) if distinct_count is None else int(distinct_count)
        self.corpus_count = int(corpus_count)
        self.min_count = int(min_count)
        self.effective_min_count = self.min_count if effective_min_count is None else int(effective_min_count)
        self.sorted_vocab = bool(sorted_vocab)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word) -> bool:
        return word in self.key_to_index

    def __repr__(self) -> str:
        return (f"Vocabulary({len(self)} words, {self.retained_word_count} of {self.raw_word_count} raw tokens"
                f" retained, min_count={self.effective_min_count})")

    def get_count(self, word: str) -> int:
        """Count of ``word``; KeyError naming it if it is not in the vocabulary."""
        try:
            return int(self.counts[self.key_to_index[word]])
        except KeyError:
            raise KeyError(f"word {word!r} is not in the vocabulary") from None

    # ------------------------------------------------------------- building
    @classmethod
    def scan(cls, corpus: Iterable, min_count: int = 5, max_vocab_size: Optional[int] = None,
             max_final_vocab: Optional[int] = None, trim_rule: Optional[TrimRule] = None,
             sorted_vocab: bool = True, progress_per: int = 10000) -> "Vocabulary":
        """Count every token of ``corpus`` (one pass) and select the vocabulary.

        ``corpus`` is an iterable of token lists (a one-shot iterator is fine
        here: one pass). ``progress_per``: log progress every that many
        sentences (0 = never). Selection rules: see the module docstring.

        Raises ValueError for an empty corpus or when no word survives the
        selection; TypeError for a corpus of the wrong kind (see
        ``cw2v.io.corpus.check_corpus``) or non-str tokens.
        """
        min_count = check_count("min_count", min_count)
        max_vocab_size = check_count("max_vocab_size", max_vocab_size, allow_none=True, minimum=1)
        max_final_vocab = check_count("max_final_vocab", max_final_vocab, allow_none=True, minimum=1)
        progress_per = check_count("progress_per", progress_per)
        counts = Counts(max_vocab_size, trim_rule).add_corpus(corpus, progress_per)
        if counts.n_sentences == 0:
            raise ValueError(f"the corpus is empty: {corpus!r} yielded no sentences")
        return cls.from_counts(counts, min_count=min_count, max_final_vocab=max_final_vocab,
                               trim_rule=trim_rule, sorted_vocab=sorted_vocab)

    @classmethod
    def from_counts(cls, counts: Mapping, min_count: int = 5, max_final_vocab: Optional[int] = None,
                    trim_rule: Optional[TrimRule] = None, sorted_vocab: bool = True,
                    raw_word_count: Optional[int] = None, corpus_count: int = 0) -> "Vocabulary":
        """Select a vocabulary from a :class:`~cw2v.vocab.counts.Counts` or a
        ``{word: count}`` mapping (e.g. a ``Counter``).

        From a Counts, ``raw_word_count`` and ``corpus_count`` are its totals
        unless given. From a mapping, ``raw_word_count`` defaults to the sum
        of all counts and ``corpus_count`` (sentences, unknown there) to 0.
        Unsorted order is the order of first appearance (a mapping's order).
        """
        min_count = check_count("min_count", min_count)
        max_final_vocab = check_count("max_final_vocab", max_final_vocab, allow_none=True, minimum=1)
        if isinstance(counts, Counts):
            words, count_arr = _collected(counts)
            raw_word_count = counts.raw_words if raw_word_count is None else raw_word_count
            corpus_count = corpus_count or counts.n_sentences
            return cls._select(words, count_arr, min_count=min_count, max_final_vocab=max_final_vocab,
                               trim_rule=trim_rule, sorted_vocab=sorted_vocab, raw_word_count=raw_word_count,
                               corpus_count=corpus_count)
        if not isinstance(counts, Mapping):
            raise TypeError(f"counts must be a Counts or a mapping word -> count, got {type(counts).__name__}")
        if not counts:
            raise ValueError("the counts mapping is empty: there are no words to build a vocabulary from")
        words = list(counts.keys())
        _check_words_are_str(words)
        count_arr = _counts_array(counts.values(), words)
        return cls._select(words, count_arr, min_count=min_count, max_final_vocab=max_final_vocab,
                           trim_rule=trim_rule, sorted_vocab=sorted_vocab,
                           raw_word_count=int(count_arr.sum()) if raw_word_count is None else raw_word_count,
                           corpus_count=corpus_count)

    @classmethod
    def _select(cls, words: List[str], counts: np.ndarray, *, min_count: int, max_final_vocab: Optional[int],
                trim_rule: Optional[TrimRule], sorted_vocab: bool, raw_word_count: int,
                corpus_count: int) -> "Vocabulary":
        """Apply max_final_vocab, min_count, trim_rule and ordering to raw counts."""
        distinct = len(words)
        effective = min_count
        if max_final_vocab is not None and max_final_vocab < distinct:
            # count of the (max_final_vocab + 1)-th most frequent word
            kth = int(np.partition(counts, distinct - 1 - max_final_vocab)[distinct - 1 - max_final_vocab])
            effective = max(kth + 1, min_count)
            logger.info("max_final_vocab=%i and min_count=%i give effective min_count=%i",
                        max_final_vocab, min_count, effective)
        keep = apply_trim_rule(words, counts, counts >= effective, trim_rule, effective)
        kept = np.flatnonzero(keep)
        if kept.size == 0:
            top = int(np.argmax(counts))
            raise ValueError(
                f"no word survives the selection: none of the {distinct} distinct words occurs at least"
                f" min_count={effective} times{' or is kept by trim_rule' if trim_rule else ''} (the most"
                f" frequent, {words[top]!r}, occurs {int(counts[top])} times); lower min_count"
                + (" or raise max_final_vocab" if max_final_vocab is not None else "")
                + (" or relax trim_rule" if trim_rule is not None else "")
                + ", or give a larger corpus"
            )
        kept_words = [words[i] for i in kept.tolist()]
        kept_counts = counts[kept]
        if sorted_vocab:
            order = _order_by_count(kept_words, kept_counts)
            kept_words = [kept_words[i] for i in order.tolist()]
            kept_counts = kept_counts[order]
        retained = int(kept_counts.sum())
        total = int(counts.sum())
        logger.info("min_count=%i keeps %i of %i distinct words (%.2f%%, drops %i)",
                    effective, kept.size, distinct, _pct(kept.size, distinct), distinct - kept.size)
        logger.info("min_count=%i keeps %i of %i counted words (%.2f%%, drops %i)",
                    effective, retained, total, _pct(retained, total), total - retained)
        return cls(kept_words, kept_counts, raw_word_count=raw_word_count, retained_word_count=retained,
                   distinct_count=distinct, corpus_count=corpus_count, min_count=min_count,
                   effective_min_count=effective, sorted_vocab=sorted_vocab)

    def update(self, corpus_or_counts, min_count: Optional[int] = None, trim_rule: Optional[TrimRule] = None,
               progress_per: int = 10000, sorted_vocab: Optional[bool] = None) -> int:
        """Grow the vocabulary from more text (``build_vocab(update=True)``); return the new-word count.

        ``corpus_or_counts``: a corpus (counted here, without max_vocab_size),
        a :class:`~cw2v.vocab.counts.Counts` or a mapping
        ``{word: count}``. Words already in the vocabulary keep their index
        and their counts grow by the new counts (whatever those are). New
        words whose new count passes ``min_count`` (default: this
        vocabulary's ``min_count``) and ``trim_rule`` are appended at the end:
        in descending count, ties by word, when ``sorted_vocab`` (default:
        this vocabulary's setting), else in order of first appearance (the
        mapping's order). The scan statistics become those of the new corpus.
        """
        sorted_vocab = self.sorted_vocab if sorted_vocab is None else bool(sorted_vocab)
        min_count = self.min_count if min_count is None else check_count("min_count", min_count)
        if isinstance(corpus_or_counts, Mapping):
            words = list(corpus_or_counts.keys())
            _check_words_are_str(words)
            new_counts = _counts_array(corpus_or_counts.values(), words)
            raw, sentences = int(new_counts.sum()), 0
        else:
            counts = corpus_or_counts
            if not isinstance(counts, Counts):
                counts = Counts().add_corpus(counts, check_count("progress_per", progress_per))
            words, new_counts = _collected(counts)
            raw, sentences = counts.raw_words, counts.n_sentences
        known_index = np.fromiter((self.key_to_index.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        is_known = known_index >= 0
        counts = self.counts.copy()
        np.add.at(counts, known_index[is_known], new_counts[is_known])

        fresh = np.flatnonzero(~is_known)
        fresh_words = [words[i] for i in fresh.tolist()]
        fresh_counts = new_counts[fresh]
        keep = apply_trim_rule(fresh_words, fresh_counts, fresh_counts >= min_count, trim_rule, min_count)
        added_words = [fresh_words[i] for i in np.flatnonzero(keep).tolist()]
        added_counts = fresh_counts[keep]
        if sorted_vocab:
            order = _order_by_count(added_words, added_counts)
        else:
            order = np.arange(len(added_words))
        for i in order.tolist():
            self.key_to_index[added_words[i]] = len(self.index_to_key)
            self.index_to_key.append(added_words[i])
        self.counts = np.concatenate([counts, added_counts[order]])

        self.raw_word_count = raw
        self.corpus_count = sentences
        self.distinct_count = len(words)
        self.retained_word_count = int(new_counts[is_known].sum() + added_counts.sum())
        logger.info("vocabulary update: %i new words added (%i known words seen again, %i new words dropped"
                    " below min_count=%i); now %i words",
                    len(added_words), int(is_known.sum()), len(fresh_words) - len(added_words), min_count, len(self))
        return len(added_words)

    # --------------------------------------------------- word2vec.c vocab files
    def save_word2vec_vocab(self, path: Union[str, os.PathLike]) -> None:
        """Write word2vec.c's ``-save-vocab`` format: ``word count`` per line.

        The first line is ``</s> N``, word2vec.c's sentence-end entry: its
        ``-read-vocab`` takes whatever entry comes first as the sentence end,
        so without it cw2v's most frequent word would end every sentence. N
        is this vocabulary's ``corpus_count`` (sentences of the last scan;
        word2vec.c counts the newlines of the text, the same number for a
        corpus of one sentence per line without blank or over-long lines),
        or, when the vocabulary holds a ``</s>`` word (see
        :meth:`load_word2vec_vocab`), that word's count. The other words
        follow in index order.

        UTF-8, compressed when the name ends in ``.gz``, ``.bz2``, ``.xz``
        or ``.lzma``, atomic (``cw2v.io.files.atomic_write``). A word that is
        empty or holds a space, tab, newline or carriage return cannot be represented
        in this format (word2vec.c splits on those): ValueError naming the
        word. Other whitespace (U+00A0, vertical tab, ...) is written as it is.
        """
        end_index = self.key_to_index.get(SENTENCE_END)
        end_count = self.corpus_count if end_index is None else int(self.counts[end_index])
        lines = [f"{SENTENCE_END} {end_count}\n"]
        for word, count in zip(self.index_to_key, self.counts.tolist()):
            if word == SENTENCE_END:
                continue
            if not word or any(sep in word for sep in VOCAB_FILE_BREAKS):
                raise ValueError(
                    f"word {word!r} is empty or contains a space, tab or line break and cannot be written"
                    " in the word2vec vocab format (one 'word count' per line)"
                )
            lines.append(f"{word} {count}\n")
        with atomic_write(path) as out:
            out.write("".join(lines).encode("utf-8"))

    @classmethod
    def load_word2vec_vocab(cls, path: Union[str, os.PathLike], min_count: int = 5,
                            max_final_vocab: Optional[int] = None, trim_rule: Optional[TrimRule] = None,
                            sorted_vocab: bool = True, unicode_errors: str = "strict",
                            keep_sentence_end: bool = False) -> "Vocabulary":
        """Build a vocabulary from a word2vec.c ``-save-vocab`` file (``-read-vocab``).

        One ``word count`` pair per line, separated by spaces or tabs (blank
        lines and a trailing ``\\r`` ignored; gzip, bzip2 and xz files
        decompressed, see ``cw2v.io.files.open_input``); selection as in
        :meth:`from_counts`. As in word2vec.c, only ASCII spaces and tabs
        separate: a word may hold other whitespace such as U+00A0.

        word2vec.c writes its sentence-end marker ``</s>`` as the first entry,
        counting the lines of the text. It is not a word of the text (cw2v's
        readers never produce it) and as one it would take a share of the
        noise distribution and of the subsampling total, so it is dropped
        unless ``keep_sentence_end`` (then it is selected like any other
        word); either way its count becomes ``corpus_count``.

        Malformed lines, negative counts and duplicate words raise ValueError
        naming the file and line.
        """
        path = os.fspath(path)
        counts = {}
        sentence_end_count = None
        for line_no, entry in read_vocab_entries(path, unicode_errors):
            if entry is None:
                continue
            word, count = entry
            if word in counts or (word == SENTENCE_END and sentence_end_count is not None):
                raise ValueError(f"{path!r} line {line_no}: duplicate word {word!r}")
            if word == SENTENCE_END:
                sentence_end_count = count
                if not keep_sentence_end:
                    continue
            counts[word] = count
        if not counts:
            raise ValueError(f"{path!r} holds no 'word count' lines"
                             + (f" besides the sentence end {SENTENCE_END!r}" if sentence_end_count is not None
                                else ""))
        return cls.from_counts(counts, min_count=min_count, max_final_vocab=max_final_vocab, trim_rule=trim_rule,
                               sorted_vocab=sorted_vocab, corpus_count=sentence_end_count or 0)


# What separates fields in word2vec.c's vocab files and Stanford's vocab.txt ('\r' they
# skip), so no word may hold it.
VOCAB_FILE_BREAKS = (" ", "\t", "\n", "\r")


def read_vocab_entries(path, unicode_errors: str = "strict"):
    """Yield (line number, (word, count) or None for a blank line) for each line of a
    vocab file (word2vec.c's or Stanford's vocab.txt); ValueError naming the file
    and line for invalid UTF-8 or a line that is not 'word count'."""
    name = os.fsdecode(os.fspath(path))
    with open_input(path) as fin:
        for number, raw in enumerate(fin, start=1):
            try:
                entry = split_vocab_line(raw.decode("utf-8", unicode_errors))
            except UnicodeDecodeError as err:
                raise ValueError(f"{name!r} line {number}: invalid UTF-8 ({err.reason})") from None
            except ValueError as err:
                raise ValueError(f"{name!r} line {number}: {err}") from None
            yield number, entry


def split_vocab_line(line: str) -> Optional[Tuple[str, int]]:
    """(word, count) of a vocab file line, split at its last space or tab; None if blank.

    ValueError (without the location, which the caller adds) if it is not 'word count'.
    """
    body = line.rstrip("\r\n").strip(" \t")
    if not body:
        return None
    cut = max(body.rfind(" "), body.rfind("\t"))
    word = body[:cut].rstrip(" \t") if cut > 0 else ""
    if not word or " " in word or "\t" in word:
        raise ValueError(f"expected 'word count' (a word without spaces or tabs), got {body!r}")
    count_text = body[cut + 1:]
    # Only ASCII digits: int() would also take '+3', '1_000' or '٣'.
    if not (count_text.isascii() and count_text.isdigit()):
        raise ValueError(f"count must be a non-negative integer, got {count_text!r}")
    return word, int(count_text)


def _counts_array(values: Iterable, words: Sequence[str]) -> np.ndarray:
    values = list(values)
    for word, value in zip(words, values):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"count of {word!r} must be a non-negative integer, got {value!r}")
    # Sums of the counts (raw_word_count, noise table) are int64 too: they must not wrap.
    if sum(int(value) for value in values) >= 2 ** 63:
        raise ValueError("the counts add up to 2**63 or more, which int64 totals cannot hold")
    return np.array(values, dtype=np.int64)


