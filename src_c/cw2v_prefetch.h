/* cw2v_prefetch.h: ask the CPU to start loading memory that will be used soon.
 *
 * Training is bound by memory latency: the rows of randomly drawn noise
 * words are rarely in cache.  Drawing them some predictions ahead and
 * prefetching their rows overlaps those misses with useful work.  On
 * compilers without __builtin_prefetch this is a no-op.  No state, so it is
 * thread-safe.
 */
#ifndef CW2V_PREFETCH_H
#define CW2V_PREFETCH_H

#include <stddef.h>

#define CW2V_CACHE_LINE 64

/* Prefetch `bytes` bytes from `address` into all cache levels.  For reading:
 * a prefetch for writing takes the lines exclusive, and two threads sharing
 * frequent words' rows then steal them from each other (measured: 2 workers
 * slower than 1 on sg/ns). */
static inline void cw2v_prefetch(const void *address, size_t bytes)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *p = (const char *)address;
    size_t offset;
    for (offset = 0; offset < bytes; offset += CW2V_CACHE_LINE)
        __builtin_prefetch(p + offset, 0, 3);
#else
    (void)address;
    (void)bytes;
#endif
}

/* One line, for writing: only for memory no other thread writes meanwhile
 * (see above), such as a worker's own counter. */
static inline void cw2v_prefetch_write(const void *address)
{
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 1, 3);
#else
    (void)address;
#endif
}

#endif /* CW2V_PREFETCH_H */
