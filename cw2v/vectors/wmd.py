"""Word Mover's Distance between two documents (Kusner et al., 2015), as gensim computes it.

Each document is a normalised bag of words; the distance is the least total
cost of moving one bag's weight onto the other's, a word-to-word move costing
the Euclidean distance of their vectors. The transport problem is solved by
POT (Python Optimal Transport), an optional dependency: ``pip install 'cw2v[wmd]'``.
"""
from __future__ import annotations

import logging
from collections import Counter

import numpy as np

logger = logging.getLogger(__name__)


def wmdistance(kv, document1, document2, norm=True):
    """Word Mover's Distance between two lists of keys of ``kv``.

    Keys ``kv`` lacks are dropped (logged). Returns ``inf`` when either
    document has no known key, or when every pair of words is at distance 0
    (their vectors coincide), and 0.0 when both hold the same single word,
    as gensim does. ``norm`` uses unit vectors.
    """
    emd2 = _emd2()
    known1 = [key for key in document1 if key in kv]
    known2 = [key for key in document2 if key in kv]
    dropped1, dropped2 = len(document1) - len(known1), len(document2) - len(known2)
    if dropped1 or dropped2:
        logger.info("removed %d and %d out-of-vocabulary words from documents 1 and 2", dropped1, dropped2)
    if not known1 or not known2:
        logger.warning("at least one of the documents has no word in the vocabulary")
        return float("inf")
    bag1, bag2 = Counter(known1), Counter(known2)
    if len(bag1.keys() | bag2.keys()) == 1:
        return 0.0
    words1, words2 = sorted(bag1, key=str), sorted(bag2, key=str)
    vectors1 = np.array([kv.get_vector(key, norm=norm) for key in words1])
    vectors2 = np.array([kv.get_vector(key, norm=norm) for key in words2])
    from scipy.spatial.distance import cdist  # imported here: scipy.spatial is slow to load

    costs = cdist(vectors1, vectors2)  # float64, as the solver wants
    if abs(costs.sum()) < 1e-8:
        logger.info("every word-to-word distance is zero; returning inf, as gensim does")
        return float("inf")
    weights1 = np.array([bag1[key] for key in words1], dtype=np.float64) / len(known1)
    weights2 = np.array([bag2[key] for key in words2], dtype=np.float64) / len(known2)
    # Only the two documents' own words carry weight, so the problem is this
    # rectangular one; gensim states it over the union of both vocabularies,
    # with zero weight elsewhere, which has the same optimum.
    return float(emd2(weights1, weights2, costs))


def _emd2():
    try:
        from ot import emd2
    except ImportError:
        raise ImportError("wmdistance needs POT (Python Optimal Transport) to solve the transport "
                          "problem: pip install 'cw2v[wmd]' (or pip install POT)") from None
    return emd2
