/* cooccur.c: see cooccur.h for the counting rule, ownership and threads. */
#include "cooccur.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw2v_prefetch.h"
#include "tokenizer.h"

#define MAX_EXACT_WINDOW 20 /* lcm(1..20) = 232792560 */
#define MIN_EXACT_WINDOW 8  /* lcm(1..8) = 840: the coarsest unit used */
#define MIN_TABLE_SLOTS ((size_t)8)
#define EMPTY_KEY UINT64_MAX
#define GOLDEN 0x9E3779B97F4A7C15ULL
/* Pair updates waiting for their memory (a power of two): counting is bound
 * by cache misses on the dense block and the table, and this many of them
 * can be in flight at once (measured 2x faster than updating at once). */
#define PENDING 32

/* Row i of the dense block holds columns [begin, end), entry j at base + j. */
typedef struct dense_row {
    int64_t base;
    int32_t begin, end;
} dense_row;

struct cw2v_cooc_layout {
    int32_t vocab_size, window;
    int symmetric;
    int index_bits; /* ids are below 2^index_bits */
    int64_t unit;
    int64_t *weight; /* window + 1 entries: weight[d] in units */
    int64_t dense_product, dense_size;
    dense_row *rows; /* vocab_size entries */
};

/* An update whose target was prefetched: a slot of the dense block, or
 * (slot NULL) key in the table; units 0 marks a free entry. */
typedef struct pending {
    int64_t *slot;
    uint64_t key;
    int64_t units;
} pending;

struct cw2v_cooc_counter {
    const cw2v_cooc_layout *layout;
    int64_t *dense;             /* big block of layout->dense_size entries */
    cw2v_cooc_entry *slots;     /* the table (big block), EMPTY_KEY = free */
    size_t n_slots, used;       /* sorted into a run once used = n_slots / 2 */
    int shift;                  /* slot of a key: (key * GOLDEN) >> shift */
    cw2v_run_list runs;
    int64_t *run_rows;          /* entries of the runs in each row (vocab_size), for the merge */
    int32_t *history;           /* the last `window` ids of the line, a ring ending at head */
    int32_t head;
    int64_t line_len;
    pending queue[PENDING];     /* a ring; the oldest entry is at queue_pos */
    int queue_pos;
    int64_t pairs, pairs_dense, runs_made;
    int status;                 /* first error of a table operation (sticky) */
    int sys_errno;
};

/* ------------------------------------------------------------------ layout */

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Fills weight[1..window] for the unit lcm(1..m); 0 if some count could
 * reach 2^62 (leaving headroom below INT64_MAX). */
static int set_weights(int64_t *weight, int32_t window, int32_t m, int distance_weighting,
                       int symmetric, int64_t max_word_count, int64_t *unit_out)
{
    int64_t unit = 1, per_occurrence = 0, limit = (int64_t)1 << 62;
    int32_t d;
    if (distance_weighting)
        for (d = 2; d <= m; d++)
            unit = unit / gcd64(unit, d) * d;
    weight[0] = 0;
    for (d = 1; d <= window; d++) {
        weight[d] = distance_weighting ? (unit + d / 2) / d : 1;
        per_occurrence += weight[d];
    }
    /* A count gathers at most per_occurrence from each occurrence of its
     * two words (twice that on the diagonal under symmetric counting). */
    per_occurrence *= symmetric ? 2 : 1;
    if (max_word_count > 0 && max_word_count > limit / per_occurrence)
        return 0;
    *unit_out = unit;
    return 1;
}

/* Columns [*begin, *end) of dense row i (*end <= *begin: an empty row).  The
 * one rule for both sizing the block (dense_size_for) and laying it out. */
static void dense_span(int64_t i, int32_t vocab_size, int symmetric, int64_t dense_product,
                       int64_t *begin, int64_t *end)
{
    *end = dense_product / (i + 1);
    if (*end > vocab_size)
        *end = vocab_size;
    *begin = symmetric ? i : 0;
}

