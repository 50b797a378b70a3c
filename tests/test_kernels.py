"""Each training kernel against a slow, obvious NumPy reference.

The reference below re-implements, in plain NumPy, exactly what the kernels
in cw2v/_kernels/train.pyx are documented to do: the sigmoid table lookup,
the generator and the order in which draws are taken, the output layers and
the two architectures.  One update step of both must agree to float32
tolerance.  The full-softmax gradient is also checked by finite differences
of the exact loss, which does not depend on the reference at all.
"""
import itertools

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

    def skipgram_pair(self, centre, context, alpha, rng):
        x = self.a["w_in"][context].copy()
        grad = self.predict(x, centre, alpha, rng)
        self.a["w_in"][context] += grad

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
        np.add.at(self.a["w_in"], ctx, G @ T)
        np.add.at(self.a["w_out_ns"], targets, G.T @ X)

    def cbow(self, words, pos, reach, alpha, rng):
        ctx = [words[j] for j in range(max(0, pos - reach), min(len(words), pos + reach + 1))
               if j != pos]
        if not ctx:
            return
        h = np.sum([self.a["w_in"][w] for w in ctx], axis=0, dtype=np.float32)
        if self.cfg["cbow_mean"]:
            h = h * np.float32(1.0 / len(ctx))
        grad = self.predict(h, words[pos], alpha, rng)
        for w in ctx:
            self.a["w_in"][w] += grad

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
                for j in range(max(0, pos - reach), min(n, pos + reach + 1)):
                    if j != pos:
                        self.skipgram_pair(kept[pos], kept[j], alpha, rng)
            else:
                self.cbow(kept, pos, reach, alpha, rng)
        return n


# ------------------------------------------------------------------ fixtures

V, DIM = 9, 6


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
    return a


LAYERS = {
    "hs": dict(hs=1, negative=0, softmax=0),
    "ns": dict(hs=0, negative=3, softmax=0),
    "softmax": dict(hs=0, negative=0, softmax=1),
    "hs+ns": dict(hs=1, negative=2, softmax=0),
}


def build(arrays, sg, layer, cbow_mean=1, window=2, shrink_windows=True, compute_loss=True,
          subsample=False, shared_negatives=False, hot_rows=4):
    """A Trainer on copies of `arrays`, and the reference on the same copies.

    hot_rows=4 of the V=9 words (and tree nodes) are trained in per-thread
    copies, so both kinds of row are exercised."""
    cfg = dict(LAYERS[layer], sg=sg, cbow_mean=cbow_mean, window=window,
               shrink_windows=shrink_windows, shared_negatives=shared_negatives)
    live = {k: v.copy() for k, v in arrays.items()}
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


# ------------------------------------------------------------------ tests

def test_sigmoid_tables_match_their_definition():
    sig, logsig = ref_tables()
    np.testing.assert_array_equal(SIG_TABLE, sig)
    np.testing.assert_array_equal(LOGSIG_TABLE, logsig)
    # Table resolution: the largest error against the true sigmoid is small.
    f = np.linspace(-5.999, 5.999, 20001)
    err = np.abs([ref_sigmoid(v) for v in f] - 1 / (1 + np.exp(-f)))
    assert err.max() < 0.004


