"""Attributions in the studio: the Image tab's section (a method's per-pixel scores over the photo, beside
Grad-CAM, with their deletion curve), the Attention tab's next-token section (one score per input token) and
the `attribute` endpoint for both. The handlers are plain functions; `build_*` only lay out and wire."""
import base64
import binascii

import gradio as gr

from models.errors import InputError
from models.explain.methods import METHODS
from models.explain.pixels import GRAD_CAM, attribute_pixels
from models.explain.tokens import attribute_tokens
from models.registry import ModelRegistry
from models.vision import cam
from studio.common import ASSETS, load_model, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import say, t
from studio.views.explain import deletion_figure, token_attribution_figure
from studio.views.overlays import heat_overlay, photo_for_display

ATTRIBUTE_API = "attribute"
TASKS = {"image": (*METHODS, GRAD_CAM), "language": METHODS}  # task -> its methods
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
    if model and registry.spec(model).task != task:
        raise InputError.of("explain.wrong_model", model=model, task=task)
    loaded = load_model(registry, model, progress)
    progress(0.3, desc=say("explain.running", method=say(f"explain.method.{method}")))
    if task == "image":
        if method == GRAD_CAM and not cam.supports(loaded):
            raise InputError.of("cam.unsupported")
        return attribute_pixels(loaded, source, target or None, method)
    return attribute_tokens(loaded, source, target or None, method)


@user_errors
def attribute(registry: ModelRegistry, task: str, model: str, input: str, target: str = "",
              method: str = "integrated-gradients") -> dict:
    """Why a model made a prediction: how much each pixel or token of the input counted for it, and the deletion
    curve that checks the attribution (remove the most-attributed parts first) against removing at random.

    Args:
        task: "image" (a photo's class) or "language" (the next token after a text)
        model: "efficientnet-lite0" for "image", "smollm2-135m" for "language"
        input: for "image" an example photo's name ("chelsea", "coffee", …) or a data: URL of an image; for
            "language" the text (at most 512 tokens)
        target: the class name ("tabby cat") or the next token (" Paris", exactly one token) to explain; empty for
            the model's own prediction
        method: "integrated-gradients", "gradient-x-input" or "occlusion" (and "grad-cam" for "image")

    Returns:
        {method, scores, deletion: {attributed, random: {fractions, probabilities, area}, beats_random}, seconds}
        with, for "image", class, class_index, probability and image_size [width, height] (scores: [224][224] on
        the network's input, the photo's centre crop) and, for "language", tokens, target and probability
        (scores: one per token).
    """
    source = input
    if task == "image" and source:
        source = photo_of(source)
    return explained(registry, task, model, source, target, method, gr.Progress()).as_json()


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
    gr.api(bind(attribute, registry), api_name=ATTRIBUTE_API, **model_queue("attribute"))


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