int64_t cw2v_cooc_dense_size_for(int32_t vocab_size, int symmetric, int64_t dense_product)
{
    int64_t total = 0, i, end, begin;
    for (i = 0; i < vocab_size; i++) {
        dense_span(i, vocab_size, symmetric, dense_product, &begin, &end);
        if (end <= begin)
            break; /* rows further down are shorter still */
        total += end - begin;
    }
    return total;
}

cw2v_cooc_layout *cw2v_cooc_layout_new(int32_t vocab_size, int32_t window, int symmetric,
                                       int distance_weighting, int64_t dense_product,
                                       int64_t max_word_count, int *status)
{
    cw2v_cooc_layout *layout;
    int32_t m, i;
    int64_t offset = 0, end, begin;
    *status = CW2V_ERR_ARG;
    if (vocab_size < 1 || window < 1 || dense_product < 0 || max_word_count < 0)
        return NULL;
    *status = CW2V_ERR_NOMEM;
    layout = (cw2v_cooc_layout *)calloc(1, sizeof *layout);
    if (layout == NULL)
        return NULL;
    layout->weight = (int64_t *)calloc((size_t)window + 1, sizeof(int64_t));
    layout->rows = (dense_row *)calloc((size_t)vocab_size, sizeof(dense_row));
    if (layout->weight == NULL || layout->rows == NULL) {
        cw2v_cooc_layout_free(layout);
        return NULL;
    }
    layout->vocab_size = vocab_size;
    layout->window = window;
    layout->symmetric = symmetric != 0;
    layout->dense_product = dense_product;
    m = window < MAX_EXACT_WINDOW ? window : MAX_EXACT_WINDOW;
    while (!set_weights(layout->weight, window, m, distance_weighting, layout->symmetric,
                        max_word_count, &layout->unit)) {
        if (m <= MIN_EXACT_WINDOW || m <= 1) {
            *status = CW2V_ERR_ARG; /* counts this large would overflow int64 */
            cw2v_cooc_layout_free(layout);
            return NULL;
        }
        m--;
    }
    for (i = 0; i < vocab_size; i++) {
        dense_span(i, vocab_size, layout->symmetric, dense_product, &begin, &end);
        if (end < begin)
            end = begin; /* empty row: no column is both >= begin and < end */
        layout->rows[i].begin = (int32_t)begin;
        layout->rows[i].end = (int32_t)end;
        layout->rows[i].base = offset - begin;
        offset += end - begin;
    }
    layout->dense_size = offset;
    while (((int64_t)1 << layout->index_bits) < vocab_size)
        layout->index_bits++;
    *status = CW2V_OK;
    return layout;
}

void cw2v_cooc_layout_free(cw2v_cooc_layout *layout)
{
    if (layout == NULL)
        return;
    free(layout->weight);
    free(layout->rows);
    free(layout);
}

int64_t cw2v_cooc_dense_size(const cw2v_cooc_layout *layout) { return layout->dense_size; }

int64_t cw2v_cooc_unit(const cw2v_cooc_layout *layout) { return layout->unit; }

int64_t cw2v_cooc_weight_units(const cw2v_cooc_layout *layout, int32_t distance)
{
    if (distance < 1 || distance > layout->window)
        return 0;
    return layout->weight[distance];
}

/* ------------------------------------------------------------------ table */

static size_t dense_bytes(const cw2v_cooc_layout *layout)
{
    return (size_t)(layout->dense_size > 0 ? layout->dense_size : 1) * sizeof(int64_t);
}

static void table_clear(cw2v_cooc_counter *c)
{
    memset(c->slots, 0xFF, c->n_slots * sizeof(cw2v_cooc_entry)); /* every key EMPTY_KEY */
    c->used = 0;
}

/* Sorts what the table holds into a new run (the free half of the table is
 * the sort's scratch space) and empties it. */
