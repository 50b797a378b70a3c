"""Vectors recorded before the shared-layers refactor (issue 10), as checksums.

With workers=1 and a fixed seed every configuration below must train to the
very same bits as the code did before the refactor, on token lists and on an
ASCII-whitespace file.  The checksums were recorded on the development
machine; floating-point results of BLAS can differ on another CPU or BLAS
build, so they are compared only where the recorded BLAS and CPU are found
(elsewhere the test skips, saying why).  Regenerate with
``python tests/test_refactor_checksums.py`` only for a deliberate change of
results, and say so in the commit.
"""
import hashlib
import json
import os
import platform
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from synthetic import topic_corpus  # noqa: E402

RECORD = os.path.join(HERE, "data", "refactor_checksums.json")

CONFIGS = {
    "sg-ns": dict(sg=1, negative=5),
    "cbow-ns": dict(sg=0, negative=5),
    "cbow-sum-ns": dict(sg=0, negative=5, cbow_mean=0),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
    "sg-hs-ns": dict(sg=1, hs=1, negative=3),
    "sg-softmax": dict(sg=1, softmax=True, negative=0),
    "cbow-softmax": dict(sg=0, softmax=True, negative=0),
    "sg-ns-shared": dict(sg=1, negative=5, shared_negatives=True),
    "sg-ns-fixed-window": dict(sg=1, negative=5, shrink_windows=False),
}


def _corpus():
    corpus = topic_corpus(400, length=12, seed=5)
    # A few long sentences, cut by max_sentence_length, and frequent words
    # for subsampling to act on.
    corpus += [["t0w0", "t1w1"] * 40 for _ in range(3)]
    return corpus


def machine_key():
    """What the recorded bits depend on besides the code: CPU and BLAS."""
    import scipy
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu} | numpy {np.__version__} | scipy {scipy.__version__}"


def train_all(workdir):
    from cw2v import Word2Vec
    corpus = _corpus()
    path = os.path.join(workdir, "corpus.txt")
    with open(path, "w", encoding="ascii") as f:
        f.writelines(" ".join(s) + "\n" for s in corpus)
    sums = {}
    for name, extra in CONFIGS.items():
        for mode in ("iterable", "file"):
            kwargs = dict(vector_size=12, window=3, min_count=1, sample=1e-2, workers=1, seed=11,
                          epochs=2, compute_loss=True, max_sentence_length=50, **extra)
            if mode == "file":
                model = Word2Vec(corpus_file=path, **kwargs)
            else:
                model = Word2Vec(corpus, **kwargs)
            digest = hashlib.sha256()
            for matrix_name, matrix in sorted(model._matrices().items()):
                digest.update(matrix_name.encode())
                digest.update(np.ascontiguousarray(matrix).tobytes())
            digest.update(np.array(model.loss_history, dtype=np.float64).tobytes())
            sums[f"{name}/{mode}"] = digest.hexdigest()
    return sums


def test_vectors_are_bit_identical_to_before_the_refactor(tmp_path):
    with open(RECORD) as f:
        record = json.load(f)
    if record["machine"] != machine_key():
        pytest.skip(f"checksums were recorded on {record['machine']!r}; this is "
                    f"{machine_key()!r}, where BLAS may round differently")
    got = train_all(str(tmp_path))
    assert got.keys() == record["checksums"].keys()
    changed = sorted(k for k in got if got[k] != record["checksums"][k])
    assert not changed, f"vectors changed for {changed}"


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        sums = train_all(tmp)
    os.makedirs(os.path.dirname(RECORD), exist_ok=True)
    with open(RECORD, "w") as f:
        json.dump({"machine": machine_key(), "checksums": sums}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(sums)} checksums to {RECORD}")
