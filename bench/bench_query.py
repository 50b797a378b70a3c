"""most_similar latency: cw2v vs gensim on the same random matrix.

Builds a random V x K float32 matrix (default 100k x 300) with synthetic keys,
loads it into both libraries' KeyedVectors, and times

* single queries: ``most_similar(word, topn=10)`` for a list of query words,
  one call each, alternating cw2v and gensim in blocks of 25 queries;
* a batch: the same words answered by ``cw2v``'s ``most_similar_batch``
  (one matrix product per block) against gensim answering them one by one
  (gensim has no batch call);
* analogy-style queries with a negative word.

Prints per-query median latencies and the ratio gensim / cw2v. Results of
both are compared so a fast wrong answer cannot pass unnoticed. The
arguments, the machine, every timing and the ratios are saved as JSON in
bench/results/ (``--no-save``: not saved).

    python bench/bench_query.py
    python bench/bench_query.py --words 100000 --dim 300 --queries 200 --batch 1000
"""
import argparse
import statistics
import sys
import time

import numpy as np

import common  # bench/common.py (the script's folder is on sys.path)
from cw2v.vectors.keyedvectors import KeyedVectors


def build(n_words, dim, seed=0):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n_words, dim), dtype=np.float32)
    keys = [f"w{i}" for i in range(n_words)]
    return keys, vectors


def median_ms(times):
    return 1000 * statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200, help="single queries timed per library")
    parser.add_argument("--batch", type=int, default=1000, help="queries in the batch test")
    parser.add_argument("--rounds", type=int, default=3, help="batch timing rounds")
    parser.add_argument("--topn", type=int, default=10)
    parser.add_argument("--out", help="results JSON path (default bench/results/<date>-<git hash>-query.json)")
    parser.add_argument("--no-save", action="store_true", help="do not write a results JSON")
    args = parser.parse_args(argv)
    machine = common.machine_description()
    if machine["loadavg_at_start"][0] > 0.5:
        print(f"warning: the machine is busy (load average {machine['loadavg_at_start'][0]:.1f}): "
              "figures will be noisy", file=sys.stderr)

    from gensim.models import KeyedVectors as GensimKeyedVectors

    keys, vectors = build(args.words, args.dim)
    ours = KeyedVectors.from_arrays(keys, vectors)
    theirs = GensimKeyedVectors(args.dim)
    theirs.add_vectors(keys, vectors)
    # Both libraries cache norms on first use; do that outside the timings.
    ours.fill_norms()
    theirs.fill_norms()
    rng = np.random.default_rng(1)
    words = [keys[i] for i in rng.integers(0, args.words, size=max(args.queries, args.batch))]

    def agree(a, b):
        return [k for k, _ in a] == [k for k, _ in b] or np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)

    def timed(fn, items):
        """Per-call times and results of fn over items."""
        times, results = [], []
        for item in items:
            t = time.perf_counter()
            results.append(fn(item))
            times.append(time.perf_counter() - t)
        return times, results

    # Libraries alternate in blocks of queries rather than query by query:
    # OpenBLAS worker threads keep spinning for a while after a call and would
    # slow whichever library runs right after gensim's BLAS call.
    block = 25
    single_queries = words[: args.queries]
    analogy_queries = [([single_queries[i], single_queries[i + 1]], [single_queries[i + 2]])
                       for i in range(0, len(single_queries) - 2, 3)]
    tests = {
        "single query": (single_queries,
                         lambda w: ours.most_similar(w, topn=args.topn),
                         lambda w: theirs.most_similar(w, topn=args.topn)),
        "analogy query": (analogy_queries,
                          lambda pn: ours.most_similar(positive=pn[0], negative=pn[1], topn=args.topn),
                          lambda pn: theirs.most_similar(positive=pn[0], negative=pn[1], topn=args.topn)),
    }
    medians, seconds, mismatches = {}, {}, 0
    for name, (items, fn_ours, fn_theirs) in tests.items():
        t_ours, t_theirs = [], []
        for first in range(0, len(items), block):
            chunk = items[first:first + block]
            times_o, res_o = timed(fn_ours, chunk)
            times_t, res_t = timed(fn_theirs, chunk)
            t_ours += times_o
            t_theirs += times_t
            mismatches += sum(not agree(a, b) for a, b in zip(res_o, res_t))
        medians[name] = (median_ms(t_ours), median_ms(t_theirs))
        seconds[name] = {"cw2v": t_ours, "gensim": t_theirs}

    # Batch: cw2v's one-call batch vs gensim looping (per-query time reported).
    batch_words = words[: args.batch]
    b_ours, b_theirs = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        res_ours = ours.most_similar_batch(batch_words, topn=args.topn)
        b_ours.append((time.perf_counter() - t) / len(batch_words))
        t = time.perf_counter()
        res_theirs = [theirs.most_similar(w, topn=args.topn) for w in batch_words]
        b_theirs.append((time.perf_counter() - t) / len(batch_words))
    mismatches += sum(not agree(a, b) for a, b in zip(res_ours, res_theirs))
    medians[f"batch of {args.batch}"] = (median_ms(b_ours), median_ms(b_theirs))
    seconds[f"batch of {args.batch}"] = {"cw2v": b_ours, "gensim": b_theirs}  # per query, one per round

    print(f"matrix {args.words} x {args.dim}, topn={args.topn}; result mismatches: {mismatches}")
    for name, (o, g) in medians.items():
        print(f"{name:16s} cw2v {o:8.3f} ms/query   gensim {g:8.3f} ms/query   ratio {g / o:5.2f}x")
    if not args.no_save:
        out = common.save_results(
            "query", "bench/bench_query.py", machine, vars(args), out=args.out,
            result_mismatches=mismatches, seconds_per_query=seconds,
            median_ms_per_query={name: {"cw2v": o, "gensim": g}
                                 for name, (o, g) in medians.items()},
            ratio_gensim_over_cw2v={name: g / o for name, (o, g) in medians.items()})
        print(f"results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
