# C API of the file-mode text reader (src_c/wordhash.h, src_c/tokenizer.h),
# for other Cython modules:
#
#     from cw2v._kernels.textfile cimport WordHash, cw2v_reader, cw2v_reader_open, ...
#
# A module that cimports these functions must compile src_c/tokenizer.c and
# src_c/wordhash.c into itself (setup.py's EXTRA_C_SOURCES).  The contracts
# (ownership, thread safety, error codes) are in the two headers.
from libc.stdint cimport int32_t, int64_t, uint64_t


cdef extern from "wordhash.h" nogil:
    enum:
        CW2V_OK
        CW2V_ERR_NOMEM
        CW2V_ERR_IO
        CW2V_ERR_OPEN
        CW2V_ERR_DUPLICATE
        CW2V_ERR_ARG
        CW2V_ERR_FULL

    ctypedef struct cw2v_wordhash:
        pass

    const char *cw2v_strerror(int code)
    cw2v_wordhash *cw2v_wordhash_new(size_t expected_words)
    void cw2v_wordhash_free(cw2v_wordhash *h)
    int cw2v_wordhash_insert(cw2v_wordhash *h, const char *bytes, size_t len, int32_t id)
    int32_t cw2v_wordhash_find(const cw2v_wordhash *h, const char *bytes, size_t len)
    int cw2v_wordhash_count(cw2v_wordhash *h, const char *bytes, size_t len)
    void cw2v_wordhash_set_max_words(cw2v_wordhash *h, size_t max_words)
    int64_t cw2v_wordhash_prune_rounds(const cw2v_wordhash *h)
    int64_t cw2v_wordhash_prune_floor(const cw2v_wordhash *h)
    int cw2v_wordhash_prune(cw2v_wordhash *h, int64_t floor)
    size_t cw2v_wordhash_size(const cw2v_wordhash *h)
    int cw2v_wordhash_get(const cw2v_wordhash *h, size_t i, const char **bytes,
                          size_t *len, int32_t *id, int64_t *count)
    uint64_t cw2v_hash_bytes(const char *bytes, size_t len)


cdef extern from "tokenizer.h" nogil:
    enum:
        CW2V_READER_BUFFER_SIZE
        CW2V_DEFAULT_MAX_SENTENCE_LENGTH
        CW2V_TOKEN_END
        CW2V_TOKEN_WORD
        CW2V_TOKEN_NEWLINE
        CW2V_END_OF_RANGE

    # Only the public field is declared; Cython takes the size from C.
    ctypedef struct cw2v_reader:
        int sys_errno

    int cw2v_reader_open(cw2v_reader *r, const char *path, int64_t start, int64_t end)
    int cw2v_reader_open_buffered(cw2v_reader *r, const char *path, int64_t start,
                                  int64_t end, size_t buffer_size)
    int cw2v_reader_next_word(cw2v_reader *r, const char **bytes, size_t *len)
    int64_t cw2v_reader_next_sentence(cw2v_reader *r, const cw2v_wordhash *vocab,
                                      int32_t *ids_out, int64_t max_len,
                                      int64_t *raw_tokens_out)
    int cw2v_reader_rewind(cw2v_reader *r)
    int64_t cw2v_reader_tell(const cw2v_reader *r)
    void cw2v_reader_close(cw2v_reader *r)
    int cw2v_split_ranges(const char *path, int64_t n, int64_t *bounds_out, int *sys_errno)
    int cw2v_count_range(const char *path, int64_t start, int64_t end, cw2v_wordhash *counts,
                         int64_t *raw_tokens, int64_t *n_sentences, int *sys_errno)


cdef class WordHash:
    """Vocabulary word -> id table; `table` is read-only once built and may be
    shared by any number of threads without the GIL."""
    cdef cw2v_wordhash *table


# Python exception for a status code of the C helpers (path names the file).
cdef object status_error(int code, object path, int sys_errno)
