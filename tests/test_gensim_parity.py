"""Switching from gensim is one import: every public name, signature and result, checked against gensim 4.

Three layers:

* Names: every public name of gensim's KeyedVectors and Word2Vec (and
  FastText, FastTextKeyedVectors, Phrases, FrozenPhrases once cw2v exports
  them) exists in cw2v, unless listed below as a deliberate omission.
* Signatures: a method both have takes gensim's positional parameters in
  gensim's order with gensim's defaults (cw2v may add parameters after them).
* Results: each method added for parity gives gensim's result on the same
  vectors, to float tolerance.
"""
import inspect
import sys
import warnings
from collections import Counter

import numpy as np
import pytest

gensim_models = pytest.importorskip("gensim.models")
from gensim.models import fasttext as gensim_fasttext  # noqa: E402
from gensim.models import phrases as gensim_phrases  # noqa: E402

import cw2v  # noqa: E402
from cw2v import KeyedVectors, Word2Vec  # noqa: E402
from cw2v.vocab.huffman import build_huffman  # noqa: E402
from cw2v.vocab.sampling import keep_thresholds  # noqa: E402

# ------------------------------------------------------------------ names

# Names of gensim's that cw2v leaves out on purpose, and why.
COMMON_OMISSIONS = {
    "add_lifecycle_event",  # gensim's SaveLoad history of calls; cw2v keeps training_history
}
KEYED_VECTORS_OMISSIONS = COMMON_OMISSIONS | {
    "log_accuracy", "log_evaluate_word_pairs",  # gensim's logging helpers; cw2v's evaluation logs itself
    "similarity_unseen_docs",  # Doc2Vec's; gensim's KeyedVectors method only raises NotImplementedError
}
WORD2VEC_OMISSIONS = COMMON_OMISSIONS | {
    # gensim's internal steps of build_vocab and train, public by accident: cw2v's
    # Vocabulary, huffman and sampling modules do these (build_vocab calls them).
    "scan_vocab", "prepare_vocab", "prepare_weights", "init_weights", "update_weights",
    "create_binary_tree", "make_cum_table",
    "add_null_word",  # Doc2Vec's padding word; cw2v refuses null_word (see Word2Vec's docstring)
    "reset_from",  # shares another model's vocabulary in place; build_vocab_from_vocabulary does it
    "seeded_vector",  # deprecated in gensim 4; cw2v seeds vectors from `seed` alone, not a hash of the word
}
OMISSIONS = {
    "KeyedVectors": KEYED_VECTORS_OMISSIONS,
    "Word2Vec": WORD2VEC_OMISSIONS,
    # gensim 4 keeps load_binary_data only for its deprecated load_fasttext_format
    # (which cw2v has); cw2v.load_facebook_model reads the .bin.
    "FastText": WORD2VEC_OMISSIONS | {"load_binary_data"},
    "FastTextKeyedVectors": KEYED_VECTORS_OMISSIONS | {
        "init_post_load",  # gensim's internal step of load_facebook_vectors
    },
    "Phrases": COMMON_OMISSIONS,
    "FrozenPhrases": COMMON_OMISSIONS,
}
GENSIM_CLASSES = {
    "KeyedVectors": gensim_models.KeyedVectors,
    "Word2Vec": gensim_models.Word2Vec,
    "FastText": gensim_fasttext.FastText,
    "FastTextKeyedVectors": gensim_fasttext.FastTextKeyedVectors,
    "Phrases": gensim_phrases.Phrases,
    "FrozenPhrases": gensim_phrases.FrozenPhrases,
}

# Methods whose signature differs from gensim's on purpose (or until fixed), and why.
SIGNATURE_DIFFERENCES = {
    # compute_loss, callbacks, report_delay default to None, meaning the model's own
    # settings (gensim's False, (), 1.0 switch them off; README "Coming from gensim").
    ("Word2Vec", "train"),
    # gensim takes keep_raw_vocab second; cw2v's lacks it (model module: to add).
    ("Word2Vec", "build_vocab_from_freq"),
    # FastText inherits both from Word2Vec, for the same reasons.
    ("FastText", "train"), ("FastText", "build_vocab_from_freq"),
    # Phrases save a bundle directory, never a pickle: gensim's pickling options
    # (separately, sep_limit, ignore, pickle_protocol) have nothing to act on.
    ("Phrases", "save"), ("FrozenPhrases", "save"),
}


