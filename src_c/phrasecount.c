/* phrasecount: see phrasecount.h for the contract. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE  /* mmap flags, madvise */
#endif
#include "phrasecount.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "cw2v_prefetch.h"

/* A slot is 32 bytes, two to a cache line, and holds everything a lookup
 * needs: the count (0: empty slot), the high half of the hash, the length,
 * and the key itself when it has at most 16 bytes (most words and two-word
 * phrases); a longer key keeps its first 8 bytes here and all of its bytes
 * in the arena.  So a lookup of a short key touches one cache line, and a
 * long one a second line only when everything else matched.  Linear
 * probing over a power-of-two array kept at most 70% full. */
#define INLINE_KEY 16

typedef struct {
    int64_t count;
    uint32_t tag;
    uint32_t len;
    union {
        char bytes[INLINE_KEY];
        struct {
            uint64_t prefix;
            uint64_t offset;
        } far;
    } key;
} slot_t;

#define MIN_SLOTS 4096

struct cw2v_pc_table {
    slot_t *slots;
    size_t mask;            /* slot count - 1 */
    size_t n;               /* keys held */
    char *arena;            /* the bytes of keys longer than INLINE_KEY */
    size_t used, arena_cap;
    size_t key_bytes;       /* bytes of all keys */
    size_t max_keys;        /* pruning bound, 0 = none */
    int64_t floor, rounds;
};

/* A key as a lookup compares it: padded with zeros to INLINE_KEY bytes. */
typedef struct {
    const char *bytes;
    size_t len;
    uint64_t hash;
    char padded[INLINE_KEY];
} probe_t;

static void make_probe(probe_t *q, const char *key, size_t len, uint64_t hash)
{
    q->bytes = key;
    q->len = len;
    q->hash = hash;
    memset(q->padded, 0, INLINE_KEY);
    memcpy(q->padded, key, len < INLINE_KEY ? len : INLINE_KEY);
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t mix64(uint64_t h)
{
    /* SplitMix64's output function: every input bit reaches every output bit. */
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

/* The last 1 to 7 bytes of a key of len bytes (len >= 1), as one word
 * that, for a given len, no two byte strings share: whole loads, no
 * byte-by-byte copy. */
static uint64_t tail_word(const unsigned char *p, size_t len, size_t left)
{
    uint64_t word;
    uint32_t low, high;
    if (len >= 8) {  /* the key's last 8 bytes, overlapping the block before */
        memcpy(&word, p + left - 8, 8);
        return word;
    }
    if (left >= 4) {  /* bytes 0-3 and the last 4, overlapping for left < 8 */
        memcpy(&low, p, 4);
        memcpy(&high, p + left - 4, 4);
        return (uint64_t)low | ((uint64_t)high << 32);
    }
    return (uint64_t)p[0] | ((uint64_t)p[left / 2] << 8) | ((uint64_t)p[left - 1] << 16);
}

uint64_t cw2v_pc_hash(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * 0xbf58476d1ce4e5b9ULL);
    uint64_t word;
    size_t left = len;
    while (left >= 8) {
        memcpy(&word, p, 8);  /* unaligned-safe; one load */
        h = (h ^ word) * 0x94d049bb133111ebULL;
        h ^= h >> 29;
        p += 8;
        left -= 8;
    }
    if (left) h = (h ^ tail_word(p, len, left)) * 0x94d049bb133111ebULL;
    return mix64(h);
}

/* ---- the table ---------------------------------------------------------- */

/* Huge pages for big slot arrays: lookups land anywhere in them, and with
 * 4 KiB pages nearly every one would also miss the TLB. */
#define HUGE_PAGE ((size_t)2 << 20)

/* A zeroed array of n slots; NULL when out of memory.  Freed with
 * free_slots(slots, n).  A big array is mapped straight from the system:
 * its pages arrive zeroed (no second pass to clear them) and go back to it
 * when freed (no heap left behind to count in the peak). */
static slot_t *new_slots(size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    size_t bytes = n * sizeof(slot_t);
    if (bytes >= HUGE_PAGE) {
        /* Map a huge page more than needed, then trim to a huge-page boundary. */
        char *p = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        size_t skip;
        if (p == MAP_FAILED) return NULL;
        skip = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
        if (skip) munmap(p, skip);
        if (HUGE_PAGE - skip) munmap(p + skip + bytes, HUGE_PAGE - skip);
        madvise(p + skip, bytes, MADV_HUGEPAGE);  /* a hint: without it, ordinary pages */
        return (slot_t *)(p + skip);
    }
#endif
    return calloc(n, sizeof(slot_t));
}

static void free_slots(slot_t *slots, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n * sizeof(slot_t) >= HUGE_PAGE) {
        munmap(slots, n * sizeof(slot_t));
        return;
    }
#endif
    free(slots);
}

