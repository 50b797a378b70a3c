"""Word counts of a corpus: one mergeable table, filled in C, that the Vocabulary is built from.

:class:`Counts` counts the words of a corpus into one C table
(``cw2v._kernels.counting``), whatever the corpus is: cw2v's file readers
(their text walked in C), token lists, or byte ranges of a plain-text file
(file mode's reader), the text always split by the one rule of
``src_c/tokenizer.h``.  It keeps the corpus's totals with the counts:
``raw_words`` (every word counted) and ``n_sentences`` (sentences, long
lines counting once per ``max_sentence_length`` piece).

Two Counts merge: ``a.merge(b)`` holds the counts of the corpus of ``a``
followed by that of ``b``, totals included, so shards of a corpus can be
counted apart and merged in any order or tree.  :meth:`Counts.to_arrays` and
:meth:`Counts.from_arrays` (and pickling, which goes through them) ship a
table between processes as four NumPy arrays.

Pruning has one rule, :meth:`Counts.prune`: drop the words counted fewer
than ``min_count`` times, unless ``trim_rule(word, count, min_count)`` says
:data:`RULE_KEEP` (or drop one it says :data:`RULE_DISCARD`).  It is applied
at the end, or, with ``max_vocab_size``, as word2vec.c bounds its scan:
after a sentence (or a merge) leaves more than ``max_vocab_size`` words,
the words counted at most ``floor`` times are pruned and the floor (from 1)
rises by one.  Counts of a word dropped that way start again from zero if
it comes back, so pruned counts can be lower than the true ones, and
pruning during counting depends on the order of the corpus: the counts of
A + B equal the merged counts of A and B only when nothing was pruned
before the end.
"""
from __future__ import annotations

import concurrent.futures
import logging
from typing import Callable, List, Optional, Sequence

import numpy as np

from cw2v._kernels.counting import CountTable
from cw2v._kernels.textfile import MAX_SENTENCE_LENGTH, split_ranges
from cw2v.io.corpus import iter_checked, walk_text_corpus

logger = logging.getLogger(__name__)

RULE_DEFAULT = 0
RULE_DISCARD = 1
RULE_KEEP = 2

TrimRule = Callable[[str, int, int], int]

_ARRAY_NAMES = ("words", "word_offsets", "counts", "totals")

__all__ = ["Counts", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "apply_trim_rule", "check_count"]


def apply_trim_rule(words: Sequence[str], counts: np.ndarray, default_keep: np.ndarray,
                    trim_rule: Optional[TrimRule], min_count: int) -> np.ndarray:
    """``default_keep`` (bool per word) overridden word by word by ``trim_rule`` (if any)."""
    if trim_rule is None:
        return default_keep
    keep = default_keep.copy()
    for i, (word, count) in enumerate(zip(words, counts.tolist())):
        rule = trim_rule(word, count, min_count)
        if isinstance(rule, bool):  # True == RULE_DISCARD would silently invert the intent
            raise ValueError(
                f"trim_rule returned {rule!r} for {word!r}; it must return RULE_KEEP (2),"
                " RULE_DISCARD (1) or RULE_DEFAULT (0) from cw2v.vocab, not a bool"
            )
        if rule == RULE_KEEP:
            keep[i] = True
        elif rule == RULE_DISCARD:
            keep[i] = False
        elif rule != RULE_DEFAULT:
            raise ValueError(
                f"trim_rule returned {rule!r} for {word!r}; it must return RULE_KEEP (2),"
                " RULE_DISCARD (1) or RULE_DEFAULT (0) from cw2v.vocab"
            )
    return keep


