"""Image tab: the top-5 ImageNet classes, where the network looked (Grad-CAM), what its first convolution
computes, and a CNN next to a vision transformer on a digit the user draws.

The handlers are plain functions (the registry first, where they load a model); `build` only lays out and wires.
"""
import gradio as gr
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.errors import InputError
from models.registry import ModelRegistry
from models.training import saved
from models.vision import cam
from models.vision.digits import DigitPredictions, shared_digit_models
from studio import attributions, concepts, detection
from studio.common import ASSETS, ImageInput, load_model, model_choices, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import say, t
from studio.training_panels import saved_model_title
from studio.views.overlays import feature_grid, heat_overlay, photo_for_display

ENDPOINTS = {"classify": "classify", "explain": "explain", "classify_drawing": "classify_drawing"}
TOP_CLASSES = 5
DEFAULT_OPACITY = 0.5


def attention_figure(predictions: DigitPredictions) -> go.Figure:
    """The CLS token's attention over the ViT's patch grid, one grid per layer (rows) and head (columns)."""
    maps = predictions.cls_attention()
    layers, heads = maps.shape[:2]
    figure = make_subplots(rows=layers, cols=heads, horizontal_spacing=0.03, vertical_spacing=0.06,
                           subplot_titles=[say("image.plot.head", layer=layer + 1, head=head + 1)
                                           for layer in range(layers) for head in range(heads)])
    for layer in range(layers):
        for head in range(heads):
            figure.add_trace(go.Heatmap(z=maps[layer, head], zmin=0, coloraxis="coloraxis"), layer + 1, head + 1)
    figure.update_yaxes(autorange="reversed", showticklabels=False)
    figure.update_xaxes(showticklabels=False)
    figure.update_layout(height=520, margin=dict(l=10, r=10, t=40, b=10), coloraxis=dict(colorscale="Viridis"),
                         title_text=say("image.plot.cls_attention", patches=predictions.patch_grid ** 2))
    return figure


def rollout_figure(predictions: DigitPredictions) -> go.Figure:
    figure = make_subplots(rows=1, cols=2, subplot_titles=[say("image.plot.seen"), say("image.plot.rollout")])
    figure.add_trace(go.Heatmap(z=predictions.digit, colorscale="Greys", showscale=False), 1, 1)
    figure.add_trace(go.Heatmap(z=predictions.cls_rollout(), colorscale="Viridis", showscale=False), 1, 2)
    figure.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x")
    figure.update_yaxes(scaleanchor="x2", row=1, col=2)
    figure.update_xaxes(showticklabels=False)
    figure.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10))
    return figure


def drawing_is_blank(drawing) -> bool:
    composite = drawing.get("composite") if isinstance(drawing, dict) else drawing
    return composite is None or np.ptp(np.asarray(composite)) == 0


def digit_confidences(probabilities: np.ndarray) -> dict[str, float]:
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


def image_model_choices(registry: ModelRegistry) -> list[tuple]:
    """The registry's image models, with the models fine-tuned in the Training tab (registered as they appear)
    named by their run and classes; a deleted run's model is left out."""
    trained = {model.key: model for model in saved.register_image_models(registry)}
    return [(saved_model_title(trained[key]) if key in trained else title, key)
            for title, key in model_choices(registry, "image")
            if not key.startswith(saved.KEY_PREFIX) or key in trained]


def refreshed_models(registry: ModelRegistry, current: str | None):
    return gr.Dropdown(choices=image_model_choices(registry), value=current)


def explainable(registry: ModelRegistry, model_key: str, progress: gr.Progress):
    """The model, if Grad-CAM can explain it; else None."""
    classifier = load_model(registry, model_key, progress)
    return classifier if cam.supports(classifier) else None


