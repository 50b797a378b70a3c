"""Benchmark: cw2v against gensim 4 training word2vec on the same corpus.

    python bench/compare.py --limit-words 2000000 --epochs 1 --configs sg-ns,cbow-ns
    python bench/compare.py --epochs 5 --repeats 3 --cli        # the full benchmark
    python bench/compare.py --show bench/results/FILE.json --markdown

Every training run is a fresh subprocess, so each peak RSS is that run's
own; cw2v and gensim alternate (cw2v first on even repeats, gensim first on
odd ones) so that drift in machine load hits both.  Both libraries get the
same parameters and the same code path (cw2v keeps gensim 4's API):
``Word2Vec(...)``, ``build_vocab`` (timed: "vocab s"), then ``train`` (timed:
words/s is raw corpus tokens x epochs / train() seconds), then
``wv.evaluate_word_analogies(questions-words.txt, restrict_vocab=30000)``.

Modes: ``iterable`` reads the corpus with each library's ``Text8Corpus``
(10,000-token sentences cut from one line); ``file`` passes ``corpus_file=``
a cached copy with 1,000-token lines (gensim's file mode drops training on
lines of 10,000+ tokens).  ``--cli`` also runs ``python -m cw2v train`` with
word2vec.c's flags on that file and compares its training speed with the
library call.  See bench/README.md for every column.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time

import common

# The anchor is gensim, or with --baseline-python another cw2v build ("baseline").
LIBRARIES = ["cw2v", "gensim"]
MODES = ("iterable", "file")
TOKENS_PER_LINE = 1000  # the line length of the file-mode copy of the corpus
DEFAULT_CORPUS = "/work/shared/data/wiki-2015-100mb.txt.xz"
DEFAULT_ANALOGIES = "/work/shared/data/questions-words.txt"
RESTRICT_VOCAB = 30000
RESULT_MARK = "@@compare-result@@ "
DEFAULT_OUT = "bench/results/<date>-<git short hash>.json"

# Output layer and architecture of each configuration; ``cw2v_only`` keywords
# go to cw2v alone, gensim runs the same configuration without them.
CONFIGS = {
    "sg-ns": dict(sg=1, hs=0),
    "cbow-ns": dict(sg=0, hs=0),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
    "sg-ns-shared": dict(sg=1, hs=0, cw2v_only=dict(shared_negatives=True)),
}


# ---------------------------------------------------------------- one run, in a child

def model_keywords(spec: dict) -> dict:
    """Word2Vec keywords of a run: shared parameters, then the configuration's own."""
    config = dict(CONFIGS[spec["config"]])
    cw2v_only = config.pop("cw2v_only", {})
    keywords = dict(spec["params"], workers=spec["workers"], epochs=spec["epochs"], **config)
    if spec["library"] in ("cw2v", "baseline"):
        keywords.update(cw2v_only)
    return keywords