static int table_to_run(cw2v_cooc_counter *c)
{
    size_t i, n = 0;
    cw2v_cooc_entry *sorted;
    int rc;
    for (i = 0; i < c->n_slots; i++)
        if (c->slots[i].key != EMPTY_KEY)
            c->slots[n++] = c->slots[i];
    if (n == 0)
        return CW2V_OK;
    sorted = cw2v_sort_entries(c->slots, c->slots + n, n, c->layout->index_bits);
    if (sorted == NULL)
        return CW2V_ERR_NOMEM;
    rc = cw2v_runs_add(&c->runs, sorted, n, &c->sys_errno);
    for (i = 0; i < n; i++)
        c->run_rows[CW2V_COOC_ROW(sorted[i].key)]++;
    c->runs_made++;
    table_clear(c);
    return rc;
}

static void table_add(cw2v_cooc_counter *c, uint64_t key, int64_t units)
{
    size_t mask = c->n_slots - 1, s = (size_t)((key * GOLDEN) >> c->shift);
    if (c->status != CW2V_OK)
        return; /* after a failure nothing more is counted; the caller reports it */
    for (;;) {
        cw2v_cooc_entry *e = &c->slots[s];
        if (e->key == key) {
            e->units += units;
            return;
        }
        if (e->key == EMPTY_KEY) {
            e->key = key;
            e->units = units;
            if (++c->used == c->n_slots / 2)
                c->status = table_to_run(c);
            return;
        }
        s = (s + 1) & mask;
    }
}

/* ---------------------------------------------------------------- counter */

cw2v_cooc_counter *cw2v_cooc_counter_new(const cw2v_cooc_layout *layout, size_t table_slots,
                                         const char *spill_prefix, int tag)
{
    cw2v_cooc_counter *c = (cw2v_cooc_counter *)calloc(1, sizeof *c);
    int bits = 0;
    if (c == NULL)
        return NULL;
    c->layout = layout;
    if (table_slots < MIN_TABLE_SLOTS)
        table_slots = MIN_TABLE_SLOTS;
    while (((size_t)1 << bits) < table_slots)
        bits++;
    c->n_slots = (size_t)1 << bits;
    c->shift = 64 - bits;
    /* The blocks' pages are only backed by memory once touched. */
    c->dense = (int64_t *)cw2v_big_alloc(dense_bytes(layout));
    c->slots = (cw2v_cooc_entry *)cw2v_big_alloc(c->n_slots * sizeof(cw2v_cooc_entry));
    c->history = (int32_t *)calloc((size_t)layout->window, sizeof(int32_t));
    c->run_rows = (int64_t *)calloc((size_t)layout->vocab_size, sizeof(int64_t));
    if (cw2v_runs_init(&c->runs, spill_prefix, tag) != CW2V_OK || c->dense == NULL
        || c->slots == NULL || c->history == NULL || c->run_rows == NULL) {
        cw2v_cooc_counter_free(c);
        return NULL;
    }
    table_clear(c);
    return c;
}

void cw2v_cooc_counter_free(cw2v_cooc_counter *c)
{
    if (c == NULL)
        return;
    cw2v_runs_free(&c->runs);
    cw2v_big_free(c->dense, dense_bytes(c->layout));
    cw2v_big_free(c->slots, c->n_slots * sizeof(cw2v_cooc_entry));
    free(c->history);
    free(c->run_rows);
    free(c);
}

int cw2v_cooc_sys_errno(const cw2v_cooc_counter *c) { return c->sys_errno; }
int64_t cw2v_cooc_pairs_added(const cw2v_cooc_counter *c) { return c->pairs; }
int64_t cw2v_cooc_pairs_dense(const cw2v_cooc_counter *c) { return c->pairs_dense; }
int64_t cw2v_cooc_runs(const cw2v_cooc_counter *c) { return c->runs_made; }

static void apply(cw2v_cooc_counter *c, const pending *p)
{
    if (p->slot != NULL)
        *p->slot += p->units;
    else
        table_add(c, p->key, p->units);
}

