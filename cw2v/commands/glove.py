"""``cw2v glove``: Stanford's four programs (vocab_count, cooccur, shuffle, glove) in one.

    cw2v glove -train text.txt -output vectors.txt -size 100 -window 10 -iter 15 -threads 2

Flags take Stanford's names and defaults where they exist (``-vector-size``,
``-window-size``, ``-x-max``, ``-eta``, ``-memory``, ...), each also as a
``--long`` form, with word2vec's ``-size`` and ``-window`` as synonyms.  The
text output is Stanford's layout (``word v1 ... vK``, no header, W + W~);
``-binary 1`` writes word2vec.c's binary format instead.
"""
import os
import sys
import time

from cw2v.cli import (_COUNT, _POSITIVE_INT, CommandError, UsageError, _number,
                      _require_file, _require_writable, _switch)


def register(command):
    """Register ``cw2v glove`` with cw2v.cli's ``command(name, func, summary, description)``."""
    parser = command(
        "glove", cmd_glove, "train GloVe vectors on a text file (Stanford's flags work)",
        "Count word co-occurrences in a text file and train GloVe vectors on them: the work of "
        "Stanford's vocab_count, cooccur, shuffle and glove in one command.",
        epilog="example:\n  cw2v glove -train text8 -output vectors.txt -size 100 -window 10 "
               "-iter 15 -threads 2\n\n"
               "Without -output or --save-model only the counts are made (and written by\n"
               "-save-vocab and -save-cooccurrence, in Stanford's formats).  Progress goes to "
               "stderr.")

    def flag(*names, **kw):
        parser.add_argument(*names, *(f"-{n[2:]}" for n in names if n.startswith("--")), **kw)

    flag("--train", required=True, metavar="FILE",
         help="training text, one document per line (gzip, bzip2 and xz are read too)")
    flag("--output", "--save-file", dest="output", metavar="FILE",
         help="write the word vectors here")
    flag("--size", "--vector-size", dest="size", type=_POSITIVE_INT, default=100, metavar="INT",
         help="vector size (default 100)")
    flag("--window", "--window-size", dest="window", type=_POSITIVE_INT, default=10,
         metavar="INT", help="context words on each side (default 10, the paper's)")
    flag("--min-count", dest="min_count", type=_COUNT, default=5, metavar="INT",
         help="drop words occurring fewer times (default 5)")
    flag("--max-vocab", dest="max_vocab", type=_POSITIVE_INT, default=None, metavar="INT",
         help="keep at most this many words (ties at the cut are dropped)")
    flag("--iter", "--epochs", dest="iter", type=_POSITIVE_INT, default=25, metavar="INT",
         help="training iterations (default 25)")
    flag("--x-max", dest="x_max", type=_number(float, 0.0, strict=True), default=100.0,
         metavar="FLOAT", help="cutoff of the weighting function (default 100)")
    flag("--alpha", type=_number(float, 0.0), default=0.75, metavar="FLOAT",
         help="exponent of the weighting function (default 0.75)")
    flag("--eta", dest="eta", type=_number(float, 0.0, strict=True), default=0.05,
         metavar="FLOAT", help="initial learning rate (default 0.05)")
    flag("--grad-clip", dest="grad_clip", type=_number(float, 0.0, strict=True), default=100.0,
         metavar="FLOAT", help="clip vector-gradient components to [-FLOAT, FLOAT] (default 100)")
    flag("--threads", "--workers", dest="threads", type=_POSITIVE_INT,
         default=min(8, os.cpu_count() or 1), metavar="INT",
         help="worker threads (default: glove's 8, at most the cores: %(default)s here)")
    flag("--memory", type=_number(float, 0.0, strict=True), default=None, metavar="GB",
         help="bound counting's memory, spilling to temporary files (default: no bound)")
    flag("--symmetric", type=_switch, default=1, metavar="INT",
         help="1: left and right context (default), 0: left only")
    flag("--distance-weighting", dest="distance_weighting", type=_switch, default=1,
         metavar="INT", help="1: a pair d words apart counts 1/d (default), 0: counts 1")
    flag("--binary", type=_switch, default=0, metavar="INT",
         help="1: write word2vec.c's binary format (default 0: Stanford's text layout)")
    flag("--save-vocab", dest="save_vocab", metavar="FILE",
         help="write the vocabulary here (Stanford's vocab.txt: 'word count' lines)")
    flag("--save-cooccurrence", dest="save_cooccurrence", metavar="FILE",
         help="write the counts here (Stanford's records: int32, int32, float64)")
    flag("--seed", type=_COUNT, default=1, metavar="INT",
         help="random seed; with -threads 1 training is reproducible (default 1)")
    flag("--verbose", "--debug", dest="debug", type=_COUNT, default=2, metavar="INT",
         help="0: warnings only, 1: summary, 2: progress (default)")
    modern = parser.add_argument_group("cw2v options")
    modern.add_argument("--update", choices=("stanford", "paper"), default="stanford",
                        help="AdaGrad as Stanford's glove.c does it (default) or as the "
                             "paper states it")
    modern.add_argument("--header", action="store_true",
                        help="start the text output with word2vec's 'count size' line")
    modern.add_argument("--save-model", dest="save_model", metavar="DIR",
                        help="also save the whole model (reload with cw2v.GloVe.load)")
    return parser


