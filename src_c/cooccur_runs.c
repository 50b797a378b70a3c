/* cooccur_runs.c: see cooccur_runs.h. */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* mmap, madvise */
#endif
#include "cw2v_fileoffset.h" /* run files can pass 2 GB; before any system header */

#include "cooccur_runs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wordhash.h" /* status codes */

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define READ_BUFFER_ENTRIES 8192 /* 128 KB per run being merged */

#define MAX_DIGIT_BITS 12        /* radix buckets: 4096 write streams fit in L2 */

/* ------------------------------------------------------------ big blocks */

void *cw2v_big_alloc(size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
#if defined(__linux__)
    {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
        return p;
    }
#else
    return calloc(bytes, 1);
#endif
}

size_t cw2v_big_shrink(void *block, size_t bytes, size_t keep)
{
#if defined(__linux__)
    size_t page = (size_t)1 << 12, kept = (keep + page - 1) / page * page;
    if (kept == 0)
        kept = page;
    if (kept < bytes && munmap((char *)block + kept, bytes - kept) == 0)
        return kept;
    return bytes;
#else
    (void)block;
    (void)keep;
    return bytes; /* a realloc could move it: keep it whole */
#endif
}

void cw2v_big_free(void *block, size_t bytes)
{
    if (block == NULL)
        return;
#if defined(__linux__)
    munmap(block, bytes == 0 ? 1 : bytes);
#else
    (void)bytes;
    free(block);
#endif
}

/* ---------------------------------------------------------------- sorting */

cw2v_cooc_entry *cw2v_sort_entries(cw2v_cooc_entry *entries, cw2v_cooc_entry *scratch, size_t n,
                                   int index_bits)
{
    /* The sort key packs row and column into 2 * index_bits bits. */
    const uint64_t column_mask = ((uint64_t)1 << index_bits) - 1;
    int total_bits = 2 * index_bits, passes, digit_bits, p;
    size_t buckets, i, *counts;
    cw2v_cooc_entry *src = entries, *dst = scratch, *t;
    passes = (total_bits + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS;
    if (passes < 1)
        passes = 1;
    digit_bits = (total_bits + passes - 1) / passes;
    buckets = (size_t)1 << digit_bits;
    if (n < 2)
        return entries;
    counts = (size_t *)calloc((size_t)passes * buckets, sizeof(size_t));
    if (counts == NULL)
        return NULL;
#define PACKED(key) ((((key) >> 32) << index_bits) | ((key) & column_mask))
    for (i = 0; i < n; i++) { /* every pass's histogram in one read */
        uint64_t packed = PACKED(entries[i].key);
        for (p = 0; p < passes; p++)
            counts[(size_t)p * buckets + ((packed >> (p * digit_bits)) & (buckets - 1))]++;
    }
    for (p = 0; p < passes; p++) {
        size_t *count = counts + (size_t)p * buckets, sum = 0, b;
        int shift = p * digit_bits;
        for (b = 0; b < buckets; b++) {
            size_t c = count[b];
            if (c == n)
                break; /* one bucket holds everything: the pass would change nothing */
            count[b] = sum;
            sum += c;
        }
        if (b < buckets)
            continue;
        for (i = 0; i < n; i++)
            dst[count[(PACKED(src[i].key) >> shift) & (buckets - 1)]++] = src[i];
        t = src;
        src = dst;
        dst = t;
    }
#undef PACKED
    free(counts);
    return src;
}

/* ------------------------------------------------------------------ runs */

int cw2v_runs_init(cw2v_run_list *list, const char *spill_prefix, int tag)
{
    memset(list, 0, sizeof *list);
    list->tag = tag;
    if (spill_prefix != NULL) {
        list->spill_prefix = (char *)malloc(strlen(spill_prefix) + 1);
        if (list->spill_prefix == NULL)
            return CW2V_ERR_NOMEM;
        strcpy(list->spill_prefix, spill_prefix);
    }
    return CW2V_OK;
}

static void drop_run(cw2v_run *r)
{
    cw2v_big_free(r->entries, r->bytes);
    if (r->path != NULL) {
        remove(r->path);
        free(r->path);
    }
    memset(r, 0, sizeof *r);
}

void cw2v_runs_free(cw2v_run_list *list)
{
    size_t i;
    for (i = 0; i < list->n; i++)
        drop_run(&list->runs[i]);
    free(list->runs);
    free(list->spill_prefix);
    memset(list, 0, sizeof *list);
}

static int append(cw2v_run_list *list, const cw2v_run *r)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 16;
        cw2v_run *grown = (cw2v_run *)realloc(list->runs, cap * sizeof(cw2v_run));
        if (grown == NULL)
            return CW2V_ERR_NOMEM;
        list->runs = grown;
        list->cap = cap;
    }
    list->runs[list->n++] = *r;
    return CW2V_OK;
}

