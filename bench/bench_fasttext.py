"""Benchmark: cw2v's FastText against Facebook's fastText and gensim's FastText, in one run.

    python bench/bench_fasttext.py --epochs 1,5 [--markdown]
    python bench/bench_fasttext.py --limit-words 500000 --epochs 1      # a quick check

Issue 11's comparison: skip-gram, negative sampling, 100 dimensions,
n-grams of 3 to 6 characters, 2 threads, on the 100 MB wiki corpus cut into
1,000-token lines (a cached copy made once by bench/common.py).  For every
epoch count, four runs, each in a fresh process:

facebook      ``fasttext.train_unsupervised(corpus, model="skipgram", dim=100,
              minn=3, maxn=6, thread=2, epoch=E)``, every other setting at
              fastText's default (lr 0.05, ws 5, neg 5, minCount 5, t 1e-4,
              bucket 2,000,000).
gensim        ``gensim.models.FastText(corpus_file=..., sg=1, vector_size=100,
              min_n=3, max_n=6, workers=2, epochs=E)``, the rest at gensim's
              defaults (alpha 0.025, window 5, negative 5, ns_exponent 0.75,
              sample 1e-3, min_count 5, bucket 2,000,000).  ``corpus_file=``
              is gensim's fastest mode (its Cython reads the file, no Python
              iteration per sentence).
cw2v-fasttext ``cw2v.FastText(corpus_file=..., workers=2)`` at fastText's
              settings: alpha 0.05, ns_exponent 0.5, sample 1e-4, window 5,
              negative 5, min_count 5, bucket 2,000,000.
cw2v-gensim   ``cw2v.FastText(corpus_file=..., workers=2)`` at gensim's defaults.

Each run is timed inside its process from the call that starts it (the
constructor, which scans the vocabulary and trains) to the end of training:
words/s is the corpus's token count x epochs / those seconds, the same
numerator for everyone.  Peak RSS is the process's VmHWM read right after
training (before its vectors are written out).  The vectors of the
vocabulary (composed: word row and n-gram rows) are then scored in a
separate process by bench/scoring.py: questions-words analogies
(restrict_vocab=30000; semantic and syntactic sections apart), WS353 and
SimLex-999 Spearman.  fastText's ``</s>`` is left out of its vectors.

Targets (issue 11), for each epoch count: cw2v at an anchor's settings at
least 2.5x that anchor's words/s; analogy accuracy, WS353 and SimLex at
least the anchor's minus 1 point (0.01 for the correlations); every cw2v
run's peak RSS no higher than either anchor's.  Results go to bench/results/
as JSON.  ``--limit-words N`` trains on the first N tokens (checks the
script; the scores then mean little); ``--runs`` picks some of the four;
``--per-pair`` trains cw2v with ``centre_once=False`` (the centre's rows
gathered and scattered for every pair, as Facebook's code does).
"""
import argparse
import json
import os
import tempfile
import time

import common  # bench/common.py (the script's folder is on sys.path)
import scoring

DEFAULT_SOURCE = os.path.join(scoring.DATA, "wiki-2015-100mb.txt.xz")
TOKENS_PER_LINE = 1000
SPEEDUP_TARGET = 2.5

# fastText's defaults for skip-gram, in cw2v's (gensim's) keywords.
FASTTEXT_SETTINGS = dict(alpha=0.05, ns_exponent=0.5, sample=1e-4, window=5, negative=5,
                         min_count=5, bucket=2_000_000)
# gensim FastText's defaults, spelled out (cw2v's constructor has the same ones).
GENSIM_SETTINGS = dict(alpha=0.025, ns_exponent=0.75, sample=1e-3, window=5, negative=5,
                       min_count=5, bucket=2_000_000)
# Which anchor each cw2v run is held against, and with which settings.
CW2V_RUNS = {"cw2v-fasttext": ("facebook", FASTTEXT_SETTINGS),
             "cw2v-gensim": ("gensim", GENSIM_SETTINGS)}
RUN_ORDER = ("facebook", "cw2v-fasttext", "gensim", "cw2v-gensim")


# ------------------------------------------------------------------ children

def _trained(started):
    """What every training child reports when its training is over."""
    return {"seconds": time.perf_counter() - started, "peak_rss_mb": common.peak_rss_mb()}


