"""FastTextKeyedVectors against a NumPy statement of fastText's composition, and against gensim."""
import json

import numpy as np
import pytest

from cw2v._kernels.ngrams import fasttext_hash, mean_rows, ngrams, vocabulary_subwords
from cw2v.vectors.fasttext_keyedvectors import FastTextKeyedVectors

K, BUCKET, MIN_N, MAX_N = 12, 97, 3, 5
KEYS = ["walk", "walking", "walked", "talk", "talking", "команда", "北海道", "run", "ran", "</s>"]
UNSEEN = ["walks", "talked", "команды", "北海", "runner"]


@pytest.fixture
def matrix():
    return np.random.default_rng(3).standard_normal((len(KEYS) + BUCKET, K)).astype(np.float32)


@pytest.fixture
def kv(matrix):
    return FastTextKeyedVectors.from_input_matrix(KEYS, matrix.copy(), MIN_N, MAX_N, BUCKET,
                                                  counts=np.arange(len(KEYS), 0, -1))


def reference_rows(word, n_words=len(KEYS), min_n=MIN_N, max_n=MAX_N, bucket=BUCKET):
    """The input rows a word averages, stated in Python: own row (if known), then n-gram rows."""
    own = [KEYS.index(word)] if word in KEYS else []
    grams = [] if word == "</s>" else ngrams(word, min_n, max_n)
    return own + [n_words + fasttext_hash(g) % bucket for g in grams]


def reference_vector(matrix, word, **kw):
    rows = reference_rows(word, **kw)
    return matrix[rows].astype(np.float64).mean(axis=0) if rows else np.zeros(K)


