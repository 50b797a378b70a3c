"""``cw2v phrases``: word2vec.c's word2phrase, with its flags and its output bytes.

    cw2v phrases -train text.txt -output text-phrase.txt -threshold 200
    cw2v phrases -train text-phrase.txt -output text-phrase2.txt -threshold 100

The second run joins pairs whose words may already be phrases, giving
phrases of three and four words, as word2phrase's demo does.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import shutil
import sys
import tempfile

from cw2v._kernels.phrases import word2phrase
from cw2v.cli import _number, _require_file, _require_writable

DESCRIPTION = (
    "Join the pairs of words that form phrases (\"new york\" -> \"new_york\"), as word2vec.c's "
    "word2phrase does: the same flags, defaults and output bytes.  A pair is joined when "
    "(count(a b) - min_count) / count(a) / count(b) * words > threshold.  Run the output "
    "through it again for phrases of more words.")
EPILOG = ("example:\n  cw2v phrases -train text8 -output text8-phrase -threshold 200\n"
          "  cw2v phrases -train text8-phrase -output text8-phrase2 -threshold 100\n\n"
          "word2phrase's rules: words are split at spaces, tabs and line ends ('\\r' is\n"
          "deleted); a word keeps its first 58 bytes; the output has one space (or '_')\n"
          "before every word and keeps the line ends.  Compressed input (.gz, .bz2, .xz)\n"
          "is decompressed to a temporary file first.  Progress goes to stderr.")


def register(command) -> None:
    parser = command("phrases", run, "join phrases into single tokens (word2phrase)",
                     DESCRIPTION, epilog=EPILOG)

    def flag(name, **kw):
        parser.add_argument(f"-{name}", f"--{name}", **kw)

    flag("train", required=True, metavar="FILE", help="text to read")
    flag("output", required=True, metavar="FILE", help="write the text with phrases joined here")
    flag("min-count", dest="min_count", type=_number(int, 0), default=5, metavar="INT",
         help="ignore words and pairs seen fewer times (default 5)")
    flag("threshold", type=_number(float, float("-inf")), default=100.0, metavar="FLOAT",
         help="join pairs scoring above this; higher means fewer phrases (default 100)")
    flag("debug", type=_number(int, 0), default=2, metavar="INT",
         help="0: quiet, 1 or more: counts on stderr (default 2)")


def _decompressor(path: str):
    """gzip.open, bz2.open or lzma.open for a compressed file (told by its first
    bytes, whatever its name), None for any other file."""
    with open(path, "rb") as f:
        head = f.read(6)
    if head[:2] == b"\x1f\x8b":
        return gzip.open
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[3:4] != b"0":
        return bz2.open
    if head == b"\xfd7zXZ\x00":
        return lzma.open
    return None


@contextlib.contextmanager
def _plain_text(path: str, scratch_dir: str):
    """``path`` itself, or a temporary decompressed copy if it is compressed."""
    opener = _decompressor(path)
    if opener is None:
        yield path
        return
    with opener(path, "rb") as source, tempfile.NamedTemporaryFile(
            dir=scratch_dir, prefix=".cw2v-phrases-", suffix=".txt", delete=False) as plain:
        try:
            shutil.copyfileobj(source, plain, 1 << 20)
        except BaseException:
            plain.close()
            os.unlink(plain.name)
            raise
    try:
        yield plain.name
    finally:
        os.unlink(plain.name)


def run(args) -> int:
    _require_file(args.train, "training file")
    _require_writable(args.output, "output file")
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if args.debug >= 1 \
        else (lambda text: None)
    say(f"Starting training using file {args.train}")
    directory = os.path.dirname(os.path.abspath(args.output))
    fd, partial = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(args.output)}.",
                                   suffix=".tmp")
    os.close(fd)
    try:
        with _plain_text(args.train, directory) as train:
            words, kept, joined = word2phrase(train, partial, args.min_count, args.threshold)
        os.chmod(partial, 0o666 & ~_umask())
        os.replace(partial, args.output)  # atomic: the output is never half-written
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    if words == 0:
        print(f"cw2v phrases: warning: training file {args.train!r} holds no words (a last word "
              f"that no space or line end follows is dropped, as word2phrase drops it)",
              file=sys.stderr)
    say(f"Vocab size (unigrams + bigrams): {kept}")
    say(f"Words in train file: {words}")
    say(f"Phrases joined: {joined}; written to {args.output}")
    return 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
