"""Synthetic corpora whose right answer holds by construction, shared by the tests."""
import numpy as np

N_TOPICS, TOPIC_WORDS = 8, 12


def topic_corpus(n_sentences=1500, length=10, seed=0):
    """Sentences drawn from one topic each: words co-occur only within their topic."""
    rng = np.random.default_rng(seed)
    words = [[f"t{t}w{i}" for i in range(TOPIC_WORDS)] for t in range(N_TOPICS)]
    corpus = []
    for _ in range(n_sentences):
        t = rng.integers(N_TOPICS)
        corpus.append([words[t][i] for i in rng.integers(TOPIC_WORDS, size=length)])
    return corpus


def topic_of(word):
    return word.split("w")[0]


def own_topic_share(model_or_kv, topn=5):
    """Share of each word's topn nearest neighbours (cosine) that belong to its topic.

    Chance level is (TOPIC_WORDS - 1) / (N_TOPICS * TOPIC_WORDS - 1), about 0.12.
    """
    kv = getattr(model_or_kv, "wv", model_or_kv)
    vectors = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    keys = kv.index_to_key
    hits = 0
    for i, word in enumerate(keys):
        top = np.argsort(-sims[i])[:topn]
        hits += sum(topic_of(keys[j]) == topic_of(word) for j in top)
    return hits / (len(keys) * topn)


def write_topic_parts(folder, sizes, rare_lines):
    """Topic corpora of ``sizes`` sentences (seeds 0, 1, ...) as files part{i}.txt,
    the first ``rare_lines`` sentences of the second part ending in "rare 日本",
    and all the parts in one file; returns (part paths, whole path)."""
    parts = [topic_corpus(n_sentences=n, seed=s) for s, n in enumerate(sizes)]
    parts[1] = [s + ["rare", "日本"] for s in parts[1][:rare_lines]] + parts[1]
    paths = [_write_lines(folder / f"part{i}.txt", p) for i, p in enumerate(parts)]
    return paths, _write_lines(folder / "all.txt", [s for p in parts for s in p])


def _write_lines(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return str(path)
