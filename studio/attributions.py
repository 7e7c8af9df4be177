"""Attributions in the studio: the Image tab's section (a method's per-pixel scores over the photo, beside
Grad-CAM, with their deletion curve), the Attention tab's next-token section (one score per input token), the
Translation tab's section (each target token's scores over the source, beside the cross-attention), edit and compare
in all three, and the `attribute` and `compare` endpoints (image, language, translation and the Training tab's topic
classifier). The handlers are plain functions; `build_*` only lay out and wire."""
import base64
import binascii

import gradio as gr

from models.errors import InputError
from models.explain.methods import METHODS
from models.explain.compare import compare_photos, compare_texts, compare_translations
from models.explain.pixels import GRAD_CAM, attribute_pixels
from models.explain.tokens import attribute_tokens
from models.explain.topics import TOPIC_MODEL, attribute_topic, topic_classifier
from models.explain.translation import attribute_translation
from models.registry import ModelRegistry
from models.vision import cam
from studio.common import ASSETS, load_model, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import say, t
from studio.views.compare import map_pair_figure, outlined, shift_figure, token_pair_figure
from studio.views.explain import deletion_figure, token_attribution_figure
from studio.views.translation import heatmap_figure
from studio.views.overlays import heat_overlay, photo_for_display

ATTRIBUTE_API, COMPARE_API = "attribute", "compare"
TASKS = {"image": (*METHODS, GRAD_CAM), "language": METHODS, "translation": METHODS, "topic": METHODS}  # -> methods
COMPARED_TASKS = ("image", "language", "translation")
DATA_URL = "data:"


def methods_of(task: str) -> tuple[str, ...]:
    if task not in TASKS:
        raise InputError.of("explain.unknown_task", task=task, choices=", ".join(TASKS))
    return TASKS[task]


def photo_of(source: str):
    """An example photo's name ("chelsea", "coffee", …) or a data: URL of an image, as what open_image reads."""
    if source.startswith(DATA_URL):
        try:
            return base64.b64decode(source.partition(",")[2], validate=True)
        except binascii.Error as error:
            raise InputError.of("explain.bad_data_url") from error
    photo = ASSETS / "images" / f"{source.strip()}.jpg"
    if not photo.is_file():
        raise InputError.of("explain.no_example_photo", name=source,
                            choices=", ".join(path.stem for path in sorted((ASSETS / "images").glob("*.jpg"))))
    return str(photo)


def explained(registry: ModelRegistry, task: str, model: str, source: str, target: str, method: str, progress):
    """The attribution of `target` in `source` by `method`, computed with the task's model."""
    if method not in methods_of(task):
        raise InputError.of("explain.unknown_method", method=method, choices=", ".join(methods_of(task)))
    if source is None or isinstance(source, str) and not source.strip():
        raise InputError.of("explain.empty_input")
    if task == "topic":
        if model not in ("", TOPIC_MODEL):
            raise InputError.of("explain.wrong_model", model=model, task=task)
        progress(0.1, desc=say("explain.fitting_topics"))
        return attribute_topic(topic_classifier(), source, target or None, method)
    loaded = task_model(registry, task, model, progress)
    progress(0.3, desc=say("explain.running", method=say(f"explain.method.{method}")))
    if task == "image":
        if method == GRAD_CAM and not cam.supports(loaded):
            raise InputError.of("cam.unsupported")
        return attribute_pixels(loaded, source, target or None, method)
    if task == "translation":
        return attribute_translation(loaded, source, target or "", method)
    return attribute_tokens(loaded, source, target or None, method)


def task_model(registry: ModelRegistry, task: str, model: str, progress):
    """The registry's model `model`, which must be one for `task`."""
    if model and registry.spec(model).task != task:
        raise InputError.of("explain.wrong_model", model=model, task=task)
    return load_model(registry, model, progress)


def mask_shares(edit: str) -> tuple[float, float, float, float]:
    """"left,top,right,bottom" (shares 0 … 1 of the photo's width and height) as four numbers."""
    try:
        shares = tuple(float(part) for part in edit.split(","))
    except ValueError as error:
        raise InputError.of("explain.bad_mask", mask=edit) from error
    if len(shares) != 4:
        raise InputError.of("explain.bad_mask", mask=edit)
    return shares


