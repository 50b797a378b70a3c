"""FastTextKeyedVectors: word vectors composed of a word's row and its n-gram rows.

A fastText model keeps one input matrix of ``V + B`` rows of ``K`` floats:
``V`` rows for the vocabulary words (``vectors_vocab``), then ``B`` rows for
hashed character n-grams (``vectors_ngrams``; ``B`` is ``bucket``, or fewer
in a compact model, below). A word's vector is the mean of the rows it
uses (``src_c/ngrams.h`` states the rule; it is Facebook fastText's):

* a vocabulary word: its own row and the rows of its n-grams; these composed
  vectors form ``vectors``, which every ``KeyedVectors`` query searches;
* any other word: the mean of its n-gram rows, so ``wv[word]`` works for
  words never seen in training;
* a word with no n-gram of ``min_n..max_n`` characters (or ``</s>``) outside
  the vocabulary: a zero vector.

``word in wv`` is True for any word once there are n-gram rows, as in
gensim (a vector can always be formed); ``wv.has_index_for(word)`` and
``key_to_index`` tell whether the word is in the vocabulary.

Compact models (what ``cw2v.FastText`` trains by default) hold only the
n-gram rows some vocabulary word uses: ``bucket_rows`` (int32, length
``bucket``) maps a hash bucket to its row of ``vectors_ngrams``, or -1 for a
bucket no vocabulary word uses.  Training never reads or writes such a
bucket, so its row would hold only its random initial values; a compact
model counts it as a **zero vector**: an unseen word's vector is the sum of
its n-gram rows that exist divided by the number of all its n-grams.  A
compact model written as Facebook's ``.bin`` has zeros in those rows, so the
``fasttext`` package and gensim give unseen words the same vectors.  Every
bucket a vocabulary word uses must have a row.

The API follows gensim 4's ``FastTextKeyedVectors``: ``vectors_vocab``,
``vectors_ngrams``, ``vectors``, ``min_n``, ``max_n``, ``bucket``,
``get_vector(word, norm=)``, ``adjust_vectors()``, and the queries of
:class:`~cw2v.vectors.keyedvectors.KeyedVectors`, which accept unseen words.
"""
from __future__ import annotations

import logging

import numpy as np

from cw2v._kernels import ngrams as subwords
from cw2v.io import bundle as persist
from cw2v.io import word2vec_format as formats
from cw2v.io.fasttext_bin import check_bucket_rows
from cw2v.vectors.keyedvectors import KeyedVectors

logger = logging.getLogger(__name__)

BUNDLE_KIND = "fasttext_keyed_vectors"


