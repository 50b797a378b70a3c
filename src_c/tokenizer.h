/*
 * tokenizer: what the words and sentences of a text are, for every reader
 * of cw2v (LineSentence, Text8Corpus, PathLineSentences, corpus_file= and
 * the command line all split text here).
 *
 * Words: maximal runs of bytes other than ASCII whitespace: space, \t, \n,
 * \v, \f, \r (C's isspace() and Python's bytes.split()).  Every other byte
 * belongs to a word: the bytes of Unicode spaces (U+00A0 is C2 A0, U+3000
 * is E3 80 80) and the separators 0x1C-0x1F that Python's str.split() would
 * also cut at.  UTF-8 continuation and lead bytes are never whitespace, so
 * a multi-byte character is never split.  The word a run stands for is its
 * UTF-8 decoding with ill-formed bytes replaced (utf8.h).
 *
 * Sentences: a newline ends a line.  A line's words are cut into pieces of
 * max_len words, the last one shorter (a line of n words gives
 * ceil(n / max_len) sentences); a line without words gives none.  Readers
 * that ignore lines (Text8Corpus) cut the whole text the same way.  Out-of-
 * vocabulary words count: where a sentence is cut never depends on the
 * vocabulary, so a scan counts the very sentences training will see.
 *
 * Text comes in two shapes: blocks in memory (the Python readers, which may
 * decompress) walked with cw2v_walk_*, and byte ranges of a file (file mode)
 * read with cw2v_reader_*.  Both feed the same sinks.
 *
 * Ownership: the caller allocates the structs (stack or heap); a reader owns
 * a FILE*, a read buffer and a word buffer from cw2v_reader_open to
 * cw2v_reader_close.  Words handed to a sink or returned by next_word point
 * into the walked text and stay valid only until the next call.
 *
 * Threads: a walk or reader is used by one thread at a time; different
 * ones, even over the same file, are independent.  A vocabulary passed to
 * a lookup is only read, so many readers may share one.
 *
 * Errors are negative CW2V_ERR_* codes (wordhash.h); when one comes from
 * the system, a reader's sys_errno holds the errno value.  Nothing exits.
 */
#ifndef CW2V_TOKENIZER_H
#define CW2V_TOKENIZER_H

#include <stdint.h>
#include <stdio.h>

#include "utf8.h"
#include "wordhash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CW2V_READER_BUFFER_SIZE ((size_t)1 << 20)
/* The default max_len of a sentence, for every reader and mode. */
#define CW2V_DEFAULT_MAX_SENTENCE_LENGTH 10000

/* ---- the rule ------------------------------------------------------------ */

#define CW2V_WORD_BYTE 0
#define CW2V_SPACE_BYTE 1
#define CW2V_NEWLINE_BYTE 2
/* The class of every byte value: the rule above, as data. */
extern const unsigned char cw2v_byte_class[256];

/* Index just past the last whitespace byte of buf[0..n), 0 if it has none:
 * a text cut there splits no word.  Searches each byte once. */
size_t cw2v_last_break(const char *buf, size_t n);

/* ---- sentences: the one chunking rule --------------------------------------- */

typedef struct cw2v_pieces {
    int64_t max_len;  /* words per sentence at most, >= 1 */
    int by_line;      /* a newline ends a sentence (else it is a space) */
    int64_t words;    /* words of the open sentence */
} cw2v_pieces;

/* After a word: 1 if it completes a sentence (it is the max_len-th). */
static inline int cw2v_pieces_word(cw2v_pieces *p)
{
    if (++p->words < p->max_len) return 0;
    p->words = 0;
    return 1;
}

/* At a newline (at_end = 0) or the end of the text (at_end = 1): 1 if it
 * ends a sentence, which then has words. */
static inline int cw2v_pieces_break(cw2v_pieces *p, int at_end)
{
    if (p->words == 0 || !(at_end || p->by_line)) return 0;
    p->words = 0;
    return 1;
}

/* ---- sinks: what a walk does with the words ------------------------------- */

/* word() takes each word and returns CW2V_OK, CW2V_SKIP (the word stands for
 * nothing, e.g. a decoding error handler dropped every byte of it: it is not
 * counted as a word), CW2V_PAUSE (taken; the walk returns CW2V_PAUSE and
 * goes on when called again) or an error < -1 (the walk stops, returns it).
 * sentence_end() (may be NULL) follows the last word of each sentence and
 * returns CW2V_OK, CW2V_PAUSE or an error. */
#define CW2V_SKIP 1
#define CW2V_PAUSE 2
#define CW2V_LIMIT 3  /* a walk reached its line or word limit */

typedef struct cw2v_sink {
    int (*word)(void *ctx, const char *bytes, size_t len);
    int (*sentence_end)(void *ctx);
    void *ctx;
} cw2v_sink;

/* ---- walking text given in blocks ------------------------------------------ */