/* Queues an update after asking for its memory; applies the oldest one. */
static inline void defer(cw2v_cooc_counter *c, int64_t *slot, uint64_t key, int64_t units)
{
    pending *p = &c->queue[c->queue_pos];
    cw2v_prefetch_write(slot != NULL ? (void *)slot
                                     : (void *)&c->slots[(size_t)((key * GOLDEN) >> c->shift)]);
    if (p->units != 0)
        apply(c, p);
    p->slot = slot;
    p->key = key;
    p->units = units;
    c->queue_pos = (c->queue_pos + 1) & (PENDING - 1);
}

static void flush_queue(cw2v_cooc_counter *c)
{
    int k;
    for (k = 0; k < PENDING; k++) {
        if (c->queue[k].units != 0)
            apply(c, &c->queue[k]);
        c->queue[k].units = 0;
    }
}

/* X[left, right] += units (and X[right, left] under symmetric counting). */
static inline void add_pair(cw2v_cooc_counter *c, int32_t left, int32_t right, int64_t units)
{
    const cw2v_cooc_layout *layout = c->layout;
    int32_t low = left, high = right;
    if (layout->symmetric && left > right) {
        low = right;
        high = left;
    }
    c->pairs++;
    if (high < layout->rows[low].end) { /* high >= rows[low].begin always holds */
        /* Symmetric: the upper triangle, where both orders of a pair meet
         * (so the diagonal gets both). */
        defer(c, &c->dense[layout->rows[low].base + high], 0,
              layout->symmetric && low == high ? 2 * units : units);
        c->pairs_dense++;
    } else if (layout->symmetric) {
        /* Rare pairs in both orders (a rare diagonal entry gets both). */
        defer(c, NULL, CW2V_COOC_KEY(low, high), units);
        defer(c, NULL, CW2V_COOC_KEY(high, low), units);
    } else {
        defer(c, NULL, CW2V_COOC_KEY(left, right), units);
    }
}

static void line_reset(cw2v_cooc_counter *c)
{
    c->head = 0;
    c->line_len = 0;
}

/* The next id of the line: paired with the up to `window` ids before it. */
static inline void add_token(cw2v_cooc_counter *c, int32_t id)
{
    const int32_t window = c->layout->window;
    const int64_t *weight = c->layout->weight;
    int32_t at = c->head, d, n = c->line_len < window ? (int32_t)c->line_len : window;
    for (d = 1; d <= n; d++) {
        at = at == 0 ? window - 1 : at - 1;
        add_pair(c, c->history[at], id, weight[d]);
    }
    c->history[c->head] = id;
    c->head = c->head + 1 == window ? 0 : c->head + 1;
    c->line_len++;
}

int cw2v_cooc_count_line(cw2v_cooc_counter *c, const int32_t *ids, int64_t n)
{
    int64_t i;
    line_reset(c);
    for (i = 0; i < n; i++)
        add_token(c, ids[i]);
    line_reset(c);
    flush_queue(c);
    return c->status;
}

/* The line open at the end of a range goes on after `from`: pair its first
 * `window` in-vocabulary words with the ids of this range's part of it
 * (the pairs within the next range are that range's own). */
static int count_continuation(cw2v_cooc_counter *c, const cw2v_wordhash *vocab, const char *path,
                              int64_t from)
{
    const int32_t window = c->layout->window;
    const int32_t back_max = c->line_len < window ? (int32_t)c->line_len : window;
    cw2v_reader reader;
    const char *bytes;
    size_t len;
    int32_t m = 0, d, id, at;
    int rc = cw2v_reader_open(&reader, path, from, -1);
    if (rc != CW2V_OK) {
        c->sys_errno = reader.sys_errno;
        return rc;
    }
    while (m < window) {
        rc = cw2v_reader_next_word(&reader, &bytes, &len);
        if (rc != CW2V_TOKEN_WORD)
            break;
        id = cw2v_wordhash_find(vocab, bytes, len);
        if (id < 0)
            continue;
        /* This word sits m in-vocabulary words past the range; the range's
         * word `back` from its end is at distance d = m + back. */
        for (d = m + 1; d <= window && d - m <= back_max; d++) {
            at = c->head - (d - m);
            if (at < 0)
                at += window;
            add_pair(c, c->history[at], id, c->layout->weight[d]);
        }
        m++;
    }
    if (rc < 0)
        c->sys_errno = reader.sys_errno;
    cw2v_reader_close(&reader);
    return rc < 0 ? rc : CW2V_OK;
}

