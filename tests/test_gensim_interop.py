"""Files written by cw2v load in gensim, and files written by gensim load in cw2v."""
import numpy as np
import pytest

gensim_models = pytest.importorskip("gensim.models")

from cw2v.io.word2vec_format import load_word2vec_format, save_word2vec_format  # noqa: E402
from cw2v.vectors.keyedvectors import KeyedVectors  # noqa: E402

SUFFIXES = ["", ".gz", ".bz2"]


def sample(n=300, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n - 4)] + ["ünïcödé", "日本語", "a-b_c", "x" * 60]
    return keys, rng.standard_normal((n, dim)).astype(np.float32) * 3


def gensim_kv(keys, vectors):
    kv = gensim_models.KeyedVectors(vectors.shape[1])
    kv.add_vectors(keys, vectors)
    return kv


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_cw2v_file_loads_in_gensim(tmp_path, binary, suffix):
    keys, vectors = sample()
    path = tmp_path / f"v{suffix}"
    save_word2vec_format(path, keys, vectors, binary=binary)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert theirs.index_to_key == keys
    assert np.array_equal(theirs.vectors, vectors)  # text too: 9 significant digits are exact


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_gensim_file_loads_in_cw2v(tmp_path, binary, suffix):
    keys, vectors = sample()
    path = tmp_path / f"g{suffix}"
    gensim_kv(keys, vectors).save_word2vec_format(str(path), binary=binary)
    got_keys, got = load_word2vec_format(path, binary=binary)
    assert got_keys == keys
    assert np.array_equal(got, vectors)


def test_gensim_binary_has_no_newline_after_vectors(tmp_path):
    """The layout difference this interop must bridge, checked on gensim's actual output."""
    keys, vectors = ["a", "ünï", "c"], sample(dim=2)[1][:3]
    gensim_kv(keys, vectors).save_word2vec_format(str(tmp_path / "g.bin"), binary=True)
    data = (tmp_path / "g.bin").read_bytes()
    expected = b"3 2\n" + b"".join(k.encode() + b" " + v.astype("<f4").tobytes() for k, v in zip(keys, vectors))
    assert data == expected
    save_word2vec_format(tmp_path / "c.bin", keys, vectors, binary=True)
    assert (tmp_path / "c.bin").read_bytes() == b"3 2\n" + b"".join(
        k.encode() + b" " + v.astype("<f4").tobytes() + b"\n" for k, v in zip(keys, vectors))


def test_glove_style_text_both_ways(tmp_path):
    keys, vectors = sample()
    save_word2vec_format(tmp_path / "c.txt", keys, vectors, write_header=False)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / "c.txt"), no_header=True)
    assert theirs.index_to_key == keys and np.array_equal(theirs.vectors, vectors)
    gensim_kv(keys, vectors).save_word2vec_format(str(tmp_path / "g.txt"), write_header=False)
    got_keys, got = load_word2vec_format(tmp_path / "g.txt", no_header=True)
    assert got_keys == keys and np.array_equal(got, vectors)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim's cosmul calls its own deprecated init_sims
def test_queries_agree_after_round_trip(tmp_path):
    keys, vectors = sample()
    KeyedVectors.from_arrays(keys, vectors).save_word2vec_format(tmp_path / "v.bin", binary=True)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    ours = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True)
    for query in (dict(positive=["w1"]), dict(positive=["w1", "w2"], negative=["w3"]),
                  dict(positive=["w5"], restrict_vocab=100)):
        mine, other = ours.most_similar(**query), theirs.most_similar(**query)
        assert [k for k, _ in mine] == [k for k, _ in other]
        assert np.allclose([s for _, s in mine], [s for _, s in other], atol=1e-5)
    mine = ours.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"])
    other = theirs.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"])
    assert [k for k, _ in mine] == [k for k, _ in other]
    assert ours.doesnt_match(["w1", "w2", "w3", "w4"]) == theirs.doesnt_match(["w1", "w2", "w3", "w4"])
    assert ours.rank("w1", "w9") == theirs.rank("w1", "w9")
    assert ours.similarity("w1", "w9") == pytest.approx(float(theirs.similarity("w1", "w9")), abs=1e-6)
    assert ours.n_similarity(["w1", "w2"], ["w9"]) == pytest.approx(
        float(theirs.n_similarity(["w1", "w2"], ["w9"])), abs=1e-6)
