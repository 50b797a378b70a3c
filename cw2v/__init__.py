"""cw2v: fast compiled word2vec for Python.

    >>> from cw2v import Word2Vec, LineSentence
    >>> model = Word2Vec(LineSentence("corpus.txt"), vector_size=100, sg=1)
    >>> model.wv.most_similar("king")

The training kernels are compiled (Cython, BLAS, no GIL).  There is no slow
pure-Python fallback: if they are missing, importing cw2v fails loudly.
"""
__version__ = "0.1.0"

try:
    from cw2v._kernels import train as _train_kernels  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    import os as _os
    _where = _os.path.dirname(_os.path.abspath(__file__))
    _hint = (
        f" Python found cw2v in {_where}, which looks like a source checkout without built "
        "extensions (running `python -m ...` from the repository root puts it first on "
        "sys.path): run from another directory, or build in place with "
        "`pip install -e .`."
        if _os.path.exists(_os.path.join(_where, "..", "setup.py")) else
        " Reinstall so the extension is built: pip install --force-reinstall --no-cache-dir "
        "cw2v (a C compiler is needed when no wheel fits your platform)."
    )
    raise ImportError(
        "cw2v's compiled training kernels (cw2v._kernels.train) cannot be imported: "
        f"{exc}. cw2v has no pure-Python fallback.{_hint}"
    ) from exc

from cw2v.corpus import LineSentence, PathLineSentences, Text8Corpus
from cw2v.keyedvectors import KeyedVectors
from cw2v.vocab import Vocabulary
from cw2v.word2vec import Callback, TrainingDivergedError, Word2Vec

__all__ = [
    "Word2Vec", "KeyedVectors", "Vocabulary", "LineSentence", "Text8Corpus",
    "PathLineSentences", "Callback", "TrainingDivergedError", "__version__",
]
