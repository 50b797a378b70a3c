"""Opening files for reading, and writing them atomically: the one place that
decides whether a file is compressed.

Reading
-------
:func:`open_input` opens every file cw2v reads (corpora, vocabulary files,
vector files, evaluation sets) as a binary stream, decompressing it when its
first bytes say it is compressed. The name alone never decides:

=======  ================================================================
gzip     ``1f 8b 08`` (the gzip magic and the deflate method)
bzip2    ``BZh``, a block-size digit ``1``-``9``, then the block magic
         ``31 41 59 26 53 59`` or, for an empty stream, the end-of-stream
         magic ``17 72 45 38 50 90``
xz       ``fd 37 7a 58 5a 00``
=======  ================================================================

So a renamed ``.gz`` is still decompressed, a plain file named ``.gz`` is read
as it is, and a text that merely starts like a magic number (``BZh9 ...``)
is text. Legacy ``.lzma`` (LZMA-alone) files have no magic number: one is
decompressed only when its name ends in ``.lzma`` *and* its header is what an
encoder writes (a valid properties byte, an uncompressed size below 2**38 or
"unknown", and the range coder's zero first byte). Text never passes that
test (it holds no NUL bytes), so a plain file named ``.lzma`` is read as it
is; damage further on is reported like that of any compressed file.

Damaged compressed data (truncated, corrupt, a bad checksum) raises
``ValueError`` naming the file, from whichever read meets it. Pipes and other
streams that cannot seek are read too (the bytes used to recognise the format
are put back in front of the stream).

:func:`require_plain_file` is the check for readers that take the raw bytes of
a file by offset (``corpus_file=``): compressed input is refused with a
message saying what to do instead.

Writing
-------
:func:`atomic_write` writes a file all at once or not at all: a temporary file
beside the target, flushed and fsynced, renamed over the target, then the
folder fsynced. Compression follows the target's suffix (``.gz``, ``.bz2``,
``.xz``, ``.lzma``; gzip with mtime 0, so equal content gives equal bytes).
Files are created with mode 0o666 and the kernel applies the umask, as for
any ``open()``; the umask is never read or changed (that is process-wide
state, not thread-safe). :func:`new_file`, :func:`fsync_directory` and
:func:`hidden_sibling` are the parts, for writers of whole directories.
"""
from __future__ import annotations

import bz2
import contextlib
import errno
import gzip
import io
import lzma
import os
import secrets
import stat
import struct
import zlib
from typing import BinaryIO, Callable, Iterator, Optional, Tuple, TypeVar

__all__ = [
    "detect_compression",
    "open_input",
    "input_size",
    "file_compression",
    "require_plain_file",
    "atomic_write",
    "new_file",
    "fsync_directory",
    "hidden_sibling",
]

_GZIP_MAGIC = b"\x1f\x8b\x08"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_BZIP2_MAGIC = b"BZh"
_BZIP2_BLOCK_MAGIC = b"\x31\x41\x59\x26\x53\x59"  # BCD of pi
_BZIP2_END_MAGIC = b"\x17\x72\x45\x38\x50\x90"  # BCD of sqrt(pi): a stream without blocks
MAGIC_BYTES = 10  # bytes detect_compression needs to tell every format apart

# LZMA-alone: a properties byte (lc + 9 lp + 45 pb < 225), a 4-byte dictionary
# size, an 8-byte uncompressed size (all ones: unknown), then the range coder,
# whose first byte is 0.
_LZMA_HEADER = struct.Struct("<BIQB")
_LZMA_UNKNOWN_SIZE = (1 << 64) - 1
_LZMA_MAX_SIZE = 1 << 38  # xz's own sanity bound on a declared size (256 GiB)
_HEAD_BYTES = max(MAGIC_BYTES, _LZMA_HEADER.size)

_OPENERS = {
    "gzip": lambda source: gzip.GzipFile(fileobj=source, mode="rb"),
    "bzip2": lambda source: bz2.BZ2File(source, "rb"),
    "xz": lambda source: lzma.LZMAFile(source, "rb", format=lzma.FORMAT_XZ),
    "lzma": lambda source: lzma.LZMAFile(source, "rb", format=lzma.FORMAT_ALONE),
}
# What the decompressors raise for bad data. gzip and bzip2 also raise OSError
# without an errno (BadGzipFile, "Invalid data stream"); an OSError with an
# errno is a real I/O error and is passed on as it is.
_DAMAGED_DATA = (EOFError, zlib.error, lzma.LZMAError)
_READ_BUFFER_BYTES = 1 << 16


# --------------------------------------------------------------------------- reading


