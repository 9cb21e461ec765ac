"""Tests' way to edit policy as a client would: a copy of the reference folder in use, some files
changed through the loader (tests never parse the YAML themselves)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import yaml

from models.config import load_reference, reference_dir


def edited_reference(tmp_path: Path, edits: dict[str, Callable[[dict], object]]) -> Path:
    """Copy the reference folder in use to ``tmp_path/reference`` and apply ``edits`` (file name
    → a function that changes the parsed file in place); returns the folder, for
    $SHIJI_REFERENCE_DIR or ``directory=``."""
    folder = tmp_path / "reference"
    shutil.copytree(reference_dir(), folder)
    for name, mutate in edits.items():
        data = load_reference(name, directory=folder)
        mutate(data)
        write_reference(folder, name, data)
    return folder


def write_reference(folder: Path, name: str, data: object) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
