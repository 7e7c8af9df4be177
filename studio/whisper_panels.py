"""The Training tab's two Whisper panels: the clips Whisper tiny.en is fine-tuned on (task whisper-finetune), and a
fine-tuned Whisper against the original (held-out word error rate, each held-out clip's transcript by both).

Handlers first (plain functions; `save_finetune_clips` and `compare_speech_models` are also API endpoints), then the
two builders.
"""
from dataclasses import asdict, dataclass

import gradio as gr
from gradio.data_classes import FileData

from models.errors import InputError
from models.registry import ModelRegistry
from models.speech.audio import load_audio
from models.training import saved
from models.training.clip_sets import save_clips
from models.training.tasks.whisper_finetune import prepare
from models.training.whisper_compare import Comparison, compare
from studio.common import (MODEL_QUEUES, file_path, in_user_language, load_model, model_choices, refreshed_choice,
                           trained_model_picker, user_errors)
from studio.handlers import bind
from studio.i18n import say, t

ENDPOINTS = {"save_finetune_clips": "finetune_clips", "compare_speech_models": "compare_speech_models"}
ORIGINAL = "whisper-tiny.en"
WHISPER_TASK = "whisper-finetune"  # the training task whose clips the clip panel holds
DEFAULT_SET, MINE = "default", "mine"  # the clip sources: the phrases made here, or the user's recordings
TRANSCRIPT_COLUMNS = ["reference", "before", "after"]  # keys whisper.column.*
RECORDED_COLUMNS = ["clip", "text"]


@dataclass
class ClipPanel:
    panel: gr.Column
    source: gr.Radio
    uploads: gr.File
    texts: gr.Textbox
    recorded: gr.State  # [(audio file, text)] added one at a time with the microphone

    @property
    def inputs(self) -> list:
        return [self.source, self.uploads, self.texts, self.recorded]


def clip_dataset(source: str, uploads: list | None, texts: str, recorded: list | None) -> str:
    """The whisper-finetune run's dataset: "" for the default phrases, or the id of the user's clips (the uploaded
    files with the text's lines in order, then the recordings added with their text)."""
    if source != MINE:
        return ""
    files = [file_path(item) for item in uploads or []]
    lines = [line for line in (texts or "").splitlines() if line.strip()]
    if len(files) != len(lines):
        raise InputError.of("whisper.count_mismatch", clips=len(files), texts=len(lines))
    pairs = list(zip(files, lines)) + [tuple(pair) for pair in recorded or []]
    return save_clips([load_audio(path) for path, _ in pairs], [text for _, text in pairs])


def prepare_clips(source: str, uploads, texts: str, recorded, progress: gr.Progress) -> None:
    """Before a run: the clips spoken (the default set, the first time) and read by Whisper's encoder, with progress."""
    prepare(clip_dataset(source, uploads, texts, recorded),
            lambda fraction, message: progress(fraction, desc=in_user_language(message)))


@user_errors
def add_recording(recorded: list | None, audio: str | None, text: str):
    """(the recordings with this one added, the cleared recorder and text, the list as a table)."""
    if not audio:
        raise InputError.of("whisper.no_recording")
    if not (text or "").strip():
        raise InputError.of("whisper.no_text", clip=len(recorded or []) + 1)
    recorded = [*(recorded or []), (audio, text.strip())]
    rows = [[number, said] for number, (_, said) in enumerate(recorded, start=1)]
    return recorded, None, "", gr.Dataframe(rows, headers=[say(f"whisper.column.{c}") for c in RECORDED_COLUMNS],
                                            visible=True)


@user_errors
def save_finetune_clips(clips: list[FileData], texts: list[str]) -> str:
    """Keep recordings with their text to fine-tune Whisper tiny.en on; pass what this returns as train's dataset
    with task "whisper-finetune".

    Args:
        clips: 4 to 60 short recordings (wav, mp3, flac, ogg; at most 30 s each) of phrases
        texts: what each clip says, in the same order

    Returns:
        The clips' dataset id. (train's dataset "" is the default set: phrases with names and jargon Whisper tiny.en
        gets wrong, spoken by a natural voice and by espeak-ng voices.)
    """
    return save_clips([load_audio(file_path(clip)) for clip in clips or []], list(texts or []))


def speech_model_title(model: saved.SavedModel) -> str:
    """"#7 Whisper tiny.en, decoder fine-tuned, 98% of next tokens right (fine-tuned here)", in the user's language."""
    return say("whisper.saved_title", run=model.run_id, variant=say(f"training.variant.{model.variant}"),
               accuracy=model.accuracy or 0.0)


def speech_model_choices(registry: ModelRegistry) -> list[tuple]:
    """The registry's speech models for a tab's dropdown, with the Whisper models fine-tuned here (registered as
    they appear) named by their run; a deleted run's model is left out."""
    tuned = {model.key: model for model in saved.register_speech_models(registry)}
    return [(speech_model_title(tuned[key]) if key in tuned else title, key)
            for title, key in model_choices(registry, "speech")
            if not key.startswith(saved.KEY_PREFIX) or key in tuned]


