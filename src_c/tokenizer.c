/* tokenizer: see tokenizer.h for the contract. */

#include "cw2v_fileoffset.h" /* first: it sets the feature macros */

#include "tokenizer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rule ------------------------------------------------------------ */

#define SP CW2V_SPACE_BYTE
const unsigned char cw2v_byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, SP, CW2V_NEWLINE_BYTE, SP, SP, SP, 0, 0, /* \t \n \v \f \r */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    SP, /* ' '; every other byte is CW2V_WORD_BYTE (0) */
};
#undef SP

#define IS_WORD_BYTE(c) (cw2v_byte_class[(unsigned char)(c)] == CW2V_WORD_BYTE)

size_t cw2v_last_break(const char *buf, size_t n)
{
    while (n > 0 && IS_WORD_BYTE(buf[n - 1])) n--;
    return n;
}

/* ---- walking blocks ------------------------------------------------------ */

void cw2v_walk_init(cw2v_walk *w, int64_t max_len, int by_line, int64_t line_limit,
                    int64_t word_limit)
{
    memset(w, 0, sizeof *w);
    w->pieces.max_len = max_len;
    w->pieces.by_line = by_line;
    w->lines_left = line_limit;
    w->words_left = word_limit;
    w->stopped = line_limit == 0 || word_limit == 0;
}

void cw2v_walk_block(cw2v_walk *w, const char *buf, size_t len)
{
    w->buf = buf;
    w->len = len;
    w->pos = 0;
}

/* A word taken by the sink: the sentence it may end, and the word limit. */
static int took_word(cw2v_pieces *p, int64_t *words_left, int *stopped, const cw2v_sink *sink)
{
    int rc = CW2V_OK;
    if (cw2v_pieces_word(p) && sink->sentence_end) rc = sink->sentence_end(sink->ctx);
    if (*words_left > 0 && --*words_left == 0) *stopped = 1;
    return rc;
}

/* A newline or the end of the text: the sentence it may end. */
static int took_break(cw2v_pieces *p, int at_end, const cw2v_sink *sink)
{
    if (cw2v_pieces_break(p, at_end) && sink->sentence_end) return sink->sentence_end(sink->ctx);
    return CW2V_OK;
}

int cw2v_walk_next(cw2v_walk *w, const cw2v_sink *sink)
{
    /* The position lives in a local: stores through w could alias the
     * bytes of buf (char may alias anything) and slow every byte down. */
    const char *buf = w->buf;
    const size_t len = w->len;
    size_t pos = w->pos;
    int rc = CW2V_OK;
    while (!w->stopped && pos < len) {
        const unsigned char cls = cw2v_byte_class[(unsigned char)buf[pos]];
        if (cls == CW2V_WORD_BYTE) {
            const size_t first = pos;
            while (pos < len && IS_WORD_BYTE(buf[pos])) pos++;
            w->word_at = first;
            rc = sink->word(sink->ctx, buf + first, pos - first);
            if (rc == CW2V_SKIP) {
                rc = CW2V_OK;
                continue;
            }
            if (rc == CW2V_OK || rc == CW2V_PAUSE) {
                const int ended = took_word(&w->pieces, &w->words_left, &w->stopped, sink);
                if (ended != CW2V_OK) rc = ended;
            }
        } else {
            pos++;
            if (cls != CW2V_NEWLINE_BYTE) continue;
            rc = took_break(&w->pieces, 0, sink);
            if (w->lines_left > 0 && --w->lines_left == 0) w->stopped = 1;
        }
        if (rc != CW2V_OK) break;
    }
    w->pos = pos;
    if (rc != CW2V_OK) return rc;
    return w->stopped ? CW2V_LIMIT : CW2V_OK;
}

int cw2v_walk_end(cw2v_walk *w, const cw2v_sink *sink)
{
    return took_break(&w->pieces, 1, sink);
}

/* ---- words into ids and counts ------------------------------------------- */

/* The word bytes stand for, as a table keys it: the bytes themselves when
 * they are well-formed UTF-8, else their replacement, written to scratch.
 * Checked on every word: a table may hold a str token's lone surrogate
 * (ill-formed on purpose), which bytes from a text must never match.
 * CW2V_OK, CW2V_ERR_UTF8 (strict), CW2V_ERR_NOMEM. */
