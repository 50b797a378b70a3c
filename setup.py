"""Build script: cythonizes every .pyx under cw2v/ at build time.

Environment switches (all optional):
  CW2V_DEBUG=1   bounds checks and assertions on, -O0 -g: for chasing a crash.
  CW2V_NATIVE=1  add -march=native: faster local builds, never for a wheel.
  CW2V_ONLY=a,b  build only these extension modules (development convenience).
"""
import os
import sys
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
DEBUG = os.environ.get("CW2V_DEBUG") == "1"
NATIVE = os.environ.get("CW2V_NATIVE") == "1"
ONLY = {m for m in os.environ.get("CW2V_ONLY", "").split(",") if m}

# Plain C helpers compiled into the extension that needs them.
TEXT_C_SOURCES = ["src_c/tokenizer.c", "src_c/wordhash.c", "src_c/utf8.c"]
EXTRA_C_SOURCES = {
    "cw2v._kernels.textfile": TEXT_C_SOURCES,
    "cw2v._kernels.tokens": TEXT_C_SOURCES,
    "cw2v._kernels.counting": TEXT_C_SOURCES,
    "cw2v._kernels.filemode": TEXT_C_SOURCES,
    "cw2v._kernels.ngrams": ["src_c/ngrams.c"],
    "cw2v._kernels.phrases": ["src_c/phrasecount.c", "src_c/phrasefile.c"] + TEXT_C_SOURCES,
    "cw2v._kernels.cooccur": ["src_c/cooccur.c", "src_c/cooccur_runs.c"] + TEXT_C_SOURCES,
    "cw2v._kernels.glove": ["src_c/glove_adagrad.c"],
}

if sys.platform == "win32":
    compile_args = ["/O2"] if not DEBUG else ["/Od", "/Zi"]
else:
    compile_args = ["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno", "-std=c99"]
    if NATIVE:
        compile_args.append("-march=native")

directives = {
    "language_level": "3",
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "embedsignature": True,
}


def extensions():
    exts = []
    for pyx in sorted((HERE / "cw2v").rglob("*.pyx")):
        rel = pyx.relative_to(HERE)
        name = ".".join(rel.with_suffix("").parts)
        if ONLY and name not in ONLY:
            continue
        missing = [s for s in EXTRA_C_SOURCES.get(name, []) if not (HERE / s).is_file()]
        if missing:
            # Building without them would only fail later, at import, with undefined symbols.
            raise SystemExit(f"setup.py: {name} needs {', '.join(missing)}, missing from {HERE}; "
                             "restore them (an sdist must ship src_c/: see MANIFEST.in)")
        sources = [str(rel)] + EXTRA_C_SOURCES.get(name, [])
        exts.append(
            Extension(
                name,
                sources,
                include_dirs=[np.get_include(), "src_c"],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                extra_compile_args=compile_args,
            )
        )
    return cythonize(exts, compiler_directives=directives, annotate=False)


setup(ext_modules=extensions(),
      # The C compiler runs on every core at once (threads, safe on every
      # platform): a fresh build took 79 s instead of 125 s on 2 cores.
      # cythonize's own nthreads would save 9 s more, but its worker processes
      # re-run this script when it is run directly under spawn or forkserver.
      options={"build_ext": {"parallel": os.cpu_count() or 1}})
