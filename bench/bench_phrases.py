"""Benchmark: cw2v's Phrases against gensim's, on the same corpus, in the same run.

    python bench/bench_phrases.py                        # the 100 MB wiki corpus
    python bench/bench_phrases.py --limit-words 2000000  # a quick check

Each library runs in a fresh child process (so its peak RSS is its own) that
reads the corpus through its own ``Text8Corpus`` (sentences of 10,000
tokens), builds ``Phrases(corpus, min_count, threshold)`` (the part timed as
"build", the one the issue's target is about), then ``export_phrases()``
(what ``freeze()`` spends its time on).  cw2v packs its Text8Corpus from
the file's bytes in C, as it would in use; ``--iterable`` hands it the
reader in a wrapper it does not recognise, so it iterates lists of str as
for any other corpus object.  The children alternate (gensim first on odd
repeats).  Both write their exported ``{phrase: score}`` dict,
and the run fails unless the two are equal, scores included.  Results go
to bench/results/ as JSON (``--no-save``: not saved).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import common  # bench/common.py (the script's folder is on sys.path)

DEFAULT_SOURCE = "/work/shared/data/wiki-2015-100mb.txt.xz"


class _Sentences:
    """A corpus cw2v does not recognise as one of its readers: it is iterated."""

    def __init__(self, corpus):
        self.corpus = corpus

    def __iter__(self):
        return iter(self.corpus)


def child(args) -> None:
    """One library's build and export; prints a JSON line of timings."""
    if args.child == "cw2v":
        from cw2v import Phrases, Text8Corpus
        from cw2v.models.phrases import ENGLISH_CONNECTOR_WORDS
        extra = {"workers": args.workers}
    else:
        from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
        from gensim.models.word2vec import Text8Corpus
        extra = {}
    connectors = ENGLISH_CONNECTOR_WORDS if args.connectors else frozenset()
    corpus = Text8Corpus(args.corpus)
    if args.iterable and args.child == "cw2v":
        corpus = _Sentences(corpus)
    started = time.perf_counter()
    cpu = time.process_time()
    model = Phrases(corpus, min_count=args.min_count, threshold=args.threshold,
                    connector_words=connectors, **extra)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    phrases = model.export_phrases()
    export = time.perf_counter() - started
    peak = common.peak_rss_mb()  # before cw2v's vocab property builds a dict of every key
    with open(args.export_to, "w", encoding="utf-8") as f:
        json.dump(phrases, f)
    print(json.dumps({"build_seconds": build, "build_cpu_seconds": build_cpu,
                      "export_seconds": export, "vocab": len(model.vocab),
                      "phrases": len(phrases), "corpus_word_count": model.corpus_word_count,
                      "peak_rss_mb": peak}))


def run_one(library, args, corpus, export_to) -> dict:
    argv = [sys.executable, os.path.abspath(__file__), "--child", library, "--corpus", corpus,
            "--export-to", export_to, "--min-count", str(args.min_count),
            "--threshold", str(args.threshold), "--workers", str(args.workers)]
    if args.connectors:
        argv.append("--connectors")
    if args.iterable:
        argv.append("--iterable")
    done = common.run_process(argv)
    if done["returncode"] != 0:
        raise SystemExit(f"{library} failed:\n{done['stderr']}")
    result = json.loads(done["stdout"].strip().splitlines()[-1])
    result["wall_seconds"] = done["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE)
    parser.add_argument("--limit-words", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="cw2v's counting threads")
    parser.add_argument("--connectors", action="store_true",
                        help="connector_words=ENGLISH_CONNECTOR_WORDS for both")
    parser.add_argument("--iterable", action="store_true",
                        help="cw2v iterates the corpus as Python lists (not packed in C)")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--child", choices=("cw2v", "gensim"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--export-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    machine = common.machine_description()
    corpus, words = common.prepared_corpus(args.source, args.limit_words)
    runs = {"cw2v": [], "gensim": []}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            order = ("cw2v", "gensim") if repeat % 2 == 0 else ("gensim", "cw2v")
            exports = {}
            for library in order:
                exports[library] = os.path.join(scratch, f"{library}.json")
                result = run_one(library, args, corpus, exports[library])
                runs[library].append(result)
                print(f"repeat {repeat + 1} {library:6}: build {result['build_seconds']:7.2f}s "
                      f"export {result['export_seconds']:6.2f}s "
                      f"peak {result['peak_rss_mb']:6.0f} MB, {result['phrases']} phrases",
                      flush=True)
            with open(exports["cw2v"]) as a, open(exports["gensim"]) as b:
                same = json.load(a) == json.load(b)
            if not same:
                raise SystemExit("the two libraries exported different phrases or scores")
    rows, summary = [], {}
    for library, results in runs.items():
        summary[library] = {key: statistics.median(r[key] for r in results)
                            for key in ("build_seconds", "build_cpu_seconds", "export_seconds",
                                        "peak_rss_mb")}
    ratios = {key: summary["gensim"][key] / summary["cw2v"][key]
              for key in ("build_seconds", "build_cpu_seconds", "export_seconds")}
    ratios["peak_rss_cw2v_over_gensim"] = summary["cw2v"]["peak_rss_mb"] / \
        summary["gensim"]["peak_rss_mb"]
    for library in ("cw2v", "gensim"):
        s = summary[library]
        rows.append([library, f"{s['build_seconds']:.2f}", f"{s['build_cpu_seconds']:.2f}",
                     f"{s['export_seconds']:.2f}", f"{s['peak_rss_mb']:.0f}",
                     str(runs[library][0]["vocab"]), str(runs[library][0]["phrases"])])
    rows.append(["gensim / cw2v", f"{ratios['build_seconds']:.1f}x",
                 f"{ratios['build_cpu_seconds']:.1f}x", f"{ratios['export_seconds']:.1f}x",
                 f"{ratios['peak_rss_cw2v_over_gensim']:.2f} (cw2v/gensim)", "", ""])
    print(f"\n{words:,} words, min_count={args.min_count}, threshold={args.threshold}, "
          f"cw2v workers={args.workers}, same phrases and scores: yes")
    print(common.render_table(["library", "build s", "build CPU s", "export s", "peak RSS MB",
                               "vocab", "phrases"], rows, markdown=True))
    if not args.no_save:
        path = common.save_results("phrases", "bench_phrases", machine, vars(args),
                                   corpus_words=words, runs=runs, summary=summary,
                                   ratios=ratios)
        print(f"saved {path}")


if __name__ == "__main__":
    main()
