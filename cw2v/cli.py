"""The `cw2v` command line (also `python -m cw2v`).

    cw2v demo                          train on the bundled corpus, show neighbours
    cw2v train -train corpus.txt -output vectors.bin -binary 1 -size 200 ...
    cw2v similar VECTORS WORD [WORD ...]
    cw2v analogy VECTORS A B C         A is to B as C is to ?
    cw2v evaluate VECTORS --analogies questions-words.txt --pairs wordsim353.tsv
    cw2v phrases -train text.txt -output text-phrase.txt   word2phrase
    cw2v plot VECTORS WORD [WORD ...] --output words.png
    cw2v plot-loss MODEL_DIR --output loss.png

`train` accepts word2vec.c's flags with its defaults and meanings, so existing
scripts keep working, and every flag also as a --long-option.  VECTORS is a
word2vec.c file (text or binary, told apart by its content; GloVe's header-less
text too; gzip, bzip2 and xz transparent) or a directory saved by Word2Vec.save or
KeyedVectors.save.

Exit status: 0 on success, 1 for a failed command (missing or corrupt file,
unknown word, ...), 2 for a usage error (bad or incompatible flags), 130 when
interrupted.  Errors are one line on stderr; results go to stdout.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import textwrap
import time
from importlib import resources

from cw2v.io.files import file_compression, open_input

DEMO_CORPUS = "kjv.txt.gz"
DEMO_QUERIES = ("god", "king", "water", "egypt", "sword", "david")
# word2vec.c's vocabulary files start with its sentence-end token; cw2v's
# readers never produce it, so as a word it would only be noise.
SENTENCE_END = "</s>"
VECTOR_FORMATS = ("auto", "binary", "text", "glove")
_SNIFF_BYTES = 1 << 20


class CommandError(Exception):
    """A failed command: printed as one line, exit status 1."""
    status = 1


class UsageError(CommandError):
    """Flags that parse but do not fit together: exit status 2, like argparse's errors."""
    status = 2


def bundled_corpus_path() -> str:
    """Path of the corpus shipped inside the package (King James Bible, public domain)."""
    return str(resources.files("cw2v").joinpath("data", DEMO_CORPUS))


# ---------------------------------------------------------------- vectors files

def _read_head(path: str, size: int = _SNIFF_BYTES) -> bytes:
    """The first `size` bytes of a file, decompressed if it is compressed."""
    with open_input(path) as stream:
        return stream.read(size)


def _all_numbers(fields) -> bool:
    try:
        return all(math.isfinite(float(f)) for f in fields)
    except ValueError:
        return False


def detect_vectors_format(path: str) -> str:
    """How `path` stores vectors: 'bundle', 'binary', 'text' or 'glove'.

    Decided by content, not by name (word2vec.c writes either format under
    any name).  After the ``V K`` header a text file's first record is a word
    and K numbers on one line; anything else is binary.  A first line of a
    word and more than one number is GloVe's header-less text; a file whose
    first line is neither is 'unknown'.
    """
    if os.path.isdir(path):
        return "bundle"
    first, _, rest = _read_head(path).partition(b"\n")
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        record = rest.split(b"\n", 1)[0].split()
        if not rest.strip() or (len(record) == int(fields[1]) + 1 and _all_numbers(record[1:])):
            return "text"
        return "binary"
    if len(fields) > 2 and _all_numbers(fields[1:]):
        return "glove"
    return "unknown"


def load_vectors(path: str, fmt: str = "auto"):
    """KeyedVectors from a word2vec.c / GloVe file or a saved cw2v directory."""
    from cw2v import KeyedVectors, Word2Vec
    from cw2v.vectors.keyedvectors import BUNDLE_KIND
    from cw2v.io.bundle import META_FILE
    from cw2v.models.word2vec import MODEL_KIND

    _require_file(path, "vectors file", directory_ok=True)
    if fmt == "auto":
        fmt = detect_vectors_format(path)
    if os.path.isdir(path):
        try:
            with open(os.path.join(path, META_FILE), encoding="utf-8") as f:
                kind = json.load(f).get("kind")
        except (OSError, ValueError, AttributeError):
            kind = None  # KeyedVectors.load explains what is wrong with the directory
        if kind == MODEL_KIND:
            return Word2Vec.load(path, mmap="r").wv
        if kind not in (BUNDLE_KIND, None):
            raise CommandError(f"{path} holds a {kind!r}, not word vectors")
        return KeyedVectors.load(path, mmap="r")
    if fmt == "bundle":
        raise CommandError(f"{path} is a file, not a directory saved by cw2v")
    if fmt == "unknown":
        raise CommandError(f"{path} is not a word-vectors file: its first line is neither a "
                           f"'VOCAB_SIZE VECTOR_SIZE' header nor a word followed by numbers")
    return KeyedVectors.load_word2vec_format(path, binary=fmt == "binary", no_header=fmt == "glove")


