/* cw2v_memory.h: allocations that own whole cache lines.
 *
 * Every per-thread buffer of the training threads is allocated here: aligned
 * to 64 bytes and rounded up to a multiple of 64 bytes, so no two threads'
 * data ever share a cache line.  (Allocated next to each other by malloc,
 * the buffers that each thread writes for every prediction sat on shared
 * lines, and two workers sometimes ran no faster than one: false sharing.)
 * The memory is zeroed.  Free with cw2v_free_lines.  No global state.
 */
#ifndef CW2V_MEMORY_H
#define CW2V_MEMORY_H

#include <stdlib.h>
#include <string.h>

#define CW2V_LINE 64

static inline void *cw2v_alloc_lines(size_t bytes)
{
    void *p = NULL;
    size_t rounded = (bytes + CW2V_LINE - 1) / CW2V_LINE * CW2V_LINE;
    if (rounded == 0)
        rounded = CW2V_LINE;
#if defined(_WIN32)
    p = _aligned_malloc(rounded, CW2V_LINE);
#else
    if (posix_memalign(&p, CW2V_LINE, rounded) != 0)
        p = NULL;
#endif
    if (p != NULL)
        memset(p, 0, rounded);
    return p;
}

static inline void cw2v_free_lines(void *p)
{
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

#endif /* CW2V_MEMORY_H */
