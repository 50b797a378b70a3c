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
import numbers
import os
import time
from typing import List, Optional

import numpy as np

from cw2v.io import bundle as persist
from cw2v._kernels.textfile import WordHash, split_ranges
from cw2v._kernels.train import Trainer
from cw2v.io.corpus import DEFAULT_MAX_SENTENCE_LENGTH, check_corpus
from cw2v.vocab.huffman import build_huffman
from cw2v.vectors.keyedvectors import KeyedVectors
from cw2v.vocab.counts import Counts
from cw2v.vocab.sampling import build_noise_table, keep_thresholds
from cw2v.train.runner import Schedule, train_epoch_file, train_epoch_iterable
from cw2v.vocab.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

MODEL_KIND = "cw2v.Word2Vec"


class TrainingDivergedError(ArithmeticError):
    """The weights became NaN or infinite: training diverged (alpha too large?)."""


class Callback:
    """Base class for training callbacks; override any of the four hooks."""

    def on_train_begin(self, model):
        pass

    def on_epoch_begin(self, model):
        pass

    def on_epoch_end(self, model):
        pass

    def on_train_end(self, model):
        pass


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_alpha_order(start_name, start, end_name, end):
    if end > start:
        raise ValueError(f"{end_name}={end} is above {start_name}={start}: the learning rate "
                         f"decays from {start_name} down to {end_name}, so pass "
                         f"{end_name} <= {start_name}")


