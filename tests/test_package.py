"""The installed package: compiled kernels in use, loud failure without them, data shipped."""
import gzip
import subprocess
import sys
import textwrap
from importlib import resources

import pytest

import importlib
import os

import cw2v


def test_every_kernel_source_is_a_compiled_module_checked_at_import():
    kernels = os.path.join(os.path.dirname(cw2v.__file__), "_kernels")
    sources = {name[:-4] for name in os.listdir(kernels) if name.endswith(".pyx")}
    assert sources == set(cw2v.COMPILED_MODULES)
    for name in cw2v.COMPILED_MODULES:
        module = importlib.import_module(f"cw2v._kernels.{name}")
        assert module.__file__.endswith((".so", ".pyd")), module.__file__


@pytest.mark.parametrize("module", cw2v.COMPILED_MODULES)
def test_import_fails_loudly_without_any_extension(tmp_path, module):
    script = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "cw2v._kernels.{module}":
                    raise ImportError("simulated missing extension")
        sys.meta_path.insert(0, Block())
        try:
            import cw2v
        except ImportError as exc:
            print(exc)
            sys.exit(3)
        sys.exit(0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"compiled module cw2v._kernels.{module} cannot be imported" in result.stdout
    assert "no pure-Python fallback" in result.stdout and "simulated missing extension" in result.stdout
    assert "pip install" in result.stdout  # the way to fix it


def test_bundled_corpus_is_shipped():
    path = resources.files("cw2v").joinpath("data", "kjv.txt.gz")
    with gzip.open(str(path), "rt", encoding="utf-8") as f:
        first = f.readline()
    assert first.startswith("in the beginning god created the heaven and the earth")
    assert cw2v.__version__


def test_import_loads_no_optional_or_heavy_module():
    """Importing cw2v stays light: scipy.stats alone cost 45 MB of peak memory."""
    script = ("import sys, cw2v\n"
              "heavy = ('scipy.stats', 'scipy.spatial', 'scipy.optimize', 'ot', 'dask', "
              "'distributed', 'matplotlib', 'gensim', 'fasttext', 'tqdm')\n"
              "print(sorted(m for m in heavy if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.dirname(cw2v.__file__)) + "/..")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
