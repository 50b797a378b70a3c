/*
 * utf8: the word a run of bytes stands for.
 *
 * cw2v's words are str.  A word read from text is the UTF-8 decoding of its
 * bytes, each ill-formed subsequence replaced by U+FFFD exactly as Python's
 * bytes.decode("utf-8", "replace") replaces it (one U+FFFD per "maximal
 * subpart", the Unicode Standard's recommended practice, chapter 3.9).
 * Tables key a word by its UTF-8 form, lone surrogates (which only a str
 * token can hold) written as their three bytes as Python's "surrogatepass"
 * writes them; so the bytes of a file and the same str token meet in one
 * entry, and a key decodes back to its word with "surrogatepass".
 *
 * Plain functions on caller memory; no state, safe from any thread.
 */
#ifndef CW2V_UTF8_H
#define CW2V_UTF8_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether bytes[from..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
int cw2v_utf8_valid_from(const char *bytes, size_t len, size_t from);

/* Whether bytes[0..len) is well-formed UTF-8.  Inline for the common
 * case, a short ASCII word, which needs no call. */
static inline int cw2v_utf8_valid(const char *bytes, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if ((unsigned char)bytes[i] >= 0x80) return cw2v_utf8_valid_from(bytes, len, i);
    return 1;
}

/* Writes to out, which has room for CW2V_UTF8_REPLACED_MAX(len) bytes, the
 * UTF-8 of bytes.decode("utf-8", "replace"); returns its length. */
size_t cw2v_utf8_replace(const char *bytes, size_t len, char *out);

#define CW2V_UTF8_REPLACED_MAX(len) (3 * (len))

/* A growable byte buffer: data is NULL until the first reserve. */
typedef struct cw2v_buffer {
    char *data;
    size_t cap;
} cw2v_buffer;

/* Makes room for n bytes: CW2V_OK or CW2V_ERR_NOMEM (wordhash.h). */
int cw2v_buffer_reserve(cw2v_buffer *b, size_t n);

/* Frees the memory; the buffer can be used again. */
void cw2v_buffer_free(cw2v_buffer *b);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_UTF8_H */
