"""What a trained Word2Vec answers without training: gensim's predict_output_word, score, estimate_memory.

Each function takes the model and reads its arrays; none changes it.
:class:`cw2v.Word2Vec` exposes them as methods with gensim's signatures.

* :func:`predict_output_word`: the distribution of the centre word given
  context words, from whichever output layer the model has (gensim: negative
  sampling only).
* :func:`score`: the log-probability of each sentence under the
  hierarchical softmax, in compiled code (:mod:`cw2v._kernels.score`),
  batches scored in parallel threads.
* :func:`estimate_memory`: the bytes cw2v itself allocates for a vocabulary
  of a given size, not gensim's layout.
"""
from __future__ import annotations

import logging
import sys
import time
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

import numpy as np

from cw2v._kernels.score import HsScorer
from cw2v.vectors.topk import top_k_rows
from cw2v.vocab.huffman import build_huffman

logger = logging.getLogger(__name__)

LAYERS = ("ns", "softmax", "hs")
# Bytes of the Python structures of one vocabulary word (its str, two list
# slots, two dict entries: the vocabulary's and the vectors', and its count),
# measured on CPython 3.11 for 100,000 8-letter ASCII words (158); used only before
# a vocabulary exists.
_DEFAULT_BYTES_PER_WORD = 160
_trees = weakref.WeakKeyDictionary()  # model -> (counts it was built from, HuffmanCodes)


# ------------------------------------------------------------------ predict_output_word

def predict_output_word(model, context_words_list, topn=10, layer=None):
    """The ``topn`` most probable centre words given the context words, with their probabilities.

    The context vector is the sum of the context words' input vectors (their
    mean with ``cbow_mean``), as a CBOW prediction, whatever the model's
    architecture (as in gensim). ``layer`` picks the output layer: ``"ns"``
    (a softmax over the negative-sampling output vectors, exactly gensim's
    result), ``"softmax"`` (the full softmax the model trained), or ``"hs"``
    (each word's Huffman-path probability, which sums to 1 over the
    vocabulary); by default the first of those the model has.

    Context words may be keys or row numbers; unknown ones are skipped. With
    none known, logs a warning and returns None, as gensim does.

    Returns
    -------
    list of (str, float)
        Up to ``topn`` ``(word, probability)``, most probable first.
    """
    if model.wv is None or not len(model.wv):
        raise RuntimeError("the model has no vocabulary: build and train it first")
    layer = _output_layer(model, layer)
    rows = [model.wv.get_index(word) for word in context_words_list if word in model.wv]
    if not rows:
        logger.warning("none of the context words %r is in the vocabulary", list(context_words_list)[:10])
        return None
    hidden = model.wv.vectors[rows].sum(axis=0, dtype=np.float64)
    if model.cbow_mean:
        hidden /= len(rows)
    log_probabilities = _log_probabilities(model, layer, hidden)
    probabilities = np.exp(log_probabilities - log_probabilities.max())
    probabilities /= probabilities.sum()
    top, values = top_k_rows(probabilities[None, :], int(topn))
    keys = model.wv.index_to_key
    return [(keys[i], value) for i, value in zip(top[0].tolist(), values[0].tolist())]


def _output_layer(model, layer):
    available = [name for name, on in zip(LAYERS, (model.negative, model.softmax, model.hs)) if on]
    if layer is None:
        return available[0]
    if layer not in available:
        raise ValueError(f"layer={layer!r}: this model's output layers are {available} "
                         f"(choose from {list(LAYERS)})")
    return layer


def _log_probabilities(model, layer, hidden):
    """float64 (V,): log p(word | hidden) up to a constant, for one output layer."""
    if layer == "ns":
        return model.w_out_ns.astype(np.float64) @ hidden
    if layer == "softmax":
        return model.w_out_softmax.astype(np.float64) @ hidden
    tree = huffman_tree(model)
    node_logits = model.w_out_hs.astype(np.float64) @ hidden
    signed = np.where(tree.codes == 0, 1.0, -1.0) * node_logits[tree.points]
    log_sigmoids = -np.logaddexp(0.0, -signed)
    return np.add.reduceat(log_sigmoids, tree.offsets[:-1])  # every path has at least one node


def huffman_tree(model):
    """The model's Huffman tree (:func:`cw2v.vocab.huffman.build_huffman` of its counts), cached.

    The tree is a function of the counts, so it is rebuilt only when they change.
    """
    counts = model.wv.counts
    cached = _trees.get(model)
    if cached is not None and np.array_equal(cached[0], counts):
        return cached[1]
    tree = build_huffman(counts)
    _trees[model] = (np.array(counts), tree)
    return tree


# ------------------------------------------------------------------ score

