"""The GIL-free text -> ids path gives exactly the batches of the token-list path."""
import pytest
from hypothesis import given, settings, strategies as st

from cw2v._kernels.tokens import TextIds
from cw2v.io.corpus import LineSentence, PathLineSentences, Text8Corpus, iter_id_batches

WORDS = ["a", "bb", "é", "日本", "ünï", "the", "x"]
KEY_TO_INDEX = {w: i for i, w in enumerate(WORDS)}
# Known words, unknown ones, and every kind of whitespace str.split() knows.
PIECES = st.sampled_from(WORDS + ["zz", "日", "Q"])
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", "\r\n", "\u2003", "\u00a0", "\x1c"])


def batches(corpus):
    return [(b.ids.tolist(), b.sentence_ends.tolist(), b.raw_words, b.n_sentences)
            for b in iter_id_batches(corpus, KEY_TO_INDEX, batch_words=7, max_sentence_length=5)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(PIECES, SPACES), max_size=80))
def test_fast_path_equals_token_path(tmp_path_factory, parts):
    text = "".join(w + s for w, s in parts)
    path = tmp_path_factory.mktemp("c") / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    for reader in (LineSentence(path, max_sentence_length=5),
                   Text8Corpus(path, max_sentence_length=5),
                   PathLineSentences(path, max_sentence_length=5),
                   LineSentence(path, max_sentence_length=5, limit=3),
                   Text8Corpus(path, max_sentence_length=5, limit=11)):
        assert batches(reader) == batches(list(reader)), type(reader).__name__


def test_text_ids_matches_split_and_lookup():
    converter = TextIds(WORDS)
    text = "a bb\u2003日本\tzz é\n\nünï日本 x\x1cthe "
    expected = [KEY_TO_INDEX.get(w, -1) for w in text.split()]
    assert converter.convert(text).tolist() == expected
    assert converter.convert(text, 3).tolist() == expected[:3]
    assert converter.convert("").tolist() == []


def test_text_ids_rejects_words_that_can_never_be_tokens():
    with pytest.raises(ValueError, match="whitespace"):
        TextIds(["ok", "two words"])
    with pytest.raises(ValueError, match="duplicate"):
        TextIds(["a", "a"])


def test_reader_with_sparse_ids_falls_back_to_the_token_path(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a bb a x\n", encoding="utf-8")
    sparse = {"a": 5, "bb": 9}
    got = [b.ids.tolist() for b in iter_id_batches(LineSentence(path), sparse)]
    assert got == [[5, 9, 5]]