@pytest.mark.parametrize("sg,layer,cbow_mean", [
    (sg, layer, cm) for sg, layer, cm in itertools.product([1, 0], LAYERS, [0, 1])
    if sg == 0 or cm == 1
])
def test_one_update_matches_reference(sg, layer, cbow_mean):
    arrays = make_arrays(seed=3)
    trainer, live, ref = build(arrays, sg, layer, cbow_mean=cbow_mean)
    worker = trainer.new_worker()
    trainer.start_stream(worker, 12345, 1)
    rng = ref.start(12345, 1)
    alpha = 0.05
    if sg:
        loss = trainer.skipgram_pair_step(worker, 4, 7, alpha)
        ref.skipgram_pair(4, 7, np.float32(alpha), rng)
    else:
        words = np.array([1, 4, 7, 2, 4, 0], dtype=np.int32)
        loss = trainer.cbow_step(worker, words, 2, 2, alpha)
        ref.cbow(list(words), 2, 2, np.float32(alpha), rng)
    assert_same_state(live, ref)
    assert loss == pytest.approx(ref.loss, rel=1e-5)
    assert worker.rng == rng.state, "kernel and reference took different random draws"
    # The update changed something in every matrix in use.
    assert not np.array_equal(live["w_in"], arrays["w_in"])


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("shrink,hot_rows", [(True, 4), (False, 0), (True, 64)])
def test_sentence_matches_reference(sg, layer, shrink, hot_rows):
    """The window loop: subsampling, window shrinking, alpha schedule, composition,
    with no, some and all rows trained in per-thread copies."""
    arrays = make_arrays(seed=11)
    trainer, live, ref = build(arrays, sg, layer, window=3, shrink_windows=shrink,
                               subsample=True, hot_rows=hot_rows)
    worker = trainer.new_worker()
    words = np.random.default_rng(5).integers(0, V, size=17).astype(np.int32)
    trainer.start_stream(worker, 987, 3)
    rng = ref.start(987, 3)
    loss, predictions, trained = trainer.sentence_step(worker, words, 0.04, -0.001)
    ref_trained = ref.sentence(list(words), 0.04, -0.001, rng)
    assert trained == ref_trained
    assert 0 < trained < len(words)       # the thresholds dropped some, kept some
    assert_same_state(live, ref)
    assert loss == pytest.approx(ref.loss, rel=1e-4)
    assert worker.rng == rng.state


def test_hot_tree_nodes_merge_weighted_by_the_other_threads_merges():
    """Two threads load the hot rows from the same state and each trains one pair.

    The first to merge adds its whole change; the second adds its whole change
    of the word rows but half its change of the tree nodes, as one other merge
    came after its copy was loaded.  A thread merging alone adds all of it.
    """
    arrays = make_arrays(seed=5)
    pairs = {"first": (2, 5), "second": (4, 7)}

    def change_alone(centre, context):
        trainer, live, _ = build(arrays, 1, "hs+ns", hot_rows=V)
        worker = trainer.new_worker()
        trainer.start_stream(worker, 7, 0)
        trainer.skipgram_pair_step(worker, centre, context, 0.05)
        return {k: live[k] - arrays[k] for k in ("w_in", "w_out_ns", "w_out_hs")}

    alone = {name: change_alone(*pair) for name, pair in pairs.items()}
    trainer, live, _ = build(arrays, 1, "hs+ns", hot_rows=V)    # every row hot
    workers = {name: trainer.new_worker() for name in pairs}
    for worker in workers.values():
        trainer.start_stream(worker, 7, 0)                      # loads the hot rows
    for name in ("second", "first"):
        trainer.skipgram_pair_step(workers[name], *pairs[name], 0.05, hot_sync=False)
    assert trainer.merge_hot_rows(workers["first"]) == 1.0
    assert trainer.merge_hot_rows(workers["second"]) == 0.5
    for k in ("w_in", "w_out_ns"):
        np.testing.assert_allclose(live[k], arrays[k] + alone["first"][k] + alone["second"][k],
                                   rtol=RTOL, atol=ATOL, err_msg=k)
    np.testing.assert_allclose(
        live["w_out_hs"],
        arrays["w_out_hs"] + alone["first"]["w_out_hs"] + 0.5 * alone["second"]["w_out_hs"],
        rtol=RTOL, atol=ATOL)
    assert np.abs(alone["second"]["w_out_hs"]).max() > 1e-3     # the halving shows
    # Merging in turn, each thread has seen one merge of the other's since its own.
    for name in pairs:
        trainer.skipgram_pair_step(workers[name], *pairs[name], 0.05, hot_sync=False)
        assert trainer.merge_hot_rows(workers[name]) == 0.5
    # Freshly loaded, with no merge since: weight 1 again.
    trainer.load_hot_rows(workers["first"])
    assert trainer.merge_hot_rows(workers["first"]) == 1.0


