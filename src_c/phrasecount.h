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
 * spread by hash over many parts (cw2v_pc_part), each its own table; the
 * batch files each key under the worker that owns its part, and each
 * worker counts only its own keys.
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
#define CW2V_PC_BATCH_FULL (-5) /* a batch of sentences would hold 4 GiB of text */

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
 * A batch of sentences, ready for the counting workers: the keys gensim's
 * Phrases counts, each hashed once, as it is added, and filed under the
 * worker whose parts hold it.  Each word that is not a connector is a key,
 * and so is each phrase from the sentence's previous non-connector word to
 * this one, connectors in between included.
 *
 * The words of a sentence are stored in blob one after the other with the
 * delimiter between them, so every phrase key is a slice of blob.  A key
 * of worker w is keys[w].items[i]: blob[start, start + len) with its hash.
 *
 * Ownership: the batch owns blob and the key lists; it reads connectors
 * (not owned; NULL or empty for none) and copies the delimiter.  One thread
 * fills a batch; once full, any number of workers may count it at once.
 */
typedef struct {
    uint64_t hash;
    uint32_t start, len;   /* so a batch holds less than 4 GiB of text */
} cw2v_pc_key;

typedef struct {
    cw2v_pc_key *items;
    size_t n, cap;
} cw2v_pc_keys;

typedef struct {
    char *blob;
    size_t used, cap;
    cw2v_pc_keys *keys;      /* one list per worker */
    int *worker_of;          /* the worker of each part: part % n_workers */
    int n_parts, n_workers;
    const cw2v_pc_table *connectors;
    char *delimiter;
    size_t delimiter_len;
    int64_t words, sentences; /* added since the last clear, connectors included */
    int64_t phrase_from;      /* blob offset of the sentence's last non-connector word, or -1 */
} cw2v_pc_batch;

/* An empty batch for n_workers workers counting n_parts parts: CW2V_PC_OK
 * or CW2V_PC_NOMEM (then free it all the same). */
int cw2v_pc_batch_init(cw2v_pc_batch *b, int n_parts, int n_workers,
                       const cw2v_pc_table *connectors, const char *delimiter,
                       size_t delimiter_len);
void cw2v_pc_batch_free(cw2v_pc_batch *b);
/* Empties the batch (keeps its memory). */
void cw2v_pc_batch_clear(cw2v_pc_batch *b);
/* Adds the next word of the open sentence: CW2V_PC_OK, CW2V_PC_NOMEM,
 * CW2V_PC_TOO_LONG (a word or phrase of CW2V_PC_MAX_KEY bytes or more) or
 * CW2V_PC_BATCH_FULL (hand the batch over more often: see
 * CW2V_PC_BATCH_BYTES). */
int cw2v_pc_batch_word(cw2v_pc_batch *b, const char *word, size_t len);
/* Text a batch should be handed over at (after a sentence), far below its
 * 4 GiB bound: only a single sentence longer than that can reach it. */
#define CW2V_PC_BATCH_BYTES ((size_t)1 << 28)

/* Ends the open sentence (a sentence may have no words). */
void cw2v_pc_batch_end_sentence(cw2v_pc_batch *b);

/* Worker `worker` adds one for each of its keys in the batch to parts
 * (the n_parts tables the batch was made for; the worker's are those p
 * with p % n_workers == worker, written by nobody else meanwhile). */
int cw2v_pc_count_batch(cw2v_pc_table *const *parts, int worker, const cw2v_pc_batch *b);

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
