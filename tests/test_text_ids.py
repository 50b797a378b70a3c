"""The str-free text -> ids path (IdWalk) gives exactly the batches of the token-list path."""
import pytest
from hypothesis import given, settings, strategies as st

from cw2v._kernels.textfile import WordHash
from cw2v._kernels.tokens import IdWalk
from cw2v.io.corpus import CorpusDecodeError, LineSentence, PathLineSentences, Text8Corpus, iter_id_batches

WORDS = ["a", "bb", "é", "日本", "ünï", "the", "x", "a\u00a0bb", "\ufffd"]
KEY_TO_INDEX = {w: i for i, w in enumerate(WORDS)}
# Known words, unknown ones, invalid UTF-8, and whitespace of both kinds:
# ASCII whitespace separates, Unicode spaces join.
PIECES = st.sampled_from(WORDS + ["zz", "日", "Q", "\udcff"])
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", "\r\n", "\x0b", "\u2003", "\u00a0", "\x1c"])


def batches(corpus):
    return [(b.ids.tolist(), b.sentence_ends.tolist(), b.raw_words, b.n_sentences)
            for b in iter_id_batches(corpus, KEY_TO_INDEX, batch_words=7, max_sentence_length=5)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(PIECES, SPACES), max_size=80))
def test_fast_path_equals_token_path(tmp_path_factory, parts):
    text = "".join(w + s for w, s in parts)
    path = tmp_path_factory.mktemp("c") / "corpus.txt"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))  # "\udcff": the invalid byte 0xff
    for reader in (LineSentence(path, max_sentence_length=5),
                   Text8Corpus(path, max_sentence_length=5),
                   PathLineSentences(path, max_sentence_length=5),
                   LineSentence(path, max_sentence_length=5, limit=3),
                   Text8Corpus(path, max_sentence_length=5, limit=11)):
        assert batches(reader) == batches(list(reader)), type(reader).__name__


def test_id_walk_looks_up_the_rules_words():
    walk = IdWalk(WordHash(WORDS), 3, True, -1, -1, False)
    text = "a bb\u2003日本\tzz é\n\nünï日本 x\x1cthe a\u00a0bb caf\udce9 ".encode("utf-8", "surrogateescape")
    got = walk.feed(text) + walk.end()
    want = [[KEY_TO_INDEX.get(w.decode("utf-8", "replace"), -1) for w in line.split()]
            for line in text.split(b"\n") if line.split()]
    assert [s.tolist() for s in got] == [line[i:i + 3] for line in want for i in range(0, len(line), 3)]
    assert got[0].tolist() == [0, -1, -1]            # "bb\u2003日本" is one unknown word


def test_id_walk_carries_a_sentence_across_blocks_and_stops_at_limits():
    walk = IdWalk(WordHash(WORDS), 10, True, 2, -1, False)
    assert walk.feed(b"a bb ") == []
    assert [s.tolist() for s in walk.feed(b"x\nthe\nbb a\n")] == [[0, 1, 6], [5]]
    assert walk.stopped and walk.end() == []
    walk = IdWalk(WordHash(WORDS), 2, False, -1, 3, False)
    assert [s.tolist() for s in walk.feed(b"a\nbb x the\n") + walk.end()] == [[0, 1], [6]]


def test_strict_fast_path_names_the_offset(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a bb\nx caf\xe9 the\n")
    with pytest.raises(CorpusDecodeError) as info:
        list(iter_id_batches(LineSentence(path, unicode_errors="strict"), KEY_TO_INDEX))
    assert info.value.offset == 10


def test_reader_with_sparse_ids_falls_back_to_the_token_path(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a bb a x\n", encoding="utf-8")
    sparse = {"a": 5, "bb": 9}
    got = [b.ids.tolist() for b in iter_id_batches(LineSentence(path), sparse)]
    assert got == [[5, 9, 5]]
