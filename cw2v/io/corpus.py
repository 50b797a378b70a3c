"""Corpus streaming: restartable sentence readers and id batches for the kernels.

A *corpus* is any restartable iterable of sentences, a sentence being a list of
str tokens. The readers here stream plain or compressed text files in binary
blocks, so memory stays bounded even for a file that is one enormous line,
and every iteration re-opens the file (iterating twice gives the same
sentences).

Words are split exactly as file mode (``corpus_file=``) splits them, by the
one rule in ``src_c/tokenizer.h``: maximal runs of bytes other than ASCII
whitespace (space, \\t, \\n, \\v, \\f, \\r), each decoded from UTF-8.
Unicode spaces (U+00A0, U+3000, ...) and the separators U+001C-U+001F belong
to words, unlike ``str.split()``. Lines (or, for :class:`Text8Corpus`, the
whole text) longer than ``max_sentence_length`` tokens come out as
consecutive sentences of that many tokens: never dropped, never cut short.
Blank lines produce no sentence.

:func:`walk_text_corpus` feeds the text of these readers to a C walker
(``cw2v._kernels``) without building sentences (the vocabulary count uses
it); :func:`iter_id_batches` turns any corpus into int32 id arrays for the
training kernels. Both loops are compiled.
"""
from __future__ import annotations

import codecs
import itertools
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from cw2v._kernels.textfile import MAX_SENTENCE_LENGTH, WordHash, last_break
from cw2v._kernels.tokens import IdBatcher, IdWalk, SentenceWalk, not_a_sentence_error
from cw2v.io.files import open_input

PathType = Union[str, "os.PathLike[str]"]

# One limit for every reader and mode (src_c/tokenizer.h).
DEFAULT_MAX_SENTENCE_LENGTH = MAX_SENTENCE_LENGTH
# Text is read in binary blocks, each cut back to its last whitespace byte
# (see _walk_text), so no word straddles two blocks.
_BLOCK_BYTES = 1 << 16

__all__ = [
    "CorpusDecodeError",
    "LineSentence",
    "Text8Corpus",
    "PathLineSentences",
    "check_corpus",
    "iter_checked",
    "IdBatch",
    "iter_id_batches",
    "walk_text_corpus",
]


class CorpusDecodeError(ValueError):
    """Invalid UTF-8 in a corpus file read with ``unicode_errors='strict'``.

    Attributes ``path`` (the file) and ``offset`` (byte offset of the first bad
    byte, counted in the decompressed text for a compressed file).
    """

    def __init__(self, path, offset: int, reason: str, compressed: bool = False):
        self.path = os.fspath(path)
        self.offset = int(offset)
        where = " of the decompressed text" if compressed else ""
        super().__init__(
            f"invalid UTF-8 in {self.path!r} at byte offset {self.offset}{where}: {reason};"
            " pass unicode_errors='replace' to substitute U+FFFD for undecodable bytes instead"
        )


def _checked_path(source) -> str:
    if isinstance(source, bytes):
        source = os.fsdecode(source)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"expected a file path (str or os.PathLike), got {type(source).__name__};"
            " for sentences already in memory pass a list of token lists instead"
        )
    path = os.fspath(source)
    if not os.path.exists(path):
        raise FileNotFoundError(f"corpus file not found: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"{path!r} is a directory; use PathLineSentences to read every file in it"
        )
    return path


def _check_max_sentence_length(max_sentence_length) -> int:
    if int(max_sentence_length) != max_sentence_length or max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be a positive integer, got {max_sentence_length!r}")
    return int(max_sentence_length)


def _check_unicode_errors(unicode_errors: str) -> str:
    try:
        codecs.lookup_error(unicode_errors)
    except LookupError:
        raise ValueError(
            f"unknown unicode_errors handler {unicode_errors!r}; use 'replace' (default),"
            " 'strict' or 'ignore'"
        ) from None
    return unicode_errors