def cw2v_class(name):
    """cw2v's class of that name, or a skip until cw2v exports it."""
    found = getattr(cw2v, name, None)
    if found is None and name == "FastTextKeyedVectors" and hasattr(cw2v, "FastText"):
        # Perhaps not exported: the module defining the model must know its vectors' class.
        found = getattr(sys.modules[cw2v.FastText.__module__], name, None)
    if found is None:
        pytest.skip(f"cw2v has no {name} yet")
    return found


def public_names(cls):
    return sorted(name for name in dir(cls) if not name.startswith("_"))


@pytest.mark.parametrize("name", list(GENSIM_CLASSES))
def test_every_public_gensim_name_exists(name):
    ours = cw2v_class(name)
    missing = [attr for attr in public_names(GENSIM_CLASSES[name])
               if not hasattr(ours, attr) and attr not in OMISSIONS[name]]
    assert not missing, f"cw2v.{name} lacks gensim's {missing}: add them or list them as deliberate omissions"


@pytest.mark.parametrize("name", list(GENSIM_CLASSES))
def test_omissions_are_still_missing(name):
    """An omission that cw2v has since implemented should leave the list."""
    ours = cw2v_class(name)
    assert not [attr for attr in OMISSIONS[name] if hasattr(ours, attr) and attr in dir(GENSIM_CLASSES[name])]


def _positional(function):
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values() if p.kind in kinds]