def detect_compression(head: bytes) -> Optional[str]:
    """``'gzip'``, ``'bzip2'``, ``'xz'`` or None: the format ``head`` starts with.

    ``head`` is the start of a file, at least :data:`MAGIC_BYTES` long unless
    the file is shorter. Legacy ``.lzma`` has no magic number and is never
    reported here (see :func:`open_input`).
    """
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_XZ_MAGIC):
        return "xz"
    if (head.startswith(_BZIP2_MAGIC) and len(head) >= MAGIC_BYTES and 0x31 <= head[3] <= 0x39
            and head[4:10] in (_BZIP2_BLOCK_MAGIC, _BZIP2_END_MAGIC)):
        return "bzip2"
    return None


def _is_lzma_alone_header(head: bytes) -> bool:
    """Whether ``head`` starts with the header an LZMA-alone encoder writes."""
    if len(head) < _LZMA_HEADER.size:
        return False
    properties, _, size, first_coder_byte = _LZMA_HEADER.unpack_from(head)
    return (properties < 225 and first_coder_byte == 0
            and (size == _LZMA_UNKNOWN_SIZE or size < _LZMA_MAX_SIZE))


def open_input(path) -> BinaryIO:
    """Open ``path`` for reading as a binary stream, decompressed if its content is compressed.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        A regular file, or anything ``open()`` reads (a named pipe,
        ``/dev/stdin``, ``/dev/fd/N``).

    Returns
    -------
    A readable binary stream (``read``, ``readinto``, ``readline``,
    iteration by lines) to be closed by the caller (it is a context
    manager). Its attribute ``compression`` is ``'gzip'``, ``'bzip2'``,
    ``'xz'``, ``'lzma'`` or None; see :func:`input_size` for its byte size.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        Naming the file.
    ValueError
        From any read of a compressed file whose data are truncated or
        damaged, naming the file.
    """
    name = os.fsdecode(os.fspath(path))
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no such file", name) from None
    except IsADirectoryError:
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", name) from None
    try:
        head = raw.read(_HEAD_BYTES)
        if raw.seekable():
            raw.seek(0)
            source = raw
        else:  # a pipe: put the bytes read back in front of the rest
            source = io.BufferedReader(_Prefixed(head, raw))
        kind = detect_compression(head)
        if kind is None and name.lower().endswith(".lzma") and _is_lzma_alone_header(head):
            kind = "lzma"
        if kind is None:
            source.compression = None
            return source
        stream = io.BufferedReader(_Decompressed(_OPENERS[kind](source), source, kind, name),
                                   buffer_size=_READ_BUFFER_BYTES)
        stream.compression = kind
        return stream
    except BaseException:
        raw.close()
        raise


def input_size(stream) -> Optional[int]:
    """Size in bytes of what ``stream`` (from :func:`open_input`) yields, when it is known.

    Known only for an uncompressed regular file: None for compressed data,
    pipes and devices (a pipe reports size 0).
    """
    if getattr(stream, "compression", None) is not None:
        return None
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def file_compression(path) -> Optional[str]:
    """The compression :func:`open_input` finds in ``path`` (None: plain). Reads only its first bytes."""
    with open_input(path) as stream:
        return stream.compression