def test_shared_negatives_window_matches_reference():
    arrays = make_arrays(seed=21)
    # Repeated words in the window and among the noise words exercise the scatter-add.
    words = np.array([3, 1, 3, 5, 2, 3, 0], dtype=np.int32)
    trainer, live, ref = build(arrays, 1, "ns", window=3, shared_negatives=True)
    worker = trainer.new_worker()
    trainer.start_stream(worker, 4242, 0)
    rng = ref.start(4242, 0)
    loss = trainer.shared_window_step(worker, words, 3, 3, 0.05)
    ref.shared_window(list(words), 3, 3, np.float32(0.05), rng)
    assert_same_state(live, ref)
    assert loss == pytest.approx(ref.loss, rel=1e-5)
    assert worker.rng == rng.state
    assert not np.array_equal(live["w_out_ns"], arrays["w_out_ns"])


def test_shared_negatives_sentence_matches_reference():
    arrays = make_arrays(seed=12)
    trainer, live, ref = build(arrays, 1, "ns", window=3, subsample=True, shared_negatives=True)
    worker = trainer.new_worker()
    words = np.random.default_rng(9).integers(0, V, size=23).astype(np.int32)
    trainer.start_stream(worker, 77, 5)
    rng = ref.start(77, 5)
    loss, predictions, trained = trainer.sentence_step(worker, words, 0.03, -0.0005)
    assert trained == ref.sentence(list(words), 0.03, -0.0005, rng)
    assert_same_state(live, ref)
    assert loss == pytest.approx(ref.loss, rel=1e-4)


def test_shared_negatives_needs_skipgram_ns_alone():
    arrays = make_arrays()
    with pytest.raises(ValueError, match="shared_negatives"):
        build(arrays, 0, "ns", shared_negatives=True)
    with pytest.raises(ValueError, match="shared_negatives"):
        build(arrays, 1, "hs+ns", shared_negatives=True)


