/*
 * tokenizer: the words and sentences of one byte range of a plain-text file,
 * for cw2v's file mode (corpus_file=), where each worker thread reads its
 * own range without touching Python.
 *
 * Words are maximal runs of bytes other than ASCII whitespace (space, \t,
 * \n, \v, \f, \r).  UTF-8 continuation and lead bytes are never ASCII
 * whitespace, so a multi-byte character is never split, and invalid UTF-8
 * passes through as bytes.  Words of any length are returned whole.
 *
 * Ranges: a word belongs to the range [start, end) that holds its first
 * byte.  A reader whose start falls inside a word skips the rest of that
 * word; it reads every word whose first byte is before end, including a
 * last word that runs past end.  So reading the ranges of any partition of
 * the file [0, b1), [b1, b2), ..., [bk, size) yields every word of the file
 * exactly once, in order.
 *
 * Sentences: a newline ends a sentence, and so do the start and end of the
 * range (a line split between two ranges gives one sentence in each).  A
 * sentence with more than max_len in-vocabulary words is cut into chunks of
 * exactly max_len ids (the last one shorter): nothing is dropped.
 *
 * Ownership: the caller allocates the cw2v_reader struct (stack or heap);
 * cw2v_reader_open fills it and it then owns a FILE*, a read buffer and a
 * word buffer until cw2v_reader_close.  Words returned by next_word point
 * into those buffers and stay valid only until the next call on the reader.
 *
 * Threads: a reader is used by one thread at a time; different readers,
 * even over the same file, are independent.  The vocabulary passed to
 * next_sentence is only read, so many readers may share one.
 *
 * Errors are negative CW2V_ERR_* codes (wordhash.h); when one comes from
 * the system, sys_errno holds the errno value.  Nothing exits or aborts.
 */
#ifndef CW2V_TOKENIZER_H
#define CW2V_TOKENIZER_H

#include <stdint.h>
#include <stdio.h>

#include "wordhash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CW2V_READER_BUFFER_SIZE ((size_t)1 << 20)
#define CW2V_DEFAULT_MAX_SENTENCE_LENGTH 10000

/* What cw2v_reader_next_word found. */
#define CW2V_TOKEN_END 0      /* no more words in the range */
#define CW2V_TOKEN_WORD 1     /* a word: *bytes, *len are set */
#define CW2V_TOKEN_NEWLINE 2  /* a '\n' before end (every one is reported) */

/* Returned by cw2v_reader_next_sentence when the range is exhausted. */
#define CW2V_END_OF_RANGE (-1)

typedef struct cw2v_reader {
    /* All fields are private except sys_errno. */
    FILE *file;
    char *buf;          /* read buffer, buf_size bytes */
    size_t buf_size, buf_len, buf_pos;
    int64_t buf_offset; /* file offset of buf[0] */
    int64_t start, end; /* the range; end is INT64_MAX for "to end of file" */
    char *word;         /* holds a word that crosses a buffer refill */
    size_t word_cap;
    int finished;       /* no word of the range is left */
    int has_pending;    /* next_sentence cut a chunk before pending_id */
    int32_t pending_id;
    int sys_errno;      /* errno of the last failed system call, else 0 */
} cw2v_reader;

/* Opens path for reading the range [start, end); end < 0 means to the end
 * of the file.  A range past the end of the file is empty.  CW2V_OK,
 * CW2V_ERR_OPEN (sys_errno set), CW2V_ERR_IO, CW2V_ERR_NOMEM, or
 * CW2V_ERR_ARG if start < 0 or 0 <= end < start.  On failure nothing stays
 * open, and cw2v_reader_close is still safe to call. */
int cw2v_reader_open(cw2v_reader *r, const char *path, int64_t start, int64_t end);

/* The same with a chosen read-buffer size (>= 1 byte); tiny buffers are
 * for tests of words that cross refills. */
int cw2v_reader_open_buffered(cw2v_reader *r, const char *path, int64_t start,
                              int64_t end, size_t buffer_size);

/* The next token of the range: CW2V_TOKEN_WORD (with *bytes and *len set),
 * CW2V_TOKEN_NEWLINE, CW2V_TOKEN_END (then forever, until a rewind), or a
 * negative error code. */
int cw2v_reader_next_word(cw2v_reader *r, const char **bytes, size_t *len);

/* Reads the next sentence, writing the ids of its in-vocabulary words
 * (vocab lookups, in order) to ids_out, which has room for max_len >= 1
 * ids.  Words absent from vocab are skipped but counted.  Returns the
 * number of ids written (0 for a sentence whose words are all absent:
 * empty lines are skipped, not returned), CW2V_END_OF_RANGE when no word
 * is left, or an error code < -1.  *raw_tokens_out (may be NULL) gets the
 * number of words read for this sentence, in vocabulary or not; over a
 * whole range they add up to the number of words in it. */
int64_t cw2v_reader_next_sentence(cw2v_reader *r, const cw2v_wordhash *vocab,
                                  int32_t *ids_out, int64_t max_len,
                                  int64_t *raw_tokens_out);

/* Goes back to the start of the range for another epoch (clears the end of
 * range state).  CW2V_OK or CW2V_ERR_IO. */
int cw2v_reader_rewind(cw2v_reader *r);

/* File offset of the next byte the reader will look at (for progress). */
int64_t cw2v_reader_tell(const cw2v_reader *r);

/* Closes the file and frees the buffers; the struct can be opened again.
 * Safe on a reader whose open failed, and when called twice. */
void cw2v_reader_close(cw2v_reader *r);

/* Splits the file into n >= 1 contiguous ranges of about equal size:
 * bounds_out (room for n + 1 values) gets 0 = b0 <= b1 <= ... <= bn = file
 * size, range i being [b_i, b_{i+1}).  Each inner cut is moved forward to
 * just after the next newline (or, in a file of very long lines, the next
 * whitespace) within 1 MiB, so ranges tend to start at a line or word; the
 * reader is correct for any cut.  CW2V_OK, CW2V_ERR_ARG, CW2V_ERR_OPEN,
 * CW2V_ERR_IO, CW2V_ERR_NOMEM; *sys_errno (may be NULL) gets errno. */
int cw2v_split_ranges(const char *path, int64_t n, int64_t *bounds_out, int *sys_errno);

/* Counts the words of the range [start, end) into counts (counting mode of
 * wordhash, so its pruning applies), adding to *raw_tokens the number of
 * words and to *n_sentences the number of lines of the range that hold at
 * least one word.  Same codes as cw2v_reader_open, plus CW2V_ERR_IO,
 * CW2V_ERR_NOMEM, CW2V_ERR_FULL from reading and counting. */
int cw2v_count_range(const char *path, int64_t start, int64_t end, cw2v_wordhash *counts,
                     int64_t *raw_tokens, int64_t *n_sentences, int *sys_errno);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_TOKENIZER_H */
