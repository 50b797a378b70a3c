"""The Word2Vec model: vocabulary, weights and training, with gensim 4's API.

Matrices (all float32, one row per word; word2vec.c's names in brackets):

* ``model.wv.vectors``: input word vectors, V x K [syn0].  These are "the"
  word vectors that queries use.
* ``model.w_out_ns``: output word vectors of negative sampling, V x K
  [syn1neg]; ``model.syn1neg`` is the same array (gensim's name).
* ``model.w_out_hs``: output vectors of the V-1 inner nodes of the Huffman
  tree, (V-1) x K [syn1]; ``model.syn1`` is the same array.
* ``model.w_out_softmax``: output word vectors of the full softmax, V x K.

An output matrix is ``None`` when its layer is off.  The output matrix in the
K x V orientation of the textbooks is the transpose, e.g. ``model.w_out_ns.T``
(a view, no copy).  ``model.output_vectors()`` wraps an output matrix in a
KeyedVectors so that it can be queried like the input vectors.
"""
from __future__ import annotations

import logging
import math
from typing import Optional

import numpy as np

from cw2v._kernels.textfile import WordHash, split_ranges
from cw2v._kernels.train import Trainer
from cw2v.io.corpus import DEFAULT_MAX_SENTENCE_LENGTH, iter_id_batches
from cw2v.train.base import EmbeddingModel, check_alpha_order, check_int, check_real
from cw2v.train.progress import EpochProgress, progress_bar
from cw2v.train.runner import BatchJob, RangeJob, Schedule, run_epoch
from cw2v.models import word2vec_queries
from cw2v.vectors.attributes import carry_attributes
from cw2v.vectors.keyedvectors import KeyedVectors
from cw2v.vocab.huffman import build_huffman
from cw2v.vocab.sampling import build_noise_table, keep_thresholds

logger = logging.getLogger(__name__)

MODEL_KIND = "cw2v.Word2Vec"