def tuned_whisper_choices() -> list[tuple[str, int]]:
    """The Whisper models fine-tuned so far, newest first: (title, run id)."""
    return [(speech_model_title(model), model.run_id) for model in saved.saved_models("speech")]


def refreshed_speech_models(current: int | None):
    return refreshed_choice(tuned_whisper_choices(), current)


def _comparison(registry: ModelRegistry, run_id, progress) -> Comparison:
    model = saved.find(f"{saved.KEY_PREFIX}{run_id}") if run_id not in (None, "") else None
    if model is None or model.kind != "speech":
        raise InputError.of("whisper.no_model", run_id=run_id)
    saved.register_speech_models(registry)
    original, tuned = load_model(registry, ORIGINAL, progress), load_model(registry, model.key, progress)
    return compare(model, original, tuned, lambda fraction, message: progress(fraction, desc=in_user_language(message)))


@user_errors
def compare_speech_models(registry: ModelRegistry, run_id: int) -> dict:
    """A Whisper tiny.en fine-tuned in the Training tab (task "whisper-finetune") against the original, on the
    run's held-out clips.

    Args:
        run_id: the training run that fine-tuned the model

    Returns:
        {wer_before, wer_after, references, before, after, held_out_words}: word error rates (0 to 1) and, per
        held-out clip, what it says and what each model wrote.
    """
    return asdict(_comparison(registry, run_id, lambda fraction, desc="": None))


@user_errors
def show_comparison(registry: ModelRegistry, run_id, progress=gr.Progress()):
    """(word error rates, transcripts side by side) for the panel."""
    comparison = _comparison(registry, run_id, progress)
    rates = say("whisper.wer", before=comparison.wer_before, after=comparison.wer_after,
                clips=len(comparison.references), words=comparison.held_out_words)
    rows = [list(row) for row in zip(comparison.references, comparison.before, comparison.after)]
    return rates, gr.Dataframe(rows, headers=[say(f"whisper.column.{c}") for c in TRANSCRIPT_COLUMNS])


def build_clip_panel() -> ClipPanel:
    """Shown while the task is "whisper-finetune": the default phrases, or the user's clips uploaded or recorded."""
    with gr.Column(visible=False, elem_id="whisper-clip-panel") as panel:
        gr.Markdown(t("whisper.clips_intro"))  # its figures: clip_sets.MIN_CLIPS, MAX_CLIPS, PHRASES
        source = gr.Radio([(t("whisper.default_set"), DEFAULT_SET), (t("whisper.mine"), MINE)],
                          value=DEFAULT_SET, label=t("whisper.source"), elem_id="whisper-source")
        with gr.Row():
            uploads = gr.File(file_count="multiple", file_types=["audio"], type="filepath",
                              label=t("whisper.uploads"), elem_id="whisper-uploads")
            texts = gr.Textbox(lines=6, label=t("whisper.texts"), placeholder=t("whisper.texts_hint"),
                               elem_id="whisper-texts")
        with gr.Row():
            recording = gr.Audio(sources=["microphone", "upload"], type="filepath", label=t("whisper.recording"),
                                 elem_id="whisper-recording")
            with gr.Column():
                phrase = gr.Textbox(label=t("whisper.phrase"), elem_id="whisper-phrase")
                add = gr.Button(t("whisper.add"), size="sm", elem_id="whisper-add")
                # shown with the first recording, its headers in the page's language
                listed = gr.Dataframe(interactive=False, visible=False, label=t("whisper.recorded"),
                                      elem_id="whisper-recorded")
        recorded = gr.State([])
    add.click(add_recording, [recorded, recording, phrase], [recorded, recording, phrase, listed],
              api_visibility="private")
    gr.api(save_finetune_clips, api_name=ENDPOINTS["save_finetune_clips"])
    return ClipPanel(panel, source, uploads, texts, recorded)


def build_comparison_panel(registry: ModelRegistry) -> None:
    """A fine-tuned Whisper against the original, on the run's held-out clips."""
    with gr.Accordion(t("whisper.title"), open=False, elem_id="whisper-panel") as accordion:
        gr.Markdown(t("whisper.intro"))
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                model, refresh = trained_model_picker(tuned_whisper_choices(), "whisper")
                run = gr.Button(t("whisper.compare"), variant="primary", elem_id="whisper-compare")
            with gr.Column(scale=2):
                rates = gr.Markdown(elem_id="whisper-wer")
                # headers come with the first table, in the page's language
                transcripts = gr.Dataframe(interactive=False, wrap=True, label=t("whisper.transcripts"),
                                           elem_id="whisper-transcripts")
    for event in (refresh.click, accordion.expand):
        event(refreshed_speech_models, model, model, api_visibility="private")
    # two Whisper models over the held-out clips: seconds, in the slow models' queue
    run.click(bind(show_comparison, registry), model, [rates, transcripts], api_visibility="private",
              **MODEL_QUEUES["slow"])
    gr.api(bind(compare_speech_models, registry), api_name=ENDPOINTS["compare_speech_models"], **MODEL_QUEUES["slow"])