def _walk_text(path, walk) -> Iterator:
    """What ``walk`` (a ``cw2v._kernels.textfile.TextWalk``) gives for the text of a file.

    The text is read in blocks, each cut just after its last whitespace byte
    (the rest waits for the next read), until the walk has reached its limit.
    Strict decoding errors name the file and the byte offset in the
    (decompressed) text. Each byte read is searched for whitespace once, so
    a huge run without any costs linear time.
    """
    carry: List[bytes] = []  # reads since the last whitespace byte: a word cut short
    offset = 0  # offset in the text of the block being walked
    with open_input(path) as fin:
        compressed = fin.compression is not None
        try:
            while not walk.stopped:
                block = fin.read(_BLOCK_BYTES)
                if block:
                    # The carried bytes hold no whitespace: search only the new block.
                    cut = last_break(block)
                    if cut == 0:
                        carry.append(block)
                        continue
                    data = b"".join(carry + [block[:cut]]) if carry else block[:cut]
                    carry = [block[cut:]] if cut < len(block) else []
                else:
                    data = b"".join(carry)
                yield from walk.feed(data)
                offset += len(data)
                if not block:
                    break
            yield from walk.end()
        except UnicodeDecodeError as err:
            raise CorpusDecodeError(path, offset + err.start, err.reason, compressed) from None


class _FileCorpus:
    """Common base: validation and repr of the file readers."""

    def __iter__(self) -> Iterator[List[str]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class _OneFileCorpus(_FileCorpus):
    """A reader of one file: the path lives in the attribute named by _path_attr
    (gensim's names: LineSentence.source, Text8Corpus.path)."""

    _by_line: bool      # a newline ends a sentence
    _path_attr: str
    _limit_unit: str    # what ``limit`` counts

    def __init__(self, path: PathType, max_sentence_length: int = DEFAULT_MAX_SENTENCE_LENGTH,
                 limit: Optional[int] = None, unicode_errors: str = "replace"):
        setattr(self, self._path_attr, _checked_path(path))
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)
        if limit is not None and (int(limit) != limit or limit < 0):
            raise ValueError(f"limit must be None or a non-negative number of {self._limit_unit}, "
                             f"got {limit!r}")
        self.limit = None if limit is None else int(limit)
        self.unicode_errors = _check_unicode_errors(unicode_errors)

    def __iter__(self) -> Iterator[List[str]]:
        errors = self.unicode_errors
        return self._walk(lambda *shape: SentenceWalk(*shape, errors))

    def _walk(self, make_walk: Callable) -> Iterator:
        """What ``make_walk(max_len, by_line, line_limit, word_limit)`` gives for the file."""
        limit = -1 if self.limit is None else self.limit
        shape = (self.max_sentence_length, self._by_line) + ((limit, -1) if self._by_line else (-1, limit))
        yield from _walk_text(getattr(self, self._path_attr), make_walk(*shape))


class LineSentence(_OneFileCorpus):
    """Sentences of a text file, one per line, tokens separated by ASCII whitespace.

    Tokens are what file mode (``corpus_file=``) reads: maximal runs of bytes
    other than space, tab, newline, vertical tab, form feed and carriage
    return, so ``\\r\\n`` line ends are fine. Unicode spaces such as
    U+00A0 (no-break space) or U+3000 (ideographic space) do not separate
    tokens: they are part of the token they touch (``str.split()`` would cut
    there). Split the text yourself and pass token lists to cut elsewhere.

    Parameters
    ----------
    source : str or os.PathLike
        Path of a plain-text UTF-8 file, optionally compressed (gzip, bzip2
        or xz, recognised by the file's first bytes whatever its name).
    max_sentence_length : int
        Lines with more tokens come out as consecutive sentences of this
        many tokens (the last one shorter); nothing is dropped.
    limit : int or None
        Read only the first ``limit`` lines (blank lines count).
    unicode_errors : str
        ``'replace'`` (default) substitutes U+FFFD for invalid UTF-8;
        ``'strict'`` raises :class:`CorpusDecodeError` naming the file and the
        byte offset; any other ``bytes.decode`` error handler also works,
        applied to each token (a token it decodes to nothing is dropped).

    Iterating yields ``list[str]``; each iteration re-reads the file.
    """

    _by_line, _path_attr, _limit_unit = True, "source", "lines"