static int canonical(const char **bytes, size_t *len, int strict, cw2v_buffer *scratch)
{
    int rc;
    if (cw2v_utf8_valid(*bytes, *len)) return CW2V_OK;
    if (strict) return CW2V_ERR_UTF8;
    rc = cw2v_buffer_reserve(scratch, CW2V_UTF8_REPLACED_MAX(*len));
    if (rc != CW2V_OK) return rc;
    *len = cw2v_utf8_replace(*bytes, *len, scratch->data);
    *bytes = scratch->data;
    return CW2V_OK;
}

int32_t cw2v_find_word(const cw2v_wordhash *vocab, const char *bytes, size_t len, int strict,
                       cw2v_buffer *scratch)
{
    const int rc = canonical(&bytes, &len, strict, scratch);
    return rc == CW2V_OK ? cw2v_wordhash_find(vocab, bytes, len) : rc;
}

/* ---- counting ------------------------------------------------------------- */

int cw2v_counting_word(void *counting, const char *bytes, size_t len)
{
    cw2v_counting *c = (cw2v_counting *)counting;
    cw2v_tally *t = c->tally;
    int rc = canonical(&bytes, &len, c->strict, &t->scratch);
    if (rc != CW2V_OK) return rc;
    if (cw2v_wordhash_add_known(t->table, bytes, len, 1) < 0) {
        rc = cw2v_wordhash_add(t->table, bytes, len, 1);
        if (rc != CW2V_OK) return rc;
    }
    t->words++;
    return CW2V_OK;
}

int cw2v_counting_sentence_end(void *counting)
{
    cw2v_counting *c = (cw2v_counting *)counting;
    c->tally->sentences++;
    if (cw2v_tally_full(c->tally) || c->tally->sentences == c->report_at) return CW2V_PAUSE;
    return CW2V_OK;
}

int cw2v_tally_full(const cw2v_tally *t)
{
    return t->max_words > 0 && cw2v_wordhash_size(t->table) > t->max_words;
}

/* ---- byte ranges of a file ---------------------------------------------------- */

/* Moves the buffer window forward: buf_len = 0 means end of file. */
static int refill(cw2v_reader *r)
{
    r->buf_offset += (int64_t)r->buf_len;
    r->buf_pos = 0;
    r->buf_len = fread(r->buf, 1, r->buf_size, r->file);
    if (r->buf_len < r->buf_size && ferror(r->file)) {
        r->sys_errno = errno;
        r->buf_len = 0;
        r->finished = 1;
        return CW2V_ERR_IO;
    }
    return CW2V_OK;
}

/* Appends n bytes to the word buffer (which holds *wlen bytes). */
static int word_append(cw2v_reader *r, size_t *wlen, const char *bytes, size_t n)
{
    if (n > SIZE_MAX / 2 - *wlen) return CW2V_ERR_NOMEM;
    if (*wlen + n > r->word_cap) {
        size_t cap = r->word_cap ? 2 * r->word_cap : 256;
        char *word;
        while (cap < *wlen + n) cap *= 2;
        word = (char *)realloc(r->word, cap);
        if (!word) return CW2V_ERR_NOMEM;
        r->word = word;
        r->word_cap = cap;
    }
    memcpy(r->word + *wlen, bytes, n);
    *wlen += n;
    return CW2V_OK;
}

void cw2v_reader_close(cw2v_reader *r)
{
    if (r->file) fclose(r->file);
    free(r->buf);
    free(r->word);
    cw2v_buffer_free(&r->scratch);
    r->file = NULL;
    r->buf = NULL;
    r->word = NULL;
    r->buf_size = r->buf_len = r->buf_pos = r->word_cap = 0;
    r->finished = 1;
}

int cw2v_reader_open_buffered(cw2v_reader *r, const char *path, int64_t start,
                              int64_t end, size_t buffer_size)
{
    int rc;
    memset(r, 0, sizeof *r);
    r->finished = 1;
    if (start < 0 || (end >= 0 && end < start) || buffer_size == 0) return CW2V_ERR_ARG;
    r->start = start;
    r->end = end < 0 ? INT64_MAX : end;
    r->file = fopen(path, "rb");
    if (!r->file) {
        r->sys_errno = errno;
        return CW2V_ERR_OPEN;
    }
    /* Our own buffer is the only one: stdio would copy every byte twice. */
    setvbuf(r->file, NULL, _IONBF, 0);
    r->buf = (char *)malloc(buffer_size);
    if (!r->buf) {
        cw2v_reader_close(r);
        return CW2V_ERR_NOMEM;
    }
    r->buf_size = buffer_size;
    rc = cw2v_reader_rewind(r);
    if (rc != CW2V_OK) {
        int saved = r->sys_errno;
        cw2v_reader_close(r);
        r->sys_errno = saved;
    }
    return rc;
}