def test_batch_equals_its_sentences():
    """train_batch is train_sentence over each sentence, from the seeded state."""
    arrays = make_arrays(seed=2)
    ids = np.array([1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2], dtype=np.int32)
    ends = np.array([4, 4, 9, 11], dtype=np.int32)
    t1, live1, _ = build(arrays, 1, "ns", subsample=True)
    loss, preds, trained = t1.train_batch(t1.new_worker(), ids, ends, 0.03, 0.01, 7, 2)
    t2, live2, _ = build(arrays, 1, "ns", subsample=True)
    w2 = t2.new_worker()
    t2.start_stream(w2, 7, 2)
    step = (0.01 - 0.03) / len(ids)
    totals = np.zeros(3)
    for b, e in [(0, 4), (4, 9), (9, 11)]:
        totals += t2.sentence_step(w2, ids[b:e], 0.03 + step * b, step)
    assert (loss, preds, trained) == pytest.approx(tuple(totals))
    # Hot rows are merged after each sentence_step but once per batch: equal
    # up to the rounding of the merges.
    np.testing.assert_allclose(live1["w_in"], live2["w_in"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(live1["w_out_ns"], live2["w_out_ns"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("sg,layer,shared",
                         [(sg, layer, False) for sg in (1, 0) for layer in LAYERS]
                         + [(1, "ns", True)])
def test_zero_learning_rate_measures_the_loss_and_changes_nothing(sg, layer, shared):
    """A batch at alpha 0 is a pure measurement (the learning tests rely on it):
    every weight stays bit-identical, the loss is the reference's."""
    arrays = make_arrays(seed=8)
    trainer, live, ref = build(arrays, sg, layer, window=3, subsample=True,
                               shared_negatives=shared)
    ids = np.random.default_rng(4).integers(0, V, size=20).astype(np.int32)
    loss, predictions, _ = trainer.train_batch(trainer.new_worker(), ids,
                                               np.array([7, 20], dtype=np.int32), 0.0, 0.0, 31, 2)
    for name in ("w_in", "w_out_ns", "w_out_hs", "w_out_sm"):
        np.testing.assert_array_equal(live[name], arrays[name], err_msg=name)
    rng = ref.start(31, 2)
    ref.sentence(list(ids[:7]), 0.0, 0.0, rng)
    ref.sentence(list(ids[7:]), 0.0, 0.0, rng)
    assert predictions > 0
    assert loss == pytest.approx(ref.loss, rel=1e-4)


def exact_softmax_loss(w_in, w_out, contexts, target, mean):
    h = w_in[contexts].sum(axis=0)
    if mean:
        h = h / len(contexts)
    s = w_out @ h
    return -(s[target] - s.max() - np.log(np.exp(s - s.max()).sum()))


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 0), (0, 1)])
def test_softmax_gradient_is_numerically_right(sg, cbow_mean):
    """The update equals -alpha times the finite-difference gradient of the exact loss.

    For skip-gram and for CBOW with a summed context the input step is the
    exact gradient; for CBOW with the mean it is n_context times the exact
    gradient with respect to each context vector (word2vec.c's convention).
    """
    arrays = make_arrays(seed=8)
    trainer, live, _ = build(arrays, sg, "softmax", cbow_mean=cbow_mean)
    worker = trainer.new_worker()
    alpha = 1e-3
    w_in0 = arrays["w_in"].astype(np.float64)
    w_out0 = arrays["w_out_sm"].astype(np.float64)
    if sg:
        contexts, target = [5], 2
        loss = trainer.skipgram_pair_step(worker, target, 5, alpha)
    else:
        words = np.array([3, 6, 2, 1, 8], dtype=np.int32)
        contexts, target = [3, 6, 1, 8], 2
        loss = trainer.cbow_step(worker, words, 2, 2, alpha)
    mean = (not sg) and cbow_mean
    exact = exact_softmax_loss(w_in0, w_out0, contexts, target, mean)
    assert loss == pytest.approx(exact, rel=1e-5)

    def numeric_grad(matrix, rows):
        eps = 1e-5
        g = np.zeros((len(rows), matrix.shape[1]))
        for i, r in enumerate(rows):
            for k in range(matrix.shape[1]):
                hi, lo = matrix.copy(), matrix.copy()
                hi[r, k] += eps
                lo[r, k] -= eps
                args_hi = (hi, w_out0) if matrix is w_in0 else (w_in0, hi)
                args_lo = (lo, w_out0) if matrix is w_in0 else (w_in0, lo)
                g[i, k] = (exact_softmax_loss(*args_hi, contexts, target, mean)
                           - exact_softmax_loss(*args_lo, contexts, target, mean)) / (2 * eps)
        return g

    out_step = (live["w_out_sm"] - arrays["w_out_sm"]).astype(np.float64) / alpha
    np.testing.assert_allclose(out_step, -numeric_grad(w_out0, range(V)), rtol=1e-3, atol=2e-5)
    scale = len(contexts) if mean else 1
    in_step = (live["w_in"][contexts] - arrays["w_in"][contexts]).astype(np.float64) / alpha
    np.testing.assert_allclose(in_step, -scale * numeric_grad(w_in0, contexts),
                               rtol=1e-3, atol=2e-5)


def test_loss_off_leaves_loss_zero():
    arrays = make_arrays()
    trainer, _, _ = build(arrays, 1, "hs+ns", compute_loss=False)
    assert trainer.skipgram_pair_step(trainer.new_worker(), 1, 2, 0.025) == 0.0


def test_bad_arrays_are_rejected_with_clear_errors():
    arrays = make_arrays()
    with pytest.raises(TypeError, match="float32"):
        K.Trainer(arrays["w_in"].astype(np.float64), sg=1, negative=1,
                  w_out_ns=arrays["w_out_ns"], noise_accept=arrays["noise_accept"],
                  noise_alias=arrays["noise_alias"])
    with pytest.raises(ValueError, match="no output layer"):
        K.Trainer(arrays["w_in"], sg=1)
    with pytest.raises(ValueError, match="shape"):
        K.Trainer(arrays["w_in"], sg=1, softmax=1, w_out_sm=arrays["w_out_sm"][:3])
    with pytest.raises(ValueError, match="C-contiguous"):
        K.Trainer(np.asfortranarray(arrays["w_in"]), sg=1, softmax=1,
                  w_out_sm=arrays["w_out_sm"])
    trainer, _, _ = build(arrays, 1, "softmax")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        trainer.train_batch(trainer.new_worker(), np.array([1, V], dtype=np.int32),
                            np.array([2], dtype=np.int32), 0.025, 0.02, 1, 0)
    with pytest.raises(ValueError, match="last sentence end"):
        trainer.train_batch(trainer.new_worker(), np.array([1, 2], dtype=np.int32),
                            np.array([1], dtype=np.int32), 0.025, 0.02, 1, 0)