@user_errors
def classify(registry: ModelRegistry, image_path, model_key, progress=gr.Progress()):
    """Classify a photo into ImageNet's 1,000 classes (or a model trained in the Training tab).

    Args:
        image_path: the photo (jpg, png, webp, ...; at most 40 megapixels)
        model_key: "efficientnet-lite0", or "trained-run-<id>" for an image model trained here

    Returns:
        The top 5 classes as {class: probability}, and the top class's Grad-CAM explanation (None when the
        model has none; the page draws it).
    """
    if not image_path:
        raise InputError.of("image.no_photo")
    saved.register_image_models(registry)  # a model trained since the page loaded is known to the registry too
    classifier = load_model(registry, model_key, progress)
    if not cam.supports(classifier):
        result = classifier.classify(image_path, top_k=TOP_CLASSES)
        return {p.label: p.probability for p in result.predictions}, None
    # One forward pass gives the top 5 and the top class's Grad-CAM; the overlay is drawn next.
    explanation = cam.explain(classifier, photo_for_display(image_path))
    return {p.label: p.probability for p in explanation.classification.predictions}, explanation


@user_errors
def show(registry: ModelRegistry, explanation, image_path, model_key, layer, opacity, progress=gr.Progress()):
    """After classify: the classes to explain, the overlay (at `layer`), the explanation and the feature maps."""
    classifier = explainable(registry, model_key, progress) if image_path else None
    if explanation is None or classifier is None:
        return gr.update(choices=[], value=None), None, None, None
    photo = photo_for_display(image_path)
    if explanation.layer != layer:
        explanation = cam.explain(classifier, photo, layer=layer)
    labels = [p.label for p in explanation.classification.predictions]
    return (gr.update(choices=labels, value=explanation.label), heat_overlay(photo, explanation.heatmap, opacity),
            explanation, feature_grid(cam.first_conv_feature_maps(classifier, photo)))


@user_errors
def explain(registry: ModelRegistry, image_path, model_key, class_label, layer, opacity, progress=gr.Progress()):
    """Where in the photo the classifier saw a class: a Grad-CAM heat map laid over the photo.

    Args:
        image_path: the photo
        model_key: "efficientnet-lite0"
        class_label: any ImageNet class name, e.g. "tabby cat"; empty for the top class
        layer: the convolution layer explained, e.g. "_conv_head" (the last)
        opacity: how strongly the heat map covers the photo, 0 to 1

    Returns:
        The overlay image, and the explanation it was drawn from.
    """
    if not image_path:
        raise InputError.of("image.no_photo_yet")
    classifier = explainable(registry, model_key, progress)
    if classifier is None:
        raise InputError.of("cam.unsupported")
    if class_label and class_label not in classifier.labels:
        raise InputError.of("image.unknown_class", label=class_label)
    photo = photo_for_display(image_path)
    class_index = classifier.labels.index(class_label) if class_label else None
    explanation = cam.explain(classifier, photo, class_index, layer)
    return heat_overlay(photo, explanation.heatmap, opacity), explanation


@user_errors
def recolour(explanation, image_path, opacity):
    if explanation is None or not image_path:
        return None
    return heat_overlay(photo_for_display(image_path), explanation.heatmap, opacity)


@user_errors
def classify_drawing(drawing, progress=gr.Progress()):
    """Read a hand-drawn digit with a small CNN and a small vision transformer (ViT).

    Args:
        drawing: the sketch (black strokes on white); blank gives nothing

    Returns:
        The CNN's {digit: probability}, the ViT's {digit: probability}, the ViT's attention per layer and head,
        and its attention rollout; all None when the drawing is blank.
    """
    if drawing_is_blank(drawing):  # the canvas was cleared: clear the answers too, no error
        return None, None, None, None
    progress(0.1, desc=say("image.loading_digits"))
    predictions = shared_digit_models().classify_drawing(drawing)
    return (digit_confidences(predictions.cnn), digit_confidences(predictions.vit),
            attention_figure(predictions), rollout_figure(predictions))


