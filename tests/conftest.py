import os
import sys

# Shared test helpers live in tests/synthetic.py; importlib mode keeps the
# source tree (and this folder) off sys.path, so put this folder on it.
sys.path.insert(0, os.path.dirname(__file__))

# Tests comparing with the anchors (gensim, Facebook's fasttext package, POT
# for gensim's WMD) skip when one cannot be imported, which suits a local run
# without it. CI installs them on purpose (the test extra), so there a failed
# import is a broken environment, not a reason to skip: stop the run before
# any test hides it as a skip.
if os.environ.get("CI", "").lower() not in ("", "0", "false"):
    import importlib
    for anchor in ("gensim.models", "fasttext", "ot"):
        try:
            importlib.import_module(anchor)
        except Exception as error:
            raise ImportError(
                f"CI={os.environ['CI']} but {anchor} cannot be imported ({type(error).__name__}: "
                f"{error}); the tests comparing with it would be skipped silently. Install it with "
                "pip install '.[test]', or unset CI for a local run without it."
            ) from error
