"""Attention tab: the self- and cross-attention inside every studio model, read from the models
themselves, with one head's softmax(QKᵀ/√d)·V worked through step by step."""
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from models.attention.maps import (
    AttentionMaps,
    digit_attention,
    example_digit,
    head_steps,
    language_attention,
    language_head_steps,
    speech_attention,
    text_attention,
    translation_attention,
)
from models.pooling import block_label, block_of, blocks
from models.errors import InputError
from models.language.logit_lens import logit_lens
from models.language.sampling import SamplingOptions, sample_continuation, sampling_stages
from models.registry import ModelRegistry
from models.training import saved
from models.speech.audio import load_audio
from models.vision.digits import drawing_to_digit, shared_digit_models
from models.vision.images import open_image
from studio import attributions, concepts, exports
from studio.common import (
    ASSETS,
    ImageInput,
    in_user_language,
    load_model,
    model_choices,
    model_queue,
    model_title,
    user_errors,
)
from studio.handlers import bind
from studio.i18n import say, t
from studio.lm_panels import language_model_title
from studio.whisper_panels import speech_model_choices
from studio.views.attention import (
    GRID_TOKENS,
    HEAD_TOKENS,
    TOKEN_VIEW_TOKENS,
    aggregate_figure,
    continuation_html,
    export_files,
    grid_figure,
    head_figure,
    lens_figure,
    overlay_figure,
    predictions_figure,
    sampling_figure,
    steps_figure,
    token_figure,
)

ATTENTION_API = "attention"  # the maps of (model, text) at (layer, head) as JSON
LOGIT_LENS_API = "logit_lens"  # SmolLM2's next token read after every layer, as JSON
LENS_MODEL = "smollm2-135m"
DIGITS_KEY = "digits-vit"
MEAN_OVER_HEADS = -1
STEP_TASKS = ("text", "language")  # the models whose heads the step-through can recompute
EXAMPLE_TEXTS = ["The animal didn't cross the street because it was too tired.",
                 "The cat is sleeping on the sofa.",
                 "O gato está dormindo no sofá.",
                 "The capital of France is"]


@dataclass
class AttentionInputs:
    """The tab's inputs, for another tab's "See its attention" button to fill."""
    model: gr.Dropdown
    text: gr.Textbox
    audio: gr.Audio

    def send_from(self, button: gr.Button, value: gr.Component, target: str, model: gr.Dropdown, tabs: gr.Tabs) -> None:
        """Clicking `button` copies `value` into this tab's `target` input ("text" or "audio"), picks the
        model `model` names, and opens this tab."""
        button.click(lambda sent, key: (sent, key, gr.Tabs(selected="attention")), [value, model],
                     [getattr(self, target), self.model, tabs], api_visibility="private")


# ----------------------------------------------------------------------------------------------
# Handlers

def attention_models(registry: ModelRegistry) -> list[tuple[str, str]]:
    """Every model with attention to show, the SmolLM2s fine-tuned in the Training tab among the language models
    (registered as they appear, named by their run; a deleted run's model is left out)."""
    tuned = {model.key: model for model in saved.register_language_models(registry)}
    language = [(language_model_title(tuned[key]) if key in tuned else title, key)
                for title, key in model_choices(registry, "language")
                if not key.startswith(saved.KEY_PREFIX) or key in tuned]
    return (model_choices(registry, "text") + model_choices(registry, "translation")
            + speech_model_choices(registry) + language + [(model_title(DIGITS_KEY), DIGITS_KEY)])


def refreshed_models(registry: ModelRegistry, current: str | None):
    """On opening the tab: the models again, with any fine-tuned since the page loaded."""
    return gr.Dropdown(choices=attention_models(registry), value=current)


def task_of(registry: ModelRegistry, key: str) -> str:
    if key.startswith(saved.KEY_PREFIX):  # fine-tuned since the page loaded, or named by an API call
        saved.register_language_models(registry)
        saved.register_speech_models(registry)
    return "image" if key == DIGITS_KEY else registry.spec(key).task


