"""cw2v: fast compiled word2vec for Python.

    >>> from cw2v import Word2Vec, LineSentence
    >>> model = Word2Vec(LineSentence("corpus.txt"), vector_size=100, sg=1)
    >>> model.wv.most_similar("king")

The training kernels are compiled (Cython, BLAS, no GIL).  There is no slow
pure-Python fallback: if they are missing, importing cw2v fails loudly.
"""
__version__ = "0.1.0"

# Every extension module, each after those it cimports; a missing one fails the
# import with the fix.
# (blas_twins exposes the BLAS wrappers to the tests.)
COMPILED_MODULES = ("train", "textfile", "tokens", "counting", "filemode", "ngrams", "score",
                    "phrases", "cooccur", "glove", "blas_twins", "deltas")


def _import_compiled_modules():
    """Import every compiled module first, so a missing one fails here with the fix."""
    import importlib
    import os
    for name in COMPILED_MODULES:
        module = f"cw2v._kernels.{name}"
        try:
            importlib.import_module(module)
        except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
            where = os.path.dirname(os.path.abspath(__file__))
            hint = (
                f" Python found cw2v in {where}, which looks like a source checkout without built "
                "extensions (running `python -m ...` from the repository root puts it first on "
                "sys.path): run from another directory, or build in place with "
                "`pip install -e .`."
                if os.path.exists(os.path.join(where, "..", "setup.py")) else
                " Reinstall so the extension is built: pip install --force-reinstall --no-cache-dir "
                "cw2v (a C compiler is needed when no wheel fits your platform)."
            )
            raise ImportError(
                f"cw2v's compiled module {module} cannot be imported: "
                f"{exc}. cw2v has no pure-Python fallback.{hint}"
            ) from exc


_import_compiled_modules()

from cw2v.io.corpus import LineSentence, PathLineSentences, Text8Corpus
from cw2v.vectors.keyedvectors import KeyedVectors
from cw2v.vocab.vocabulary import Vocabulary
from cw2v.models.word2vec import Word2Vec
from cw2v.vectors.fasttext_keyedvectors import FastTextKeyedVectors
from cw2v.models.fasttext import FastText, load_facebook_model
from cw2v.io.fasttext_bin import load_facebook_vectors, save_facebook_model
from cw2v.models.phrases import FrozenPhrases, Phrases
from cw2v.models.glove import GloVe
from cw2v.train.base import Callback, TrainingDivergedError

__all__ = [
    "Word2Vec", "FastText", "FastTextKeyedVectors", "load_facebook_model",
    "load_facebook_vectors", "save_facebook_model", "KeyedVectors", "Vocabulary", "LineSentence", "Text8Corpus",
    "PathLineSentences", "Phrases", "FrozenPhrases", "GloVe", "Callback", "TrainingDivergedError",
    "__version__",
]
