"""Each training kernel against a slow, obvious NumPy reference.

The reference (tests/kernel_reference.py) re-implements, in plain NumPy,
exactly what the kernels in cw2v/_kernels/train.pyx are documented to do:
the sigmoid table lookup, the generator and the order in which draws are
taken, the output layers, the input formers (a word's row; the mean of its
subword rows) with lock factors, and the two architectures.  One update step
of both must agree to float32 tolerance.  The full-softmax gradient is also
checked by finite differences of the exact loss, which does not depend on
the reference at all.
"""
import itertools

import numpy as np
import pytest

from cw2v._kernels import train as K
from kernel_reference import (
    ATOL, BUCKETS, LAYERS, LOGSIG_TABLE, RTOL, SIG_TABLE, V, assert_same_state, build,
    check_one_update, check_sentence, make_arrays, ref_sigmoid, ref_tables,
)


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
    check_one_update(trainer, live, ref, sg, 12345, 1)
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
    words = np.random.default_rng(5).integers(0, V, size=17)
    trained = check_sentence(trainer, live, ref, words, 0.04, -0.001, 987, 3)
    assert 0 < trained < len(words)       # the thresholds dropped some, kept some


# ---- subword input (fastText) and lock factors

@pytest.mark.parametrize("sg,layer,cbow_mean", [
    (sg, layer, cm) for sg, layer, cm in itertools.product([1, 0], LAYERS, [0, 1])
    if sg == 0 or cm == 1
])
def test_one_subword_update_matches_reference(sg, layer, cbow_mean):
    """Skip-gram: the mean of the centre's rows (its own, two n-grams, one of
    them listed twice) predicts the context word; CBOW: the mean (or sum) of
    every row of every context word predicts the centre.  The step goes back
    to every listed row."""
    arrays = make_arrays(seed=13)
    trainer, live, ref = build(arrays, sg, layer, cbow_mean=cbow_mean, subwords=True)
    # Skip-gram's input is the centre, 4; CBOW's the rows of 1, 4, 2 and 4 around 7.
    moved = [r for w in ([4] if sg else [1, 4, 2, 4]) for r in ref.input_rows(w)]
    check_one_update(trainer, live, ref, sg, 555, 2)
    changed = np.flatnonzero(np.any(live["w_in"] != arrays["w_in"].tolist()
                                    + arrays["w_ngrams"].tolist(), axis=1))
    assert set(changed) == set(moved) and max(moved) >= V     # n-gram rows moved, others not


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("layer", list(LAYERS))
def test_subword_sentence_matches_reference(sg, layer):
    """The same window loop with the subword former (subsampling, shrinking, hot rows)."""
    arrays = make_arrays(seed=17)
    trainer, live, ref = build(arrays, sg, layer, window=3, subsample=True, subwords=True)
    words = np.random.default_rng(6).integers(0, V, size=19)
    check_sentence(trainer, live, ref, words, 0.04, -0.001, 31, 4)


LOCKED = {      # name: (sg, layer, subwords, shared_negatives)
    "sg-ns": (1, "ns", False, False),
    "cbow-hs": (0, "hs", False, False),
    "sg-shared": (1, "ns", False, True),
    "sg-hs+ns-subwords": (1, "hs+ns", True, False),
    "cbow-softmax-subwords": (0, "softmax", True, False),
}


@pytest.mark.parametrize("name", list(LOCKED))
def test_lock_factors_scale_every_input_update(name):
    """lockf 0.5 on some rows, 1 and 0 on others (word rows, hot or not, and
    n-gram rows) against the reference, over a sentence."""
    sg, layer, subwords, shared = LOCKED[name]
    arrays = make_arrays(seed=23)
    rows = V + BUCKETS if subwords else V
    lockf = np.resize(np.array([0.5, 1.0, 0.5, 0.0], dtype=np.float32), rows)
    trainer, live, ref = build(arrays, sg, layer, window=3, subwords=subwords,
                               shared_negatives=shared, lockf=lockf)
    words = np.random.default_rng(8).integers(0, V, size=21)
    check_sentence(trainer, live, ref, words, 0.05, -0.001, 71, 1)
    before = np.concatenate([arrays["w_in"], arrays["w_ngrams"]])[:rows]
    half = np.flatnonzero(lockf == 0.5)
    assert np.any(live["w_in"][half] != before[half])


