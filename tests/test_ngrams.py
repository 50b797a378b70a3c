"""fastText's n-grams and hashes (cw2v._kernels.ngrams) against three oracles.

* the hashes fastText's documentation publishes;
* a slow, obvious Python statement of the rule (below), on random words;
* the real tools: the ``fasttext`` package's ``get_subwords`` (strings and
  rows) and gensim's ``ft_ngram_hashes`` / ``compute_ngrams_bytes``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cw2v._kernels.ngrams import fasttext_hash, ngram_hashes, ngram_rows, ngrams, vocabulary_subwords

fasttext = pytest.importorskip("fasttext")

WORDS = ["mysterious", "команда", "北海道", "a", "", "where", "naïve", "🙂x", "e\u0301", "αβγδεζηθ"]


# ---- the rule, stated slowly --------------------------------------------------

def ref_hash(data: bytes) -> int:
    h = 2166136261
    for byte in data:
        signed = byte - 256 if byte >= 128 else byte
        h = ((h ^ (signed & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
    return h


def ref_ngrams(data: bytes, min_n: int, max_n: int) -> list:
    """Byte strings of the n-grams of b"<" + data + b">", fastText's order."""
    wrapped = b"<" + data + b">"
    starts = [i for i, byte in enumerate(wrapped) if byte & 0xC0 != 0x80]  # character starts
    bounds = starts + [len(wrapped)]
    grams = []
    for a in range(len(starts)):
        for n in range(max(min_n, 1), max_n + 1):
            if a + n >= len(bounds):
                break
            if n == 1 and (a == 0 or a == len(starts) - 1):
                continue  # "<" and ">" alone
            grams.append(wrapped[bounds[a]:bounds[a + n]])
    return grams


# ---- published values and the reference -------------------------------------

@pytest.mark.parametrize("word, expected", [
    ("mysterious", 1903186891), ("команда", 1725507386), ("北海道", 4096045468),
])
def test_published_hashes(word, expected):
    assert fasttext_hash(word) == expected
    assert fasttext_hash(word.encode()) == expected
    assert ref_hash(word.encode()) == expected  # the reference agrees, so it can judge the rest


def test_the_brackets_and_lengths():
    assert ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert ngrams("ab", 1, 2) == ["<a", "a", "ab", "b", "b>"]
    assert ngrams("北海道", 2, 2) == ["<北", "北海", "海道", "道>"]
    assert ngrams("ab", 5, 6) == []          # longer than the wrapped word
    assert ngrams("abc", 4, 3) == []         # max_n < min_n
    assert ngrams("abc", 0, 0) == []         # max_n 0: fastText's "no subwords"


@settings(max_examples=300, deadline=None)
@given(word=st.text(max_size=12), min_n=st.integers(0, 5), span=st.integers(-1, 4),
       bucket=st.integers(1, 5000), nwords=st.integers(0, 100))
def test_matches_the_reference_on_random_words(word, min_n, span, bucket, nwords):
    max_n = max(min_n + span, 0)
    data = word.encode("utf-8", "surrogatepass")
    expected = ref_ngrams(data, min_n, max_n)
    assert [g.encode("utf-8", "surrogateescape") for g in ngrams(word, min_n, max_n)] == expected
    rows = ngram_rows(word, min_n, max_n, bucket, nwords)
    assert rows.dtype == np.int32
    # "</s>" has no n-gram rows, as in fastText (its n-grams are still listed above).
    assert rows.tolist() == ([] if word == "</s>" else
                             [nwords + ref_hash(g) % bucket for g in expected])


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=12))
def test_invalid_utf8_is_cut_by_lead_bytes(data):
    """Bytes that are not UTF-8 (a word from a .bin) are cut the way fastText cuts them."""
    word = data.decode("utf-8", "surrogateescape")
    assert [g.encode("utf-8", "surrogateescape") for g in ngrams(word, 1, 4)] == ref_ngrams(data, 1, 4)
    assert ngram_rows(word, 1, 4, 97, 3).tolist() == [3 + ref_hash(g) % 97 for g in ref_ngrams(data, 1, 4)]
    assert fasttext_hash(word) == ref_hash(data)