def compared(registry: ModelRegistry, task: str, model: str, source, edit, target: str, method: str, progress):
    """`task`'s comparison of `source` and its edit (edited text, or for "image" the masked rectangle's shares)."""
    if task not in COMPARED_TASKS:
        raise InputError.of("explain.unknown_task", task=task, choices=", ".join(COMPARED_TASKS))
    if method not in methods_of(task):
        raise InputError.of("explain.unknown_method", method=method, choices=", ".join(methods_of(task)))
    if source is None or isinstance(source, str) and not source.strip():
        raise InputError.of("explain.empty_input")
    loaded = task_model(registry, task, model, progress)
    progress(0.3, desc=say("explain.comparing", method=say(f"explain.method.{method}")))
    if task == "image":
        return compare_photos(loaded, source, edit, method)
    if task == "translation":
        return compare_translations(loaded, source, edit, method)
    return compare_texts(loaded, source, edit, target or None, method)


@user_errors
def attribute(registry: ModelRegistry, task: str, model: str, input: str, target: str = "",
              method: str = "integrated-gradients") -> dict:
    """Why a model made a prediction: how much each pixel or token of the input counted for it, and the deletion
    curve that checks the attribution (remove the most-attributed parts first) against removing at random.

    Args:
        task: "image" (a photo's class), "language" (the next token after a text), "translation" (each target
            token of a sentence's translation) or "topic" (the Training tab's topic classifier on a sentence)
        model: "efficientnet-lite0" for "image", "smollm2-135m" for "language", "bergamot-en-pt" or
            "bergamot-pt-en" for "translation", "minilm-topics" (or empty) for "topic"
        input: for "image" an example photo's name ("chelsea", "coffee", …) or a data: URL of an image; otherwise
            the text (at most 512 tokens; one sentence for "translation")
        target: the class name ("tabby cat", or a topic: "sport"), the next token (" Paris", exactly one token), or
            a target piece of the translation ("▁gato"); empty for the model's own prediction (for "translation":
            the whole translation)
        method: "integrated-gradients", "gradient-x-input" or "occlusion" (and "grad-cam" for "image")

    Returns:
        {method, scores, steps, completeness_error (integrated gradients: |Σ scores − change| / |change|), change,
        deletion: {attributed, random: {fractions, probabilities, area}, beats_random}, seconds} with, for "image",
        class, class_index, probability and image_size [width, height] (scores: [224][224] on the network's input,
        the photo's centre crop); for "language" and "topic", tokens, target and probability (scores: one per
        token); for "translation", tokens (source), target_tokens, translation, target, target_index, probability,
        token_probabilities, scores [target][source] and cross_attention [target][source] (last layer, mean over
        heads).
    """
    source = input
    if task == "image" and source:
        source = photo_of(source)
    return explained(registry, task, model, source, target, method, gr.Progress()).as_json()


@user_errors
def compare(registry: ModelRegistry, task: str, model: str, input: str, edit: str, target: str = "",
            method: str = "integrated-gradients") -> dict:
    """Edit and compare: the same prediction and attribution on an input and on an edited copy, with what the edit
    touched marked, so the effect of one word or one region shows.

    Args:
        task: "image" (mask a rectangle of the photo), "language" (edit the text before the next token) or
            "translation" (edit the sentence)
        model: "efficientnet-lite0", "smollm2-135m", or "bergamot-en-pt" / "bergamot-pt-en"
        input: as for `attribute`: an example photo's name or a data: URL for "image", otherwise the text
        edit: for "image" the masked rectangle as "left,top,right,bottom" shares 0 … 1 of the photo ("0.25,0.25,
            0.75,0.75": the middle quarter), blurred away; otherwise the edited text
        target: the class or next token explained on both sides (empty: the original's prediction); unused for
            "translation", which explains every target token
        method: "integrated-gradients", "gradient-x-input" or "occlusion" (and "grad-cam" for "image")

    Returns:
        {original, edited: each as `attribute` returns it, with "changed" (the tokens the edit touched) and for
        "language" the last token's "attention" (last layer, mean over heads); "translation" adds
        "target_changed"} and, for "image" and "language", shifts: [{label, before, after}] (the top classes or
        next tokens of both sides) and, for "image", mask [left, top, right, bottom] in pixels.
    """
    source = input
    if task == "image":
        source = photo_of(source) if source else source
        edit = mask_shares(edit or "")
    return compared(registry, task, model, source, edit, target, method, gr.Progress()).as_json()


