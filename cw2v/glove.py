"""GloVe in one place: the model, Stanford's file formats and count-based vectors.

    from cw2v.glove import GloVe, read_cooccurrence, read_vocab
    vocab = read_vocab("vocab.txt")                       # Stanford's vocab_count output
    counts = read_cooccurrence("cooccurrence.bin", len(vocab))
    model = GloVe.from_cooccurrence(counts, vocab.index_to_key, vocab.counts)

The definitions live in cw2v.models.glove, cw2v.io.stanford and
cw2v.vectors.countbased; this module only gathers them.
"""
from cw2v.io.stanford import (read_cooccurrence, read_parameters, read_vocab,
                              write_cooccurrence, write_vocab)
from cw2v.models.glove import GloVe
from cw2v.models.glove_counting import count_cooccurrence
from cw2v.vectors.countbased import most_similar_rows, ppmi, svd_vectors

__all__ = ["GloVe", "count_cooccurrence", "read_cooccurrence", "write_cooccurrence",
           "read_vocab", "write_vocab", "read_parameters", "ppmi", "svd_vectors",
           "most_similar_rows"]