def build(registry: ModelRegistry, teacher: bool = False) -> None:
    """`teacher`: an example photo is already in place."""
    models = image_model_choices(registry)
    with gr.Tab(t("image.tab"), id="image") as tab:
        gr.Markdown(t("image.intro"))
        explanation = gr.State(None)
        with gr.Row():
            with gr.Column():
                photos = sorted((ASSETS / "images").glob("*.jpg"))
                image = ImageInput(str(photos[0]) if teacher and photos else None,
                                   sources=["upload", "webcam", "clipboard"], type="filepath", label=t("image.photo"),
                                   elem_id="image-input")
                model = gr.Dropdown(models, value=models[0][1] if models else None, label=t("image.model"),
                                    allow_custom_value=True, elem_id="image-model")  # models trained later too
                run = gr.Button(t("image.run"), variant="primary")
            labels = gr.Label(num_top_classes=TOP_CLASSES, label=t("image.top5"), elem_id="image-top5")
        gr.Examples([[str(path)] for path in photos], inputs=[image], label=t("image.examples"))
        with gr.Row():
            with gr.Column():
                cam_image = gr.Image(label=t("image.cam"), interactive=False, elem_id="image-cam")
            with gr.Column():
                class_label = gr.Dropdown([], label=t("image.cam_class"), allow_custom_value=True,
                                          elem_id="image-cam-class")
                layer = gr.Dropdown([(t(f"image.layer.{name}"), name) for name in cam.LAYERS], value=cam.DEFAULT_LAYER,
                                    label=t("image.layer"), elem_id="image-cam-layer")
                opacity = gr.Slider(0, 1, value=DEFAULT_OPACITY, step=0.05, label=t("image.opacity"),
                                    elem_id="image-cam-opacity")
                gr.Markdown(t("image.cam_note"))
        with gr.Row():
            features = gr.Image(label=t("image.features"), interactive=False, scale=2, elem_id="image-features")
            gr.Markdown(t("image.features_note"))
        attributions.build_photo_section(registry, image, model, class_label, opacity)

        detection.build(registry, teacher)

        gr.Markdown(t("image.digits_heading"))
        with gr.Row():
            sketch = gr.Sketchpad(type="numpy", canvas_size=(280, 280), label=t("image.draw"), elem_id="digit-sketch",
                                  brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"))
            cnn_label = gr.Label(num_top_classes=3, label=t("image.cnn"), elem_id="digit-cnn")
            vit_label = gr.Label(num_top_classes=3, label=t("image.vit"), elem_id="digit-vit")
        with gr.Row():
            attention = gr.Plot(label=t("image.vit_attention"), elem_id="digit-attention")
            with gr.Column():
                rollout = gr.Plot(label=t("image.rollout"), elem_id="digit-rollout")
                concepts.note("image")

        shown = [class_label, cam_image, explanation, features]
        show_after = dict(fn=bind(show, registry), inputs=[explanation, image, model, layer, opacity], outputs=shown,
                          api_visibility="private", **model_queue("show_classified"))
        tab.select(bind(refreshed_models, registry), model, model, api_visibility="private")
        run.click(bind(classify, registry), [image, model], [labels, explanation], api_name=ENDPOINTS["classify"],
                  **model_queue("classify")).then(**show_after)
        image.upload(bind(classify, registry), [image, model], [labels, explanation], api_visibility="private",
                     **model_queue("classify")).then(**show_after)
        gr.on([class_label.input, layer.input], bind(explain, registry), [image, model, class_label, layer, opacity],
              [cam_image, explanation], api_name=ENDPOINTS["explain"], **model_queue("explain"))
        opacity.release(recolour, [explanation, image, opacity], cam_image, api_visibility="private")
        sketch.change(classify_drawing, sketch, [cnn_label, vit_label, attention, rollout],
                      api_name=ENDPOINTS["classify_drawing"], trigger_mode="always_last", **model_queue("classify_drawing"))