def child_main(spec: dict) -> dict:
    """Build the vocabulary, train and evaluate one model; runs in its own process."""
    import logging
    logging.basicConfig(level=logging.WARNING)
    if spec["library"] in ("cw2v", "baseline"):
        import cw2v as lib
        from cw2v import Text8Corpus, Word2Vec
    else:
        import gensim as lib
        from gensim.models.word2vec import Text8Corpus, Word2Vec
    keywords = model_keywords(spec)
    try:
        model = Word2Vec(**keywords)
    except TypeError as exc:
        unsupported = [k for k in CONFIGS[spec["config"]].get("cw2v_only", {}) if k in str(exc)]
        if spec["library"] == "cw2v" and unsupported:
            return {"skipped": f"the installed cw2v does not accept {', '.join(unsupported)}"}
        raise

    # Each mode gets its usual total: sentences for an iterable, raw words for a file.
    if spec["mode"] == "iterable":
        source = {"corpus_iterable": Text8Corpus(spec["corpus"])}
        totals = lambda: {"total_examples": model.corpus_count}  # noqa: E731
    else:
        source = {"corpus_file": spec["corpus"]}
        totals = lambda: {"total_words": model.corpus_total_words}  # noqa: E731
    started = time.perf_counter()
    model.build_vocab(**source)
    vocab_seconds = time.perf_counter() - started
    started = time.perf_counter()
    trained, raw = model.train(**source, epochs=spec["epochs"], **totals())
    train_seconds = time.perf_counter() - started
    rss_after_train = common.peak_rss_mb()

    started = time.perf_counter()
    score, sections = model.wv.evaluate_word_analogies(spec["analogies"],
                                                       restrict_vocab=RESTRICT_VOCAB)
    total = sections[-1]  # both libraries end with the 'Total accuracy' section
    result = {
        "library_version": lib.__version__,
        "vocab_size": len(model.wv),
        "vocab_seconds": vocab_seconds,
        "train_seconds": train_seconds,
        "reported_raw_words": int(raw),
        "reported_trained_words": int(trained),
        "words_per_sec": spec["corpus_words"] * spec["epochs"] / train_seconds,
        "peak_rss_mb": rss_after_train,
        "peak_rss_mb_with_eval": common.peak_rss_mb(),
        "analogy_accuracy": float(score),
        "analogy_questions": len(total["correct"]) + len(total["incorrect"]),
        "eval_seconds": time.perf_counter() - started,
    }
    history = getattr(model, "training_history", None)
    if history:  # cw2v: the time spent inside the epochs, to compare with the command line
        result["epoch_seconds"] = sum(epoch["seconds"] for epoch in history)
    return result


def run_library(spec: dict) -> dict:
    """Run one library training in a fresh interpreter; the child's dict plus the spec."""
    argv = [spec.get("python") or sys.executable, os.path.abspath(__file__), "--child",
            json.dumps(spec)]
    done = common.run_process(argv)
    record = dict(spec, kind="library", keywords=model_keywords(spec), process_seconds=done["seconds"],
                  process_max_rss_mb=done["max_rss_mb"], loadavg_after=list(os.getloadavg()))
    lines = [ln for ln in done["stdout"].splitlines() if ln.startswith(RESULT_MARK)]
    if done["returncode"] != 0 or not lines:
        record["error"] = f"exit code {done['returncode']}: " + done["stderr"].strip()[-2000:]
    else:
        record.update(json.loads(lines[-1][len(RESULT_MARK):]))
    return record


def cli_argv(spec: dict, output_dir: str) -> list:
    """``python -m cw2v train`` with word2vec.c's flags for the run described by ``spec``."""
    k = model_keywords(spec)
    flags = {"-train": spec["corpus"], "-output": os.path.join(output_dir, "vectors.bin"),
             "-binary": 1, "-size": k["vector_size"], "-window": k["window"],
             "-sample": k["sample"], "-negative": k["negative"], "-hs": k["hs"],
             "-cbow": 1 - k["sg"], "-threads": k["workers"], "-iter": k["epochs"],
             "-min-count": k["min_count"], "-alpha": k["alpha"],
             # -debug 1: progress without the loss, which the library runs do not compute.
             "-debug": 1, "--save-model": os.path.join(output_dir, "model")}
    return [sys.executable, "-m", "cw2v", "train"] + [str(x) for kv in flags.items() for x in kv]


def run_cli(spec: dict) -> dict:
    """Time ``python -m cw2v train``; its epoch seconds come from the saved model's history."""
    record = dict(spec, kind="cli")
    with tempfile.TemporaryDirectory(prefix="cw2v-bench-") as output_dir:
        argv = cli_argv(spec, output_dir)
        done = common.run_process(argv)
        record.update(command=" ".join(argv[1:]), process_seconds=done["seconds"],
                      peak_rss_mb=done["max_rss_mb"], loadavg_after=list(os.getloadavg()))
        try:
            with open(os.path.join(output_dir, "model", "meta.json")) as f:
                history = json.load(f)["training_history"]
        except (OSError, ValueError, KeyError) as exc:
            record["error"] = (f"exit code {done['returncode']}, no saved model ({exc}): "
                               + done["stderr"].strip()[-2000:])
            return record
    record["epoch_seconds"] = sum(epoch["seconds"] for epoch in history)
    record["words_per_sec"] = spec["corpus_words"] * spec["epochs"] / record["epoch_seconds"]
    return record


