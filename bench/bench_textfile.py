"""Benchmark of cw2v's C text reader (cw2v._kernels.textfile).

1. Vocabulary scan of a plain-text file: cw2v ``Counts.add_file`` against gensim's
   scan of the same file (``Word2Vec.scan_vocab(corpus_file=...)``, and the
   whole ``build_vocab``) and against ``collections.Counter`` over
   ``str.split()`` of each line. Each run is a fresh subprocess (so its peak
   RSS is its own); runs of the methods alternate; medians are reported.
2. Reader throughput: ``read_range`` (tokenise + vocabulary lookup, no
   training) over the whole file on 1 thread, and over ``split_ranges(path,
   2)`` on 2 threads at once; tokens/s per thread by wall time and by the
   thread's own CPU time (the machine may be shared).

Both on the 100 MB wiki text (one line) and on a copy with 1000-token lines.

    python bench/bench_textfile.py [--corpus PATH(.xz)] [--cache DIR] [--repeats N] [--no-gensim]
"""
import argparse
import collections
import json
import lzma
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import peak_rss_mb  # bench/common.py (the script's folder is on sys.path)

HERE = Path(__file__).resolve()
DEFAULT_CORPUS = HERE.parent.parent.parent / "shared" / "data" / "wiki-2015-100mb.txt.xz"
DEFAULT_CACHE = HERE.parent.parent.parent / "cache"


# ---- data ------------------------------------------------------------------

def atomic_write(path, write):
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)


def prepare(corpus, cache):
    """Plain text of the corpus, and a copy with 1000-token lines, in cache."""
    cache.mkdir(parents=True, exist_ok=True)
    corpus = Path(corpus)
    if corpus.suffix == ".xz":
        text = cache / "wiki.txt"
        if not text.exists():
            print(f"decompressing {corpus} -> {text}", flush=True)

            def copy(f):
                with lzma.open(corpus, "rb") as src:
                    while chunk := src.read(1 << 24):
                        f.write(chunk)
            atomic_write(text, copy)
    else:
        text = corpus
    lines = cache / (text.stem + "-lines1000.txt")
    if not lines.exists():
        print(f"writing {lines}", flush=True)
        words = text.read_bytes().split()

        def write_lines(f):
            for i in range(0, len(words), 1000):
                f.write(b" ".join(words[i:i + 1000]) + b"\n")
        atomic_write(lines, write_lines)
    return [text, lines]


# ---- one scan per subprocess ---------------------------------------------------

def child(method, path):
    """Run one vocabulary scan; print seconds, word counts and peak RSS."""
    if method == "cw2v":
        from cw2v.vocab.counts import Counts
        t0 = time.perf_counter()
        counts = Counts().add_file(path)
        seconds = time.perf_counter() - t0
        raw, distinct = counts.raw_words, len(counts)
    elif method == "counter":
        t0 = time.perf_counter()
        counts = collections.Counter()
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                counts.update(line.split())
        seconds = time.perf_counter() - t0
        raw, distinct = sum(counts.values()), len(counts)
    elif method in ("gensim_scan", "gensim_build"):
        import logging
        logging.disable(logging.INFO)
        from gensim.models import Word2Vec
        model = Word2Vec(vector_size=100, min_count=5, workers=1)
        t0 = time.perf_counter()
        if method == "gensim_scan":
            raw, _ = model.scan_vocab(corpus_file=str(path))
            distinct = len(model.raw_vocab)
        else:
            model.build_vocab(corpus_file=str(path))
            raw, distinct = model.corpus_total_words, None
        seconds = time.perf_counter() - t0
    else:
        raise ValueError(f"unknown method {method!r}")
    print(json.dumps({"seconds": seconds, "raw": raw, "distinct": distinct,
                      "rss_mb": peak_rss_mb()}))