class Text8Corpus(_OneFileCorpus):
    """Sentences of ``max_sentence_length`` tokens cut from one long text (text8 style).

    Newlines are treated as ordinary whitespace: the file is one token stream,
    read in binary blocks (never loaded whole), and handed out in consecutive
    sentences of ``max_sentence_length`` tokens (the last one shorter).
    ``limit`` stops after that many tokens. Tokens (ASCII whitespace separates,
    Unicode spaces do not), compression and ``unicode_errors`` as in
    :class:`LineSentence`.
    """

    _by_line, _path_attr, _limit_unit = False, "path", "tokens"


class PathLineSentences(_FileCorpus):
    """:class:`LineSentence` over every regular file of a directory, in sorted name order.

    Hidden files (names starting with ``.``) and subdirectories are skipped.
    ``limit`` applies to each file separately. A path to a single file reads
    just that file. The file list is taken at construction. Tokens (ASCII
    whitespace separates, Unicode spaces do not) as in :class:`LineSentence`.
    """

    def __init__(self, source: PathType, max_sentence_length: int = DEFAULT_MAX_SENTENCE_LENGTH,
                 limit: Optional[int] = None, unicode_errors: str = "replace"):
        if not isinstance(source, (str, os.PathLike)):
            raise TypeError(f"expected a directory path (str or os.PathLike), got {type(source).__name__}")
        root = Path(source)
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise ValueError(f"directory {os.fspath(root)!r} contains no corpus files")
        else:
            raise FileNotFoundError(f"corpus directory not found: {os.fspath(root)!r}")
        self.source = os.fspath(root)
        self.input_files = [os.fspath(p) for p in files]
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)
        self.limit = limit
        self.unicode_errors = _check_unicode_errors(unicode_errors)
        # Validate limit once, through the per-file reader.
        LineSentence(self.input_files[0], self.max_sentence_length, limit, unicode_errors)

    def __iter__(self) -> Iterator[List[str]]:
        errors = self.unicode_errors
        return self._walk(lambda *shape: SentenceWalk(*shape, errors))

    def _walk(self, make_walk: Callable) -> Iterator:
        for path in self.input_files:
            yield from LineSentence(path, self.max_sentence_length, self.limit,
                                    self.unicode_errors)._walk(make_walk)


def _walkable(corpus) -> bool:
    return type(corpus) in (LineSentence, Text8Corpus, PathLineSentences) \
        and corpus.unicode_errors in ("replace", "strict")


def walk_text_corpus(corpus, make_walk: Callable) -> Optional[Iterator]:
    """Feed the text of one of this module's readers to compiled walkers.

    ``make_walk(max_len, by_line, line_limit, word_limit, strict)`` makes a
    ``cw2v._kernels.textfile.TextWalk`` for each file; the returned iterator
    gives what the walks give (the sentences of iterating ``corpus``, in
    whatever form the walker makes them). None when ``corpus`` is anything
    else, including a subclass (which may change what iteration yields), or
    decodes with an error handler other than ``'replace'`` and ``'strict'``
    (which only Python's decoder knows).
    """
    if not _walkable(corpus):
        return None
    strict = corpus.unicode_errors == "strict"
    return corpus._walk(lambda *shape: make_walk(*shape, strict))


_RESTARTABLE_HINT = ("pass a list, or a restartable iterable such as LineSentence(path): an object"
                     " whose __iter__ starts a new iterator over the data each time it is called")


