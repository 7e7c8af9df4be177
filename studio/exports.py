"""The files the UI hands out (SRT, PNG, SVG, CSV, HTML …), written into one bounded cache.

Each export is a fresh sub-folder of one per-process folder, so two users never overwrite each other's
files; only the newest `KEEP` exports stay on disk, older ones are deleted as new ones are written.
Gradio copies a returned file into its own cache before serving it, which `DELETE_CACHE` (passed to
`gr.Blocks`) cleans every hour.
"""
import itertools
import shutil
import tempfile
import threading
from pathlib import Path

from PIL import Image

KEEP = 64  # exports on disk at once: plenty for every open page's latest view
DELETE_CACHE = (3600, 3600)  # gr.Blocks(delete_cache=…): every hour, files older than an hour

Content = str | bytes | Image.Image

_root: Path | None = None
_written: list[Path] = []
_counter = itertools.count()
_lock = threading.Lock()  # guards _root, _written and _counter


def _new_folder(kind: str) -> Path:
    global _root
    with _lock:
        if _root is None or not _root.is_dir():
            _root = Path(tempfile.mkdtemp(prefix="studio-exports-"))
            _written.clear()
        folder = _root / f"{next(_counter):06d}-{kind}"
        folder.mkdir()
        _written.append(folder)
        stale, _written[:] = _written[:-KEEP], _written[-KEEP:]
    for old in stale:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def write(kind: str, files: dict[str, Content]) -> list[str]:
    """Write `files` (name -> text, bytes or a Pillow image) into a new export folder; their paths, in order."""
    folder = _new_folder(kind)
    paths = []
    for name, content in files.items():
        path = folder / name
        if isinstance(content, Image.Image):
            content.save(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(str(path))
    return paths


def folder(kind: str) -> Path:
    """A new export folder, for a writer that names its own files (e.g. a CSV export)."""
    return _new_folder(kind)


def exports_on_disk() -> list[Path]:
    """The export folders that exist now, oldest first."""
    with _lock:
        return [path for path in _written if path.is_dir()]
