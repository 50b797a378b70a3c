"""Benchmark: cw2v's vocabulary building against gensim's, on the same file.

    python bench/bench_vocab.py [--corpus /work/cache/wiki.txt] [--runs 5]

The corpus is decompressed once from ``--source`` (default: the 100 MB wiki
text in /work/shared/data) to ``--corpus`` if that file does not exist yet;
keep it outside the repository.

Parts (``--parts``, default all):

build   cw2v ``Vocabulary.scan`` + subsampling thresholds + noise table,
        against ``gensim.models.Word2Vec().build_vocab`` (which does the same
        three things), both reading the file through their own Text8Corpus
        (``--reader text8``, default) or LineSentence (``--reader line``: a
        copy of the corpus with 1000-token lines, made once beside it).
        Also the scan alone against gensim's ``scan_vocab``. Every run is a
        fresh subprocess, cw2v and gensim alternate (who goes first too), and
        medians are reported with each run's peak RSS.  Every run and the
        ratios are saved as JSON in bench/results/ (``--no-save``: not saved).
count   the counting loops alone, on 5M wiki tokens read by Text8Corpus:
        ``collections.Counter.update`` per sentence (plain Python), cw2v's
        ``Counts`` on the same token lists, and ``Counts`` on the reader
        itself (its text counted in C, as ``Vocabulary.scan`` does).
batch   the compiled token->id batching (``iter_id_batches``) against a plain
        Python version of the same loop, on sentences already in memory: long
        sentences (wiki, 10,000 tokens) and short ones (KJV verses).
tables  Huffman tree and negative-sampling table against gensim's
        ``create_binary_tree`` / ``make_cum_table`` on the wiki vocabulary.
"""
import argparse
import importlib.resources
import json
import lzma
import os
import shutil
import statistics
import subprocess
import sys
import time

import common  # bench/common.py (the script's folder is on sys.path)

DEFAULT_SOURCE = "/work/shared/data/wiki-2015-100mb.txt.xz"
DEFAULT_CORPUS = "/work/cache/wiki.txt"
MIN_COUNT = 5


def ensure_corpus(corpus: str, source: str) -> None:
    if os.path.exists(corpus):
        return
    os.makedirs(os.path.dirname(os.path.abspath(corpus)), exist_ok=True)
    tmp = f"{corpus}.part{os.getpid()}"
    print(f"decompressing {source} -> {corpus}", flush=True)
    with lzma.open(source, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 24)
    os.replace(tmp, corpus)


def ensure_lines_copy(corpus: str, tokens_per_line: int = 1000) -> str:
    """A copy of ``corpus`` with ``tokens_per_line`` tokens per line, for the line readers."""
    lines_path = f"{corpus}.{tokens_per_line}-per-line"
    if not os.path.exists(lines_path):
        tmp = f"{lines_path}.part{os.getpid()}"
        with open(corpus, "rb") as fin:
            tokens = fin.read().split()
        with open(tmp, "wb") as fout:
            for i in range(0, len(tokens), tokens_per_line):
                fout.write(b" ".join(tokens[i: i + tokens_per_line]) + b"\n")
        del tokens
        os.replace(tmp, lines_path)
    return lines_path


# ------------------------------------------------------------ one build run
def one_run(lib: str, what: str, corpus: str, reader: str) -> dict:
    """Runs inside a fresh subprocess; prints a JSON line."""
    if lib == "cw2v":
        from cw2v.io.corpus import LineSentence, Text8Corpus
        from cw2v.vocab.sampling import NoiseTable, keep_thresholds
        from cw2v.vocab.vocabulary import Vocabulary

        rss0 = common.peak_rss_mb()
        t0 = time.perf_counter()
        sentences = Text8Corpus(corpus) if reader == "text8" else LineSentence(corpus)
        vocab = Vocabulary.scan(sentences, min_count=MIN_COUNT)
        t_scan = time.perf_counter() - t0
        if what == "build":
            keep_thresholds(vocab.counts, 1e-3)
            NoiseTable(vocab.counts, 0.75)
        seconds = time.perf_counter() - t0
        words, total = len(vocab), int(vocab.counts.sum())
    else:
        from gensim.models.word2vec import LineSentence, Text8Corpus, Word2Vec

        rss0 = common.peak_rss_mb()
        sentences = Text8Corpus(corpus) if reader == "text8" else LineSentence(corpus)
        model = Word2Vec(min_count=MIN_COUNT)  # defaults: sample=1e-3, negative=5, hs=0
        t0 = time.perf_counter()
        if what == "build":
            model.build_vocab(sentences)
            t_scan = float("nan")
            words = len(model.wv)
            total = int(sum(model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key))
        else:
            model.scan_vocab(sentences)
            t_scan = time.perf_counter() - t0
            words = sum(1 for c in model.raw_vocab.values() if c >= MIN_COUNT)
            total = sum(c for c in model.raw_vocab.values() if c >= MIN_COUNT)
        seconds = time.perf_counter() - t0
    return {"lib": lib, "what": what, "seconds": seconds, "scan_seconds": t_scan, "words": words,
            "retained_tokens": total, "peak_rss_mb": common.peak_rss_mb(), "rss_after_import_mb": rss0}


