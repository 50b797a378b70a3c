"""The FastText model: Word2Vec whose input vectors are subword means.

fastText (Bojanowski et al., 2017) forms the input vector of a word as the
mean of its own row and the rows of its hashed character n-grams, and sends
the step back to every one of those rows; output layers, windows,
subsampling, the schedule and the job runner are word2vec's.  So this
module holds only what is fastText's own:

* the input matrix, ``model.wv.input_vectors`` (float32: word rows, then
  n-gram rows, as :class:`FastTextKeyedVectors` keeps it), initialised
  uniform in +-1/K as Facebook's fastText does (``DenseMatrix::uniform(1.0 /
  dim)``).  By default it is compact: ``V + U`` rows, ``U`` the buckets some
  vocabulary word uses (a few hundred thousand of the 2M on a 100 MB
  corpus), each holding exactly the values it would have in the full
  ``(V + bucket, K)`` matrix (the full random stream is drawn in blocks and
  only kept rows are stored), so seeded training gives the same weights;
* the subword input former handed to the shared Trainer: the CSR of rows
  each vocabulary word averages (``vocabulary_subwords``), recomputed
  whenever the vocabulary changes;
* ``model.wv.vectors`` recomposed after every epoch, so queries, callbacks
  and saved vectors see the trained composed vectors;
* Facebook's ``.bin`` in and out: :func:`load_facebook_model` and
  :meth:`FastText.to_facebook` (for ``save_facebook_model``).
"""
from __future__ import annotations

import logging

import numpy as np

from cw2v._kernels.ngrams import fill_uniform_rows
from cw2v.io.corpus import DEFAULT_MAX_SENTENCE_LENGTH
from cw2v.io.fasttext_bin import FacebookArgs, FacebookModel, read_facebook_bin
from cw2v.models.word2vec import Word2Vec
from cw2v.train.base import check_int
from cw2v.vectors.gensim_names import warn_deprecated
from cw2v.vectors.fasttext_keyedvectors import FastTextKeyedVectors, compact_bucket_rows
from cw2v.vocab.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

MODEL_KIND = "cw2v.FastText"

# Word2Vec's own option that the subword former cannot take (the Trainer refuses it).
_WORD2VEC_ONLY = ("shared_negatives",)