int cw2v_cooc_count_range(cw2v_cooc_counter *c, const cw2v_wordhash *vocab, const char *path,
                          int64_t start, int64_t end, int64_t *tokens, int64_t *lines)
{
    cw2v_reader reader;
    const char *bytes;
    size_t len;
    int32_t id;
    int rc = cw2v_reader_open(&reader, path, start, end);
    if (rc != CW2V_OK) {
        c->sys_errno = reader.sys_errno;
        return rc;
    }
    line_reset(c);
    for (;;) {
        rc = cw2v_reader_next_word(&reader, &bytes, &len);
        if (rc == CW2V_TOKEN_WORD) {
            (*tokens)++;
            id = cw2v_wordhash_find(vocab, bytes, len);
            if (id >= 0)
                add_token(c, id);
        } else if (rc == CW2V_TOKEN_NEWLINE) {
            (*lines)++;
            line_reset(c);
        } else {
            break;
        }
    }
    if (rc < 0)
        c->sys_errno = reader.sys_errno;
    cw2v_reader_close(&reader);
    if (rc >= 0 && c->line_len > 0 && end >= 0)
        rc = count_continuation(c, vocab, path, end);
    line_reset(c);
    flush_queue(c);
    if (rc < 0)
        return rc;
    return c->status;
}

/* ------------------------------------------------------------------ merge */

int cw2v_cooc_reduce(cw2v_cooc_counter **counters, int n)
{
    cw2v_cooc_counter *c0 = counters[0];
    int64_t k, size = c0->layout->dense_size;
    int t, rc;
    for (t = 0; t < n; t++) {
        cw2v_cooc_counter *c = counters[t];
        if (c->status != CW2V_OK)
            return c->status;
        rc = table_to_run(c);
        if (rc != CW2V_OK)
            return rc;
        cw2v_big_free(c->slots, c->n_slots * sizeof(cw2v_cooc_entry));
        c->slots = NULL;
        c->n_slots = 0;
    }
    for (t = 1; t < n; t++) {
        cw2v_cooc_counter *c = counters[t];
        if (c->dense != NULL) {
            for (k = 0; k < size; k++)
                if (c->dense[k] != 0) /* leaves c0's untouched pages unallocated */
                    c0->dense[k] += c->dense[k];
            cw2v_big_free(c->dense, dense_bytes(c->layout));
            c->dense = NULL;
        }
        rc = cw2v_runs_take(&c0->runs, &c->runs);
        if (rc != CW2V_OK)
            return rc;
        for (k = 0; k < c0->layout->vocab_size; k++)
            c0->run_rows[k] += c->run_rows[k];
        c0->pairs += c->pairs;
        c0->pairs_dense += c->pairs_dense;
        c0->runs_made += c->runs_made;
        c->pairs = c->pairs_dense = c->runs_made = 0;
    }
    return cw2v_runs_reduce(&c0->runs, CW2V_COOC_MERGE_FANIN, &c0->sys_errno);
}

/* For each row of the CSR matrix, at most how many entries it holds: its
 * nonzero dense cells (left of the diagonal too, under symmetric counting)
 * plus its entries in the runs (a key in several runs is counted in each). */
