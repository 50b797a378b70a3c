"""Pictures: word vectors projected to 2-D, and a model's training curves.

matplotlib is an optional extra (``pip install "cw2v[plot]"``); everything
else here is NumPy.  Without an ``ax``, a figure is made: through pyplot
when nothing is saved (so a notebook shows it), else a bare
``matplotlib.figure.Figure`` that needs no display and leaves pyplot alone.
"""
from __future__ import annotations

import math
import os
import tempfile

import numpy as np

INSTALL_HINT = 'pip install "cw2v[plot]"'
WORD_COLOUR, NEIGHBOUR_COLOUR = "#1f4e9c", "#9aa5b8"


class PlotDependencyError(ImportError):
    """matplotlib is not installed."""


def _matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotDependencyError(f"plotting needs matplotlib: {INSTALL_HINT}") from None
    return Figure


def _new_axes(path, figsize, dpi, rows=1):
    """Axes to draw on: see the module for which kind of figure."""
    Figure = _matplotlib()
    if path is None:
        import matplotlib.pyplot as plt
        _, axes = plt.subplots(rows, 1, figsize=figsize, dpi=dpi, squeeze=False)
    else:
        figure = Figure(figsize=figsize, dpi=dpi)
        axes = figure.subplots(rows, 1, squeeze=False)
    return list(axes[:, 0])


def pca_2d(vectors) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``vectors`` (n, dim) on their first two principal axes.

    Returns ``(points (n, 2), explained (2,))``: coordinates, and the share of
    the variance each axis explains.  Each axis is signed so that its largest
    loading is positive (the picture does not flip between runs).  Missing
    axes (fewer than 3 rows, or dim < 2) are zeros.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    centred = vectors - vectors.mean(axis=0)
    points, explained = np.zeros((len(vectors), 2)), np.zeros(2)
    if len(vectors) < 2:
        return points, explained
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(2, len(s))
    signs = np.sign(vt[np.arange(k), np.abs(vt[:k]).argmax(axis=1)])
    signs[signs == 0] = 1
    points[:, :k] = u[:, :k] * s[:k] * signs
    total = float(np.sum(s ** 2))
    if total > 0:
        explained[:k] = s[:k] ** 2 / total
    return points, explained


def check_words(kv, words) -> list:
    """``words`` as a list; KeyError naming every word ``kv`` lacks."""
    words = [words] if isinstance(words, str) else list(words)
    if not words:
        raise ValueError("no words to plot: give at least one")
    missing = [w for w in dict.fromkeys(words) if w not in kv]
    if missing:
        raise KeyError(f"not in the vocabulary: {', '.join(map(repr, missing))}")
    return list(dict.fromkeys(words))


def plot_words(kv, words, path=None, ax=None, neighbours=0, figsize=(8, 6), dpi=100):
    """Draw ``words`` of ``kv`` as labelled points of a 2-D PCA of their vectors.

    ``neighbours``: also each word's that many nearest neighbours (cosine),
    in a lighter colour; the projection is fitted to all points drawn.
    ``path``: save the figure there (format from the suffix).  Returns the Axes.
    """
    words = check_words(kv, words)
    if int(neighbours) != neighbours or neighbours < 0:
        raise ValueError(f"neighbours must be a non-negative integer, got {neighbours!r}")
    extra = []
    for word in words if neighbours else ():
        extra.extend(w for w, _ in kv.most_similar(word, topn=int(neighbours)))
    extra = [w for w in dict.fromkeys(extra) if w not in set(words)]
    keys = words + extra
    points, explained = pca_2d(np.stack([kv.get_vector(k) for k in keys]))
    if ax is None:
        ax = _new_axes(path, figsize, dpi)[0]
    n = len(words)
    ax.scatter(points[n:, 0], points[n:, 1], s=18, color=NEIGHBOUR_COLOUR, zorder=2)
    ax.scatter(points[:n, 0], points[:n, 1], s=36, color=WORD_COLOUR, zorder=3)
    for i, key in enumerate(keys):
        word = i < n
        ax.annotate(key, points[i], xytext=(4, 3), textcoords="offset points",
                    fontsize=11 if word else 8, color=WORD_COLOUR if word else "#5d6a80",
                    fontweight="bold" if word else "normal", zorder=4)
    ax.set_xlabel(f"PC1 ({explained[0]:.0%} of the variance)")
    ax.set_ylabel(f"PC2 ({explained[1]:.0%})")
    ax.set_title(f"{n} words" + (f" and {len(extra)} nearest neighbours" if extra else "")
                 + ", PCA of their vectors")
    ax.grid(True, color="#e5e8ee", zorder=0)
    ax.margins(0.12)
    _save(ax, path)
    return ax


def plot_training(loss_history, training_history, path=None, figsize=(8, 6), dpi=100):
    """Loss per epoch (top) and words per second per epoch (bottom); returns the two Axes.

    ``loss_history``: one number per epoch (NaN where the loss was not
    computed); ``training_history``: one dict per epoch with ``raw_words``
    and ``seconds`` (Word2Vec's attributes of those names).
    """
    if not training_history:
        raise ValueError("the model has no training history: it was never trained")
    epochs = np.arange(1, len(training_history) + 1)
    loss = np.array([np.nan if x is None else x for x in loss_history], dtype=np.float64)
    speed = np.array([h["raw_words"] / h["seconds"] if h.get("seconds") else np.nan
                      for h in training_history])
    top, bottom = _new_axes(path, figsize, dpi, rows=2)
    if len(loss) and np.isfinite(loss).any():
        top.plot(epochs[:len(loss)], loss, marker="o", color=WORD_COLOUR)
    else:
        top.text(0.5, 0.5, "loss not computed\n(train with compute_loss=True, or -debug 3)",
                 ha="center", va="center", transform=top.transAxes, color="#5d6a80")
    top.set_ylabel("training loss")
    top.set_title(f"{len(epochs)} epochs")
    bottom.bar(epochs, speed, color=NEIGHBOUR_COLOUR, edgecolor=WORD_COLOUR)
    bottom.set_ylabel("words per second")
    bottom.set_xlabel("epoch")
    for ax in (top, bottom):
        ax.set_xticks(epochs if len(epochs) <= 20 else epochs[::math.ceil(len(epochs) / 20)])
        ax.grid(True, color="#e5e8ee")
        ax.set_axisbelow(True)
    top.figure.tight_layout()
    _save(top, path)
    return top, bottom


def _save(ax, path):
    """Save the Axes' figure to ``path`` atomically (format from the suffix)."""
    if path is None:
        return
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{name}.",
                                   suffix=os.path.splitext(name)[1] or ".png")
    os.close(fd)
    try:
        ax.figure.savefig(partial, format=os.path.splitext(name)[1][1:] or "png")
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