def _save_vectors(words, vectors, path):
    """Words and their (n, K) vectors as a word2vec binary file, through cw2v."""
    from cw2v import KeyedVectors
    KeyedVectors.from_arrays(list(words), vectors).save_word2vec_format(path, binary=True)


def child_facebook(spec):
    import fasttext
    import numpy as np

    started = time.perf_counter()
    model = fasttext.train_unsupervised(
        spec["corpus"], model="skipgram", dim=spec["dim"], minn=spec["min_n"],
        maxn=spec["max_n"], thread=spec["workers"], epoch=spec["epochs"], verbose=0)
    result = _trained(started)
    words = [w for w in model.words if w != "</s>"]
    vectors = np.stack([model.get_word_vector(w) for w in words]).astype(np.float32)
    _save_vectors(words, vectors, spec["vectors"])
    return result


def child_gensim(spec):
    from gensim.models import FastText

    started = time.perf_counter()
    model = FastText(corpus_file=spec["corpus"], sg=1, vector_size=spec["dim"],
                     min_n=spec["min_n"], max_n=spec["max_n"], workers=spec["workers"],
                     epochs=spec["epochs"])
    result = _trained(started)
    model.wv.save_word2vec_format(spec["vectors"], binary=True)
    return result


def child_cw2v(spec):
    from cw2v import FastText

    started = time.perf_counter()
    model = FastText(corpus_file=spec["corpus"], sg=1, vector_size=spec["dim"],
                     min_n=spec["min_n"], max_n=spec["max_n"], workers=spec["workers"],
                     epochs=spec["epochs"], seed=1, **spec["settings"])
    result = _trained(started)
    model.wv.save_word2vec_format(spec["vectors"], binary=True)
    return result


def child_evaluate(spec):
    from cw2v import KeyedVectors
    return scoring.score_vectors(KeyedVectors.load_word2vec_format(spec["vectors"], binary=True))


CHILDREN = {"facebook": child_facebook, "gensim": child_gensim, "cw2v": child_cw2v,
            "evaluate": child_evaluate}


def run_child(kind, spec):
    """One child process of this script (see common.run_json_child)."""
    return common.run_json_child(__file__, kind, spec)


def train_and_score(name, corpus, words, epochs, work, args):
    """Train one run, score its vectors; the run's record."""
    vectors = os.path.join(work, f"{name}-{epochs}.bin")
    spec = dict(corpus=corpus, epochs=epochs, dim=args.dim, min_n=args.min_n, max_n=args.max_n,
                workers=args.workers, vectors=vectors)
    if name in CW2V_RUNS:
        spec["settings"] = dict(CW2V_RUNS[name][1], centre_once=not args.per_pair)
    record = run_child("cw2v" if name in CW2V_RUNS else name, spec)
    record["words_per_second"] = words * epochs / record["seconds"]
    record["quality"] = run_child("evaluate", {"vectors": vectors})
    os.remove(vectors)
    return record


# ------------------------------------------------------------------ report

def _points(value, anchor, correlation):
    """A score and the anchor's, as text: percentages for accuracies, rho for correlations."""
    if correlation:
        return f"{value:.3f} vs {anchor:.3f}"
    return f"{100 * value:.1f}% vs {100 * anchor:.1f}%"


def targets(runs):
    """(epochs, target, measured, met) for every target of issue 11 that the runs cover."""
    found = []
    for epochs, by_name in runs.items():
        anchors = [by_name[a] for a in ("facebook", "gensim") if a in by_name]
        for name, (anchor_name, _) in CW2V_RUNS.items():
            if name not in by_name:
                continue
            mine = by_name[name]
            if anchor_name in by_name:
                anchor = by_name[anchor_name]
                ratio = mine["words_per_second"] / anchor["words_per_second"]
                found.append((epochs, f"{name} words/s >= {SPEEDUP_TARGET}x {anchor_name}'s",
                              f"{ratio:.2f}x", ratio >= SPEEDUP_TARGET))
                for key, label, correlation in (("analogy", "analogy", False),
                                                ("ws353", "WS353", True),
                                                ("simlex", "SimLex", True)):
                    ours, theirs = mine["quality"][key], anchor["quality"][key]
                    found.append((epochs, f"{name} {label} >= {anchor_name}'s - 1 point",
                                  _points(ours, theirs, correlation), ours >= theirs - 0.01))
            if anchors:
                limit = min(a["peak_rss_mb"] for a in anchors)
                found.append((epochs, f"{name} peak RSS <= every anchor's",
                              f"{mine['peak_rss_mb']:.0f} MB vs {limit:.0f} MB",
                              mine["peak_rss_mb"] <= limit))
    return found