int cw2v_reader_open(cw2v_reader *r, const char *path, int64_t start, int64_t end)
{
    return cw2v_reader_open_buffered(r, path, start, end, CW2V_READER_BUFFER_SIZE);
}

int cw2v_reader_rewind(cw2v_reader *r)
{
    /* From start - 1: that byte tells whether start falls inside a word. */
    const int64_t from = r->start > 0 ? r->start - 1 : 0;
    int rc;
    if (!r->file) return CW2V_ERR_ARG;
    r->finished = 0;
    r->buf_len = r->buf_pos = 0;
    r->buf_offset = from;
    clearerr(r->file);
    if (cw2v_fseek(r->file, from) != 0) {
        r->sys_errno = errno;
        r->finished = 1;
        return CW2V_ERR_IO;
    }
    if (r->start == 0) return CW2V_OK;
    rc = refill(r);
    if (rc != CW2V_OK) return rc;
    if (r->buf_len == 0) return CW2V_OK; /* start is past the end of the file */
    /* The word that holds byte start - 1 belongs to the previous range. */
    for (;;) {
        while (r->buf_pos < r->buf_len && IS_WORD_BYTE(r->buf[r->buf_pos])) r->buf_pos++;
        if (r->buf_pos < r->buf_len) break;
        rc = refill(r);
        if (rc != CW2V_OK) return rc;
        if (r->buf_len == 0) break;
    }
    return CW2V_OK;
}

int64_t cw2v_reader_tell(const cw2v_reader *r)
{
    return r->buf_offset + (int64_t)r->buf_pos;
}

int cw2v_reader_next_word(cw2v_reader *r, const char **bytes, size_t *len)
{
    const char *buf = r->buf;
    size_t pos, first;
    size_t wlen = 0;
    int rc;

    if (r->finished) return CW2V_TOKEN_END;
    /* Skip whitespace up to the first byte of a word, reporting newlines;
     * no word may start at or after end. */
    for (;;) {
        int64_t left;
        size_t lim;
        if (r->buf_pos == r->buf_len) {
            rc = refill(r);
            if (rc != CW2V_OK) return rc;
            if (r->buf_len == 0) {
                r->finished = 1;
                return CW2V_TOKEN_END;
            }
        }
        left = r->end - (r->buf_offset + (int64_t)r->buf_pos);
        if (left <= 0) {
            r->finished = 1;
            return CW2V_TOKEN_END;
        }
        lim = r->buf_len;
        if (left < (int64_t)(lim - r->buf_pos)) lim = r->buf_pos + (size_t)left;
        pos = r->buf_pos;
        while (pos < lim) {
            const unsigned char cls = cw2v_byte_class[(unsigned char)buf[pos]];
            if (cls == CW2V_WORD_BYTE) break;
            pos++;
            if (cls == CW2V_NEWLINE_BYTE) {
                r->buf_pos = pos;
                return CW2V_TOKEN_NEWLINE;
            }
        }
        r->buf_pos = pos;
        if (pos < lim) break; /* a word starts here */
    }

    /* Fast path: the whole word is in the buffer. */
    first = pos;
    while (pos < r->buf_len && IS_WORD_BYTE(buf[pos])) pos++;
    if (pos < r->buf_len) {
        r->buf_pos = pos;
        *bytes = buf + first;
        *len = pos - first;
        return CW2V_TOKEN_WORD;
    }
    /* The word reaches the end of the buffer (it may run on past end, and
     * past any buffer size): gather its pieces in the word buffer. */
    for (;;) {
        rc = word_append(r, &wlen, buf + first, pos - first);
        if (rc != CW2V_OK) return rc;
        r->buf_pos = pos;
        rc = refill(r);
        if (rc != CW2V_OK) return rc;
        if (r->buf_len == 0) break;
        first = pos = 0;
        while (pos < r->buf_len && IS_WORD_BYTE(buf[pos])) pos++;
        if (pos < r->buf_len) {
            rc = word_append(r, &wlen, buf, pos);
            if (rc != CW2V_OK) return rc;
            r->buf_pos = pos;
            break;
        }
    }
    *bytes = r->word;
    *len = wlen;
    return CW2V_TOKEN_WORD;
}

int64_t cw2v_reader_next_sentence(cw2v_reader *r, const cw2v_wordhash *vocab,
                                  int32_t *ids_out, int64_t max_len,
                                  int64_t *raw_tokens_out)
{
    /* Each call reads one whole sentence, so none is open when it starts. */
    cw2v_pieces pieces;
    int64_t n = 0, raw = 0;
    const char *bytes;
    size_t len;
    if (raw_tokens_out) *raw_tokens_out = 0;
    if (max_len < 1) return CW2V_ERR_ARG;
    pieces.max_len = max_len;
    pieces.by_line = 1;
    pieces.words = 0;
    for (;;) {
        const int tok = cw2v_reader_next_word(r, &bytes, &len);
        if (tok == CW2V_TOKEN_WORD) {
            const int32_t id = cw2v_find_word(vocab, bytes, len, 0, &r->scratch);
            if (id < -1) return id;
            if (id >= 0) ids_out[n++] = id;
            raw++;
            if (cw2v_pieces_word(&pieces)) break;
        } else if (tok == CW2V_TOKEN_NEWLINE || tok == CW2V_TOKEN_END) {
            if (cw2v_pieces_break(&pieces, tok == CW2V_TOKEN_END)) break;
            if (tok == CW2V_TOKEN_END) return CW2V_END_OF_RANGE;
        } else {
            return tok;
        }
    }
    if (raw_tokens_out) *raw_tokens_out = raw;
    return n;
}

int cw2v_walk_range(cw2v_reader *r, cw2v_pieces *pieces, const cw2v_sink *sink)
{
    const char *bytes;
    size_t len;
    int64_t no_limit = -1;
    int never = 0;
    for (;;) {
        const int tok = cw2v_reader_next_word(r, &bytes, &len);
        int rc;
        if (tok == CW2V_TOKEN_WORD) {
            rc = sink->word(sink->ctx, bytes, len);
            if (rc == CW2V_SKIP) continue;
            if (rc == CW2V_OK || rc == CW2V_PAUSE) {
                const int ended = took_word(pieces, &no_limit, &never, sink);
                if (ended != CW2V_OK) return ended;
            }
        } else if (tok == CW2V_TOKEN_NEWLINE || tok == CW2V_TOKEN_END) {
            rc = took_break(pieces, tok == CW2V_TOKEN_END, sink);
            if (rc == CW2V_OK && tok == CW2V_TOKEN_END) return CW2V_OK;
        } else {
            return tok;
        }
        if (rc != CW2V_OK) return rc;
    }
}

/* ---- splitting a file into ranges -------------------------------------------- */

/* First position after a newline in buf[0..n), else after any whitespace,
 * else n + 1 (not found). */
static size_t cut_after(const char *buf, size_t n)
{
    size_t i;
    const char *nl = (const char *)memchr(buf, '\n', n);
    if (nl) return (size_t)(nl - buf) + 1;
    for (i = 0; i < n; i++)
        if (!IS_WORD_BYTE(buf[i])) return i + 1;
    return n + 1;
}

int cw2v_split_ranges(const char *path, int64_t n, int64_t *bounds_out, int *sys_errno)
{
    const size_t window = (size_t)1 << 20;
    FILE *f;
    char *buf = NULL;
    int64_t size, i;
    int rc = CW2V_OK;
    if (sys_errno) *sys_errno = 0;
    if (n < 1 || n > ((int64_t)1 << 30)) return CW2V_ERR_ARG;
    f = fopen(path, "rb");
    if (!f) {
        if (sys_errno) *sys_errno = errno;
        return CW2V_ERR_OPEN;
    }
    if (cw2v_fseek_end(f) != 0 || (size = cw2v_ftell(f)) < 0) {
        rc = CW2V_ERR_IO;
        goto done;
    }
    bounds_out[0] = 0;
    bounds_out[n] = size;
    if (n > 1) {
        buf = (char *)malloc(window);
        if (!buf) {
            rc = CW2V_ERR_NOMEM;
            goto done;
        }
    }
    for (i = 1; i < n; i++) {
        /* size * i / n without overflowing int64. */
        int64_t cut = size / n * i + (size % n) * i / n;
        size_t got, k;
        if (cut < bounds_out[i - 1]) cut = bounds_out[i - 1];
        if (cw2v_fseek(f, cut) != 0) {
            rc = CW2V_ERR_IO;
            goto done;
        }
        got = fread(buf, 1, window, f);
        if (got < window && ferror(f)) {
            rc = CW2V_ERR_IO;
            goto done;
        }
        k = cut_after(buf, got);
        if (k <= got) cut += (int64_t)k;
        bounds_out[i] = cut < size ? cut : size;
    }
done:
    if (rc == CW2V_ERR_IO && sys_errno) *sys_errno = errno;
    free(buf);
    fclose(f);
    return rc;
}
