"""Benchmark: cw2v's GloVe against Stanford's four programs, in the same run.

    python bench/bench_glove.py --stanford /work/anchors/GloVe/build [--threads 2] [--iter 15]

Stanford's tools are built from source beforehand (github.com/stanfordnlp/GloVe,
``make``, outside this repository); ``--stanford`` is their build folder.
The corpus (default: the 100 MB wiki text in /work/shared/data, one line) is
decompressed once to the cache folder of bench/common.py.

What runs, in this order, each program in a fresh process (wall time and
its own peak RSS):

cw2v      ``GloVe(corpus_file=..., same settings)``: build_vocab, count and
          train timed apart, peak RSS after counting and at the end.
memory    cw2v's counting alone with ``memory=--memory-bound`` (GB): its peak
          RSS against the bound plus the size of the output matrix, and a
          checksum of the counts against the unbounded run's.
stanford  ``vocab_count -min-count M``, ``cooccur -memory 4 -window-size W``,
          ``shuffle -memory 4``, ``glove -threads T -iter I -x-max X`` (text
          output: W + W~, its default), in that order.

Both sets of vectors are then scored the same way: questions-words analogies
(restrict_vocab=30000, semantic and syntactic sections apart), WS353 and
SimLex-999 Spearman correlations.  Results go to bench/results/ as JSON and a
table is printed with every target of issue 12 marked met or missed.
``--limit-words N`` runs on the first N tokens (a quick check of the script).
"""
import argparse
import json
import os
import tempfile
import time

import common  # bench/common.py (the script's folder is on sys.path)
import scoring

DEFAULT_SOURCE = os.path.join(scoring.DATA, "wiki-2015-100mb.txt.xz")


# ------------------------------------------------------------------ children

def child_cw2v(spec):
    """Runs in a fresh interpreter: vocabulary, counting, training, vectors out."""
    from cw2v.models.glove import GloVe

    model = GloVe(vector_size=spec["size"], window=spec["window"], min_count=spec["min_count"],
                  x_max=spec["x_max"], epochs=spec["iter"], workers=spec["threads"],
                  memory=spec.get("memory"), seed=1, update=spec["update"])
    times = {}
    started = time.perf_counter()
    model.build_vocab(corpus_file=spec["corpus"])
    times["vocab"] = time.perf_counter() - started
    started = time.perf_counter()
    counts = model.count(corpus_file=spec["corpus"])
    times["count"] = time.perf_counter() - started
    result = {"seconds": times, "rss_after_count_mb": common.peak_rss_mb(),
              "nonzeros": counts.nnz, "count_stats": model.count_stats,
              "matrix_mb": (counts.data.nbytes + counts.indices.nbytes
                            + counts.indptr.nbytes) / 2 ** 20,
              "counts_sha256": counts_checksum(counts)}
    if spec.get("count_only"):
        return result
    started = time.perf_counter()
    model.train()
    times["train"] = time.perf_counter() - started
    result["peak_rss_mb"] = common.peak_rss_mb()
    result["loss_per_pair"] = [loss / counts.nnz for loss in model.loss_history]
    model.wv.save_word2vec_format(spec["vectors"], write_header=False)
    return result


def counts_checksum(matrix):
    import hashlib
    digest = hashlib.sha256()
    for array in (matrix.indptr.astype("int64"), matrix.indices.astype("int64"), matrix.data):
        digest.update(array.tobytes())
    return digest.hexdigest()


def child_evaluate(spec):
    """Scores of a header-less vectors file (Stanford's <unk> row left out)."""
    from cw2v import KeyedVectors

    loaded = KeyedVectors.load_word2vec_format(spec["vectors"], no_header=True)
    keys = [k for k in loaded.index_to_key if k != "<unk>"]
    return scoring.score_vectors(KeyedVectors.from_arrays(keys, loaded.vectors[:len(keys)]))


def run_child(kind, spec):
    result = common.run_json_child(__file__, kind, spec)
    result.update(wall_seconds=result.pop("process_seconds"),
                  max_rss_mb=result.pop("process_rss_mb"))
    return result