class FastText(Word2Vec):
    """fastText subword embeddings: skip-gram or CBOW over word and n-gram rows.

    Keywords, their meanings and their positional order are gensim 4's
    ``FastText``; switching is a change of import.  On top of
    :class:`~cw2v.Word2Vec`'s:

    min_n, max_n : int, default 3, 6
        Lengths (in characters) of the n-grams of ``<word>``; ``max_n < min_n``
        turns n-grams off (each word is then its own row alone).
    bucket : int, default 2000000
        Hash buckets of the n-grams.  Only the buckets that vocabulary words
        use get rows (see ``compact_ngrams``); the size is logged before it
        is allocated.  Smaller values cost collisions.
    word_ngrams : int, default 1
        Only 1 (fastText uses word n-grams in supervised models alone).

    Keyword-only extras: ``compute_loss``, ``comment``, ``softmax``,
    ``max_sentence_length``, ``progress``, ``report_delay`` (see Word2Vec), and

    centre_once : bool, default True
        Skip-gram only: gather the centre word's subword rows into their mean
        once per window, move that mean after each (centre, context) pair as
        the rows would move, and add the window's summed step to the rows
        once.  The same update as Facebook's fastText, which gathers and
        scatters the rows for every pair, up to rounding (a test holds the
        two to float32 tolerance), with a fraction of the row reads and
        writes; see the README for the measured speed.  False: per pair.
    compact_ngrams : bool, default True
        Keep rows only for the buckets vocabulary words use (``wv.bucket_rows``
        maps buckets to rows); training gives the same weights as the full
        layout.  An unseen word's n-gram in an unused bucket then counts as a
        zero vector, where the full layout (``False``: all ``bucket`` rows,
        ``bucket x vector_size`` float32, 800 MB at the defaults) keeps its
        random initial row, as Facebook's fastText and gensim do.  Only the
        first allocation follows this flag: ``build_vocab(update=True)``
        grows a compact store and keeps a full one full (as loaded from
        Facebook's ``.bin``).

    ``model.wv`` is a :class:`~cw2v.FastTextKeyedVectors`: ``wv[word]`` works
    for unseen words too.  Skip-gram lets the centre word's subword mean
    predict each context word, as Facebook's fastText does.
    """

    KIND = MODEL_KIND
    _PARAMS = tuple(p for p in Word2Vec._PARAMS if p not in _WORD2VEC_ONLY) + (
        "min_n", "max_n", "bucket", "word_ngrams", "centre_once", "compact_ngrams")
    _FLAGS = tuple(f for f in Word2Vec._FLAGS if f not in _WORD2VEC_ONLY)
    _NEWER_PARAMS = Word2Vec._NEWER_PARAMS + ("centre_once", "compact_ngrams")

    def __init__(self, sentences=None, corpus_file=None, sg=0, hs=0, vector_size=100,
                 alpha=0.025, window=5, min_count=5, max_vocab_size=None, word_ngrams=1,
                 sample=1e-3, seed=1, workers=3, min_alpha=0.0001, negative=5,
                 ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, min_n=3,
                 max_n=6, sorted_vocab=1, bucket=2000000, trim_rule=None, batch_words=10000,
                 callbacks=(), max_final_vocab=None, shrink_windows=True, *,
                 compute_loss=False, comment=None, softmax=False,
                 max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, progress=False,
                 report_delay=1.0, centre_once=True, compact_ngrams=True):
        # Set before Word2Vec's constructor, which may train at once.
        self.min_n = check_int("min_n", min_n, 0)
        self.max_n = check_int("max_n", max_n, 0)
        self.bucket = check_int("bucket", bucket, 0)
        if check_int("word_ngrams", word_ngrams, 1) != 1:
            raise NotImplementedError(
                f"word_ngrams={word_ngrams}: word n-grams serve fastText's supervised models, "
                f"which cw2v does not train; leave word_ngrams=1")
        self.word_ngrams = 1
        self.centre_once = bool(centre_once)
        self.compact_ngrams = bool(compact_ngrams)
        super().__init__(
            sentences=sentences, corpus_file=corpus_file, vector_size=vector_size, alpha=alpha,
            window=window, min_count=min_count, max_vocab_size=max_vocab_size, sample=sample,
            seed=seed, workers=workers, min_alpha=min_alpha, sg=sg, hs=hs, negative=negative,
            ns_exponent=ns_exponent, cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs,
            null_word=null_word, trim_rule=trim_rule, sorted_vocab=sorted_vocab,
            batch_words=batch_words, compute_loss=compute_loss, callbacks=callbacks,
            comment=comment, max_final_vocab=max_final_vocab, shrink_windows=shrink_windows,
            softmax=softmax, max_sentence_length=max_sentence_length, progress=progress,
            report_delay=report_delay)

    # ------------------------------------------------------------------ weights

    def _new_input(self, old_size):
        """FastTextKeyedVectors over a fresh input matrix, compact or full (see ``compact_ngrams``).

        New rows are uniform in +-1/K (Facebook fastText's initialisation);
        after a vocabulary update the first old_size word rows and all n-gram
        rows keep their trained values.
        """
        V, K, B = len(self.vocab), self.vector_size, self.bucket
        old = self.wv if old_size else None
        compact = self.compact_ngrams if old is None else old.bucket_rows is not None
        bucket_rows, new_buckets = None, None
        if compact:
            bucket_rows, new_buckets = compact_bucket_rows(
                self.vocab.index_to_key, self.min_n, self.max_n, B,
                previous=None if old is None else old.bucket_rows)
        old_ngram_rows = 0 if old is None else len(old.vectors_ngrams)
        n_ngram_rows = old_ngram_rows + new_buckets.size if compact else B
        logger.info("allocating the input matrix: (%i words + %i n-gram rows%s) x %i dimensions "
                    "x 4 bytes = %.1f MB", V, n_ngram_rows,
                    f" of {B} buckets" if compact else " (full layout)", K,
                    (V + n_ngram_rows) * K * 4 / 2**20)
        w_in = np.empty((V + n_ngram_rows, K), dtype=np.float32)
        if old is not None:
            w_in[:old_size] = old.vectors_vocab[:old_size]
            w_in[V:V + old_ngram_rows] = old.vectors_ngrams
        # Each new row is drawn for its own id (see _init_rows): word rows by
        # index, n-gram rows by bucket, so a compact store holds exactly the
        # rows of the full matrix, after vocabulary updates as well.
        _init_rows(w_in[old_size:V], np.arange(old_size, V), self.seed, _WORDS_STREAM + old_size)
        if compact:
            _init_rows(w_in[V + old_ngram_rows:], new_buckets, self.seed, _NGRAMS_STREAM)
        elif old is None:
            _init_rows(w_in[V:], np.arange(B), self.seed, _NGRAMS_STREAM)
        return self._input_vectors(w_in, bucket_rows)

    def _input_vectors(self, w_in, bucket_rows=None):
        """FastTextKeyedVectors of this vocabulary over the input matrix w_in (no copy)."""
        return FastTextKeyedVectors.from_input_matrix(
            self.vocab.index_to_key, w_in, self.min_n, self.max_n, self.bucket,
            counts=self.vocab.counts, bucket_rows=bucket_rows)

    def _saved_arrays(self):
        arrays = super()._saved_arrays()
        if self.wv.bucket_rows is not None:
            arrays["bucket_rows"] = self.wv.bucket_rows
        return arrays

    def _restored_input(self, w_in, damaged, arrays):
        """FastTextKeyedVectors of a loaded input matrix: (V + bucket, K), or compact."""
        V, K = len(self.vocab), self.vector_size
        bucket_rows = arrays.get("bucket_rows")
        if w_in.ndim != 2 or w_in.shape[1] != K or (
                bucket_rows is None and w_in.shape[0] != V + self.bucket):
            raise damaged(f"w_in has shape {w_in.shape}, expected ({V + self.bucket}, {K}) "
                          f"({V} words + {self.bucket} buckets) or a compact model's bucket_rows")
        try:
            return self._input_vectors(w_in, bucket_rows)
        except (ValueError, TypeError) as err:
            raise damaged(f"the vocabulary or input vectors are inconsistent ({err})") from None

    def _matrices(self):
        matrices = super()._matrices()
        # The trained matrix; wv.vectors is composed from it.
        matrices["wv.vectors"] = self.wv.input_vectors
        return matrices

    def _input_former(self):
        """The whole input matrix, the subword CSR of the current vocabulary and the
        skip-gram window rule."""
        wv = self.wv
        return wv.input_vectors, dict(subword_offsets=wv.subword_offsets,
                                      subword_rows=wv.subword_rows,
                                      centre_once=self.centre_once and bool(self.sg))

    # ------------------------------------------------------------------ training

    def _train_epochs(self, epochs, train_one_epoch, **kwargs):
        """Word2Vec's epoch loop, with wv.vectors recomposed after each epoch."""
        def train_and_compose(epoch):
            result = train_one_epoch(epoch)
            self.wv.adjust_vectors()
            return result
        return super()._train_epochs(epochs, train_and_compose, **kwargs)

    def estimate_memory(self, vocab_size=None, report=None):
        """Word2Vec's estimate (``vectors``: the composed vectors) plus fastText's own arrays:
        ``vectors_vocab`` and ``vectors_ngrams`` (the input matrix) and ``subwords`` (the CSR
        of rows each word averages; measured for the model's vocabulary, else scaled from it
        or taken as 12 rows a word)."""
        report = super().estimate_memory(vocab_size=vocab_size, report=report)
        known = len(self.wv) if self.vocab is not None else 0
        words = int(vocab_size or known)
        report["vectors_vocab"] = 4 * words * self.vector_size
        # A compact store's size is known once its vocabulary is; before
        # that, the full layout is the upper bound.
        ngram_rows = len(self.wv.vectors_ngrams) if known else self.bucket
        report["vectors_ngrams"] = 4 * ngram_rows * self.vector_size
        if self.compact_ngrams:
            report["bucket_rows"] = 4 * self.bucket
        if known:
            csr = self.wv.subword_offsets.nbytes + self.wv.subword_rows.nbytes
            report["subwords"] = round(csr * words / known)
        else:
            report["subwords"] = words * (8 + 4 * 12)
        report["total"] = sum(value for key, value in report.items() if key != "total")
        return report

    # ------------------------------------------------------------------ Facebook's files

    def to_facebook(self) -> FacebookModel:
        """The model as Facebook fastText's ``.bin`` holds it (for ``save_facebook_model``).

        The output matrix written is negative sampling's when on, else the
        full softmax's, else the hierarchical softmax's inner nodes (fastText
        builds its own tree on loading, so that one serves word vectors but
        not further training in fastText).
        """
        if self.vocab is None:
            raise ValueError("nothing to save: the model has no vocabulary yet")
        V, K = len(self.vocab), self.vector_size
        if self.negative:
            loss, output = "ns", self.w_out_ns
        elif self.softmax:
            loss, output = "softmax", self.w_out_softmax
        else:
            loss, output = "hs", np.vstack([self.w_out_hs, np.zeros((1, K), np.float32)])
        args = FacebookArgs(dim=K, ws=self.window, epoch=self.epochs, min_count=self.min_count,
                            neg=self.negative, word_ngrams=1, loss=loss,
                            model="sg" if self.sg else "cbow", bucket=self.bucket,
                            minn=self.min_n, maxn=self.max_n, t=self.sample)
        return FacebookModel(args, list(self.vocab.index_to_key), self.vocab.counts,
                             int(self.corpus_total_words), self.wv.input_vectors, output[:V],
                             bucket_rows=self.wv.bucket_rows)

    @classmethod
    def load_fasttext_format(cls, model_file, encoding="utf8"):
        """Deprecated (as in gensim 4): use :func:`load_facebook_model`."""
        warn_deprecated("load_fasttext_format", "cw2v.load_facebook_model(path)")
        if encoding.replace("-", "").lower() != "utf8":
            raise ValueError(f"encoding={encoding!r}: fastText's files hold UTF-8 words; "
                             f"leave encoding='utf8'")
        return load_facebook_model(model_file)

    def __repr__(self):
        return (f"FastText<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"{'sg' if self.sg else 'cbow'}, alpha={self.alpha}, "
                f"n-grams {self.min_n}..{self.max_n} in {self.bucket} buckets>")