class Word2Vec(EmbeddingModel):
    """Word2vec embeddings: CBOW or skip-gram, with negative sampling,
    hierarchical softmax and/or the exact full softmax.

    Keywords, their meanings and their positional order are gensim 4's
    ``Word2Vec``; switching is a change of import.  Of gensim's keywords,
    ``hashfxn`` is ignored (cw2v seeds its initial vectors from ``seed``
    alone and hashes no words; a non-default one logs a warning),
    ``null_word`` must stay 0 (nonzero raises NotImplementedError: the
    padding word only serves gensim's Doc2Vec), and ``comment`` is stored
    and saved with the model.

    cw2v's own keywords follow; they are keyword-only.


    softmax : bool, default False
        Add the exact full-softmax output layer (O(V) per prediction: for
        small vocabularies, or when the exact log-likelihood is wanted).
        Output layers add up as in word2vec.c, so for the full softmax
        alone pass ``softmax=True, negative=0`` (``hs`` defaults to 0).

    shared_negatives : bool, default False
        Skip-gram with negative sampling only: all context words of a window
        share one set of noise words, so each window is three small matrix
        products (Ji et al., "Parallelizing Word2Vec in Shared and
        Distributed Memory", 2016).  Faster; updates within a window use the
        weights from its start.

    Also: ``max_sentence_length`` (longer sentences are cut into pieces of
    that many words, never truncated), ``progress`` (a tqdm progress bar when
    tqdm is installed) and ``report_delay`` (seconds between progress logs).

    With ``workers=1`` and a fixed ``seed``, training is bit-for-bit
    reproducible whatever PYTHONHASHSEED is; with more workers only the order
    of the updates changes.

    When the weights become NaN or infinite (e.g. alpha far too large),
    train() raises TrainingDivergedError at the end of the epoch and sets
    ``model.diverged``; from then on save() and train() refuse the model.
    """

    KIND = MODEL_KIND
    _PARAMS = ("vector_size", "alpha", "min_alpha", "window", "shrink_windows", "min_count",
               "max_vocab_size", "max_final_vocab", "sample", "seed", "workers", "sg", "hs",
               "negative", "ns_exponent", "cbow_mean", "epochs", "sorted_vocab", "batch_words",
               "compute_loss", "comment", "softmax", "shared_negatives", "max_sentence_length",
               "report_delay")
    # Parameters whose value bool() would accept whatever it is: checked on load.
    _FLAGS = ("shrink_windows", "sg", "hs", "cbow_mean", "sorted_vocab", "compute_loss",
              "softmax", "shared_negatives")
    # Parameters added after the first release: a model saved before lacks them.
    _NEWER_PARAMS = ("comment",)

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=10000, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, *, softmax=False,
                 shared_negatives=False, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH,
                 progress=False, report_delay=1.0):
        super().__init__(vector_size=vector_size, min_count=min_count,
                         max_vocab_size=max_vocab_size, max_final_vocab=max_final_vocab,
                         seed=seed, workers=workers, epochs=epochs, sorted_vocab=sorted_vocab,
                         trim_rule=trim_rule, callbacks=callbacks, compute_loss=compute_loss,
                         max_sentence_length=max_sentence_length, progress=progress,
                         report_delay=report_delay)
        self.alpha = check_real("alpha", alpha, 0.0, strict=True)
        self.min_alpha = check_real("min_alpha", min_alpha, 0.0)
        check_alpha_order("alpha", self.alpha, "min_alpha", self.min_alpha)
        self.window = check_int("window", window, 1)
        self.shrink_windows = bool(shrink_windows)
        self.sample = check_real("sample", sample, 0.0)
        self.sg = int(bool(sg))
        self.hs = int(bool(hs))
        self.negative = check_int("negative", negative, 0)
        self.ns_exponent = check_real("ns_exponent", ns_exponent, -math.inf)
        self.cbow_mean = int(bool(cbow_mean))
        self.batch_words = check_int("batch_words", batch_words, 1)
        self.softmax = bool(softmax)
        self.shared_negatives = bool(shared_negatives)
        if hashfxn is not hash:
            logger.warning("hashfxn is ignored: cw2v draws the initial vectors from a generator "
                           "seeded by seed alone, without hashing words")
        if null_word:
            raise NotImplementedError(
                f"null_word={null_word!r}: cw2v has no padding word (gensim uses it only for "
                f"Doc2Vec's concatenation mode); leave null_word=0")
        self.null_word = 0
        if comment is not None and not isinstance(comment, str):
            raise TypeError(f"comment must be a str or None, got {type(comment).__name__}")
        self.comment = comment
        if not (self.hs or self.negative or self.softmax):
            raise ValueError("no output layer: with hs=0 and negative=0 training would learn "
                             "nothing; set negative > 0 (e.g. 5), hs=1 or softmax=True")
        if self.shared_negatives and not (self.sg and self.negative and not self.hs
                                          and not self.softmax):
            raise ValueError("shared_negatives=True needs skip-gram with negative sampling alone: "
                             "sg=1, negative > 0, hs=0, softmax=False")
        if self.softmax and self.negative:
            logger.warning("softmax=True with negative=%i trains both output layers; pass "
                           "negative=0 for the full softmax alone", self.negative)
        self.w_out_ns: Optional[np.ndarray] = None
        self.w_out_hs: Optional[np.ndarray] = None
        self.w_out_softmax: Optional[np.ndarray] = None
        self._fit_if_given(sentences, corpus_file)

    # gensim's names for the output matrices.
    @property
    def syn1neg(self):
        return self.w_out_ns

    @property
    def syn1(self):
        return self.w_out_hs

    # ------------------------------------------------------------------ weights

    def _allocate_weights(self, old_size):
        """Input rows as _new_input makes them, output rows zero; old rows kept."""
        V, K = len(self.vocab), self.vector_size
        old_wv = self.wv
        self.wv = self._new_input(old_size)
        if old_size:
            carry_attributes(old_wv, self.wv)   # user attributes and lock factors stay per word
        # gensim keeps each word's subsampling threshold as a vector attribute.
        self.wv.expandos["sample_int"] = keep_thresholds(self.vocab.counts, self.sample)

        def grown(matrix, rows):
            fresh = np.zeros((rows, K), dtype=np.float32)
            if matrix is not None and old_size:
                keep = min(len(matrix), rows)
                fresh[:keep] = matrix[:keep]
            return fresh

        self.w_out_ns = grown(self.w_out_ns, V) if self.negative else None
        # The tree is rebuilt from the new counts, so inner nodes change meaning;
        # gensim does the same.  Old rows are kept as a warm start.
        self.w_out_hs = grown(self.w_out_hs, max(V - 1, 0)) if self.hs else None
        self.w_out_softmax = grown(self.w_out_softmax, V) if self.softmax else None

    def _new_input(self, old_size):
        """KeyedVectors of the input rows: uniform in +-0.5/K (word2vec.c), the first
        old_size rows kept from the current ones."""
        V, K = len(self.vocab), self.vector_size
        # A generator per (seed, first new row): reproducible whatever the hash seed.
        rng = np.random.default_rng([self.seed, old_size])
        new_rows = (rng.random((V - old_size, K), dtype=np.float32) - np.float32(0.5)) / np.float32(K)
        w_in = new_rows if old_size == 0 else np.concatenate([self.wv.vectors[:old_size], new_rows])
        return KeyedVectors.from_arrays(self.vocab.index_to_key, np.ascontiguousarray(w_in),
                                        counts=self.vocab.counts)

    def _matrices(self):
        named = {"wv.vectors": self.wv.vectors, "w_out_ns": self.w_out_ns,
                 "w_out_hs": self.w_out_hs, "w_out_softmax": self.w_out_softmax}
        return {k: v for k, v in named.items() if v is not None}

    def _saved_arrays(self):
        arrays = self._matrices()
        arrays["w_in"] = arrays.pop("wv.vectors")
        return arrays

    def _restore_weights(self, arrays, damaged):
        V, K = len(self.vocab), self.vector_size
        if "w_in" not in arrays:
            raise damaged("it lacks the array 'w_in'")
        self.wv = self._restored_input(arrays["w_in"], damaged, arrays)
        for name, on, rows in (("w_out_ns", self.negative, V), ("w_out_hs", self.hs, V - 1),
                               ("w_out_softmax", self.softmax, V)):
            matrix = arrays.get(name)
            if not on:
                if matrix is not None:
                    raise damaged(f"it holds {name} but its parameters turn that layer off")
                continue
            if matrix is None or matrix.shape != (rows, K):
                shape = None if matrix is None else matrix.shape
                raise damaged(f"{name} should have shape ({rows}, {K}), found {shape}")
            setattr(self, name, matrix)

    def _restored_input(self, w_in, damaged, arrays):
        """KeyedVectors of a loaded input matrix (V, K); raise damaged(problem) if it does not fit.

        ``arrays`` is the whole loaded bundle, for families that keep more beside ``w_in``."""
        V, K = len(self.vocab), self.vector_size
        try:
            wv = KeyedVectors.from_arrays(self.vocab.index_to_key, w_in, counts=self.vocab.counts)
        except (ValueError, TypeError) as err:
            raise damaged(f"the vocabulary or input vectors are inconsistent ({err})") from None
        if wv.vectors.shape != (V, K):
            raise damaged(f"w_in has shape {wv.vectors.shape}, expected ({V}, {K})")
        return wv

    def _input_former(self):
        """The Trainer's input matrix and the keywords of its input former: here one row per word."""
        return self.wv.vectors, {}

    # ------------------------------------------------------------------ training

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None,
              total_words=None, epochs=None, start_alpha=None, end_alpha=None,
              word_count=0, queue_factor=2, report_delay=None, compute_loss=None,
              callbacks=None, **kwargs):
        """Train for `epochs` passes; returns (words trained, raw words), as gensim.

        The learning rate falls linearly from start_alpha (default: alpha) to
        end_alpha (default: min_alpha) over all words of all epochs.  Give
        ``total_examples`` (sentences) or ``total_words`` (raw tokens) per
        epoch, e.g. ``total_examples=model.corpus_count``.

        ``queue_factor``: the job queue of iterable mode holds
        ``queue_factor * workers`` batches (file mode has no queue).
        ``word_count`` is ignored, as in gensim 4 (a nonzero value logs a
        warning): the schedule always starts at start_alpha.

        Unlike gensim, ``compute_loss=None``, ``callbacks=None`` and
        ``report_delay=None`` (the defaults) mean the model's own settings,
        those given to ``Word2Vec(...)``; gensim's ``train`` defaults to
        ``compute_loss=False, callbacks=()``, turning them off.  Pass
        ``compute_loss=False`` or ``callbacks=()`` to turn them off here.
        A value given here also becomes the model's setting.
        """
        if kwargs.pop("sentences", None) is not None:
            raise TypeError("train takes corpus_iterable (gensim 4's name), not sentences")
        if kwargs:
            raise TypeError(f"unexpected keyword arguments: {sorted(kwargs)}")
        self._check_trainable()
        epochs = self.epochs if epochs is None else check_int("epochs", epochs, 1)
        queue_factor = check_int("queue_factor", queue_factor, 1)
        if word_count:
            logger.warning("word_count=%r is ignored (as in gensim 4): the learning rate "
                           "starts at start_alpha; pass start_alpha to resume elsewhere",
                           word_count)
        if total_examples is None and total_words is None:
            raise ValueError("give total_examples (sentences) or total_words (raw tokens) per "
                             "epoch, e.g. total_examples=model.corpus_count")
        start_alpha = self.alpha if start_alpha is None else check_real(
            "start_alpha", start_alpha, 0.0, strict=True)
        end_alpha = self.min_alpha if end_alpha is None else check_real("end_alpha", end_alpha, 0.0)
        check_alpha_order("start_alpha", start_alpha, "end_alpha", end_alpha)
        compute_loss = self.compute_loss if compute_loss is None else bool(compute_loss)
        report_delay = self.report_delay if report_delay is None else float(report_delay)
        callbacks = self.callbacks if callbacks is None else tuple(callbacks)
        corpus = self._corpus(corpus_iterable, corpus_file, passes_needed=epochs)
        if corpus_file is not None and total_words is None:
            # File mode schedules by raw words; the scan counted them.
            total_words = self.corpus_total_words
        by_words = total_words is not None
        per_epoch = total_words if by_words else total_examples
        per_epoch = check_int("total_words" if by_words else "total_examples", per_epoch, 1)
        schedule = Schedule(start_alpha, end_alpha, float(per_epoch) * epochs, by_words)
        trainer = self._make_trainer(compute_loss)
        if corpus_file is not None:
            jobs_of_epoch = self._file_jobs(corpus, schedule, per_epoch)
        else:
            jobs_of_epoch = self._batch_jobs(corpus, schedule, per_epoch)
        logger.info("training %s on %i words, vector_size=%i, %i epochs, %i workers, "
                    "window=%i, sample=%g, negative=%i, hs=%i, softmax=%s",
                    "skip-gram" if self.sg else "CBOW", len(self.wv), self.vector_size, epochs,
                    self.workers, self.window, self.sample, self.negative, self.hs, self.softmax)

        def train_one_epoch(epoch):
            units_before = float(per_epoch) * epoch
            progress = EpochProgress(
                epoch=epoch, epochs=epochs, per_epoch=per_epoch,
                units=lambda tally: schedule.units(tally.raw_words, tally.sentences),
                alpha=lambda done: schedule.alpha(units_before + done),
                compute_loss=compute_loss,
                bar=progress_bar(self.progress, epoch, per_epoch,
                                 "words" if by_words else "sentences"))
            result = run_epoch(trainer, jobs_of_epoch(epoch), epoch=epoch, threads=self.workers,
                               seed=self.seed + self.train_count,
                               queue_size=queue_factor * self.workers, report=progress,
                               report_delay=report_delay)
            progress.close(result)
            self._warn_if_totals_differ(result.tally, per_epoch, by_words, epoch)
            return result

        return self._train_epochs(epochs, train_one_epoch, callbacks=callbacks,
                                  compute_loss=compute_loss,
                                  mode="file" if corpus_file is not None else "iterable")

    def _batch_jobs(self, corpus, schedule, per_epoch):
        """Iterable mode: the jobs of an epoch are batches of id sentences, in corpus order."""
        def jobs(epoch):
            units_done = float(per_epoch) * epoch
            # A pass that yields nothing after one that did means the corpus
            # cannot be restarted: an error, not an empty epoch.
            earlier = self.training_history[-1]["sentences"] if epoch else self.corpus_count
            batches = iter_id_batches(corpus, self.wv.key_to_index, batch_words=self.batch_words,
                                      earlier_pass_sentences=earlier,
                                      max_sentence_length=self.max_sentence_length)
            for index, batch in enumerate(batches):
                units_after = units_done + schedule.units(batch.raw_words, batch.n_sentences)
                yield BatchJob(batch.ids, batch.sentence_ends, schedule.alpha(units_done),
                               schedule.alpha(units_after), stream=(epoch << 40) + index,
                               raw_words=batch.raw_words, sentences=batch.n_sentences)
                units_done = units_after
        return jobs

    def _file_jobs(self, path, schedule, per_epoch):
        """File mode: the jobs of an epoch are one byte range of the file per worker.

        Every range runs the epoch's whole learning-rate span in parallel, each
        at the pace of its own share of the file's raw words.
        """
        vocab_hash = WordHash(self.wv.index_to_key)
        ranges = split_ranges(path, self.workers)
        file_size = max(ranges[-1][1], 1)

        def jobs(epoch):
            alpha_begin = schedule.alpha(float(per_epoch) * epoch)
            alpha_end = schedule.alpha(float(per_epoch) * (epoch + 1))
            for index, (start, end) in enumerate(ranges):
                share = round(per_epoch * (end - start) / file_size)
                yield RangeJob(vocab_hash, path, start, end, alpha_begin, alpha_end,
                               max(share, 1), stream=(epoch << 40) + index,
                               max_sentence_length=self.max_sentence_length)
        return jobs

    def _make_trainer(self, compute_loss):
        counts = self.vocab.counts
        kwargs = dict(sg=self.sg, hs=self.hs, negative=self.negative, softmax=self.softmax,
                      window=self.window, shrink_windows=self.shrink_windows,
                      cbow_mean=self.cbow_mean, compute_loss=compute_loss,
                      shared_negatives=self.shared_negatives, lockf=self.wv.lock_factors())
        if self.sample > 0:
            kwargs["keep_threshold"] = keep_thresholds(counts, self.sample)
        if self.hs:
            tree = build_huffman(counts)
            kwargs.update(w_out_hs=self.w_out_hs, hs_codes=tree.codes, hs_points=tree.points,
                          hs_offsets=tree.offsets)
        if self.negative:
            noise = build_noise_table(counts, self.ns_exponent)
            kwargs.update(w_out_ns=self.w_out_ns, noise_accept=noise.accept,
                          noise_alias=noise.alias)
        if self.softmax:
            kwargs["w_out_sm"] = self.w_out_softmax
        w_in, former = self._input_former()
        return Trainer(w_in, **kwargs, **former)

    @staticmethod
    def _warn_if_totals_differ(tally, per_epoch, by_words, epoch):
        seen = tally.raw_words if by_words else tally.sentences
        if epoch == 0 and seen != per_epoch:
            logger.warning("the epoch had %i %s but %i were announced: the learning-rate "
                           "schedule assumes the announced total", seen,
                           "raw words" if by_words else "sentences", per_epoch)

    # ------------------------------------------------------------------ access

    def output_vectors(self, layer=None):
        """An output matrix as KeyedVectors: 'ns' (default when on) or 'softmax'.

        Hierarchical-softmax rows belong to tree nodes, not words, so they are
        only available as the raw array ``model.w_out_hs``.
        """
        layer = layer or ("ns" if self.negative else "softmax")
        matrix = {"ns": self.w_out_ns, "softmax": self.w_out_softmax}.get(layer)
        if matrix is None:
            raise ValueError(f"no word-aligned output layer {layer!r} in this model "
                             f"(negative={self.negative}, softmax={self.softmax})")
        return KeyedVectors.from_arrays(self.wv.index_to_key, matrix, counts=self.vocab.counts)

    # ------------------------------------------------------------------ gensim's queries

    def predict_output_word(self, context_words_list, topn=10, *, layer=None):
        """The ``topn`` most probable centre words given context words, with probabilities.

        See :func:`cw2v.models.word2vec_queries.predict_output_word`.
        """
        return word2vec_queries.predict_output_word(self, context_words_list, topn=topn, layer=layer)

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2, report_delay=1):
        """Log-probability of each sentence under the hierarchical softmax (float64 array).

        See :func:`cw2v.models.word2vec_queries.score`.
        """
        return word2vec_queries.score(self, sentences, total_sentences=total_sentences, chunksize=chunksize,
                                      queue_factor=queue_factor, report_delay=report_delay)

    def estimate_memory(self, vocab_size=None, report=None):
        """Bytes cw2v allocates for ``vocab_size`` words, by array.

        See :func:`cw2v.models.word2vec_queries.estimate_memory`.
        """
        return word2vec_queries.estimate_memory(self, vocab_size=vocab_size, report=report)

    def __repr__(self):
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"{'sg' if self.sg else 'cbow'}, alpha={self.alpha}>")
