/* cw2v_atomic.h: a counter that several training threads bump at once.
 *
 * Used for the count of merges of the per-thread copies of the hot tree
 * nodes (see common.pxd): a thread bumps it once per merge, every few
 * thousand words, so relaxed ordering is enough.  The counter is owned by
 * the Trainer; these functions are thread-safe on any aligned int64_t.
 */
#ifndef CW2V_ATOMIC_H
#define CW2V_ATOMIC_H

#include <stdint.h>

#if defined(_MSC_VER)
#include <intrin.h>
#endif

/* Adds 1 to *counter; returns the value before the addition. */
static inline int64_t cw2v_atomic_increment(int64_t *counter)
{
#if defined(_MSC_VER)
    return _InterlockedExchangeAdd64((volatile long long *)counter, 1);
#else
    return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
#endif
}

static inline int64_t cw2v_atomic_read(const int64_t *counter)
{
#if defined(_MSC_VER)
    return *(const volatile long long *)counter;
#else
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
#endif
}

#endif /* CW2V_ATOMIC_H */