def _checked_iterator(corpus, passes_needed: int) -> Tuple[Iterator, bool]:
    """check_corpus's checks; returns (an iterator over every sentence, whether one-shot)."""
    if corpus is None:
        raise TypeError("no corpus given (got None): pass a list of token lists, or LineSentence(path)")
    if isinstance(corpus, (str, bytes, bytearray)):
        raise TypeError(
            "the corpus is a plain string, which would be iterated character by character;"
            " wrap it, e.g. [text.split()] for one sentence, or LineSentence(path) for a file path"
        )
    if isinstance(corpus, os.PathLike):
        raise TypeError(
            f"the corpus is a path ({os.fspath(corpus)!r}); wrap it in LineSentence(path) or Text8Corpus(path)"
        )
    try:
        iterator = iter(corpus)
    except TypeError:
        raise TypeError(
            f"the corpus must be an iterable of token lists, got {type(corpus).__name__}"
        ) from None
    if iterator is corpus:
        one_shot, what = True, f"a one-shot iterator ({type(corpus).__name__})"
    elif iter(corpus) is iterator:
        # e.g. __iter__ returning a generator made once in __init__: the
        # second pass would find it used up.
        one_shot = True
        what = (f"not restartable: {type(corpus).__name__}.__iter__ returns the same"
                f" {type(iterator).__name__} every time")
    else:
        one_shot = False
    if one_shot and passes_needed > 1:
        raise TypeError(f"the corpus is {what} but {passes_needed} passes over it are needed; "
                        + _RESTARTABLE_HINT)
    try:
        first = next(iterator)
    except StopIteration:
        raise ValueError(
            "the corpus is empty: it yielded no sentences"
            + ("" if one_shot else " (if it yielded sentences before, it is not restartable: "
               + _RESTARTABLE_HINT + ")")
        ) from None
    if isinstance(first, (str, bytes, bytearray)):
        raise not_a_sentence_error(0, first)
    try:
        iter(first)
    except TypeError:
        raise not_a_sentence_error(0, first) from None
    return itertools.chain([first], iterator), one_shot


def check_corpus(corpus, passes_needed: int = 2) -> Iterable:
    """Validate a corpus before use; return the iterable to use in its place.

    Rejects, with a message saying what to pass instead:

    * ``None``, a non-iterable, a ``str``/``bytes`` (iterating a string gives
      characters) or a path: ``TypeError``;
    * a one-shot iterator or generator, or an iterable whose ``__iter__``
      returns the same iterator every time, when ``passes_needed > 1``:
      ``TypeError`` (it would be empty on the second pass);
    * a first sentence that is a string rather than a list of tokens: ``TypeError``
      (later sentences are checked as they are consumed, by the vocabulary
      scan and by :func:`iter_id_batches`);
    * a corpus with no sentences at all: ``ValueError``.

    To inspect the first sentence of a one-shot iterator (allowed when
    ``passes_needed == 1``) this function has to consume it, so it returns an
    equivalent iterator that puts it back; restartable corpora are returned
    unchanged. A restartable-looking iterable whose iterators all draw from
    one shared source cannot be told apart here; :func:`iter_id_batches`
    reports it when a later pass comes back empty.
    """
    sentences, one_shot = _checked_iterator(corpus, passes_needed)
    return sentences if one_shot else corpus


def iter_checked(corpus) -> Iterator:
    """One pass over ``corpus`` after the checks of ``check_corpus(corpus, 1)``.

    The sentence the check inspects is not read twice: the pass continues
    the iterator it came from (so nothing is lost or repeated even when
    every iterator of ``corpus`` draws from one shared source).
    """
    return _checked_iterator(corpus, 1)[0]


class IdBatch(NamedTuple):
    """A batch of sentences as vocabulary ids, ready for the training kernels.

    ids : int32[n]
        In-vocabulary ids of the batch's sentences, concatenated.
    sentence_ends : int32[k]
        Cumulative end offset in ``ids`` of each of the batch's k non-empty
        sentences (sentence j is ``ids[sentence_ends[j-1]:sentence_ends[j]]``,
        with ``sentence_ends[-1] == n``). A sentence longer than
        ``max_sentence_length`` in-vocabulary words appears as consecutive
        pieces of that length.
    raw_words : int
        Tokens consumed from the corpus for this batch, out-of-vocabulary ones included.
    n_sentences : int
        Corpus sentences finished in this batch, including those skipped for
        having no in-vocabulary word (so it can differ from ``k``).
    """

    ids: np.ndarray
    sentence_ends: np.ndarray
    raw_words: int
    n_sentences: int