def check_count(name: str, value, allow_none: bool = False, minimum: int = 0):
    """``value`` as an int >= minimum (or None when allowed); ValueError naming ``name`` otherwise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}" + (" or None" if allow_none else "")
                         + f", got {value!r}")
    return int(value)


def _log_progress(n_sentences: int, raw_words: int, distinct: int) -> None:
    logger.info("PROGRESS: sentence #%i, %i words counted, %i distinct", n_sentences, raw_words, distinct)


class Counts:
    """How often each word of a corpus occurs, with the corpus's totals.

    ``Counts(max_vocab_size=None, trim_rule=None)``: with ``max_vocab_size``
    counting prunes as word2vec.c does (see the module docstring), consulting
    ``trim_rule`` at every round.  Fill it with :meth:`add_corpus`,
    :meth:`add_file` or :meth:`merge`; read it with :meth:`words`,
    :meth:`counts` (aligned, in order of first appearance), ``raw_words``,
    ``n_sentences``, ``len()``, ``in`` and ``counts[word]`` (0 if absent);
    build the vocabulary with ``Vocabulary.from_counts(counts, ...)``.

    One thread at a time fills a Counts (file counting releases the GIL):
    to count in parallel, count each shard into its own Counts and merge.
    """

    def __init__(self, max_vocab_size: Optional[int] = None, trim_rule: Optional[TrimRule] = None):
        self.max_vocab_size = check_count("max_vocab_size", max_vocab_size, allow_none=True, minimum=1)
        self.trim_rule = trim_rule
        self.prune_floor = 1      # the next max_vocab_size round drops counts <= this
        self.prune_rounds = 0
        self._table = CountTable()
        self._table.max_words = self.max_vocab_size or 0

    # ---------------------------------------------------------------- filling
    def add_corpus(self, corpus, progress_per: int = 0) -> "Counts":
        """Count every word of ``corpus``; returns self.

        ``corpus``: one of cw2v's readers (LineSentence, Text8Corpus,
        PathLineSentences: their text is counted in C without making a str
        per word), or any iterable of token lists (one pass; the checks of
        ``cw2v.io.corpus.check_corpus`` apply, so an empty one is a
        ValueError; tokens must be str).
        ``progress_per``: log progress every that many sentences (0: never).
        """
        progress_per = check_count("progress_per", progress_per)
        progress = _log_progress if progress_per else None
        walks = walk_text_corpus(corpus, lambda *shape: self._table.walk(
            *shape, self._prune_round, progress_per, progress))
        if walks is None:
            self._table.count_sentences(iter_checked(corpus), self._prune_round, progress_per, progress)
        else:
            for _ in walks:
                pass
        return self

    def add_file(self, path, start: int = 0, end: Optional[int] = None,
                 max_sentence_length: int = MAX_SENTENCE_LENGTH, workers: int = 1) -> "Counts":
        """Count the words of the byte range ``[start, end)`` of a plain-text
        file (``end=None``: to its end) as file mode reads it; returns self.

        A word belongs to the range holding its first byte, so the ranges of
        a partition of the file count every word once.  Lines are sentences
        (cut every ``max_sentence_length`` words); a line split between two
        ranges counts as a sentence in each.  Runs without the GIL.

        ``workers`` > 1 counts a whole file (of at least 4 MiB) in that many
        threads, one range each, and merges the tables in file order: the
        same counts, word order and totals as one thread, because the
        ranges are cut at line starts (a file whose cuts would fall inside a
        line, or counts pruned by ``max_vocab_size``, use one thread).
        """
        start = check_count("start", start)
        end = -1 if end is None else check_count("end", end, minimum=start)
        max_sentence_length = check_count("max_sentence_length", max_sentence_length, minimum=1)
        workers = check_count("workers", workers, minimum=1)
        ranges = _line_ranges(path, workers) if (workers > 1 and start == 0 and end == -1
                                                 and self.max_vocab_size is None) else None
        if not ranges:
            self._table.count_range(path, start, end, max_sentence_length, self._prune_round)
            return self
        with concurrent.futures.ThreadPoolExecutor(len(ranges)) as pool:
            parts = [pool.submit(Counts(None, self.trim_rule).add_file, path, begin, stop,
                                 max_sentence_length) for begin, stop in ranges]
            for part in parts:
                self.merge(part.result())
        return self

    # -------------------------------------------------------------- combining
    def merge(self, other: "Counts") -> "Counts":
        """Add ``other``'s counts and totals to these counts; returns self.

        The result holds the counts of this corpus followed by ``other``'s:
        words new to this table come after its own, in ``other``'s order.
        With ``max_vocab_size`` the result is pruned, round after round of the
        rising floor (which starts from the higher of the two floors), until
        it holds no more than that many words.
        """
        if not isinstance(other, Counts):
            raise TypeError(f"can only merge Counts, not {type(other).__name__}")
        if other is self:
            raise ValueError("cannot merge Counts into themselves; merge a copy "
                             "(Counts.from_arrays(counts.to_arrays()))")
        self._table.merge(other._table)
        self.prune_floor = max(self.prune_floor, other.prune_floor)
        self.prune_rounds += other.prune_rounds
        while self.max_vocab_size is not None and len(self) > self.max_vocab_size:
            self._prune_round()
        return self

    def prune(self, min_count: int) -> int:
        """Drop the words counted fewer than ``min_count`` times (``trim_rule``,
        if any, overriding word by word); returns how many were dropped."""
        min_count = check_count("min_count", min_count)
        counts = self._table.counts()
        keep = counts >= min_count
        if self.trim_rule is not None:
            keep = apply_trim_rule(self.words(), counts, keep, self.trim_rule, min_count)
        self._table.keep(keep.view(np.uint8))
        return int(keep.size - np.count_nonzero(keep))

    def _prune_round(self) -> None:
        """One round of word2vec.c's rising floor (max_vocab_size exceeded)."""
        dropped = self.prune(self.prune_floor + 1)
        logger.info("max_vocab_size=%i exceeded: pruned %i words with count <= %i (%i left)",
                    self.max_vocab_size, dropped, self.prune_floor, len(self))
        self.prune_floor += 1
        self.prune_rounds += 1

    # ---------------------------------------------------------------- reading
    @property
    def raw_words(self) -> int:
        """Words counted, pruned ones included."""
        return self._table.words

    @property
    def n_sentences(self) -> int:
        """Sentences counted (a token list is one; a line of a file one per
        ``max_sentence_length`` words; lines without words none)."""
        return self._table.sentences

    def words(self) -> List[str]:
        """The words held, in order of first appearance."""
        return self._table.keys()

    def counts(self) -> np.ndarray:
        """int64 array: the count of each word of :meth:`words`."""
        return self._table.counts()

    def to_dict(self) -> dict:
        """``{word: count}`` in order of first appearance."""
        return dict(zip(self.words(), self.counts().tolist()))

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, word: str) -> int:
        if not isinstance(word, str):
            raise TypeError(f"words are str, not {type(word).__name__}")
        return max(self._table.get(word), 0)

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and self._table.get(word) >= 0

    def __repr__(self) -> str:
        return (f"Counts({len(self)} words, {self.raw_words} raw words, {self.n_sentences} sentences"
                + (f", max_vocab_size={self.max_vocab_size}" if self.max_vocab_size else "") + ")")

    # ------------------------------------------------------------- shipping
    def to_arrays(self) -> dict:
        """The table as four arrays, cheap to send to another process:

        ``words`` (uint8: every word's UTF-8, concatenated), ``word_offsets``
        (int64, one more than words: word i is
        ``words[word_offsets[i]:word_offsets[i + 1]]``), ``counts`` (int64)
        and ``totals`` (int64: raw_words, n_sentences, prune_floor,
        prune_rounds).  ``max_vocab_size`` and ``trim_rule`` are settings,
        not data: give them to :meth:`from_arrays` again.
        """
        words, offsets = self._table.packed()
        totals = np.array([self.raw_words, self.n_sentences, self.prune_floor, self.prune_rounds],
                          dtype=np.int64)
        return {"words": words, "word_offsets": offsets, "counts": self._table.counts(), "totals": totals}

    @classmethod
    def from_arrays(cls, arrays, max_vocab_size: Optional[int] = None,
                    trim_rule: Optional[TrimRule] = None) -> "Counts":
        """The Counts that :meth:`to_arrays` gave ``arrays`` from (a mapping
        of the four names).  ValueError saying what is wrong for arrays that
        do not fit together."""
        missing = [name for name in _ARRAY_NAMES if name not in arrays]
        if missing:
            raise ValueError(f"Counts arrays lack {missing}; expected {list(_ARRAY_NAMES)}")
        words, offsets, counts, totals = (np.asarray(arrays[name]) for name in _ARRAY_NAMES)
        for name, array, dtype, ndim in (("words", words, np.uint8, 1), ("word_offsets", offsets, np.int64, 1),
                                         ("counts", counts, np.int64, 1), ("totals", totals, np.int64, 1)):
            if array.dtype != dtype or array.ndim != ndim:
                raise ValueError(f"Counts array {name!r} must be 1-D {np.dtype(dtype).name}, "
                                 f"got {array.ndim}-D {array.dtype}")
        if offsets.shape != (counts.size + 1,) or offsets[0] != 0 or offsets[-1] != words.size \
                or np.any(np.diff(offsets) < 0):
            raise ValueError(f"Counts array 'word_offsets' must rise from 0 to {words.size} (the size of "
                             f"'words') in {counts.size + 1} steps, one more than 'counts'")
        if counts.size and counts.min() < 0:
            raise ValueError("Counts array 'counts' holds a negative count")
        if totals.shape != (4,) or totals.min() < 0 or totals[2] < 1:
            raise ValueError("Counts array 'totals' must be raw_words, n_sentences, prune_floor (>= 1)"
                             f" and prune_rounds, none negative; got {totals.tolist()}")
        restored = cls(max_vocab_size, trim_rule)
        restored._table.add_packed(np.ascontiguousarray(words), np.ascontiguousarray(offsets),
                                   np.ascontiguousarray(counts))
        restored._table.add_totals(int(totals[0]), int(totals[1]))
        restored.prune_floor, restored.prune_rounds = int(totals[2]), int(totals[3])
        return restored

    def __reduce__(self):
        # Pickles as the arrays (a trim_rule must be picklable itself).
        return (Counts.from_arrays, (self.to_arrays(), self.max_vocab_size, self.trim_rule))


_PARALLEL_MIN_BYTES = 4 << 20      # below this a second thread costs more than it saves


def _line_ranges(path, n: int):
    """``n`` ranges of the file cut at line starts (``split_ranges``), or None when
    the file is small or a cut would fall inside a line (its sentence would count twice)."""
    ranges = split_ranges(path, n)
    if ranges[-1][1] < _PARALLEL_MIN_BYTES:
        return None
    with open(path, "rb") as f:
        for begin, _ in ranges[1:]:
            if begin > 0:
                f.seek(begin - 1)
                if f.read(1) != b"\n":
                    return None
    ranges = [r for r in ranges if r[1] > r[0]]
    return ranges if len(ranges) > 1 else None