# ------------------------------------------------------------------ Stanford

def run_stanford(build, corpus, work, args):
    """Stanford's four programs, one process each; their seconds and peak RSS."""
    def tool(name, flags, stdin, stdout):
        command = " ".join([os.path.join(build, name), *map(str, flags)])
        redirect = (f" < {stdin}" if stdin else "") + (f" > {stdout}" if stdout else "")
        done = common.run_process(["sh", "-c", f"exec {command}{redirect}"])
        if done["returncode"] != 0:
            raise SystemExit(f"{name} failed:\n{done['stderr'][-2000:]}")
        print(f"  {name}: {done['seconds']:.1f}s, {done['max_rss_mb']:.0f} MB", flush=True)
        return {"seconds": done["seconds"], "max_rss_mb": done["max_rss_mb"],
                "stderr_tail": done["stderr"][-400:]}

    vocab, cooc, shuf = (os.path.join(work, n) for n in ("vocab.txt", "cooc.bin", "cooc.shuf.bin"))
    steps = {
        "vocab_count": tool("vocab_count", ["-min-count", args.min_count, "-verbose", 0],
                            corpus, vocab),
        "cooccur": tool("cooccur", ["-memory", 4, "-vocab-file", vocab, "-window-size",
                                    args.window, "-verbose", 0, "-overflow-file",
                                    os.path.join(work, "overflow")], corpus, cooc),
        "shuffle": tool("shuffle", ["-memory", 4, "-seed", 1, "-verbose", 0,
                                    "-temp-file", os.path.join(work, "temp_shuffle")],
                        cooc, shuf),
    }
    records = os.path.getsize(cooc) // 16
    os.remove(cooc)
    steps["glove"] = tool("glove", ["-input-file", shuf, "-vocab-file", vocab, "-save-file",
                                    os.path.join(work, "stanford"), "-threads", args.threads,
                                    "-iter", args.iter, "-vector-size", args.size, "-x-max",
                                    args.x_max, "-binary", 0, "-seed", 1, "-verbose", 2],
                          None, None)
    os.remove(shuf)
    return {"steps": steps, "records": records,
            "seconds": sum(s["seconds"] for s in steps.values()),
            "max_rss_mb": max(s["max_rss_mb"] for s in steps.values())}


# ------------------------------------------------------------------ report

def targets(stanford, cw2v, bounded, quality):
    total_s = stanford["seconds"]
    total_c = sum(cw2v["seconds"].values())
    count_ratio = stanford["steps"]["cooccur"]["seconds"] / cw2v["seconds"]["count"]
    q_s, q_c = quality["stanford"], quality["cw2v"]
    bound_mb = bounded["memory_bound_gb"] * 1024 + bounded["matrix_mb"]
    return [
        ("total time <= 1/2 Stanford's", f"{total_c:.0f}s vs {total_s:.0f}s "
         f"({total_c / total_s:.2f})", total_c <= total_s / 2),
        ("counting >= 3x faster than cooccur", f"{count_ratio:.2f}x", count_ratio >= 3),
        ("analogy >= Stanford's - 1 point", f"{100 * q_c['analogy']:.1f}% vs "
         f"{100 * q_s['analogy']:.1f}%", q_c["analogy"] >= q_s["analogy"] - 0.01),
        ("WS353 >= Stanford's - 0.01", f"{q_c['ws353']:.3f} vs {q_s['ws353']:.3f}",
         q_c["ws353"] >= q_s["ws353"] - 0.01),
        ("SimLex >= Stanford's - 0.01", f"{q_c['simlex']:.3f} vs {q_s['simlex']:.3f}",
         q_c["simlex"] >= q_s["simlex"] - 0.01),
        (f"counting RSS with memory={bounded['memory_bound_gb']} <= bound + matrix",
         f"{bounded['rss_after_count_mb']:.0f} MB vs {bound_mb:.0f} MB",
         bounded["rss_after_count_mb"] <= bound_mb),
        ("bounded counts identical", bounded["counts_sha256"][:12],
         bounded["counts_sha256"] == cw2v["counts_sha256"]),
    ]


