/* wordhash: see wordhash.h for the contract. */
#include "wordhash.h"

#include <stdlib.h>
#include <string.h>

/* A slot is one probe: 16 bytes, four to a cache line.  Words of at most
 * 8 bytes live in the slot itself (key = their bytes, packed losslessly for
 * that length), so a lookup that hits one touches a single cache line;
 * longer words keep key = arena offset of their length-prefixed copy. */
typedef struct {
    uint64_t key;
    uint32_t meta;  /* high 24 bits of the hash | min(len, 255) */
    int32_t id;     /* -1 for an empty slot */
} slot_t;

typedef struct {
    uint64_t hash;
    uint64_t key;   /* the slot key, to rebuild slots without rehashing */
    int64_t count;
    size_t offset;  /* arena offset of the word's 8-byte length prefix */
    size_t len;
    int32_t id;
} entry_t;

#define MODE_EMPTY 0
#define MODE_LOOKUP 1  /* filled by insert: ids are the caller's */
#define MODE_COUNT 2   /* filled by add: id == entry index, always */

struct cw2v_wordhash {
    slot_t *slots;
    size_t slot_mask;  /* slot capacity - 1; capacity is a power of two */
    entry_t *entries;
    size_t n_entries, entry_cap;
    char *arena;       /* each word as [size_t length][bytes] */
    size_t arena_used, arena_cap;
    int mode;
};

const char *cw2v_strerror(int code)
{
    switch (code) {
    case CW2V_OK: return "success";
    case -1: return "end of range";
    case CW2V_ERR_NOMEM: return "out of memory";
    case CW2V_ERR_IO: return "read error";
    case CW2V_ERR_OPEN: return "cannot open file";
    case CW2V_ERR_DUPLICATE: return "duplicate word";
    case CW2V_ERR_ARG: return "invalid argument";
    case CW2V_ERR_FULL: return "more than 2**31 - 1 distinct words";
    case CW2V_ERR_UTF8: return "ill-formed UTF-8";
    case CW2V_ERR_CALLBACK: return "a callback failed";
    default: return "unknown error";
    }
}

/* ---- hashing ----------------------------------------------------------- */

static uint64_t load_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);  /* unaligned-safe; compiles to one load */
    return v;
}

static uint64_t load_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The bytes of a word of len <= 8 packed into 64 bits without loss for
 * that length (overlapping loads instead of a byte loop or a copy). */
static uint64_t short_key(const unsigned char *p, size_t len)
{
    if (len >= 4) return load_u32(p) | (load_u32(p + len - 4) << 32);
    if (len > 0) return (uint64_t)p[0] | ((uint64_t)p[len >> 1] << 8) | ((uint64_t)p[len - 1] << 16);
    return 0;
}

/* MurmurHash3's 64-bit finaliser: a bijection with full avalanche. */
static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

#define HASH_K 0x9e3779b97f4a7c15ULL

/* Hash of a word, and its slot key if it is short (else *key = 0).  Long
 * words: eight bytes at a time (xor in, multiply, fold the high bits down),
 * the last block overlapping the one before; the length seeds the state.
 * The value depends on byte order, fine for an in-memory table. */
static uint64_t hash_word(const char *bytes, size_t len, uint64_t *key)
{
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t h;
    size_t i;
    if (len <= 8) {
        *key = short_key(p, len);
        return fmix64(*key ^ ((uint64_t)(len + 1) * HASH_K));
    }
    *key = 0;
    h = 0x243f6a8885a308d3ULL ^ ((uint64_t)len * HASH_K);
    for (i = 0; i + 8 < len; i += 8) {
        h = (h ^ load_u64(p + i)) * HASH_K;
        h ^= h >> 29;
    }
    h = (h ^ load_u64(p + len - 8)) * HASH_K;
    return fmix64(h ^ (h >> 29));
}

uint64_t cw2v_hash_bytes(const char *bytes, size_t len)
{
    uint64_t key;
    return hash_word(bytes, len, &key);
}

static uint32_t make_meta(uint64_t hash, size_t len)
{
    return ((uint32_t)(hash >> 32) & 0xffffff00u) | (uint32_t)(len < 255 ? len : 255);
}

/* ---- table ------------------------------------------------------------- */

#define PREFIX sizeof(size_t)  /* the length prefix of each arena copy */

static size_t next_pow2(size_t n)
{
    size_t c = 16;
    while (c < n) c <<= 1;
    return c;
}

static void set_slot(slot_t *sl, const entry_t *e)
{
    sl->key = e->key;
    sl->meta = make_meta(e->hash, e->len);
    sl->id = e->id;
}

