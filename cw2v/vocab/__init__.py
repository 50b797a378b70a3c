"""Words and what is built from their counts: the mergeable Counts, the
Vocabulary, the Huffman tree, subsampling thresholds and the noise
distribution."""
from cw2v.vocab.counts import Counts
from cw2v.vocab.vocabulary import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, SENTENCE_END, Vocabulary

__all__ = ["Counts", "Vocabulary", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "SENTENCE_END"]