# ---------------------------------------------------------------- summary

def _who(record) -> str:
    return "cw2v CLI" if record["kind"] == "cli" else record["library"]


def _median(values):
    return statistics.median(values) if values else None


def summarise(runs: list) -> tuple:
    """Median figures per (config, mode, workers) and the worker speed-ups per library."""
    keys = sorted({(r["config"], r["mode"], r["workers"]) for r in runs},
                  key=lambda k: (list(CONFIGS).index(k[0]), MODES.index(k[1]), k[2]))
    rows = []
    for config, mode, workers in keys:
        group = [r for r in runs if (r["config"], r["mode"], r["workers"]) == (config, mode, workers)]
        row = {"config": config, "mode": mode, "workers": workers}
        ok = [r for r in group if "words_per_sec" in r]
        row["notes"] = _notes(group, ok)
        by = {lib: [r for r in ok if r["kind"] == "library" and r["library"] == lib]
              for lib in LIBRARIES}
        for lib, lib_runs in by.items():
            for field in ("words_per_sec", "vocab_seconds", "peak_rss_mb", "analogy_accuracy"):
                row[f"{lib}_{field}"] = _median([r[field] for r in lib_runs])
        # Ratios of the runs made side by side in the same repeat, then their median.
        pairs = {}
        anchor = LIBRARIES[1]
        for r in by["cw2v"] + by[anchor]:
            pairs.setdefault(r["repeat"], {})[r["library"]] = r["words_per_sec"]
        row["ratio"] = _median([p["cw2v"] / p[anchor] for p in pairs.values() if len(p) == 2])
        # Speed of the command line over the library call's, both timed inside the epochs.
        cli = {r["repeat"]: r for r in ok if r["kind"] == "cli"}
        lib_epochs = {r["repeat"]: r for r in by["cw2v"] if "epoch_seconds" in r}
        if cli:
            row["cli_words_per_sec"] = _median([r["words_per_sec"] for r in cli.values()])
            row["cli_ratio"] = _median([lib_epochs[i]["epoch_seconds"] / cli[i]["epoch_seconds"]
                                        for i in cli if i in lib_epochs])
        row["runs"] = len(group)
        rows.append(row)

    speedups = []
    for config, mode in dict.fromkeys((r["config"], r["mode"]) for r in rows):
        per_workers = {r["workers"]: r for r in rows if (r["config"], r["mode"]) == (config, mode)}
        if 1 not in per_workers:
            continue
        for workers in sorted(w for w in per_workers if w > 1):
            entry = {"config": config, "mode": mode, "workers": workers}
            for lib in LIBRARIES:
                one, many = (per_workers[w].get(f"{lib}_words_per_sec") for w in (1, workers))
                entry[f"{lib}_speedup"] = many / one if one and many else None
            speedups.append(entry)
    return rows, speedups


def _notes(group, ok) -> list:
    """Why a row is empty or partial, and raw-word counts that differ from the corpus's."""
    notes = [r["skipped"] for r in group if "skipped" in r][:1]
    for r in group:
        if "error" in r:
            last_line = (r["error"].strip().splitlines() or ["?"])[-1]
            notes.append(f"{_who(r)} failed: {last_line[:200]}")
            break
    for lib in LIBRARIES:
        odd = [r for r in ok if r["kind"] == "library" and r["library"] == lib
               and r["reported_raw_words"] != r["corpus_words"] * r["epochs"]]
        if odd:
            notes.append(f"{lib}'s train() reported {odd[0]['reported_raw_words']:,} raw words; "
                         f"the corpus holds {odd[0]['corpus_words']:,} x {odd[0]['epochs']} epoch(s)")
    return notes


def _fmt(value, kind):
    if value is None:
        return "-"
    return {"kw/s": lambda v: f"{v / 1000:,.0f}k", "x": lambda v: f"{v:.2f}x",
            "s": lambda v: f"{v:.2f}", "MB": lambda v: f"{v:,.0f}",
            "%": lambda v: f"{100 * v:.1f}%"}[kind](value)


