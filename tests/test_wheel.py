"""What an installed cw2v must hold, checked wherever the suite runs: against the
source build here, and against each wheel in .ci/run and cibuildwheel, where
CW2V_TEST_INSTALLED=1 also requires that the copy tested is not the source tree."""
import importlib
import os
from importlib import resources
from pathlib import Path

import pytest

import cw2v

# cw2v.COMPILED_MODULES where the package lists its extensions itself.
COMPILED = getattr(cw2v, "COMPILED_MODULES", ("train", "tokens", "textfile", "filemode",
                                              "phrases"))
EXTENSION_SUFFIXES = (".so", ".pyd")


@pytest.mark.parametrize("name", COMPILED)
def test_every_kernel_is_a_compiled_extension(name):
    module = importlib.import_module(f"cw2v._kernels.{name}")
    assert module.__file__.endswith(EXTENSION_SUFFIXES), module.__file__


def test_the_phrase_kernels_are_listed():
    assert "phrases" in COMPILED


def test_package_data_is_installed():
    root = resources.files("cw2v")
    for name in ("data/kjv.txt.gz", "data/README.md", "py.typed", "_kernels/common.pxd"):
        assert root.joinpath(name).is_file(), name
    assert root.joinpath("data/kjv.txt.gz").read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.skipif(os.environ.get("CW2V_TEST_INSTALLED") != "1",
                    reason="only when testing an installed wheel (CW2V_TEST_INSTALLED=1)")
def test_the_copy_under_test_is_installed_not_the_source_tree():
    package = Path(cw2v.__file__).resolve().parent
    assert "site-packages" in package.parts or "dist-packages" in package.parts, package
    assert not (package.parent / "setup.py").exists(), f"{package} is a source checkout"