/* Fills an all-empty slot array from the entries. */
static void place_all(slot_t *slots, size_t mask, const entry_t *entries, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        size_t s = (size_t)entries[i].hash & mask;
        while (slots[s].id >= 0) s = (s + 1) & mask;
        set_slot(&slots[s], &entries[i]);
    }
}

static void clear_slots(slot_t *slots, size_t capacity)
{
    size_t i;
    for (i = 0; i < capacity; i++) {
        slots[i].key = 0;
        slots[i].meta = 0;
        slots[i].id = -1;
    }
}

cw2v_wordhash *cw2v_wordhash_new(size_t expected_words)
{
    cw2v_wordhash *h;
    size_t cap;
    if (expected_words > (size_t)INT32_MAX) expected_words = (size_t)INT32_MAX;
    h = (cw2v_wordhash *)calloc(1, sizeof *h);
    if (!h) return NULL;
    cap = next_pow2(2 * expected_words);
    h->slot_mask = cap - 1;
    h->entry_cap = expected_words < 16 ? 16 : expected_words;
    h->arena_cap = h->entry_cap * (PREFIX + 8);
    h->slots = (slot_t *)malloc(cap * sizeof *h->slots);
    h->entries = (entry_t *)malloc(h->entry_cap * sizeof *h->entries);
    h->arena = (char *)malloc(h->arena_cap);
    if (!h->slots || !h->entries || !h->arena) {
        cw2v_wordhash_free(h);
        return NULL;
    }
    clear_slots(h->slots, cap);
    return h;
}

void cw2v_wordhash_free(cw2v_wordhash *h)
{
    if (!h) return;
    free(h->slots);
    free(h->entries);
    free(h->arena);
    free(h);
}

/* Whether the long word stored at arena offset `at` is bytes[0..len). */
static int long_word_equal(const cw2v_wordhash *h, uint64_t at, const char *bytes, size_t len)
{
    size_t stored;
    memcpy(&stored, h->arena + at, PREFIX);
    return stored == len && memcmp(h->arena + at + PREFIX, bytes, len) == 0;
}

/* The slot holding the word, or the empty slot where it would go. */
static inline size_t probe(const cw2v_wordhash *h, uint64_t hash, uint64_t key, const char *bytes,
                    size_t len)
{
    const uint32_t meta = make_meta(hash, len);
    size_t s = (size_t)hash & h->slot_mask;
    for (;;) {
        const slot_t *sl = &h->slots[s];
        if (sl->id < 0) return s;
        /* meta holds the length (up to 255), so for len <= 8 equal meta
         * and key mean equal bytes. */
        if (sl->meta == meta &&
            (len <= 8 ? sl->key == key : long_word_equal(h, sl->key, bytes, len)))
            return s;
        s = (s + 1) & h->slot_mask;
    }
}

int32_t cw2v_wordhash_find(const cw2v_wordhash *h, const char *bytes, size_t len)
{
    uint64_t key;
    const uint64_t hash = hash_word(bytes, len, &key);
    return h->slots[probe(h, hash, key, bytes, len)].id;  /* -1 if empty */
}

/* Makes room for one more entry of len bytes; keeps the load <= 0.5. */
static int reserve_one(cw2v_wordhash *h, size_t len)
{
    const size_t n = h->n_entries;
    if (n >= (size_t)INT32_MAX) return CW2V_ERR_FULL;
    if (2 * (n + 1) > h->slot_mask + 1) {
        const size_t cap = 2 * (h->slot_mask + 1);
        slot_t *slots = (slot_t *)malloc(cap * sizeof *slots);
        if (!slots) return CW2V_ERR_NOMEM;
        clear_slots(slots, cap);
        place_all(slots, cap - 1, h->entries, n);
        free(h->slots);
        h->slots = slots;
        h->slot_mask = cap - 1;
    }
    if (n == h->entry_cap) {
        const size_t cap = 2 * h->entry_cap;
        entry_t *entries = (entry_t *)realloc(h->entries, cap * sizeof *entries);
        if (!entries) return CW2V_ERR_NOMEM;
        h->entries = entries;
        h->entry_cap = cap;
    }
    if (len > SIZE_MAX / 4 - h->arena_used) return CW2V_ERR_NOMEM;
    if (h->arena_used + PREFIX + len > h->arena_cap) {
        size_t cap = 2 * h->arena_cap;
        char *arena;
        if (cap < h->arena_used + PREFIX + len) cap = h->arena_used + PREFIX + len;
        arena = (char *)realloc(h->arena, cap);
        if (!arena) return CW2V_ERR_NOMEM;
        h->arena = arena;
        h->arena_cap = cap;
    }
    return CW2V_OK;
}