def run_child(method, path):
    out = subprocess.run([sys.executable, str(HERE), "--child", method, str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_scan(path, methods, repeats):
    runs = {m: [] for m in methods}
    for r in range(repeats):
        order = methods[r % len(methods):] + methods[:r % len(methods)]  # alternate
        for m in order:
            runs[m].append(run_child(m, path))
            print(f"  {m:13s} run {r + 1}: {runs[m][-1]['seconds']:.2f} s", flush=True)
    return runs


# ---- reader throughput --------------------------------------------------------------

def bench_reader(path, table, repeats, read):
    """Median tokens/s of read (read_range or range_stats): 1 thread on the
    whole file, and 2 threads on split_ranges(path, 2), per thread by wall
    and CPU time."""
    from cw2v._kernels.textfile import range_stats, read_range, split_ranges

    def timed(start, end, out, i):
        w0, c0 = time.perf_counter(), time.thread_time()
        if read == "read_range":
            raw = read_range(path, start, end, table)[1]
        else:
            raw = range_stats(path, start, end, table)[2]
        out[i] = (raw, time.perf_counter() - w0, time.thread_time() - c0)

    one, two = [], []
    for _ in range(repeats):
        out = [None]
        timed(0, None, out, 0)
        raw, wall, cpu = out[0]
        one.append((raw / wall, raw / cpu))
        out = [None, None]
        threads = [threading.Thread(target=timed, args=(*rng, out, i))
                   for i, rng in enumerate(split_ranges(path, 2))]
        w0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total_wall = time.perf_counter() - w0
        assert out[0][0] + out[1][0] == raw
        two.append((min(o[0] / o[1] for o in out), min(o[0] / o[2] for o in out),
                    raw / total_wall))
    med = lambda xs, k: statistics.median(x[k] for x in xs) / 1e6
    return {"1 thread wall": med(one, 0), "1 thread cpu": med(one, 1),
            "2 threads slowest wall": med(two, 0), "2 threads slowest cpu": med(two, 1),
            "2 threads total wall": med(two, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)

    from cw2v._kernels.textfile import WordHash
    from cw2v.vocab.counts import Counts
    if not args.no_gensim:
        import gensim  # noqa: F401  (fail early, not in the first child)
    methods = ["cw2v", "counter"] + ([] if args.no_gensim else ["gensim_scan", "gensim_build"])
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()}")
    for path in prepare(args.corpus, Path(args.cache)):
        print(f"\n== {path} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
        runs = bench_scan(path, methods, args.repeats)
        cw2v_s = statistics.median(x["seconds"] for x in runs["cw2v"])
        raw = runs["cw2v"][0]["raw"]
        print(f"\nvocabulary scan, median of {args.repeats} ({raw:,} tokens, "
              f"{runs['cw2v'][0]['distinct']:,} distinct):")
        print(f"  {'method':13s} {'seconds':>8s} {'Mtok/s':>7s} {'time / cw2v':>11s} {'peak RSS MB':>11s}")
        for m in methods:
            s = statistics.median(x["seconds"] for x in runs[m])
            rss = statistics.median(x["rss_mb"] for x in runs[m])
            print(f"  {m:13s} {s:8.2f} {raw / s / 1e6:7.2f} {s / cw2v_s:11.2f} {rss:11.0f}")
            if runs[m][0]["raw"] != raw:
                print(f"  !! {m} counted {runs[m][0]['raw']:,} tokens")
            if runs[m][0]["distinct"] not in (None, runs["cw2v"][0]["distinct"]):
                print(f"  !! {m} found {runs[m][0]['distinct']:,} distinct words")

        counts = Counts().add_file(path).to_dict()
        vocab = sorted((w for w, c in counts.items() if c >= 5), key=counts.get, reverse=True)
        table = WordHash(vocab)
        for read, what in (("range_stats", "the C reader loop of a training worker"),
                           ("read_range", "also keeping every sentence as an int32 array")):
            rates = bench_reader(path, table, args.repeats, read)
            print(f"\n{read}: tokenise + look up in a {len(vocab):,}-word vocabulary "
                  f"({what}), median of {args.repeats}, M tokens/s:")
            for k, v in rates.items():
                print(f"  {k:24s} {v:7.1f}")


if __name__ == "__main__":
    main()