# The files the command can write: argument name and what it is, for messages.
OUTPUTS = (("output", "vectors file"), ("save_vocab", "vocabulary file"),
           ("save_cooccurrence", "co-occurrence file"), ("save_model", "model directory"))


def _progress_printer(level):
    """print to stderr from verbosity 1 on, else nothing."""
    def say(text):
        if level >= 1:
            print(text, file=sys.stderr, flush=True)
    return say


def _corpus_source(path, line_reader):
    """corpus_file= for plain text (read by the C threads); compressed text is streamed
    through ``line_reader`` (LineSentence), whatever its name says."""
    from cw2v.io.files import file_compression
    if file_compression(path) is None:
        return {"corpus_file": path}
    return {"corpus_iterable": line_reader(path)}


def cmd_glove(args) -> int:
    from cw2v import LineSentence
    from cw2v.io.stanford import write_cooccurrence, write_vocab
    from cw2v.models.glove import GloVe

    _require_file(args.train, "training file")
    outputs = {name: getattr(args, name) for name, _ in OUTPUTS if getattr(args, name)}
    if not outputs:
        raise UsageError("nothing to write: give -output FILE (and/or -save-vocab, "
                         "-save-cooccurrence, --save-model)")
    if args.header and args.binary:
        raise UsageError("--header is for the text output; -binary 1 files always have one")
    for name, what in OUTPUTS:
        if name in outputs:
            _require_writable(outputs[name], what, directory=name == "save_model")
    say = _progress_printer(args.debug)
    source = _corpus_source(args.train, LineSentence)
    model = GloVe(vector_size=args.size, window=args.window, min_count=args.min_count,
                  max_final_vocab=args.max_vocab, symmetric=bool(args.symmetric),
                  distance_weighting=bool(args.distance_weighting), x_max=args.x_max,
                  alpha=args.alpha, learning_rate=args.eta, epochs=args.iter,
                  workers=args.threads, seed=args.seed, memory=args.memory, update=args.update,
                  gradient_clip=args.grad_clip)
    started = time.perf_counter()
    try:
        model.build_vocab(**source)
    except ValueError as exc:       # name the file, unless the message already does
        named = exc if args.train in str(exc) else \
            CommandError(f"training file {args.train!r}: {exc}")
        raise named from None
    say(f"Vocabulary: {len(model.wv)} words of {model.corpus_total_words} tokens "
        f"({time.perf_counter() - started:.1f}s)")
    if args.save_vocab:
        write_vocab(model.vocab, args.save_vocab)
        say(f"Vocabulary written to {args.save_vocab}")
    started = time.perf_counter()
    counts = model.count(**source)
    say(f"Counted {counts.nnz} nonzero co-occurrences ({time.perf_counter() - started:.1f}s)")
    if args.save_cooccurrence:
        write_cooccurrence(counts, args.save_cooccurrence)
        say(f"Co-occurrences written to {args.save_cooccurrence}")
    if not (args.output or args.save_model):
        return 0
    started = time.perf_counter()
    model.train()
    say(f"Trained {args.iter} iterations in {time.perf_counter() - started:.1f}s, "
        f"cost per pair {model.loss_history[-1] / max(counts.nnz, 1):.6f}")
    if args.output:
        model.wv.save_word2vec_format(args.output, binary=bool(args.binary),
                                      write_header=bool(args.binary or args.header))
        say(f"{len(model.wv)} vectors of size {args.size} written to {args.output}")
    if args.save_model:
        model.save(args.save_model)
        say(f"Model saved to {args.save_model} (load with cw2v.GloVe.load)")
    return 0