# The generator streams of the input rows: one for the n-gram rows (by bucket),
# one per vocabulary size for the word rows added to it (by index).
_NGRAMS_STREAM = 0
_WORDS_STREAM = 1


def _init_rows(rows, ids, seed, stream):
    """rows := uniform in [-1/K, 1/K) (Facebook fastText's initialisation), row i
    drawn for id ids[i] alone (cw2v._kernels.ngrams.fill_uniform_rows)."""
    if rows.size:
        fill_uniform_rows(rows, np.ascontiguousarray(ids, dtype=np.int64),
                          seed % 2**64, stream, 1.0 / rows.shape[1])


def load_facebook_model(path) -> FastText:
    """A trainable :class:`FastText` from Facebook fastText's ``.bin``.

    Word and n-gram vectors are the file's (``wv[word]`` equals fastText's
    ``get_word_vector`` for known and unseen words); the settings are the
    file's, with fastText's noise exponent 0.5.  The learning rate is not
    stored in a ``.bin``: ``alpha`` is left at its default.  A
    hierarchical-softmax model's output rows start from zero (they belong
    to fastText's tree, not cw2v's).  Train further with
    ``model.train(corpus, total_examples=..., epochs=...)``, after
    ``model.build_vocab(corpus, update=True)`` to add new words.
    """
    facebook = read_facebook_bin(path)
    args = facebook.args
    if args.word_ngrams != 1:
        logger.info("%s: wordNgrams=%i is ignored (unsupervised models use none)", path,
                    args.word_ngrams)
    model = FastText(sg=int(args.model == "sg"), hs=int(args.loss == "hs"),
                     negative=args.neg if args.loss == "ns" else 0,
                     softmax=args.loss == "softmax", vector_size=args.dim, window=args.ws,
                     min_count=args.min_count, sample=args.t, epochs=args.epoch,
                     ns_exponent=0.5, min_n=args.minn, max_n=args.maxn, bucket=args.bucket)
    model.vocab = Vocabulary(facebook.words, facebook.counts, raw_word_count=facebook.ntokens,
                             min_count=args.min_count)
    model.corpus_total_words = facebook.ntokens
    V = len(facebook.words)
    arrays = {"w_in": facebook.input_matrix}
    if args.loss == "ns":
        arrays["w_out_ns"] = facebook.output_matrix
    elif args.loss == "softmax":
        arrays["w_out_softmax"] = facebook.output_matrix
    else:
        logger.warning("%s: hierarchical softmax rows of fastText's tree are not reused; the "
                       "output layer starts from zero", path)
        arrays["w_out_hs"] = np.zeros((max(V - 1, 0), args.dim), np.float32)

    def damaged(problem):
        return ValueError(f"{path}: {problem}")

    model._restore_weights(arrays, damaged)
    return model