def _check_words(kv, words):
    """CommandError naming every query word missing from `kv` (with case hints)."""
    problems = []
    for word in dict.fromkeys(words):
        if word in kv:
            continue
        variants = [v for v in dict.fromkeys((word.lower(), word.upper(), word.capitalize()))
                    if v != word and v in kv]
        hint = f" (did you mean {' or '.join(map(repr, variants))}?)" if variants else ""
        problems.append(f"{word!r}{hint}")
    if problems:
        raise CommandError(f"not in the vocabulary: {', '.join(problems)}")


def _print_neighbours(pairs, indent="  "):
    for word, score in pairs:
        print(f"{indent}{word:<20} {score:.4f}")


# ---------------------------------------------------------------- files and logs

def _require_file(path: str, what: str, directory_ok: bool = False) -> None:
    if not os.path.exists(path):
        raise CommandError(f"{what} {path!r} does not exist")
    if os.path.isdir(path) and not directory_ok:
        raise CommandError(f"{what} {path!r} is a directory, not a file")


def _require_writable(path: str, what: str, directory: bool = False) -> None:
    """Fail before any work if `path` cannot be written (not hours later, after training)."""
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CommandError(f"cannot write {what} {path!r}: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise CommandError(f"cannot write {what} {path!r}: directory {parent!r} is not writable")
    if directory:
        if os.path.exists(path) and not os.path.isfile(os.path.join(path, "meta.json")):
            raise CommandError(f"cannot write {what} {path!r}: it exists and is not a saved "
                               f"cw2v model; choose another path")
    elif os.path.isdir(path):
        raise CommandError(f"cannot write {what} {path!r}: it is a directory")


class _Formatter(logging.Formatter):
    def format(self, record):
        text = super().format(record)
        return text if record.levelno < logging.WARNING else f"{record.levelname.lower()}: {text}"


@contextlib.contextmanager
def _log_to_stderr(level):
    """Route cw2v's log records at `level` and above to stderr for one command."""
    logger = logging.getLogger("cw2v")
    handler = logging.StreamHandler(sys.stderr)  # looked up now: capture-friendly
    handler.setFormatter(_Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # an embedding application's root handlers would print twice
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# ---------------------------------------------------------------- commands

def cmd_demo(args) -> int:
    from cw2v import LineSentence, Word2Vec
    corpus = LineSentence(bundled_corpus_path())
    print(f"Training {'skip-gram' if args.sg else 'CBOW'} on the bundled King James Bible "
          f"({DEMO_CORPUS}), {args.epochs} epochs, {args.workers} workers ...", flush=True)
    started = time.perf_counter()
    model = Word2Vec(corpus, vector_size=args.size, window=5, min_count=5, sg=args.sg,
                     epochs=args.epochs, workers=args.workers, seed=args.seed)
    seconds = time.perf_counter() - started
    raw = model.corpus_total_words * args.epochs
    print(f"{len(model.wv)} words, {raw} tokens trained in {seconds:.1f}s "
          f"({raw / seconds:,.0f} words/s)\n")
    for word in DEMO_QUERIES:
        print(f"nearest to {word!r}:")
        _print_neighbours(model.wv.most_similar(word, topn=5))
    return 0


def _train_settings(args) -> dict:
    """Word2Vec keywords from the flags, with word2vec.c's dependent defaults."""
    if args.sg and args.cbow == 1:
        raise UsageError("--sg (skip-gram) contradicts -cbow 1; give one of them")
    sg = 1 if args.sg or args.cbow == 0 else 0
    if not (args.hs or args.negative or args.softmax):
        raise UsageError("-hs 0 with -negative 0 leaves no output layer to train; "
                         "use -negative 5, -hs 1 or --softmax")
    # word2vec.c: 0.05 for CBOW, 0.025 for skip-gram; decays linearly to alpha * 1e-4.
    alpha = args.alpha if args.alpha is not None else (0.025 if sg else 0.05)
    return dict(vector_size=args.size, window=args.window, sample=args.sample, hs=args.hs,
                negative=args.negative, workers=args.threads, epochs=args.iter,
                min_count=args.min_count, alpha=alpha, min_alpha=alpha * 1e-4, sg=sg,
                seed=args.seed, softmax=args.softmax, max_vocab_size=args.max_vocab_size,
                compute_loss=args.debug >= 3)


def _read_vocabulary(args, corpus, file_mode):
    """word2vec.c's -read-vocab: the words and counts come from the file, not the text.

    The text is still read once, to count its raw words for the learning-rate
    schedule (word2vec.c relies on the file's counts there instead).
    """
    from cw2v.vocab.vocabulary import RULE_DEFAULT, RULE_DISCARD, Vocabulary
    vocab = Vocabulary.load_word2vec_vocab(
        args.read_vocab, min_count=args.min_count,
        trim_rule=lambda word, count, min_count: RULE_DISCARD if word == SENTENCE_END
        else RULE_DEFAULT)
    if file_mode:
        from cw2v._kernels.textfile import WordHash, range_stats
        sentences, known, raw = range_stats(args.train, 0, None, WordHash(vocab.index_to_key))
    else:
        vocab_words = vocab.key_to_index
        sentences = known = raw = 0
        for sentence in corpus:
            sentences += 1
            raw += len(sentence)
            known += sum(word in vocab_words for word in sentence)
    if raw == 0:
        raise CommandError(f"training file {args.train!r} holds no words")
    if known == 0:
        raise CommandError(f"none of the {len(vocab)} words of vocabulary file "
                           f"{args.read_vocab!r} occurs in training file {args.train!r}")
    vocab.raw_word_count, vocab.retained_word_count, vocab.corpus_count = raw, known, sentences
    return vocab


def cmd_train(args) -> int:
    from cw2v import LineSentence, Word2Vec
    settings = _train_settings(args)
    _require_file(args.train, "training file")
    if args.read_vocab:
        _require_file(args.read_vocab, "vocabulary file")
    if not (args.output or args.save_vocab or args.save_model):
        raise UsageError("nothing to write: give -output FILE (and/or -save-vocab FILE, "
                         "--save-model DIR)")
    for path, what, directory in ((args.output, "vectors file", False),
                                  (args.save_vocab, "vocabulary file", False),
                                  (args.save_model, "model directory", True)):
        if path:
            _require_writable(path, what, directory)
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if args.debug >= 1 \
        else (lambda text: None)

    # The C file reader needs plain text; compressed corpora (recognised by
    # content, whatever their name) stream through Python.
    file_mode = file_compression(args.train) is None
    corpus = None if file_mode else LineSentence(args.train)
    source = dict(corpus_file=args.train) if file_mode else dict(corpus_iterable=corpus)
    say(f"Starting training using file {args.train}")
    model = Word2Vec(**settings)
    if args.read_vocab:
        model.build_vocab_from_vocabulary(_read_vocabulary(args, corpus, file_mode))
    else:
        try:
            model.build_vocab(**source)
        except ValueError as exc:
            if args.train in str(exc):
                raise
            raise ValueError(f"training file {args.train!r}: {exc}") from None
    say(f"Vocab size: {len(model.wv)}")
    say(f"Words in train file: {model.corpus_total_words}")
    if args.save_vocab:
        model.vocab.save_word2vec_vocab(args.save_vocab)
        say(f"Vocabulary written to {args.save_vocab}")
    if not (args.output or args.save_model):
        return 0  # word2vec.c without -output: count (and save) the vocabulary only

    started = time.perf_counter()
    model.train(**source, total_words=model.corpus_total_words, epochs=args.iter)
    seconds = time.perf_counter() - started
    raw = model.corpus_total_words * args.iter
    say(f"Trained {'skip-gram' if model.sg else 'CBOW'} on {raw} words in {seconds:.1f}s "
        f"({raw / max(seconds, 1e-9):,.0f} words/s)")
    if args.output and args.classes:  # word2vec.c: classes instead of vectors
        from cw2v.vectors.cluster import save_word_classes
        save_word_classes(args.output, model.wv.index_to_key, model.wv.cluster(args.classes))
        say(f"{len(model.wv)} words in {args.classes} classes written to {args.output}")
    elif args.output:
        model.wv.save_word2vec_format(args.output, binary=bool(args.binary))
        say(f"{len(model.wv)} vectors of size {model.vector_size} written to {args.output} "
            f"({'binary' if args.binary else 'text'})")
    if args.save_model:
        model.save(args.save_model)
        say(f"Model saved to {args.save_model} (load with cw2v.Word2Vec.load)")
    return 0


def cmd_similar(args) -> int:
    kv = load_vectors(args.vectors, args.format)
    _check_words(kv, args.words)
    for word in args.words:
        print(f"nearest to {word!r}:")
        _print_neighbours(kv.most_similar(word, topn=args.topn))
    return 0


def cmd_analogy(args) -> int:
    kv = load_vectors(args.vectors, args.format)
    _check_words(kv, [args.a, args.b, args.c])
    print(f"{args.a} is to {args.b} as {args.c} is to:")
    _print_neighbours(kv.most_similar(positive=[args.b, args.c], negative=[args.a],
                                      topn=args.topn))
    return 0


def cmd_evaluate(args) -> int:
    if not args.analogies and not args.pairs:
        raise UsageError("nothing to evaluate: give --analogies FILE and/or --pairs FILE")
    for path, what in ((args.analogies, "analogy file"), (args.pairs, "word-pair file")):
        if path:
            _require_file(path, what)
    kv = load_vectors(args.vectors, args.format)
    case_insensitive = not args.case_sensitive
    if args.analogies:
        score, sections = kv.evaluate_word_analogies(args.analogies,
                                                     restrict_vocab=args.restrict_vocab,
                                                     case_insensitive=case_insensitive)
        *sections, total = sections
        for section in sections:
            n = len(section["correct"]) + len(section["incorrect"])
            accuracy = f"{len(section['correct']) / n:7.2%}" if n else "    n/a"
            print(f"{section['section']:<30} {accuracy}  ({n} questions, "
                  f"{section['oov']} out of vocabulary)")
        n = len(total["correct"]) + len(total["incorrect"])
        print(f"analogy accuracy: {score:.2%} of {n} questions "
              f"({total['oov']} skipped: out of vocabulary)")
    if args.pairs:
        pearson, spearman, oov = kv.evaluate_word_pairs(args.pairs, delimiter=args.delimiter,
                                                        restrict_vocab=args.restrict_vocab,
                                                        case_insensitive=case_insensitive)
        print(f"word pairs: Pearson {pearson[0]:.4f}, Spearman {spearman[0]:.4f}, "
              f"{oov:.1f}% of pairs out of vocabulary")
    return 0


# ---------------------------------------------------------------- parser

class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, like every other cw2v error.

    argparse prints the whole usage block before a bad flag's message, which
    buries the message; --help still prints everything.
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {_one_line(message)}; see {self.prog} --help\n")


def _one_line(text) -> str:
    """`text` as one printable line: file contents quoted in a message may hold anything."""
    line = " ".join(str(text).split())
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in line)


def _number(kind, minimum, strict=False):
    """argparse type: a `kind` (int or float) >= minimum (> minimum if strict)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {minimum}, "
                                             f"got {text!r}")
        return value
    parse.__name__ = kind.__name__  # what argparse calls the type in its messages
    return parse


_POSITIVE_INT = _number(int, 1)
_COUNT = _number(int, 0)


def _switch(text):
    """argparse type of word2vec.c's on/off flags (-binary, -cbow, -hs): 0 or 1.

    word2vec.c tests them as `if (binary)`, so any nonzero integer means on.
    """
    try:
        return int(int(text) != 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer (0: off, nonzero: on), got {text!r}") from None


_switch.__name__ = "int"  # what argparse calls the type in its messages


def _add_train_flags(train):
    def flag(name, *more, **kw):
        # word2vec.c's single-dash spelling first, then the --long forms.
        train.add_argument(f"-{name}", f"--{name}", *more, **kw)

    flag("train", required=True, metavar="FILE",
         help="training text: words separated by whitespace, one sentence per line "
              "(gzip, bzip2 and xz files are read too, more slowly)")
    flag("output", metavar="FILE", help="write the word vectors here")
    flag("size", "--vector-size", type=_POSITIVE_INT, default=100, dest="size", metavar="INT",
         help="size of the word vectors (default 100)")
    flag("window", type=_POSITIVE_INT, default=5, metavar="INT",
         help="max skip length between words (default 5)")
    flag("sample", type=_number(float, 0.0), default=1e-3, metavar="FLOAT",
         help="threshold for down-sampling frequent words (default 1e-3, useful range "
              "0 to 1e-5; 0 = off)")
    flag("hs", type=_switch, default=0, metavar="INT",
         help="1 (any nonzero): hierarchical softmax (default 0)")
    flag("negative", type=_COUNT, default=5, metavar="INT",
         help="number of negative examples (default 5, common 3-10; 0 = off)")
    flag("threads", "--workers", type=_POSITIVE_INT, dest="threads", metavar="INT",
         default=min(12, os.cpu_count() or 1),
         help="worker threads (default: word2vec.c's 12, but at most the number of cores, "
              "%(default)s here: more threads than cores only slow training down)")
    flag("iter", "--epochs", type=_POSITIVE_INT, default=5, dest="iter", metavar="INT",
         help="training iterations over the text (default 5)")
    flag("min-count", type=_COUNT, default=5, dest="min_count", metavar="INT",
         help="discard words that occur fewer times (default 5)")
    flag("alpha", type=_number(float, 0.0, strict=True), default=None, metavar="FLOAT",
         help="starting learning rate (default 0.05 for CBOW, 0.025 for skip-gram)")
    flag("binary", type=_switch, default=0, metavar="INT",
         help="1 (any nonzero): write the vectors in binary format (default 0: text)")
    flag("cbow", type=_switch, default=None, metavar="INT",
         help="1 (any nonzero): continuous bag of words (default), 0: skip-gram")
    flag("save-vocab", metavar="FILE", dest="save_vocab",
         help="write the vocabulary here ('word count' per line)")
    flag("read-vocab", metavar="FILE", dest="read_vocab",
         help="take the vocabulary and counts from this file (as written by -save-vocab), "
              "not from the training text")
    flag("debug", type=_COUNT, default=2, metavar="INT",
         help="0: warnings only, 1: summary, 2: progress (default), 3: progress and loss")
    flag("classes", type=_COUNT, default=0, metavar="INT",
         help="write 'word class' lines (K-means into INT classes, as word2vec.c) to -output "
              "instead of the vectors (default 0: vectors)")

    modern = train.add_argument_group("cw2v options")
    modern.add_argument("--sg", action="store_true", help="skip-gram (the same as -cbow 0)")
    modern.add_argument("--softmax", action="store_true",
                        help="add the exact full-softmax output layer (with -negative 0: alone)")
    modern.add_argument("--max-vocab-size", type=_POSITIVE_INT, default=None,
                        dest="max_vocab_size", metavar="INT",
                        help="bound the words held while counting, pruning rare ones as "
                             "word2vec.c does (default: no bound)")
    modern.add_argument("--seed", type=_COUNT, default=1, metavar="INT",
                        help="random seed; with -threads 1 training is reproducible (default 1)")
    modern.add_argument("--save-model", metavar="DIR", dest="save_model",
                        help="also save the whole model as a directory "
                             "(reload with cw2v.Word2Vec.load)")


def _add_vectors_argument(parser):
    parser.add_argument("vectors", metavar="VECTORS",
                        help="word2vec.c text or binary file (told apart by content; GloVe's "
                             "header-less text, gzip, bzip2 and xz too) or a directory saved by "
                             "Word2Vec.save / KeyedVectors.save")
    parser.add_argument("--format", choices=VECTOR_FORMATS, default="auto",
                        help="format of a VECTORS file (default: detect)")


def build_parser() -> argparse.ArgumentParser:
    from cw2v import __version__
    parser = _Parser(
        prog="cw2v", description="Fast compiled word2vec: train word vectors and query them.",
        epilog="Run 'cw2v COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"cw2v {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    parser.commands = {}

    def command(name, func, summary, description, **kw):
        p = sub.add_parser(name, help=summary, description=textwrap.fill(description, 79),
                           allow_abbrev=False,
                           formatter_class=argparse.RawDescriptionHelpFormatter, **kw)
        p.set_defaults(func=func)
        parser.commands[name] = p
        return p

    demo = command("demo", cmd_demo, "train on the bundled corpus and show neighbours",
                   "Train word vectors on the King James Bible shipped with cw2v (790k words, "
                   "a few seconds) and print the nearest neighbours of a few words.")
    demo.add_argument("--epochs", type=_POSITIVE_INT, default=5, help="default 5")
    demo.add_argument("--workers", type=_POSITIVE_INT, default=min(4, os.cpu_count() or 1),
                      help="worker threads (default %(default)s)")
    demo.add_argument("--size", type=_POSITIVE_INT, default=100, help="vector size (default 100)")
    # Skip-gram: on a corpus this small its neighbours are clearly better than
    # CBOW's (king: cyrus, nebuchadnezzar, hezekiah...), in about three seconds.
    demo.add_argument("--sg", type=int, default=1, choices=(0, 1),
                      help="1: skip-gram (default), 0: CBOW")
    demo.add_argument("--seed", type=_COUNT, default=1, help="random seed (default 1)")

    train = command(
        "train", cmd_train, "train vectors on a text file (word2vec.c's flags work)",
        "Train word vectors on a text file.  The flags, their defaults and meanings are "
        "word2vec.c's, so its command lines work unchanged; each flag also has a --long form.",
        epilog="example:\n  cw2v train -train text8 -output vectors.bin -cbow 1 -size 200 "
               "-window 8 \\\n"
               "      -negative 25 -hs 0 -sample 1e-4 -threads 4 -binary 1 -iter 15\n\n"
               "Without -output or --save-model only the vocabulary is counted (and written\n"
               "by -save-vocab), as in word2vec.c.  Progress goes to stderr.")
    _add_train_flags(train)

    similar = command("similar", cmd_similar, "nearest neighbours of words",
                      "Print the words closest (cosine similarity) to each WORD.",
                      epilog="example:\n  cw2v similar vectors.bin king queen --topn 5")
    _add_vectors_argument(similar)
    similar.add_argument("words", nargs="+", metavar="WORD", help="words to look up")
    similar.add_argument("--topn", type=_POSITIVE_INT, default=10,
                         help="neighbours per word (default 10)")

    analogy = command("analogy", cmd_analogy, "A is to B as C is to ?",
                      "Solve 'A is to B as C is to ?': the words closest to B - A + C "
                      "(3CosAdd on unit vectors), excluding A, B and C.",
                      epilog="example:\n  cw2v analogy vectors.bin man king woman")
    _add_vectors_argument(analogy)
    for name in ("a", "b", "c"):
        analogy.add_argument(name, metavar=name.upper())
    analogy.add_argument("--topn", type=_POSITIVE_INT, default=5,
                         help="answers to show (default 5)")

    evaluate = command(
        "evaluate", cmd_evaluate, "analogy accuracy and word-pair correlation",
        "Score vectors on an analogy test set (questions-words.txt format: ': section' "
        "lines, then 'a b c d' questions) and/or a word-pair similarity set "
        "(WordSim-353 / SimLex-999 format: 'word1<TAB>word2<TAB>score').",
        epilog="example:\n  cw2v evaluate vectors.bin --analogies questions-words.txt "
               "--pairs wordsim353.tsv")
    _add_vectors_argument(evaluate)
    evaluate.add_argument("--analogies", metavar="FILE", help="analogy questions file")
    evaluate.add_argument("--pairs", metavar="FILE", help="word-pair similarity file")
    evaluate.add_argument("--delimiter", default="\t",
                          help="field separator of the word-pair file (default: tab)")
    evaluate.add_argument("--restrict-vocab", type=_POSITIVE_INT, default=300000,
                          dest="restrict_vocab", metavar="INT",
                          help="use only the first INT (most frequent) words (default 300000)")
    evaluate.add_argument("--case-sensitive", action="store_true", dest="case_sensitive",
                          help="match test words case-sensitively (default: ignore case)")

    # The other families' commands; imported here because they import this module.
    from cw2v.commands import fasttext, glove, phrases, plot
    for module in (fasttext, glove, phrases, plot):
        module.register(command)
    return parser


def main(argv=None) -> int:
    """Run the command line on `argv` (default: sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # reported by the command's own parser, which names the command
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    level = {0: logging.WARNING, 1: logging.WARNING}.get(getattr(args, "debug", 0), logging.INFO)
    try:
        with _log_to_stderr(level):
            return args.func(args)
    except CommandError as exc:
        error, status = exc, exc.status
    except BrokenPipeError:
        # `cw2v similar ... | head`: the reader left; not worth a message.  Point
        # stdout at devnull so that the flush at exit does not fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyError as exc:
        error, status = exc.args[0] if exc.args else exc, 1
    except (OSError, ValueError, ArithmeticError, MemoryError) as exc:
        error, status = exc, 1
    except KeyboardInterrupt:
        print(f"cw2v {args.command}: interrupted", file=sys.stderr)
        return 130
    message = _one_line(error) or type(error).__name__
    if status == 2:  # a usage error, as argparse's own: point to the flags
        message += f"; see cw2v {args.command} --help"
    print(f"cw2v {args.command}: error: {message}", file=sys.stderr)
    return status
