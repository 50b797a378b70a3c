"""Binary word2vec loading speed: cw2v vs gensim on the same file.

Writes (once) a binary word2vec file of random vectors and synthetic words to
a cache directory outside the repository, then times what users call in each
library, ``KeyedVectors.load_word2vec_format(path, binary=True)`` (cw2v's
includes building the key index and checking for repeated words, as gensim's
does), each load in a fresh process, alternating the two, and prints the
median times and their ratio. The arguments, the machine, every timing and
the ratio are saved as JSON in bench/results/ (``--no-save``: not saved).

    python bench/bench_load.py                       # 1M x 300, 5 rounds
    python bench/bench_load.py --words 200000 --rounds 3
    python bench/bench_load.py --layout gensim       # no newline after vectors

Target (issue 4): cw2v at least 3x faster than gensim.
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

import common  # bench/common.py (the script's folder is on sys.path)
from cw2v.io import word2vec_format as formats


def make_file(path: Path, n_words: int, dim: int, layout: str) -> None:
    """Random float32 vectors with words 'w<i>_<random suffix>' of varied length."""
    if path.exists():
        return
    print(f"writing {path} ({n_words} x {dim}, {layout} layout) ...", flush=True)
    rng = np.random.default_rng(12345)
    vectors = rng.standard_normal((n_words, dim), dtype=np.float32)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    suffix_len = rng.integers(1, 12, size=n_words)
    chars = letters[rng.integers(0, 26, size=int(suffix_len.sum()))]
    cuts = np.cumsum(suffix_len)[:-1]
    words = [f"w{i}_{''.join(s)}" for i, s in enumerate(np.split(chars, cuts))]
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout == "word2vec":
        formats.save_word2vec_format(path, words, vectors, binary=True)
    else:
        # gensim writes no newline after each vector.
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            out.write(f"{n_words} {dim}\n".encode())
            for start in range(0, n_words, 8192):
                out.write(b"".join(w.encode() + b" " + v.tobytes()
                                   for w, v in zip(words[start:start + 8192], vectors[start:start + 8192])))
        os.replace(tmp, path)


# Each load runs in a fresh interpreter, as a user's program would load vectors
# once per process: allocator and page-mapping state left by an earlier load
# in the same process would otherwise favour whichever library runs second.
LOADERS = {
    "cw2v": "from cw2v import KeyedVectors\n"
            "def run(p):\n"
            "    kv = KeyedVectors.load_word2vec_format(p, binary=True)\n"
            "    return kv.index_to_key, kv.vectors",
    "gensim": "from gensim.models import KeyedVectors\n"
              "def run(p):\n"
              "    kv = KeyedVectors.load_word2vec_format(p, binary=True)\n"
              "    return kv.index_to_key, kv.vectors",
}
CHILD = """
import sys, time, hashlib
{loader}
t = time.perf_counter()
keys, vectors = run(sys.argv[1])
seconds = time.perf_counter() - t
digest = hashlib.sha1(vectors.tobytes() + "\\n".join(keys).encode()).hexdigest()
print(seconds, digest)
"""


def timed_load(name, path):
    """(seconds, digest of keys and vectors) of one load in a fresh process."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(loader=LOADERS[name]), str(path)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), out[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layout", choices=("word2vec", "gensim"), default="word2vec")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("CW2V_CACHE", "/work/cache")))
    parser.add_argument("--out", help="results JSON path (default bench/results/<date>-<git hash>-load.json)")
    parser.add_argument("--no-save", action="store_true", help="do not write a results JSON")
    args = parser.parse_args(argv)
    machine = common.machine_description()
    if machine["loadavg_at_start"][0] > 0.5:
        print(f"warning: the machine is busy (load average {machine['loadavg_at_start'][0]:.1f}): "
              "figures will be noisy", file=sys.stderr)

    path = args.cache / f"bench_load_{args.words}x{args.dim}_{args.layout}.bin"
    make_file(path, args.words, args.dim, args.layout)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB)")

    # Warm the page cache so both readers start from the same state.
    with open(path, "rb") as fh:
        while fh.read(1 << 26):
            pass

    times = {"cw2v": [], "gensim": []}
    digests = set()
    for round_no in range(args.rounds):
        # Alternate which library goes first, so neither always follows the other.
        order = ("cw2v", "gensim") if round_no % 2 == 0 else ("gensim", "cw2v")
        for name in order:
            seconds, digest = timed_load(name, path)
            times[name].append(seconds)
            digests.add(digest)
            print(f"round {round_no + 1}: {name:6s} {seconds:7.2f} s", flush=True)
    print(f"results identical (keys and vectors): {len(digests) == 1}")
    cw2v_times, gensim_times = times["cw2v"], times["gensim"]

    c, g = statistics.median(cw2v_times), statistics.median(gensim_times)
    print(f"median: cw2v {c:.2f} s, gensim {g:.2f} s -> cw2v is {g / c:.1f}x faster "
          f"({args.words} x {args.dim}, {args.layout} layout, {args.rounds} rounds)")
    if not args.no_save:
        out = common.save_results(
            "load", "bench/bench_load.py", machine, vars(args), out=args.out,
            file={"path": str(path), "bytes": path.stat().st_size},
            calls={"cw2v": "cw2v.KeyedVectors.load_word2vec_format(path, binary=True)",
                   "gensim": "gensim.models.KeyedVectors.load_word2vec_format(path, binary=True)"},
            seconds=times, median_seconds={"cw2v": c, "gensim": g},
            ratio_gensim_over_cw2v=g / c, results_identical=len(digests) == 1)
        print(f"results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