class FastTextKeyedVectors(KeyedVectors):
    """Vocabulary words and hashed character n-grams, and the vectors composed of them.

    Parameters
    ----------
    vector_size : int
        Dimensionality ``K``.
    min_n, max_n : int
        Character n-gram lengths; no n-grams when ``max_n < min_n`` or ``max_n == 0``.
    bucket : int
        Number of hash buckets for n-grams (0: no n-grams, a word2vec model).
    count : int
        Vocabulary rows to preallocate (zero, as in gensim's constructor).

    Attributes
    ----------
    input_vectors : float32 (V + B, K)
        The trained matrix: ``vectors_vocab`` then ``vectors_ngrams`` (views of it).
    vectors : float32 (V, K)
        Composed vectors of the vocabulary words.
    subword_offsets : int64 (V + 1,), subword_rows : int32
        Rows of ``input_vectors`` that word ``i`` averages:
        ``subword_rows[subword_offsets[i]:subword_offsets[i + 1]]``.
    bucket_rows : int32 (bucket,) or None
        For a compact model, the row of ``vectors_ngrams`` of each bucket, -1 if none.
    """

    def __init__(self, vector_size, min_n, max_n, bucket, count=0, dtype=np.float32):
        super().__init__(vector_size, count=0, dtype=dtype)
        min_n, max_n, bucket = int(min_n), int(max_n), int(bucket)
        if min_n < 0 or max_n < 0 or bucket < 0:
            raise ValueError(f"min_n, max_n and bucket must be >= 0, got {min_n}, {max_n}, {bucket}")
        self.min_n, self.max_n, self.bucket = min_n, max_n, bucket
        self.bucket_rows = None
        keys = [None] * int(count)
        self._set_input(keys, np.zeros((int(count) + bucket, self.vector_size), np.float32))

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_input_matrix(cls, index_to_key, input_vectors, min_n, max_n, bucket, counts=None,
                          bucket_rows=None):
        """Build from ``V`` unique str keys and the ``(V + B, K)`` input matrix.

        ``B`` is ``bucket``, or for a compact model the number of rows
        ``bucket_rows`` (int32, length ``bucket``, values in ``[-1, B)``)
        points into. ``input_vectors`` is used without a copy when it is
        float32 and C-contiguous, so a trainer can keep updating it.
        """
        keys = list(index_to_key)
        input_vectors = np.asarray(input_vectors)
        if input_vectors.ndim != 2 or input_vectors.shape[1] < 1:
            raise ValueError(f"the input matrix must be 2-d with at least one column, got {input_vectors.shape}")
        # The keys get KeyedVectors' own checks (str, unique) on a placeholder matrix.
        KeyedVectors.from_arrays(keys, np.empty((len(keys), 1), np.float32))
        kv = cls(input_vectors.shape[1], min_n, max_n, bucket)
        n_ngram_rows = input_vectors.shape[0] - len(keys)
        kv.bucket_rows = check_bucket_rows(bucket_rows, kv.bucket, n_ngram_rows)
        if kv.bucket_rows is None and n_ngram_rows != kv.bucket:
            raise ValueError(f"{len(keys)} words and {kv.bucket} buckets, but the input matrix has "
                             f"{input_vectors.shape[0]} rows instead of {len(keys) + kv.bucket}")
        kv._set_input(keys, input_vectors)
        kv.counts = counts      # checked by the setter
        return kv

    def _set_input(self, keys, input_vectors):
        """Adopt the keys and the input matrix, and compose the vocabulary vectors."""
        self.index_to_key = keys
        self.key_to_index = {key: i for i, key in enumerate(keys) if key is not None}
        self.next_index = len(self.key_to_index)
        self.input_vectors = np.ascontiguousarray(input_vectors, dtype=np.float32)
        self.subword_offsets, self.subword_rows = self._vocabulary_rows()
        self.adjust_vectors()

    def _vocabulary_rows(self):
        """The CSR of rows each vocabulary word averages (own row first)."""
        words = ["" if key is None else key for key in self.index_to_key]
        offsets, rows = subwords.vocabulary_subwords(words, self.min_n, self.max_n, self.bucket)
        if self.bucket_rows is not None:
            rows = _compact_vocabulary_rows(rows, len(words), self.bucket_rows)
        return offsets, rows

    # ------------------------------------------------------------------ the matrices

    @property
    def vectors_vocab(self):
        """float32 ``(V, K)``: each vocabulary word's own row (a view of ``input_vectors``)."""
        return self.input_vectors[: len(self.index_to_key)]

    @vectors_vocab.setter
    def vectors_vocab(self, value):
        self._writable_input()[: len(self.index_to_key)] = _same_shape(value, self.vectors_vocab, "vectors_vocab")
        self.adjust_vectors()

    @property
    def vectors_ngrams(self):
        """float32 ``(B, K)``: the n-gram rows (a view of ``input_vectors``)."""
        return self.input_vectors[len(self.index_to_key):]

    @vectors_ngrams.setter
    def vectors_ngrams(self, value):
        self._writable_input()[len(self.index_to_key):] = _same_shape(value, self.vectors_ngrams, "vectors_ngrams")
        self.adjust_vectors()

    def _writable_input(self):
        if not self.input_vectors.flags.writeable:
            self.input_vectors = self.input_vectors.copy()
        return self.input_vectors

    def adjust_vectors(self):
        """Recompose ``vectors`` from ``input_vectors``: call after changing it in place (training)."""
        n_words = len(self.index_to_key)
        composed = np.empty((n_words, self.input_vectors.shape[1]), np.float32)
        subwords.mean_rows(self.input_vectors, self.subword_offsets, self.subword_rows, composed)
        self.vectors = composed

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Not offered: a fastText word's vector is composed from rows, not set."""
        raise TypeError("FastTextKeyedVectors composes word vectors from n-gram rows and cannot take new "
                        "vectors; build a KeyedVectors from wv.vectors to add some")

    # ------------------------------------------------------------------ lookup

    def __contains__(self, word):
        """True when a vector can be formed: any word once n-grams exist (gensim's rule)."""
        return self.has_index_for(word) or (isinstance(word, str) and self.bucket > 0)

    def ngram_rows(self, word):
        """int32 rows of ``input_vectors`` a word's vector is formed from (own row first if known).

        For an unseen word of a compact model, buckets without a row are left
        out: they count as zero rows, so the vector is the sum of these rows
        divided by the word's number of n-grams (see :meth:`get_vector`), not
        their mean.
        """
        index = self.key_to_index.get(word, -1) if isinstance(word, str) else -1
        if index >= 0:
            return self.subword_rows[self.subword_offsets[index]:self.subword_offsets[index + 1]]
        return self._unseen_word_rows(word)[0]

    def _unseen_word_rows(self, word):
        """The existing n-gram rows of a word outside the vocabulary, and how many n-grams it has."""
        rows = subwords.ngram_rows(word, self.min_n, self.max_n, self.bucket, len(self.index_to_key))
        n_ngrams = rows.size
        if self.bucket_rows is not None:
            rows = _compact_rows(rows, len(self.index_to_key), self.bucket_rows)
        return rows, n_ngrams

    def get_vector(self, word, norm=False):
        """Vector of any word, shape ``(K,)``, L2-normalised if ``norm``.

        A vocabulary word (or an int row number) gives its composed row; any
        other str the sum of its n-gram rows divided by its number of n-grams
        (their mean in a full model; a compact model's buckets without a row
        count as zeros), or a zero vector if it has none.
        """
        if self.has_index_for(word):
            return super().get_vector(word, norm=norm)
        if not isinstance(word, str):
            raise KeyError(f"{word!r} is not in the vocabulary ({len(self)} keys)")
        rows, n_ngrams = self._unseen_word_rows(word)
        vector = np.zeros((1, self.vector_size), np.float32)
        subwords.mean_rows(self.input_vectors, np.array([0, rows.size], np.int64), rows, vector)
        vector = vector[0]
        if rows.size < n_ngrams:  # a compact model's missing rows count as zeros
            vector *= np.float32(rows.size / n_ngrams)
        if norm:
            length = float(np.linalg.norm(vector))
            if length > 0:
                vector /= np.float32(length)
        vector.flags.writeable = False
        return vector

    # ------------------------------------------------------------------ queries with unseen words

    def _as_vectors(self, items):
        """A query list with every unseen str replaced by its unit vector (weights kept).

        ``KeyedVectors`` queries take vocabulary words as their unit vectors
        and raw vectors as given; an unseen word thus counts as a word, but
        excludes nothing from the results.
        """
        def resolve(item):
            if isinstance(item, str) and not self.has_index_for(item):
                return self.get_vector(item, norm=True)
            if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
                return (resolve(item[0]), item[1])
            return item
        if isinstance(items, str):
            return resolve(items)
        if items is None or isinstance(items, np.ndarray):
            return items
        return [resolve(item) for item in items]

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """:meth:`KeyedVectors.most_similar`, for unseen words too."""
        return super().most_similar(self._as_vectors(positive), self._as_vectors(negative), topn=topn,
                                    clip_start=clip_start, clip_end=clip_end, restrict_vocab=restrict_vocab,
                                    indexer=indexer)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """:meth:`KeyedVectors.most_similar_cosmul`, for unseen words too."""
        return super().most_similar_cosmul(self._as_vectors(positive), self._as_vectors(negative), topn=topn,
                                           restrict_vocab=restrict_vocab)

    def most_similar_batch(self, queries, topn=10, restrict_vocab=None, clip_start=0, clip_end=None):
        """:meth:`KeyedVectors.most_similar_batch`, for unseen words too."""
        if not (isinstance(queries, np.ndarray) and queries.ndim == 2):
            queries = [self._batch_query(query) for query in queries]
        return super().most_similar_batch(queries, topn=topn, restrict_vocab=restrict_vocab,
                                          clip_start=clip_start, clip_end=clip_end)

    def _batch_query(self, query):
        if isinstance(query, dict):
            return {name: self._as_vectors(items) for name, items in query.items()}
        return self._as_vectors(query)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """Words most similar to ``key`` (seen or unseen)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """Words most similar to ``word`` (seen or unseen); gensim's older name of similar_by_key."""
        return self.similar_by_key(word, topn=topn, restrict_vocab=restrict_vocab)

    def get_sentence_vector(self, sentence):
        """Mean of the unit vectors of the words of ``sentence`` (seen or unseen), as gensim's."""
        return self.get_mean_vector(sentence)

    def recalc_char_ngram_buckets(self):
        """Recompute every vocabulary word's n-gram rows and ``vectors`` (after changing
        ``min_n``, ``max_n`` or ``bucket`` by hand; a new bucket needs a matching matrix)."""
        self.subword_offsets, self.subword_rows = self._vocabulary_rows()
        self.adjust_vectors()

    def similarity(self, w1, w2):
        """Cosine similarity of two words (seen or unseen); ``ValueError`` for a zero vector."""
        if self.has_index_for(w1) and self.has_index_for(w2):
            return super().similarity(w1, w2)
        v1, v2 = (self._unit(self.get_vector(w), f"vector of {w!r}") for w in (w1, w2))
        return float(v1 @ v2)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the mean vectors of two non-empty word lists (seen or unseen)."""
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            raise ValueError("n_similarity needs two non-empty lists of keys")
        means = [self._unit(self[ws].mean(axis=0), "mean vector of one list") for ws in (ws1, ws2)]
        return float(means[0] @ means[1])

    def distances(self, word_or_vector, other_words=()):
        """Cosine distance from a word or vector to ``other_words`` (default: every vocabulary word)."""
        if isinstance(word_or_vector, str):
            word_or_vector = self.get_vector(word_or_vector, norm=True)
        if not other_words or all(self.has_index_for(w) for w in other_words):
            return super().distances(word_or_vector, other_words)
        others = np.vstack([self.get_vector(w, norm=True) for w in other_words])
        return 1 - others @ self._unit(np.asarray(word_or_vector, np.float32), "vector")

    def rank_by_centrality(self, words, use_norm=True):
        """``[(similarity, word)]`` to the normalised centroid, most central first (unseen words too)."""
        words = list(words)
        if not words:
            raise ValueError("rank_by_centrality needs at least one word")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in words])
        centre = self._unit(vectors.mean(axis=0), "centroid of the words")
        return sorted(zip((vectors @ centre).tolist(), words), reverse=True)

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """:meth:`KeyedVectors.get_mean_vector`; an unseen word counts with its n-gram vector."""
        keys = [self.get_vector(k, norm=pre_normalize) if isinstance(k, str) and not self.has_index_for(k)
                else k for k in keys]
        return super().get_mean_vector(keys, weights=weights, pre_normalize=pre_normalize,
                                       post_normalize=post_normalize, ignore_missing=ignore_missing)

    # ------------------------------------------------------------------ files

    def save(self, path, allow_non_finite=False):
        """Save as a cw2v bundle directory (atomic): keys, counts and the input matrix."""
        keys = self._keys_for_saving()
        if not allow_non_finite:
            formats.check_finite(keys, self.input_vectors[: len(keys)])
            formats.check_finite(_NgramRowNames(), self.vectors_ngrams)
        blob, offsets = persist.pack_strings(keys)
        arrays = {"input_vectors": self.input_vectors, "keys_utf8": blob, "keys_offsets": offsets}
        if self.counts is not None:
            arrays["counts"] = self.counts
        if self.bucket_rows is not None:
            arrays["bucket_rows"] = self.bucket_rows
        meta = {"kind": BUNDLE_KIND, "vector_size": self.vector_size, "min_n": self.min_n,
                "max_n": self.max_n, "bucket": self.bucket}
        persist.save_bundle(path, meta, arrays)

    @classmethod
    def load(cls, fname_or_handle, mmap=None):
        """Load a bundle written by :meth:`save`; ``mmap='r'`` maps the input matrix read-only."""
        path = fname_or_handle
        meta, arrays = persist.load_bundle(path, mmap=mmap, kind=BUNDLE_KIND)
        settings = [meta.get(name) for name in ("min_n", "max_n", "bucket")]
        try:
            if not all(isinstance(value, int) for value in settings):
                raise ValueError("meta.json lacks integer min_n, max_n and bucket")
            keys = persist.unpack_strings(arrays["keys_utf8"], arrays["keys_offsets"])
            return cls.from_input_matrix(keys, arrays["input_vectors"], *settings, counts=arrays.get("counts"),
                                         bucket_rows=arrays.get("bucket_rows"))
        except KeyError as missing:
            raise ValueError(f"{path}: bundle lacks the array {missing}; it is damaged") from None
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: {err}") from None


# ---------------------------------------------------------------------- helpers

def _same_shape(value, current, name):
    value = np.asarray(value, dtype=np.float32)
    if value.shape != current.shape:
        raise ValueError(f"{name} must keep its shape {current.shape}, got {value.shape}")
    return value


class _NgramRowNames:
    """Names of n-gram rows for error messages, made only when asked for."""

    def __getitem__(self, row):
        return f"n-gram row {row}"


def _compact_rows(rows, n_words, bucket_rows):
    """Full-model n-gram rows (``n_words + bucket``) to compact ones, dropping buckets without a row."""
    mapped = bucket_rows[rows - n_words]
    return (mapped[mapped >= 0] + n_words).astype(np.int32)


def _compact_vocabulary_rows(rows, n_words, bucket_rows):
    """A full model's vocabulary CSR rows rewritten for a compact one (offsets unchanged: every
    bucket a vocabulary word uses must have a row)."""
    is_ngram = rows >= n_words
    mapped = rows.copy()
    mapped[is_ngram] = bucket_rows[rows[is_ngram] - n_words] + n_words
    if np.any(mapped[is_ngram] < n_words):
        raise ValueError("bucket_rows has no row for a bucket that a vocabulary word uses")
    return mapped


def compact_bucket_rows(words, min_n, max_n, bucket, previous=None):
    """Rows for every bucket the n-grams of ``words`` use: ``(bucket_rows, new_buckets)``.

    ``bucket_rows`` is int32 ``(bucket,)``, -1 for unused buckets.  The buckets
    of ``previous`` (an older ``bucket_rows``) keep their rows; buckets it
    lacks get the next rows, in the order the words first use them, and are
    listed in ``new_buckets`` (int64) in row order.  Found from the
    vocabulary's subword CSR in C and NumPy.
    """
    n_words = len(words)
    _, rows = subwords.vocabulary_subwords(list(words), min_n, max_n, bucket)
    in_use = rows[rows >= n_words] - n_words
    if previous is None:
        bucket_rows, n_rows = np.full(bucket, -1, np.int32), 0
    else:
        bucket_rows = check_bucket_rows(previous, bucket).copy()
        n_rows = int(bucket_rows.max(initial=-1)) + 1
        in_use = in_use[bucket_rows[in_use] < 0]
    # In order of first use by the words (most frequent first): the rows that
    # training reads most often sit together, sharing cache lines and pages.
    buckets, first_use = np.unique(in_use, return_index=True)
    new_buckets = buckets[np.argsort(first_use, kind="stable")].astype(np.int64)
    bucket_rows[new_buckets] = np.arange(n_rows, n_rows + new_buckets.size, dtype=np.int32)
    return bucket_rows, new_buckets
