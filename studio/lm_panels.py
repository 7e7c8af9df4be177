"""The Training tab's two language-model panels: the text SmolLM2 is fine-tuned on (task lm-lora), and a fine-tuned
model against the original (held-out perplexity, the same prompts continued by both, what the run saved).

Handlers first (plain functions; `save_finetune_text` and `compare_language_models` are also API endpoints), then
the two builders.
"""
from dataclasses import asdict, dataclass
from pathlib import Path

import gradio as gr

from models.errors import InputError
from models.registry import ModelRegistry
from models.training import saved
from models.training.lm_compare import Comparison, compare
from models.training.text_sets import DEFAULT_TOPIC, TOPICS, corpus_dataset, save_text
from studio.common import (MODEL_QUEUES, in_user_language, load_model, refreshed_choice, trained_model_picker,
                           user_errors)
from studio.handlers import bind
from studio.i18n import say, t

ENDPOINTS = {"save_finetune_text": "finetune_text", "compare_language_models": "compare_language_models"}
ORIGINAL = "smollm2-135m"
LM_TASK = "lm-lora"  # the training task whose text the text panel holds
MINE = "mine"  # the text source that is the user's own text
CONTINUATION_COLUMNS = ["prompt", "before", "after"]  # keys lm.column.*
MEGABYTE = 1e6


@dataclass
class TextPanel:
    panel: gr.Column
    source: gr.Radio
    text: gr.Textbox
    upload: gr.File

    @property
    def inputs(self) -> list:
        return [self.source, self.text, self.upload]


def language_model_title(model: saved.SavedModel) -> str:
    """"#7 SmolLM2 + LoRA rank 4, 31% of next tokens right (fine-tuned here)", in the user's language."""
    return say("lm.saved_title", run=model.run_id, variant=say(f"training.variant.{model.variant}"),
               accuracy=model.accuracy or 0.0)


def language_model_choices() -> list[tuple[str, int]]:
    """The language models fine-tuned so far, newest first: (title, run id)."""
    return [(language_model_title(model), model.run_id) for model in saved.saved_models("language")]


def refreshed_language_models(current: int | None):
    return refreshed_choice(language_model_choices(), current)


def text_dataset(source: str, text: str, upload: str | None) -> str:
    """The lm-lora run's dataset: a corpus topic, or the user's text (the uploaded file, else the pasted text)."""
    if source != MINE:
        return corpus_dataset(source or DEFAULT_TOPIC)
    if upload:
        text = Path(upload).read_bytes().decode("utf-8", errors="replace")
    return save_text(text)


@user_errors
def save_finetune_text(text: str) -> str:
    """Keep a text to fine-tune SmolLM2 on; pass what this returns as train's dataset with task "lm-lora".

    Args:
        text: plain text, at least a few hundred words (at most 100,000 characters)

    Returns:
        The text's dataset id. (train's dataset may also be "bbc-<topic>": business, entertainment, politics,
        sport or tech, a BBC News topic that ships with the studio; "" is bbc-tech.)
    """
    return save_text(text)


def _saved_language_model(run_id) -> saved.SavedModel:
    model = saved.find(f"{saved.KEY_PREFIX}{run_id}") if run_id not in (None, "") else None
    if model is None or model.kind != "language":
        raise InputError.of("lm.no_model", run_id=run_id)
    return model


def _comparison(registry: ModelRegistry, run_id, prompts: str, progress) -> Comparison:
    model = _saved_language_model(run_id)
    original = load_model(registry, ORIGINAL, progress)
    tuned = saved.load_saved_model(str(model.folder), original.device)
    lines = [line.strip() for line in (prompts or "").splitlines() if line.strip()]
    return compare(model, original, tuned, lines,
                   lambda fraction, message: progress(fraction, desc=in_user_language(message)))