static int64_t *row_bounds(const cw2v_cooc_counter *c)
{
    const cw2v_cooc_layout *layout = c->layout;
    int64_t *bound = (int64_t *)malloc((size_t)layout->vocab_size * sizeof(int64_t));
    int32_t i, j;
    if (bound == NULL)
        return NULL;
    memcpy(bound, c->run_rows, (size_t)layout->vocab_size * sizeof(int64_t));
    for (i = 0; i < layout->vocab_size; i++) {
        const int64_t *row = c->dense + layout->rows[i].base;
        for (j = layout->rows[i].begin; j < layout->rows[i].end; j++) {
            if (row[j] != 0) {
                bound[i]++;
                if (layout->symmetric && j != i)
                    bound[j]++;
            }
        }
    }
    return bound;
}

int cw2v_cooc_csr_plan(const cw2v_cooc_counter *c, int n_chunks, int64_t *chunk_rows,
                       int64_t *chunk_room)
{
    const int32_t size = c->layout->vocab_size;
    int64_t *bound, total = 0, done = 0;
    int32_t r = 0;
    int k;
    if (n_chunks < 1)
        return CW2V_ERR_ARG;
    bound = row_bounds(c);
    if (bound == NULL)
        return CW2V_ERR_NOMEM;
    for (r = 0; r < size; r++)
        total += bound[r];
    /* Chunk k ends at the first row where the bounds so far reach k+1 shares. */
    chunk_rows[0] = 0;
    r = 0;
    for (k = 0; k < n_chunks; k++) {
        int64_t room = 1; /* the branch-free fill may write one cell past its last entry */
        while (r < size && (k == n_chunks - 1 || done * n_chunks < total * (k + 1))) {
            done += bound[r];
            room += bound[r];
            r++;
        }
        chunk_rows[k + 1] = r;
        chunk_room[k] = room;
    }
    free(bound);
    return CW2V_OK;
}

/* Appends a dense cell to the CSR arrays, branch-free: a zero is written too
 * but not kept (n only moves past nonzero cells), so the scan of a sparse
 * block never mispredicts, which stalled the column gather. */
#define PUT_DENSE(column, count)                                          \
    do {                                                                  \
        int64_t count_ = (count);                                         \
        if (indices32 != NULL)                                            \
            indices32[n] = (column);                                      \
        else                                                              \
            indices64[n] = (column);                                      \
        data[n] = (double)count_ / unit;                                  \
        n += count_ != 0;                                                 \
    } while (0)

/* Rows of the CSR matrix filled together: their cells left of the diagonal
 * come from the same few entries of each dense row, read at once. */
#define TILE 8
#define GATHER_AHEAD 16 /* dense rows whose line is prefetched ahead */

/* Left of the diagonal, rows r0..r1-1 take column r of the upper triangle:
 * entries r0..r1-1 of each dense row col < r that reaches them, gathered as
 * one short run per row into tile[col][r - r0]. */
static void gather_tile(const cw2v_cooc_counter *c, int32_t r0, int32_t r1, int64_t *tile)
{
    const dense_row *rows = c->layout->rows;
    int64_t limit = c->layout->dense_product / ((int64_t)r0 + 1); /* rows reaching r0 */
    int32_t col, r, k;
    if (limit > r1 - 1)
        limit = r1 - 1;
    for (col = 0; col < limit; col++) {
        int32_t lo = col + 1 > r0 ? col + 1 : r0, hi = rows[col].end < r1 ? rows[col].end : r1;
        /* One line per row, a different one each: ask for them early. */
        if (col + GATHER_AHEAD < limit)
            cw2v_prefetch(&c->dense[rows[col + GATHER_AHEAD].base + r0], 1);
        for (k = 0; k < TILE; k++)
            tile[(int64_t)col * TILE + k] = 0;
        for (r = lo; r < hi; r++)
            tile[(int64_t)col * TILE + (r - r0)] = c->dense[rows[col].base + r];
    }
}

