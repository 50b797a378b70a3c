/*
 * cooccur: weighted word-pair counts of a corpus (GloVe's matrix X), in
 * bounded memory.
 *
 * The rule is Stanford GloVe's `cooccur`: a line is a sequence of
 * vocabulary ids (out-of-vocabulary words were dropped before, so they use
 * up no distance); every pair of ids at most `window` apart in one line
 * adds weight(d) to X[left, right], where d is their distance and
 * weight(d) is 1/d (distance weighting) or 1.  Symmetric counting also
 * adds it to X[right, left], so a word paired with itself adds 2 weight(d)
 * to its diagonal entry.  Windows never cross a line end.
 *
 * Exact arithmetic: counts are int64 multiples of 1/unit, where unit is
 * lcm(1..m) for m = min(window, 20) (so 1/d is exact for d <= m; a weight
 * 1/d for d > m is rounded to the nearest multiple of 1/unit, a relative
 * error below 1e-7).  Integer sums do not depend on their order, so the
 * counts are the same whatever the number of threads and however often
 * the counter spilled to disk; they are turned into float64 once, at the
 * end.  m is lowered if max_word_count could overflow int64 (see
 * cw2v_cooc_layout_new).
 *
 * Storage: pairs of frequent words (rank product (i+1)(j+1) <= dense_product,
 * ids being frequency ranks) go to a dense block; the others, through a
 * fixed-size hash table, to sorted runs (cooccur_runs.h): whenever the
 * table is half full it is sorted and kept as a run, in memory or, when a
 * spill prefix is given, in a temporary file.  Under symmetric counting
 * the dense block holds only the upper triangle (i <= j) and the rare
 * pairs are stored in both orders: then each row of the CSR matrix is
 * written in one sequential pass, its dense columns first (those left of
 * the diagonal read down the block's columns), then its rare ones, all
 * further right.  At the end the dense blocks of all counters are summed
 * and the runs merged.
 *
 * Ownership: a layout owns its row table; a counter owns its dense block,
 * table, runs and their temporary files (deleted once merged or when the
 * counter is freed) and points to a layout that must outlive it.
 *
 * Threads: a layout is read-only after creation and may be shared.  A
 * counter is used by one thread at a time; different counters are
 * independent, so each worker thread counts into its own and the merge
 * (cw2v_cooc_reduce and the CSR functions) runs once they are done.  The
 * word table passed to cw2v_cooc_count_range is only read.
 *
 * Errors are the negative CW2V_ERR_* codes of wordhash.h; when one comes
 * from the system the counter's sys_errno holds errno.  Nothing exits.
 */
#ifndef CW2V_COOCCUR_H
#define CW2V_COOCCUR_H

#include <stddef.h>
#include <stdint.h>

#include "cooccur_runs.h"
#include "wordhash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most runs merged at once (open files); more are merged in rounds. */
#define CW2V_COOC_MERGE_FANIN 64

typedef struct cw2v_cooc_layout cw2v_cooc_layout;
typedef struct cw2v_cooc_counter cw2v_cooc_counter;

/* A layout for vocab_size >= 1 words, window >= 1.  dense_product >= 0
 * bounds the dense block (0: no dense block).  max_word_count bounds how
 * often one id occurs in the corpus; the unit is chosen so that no count
 * can overflow.  NULL on bad arguments or no memory (*status says which). */
cw2v_cooc_layout *cw2v_cooc_layout_new(int32_t vocab_size, int32_t window, int symmetric,
                                       int distance_weighting, int64_t dense_product,
                                       int64_t max_word_count, int *status);
void cw2v_cooc_layout_free(cw2v_cooc_layout *layout);

/* Number of int64 entries of a counter's dense block (and of the block for
 * another dense_product, so callers can size it to a memory budget). */
int64_t cw2v_cooc_dense_size(const cw2v_cooc_layout *layout);
int64_t cw2v_cooc_dense_size_for(int32_t vocab_size, int symmetric, int64_t dense_product);

/* 1 / unit is the resolution of the counts; weight(d) in units. */
int64_t cw2v_cooc_unit(const cw2v_cooc_layout *layout);
int64_t cw2v_cooc_weight_units(const cw2v_cooc_layout *layout, int32_t distance);

