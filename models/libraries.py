"""The model libraries are imported on first use, not when the studio starts: transformers alone is
~3.5 s of a 10 s start-up on a 2-core CPU.

transformers' top-level module resolves its names lazily, and that is not safe from two threads at once:
a model loading while another thread imported transformers failed with "cannot import name 'AutoModel'
from 'transformers'". So every import of transformers happens under IMPORT_LOCK (`with IMPORT_LOCK:`
around the import statement), and `import_model_libraries` imports them under it once the page is up.
"""
import importlib
import threading

IMPORT_LOCK = threading.RLock()
MODEL_LIBRARIES = ("scipy.signal", "transformers", "models.speech.whisper_ct2")


def import_model_libraries() -> None:
    """Import the libraries the models need now, so that the first model request does not wait for them."""
    with IMPORT_LOCK:
        for module in MODEL_LIBRARIES:
            importlib.import_module(module)
