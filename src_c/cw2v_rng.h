/* cw2v_rng.h: the per-thread random generator shared by the C and Cython code.
 *
 * A 64-bit linear congruential generator with word2vec.c's multiplier
 * (state = state * 25214903917 + 11).  Each training thread owns one state
 * word; nothing here is shared, so it is thread-safe as long as no two
 * threads pass the same state pointer.
 *
 * Outputs are the high 32 bits of the state: an LCG modulo 2^64 has short
 * periods in its low bits, so they are never used.
 */
#ifndef CW2V_RNG_H
#define CW2V_RNG_H

#include <stdint.h>

#define CW2V_RNG_MULTIPLIER 25214903917ULL
#define CW2V_RNG_INCREMENT 11ULL

/* Advance the state and return a uniform 32-bit integer. */
static inline uint32_t cw2v_rng_next(uint64_t *state)
{
    *state = *state * CW2V_RNG_MULTIPLIER + CW2V_RNG_INCREMENT;
    return (uint32_t)(*state >> 32);
}

/* Uniform integer in [0, n) by a 32x32->64 multiply (no modulo, no division). */
static inline uint32_t cw2v_rng_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((uint64_t)cw2v_rng_next(state) * (uint64_t)n) >> 32);
}

/* Derive a well-mixed starting state from a user seed and a stream number
 * (for example the index of a batch), so that nearby seeds and streams give
 * unrelated sequences.  This is the splitmix64 finaliser. */
static inline uint64_t cw2v_rng_seed(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif /* CW2V_RNG_H */
