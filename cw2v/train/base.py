"""What every model family shares: vocabulary, epochs, history, save and load.

A family (Word2Vec, FastText, GloVe) subclasses :class:`EmbeddingModel` and
supplies only what is its own:

* ``_allocate_weights(old_size)``: its matrices for the current vocabulary,
  keeping the first ``old_size`` rows after a vocabulary update;
* ``_matrices()``: its weight matrices by name (checked for NaN after every
  epoch, saved, and restored by ``_restore_weights``);
* ``train(...)``: its argument handling, which ends in :meth:`_train_epochs`
  with a function that trains one epoch.

The base holds the corpus policy (an iterable, or a plain-text file read by
threads in C), vocabulary building and updating, the epoch loop with
callbacks, loss and training history, divergence detection, and the native
bundle (a directory of .npy arrays and JSON metadata, nothing unpickled).
"""
from __future__ import annotations

import logging
import math
import numbers
import os
import time
from typing import List, Optional

import numpy as np

from cw2v.io import bundle
from cw2v.io.corpus import DEFAULT_MAX_SENTENCE_LENGTH, check_corpus
from cw2v.io.files import require_plain_file
from cw2v.vectors.attributes import attribute_arrays, restore_attributes
from cw2v.vectors.gensim_names import missing_attribute_error, not_subscriptable_error
from cw2v.vectors.keyedvectors import KeyedVectors
from cw2v.vocab.counts import Counts
from cw2v.vocab.vocabulary import Vocabulary

logger = logging.getLogger(__name__)


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


def check_int(name, value, minimum):
    """`value` as an int, or ValueError unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(name, value, minimum, strict=False):
    """`value` as a float, or ValueError unless it is finite and >= (or >) minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < minimum or (strict and value == minimum):
        bound = f"> {minimum}" if strict else f">= {minimum}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _all_finite(matrix, rows_per_block=1 << 15) -> bool:
    """np.isfinite(matrix).all(), a block of rows at a time: no boolean temporary of
    the matrix's size (220 MB for fastText's default input matrix)."""
    return all(np.isfinite(matrix[start:start + rows_per_block]).all()
               for start in range(0, len(matrix), rows_per_block))


def check_alpha_order(start_name, start, end_name, end):
    if end > start:
        raise ValueError(f"{end_name}={end} is above {start_name}={start}: the learning rate "
                         f"decays from {start_name} down to {end_name}, so pass "
                         f"{end_name} <= {start_name}")


def check_optional_int(name, value, minimum):
    return None if value is None else check_int(name, value, minimum)


def _call(callback, hook, model):
    method = getattr(callback, hook, None)
    if method is not None:
        method(model)