def print_report(runs, markdown):
    rows = []
    for epochs, by_name in runs.items():
        for name, r in by_name.items():
            anchor = CW2V_RUNS.get(name, (None,))[0]
            ratio = (f"{r['words_per_second'] / by_name[anchor]['words_per_second']:.2f}x "
                     f"{anchor}" if anchor in by_name else "")
            q = r["quality"]
            rows.append([name, str(epochs), f"{r['seconds']:.1f}", f"{r['words_per_second']:,.0f}",
                         ratio, f"{r['peak_rss_mb']:.0f}", f"{100 * q['analogy']:.1f}%",
                         f"{100 * q['semantic']:.1f}%", f"{100 * q['syntactic']:.1f}%",
                         f"{q['ws353']:.3f}", f"{q['simlex']:.3f}"])
    print(common.render_table(["run", "epochs", "seconds", "words/s", "speed ratio",
                               "peak RSS MB", "analogy", "semantic", "syntactic", "WS353",
                               "SimLex"], rows, markdown))
    print()
    print(common.render_table(["epochs", "target", "measured", "met"],
                              [[str(e), t, m, "met" if ok else "MISSED"]
                               for e, t, m, ok in targets(runs)], markdown))


def _epoch_list(text):
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--epochs {text!r}: give positive integers, e.g. 1,5")
    return values


def _run_list(text):
    names = [v.strip() for v in text.split(",") if v.strip()]
    unknown = set(names) - set(RUN_ORDER)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"--runs {text!r}: choose among {', '.join(RUN_ORDER)}")
    return [n for n in RUN_ORDER if n in names]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE)
    parser.add_argument("--limit-words", type=int, default=None)
    parser.add_argument("--epochs", type=_epoch_list, default=[1, 5],
                        help="comma-separated epoch counts (default 1,5)")
    parser.add_argument("--runs", type=_run_list, default=list(RUN_ORDER),
                        help=f"comma-separated subset of {','.join(RUN_ORDER)}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--min-n", type=int, default=3)
    parser.add_argument("--max-n", type=int, default=6)
    parser.add_argument("--per-pair", action="store_true",
                        help="train cw2v with FastText(centre_once=False): the centre's subword "
                             "rows gathered and scattered for every pair, not once per window")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](json.loads(args.child[1]))))
        return

    machine = common.machine_description()
    machine["versions"]["fasttext"] = common.package_version("fasttext")
    corpus, words = common.prepared_corpus(args.source, args.limit_words, TOKENS_PER_LINE)
    print(f"corpus {corpus}: {words:,} tokens; load average {os.getloadavg()}", flush=True)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="bench-fasttext-", dir=common.CACHE_DIR) as work:
        for epochs in args.epochs:
            runs[epochs] = {}
            for name in args.runs:
                record = train_and_score(name, corpus, words, epochs, work, args)
                runs[epochs][name] = record
                q = record["quality"]
                print(f"{name}, {epochs} epoch(s): {record['seconds']:.1f}s, "
                      f"{record['words_per_second']:,.0f} words/s, "
                      f"{record['peak_rss_mb']:.0f} MB, analogy {100 * q['analogy']:.1f}%, "
                      f"WS353 {q['ws353']:.3f}, SimLex {q['simlex']:.3f}", flush=True)
    print()
    print_report(runs, args.markdown)
    if not args.no_save:
        path = common.save_results(
            "fasttext" + (f"-first{args.limit_words}" if args.limit_words else ""),
            "bench_fasttext", machine, vars(args), corpus_words=words,
            settings={"fasttext": FASTTEXT_SETTINGS, "gensim": GENSIM_SETTINGS},
            runs={str(e): r for e, r in runs.items()},
            targets=[{"epochs": e, "target": t, "measured": m, "met": ok}
                     for e, t, m, ok in targets(runs)])
        print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
