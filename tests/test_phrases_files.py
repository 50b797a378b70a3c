"""Phrases over cw2v's own readers, whose text is packed in C without Python sentences.

The C path must count exactly what iterating the reader gives: the same
words (ill-formed UTF-8 replaced, or an error with unicode_errors='strict'),
cut into the same sentences (lines, or max_sentence_length pieces of a long
line or of a Text8Corpus), so every comparison here is against Phrases over
``list(reader)`` (the Python path) and against gensim's Phrases over it.
"""
import random

import pytest

from cw2v import LineSentence, PathLineSentences, Phrases, Text8Corpus
from cw2v.io.corpus import CorpusDecodeError
from cw2v.models.phrases import ENGLISH_CONNECTOR_WORDS

gensim_phrases = pytest.importorskip("gensim.models.phrases")

PLANTED = [b"new york", b"san francisco", b"bank of america", b"caf\xc3\xa9 au lait",
           b"bad \xff\xfe byte", b"half \xe6\x97 char"]
FILLER = [b"w%d" % i for i in range(40)] + [b"of", b"the", b"a", b"in", b"\xe6\x97\xa5\xe6\x9c\xac",
                                             b"nbsp\xc2\xa0inside", b"\x1cseparated"]
SEPARATORS = [b" ", b" ", b" ", b"\t", b"  ", b"\r\n", b"\n", b"\n\n", b"\x0b", b"\x0c"]


def messy_text(seed=0, n_tokens=6000):
    """Text with planted phrases, ill-formed UTF-8, Unicode spaces inside words,
    CRLF and blank lines, and one line far longer than the sentence limit."""
    rng = random.Random(seed)
    pieces = []
    for i in range(n_tokens):
        roll = rng.random()
        pieces.append(rng.choice(PLANTED) if roll < 0.15 else rng.choice(FILLER))
        pieces.append(b" " if 2000 <= i < 4500 else rng.choice(SEPARATORS))  # a long line
    return b"".join(pieces)


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes(messy_text())
    return path


@pytest.fixture(params=[1, 3], ids=["1worker", "3workers"])
def small_batches(request, monkeypatch):
    """Tiny batches, so the walk hands batches over mid-block and mid-file."""
    monkeypatch.setattr(Phrases, "_batch_words", 53)
    return request.param


def assert_same_model(ours, reference):
    assert ours.vocab == reference.vocab
    assert ours.corpus_word_count == reference.corpus_word_count
    assert ours.export_phrases() == reference.export_phrases()


def readers(path, directory):
    return {
        "LineSentence": LineSentence(path, max_sentence_length=700),
        "LineSentence-limit": LineSentence(path, max_sentence_length=700, limit=40),
        "Text8Corpus": Text8Corpus(path, max_sentence_length=333),
        "Text8Corpus-limit": Text8Corpus(path, limit=2500),
        "PathLineSentences": PathLineSentences(directory, max_sentence_length=500),
    }


@pytest.mark.parametrize("reader", ["LineSentence", "LineSentence-limit", "Text8Corpus",
                                    "Text8Corpus-limit", "PathLineSentences"])
@pytest.mark.parametrize("settings", [
    dict(min_count=2, threshold=1.0),
    dict(min_count=1, threshold=0.2, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS),
], ids=["default", "npmi-connectors"])
def test_a_reader_packed_in_c_counts_what_iterating_it_gives(reader, settings, small_batches,
                                                             tmp_path, text_file, monkeypatch):
    directory = tmp_path / "shards"
    directory.mkdir()
    (directory / "a.txt").write_bytes(messy_text(seed=1, n_tokens=900))
    (directory / "b.txt").write_bytes(messy_text(seed=2, n_tokens=1300))
    corpus = readers(text_file, directory)[reader]
    sentences = list(corpus)
    reference = Phrases(sentences, workers=small_batches, **settings)
    theirs = gensim_phrases.Phrases(sentences, **settings)
    assert reference.vocab == theirs.vocab
    assert reference.export_phrases() == theirs.export_phrases()
    assert any("\ufffd" in key for key in reference.vocab), "ill-formed bytes were replaced"
    # The reader is walked in C: iterating it in Python would fail now.
    monkeypatch.setattr(type(corpus), "__iter__", lambda self: iter(["not", "a", "corpus"]))
    ours = Phrases(corpus, workers=small_batches, **settings)
    assert_same_model(ours, reference)
    assert ours.export_phrases(), "phrases are found"


