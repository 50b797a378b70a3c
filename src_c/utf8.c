/* utf8: see utf8.h for the contract. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include "wordhash.h"

/* The sequence at p[0..n): its length (1-4) when it is well-formed, else
 * minus the length of its maximal subpart (the lead byte and the
 * continuation bytes that could still have completed it), which one U+FFFD
 * replaces.  Table 3-7 of the Unicode Standard: the second byte's range
 * depends on the lead (E0: A0-BF, ED: 80-9F, F0: 90-BF, F4: 80-8F). */
static int sequence(const unsigned char *p, size_t n)
{
    const unsigned char lead = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    int need, i;
    if (lead < 0x80) return 1;
    if (lead < 0xC2) return -1;          /* a continuation byte, or an overlong lead */
    if (lead < 0xE0) {
        need = 2;
    } else if (lead < 0xF0) {
        need = 3;
        if (lead == 0xE0) lo = 0xA0;     /* overlong */
        if (lead == 0xED) hi = 0x9F;     /* surrogates */
    } else if (lead < 0xF5) {
        need = 4;
        if (lead == 0xF0) lo = 0x90;     /* overlong */
        if (lead == 0xF4) hi = 0x8F;     /* past U+10FFFF */
    } else {
        return -1;
    }
    for (i = 1; i < need; i++) {
        if ((size_t)i >= n || p[i] < lo || p[i] > hi) return -i;
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

int cw2v_utf8_valid_from(const char *bytes, size_t len, size_t from)
{
    const unsigned char *p = (const unsigned char *)bytes;
    size_t i = from;
    while (i < len) {
        int k;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = sequence(p + i, len - i);
        if (k < 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

size_t cw2v_utf8_replace(const char *bytes, size_t len, char *out)
{
    const unsigned char *p = (const unsigned char *)bytes;
    size_t i = 0, o = 0;
    while (i < len) {
        const int k = sequence(p + i, len - i);
        if (k > 0) {
            memcpy(out + o, p + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);  /* U+FFFD */
            o += 3;
            i += (size_t)-k;
        }
    }
    return o;
}

int cw2v_buffer_reserve(cw2v_buffer *b, size_t n)
{
    char *data;
    size_t cap;
    if (n <= b->cap) return CW2V_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < n) {
        if (cap > ((size_t)-1) / 2) return CW2V_ERR_NOMEM;
        cap *= 2;
    }
    data = (char *)realloc(b->data, cap);
    if (!data) return CW2V_ERR_NOMEM;
    b->data = data;
    b->cap = cap;
    return CW2V_OK;
}

void cw2v_buffer_free(cw2v_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->cap = 0;
}