def describe_setup(results) -> str:
    """One paragraph: corpus, parameters, versions, machine and its load."""
    args, machine = results["arguments"], results["machine"]
    words = next(iter(results["corpora"].values()))["words"]
    corpus = os.path.basename(args["corpus"])
    corpus = (f"first {words:,} tokens of {corpus} (QUICK SLICE: noisy, not representative)"
              if args["limit_words"] else f"{corpus} ({words:,} tokens)")
    git = machine["git"]
    commit = f"{git['short']}{' + uncommitted changes' if git['dirty'] else ''}"
    end = machine.get("git_at_end")
    if end and end["commit"] != git["commit"]:
        commit += f" (HEAD moved to {end['short']} during the run)"
    versions = machine["versions"]
    load = [round(machine[k][0], 1) for k in ("loadavg_at_start", "loadavg_at_end") if k in machine]
    anchor = (f"against the cw2v build of {args['baseline_python']}" if args.get("baseline_python")
              else f"gensim {versions['gensim']}")
    return (f"corpus: {corpus}; {args['epochs']} epoch(s), {args['repeats']} repeat(s); "
            f"vector_size {args['vector_size']}, window {args['window']}, min_count "
            f"{args['min_count']}, sample {args['sample']}, negative {args['negative']}, alpha "
            f"{args['alpha']}\ncw2v {versions['cw2v']} at {commit}, {anchor}, "
            f"numpy {versions['numpy']}, Python {machine['python']}; {machine['cpu']}, "
            f"{machine['cores']} cores; load average {' -> '.join(map(str, load))} (start -> end)")


def format_tables(rows, speedups, markdown=False) -> str:
    """The main table (medians per row), its notes, and the worker speed-ups."""
    with_cli = any("cli_words_per_sec" in r for r in rows)
    a = LIBRARIES[1]
    headers = ["config", "mode", "workers", "cw2v w/s", f"{a} w/s", f"cw2v/{a}",
               "cw2v vocab s", f"{a} vocab s", "cw2v RSS MB", f"{a} RSS MB",
               "cw2v acc", f"{a} acc"]
    if with_cli:
        headers += ["cli w/s", "cli/lib"]
    lines, notes = [], []
    for r in rows:
        cells = [r["config"], r["mode"], str(r["workers"])]
        cells += [_fmt(r.get(f"{lib}_words_per_sec"), "kw/s") for lib in LIBRARIES]
        cells.append(_fmt(r.get("ratio"), "x"))
        for field, kind in (("vocab_seconds", "s"), ("peak_rss_mb", "MB"),
                            ("analogy_accuracy", "%")):
            cells += [_fmt(r.get(f"{lib}_{field}"), kind) for lib in LIBRARIES]
        if with_cli:
            cells += [_fmt(r.get("cli_words_per_sec"), "kw/s"), _fmt(r.get("cli_ratio"), "x")]
        marks = []
        for note in r.get("notes", []):
            notes.append(f"[{len(notes) + 1}] {r['config']} {r['mode']} w={r['workers']}: {note}")
            marks.append(str(len(notes)))
        if marks:
            cells[0] += f" [{','.join(marks)}]"
        lines.append(cells)
    text = common.render_table(headers, lines, markdown)
    if notes:
        text += "\n\n" + "\n".join(notes)
    if speedups:
        speed_rows = [[s["config"], s["mode"], f"{s['workers']}/1"]
                      + [_fmt(s[f"{lib}_speedup"], "x") for lib in LIBRARIES] for s in speedups]
        text += "\n\n" + common.render_table(
            ["config", "mode", "workers", "cw2v speed-up", f"{LIBRARIES[1]} speed-up"], speed_rows,
            markdown)
    return text


# ---------------------------------------------------------------- main