def score(model, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2, report_delay=1):
    """Log-probability of each sentence under the model's hierarchical softmax.

    As gensim's ``Word2Vec.score``: every prediction training would make,
    with the full window and without subsampling; unknown words are skipped
    (a sentence without known words scores 0.0); at most ``total_sentences``
    sentences are scored (a warning when there are more). Batches of
    ``chunksize`` sentences are scored by ``model.workers`` threads in
    compiled code, at most ``queue_factor * workers`` batches ahead.

    Returns
    -------
    numpy.ndarray, float64, shape (n,)
        One log-probability per sentence scored, in corpus order. gensim sums
        in float32 and reads log-sigmoids from a table (see
        :mod:`cw2v._kernels.score` for how that differs).
    """
    if model.wv is None or not len(model.wv):
        raise RuntimeError("you must first build the vocabulary (and train) before scoring sentences")
    if not model.hs:
        raise RuntimeError("score is defined for hierarchical softmax only: train the model with hs=1 "
                           "(and negative=0 if it should learn that layer alone)")
    chunksize = max(1, int(chunksize))
    tree = huffman_tree(model)
    scorer = HsScorer(model.wv.vectors, model.w_out_hs, tree.codes, tree.points, tree.offsets,
                      model.window, bool(model.sg), bool(model.cbow_mean))
    index = model.wv.key_to_index
    limit, workers = int(total_sentences), max(1, int(model.workers))
    sentence_iter = iter(sentences)
    results, pending, taken = [], deque(), 0
    started = last_report = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while taken < limit:
            chunk = list(islice(sentence_iter, min(chunksize, limit - taken)))
            if not chunk:
                break
            taken += len(chunk)
            pending.append(pool.submit(scorer.score, *_as_ids(chunk, index)))
            if len(pending) >= queue_factor * workers:  # bounds the batches held in memory
                results.append(pending.popleft().result())
            if time.perf_counter() - last_report >= report_delay:
                last_report = time.perf_counter()
                logger.info("scoring: %i sentences read, %.0f sentences/s", taken,
                            taken / (last_report - started))
        results.extend(future.result() for future in pending)
    if taken == limit and next(sentence_iter, None) is not None:
        logger.warning("stopped after total_sentences=%i sentences; pass a larger total_sentences to "
                       "score them all", limit)
    logger.info("scored %i sentences in %.1fs", taken, time.perf_counter() - started)
    return np.concatenate(results) if results else np.zeros(0, np.float64)


def _as_ids(sentences, index):
    """(int32 ids, int64 sentence ends) of the known words of ``sentences``."""
    ids, ends = [], []
    for sentence in sentences:
        ids.extend(i for i in map(index.get, sentence) if i is not None)
        ends.append(len(ids))
    return np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int64)


# ------------------------------------------------------------------ estimate_memory

def estimate_memory(model, vocab_size=None, report=None):
    """Bytes cw2v allocates for the model's settings and ``vocab_size`` words (default: its vocabulary).

    Keys are gensim's where the array is the same (``vectors``; ``syn1neg``,
    ``syn1``: cw2v's ``w_out_ns``, ``w_out_hs``) plus cw2v's own:
    ``w_out_softmax``, ``vocab`` (the words' Python objects and counts),
    ``tables`` (subsampling thresholds, noise alias table, Huffman paths:
    built for each ``train`` call), and ``total``. For the model's own
    vocabulary the vocabulary and Huffman figures are measured on the real
    objects; for another size they are scaled from them (or, before any
    vocabulary exists, taken as about 160 bytes a word and paths of
    log2(size) nodes). Worker threads add a few hundred kilobytes of
    scratch each, not counted.
    """
    known = len(model.wv) if model.wv is not None and model.wv.counts is not None else 0
    vocab_size = int(vocab_size or known)
    floats = 4 * vocab_size * model.vector_size
    report = dict(report or {})
    if known:
        report["vocab"] = round(_vocabulary_bytes(model) * vocab_size / known)
    else:
        report["vocab"] = vocab_size * _DEFAULT_BYTES_PER_WORD
    report["vectors"] = floats
    if model.negative:
        report["syn1neg"] = floats
    if model.hs:
        report["syn1"] = 4 * max(vocab_size - 1, 0) * model.vector_size
    if model.softmax:
        report["w_out_softmax"] = floats
    report["tables"] = _table_bytes(model, vocab_size, known)
    report["total"] = sum(value for key, value in report.items() if key != "total")
    logger.info("estimated memory for %i words and %i dimensions: %i bytes", vocab_size, model.vector_size,
                report["total"])
    return report


def _vocabulary_bytes(model):
    """The vocabulary's Python objects as they are: key strings, key lists, index dicts, counts arrays."""
    holders = {id(holder): holder for holder in (model.wv.index_to_key, model.wv.key_to_index)}
    arrays = {id(model.wv.counts): model.wv.counts}
    vocab = getattr(model, "vocab", None)  # cw2v's Vocabulary, when the model keeps one
    for name in ("index_to_key", "key_to_index"):
        if hasattr(vocab, name):
            holders[id(getattr(vocab, name))] = getattr(vocab, name)
    if getattr(vocab, "counts", None) is not None:
        arrays[id(vocab.counts)] = vocab.counts
    return (sum(map(sys.getsizeof, model.wv.index_to_key)) + sum(map(sys.getsizeof, holders.values()))
            + sum(array.nbytes for array in arrays.values()))


def _table_bytes(model, vocab_size, known):
    total = 0
    if model.sample:
        total += 4 * vocab_size  # uint32 keep threshold per word
    if model.negative:
        total += 8 * vocab_size  # uint32 accept + int32 alias per word
    if model.hs and vocab_size > 1:
        if known > 1:
            path_nodes = round(huffman_tree(model).offsets[-1] * vocab_size / known)
        else:
            path_nodes = round(vocab_size * np.log2(vocab_size))
        total += 5 * path_nodes + 8 * (vocab_size + 1)  # uint8 code + int32 point per node, int64 offsets
    return int(total)