def no_progress(fraction: float, desc: str = "") -> None:
    """The API call has no progress bar to move."""


def extract(registry: ModelRegistry, key: str, text: str, audio: str | None, digit: int,
            progress, speech_task: str = "transcribe", picture: str | None = None) -> list[AttentionMaps]:
    """Every attention block of model `key` for the input its kind reads; the digits ViT reads `picture`
    if one is given, else scikit-learn's drawing of `digit`."""
    if key == DIGITS_KEY:
        progress(0.1, desc=say("attention.digits_loading"))
        pixels = drawing_to_digit(open_image(picture)) if picture else example_digit(digit)
        return digit_attention(shared_digit_models(), pixels, key)
    task = task_of(registry, key)
    model = load_model(registry, key, progress)
    if task == "text":
        return text_attention(model, text or "", key)
    if task == "translation":
        return translation_attention(model, text or "", key)
    if task == "language":
        return language_attention(model, text or "", key)
    if task == "speech":
        if not audio:
            raise InputError.of("attention.no_clip")
        return speech_attention(model, load_audio(audio), key, task=speech_task)
    raise InputError.of("attention.no_reader", task=task)


def token_view_labels(maps: AttentionMaps) -> list[tuple[str, int]]:
    """The query tokens the token view can start lines from (pooled like the view itself)."""
    return [(f"{number}. {block_label(maps.query_tokens, block)}", number)
            for number, block in enumerate(blocks(len(maps.query_tokens), TOKEN_VIEW_TOKENS))]


def first_query(maps: AttentionMaps) -> int:
    """The token view's pooled query that holds the query the map says to look at first."""
    return block_of(maps.first_query(), len(maps.query_tokens), TOKEN_VIEW_TOKENS)


def describe(maps: AttentionMaps) -> str:
    queries, keys = len(maps.query_tokens), len(maps.key_tokens)
    note = say("attention.describe", name=in_user_language(maps.name), kind=say(f"attention.kind.{maps.kind}"),
               layers=maps.layers, heads=maps.heads, queries=queries, keys=keys)
    if max(queries, keys) > GRID_TOKENS:
        note += say("attention.describe_long", grid=GRID_TOKENS, head=HEAD_TOKENS, tokens=TOKEN_VIEW_TOKENS)
    return note


def heads_name(head: int | None) -> str:
    return say("attention.mean_heads") if head is None else say("attention.head_n", head=head + 1)


@user_errors
def compute(registry: ModelRegistry, key, text, audio, digit, speech_task, picture, progress=gr.Progress()):
    return extract(registry, key, text, audio, int(digit), progress, speech_task, picture)


def choose_block(maps: list[AttentionMaps], block):
    """Layer, head and token choices for one attention block of the maps just computed."""
    chosen = maps[int(block)]
    return (gr.Dropdown([(say("attention.layer_n", layer=i + 1), i) for i in range(chosen.layers)],
                        value=chosen.layers - 1),
            gr.Dropdown([(say("attention.mean_heads"), MEAN_OVER_HEADS)]
                        + [(say("attention.head_n", head=i + 1), i) for i in range(chosen.heads)],
                        value=MEAN_OVER_HEADS),
            gr.Dropdown(token_view_labels(chosen), value=[first_query(chosen)], multiselect=True),
            describe(chosen))


def choose_maps(maps: list[AttentionMaps]):
    blocks_choice = gr.Dropdown([(in_user_language(m.name), i) for i, m in enumerate(maps)], value=0,
                                interactive=len(maps) > 1)
    return (blocks_choice, *choose_block(maps, 0))


@user_errors
def show_grid(maps: list[AttentionMaps], block):
    return grid_figure(maps[int(block)]) if maps else None