@user_errors
def compare_language_models(registry: ModelRegistry, run_id: int, prompts: str = "") -> dict:
    """A SmolLM2 fine-tuned in the Training tab (task "lm-lora") against the original: held-out perplexity, the
    same prompts continued greedily by both, and the size of what the run saved against the whole model.

    Args:
        run_id: the training run that fine-tuned the model
        prompts: one prompt per line; empty: the first words of three held-out passages

    Returns:
        {perplexity_before, perplexity_after, held_out_tokens, prompts, before, after, saved_bytes, model_bytes,
        saved_parameters, model_parameters}: before / after are the continuations of each prompt.
    """
    return asdict(_comparison(registry, run_id, prompts, lambda fraction, desc="": None))


def sizes_markdown(comparison: Comparison) -> str:
    return say("lm.sizes", saved=comparison.saved_bytes / MEGABYTE, model=comparison.model_bytes / MEGABYTE,
               share=comparison.saved_bytes / comparison.model_bytes, parameters=comparison.saved_parameters,
               model_parameters=comparison.model_parameters)


@user_errors
def show_comparison(registry: ModelRegistry, run_id, prompts, progress=gr.Progress()):
    """(perplexity line, continuations side by side, sizes) for the panel."""
    comparison = _comparison(registry, run_id, prompts, progress)
    perplexity = say("lm.perplexity", before=comparison.perplexity_before, after=comparison.perplexity_after,
                     tokens=comparison.held_out_tokens)
    rows = [list(row) for row in zip(comparison.prompts, comparison.before, comparison.after)]
    return (perplexity, gr.Dataframe(rows, headers=[say(f"lm.column.{c}") for c in CONTINUATION_COLUMNS]),
            sizes_markdown(comparison))


def build_text_panel() -> TextPanel:
    """Shown while the task is "lm-lora": a BBC News topic, or the user's text pasted or uploaded."""
    with gr.Column(visible=False, elem_id="lm-text-panel") as panel:
        gr.Markdown(t("lm.text_intro"))
        source = gr.Radio([(t(f"lm.topic.{topic}"), topic) for topic in TOPICS] + [(t("lm.mine"), MINE)],
                          value=DEFAULT_TOPIC, label=t("lm.source"), elem_id="lm-source")
        with gr.Row():
            text = gr.Textbox(lines=6, label=t("lm.text"), placeholder=t("lm.text_hint"), elem_id="lm-text")
            upload = gr.File(file_types=[".txt"], type="filepath", label=t("lm.upload"), elem_id="lm-upload")
    gr.api(save_finetune_text, api_name=ENDPOINTS["save_finetune_text"])
    return TextPanel(panel, source, text, upload)


def build_comparison_panel(registry: ModelRegistry) -> None:
    """A fine-tuned SmolLM2 against the original, on the run's held-out passages and the same prompts."""
    with gr.Accordion(t("lm.title"), open=False, elem_id="lm-panel") as accordion:
        gr.Markdown(t("lm.intro"))
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                model, refresh = trained_model_picker(language_model_choices(), "lm")
                prompts = gr.Textbox(lines=3, label=t("lm.prompts"), placeholder=t("lm.prompts_hint"),
                                     elem_id="lm-prompts")
                run = gr.Button(t("lm.compare"), variant="primary", elem_id="lm-compare")
            with gr.Column(scale=2):
                perplexity = gr.Markdown(elem_id="lm-perplexity")
                # headers come with the first table, in the page's language
                continuations = gr.Dataframe(interactive=False, wrap=True, label=t("lm.continuations"),
                                             elem_id="lm-continuations")
                sizes = gr.Markdown(elem_id="lm-sizes")
    for event in (refresh.click, accordion.expand):
        event(refreshed_language_models, model, model, api_visibility="private")
    # two SmolLM2s over the held-out passages and the prompts: seconds, in the slow models' queue
    run.click(bind(show_comparison, registry), [model, prompts], [perplexity, continuations, sizes],
              api_visibility="private", **MODEL_QUEUES["slow"])
    gr.api(bind(compare_language_models, registry), api_name=ENDPOINTS["compare_language_models"],
           **MODEL_QUEUES["slow"])