def _comma_list(choices=None, cast=str):
    def parse(text):
        items = [cast(x.strip()) for x in text.split(",") if x.strip()]
        bad = [x for x in items if choices is not None and x not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"expected a comma list of {', '.join(map(str, choices)) if choices else 'values'}"
                + (f"; unknown: {', '.join(map(str, bad))}" if bad else ""))
        return list(dict.fromkeys(items))
    return parse


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        description="Train cw2v and gensim 4 on the same corpus with the same parameters, each "
                    "run in a fresh subprocess, alternating the two, and print words/s, their "
                    "ratio, vocabulary-scan time, peak RSS and analogy accuracy.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--corpus", default=DEFAULT_CORPUS,
                        help="plain text or .xz/.gz/.bz2; decompressed once into "
                             f"{common.CACHE_DIR} (set CW2V_BENCH_CACHE to move it)")
    parser.add_argument("--limit-words", type=_positive_int, default=None, metavar="N",
                        help="use only the first N tokens of the corpus (quick runs, e.g. 2000000)")
    parser.add_argument("--epochs", type=_positive_int, default=1, help="training epochs")
    parser.add_argument("--configs", type=_comma_list(CONFIGS), default=",".join(list(CONFIGS)[:4]),
                        help=f"comma list of {', '.join(CONFIGS)} (sg-ns-shared: cw2v's "
                             "shared_negatives=True against gensim's sg-ns)")
    parser.add_argument("--workers", type=_comma_list(cast=_positive_int), default="1,2",
                        help="comma list of worker counts")
    parser.add_argument("--modes", type=_comma_list(MODES), default=",".join(MODES),
                        help="comma list of iterable (Text8Corpus), file (corpus_file=)")
    parser.add_argument("--repeats", type=_positive_int, default=1,
                        help="runs of each library per row; the table shows medians")
    parser.add_argument("--cli", action="store_true",
                        help="also run `python -m cw2v train` (file mode rows)")
    parser.add_argument("--analogies", default=DEFAULT_ANALOGIES,
                        help="questions-words.txt (evaluated with restrict_vocab=30000)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="results JSON path")
    parser.add_argument("--no-save", action="store_true", help="do not write a results JSON")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--baseline-python", metavar="PYTHON",
                        help="compare against another cw2v build instead of gensim: the Python "
                             "of a venv where it is installed (e.g. an older commit, to show a "
                             "change costs no speed); its rows are labelled 'baseline'")
    parser.add_argument("--show", metavar="RESULTS_JSON",
                        help="print the tables of a saved results file and exit (no training)")
    model = parser.add_argument_group("model parameters (the same for both libraries)")
    model.add_argument("--vector-size", type=_positive_int, default=100, help="vector size")
    model.add_argument("--window", type=_positive_int, default=5, help="context window")
    model.add_argument("--min-count", type=_positive_int, default=5, help="minimum word count")
    model.add_argument("--sample", type=float, default=1e-3, help="subsampling threshold")
    model.add_argument("--negative", type=_positive_int, default=5,
                       help="negative samples of the *-ns configurations")
    model.add_argument("--alpha", type=float, default=0.025,
                       help="initial learning rate (also passed to the command line)")
    model.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def _check_gensim():
    if importlib.util.find_spec("gensim") is None:
        sys.exit("gensim is not installed in this Python (" + sys.executable + "); install the "
                 "PyPI release with: pip install gensim")
    version = common.package_version("gensim") or "?"
    if not version.startswith("4."):
        print(f"warning: gensim {version} installed; this benchmark expects gensim 4",
              file=sys.stderr)


def plan_runs(args, corpora) -> list:
    """Every run in order: repeats outermost, and within a row cw2v and gensim alternate."""
    params = {"vector_size": args.vector_size, "window": args.window, "min_count": args.min_count,
              "sample": args.sample, "negative": args.negative, "alpha": args.alpha,
              "seed": args.seed}
    plan = []
    for repeat in range(args.repeats):
        libraries = LIBRARIES if repeat % 2 == 0 else LIBRARIES[::-1]
        for config in args.configs:
            for mode in args.modes:
                corpus, words = corpora[mode]
                for workers in args.workers:
                    base = {"config": config, "mode": mode, "workers": workers, "repeat": repeat,
                            "epochs": args.epochs, "corpus": corpus, "corpus_words": words,
                            "analogies": args.analogies, "params": params}
                    plan += [dict(base, kind="library", library=lib,
                                  python=args.baseline_python if lib == "baseline" else None)
                             for lib in libraries]
                    if args.cli and mode == "file" and "cw2v_only" not in CONFIGS[config]:
                        plan.append(dict(base, kind="cli", library="cw2v"))
    return plan