@user_errors
def show_head(maps: list[AttentionMaps], block, layer, head, tokens):
    """One head (or the mean) large, the token view from the chosen tokens, mean and rollout, the
    exports, and, for a picture or a clip, the first chosen token's attention laid over it."""
    if not maps:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    chosen, layer = maps[int(block)], int(layer)
    head = None if int(head) == MEAN_OVER_HEADS else int(head)
    weights = chosen.head(layer, head)
    title = say("attention.plot.title", name=in_user_language(chosen.name), layer=layer + 1, head=heads_name(head))
    figures = [head_figure(weights, chosen.query_tokens, chosen.key_tokens, title),
               token_figure(weights, chosen.query_tokens, chosen.key_tokens, [int(token) for token in tokens or []],
                            say("attention.plot.token_view", title=title)),
               aggregate_figure(chosen, layer)]
    files = exports.write("attention", export_files(weights, chosen.query_tokens, chosen.key_tokens, title,
                                                    figures + [grid_figure(chosen)]))
    overlay = (gr.Plot(overlay_figure(chosen, weights, int((tokens or [first_query(chosen)])[0]), title),
                       visible=True) if chosen.backdrop is not None else gr.Plot(None, visible=False))
    return (*figures, files, overlay)


@user_errors
def step_through(registry: ModelRegistry, key, text, layer, head):
    """One head's softmax(QKᵀ/√d)·V recomputed from the layer's own projections, and how far it is from
    the weights the model returned."""
    task = task_of(registry, key)
    if task not in STEP_TASKS:
        raise InputError.of("attention.step_models")
    one_head = 0 if int(head) == MEAN_OVER_HEADS else int(head)
    steps_of = head_steps if task == "text" else language_head_steps
    steps = steps_of(load_model(registry, key, no_progress), text or "", int(layer), one_head)
    difference = float(np.abs(steps.weights - steps.model_weights).max())
    note = say("attention.step_mean_note") if one_head != int(head) else ""
    model_note = in_user_language(steps.note) if steps.note is not None else ""
    summary = say("attention.step_summary", note=note + model_note, layer=steps.layer + 1, head=steps.head + 1,
                  difference=difference)
    return steps_figure(steps), summary


@user_errors
def predict(registry: ModelRegistry, key, text, k, count, progress=gr.Progress()):
    """The language model's next-token distribution at every position and its greedy continuation."""
    if not key or task_of(registry, key) != "language":
        return gr.Column(visible=False), None, "", None
    language = load_model(registry, key, progress)
    progress(0.5, desc=say("attention.lm_running"))
    return (gr.Column(visible=True), predictions_figure(language.next_tokens(text or "", int(k))),
            continuation_html(text, language.continue_greedily(text or "", int(count))),
            lens_figure(logit_lens(language, text or "")))


@user_errors
def sample(registry: ModelRegistry, key, text, count, temperature, top_k, top_p, seed, progress=gr.Progress()):
    """How the next token is drawn (the distribution before and after temperature, top-k and top-p) and a
    continuation drawn that way with the seed."""
    if not key or task_of(registry, key) != "language":
        return None, ""
    language = load_model(registry, key, progress)
    options = SamplingOptions(float(temperature), int(top_k), float(top_p), int(seed))
    return (sampling_figure(sampling_stages(language, text or "", options)),
            continuation_html(text, sample_continuation(language, text or "", options, int(count))))


@user_errors
def lens(registry: ModelRegistry, text: str, k: int = 5) -> dict:
    """The logit lens of SmolLM2-135M: after every layer, the residual stream read through the final norm and the
    output head, as if that layer were the last.

    Args:
        text: the text to read (at most 512 tokens)
        k: how many likeliest next tokens to give at each layer and position

    Returns:
        {tokens: [positions], layers: ["embeddings", "1", …, "30"], top: [layers][positions][k] of {token,
        probability}}; the last layer's row is the model's own next-token distribution.
    """
    return logit_lens(load_model(registry, LENS_MODEL, gr.Progress()), text or "", int(k)).as_json()


