"""The GloVe model: co-occurrence counts, then AdaGrad on log-counts (Pennington et al., 2014).

    model = GloVe(corpus_file="text.txt", vector_size=100, window=10, epochs=25)
    model.wv.most_similar("king")
    model.cooccurrence                  # scipy.sparse CSR, V x V float64, wv's order
    model.ppmi(); model.svd_vectors(100)    # count-based vectors from the same counts

Two passes over the corpus: the vocabulary scan, then the pair counts (the
rule of Stanford's ``cooccur``: see cw2v/models/glove_counting.py and
src_c/cooccur.h).  Training then runs ``epochs`` passes over the nonzero
counts in a fresh seeded order each, ``workers`` threads on disjoint slices
(cw2v/_kernels/glove.pyx, which also documents where Stanford's glove.c
departs from the paper).  The default update is glove.c's (``update="stanford"``,
the code behind the paper's results); ``update="paper"`` is AdaGrad as the
paper's text states it, one learning rate for vectors and biases alike.  On
the 100 MB benchmark corpus the paper's rule reached 10.4% analogy accuracy
after 15 epochs where glove.c's rule reaches Stanford's 19%: its one rate of
0.05 lets the biases absorb the log-counts slowly and decays fast, while
glove.c's steps the biases at rate 1 and, with eta inside the accumulator,
keeps the vectors' rate near 0.05 much longer.

Weights, all float32: word vectors W and context vectors W~ (V x K), their
biases b and b~ (V), and an AdaGrad accumulator for each.  Each word's
vector, accumulator and bias share one row of a table (one for words, one
for contexts), so a training step touches two regions of memory rather than
eight; ``word_vectors``, ``context_vectors``, ``word_biases`` and
``context_biases`` are views into those tables.  ``wv`` holds W + W~ (the
paper's choice and glove.c's default), or W or W~ alone (``vectors=``).
"""
from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from cw2v._kernels.glove import VARIANTS, AdaGradTrainer, pairs_from_csr
from cw2v.io.corpus import DEFAULT_MAX_SENTENCE_LENGTH
from cw2v.models.glove_counting import count_cooccurrence
from cw2v.train.base import EmbeddingModel, check_int, check_real
from cw2v.train.progress import EpochProgress, progress_bar
from cw2v.train.runner import Tally, run_epoch
from cw2v.vectors import countbased
from cw2v.vectors.keyedvectors import KeyedVectors
from cw2v.vocab.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

MODEL_KIND = "cw2v.GloVe"
WV_CHOICES = ("sum", "word", "context")
_ROW_ALIGN = 16             # floats: table rows start on a 64-byte cache line
_WORD, _CONTEXT = 0, 1      # the two sides: indices into GloVe._tables


class PairSliceJob:
    """Positions [begin, end) of one epoch's order of the pairs, for one thread.

    ``epoch_key`` keys that order's permutation (train_slice's ``epoch``)."""

    def __init__(self, trainer, epoch_key, begin, end):
        self.trainer, self.epoch_key, self.begin, self.end = trainer, epoch_key, begin, end

    def run(self, trainer, worker, seed) -> Tally:
        loss, trained, skipped = trainer.train_slice(worker, seed, self.epoch_key, self.begin,
                                                     self.end)
        if skipped:
            logger.warning("%i pairs skipped: their cost was not finite", skipped)
        return Tally(loss=loss, predictions=trained, words_trained=trained)

    def progress(self, worker):
        return Tally(predictions=int(self.trainer.progress_of(worker)))

    def stop(self, worker):
        self.trainer.stop_requested = True