def test_vocabulary_csr():
    words = ["ab", "</s>", "é", "北海道"]
    offsets, rows = vocabulary_subwords(words, 1, 3, 10)
    assert offsets.dtype == np.int64 and rows.dtype == np.int32
    assert offsets[0] == 0 and offsets[-1] == rows.size
    for i, word in enumerate(words):
        own = rows[offsets[i]:offsets[i + 1]].tolist()
        assert own[0] == i
        expected = [] if word == "</s>" else ngram_rows(word, 1, 3, 10, len(words)).tolist()
        assert own[1:] == expected
    assert ngram_rows("</s>", 1, 3, 10, 4).size == 0


def test_vocabulary_csr_without_buckets_is_the_identity():
    offsets, rows = vocabulary_subwords(["x", "y", "z"], 3, 6, 0)
    assert offsets.tolist() == [0, 1, 2, 3] and rows.tolist() == [0, 1, 2]
    offsets, rows = vocabulary_subwords([], 3, 6, 100)
    assert offsets.tolist() == [0] and rows.size == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="min_n and max_n"):
        ngrams("x", -1, 3)
    with pytest.raises(ValueError, match="int32"):
        vocabulary_subwords(["x"], 3, 6, 2**31)
    with pytest.raises(TypeError, match="str or bytes"):
        vocabulary_subwords(["x", 3], 3, 6, 10)


# ---- against the fasttext package ---------------------------------------------

@pytest.fixture(scope="module", params=[(3, 6), (1, 3), (2, 2)], ids=lambda p: f"minn{p[0]}-maxn{p[1]}")
def facebook_model(request, tmp_path_factory):
    min_n, max_n = request.param
    corpus = tmp_path_factory.mktemp("ngrams") / "corpus.txt"
    corpus.write_text(("the cat sat on the mat\nкоманда северного 北海道 команда naïve\n"
                       "where 🙂x were e\u0301 here\n") * 10, encoding="utf-8")
    model = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=4, epoch=1, minCount=1,
                                        bucket=2003, minn=min_n, maxn=max_n, thread=1, verbose=0)
    return model, min_n, max_n


def test_vocabulary_rows_match_get_subwords(facebook_model):
    model, min_n, max_n = facebook_model
    words = model.words
    offsets, rows = vocabulary_subwords(words, min_n, max_n, 2003)
    for i, word in enumerate(words):
        names, ids = model.get_subwords(word)
        assert rows[offsets[i]:offsets[i + 1]].tolist() == ids.tolist(), word
        assert names[0] == word
        if word != "</s>":
            assert ngrams(word, min_n, max_n) == names[1:]


@pytest.mark.parametrize("word", ["mysterious", "a", "", "zé", "catmat", "команды", "北海", "🙂", "αβγδεζηθ"])
def test_unseen_word_rows_match_get_subwords(facebook_model, word):
    model, min_n, max_n = facebook_model
    assert word not in model.words
    names, ids = model.get_subwords(word)
    assert ngrams(word, min_n, max_n) == names
    assert ngram_rows(word, min_n, max_n, 2003, len(model.words)).tolist() == ids.tolist()


@settings(max_examples=200, deadline=None)
@given(word=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), max_size=10))
def test_random_unseen_words_match_get_subwords(word):
    model = _random_words_model()
    if word in model.words or word == "</s>" or not word.isprintable():
        return
    names, ids = model.get_subwords(word)
    assert ngram_rows(word, 2, 4, 509, len(model.words)).tolist() == ids.tolist()
    assert ngrams(word, 2, 4) == names


_MODEL = []


def _random_words_model():
    if not _MODEL:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/corpus.txt"
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("alpha beta gamma\n" * 5)
            _MODEL.append(fasttext.train_unsupervised(path, model="skipgram", dim=2, epoch=1, minCount=1,
                                                      bucket=509, minn=2, maxn=4, thread=1, verbose=0))
    return _MODEL[0]


# ---- against gensim ---------------------------------------------------------

@pytest.mark.parametrize("min_n, max_n", [(3, 6), (1, 4), (2, 2)])
def test_matches_gensim_ft_ngram_hashes(min_n, max_n):
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes
    for word in WORDS:
        assert ngram_hashes(word, min_n, max_n, 2_000_000).tolist() == \
            gensim_fasttext.ft_ngram_hashes(word, min_n, max_n, 2_000_000)
        assert [g.encode() for g in ngrams(word, min_n, max_n)] == compute_ngrams_bytes(word, min_n, max_n)
        assert fasttext_hash(word) == ft_hash_bytes(word.encode())
