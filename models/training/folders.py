"""Where training keeps what outlives the process: STUDIO_DATA_DIR, or ~/.model-studio.

runs.sqlite (models/training/store.py), trained/run-<id>/ (models/training/saved.py) and
image-sets/<id>/ (models/training/image_sets.py).
"""
import os
from pathlib import Path


def data_folder() -> Path:
    return Path(os.environ.get("STUDIO_DATA_DIR") or Path.home() / ".model-studio")