@user_errors
def attention(registry: ModelRegistry, model: str, text: str, layer: int = 0, head: int = -1) -> dict:
    """The attention matrices of a transformer at one layer and head, as JSON: one entry per attention block that
    has that layer (encoder self-attention, cross-attention, causal self-attention, ...).

    Args:
        model: "all-minilm-l6-v2", "bergamot-en-pt", "whisper-tiny.en", "smollm2-135m" or "digits-vit"
        text: the input text; for a speech model an example clip's name (e.g. "en_weather"); for the ViT a digit 0-9
        layer: the layer, counting from 0
        head: the head, counting from 0; -1 for the mean over heads

    Returns:
        {model, layer, head, maps: [{name, kind, query_tokens, key_tokens, weights [queries, keys]}]}.
    """
    audio, digit = None, 0
    task = task_of(registry, model)
    if task == "speech":
        clip = ASSETS / "audio" / f"{Path(text).stem}.wav"
        if not clip.is_file():
            raise InputError.of("attention.no_example_clip", name=text)
        audio = str(clip)
    elif task == "image":
        if not (text.strip().isdigit() and int(text) <= 9):
            raise InputError.of("attention.not_a_digit", text=text)
        digit = int(text)
    maps = [m for m in extract(registry, model, text, audio, digit, no_progress) if layer < m.layers]
    if not maps:
        raise InputError.of("attention.no_layer", model=model, layer=layer)
    return {"model": model, "layer": layer, "head": head,
            "maps": [{"name": in_user_language(m.name), "kind": m.kind, "query_tokens": m.query_tokens,
                      "key_tokens": m.key_tokens,
                      "weights": np.round(m.head(layer, None if head == MEAN_OVER_HEADS else head), 6).tolist()}
                     for m in maps]}


# ----------------------------------------------------------------------------------------------
# Layout

