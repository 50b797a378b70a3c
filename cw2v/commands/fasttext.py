"""fastText's command line: ``cw2v skipgram|cbow`` and ``cw2v print-word-vectors``.

    cw2v skipgram -input data.txt -output model [-dim 100 -ws 5 -epoch 5 -lr 0.05 ...]
    cw2v print-word-vectors model.bin < queries.txt

Flags, defaults and meanings are Facebook fastText's (``src/args.cc``), so
its command lines work unchanged; training writes ``PREFIX.bin`` (loadable
by the ``fasttext`` package, gensim and :func:`cw2v.load_facebook_model`)
and ``PREFIX.vec`` (text vectors of the vocabulary words).  One difference:
fastText counts each line end as a word ``</s>``; cw2v's file reader does not.
"""
from __future__ import annotations

import sys
import time

from cw2v import cli

LOSSES = ("ns", "hs", "softmax")
_REAL = cli._number(float, 0.0)


def register(command):
    """Register the commands with ``command(name, func, summary, description)`` of cw2v.cli."""
    for name, summary in (("skipgram", "train a fastText skip-gram model (fastText's flags)"),
                          ("cbow", "train a fastText CBOW model (fastText's flags)")):
        parser = command(name, cmd_train, summary,
                         f"Train subword (fastText) vectors with {name}: the flags, defaults and "
                         f"meanings are Facebook fastText's.  Writes PREFIX.bin and PREFIX.vec.",
                         epilog=f"example:\n  cw2v {name} -input data.txt -output model -dim 100 "
                                f"-epoch 5 -thread 4")
        _add_training_flags(parser)
    printer = command("print-word-vectors", cmd_print_word_vectors,
                      "print vectors of the words read from stdin (fastText's)",
                      "Print the vector of every word read from standard input, one line each "
                      "('word v1 v2 ...'), as fastText print-word-vectors does; words outside "
                      "the vocabulary get the mean of their n-gram vectors.",
                      epilog="example:\n  echo 'king queens' | cw2v print-word-vectors model.bin")
    printer.add_argument("model", metavar="MODEL.bin", help="a fastText .bin model")


def _add_training_flags(parser):
    flag = parser.add_argument
    flag("-input", required=True, metavar="FILE", help="training file path")
    flag("-output", required=True, metavar="PREFIX", help="output file path, without extension")
    flag("-lr", type=cli._number(float, 0.0, strict=True), default=0.05,
         help="learning rate [0.05]")
    flag("-dim", type=cli._POSITIVE_INT, default=100, help="size of word vectors [100]")
    flag("-ws", type=cli._POSITIVE_INT, default=5, help="size of the context window [5]")
    flag("-epoch", type=cli._POSITIVE_INT, default=5, help="number of epochs [5]")
    flag("-minCount", type=cli._COUNT, default=5, dest="min_count",
         help="minimal number of word occurrences [5]")
    flag("-neg", type=cli._COUNT, default=5, help="number of negatives sampled [5]")
    flag("-loss", choices=LOSSES, default="ns", help="loss function {ns, hs, softmax} [ns]")
    flag("-minn", type=cli._COUNT, default=3, help="min length of char ngram [3]")
    flag("-maxn", type=cli._COUNT, default=6, help="max length of char ngram [6]")
    flag("-bucket", type=cli._COUNT, default=2000000, help="number of buckets [2000000]")
    flag("-thread", type=cli._POSITIVE_INT, default=12, help="number of threads [12]")
    flag("-t", type=_REAL, default=1e-4, help="sampling threshold [0.0001]")
    flag("-seed", type=cli._COUNT, default=0, help="random seed [0]")
    flag("-verbose", type=cli._COUNT, default=2, help="verbosity level [2]")


def model_settings(args):
    """FastText's keywords for fastText's flags (noise exponent 0.5 and a decay to 0, as fastText)."""
    return dict(sg=int(args.command == "skipgram"), alpha=args.lr, min_alpha=0.0,
                vector_size=args.dim, window=args.ws, epochs=args.epoch,
                min_count=args.min_count, negative=args.neg if args.loss == "ns" else 0,
                hs=int(args.loss == "hs"), softmax=args.loss == "softmax", ns_exponent=0.5,
                min_n=args.minn, max_n=args.maxn, bucket=args.bucket, workers=args.thread,
                sample=args.t, seed=args.seed)


def cmd_train(args) -> int:
    from cw2v import FastText, save_facebook_model
    if args.loss == "ns" and args.neg == 0:
        raise cli.UsageError("-loss ns needs -neg > 0")
    cli._require_file(args.input, "training file")
    if cli.file_compression(args.input) is not None:
        raise cli.CommandError(f"training file {args.input!r} is compressed; fastText's "
                               f"commands read plain text (decompress it first)")
    for path in (args.output + ".bin", args.output + ".vec"):
        cli._require_writable(path, "output file")
    model = FastText(**model_settings(args))
    model.build_vocab(corpus_file=args.input)
    if args.verbose:
        print(f"Read {model.corpus_total_words} words\nNumber of words:  {len(model.wv)}",
              file=sys.stderr, flush=True)
    started = time.perf_counter()
    model.train(corpus_file=args.input, total_words=model.corpus_total_words, epochs=args.epoch)
    seconds = time.perf_counter() - started
    if args.verbose:
        rate = model.corpus_total_words * args.epoch / max(seconds, 1e-9)
        print(f"Trained in {seconds:.1f}s ({rate:,.0f} words/s)", file=sys.stderr, flush=True)
    save_facebook_model(model, args.output + ".bin")
    model.wv.save_word2vec_format(args.output + ".vec", binary=False)
    return 0


def cmd_print_word_vectors(args) -> int:
    from cw2v import load_facebook_vectors
    cli._require_file(args.model, "model file")
    wv = load_facebook_vectors(args.model)
    out = sys.stdout
    for line in sys.stdin:
        for word in line.split():
            # fastText prints each value with 5 significant digits, each followed by a space.
            out.write(word + " " + "".join(f"{x:.5g} " for x in wv[word].tolist()) + "\n")
    out.flush()
    return 0
