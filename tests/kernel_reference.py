"""A slow, obvious NumPy reference of the training kernels, and fixtures.

It re-implements, in plain NumPy, exactly what the kernels in
cw2v/_kernels/train.pyx are documented to do: the sigmoid table lookup, the
generator and the order in which draws are taken, the output layers, the two
input formers (a word's row, or the mean of its subword rows), lock factors
and the two architectures.  Shared by tests/test_kernels.py and
tests/test_blas.py.
"""
import numpy as np
import pytest

from cw2v._kernels import train as K

MASK64 = (1 << 64) - 1
ALWAYS = 0xFFFFFFFF
RTOL, ATOL = 2e-5, 2e-6

# ------------------------------------------------------------------ reference

SIG_TABLE, LOGSIG_TABLE, BOUND = K.sigmoid_tables()
TABLE_SIZE = len(SIG_TABLE)
SCALE = np.float32(TABLE_SIZE / (2.0 * BOUND))


def ref_tables():
    x = -BOUND + (np.arange(TABLE_SIZE) + 0.5) * (2.0 * BOUND) / TABLE_SIZE
    return (1 / (1 + np.exp(-x))).astype(np.float32), (-np.log1p(np.exp(-x))).astype(np.float32)


def ref_bin(f):
    i = int((np.float32(f) + np.float32(BOUND)) * SCALE)
    return min(i, TABLE_SIZE - 1)


def ref_sigmoid(f):
    if not f > -BOUND:
        return np.float32(0.0)
    if f >= BOUND:
        return np.float32(1.0)
    return SIG_TABLE[ref_bin(f)]


def ref_log_sigmoid(f):
    if not f > -BOUND:
        return np.float32(f)
    if f >= BOUND:
        return np.float32(0.0)
    return LOGSIG_TABLE[ref_bin(f)]


class RefRng:
    """word2vec.c's LCG modulo 2**64, high 32 bits out (as cw2v_rng.h)."""

    def __init__(self, state):
        self.state = state

    def next(self):
        self.state = (self.state * 25214903917 + 11) & MASK64
        return self.state >> 32

    def below(self, n):
        return (self.next() * n) >> 32


