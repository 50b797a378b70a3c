"""fastText's skip-gram with the centre's subword mean formed once per window
(centre_once), against the NumPy reference in tests/kernel_reference.py."""
import numpy as np
import pytest

from kernel_reference import BUCKETS, LAYERS, V, build, check_sentence, make_arrays


@pytest.mark.parametrize("layer", list(LAYERS))
def test_centre_once_sentence_matches_reference(layer):
    """x = mean of the centre's rows once; each context word predicted from x
    (output rows moving as they go); the summed step added to every row of
    the centre once, after its window."""
    arrays = make_arrays(seed=23)
    trainer, live, ref = build(arrays, 1, layer, window=3, subsample=True, subwords=True,
                               centre_once=True)
    words = np.random.default_rng(8).integers(0, V, size=19)
    check_sentence(trainer, live, ref, words, 0.04, -0.001, 71, 5)


@pytest.mark.parametrize("locked", [False, True])
def test_centre_once_trains_what_per_pair_updates_train(locked):
    """The same rule as one gather and scatter per pair, to float32 rounding:
    the tracked mean is the mean the rows would have (a word whose n-gram
    list repeats a row included: its rows are listed with repeats here)."""
    arrays = make_arrays(seed=29)
    off, rows = arrays["subword_offsets"], arrays["subword_rows"]
    assert any(len(set(rows[off[w]:off[w + 1]])) < off[w + 1] - off[w] for w in range(V))
    words = np.random.default_rng(9).integers(0, V, size=15)
    lockf = np.random.default_rng(4).random(V + BUCKETS).astype(np.float32) if locked else None
    trained = []
    for once in (False, True):
        trainer, live, ref = build(arrays, 1, "ns", window=3, subwords=True, centre_once=once,
                                   lockf=lockf)
        check_sentence(trainer, live, ref, words, 0.05, 0.0, 3, 1)
        trained.append((live["w_in"].copy(), live["w_out_ns"].copy()))
    assert not np.array_equal(trained[0][0], arrays["w_in"])
    np.testing.assert_allclose(trained[1][0], trained[0][0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(trained[1][1], trained[0][1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("sg,subwords", [(0, True), (1, False)])
def test_centre_once_needs_skipgram_with_subwords(sg, subwords):
    with pytest.raises(ValueError, match="centre_once needs skip-gram with subword input"):
        build(make_arrays(), sg, "ns", subwords=subwords, centre_once=True)
