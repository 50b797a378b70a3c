"""A planted-topic corpus for GloVe's tests (built on tests/synthetic.py)."""
import numpy as np

from synthetic import topic_corpus


def noisy_topics(n_sentences=1500, length=10, noise=0.2, seed=0):
    """Topic sentences (tests/synthetic.py) where a share of the words is drawn from
    any topic.  GloVe fits only the nonzero counts: without cross-topic pairs the
    biases alone could fit every count, and nothing would make the vectors differ
    by topic; with them, the vectors must separate strong pairs from weak ones."""
    rng = np.random.default_rng(seed)
    corpus = topic_corpus(n_sentences, length, seed)
    every_word = sorted({w for s in corpus for w in s})
    for sentence in corpus:
        for i in np.flatnonzero(rng.random(length) < noise):
            sentence[i] = every_word[rng.integers(len(every_word))]
    return corpus