def run_subprocess(lib: str, what: str, corpus: str, reader: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", lib, what, "--corpus", corpus, "--reader", reader],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_build(corpus: str, runs: int, reader: str) -> dict:
    """Time both parts; returns every run and the median ratio per part."""
    summary = {}
    for what in ("build", "scan"):
        results = {"cw2v": [], "gensim": []}
        for r in range(runs):
            order = ("cw2v", "gensim") if r % 2 == 0 else ("gensim", "cw2v")
            for lib in order:
                results[lib].append(run_subprocess(lib, what, corpus, reader))
        c, g = results["cw2v"], results["gensim"]
        assert {(x["words"], x["retained_tokens"]) for x in c + g} == {(c[0]["words"], c[0]["retained_tokens"])}, \
            "cw2v and gensim disagree on the vocabulary"
        ratios = [gr["seconds"] / cr["seconds"] for cr, gr in zip(c, g)]
        label = "scan + thresholds + noise table vs build_vocab" if what == "build" else "scan only vs scan_vocab"
        print(f"\n[{what}] {label}, {reader} reader: {c[0]['words']} words kept (min_count={MIN_COUNT})")
        for name, rows in results.items():
            secs = [x["seconds"] for x in rows]
            print(f"  {name:6s} median {statistics.median(secs):6.2f} s  runs {' '.join(f'{s:.2f}' for s in secs)}"
                  f"  peak RSS {statistics.median(x['peak_rss_mb'] for x in rows):6.0f} MB"
                  f" (after imports {statistics.median(x['rss_after_import_mb'] for x in rows):.0f} MB)")
        print(f"  gensim/cw2v time ratio: median {statistics.median(ratios):.2f}x"
              f"  (per run: {' '.join(f'{q:.2f}' for q in ratios)})")
        summary[what] = {"label": label, "runs": results,
                         "median_seconds": {name: statistics.median(x["seconds"] for x in rows)
                                            for name, rows in results.items()},
                         "ratio_gensim_over_cw2v": statistics.median(ratios)}
    return summary


# --------------------------------------------------------------- batching
def python_batches(corpus, key_to_index, batch_words=10000, max_len=10000):
    """The same batching rules as iter_id_batches, in plain Python."""
    import numpy as np

    get = key_to_index.get
    ids, ends, raw, n_sent = [], [], 0, 0
    for sentence in corpus:
        sent_ids = [i for i in map(get, sentence) if i is not None]
        raw += len(sentence)
        n_sent += 1
        for start in range(0, len(sent_ids), max_len):
            ids.extend(sent_ids[start: start + max_len])
            ends.append(len(ids))
        if len(ids) >= batch_words:
            yield np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int32), raw, n_sent
            ids, ends, raw, n_sent = [], [], 0, 0
    if ids:
        yield np.array(ids, dtype=np.int32), np.array(ends, dtype=np.int32), raw, n_sent


def bench_batch(corpus: str, runs: int) -> None:
    from cw2v.io.corpus import LineSentence, Text8Corpus, iter_id_batches
    from cw2v.vocab.vocabulary import Vocabulary

    kjv = importlib.resources.files("cw2v") / "data" / "kjv.txt.gz"
    datasets = {
        "wiki 5M tokens, 10k-token sentences": list(Text8Corpus(corpus, limit=5_000_000)),
        "KJV 790k tokens, 25-token verses": list(LineSentence(kjv)),
    }
    for name, sentences in datasets.items():
        vocab = Vocabulary.scan(sentences, min_count=MIN_COUNT).key_to_index
        n_tokens = sum(map(len, sentences))
        times = {"compiled": [], "python": []}
        for r in range(runs):
            for kind in (("compiled", "python") if r % 2 == 0 else ("python", "compiled")):
                t0 = time.perf_counter()
                if kind == "compiled":
                    n = sum(len(b.ids) for b in iter_id_batches(sentences, vocab))
                else:
                    n = sum(len(b[0]) for b in python_batches(sentences, vocab))
                times[kind].append(time.perf_counter() - t0)
        c, p = statistics.median(times["compiled"]), statistics.median(times["python"])
        print(f"\n[batch] {name}: {n} ids")
        print(f"  compiled {c:.3f} s ({n_tokens / c / 1e6:.1f} M tokens/s)   plain Python {p:.3f} s"
              f" ({n_tokens / p / 1e6:.1f} M tokens/s)   python/compiled {p / c:.2f}x")


