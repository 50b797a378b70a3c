"""GloVe's first pass: count a corpus's word pairs with the shared job runner.

The jobs are the runner's two kinds of corpus work: batches of id sentences
(iterable mode, cw2v.io.corpus.iter_id_batches) and byte ranges of a text
file (file mode, read in C by the shared tokenizer).  Each runner thread
counts into its own C counter (cw2v._kernels.cooccur.PairCounter), and the
counters are merged into one CSR matrix at the end.  With ``memory`` the
counters spill sorted runs to a private temporary directory and merge them;
the counts are the same either way (exact integer arithmetic).

Iterable mode sees sentences cut at ``max_sentence_length`` in-vocabulary
words (as every cw2v reader does): no window crosses such a cut.  File mode
follows each line whole, however long, across the byte ranges of the threads.

Words are what cw2v's shared tokenizer reads (src_c/tokenizer.h): maximal runs
of bytes other than ASCII whitespace.  Stanford's ``get_word`` differs on
rare input only: it splits on space, tab and newline alone (a vertical tab
or form feed stays inside a word), drops every carriage return even inside a
word, and cuts words at 999 bytes.  On text without those the vocabulary and
the counts are the same (tests/test_glove_stanford.py).
"""
from __future__ import annotations

import contextlib
import tempfile
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cw2v._kernels.cooccur import PairCounter
from cw2v._kernels.textfile import WordHash, split_ranges
from cw2v.io.corpus import DEFAULT_MAX_SENTENCE_LENGTH, iter_id_batches
from cw2v.train.runner import Tally, run_epoch

# Without a memory bound: each worker's dense block and table of rare pairs.
UNBOUNDED_DENSE_BYTES = 256 << 20
UNBOUNDED_TABLE_BYTES = 64 << 20
# With one: what the counters may take of it (the rest is the process itself:
# Python, the vocabulary, the merge's read buffers), and the dense block's part.
BOUNDED_SHARE = 0.7
DENSE_SHARE = 0.6
# Row chunks of the merge per worker: enough for the threads to even out.
MERGE_CHUNKS_PER_WORKER = 4


def counter_sizes(memory, workers, vocab_size, symmetric):
    """(dense entries, table slots) of each worker's counter for a memory bound in GB.

    The dense block never exceeds the whole matrix (its upper triangle when
    symmetric).  memory None: fixed sizes, and the table's runs stay in memory.
    """
    if memory is None:
        dense_bytes, table_bytes = UNBOUNDED_DENSE_BYTES, UNBOUNDED_TABLE_BYTES
    else:
        per_worker = memory * 2 ** 30 * BOUNDED_SHARE / workers
        dense_bytes, table_bytes = per_worker * DENSE_SHARE, per_worker * (1 - DENSE_SHARE)
    whole = vocab_size * (vocab_size + 1) // 2 if symmetric else vocab_size * vocab_size
    dense_entries = min(int(dense_bytes) // 8, whole)
    table_slots = 1 << max(int(table_bytes // 16).bit_length() - 1, 3)   # a power of two
    return dense_entries, table_slots


@dataclass
class PairBatchJob:
    """Sentences as word ids (one IdBatch), counted by one worker's counter."""
    ids: np.ndarray
    sentence_ends: np.ndarray
    raw_words: int
    sentences: int

    def run(self, counter, worker, seed) -> Tally:
        pairs = counter.count_batch(worker, self.ids, self.sentence_ends)
        return Tally(predictions=pairs, words_seen=len(self.ids), raw_words=self.raw_words,
                     sentences=self.sentences)

    def progress(self, worker):
        return None


@dataclass
class PairRangeJob:
    """The byte range [start, end) of a text file, read and counted in C."""
    vocab_hash: WordHash
    path: str
    start: int
    end: int

    def run(self, counter, worker, seed) -> Tally:
        words, lines = counter.count_range(worker, self.vocab_hash, self.path, self.start,
                                           self.end)
        return Tally(raw_words=words, sentences=lines)

    def progress(self, worker):
        return None


@dataclass
class MergeChunkJob:
    """One row chunk of the merged matrix (cw2v._kernels.cooccur.CsrPlan), written in C."""
    plan: object
    chunk: int

    def run(self, counter, worker, seed) -> Tally:
        counter.fill_chunk(self.plan, self.chunk)
        return Tally()

    def progress(self, worker):
        return None


def count_cooccurrence(corpus_iterable=None, corpus_file=None, *, index_to_key, max_word_count,
                       window=10, symmetric=True, distance_weighting=True, workers=1,
                       memory=None, temp_dir=None, batch_words=10000,
                       max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH):
    """Count a corpus into a V x V float64 CSR matrix in ``index_to_key``'s order.

    Exactly one of ``corpus_iterable`` (sentences of str tokens) and
    ``corpus_file`` (a plain-text path) is given.  ``max_word_count`` bounds
    how often one word occurs (the corpus's number of tokens will do).
    ``memory``: None, or a bound in GB on the counters (runs spill to files
    in ``temp_dir``, default the system's temporary folder).  Returns the
    matrix and a dict of statistics (pairs added, how many to the dense
    blocks, runs, words and lines read, seconds).
    """
    started = time.perf_counter()
    vocab_size = len(index_to_key)
    dense_entries, table_slots = counter_sizes(memory, workers, vocab_size, symmetric)
    with contextlib.ExitStack() as stack:
        spill_dir = None
        if memory is not None:
            spill_dir = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="cw2v-glove-pairs-", dir=temp_dir))
        counter = PairCounter(vocab_size, window, symmetric, distance_weighting, workers=workers,
                              dense_entries=dense_entries, table_slots=table_slots,
                              spill_dir=spill_dir, max_word_count=max_word_count)
        if corpus_file is not None:
            vocab_hash = WordHash(index_to_key)
            jobs = [PairRangeJob(vocab_hash, corpus_file, start, end)
                    for start, end in split_ranges(corpus_file, workers)]
        else:
            key_to_index = {word: i for i, word in enumerate(index_to_key)}
            jobs = (PairBatchJob(b.ids, b.sentence_ends, b.raw_words, b.n_sentences)
                    for b in iter_id_batches(corpus_iterable, key_to_index,
                                             batch_words=batch_words,
                                             max_sentence_length=max_sentence_length))
        result = run_epoch(counter, jobs, epoch=0, threads=workers, seed=0)
        # The merge, in row chunks of similar work, by the same threads.
        plan = counter.merge(MERGE_CHUNKS_PER_WORKER * workers if workers > 1 else 1)
        run_epoch(counter, [MergeChunkJob(plan, k) for k in range(plan.chunks)], epoch=0,
                  threads=workers, seed=0)
        indptr, indices, data, stats = counter.finish(plan)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(vocab_size, vocab_size), copy=False)
    matrix.has_sorted_indices = True
    stats.update(raw_words=result.tally.raw_words, sentences=result.tally.sentences,
                 nonzeros=matrix.nnz, seconds=time.perf_counter() - started,
                 memory=memory, workers=workers)
    return matrix, stats
