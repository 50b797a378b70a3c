"""Names gensim 4 removed or renamed, answered with what to use instead.

Code written for gensim 3 reaches for ``kv.index2word``, ``kv.vocab``,
``model.most_similar`` or ``model.iter``. gensim 4 turns four of those on
``KeyedVectors`` (``index2word``, ``index2entity``, ``vocab``,
``vectors_norm``) into ``AttributeError``s that name the replacement; the rest
fail with Python's bare "object has no attribute". cw2v answers all of them
the helpful way, on ``KeyedVectors`` through :class:`RemovedName` descriptors
and on the models through :func:`missing_attribute_error`, called from their
``__getattr__``.
"""
from __future__ import annotations

import warnings

MIGRATION_GUIDE = "https://github.com/RaRe-Technologies/gensim/wiki/Migrating-from-Gensim-3.x-to-4"

# KeyedVectors attributes of gensim 3, and what gensim 4 (and cw2v) have instead.
KEYED_VECTORS_REMOVED = {
    "index2word": "was replaced by index_to_key in gensim 4.0.0 (a list: row -> key)",
    "index2entity": "was replaced by index_to_key in gensim 4.0.0 (a list: row -> key)",
    "vocab": ("was removed in gensim 4.0.0: use key_to_index (dict: key -> row), index_to_key "
              "(list: row -> key), and get_vecattr(key, attr) / set_vecattr(key, attr, value) for "
              "per-key data such as get_vecattr(key, 'count')"),
    "vectors_norm": ("is computed on demand since gensim 4.0.0: use get_normed_vectors(), or "
                     "get_vector(key, norm=True) for one key"),
    "syn0": "was renamed vectors in gensim 4.0.0",
    "syn0norm": "is computed on demand since gensim 4.0.0: use get_normed_vectors()",
    "syn0_lockf": "was renamed vectors_lockf in gensim 4.0.0",
}

# Query methods gensim 3's Word2Vec forwarded to its vectors: gensim 4 keeps them on model.wv only.
_QUERIES = ("most_similar", "most_similar_cosmul", "similar_by_word", "similar_by_vector",
            "similarity", "n_similarity", "distance", "distances", "doesnt_match", "closer_than",
            "rank", "wmdistance", "evaluate_word_pairs", "evaluate_word_analogies", "get_vector",
            "word_vec", "most_similar_to_given", "rank_by_centrality", "similarity_unseen_docs")

MODEL_REMOVED = {
    **{name: f"is a method of the vectors since gensim 4.0.0: use model.wv.{name}(...)" for name in _QUERIES},
    "accuracy": "was replaced by model.wv.evaluate_word_analogies(path) in gensim 4.0.0",
    "iter": "was renamed epochs in gensim 4.0.0",
    "size": "was renamed vector_size in gensim 4.0.0",
    "syn0": "is model.wv.vectors since gensim 4.0.0",
    "syn0norm": "is computed on demand since gensim 4.0.0: use model.wv.get_normed_vectors()",
    "vectors_norm": "is computed on demand since gensim 4.0.0: use model.wv.get_normed_vectors()",
    "syn0_lockf": "is model.wv.vectors_lockf since gensim 4.0.0",
    "vectors_lockf": "is model.wv.vectors_lockf since gensim 4.0.0",
    "index2word": "is model.wv.index_to_key since gensim 4.0.0",
    "index2entity": "is model.wv.index_to_key since gensim 4.0.0",
    "key_to_index": "belongs to the vectors: use model.wv.key_to_index",
    "index_to_key": "belongs to the vectors: use model.wv.index_to_key",
    "vectors": "belongs to the vectors: use model.wv.vectors",
    "vocabulary": ("was removed in gensim 4.0.0: its settings are on the model (model.sample, "
                   "model.min_count, ...), the words in model.wv.index_to_key and their counts in "
                   "model.wv.get_vecattr(word, 'count')"),
    "trainables": ("was removed in gensim 4.0.0: its arrays are on the model (model.syn1neg, "
                   "model.syn1) and on model.wv (vectors, vectors_lockf)"),
}


class RemovedName:
    """A class attribute that fails, on read and on write, with what to use instead.

    On the class itself it is visible (``hasattr(KeyedVectors, "vocab")``, as
    in gensim); on an instance every access raises ``AttributeError``.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        raise self._error(instance)

    def __set__(self, instance, value):
        raise self._error(instance)

    def _error(self, instance):
        return AttributeError(f"The {self.name} attribute of {type(instance).__name__} "
                              f"{KEYED_VECTORS_REMOVED[self.name]}. See {MIGRATION_GUIDE}")


def missing_attribute_error(instance, name):
    """The ``AttributeError`` for ``instance.name``, saying what to use when gensim 4 moved it."""
    advice = MODEL_REMOVED.get(name)
    owner = type(instance).__name__
    if advice is None:
        return AttributeError(f"{owner!r} object has no attribute {name!r}")
    return AttributeError(f"{owner!r} object has no attribute {name!r}: {name} {advice}. "
                          f"See {MIGRATION_GUIDE}")


def not_subscriptable_error(instance):
    """A model indexed like gensim 3's (``model["king"]``, ``"king" in model``)."""
    return TypeError(f"{type(instance).__name__} holds no vectors itself since gensim 4.0.0: use "
                     "model.wv[word] for a vector and `word in model.wv` for membership")


def warn_deprecated(name, instead):
    """The DeprecationWarning gensim 4 gives for a name it still accepts."""
    warnings.warn(f"{name} is deprecated (as in gensim 4): use {instead}", DeprecationWarning, stacklevel=3)
