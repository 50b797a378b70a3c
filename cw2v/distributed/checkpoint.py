"""Checkpoints of a distributed run: the model (its own ``save``) and where training stands.

A checkpoint directory holds::

    latest.json              {"checkpoint": "round-00000012"}, replaced atomically
    round-00000012/model/    the model bundle (EmbeddingModel.save: atomic)
    round-00000012/progress.json
                             epoch, next round, partial epoch totals, schedule,
                             corpus layout (files, sizes, cuts, words per slice)

``latest.json`` is only replaced once both parts are written, so a crash
at any point leaves the previous checkpoint in charge; older checkpoints
are removed after.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from typing import Optional, Tuple

from cw2v.io.files import atomic_write

FORMAT = "cw2v.distributed/1"
LATEST = "latest.json"
_NAME = re.compile(r"^round-\d{8}$")


def _write_json(path: str, data: dict) -> None:
    """Write JSON atomically (atomic_write: temp file, fsync, rename, folder fsync)."""
    with atomic_write(path) as out:
        out.write(json.dumps(data).encode("utf-8"))


def save(directory: str, model, progress: dict) -> str:
    """Save ``model`` and ``progress`` (JSON-able) as the newest checkpoint; returns its path."""
    os.makedirs(directory, exist_ok=True)
    name = f"round-{progress['version']:08d}"
    target = os.path.join(directory, name)
    os.makedirs(target, exist_ok=True)
    model.save(os.path.join(target, "model"))
    _write_json(os.path.join(target, "progress.json"), dict(progress, format=FORMAT))
    _write_json(os.path.join(directory, LATEST), {"checkpoint": name})
    for old in os.listdir(directory):
        if old != name and _NAME.match(old):
            shutil.rmtree(os.path.join(directory, old), ignore_errors=True)
    return target


def load_latest(directory: str, cls) -> Optional[Tuple[object, dict]]:
    """(model, progress) of the newest checkpoint in ``directory``, or None if it has none."""
    pointer = os.path.join(directory, LATEST)
    if not os.path.exists(pointer):
        return None
    with open(pointer, encoding="utf-8") as f:
        name = json.load(f).get("checkpoint", "")
    if not _NAME.match(str(name)):
        raise ValueError(f"{pointer!r} is damaged: it names no checkpoint ({name!r})")
    target = os.path.join(directory, name)
    with open(os.path.join(target, "progress.json"), encoding="utf-8") as f:
        progress = json.load(f)
    if progress.get("format") != FORMAT:
        raise ValueError(f"{target!r} is not a checkpoint of this cw2v version "
                         f"(format {progress.get('format')!r}, expected {FORMAT!r})")
    return cls.load(os.path.join(target, "model")), progress
