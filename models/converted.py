"""Weights converted once from a packaged format (SmolLM2's GGUF file, dequantised) and kept in the studio's data
folder, converted/<name>/, so that later starts read safetensors instead of converting again.

A folder is written under a temporary name and renamed whole; its manifest names the source file's sha256, the
converter's version and every file's size. A folder from another source or version, or with a file missing or
truncated, is made again (with a log line), never read half.
"""
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from models.training.folders import data_folder

FOLDER = "converted"
MANIFEST = "manifest.json"
HASH_BLOCK = 1 << 20
log = logging.getLogger("studio.models")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def why_unusable(folder: Path, expected: dict) -> str | None:
    """Why the cached folder cannot be read (None: it can), from its manifest alone."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        return "no manifest"
    except (OSError, ValueError) as error:
        return f"unreadable manifest ({error})"
    if {key: manifest.get(key) for key in expected} != expected:
        return "made from another source file or version"
    for name, size in manifest.get("files", {}).items():
        if not (folder / name).is_file() or (folder / name).stat().st_size != size:
            return f"{name} is missing or truncated"
    return None


def converted(name: str, source: Path, version: str, convert: Callable[[Path], None]) -> Path:
    """The folder converted/<name> holding `source` converted by `convert(folder)`, which writes its files there.

    Made on first use and reused while the source's sha256 and `version` (what the converter depends on) stay
    the same. Two processes converting at once each write their own temporary folder; the first rename wins."""
    folder = data_folder() / FOLDER / name
    expected = {"source_sha256": sha256_of(source), "version": version}
    problem = why_unusable(folder, expected)
    if problem is None:
        return folder
    if folder.exists():
        log.warning("%s: the converted weights are rebuilt from %s: %s", folder, source.name, problem)
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        convert(building)
        files = {path.name: path.stat().st_size for path in building.iterdir()}
        (building / MANIFEST).write_text(json.dumps({**expected, "files": files}, indent=1))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(building, folder)
    except OSError:
        if why_unusable(folder, expected) is not None:
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder
