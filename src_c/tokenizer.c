/* tokenizer: see tokenizer.h for the contract. */

/* 64-bit file offsets (fseeko/ftello with a 64-bit off_t) on 32-bit
 * systems too, and the POSIX declarations that -std=c99 hides. */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "tokenizer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#define cw2v_fseek(f, off) _fseeki64((f), (__int64)(off), SEEK_SET)
#define cw2v_fseek_end(f) _fseeki64((f), 0, SEEK_END)
#define cw2v_ftell(f) ((int64_t)_ftelli64(f))
#else
#include <sys/types.h>
#define cw2v_fseek(f, off) fseeko((f), (off_t)(off), SEEK_SET)
#define cw2v_fseek_end(f) fseeko((f), 0, SEEK_END)
#define cw2v_ftell(f) ((int64_t)ftello(f))
#endif

/* Byte classes: 0 = part of a word, 1 = whitespace, 2 = newline. */
#define SP 1
static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, SP, 2, SP, SP, SP, 0, 0, /* \t \n \v \f \r */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    SP, /* ' ' */
};
#undef SP

#define IS_WORD_BYTE(c) (byte_class[(unsigned char)(c)] == 0)

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
    r->has_pending = 0;
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
            const unsigned char cls = byte_class[(unsigned char)buf[pos]];
            if (cls == 0) break;
            pos++;
            if (cls == 2) {
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
    int64_t n = 0, raw = 0;
    const char *bytes;
    size_t len;
    if (raw_tokens_out) *raw_tokens_out = 0;
    if (max_len < 1) return CW2V_ERR_ARG;
    if (r->has_pending) {
        /* The word that did not fit in the previous chunk opens this one. */
        ids_out[n++] = r->pending_id;
        raw = 1;
        r->has_pending = 0;
    }
    for (;;) {
        const int tok = cw2v_reader_next_word(r, &bytes, &len);
        if (tok == CW2V_TOKEN_WORD) {
            const int32_t id = cw2v_wordhash_find(vocab, bytes, len);
            if (id >= 0) {
                if (n == max_len) {
                    /* Cut before this word, so a chunk never ends in an empty
                     * tail: the rest of the line comes with the next call. */
                    r->pending_id = id;
                    r->has_pending = 1;
                    break;
                }
                ids_out[n++] = id;
            }
            raw++;
        } else if (tok == CW2V_TOKEN_NEWLINE) {
            if (raw > 0) break;
        } else if (tok == CW2V_TOKEN_END) {
            if (raw == 0) return CW2V_END_OF_RANGE;
            break;
        } else {
            return tok;
        }
    }
    if (raw_tokens_out) *raw_tokens_out = raw;
    return n;
}

int cw2v_count_range(const char *path, int64_t start, int64_t end, cw2v_wordhash *counts,
                     int64_t *raw_tokens, int64_t *n_sentences, int *sys_errno)
{
    cw2v_reader r;
    const char *bytes;
    size_t len;
    int64_t raw = 0, lines = 0;
    int line_has_words = 0;
    int rc = cw2v_reader_open(&r, path, start, end);
    if (rc == CW2V_OK) {
        for (;;) {
            const int tok = cw2v_reader_next_word(&r, &bytes, &len);
            if (tok == CW2V_TOKEN_WORD) {
                rc = cw2v_wordhash_count(counts, bytes, len);
                if (rc != CW2V_OK) break;
                raw++;
                line_has_words = 1;
            } else if (tok == CW2V_TOKEN_NEWLINE) {
                lines += line_has_words;
                line_has_words = 0;
            } else {
                lines += line_has_words;
                rc = tok == CW2V_TOKEN_END ? CW2V_OK : tok;
                break;
            }
        }
    }
    if (sys_errno) *sys_errno = r.sys_errno;
    cw2v_reader_close(&r);
    *raw_tokens += raw;
    *n_sentences += lines;
    return rc;
}

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
