/* phrasefile: see phrasefile.h for the rules. */
#include "phrasefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_ROOM 60           /* word2phrase's MAX_STRING */
#define WORD_KEEP (WORD_ROOM - 2)
#define PAIR_KEEP (WORD_ROOM - 1)
#define BUFFER ((size_t)1 << 20)

#define TOKEN_END 0
#define TOKEN_WORD 1
#define TOKEN_NEWLINE 2

typedef struct {
    FILE *file;
    unsigned char *buf;
    size_t len, pos;
    int newline_pending;       /* a '\n' that ended the last word, not yet returned */
} reader_t;

static int reader_open(reader_t *r, const char *path, int *sys_errno)
{
    memset(r, 0, sizeof *r);
    r->file = fopen(path, "rb");
    if (!r->file) {
        *sys_errno = errno;
        return CW2V_W2P_OPEN;
    }
    r->buf = malloc(BUFFER);
    if (!r->buf) {
        fclose(r->file);
        r->file = NULL;
        return CW2V_PC_NOMEM;
    }
    return CW2V_PC_OK;
}

static void reader_close(reader_t *r)
{
    if (r->file) fclose(r->file);
    free(r->buf);
    r->file = NULL;
    r->buf = NULL;
}

/* The next byte, -1 at the end of the file, -2 on a read error. */
static int next_byte(reader_t *r)
{
    if (r->pos == r->len) {
        r->len = fread(r->buf, 1, BUFFER, r->file);
        r->pos = 0;
        if (r->len == 0) return ferror(r->file) ? -2 : -1;
    }
    return r->buf[r->pos++];
}

/* The next token: a word in word[] (its length in *len), a newline, or the
 * end.  A word ended by the end of the file is dropped, as word2phrase's
 * callers drop it when ReadWord reports the end. */
static int next_token(reader_t *r, char *word, size_t *len, int *sys_errno)
{
    size_t n = 0;
    if (r->newline_pending) {
        r->newline_pending = 0;
        return TOKEN_NEWLINE;
    }
    for (;;) {
        int ch = next_byte(r);
        if (ch == -2) {
            *sys_errno = errno;
            return CW2V_W2P_IO;
        }
        if (ch == -1) return TOKEN_END;
        if (ch == '\r') continue;
        if (ch == ' ' || ch == '\t' || ch == '\n') {
            if (n > 0) {
                r->newline_pending = ch == '\n';
                break;
            }
            if (ch == '\n') return TOKEN_NEWLINE;
            continue;
        }
        /* Past WORD_KEEP bytes, each further byte overwrites the last kept
         * one, and the terminating NUL then overwrites that. */
        if (n < WORD_KEEP) word[n++] = (char)ch;
    }
    word[n] = 0;
    *len = strlen(word);  /* a NUL byte inside the word ends it */
    return TOKEN_WORD;
}

/* "a_b" cut to PAIR_KEEP bytes into pair[]; returns its length. */
static size_t make_pair(char *pair, const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t len = a_len + 1 + b_len;
    memcpy(pair, a, a_len);
    pair[a_len] = '_';
    memcpy(pair + a_len + 1, b, b_len);
    return len < PAIR_KEEP ? len : PAIR_KEEP;
}

static int add_key(cw2v_pc_table *counts, const char *key, size_t len)
{
    return cw2v_pc_add(counts, key, len, cw2v_pc_hash(key, len), 1);
}

int cw2v_w2p_learn(const char *path, cw2v_pc_table *counts, int64_t *words, int *sys_errno)
{
    reader_t r;
    char word[WORD_ROOM], last[WORD_ROOM], pair[2 * WORD_ROOM];
    size_t len, last_len = 0;
    int have_last = 0, token, status;
    *words = 0;
    status = reader_open(&r, path, sys_errno);
    if (status != CW2V_PC_OK) return status;
    while ((token = next_token(&r, word, &len, sys_errno)) > 0) {
        if (token == TOKEN_NEWLINE) continue;  /* pairs run across line ends */
        (*words)++;
        status = add_key(counts, word, len);
        if (status == CW2V_PC_OK && have_last)
            status = add_key(counts, pair, make_pair(pair, last, last_len, word, len));
        if (status != CW2V_PC_OK) break;
        memcpy(last, word, len);
        last_len = len;
        have_last = 1;
    }
    reader_close(&r);
    return token < 0 ? token : status;
}

/* A count as word2phrase sees it after dropping the rare entries: 0 if
 * absent or counted fewer than min_count times, else the count; *found
 * tells which. */
static int64_t lookup(const cw2v_pc_table *counts, const char *key, size_t len,
                      int64_t min_count, int *found)
{
    int64_t count = cw2v_pc_get(counts, key, len, cw2v_pc_hash(key, len));
    *found = count > 0 && count >= min_count;
    return count;
}

int cw2v_w2p_apply(const char *in_path, const char *out_path, const cw2v_pc_table *counts,
                   int64_t min_count, float threshold, int64_t words, int64_t *joined,
                   int *sys_errno)
{
    reader_t r;
    FILE *out;
    char word[WORD_ROOM], last[WORD_ROOM], pair[2 * WORD_ROOM];
    size_t len = 0, last_len;
    int64_t count_a = 0, count_b = 0, count_ab = 0, count;
    int previous_found = 0, token, status = CW2V_PC_OK;
    *joined = 0;
    status = reader_open(&r, in_path, sys_errno);
    if (status != CW2V_PC_OK) return status;
    out = fopen(out_path, "wb");
    if (!out) {
        *sys_errno = errno;
        reader_close(&r);
        return CW2V_W2P_OPEN;
    }
    word[0] = 0;
    for (;;) {
        int oov = 0, found;
        float score;
        memcpy(last, word, len + 1);
        last_len = len;
        token = next_token(&r, word, &len, sys_errno);
        if (token <= 0) break;
        if (token == TOKEN_NEWLINE) {
            /* The next word's pair is "\n_word", which is never counted. */
            putc('\n', out);
            word[0] = '\n';
            word[1] = 0;
            len = 1;
            continue;
        }
        /* word2phrase keeps the previous counts when a lookup fails; they are
         * then never used, since the failure also makes the pair oov. */
        count = lookup(counts, word, len, min_count, &found);
        if (found) count_b = count; else oov = 1;
        if (!previous_found) oov = 1;
        previous_found = found;
        count = lookup(counts, pair, make_pair(pair, last, last_len, word, len), min_count,
                       &found);
        if (found) count_ab = count; else oov = 1;
        if (count_a < min_count || count_b < min_count) oov = 1;
        score = oov ? 0.0f
            : (float)(count_ab - min_count) / (float)count_a / (float)count_b * (float)words;
        if (score > threshold) {
            putc('_', out);
            count_b = 0;  /* so the next word cannot join this one */
            (*joined)++;
        } else {
            putc(' ', out);
        }
        fwrite(word, 1, len, out);
        count_a = count_b;
    }
    reader_close(&r);
    if (token < 0) status = token;
    if (ferror(out) && status == CW2V_PC_OK) {
        *sys_errno = errno;
        status = CW2V_W2P_IO;
    }
    if (fclose(out) != 0 && status == CW2V_PC_OK) {
        *sys_errno = errno;
        status = CW2V_W2P_IO;
    }
    return status;
}
