"""Native save/load: a directory of ``.npy`` arrays plus ``meta.json``.

A *bundle* is a directory::

    path/
        meta.json        {"format": "cw2v", "format_version": 1, "kind": ...,
                          "arrays": {name: {"file", "dtype", "shape"}}, ...}
        <name>.npy       one file per array

Why this layout:

* ``.npy`` files load with ``allow_pickle=False``, so opening a bundle never
  runs code from the file: safe for files from untrusted sources.
* ``np.load(mmap_mode='r')`` maps each array read-only, so several processes
  that load the same bundle share one copy of the vectors in the page cache.
* ``meta.json`` is plain text a person can read, and the manifest inside it
  lets :func:`load_bundle` detect a missing or truncated array file before it
  hands back anything.

Saves are atomic: the bundle is written into a hidden temporary directory
beside the target (every file and the directory fsynced) and renamed into
place, then the parent directory is fsynced, so a reader never sees a
half-written bundle and a crash never destroys the previous one.

Strings (vocabularies) are stored as arrays too, see :func:`pack_strings`.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import tokenize
from pathlib import Path

import numpy as np

from cw2v.io.files import fsync_directory, hidden_sibling, new_file

FORMAT_NAME = "cw2v"
FORMAT_VERSION = 1
META_FILE = "meta.json"

# Keys save_bundle writes itself; a caller's meta may not set them.
_RESERVED_META_KEYS = ("format", "format_version", "arrays")
_ARRAY_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_MMAP_MODES = (None, "r", "r+", "c")
# What numpy's .npy header parser raises for a damaged header, besides
# ValueError: it evaluates the header as a Python literal (SyntaxError,
# RecursionError), falls back to tokenizing it (tokenize.TokenError), and
# builds a dtype and shape from what it found (TypeError, KeyError,
# IndexError, OverflowError).
_DAMAGED_HEADER = (ValueError, SyntaxError, RecursionError, tokenize.TokenError, TypeError,
                   KeyError, IndexError, OverflowError)


def save_bundle(path, meta: dict, arrays: dict) -> None:
    """Write ``meta`` and ``arrays`` as a bundle directory at ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Directory to create. An existing cw2v bundle there is replaced; any
        other existing file or directory is left alone and ``ValueError`` raised.
    meta : dict
        JSON-serialisable metadata. Must contain ``"kind"`` (a non-empty str
        naming what is stored, e.g. ``"keyed_vectors"``). The keys ``"format"``,
        ``"format_version"`` and ``"arrays"`` are reserved.
    arrays : dict[str, numpy.ndarray]
        Arrays to store, one ``<name>.npy`` each. Names are letters, digits,
        ``_ . -``; dtypes must be plain (no ``object``: that would need pickle).
    """
    path = Path(os.fspath(path))
    if not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    kind = meta.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ValueError("meta must contain 'kind': a non-empty string naming what the bundle holds")
    clash = [k for k in _RESERVED_META_KEYS if k in meta]
    if clash:
        raise ValueError(f"meta keys {clash} are reserved for the bundle format; rename them")

    checked = {}
    for name, array in arrays.items():
        if not isinstance(name, str) or not _ARRAY_NAME.match(name):
            raise ValueError(
                f"array name {name!r} is not usable as a file name; use letters, digits, '_', '.', '-'"
            )
        array = np.asanyarray(array)
        if array.dtype.hasobject:
            raise TypeError(
                f"array {name!r} has dtype {array.dtype}, which needs pickle; store numbers or "
                "use pack_strings() for text"
            )
        checked[name] = array

    manifest = {
        name: {"file": name + ".npy", "dtype": array.dtype.str, "shape": list(array.shape)}
        for name, array in checked.items()
    }
    full_meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **meta, "arrays": manifest}
    # Fail before touching the disk if meta cannot be written.
    try:
        meta_text = json.dumps(full_meta, indent=1, ensure_ascii=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"meta is not JSON-serialisable: {err}") from None

    if path.exists() and not _is_bundle_dir(path):
        raise ValueError(
            f"{path} exists and is not a cw2v bundle; refusing to overwrite it (choose another path)"
        )
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_private_dir(path, "tmp")
    try:
        for name, array in checked.items():
            with new_file(tmp / manifest[name]["file"]) as fh:
                np.save(fh, array, allow_pickle=False)
        # meta.json last: its presence marks the bundle complete.
        with new_file(tmp / META_FILE) as fh:
            fh.write(meta_text.encode("utf-8"))
        fsync_directory(tmp)  # the files' names, before the folder is renamed into place
        _swap_into_place(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_bundle(path, mmap=None, kind=None):
    """Read a bundle written by :func:`save_bundle`.

    Parameters
    ----------
    path : str or os.PathLike
        The bundle directory.
    mmap : {None, 'r', 'r+', 'c'}
        ``None`` reads arrays into memory; otherwise each array is memory-mapped
        with this ``numpy.load`` mode (``'r'``: read-only, shared between processes).
    kind : str, optional
        If given, the bundle's ``"kind"`` must equal it (``ValueError`` otherwise).

    Returns
    -------
    meta : dict
        The metadata as saved, including ``"format"``, ``"format_version"`` and
        ``"kind"`` (without the internal ``"arrays"`` manifest).
    arrays : dict[str, numpy.ndarray]
        The arrays by name.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is not a cw2v bundle, was written by a newer cw2v, is of another
        kind, or an array file is missing, truncated or inconsistent with the manifest.
    """
    if mmap not in _MMAP_MODES:
        raise ValueError(f"mmap must be one of {_MMAP_MODES}, got {mmap!r}")
    path = Path(os.fspath(path))
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    meta_path = path / META_FILE
    if not path.is_dir() or not meta_path.is_file():
        raise ValueError(f"{path} is not a cw2v bundle (expected a directory containing {META_FILE})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{meta_path}: not valid JSON ({err}); the bundle is damaged") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ValueError(f"{path} is not a cw2v bundle ({META_FILE} lacks \"format\": \"{FORMAT_NAME}\")")
    version = meta.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"{meta_path}: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses bundle format version {version}, but this cw2v reads up to version "
            f"{FORMAT_VERSION}; upgrade cw2v to load it"
        )
    if kind is not None and meta.get("kind") != kind:
        raise ValueError(f"{path} holds a {meta.get('kind')!r} bundle, not {kind!r}")
    manifest = meta.pop("arrays", None)
    if not isinstance(manifest, dict):
        raise ValueError(f"{meta_path}: missing the \"arrays\" manifest; the bundle is damaged")

    arrays = {}
    for name, entry in manifest.items():
        arrays[name] = _load_array(path, name, entry, mmap)
    return meta, arrays


def pack_strings(strings) -> tuple[np.ndarray, np.ndarray]:
    """Encode a sequence of str as two arrays, for storing in a bundle.

    Returns
    -------
    blob : uint8[n_bytes]
        UTF-8 of every string, each followed by ``\\n``. Lone surrogates are
        kept (``surrogatepass``), so any Python str round-trips.
    offsets : int64[n + 1]
        String ``i`` is ``blob[offsets[i] : offsets[i + 1] - 1]``.
    """
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    lengths = np.fromiter((len(b) + 1 for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    blob = np.frombuffer(b"".join(b + b"\n" for b in encoded), dtype=np.uint8)
    return blob.copy(), offsets


def unpack_strings(blob: np.ndarray, offsets: np.ndarray) -> list:
    """Inverse of :func:`pack_strings`: the list of str.

    Raises ``ValueError`` if the arrays are inconsistent (damaged bundle).
    """
    blob = np.asarray(blob)
    offsets = np.asarray(offsets)
    if blob.dtype != np.uint8 or blob.ndim != 1 or offsets.ndim != 1 or offsets.size < 1:
        raise ValueError("string arrays have the wrong dtype or shape")
    n = offsets.size - 1
    if offsets[0] != 0 or offsets[-1] != blob.size or (n and np.any(np.diff(offsets) < 1)):
        raise ValueError("string offsets do not match the string bytes")
    data = blob.tobytes()
    ends = offsets[1:] - 1
    if n and np.any(blob[ends] != 0x0A):
        raise ValueError("string bytes are not separated where the offsets say")
    # Fast path: when no string contains a newline, one decode + split does it.
    if data.count(b"\n") == n:
        return data.decode("utf-8", "surrogatepass").split("\n")[:-1]
    starts = offsets[:-1].tolist()
    return [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends.tolist())]


def _load_array(path: Path, name: str, entry, mmap):
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise ValueError(f"{path / META_FILE}: bad manifest entry for array {name!r}")
    file = path / entry["file"]
    if Path(entry["file"]).name != entry["file"]:
        raise ValueError(f"{path / META_FILE}: array file name {entry['file']!r} points outside the bundle")
    if not file.is_file():
        raise ValueError(f"{path}: array file {entry['file']} is missing; the bundle is incomplete")
    try:
        # Read the header first so a truncated file gets a precise message.
        with open(file, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            data_start = fh.tell()
        if any(n < 0 for n in shape):
            raise ValueError(f"negative dimension in shape {shape}")
        expected = data_start + math.prod(shape) * dtype.itemsize
        size = file.stat().st_size
        if size < expected:
            raise ValueError(f"truncated: {size} bytes, the header needs {expected}")
        if size > expected:  # np.save writes exactly the header and the data
            raise ValueError(f"{size} bytes where the header describes {expected}: damaged header")
        if dtype.hasobject:
            raise ValueError("holds Python objects, which cw2v never writes")
        array = np.load(file, mmap_mode=mmap, allow_pickle=False)
    except _DAMAGED_HEADER as err:
        raise ValueError(f"{file}: cannot read array {name!r}: {err or type(err).__name__}; "
                         "the bundle is damaged") from None
    if array.dtype.str != entry.get("dtype") or list(array.shape) != entry.get("shape"):
        raise ValueError(
            f"{file}: array {name!r} is {array.dtype.str} {list(array.shape)}, but {META_FILE} says "
            f"{entry.get('dtype')} {entry.get('shape')}; the bundle is damaged"
        )
    return array


def _is_bundle_dir(path: Path) -> bool:
    meta_path = path / META_FILE
    if not path.is_dir() or not meta_path.is_file():
        return False
    try:
        return json.loads(meta_path.read_text(encoding="utf-8")).get("format") == FORMAT_NAME
    except (OSError, ValueError, AttributeError):
        return False


def _swap_into_place(tmp: Path, path: Path) -> None:
    """Rename the finished ``tmp`` directory to ``path``, replacing an old bundle.

    A directory cannot be atomically renamed over a non-empty one, so the old
    bundle is first renamed aside and removed only once the new one is in
    place: at every instant one complete bundle exists on disk.
    """
    if not path.exists():
        os.replace(tmp, path)
        fsync_directory(path.parent)
        return
    old = _make_private_dir(path, "old")
    os.rmdir(old)
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    fsync_directory(path.parent)  # the new bundle is durable before the old one goes
    shutil.rmtree(old, ignore_errors=True)


def _make_private_dir(path: Path, tag: str) -> Path:
    """Create a fresh hidden directory ``.<name>.<random>.<tag>`` beside ``path``.

    Made with ``os.mkdir`` (not ``mkdtemp``) so it gets the permissions the
    user's umask gives any new directory, which the renamed bundle keeps.
    """
    return Path(hidden_sibling(path, tag, os.mkdir)[0])
