import os
import sys

# Shared test helpers live in tests/synthetic.py; importlib mode keeps the
# source tree (and this folder) off sys.path, so put this folder on it.
sys.path.insert(0, os.path.dirname(__file__))

# Tests comparing with gensim skip when it cannot be imported, which suits a
# local run without it. CI installs gensim on purpose (the test extra), so
# there a failed import is a broken environment, not a reason to skip: stop
# the run before any test hides it as a skip.
if os.environ.get("CI", "").lower() not in ("", "0", "false"):
    try:
        import gensim.models  # noqa: F401
    except Exception as error:
        raise ImportError(
            f"CI={os.environ['CI']} but gensim cannot be imported ({type(error).__name__}: {error}); "
            "the gensim comparison tests would be skipped silently. Install it with "
            "pip install '.[test]', or unset CI for a local run without gensim."
        ) from error