def require_plain_file(path, what: str = "corpus_file") -> str:
    """``path`` as a str if it is an uncompressed regular file; for readers that seek in the raw bytes.

    Raises FileNotFoundError or IsADirectoryError naming the file, and
    ValueError for a compressed file (saying to decompress it or to stream it
    through ``LineSentence``) or for a pipe or device (which cannot be read
    by byte ranges). ``what`` names the argument in the messages.
    """
    name = os.fsdecode(os.fspath(path))
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"{what}: no such file", name) from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{what} is a directory, not a file", name)
    if not stat.S_ISREG(info.st_mode):  # checked before opening: opening a FIFO would wait for a writer
        raise ValueError(f"{what} {name!r} is not a regular file (a pipe or device?); file mode reads "
                         f"byte ranges of a file on disk. Pass LineSentence({name!r}) as the corpus instead")
    kind = file_compression(name)
    if kind is not None:
        raise ValueError(f"{what} {name!r} is {kind}-compressed; file mode reads plain text only. "
                         f"Decompress it, or pass LineSentence({name!r}) as the corpus instead")
    return name


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = memoryview(head)
        self._rest = rest
        self.name = getattr(rest, "name", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._rest.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            try:
                self._rest.close()
            finally:
                super().close()


class _Decompressed(io.RawIOBase):
    """A decompressor's output, with damaged data reported as ValueError naming the file.

    Closing it closes the decompressor and the file under it.
    """

    def __init__(self, decompressor: BinaryIO, source: BinaryIO, kind: str, name: str):
        self._decompressor = decompressor
        self._source = source
        self._kind = kind
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._checked(self._decompressor.readinto, buffer)

    def readall(self) -> bytes:
        return self._checked(self._decompressor.read)

    def _checked(self, read, *args):
        try:
            return read(*args)
        except _DAMAGED_DATA as err:
            raise self._damaged(err) from None
        except OSError as err:
            if err.errno is not None:
                raise
            raise self._damaged(err) from None

    def _damaged(self, err: Exception) -> ValueError:
        return ValueError(f"{self.name}: cannot decompress: {err or type(err).__name__}; the "
                          f"{self._kind} data are truncated or damaged")

    def close(self) -> None:
        if not self.closed:
            try:
                self._decompressor.close()
            finally:
                try:
                    self._source.close()
                finally:
                    super().close()


# --------------------------------------------------------------------------- writing

_T = TypeVar("_T")
# O_CLOEXEC: a subprocess started meanwhile must not inherit the descriptor.
_NEW_FILE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL
                   | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def hidden_sibling(path, tag: str, create: Callable[[str], _T]) -> Tuple[str, _T]:
    """Create a fresh hidden name ``.<name>.<random>.<tag>`` beside ``path``.

    ``create(candidate)`` makes it (e.g. ``os.mkdir``) and must raise
    FileExistsError when the name is taken; another random name is tried
    then. Returns the name and what ``create`` returned.
    """
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    for _ in range(100):
        candidate = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.{tag}")
        try:
            return candidate, create(candidate)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name after 100 tries", directory)


def _create_exclusively(path: str) -> int:
    # Mode 0o666: the kernel applies the umask, as it does for open(path, "w").
    return os.open(path, _NEW_FILE_FLAGS, 0o666)


@contextlib.contextmanager
def _synced(fd: int) -> Iterator[BinaryIO]:
    """The file of descriptor ``fd``, flushed and fsynced if the block succeeds, then closed."""
    with os.fdopen(fd, "wb") as out:
        yield out
        out.flush()
        os.fsync(out.fileno())


@contextlib.contextmanager
def new_file(path) -> Iterator[BinaryIO]:
    """Create ``path`` (it must not exist) for binary writing; fsynced when the block succeeds.

    Permissions as ``open(path, 'wb')`` gives a new file. The caller removes
    the file if the block fails and fsyncs the folder (:func:`fsync_directory`).
    """
    with _synced(_create_exclusively(os.fspath(path))) as out:
        yield out


def fsync_directory(path) -> None:
    """Make the creations and renames in directory ``path`` durable (POSIX; a no-op elsewhere)."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a directory
        return
    fd = os.open(os.fspath(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP):  # a filesystem that cannot sync folders
            raise
    finally:
        os.close(fd)


def _compression_for(path: str) -> Optional[str]:
    lower = path.lower()
    for suffix, kind in ((".gz", "gzip"), (".bz2", "bzip2"), (".xz", "xz"), (".lzma", "lzma")):
        if lower.endswith(suffix):
            return kind
    return None


@contextlib.contextmanager
def _compressing(raw: BinaryIO, kind: Optional[str]) -> Iterator[BinaryIO]:
    """``raw`` itself, or a compressor writing into it (closed on exit, ``raw`` left open)."""
    if kind is None:
        yield raw
        return
    if kind == "gzip":
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
    elif kind == "bzip2":
        out = bz2.BZ2File(raw, "wb")
    else:
        out = lzma.LZMAFile(raw, "wb", format=lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)
    with out:
        yield out


@contextlib.contextmanager
def atomic_write(path) -> Iterator[BinaryIO]:
    """Write ``path`` all at once: ``with atomic_write(path) as out: out.write(data)``.

    Yields a binary file object. The bytes go to a temporary file beside
    ``path``, compressed as its suffix says (``.gz``, ``.bz2``, ``.xz``,
    ``.lzma``, any case); when the block ends without error the file is
    flushed, fsynced and renamed over ``path``, and the folder is fsynced.
    If the block (or the writing) fails, the temporary file is removed and
    an existing ``path`` is untouched.

    Permissions are what ``open(path, 'wb')`` gives: an existing file's
    permission bits are kept, a new file gets 0o666 less the umask.
    """
    target = os.fspath(path)
    try:
        old_mode = os.stat(target).st_mode
    except OSError:
        old_mode = None
    tmp, fd = hidden_sibling(target, "tmp", _create_exclusively)
    try:
        with _synced(fd) as raw:
            if old_mode is not None and stat.S_ISREG(old_mode):
                os.chmod(tmp, stat.S_IMODE(old_mode) & 0o777)
            with _compressing(raw, _compression_for(target)) as out:
                yield out
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_directory(os.path.dirname(tmp))
