/* cw2v_fileoffset.h: 64-bit file offsets, on 32-bit systems too.
 *
 * Corpus files and GloVe's spilled runs can pass 2 GB.  _FILE_OFFSET_BITS
 * makes off_t (fseeko, ftello) 64-bit on 32-bit POSIX systems, and
 * _POSIX_C_SOURCE brings back the fseeko/ftello declarations that -std=c99
 * hides; Windows has its own 64-bit calls.  Both feature macros only work
 * before the first system header, so include this first (after a file's own
 * feature macros, if any).
 */
#ifndef CW2V_FILEOFFSET_H
#define CW2V_FILEOFFSET_H

#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>

#if defined(_WIN32)
#define cw2v_fseek(f, off) _fseeki64((f), (__int64)(off), SEEK_SET)
#define cw2v_fseek_end(f) _fseeki64((f), 0, SEEK_END)
#define cw2v_ftell(f) ((int64_t)_ftelli64(f))
#else
#include <sys/types.h>
#define cw2v_fseek(f, off) fseeko((f), (off_t)(off), SEEK_SET)
#define cw2v_fseek_end(f) fseeko((f), 0, SEEK_END)
#define cw2v_ftell(f) ((int64_t)ftello(f))
/* Fails to compile where the macros above did not make off_t 64-bit. */
typedef char cw2v_off_t_has_64_bits[sizeof(off_t) == 8 ? 1 : -1];
#endif

#endif /* CW2V_FILEOFFSET_H */