cw2v_pc_table *cw2v_pc_new(size_t max_keys)
{
    cw2v_pc_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->slots = new_slots(MIN_SLOTS);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    t->mask = MIN_SLOTS - 1;
    t->max_keys = max_keys;
    t->floor = 1;
    return t;
}

void cw2v_pc_free(cw2v_pc_table *t)
{
    if (!t) return;
    free_slots(t->slots, t->mask + 1);
    free(t->arena);
    free(t);
}

static const char *slot_key(const cw2v_pc_table *t, const slot_t *s)
{
    return s->len <= INLINE_KEY ? s->key.bytes : t->arena + s->key.far.offset;
}

static int slot_matches(const cw2v_pc_table *t, const slot_t *s, const probe_t *q)
{
    if (s->tag != (uint32_t)(q->hash >> 32) || s->len != q->len) return 0;
    if (q->len <= INLINE_KEY) return memcmp(s->key.bytes, q->padded, INLINE_KEY) == 0;
    return memcmp(&s->key.far.prefix, q->padded, 8) == 0
        && memcmp(t->arena + s->key.far.offset, q->bytes, q->len) == 0;
}

/* A key's first slot comes from the high half of its hash, which the slot
 * keeps as its tag: growing or pruning the table needs no rehashing. */
static size_t home_slot(uint32_t tag, size_t mask)
{
    return (size_t)tag & mask;
}

/* The slot holding the key, or the empty slot where it would go. */
static size_t find_slot(const cw2v_pc_table *t, const probe_t *q)
{
    size_t i = home_slot((uint32_t)(q->hash >> 32), t->mask);
    while (t->slots[i].count != 0 && !slot_matches(t, &t->slots[i], q))
        i = (i + 1) & t->mask;
    return i;
}

/* The first empty slot from a tag's home on: where a key known to be absent goes. */
static size_t free_slot(const slot_t *slots, size_t mask, uint32_t tag)
{
    size_t i = home_slot(tag, mask);
    while (slots[i].count != 0) i = (i + 1) & mask;
    return i;
}

/* Moves every key whose count is > floor into a new array of n_slots slots
 * (and, when keys are dropped, a new compacted arena; growing keeps the
 * arena as it is).  The table is unchanged on failure. */
static int rebuild(cw2v_pc_table *t, size_t n_slots, int64_t floor)
{
    size_t k, mask = n_slots - 1, kept = 0, key_bytes = 0, used = 0;
    int compact = floor > 0 && t->used > 0;  /* counts are >= 1: floor 0 drops nothing */
    slot_t *slots = new_slots(n_slots);
    char *arena = NULL;
    if (!slots) return CW2V_PC_NOMEM;
    if (compact) {
        arena = malloc(t->used);
        if (!arena) {
            free_slots(slots, n_slots);
            return CW2V_PC_NOMEM;
        }
    }
    for (k = 0; k <= t->mask; k++) {
        const slot_t *s = &t->slots[k];
        slot_t *d;
        if (s->count <= floor) continue;  /* empty slots too: their count is 0 */
        d = &slots[free_slot(slots, mask, s->tag)];
        *d = *s;
        if (compact && s->len > INLINE_KEY) {
            memcpy(arena + used, t->arena + s->key.far.offset, s->len);
            d->key.far.offset = used;
            used += s->len;
        }
        key_bytes += s->len;
        kept++;
    }
    free_slots(t->slots, t->mask + 1);
    t->slots = slots;
    t->mask = mask;
    if (compact) {
        free(t->arena);
        t->arena = arena;
        t->used = t->arena_cap = used;
    }
    t->n = kept;
    t->key_bytes = key_bytes;
    return CW2V_PC_OK;
}