class GloVe(EmbeddingModel):
    """GloVe word vectors, trained in one call from a corpus or from counts.

    Parameters (the first ones are Stanford's, with its meanings)
    ----------
    sentences, corpus_file
        The corpus: an iterable of token lists, or a plain-text file read by
        ``workers`` threads in C.  Without one, call ``build_vocab``,
        ``count`` and ``train`` yourself (or use :meth:`from_cooccurrence`).
    vector_size, window, min_count, max_vocab_size, max_final_vocab
        As in Word2Vec; ``window`` words on each side (Stanford's 15 is
        ``cooccur``'s default, 10 the paper's).
    symmetric, distance_weighting
        Count left and right context (else the left only); weight a pair d
        words apart by 1/d (else 1).
    x_max, alpha
        The weighting function f(x) = min(1, (x / x_max) ** alpha).
    learning_rate
        AdaGrad's initial rate, eta (0.05).
    epochs, workers, seed
        Passes over the counts, threads, and the seed of the initial weights
        and of each epoch's order (one worker: bit-identical runs).
    memory
        None, or a bound in GB on counting's memory (Stanford's ``-memory``):
        pairs spill to temporary files and are merged, with the same counts.
    callbacks, progress
        As in Word2Vec (callbacks see each epoch end; progress needs tqdm).

    cw2v's own keywords (keyword-only)
    ----------
    update : "stanford" or "paper"
        glove.c's AdaGrad (the default), or AdaGrad as the paper states it
        (see above and cw2v/_kernels/glove.pyx).
    gradient_clip : float
        Every component of the vector gradients is clipped to [-clip, clip]
        (glove.c: 100); the bias gradient too under update='paper' (glove.c
        does not clip it).
    vectors : "sum", "word" or "context"
        What ``wv`` holds: W + W~, W or W~.
    temp_dir, batch_words, max_sentence_length, sorted_vocab, trim_rule, report_delay
        Where spilled pairs go, and the usual corpus and vocabulary settings.
    """

    KIND = MODEL_KIND
    _RATE_PARAM = "learning_rate"
    _PARAMS = ("vector_size", "window", "min_count", "max_vocab_size", "max_final_vocab",
               "symmetric", "distance_weighting", "x_max", "alpha", "learning_rate", "epochs",
               "workers", "seed", "memory", "update", "gradient_clip", "vectors",
               "sorted_vocab", "batch_words", "max_sentence_length")
    _FLAGS = ("symmetric", "distance_weighting", "sorted_vocab")

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, window=10, min_count=5,
                 max_vocab_size=None, max_final_vocab=None, symmetric=True,
                 distance_weighting=True, x_max=100.0, alpha=0.75, learning_rate=0.05,
                 epochs=25, workers=3, seed=1, memory=None, callbacks=(), progress=False, *,
                 update="stanford", gradient_clip=100.0, vectors="sum", temp_dir=None,
                 batch_words=10000, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH,
                 sorted_vocab=True, trim_rule=None, report_delay=1.0):
        super().__init__(vector_size=vector_size, min_count=min_count,
                         max_vocab_size=max_vocab_size, max_final_vocab=max_final_vocab,
                         seed=seed, workers=workers, epochs=epochs, sorted_vocab=sorted_vocab,
                         trim_rule=trim_rule, callbacks=callbacks, compute_loss=True,
                         max_sentence_length=max_sentence_length, progress=progress,
                         report_delay=report_delay)
        self.window = check_int("window", window, 1)
        self.symmetric = bool(symmetric)
        self.distance_weighting = bool(distance_weighting)
        self.x_max = check_real("x_max", x_max, 0.0, strict=True)
        self.alpha = check_real("alpha", alpha, 0.0)
        self.learning_rate = check_real("learning_rate", learning_rate, 0.0, strict=True)
        self.gradient_clip = check_real("gradient_clip", gradient_clip, 0.0, strict=True)
        self.memory = None if memory is None else check_real("memory", memory, 0.0, strict=True)
        self.batch_words = check_int("batch_words", batch_words, 1)
        if update not in VARIANTS:
            raise ValueError(f"update must be one of {VARIANTS}, got {update!r}")
        if vectors not in WV_CHOICES:
            raise ValueError(f"vectors must be one of {WV_CHOICES}, got {vectors!r}")
        self.update, self.vectors, self.temp_dir = update, vectors, temp_dir
        self.cooccurrence = None            # CSR, V x V float64, once counted
        self.count_stats = None
        self._tables = None                 # (word table, context table)
        self._fit_if_given(sentences, corpus_file)

    # ------------------------------------------------------------------ weights

    def _row_width(self):
        k = self.vector_size
        return -(-(2 * k + 2) // _ROW_ALIGN) * _ROW_ALIGN

    def _new_table(self, rows, rng):
        """Rows of [vector (K) | accumulators (K) | bias | bias accumulator | padding]:
        vectors and biases uniform in +-0.5/K (glove.c), accumulators 1."""
        k, width = self.vector_size, self._row_width()
        raw = np.zeros(rows * width + _ROW_ALIGN, dtype=np.float32)
        skip = (-raw.ctypes.data // 4) % _ROW_ALIGN          # align the first row to 64 bytes
        table = raw[skip:skip + rows * width].reshape(rows, width)
        table[:, :k] = (rng.random((rows, k), dtype=np.float32) - np.float32(0.5)) / np.float32(k)
        table[:, 2 * k] = (rng.random(rows, dtype=np.float32) - np.float32(0.5)) / np.float32(k)
        table[:, k:2 * k] = 1.0
        table[:, 2 * k + 1] = 1.0
        return table

    def _allocate_weights(self, old_size):
        """New rows drawn from (seed, old_size); old rows kept after a vocabulary update."""
        V = len(self.vocab)
        rng = np.random.default_rng([self.seed, old_size])
        tables = []
        for side in (_WORD, _CONTEXT):
            table = self._new_table(V, rng)
            if old_size and self._tables is not None:
                table[:old_size] = self._tables[side][:old_size]
            tables.append(table)
        self._tables = tuple(tables)
        if old_size == 0 or (self.cooccurrence is not None and self.cooccurrence.shape[0] != V):
            self.cooccurrence = None        # counts of another vocabulary: count again
        self.wv = KeyedVectors.from_arrays(self.vocab.index_to_key, self._wv_vectors(),
                                           counts=self.vocab.counts)

    def _view(self, side, column):
        k, table = self.vector_size, self._tables[side]
        return {"vectors": table[:, :k], "gradsq": table[:, k:2 * k], "bias": table[:, 2 * k],
                "bias_gradsq": table[:, 2 * k + 1]}[column]

    @property
    def word_vectors(self):
        """W (V x K, a view into the word table)."""
        return self._view(_WORD, "vectors")

    @property
    def context_vectors(self):
        """W~ (V x K, a view into the context table)."""
        return self._view(_CONTEXT, "vectors")

    @property
    def word_biases(self):
        return self._view(_WORD, "bias")

    @property
    def context_biases(self):
        return self._view(_CONTEXT, "bias")

    def _wv_vectors(self):
        if self.vectors == "word":
            return np.ascontiguousarray(self.word_vectors)
        if self.vectors == "context":
            return np.ascontiguousarray(self.context_vectors)
        with np.errstate(invalid="ignore", over="ignore"):     # divergence is reported after
            return self.word_vectors + self.context_vectors

    def _refresh_wv(self):
        self.wv.vectors[...] = self._wv_vectors()
        self.wv.invalidate_norms()

    def _matrices(self):
        if self._tables is None:
            return {}
        return {"word_table": self._tables[_WORD], "context_table": self._tables[_CONTEXT]}

    def _saved_arrays(self):
        arrays = dict(self._matrices())
        if self.cooccurrence is not None:
            arrays.update(cooccurrence_indptr=self.cooccurrence.indptr,
                          cooccurrence_indices=self.cooccurrence.indices,
                          cooccurrence_data=self.cooccurrence.data)
        return arrays

    def _restore_weights(self, arrays, damaged):
        V, width = len(self.vocab), self._row_width()
        tables = []
        for name in ("word_table", "context_table"):
            if name not in arrays or arrays[name].shape != (V, width):
                shape = arrays[name].shape if name in arrays else None
                raise damaged(f"{name} should have shape ({V}, {width}), found {shape}")
            tables.append(np.array(arrays[name], dtype=np.float32))
        self._tables = tuple(tables)
        self.wv = KeyedVectors.from_arrays(self.vocab.index_to_key, self._wv_vectors(),
                                           counts=self.vocab.counts)
        parts = [arrays.get(f"cooccurrence_{name}") for name in ("indptr", "indices", "data")]
        if all(part is not None for part in parts):
            try:
                self.cooccurrence = _checked_counts(
                    sp.csr_matrix((np.asarray(parts[2]), np.asarray(parts[1]),
                                   np.asarray(parts[0])), shape=(V, V)), V)
            except ValueError as err:
                raise damaged(f"its co-occurrence counts are inconsistent ({err})") from None
        elif any(part is not None for part in parts):
            raise damaged("it holds part of the co-occurrence matrix")

    # ------------------------------------------------------------------ counting

    def count(self, corpus_iterable=None, corpus_file=None):
        """Count the corpus's word pairs into ``model.cooccurrence`` (and return it).

        Stanford's ``cooccur`` rule over the model's vocabulary; with
        ``memory`` set, in that bound.  Statistics land in ``count_stats``.
        """
        if self.vocab is None:
            raise RuntimeError("the model has no vocabulary: call build_vocab(corpus) first")
        corpus = self._corpus(corpus_iterable, corpus_file, passes_needed=1)
        file_mode = corpus_file is not None
        self.cooccurrence, self.count_stats = count_cooccurrence(
            None if file_mode else corpus, corpus if file_mode else None,
            index_to_key=self.wv.index_to_key,
            max_word_count=max(self.vocab.raw_word_count, int(self.vocab.counts.sum()), 1),
            window=self.window, symmetric=self.symmetric,
            distance_weighting=self.distance_weighting, workers=self.workers,
            memory=self.memory, temp_dir=self.temp_dir, batch_words=self.batch_words,
            max_sentence_length=self.max_sentence_length)
        stats = self.count_stats
        logger.info("counted %i word pairs (%.1f%% in the dense blocks) into %i nonzero counts "
                    "in %.1fs", stats["pairs"],
                    100.0 * stats["dense_pairs"] / max(stats["pairs"], 1), stats["nonzeros"],
                    stats["seconds"])
        return self.cooccurrence

    @classmethod
    def from_cooccurrence(cls, matrix, words, counts=None, **params):
        """Train on counts made elsewhere: a V x V matrix (scipy sparse or array) whose
        rows and columns are ``words``, e.g. from cw2v.io.stanford.read_cooccurrence.

        ``counts`` (word frequencies, optional) go to the vocabulary.
        ``params`` are GloVe's keywords; training starts at once.
        """
        if "sentences" in params or "corpus_file" in params:
            raise TypeError("from_cooccurrence trains on the given counts: no corpus")
        model = cls(**params)
        words = list(words)
        matrix = _checked_counts(matrix, len(words))
        counts = np.zeros(len(words), dtype=np.int64) if counts is None else counts
        model.build_vocab_from_vocabulary(Vocabulary(words, counts, min_count=0,
                                                     sorted_vocab=False))
        model.cooccurrence = matrix
        model.train()
        return model

    # ------------------------------------------------------------------ training

    def train(self, corpus_iterable=None, corpus_file=None, epochs=None, callbacks=None,
              report_delay=None, total_examples=None, total_words=None, compute_loss=None,
              **kwargs):
        """Train ``epochs`` passes over the counts; returns (pairs trained, 0).

        Given a corpus, its pairs are counted first (replacing
        ``cooccurrence``).  ``total_examples``, ``total_words`` and
        ``compute_loss`` are accepted for Word2Vec's call signature and
        ignored: GloVe's work is the pairs, and its loss is always kept
        (``loss_history``: the summed cost 1/2 f(X) diff^2 of each epoch).
        """
        if kwargs.pop("sentences", None) is not None:
            raise TypeError("train takes corpus_iterable (gensim 4's name), not sentences")
        if kwargs:
            raise TypeError(f"unexpected keyword arguments: {sorted(kwargs)}")
        self._check_trainable()
        if corpus_iterable is not None or corpus_file is not None:
            self.count(corpus_iterable, corpus_file)
        if self.cooccurrence is None:
            raise RuntimeError("no co-occurrence counts to train on: pass the corpus to "
                               "train(), call count(corpus) first, or use from_cooccurrence")
        epochs = self.epochs if epochs is None else check_int("epochs", epochs, 1)
        callbacks = self.callbacks if callbacks is None else tuple(callbacks)
        report_delay = self.report_delay if report_delay is None else float(report_delay)
        trainer = self._make_trainer()
        n = trainer.n_pairs
        logger.info("training GloVe on %i nonzero counts of %i words: vector_size=%i, "
                    "%i epochs, %i workers, update=%s", n, len(self.wv), self.vector_size,
                    epochs, self.workers, self.update)

        def train_one_epoch(epoch):
            epoch_key = self.epochs_trained     # a fresh order for every epoch ever trained
            cuts = [n * w // self.workers for w in range(self.workers + 1)]
            jobs = [PairSliceJob(trainer, epoch_key, cuts[w], cuts[w + 1])
                    for w in range(self.workers) if cuts[w + 1] > cuts[w]]
            report = _EpochProgress(epoch, epochs, n, self.progress)
            result = run_epoch(trainer, jobs, epoch=epoch, threads=max(len(jobs), 1),
                               seed=self.seed, report=report, report_delay=report_delay)
            report.close(result)
            self._refresh_wv()
            return result

        return self._train_epochs(epochs, train_one_epoch, callbacks=callbacks,
                                  compute_loss=True, mode="pairs")

    def _make_trainer(self):
        counts = self.cooccurrence
        pairs = pairs_from_csr(counts.indptr, counts.indices, counts.data, self.x_max, self.alpha)
        return AdaGradTrainer(
            word_vectors=self._view(_WORD, "vectors"),
            context_vectors=self._view(_CONTEXT, "vectors"),
            word_biases=self._view(_WORD, "bias"), context_biases=self._view(_CONTEXT, "bias"),
            word_gradsq=self._view(_WORD, "gradsq"),
            context_gradsq=self._view(_CONTEXT, "gradsq"),
            word_bias_gradsq=self._view(_WORD, "bias_gradsq"),
            context_bias_gradsq=self._view(_CONTEXT, "bias_gradsq"),
            pairs=pairs, learning_rate=self.learning_rate, gradient_clip=self.gradient_clip,
            variant=self.update, workers=self.workers)

    # ------------------------------------------------------------------ count-based vectors

    def _require_counts(self):
        if self.cooccurrence is None:
            raise RuntimeError("no co-occurrence counts: count(corpus) first")
        return self.cooccurrence

    def ppmi(self, smoothing=0.75, shift=1):
        """Positive (shifted) PMI rows of the counts: a V x V CSR matrix in wv's order
        (see cw2v.vectors.countbased.ppmi; query with countbased.most_similar_rows)."""
        return countbased.ppmi(self._require_counts(), smoothing=smoothing, shift=shift)

    def svd_vectors(self, k, eigenvalue_weight=0.5, *, smoothing=0.75, shift=1):
        """KeyedVectors of the truncated SVD of :meth:`ppmi` (U_k * S_k ** eigenvalue_weight)."""
        return countbased.svd_vectors(self._require_counts(), self.wv.index_to_key, k,
                                      eigenvalue_weight, smoothing=smoothing, shift=shift,
                                      seed=self.seed, word_counts=self.vocab.counts)

    def __repr__(self):
        return (f"GloVe<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"window={self.window}, update={self.update}>")


def _checked_counts(matrix, size):
    """``matrix`` as a canonical V x V float64 CSR matrix of positive counts, or ValueError."""
    counts = countbased.as_count_matrix(matrix, size)
    counts.sum_duplicates()
    counts.eliminate_zeros()
    return counts


class _EpochProgress(EpochProgress):
    """An epoch's progress in pairs: pairs per second and cost per pair, a tqdm bar if asked."""

    def __init__(self, epoch, epochs, n_pairs, bar):
        super().__init__(epoch=epoch, epochs=epochs, per_epoch=n_pairs,
                         units=lambda tally: tally.predictions, alpha=None, compute_loss=True,
                         bar=progress_bar(bar, epoch, n_pairs, "pairs"))

    def __call__(self, report):
        done = report.tally.predictions
        logger.info("epoch %i/%i: %.1f%% of the pairs, %.0f pairs/s", self.epoch + 1,
                    self.epochs, 100.0 * done / max(self.per_epoch, 1),
                    done / max(report.seconds, 1e-9))
        self._advance(done)

    def close(self, report):
        tally = report.tally
        self._advance(tally.predictions)
        if self.bar is not None:
            self.bar.close()
        logger.info("epoch %i/%i: %i pairs in %.1fs (%.0f pairs/s), cost %.6g (%.6f per pair)",
                    self.epoch + 1, self.epochs, tally.predictions, report.seconds,
                    tally.predictions / max(report.seconds, 1e-9), tally.loss,
                    tally.loss / max(tally.predictions, 1))
