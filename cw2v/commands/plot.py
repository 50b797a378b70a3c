"""``cw2v plot`` and ``cw2v plot-loss``: pictures of vectors and of training.

    cw2v plot vectors.bin king queen man woman --neighbours 5 --output words.png
    cw2v plot-loss model_dir --output loss.png

matplotlib is the optional extra ``cw2v[plot]``; without it both commands
say how to install it.
"""
from __future__ import annotations

from cw2v.cli import (CommandError, _add_vectors_argument, _check_words, _number,
                      _require_file, _require_writable, load_vectors)

_PIXELS = _number(int, 50)
_DPI = 100


def register(command) -> None:
    plot = command(
        "plot", run_plot, "draw words as points of a 2-D projection (PNG)",
        "Draw the words' vectors projected to 2-D (PCA), as labelled points; with "
        "--neighbours N each word's N nearest neighbours are added in a lighter colour.",
        epilog='example:\n  cw2v plot vectors.bin king queen man woman --neighbours 3 '
               '--output words.png\n\nNeeds matplotlib: pip install "cw2v[plot]"')
    _add_vectors_argument(plot)
    plot.add_argument("words", nargs="+", metavar="WORD", help="words to draw")
    plot.add_argument("--neighbours", "--neighbors", type=_number(int, 0), default=0,
                      metavar="N", help="also draw each word's N nearest neighbours (default 0)")
    _add_picture_arguments(plot)

    loss = command(
        "plot-loss", run_plot_loss, "draw a model's loss and speed per epoch (PNG)",
        "Draw the training loss of each epoch (recorded when the model was trained with "
        "compute_loss=True, or cw2v train -debug 3) and the words per second of each epoch, "
        "from a model directory saved by Word2Vec.save or cw2v train --save-model.",
        epilog='example:\n  cw2v plot-loss model_dir --output loss.png\n\n'
               'Needs matplotlib: pip install "cw2v[plot]"')
    loss.add_argument("model", metavar="MODEL", help="directory saved by Word2Vec.save")
    _add_picture_arguments(loss)


def _add_picture_arguments(parser) -> None:
    parser.add_argument("--output", "-o", required=True, metavar="FILE",
                        help="picture to write; PNG, or SVG / PDF by the suffix")
    parser.add_argument("--width", type=_PIXELS, default=800, metavar="PIXELS",
                        help="default 800")
    parser.add_argument("--height", type=_PIXELS, default=600, metavar="PIXELS",
                        help="default 600")


def _plotting():
    """cw2v.vectors.plot, or a one-line error saying how to get matplotlib."""
    from cw2v.vectors import plot
    try:
        plot._matplotlib()
    except plot.PlotDependencyError as exc:
        raise CommandError(str(exc)) from None
    return plot


def _figure_options(args) -> dict:
    return {"figsize": (args.width / _DPI, args.height / _DPI), "dpi": _DPI}


def run_plot(args) -> int:
    plot = _plotting()
    _require_writable(args.output, "picture")
    kv = load_vectors(args.vectors, args.format)
    _check_words(kv, args.words)
    plot.plot_words(kv, args.words, path=args.output, neighbours=args.neighbours,
                    **_figure_options(args))
    print(f"{len(dict.fromkeys(args.words))} words drawn to {args.output}")
    return 0


def run_plot_loss(args) -> int:
    from cw2v import Word2Vec
    plot = _plotting()
    _require_file(args.model, "model directory", directory_ok=True)
    _require_writable(args.output, "picture")
    model = Word2Vec.load(args.model, mmap="r")
    plot.plot_training(model.loss_history, model.training_history, path=args.output,
                       **_figure_options(args))
    print(f"{len(model.training_history)} epochs drawn to {args.output}")
    return 0