typedef struct cw2v_walk {
    cw2v_pieces pieces;
    int64_t lines_left;  /* stop after this many more lines; < 0: no limit */
    int64_t words_left;  /* stop after this many more words; < 0: no limit */
    int stopped;         /* a limit was reached: nothing more is walked */
    const char *buf;     /* the block being walked */
    size_t len, pos;
    size_t word_at;      /* where the last word given to the sink starts */
} cw2v_walk;

/* A walk with sentences of at most max_len >= 1 words, by line or not,
 * stopping after line_limit lines (counting empty ones) or word_limit words
 * when those are >= 0. */
void cw2v_walk_init(cw2v_walk *w, int64_t max_len, int by_line, int64_t line_limit,
                    int64_t word_limit);

/* Starts on the next block of the text.  No word may run from one block
 * into the next: cut the text at cw2v_last_break. */
void cw2v_walk_block(cw2v_walk *w, const char *buf, size_t len);

/* Feeds the block's words to sink, from where the last call stopped:
 * CW2V_OK when the block is done, CW2V_PAUSE, CW2V_LIMIT (then forever) or
 * an error from the sink (the word it failed on is buf[word_at..pos)). */
int cw2v_walk_next(cw2v_walk *w, const cw2v_sink *sink);

/* The end of the text: ends the open sentence.  CW2V_OK, CW2V_PAUSE or an
 * error from the sink. */
int cw2v_walk_end(cw2v_walk *w, const cw2v_sink *sink);

/* ---- words into ids and counts ---------------------------------------------- */

/* The id in vocab of the word bytes stand for (their UTF-8 decoding with
 * ill-formed bytes replaced, as utf8.h says; scratch holds a replacement),
 * or -1 if vocab lacks it.  With strict, ill-formed bytes give
 * CW2V_ERR_UTF8 instead; also CW2V_ERR_NOMEM. */
int32_t cw2v_find_word(const cw2v_wordhash *vocab, const char *bytes, size_t len, int strict,
                       cw2v_buffer *scratch);

/* ---- counting: a sink that adds words to a table --------------------------- */

typedef struct cw2v_tally {
    cw2v_wordhash *table;  /* counting mode; the tally does not own it */
    cw2v_buffer scratch;   /* the replacement of an ill-formed word */
    int64_t words;         /* words counted */
    int64_t sentences;     /* sentences ended */
    size_t max_words;      /* > 0: pause after a sentence that leaves more words */
} cw2v_tally;

/* One walk's way of counting into a tally: the ctx of a counting sink. */
typedef struct cw2v_counting {
    cw2v_tally *tally;
    int strict;            /* ill-formed UTF-8 is CW2V_ERR_UTF8, not replaced */
    int64_t report_at;     /* also pause when this many sentences are counted; < 0: never */
} cw2v_counting;

/* The sink functions (ctx: a cw2v_counting).  word adds one to the count of
 * the word bytes stand for (the word cw2v_find_word finds), adding it if
 * new: CW2V_OK, CW2V_ERR_UTF8, CW2V_ERR_NOMEM, CW2V_ERR_FULL.
 * sentence_end returns CW2V_PAUSE when the table holds more than max_words
 * words or report_at sentences are counted, else CW2V_OK. */
int cw2v_counting_word(void *counting, const char *bytes, size_t len);
int cw2v_counting_sentence_end(void *counting);

/* Whether the table holds more words than max_words (> 0). */
int cw2v_tally_full(const cw2v_tally *t);

/* ---- byte ranges of a file ---------------------------------------------------- */

/* Ranges: a word belongs to the range [start, end) that holds its first
 * byte.  A reader whose start falls inside a word skips the rest of that
 * word; it reads every word whose first byte is before end, including a
 * last word that runs past end.  So the ranges of any partition of the file
 * [0, b1), [b1, b2), ..., [bk, size) read every word exactly once, in order.
 * The start and end of a range end a line (a line split between two ranges
 * gives sentences in each). */

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
    cw2v_buffer scratch; /* the replacement of an ill-formed word */
    int finished;       /* no word of the range is left */
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

/* Reads the next sentence (of at most max_len >= 1 words, cut by the rule
 * above), writing the ids of its in-vocabulary words (cw2v_find_word) to
 * ids_out, which has room for max_len ids.  Returns the number of ids
 * written (0 for a sentence whose words are all absent), CW2V_END_OF_RANGE
 * when no word is left, or an error code < -1.  *raw_tokens_out (may be
 * NULL) gets the number of words of the sentence, in vocabulary or not;
 * over a whole range they add up to the number of words in it. */
int64_t cw2v_reader_next_sentence(cw2v_reader *r, const cw2v_wordhash *vocab,
                                  int32_t *ids_out, int64_t max_len,
                                  int64_t *raw_tokens_out);

/* Feeds the range's words, cut into sentences by pieces (by line), to sink,
 * from where the last call stopped: CW2V_OK at the end of the range (the
 * open sentence ended), CW2V_PAUSE, or an error. */
int cw2v_walk_range(cw2v_reader *r, cw2v_pieces *pieces, const cw2v_sink *sink);

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

#ifdef __cplusplus
}
#endif

#endif /* CW2V_TOKENIZER_H */