int cw2v_cooc_csr_fill_rows(cw2v_cooc_counter *c, int32_t row_begin, int32_t row_end,
                            int64_t *indptr, void *indices, int index_bytes, double *data,
                            int64_t room, int64_t *nnz, int *sys_errno)
{
    const cw2v_cooc_layout *layout = c->layout;
    const dense_row *rows = layout->rows;
    const double unit = (double)layout->unit;
    int32_t *indices32 = index_bytes == 4 ? (int32_t *)indices : NULL;
    int64_t *indices64 = index_bytes == 8 ? (int64_t *)indices : NULL;
    int64_t n = 0, mirrored, tile_rows = 0, *tile = NULL;
    int32_t r, r0, r1, col;
    cw2v_cooc_entry e;
    int rc, have;
    cw2v_merger *m;
    if (indices32 == NULL && indices64 == NULL)
        return CW2V_ERR_ARG;
    if (layout->symmetric) {
        /* The most rows any tile gathers (see gather_tile). */
        tile_rows = layout->dense_product / ((int64_t)row_begin + 1);
        tile_rows = tile_rows < row_end ? tile_rows : row_end;
        tile = (int64_t *)malloc(((size_t)tile_rows + 1) * TILE * sizeof(int64_t));
        if (tile == NULL)
            return CW2V_ERR_NOMEM;
    }
    m = cw2v_merger_open(&c->runs, CW2V_COOC_KEY(row_begin, 0), &rc, sys_errno);
    if (m == NULL) {
        free(tile);
        return rc;
    }
    have = cw2v_merger_next(m, &e);
    for (r0 = row_begin; r0 < row_end && have >= 0; r0 += TILE) {
        r1 = r0 + TILE < row_end ? r0 + TILE : row_end;
        if (layout->symmetric)
            gather_tile(c, r0, r1, tile);
        for (r = r0; r < r1 && have >= 0; r++) {
            indptr[r] = n;
            if (layout->symmetric) {
                mirrored = layout->dense_product / ((int64_t)r + 1);
                mirrored = mirrored < r ? mirrored : r;
                for (col = 0; col < mirrored; col++)
                    PUT_DENSE(col, tile[(int64_t)col * TILE + (r - r0)]);
            }
            /* No bound check for dense cells: room counts each nonzero one,
             * plus one, and a cell is written at n, which counts only the
             * kept entries. */
            for (col = rows[r].begin; col < rows[r].end; col++)
                PUT_DENSE(col, c->dense[rows[r].base + col]);
            /* The rare columns: right of every dense one. */
            while (have == 1 && CW2V_COOC_ROW(e.key) == r) {
                if (n + 1 >= room) {
                    have = CW2V_ERR_ARG;
                    break;
                }
                if (indices32 != NULL)
                    indices32[n] = CW2V_COOC_COLUMN(e.key);
                else
                    indices64[n] = CW2V_COOC_COLUMN(e.key);
                data[n++] = (double)e.units / unit;
                have = cw2v_merger_next(m, &e);
            }
        }
    }
    cw2v_merger_close(m);
    free(tile);
    *nnz = n;
    return have < 0 ? have : CW2V_OK;
}

int64_t cw2v_cooc_csr_join(int32_t vocab_size, int n_chunks, const int64_t *chunk_rows,
                           const int64_t *chunk_start, const int64_t *chunk_nnz, int64_t *indptr,
                           void *indices, int index_bytes, double *data)
{
    char *index_bytes_at = (char *)indices;
    int64_t at = 0, r;
    int k;
    for (k = 0; k < n_chunks; k++) {
        /* Chunks only move left, so a forward memmove is safe. */
        memmove(index_bytes_at + at * index_bytes, index_bytes_at + chunk_start[k] * index_bytes,
                (size_t)(chunk_nnz[k] * index_bytes));
        memmove(data + at, data + chunk_start[k], (size_t)chunk_nnz[k] * sizeof(double));
        for (r = chunk_rows[k]; r < chunk_rows[k + 1]; r++)
            indptr[r] += at;
        at += chunk_nnz[k];
    }
    indptr[vocab_size] = at;
    return at;
}