/* The slots of a full table of n slots once grown: twice as many, or four
 * times below a huge page, where small pages would take a fault each. */
static size_t grown_size(size_t n)
{
    size_t huge = HUGE_PAGE / sizeof(slot_t);
    if (n * 4 <= huge) return n * 4;
    return n * 2;
}

static int store_far(cw2v_pc_table *t, slot_t *s, const char *key, size_t len)
{
    if (t->used + len > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap + t->arena_cap / 2 : 65536;
        char *arena;
        if (cap < t->used + len) cap = t->used + len;
        arena = realloc(t->arena, cap);
        if (!arena) return CW2V_PC_NOMEM;
        t->arena = arena;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->used, key, len);
    memcpy(&s->key.far.prefix, key, 8);
    s->key.far.offset = t->used;
    t->used += len;
    return CW2V_PC_OK;
}

static int add_probe(cw2v_pc_table *t, const probe_t *q, int64_t n)
{
    size_t i;
    slot_t *s;
    if (q->len >= CW2V_PC_MAX_KEY) return CW2V_PC_TOO_LONG;
    i = find_slot(t, q);
    if (t->slots[i].count != 0) {
        t->slots[i].count += n;
        return CW2V_PC_OK;
    }
    if ((t->n + 1) * 10 > (t->mask + 1) * 7) {
        int status = rebuild(t, grown_size(t->mask + 1), 0);
        if (status != CW2V_PC_OK) return status;
        i = free_slot(t->slots, t->mask, (uint32_t)(q->hash >> 32));
    }
    s = &t->slots[i];
    if (q->len <= INLINE_KEY) {
        memcpy(s->key.bytes, q->padded, INLINE_KEY);
    } else {
        int status = store_far(t, s, q->bytes, q->len);
        if (status != CW2V_PC_OK) return status;
    }
    s->count = n;
    s->tag = (uint32_t)(q->hash >> 32);
    s->len = (uint32_t)q->len;
    t->n++;
    t->key_bytes += q->len;
    if (t->max_keys && t->n > t->max_keys) {
        int status = cw2v_pc_prune(t, t->floor);
        if (status != CW2V_PC_OK) return status;
        t->floor++;
        t->rounds++;
    }
    return CW2V_PC_OK;
}

int cw2v_pc_add(cw2v_pc_table *t, const char *key, size_t len, uint64_t hash, int64_t n)
{
    probe_t q;
    if (len >= CW2V_PC_MAX_KEY) return CW2V_PC_TOO_LONG;
    make_probe(&q, key, len, hash);
    return add_probe(t, &q, n);
}

int64_t cw2v_pc_get(const cw2v_pc_table *t, const char *key, size_t len, uint64_t hash)
{
    probe_t q;
    if (len >= CW2V_PC_MAX_KEY) return 0;
    make_probe(&q, key, len, hash);
    return t->slots[find_slot(t, &q)].count;
}

int cw2v_pc_prune(cw2v_pc_table *t, int64_t floor)
{
    return rebuild(t, t->mask + 1, floor);
}