def _fast_id_sentences(corpus, key_to_index: dict) -> Optional[Iterator[np.ndarray]]:
    """The sentences of one of this module's readers as int32 id arrays (-1: unknown),
    or None when the corpus is something else or the ids are not 0..V-1."""
    if not _walkable(corpus):
        return None
    words = [None] * len(key_to_index)
    for word, index in key_to_index.items():
        if type(index) is not int or not 0 <= index < len(words) or words[index] is not None \
                or type(word) is not str:
            return None
        words[index] = word
    vocab = WordHash(words)
    return walk_text_corpus(corpus, lambda *shape: IdWalk(vocab, *shape))


def iter_id_batches(corpus: Iterable, key_to_index: dict, batch_words: int = 10000,
                    max_sentence_length: int = DEFAULT_MAX_SENTENCE_LENGTH,
                    earlier_pass_sentences: int = 0) -> Iterator[IdBatch]:
    """Convert a corpus to :class:`IdBatch` es of about ``batch_words`` in-vocabulary words.

    Out-of-vocabulary tokens are dropped (and counted in ``raw_words``); a
    sentence that is a str or bytes rather than tokens is a TypeError. A
    batch closes at the end of the sentence piece that brings its id count to
    ``batch_words`` or more, so a batch holds at most
    ``batch_words + max_sentence_length - 1`` ids. A sentence of more than
    ``max_sentence_length`` tokens (out-of-vocabulary ones included) is cut
    into pieces of that many, as the readers and file mode cut long lines,
    and is only split across batches between pieces. Sentences without
    any in-vocabulary token are skipped but still counted, in the batch that
    is open when they are read (a full batch stays open until the next
    in-vocabulary token, so a trailing run of such sentences goes to the last
    batch): summing ``raw_words`` and ``n_sentences`` over the batches gives
    the corpus totals. Empty batches are never yielded: a corpus without a
    single in-vocabulary token yields nothing.

    ``key_to_index`` maps each token to its int id (< 2**31). The token to id
    loop runs in compiled code.  For this module's own readers (exactly
    LineSentence, Text8Corpus, PathLineSentences, decoding with 'replace' or
    'strict') and ids 0..V-1, the text goes straight to ids without token
    ``str``s (:class:`~cw2v._kernels.tokens.IdWalk`); the batches are the same.

    ``earlier_pass_sentences``: sentences an earlier pass over ``corpus``
    yielded (e.g. the vocabulary scan's count). When it is positive and this
    pass yields no sentence at all, the corpus is not restartable (its
    iterators share one used-up source): ValueError saying so, rather than
    an epoch that silently trains nothing.
    """
    if not isinstance(key_to_index, dict):
        raise TypeError(f"key_to_index must be a dict, got {type(key_to_index).__name__}")
    if int(batch_words) != batch_words or batch_words < 1:
        raise ValueError(f"batch_words must be a positive integer, got {batch_words!r}")
    max_len = _check_max_sentence_length(max_sentence_length)
    if len(key_to_index) >= 2 ** 31:
        raise ValueError("a vocabulary of 2**31 words or more does not fit int32 ids")
    sentences = _fast_id_sentences(corpus, key_to_index)
    if sentences is None:
        sentences = iter(corpus)
    batcher = IdBatcher(sentences, key_to_index, int(batch_words), max_len)
    while True:
        batch = batcher.next_batch()
        if batch is None:
            break
        yield IdBatch(*batch)
    if earlier_pass_sentences > 0 and batcher.sentences_read == 0:
        raise ValueError(
            f"the corpus yielded no sentences on this pass, though an earlier pass yielded"
            f" {earlier_pass_sentences}: {type(corpus).__name__} is not restartable; " + _RESTARTABLE_HINT
        )
