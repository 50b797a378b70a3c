/* ngrams: see ngrams.h for the rule and the contract. */
#include "ngrams.h"

#define FNV_OFFSET_BASIS 2166136261u
#define FNV_PRIME 16777619u

/* One FNV-1a step on a byte read as a signed char, as fastText does. */
static inline uint32_t fnv_step(uint32_t h, unsigned char byte)
{
    return (h ^ (uint32_t)(int32_t)(int8_t)byte) * FNV_PRIME;
}

uint32_t cw2v_fasttext_hash(const char *bytes, size_t len)
{
    uint32_t h = FNV_OFFSET_BASIS;
    for (size_t i = 0; i < len; i++)
        h = fnv_step(h, (unsigned char)bytes[i]);
    return h;
}

/* Byte k of the wrapped word "<" word ">" (0 <= k < len + 2), without
 * building it: the walk below never allocates. */
static inline unsigned char wrapped_byte(const char *word, size_t len, size_t k)
{
    if (k == 0)
        return '<';
    if (k == len + 1)
        return '>';
    return (unsigned char)word[k - 1];
}

static inline int is_continuation(unsigned char byte)
{
    return (byte & 0xC0) == 0x80;
}

/* The walk shared by both entry points: every n-gram by start character,
 * then by length, its hash grown one character at a time (FNV-1a is a left
 * fold, so the hash of a prefix extends to the hash of the longer n-gram).
 * Each n-gram found is stored at index count when count < cap. */
int64_t cw2v_ngrams(const char *word, size_t len, int min_n, int max_n,
                    uint32_t *hashes, int64_t *starts, int64_t *ends, size_t cap)
{
    const size_t total = len + 2;
    int64_t count = 0;
    if (max_n < 1 || max_n < min_n)
        return 0;
    for (size_t start = 0; start < total; start++) {
        if (is_continuation(wrapped_byte(word, len, start)))
            continue;
        uint32_t h = FNV_OFFSET_BASIS;
        size_t end = start;
        for (int n = 1; n <= max_n && end < total; n++) {
            /* Append one character: its lead byte and continuation bytes. */
            h = fnv_step(h, wrapped_byte(word, len, end++));
            while (end < total && is_continuation(wrapped_byte(word, len, end)))
                h = fnv_step(h, wrapped_byte(word, len, end++));
            if (n < min_n)
                continue;
            /* "<" alone and ">" alone are not n-grams. */
            if (n == 1 && (start == 0 || end == total))
                continue;
            if ((size_t)count < cap) {
                if (hashes)
                    hashes[count] = h;
                if (starts)
                    starts[count] = (int64_t)start;
                if (ends)
                    ends[count] = (int64_t)end;
            }
            count++;
        }
    }
    return count;
}

int64_t cw2v_ngram_rows(const char *word, size_t len, int min_n, int max_n,
                        uint32_t bucket, int32_t nwords, int32_t *rows, size_t cap)
{
    if (bucket == 0)
        return 0;
    /* The hashes go straight into rows (same width), then become rows. */
    int64_t count = cw2v_ngrams(word, len, min_n, max_n, (uint32_t *)rows, NULL, NULL, cap);
    size_t written = (size_t)count < cap ? (size_t)count : cap;
    for (size_t k = 0; k < written; k++)
        rows[k] = nwords + (int32_t)(((uint32_t *)rows)[k] % bucket);
    return count;
}