def _describe(record) -> str:
    head = f"{_who(record)} {record['config']} {record['mode']} w={record['workers']}"
    if "skipped" in record:
        return f"{head}: skipped ({record['skipped']})"
    if "error" in record:
        return f"{head}: FAILED: {record['error'].splitlines()[-1] if record['error'] else ''}"
    text = f"{head}: {record['words_per_sec'] / 1000:,.0f}k words/s, {record['peak_rss_mb']:,.0f} MB"
    if record["kind"] == "library":
        text += (f", vocab {record['vocab_seconds']:.2f}s, "
                 f"acc {100 * record['analogy_accuracy']:.1f}% of {record['analogy_questions']}")
    return text


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.child:
        result = child_main(json.loads(args.child))
        print(RESULT_MARK + json.dumps(result), flush=True)
        return 0
    if args.show:
        with open(args.show) as f:
            saved = json.load(f)
        if saved["arguments"].get("baseline_python"):
            LIBRARIES[1] = "baseline"
        print(describe_setup(saved) + "\n\n"
              + format_tables(saved["summary"], saved["speedups"], args.markdown))
        return 0
    if args.baseline_python:
        LIBRARIES[1] = "baseline"
    else:
        _check_gensim()
    for path, what in ((args.corpus, "corpus"), (args.analogies, "analogy file")):
        if not os.path.isfile(path):
            sys.exit(f"{what} {path!r} does not exist")

    corpora = {mode: common.prepared_corpus(args.corpus, args.limit_words,
                                            None if mode == "iterable" else TOKENS_PER_LINE)
               for mode in args.modes}
    machine = common.machine_description()
    if machine["loadavg_at_start"][0] > 0.5:
        print(f"warning: the machine is busy (load average {machine['loadavg_at_start'][0]:.1f}): "
              "figures will be noisy; run the full benchmark when it is quiet", file=sys.stderr)
    plan = plan_runs(args, corpora)
    skipped_configs = set()
    runs = []
    for i, spec in enumerate(plan, 1):
        if spec["config"] in skipped_configs:
            continue  # the installed cw2v lacks this configuration's keyword
        record = run_cli(spec) if spec["kind"] == "cli" else run_library(spec)
        if "skipped" in record:
            skipped_configs.add(spec["config"])
        runs.append(record)
        print(f"[{i}/{len(plan)}] {_describe(record)}", file=sys.stderr, flush=True)

    # A skipped configuration keeps only its skip record, not a lone gensim run.
    runs = [r for r in runs if r["config"] not in skipped_configs or "skipped" in r]
    rows, speedups = summarise(runs)
    machine["loadavg_at_end"] = list(os.getloadavg())
    machine["git_at_end"] = common.git_state()
    if machine["git_at_end"] != machine["git"]:
        print("warning: the working tree changed during the benchmark (commit or uncommitted "
              "files); later runs may have used different code", file=sys.stderr)
    results = {
        "benchmark": "bench/compare.py",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick_slice": args.limit_words is not None,
        "machine": machine,
        "arguments": {k: v for k, v in vars(args).items() if k not in ("child", "show")},
        "corpora": {mode: {"path": path, "words": words} for mode, (path, words) in corpora.items()},
        "runs": runs,
        "summary": rows,
        "speedups": speedups,
    }
    print("\n" + describe_setup(results) + "\n\n" + format_tables(rows, speedups, args.markdown))
    if not args.no_save:
        out = (common.default_results_path(machine["git"]["short"]) if args.out == DEFAULT_OUT
               else args.out)
        common.save_json(out, results)
        print(f"\nresults: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
