/*
 * glove_adagrad: GloVe's per-pair step on two float32 rows (see
 * cw2v/_kernels/glove.pyx for the model and the two update rules).
 *
 * Every operation is IEEE single precision (products, sums, sqrtf and
 * divisions; no fused multiply-add, no reciprocal estimates).  On x86-64
 * with GCC the functions are also compiled for AVX2 and the loader picks
 * that version when the CPU has it: the step is bound by the throughput of
 * the square roots and divisions, and 8-wide registers halve it.  Both
 * versions give the same bits: the dot product sums in a fixed order.
 *
 * No state: the functions are thread-safe; rows passed together must not
 * overlap (they are rows of distinct matrices).
 */
#ifndef CW2V_GLOVE_ADAGRAD_H
#define CW2V_GLOVE_ADAGRAD_H

#ifdef __cplusplus
extern "C" {
#endif

/* w . c over k entries. */
float cw2v_glove_dot(int k, const float *w, const float *c);

/* The paper's AdaGrad on a word row w and a context row c with their
 * accumulators gw, gc, for the pair's f(X) * diff:
 *   g = clip(fdiff * other row), G += g^2, row -= eta * g / sqrt(G). */
void cw2v_glove_adagrad_rows(int k, float fdiff, float eta, float clip, float *w, float *c,
                             float *gw, float *gc);

/* glove.c's rule: s = eta * clip(fdiff * other row), row -= s / sqrt(G),
 * then G += s^2. */
void cw2v_glove_stanford_rows(int k, float fdiff, float eta, float clip, float *w, float *c,
                              float *gw, float *gc);

#ifdef __cplusplus
}
#endif

#endif /* CW2V_GLOVE_ADAGRAD_H */
