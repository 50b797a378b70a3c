"""Helpers shared by the benchmark scripts in bench/: corpus cache, child
processes with their peak memory, machine description and JSON results.

This module imports nothing heavy (no numpy, no cw2v, no gensim), so a
parent process that only orchestrates stays small and cannot inflate the
memory figures of the children it starts.
"""
from __future__ import annotations

import bz2
import datetime
import gzip
import importlib.metadata
import json
import lzma
import os
import platform
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
# Decompressed corpora are large: they live outside the repository.
CACHE_DIR = os.environ.get("CW2V_BENCH_CACHE", "/work/cache")

_READ_BLOCK = 1 << 22


# ---------------------------------------------------------------- corpus cache

def _open_compressed(path: str):
    """Binary reader for a plain, .xz, .gz or .bz2 file."""
    opener = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}.get(
        os.path.splitext(path)[1], open)
    return opener(path, "rb")


def _stem(path: str) -> str:
    """'wiki-2015-100mb' for '/x/wiki-2015-100mb.txt.xz'."""
    name = os.path.basename(path)
    for suffix in (".xz", ".gz", ".bz2", ".txt"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def iter_token_blocks(path: str):
    """Yield lists of whitespace-separated tokens (bytes) of a file, in order.

    Reads fixed-size blocks, so memory stays small whatever the line length;
    a token cut by a block boundary is carried over to the next block.
    """
    carry = b""
    with _open_compressed(path) as f:
        while True:
            block = f.read(_READ_BLOCK)
            if not block:
                break
            tokens = (carry + block).split()
            # The last token may continue in the next block unless whitespace follows it.
            carry = b"" if block[-1:].isspace() or not tokens else tokens.pop()
            if tokens:
                yield tokens
    if carry:
        yield [carry]


def _write_atomically(path: str, write) -> None:
    """Call ``write(binary_file)`` on a temp file beside ``path``, then rename it into place."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".part",
                               dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results and caches are shared
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _write_tokens(path: str, source: str, limit_words, tokens_per_line) -> int:
    """Write the first ``limit_words`` tokens of ``source`` (all if None) to ``path``.

    ``tokens_per_line=None`` writes one single line (text8 style); otherwise
    lines of that many tokens.  Returns the number of tokens written.
    """
    written = 0

    def write(out):
        nonlocal written
        pending = []
        for tokens in iter_token_blocks(source):
            if limit_words is not None:
                tokens = tokens[: limit_words - written]
            if tokens_per_line is None:
                out.write((b" " if written else b"") + b" ".join(tokens))
            else:
                pending.extend(tokens)
                full = len(pending) - len(pending) % tokens_per_line
                for i in range(0, full, tokens_per_line):
                    out.write(b" ".join(pending[i: i + tokens_per_line]) + b"\n")
                del pending[:full]
            written += len(tokens)
            if limit_words is not None and written >= limit_words:
                break
        if pending:
            out.write(b" ".join(pending) + b"\n")
        elif tokens_per_line is None:
            out.write(b"\n")

    _write_atomically(path, write)
    return written


def prepared_corpus(source: str, limit_words=None, tokens_per_line=None) -> tuple:
    """Path and token count of a cached plain-text copy of ``source``.

    The copy holds the first ``limit_words`` tokens (all when None), on one
    line (``tokens_per_line=None``) or in lines of ``tokens_per_line`` tokens.
    It is made once in CACHE_DIR (atomically, so concurrent runs are safe)
    and reused; a small ``.json`` beside it records its source and size.
    """
    if not os.path.isfile(source):
        raise FileNotFoundError(f"corpus {source!r} does not exist")
    name = _stem(source)
    if limit_words is not None:
        name += f".first{limit_words}"
    name += ".oneline" if tokens_per_line is None else f".lines{tokens_per_line}"
    path = os.path.join(CACHE_DIR, name + ".txt")
    meta_path = path + ".json"
    stat = os.stat(source)
    expected = {"source": os.path.abspath(source), "source_bytes": stat.st_size,
                "source_mtime": int(stat.st_mtime), "limit_words": limit_words,
                "tokens_per_line": tokens_per_line}
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        if os.path.isfile(path) and all(meta.get(k) == v for k, v in expected.items()):
            return path, meta["words"]
    except (OSError, ValueError, KeyError):
        pass
    print(f"preparing {path} from {source} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    words = _write_tokens(path, source, limit_words, tokens_per_line)
    meta = dict(expected, words=words)
    _write_atomically(meta_path, lambda f: f.write(json.dumps(meta, indent=1).encode()))
    print(f"  {words:,} tokens in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return path, words


# ---------------------------------------------------------------- processes and memory

def peak_rss_mb() -> float:
    """Peak resident memory of the calling process so far, in MB (Linux VmHWM).

    VmHWM belongs to this process image only; ``ru_maxrss`` can also carry
    the memory of the parent that forked it.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_process(argv, env=None) -> dict:
    """Run ``argv`` to completion; return its exit code, output, wall time and peak RSS.

    Waits with ``os.wait4`` so the peak RSS (``max_rss_mb``) is this child's
    own, not the maximum over every child this process ever had.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting
        out.seek(0)
        err.seek(0)
        return {"returncode": proc.returncode, "seconds": seconds,
                "max_rss_mb": usage.ru_maxrss / 1024,
                "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace")}


def run_json_child(script: str, kind: str, spec: dict) -> dict:
    """Run ``python script --child kind JSON(spec)``; the JSON its last output line holds.

    The bench scripts' pattern for a measured run in a fresh interpreter.  The
    process's own wall seconds and peak RSS are added as ``process_seconds``
    and ``process_rss_mb``; a failing child stops the benchmark with its stderr.
    """
    done = run_process([sys.executable, os.path.abspath(script), "--child", kind,
                        json.dumps(spec)])
    if done["returncode"] != 0:
        raise SystemExit(f"the {kind} child failed:\n{done['stderr'][-3000:]}")
    result = json.loads(done["stdout"].strip().splitlines()[-1])
    result.update(process_seconds=done["seconds"], process_rss_mb=done["max_rss_mb"])
    return result


# ---------------------------------------------------------------- machine and results

def package_version(dist: str):
    """Installed version of a distribution, without importing it (None when absent)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git(*args):
    try:
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state() -> dict:
    """Commit of the working tree and whether it has uncommitted changes (read-only git calls)."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": _git("rev-parse", "HEAD"), "short": _git("rev-parse", "--short", "HEAD"),
            "dirty": None if status is None else bool(status)}


def machine_description() -> dict:
    """CPU, cores, memory, OS, Python and library versions, git commit."""
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), None)
    except OSError:
        pass
    memory_gb = None
    try:
        with open("/proc/meminfo") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        memory_gb = round(kb / 1024 ** 2, 1)
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu or platform.processor() or None,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {dist: package_version(dist) for dist in ("cw2v", "gensim", "numpy", "scipy")},
        "git": git_state(),
        "hostname": platform.node(),
        "loadavg_at_start": list(os.getloadavg()),
    }


def default_results_path(git_short) -> str:
    """bench/results/<date>-<git short hash>.json, with -2, -3 ... rather than overwrite."""
    return named_results_path(None, git_short)


def named_results_path(name, git_short) -> str:
    """bench/results/<date>-<git short hash>-<name>.json (no -<name> when name is
    None), with -2, -3 ... rather than overwrite."""
    stem = f"{datetime.date.today().isoformat()}-{git_short or 'nogit'}"
    if name:
        stem += f"-{name}"
    path = os.path.join(RESULTS_DIR, stem + ".json")
    n = 2
    while os.path.exists(path):
        path = os.path.join(RESULTS_DIR, f"{stem}-{n}.json")
        n += 1
    return path


def save_results(name: str, benchmark: str, machine: dict, arguments: dict, out=None,
                 **fields) -> str:
    """Save one run of a bench script as JSON in bench/results/; returns the path.

    ``machine`` is :func:`machine_description` taken when the run started; the
    load average and git state at the end are added here.  ``fields`` follow
    the common header (benchmark, created, machine, arguments)."""
    machine["loadavg_at_end"] = list(os.getloadavg())
    machine["git_at_end"] = git_state()
    results = {"benchmark": benchmark, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "machine": machine,
               "arguments": {k: str(v) if isinstance(v, os.PathLike) else v
                             for k, v in arguments.items()}}
    results.update(fields)
    path = out or named_results_path(name, machine["git"]["short"])
    save_json(path, results)
    return path


def save_json(path: str, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    _write_atomically(os.path.abspath(path), lambda f: f.write(text.encode("utf-8")))


# ---------------------------------------------------------------- tables

def render_table(headers, rows, markdown=False) -> str:
    """Rows of strings as an aligned text table, or as a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    def line(cells):
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
