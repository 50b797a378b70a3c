/*
 * wordhash: a table from the UTF-8 bytes of a word to an int32 id and an
 * int64 count, for the file-mode reader of cw2v.
 *
 * Two uses, one structure:
 *   - lookup: build once from the vocabulary with cw2v_wordhash_insert(word,
 *     id), then map words to ids with cw2v_wordhash_find();
 *   - counting: cw2v_wordhash_count(word) adds one to the word's count,
 *     adding unseen words with id = their position in first-seen order;
 *     optional pruning (cw2v_wordhash_set_max_words) bounds the table the way
 *     word2vec.c's max_vocab_size does.
 *   A table takes the mode of its first insert or count; calling the other
 *   one on it afterwards returns CW2V_ERR_ARG.
 *
 * Layout: open addressing with linear probing over a power-of-two array of
 * 16-byte slots (load factor <= 0.5).  A slot holds 24 bits of the hash,
 * the length, the id, and either the word itself (up to 8 bytes: most
 * tokens, found by touching one cache line) or the offset of its copy in
 * one byte arena.  Entries (for counting and iteration) are dense, in
 * insertion order.
 *
 * Ownership: the table owns its slots, entries and arena; it copies the
 * bytes passed to insert/count.  Pointers returned by cw2v_wordhash_get()
 * point into the arena and stay valid until the next insert, count, prune
 * or free of the table.
 *
 * Threads: after the table is built, any number of threads may call the
 * const functions (find, size, get, prune_rounds, prune_floor) at the same
 * time.  Functions taking a non-const table need exclusive access.
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

/* Counting mode: adds 1 to the word's count, adding the word (count 1,
 * id = number of words before it) if unseen.  When a maximum was set with
 * cw2v_wordhash_set_max_words() and adding the word makes the table hold
 * more words than that, prunes it (see below).  CW2V_OK, CW2V_ERR_NOMEM,
 * CW2V_ERR_FULL, CW2V_ERR_ARG on a lookup-mode table. */
int cw2v_wordhash_count(cw2v_wordhash *h, const char *bytes, size_t len);

/* Bounds the table in counting mode, like word2vec.c's max_vocab_size:
 * whenever a new word makes the table hold more than max_words words, every
 * word whose count is <= the current floor is dropped and the floor goes up
 * by one (it starts at 1).  0 means no bound (the default). */
void cw2v_wordhash_set_max_words(cw2v_wordhash *h, size_t max_words);

/* Number of pruning rounds so far, and the floor the next round will use
 * (so the last round dropped counts <= prune_floor - 1). */
int64_t cw2v_wordhash_prune_rounds(const cw2v_wordhash *h);
int64_t cw2v_wordhash_prune_floor(const cw2v_wordhash *h);

/* Drops every word whose count is <= floor and keeps the others in their
 * order; in counting mode their ids become their new positions.  Used by
 * the automatic pruning; callable directly.  Allocates nothing: always
 * CW2V_OK. */
int cw2v_wordhash_prune(cw2v_wordhash *h, int64_t floor);

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
