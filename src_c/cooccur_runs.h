/*
 * cooccur_runs: sorted runs of (key, units) entries for the pair counter
 * of cooccur.c: sorting, keeping runs in memory or in temporary files, and
 * merging them into one ordered stream of unique keys.
 *
 * An entry's key is (uint64)row << 32 | column; a run holds unique keys in
 * increasing order.  The merge of several runs adds the units of equal
 * keys (int64: exact, so the order of the merge does not matter).
 *
 * Ownership: a run list owns its runs, their memory and their files (a
 * file is deleted when its run is dropped or merged away).  Memory blocks
 * come from cw2v_big_alloc and go back through cw2v_big_free.
 *
 * Threads: a run list is changed by one thread at a time; once complete,
 * any number of mergers (one per thread) may read it at once.  Errors are
 * the CW2V_ERR_* codes of wordhash.h, with errno in *sys_errno when the
 * system failed.
 */
#ifndef CW2V_COOCCUR_RUNS_H
#define CW2V_COOCCUR_RUNS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cw2v_cooc_entry {
    uint64_t key;
    int64_t units;
} cw2v_cooc_entry;

#define CW2V_COOC_ROW(key) ((int32_t)((key) >> 32))
#define CW2V_COOC_COLUMN(key) ((int32_t)(uint32_t)(key))
#define CW2V_COOC_KEY(row, column) (((uint64_t)(uint32_t)(row) << 32) | (uint32_t)(column))

/* Zeroed memory, on Linux from mmap with 2 MB pages requested (the counter
 * touches its blocks at random: with 4 KB pages nearly every update also
 * missed the TLB, measured 1.4x slower).  NULL when out of memory. */
void *cw2v_big_alloc(size_t bytes);
/* Gives back the end of a block beyond `keep` bytes; returns its new size. */
size_t cw2v_big_shrink(void *block, size_t bytes, size_t keep);
void cw2v_big_free(void *block, size_t bytes);

/* Sorts n entries with distinct keys whose rows and columns are below
 * 2^index_bits (an LSD radix sort on those bits).  scratch has room for n
 * entries; the result is in entries or in scratch, whichever is returned
 * (NULL: out of memory for the histograms, entries unchanged). */
cw2v_cooc_entry *cw2v_sort_entries(cw2v_cooc_entry *entries, cw2v_cooc_entry *scratch, size_t n,
                                   int index_bits);

typedef struct cw2v_run {
    cw2v_cooc_entry *entries; /* in memory (a big block of `bytes`), or NULL */
    size_t bytes;
    char *path; /* in a file, or NULL */
    int64_t length;
} cw2v_run;

typedef struct cw2v_run_list {
    cw2v_run *runs;
    size_t n, cap;
    char *spill_prefix; /* NULL: runs stay in memory */
    int tag;
    int64_t next_file;
} cw2v_run_list;

/* An empty list; spill_prefix (copied) names its files spill_prefix +
 * "-<tag>-<n>.bin".  CW2V_OK or CW2V_ERR_NOMEM. */
int cw2v_runs_init(cw2v_run_list *list, const char *spill_prefix, int tag);
void cw2v_runs_free(cw2v_run_list *list);

/* Adds a copy of n sorted entries as a run (a file when the list spills). */
int cw2v_runs_add(cw2v_run_list *list, const cw2v_cooc_entry *sorted, size_t n, int *sys_errno);

/* Moves every run of src to the end of dst (src is left empty). */
int cw2v_runs_take(cw2v_run_list *dst, cw2v_run_list *src);

/* Merges runs in rounds until at most max_runs are left. */
int cw2v_runs_reduce(cw2v_run_list *list, size_t max_runs, int *sys_errno);

/* The merged stream of a list's runs, from their first key >= first_key
 * (a binary search in each run).  Several mergers may read one list at
 * once (each opens its own files). */
typedef struct cw2v_merger cw2v_merger;
cw2v_merger *cw2v_merger_open(const cw2v_run_list *list, uint64_t first_key, int *status,
                              int *sys_errno);
/* The next key with its summed units: 1, 0 at the end, or an error < 0. */
int cw2v_merger_next(cw2v_merger *m, cw2v_cooc_entry *out);
void cw2v_merger_close(cw2v_merger *m);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_COOCCUR_RUNS_H */