def print_report(stanford, cw2v, bounded, quality, markdown):
    rows = []
    for name, step in stanford["steps"].items():
        rows.append([f"Stanford {name}", f"{step['seconds']:.1f}", f"{step['max_rss_mb']:.0f}"])
    rows.append(["Stanford, all four", f"{stanford['seconds']:.1f}",
                 f"{stanford['max_rss_mb']:.0f}"])
    for phase, seconds in cw2v["seconds"].items():
        rows.append([f"cw2v {phase}", f"{seconds:.1f}", ""])
    rows.append(["cw2v, all", f"{sum(cw2v['seconds'].values()):.1f}",
                 f"{cw2v['max_rss_mb']:.0f} (after counting {cw2v['rss_after_count_mb']:.0f})"])
    rows.append([f"cw2v counting, memory={bounded['memory_bound_gb']}",
                 f"{bounded['seconds']['count']:.1f}", f"{bounded['rss_after_count_mb']:.0f}"])
    print(common.render_table(["run", "seconds", "peak RSS MB"], rows, markdown))
    print()
    print(common.render_table(scoring.QUALITY_HEADERS, scoring.quality_rows(quality), markdown))
    print()
    print(common.render_table(["target", "measured", "met"],
                              [[t, m, "met" if ok else "MISSED"]
                               for t, m, ok in targets(stanford, cw2v, bounded, quality)],
                              markdown))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stanford", default="/work/anchors/GloVe/build",
                        help="folder of Stanford's built programs")
    parser.add_argument("--source", default=DEFAULT_SOURCE)
    parser.add_argument("--limit-words", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--iter", type=int, default=15)
    parser.add_argument("--x-max", type=float, default=100.0)
    parser.add_argument("--update", default="stanford", choices=("stanford", "paper"))
    parser.add_argument("--memory-bound", type=float, default=0.5)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        result = {"cw2v": child_cw2v, "evaluate": child_evaluate}[kind](spec)
        print(json.dumps(result))
        return

    machine = common.machine_description()
    corpus, words = common.prepared_corpus(args.source, args.limit_words)
    print(f"corpus {corpus}: {words:,} tokens; load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-glove-", dir=common.CACHE_DIR) as work:
        spec = dict(corpus=corpus, size=args.size, window=args.window, min_count=args.min_count,
                    x_max=args.x_max, iter=args.iter, threads=args.threads, update=args.update)
        quality = {}
        print("cw2v GloVe:", flush=True)
        cw2v = run_child("cw2v", dict(spec, vectors=os.path.join(work, "cw2v.txt")))
        print(f"  {cw2v['seconds']}, {cw2v['max_rss_mb']:.0f} MB", flush=True)
        quality["cw2v"] = run_child("evaluate", {"vectors": os.path.join(work, "cw2v.txt")})
        print(f"  {quality['cw2v']}", flush=True)
        print(f"cw2v counting with memory={args.memory_bound}:", flush=True)
        bounded = run_child("cw2v", dict(spec, memory=args.memory_bound, count_only=True))
        bounded["memory_bound_gb"] = args.memory_bound
        print(f"  {bounded['seconds']}, {bounded['rss_after_count_mb']:.0f} MB", flush=True)
        print("Stanford GloVe:", flush=True)
        stanford = run_stanford(args.stanford, corpus, work, args)
        quality["stanford"] = run_child("evaluate", {"vectors": os.path.join(work, "stanford.txt")})
        print(f"  {quality['stanford']}", flush=True)
    print()
    print_report(stanford, cw2v, bounded, quality, args.markdown)
    if not args.no_save:
        path = common.save_results(
            "glove" + (f"-first{args.limit_words}" if args.limit_words else ""), "bench_glove",
            machine, vars(args), corpus_words=words, stanford=stanford, cw2v=cw2v,
            bounded=bounded, quality=quality,
            targets=[{"target": t, "measured": m, "met": ok}
                     for t, m, ok in targets(stanford, cw2v, bounded, quality)])
        print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