int cw2v_pc_merge(cw2v_pc_table *dst, const cw2v_pc_table *src)
{
    size_t k, bound = dst->max_keys;
    int status = CW2V_PC_OK;
    dst->max_keys = 0;  /* no pruning half-way through */
    for (k = 0; k <= src->mask && status == CW2V_PC_OK; k++) {
        const slot_t *s = &src->slots[k];
        const char *key;
        if (s->count == 0) continue;
        key = slot_key(src, s);
        status = cw2v_pc_add(dst, key, s->len, cw2v_pc_hash(key, s->len), s->count);
    }
    dst->max_keys = bound;
    if (status == CW2V_PC_OK && bound && dst->n > bound) {
        status = cw2v_pc_prune(dst, dst->floor);
        dst->floor++;
        dst->rounds++;
    }
    return status;
}

size_t cw2v_pc_size(const cw2v_pc_table *t) { return t->n; }
size_t cw2v_pc_capacity(const cw2v_pc_table *t) { return t->mask + 1; }
size_t cw2v_pc_key_bytes(const cw2v_pc_table *t) { return t->key_bytes; }
int64_t cw2v_pc_floor(const cw2v_pc_table *t) { return t->floor; }
int64_t cw2v_pc_prune_rounds(const cw2v_pc_table *t) { return t->rounds; }
void cw2v_pc_set_floor(cw2v_pc_table *t, int64_t floor) { t->floor = floor; }

int64_t cw2v_pc_slot(const cw2v_pc_table *t, size_t i, const char **key, size_t *len)
{
    const slot_t *s = &t->slots[i];
    if (s->count == 0) return 0;
    *key = slot_key(t, s);
    *len = s->len;
    return s->count;
}

/* ---- counting a batch --------------------------------------------------- */

/* Keys wait in a small queue between being hashed and being added, and the
 * slot each will probe first is prefetched when it joins: the cache misses
 * of QUEUE keys overlap instead of coming one after another. */
#define QUEUE 16

typedef struct {
    probe_t key;
    cw2v_pc_table *table;
} pending_t;

typedef struct {
    pending_t items[QUEUE];
    unsigned head, size;
} queue_t;

static int queue_pop(queue_t *queue)
{
    pending_t *item = &queue->items[queue->head];
    queue->head = (queue->head + 1) % QUEUE;
    queue->size--;
    return add_probe(item->table, &item->key, 1);
}

static int queue_push(queue_t *queue, cw2v_pc_table *table, const char *key, size_t len,
                      uint64_t hash)
{
    pending_t *item;
    if (queue->size == QUEUE) {
        int status = queue_pop(queue);
        if (status != CW2V_PC_OK) return status;
    }
    if (len >= CW2V_PC_MAX_KEY) return CW2V_PC_TOO_LONG;
    item = &queue->items[(queue->head + queue->size) % QUEUE];
    make_probe(&item->key, key, len, hash);
    item->table = table;
    cw2v_prefetch(&table->slots[home_slot((uint32_t)(hash >> 32), table->mask)], sizeof(slot_t));
    queue->size++;
    return CW2V_PC_OK;
}

int cw2v_pc_count_batch(cw2v_pc_table *const *parts, int worker, const cw2v_pc_batch *b)
{
    const cw2v_pc_keys *keys = &b->keys[worker];
    size_t i;
    int status = CW2V_PC_OK;
    queue_t queue;
    queue.head = queue.size = 0;
    for (i = 0; i < keys->n && status == CW2V_PC_OK; i++) {
        const cw2v_pc_key *key = &keys->items[i];
        status = queue_push(&queue, parts[cw2v_pc_part(key->hash, b->n_parts)],
                            b->blob + key->start, (size_t)key->len, key->hash);
    }
    while (queue.size && status == CW2V_PC_OK) status = queue_pop(&queue);
    return status;
}

/* ---- filling a batch ---------------------------------------------------- */