@user_errors
def attribute_photo(registry: ModelRegistry, image_path, model_key, class_label, method, opacity,
                    progress=gr.Progress()):
    """The Image tab's attribution: the scores over the photo, the deletion curve and a one-line summary."""
    if not image_path:
        raise InputError.of("image.no_photo_yet")
    photo = photo_for_display(image_path)
    attribution = explained(registry, "image", model_key, photo, class_label or "", method, progress)
    return (heat_overlay(photo, attribution.heatmap, opacity), deletion_figure(attribution.faithfulness, method),
            say("explain.photo_summary", label=attribution.label, probability=attribution.probability,
                seconds=attribution.seconds))


@user_errors
def attribute_next_token(registry: ModelRegistry, model_key, text, target, method, progress=gr.Progress()):
    """The Attention tab's next-token attribution: one bar per token and the deletion curve."""
    attribution = explained(registry, "language", model_key, text or "", target or "", method, progress)
    return token_attribution_figure(attribution), deletion_figure(attribution.faithfulness, method)


@user_errors
def compare_photo_region(registry: ModelRegistry, image_path, model_key, left, top, right, bottom, method, opacity,
                         progress=gr.Progress()):
    """The Image tab's edit and compare: both attributions over their photos (the mask outlined) and the class
    probabilities before and after."""
    if not image_path:
        raise InputError.of("image.no_photo_yet")
    photo = photo_for_display(image_path)
    shares = tuple(float(value) / 100 for value in (left, top, right, bottom))
    comparison = compared(registry, "image", model_key, photo, shares, "", method, progress)
    original, edited = comparison.original, comparison.edited
    return (heat_overlay(photo, original.heatmap, opacity),
            outlined(heat_overlay(comparison.masked, edited.heatmap, opacity), comparison.box),
            shift_figure(comparison.shifts, say("explain.compare.classes")),
            say("explain.compare.photo_summary", label=original.label, before=original.probability,
                after=edited.probability))


@user_errors
def compare_next_token(registry: ModelRegistry, model_key, text, edited, target, method, progress=gr.Progress()):
    """The Attention tab's edit and compare: both texts' token scores, the last token's attention, and the next-token
    probabilities before and after."""
    comparison = compared(registry, "language", model_key, text or "", edited or "", target or "", method, progress)
    original, changed = comparison.original, comparison.edited
    titles = [say("explain.compare.original"), say("explain.compare.edited")]
    scores = token_pair_figure([(original.tokens, original.scores, comparison.original_changed),
                                (changed.tokens, changed.scores, comparison.edited_changed)], titles,
                               say("explain.plot.score"),
                               say("explain.compare.scores_title", target=repr(original.target)[1:-1],
                                   method=say(f"explain.method.{method}")))
    attention = token_pair_figure([(original.tokens, comparison.original_attention, comparison.original_changed),
                                   (changed.tokens, comparison.edited_attention, comparison.edited_changed)], titles,
                                  say("plot.weight"), say("explain.compare.attention_title"))
    return scores, attention, shift_figure(comparison.shifts, say("explain.compare.next_tokens"))


@user_errors
def attribute_translated(registry: ModelRegistry, direction, text, target, method, progress=gr.Progress()):
    """The Translation tab's attribution: each target token's scores over the source beside the cross-attention for
    the same pair, the deletion curve and a one-line summary."""
    attribution = explained(registry, "translation", direction, text or "", target or "", method, progress)
    unmarked_source = [False] * len(attribution.source_tokens)
    unmarked_target = [False] * len(attribution.target_tokens)
    scores = map_pair_figure([(attribution.scores, attribution.source_tokens, unmarked_source,
                               attribution.target_tokens, unmarked_target)], [say(f"explain.method.{method}")],
                             say("explain.translation.scores_title"))
    attention = heatmap_figure(attribution.cross_attention, attribution.source_tokens, attribution.target_tokens,
                               say("explain.translation.attention_title"))
    error = attribution.completeness_error
    summary = say("explain.translation.summary", translation=attribution.translation,
                  probability=attribution.probability, seconds=attribution.seconds,
                  completeness="—" if error is None else f"{error:.1%}")
    return scores, attention, deletion_figure(attribution.faithfulness, method), summary