class RefModel:
    """The model state as plain arrays, updated by plain NumPy."""

    def __init__(self, arrays, cfg):
        self.a = {k: v.copy() for k, v in arrays.items()}
        self.cfg = cfg
        self.loss = 0.0
        self.noise_rng = None       # the noise stream, set by start()

    def start(self, seed, stream):
        """Both generators as a batch (seed, stream) starts them; returns the main one."""
        main, noise = K.seeded_rng_states(seed, stream)
        self.noise_rng = RefRng(noise)
        return RefRng(main)

    def next_noise(self):
        rng = self.noise_rng
        slot = rng.below(len(self.a["noise_alias"]))
        r = rng.next()
        acc = self.a["noise_accept"][slot]
        return slot if (r < acc or acc == ALWAYS) else self.a["noise_alias"][slot]

    def logistic(self, x, row, label, alpha, grad):
        out = self.a[row[0]][row[1]]
        f = np.float32(np.dot(x, out))
        g = np.float32((label - ref_sigmoid(f)) * alpha)
        self.loss -= float(ref_log_sigmoid(f if label > 0.5 else -f))
        if g != 0:
            grad += g * out
            self.a[row[0]][row[1]] = out + g * x

    def predict(self, x, target, alpha, rng):
        grad = np.zeros_like(x)
        cfg = self.cfg
        if cfg["hs"]:
            off = self.a["hs_offsets"]
            for d in range(off[target], off[target + 1]):
                self.logistic(x, ("w_out_hs", self.a["hs_points"][d]),
                              1.0 - self.a["hs_codes"][d], alpha, grad)
        if cfg["negative"]:
            self.logistic(x, ("w_out_ns", target), 1.0, alpha, grad)
            for _ in range(cfg["negative"]):
                noise = self.next_noise()
                if noise != target:
                    self.logistic(x, ("w_out_ns", noise), 0.0, alpha, grad)
        if cfg["softmax"]:
            W = self.a["w_out_sm"]
            scores = (W @ x).astype(np.float64)
            p = np.exp(scores - scores.max())
            p /= p.sum()
            self.loss -= np.log(p[target])
            step = -alpha * p
            step[target] += alpha
            step = step.astype(np.float32)
            grad += W.T @ step
            self.a["w_out_sm"] = W + np.outer(step, x)
        return grad

    def input_rows(self, word):
        """The rows of w_in that form `word`'s input vector: its own row
        (word2vec), or its listed subword rows (fastText)."""
        if "subword_offsets" not in self.a:
            return [word]
        off = self.a["subword_offsets"]
        return list(self.a["subword_rows"][off[word]:off[word + 1]])

    def input_mean(self, rows):
        return self.a["w_in"][rows].sum(axis=0, dtype=np.float32) * np.float32(1.0 / len(rows))

    def scatter(self, rows, grad):
        """Each listed row += its lock factor times grad (a row listed twice, twice)."""
        lockf = self.a.get("lockf")
        for r in rows:
            self.a["w_in"][r] += (np.float32(1.0) if lockf is None else lockf[r]) * grad

    def skipgram_pair(self, centre, context, alpha, rng):
        """word2vec: the context word's row predicts the centre word.  Subwords
        (Facebook's fastText): the mean of the centre's rows predicts the context."""
        source, target = ((centre, context) if "subword_offsets" in self.a
                          else (context, centre))
        rows = self.input_rows(source)
        grad = self.predict(self.input_mean(rows), target, alpha, rng)
        self.scatter(rows, grad)

    def skipgram_window(self, words, pos, reach, alpha, rng):
        """Every pair of the window; with centre_once (subwords), the centre's
        mean formed once and moved as its rows would be after each pair's step
        (x += factor * grad, factor = mean over listed rows of lockf x times
        listed), and the pairs' summed step scattered once at the end."""
        context = [words[j] for j in range(max(0, pos - reach), min(len(words), pos + reach + 1))
                   if j != pos]
        if not self.cfg.get("centre_once"):
            for word in context:
                self.skipgram_pair(words[pos], word, alpha, rng)
            return
        rows = self.input_rows(words[pos])
        x = self.input_mean(rows)
        lockf = self.a.get("lockf")
        factor = np.float32(sum((1.0 if lockf is None else float(lockf[r])) * rows.count(r)
                                for r in rows) / len(rows))
        total = np.zeros_like(x)
        for word in context:
            grad = self.predict(x, word, alpha, rng)
            total += grad
            x = x + factor * grad
        self.scatter(rows, total)

    def shared_window(self, words, pos, reach, alpha, rng):
        """Skip-gram, negatives shared by the window: one minibatch step."""
        ctx = [words[j] for j in range(max(0, pos - reach), min(len(words), pos + reach + 1))
               if j != pos]
        if not ctx:
            return
        targets = [words[pos]]
        for _ in range(self.cfg["negative"]):
            noise = self.next_noise()
            if noise != words[pos]:
                targets.append(noise)
        X = self.a["w_in"][ctx].astype(np.float32)
        T = self.a["w_out_ns"][targets].astype(np.float32)
        S = X @ T.T
        labels = np.zeros_like(S)
        labels[:, 0] = 1
        sig = np.vectorize(ref_sigmoid, otypes=[np.float32])(S)
        for a in range(S.shape[0]):
            for b in range(S.shape[1]):
                f = S[a, b]
                self.loss -= float(ref_log_sigmoid(f if b == 0 else -f))
        G = ((labels - sig) * np.float32(alpha)).astype(np.float32)
        lockf = self.a.get("lockf", np.ones(len(self.a["w_in"]), dtype=np.float32))
        np.add.at(self.a["w_in"], ctx, lockf[ctx][:, None] * (G @ T))
        np.add.at(self.a["w_out_ns"], targets, G.T @ X)

    def cbow(self, words, pos, reach, alpha, rng):
        ctx = [words[j] for j in range(max(0, pos - reach), min(len(words), pos + reach + 1))
               if j != pos]
        if not ctx:
            return
        # Facebook's fastText: one list of the rows of every context word.
        rows = [r for w in ctx for r in self.input_rows(w)]
        h = self.a["w_in"][rows].sum(axis=0, dtype=np.float32)
        if self.cfg["cbow_mean"]:
            h = h * np.float32(1.0 / len(rows))
        grad = self.predict(h, words[pos], alpha, rng)
        self.scatter(rows, grad)

    def sentence(self, words, alpha_first, alpha_step, rng):
        cfg = self.cfg
        kept = []
        for w in words:
            thr = self.a["keep_threshold"][w] if "keep_threshold" in self.a else ALWAYS
            if thr != ALWAYS and rng.next() >= thr:
                continue
            kept.append(w)
        n = len(kept)
        for pos in range(n):
            alpha = np.float32(alpha_first + alpha_step * (pos * len(words) // n))
            reach = cfg["window"]
            if cfg["shrink_windows"]:
                reach -= rng.below(cfg["window"])
            if cfg.get("shared_negatives"):
                self.shared_window(kept, pos, reach, alpha, rng)
            elif cfg["sg"]:
                self.skipgram_window(kept, pos, reach, alpha, rng)
            else:
                self.cbow(kept, pos, reach, alpha, rng)
        return n


# ------------------------------------------------------------------ fixtures

V, DIM = 9, 6
BUCKETS = 5     # n-gram rows after the V word rows, with subwords


def make_arrays(seed=0, V=V, dim=DIM):
    """Random weights (output ones non-zero, so every term of an update shows)
    and hand-made but valid tables: any tree paths and alias table will do for
    checking one update step."""
    rng = np.random.default_rng(seed)
    a = {
        "w_in": ((rng.random((V, dim)) - 0.5)).astype(np.float32),
        "w_out_ns": ((rng.random((V, dim)) - 0.5)).astype(np.float32),
        "w_out_hs": ((rng.random((V - 1, dim)) - 0.5)).astype(np.float32),
        "w_out_sm": ((rng.random((V, dim)) - 0.5)).astype(np.float32),
    }
    lengths = rng.integers(1, 4, size=V)
    a["hs_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    a["hs_codes"] = rng.integers(0, 2, size=lengths.sum()).astype(np.uint8)
    # As in a real tree, a path never visits a node twice.
    a["hs_points"] = np.concatenate([rng.choice(V - 1, size=n, replace=False)
                                     for n in lengths]).astype(np.int32)
    a["noise_accept"] = rng.integers(0, 2**32, size=V, dtype=np.uint64).astype(np.uint32)
    a["noise_accept"][0] = ALWAYS
    a["noise_alias"] = rng.integers(0, V, size=V).astype(np.int32)
    a["keep_threshold"] = rng.integers(2**30, 2**32, size=V, dtype=np.uint64).astype(np.uint32)
    a["keep_threshold"][:3] = ALWAYS
    # Subwords: each word lists its own row, then up to 3 n-gram rows.
    a["w_ngrams"] = ((rng.random((BUCKETS, dim)) - 0.5)).astype(np.float32)
    lists = [[w] + list(V + rng.integers(0, BUCKETS, size=rng.integers(0, 4)))
             for w in range(V)]
    lists[2] = [2]                          # no n-gram in range
    lists[4] = [4, V, V + 2, V]             # an n-gram listed twice, as fastText allows
    a["subword_offsets"] = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(
        np.int64)
    a["subword_rows"] = np.concatenate(lists).astype(np.int32)
    return a


LAYERS = {
    "hs": dict(hs=1, negative=0, softmax=0),
    "ns": dict(hs=0, negative=3, softmax=0),
    "softmax": dict(hs=0, negative=0, softmax=1),
    "hs+ns": dict(hs=1, negative=2, softmax=0),
}


def build(arrays, sg, layer, cbow_mean=1, window=2, shrink_windows=True, compute_loss=True,
          subsample=False, shared_negatives=False, hot_rows=4, subwords=False, lockf=None,
          centre_once=False):
    """A Trainer on copies of `arrays`, and the reference on the same copies.

    hot_rows=4 of the V=9 words (and tree nodes) are trained in per-thread
    copies, so both kinds of row are exercised.  subwords=True appends the
    n-gram rows to w_in and forms inputs from the subword lists; lockf is
    one factor per row of w_in."""
    cfg = dict(LAYERS[layer], sg=sg, cbow_mean=cbow_mean, window=window,
               shrink_windows=shrink_windows, shared_negatives=shared_negatives)
    if centre_once:
        cfg["centre_once"] = True
    live = {k: v.copy() for k, v in arrays.items()}
    ngrams = live.pop("w_ngrams")
    if subwords:
        live["w_in"] = np.concatenate([live["w_in"], ngrams])
    else:
        live.pop("subword_offsets")
        live.pop("subword_rows")
    if lockf is not None:
        live["lockf"] = np.asarray(lockf, dtype=np.float32)
    if not subsample:
        live.pop("keep_threshold")
    kwargs = dict(cfg, compute_loss=compute_loss, hot_rows=hot_rows)
    kwargs.update({k: v for k, v in live.items() if k != "w_in"})
    if not cfg["hs"]:
        for k in ("w_out_hs", "hs_codes", "hs_points", "hs_offsets"):
            kwargs.pop(k)
    if not cfg["negative"]:
        for k in ("w_out_ns", "noise_accept", "noise_alias"):
            kwargs.pop(k)
    if not cfg["softmax"]:
        kwargs.pop("w_out_sm")
    trainer = K.Trainer(live["w_in"], **kwargs)
    return trainer, live, RefModel(live, cfg)


def assert_same_state(live, ref):
    for name in ("w_in", "w_out_ns", "w_out_hs", "w_out_sm"):
        np.testing.assert_allclose(live[name], ref.a[name], rtol=RTOL, atol=ATOL, err_msg=name)




def check_one_update(trainer, live, ref, sg, seed, stream, alpha=0.05, pair=(4, 7),
                     words=(1, 4, 7, 2, 4, 0), pos=2, reach=2):
    """One skip-gram pair (centre, context) or one CBOW window (words[pos]
    within reach) through the kernel's twin and the reference, from the same
    seeded state; asserts both agree (weights, loss, random draws)."""
    worker = trainer.new_worker()
    trainer.start_stream(worker, seed, stream)
    rng = ref.start(seed, stream)
    if sg:
        loss = trainer.skipgram_pair_step(worker, *pair, alpha)
        ref.skipgram_pair(*pair, np.float32(alpha), rng)
    else:
        loss = trainer.cbow_step(worker, np.array(words, dtype=np.int32), pos, reach, alpha)
        ref.cbow(list(words), pos, reach, np.float32(alpha), rng)
    assert_same_state(live, ref)
    assert loss == pytest.approx(ref.loss, rel=1e-5)
    assert worker.rng == rng.state, "kernel and reference took different random draws"


def check_sentence(trainer, live, ref, words, alpha_first, alpha_step, seed, stream):
    """One sentence through the window loop (sentence_step) and the reference,
    from the same seeded state; asserts both agree and returns the words kept."""
    worker = trainer.new_worker()
    trainer.start_stream(worker, seed, stream)
    rng = ref.start(seed, stream)
    loss, _, trained = trainer.sentence_step(worker, np.asarray(words, dtype=np.int32),
                                             alpha_first, alpha_step)
    assert trained == ref.sentence(list(words), alpha_first, alpha_step, rng)
    assert_same_state(live, ref)
    assert loss == pytest.approx(ref.loss, rel=1e-4)
    assert worker.rng == rng.state
    return trained
