"""File mode: each worker thread trains on its own byte range of a text file.

The thread tokenises its range in C (src_c/tokenizer.c), looks words up in a
C hash table (src_c/wordhash.c) and passes each sentence to the same window
loop as in-memory batches (train.train_sentence), all without the GIL and
without touching a Python object during the epoch.
"""
from libc.stdlib cimport malloc, free
from libc.stdint cimport int32_t, int64_t, uint64_t

from cw2v._kernels.common cimport ThreadState
from cw2v._kernels.train cimport (
    Trainer, WorkerState, start_stream, sync_hot_rows, train_sentence,
)
from cw2v._kernels.textfile cimport (
    WordHash, cw2v_reader, cw2v_reader_open, cw2v_reader_next_sentence, cw2v_reader_close,
    status_error, CW2V_OK, CW2V_END_OF_RANGE, CW2V_DEFAULT_MAX_SENTENCE_LENGTH,
)

import os


def train_file_range(Trainer trainer not None, WorkerState worker not None,
                     WordHash vocab not None, path, int64_t start, int64_t end,
                     double alpha_begin, double alpha_end, int64_t expected_raw_words,
                     uint64_t seed, uint64_t stream,
                     int64_t max_sentence_length=CW2V_DEFAULT_MAX_SENTENCE_LENGTH):
    """Train one pass over the byte range [start, end) of a text file.

    A word belongs to the range that holds its first byte, so the ranges of a
    partition of the file train every word exactly once.  Lines are
    sentences; a line with more than max_sentence_length words is trained in
    pieces of that many words, out-of-vocabulary ones included (never
    dropped or truncated).

    The learning rate falls linearly from alpha_begin to alpha_end as the
    range's raw words are read, expected_raw_words being the range's share.

    Returns (loss, predictions, words_trained, words_seen, raw_words,
    sentences); while it runs, worker.raw_words_read shows its progress, and
    worker.request_stop() (from another thread) ends it after the current
    sentence.
    """
    if worker.trainer is not trainer:
        raise ValueError("this WorkerState belongs to another Trainer")
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    cdef bytes bpath = os.fsencode(path)
    cdef const char *cpath = bpath
    cdef cw2v_reader reader
    cdef ThreadState *s = worker.state
    cdef int32_t *ids = <int32_t *>malloc(max_sentence_length * sizeof(int32_t))
    cdef int64_t n = 0, raw = 0, words_seen = 0, sentences = 0
    cdef int rc, status = 0
    cdef double fraction, scale = 1.0 / expected_raw_words if expected_raw_words > 0 else 0.0
    cdef double alpha_span = alpha_end - alpha_begin
    if ids == NULL:
        raise MemoryError("cannot allocate the sentence buffer")
    rc = cw2v_reader_open(&reader, cpath, start, end)
    if rc != CW2V_OK:
        free(ids)
        raise status_error(rc, path, reader.sys_errno)
    start_stream(&trainer.params, s, seed, stream)
    s.loss, s.predictions, s.words_trained, s.raw_words_read = 0.0, 0, 0, 0
    s.stop_requested = 0
    try:
        with nogil:
            while not s.stop_requested:
                n = cw2v_reader_next_sentence(&reader, vocab.table, ids, max_sentence_length,
                                              &raw)
                if n == CW2V_END_OF_RANGE:
                    break
                if n < 0:
                    rc = <int>n
                    break
                fraction = s.raw_words_read * scale
                if fraction > 1.0:
                    fraction = 1.0
                s.raw_words_read += raw
                sentences += 1
                if n == 0:
                    continue
                words_seen += n
                status = train_sentence(&trainer.params, s, ids, n,
                                        alpha_begin + alpha_span * fraction,
                                        alpha_span * scale * raw / n)
                if status != 0:
                    break
            sync_hot_rows(&trainer.params, s)
        if n < 0 and n != CW2V_END_OF_RANGE:
            raise status_error(rc, path, reader.sys_errno)
        if status != 0:
            raise MemoryError("out of memory for a sentence buffer")
    finally:
        cw2v_reader_close(&reader)
        free(ids)
    return s.loss, s.predictions, s.words_trained, words_seen, s.raw_words_read, sentences
