"""Pictures: `cw2v plot`, `cw2v plot-loss` and KeyedVectors.plot write real PNGs of the
size asked for; the projection is a PCA; unknown words and a missing matplotlib are
one-line errors."""
import struct
import sys

import numpy as np
import pytest

from cw2v import KeyedVectors, Word2Vec
from cw2v.cli import main
from cw2v.vectors.plot import INSTALL_HINT, PlotDependencyError, pca_2d, plot_words
from synthetic import topic_corpus

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # no display in tests

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from a PNG's IHDR chunk; fails unless the file is a PNG."""
    data = open(path, "rb").read(32)
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(0)
    words = ["king", "queen", "man", "woman", "apple", "pear", "plum", "car", "bus", "train"]
    return KeyedVectors.from_arrays(words, rng.normal(size=(len(words), 12)).astype(np.float32))


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model"
    model = Word2Vec(topic_corpus(300), vector_size=16, min_count=1, epochs=3, workers=1,
                     compute_loss=True, seed=1)
    model.save(str(path))
    return path


def test_keyedvectors_plot_writes_a_png_of_the_figure_size(kv, tmp_path):
    path = tmp_path / "words.png"
    ax = kv.plot(["king", "queen", "apple"], path=path)
    assert png_size(path) == (800, 600)
    assert [t.get_text() for t in ax.texts] == ["king", "queen", "apple"]
    assert list(tmp_path.iterdir()) == [path]  # the temporary file was renamed


def test_plot_draws_on_a_given_axes_and_adds_neighbours(kv):
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    assert kv.plot(["apple", "car"], ax=ax, neighbours=2) is ax
    labels = [t.get_text() for t in ax.texts]
    expected_extra = {w for q in ("apple", "car") for w, _ in kv.most_similar(q, topn=2)}
    assert labels[:2] == ["apple", "car"]
    assert set(labels[2:]) == expected_extra - {"apple", "car"}


def test_plot_without_path_or_axes_uses_pyplot(kv):
    import matplotlib.pyplot as plt
    ax = kv.plot(["king", "man"])
    assert ax.figure in map(plt.figure, plt.get_fignums())
    plt.close("all")


def test_pca_matches_an_eigen_decomposition():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(30, 5)) @ np.diag([5, 3, 1, 0.5, 0.1])
    points, explained = pca_2d(vectors)
    centred = vectors - vectors.mean(axis=0)
    values, axes = np.linalg.eigh(centred.T @ centred)
    top = axes[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(points), np.abs(centred @ top), atol=1e-9)
    np.testing.assert_allclose(explained, values[::-1][:2] / values.sum(), rtol=1e-9)
    loadings = np.linalg.lstsq(centred, points, rcond=None)[0]
    assert all(loadings[np.abs(loadings[:, k]).argmax(), k] > 0 for k in range(2))
    single, none = pca_2d(vectors[:1])
    assert not single.any() and not none.any()


def test_unknown_words_are_named(kv, tmp_path, capsys):
    with pytest.raises(KeyError, match="'kingg', 'pearr'"):
        plot_words(kv, ["king", "kingg", "pearr"])
    vectors = tmp_path / "v.txt"
    kv.save_word2vec_format(str(vectors))
    assert main(["plot", str(vectors), "king", "Queen", "--output", str(tmp_path / "p.png")]) == 1
    out, err = capsys.readouterr()
    assert err == "cw2v plot: error: not in the vocabulary: 'Queen' (did you mean 'queen'?)\n"
    assert not (tmp_path / "p.png").exists()


def test_plot_command_size_and_neighbours(kv, tmp_path, capsys):
    vectors = tmp_path / "v.bin"
    kv.save_word2vec_format(str(vectors), binary=True)
    output = tmp_path / "p.png"
    assert main(["plot", str(vectors), "king", "queen", "car", "--neighbours", "2",
                 "--output", str(output), "--width", "640", "--height", "480"]) == 0
    assert png_size(output) == (640, 480)
    assert "3 words drawn" in capsys.readouterr().out


def test_plot_loss_command(saved_model, tmp_path, capsys):
    output = tmp_path / "loss.png"
    assert main(["plot-loss", str(saved_model), "--output", str(output)]) == 0
    assert png_size(output) == (800, 600)
    assert "3 epochs drawn" in capsys.readouterr().out


def test_plot_loss_draws_a_model_trained_without_loss(tmp_path):
    from cw2v.vectors.plot import plot_training
    model = Word2Vec(topic_corpus(100), vector_size=8, min_count=1, epochs=2, workers=1)
    top, bottom = plot_training(model.loss_history, model.training_history,
                                path=tmp_path / "l.png")
    assert "not computed" in top.texts[0].get_text()
    assert len(bottom.patches) == 2
    with pytest.raises(ValueError, match="never trained"):
        plot_training([], [])


def test_without_matplotlib_the_commands_say_how_to_install_it(kv, tmp_path, capsys,
                                                                monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    with pytest.raises(PlotDependencyError, match="cw2v\\[plot\\]"):
        kv.plot(["king"], path=tmp_path / "x.png")
    vectors = tmp_path / "v.txt"
    kv.save_word2vec_format(str(vectors))
    assert main(["plot", str(vectors), "king", "--output", str(tmp_path / "x.png")]) == 1
    assert capsys.readouterr().err == \
        f"cw2v plot: error: plotting needs matplotlib: {INSTALL_HINT}\n"
    assert INSTALL_HINT == 'pip install "cw2v[plot]"'
