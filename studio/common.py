"""What every tab shares: saying the code's messages in the user's language, model names, and loading models
with a progress bar."""
import contextlib
import functools
import inspect
import logging
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData
from gradio.i18n import I18nData

from models.errors import InputError, KeyedMessage, ModelUnavailable, Phrase
from models.limits import LIMITS
from models.registry import ModelRegistry
from studio.i18n import EN, say, t

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# Every event that runs a model takes a slot in its cost class's queue, so fast calls (tens of ms) never wait
# behind slow ones (seconds); the slots stay few because on a small CPU more model calls at once only slow each
# other down and starve the web server that answers page loads. A batched event (its model runs the calls that
# arrive together as one batch, models/batching.py) has a queue of its own, wide enough for one batch to gather
# while the one before runs.
MODEL_QUEUES = {"fast": {"concurrency_id": "fast-models", "concurrency_limit": LIMITS.fast_concurrency},
                "slow": {"concurrency_id": "slow-models", "concurrency_limit": LIMITS.slow_concurrency}}
BATCHED_QUEUE = "{}-batches"  # the concurrency_id of a batched event's own queue
COST_CLASS = {  # every model event, by name -> its queue
    "classify": "batched", "show_classified": "fast", "explain": "fast", "classify_drawing": "fast",
    "translate": "batched", "hear": "fast", "detect": "fast", "recognize": "fast", "recognizer_wer": "slow",
    "neighbors": "fast", "analogy": "fast", "project": "fast", "sentences": "batched",
    "transcribe": "batched", "stream_file": "slow", "attach_live_model": "slow", "attention": "slow",
    "attention_predict": "slow", "attention_step": "slow", "attention_sample": "slow", "logit_lens": "slow",
    "attribute": "slow", "attribute_photo": "slow", "attribute_tokens": "slow",
}
log = logging.getLogger("studio")
MODEL_TITLE = "model.title.{}"  # the locale key of a model's name; a model without one is shown by its key


@contextlib.contextmanager
def said_as_gr_error(where: str):
    """Bad input and missing models become a readable gr.Error; anything else is logged and said plainly."""
    try:
        yield
    except gr.Error:
        raise
    except (InputError, ModelUnavailable) as error:
        raise gr.Error(in_user_language(error)) from error
    except Exception as error:
        log.exception("%s failed", where)
        raise gr.Error(say("error.unexpected", where=where, error=f"{type(error).__name__}: {error}")) from error


def user_errors(function):
    """Show bad input and missing models as a readable message; log anything else and say so plainly.
    A generator handler (one that streams its updates) is covered while it runs, not only when it is called."""
    if inspect.isgeneratorfunction(function):
        @functools.wraps(function)
        def streaming(*args, **kwargs):
            with said_as_gr_error(function.__name__):
                yield from function(*args, **kwargs)

        return streaming

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with said_as_gr_error(function.__name__):
            return function(*args, **kwargs)

    return wrapper


def in_user_language(message: KeyedMessage | Phrase) -> str:
    """An error's or a Phrase's text in the page's language: the locale text of `message.locale_key` (the rule
    in models/errors.py), its {fields} filled in, a Phrase among the values said first."""
    values = {name: in_user_language(value) if isinstance(value, Phrase) else value
              for name, value in message.values.items()}
    return say(message.locale_key, **values)


def model_queue(event: str) -> dict:
    """The queue arguments (concurrency_id, concurrency_limit) of a model event named in COST_CLASS."""
    if COST_CLASS[event] == "batched":
        return {"concurrency_id": BATCHED_QUEUE.format(event), "concurrency_limit": LIMITS.batched_concurrency}
    return MODEL_QUEUES[COST_CLASS[event]]


def load_model(registry: ModelRegistry, key: str, progress: gr.Progress):
    """The registry's model, with the UI's progress bar shown while it loads the first time."""
    if not key:
        raise InputError.of("choose_model")
    spec = registry.spec(key)
    if not spec.usable:
        raise ModelUnavailable.of("not_installed", model=key, command=spec.install_command)
    if registry.is_loaded(key):
        return registry.get(key)
    return registry.get(key, lambda fraction, message: progress(fraction, desc=in_user_language(message)))


def file_path(sent: FileData | dict | str | None) -> str | None:
    """The path of a file, whether gradio_client sent it (FileData), an event a dict, or a component a path."""
    if isinstance(sent, FileData):
        return sent.path
    return sent.get("path") if isinstance(sent, dict) else sent


def refreshed_choice(choices: list[tuple], current) -> gr.Dropdown:
    """A dropdown's `choices` again (e.g. the models trained so far): `current` still chosen if it is one of them,
    else the first, or none."""
    known = [value for _, value in choices]
    return gr.Dropdown(choices=choices, value=current if current in known else (known or [None])[0])


def trained_model_picker(choices: list[tuple], prefix: str) -> tuple[gr.Dropdown, gr.Button]:
    """A dropdown of models trained here, the first chosen, and a button that lists them again (`refreshed_choice`);
    labels are the locale's `<prefix>.model` and `<prefix>.refresh`, element ids `<prefix>-model`, `<prefix>-refresh`."""
    model = gr.Dropdown(choices, value=choices[0][1] if choices else None, label=t(f"{prefix}.model"),
                        elem_id=f"{prefix}-model")
    refresh = gr.Button(t(f"{prefix}.refresh"), size="sm", elem_id=f"{prefix}-refresh")
    return model, refresh


def model_title(key: str) -> I18nData | str:
    """A model's name for a component (translated by the browser); a hub or trained model is shown by its key."""
    title = MODEL_TITLE.format(key)
    return t(title) if title in EN else key


def said_model_title(key: str) -> str:
    """A model's name in the page's language, for text the server writes (tables, messages)."""
    title = MODEL_TITLE.format(key)
    return say(title) if title in EN else key


def model_choices(registry: ModelRegistry, task: str) -> list[tuple[I18nData | str, str]]:
    """The task's installed models that did not fail to load, as (name, key) for a dropdown."""
    return [(model_title(spec.key), spec.key) for spec in registry.available(task)
            if spec.key not in registry.failures]


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
