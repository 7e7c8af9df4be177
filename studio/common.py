"""What every tab shares: turning wrapper errors into UI messages and loading models with a progress bar."""
import functools
import logging
from pathlib import Path

import gradio as gr

from models.errors import InputError, ModelUnavailable, Phrase
from models.limits import LIMITS
from models.registry import ModelRegistry
from studio.i18n import say

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# Every event that runs a model takes one of these shared slots: on a small CPU, more model calls at
# once only slow each other down and starve the web server that answers page loads.
MODEL_QUEUE = {"concurrency_id": "models", "concurrency_limit": LIMITS.concurrency}
log = logging.getLogger("studio")


def user_errors(function):
    """Show bad input and missing models as a readable message; log anything else and say so plainly."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except (InputError, ModelUnavailable) as error:
            raise gr.Error(in_user_language(error)) from error
        except Exception as error:
            log.exception("%s failed", function.__name__)
            raise gr.Error(say("error.unexpected", where=function.__name__, error=f"{type(error).__name__}: {error}")) from error

    return wrapper


def in_user_language(error: InputError | ModelUnavailable | Phrase) -> str:
    """The error's message in the page's language: one made from models/messages.py is said again from its key
    ("error." + key in studio/ui_text.py); any other is shown as it is."""
    if error.key is None:
        return str(error)
    values = {name: in_user_language(value) if isinstance(value, Phrase) else value
              for name, value in error.values.items()}
    return say(f"error.{error.key}", **values)


def load_model(registry: ModelRegistry, key: str, progress: gr.Progress):
    """The registry's model, with the UI's progress bar shown while it loads the first time."""
    if not key:
        raise InputError(say("error.choose_model"))
    try:
        spec = registry.spec(key)
    except KeyError as error:
        known = ", ".join(other.key for other in registry.specs)
        raise InputError.of("model.unknown", name=key, known=known) from error
    if not spec.installed:
        raise ModelUnavailable(say("error.not_installed", model=spec.title, package=spec.package))
    if registry.is_loaded(key):
        return registry.get(key)
    return registry.get(key, lambda fraction, message: progress(fraction, desc=message))


def model_choices(registry: ModelRegistry, task: str) -> list[tuple[str, str]]:
    return [(spec.title, spec.key) for spec in registry.available(task) if spec.key not in registry.failures]


class ImageInput(gr.Image):
    """gr.Image that hands an uploaded file to the studio undecoded (type "filepath").

    Gradio's own preprocessing opens the file with Pillow first, so a corrupt or fake image failed there
    with a generic message; models.vision.images.open_image decodes it instead, with size caps and clear errors.
    """

    is_template = True  # drawn by gr.Image's frontend

    def preprocess(self, payload):
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return payload.path
        return super().preprocess(payload)
