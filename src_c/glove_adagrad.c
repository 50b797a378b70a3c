/* glove_adagrad.c: see glove_adagrad.h. */
#include "glove_adagrad.h"

#include <math.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define DISPATCHED __attribute__((target_clones("avx2", "default")))
#else
#define DISPATCHED
#endif

static inline float clipped(float x, float bound)
{
    return x > bound ? bound : (x < -bound ? -bound : x);
}

DISPATCHED float cw2v_glove_dot(int k, const float *w, const float *c)
{
    /* Eight partial sums in a fixed order: vectorized by the compiler yet the
     * same bits in both versions (one running sum is a chain of k additions
     * that no vector unit may reorder). */
    float part[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, sum;
    int i, j;
    for (i = 0; i + 8 <= k; i += 8)
        for (j = 0; j < 8; j++)
            part[j] += w[i + j] * c[i + j];
    for (; i < k; i++)
        part[i % 8] += w[i] * c[i];
    sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    return sum;
}

DISPATCHED void cw2v_glove_adagrad_rows(int k, float fdiff, float eta, float clip,
                                        float *restrict w, float *restrict c,
                                        float *restrict gw, float *restrict gc)
{
    int i;
    for (i = 0; i < k; i++) {
        float g_w = clipped(fdiff * c[i], clip); /* d cost / d w_i */
        float g_c = clipped(fdiff * w[i], clip); /* d cost / d c_i */
        float acc_w = gw[i] + g_w * g_w;
        float acc_c = gc[i] + g_c * g_c;
        gw[i] = acc_w;
        gc[i] = acc_c;
        w[i] -= eta * g_w / sqrtf(acc_w);
        c[i] -= eta * g_c / sqrtf(acc_c);
    }
}

DISPATCHED void cw2v_glove_stanford_rows(int k, float fdiff, float eta, float clip,
                                         float *restrict w, float *restrict c,
                                         float *restrict gw, float *restrict gc)
{
    int i;
    for (i = 0; i < k; i++) {
        float s_w = clipped(fdiff * c[i], clip) * eta;
        float s_c = clipped(fdiff * w[i], clip) * eta;
        float step_w = s_w / sqrtf(gw[i]);
        float step_c = s_c / sqrtf(gc[i]);
        gw[i] += s_w * s_w;
        gc[i] += s_c * s_c;
        w[i] -= step_w;
        c[i] -= step_c;
    }
}