@pytest.mark.parametrize("name", list(LOCKED))
def test_frozen_rows_are_unchanged_by_a_batch(name):
    """lockf 0.0 freezes a row bit for bit (through the hot-row copies too),
    while every other row the batch touches moves."""
    sg, layer, subwords, shared = LOCKED[name]
    arrays = make_arrays(seed=29)
    rows = V + BUCKETS if subwords else V
    lockf = np.ones(rows, dtype=np.float32)
    frozen = [1, 6] + ([V, V + 3] if subwords else [])     # a hot word, a cold one, n-grams
    lockf[frozen] = 0.0
    trainer, live, _ = build(arrays, sg, layer, window=3, subwords=subwords,
                             shared_negatives=shared, lockf=lockf)
    before = live["w_in"].copy()
    ids = np.tile(np.arange(V, dtype=np.int32), 4)
    trainer.train_batch(trainer.new_worker(), ids, np.array([len(ids)], dtype=np.int32),
                        0.05, 0.01, 3, 0)
    np.testing.assert_array_equal(live["w_in"][frozen], before[frozen])
    used = np.zeros(rows, dtype=bool)
    used[arrays["subword_rows"] if subwords else np.arange(V)] = True
    free = np.flatnonzero(used & (lockf == 1.0))
    assert np.all(np.any(live["w_in"][free] != before[free], axis=1))


def test_subword_arrays_are_checked():
    arrays = make_arrays()
    w_in = np.concatenate([arrays["w_in"], arrays["w_ngrams"]])
    layer = dict(softmax=1, w_out_sm=arrays["w_out_sm"])
    offsets, rows = arrays["subword_offsets"], arrays["subword_rows"]
    K.Trainer(w_in, sg=1, subword_offsets=offsets, subword_rows=rows, **layer)
    with pytest.raises(ValueError, match="both subword_offsets and subword_rows"):
        K.Trainer(w_in, sg=1, subword_offsets=offsets, **layer)
    with pytest.raises(ValueError, match="subword_rows must lie"):
        K.Trainer(w_in[:V + 1], sg=1, subword_offsets=offsets, subword_rows=rows, **layer)
    with pytest.raises(ValueError, match="at least one input row"):
        empty = offsets.copy()
        empty[1:] -= 1              # word 0 lists nothing
        K.Trainer(w_in, sg=1, subword_offsets=empty, subword_rows=rows[1:], **layer)
    with pytest.raises(ValueError, match="never decrease"):
        K.Trainer(w_in, sg=1, subword_offsets=offsets[::-1].copy(), subword_rows=rows, **layer)
    with pytest.raises(ValueError, match="only 3 rows"):
        K.Trainer(w_in[:3], sg=1, subword_offsets=offsets, subword_rows=rows, **layer)
    with pytest.raises(ValueError, match="shape"):
        K.Trainer(w_in, sg=1, subword_offsets=offsets, subword_rows=rows,
                  lockf=np.ones(V, dtype=np.float32), **layer)
    with pytest.raises(TypeError, match="float32"):
        K.Trainer(arrays["w_in"], sg=1, lockf=np.ones(V), **layer)
    with pytest.raises(ValueError, match="subword"):
        build(arrays, 1, "ns", shared_negatives=True, subwords=True)


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
    words = np.random.default_rng(9).integers(0, V, size=23)
    check_sentence(trainer, live, ref, words, 0.03, -0.0005, 77, 5)


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
