/*
 * ngrams: fastText's character n-grams of a word and their hash rows.
 *
 * The rule is Facebook fastText's (src/dictionary.cc), so that rows match a
 * model trained there bit for bit:
 *   - the word is wrapped as "<" word ">";
 *   - an n-gram is n consecutive UTF-8 characters of the wrapped word, for
 *     min_n <= n <= max_n, listed by start character, then by length; a
 *     character is a byte that is not a continuation byte (10xxxxxx) plus
 *     the continuation bytes after it, so invalid UTF-8 is cut the same way
 *     fastText cuts it;
 *   - the 1-grams "<" and ">" are left out (they carry no information);
 *   - an n-gram's hash is 32-bit FNV-1a over its bytes, with each byte taken
 *     as a *signed* char and sign-extended (a byte >= 0x80 is xor-ed in as
 *     0xFFFFFFxx): the quirk every published fastText model was trained with;
 *   - its row in the input matrix is nwords + hash % bucket.
 * Repeated n-grams (and n-grams whose hashes collide) are kept, once per
 * occurrence, as fastText does.
 *
 * Ownership: callers own every buffer; nothing here allocates.
 * Threads: every function is pure (no global state), safe from any thread.
 */
#ifndef CW2V_NGRAMS_H
#define CW2V_NGRAMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fastText's hash of len bytes (see above). */
uint32_t cw2v_fasttext_hash(const char *bytes, size_t len);

/* The n-grams of "<" word ">" for lengths min_n..max_n (word: len bytes of
 * UTF-8, without the brackets).  Writes up to cap of them: the hash of each
 * to hashes[k], and its byte span in the *wrapped* word (byte 0 is "<",
 * byte len + 1 is ">") to starts[k] and ends[k] (end exclusive).  Any of the
 * three arrays may be NULL.  Returns the total number of n-grams, which may
 * exceed cap (call with cap 0 to size the buffers).  No n-gram when
 * max_n < 1 or max_n < min_n. */
int64_t cw2v_ngrams(const char *word, size_t len, int min_n, int max_n,
                    uint32_t *hashes, int64_t *starts, int64_t *ends, size_t cap);

/* The rows nwords + hash % bucket of the word's n-grams: the same walk as
 * cw2v_ngrams, written to rows (up to cap of them).  Returns the total
 * number.  bucket 0 means no n-gram rows (returns 0).  The caller ensures
 * nwords + bucket <= INT32_MAX + 1, so that every row fits an int32. */
int64_t cw2v_ngram_rows(const char *word, size_t len, int min_n, int max_n,
                        uint32_t bucket, int32_t nwords, int32_t *rows, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_NGRAMS_H */
