# C API of the text layer (src_c/utf8.h, src_c/wordhash.h, src_c/tokenizer.h),
# for other Cython modules:
#
#     from cw2v._kernels.textfile cimport WordHash, TextWalk, cw2v_reader_open, ...
#
# A module that cimports these functions must compile src_c/tokenizer.c,
# src_c/wordhash.c and src_c/utf8.c into itself (setup.py's EXTRA_C_SOURCES).
# The contracts (ownership, thread safety, error codes) are in the headers.
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
        CW2V_ERR_UTF8
        CW2V_ERR_CALLBACK

    ctypedef struct cw2v_wordhash:
        pass

    const char *cw2v_strerror(int code)
    cw2v_wordhash *cw2v_wordhash_new(size_t expected_words)
    void cw2v_wordhash_free(cw2v_wordhash *h)
    int cw2v_wordhash_insert(cw2v_wordhash *h, const char *bytes, size_t len, int32_t id)
    int32_t cw2v_wordhash_find(const cw2v_wordhash *h, const char *bytes, size_t len)
    int32_t cw2v_wordhash_add_known(cw2v_wordhash *h, const char *bytes, size_t len, int64_t n)
    int cw2v_wordhash_add(cw2v_wordhash *h, const char *bytes, size_t len, int64_t n)
    int cw2v_wordhash_keep(cw2v_wordhash *h, const unsigned char *keep)
    size_t cw2v_wordhash_size(const cw2v_wordhash *h)
    int cw2v_wordhash_get(const cw2v_wordhash *h, size_t i, const char **bytes,
                          size_t *len, int32_t *id, int64_t *count)
    uint64_t cw2v_hash_bytes(const char *bytes, size_t len)


cdef extern from "utf8.h" nogil:
    ctypedef struct cw2v_buffer:
        char *data
        size_t cap

    int cw2v_utf8_valid(const char *bytes, size_t len)
    int cw2v_utf8_valid_from(const char *bytes, size_t len, size_t start)
    size_t cw2v_utf8_replace(const char *bytes, size_t len, char *out)
    size_t CW2V_UTF8_REPLACED_MAX(size_t len)
    int cw2v_buffer_reserve(cw2v_buffer *b, size_t n)
    void cw2v_buffer_free(cw2v_buffer *b)


cdef extern from "tokenizer.h" nogil:
    enum:
        CW2V_READER_BUFFER_SIZE
        CW2V_DEFAULT_MAX_SENTENCE_LENGTH
        CW2V_SKIP
        CW2V_PAUSE
        CW2V_LIMIT
        CW2V_TOKEN_END
        CW2V_TOKEN_WORD
        CW2V_TOKEN_NEWLINE
        CW2V_END_OF_RANGE

    size_t cw2v_last_break(const char *buf, size_t n)

    ctypedef struct cw2v_pieces:
        int64_t max_len
        int by_line
        int64_t words

    int cw2v_pieces_word(cw2v_pieces *p)
    int cw2v_pieces_break(cw2v_pieces *p, int at_end)

    ctypedef struct cw2v_sink:
        int (*word)(void *ctx, const char *bytes, size_t len) noexcept
        int (*sentence_end)(void *ctx) noexcept
        void *ctx

    ctypedef struct cw2v_walk:
        cw2v_pieces pieces
        int stopped
        const char *buf
        size_t len, pos, word_at

    void cw2v_walk_init(cw2v_walk *w, int64_t max_len, int by_line, int64_t line_limit,
                        int64_t word_limit)
    void cw2v_walk_block(cw2v_walk *w, const char *buf, size_t len)
    int cw2v_walk_next(cw2v_walk *w, const cw2v_sink *sink)
    int cw2v_walk_end(cw2v_walk *w, const cw2v_sink *sink)

    int32_t cw2v_find_word(const cw2v_wordhash *vocab, const char *bytes, size_t len, int strict,
                           cw2v_buffer *scratch)

    ctypedef struct cw2v_tally:
        cw2v_wordhash *table
        cw2v_buffer scratch
        int64_t words
        int64_t sentences
        size_t max_words

    ctypedef struct cw2v_counting:
        cw2v_tally *tally
        int strict
        int64_t report_at

    int cw2v_counting_word(void *counting, const char *bytes, size_t len)
    int cw2v_counting_sentence_end(void *counting)
    int cw2v_tally_full(const cw2v_tally *t)

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
    int cw2v_walk_range(cw2v_reader *r, cw2v_pieces *pieces, const cw2v_sink *sink)
    int cw2v_reader_rewind(cw2v_reader *r)
    int64_t cw2v_reader_tell(const cw2v_reader *r)
    void cw2v_reader_close(cw2v_reader *r)
    int cw2v_split_ranges(const char *path, int64_t n, int64_t *bounds_out, int *sys_errno)


cdef class WordHash:
    """Vocabulary word -> id table; `table` is read-only once built and may be
    shared by any number of threads without the GIL."""
    cdef cw2v_wordhash *table


cdef class TextWalk:
    """Feeds the blocks of a text to a sink through the rule (cw2v_walk);
    a subclass sets `sink` and says what a block gives (_take)."""
    cdef cw2v_walk walk
    cdef cw2v_sink sink
    cdef bytes block              # the block being walked, kept alive
    cdef object error             # what a sink callback raised, re-raised by feed()
    cdef int _paused(self) except -1
    cdef list _take(self)
    cdef int _check(self, int rc) except -1


# Python exception for a status code of the C helpers (path names the file).
cdef object status_error(int code, object path, int sys_errno)

# The bytes of a file path for C (TypeError naming the type otherwise).
cdef bytes path_bytes(object path)

# The UTF-8 form of a str word as tables key it (lone surrogates as
# "surrogatepass" writes them): *out points into s or into scratch; returns
# its length.  No copy for an ASCII str.
cdef Py_ssize_t utf8_key(str s, cw2v_buffer *scratch, const char **out) except -1