@user_errors
def compare_translated(registry: ModelRegistry, direction, text, edited, method, progress=gr.Progress()):
    """The Translation tab's edit and compare: both sentences' attribution maps and cross-attention side by side and
    each target token's probability, the pieces the edit touched marked."""
    comparison = compared(registry, "translation", direction, text or "", edited or "", "", method, progress)
    sides = list(zip((comparison.original, comparison.edited), comparison.source_changed, comparison.target_changed))
    titles = [say("explain.compare.side", side=say(f"explain.compare.{name}"), text=attribution.translation)
              for name, (attribution, _, _) in zip(("original", "edited"), sides)]
    scores = map_pair_figure([(a.scores, a.source_tokens, source, a.target_tokens, target) for a, source, target in sides],
                             titles, say("explain.compare.translation_scores", method=say(f"explain.method.{method}")))
    attention = map_pair_figure([(a.cross_attention, a.source_tokens, source, a.target_tokens, target)
                                 for a, source, target in sides], titles, say("explain.translation.attention_title"))
    probabilities = token_pair_figure([(a.target_tokens, a.token_probabilities, target) for a, _, target in sides],
                                      titles, say("explain.plot.probability"), say("explain.compare.target_probabilities"))
    return scores, attention, probabilities


def method_choices(task: str) -> list:
    return [(t(f"explain.method.{method}"), method) for method in TASKS[task]]


def build_photo_section(registry: ModelRegistry, image: gr.Image, model: gr.Dropdown, class_label: gr.Dropdown,
                        opacity: gr.Slider) -> None:
    """Below Grad-CAM in the Image tab: a method, its scores over the photo and their deletion curve."""
    gr.Markdown(t("explain.photo_heading"))
    with gr.Row():
        with gr.Column():
            method = gr.Radio(method_choices("image"), value=METHODS[0], label=t("explain.method"),
                              elem_id="explain-photo-method")
            run = gr.Button(t("explain.run"), elem_id="explain-photo-run")
            summary = gr.Markdown(elem_id="explain-photo-summary")
            gr.Markdown(t("explain.concept"))
        overlay = gr.Image(label=t("explain.photo_overlay"), interactive=False, elem_id="explain-photo-overlay")
        curve = gr.Plot(label=t("explain.deletion"), elem_id="explain-photo-deletion")
    run.click(bind(attribute_photo, registry), [image, model, class_label, method, opacity], [overlay, curve, summary],
              api_visibility="private", **model_queue("attribute_photo"))
    gr.Markdown(t("explain.compare.photo_heading"))
    with gr.Row():
        corners = [gr.Slider(0, 100, value=value, step=1, label=t(f"explain.compare.{name}"),
                             elem_id=f"compare-photo-{name}")
                   for name, value in (("left", 25), ("top", 25), ("right", 75), ("bottom", 75))]
        compare_run = gr.Button(t("explain.compare.run"), elem_id="compare-photo-run")
    compare_summary = gr.Markdown(elem_id="compare-photo-summary")
    with gr.Row():
        original = gr.Image(label=t("explain.compare.original"), interactive=False, elem_id="compare-photo-original")
        edited = gr.Image(label=t("explain.compare.edited"), interactive=False, elem_id="compare-photo-edited")
    shifts = gr.Plot(label=t("explain.compare.probabilities"), elem_id="compare-photo-shifts")
    compare_run.click(bind(compare_photo_region, registry), [image, model, *corners, method, opacity],
                      [original, edited, shifts, compare_summary], api_visibility="private",
                      **model_queue("attribute_photo"))
    gr.api(bind(attribute, registry), api_name=ATTRIBUTE_API, **model_queue("attribute"))
    gr.api(bind(compare, registry), api_name=COMPARE_API, **model_queue("attribute"))


