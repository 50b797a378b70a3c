"""KeyedVectors queries against slow obvious references, plus caching, errors and persistence."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cw2v.vectors.keyedvectors import KeyedVectors
from cw2v.vectors.topk import top_k_rows

V, K = 300, 16


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((V, K)).astype(np.float32)
    vectors[7] *= 50  # norms differ: normalisation matters
    keys = [f"w{i}" for i in range(V)]
    return keys, vectors


@pytest.fixture
def kv(data):
    keys, vectors = data
    return KeyedVectors.from_arrays(keys, vectors.copy())


def reference_most_similar(vectors, keys, positive, negative=(), topn=10, start=0, stop=None):
    """Brute force in float64: cosine of every row with the mean of unit vectors."""
    stop = len(keys) if stop is None else stop
    unit = vectors.astype(np.float64) / np.linalg.norm(vectors.astype(np.float64), axis=1, keepdims=True)
    index = {k: i for i, k in enumerate(keys)}
    query = sum(unit[index[w]] for w in positive) - sum((unit[index[w]] for w in negative), np.zeros(K))
    query /= np.linalg.norm(query)
    used = {index[w] for w in list(positive) + list(negative)}
    scored = [(float(unit[i] @ query), i) for i in range(start, stop) if i not in used]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [(keys[i], s) for s, i in scored[:topn]]


def assert_results_equal(got, expected, atol=1e-5):
    """Equal up to float rounding, as a batch and a single query may differ by.

    Their products sum in different orders, so scores may differ slightly and
    keys whose scores are that close may trade places (or, at the end of the
    list, one may replace the other); any other difference fails.
    """
    assert len(got) == len(expected)
    assert np.allclose([s for _, s in got], [s for _, s in expected], atol=atol)
    expected_scores = dict(expected)
    last = expected[-1][1] if expected else None
    for key, score in got:
        assert abs(score - expected_scores.get(key, last)) <= atol, (key, got, expected)


# ------------------------------------------------------------------ top-k helper


@settings(max_examples=300, deadline=None)
@given(scores=hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 400)),
                         elements=st.sampled_from([0.0, 0.5, -1.0, 1.0, -np.inf]) | st.floats(-1, 1, width=32)),
       k=st.integers(1, 30))
def test_top_k_rows_matches_a_full_sort(scores, k):
    indices, values = top_k_rows(scores.copy(), k)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    assert np.array_equal(indices, expected)
    assert np.array_equal(values, np.take_along_axis(scores, expected, axis=1))


def test_top_k_rows_on_long_rows_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 50, size=(3, 100_003)).astype(np.float32)  # heavy ties
    indices, _ = top_k_rows(scores, 25)
    assert np.array_equal(indices, np.argsort(-scores, axis=1, kind="stable")[:, :25])


def test_top_k_rows_takes_the_fast_path_on_long_rows(monkeypatch):
    """The full sort is only a fallback (short rows, NaN): ordinary long rows must not reach it."""
    import cw2v.vectors.topk as module

    def no_sort(scores, k):
        raise AssertionError("fell back to a full sort")

    scores = np.random.default_rng(3).standard_normal((3, 10_000)).astype(np.float32)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    monkeypatch.setattr(module, "_top_k_by_sort", no_sort)
    assert np.array_equal(top_k_rows(scores, 10)[0], expected)


def test_top_k_rows_with_nan():
    scores = np.random.default_rng(4).standard_normal((2, 5000)).astype(np.float32)
    scores[0, 17] = np.nan
    indices, _ = top_k_rows(scores, 5)
    assert np.array_equal(indices, np.argsort(-scores, axis=1, kind="stable")[:, :5])


# ------------------------------------------------------------------ most_similar


@pytest.mark.parametrize("positive, negative", [
    (["w1"], []), (["w1", "w2"], ["w3"]), (["w7"], []), ([], ["w5"]), (["w1", "w2", "w4"], ["w3", "w9"]),
])
@pytest.mark.parametrize("topn", [1, 10, V])
def test_most_similar_matches_brute_force(kv, data, positive, negative, topn):
    keys, vectors = data
    got = kv.most_similar(positive=positive, negative=negative, topn=topn)
    assert_results_equal(got, reference_most_similar(vectors, keys, positive, negative, topn))


def test_restrict_vocab_and_clipping(kv, data):
    keys, vectors = data
    got = kv.most_similar("w150", topn=5, restrict_vocab=100)
    assert_results_equal(got, reference_most_similar(vectors, keys, ["w150"], topn=5, stop=100))
    got = kv.most_similar("w1", topn=5, clip_start=50, clip_end=120)
    assert_results_equal(got, reference_most_similar(vectors, keys, ["w1"], topn=5, start=50, stop=120))
    scores = kv.most_similar("w1", topn=None, restrict_vocab=40)
    assert scores.shape == (40,)


def test_topn_none_gives_every_similarity(kv, data):
    keys, vectors = data
    scores = kv.most_similar("w3", topn=None)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert scores.shape == (V,)
    assert np.allclose(scores, unit @ unit[3], atol=1e-6)
    assert kv.most_similar("w3", topn=0) == []


def test_accepted_query_forms(kv, data):
    keys, vectors = data
    expected = kv.most_similar(positive=["w1", "w2"], negative=["w3"])
    assert kv.most_similar(positive=[("w1", 1.0), ("w2", 1.0)], negative=[("w3", -1.0)]) == expected
    assert kv.most_similar(positive="w1") == kv.most_similar(positive=["w1"])
    assert kv.most_similar(positive=1) == kv.most_similar(positive=["w1"])  # int = row, as gensim
    # A raw vector is not excluded from the results and is used unnormalised.
    by_vector = kv.most_similar(positive=[vectors[5]], topn=3)
    assert by_vector[0][0] == "w5" and by_vector[0][1] == pytest.approx(1.0, abs=1e-6)
    assert kv.similar_by_vector(vectors[5], topn=3) == by_vector
    assert kv.similar_by_word("w5", topn=3) == kv.most_similar("w5", topn=3)
    # Weighted: doubling a term equals listing it twice.
    twice = kv.most_similar(positive=["w1", "w1", "w2"])
    weighted = kv.most_similar(positive=[("w1", 2.0), "w2"])
    assert [k for k, _ in twice] == [k for k, _ in weighted]


def test_unknown_and_degenerate_queries(kv):
    with pytest.raises(KeyError, match="'nope'"):
        kv.most_similar(positive=["w1", "nope"])
    with pytest.raises(KeyError, match="'nope'"):
        kv["nope"]
    with pytest.raises(KeyError, match="'nope'"):
        kv.similarity("w1", "nope")
    with pytest.raises(ValueError, match="at least one"):
        kv.most_similar(positive=[], negative=[])
    with pytest.raises(ValueError, match="zero"):
        kv.most_similar(positive=["w1"], negative=["w1"])
    with pytest.raises(ValueError, match="zero"):
        kv.similar_by_vector(np.zeros(K, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        kv.similar_by_vector(np.full(K, np.nan, np.float32))
    with pytest.raises(ValueError, match="shape"):
        kv.similar_by_vector(np.ones(K + 1, np.float32))
    with pytest.raises(TypeError, match="query items must be"):
        kv.most_similar(positive=[0.5, 0.25, 1.0])


def test_zero_rows_never_produce_nan(data):
    keys, vectors = data
    vectors = vectors.copy()
    vectors[10] = 0
    kv = KeyedVectors.from_arrays(keys, vectors)
    scores = kv.most_similar("w1", topn=None)
    assert np.all(np.isfinite(scores)) and scores[10] == 0
    with pytest.raises(ValueError, match="zero"):
        kv.most_similar("w10")
    for method in (kv.similarity, kv.distance):
        for pair in (("w1", "w10"), ("w10", "w1"), ("w10", "w10")):
            with pytest.raises(ValueError, match="the vector of 'w10' is zero"):
                method(*pair)
    assert kv.similarity("w1", "w2") == pytest.approx(
        vectors[1] @ vectors[2] / np.linalg.norm(vectors[1]) / np.linalg.norm(vectors[2]), abs=1e-6)


def test_tiny_vocabulary_returns_what_exists():
    kv = KeyedVectors.from_arrays(["a", "b"], np.eye(2, dtype=np.float32))
    assert [k for k, _ in kv.most_similar("a", topn=10)] == ["b"]


# ------------------------------------------------------------------ batch


def test_batch_equals_single_queries(kv, data):
    keys, vectors = data
    queries = ["w1", 7, vectors[9], ["w1", "w2"], [("w4", 2.0), "w5"],
               {"positive": ["w1", "w2"], "negative": ["w3"]}, {"negative": ["w8"]}]
    singles = [
        kv.most_similar("w1"), kv.most_similar(7), kv.most_similar(positive=[vectors[9]]),
        kv.most_similar(["w1", "w2"]), kv.most_similar([("w4", 2.0), "w5"]),
        kv.most_similar(positive=["w1", "w2"], negative=["w3"]), kv.most_similar(negative=["w8"]),
    ]
    for got, expected in zip(kv.most_similar_batch(queries), singles):
        assert_results_equal(got, expected)
    restricted = kv.most_similar_batch(["w1", "w200"], topn=4, restrict_vocab=150)
    assert_results_equal(restricted[1], kv.most_similar("w200", topn=4, restrict_vocab=150))


def test_batch_of_vectors_and_blocking(kv, data, monkeypatch):
    import cw2v.vectors.keyedvectors as module

    keys, vectors = data
    monkeypatch.setattr(module, "_SCORE_BLOCK_FLOATS", 2 * V)  # two queries per block
    matrix = vectors[[3, 4, 5, 6, 8]] * 3
    got = kv.most_similar_batch(matrix, topn=5)
    for row, result in zip(matrix, got):
        assert_results_equal(result, kv.similar_by_vector(row, topn=5))
    all_scores = kv.most_similar_batch(matrix, topn=None)
    assert all_scores.shape == (5, V)
    with pytest.raises(ValueError, match="query vector 1"):
        kv.most_similar_batch(np.stack([vectors[0], np.zeros(K, np.float32)]))
    with pytest.raises(KeyError, match="'nope'"):
        kv.most_similar_batch(["w1", "nope"])
    with pytest.raises(ValueError, match="only 'positive' and 'negative'"):
        kv.most_similar_batch([{"postive": ["w1"]}])
    assert kv.most_similar_batch([]) == []


# ------------------------------------------------------------------ other queries


def test_cosmul_matches_formula(kv, data):
    keys, vectors = data
    unit = vectors.astype(np.float64) / np.linalg.norm(vectors, axis=1, keepdims=True)
    pos, neg = [1, 2], [3]
    shifted = (1 + unit @ unit[pos + neg].T) / 2
    score = shifted[:, 0] * shifted[:, 1] / (shifted[:, 2] + 1e-6)
    order = [i for i in np.argsort(-score, kind="stable") if i not in pos + neg][:10]
    got = kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"])
    assert [k for k, _ in got] == [keys[i] for i in order]
    assert np.allclose([s for _, s in got], score[order], atol=1e-5)
    restricted = kv.most_similar_cosmul(positive=["w1"], topn=3, restrict_vocab=50)
    assert all(int(k[1:]) < 50 for k, _ in restricted)
    with pytest.raises(ValueError, match="positive"):
        kv.most_similar_cosmul(negative=["w1"])


def test_pairwise_measures(kv, data):
    keys, vectors = data
    v = vectors.astype(np.float64)

    def cos(a, b):
        return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))

    assert kv.similarity("w1", "w7") == pytest.approx(cos(v[1], v[7]), abs=1e-6)
    assert kv.distance("w1", "w7") == pytest.approx(1 - cos(v[1], v[7]), abs=1e-6)
    assert kv.n_similarity(["w1", "w2"], ["w7"]) == pytest.approx(cos(v[1] + v[2], v[7]), abs=1e-6)
    with pytest.raises(ValueError, match="non-empty"):
        kv.n_similarity([], ["w1"])
    sims = np.array([cos(v[4], row) for row in v])
    expected_rank = int(np.sum(np.delete(sims, 4) > sims[9])) + 1
    assert kv.rank("w4", "w9") == expected_rank
    assert kv.rank("w4", "w4") == 1
    closer = kv.closer_than("w4", "w9")
    assert len(closer) == expected_rank - 1 and "w4" not in closer
    assert np.allclose(kv.distances("w4", ["w9", "w1"]), [1 - sims[9], 1 - sims[1]], atol=1e-6)
    assert kv.most_similar_to_given("w4", ["w1", "w9", "w2"]) == ["w1", "w9", "w2"][int(np.argmax(sims[[1, 9, 2]]))]


def test_doesnt_match_by_construction():
    # Three vectors near one direction, one far away.
    vectors = np.array([[1, 0.1, 0], [1, 0, 0.1], [1, 0.05, 0.05], [0, 0, 1]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["a", "b", "c", "odd"], vectors)
    assert kv.doesnt_match(["a", "b", "odd", "c"]) == "odd"
    assert kv.doesnt_match(["a", "odd", "unknown"]) in {"a", "odd"}
    with pytest.raises(ValueError, match="none of the given words"):
        kv.doesnt_match(["x", "y"])


def test_lookup_api(kv, data):
    keys, vectors = data
    assert len(kv) == V and "w3" in kv and "nope" not in kv
    assert kv.get_index("w3") == 3 and kv.key_to_index["w3"] == 3 and kv.index_to_key[3] == "w3"
    assert np.array_equal(kv["w3"], vectors[3])
    assert np.array_equal(kv[["w3", "w4"]], vectors[[3, 4]])
    unit = kv.get_vector("w7", norm=True)
    assert np.allclose(unit, vectors[7] / np.linalg.norm(vectors[7]), atol=1e-6)
    assert not kv.get_vector("w3").flags.writeable
    assert kv.get_index("nope", default=-1) == -1
    assert np.allclose(kv.norms, np.linalg.norm(vectors, axis=1), rtol=1e-6)


# ------------------------------------------------------------------ construction and cache


def test_from_arrays_shares_memory_and_validates(data):
    keys, vectors = data
    own = vectors.copy()
    kv = KeyedVectors.from_arrays(keys, own)
    assert kv.vectors is own or np.shares_memory(kv.vectors, own)
    converted = KeyedVectors.from_arrays(keys, own.astype(np.float64))
    assert converted.vectors.dtype == np.float32 and converted.vectors.flags.c_contiguous
    with pytest.raises(ValueError, match="'w1' appears more than once"):
        KeyedVectors.from_arrays(["w0", "w1", "w1"], own[:3])
    with pytest.raises(ValueError, match="must match"):
        KeyedVectors.from_arrays(keys[:-1], own)
    with pytest.raises(TypeError, match="str"):
        KeyedVectors.from_arrays([1, 2], own[:2])
    with pytest.raises(ValueError, match="float32"):
        KeyedVectors(5, dtype=np.float64)
    with pytest.raises(ValueError, match="counts"):
        KeyedVectors.from_arrays(keys, own, counts=np.ones(3, np.int64))


def test_norm_cache_follows_vector_changes(kv, data):
    keys, vectors = data
    before = kv.most_similar("w1", topn=3)
    # Replaced array (e.g. vocabulary growth): noticed without being told.
    kv.vectors = -kv.vectors
    assert kv.get_vector("w2", norm=True) == pytest.approx(-vectors[2] / np.linalg.norm(vectors[2]), abs=1e-6)
    # In-place update (training): visible after invalidate_norms().
    kv.vectors = vectors.copy()
    assert kv.most_similar("w1", topn=3) == before
    kv.vectors[:] = np.roll(vectors, 1, axis=1)
    kv.invalidate_norms()
    rolled = KeyedVectors.from_arrays(keys, np.roll(vectors, 1, axis=1))
    assert kv.most_similar("w1", topn=3) == rolled.most_similar("w1", topn=3)
    kv.fill_norms(force=True)
    assert kv.get_normed_vectors().shape == (V, K)


def test_add_vectors_and_preallocation():
    kv = KeyedVectors(3, count=2)
    assert kv.add_vector("a", [1, 0, 0]) == 0
    assert kv.add_vectors(["b", "c"], np.eye(3, dtype=np.float32)[1:]) == [1, 2]
    assert kv.index_to_key == ["a", "b", "c"] and kv.vectors.shape == (3, 3)
    assert kv.add_vectors(["a"], [[0, 0, 5]]) == [0] and kv["a"][0] == 1  # kept
    kv.add_vectors(["a"], [[0, 0, 5]], replace=True)
    assert kv["a"][2] == 5
    assert kv.most_similar("a", topn=1)[0][0] == "c"
    with pytest.raises(ValueError, match="dimensions"):
        kv.add_vector("d", [1, 2])
    assert kv.add_vectors(["d", "d"], [[1, 1, 1], [2, 2, 2]]) == [3, 3]
    assert kv["d"][0] == 1 and len(kv) == 4
    kv.add_vectors(["e", "e"], [[1, 1, 1], [2, 2, 2]], replace=True)
    assert kv["e"][0] == 2 and len(kv) == 5
    empty = KeyedVectors(3, count=2)
    empty.add_vector("only", [1, 2, 3])
    with pytest.raises(ValueError, match="fill the preallocated rows"):
        empty.save_word2vec_format("unused")


# ------------------------------------------------------------------ files


KEYS_HARD = ["plain", "with space", "new\nline", "ünï", "日本語", "", "\ud800"]


@pytest.mark.parametrize("mmap", [None, "r"])
def test_native_save_load_round_trip(tmp_path, mmap):
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((len(KEYS_HARD), 5)).astype(np.float32)
    counts = np.arange(len(KEYS_HARD), dtype=np.int64) + 10
    kv = KeyedVectors.from_arrays(KEYS_HARD, vectors, counts=counts)
    kv.save(tmp_path / "kv")
    loaded = KeyedVectors.load(tmp_path / "kv", mmap=mmap)
    assert loaded.index_to_key == KEYS_HARD
    assert loaded.key_to_index == {k: i for i, k in enumerate(KEYS_HARD)}
    assert np.array_equal(loaded.vectors, vectors) and np.array_equal(loaded.counts, counts)
    if mmap:
        assert not loaded.vectors.flags.writeable
    assert loaded.most_similar("plain", topn=3) == kv.most_similar("plain", topn=3)
    no_counts = KeyedVectors.from_arrays(["a"], vectors[:1])
    no_counts.save(tmp_path / "kv2")
    assert KeyedVectors.load(tmp_path / "kv2").counts is None


def test_load_rejects_other_bundles(tmp_path):
    from cw2v.io.bundle import save_bundle

    save_bundle(tmp_path / "m", {"kind": "word2vec_model"}, {"x": np.arange(2)})
    with pytest.raises(ValueError, match="'word2vec_model' bundle"):
        KeyedVectors.load(tmp_path / "m")
    save_bundle(tmp_path / "k", {"kind": "keyed_vectors"}, {"vectors": np.zeros((1, 2), np.float32)})
    with pytest.raises(ValueError, match="lacks the arrays"):
        KeyedVectors.load(tmp_path / "k")


def test_word2vec_format_methods(tmp_path, data):
    keys, vectors = data
    kv = KeyedVectors.from_arrays(keys, vectors)
    for binary in (False, True):
        kv.save_word2vec_format(tmp_path / "v", binary=binary)
        loaded = KeyedVectors.load_word2vec_format(tmp_path / "v", binary=binary, limit=50)
        assert loaded.index_to_key == keys[:50] and np.array_equal(loaded.vectors, vectors[:50])
        assert loaded.key_to_index == {key: i for i, key in enumerate(keys[:50])}
        assert loaded["w7"].tolist() == vectors[7].tolist()


def test_saving_non_finite_vectors_needs_consent(tmp_path, data):
    keys, vectors = data
    vectors = vectors.copy()
    vectors[5, 0] = np.nan
    kv = KeyedVectors.from_arrays(keys, vectors)
    savers = {"bundle": (kv.save, KeyedVectors.load),
              "text": (kv.save_word2vec_format, KeyedVectors.load_word2vec_format),
              "binary": (lambda path, **kw: kv.save_word2vec_format(path, binary=True, **kw),
                         lambda path: KeyedVectors.load_word2vec_format(path, binary=True))}
    for name, (save, load) in savers.items():
        with pytest.raises(ValueError, match=r"vector row 5 \('w5'\) holds NaN.*training diverged.*lower alpha"):
            save(tmp_path / name)
        assert not (tmp_path / name).exists()
        save(tmp_path / name, allow_non_finite=True)
        loaded = load(tmp_path / name)
        assert loaded.index_to_key == keys and np.array_equal(loaded.vectors, vectors, equal_nan=True), name


def test_duplicate_words_in_a_file_keep_the_first(tmp_path, caplog):
    (tmp_path / "d.txt").write_text("5 2\na 1 0\nb 0 1\na 5 5\nc 2 2\nb 7 7\n")
    kv = KeyedVectors.load_word2vec_format(tmp_path / "d.txt")
    assert kv.index_to_key == ["a", "b", "c"]
    assert kv.key_to_index == {"a": 0, "b": 1, "c": 2}
    assert np.array_equal(kv.vectors, [[1, 0], [0, 1], [2, 2]])
    assert "2 words occur more than once ('a', 'b')" in caplog.text


# ------------------------------------------------------------------ per-key attributes and lock factors


def test_counts_are_the_count_attribute(data):
    keys, vectors = data
    counts = np.arange(V, dtype=np.int64)[::-1] + 1
    kv = KeyedVectors.from_arrays(keys, vectors, counts=counts)
    assert kv.expandos["count"] is kv.counts
    assert kv.get_vecattr("w3", "count") == counts[3] and kv.get_vecattr(3, "count") == counts[3]
    kv.set_vecattr("w3", "count", 7)
    assert kv.counts[3] == 7
    with pytest.raises(TypeError, match="integer counts"):
        kv.set_vecattr("w3", "count", 2.5)
    bare = KeyedVectors.from_arrays(keys, vectors)
    with pytest.raises(KeyError, match="no counts.*fvocab"):
        bare.get_vecattr("w3", "count")
    with pytest.raises(KeyError, match="not in the vocabulary"):
        kv.get_vecattr("nope", "count")


def test_attributes_follow_added_rows():
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b"], np.eye(2))
    kv.set_vecattr("a", "tag", 3)
    kv.vectors_lockf[1] = 0.0
    assert kv.add_vectors(["c", "a", "c"], np.ones((3, 2)), extras={"tag": np.array([5, 9, 6])}) == [2, 0, 2]
    assert kv.expandos["tag"].tolist() == [3, 0, 5]  # a kept (no replace), c's first occurrence stored
    assert kv.vectors_lockf.tolist() == [1, 0, 1]
    kv.add_vectors(["a", "d"], np.ones((2, 2)), extras={"tag": np.array([8, 4])}, replace=True)
    assert kv.expandos["tag"].tolist() == [8, 0, 5, 4]
    kv["e"] = [3, 4]
    kv["a"] = [0, 1]
    assert kv.index_to_key == ["a", "b", "c", "d", "e"] and kv["a"].tolist() == [0, 1]
    assert len(kv.expandos["tag"]) == len(kv.vectors_lockf) == 5
    with pytest.raises(ValueError, match="one value per key"):
        kv.add_vectors(["f"], np.ones((1, 2)), extras={"tag": np.array([1, 2])})


def test_allocate_vecattrs_grows_keeps_and_checks_types():
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b"], np.eye(2))
    kv.allocate_vecattrs(["weight", "label"], [np.float32, str])
    assert kv.expandos["weight"].dtype == np.float32 and kv.expandos["label"].dtype == object
    kv.set_vecattr("b", "weight", np.float32(0.5))
    kv.set_vecattr("b", "weight", np.float16(1.5))  # a smaller float fits
    with pytest.raises(TypeError, match="cannot be stored"):
        kv.allocate_vecattrs(["weight"], [np.float64])
    kv.index_to_key.append("c")
    kv.allocate_vecattrs()
    assert kv.expandos["weight"].tolist() == [0, 1.5, 0]
    with pytest.raises(TypeError, match="one type per attribute"):
        kv.allocate_vecattrs(["x"])


def test_vectors_lockf_storage():
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3))
    assert kv.lock_factors() is None  # nothing allocated, every row trains
    assert kv.vectors_lockf.tolist() == [1, 1, 1] and kv.vectors_lockf.dtype == np.float32
    assert kv.lock_factors() is None
    kv.vectors_lockf = np.ones(1)  # gensim 4's starting value: one factor for every row
    assert kv.vectors_lockf.tolist() == [1, 1, 1]
    kv.vectors_lockf[2] = 0.25
    assert kv.lock_factors().tolist() == [1, 1, 0.25]
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        kv.vectors_lockf = [1.0, 0.0]
    with pytest.raises(ValueError, match="NaN"):
        kv.vectors_lockf = [1.0, np.nan, 0.0]


@pytest.mark.parametrize("mmap", [None, "r"])
def test_attributes_and_lock_factors_survive_save_and_load(tmp_path, data, mmap):
    keys, vectors = data
    kv = KeyedVectors.from_arrays(keys, vectors, counts=np.arange(V) + 1)
    kv.set_vecattr("w1", "weight", 0.5)
    kv.set_vecattr("w2", "pos", "noun")  # the other keys hold 0 there, as in gensim
    kv.set_vecattr("w3", "flag", True)
    kv.vectors_lockf[[4, 5]] = 0.0
    kv.save(tmp_path / "kv")
    loaded = KeyedVectors.load(tmp_path / "kv", mmap=mmap)
    assert sorted(loaded.expandos) == sorted(kv.expandos)
    for attr, values in kv.expandos.items():
        assert loaded.expandos[attr].dtype == values.dtype and loaded.expandos[attr].tolist() == values.tolist()
    assert loaded.vectors_lockf.tolist() == kv.vectors_lockf.tolist()
    loaded.set_vecattr("w1", "weight", 2.0)  # writable even when mapped
    assert loaded.get_vecattr("w1", "weight") == 2.0
    kv.set_vecattr("w6", "thing", None)
    with pytest.raises(TypeError, match="'thing' holds a NoneType"):
        kv.save(tmp_path / "kv2")


# ------------------------------------------------------------------ row edits


def test_sort_by_descending_frequency_is_stable_and_keeps_everything_aligned():
    keys = ["a", "b", "c", "d", "e"]
    vectors = np.arange(10, dtype=np.float32).reshape(5, 2)
    kv = KeyedVectors.from_arrays(keys, vectors, counts=[1, 5, 3, 5, 1])
    kv.set_vecattr("c", "tag", 1)
    kv.vectors_lockf[2] = 0.0
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["b", "d", "c", "a", "e"]  # ties keep their order
    assert kv.key_to_index == {k: i for i, k in enumerate(kv.index_to_key)}
    assert kv["c"].tolist() == [4, 5] and kv.counts.tolist() == [5, 5, 3, 1, 1]
    assert kv.get_vecattr("c", "tag") == 1 and kv.vectors_lockf.tolist() == [1, 1, 0, 1, 1]
    before = kv.vectors
    kv.sort_by_descending_frequency()  # already sorted: nothing moves
    assert kv.vectors is before
    with pytest.raises(ValueError, match="no counts"):
        KeyedVectors.from_arrays(keys, vectors).sort_by_descending_frequency()


def test_unit_normalize_all_in_place_and_zero_rows():
    vectors = np.array([[3, 4], [0, 0], [1, 0]], dtype=np.float32)
    kv = KeyedVectors.from_arrays(["a", "b", "c"], vectors)
    kv.most_similar("a")  # fills the norm cache, which must be dropped
    kv.unit_normalize_all()
    assert kv.vectors is vectors  # the training matrix itself changes, as in gensim
    assert np.allclose(vectors, [[0.6, 0.8], [0, 0], [1, 0]])
    assert np.allclose(kv.norms, [1, 0, 1])


def test_resize_vectors_grows_and_cuts():
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3)), counts=[4, 2])
    kv.index_to_key.append("c")
    kv.key_to_index["c"] = 2
    kv.resize_vectors(seed=1)
    assert kv.vectors.shape == (3, 3) and kv["a"].tolist() == [1, 1, 1]
    assert np.all(np.abs(kv["c"]) < 1 / 3) and kv.counts.tolist() == [4, 2, 0]
    del kv.index_to_key[1:], kv.key_to_index["b"], kv.key_to_index["c"]
    kv.resize_vectors()
    assert kv.vectors.shape == (1, 3) and kv.counts.tolist() == [4]


def test_vectors_for_all_takes_row_numbers_and_skips_unknown(kv):
    picked = kv.vectors_for_all([5, "missing", "w9"], allow_inference=False)
    assert picked.index_to_key == ["w9"]  # without inference only keys count, not row numbers
    picked = kv.vectors_for_all([5, "w5", "missing", "w9"])
    assert picked.index_to_key == ["w5", "w9"] and np.array_equal(picked.vectors, kv[["w5", "w9"]])
    assert len(kv.vectors_for_all([])) == 0


def test_intersect_word2vec_format_checks(tmp_path, kv):
    (tmp_path / "small.txt").write_text("2 3\nw1 1 2 3\nw2 4 5 6\n")
    with pytest.raises(ValueError, match="vectors of size 3, these have 16"):
        kv.intersect_word2vec_format(tmp_path / "small.txt")
    with pytest.raises(ValueError, match="UTF-8 only"):
        kv.intersect_word2vec_format(tmp_path / "small.txt", encoding="latin-1")
    small = KeyedVectors.from_arrays(["w2", "x"], np.zeros((2, 3)))
    assert small.intersect_word2vec_format(tmp_path / "small.txt", lockf=0.5) == 1
    assert small["w2"].tolist() == [4, 5, 6] and small.vectors_lockf.tolist() == [0.5, 1]
    assert np.allclose(small.get_vector("w2", norm=True), np.array([4, 5, 6]) / np.sqrt(77))  # no stale norms


# ------------------------------------------------------------------ word2vec files with counts


def test_fvocab_carries_counts_both_ways_with_gensim(tmp_path, data):
    gensim_models = pytest.importorskip("gensim.models")
    keys, vectors = data
    counts = np.random.default_rng(3).integers(1, 10**6, size=V)
    kv = KeyedVectors.from_arrays(keys, vectors, counts=counts)
    kv.save_word2vec_format(tmp_path / "v.bin", fvocab=tmp_path / "vocab.txt", binary=True)
    order = np.argsort(-counts, kind="stable")  # written most frequent first, as gensim does
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", fvocab=tmp_path / "vocab.txt", binary=True)
    assert loaded.index_to_key == [keys[i] for i in order] and loaded.counts.tolist() == counts[order].tolist()
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"),
                                                             fvocab=str(tmp_path / "vocab.txt"), binary=True)
    assert [theirs.get_vecattr(k, "count") for k in loaded.index_to_key] == loaded.counts.tolist()
    theirs.save_word2vec_format(str(tmp_path / "g.txt"), fvocab=str(tmp_path / "g.vocab"))
    again = KeyedVectors.load_word2vec_format(tmp_path / "g.txt", fvocab=tmp_path / "g.vocab")
    assert again.index_to_key == loaded.index_to_key and again.counts.tolist() == loaded.counts.tolist()
    assert np.array_equal(again.vectors, loaded.vectors)


def test_word2vec_format_options(tmp_path, data, caplog):
    keys, vectors = data
    kv = KeyedVectors.from_arrays(keys[:3], vectors[:3])
    kv.save_word2vec_format(tmp_path / "p.txt", prefix="en_")
    assert KeyedVectors.load_word2vec_format(tmp_path / "p.txt").index_to_key == ["en_w0", "en_w1", "en_w2"]
    with pytest.raises(ValueError, match="no 'count' attribute"):
        kv.save_word2vec_format(tmp_path / "q.txt", fvocab=tmp_path / "q.vocab")
    with pytest.raises(NotImplementedError, match="atomically"):
        kv.save_word2vec_format(tmp_path / "q.txt", append=True)
    with pytest.raises(ValueError, match="total_vec=5"):
        kv.save_word2vec_format(tmp_path / "q.txt", total_vec=5)
    with pytest.raises(ValueError, match="float32 only"):
        KeyedVectors.load_word2vec_format(tmp_path / "p.txt", datatype=np.float64)
    (tmp_path / "part.vocab").write_text("en_w0 5\nen_w2 3\n")
    with caplog.at_level("WARNING"):
        partial = KeyedVectors.load_word2vec_format(tmp_path / "p.txt", fvocab=tmp_path / "part.vocab")
    assert partial.counts.tolist() == [5, 0, 3] and "lacks 1 of the 3 words" in caplog.text


def test_carry_attributes_to_grown_vectors():
    from cw2v.vectors.attributes import carry_attributes

    old = KeyedVectors.from_arrays(["a", "b"], np.eye(2), counts=[3, 2])
    old.set_vecattr("b", "tag", 4)
    old.vectors_lockf[0] = 0.0
    new = KeyedVectors.from_arrays(["a", "b", "c"], np.ones((3, 2)), counts=[3, 2, 9])
    carry_attributes(old, new)
    assert new.expandos["tag"].tolist() == [0, 4, 0] and new.vectors_lockf.tolist() == [0, 1, 1]
    assert new.counts.tolist() == [3, 2, 9]  # counts are the new vocabulary's own
    new.vectors_lockf[1] = 0.5
    assert old.vectors_lockf.tolist() == [0, 1]