/* Appends a new entry at the empty slot s.  reserve_one() may rebuild the
 * slots, so callers reserve first and then probe for s. */
static void add_entry(cw2v_wordhash *h, size_t s, uint64_t hash, uint64_t key,
                      const char *bytes, size_t len, int32_t id, int64_t count)
{
    entry_t *e = &h->entries[h->n_entries];
    memcpy(h->arena + h->arena_used, &len, PREFIX);
    if (len) memcpy(h->arena + h->arena_used + PREFIX, bytes, len);
    e->hash = hash;
    e->key = len <= 8 ? key : (uint64_t)h->arena_used;
    e->count = count;
    e->offset = h->arena_used;
    e->len = len;
    e->id = id;
    set_slot(&h->slots[s], e);
    h->arena_used += PREFIX + len;
    h->n_entries++;
}

int cw2v_wordhash_insert(cw2v_wordhash *h, const char *bytes, size_t len, int32_t id)
{
    uint64_t key;
    const uint64_t hash = hash_word(bytes, len, &key);
    size_t s;
    int rc;
    if (id < 0 || h->mode == MODE_COUNT) return CW2V_ERR_ARG;
    if (h->slots[probe(h, hash, key, bytes, len)].id >= 0) return CW2V_ERR_DUPLICATE;
    rc = reserve_one(h, len);
    if (rc != CW2V_OK) return rc;
    s = probe(h, hash, key, bytes, len);  /* the slots may have been rebuilt */
    add_entry(h, s, hash, key, bytes, len, id, 0);
    h->mode = MODE_LOOKUP;
    return CW2V_OK;
}

int32_t cw2v_wordhash_add_known(cw2v_wordhash *h, const char *bytes, size_t len, int64_t n)
{
    uint64_t key;
    const uint64_t hash = hash_word(bytes, len, &key);
    const int32_t id = h->slots[probe(h, hash, key, bytes, len)].id;
    if (id >= 0 && h->mode == MODE_COUNT) h->entries[id].count += n;  /* id == index */
    return h->mode == MODE_COUNT ? id : -1;
}

int cw2v_wordhash_add(cw2v_wordhash *h, const char *bytes, size_t len, int64_t n)
{
    uint64_t key;
    const uint64_t hash = hash_word(bytes, len, &key);
    size_t s;
    int rc;
    if (h->mode == MODE_LOOKUP || n < 0) return CW2V_ERR_ARG;
    s = probe(h, hash, key, bytes, len);
    if (h->slots[s].id >= 0) {
        h->entries[h->slots[s].id].count += n;
        return CW2V_OK;
    }
    rc = reserve_one(h, len);
    if (rc != CW2V_OK) return rc;
    s = probe(h, hash, key, bytes, len);  /* the slots may have been rebuilt */
    add_entry(h, s, hash, key, bytes, len, (int32_t)h->n_entries, n);
    h->mode = MODE_COUNT;
    return CW2V_OK;
}

int cw2v_wordhash_keep(cw2v_wordhash *h, const unsigned char *keep)
{
    size_t i, kept = 0, used = 0;
    for (i = 0; i < h->n_entries; i++) {
        entry_t e = h->entries[i];
        if (!keep[i]) continue;
        /* Survivors only move towards the front, in order: memmove is safe. */
        if (e.offset != used) memmove(h->arena + used, h->arena + e.offset, PREFIX + e.len);
        e.offset = used;
        if (e.len > 8) e.key = (uint64_t)used;
        if (h->mode == MODE_COUNT) e.id = (int32_t)kept;
        used += PREFIX + e.len;
        h->entries[kept++] = e;
    }
    h->n_entries = kept;
    h->arena_used = used;
    clear_slots(h->slots, h->slot_mask + 1);
    place_all(h->slots, h->slot_mask, h->entries, kept);
    return CW2V_OK;
}

size_t cw2v_wordhash_size(const cw2v_wordhash *h) { return h->n_entries; }

int cw2v_wordhash_get(const cw2v_wordhash *h, size_t i, const char **bytes,
                      size_t *len, int32_t *id, int64_t *count)
{
    const entry_t *e;
    if (i >= h->n_entries) return CW2V_ERR_ARG;
    e = &h->entries[i];
    if (bytes) *bytes = h->arena + e->offset + PREFIX;
    if (len) *len = e->len;
    if (id) *id = e->id;
    if (count) *count = e->count;
    return CW2V_OK;
}