@pytest.mark.parametrize("name", list(GENSIM_CLASSES))
def test_shared_methods_take_gensims_parameters(name):
    ours, theirs = cw2v_class(name), GENSIM_CLASSES[name]
    wrong = []
    for attr in public_names(theirs) + ["__init__"]:
        gensim_member, our_member = inspect.getattr_static(theirs, attr, None), getattr(ours, attr, None)
        if not callable(getattr(theirs, attr)) or isinstance(gensim_member, property) or our_member is None \
                or (name, attr) in SIGNATURE_DIFFERENCES:
            continue
        expected, got = _positional(getattr(theirs, attr)), _positional(our_member)
        if [p for p, _ in got[:len(expected)]] != [p for p, _ in expected]:
            wrong.append(f"{attr}: gensim {[p for p, _ in expected]}, cw2v {[p for p, _ in got]}")
            continue
        defaults = [(p, a, b) for (p, a), (_, b) in zip(expected, got) if repr(a) != repr(b)]
        if defaults:
            wrong.append(f"{attr}: defaults differ {defaults}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------------------------ removed names


@pytest.mark.parametrize("attr, replacement", [
    ("index2word", "index_to_key"), ("index2entity", "index_to_key"), ("vocab", "key_to_index"),
    ("vectors_norm", "get_normed_vectors")])
def test_names_gensim_4_removed_fail_as_in_gensim(attr, replacement):
    theirs, ours = gensim_models.KeyedVectors(3), KeyedVectors(3)
    with pytest.raises(AttributeError, match=replacement):
        getattr(theirs, attr)
    with pytest.raises(AttributeError, match=f"{replacement}.*Migrating-from-Gensim-3.x-to-4"):
        getattr(ours, attr)
    assert hasattr(KeyedVectors, attr) and hasattr(gensim_models.KeyedVectors, attr)


def test_gensim_3_names_on_the_vectors_and_the_model_say_what_to_use(trained):
    model = trained["ns"]
    renamed = [("syn0", "vectors"), ("syn0norm", "get_normed_vectors"), ("syn0_lockf", "vectors_lockf")]
    for attr, replacement in renamed:
        with pytest.raises(AttributeError, match=replacement):
            getattr(model.wv, attr)
    with pytest.raises(AttributeError, match="index_to_key"):
        model.wv.index2word = ["a"]
    moved = [("most_similar", r"model\.wv\.most_similar"), ("iter", "epochs"), ("size", "vector_size"),
             ("syn0", r"model\.wv\.vectors"), ("index2word", r"model\.wv\.index_to_key"),
             ("accuracy", "evaluate_word_analogies")]
    for attr, replacement in moved:
        with pytest.raises(AttributeError, match=replacement):
            getattr(model, attr)
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'$"):
        model.no_such_thing
    with pytest.raises(TypeError, match=r"model\.wv\[word\]"):
        model["t0w1"]
    with pytest.raises(TypeError, match="in model.wv"):
        "t0w1" in model
    assert model.layer1_size == model.vector_size
    with pytest.warns(DeprecationWarning, match="init_sims"):
        model.init_sims()


def test_deprecated_names_warn_and_work_as_in_gensim(vectors):
    keys, matrix = vectors
    ours, theirs = KeyedVectors.from_arrays(keys, matrix.copy()), gensim_kv(keys, matrix)
    for call in (lambda kv: kv.word_vec("k3"), lambda kv: kv.words_closer_than("k3", "k40")):
        with pytest.warns(DeprecationWarning):
            got = call(ours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            expected = call(theirs)
        assert np.array_equal(np.asarray(got), np.asarray(expected))
    with pytest.warns(DeprecationWarning):
        ours.init_sims(replace=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs.init_sims(replace=True)
    assert np.allclose(ours.vectors, theirs.vectors, atol=1e-6)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(7)
    keys = [f"k{i}" for i in range(120)]
    return keys, rng.standard_normal((120, 10)).astype(np.float32)


def gensim_kv(keys, matrix, counts=None):
    kv = gensim_models.KeyedVectors(matrix.shape[1])
    kv.add_vectors(keys, matrix.copy())
    if counts is not None:
        for key, count in zip(keys, counts):
            kv.set_vecattr(key, "count", int(count))
    return kv


def corpus():
    from synthetic import topic_corpus
    return topic_corpus(n_sentences=600, length=8, seed=3)


@pytest.fixture(scope="module")
def trained():
    sentences = corpus()
    common = dict(vector_size=12, min_count=1, workers=1, seed=5, epochs=3, window=3)
    return {"ns": Word2Vec(sentences, negative=5, **common),
            "hs_sg": Word2Vec(sentences, hs=1, negative=0, sg=1, **common),
            "hs_cbow": Word2Vec(sentences, hs=1, negative=0, sg=0, **common)}


# ------------------------------------------------------------------ attributes


def test_counts_are_the_corpus_counts_as_in_gensim(trained):
    sentences = corpus()
    counted = Counter(word for sentence in sentences for word in sentence)
    theirs = gensim_models.Word2Vec(vector_size=4, min_count=1)
    theirs.build_vocab(sentences)
    for model in trained.values():
        for word, count in counted.items():
            assert model.wv.get_vecattr(word, "count") == count == theirs.wv.get_vecattr(word, "count")


def test_sample_int_thresholds_match_gensims():
    """cw2v's subsampling thresholds are gensim's sample_int to within one unit in 2**32."""
    sentences = corpus() + [["rare", "t0w1"], ["t0w1"] * 50]
    theirs = gensim_models.Word2Vec(vector_size=4, min_count=1, sample=1e-3)
    theirs.build_vocab(sentences)
    ours = Word2Vec(vector_size=4, min_count=1, sample=1e-3)
    ours.build_vocab(sentences)
    thresholds = keep_thresholds(ours.wv.counts, ours.sample).astype(np.int64)
    for word, index in ours.wv.key_to_index.items():
        assert abs(int(theirs.wv.get_vecattr(word, "sample_int")) - int(thresholds[index])) <= 1


def test_model_vectors_carry_sample_int():
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab(corpus())
    expected = keep_thresholds(model.wv.counts, model.sample)
    assert model.wv.get_vecattr("t0w1", "sample_int") == expected[model.wv.get_index("t0w1")]


def test_set_get_allocate_vecattr_as_in_gensim(vectors):
    keys, matrix = vectors
    ours, theirs = KeyedVectors.from_arrays(keys, matrix), gensim_kv(keys, matrix)
    for kv in (ours, theirs):
        kv.set_vecattr("k5", "tag", 7)
        kv.set_vecattr("k6", "weight", 0.5)
        kv.set_vecattr("k7", "label", "noun")
        kv.allocate_vecattrs(["flag"], [bool])
    for attr in ("tag", "weight", "label", "flag"):
        assert ours.expandos[attr].dtype == theirs.expandos[attr].dtype, attr
        assert ours.expandos[attr].tolist() == theirs.expandos[attr].tolist(), attr
    assert ours.get_vecattr("k5", "tag") == theirs.get_vecattr("k5", "tag") == 7
    for kv in (ours, theirs):
        with pytest.raises(TypeError):
            kv.set_vecattr("k5", "tag", 1.5)  # a float into an int attribute
        with pytest.raises(KeyError):
            kv.get_vecattr("k5", "absent")


# ------------------------------------------------------------------ queries on the same vectors


def test_relative_cosine_similarity_matches_gensim(vectors):
    keys, matrix = vectors
    ours, theirs = KeyedVectors.from_arrays(keys, matrix), gensim_kv(keys, matrix)
    for a, b, topn in [("k1", "k2", 10), ("k3", "k99", 5), ("k50", "k51", 1)]:
        assert ours.relative_cosine_similarity(a, b, topn) == pytest.approx(
            theirs.relative_cosine_similarity(a, b, topn), rel=1e-5, abs=1e-6)


def test_wmdistance_matches_gensim(vectors):
    pytest.importorskip("ot")
    keys, matrix = vectors
    ours, theirs = KeyedVectors.from_arrays(keys, matrix), gensim_kv(keys, matrix)
    documents = [(["k1", "k2", "k2", "k9"], ["k3", "k4"]), (["k1", "oov"], ["k1", "k7", "k8", "k8", "k8"]),
                 (["k5"], ["k5", "k5"]), (["oov"], ["k1"]), (["k10", "k11", "k12"], ["k12", "k11", "k10"])]
    for doc1, doc2 in documents:
        for norm in (True, False):
            expected = theirs.wmdistance(doc1, doc2, norm=norm)
            assert ours.wmdistance(doc1, doc2, norm=norm) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_wmdistance_without_pot_says_how_to_get_it(vectors, monkeypatch):
    keys, matrix = vectors
    monkeypatch.setitem(sys.modules, "ot", None)  # makes `import ot` fail
    with pytest.raises(ImportError, match=r"pip install 'cw2v\[wmd\]'"):
        KeyedVectors.from_arrays(keys, matrix).wmdistance(["k1"], ["k2"])


def test_sort_by_descending_frequency_matches_gensim(vectors):
    keys, matrix = vectors
    counts = np.random.default_rng(1).permutation(len(keys)) * 3 + 1  # distinct: gensim's tie rule aside
    ours = KeyedVectors.from_arrays(keys, matrix.copy(), counts=counts)
    ours.set_vecattr("k4", "tag", 9)
    theirs = gensim_kv(keys, matrix, counts)
    theirs.set_vecattr("k4", "tag", 9)
    ours.sort_by_descending_frequency()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.sort_by_descending_frequency()
    assert ours.index_to_key == theirs.index_to_key
    assert ours.key_to_index == theirs.key_to_index
    assert np.array_equal(ours.vectors, theirs.vectors)
    assert ours.counts.tolist() == theirs.expandos["count"].tolist()
    assert ours.get_vecattr("k4", "tag") == 9
    assert ours.expandos["tag"].tolist() == theirs.expandos["tag"].tolist()
    assert ours.most_similar("k4", topn=3) == [(k, pytest.approx(s, abs=1e-5))
                                               for k, s in theirs.most_similar("k4", topn=3)]


def test_unit_normalize_all_matches_gensim(vectors):
    keys, matrix = vectors
    ours, theirs = KeyedVectors.from_arrays(keys, matrix.copy()), gensim_kv(keys, matrix)
    ours.unit_normalize_all()
    theirs.unit_normalize_all()
    assert np.allclose(ours.vectors, theirs.vectors, atol=1e-6)
    assert np.allclose(np.linalg.norm(ours.vectors, axis=1), 1, atol=1e-6)


def test_resize_vectors_draws_gensims_rows(vectors):
    keys, matrix = vectors
    ours, theirs = KeyedVectors.from_arrays(keys[:50], matrix[:50].copy()), gensim_kv(keys[:50], matrix[:50])
    for kv in (ours, theirs):
        kv.index_to_key.extend(keys[50:])
        kv.key_to_index.update({key: i for i, key in enumerate(keys) if i >= 50})
        kv.resize_vectors(seed=11)
    assert np.array_equal(ours.vectors, theirs.vectors)
    assert np.array_equal(ours.vectors[:50], matrix[:50])
    assert ours["k70"].tolist() == theirs["k70"].tolist()


def test_vectors_for_all_matches_gensim(vectors):
    keys, matrix = vectors
    counts = np.arange(len(keys))[::-1] + 1
    ours, theirs = KeyedVectors.from_arrays(keys, matrix, counts=counts), gensim_kv(keys, matrix, counts)
    wanted = ["k9", "oov", "k3", "k9", "k100", "k3"]
    for copy in (False, True):
        got = ours.vectors_for_all(wanted, copy_vecattrs=copy)
        expected = theirs.vectors_for_all(wanted, copy_vecattrs=copy)
        assert got.index_to_key == expected.index_to_key == ["k9", "k3", "k100"]
        assert np.array_equal(got.vectors, expected.vectors)
        if copy:
            assert got.counts.tolist() == expected.expandos["count"].tolist()
        else:
            assert got.counts is None  # gensim makes counts up here (3, 2, 1); cw2v leaves them unknown


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format_matches_gensim(tmp_path, vectors, binary):
    keys, matrix = vectors
    rng = np.random.default_rng(2)
    file_keys = ["k3", "elsewhere", "k17", "k119", "also_not_here"]
    file_vectors = rng.standard_normal((len(file_keys), matrix.shape[1])).astype(np.float32)
    path, text_path = tmp_path / "pretrained", tmp_path / "pretrained.txt"
    gensim_kv(file_keys, file_vectors).save_word2vec_format(str(path), binary=binary)
    gensim_kv(file_keys, file_vectors).save_word2vec_format(str(text_path), binary=False)
    ours, theirs = KeyedVectors.from_arrays(keys, matrix.copy()), gensim_kv(keys, matrix)
    theirs.vectors_lockf = np.ones(len(keys), dtype=np.float32)  # gensim 4.4 needs this by hand
    assert ours.intersect_word2vec_format(path, lockf=0.0, binary=binary) == 3
    # gensim 4.4's binary reader here calls np.fromstring, which NumPy 2 removed: it reads
    # the same vectors from text (written with float32's exact shortest repr).
    theirs.intersect_word2vec_format(str(text_path), lockf=0.0, binary=False)
    assert np.array_equal(ours.vectors, theirs.vectors)
    assert np.array_equal(ours.vectors_lockf, theirs.vectors_lockf)
    assert ours.vectors_lockf.dtype == np.float32 and ours.vectors_lockf.shape == (len(keys),)
    assert np.array_equal(ours["k17"], file_vectors[2]) and np.array_equal(ours["k4"], matrix[4])
    assert ours.lock_factors() is not None and ours.lock_factors()[[3, 17, 119]].tolist() == [0, 0, 0]


# ------------------------------------------------------------------ model queries on the same weights


def gensim_twin(model, sentences):
    """A gensim Word2Vec with the same vocabulary and exactly ``model``'s weights (and Huffman tree)."""
    twin = gensim_models.Word2Vec(vector_size=model.vector_size, min_count=1, window=model.window, sg=model.sg,
                                  hs=model.hs, negative=model.negative, cbow_mean=model.cbow_mean, workers=1)
    twin.build_vocab(sentences)
    ours = [model.wv.get_index(key) for key in twin.wv.index_to_key]  # gensim's row i is our row ours[i]
    twin.wv.vectors[:] = model.wv.vectors[ours]
    if model.negative:
        twin.syn1neg[:] = model.w_out_ns[ours]
    if model.hs:
        tree = build_huffman(model.wv.counts)
        twin.syn1[:] = 0
        twin.syn1[:len(model.w_out_hs)] = model.w_out_hs  # same tree, so the same node ids
        twin.wv.expandos["code"] = np.array([tree.code(i).copy() for i in ours] + [None], dtype=object)[:-1]
        twin.wv.expandos["point"] = np.array([tree.path(i).astype(np.uint32) for i in ours] + [None],
                                             dtype=object)[:-1]
    return twin


def test_predict_output_word_matches_gensim(trained):
    model = trained["ns"]
    twin = gensim_twin(model, corpus())
    for context in (["t0w1", "t0w2"], ["t3w4"], ["t1w1", "oov", "t1w5", "t1w6"], [0, "t2w2"]):
        got, expected = model.predict_output_word(context, topn=15), twin.predict_output_word(context, topn=15)
        assert [word for word, _ in got][:5] == [word for word, _ in expected][:5]
        expected = dict(expected)
        for word, probability in got:
            assert probability == pytest.approx(expected.get(word, probability), rel=1e-4)
    assert model.predict_output_word(["oov"]) is None and twin.predict_output_word(["oov"]) is None


def reference_score(model, sentence, tree, table=False):
    """Sum of log p over every prediction of the sentence, slowly (gensim's log-sigmoid table if ``table``)."""
    ids = [model.wv.key_to_index[w] for w in sentence if w in model.wv.key_to_index]
    vectors, nodes = model.wv.vectors.astype(np.float64), model.w_out_hs.astype(np.float64)
    total = 0.0
    for i, centre in enumerate(ids):
        window = [ids[j] for j in range(max(0, i - model.window), min(len(ids), i + model.window + 1)) if j != i]
        inputs = [vectors[j] for j in window] if model.sg else [
            sum((vectors[j] for j in window), np.zeros(model.vector_size)) / (len(window) if model.cbow_mean and
                                                                              window else 1)]
        for hidden in inputs:
            for code, point in zip(tree.code(centre), tree.path(centre)):
                logit = (1 - 2 * int(code)) * float(hidden @ nodes[point])
                if table:  # gensim: 1000 entries over [-6, 6), indexed with the scale 1000 // 6 // 2 = 83
                    logit = (int((logit + 6) * 83) / 1000 * 2 - 1) * 6
                total += -np.logaddexp(0.0, -logit)
    return total


@pytest.mark.parametrize("layout", ["hs_sg", "hs_cbow"])
def test_score_is_gensims_sum_computed_exactly(trained, layout):
    """Both sum the same predictions' log-probabilities; gensim reads each from its table, cw2v computes it."""
    model = trained[layout]
    sentences = corpus()[:40] + [["t0w1", "oov", "t0w2", "t0w3"], ["oov", "oov"], ["t5w5", "t5w6"]]
    twin = gensim_twin(model, corpus())
    got, expected = model.score(sentences, total_sentences=100), twin.score(sentences, total_sentences=100)
    assert got.shape == expected.shape == (len(sentences),)
    tree = build_huffman(model.wv.counts)
    exact = [reference_score(model, s, tree) for s in sentences]
    tabled = [reference_score(model, s, tree, table=True) for s in sentences]
    assert np.allclose(got, exact, rtol=1e-5, atol=1e-5)
    assert np.allclose(expected, tabled, rtol=1e-4, atol=1e-4)
    assert got[-2] == expected[-2] == 0.0  # no known word


def test_estimate_memory_counts_cw2vs_real_arrays(trained):
    for model in trained.values():
        report = model.estimate_memory()
        assert report["vectors"] == model.wv.vectors.nbytes
        if model.negative:
            assert report["syn1neg"] == model.w_out_ns.nbytes
        if model.hs:
            assert report["syn1"] == model.w_out_hs.nbytes
            tree = build_huffman(model.wv.counts)
            tables = tree.codes.nbytes + tree.points.nbytes + tree.offsets.nbytes
        else:
            tables = 0
        tables += keep_thresholds(model.wv.counts, model.sample).nbytes if model.sample else 0
        tables += 8 * len(model.wv) if model.negative else 0
        assert report["tables"] == tables
        assert report["total"] == sum(v for k, v in report.items() if k != "total")
        bigger = model.estimate_memory(vocab_size=10 * len(model.wv))
        assert bigger["vectors"] == 10 * report["vectors"]
        assert bigger["vocab"] == pytest.approx(10 * report["vocab"], rel=1e-6)
