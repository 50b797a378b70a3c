/*
 * wordhash: a table from the UTF-8 bytes of a word to an int32 id and an
 * int64 count, for the file-mode reader of cw2v.
 *
 * Two uses, one structure:
 *   - lookup: build once from the vocabulary with cw2v_wordhash_insert(word,
 *     id), then map words to ids with cw2v_wordhash_find();
 *   - counting: cw2v_wordhash_add(word, n) adds n to the word's count,
 *     adding unseen words with id = their position in first-seen order, and
 *     cw2v_wordhash_keep() drops words (the caller decides which: pruning
 *     rules live with the counts, not here).
 *   A table takes the mode of its first insert or add; calling the other
 *   one on it afterwards returns CW2V_ERR_ARG.
 *
 * Keys are bytes; cw2v keys a word by its UTF-8 form (see utf8.h).
 *
 * Layout: open addressing with linear probing over a power-of-two array of
 * 16-byte slots (load factor <= 0.5).  A slot holds 24 bits of the hash,
 * the length, the id, and either the word itself (up to 8 bytes: most
 * tokens, found by touching one cache line) or the offset of its copy in
 * one byte arena.  Entries (for counting and iteration) are dense, in
 * insertion order.
 *
 * Ownership: the table owns its slots, entries and arena; it copies the
 * bytes passed to insert/add.  Pointers returned by cw2v_wordhash_get()
 * point into the arena and stay valid until the next insert, add, keep
 * or free of the table.
 *
 * Threads: after the table is built, any number of threads may call the
 * const functions (find, size, get) at the same time.  Functions taking a
 * non-const table need exclusive access.
 *
 * Errors are returned as negative codes (CW2V_ERR_*), shared with the
 * tokenizer; nothing here prints, exits or aborts.  No global mutable state.
 */
#ifndef CW2V_WORDHASH_H
#define CW2V_WORDHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of the C helpers.  -1 is kept free for "end of range" in the
 * tokenizer, so every error is < -1. */
#define CW2V_OK 0
#define CW2V_ERR_NOMEM (-2)     /* an allocation failed */
#define CW2V_ERR_IO (-3)        /* read or seek failed; see reader's sys_errno */
#define CW2V_ERR_OPEN (-4)      /* the file could not be opened; see sys_errno */
#define CW2V_ERR_DUPLICATE (-5) /* insert of a word already in the table */
#define CW2V_ERR_ARG (-6)       /* an argument is out of its documented range */
#define CW2V_ERR_FULL (-7)      /* more than INT32_MAX words */
#define CW2V_ERR_UTF8 (-8)      /* ill-formed UTF-8 where it is not allowed */
#define CW2V_ERR_CALLBACK (-9)  /* a caller's callback failed (it knows why) */

/* A short, static English description of a status code. */
const char *cw2v_strerror(int code);

typedef struct cw2v_wordhash cw2v_wordhash;

/* A new empty table sized for about expected_words words (it grows as
 * needed).  NULL when out of memory. */
cw2v_wordhash *cw2v_wordhash_new(size_t expected_words);

/* Frees the table and everything it owns.  NULL is accepted. */
void cw2v_wordhash_free(cw2v_wordhash *h);

/* Lookup mode: adds the word of len bytes with the given id (any int32
 * >= 0; ids need not be distinct or dense).  CW2V_OK, CW2V_ERR_DUPLICATE
 * if the word is present (table unchanged), CW2V_ERR_ARG for a negative id
 * or a counting-mode table, CW2V_ERR_NOMEM, CW2V_ERR_FULL. */
int cw2v_wordhash_insert(cw2v_wordhash *h, const char *bytes, size_t len, int32_t id);

/* The id of the word, or -1 if absent.  Thread-safe on a built table. */
int32_t cw2v_wordhash_find(const cw2v_wordhash *h, const char *bytes, size_t len);

/* Counting mode: adds n >= 0 to the count of the word if it is in the
 * table and returns its id; -1 (and no change) if it is absent. */
int32_t cw2v_wordhash_add_known(cw2v_wordhash *h, const char *bytes, size_t len, int64_t n);

/* Counting mode: adds n >= 0 to the word's count, first adding the word
 * (count 0, id = number of words before it) if it is absent.  CW2V_OK,
 * CW2V_ERR_NOMEM, CW2V_ERR_FULL, CW2V_ERR_ARG on a lookup-mode table or for
 * n < 0 (counts only grow: a sum past INT64_MAX is the caller's to avoid). */
int cw2v_wordhash_add(cw2v_wordhash *h, const char *bytes, size_t len, int64_t n);

/* Keeps the words i with keep[i] != 0 (keep has one byte per word, in
 * entry order) and drops the others; survivors keep their order, and in
 * counting mode their ids become their new positions.  Allocates nothing:
 * always CW2V_OK. */
int cw2v_wordhash_keep(cw2v_wordhash *h, const unsigned char *keep);

/* Number of words in the table. */
size_t cw2v_wordhash_size(const cw2v_wordhash *h);

/* Entry i (0 <= i < size, insertion order): its bytes (not NUL-terminated),
 * length, id and count.  Any output pointer may be NULL.  CW2V_OK or
 * CW2V_ERR_ARG for an index out of range. */
int cw2v_wordhash_get(const cw2v_wordhash *h, size_t i, const char **bytes,
                      size_t *len, int32_t *id, int64_t *count);

/* The 64-bit hash used by the table (exposed for tests). */
uint64_t cw2v_hash_bytes(const char *bytes, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_WORDHASH_H */