def build(registry: ModelRegistry) -> AttentionInputs:
    models = attention_models(registry)
    with gr.Tab(t("attention.tab"), id="attention") as tab:
        gr.Markdown(t("attention.intro"))
        maps = gr.State([])
        with gr.Row():
            with gr.Column():
                model = gr.Dropdown(models, value=models[0][1] if models else None, label=t("attention.model"),
                                    elem_id="attention-model")
                text = gr.Textbox(EXAMPLE_TEXTS[0], label=t("attention.text"), lines=2,
                                  elem_id="attention-text")
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath",
                                 label=t("attention.audio"), elem_id="attention-audio")
                speech_task = gr.Radio([(t("attention.transcribe"), "transcribe"), (t("attention.translate"), "translate")],
                                       value="transcribe", label=t("attention.whisper_task"))
                digit = gr.Slider(0, 9, value=3, step=1, label=t("attention.digit"))
                picture = ImageInput(type="filepath", sources=["upload", "clipboard", "webcam"], height=160,
                                     label=t("attention.picture"), elem_id="attention-picture")
                run = gr.Button(t("attention.run"), variant="primary")
            with gr.Column():
                gr.Examples([[sentence] for sentence in EXAMPLE_TEXTS], inputs=[text], label=t("attention.sentences"))
                gr.Examples([[str(path)] for path in sorted((ASSETS / "audio").glob("en_*.wav"))[:3]], inputs=[audio],
                            label=t("attention.clips"))
                note = gr.Markdown(elem_id="attention-note")
        with gr.Row():
            block = gr.Dropdown([("—", 0)], value=0, label=t("attention.block"), interactive=False)
            layer = gr.Dropdown([("1", 0)], value=0, label=t("attention.layer"))
            head = gr.Dropdown([(t("attention.mean_heads"), MEAN_OVER_HEADS)], value=MEAN_OVER_HEADS,
                               label=t("attention.head"))
            tokens = gr.Dropdown([], multiselect=True, label=t("attention.tokens"), elem_id="attention-tokens")
        grid = gr.Plot(label=t("attention.grid"), elem_id="attention-grid")
        head_plot = gr.Plot(label=t("attention.head_plot"), elem_id="attention-head")
        with gr.Row():
            token_plot = gr.Plot(label=t("attention.token_plot"), elem_id="attention-tokens-view")
            aggregate_plot = gr.Plot(label=t("attention.aggregate"), elem_id="attention-aggregate")
        overlay_plot = gr.Plot(label=t("attention.overlay"), visible=False, elem_id="attention-overlay")
        with gr.Column(visible=False) as predictions_panel:
            gr.Markdown(t("attention.lm_heading"))
            with gr.Row():
                top_k = gr.Slider(1, 10, value=5, step=1, label=t("attention.lm_top_k"))
                continue_count = gr.Slider(1, 32, value=8, step=1, label=t("attention.lm_continue"))
            continuation = gr.HTML(label=t("attention.lm_continuation"), elem_id="attention-continuation-view")
            predictions_plot = gr.Plot(label=t("attention.lm_predictions"), elem_id="attention-predictions")
            gr.Markdown(t("attention.lens_heading"))
            lens_plot = gr.Plot(label=t("attention.lens_plot"), elem_id="attention-lens")
            gr.Markdown(t("attention.sampling_heading"))
            with gr.Row():
                temperature = gr.Slider(0.1, 3, value=1.0, step=0.1, label=t("attention.sampling_temperature"))
                sample_top_k = gr.Slider(0, 100, value=0, step=1, label=t("attention.sampling_top_k"))
                top_p = gr.Slider(0.05, 1, value=1.0, step=0.05, label=t("attention.sampling_top_p"))
                seed = gr.Number(0, precision=0, minimum=0, label=t("attention.sampling_seed"))
                draw = gr.Button(t("attention.sampling_draw"), elem_id="attention-sample")
            sampling_plot = gr.Plot(label=t("attention.sampling_plot"), elem_id="attention-sampling")
            sampled = gr.HTML(label=t("attention.sampling_continuation"), elem_id="attention-sampled")
            attributions.build_token_section(registry, model, text)
        files = gr.File(label=t("attention.exports"), file_count="multiple", elem_id="attention-export",
                        elem_classes=["developer"])
        with gr.Accordion(t("attention.step_heading"), open=False):
            gr.Markdown(t("attention.step_note"))
            step = gr.Button(t("attention.step"))
            step_note = gr.Markdown(elem_id="attention-step-note")
            steps_plot = gr.Plot(label=t("attention.steps_plot"), elem_id="attention-steps")
        concepts.note("attention")

        head_views = [head_plot, token_plot, aggregate_plot, files, overlay_plot]
        head_inputs = [maps, block, layer, head, tokens]
        choosers = [layer, head, tokens, note]
        predicting = dict(fn=bind(predict, registry), inputs=[model, text, top_k, continue_count],
                          outputs=[predictions_panel, predictions_plot, continuation, lens_plot], api_visibility="private",
                          **model_queue("attention_predict"))
        (run.click(bind(compute, registry), [model, text, audio, digit, speech_task, picture], maps,
                   api_visibility="private", **model_queue("attention"))
            .success(choose_maps, maps, [block, *choosers], api_visibility="private")
            .then(show_grid, [maps, block], grid, api_visibility="private")
            .then(show_head, head_inputs, head_views, api_visibility="private")
            .then(**predicting))
        (block.input(choose_block, [maps, block], choosers, api_visibility="private")
            .then(show_grid, [maps, block], grid, api_visibility="private")
            .then(show_head, head_inputs, head_views, api_visibility="private"))
        for chooser in (layer, head, tokens):
            chooser.input(show_head, head_inputs, head_views, api_visibility="private", show_progress="hidden")
        for slider in (top_k, continue_count):
            slider.release(**predicting)
        step.click(bind(step_through, registry), [model, text, layer, head], [steps_plot, step_note],
                   api_visibility="private", **model_queue("attention_step"))
        draw.click(bind(sample, registry), [model, text, continue_count, temperature, sample_top_k, top_p, seed],
                   [sampling_plot, sampled], api_visibility="private", **model_queue("attention_sample"))
        tab.select(bind(refreshed_models, registry), model, model, api_visibility="private")
        gr.api(bind(attention, registry), api_name=ATTENTION_API, **model_queue("attention"))
        gr.api(bind(lens, registry), api_name=LOGIT_LENS_API, **model_queue("logit_lens"))
    return AttentionInputs(model, text, audio)
