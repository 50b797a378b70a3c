/*
 * phrasecount: counts of byte strings (words and joined phrases) for
 * cw2v's Phrases, and the batch loop that fills them without the GIL.
 *
 * A table maps a key (any bytes, up to 16 MiB) to an int64 count, like the
 * dict of gensim's Phrases.vocab.  Keys are the exact bytes gensim's keys
 * would be: a word's UTF-8, or the words of a candidate phrase joined by the
 * delimiter ("new_york", "bank_of_america").  One table holds both kinds.
 *
 * Bounded counting: with a maximum size set, a new key that makes the table
 * hold more keys than that prunes it the way word2vec.c does (every key
 * whose count is <= the floor is dropped, then the floor rises by one; it
 * starts at 1).
 *
 * Threads: the counting of a batch is split by key, not by text.  Keys are
 * spread by hash over many parts (cw2v_pc_part), each its own table; every
 * worker reads the whole batch and counts only the keys of its own parts.
 * No table is shared by two writers, the parts never need merging, and as
 * a part is a small share of all keys, so is the memory a growing part
 * briefly holds twice.
 *
 * Ownership: a table owns its slots, entries and key bytes, and copies the
 * bytes passed to it.  Pointers from cw2v_pc_slot stay valid until the
 * next add, prune or free of that table.  The const functions may run in any
 * number of threads at once on a table nobody writes.  Nothing here prints,
 * exits or uses global state; errors are negative codes.
 */
#ifndef CW2V_PHRASECOUNT_H
#define CW2V_PHRASECOUNT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CW2V_PC_OK 0
#define CW2V_PC_NOMEM (-2)    /* an allocation failed (the table is unchanged) */
#define CW2V_PC_TOO_LONG (-3) /* a key of 16 MiB or more */
#define CW2V_PC_FULL (-4)     /* more than 2**32 - 2 keys in one table */

#define CW2V_PC_MAX_KEY ((size_t)1 << 24)

typedef struct cw2v_pc_table cw2v_pc_table;

/* The hash every function here uses for a key. */
uint64_t cw2v_pc_hash(const char *key, size_t len);

/* Which of n_parts parts (0 <= p < n_parts) owns a key of this hash. */
static inline int cw2v_pc_part(uint64_t hash, int n_parts)
{
    return (int)(((hash >> 32) * (uint64_t)n_parts) >> 32);
}

/* A new empty table, NULL when out of memory.  max_keys: the pruning bound
 * (0: none). */
cw2v_pc_table *cw2v_pc_new(size_t max_keys);
void cw2v_pc_free(cw2v_pc_table *t);

/* Adds n >= 1 to the key's count (a new key starts at n), then prunes if
 * the key was new and the table is over its bound.  hash = cw2v_pc_hash(key).
 * (A count of 0 marks an empty slot: n < 1 is the caller's error.) */
int cw2v_pc_add(cw2v_pc_table *t, const char *key, size_t len, uint64_t hash, int64_t n);

/* The key's count, 0 if absent. */
int64_t cw2v_pc_get(const cw2v_pc_table *t, const char *key, size_t len, uint64_t hash);

/* Drops every key whose count is <= floor. */
int cw2v_pc_prune(cw2v_pc_table *t, int64_t floor);

size_t cw2v_pc_size(const cw2v_pc_table *t);
/* Bytes of all keys together. */
size_t cw2v_pc_key_bytes(const cw2v_pc_table *t);
/* The floor the next automatic pruning will use, and the rounds so far. */
int64_t cw2v_pc_floor(const cw2v_pc_table *t);
int64_t cw2v_pc_prune_rounds(const cw2v_pc_table *t);
void cw2v_pc_set_floor(cw2v_pc_table *t, int64_t floor);

/* Adds every count of src to dst (src is only read), then prunes dst once
 * with its floor if it is over its bound (and raises the floor). */
int cw2v_pc_merge(cw2v_pc_table *dst, const cw2v_pc_table *src);

/* Iteration: the slots 0 <= i < capacity; slot i's count, 0 for an empty
 * slot, else also its key. */
size_t cw2v_pc_capacity(const cw2v_pc_table *t);
int64_t cw2v_pc_slot(const cw2v_pc_table *t, size_t i, const char **key, size_t *len);

/*
 * Counts one batch of sentences as gensim's Phrases counts them: each word
 * that is not a connector counts once, and so does each phrase from the
 * previous non-connector word of the sentence to this one, connectors in
 * between included.  Worker `worker` of `n_workers` counts only the keys of
 * the parts p with p % n_workers == worker (parts[p] is part p of n_parts),
 * so workers may count the same batch at the same time.
 *
 * The batch is laid out so that every phrase key is a slice of it: the
 * words of a sentence are stored one after the other with the delimiter
 * between them.  Word i is blob[starts[i], ends[i]); sentence j is words
 * [sentence_ends[j-1], sentence_ends[j]) (sentence_ends[-1] being 0).
 * connectors: the connector words as keys (count > 0), or NULL for none.
 */
int cw2v_pc_count_batch(cw2v_pc_table *const *parts, int n_parts, int worker, int n_workers,
                        const cw2v_pc_table *connectors, const char *blob,
                        const int64_t *starts, const int64_t *ends,
                        const int64_t *sentence_ends, int64_t n_sentences);

/* How export_phrases scores a candidate. */
#define CW2V_PC_SCORE_DEFAULT 0 /* (ab - min_count) / (a * b) * len_vocab */
#define CW2V_PC_SCORE_NPMI 1    /* ln(p_ab / (p_a p_b)) / -ln(p_ab), if ab >= min_count */
#define CW2V_PC_SCORE_NONE 2    /* no score: every candidate is listed */

typedef struct {
    int64_t slot;        /* where the phrase is in its part (cw2v_pc_slot) */
    int64_t count_a, count_b, count_ab;
    double score;
} cw2v_pc_candidate;

/*
 * The phrases of part `part_index` (a table of the n_parts `parts`) that
 * export_phrases would keep: keys holding the delimiter whose first and last
 * pieces (str.split(delimiter)[0] and [-1]) both have a count.  With a
 * scoring rule, only those scoring above threshold are written, with their
 * score, computed with the same double arithmetic as gensim's scorers.
 * Writes at most `room` candidates to out; returns how many there are in
 * all (call again with more room if that is larger), or a negative code.
 */
int64_t cw2v_pc_candidates(const cw2v_pc_table *const *parts, int n_parts, int part_index,
                           const char *delimiter, size_t delimiter_len, int scoring,
                           double min_count, double threshold, double len_vocab,
                           double corpus_word_count, cw2v_pc_candidate *out, int64_t room);

/* The score of one candidate under CW2V_PC_SCORE_DEFAULT or _NPMI
 * (-inf where gensim's scorer gives -inf). */
double cw2v_pc_score(int scoring, int64_t a, int64_t b, int64_t ab, double min_count,
                     double len_vocab, double corpus_word_count);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_PHRASECOUNT_H */