class EmbeddingModel:
    """The shared part of every model family (see the module docstring).

    Subclasses set ``KIND`` (the bundle's kind), ``_PARAMS`` (constructor
    keywords saved with the model), ``_FLAGS`` (those of them that are
    booleans) and ``_NEWER_PARAMS`` (those a model saved by an older release
    may lack).
    """

    KIND = None
    _RATE_PARAM = "alpha"       # the learning-rate keyword, named in divergence errors
    _PARAMS = ()
    _FLAGS = ()
    _NEWER_PARAMS = ()
    _VOCAB_STATS = ("raw_word_count", "retained_word_count", "distinct_count", "corpus_count",
                    "min_count", "effective_min_count")
    _COUNTERS = ("epochs_trained", "train_count", "corpus_count", "corpus_total_words")

    def __init__(self, *, vector_size, min_count, max_vocab_size, max_final_vocab, seed, workers,
                 epochs, sorted_vocab, trim_rule, callbacks, compute_loss,
                 max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, progress=False,
                 report_delay=1.0):
        self.vector_size = check_int("vector_size", vector_size, 1)
        self.min_count = check_int("min_count", min_count, 0)
        self.max_vocab_size = check_optional_int("max_vocab_size", max_vocab_size, 1)
        self.max_final_vocab = check_optional_int("max_final_vocab", max_final_vocab, 1)
        self.seed = check_int("seed", seed, 0)
        self.workers = check_int("workers", workers, 1)
        self.epochs = check_int("epochs", epochs, 1)
        self.sorted_vocab = bool(sorted_vocab)
        self.trim_rule = trim_rule
        self.callbacks = tuple(callbacks)
        self.compute_loss = bool(compute_loss)
        self.max_sentence_length = check_int("max_sentence_length", max_sentence_length, 1)
        self.progress = bool(progress)
        self.report_delay = check_real("report_delay", report_delay, 0.0)

        self.vocab: Optional[Vocabulary] = None
        self.wv = KeyedVectors(self.vector_size)
        self.loss_history: List[float] = []
        # One dict per epoch trained: loss, predictions, raw_words, words_seen
        # (in-vocabulary), words_trained (after subsampling), seconds, ...
        self.training_history: List[dict] = []
        self.epochs_trained = 0
        self.train_count = 0
        self.running_training_loss = 0.0
        # Set when training raised TrainingDivergedError: the weights hold
        # NaN or inf, and save() and train() refuse the model.
        self.diverged = False
        self.corpus_count = 0
        self.corpus_total_words = 0

    def _fit_if_given(self, sentences, corpus_file):
        """The constructor's promise: given a corpus, build the vocabulary and train."""
        if sentences is not None and corpus_file is not None:
            raise TypeError("pass sentences or corpus_file, not both")
        if sentences is None and corpus_file is None:
            return
        if sentences is not None:
            check_corpus(sentences, passes_needed=1 + self.epochs)
        self.build_vocab(sentences, corpus_file=corpus_file, trim_rule=self.trim_rule)
        self.train(sentences, corpus_file=corpus_file, total_examples=self.corpus_count,
                   total_words=self.corpus_total_words, epochs=self.epochs,
                   compute_loss=self.compute_loss, callbacks=self.callbacks)

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
                corpus, max_sentence_length=self.max_sentence_length, workers=self.workers)
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

    def _allocate_weights(self, old_size):  # pragma: no cover - every family overrides it
        raise NotImplementedError

    def _corpus(self, corpus_iterable, corpus_file, passes_needed, check_iterable=True):
        """The corpus to read: a checked plain-text path, or a (checked) iterable."""
        if (corpus_iterable is None) == (corpus_file is None):
            raise TypeError("pass exactly one of corpus_iterable and corpus_file")
        if corpus_file is not None:
            return require_plain_file(corpus_file)
        if not check_iterable:
            return corpus_iterable
        return check_corpus(corpus_iterable, passes_needed=passes_needed)

    # ------------------------------------------------------------------ training

    def _check_trainable(self):
        if self.vocab is None or len(self.wv) == 0:
            raise RuntimeError(f"the model has no vocabulary: call build_vocab(corpus) before "
                               f"train(), or pass the corpus to {type(self).__name__}(...)")
        if self.diverged:
            raise TrainingDivergedError("this model's training diverged (its weights hold NaN "
                                        f"or inf); train a fresh model with a lower "
                                        f"{self._RATE_PARAM}")

    def _train_epochs(self, epochs, train_one_epoch, *, callbacks, compute_loss, mode):
        """The epoch loop every family shares.

        ``train_one_epoch(epoch)`` trains one pass and returns its EpochReport
        (cw2v.train.runner); this loop calls the callbacks, checks the weights
        are finite, and records the loss and the epoch's history.  Returns
        (words trained, raw words) over all epochs, as gensim's train does.
        """
        self.compute_loss = compute_loss
        self.running_training_loss = 0.0
        for cb in callbacks:
            _call(cb, "on_train_begin", self)
        trained_words = raw_words = 0
        started = time.perf_counter()
        for epoch in range(epochs):
            for cb in callbacks:
                _call(cb, "on_epoch_begin", self)
            result = train_one_epoch(epoch)
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
                "mode": mode, "workers": self.workers})
            self.running_training_loss = tally.loss
            self.epochs_trained += 1
            self.wv.invalidate_norms()
            for cb in callbacks:
                _call(cb, "on_epoch_end", self)
        self.train_count += 1
        elapsed = time.perf_counter() - started
        rate = trained_words / max(elapsed, 1e-9)
        if mode == "pairs":     # GloVe's jobs count pairs in words_trained and read no words
            logger.info("training on %i pairs took %.1fs, %.0f pairs/s", trained_words, elapsed,
                        rate)
        else:
            logger.info("training on %i raw words (%i effective) took %.1fs, %.0f effective "
                        "words/s", raw_words, trained_words, elapsed, rate)
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
        return self.running_training_loss

    def _matrices(self):  # pragma: no cover - every family overrides it
        """The family's weight matrices by name (None entries left out)."""
        raise NotImplementedError

    def _check_finite(self, epoch):
        for name, matrix in self._matrices().items():
            if not _all_finite(matrix):
                self.diverged = True
                raise TrainingDivergedError(
                    f"{name} holds NaN or infinite values after epoch {epoch + 1}: training "
                    f"diverged. Lower the learning rate ({self._RATE_PARAM}="
                    f"{getattr(self, self._RATE_PARAM)}) and train a fresh model; this one is "
                    f"unusable and will not be saved.")

    # ------------------------------------------------------------------ persistence

    def save(self, path):
        """Save the whole model (atomically) as a directory of .npy arrays and JSON metadata.

        Loads back with ``load(path, mmap='r')`` sharing memory between
        processes; loading runs no pickled code.
        """
        if self.vocab is None:
            raise ValueError("nothing to save: the model has no vocabulary yet")
        if self.diverged:
            raise TrainingDivergedError("this model's training diverged (its weights hold NaN "
                                        "or inf); it will not be saved")
        self._check_finite(self.epochs_trained - 1)
        meta = {
            "kind": self.KIND,
            "params": {name: getattr(self, name) for name in self._PARAMS},
            "loss_history": [None if math.isnan(x) else x for x in self.loss_history],
            "training_history": self.training_history,
            "vocab_stats": {name: getattr(self.vocab, name) for name in self._VOCAB_STATS},
        }
        meta.update({name: getattr(self, name) for name in self._COUNTERS})
        words, word_offsets = bundle.pack_strings(self.vocab.index_to_key)
        arrays = {"counts": self.vocab.counts, "words": words, "word_offsets": word_offsets}
        arrays.update(self._saved_arrays())
        meta["vecattrs"], attribute_files = attribute_arrays(self.wv)
        arrays.update(attribute_files)
        bundle.save_bundle(path, meta, arrays)

    def _saved_arrays(self):
        """Arrays of the family's weights, by file name (default: _matrices by name)."""
        return self._matrices()

    @classmethod
    def load(cls, path, mmap=None):
        """Load a model saved by :meth:`save`; ``mmap='r'`` maps the arrays read-only.

        A damaged bundle (missing or unknown keys, values of the wrong type,
        arrays that do not fit the parameters) raises ValueError naming the
        path and the problem.
        """
        meta, arrays = bundle.load_bundle(path, mmap=mmap)
        where = os.fspath(path)
        if meta.get("kind") != cls.KIND:
            raise ValueError(f"{where!r} holds a {meta.get('kind')!r}, not a cw2v "
                             f"{cls.__name__} model; for vectors use KeyedVectors.load")
        for name in ("counts", "words", "word_offsets"):
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
            keys = bundle.unpack_strings(arrays["words"], arrays["word_offsets"])
            model.vocab = Vocabulary(keys, arrays["counts"], **meta["vocab_stats"])
        except (ValueError, TypeError) as err:
            raise damaged(f"the vocabulary is inconsistent ({err})") from None
        model._restore_weights(arrays, damaged)
        try:
            restore_attributes(model.wv, meta.get("vecattrs", []), arrays)
        except ValueError as err:
            raise damaged(f"the vector attributes are inconsistent ({err})") from None
        model.loss_history = [float("nan") if x is None else x for x in meta["loss_history"]]
        model.training_history = list(meta["training_history"])
        for name in cls._COUNTERS:
            setattr(model, name, meta[name])
        if model.loss_history and not math.isnan(model.loss_history[-1]):
            model.running_training_loss = model.loss_history[-1]    # else 0.0, as after train()
        return model

    # ------------------------------------------------------------------ gensim 3's names

    def init_sims(self, replace=False):
        """Deprecated, as in gensim 4: see :meth:`cw2v.KeyedVectors.init_sims`."""
        self.wv.init_sims(replace=replace)

    @property
    def layer1_size(self):
        """gensim's name for the hidden layer's size: ``vector_size``."""
        return self.vector_size

    def __getattr__(self, name):
        # Reached only for names the model lacks: gensim 3's say what to use instead.
        raise missing_attribute_error(self, name)

    def __getitem__(self, word):
        raise not_subscriptable_error(self)

    def __contains__(self, word):
        raise not_subscriptable_error(self)

    def _restore_weights(self, arrays, damaged):  # pragma: no cover - every family overrides it
        """Set the family's weights from loaded arrays; raise damaged(problem) if they do not fit."""
        raise NotImplementedError

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