/* A new, empty run of the list: a file opened for writing, or a block for
 * up to capacity entries.  *out gets the open file (or NULL). */
static int new_run(cw2v_run_list *list, size_t capacity, cw2v_run *r, FILE **out, int *sys_errno)
{
    memset(r, 0, sizeof *r);
    *out = NULL;
    if (list->spill_prefix == NULL) {
        r->bytes = capacity * sizeof(cw2v_cooc_entry);
        r->entries = (cw2v_cooc_entry *)cw2v_big_alloc(r->bytes);
        return r->entries != NULL ? CW2V_OK : CW2V_ERR_NOMEM;
    }
    {
        size_t size = strlen(list->spill_prefix) + 64;
        r->path = (char *)malloc(size);
        if (r->path == NULL)
            return CW2V_ERR_NOMEM;
        snprintf(r->path, size, "%s-%d-%lld.bin", list->spill_prefix, list->tag,
                 (long long)list->next_file++);
    }
    *out = fopen(r->path, "wb");
    if (*out == NULL) {
        *sys_errno = errno;
        free(r->path);
        r->path = NULL;
        return CW2V_ERR_OPEN;
    }
    return CW2V_OK;
}

/* Appends n entries to a run being written. */
static int run_write(cw2v_run *r, FILE *out, const cw2v_cooc_entry *entries, size_t n,
                     int *sys_errno)
{
    if (out == NULL) {
        memcpy(r->entries + r->length, entries, n * sizeof *entries);
    } else if (fwrite(entries, sizeof *entries, n, out) != n) {
        *sys_errno = errno;
        return CW2V_ERR_IO;
    }
    r->length += (int64_t)n;
    return CW2V_OK;
}

/* Closes a run being written; on success it joins the list, else it is dropped. */
static int run_close(cw2v_run_list *list, cw2v_run *r, FILE *out, int rc, int *sys_errno)
{
    if (out != NULL && fclose(out) != 0 && rc == CW2V_OK) {
        *sys_errno = errno;
        rc = CW2V_ERR_IO;
    }
    if (rc == CW2V_OK && r->entries != NULL)
        r->bytes = cw2v_big_shrink(r->entries, r->bytes,
                                   (size_t)r->length * sizeof(cw2v_cooc_entry));
    if (rc == CW2V_OK)
        rc = append(list, r);
    if (rc != CW2V_OK)
        drop_run(r);
    return rc;
}

int cw2v_runs_add(cw2v_run_list *list, const cw2v_cooc_entry *sorted, size_t n, int *sys_errno)
{
    cw2v_run r;
    FILE *out;
    int rc = new_run(list, n, &r, &out, sys_errno);
    if (rc != CW2V_OK)
        return rc;
    rc = run_write(&r, out, sorted, n, sys_errno);
    return run_close(list, &r, out, rc, sys_errno);
}

int cw2v_runs_take(cw2v_run_list *dst, cw2v_run_list *src)
{
    size_t i;
    int rc = CW2V_OK;
    for (i = 0; i < src->n; i++) {
        if (rc == CW2V_OK)
            rc = append(dst, &src->runs[i]);
        if (rc != CW2V_OK)
            drop_run(&src->runs[i]);
    }
    src->n = 0;
    return rc;
}

/* ----------------------------------------------------------------- merge */

/* Reads a run in order, from memory or from its file through a buffer. */
typedef struct cursor {
    const cw2v_cooc_entry *entries;
    int64_t pos, len, left; /* position in entries[0, len); entries still in the file */
    FILE *file;
    cw2v_cooc_entry *buffer;
} cursor;

/* The heap holds each live cursor's current key, so that comparisons read
 * one array (the merge spent its time chasing cursor pointers). */
typedef struct heap_item {
    uint64_t key;
    int cursor;
} heap_item;

struct cw2v_merger {
    cursor *cursors;
    heap_item *heap; /* smallest key first */
    int n, heap_len;
    int *sys_errno;
};

