import os
import sys

# Shared test helpers live in tests/synthetic.py; importlib mode keeps the
# source tree (and this folder) off sys.path, so put this folder on it.
sys.path.insert(0, os.path.dirname(__file__))