def test_strict_decoding_names_the_byte_as_iterating_does(text_file):
    corpus = LineSentence(text_file, unicode_errors="strict")
    with pytest.raises(CorpusDecodeError) as iterating:
        list(corpus)
    with pytest.raises(CorpusDecodeError) as counting:
        Phrases(corpus, min_count=1)
    assert counting.value.offset == iterating.value.offset
    assert str(counting.value) == str(iterating.value)


def test_strict_decoding_of_valid_text_and_a_gzip_file(tmp_path):
    import gzip
    text = b"new york is big\nnew york city\r\n\nsan francisco new york\n" * 30
    (tmp_path / "plain.txt").write_bytes(text)
    with gzip.open(tmp_path / "packed.gz", "wb") as f:
        f.write(text)
    for name in ("plain.txt", "packed.gz"):
        corpus = LineSentence(tmp_path / name, unicode_errors="strict")
        assert_same_model(Phrases(corpus, min_count=1, threshold=0.5),
                          Phrases(list(corpus), min_count=1, threshold=0.5))


def test_other_error_handlers_and_subclasses_are_iterated(text_file):
    class Lowered(LineSentence):
        def __iter__(self):
            for sentence in super().__iter__():
                yield [word.lower() for word in sentence]

    for corpus in (LineSentence(text_file, unicode_errors="ignore"), Lowered(text_file)):
        sentences = list(corpus)
        assert_same_model(Phrases(corpus, min_count=2, threshold=1.0),
                          Phrases(sentences, min_count=2, threshold=1.0))
        assert Phrases(corpus, min_count=2).vocab == \
            gensim_phrases.Phrases(sentences, min_count=2).vocab


def test_add_vocab_from_a_file_after_sentences(text_file):
    sentences = [["new", "york", "and", "new", "york"]] * 5
    ours = Phrases(sentences, min_count=1, threshold=0.5)
    ours.add_vocab(LineSentence(text_file))
    theirs = gensim_phrases.Phrases(sentences, min_count=1, threshold=0.5)
    theirs.add_vocab(list(LineSentence(text_file)))
    assert ours.vocab == theirs.vocab
    assert ours.export_phrases() == theirs.export_phrases()


def test_an_empty_file_counts_nothing(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b" \n\r\n ")
    model = Phrases(LineSentence(tmp_path / "empty.txt"))
    assert model.vocab == {} and model.corpus_word_count == 0


@pytest.mark.parametrize("as_file", [False, True], ids=["iterable", "file"])
def test_a_key_of_16_mib_is_refused_by_both_paths(as_file, tmp_path):
    half = 1 << 23  # two such words make a phrase one byte over the bound
    sentence = ["ok", "a" * half, "b" * half]
    corpus = [sentence]
    if as_file:
        (tmp_path / "long.txt").write_text(" ".join(sentence) + "\n")
        corpus = LineSentence(tmp_path / "long.txt")
    with pytest.raises(ValueError, match="16 MiB"):
        Phrases(corpus, min_count=1)
    shorter = [["ok", "a" * (half - 2), "b" * half]]  # the phrase is one byte under it
    assert Phrases(shorter, min_count=1).vocab["a" * (half - 2) + "_" + "b" * half] == 1


def test_bounded_counting_prunes_a_file_as_its_sentences(text_file, small_batches):
    """Batches end at the same sentences on both paths, so pruning drops the same keys."""
    corpus = Text8Corpus(text_file, max_sentence_length=97)
    ours = Phrases(corpus, min_count=1, max_vocab_size=120, workers=small_batches)
    reference = Phrases(list(corpus), min_count=1, max_vocab_size=120, workers=small_batches)
    assert ours.min_reduce > 1, "the bound was reached"
    assert ours.min_reduce == reference.min_reduce
    assert_same_model(ours, reference)