int cw2v_pc_batch_init(cw2v_pc_batch *b, int n_parts, int n_workers,
                       const cw2v_pc_table *connectors, const char *delimiter,
                       size_t delimiter_len)
{
    int p;
    memset(b, 0, sizeof *b);
    b->n_parts = n_parts;
    b->n_workers = n_workers;
    b->connectors = connectors && connectors->n ? connectors : NULL;
    b->phrase_from = -1;
    b->keys = calloc((size_t)n_workers, sizeof *b->keys);
    b->worker_of = malloc((size_t)n_parts * sizeof *b->worker_of);
    b->delimiter = malloc(delimiter_len ? delimiter_len : 1);
    if (!b->keys || !b->worker_of || !b->delimiter) return CW2V_PC_NOMEM;
    for (p = 0; p < n_parts; p++) b->worker_of[p] = p % n_workers;
    memcpy(b->delimiter, delimiter, delimiter_len);
    b->delimiter_len = delimiter_len;
    return CW2V_PC_OK;
}

void cw2v_pc_batch_free(cw2v_pc_batch *b)
{
    int w;
    if (b->keys)
        for (w = 0; w < b->n_workers; w++) free(b->keys[w].items);
    free(b->keys);
    free(b->worker_of);
    free(b->blob);
    free(b->delimiter);
    memset(b, 0, sizeof *b);
}

void cw2v_pc_batch_clear(cw2v_pc_batch *b)
{
    int w;
    for (w = 0; w < b->n_workers; w++) b->keys[w].n = 0;
    b->used = 0;
    b->words = b->sentences = 0;
    b->phrase_from = -1;
}

static int grow(void **items, size_t *cap, size_t need, size_t size, size_t least)
{
    size_t new_cap = *cap ? *cap : least;
    void *grown;
    while (new_cap < need) new_cap *= 2;
    grown = realloc(*items, new_cap * size);
    if (!grown) return CW2V_PC_NOMEM;
    *items = grown;
    *cap = new_cap;
    return CW2V_PC_OK;
}

/* Files blob[start, start + len) under the worker that owns its part. */
static int batch_key(cw2v_pc_batch *b, int64_t start, size_t len, uint64_t hash)
{
    cw2v_pc_keys *keys = &b->keys[b->worker_of[cw2v_pc_part(hash, b->n_parts)]];
    cw2v_pc_key *key;
    if (len >= CW2V_PC_MAX_KEY) return CW2V_PC_TOO_LONG;
    if (keys->n == keys->cap) {
        int status = grow((void **)&keys->items, &keys->cap, keys->n + 1, sizeof *key, 4096);
        if (status != CW2V_PC_OK) return status;
    }
    key = &keys->items[keys->n++];
    key->hash = hash;
    key->start = (uint32_t)start;
    key->len = (uint32_t)len;
    return CW2V_PC_OK;
}

int cw2v_pc_batch_word(cw2v_pc_batch *b, const char *word, size_t len)
{
    int64_t start = (int64_t)b->used;
    uint64_t hash;
    int status;
    if (len >= CW2V_PC_MAX_KEY) return CW2V_PC_TOO_LONG;
    if (b->used + len + b->delimiter_len > UINT32_MAX) return CW2V_PC_BATCH_FULL;
    if (b->used + len + b->delimiter_len > b->cap) {
        status = grow((void **)&b->blob, &b->cap, b->used + len + b->delimiter_len, 1, 1 << 16);
        if (status != CW2V_PC_OK) return status;
    }
    memcpy(b->blob + b->used, word, len);
    memcpy(b->blob + b->used + len, b->delimiter, b->delimiter_len);
    b->used += len + b->delimiter_len;
    b->words++;
    hash = cw2v_pc_hash(word, len);
    if (b->connectors && cw2v_pc_get(b->connectors, word, len, hash) > 0) return CW2V_PC_OK;
    status = batch_key(b, start, len, hash);
    if (status == CW2V_PC_OK && b->phrase_from >= 0) {
        /* The phrase is the slice from that word to the end of this one. */
        size_t phrase_len = (size_t)(start - b->phrase_from) + len;
        status = batch_key(b, b->phrase_from, phrase_len,
                           cw2v_pc_hash(b->blob + b->phrase_from, phrase_len));
    }
    b->phrase_from = start;
    return status;
}