static int cursor_refill(cursor *cur, int *sys_errno)
{
    size_t want = cur->left < READ_BUFFER_ENTRIES ? (size_t)cur->left : READ_BUFFER_ENTRIES;
    if (fread(cur->buffer, sizeof(cw2v_cooc_entry), want, cur->file) != want) {
        *sys_errno = ferror(cur->file) ? errno : 0;
        return CW2V_ERR_IO;
    }
    cur->entries = cur->buffer;
    cur->pos = 0;
    cur->len = (int64_t)want;
    cur->left -= (int64_t)want;
    return CW2V_OK;
}

/* Reads the key of entry i of a run file; UINT64_MAX on error (*rc set). */
static uint64_t file_key_at(FILE *file, int64_t i, int *rc, int *sys_errno)
{
    cw2v_cooc_entry e;
    if (cw2v_fseek(file, i * (int64_t)sizeof e) != 0 || fread(&e, sizeof e, 1, file) != 1) {
        *sys_errno = errno;
        *rc = CW2V_ERR_IO;
        return UINT64_MAX;
    }
    return e.key;
}

/* Opens a cursor on the first entry of the run whose key is >= first_key. */
static int cursor_open(cursor *cur, const cw2v_run *r, uint64_t first_key, int *sys_errno)
{
    int64_t low = 0, high = r->length, mid;
    int rc = CW2V_OK;
    memset(cur, 0, sizeof *cur);
    if (r->path == NULL) {
        while (low < high) { /* lower bound */
            mid = low + (high - low) / 2;
            if (r->entries[mid].key < first_key)
                low = mid + 1;
            else
                high = mid;
        }
        cur->entries = r->entries + low;
        cur->len = r->length - low;
        return CW2V_OK;
    }
    cur->file = fopen(r->path, "rb");
    if (cur->file == NULL) {
        *sys_errno = errno;
        return CW2V_ERR_OPEN;
    }
    while (first_key > 0 && low < high && rc == CW2V_OK) {
        mid = low + (high - low) / 2;
        if (file_key_at(cur->file, mid, &rc, sys_errno) < first_key)
            low = mid + 1;
        else
            high = mid;
    }
    if (rc != CW2V_OK)
        return rc;
    if (cw2v_fseek(cur->file, low * (int64_t)sizeof(cw2v_cooc_entry)) != 0) {
        *sys_errno = errno;
        return CW2V_ERR_IO;
    }
    cur->buffer = (cw2v_cooc_entry *)malloc(READ_BUFFER_ENTRIES * sizeof(cw2v_cooc_entry));
    if (cur->buffer == NULL)
        return CW2V_ERR_NOMEM;
    cur->left = r->length - low;
    return cur->left > 0 ? cursor_refill(cur, sys_errno) : CW2V_OK;
}

static void cursor_close(cursor *cur)
{
    if (cur->file != NULL)
        fclose(cur->file);
    free(cur->buffer);
    memset(cur, 0, sizeof *cur);
}

/* Moves to the next entry: 1 if there is one, 0 at the end, < 0 error. */
static int cursor_advance(cursor *cur, int *sys_errno)
{
    int rc;
    if (++cur->pos < cur->len)
        return 1;
    if (cur->left == 0)
        return 0;
    rc = cursor_refill(cur, sys_errno);
    return rc == CW2V_OK ? 1 : rc;
}

static void sift_down(cw2v_merger *m, int k)
{
    heap_item moving = m->heap[k];
    for (;;) {
        int child = 2 * k + 1;
        if (child >= m->heap_len)
            break;
        if (child + 1 < m->heap_len && m->heap[child + 1].key < m->heap[child].key)
            child++;
        if (moving.key <= m->heap[child].key)
            break;
        m->heap[k] = m->heap[child];
        k = child;
    }
    m->heap[k] = moving;
}

void cw2v_merger_close(cw2v_merger *m)
{
    int i;
    if (m == NULL)
        return;
    for (i = 0; i < m->n; i++)
        cursor_close(&m->cursors[i]);
    free(m->cursors);
    free(m->heap);
    free(m);
}