def test_composed_vectors_are_means_of_rows(kv, matrix):
    assert kv.vectors.shape == (len(KEYS), K) and kv.vectors.dtype == np.float32
    for i, word in enumerate(KEYS):
        np.testing.assert_allclose(kv.vectors[i], reference_vector(matrix, word), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(kv[word], kv.vectors[i])
    np.testing.assert_array_equal(kv.vectors_vocab, matrix[: len(KEYS)])
    np.testing.assert_array_equal(kv.vectors_ngrams, matrix[len(KEYS):])
    np.testing.assert_array_equal(kv.vectors[KEYS.index("</s>")], matrix[KEYS.index("</s>")])  # no n-grams


def test_mean_rows_uses_fastTexts_float32_arithmetic():
    """A float32 sum in list order times float32(1/n): what fastText's getWordVector computes."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((20, 5)).astype(np.float32)
    rows = np.array([3, 7, 7, 19, 0, 2, 11], np.int32)
    out = np.empty((2, 5), np.float32)
    mean_rows(matrix, np.array([0, 0, 7], np.int64), rows, out)
    expected = np.zeros(5, np.float32)
    for r in rows:
        expected += matrix[r]
    expected *= np.float32(1.0 / 7)
    np.testing.assert_array_equal(out[1], expected)
    np.testing.assert_array_equal(out[0], np.zeros(5))
    with pytest.raises(ValueError, match="outside"):
        mean_rows(matrix, np.array([0, 1], np.int64), np.array([20], np.int32), out[:1])


@pytest.mark.parametrize("word", UNSEEN)
def test_unseen_words_are_means_of_their_ngram_rows(kv, matrix, word):
    assert word not in kv.key_to_index and not kv.has_index_for(word) and word in kv
    np.testing.assert_allclose(kv[word], reference_vector(matrix, word), rtol=1e-5, atol=1e-6)
    unit = kv.get_vector(word, norm=True)
    np.testing.assert_allclose(unit, kv[word] / np.linalg.norm(kv[word]), rtol=1e-5, atol=1e-6)
    with pytest.raises(KeyError):
        kv.get_index(word)


def test_a_word_without_ngrams_is_a_zero_vector(matrix):
    kv = FastTextKeyedVectors.from_input_matrix(KEYS, matrix, 5, 6, BUCKET)
    assert "ab" in kv and not kv.has_index_for("ab")  # "<ab>" has 4 characters < min_n
    np.testing.assert_array_equal(kv["ab"], np.zeros(K))
    np.testing.assert_array_equal(kv.get_vector("ab", norm=True), np.zeros(K))
    with pytest.raises(ValueError, match="zero"):
        kv.most_similar("ab")


def test_without_buckets_unseen_words_are_unknown(matrix):
    kv = FastTextKeyedVectors.from_input_matrix(KEYS, matrix[: len(KEYS)], 3, 6, 0)
    assert "walks" not in kv and kv.vectors_ngrams.shape == (0, K)
    np.testing.assert_array_equal(kv.vectors, matrix[: len(KEYS)])
    np.testing.assert_array_equal(kv["walks"], np.zeros(K))


def test_queries_accept_unseen_words(kv, matrix):
    unit = kv.get_normed_vectors()
    query = kv.get_vector("walks", norm=True)
    expected = sorted(range(len(KEYS)), key=lambda i: -float(unit[i] @ query))[:3]
    assert [w for w, _ in kv.most_similar("walks", topn=3)] == [KEYS[i] for i in expected]
    assert kv.most_similar(positive=["walks"], topn=3) == kv.most_similar(positive=[query], topn=3)
    assert kv.similar_by_word("walks", topn=3) == kv.most_similar("walks", topn=3)
    # Mixed with vocabulary words and weights: as if the unseen word's unit vector were given.
    mixed = kv.most_similar(positive=[("walks", 2.0), "talk"], negative=["runner"], topn=4)
    given = kv.most_similar(positive=[(query, 2.0), "talk"], negative=[kv.get_vector("runner", norm=True)], topn=4)
    assert mixed == given
    assert kv.most_similar_cosmul(positive=["walks"], topn=2) == kv.most_similar_cosmul(positive=[query], topn=2)
    batch = kv.most_similar_batch(["walks", {"positive": ["talked"]}], topn=3)
    assert [w for w, _ in batch[0]] == [w for w, _ in kv.most_similar("walks", topn=3)]
    assert [w for w, _ in batch[1]] == [w for w, _ in kv.most_similar("talked", topn=3)]


def test_similarities_accept_unseen_words(kv):
    a, b = kv["walks"], kv["walk"]
    assert kv.similarity("walks", "walk") == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b), abs=1e-6)
    assert kv.distance("walks", "walk") == pytest.approx(1 - kv.similarity("walks", "walk"), abs=1e-6)
    mean1, mean2 = kv[["walks", "run"]].mean(axis=0), kv[["talked"]].mean(axis=0)
    assert kv.n_similarity(["walks", "run"], ["talked"]) == pytest.approx(
        mean1 @ mean2 / np.linalg.norm(mean1) / np.linalg.norm(mean2), abs=1e-6)
    assert kv.distances("walks", ["walk", "runner"]) == pytest.approx(
        [kv.distance("walks", "walk"), kv.distance("walks", "runner")], abs=1e-6)
    assert kv.distances("walks").shape == (len(KEYS),)
    ranked = kv.rank_by_centrality(["walk", "walks", "北海"])
    assert sorted(w for _, w in ranked) == sorted(["walk", "walks", "北海"])
    assert kv.doesnt_match(["walk", "walks", "walked", "北海"]) == ranked_last(kv, ["walk", "walks", "walked", "北海"])
    mean = kv.get_mean_vector(["walks", "walk"])
    np.testing.assert_allclose(mean, (kv.get_vector("walks", norm=True) + kv.get_vector("walk", norm=True)) / 2,
                               rtol=1e-5, atol=1e-6)


def ranked_last(kv, words):
    units = np.vstack([kv[w] / np.linalg.norm(kv[w]) for w in words])
    centre = units.mean(axis=0)
    return words[int(np.argmin(units @ (centre / np.linalg.norm(centre))))]


def test_changing_the_rows_recomposes(kv, matrix):
    kv.vectors_ngrams = np.zeros_like(kv.vectors_ngrams)
    walk = KEYS.index("walk")
    n_rows = len(reference_rows("walk"))
    np.testing.assert_allclose(kv["walk"], matrix[walk] / n_rows, rtol=1e-6)
    kv.input_vectors[walk] = 0  # in place, as training does: recompose explicitly
    kv.adjust_vectors()
    np.testing.assert_array_equal(kv["walk"], np.zeros(K))
    with pytest.raises(ValueError, match="shape"):
        kv.vectors_vocab = np.zeros((2, K))
    with pytest.raises(TypeError, match="compose"):
        kv.add_vector("new", np.zeros(K))


def test_compact_model_equals_the_full_one_for_vocabulary_words(kv, matrix):
    offsets, rows = vocabulary_subwords(KEYS, MIN_N, MAX_N, BUCKET)
    used = np.unique(rows[rows >= len(KEYS)] - len(KEYS))
    bucket_rows = np.full(BUCKET, -1, np.int32)
    bucket_rows[used] = np.arange(used.size)
    compact_matrix = np.vstack([matrix[: len(KEYS)], matrix[len(KEYS) + used]])
    compact = FastTextKeyedVectors.from_input_matrix(KEYS, compact_matrix, MIN_N, MAX_N, BUCKET,
                                                     bucket_rows=bucket_rows)
    assert compact.vectors_ngrams.shape == (used.size, K) < kv.vectors_ngrams.shape
    np.testing.assert_array_equal(compact.vectors, kv.vectors)
    # An unseen word's n-grams without a row count as zero vectors: the full
    # matrix with those rows zeroed gives the same vector.
    zeroed = matrix.astype(np.float64)
    unused = np.setdiff1d(np.arange(BUCKET), used)
    zeroed[len(KEYS) + unused] = 0
    partly_unused = 0
    for word in UNSEEN:
        rows = reference_rows(word)
        partly_unused += 0 < sum(r - len(KEYS) in set(unused.tolist()) for r in rows) < len(rows)
        expected = zeroed[rows].mean(axis=0) if rows else np.zeros(K)
        np.testing.assert_allclose(compact[word], expected, rtol=1e-5, atol=1e-6)
    assert partly_unused  # the rule is exercised
    with pytest.raises(ValueError, match="bucket_rows"):
        FastTextKeyedVectors.from_input_matrix(KEYS, compact_matrix[:-1], MIN_N, MAX_N, BUCKET,
                                               bucket_rows=bucket_rows)


def test_input_matrix_must_match_words_and_buckets(matrix):
    with pytest.raises(ValueError, match="rows"):
        FastTextKeyedVectors.from_input_matrix(KEYS, matrix[:-1], MIN_N, MAX_N, BUCKET)
    with pytest.raises(ValueError, match="more than once"):
        FastTextKeyedVectors.from_input_matrix(KEYS[:-1] + ["walk"], matrix, MIN_N, MAX_N, BUCKET)


@pytest.mark.parametrize("mmap", [None, "r"])
def test_save_load_round_trip(kv, tmp_path, mmap):
    kv.save(tmp_path / "ft")
    loaded = FastTextKeyedVectors.load(tmp_path / "ft", mmap=mmap)
    assert loaded.index_to_key == KEYS and (loaded.min_n, loaded.max_n, loaded.bucket) == (MIN_N, MAX_N, BUCKET)
    np.testing.assert_array_equal(loaded.input_vectors, kv.input_vectors)
    np.testing.assert_array_equal(loaded.vectors, kv.vectors)
    np.testing.assert_array_equal(loaded.counts, kv.counts)
    for word in UNSEEN:
        np.testing.assert_array_equal(loaded[word], kv[word])
    assert loaded.most_similar("walks", topn=3) == kv.most_similar("walks", topn=3)


def test_save_refuses_nan_rows_and_load_names_damage(kv, tmp_path):
    kv.input_vectors[len(KEYS) + 5, 0] = np.nan
    with pytest.raises(ValueError, match="n-gram row 5"):
        kv.save(tmp_path / "bad")
    kv.save(tmp_path / "bad", allow_non_finite=True)
    meta = (tmp_path / "bad" / "meta.json").read_text().replace('"bucket": 97', '"bucket": 98')
    (tmp_path / "bad" / "meta.json").write_text(meta)
    with pytest.raises(ValueError, match=str(tmp_path / "bad")):
        FastTextKeyedVectors.load(tmp_path / "bad")


def test_word2vec_format_holds_the_composed_vectors(kv, tmp_path):
    from cw2v import KeyedVectors
    kv.save_word2vec_format(tmp_path / "v.vec")
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "v.vec")
    np.testing.assert_allclose(loaded.vectors, kv.vectors, rtol=1e-6)


def test_same_vectors_as_gensim(kv):
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    keys = [k for k in KEYS if k != "</s>"]  # gensim gives </s> n-grams, fastText does not
    rows = [KEYS.index(k) for k in keys]
    ours = FastTextKeyedVectors.from_input_matrix(keys, np.vstack([kv.vectors_vocab[rows], kv.vectors_ngrams]),
                                                  MIN_N, MAX_N, BUCKET)
    theirs = gensim_fasttext.FastTextKeyedVectors(K, MIN_N, MAX_N, BUCKET)
    theirs.index_to_key = list(keys)
    theirs.key_to_index = {k: i for i, k in enumerate(keys)}
    theirs.vectors_vocab = kv.vectors_vocab[rows].copy()
    theirs.vectors_ngrams = kv.vectors_ngrams.copy()
    theirs.recalc_char_ngram_buckets()
    theirs.adjust_vectors()
    for word in keys + UNSEEN:
        np.testing.assert_allclose(ours[word], theirs[word], rtol=1e-5, atol=1e-6)
    assert [w for w, _ in ours.most_similar("walks", topn=4)] == [w for w, _ in theirs.most_similar("walks", topn=4)]


def test_load_names_a_missing_array(kv, tmp_path):
    kv.save(tmp_path / "ft")
    (tmp_path / "ft" / "input_vectors.npy").unlink()
    data = json.loads((tmp_path / "ft" / "meta.json").read_text())
    del data["arrays"]["input_vectors"]
    (tmp_path / "ft" / "meta.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="lacks the array 'input_vectors'"):
        FastTextKeyedVectors.load(tmp_path / "ft")


def test_compact_rows_follow_the_words_first_use():
    """The buckets of the first (most frequent) words get the first rows, so the
    rows training reads most sit together; a second call keeps them and adds
    the buckets only the new words use, again in order of first use."""
    from cw2v._kernels.ngrams import ngram_rows
    from cw2v.vectors.fasttext_keyedvectors import compact_bucket_rows
    words, bucket = ["ocean", "apple", "banana"], 10007

    def buckets_of(word):
        return ngram_rows(word, 3, 5, bucket, 0)

    bucket_rows, new = compact_bucket_rows(words, 3, 5, bucket)
    order = list(dict.fromkeys(b for w in words for b in buckets_of(w).tolist()))
    np.testing.assert_array_equal(new, order)
    np.testing.assert_array_equal(bucket_rows[order], np.arange(len(order)))
    assert np.count_nonzero(bucket_rows >= 0) == len(order)
    grown, added = compact_bucket_rows(words + ["oceanic"], 3, 5, bucket, previous=bucket_rows)
    np.testing.assert_array_equal(grown[order], bucket_rows[order])
    fresh = [b for b in dict.fromkeys(buckets_of("oceanic").tolist()) if bucket_rows[b] < 0]
    np.testing.assert_array_equal(added, fresh)
    np.testing.assert_array_equal(grown[fresh], np.arange(len(order), len(order) + len(fresh)))