def build_token_section(registry: ModelRegistry, model: gr.Dropdown, text: gr.Textbox) -> None:
    """In the Attention tab's language-model panel: which input tokens the next token came from."""
    gr.Markdown(t("explain.tokens_heading"))
    with gr.Row():
        method = gr.Radio(method_choices("language"), value=METHODS[0], label=t("explain.method"),
                          elem_id="explain-tokens-method")
        target = gr.Textbox("", label=t("explain.target_token"), elem_id="explain-tokens-target")
        run = gr.Button(t("explain.run"), elem_id="explain-tokens-run")
    with gr.Row():
        bars = gr.Plot(label=t("explain.token_scores"), elem_id="explain-tokens-bars")
        curve = gr.Plot(label=t("explain.deletion"), elem_id="explain-tokens-deletion")
    with gr.Accordion(t("explain.concept_heading"), open=False):
        gr.Markdown(t("explain.concept"))
    run.click(bind(attribute_next_token, registry), [model, text, target, method], [bars, curve],
              api_visibility="private", **model_queue("attribute_tokens"))
    gr.Markdown(t("explain.compare.text_heading"))
    with gr.Row():
        edited = gr.Textbox("", label=t("explain.compare.edited_text"), elem_id="compare-tokens-edited", scale=3)
        compare_run = gr.Button(t("explain.compare.run"), elem_id="compare-tokens-run", scale=1)
    scores = gr.Plot(label=t("explain.compare.scores"), elem_id="compare-tokens-scores")
    with gr.Row():
        attention = gr.Plot(label=t("explain.compare.attention"), elem_id="compare-tokens-attention")
        shifts = gr.Plot(label=t("explain.compare.probabilities"), elem_id="compare-tokens-shifts")
    compare_run.click(bind(compare_next_token, registry), [model, text, edited, target, method],
                      [scores, attention, shifts], api_visibility="private", **model_queue("attribute_tokens"))


def build_translation_section(registry: ModelRegistry, source: gr.Textbox, direction: gr.Dropdown) -> None:
    """In the Translation tab: which source tokens each target token of the (greedy) translation depends on, beside
    the cross-attention for the same pair, and edit and compare."""
    gr.Markdown(t("explain.translation.heading"))
    with gr.Row():
        method = gr.Radio(method_choices("translation"), value=METHODS[0], label=t("explain.method"),
                          elem_id="explain-translation-method")
        target = gr.Textbox("", label=t("explain.translation.target"), elem_id="explain-translation-target")
        run = gr.Button(t("explain.run"), elem_id="explain-translation-run")
    summary = gr.Markdown(elem_id="explain-translation-summary")
    with gr.Row():
        scores = gr.Plot(label=t("explain.translation.scores"), elem_id="explain-translation-scores")
        attention = gr.Plot(label=t("explain.translation.attention"), elem_id="explain-translation-attention")
    curve = gr.Plot(label=t("explain.deletion"), elem_id="explain-translation-deletion")
    run.click(bind(attribute_translated, registry), [direction, source, target, method],
              [scores, attention, curve, summary], api_visibility="private", **model_queue("attribute_tokens"))
    gr.Markdown(t("explain.compare.translation_heading"))
    with gr.Row():
        edited = gr.Textbox("", label=t("explain.compare.edited_text"), elem_id="compare-translation-edited", scale=3)
        compare_run = gr.Button(t("explain.compare.run"), elem_id="compare-translation-run", scale=1)
    compared_scores = gr.Plot(label=t("explain.compare.scores"), elem_id="compare-translation-scores")
    compared_attention = gr.Plot(label=t("explain.compare.attention"), elem_id="compare-translation-attention")
    probabilities = gr.Plot(label=t("explain.compare.probabilities"), elem_id="compare-translation-probabilities")
    compare_run.click(bind(compare_translated, registry), [direction, source, edited, method],
                      [compared_scores, compared_attention, probabilities], api_visibility="private",
                      **model_queue("attribute_tokens"))