static cw2v_merger *merger_of(const cw2v_run *runs, int n, uint64_t first_key, int *status,
                              int *sys_errno)
{
    cw2v_merger *m = (cw2v_merger *)calloc(1, sizeof *m);
    int i;
    *status = CW2V_ERR_NOMEM;
    if (m == NULL)
        return NULL;
    m->sys_errno = sys_errno;
    m->cursors = (cursor *)calloc((size_t)(n > 0 ? n : 1), sizeof(cursor));
    m->heap = (heap_item *)malloc((size_t)(n > 0 ? n : 1) * sizeof(heap_item));
    if (m->cursors == NULL || m->heap == NULL) {
        cw2v_merger_close(m);
        return NULL;
    }
    m->n = n;
    for (i = 0; i < n; i++) {
        *status = cursor_open(&m->cursors[i], &runs[i], first_key, sys_errno);
        if (*status != CW2V_OK) {
            cw2v_merger_close(m);
            return NULL;
        }
        if (m->cursors[i].len > 0) {
            m->heap[m->heap_len].key = m->cursors[i].entries[0].key;
            m->heap[m->heap_len++].cursor = i;
        }
    }
    for (i = m->heap_len / 2 - 1; i >= 0; i--)
        sift_down(m, i);
    *status = CW2V_OK;
    return m;
}

cw2v_merger *cw2v_merger_open(const cw2v_run_list *list, uint64_t first_key, int *status,
                              int *sys_errno)
{
    return merger_of(list->runs, (int)list->n, first_key, status, sys_errno);
}

int cw2v_merger_next(cw2v_merger *m, cw2v_cooc_entry *out)
{
    if (m->heap_len == 0)
        return 0;
    out->key = m->heap[0].key;
    out->units = 0;
    while (m->heap_len > 0 && m->heap[0].key == out->key) {
        cursor *cur = &m->cursors[m->heap[0].cursor];
        int rc;
        out->units += cur->entries[cur->pos].units;
        rc = cursor_advance(cur, m->sys_errno);
        if (rc < 0)
            return rc;
        if (rc == 0)
            m->heap[0] = m->heap[--m->heap_len];
        else
            m->heap[0].key = cur->entries[cur->pos].key;
        sift_down(m, 0);
    }
    return 1;
}

/* Merges runs [0, k) of the list into one run that takes their place. */
static int merge_round(cw2v_run_list *list, size_t k, int *sys_errno)
{
    cw2v_merger *m;
    cw2v_cooc_entry buffer[512], e;
    cw2v_run merged;
    FILE *out;
    size_t i, n_buffer = 0, capacity = 0;
    int rc, got = 0;
    for (i = 0; i < k; i++)
        capacity += (size_t)list->runs[i].length; /* the merge has at most this many keys */
    rc = new_run(list, capacity, &merged, &out, sys_errno);
    if (rc != CW2V_OK)
        return rc;
    m = merger_of(list->runs, (int)k, 0, &rc, sys_errno);
    while (m != NULL && rc == CW2V_OK && (got = cw2v_merger_next(m, &e)) == 1) {
        buffer[n_buffer++] = e;
        if (n_buffer == sizeof buffer / sizeof buffer[0]) {
            rc = run_write(&merged, out, buffer, n_buffer, sys_errno);
            n_buffer = 0;
        }
    }
    if (got < 0)
        rc = got;
    if (rc == CW2V_OK)
        rc = run_write(&merged, out, buffer, n_buffer, sys_errno);
    cw2v_merger_close(m);
    if (out != NULL && fclose(out) != 0 && rc == CW2V_OK) {
        *sys_errno = errno;
        rc = CW2V_ERR_IO;
    }
    if (rc != CW2V_OK) {
        drop_run(&merged);
        return rc;
    }
    if (merged.entries != NULL)
        merged.bytes = cw2v_big_shrink(merged.entries, merged.bytes,
                                       (size_t)merged.length * sizeof(cw2v_cooc_entry));
    for (i = 0; i < k; i++)
        drop_run(&list->runs[i]);
    list->runs[0] = merged;
    memmove(&list->runs[1], &list->runs[k], (list->n - k) * sizeof(cw2v_run));
    list->n -= k - 1;
    return CW2V_OK;
}

int cw2v_runs_reduce(cw2v_run_list *list, size_t max_runs, int *sys_errno)
{
    int rc;
    if (max_runs < 2)
        max_runs = 2;
    while (list->n > max_runs) {
        rc = merge_round(list, max_runs, sys_errno);
        if (rc != CW2V_OK)
            return rc;
    }
    return CW2V_OK;
}
