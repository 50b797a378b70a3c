/*
 * phrasefile: word2vec.c's word2phrase tool over files, byte for byte, for
 * `cw2v phrases`.  Two passes: count the words and pairs of a file, then
 * copy it with each pair that scores above the threshold joined by '_'.
 *
 * The rules are word2phrase's, decided once here:
 *   - words are split at ' ', '\t' and '\n'; '\r' is deleted wherever it is;
 *     any other byte belongs to a word.  A word keeps its first 58 bytes and
 *     ends at a NUL byte, if it holds one.  A last word that the file does
 *     not end after (no whitespace follows it) is dropped, in both passes.
 *   - counting: every word, and every pair of consecutive words, across line
 *     ends too, keyed "a_b" cut to 59 bytes.  A word already joined
 *     ("new_york") shares its key with the pair "new" "york".
 *   - copying: each line end is copied; every word is written after ' ', or
 *     after '_' when its pair with the word before (in the same line)
 *     scores above the threshold: (count_ab - min_count) / count_a /
 *     count_b * words in float arithmetic, 0 when any of the three is
 *     missing or counted fewer than min_count times.  A word joined to the
 *     one before cannot be joined to the next.
 *
 * Differences, both in word2phrase's undefined or unspecified corners: its
 * first pair is the first word after a buffer it never initialised (not
 * counted here), and when no word or pair but its "</s>" entry is counted
 * fewer than min_count times it forgets one of the rarest (the C library's
 * qsort decides which; with min_count <= 1 that entry's count is 1 and
 * cannot change the output for a threshold >= 0).
 *
 * Threads: none; each call owns what it opens.  Errors are negative codes.
 */
#ifndef CW2V_PHRASEFILE_H
#define CW2V_PHRASEFILE_H

#include <stdint.h>

#include "phrasecount.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CW2V_W2P_OPEN (-10)   /* a file could not be opened; see *sys_errno */
#define CW2V_W2P_IO (-11)     /* a read or write failed; see *sys_errno */

/* word2phrase's table size bound: it prunes at 70% of 500M entries. */
#define CW2V_W2P_MAX_KEYS ((size_t)350000000)

/* Counts the words and pairs of the file into counts (a table made with
 * cw2v_pc_new(CW2V_W2P_MAX_KEYS)); *words gets the number of words. */
int cw2v_w2p_learn(const char *path, cw2v_pc_table *counts, int64_t *words, int *sys_errno);

/* Writes the file at in_path to out_path with its phrases joined. */
int cw2v_w2p_apply(const char *in_path, const char *out_path, const cw2v_pc_table *counts,
                   int64_t min_count, float threshold, int64_t words, int64_t *joined,
                   int *sys_errno);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_PHRASEFILE_H */
