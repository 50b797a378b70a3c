"""fastText's skip-gram with the centre's subword mean formed once per window
(centre_once), against the NumPy reference in tests/kernel_reference.py."""
import numpy as np
import pytest

from kernel_reference import LAYERS, V, build, check_sentence, make_arrays


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


def test_centre_once_differs_from_per_pair_updates():
    """Not the per-pair rule under another name: the same sentence trains other weights."""
    arrays = make_arrays(seed=29)
    words = np.random.default_rng(9).integers(0, V, size=15)
    trained = []
    for once in (False, True):
        trainer, live, ref = build(arrays, 1, "ns", window=3, subwords=True, centre_once=once)
        check_sentence(trainer, live, ref, words, 0.05, 0.0, 3, 1)
        trained.append(live["w_in"])
    assert not np.allclose(trained[0], trained[1])


@pytest.mark.parametrize("sg,subwords", [(0, True), (1, False)])
def test_centre_once_needs_skipgram_with_subwords(sg, subwords):
    with pytest.raises(ValueError, match="centre_once needs skip-gram with subword input"):
        build(make_arrays(), sg, "ns", subwords=subwords, centre_once=True)