/* A counter whose table has table_slots slots (rounded up to a power of
 * two, at least 8; 16 bytes each).  spill_prefix NULL: runs stay in
 * memory.  Otherwise they are written to files named spill_prefix +
 * "-<tag>-<n>.bin" (the caller chooses a private directory and distinct
 * tags).  NULL when out of memory. */
cw2v_cooc_counter *cw2v_cooc_counter_new(const cw2v_cooc_layout *layout, size_t table_slots,
                                         const char *spill_prefix, int tag);

/* Frees the counter and deletes its remaining temporary files.  NULL ok. */
void cw2v_cooc_counter_free(cw2v_cooc_counter *counter);

/* errno of the last failed system call, else 0. */
int cw2v_cooc_sys_errno(const cw2v_cooc_counter *counter);

/* Counts one line of n ids (each in [0, vocab_size): not checked here). */
int cw2v_cooc_count_line(cw2v_cooc_counter *counter, const int32_t *ids, int64_t n);

/* Counts the words of the byte range [start, end) of a text file, read by
 * the shared tokenizer (tokenizer.h) and looked up in vocab (words absent
 * from it are dropped).  A line cut by `end` is followed into the next
 * range for the pairs whose left word is in this range, so counting the
 * ranges of any partition of a file gives the counts of the whole file.
 * Adds the words read and the newlines met to *tokens and *lines. */
int cw2v_cooc_count_range(cw2v_cooc_counter *counter, const cw2v_wordhash *vocab,
                          const char *path, int64_t start, int64_t end,
                          int64_t *tokens, int64_t *lines);

/* Pairs added so far, and how many of them went to the dense block. */
int64_t cw2v_cooc_pairs_added(const cw2v_cooc_counter *counter);
int64_t cw2v_cooc_pairs_dense(const cw2v_cooc_counter *counter);
/* Runs written or kept so far (spills, plus the final table). */
int64_t cw2v_cooc_runs(const cw2v_cooc_counter *counter);

/* Ends counting: moves everything of counters[1..n-1] into counters[0]
 * (dense blocks summed and freed, tables turned into runs) and merges runs
 * in rounds until at most CW2V_COOC_MERGE_FANIN are left.  Afterwards only
 * counters[0] is used; the others may be freed. */
int cw2v_cooc_reduce(cw2v_cooc_counter **counters, int n);

/* Writing the CSR matrix, after cw2v_cooc_reduce, in row chunks that
 * threads fill at the same time:
 *
 * cw2v_cooc_csr_plan splits the rows into n_chunks ranges of similar work:
 * chunk k is rows [chunk_rows[k], chunk_rows[k+1]) and needs room for
 * chunk_room[k] entries (an upper bound: duplicates across runs are
 * counted, plus one cell the fill may write past its last entry).
 *
 * cw2v_cooc_csr_fill_rows writes the rows [row_begin, row_end) into arrays
 * with room entries: indices (index_bytes = 4 for int32 or 8 for int64)
 * and data (the counts as float64), columns sorted within each row; it
 * sets indptr[r] for its rows, counted from the start of its arrays, and
 * *nnz.  Calls on disjoint row ranges may run in parallel (each reads the
 * dense block and opens its own run files; errno goes to *sys_errno).
 *
 * cw2v_cooc_csr_join closes the gaps between the chunks, which were filled
 * at offsets chunk_start[k] of the same arrays (in increasing order, each
 * chunk_nnz[k] entries long): it moves them together, makes indptr global
 * (vocab_size + 1 values) and returns the number of entries. */
int cw2v_cooc_csr_plan(const cw2v_cooc_counter *counter, int n_chunks, int64_t *chunk_rows,
                       int64_t *chunk_room);
int cw2v_cooc_csr_fill_rows(cw2v_cooc_counter *counter, int32_t row_begin, int32_t row_end,
                            int64_t *indptr, void *indices, int index_bytes, double *data,
                            int64_t room, int64_t *nnz, int *sys_errno);
int64_t cw2v_cooc_csr_join(int32_t vocab_size, int n_chunks, const int64_t *chunk_rows,
                           const int64_t *chunk_start, const int64_t *chunk_nnz, int64_t *indptr,
                           void *indices, int index_bytes, double *data);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_COOCCUR_H */