void cw2v_pc_batch_end_sentence(cw2v_pc_batch *b)
{
    b->sentences++;
    b->phrase_from = -1;
}

/* ---- export ------------------------------------------------------------- */

double cw2v_pc_score(int scoring, int64_t a, int64_t b, int64_t ab, double min_count,
                     double len_vocab, double corpus_word_count)
{
    if (scoring == CW2V_PC_SCORE_DEFAULT) {
        /* gensim: (ab - min_count) / float(a * b) * len_vocab, a * b exact. */
        double denominator;
        if (a <= 0 || b <= 0) return -INFINITY;
        if ((uint64_t)a <= UINT64_MAX / (uint64_t)b)
            denominator = (double)((uint64_t)a * (uint64_t)b);
        else
            denominator = (double)a * (double)b;
        return ((double)ab - min_count) / denominator * len_vocab;
    }
    if ((double)ab >= min_count) {
        double pa = (double)a / corpus_word_count;
        double pb = (double)b / corpus_word_count;
        double pab = (double)ab / corpus_word_count;
        double ratio = pab / (pa * pb);
        if (!(ratio > 0.0) || !(pab > 0.0)) return -INFINITY;  /* gensim's ValueError */
        return log(ratio) / -log(pab);
    }
    return -INFINITY;
}

/* Offset just past the last non-overlapping match of the delimiter, as
 * str.split finds them from the left; 0 if there is none. */
static size_t after_last_match(const char *key, size_t len, const char *delim, size_t dlen,
                               size_t *first)
{
    size_t i = 0, after = 0;
    *first = len;
    while (i + dlen <= len) {
        if (memcmp(key + i, delim, dlen) == 0) {
            if (*first == len) *first = i;
            i += dlen;
            after = i;
        } else {
            i++;
        }
    }
    return after;
}

static int64_t count_in_parts(const cw2v_pc_table *const *parts, int n_parts, const char *key,
                              size_t len)
{
    uint64_t hash = cw2v_pc_hash(key, len);
    return cw2v_pc_get(parts[cw2v_pc_part(hash, n_parts)], key, len, hash);
}

int64_t cw2v_pc_candidates(const cw2v_pc_table *const *parts, int n_parts, int part_index,
                           const char *delimiter, size_t delimiter_len, int scoring,
                           double min_count, double threshold, double len_vocab,
                           double corpus_word_count, cw2v_pc_candidate *out, int64_t room)
{
    const cw2v_pc_table *t = parts[part_index];
    int64_t found = 0;
    size_t k;
    if (delimiter_len == 0) return 0;
    for (k = 0; k <= t->mask; k++) {
        size_t len, first, after;
        int64_t a, b, ab = t->slots[k].count;
        double score = 0.0;
        const char *key;
        if (ab == 0) continue;
        key = slot_key(t, &t->slots[k]);
        len = t->slots[k].len;
        after = after_last_match(key, len, delimiter, delimiter_len, &first);
        if (after == 0) continue;  /* a single word */
        a = count_in_parts(parts, n_parts, key, first);
        if (a <= 0) continue;
        b = count_in_parts(parts, n_parts, key + after, len - after);
        if (b <= 0) continue;
        if (scoring != CW2V_PC_SCORE_NONE) {
            score = cw2v_pc_score(scoring, a, b, ab, min_count, len_vocab, corpus_word_count);
            if (!(score > threshold)) continue;
        }
        if (found < room) {
            out[found].slot = (int64_t)k;
            out[found].count_a = a;
            out[found].count_b = b;
            out[found].count_ab = ab;
            out[found].score = score;
        }
        found++;
    }
    return found;
}