def _check_real(name, value, minimum, strict=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < minimum or (strict and value == minimum):
        bound = f"> {minimum}" if strict else f">= {minimum}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


class Word2Vec:
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

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=10000, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, *, softmax=False,
                 shared_negatives=False, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH,
                 progress=False, report_delay=1.0):
        self.vector_size = _check_int("vector_size", vector_size, 1)
        self.alpha = _check_real("alpha", alpha, 0.0, strict=True)
        self.min_alpha = _check_real("min_alpha", min_alpha, 0.0)
        _check_alpha_order("alpha", self.alpha, "min_alpha", self.min_alpha)
        self.window = _check_int("window", window, 1)
        self.shrink_windows = bool(shrink_windows)
        self.min_count = _check_int("min_count", min_count, 0)
        self.max_vocab_size = None if max_vocab_size is None else _check_int(
            "max_vocab_size", max_vocab_size, 1)
        self.max_final_vocab = None if max_final_vocab is None else _check_int(
            "max_final_vocab", max_final_vocab, 1)
        self.sample = _check_real("sample", sample, 0.0)
        self.seed = _check_int("seed", seed, 0)
        self.workers = _check_int("workers", workers, 1)
        self.sg = int(bool(sg))
        self.hs = int(bool(hs))
        self.negative = _check_int("negative", negative, 0)
        self.ns_exponent = _check_real("ns_exponent", ns_exponent, -math.inf)
        self.cbow_mean = int(bool(cbow_mean))
        self.epochs = _check_int("epochs", epochs, 1)
        self.sorted_vocab = bool(sorted_vocab)
        self.batch_words = _check_int("batch_words", batch_words, 1)
        self.compute_loss = bool(compute_loss)
        self.callbacks = tuple(callbacks)
        self.trim_rule = trim_rule
        self.softmax = bool(softmax)
        self.shared_negatives = bool(shared_negatives)
        self.max_sentence_length = _check_int("max_sentence_length", max_sentence_length, 1)
        self.progress = bool(progress)
        self.report_delay = _check_real("report_delay", report_delay, 0.0)
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

        self.vocab: Optional[Vocabulary] = None
        self.wv = KeyedVectors(self.vector_size)
        self.w_out_ns: Optional[np.ndarray] = None
        self.w_out_hs: Optional[np.ndarray] = None
        self.w_out_softmax: Optional[np.ndarray] = None
        self.loss_history: List[float] = []
        # One dict per epoch trained: loss, predictions, raw_words, words_seen
        # (in-vocabulary), words_trained (after subsampling), seconds, ...
        self.training_history: List[dict] = []
        self.epochs_trained = 0
        self.train_count = 0
        # Set when training raised TrainingDivergedError: the weights hold
        # NaN or inf, and save() and train() refuse the model.
        self.diverged = False
        self.corpus_count = 0
        self.corpus_total_words = 0

        if sentences is not None and corpus_file is not None:
            raise TypeError("pass sentences or corpus_file, not both")
        if sentences is not None or corpus_file is not None:
            if sentences is not None:
                check_corpus(sentences, passes_needed=1 + self.epochs)
            self.build_vocab(sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file=corpus_file, total_examples=self.corpus_count,
                       total_words=self.corpus_total_words, epochs=self.epochs,
                       compute_loss=self.compute_loss, callbacks=self.callbacks)

    # gensim's names for the output matrices.
    @property
    def syn1neg(self):
        return self.w_out_ns

    @property
    def syn1(self):
        return self.w_out_hs

    # ------------------------------------------------------------------ vocabulary

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False,
                    progress_per=10000, keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Scan a corpus, select the vocabulary and (re)allocate the weights.

        With ``update=True`` new words are added to a trained model: old words
        keep their rows, new rows are initialised, and training continues.

        ``corpus_file`` is counted in C, split into words and sentences as
        ``LineSentence(path)`` splits it (the same vocabulary); with both
        ``trim_rule`` and ``max_vocab_size`` the rule is consulted at every
        pruning round, as in iterable mode.

        ``keep_raw_vocab`` is accepted for gensim compatibility and changes
        nothing: cw2v never keeps the counts of the words it drops (gensim's
        ``raw_vocab``); the kept words' counts are in ``model.vocab.counts``.
        To choose the vocabulary again with other settings, scan again.
        """
        if kwargs.pop("sentences", None) is not None:
            raise TypeError("build_vocab takes corpus_iterable (gensim 4's name), not sentences")
        if kwargs:
            raise TypeError(f"unexpected keyword arguments: {sorted(kwargs)}")
        if keep_raw_vocab:
            logger.warning("keep_raw_vocab=True has no effect: cw2v keeps no raw_vocab (the "
                           "kept words' counts are in model.vocab.counts)")
        # One pass: the vocabulary scan checks an iterable corpus itself, without
        # losing the sentence it inspects, so only a file is checked here.
        corpus = self._corpus(corpus_iterable, corpus_file, passes_needed=1,
                              check_iterable=False)
        trim_rule = self.trim_rule if trim_rule is None else trim_rule
        if update and self.vocab is None:
            raise ValueError("build_vocab(update=True) needs a model with a vocabulary: "
                             "call build_vocab(corpus) first")
        old_size = len(self.vocab) if update else 0
        if corpus_file is not None:
            # Count the file in C (GIL released), with the tokenizer file-mode training uses.
            counts = Counts(self.max_vocab_size, trim_rule).add_file(
                corpus, max_sentence_length=self.max_sentence_length)
            if counts.raw_words == 0:
                raise ValueError(f"corpus_file {corpus!r} holds no words")
            if update:
                self.vocab.update(counts, min_count=self.min_count, trim_rule=trim_rule,
                                  sorted_vocab=self.sorted_vocab)
            else:
                self.vocab = Vocabulary.from_counts(
                    counts, min_count=self.min_count, max_final_vocab=self.max_final_vocab,
                    trim_rule=trim_rule, sorted_vocab=self.sorted_vocab)
        elif update:
            self.vocab.update(corpus, min_count=self.min_count, trim_rule=trim_rule,
                              sorted_vocab=self.sorted_vocab)
        else:
            self.vocab = Vocabulary.scan(
                corpus, min_count=self.min_count, max_vocab_size=self.max_vocab_size,
                max_final_vocab=self.max_final_vocab, trim_rule=trim_rule,
                sorted_vocab=self.sorted_vocab, progress_per=progress_per)
        if update:
            logger.info("vocabulary update: %i new words, %i in all",
                        len(self.vocab) - old_size, len(self.vocab))
        self._adopt_vocabulary(self.vocab, old_size)

    def build_vocab_from_freq(self, word_freq, corpus_count=None, trim_rule=None, update=False):
        """Build the vocabulary from a ``{word: count}`` mapping instead of a corpus scan."""
        vocab = Vocabulary.from_counts(word_freq, min_count=self.min_count,
                                       max_final_vocab=self.max_final_vocab,
                                       trim_rule=self.trim_rule if trim_rule is None else trim_rule,
                                       sorted_vocab=self.sorted_vocab,
                                       corpus_count=corpus_count or 0)
        if update:
            if self.vocab is None:
                raise ValueError("build_vocab_from_freq(update=True) needs a model with a "
                                 "vocabulary: build one first")
            old_size = len(self.vocab)
            self.vocab.update(dict(zip(vocab.index_to_key, vocab.counts.tolist())),
                              min_count=self.min_count, sorted_vocab=self.sorted_vocab)
            self._adopt_vocabulary(self.vocab, old_size)
        else:
            self._adopt_vocabulary(vocab, 0)

    def build_vocab_from_vocabulary(self, vocab: Vocabulary):
        """Use a ready :class:`~cw2v.Vocabulary` (e.g. read from a -save-vocab file)."""
        if not isinstance(vocab, Vocabulary) or len(vocab) == 0:
            raise TypeError("build_vocab_from_vocabulary needs a non-empty cw2v.Vocabulary")
        self._adopt_vocabulary(vocab, 0)

    def _adopt_vocabulary(self, vocab, old_size):
        self.vocab = vocab
        self.corpus_count = vocab.corpus_count
        self.corpus_total_words = vocab.raw_word_count
        self._allocate_weights(old_size)

    def _allocate_weights(self, old_size):
        """Input rows uniform in +-0.5/K (word2vec.c), output rows zero; old rows kept."""
        V, K = len(self.vocab), self.vector_size
        # A generator per (seed, first new row): reproducible whatever the hash seed.
        rng = np.random.default_rng([self.seed, old_size])
        new_rows = (rng.random((V - old_size, K), dtype=np.float32) - np.float32(0.5)) / np.float32(K)
        w_in = new_rows if old_size == 0 else np.concatenate([self.wv.vectors[:old_size], new_rows])
        self.wv = KeyedVectors.from_arrays(self.vocab.index_to_key, np.ascontiguousarray(w_in),
                                           counts=self.vocab.counts)

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
        if self.vocab is None or len(self.wv) == 0:
            raise RuntimeError("the model has no vocabulary: call build_vocab(corpus) before "
                               "train(), or pass the corpus to Word2Vec(...)")
        if self.diverged:
            raise TrainingDivergedError("this model's training diverged (its weights hold NaN "
                                        "or inf); train a fresh model with a lower alpha")
        epochs = self.epochs if epochs is None else _check_int("epochs", epochs, 1)
        queue_factor = _check_int("queue_factor", queue_factor, 1)
        if word_count:
            logger.warning("word_count=%r is ignored (as in gensim 4): the learning rate "
                           "starts at start_alpha; pass start_alpha to resume elsewhere",
                           word_count)
        if total_examples is None and total_words is None:
            raise ValueError("give total_examples (sentences) or total_words (raw tokens) per "
                             "epoch, e.g. total_examples=model.corpus_count")
        start_alpha = self.alpha if start_alpha is None else _check_real(
            "start_alpha", start_alpha, 0.0, strict=True)
        end_alpha = self.min_alpha if end_alpha is None else _check_real("end_alpha", end_alpha, 0.0)
        _check_alpha_order("start_alpha", start_alpha, "end_alpha", end_alpha)
        compute_loss = self.compute_loss if compute_loss is None else bool(compute_loss)
        report_delay = self.report_delay if report_delay is None else float(report_delay)
        callbacks = self.callbacks if callbacks is None else tuple(callbacks)
        corpus = self._corpus(corpus_iterable, corpus_file, passes_needed=epochs)
        if corpus_file is not None and total_words is None:
            # File mode schedules by raw words; the scan counted them.
            total_words = self.corpus_total_words
        by_words = total_words is not None
        per_epoch = total_words if by_words else total_examples
        per_epoch = _check_int("total_words" if by_words else "total_examples", per_epoch, 1)
        schedule = Schedule(start_alpha, end_alpha, float(per_epoch) * epochs, by_words)
        trainer = self._make_trainer(compute_loss)
        if corpus_file is not None:
            file_vocab = WordHash(self.wv.index_to_key)
            file_ranges = split_ranges(corpus, self.workers)
        self.compute_loss = compute_loss
        self.running_training_loss = 0.0

        for cb in callbacks:
            _call(cb, "on_train_begin", self)
        logger.info("training %s on %i words, vector_size=%i, %i epochs, %i workers, "
                    "window=%i, sample=%g, negative=%i, hs=%i, softmax=%s",
                    "skip-gram" if self.sg else "CBOW", len(self.wv), self.vector_size, epochs,
                    self.workers, self.window, self.sample, self.negative, self.hs, self.softmax)
        trained_words = raw_words = 0
        started = time.perf_counter()
        for epoch in range(epochs):
            for cb in callbacks:
                _call(cb, "on_epoch_begin", self)
            bar = _progress_bar(self.progress, epoch, per_epoch, by_words)
            report = _Reporter(schedule, per_epoch, epoch, epochs, compute_loss, bar)
            common = dict(epoch=epoch, units_before=float(per_epoch) * epoch, schedule=schedule,
                          seed=self.seed + self.train_count,
                          max_sentence_length=self.max_sentence_length, report=report,
                          report_delay=report_delay)
            if corpus_file is not None:
                result = train_epoch_file(trainer, file_vocab, corpus, file_ranges,
                                          units_per_epoch=float(per_epoch),
                                          expected_raw_words=per_epoch, **common)
            else:
                # A pass that yields nothing after one that did means the
                # corpus cannot be restarted: an error, not an empty epoch.
                earlier = (self.training_history[-1]["sentences"] if epoch else
                           self.corpus_count)
                result = train_epoch_iterable(trainer, corpus, self.wv.key_to_index,
                                              workers=self.workers,
                                              earlier_pass_sentences=earlier,
                                              queue_size=queue_factor * self.workers,
                                              batch_words=self.batch_words, **common)
            report.close(result)
            tally = result.tally
            trained_words += tally.words_trained
            raw_words += tally.raw_words
            self._check_finite(epoch)
            self.loss_history.append(tally.loss if compute_loss else float("nan"))
            self.training_history.append({
                "epoch": self.epochs_trained + 1, "loss": tally.loss if compute_loss else None,
                "predictions": tally.predictions, "raw_words": tally.raw_words,
                "words_seen": tally.words_seen, "words_trained": tally.words_trained,
                "sentences": tally.sentences, "seconds": result.seconds,
                "mode": "file" if corpus_file is not None else "iterable",
                "workers": self.workers})
            self.running_training_loss = tally.loss
            self.epochs_trained += 1
            self.wv.invalidate_norms()
            self._warn_if_totals_differ(tally, per_epoch, by_words, epoch)
            for cb in callbacks:
                _call(cb, "on_epoch_end", self)
        self.train_count += 1
        elapsed = time.perf_counter() - started
        logger.info("training on %i raw words (%i effective) took %.1fs, %.0f effective words/s",
                    raw_words, trained_words, elapsed, trained_words / max(elapsed, 1e-9))
        for cb in callbacks:
            _call(cb, "on_train_end", self)
        return trained_words, raw_words

    def get_latest_training_loss(self):
        """The loss of the last epoch trained: the summed negative log-likelihood of
        its predictions, in float64 (0.0 with compute_loss=False, and from the
        start of a train() call until its first epoch ends).

        Not gensim's figure: gensim returns a float32 running total since the
        start of the current train() call, so a gensim callback that
        subtracts the previous value to get an epoch's loss gets wrong numbers
        here; use this value as the epoch's loss directly (in
        ``on_epoch_end``), or read ``model.loss_history`` (one entry per
        epoch, NaN for epochs trained without compute_loss).
        """
        return self.running_training_loss if hasattr(self, "running_training_loss") else 0.0

    def _corpus(self, corpus_iterable, corpus_file, passes_needed, check_iterable=True):
        if (corpus_iterable is None) == (corpus_file is None):
            raise TypeError("pass exactly one of corpus_iterable and corpus_file")
        if corpus_file is not None:
            path = os.fspath(corpus_file)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"corpus_file {path!r} does not exist or is not a file")
            with open(path, "rb") as f:
                magic = f.read(6)
            if magic.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")):
                raise ValueError(f"corpus_file {path!r} is compressed; file mode reads plain "
                                 f"text only. Decompress it, or pass "
                                 f"LineSentence({path!r}) as the corpus instead")
            return path
        if not check_iterable:
            return corpus_iterable
        return check_corpus(corpus_iterable, passes_needed=passes_needed)

    def _make_trainer(self, compute_loss):
        counts = self.vocab.counts
        kwargs = dict(sg=self.sg, hs=self.hs, negative=self.negative, softmax=self.softmax,
                      window=self.window, shrink_windows=self.shrink_windows,
                      cbow_mean=self.cbow_mean, compute_loss=compute_loss,
                      shared_negatives=self.shared_negatives)
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
        return Trainer(self.wv.vectors, **kwargs)

    def _check_finite(self, epoch):
        for name, matrix in self._matrices().items():
            if not np.isfinite(matrix).all():
                self.diverged = True
                raise TrainingDivergedError(
                    f"{name} holds NaN or infinite values after epoch {epoch + 1}: training "
                    f"diverged. Lower the learning rate (alpha={self.alpha}) and train a "
                    f"fresh model; this one is unusable and will not be saved.")

    def _warn_if_totals_differ(self, tally, per_epoch, by_words, epoch):
        seen = tally.raw_words if by_words else tally.sentences
        if epoch == 0 and seen != per_epoch:
            logger.warning("the epoch had %i %s but %i were announced: the learning-rate "
                           "schedule assumes the announced total", seen,
                           "raw words" if by_words else "sentences", per_epoch)

    def _matrices(self):
        named = {"wv.vectors": self.wv.vectors, "w_out_ns": self.w_out_ns,
                 "w_out_hs": self.w_out_hs, "w_out_softmax": self.w_out_softmax}
        return {k: v for k, v in named.items() if v is not None}

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

    def __repr__(self):
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"{'sg' if self.sg else 'cbow'}, alpha={self.alpha}>")

    # ------------------------------------------------------------------ persistence

    _PARAMS = ("vector_size", "alpha", "min_alpha", "window", "shrink_windows", "min_count",
               "max_vocab_size", "max_final_vocab", "sample", "seed", "workers", "sg", "hs",
               "negative", "ns_exponent", "cbow_mean", "epochs", "sorted_vocab", "batch_words",
               "compute_loss", "comment", "softmax", "shared_negatives", "max_sentence_length",
               "report_delay")

    def save(self, path):
        """Save the whole model (atomically) as a directory of .npy arrays and JSON metadata.

        Loads back with ``Word2Vec.load(path, mmap='r')`` sharing memory
        between processes; loading runs no pickled code.
        """
        if self.vocab is None:
            raise ValueError("nothing to save: the model has no vocabulary yet")
        if self.diverged:
            raise TrainingDivergedError("this model's training diverged (its weights hold NaN "
                                        "or inf); it will not be saved")
        self._check_finite(self.epochs_trained - 1)
        meta = {
            "kind": MODEL_KIND,
            "params": {name: getattr(self, name) for name in self._PARAMS},
            "loss_history": [None if math.isnan(x) else x for x in self.loss_history],
            "training_history": self.training_history,
            "epochs_trained": self.epochs_trained,
            "train_count": self.train_count,
            "corpus_count": self.corpus_count,
            "corpus_total_words": self.corpus_total_words,
            "vocab_stats": {"raw_word_count": self.vocab.raw_word_count,
                            "retained_word_count": self.vocab.retained_word_count,
                            "distinct_count": self.vocab.distinct_count,
                            "corpus_count": self.vocab.corpus_count,
                            "min_count": self.vocab.min_count,
                            "effective_min_count": self.vocab.effective_min_count},
        }
        words, word_offsets = persist.pack_strings(self.vocab.index_to_key)
        arrays = {"counts": self.vocab.counts, "w_in": self.wv.vectors,
                  "words": words, "word_offsets": word_offsets}
        for name in ("w_out_ns", "w_out_hs", "w_out_softmax"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        persist.save_bundle(path, meta, arrays)

    # Parameters whose value bool() would accept whatever it is: checked on load.
    _FLAGS = ("shrink_windows", "sg", "hs", "cbow_mean", "sorted_vocab", "compute_loss",
              "softmax", "shared_negatives")
    # Parameters added after the first release: a model saved before lacks them.
    _NEWER_PARAMS = ("comment",)
    _VOCAB_STATS = ("raw_word_count", "retained_word_count", "distinct_count", "corpus_count",
                    "min_count", "effective_min_count")
    _COUNTERS = ("epochs_trained", "train_count", "corpus_count", "corpus_total_words")

    @classmethod
    def load(cls, path, mmap=None):
        """Load a model saved by :meth:`save`; ``mmap='r'`` maps the arrays read-only.

        A damaged bundle (missing or unknown keys, values of the wrong type,
        arrays that do not fit the parameters) raises ValueError naming the
        path and the problem.
        """
        meta, arrays = persist.load_bundle(path, mmap=mmap)
        where = os.fspath(path)
        if meta.get("kind") != MODEL_KIND:
            raise ValueError(f"{where!r} holds a {meta.get('kind')!r}, not a "
                             f"cw2v Word2Vec model; for vectors use KeyedVectors.load")
        for name in ("counts", "w_in", "words", "word_offsets"):
            if name not in arrays:
                raise ValueError(f"{where!r} is missing the array {name!r}")
        cls._check_meta(where, meta)

        def damaged(problem):
            return ValueError(f"{where!r} is damaged: {problem}; re-save the model or retrain it")

        try:
            model = cls(**meta["params"])
        except (ValueError, TypeError, NotImplementedError) as err:
            raise damaged(f"a saved parameter is invalid ({err})") from None
        try:
            keys = persist.unpack_strings(arrays["words"], arrays["word_offsets"])
            model.vocab = Vocabulary(keys, arrays["counts"], **meta["vocab_stats"])
            model.wv = KeyedVectors.from_arrays(keys, arrays["w_in"], counts=model.vocab.counts)
        except (ValueError, TypeError) as err:
            raise damaged(f"the vocabulary or input vectors are inconsistent ({err})") from None
        V, K = len(keys), model.vector_size
        if model.wv.vectors.shape != (V, K):
            raise damaged(f"w_in has shape {model.wv.vectors.shape}, expected ({V}, {K})")
        for name, on, rows in (("w_out_ns", model.negative, V), ("w_out_hs", model.hs, V - 1),
                               ("w_out_softmax", model.softmax, V)):
            matrix = arrays.get(name)
            if not on:
                if matrix is not None:
                    raise damaged(f"it holds {name} but its parameters turn that layer off")
                continue
            if matrix is None or matrix.shape != (rows, K):
                shape = None if matrix is None else matrix.shape
                raise damaged(f"{name} should have shape ({rows}, {K}), found {shape}")
            setattr(model, name, matrix)
        model.loss_history = [float("nan") if x is None else x for x in meta["loss_history"]]
        model.training_history = list(meta["training_history"])
        model.epochs_trained = meta["epochs_trained"]
        model.train_count = meta["train_count"]
        model.corpus_count = meta["corpus_count"]
        model.corpus_total_words = meta["corpus_total_words"]
        if model.loss_history and not math.isnan(model.loss_history[-1]):
            model.running_training_loss = model.loss_history[-1]    # else 0.0, as after train()
        return model

    @classmethod
    def _check_meta(cls, where, meta):
        """ValueError naming `where` and the problem unless meta.json has the keys
        and types save() writes (values are checked by the constructor)."""
        def problem(text):
            return ValueError(f"{where!r} is damaged: its meta.json {text}; re-save the model "
                              f"or retrain it")

        def is_int(x):
            return isinstance(x, int) and not isinstance(x, bool)

        def is_number(x):
            return isinstance(x, (int, float)) and not isinstance(x, bool)

        required = ("params", "vocab_stats", "loss_history", "training_history") + cls._COUNTERS
        missing = [key for key in required if key not in meta]
        if missing:
            raise problem(f"lacks {missing}")
        params = meta["params"]
        if not isinstance(params, dict):
            raise problem(f"has params of type {type(params).__name__}, not an object")
        unknown = sorted(set(params) - set(cls._PARAMS))
        if unknown:
            raise problem(f"has unknown parameters {unknown}")
        missing = [name for name in cls._PARAMS
                   if name not in params and name not in cls._NEWER_PARAMS]
        if missing:
            raise problem(f"lacks the parameters {missing}")
        for name in cls._FLAGS:
            if params[name] not in (0, 1):       # True, False, 0 and 1 all compare so
                raise problem(f"has {name}={params[name]!r}, not true/false")
        stats = meta["vocab_stats"]
        if not isinstance(stats, dict) or not set(stats) <= set(cls._VOCAB_STATS) \
                or not all(v is None or is_int(v) for v in stats.values()):
            raise problem(f"has vocab_stats {stats!r}, not an object of integers with "
                          f"keys among {list(cls._VOCAB_STATS)}")
        for name in cls._COUNTERS:
            if not is_int(meta[name]) or meta[name] < 0:
                raise problem(f"has {name}={meta[name]!r}, not an integer >= 0")
        losses = meta["loss_history"]
        if not isinstance(losses, list) or not all(x is None or is_number(x) for x in losses):
            raise problem("has a loss_history that is not a list of numbers")
        history = meta["training_history"]
        if not isinstance(history, list) or not all(isinstance(e, dict) for e in history):
            raise problem("has a training_history that is not a list of objects")


def _call(callback, hook, model):
    method = getattr(callback, hook, None)
    if method is not None:
        method(model)


def _progress_bar(enabled, epoch, per_epoch, by_words):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm: pip install tqdm") from None
    return tqdm(total=per_epoch, desc=f"epoch {epoch + 1}",
                unit="words" if by_words else "sentences", unit_scale=True)


class _Reporter:
    """Logs (and draws) an epoch's progress from the running totals."""

    def __init__(self, schedule, per_epoch, epoch, epochs, compute_loss, bar):
        self.schedule, self.per_epoch = schedule, per_epoch
        self.epoch, self.epochs = epoch, epochs
        self.compute_loss, self.bar = compute_loss, bar
        self.shown = 0

    def _units(self, tally):
        return self.schedule.units(tally.raw_words, tally.sentences)

    def __call__(self, report):
        tally = report.tally
        done = self._units(tally)
        loss = (f", loss {tally.loss / tally.predictions:.4f}/prediction"
                if self.compute_loss and tally.predictions else "")
        logger.info("epoch %i/%i: %.1f%% done, %.0f words/s, alpha %.6f%s",
                    self.epoch + 1, self.epochs, 100.0 * done / self.per_epoch,
                    tally.raw_words / max(report.seconds, 1e-9), report.alpha, loss)
        self._advance(done)

    def _advance(self, done):
        if self.bar is not None:
            self.bar.update(max(done - self.shown, 0))
            self.shown = done

    def close(self, report):
        tally = report.tally
        self._advance(self._units(tally))
        if self.bar is not None:
            self.bar.close()
        loss = f", loss {tally.loss:.6g} ({tally.loss / max(tally.predictions, 1):.4f}/prediction)" \
            if self.compute_loss else ""
        logger.info("epoch %i/%i: %i raw words (%i effective) in %.1fs, %.0f raw words/s%s",
                    self.epoch + 1, self.epochs, tally.raw_words, tally.words_trained,
                    report.seconds, tally.raw_words / max(report.seconds, 1e-9), loss)