# --------------------------------------------------------------- counting
def bench_count(corpus: str, runs: int) -> None:
    from collections import Counter

    from cw2v.io.corpus import Text8Corpus
    from cw2v.vocab.counts import Counts

    reader = Text8Corpus(corpus, limit=5_000_000)

    def with_counter():  # the plain-Python way: C-speed Counter.update per sentence
        counts = Counter()
        for sentence in reader:
            counts.update(sentence)
        return len(counts)

    def with_token_lists():  # compiled counting of the same token lists
        return len(Counts().add_corpus(iter(reader)))

    def with_text():  # compiled counting straight from the text
        return len(Counts().add_corpus(reader))

    jobs = {"Counter.update": with_counter, "Counts (lists)": with_token_lists, "Counts (text)": with_text}
    times = {name: [] for name in jobs}
    for r in range(runs):
        names = list(jobs) if r % 2 == 0 else list(jobs)[::-1]
        for name in names:
            t0 = time.perf_counter()
            distinct = jobs[name]()
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["Counter.update"])
    print(f"\n[count] read + count the first 5M wiki tokens ({distinct} distinct), Text8Corpus")
    for name, secs in times.items():
        med = statistics.median(secs)
        print(f"  {name:15s} {med:.3f} s   Counter/this {base / med:.2f}x")


# ----------------------------------------------------------------- tables
def bench_tables(corpus: str, runs: int) -> None:
    from gensim.models.word2vec import Word2Vec

    from cw2v.io.corpus import Text8Corpus
    from cw2v.vocab.huffman import build_huffman
    from cw2v.vocab.sampling import NoiseTable
    from cw2v.vocab.vocabulary import Vocabulary

    vocab = Vocabulary.scan(Text8Corpus(corpus), min_count=MIN_COUNT)
    model = Word2Vec(min_count=MIN_COUNT, hs=1, negative=5)
    model.build_vocab_from_freq(dict(zip(vocab.index_to_key, vocab.counts.tolist())))
    jobs = {
        "huffman": (lambda: build_huffman(vocab.counts), model.create_binary_tree),
        "noise table": (lambda: NoiseTable(vocab.counts, 0.75), model.make_cum_table),
    }
    print(f"\n[tables] on the wiki vocabulary ({len(vocab)} words)")
    for name, (ours, theirs) in jobs.items():
        t = {"cw2v": [], "gensim": []}
        for r in range(runs):
            for lib, fn in ((("cw2v", ours), ("gensim", theirs)) if r % 2 == 0 else (("gensim", theirs), ("cw2v", ours))):
                t0 = time.perf_counter()
                fn()
                t[lib].append(time.perf_counter() - t0)
        c, g = statistics.median(t["cw2v"]), statistics.median(t["gensim"])
        print(f"  {name:12s} cw2v {c * 1e3:8.1f} ms   gensim {g * 1e3:8.1f} ms   gensim/cw2v {g / c:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="decompressed text file (created if missing)")
    ap.add_argument("--source", default=DEFAULT_SOURCE, help="xz file to decompress into --corpus")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--parts", default="build,count,batch,tables")
    ap.add_argument("--reader", choices=("text8", "line"), default="text8", help="file reader for the build part")
    ap.add_argument("--out", help="results JSON of the build part (default bench/results/<date>-<git hash>-vocab.json)")
    ap.add_argument("--no-save", action="store_true", help="do not write a results JSON")
    ap.add_argument("--one", nargs=2, metavar=("LIB", "WHAT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one[0], args.one[1], args.corpus, args.reader)))
        return
    ensure_corpus(args.corpus, args.source)
    machine = common.machine_description()
    import cw2v
    import gensim

    print(f"corpus {args.corpus} ({os.path.getsize(args.corpus) / 1e6:.0f} MB), cw2v {cw2v.__version__},"
          f" gensim {gensim.__version__}, {args.runs} runs each, {os.cpu_count()} CPUs")
    parts = args.parts.split(",")
    if "build" in parts:
        build_corpus = args.corpus if args.reader == "text8" else ensure_lines_copy(args.corpus)
        summary = bench_build(build_corpus, args.runs, args.reader)
        if not args.no_save:
            path = common.save_results("vocab", "bench/bench_vocab.py", machine, vars(args), out=args.out,
                                       corpus={"path": build_corpus, "bytes": os.path.getsize(build_corpus)},
                                       **summary)
            print(f"results: {path}")
    if "count" in parts:
        bench_count(args.corpus, args.runs)
    if "batch" in parts:
        bench_batch(args.corpus, args.runs)
    if "tables" in parts:
        bench_tables(args.corpus, args.runs)


if __name__ == "__main__":
    main()
