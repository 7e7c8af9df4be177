"""Image tab: the top-5 ImageNet classes, where the network looked (Grad-CAM), what its first convolution
computes, and a CNN next to a vision transformer on a digit the user draws."""
import gradio as gr
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from PIL import Image, ImageOps

from models import cam
from models.digits import DigitPredictions, shared_digit_models
from models.errors import InputError
from models.images import open_image
from models.registry import ModelRegistry
from studio.common import ASSETS, ImageInput, load_model, model_choices, user_errors

DISPLAY_SIDE = 1024  # photos are explained and shown at most this large: PIL antialiases, the model sees 224 px

CAM_NOTE = """**Grad-CAM** weights each feature map of the chosen layer by how much the class score grows with it
(its gradient, averaged over the map) and adds them up: red is where the evidence for the class lies.
Only the centre square the network sees is coloured. Later layers see whole objects, earlier ones parts."""

FEATURES_NOTE = """**What a convolution does**: each of the first layer's 32 filters is a 3×3×3 pattern slid over
the whole photo (the same weights everywhere); a map is bright where the photo matches it — edges in one
direction, a colour, a texture. Deeper layers combine these into eyes, fur, cups."""

DIGITS_NOTE = """**CNN**: small filters slide over the image with shared weights, so each layer sees a local
neighbourhood and the receptive field grows with depth.

**ViT**: the 8×8 digit is cut into 16 patches of 2×2 pixels plus a CLS token; in every layer each token
attends to every other, `softmax(QKᵀ/√d)·V`, so distant patches can talk at once. The grids show how much the CLS
token (which makes the prediction) reads each patch, per layer and head; the **rollout** multiplies attention
(plus the residual path) through the layers to estimate what reaches CLS in the end."""


def photo_for_display(image_path) -> Image.Image:
    photo = open_image(image_path)
    return ImageOps.contain(photo, (DISPLAY_SIDE, DISPLAY_SIDE)) if max(photo.size) > DISPLAY_SIDE else photo


def feature_grid(maps: np.ndarray, columns: int = 8, gap: int = 2) -> Image.Image:
    """[channels, h, w] -> one grey image of the maps in a grid, each scaled to its own range."""
    channels, height, width = maps.shape
    rows = -(-channels // columns)
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), 255, np.uint8)
    for index, feature in enumerate(maps):
        span = max(float(feature.max() - feature.min()), 1e-6)
        row, column = divmod(index, columns)
        grid[row * (height + gap): row * (height + gap) + height, column * (width + gap): column * (width + gap) + width] \
            = ((feature - feature.min()) / span * 255).astype(np.uint8)
    return Image.fromarray(grid)


def attention_figure(predictions: DigitPredictions) -> go.Figure:
    """The CLS token's attention over the 4×4 patches, one grid per layer (rows) and head (columns)."""
    layers, heads = predictions.attention.shape[:2]
    figure = make_subplots(rows=layers, cols=heads, horizontal_spacing=0.03, vertical_spacing=0.06,
                           subplot_titles=[f"layer {layer + 1} · head {head + 1}"
                                           for layer in range(layers) for head in range(heads)])
    for layer in range(layers):
        for head in range(heads):
            patches = predictions.attention[layer, head, 0, 1:].reshape(4, 4)
            figure.add_trace(go.Heatmap(z=patches, zmin=0, coloraxis="coloraxis"), layer + 1, head + 1)
    figure.update_yaxes(autorange="reversed", showticklabels=False)
    figure.update_xaxes(showticklabels=False)
    figure.update_layout(height=520, margin=dict(l=10, r=10, t=40, b=10), coloraxis=dict(colorscale="Viridis"),
                         title_text="ViT: CLS attention over the 16 patches")
    return figure


def rollout_figure(predictions: DigitPredictions) -> go.Figure:
    figure = make_subplots(rows=1, cols=2, subplot_titles=["what the models saw (8×8)", "attention rollout → CLS"])
    figure.add_trace(go.Heatmap(z=predictions.digit, colorscale="Greys", showscale=False), 1, 1)
    figure.add_trace(go.Heatmap(z=predictions.rollout[0, 1:].reshape(4, 4), colorscale="Viridis", showscale=False),
                     1, 2)
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


def build(registry: ModelRegistry) -> None:
    models = model_choices(registry, "image")

    def explainable(model_key: str, progress: gr.Progress):
        classifier = load_model(registry, model_key, progress)
        return classifier if cam.supports(classifier) else None

    @user_errors
    def classify(image_path, model_key, progress=gr.Progress()):
        if not image_path:
            raise gr.Error("No image: upload a photo, use the webcam, paste one or pick an example.")
        classifier = load_model(registry, model_key, progress)
        if not cam.supports(classifier):
            result = classifier.classify(image_path, top_k=5)
            return {p.label: p.probability for p in result.predictions}, None
        # One forward pass gives the top 5 and the top class's Grad-CAM; the overlay is drawn next.
        explanation = cam.explain(classifier, photo_for_display(image_path))
        return {p.label: p.probability for p in explanation.classification.predictions}, explanation

    @user_errors
    def show(explanation, image_path, model_key, layer, opacity, progress=gr.Progress()):
        classifier = explainable(model_key, progress) if image_path else None
        if explanation is None or classifier is None:
            return gr.update(choices=[], value=None), None, None, None
        photo = photo_for_display(image_path)
        if explanation.layer != layer:
            explanation = cam.explain(classifier, photo, layer=layer)
        labels = [p.label for p in explanation.classification.predictions]
        return (gr.update(choices=labels, value=explanation.label), cam.overlay(photo, explanation.heatmap, opacity),
                explanation, feature_grid(cam.first_conv_feature_maps(classifier, photo)))

    @user_errors
    def explain(image_path, model_key, class_label, layer, opacity, progress=gr.Progress()):
        """Grad-CAM overlay for `class_label` (any ImageNet class name; empty: the top class) at `layer`."""
        if not image_path:
            raise gr.Error("No image: upload a photo first.")
        classifier = explainable(model_key, progress)
        if classifier is None:
            raise InputError("Grad-CAM is available for EfficientNet-Lite0 only.")
        if class_label and class_label not in classifier.labels:
            raise InputError(f"{class_label!r} is not one of the model's classes.")
        photo = photo_for_display(image_path)
        class_index = classifier.labels.index(class_label) if class_label else None
        explanation = cam.explain(classifier, photo, class_index, layer)
        return cam.overlay(photo, explanation.heatmap, opacity), explanation

    @user_errors
    def recolour(explanation, image_path, opacity):
        if explanation is None or not image_path:
            return None
        return cam.overlay(photo_for_display(image_path), explanation.heatmap, opacity)

    @user_errors
    def classify_drawing(drawing, progress=gr.Progress()):
        if drawing_is_blank(drawing):  # the canvas was cleared: clear the answers too, no error
            return None, None, None, None
        progress(0.1, desc="Loading the digit models (trained on first use, a few seconds)…")
        predictions = shared_digit_models().classify_drawing(drawing)
        return (digit_confidences(predictions.cnn), digit_confidences(predictions.vit),
                attention_figure(predictions), rollout_figure(predictions))

    with gr.Tab("Image", id="image"):
        gr.Markdown("A convolutional network (EfficientNet-Lite0, trained on ImageNet) names what it sees — "
                    "and shows where it looked.")
        explanation = gr.State(None)
        with gr.Row():
            with gr.Column():
                image = ImageInput(sources=["upload", "webcam", "clipboard"], type="filepath", label="Photo",
                                 elem_id="image-input")
                model = gr.Dropdown(models, value=models[0][1] if models else None, label="Model")
                run = gr.Button("Classify", variant="primary")
            labels = gr.Label(num_top_classes=5, label="Top 5", elem_id="image-top5")
        gr.Examples([[str(path)] for path in sorted((ASSETS / "images").glob("*.jpg"))], inputs=[image])
        with gr.Row():
            with gr.Column():
                cam_image = gr.Image(label="Grad-CAM: where the evidence for the class lies", interactive=False,
                                     elem_id="image-cam")
            with gr.Column():
                class_label = gr.Dropdown([], label="Explain class (one of the top 5)", allow_custom_value=True,
                                          elem_id="image-cam-class")
                layer = gr.Dropdown([(title, name) for name, title in cam.LAYERS.items()], value=cam.DEFAULT_LAYER,
                                    label="Layer", elem_id="image-cam-layer")
                opacity = gr.Slider(0, 1, value=0.5, step=0.05, label="Overlay opacity", elem_id="image-cam-opacity")
                gr.Markdown(CAM_NOTE)
        with gr.Row():
            features = gr.Image(label="First convolution: 32 feature maps", interactive=False, scale=2,
                                elem_id="image-features")
            gr.Markdown(FEATURES_NOTE)

        gr.Markdown("## CNN vs self-attention\nDraw a digit 0–9: a small CNN and a small vision transformer, both "
                    "trained here on scikit-learn's 8×8 digits, read it side by side.")
        with gr.Row():
            sketch = gr.Sketchpad(type="numpy", canvas_size=(280, 280), label="Draw a digit", elem_id="digit-sketch",
                                  brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"))
            cnn_label = gr.Label(num_top_classes=3, label="CNN", elem_id="digit-cnn")
            vit_label = gr.Label(num_top_classes=3, label="ViT", elem_id="digit-vit")
        with gr.Row():
            attention = gr.Plot(label="ViT attention per layer and head", elem_id="digit-attention")
            with gr.Column():
                rollout = gr.Plot(label="Attention rollout", elem_id="digit-rollout")
                gr.Markdown(DIGITS_NOTE)

        shown = [class_label, cam_image, explanation, features]
        run.click(classify, [image, model], [labels, explanation], api_name="classify").then(
            show, [explanation, image, model, layer, opacity], shown, api_visibility="private")
        image.upload(classify, [image, model], [labels, explanation], api_visibility="private").then(
            show, [explanation, image, model, layer, opacity], shown, api_visibility="private")
        gr.on([class_label.input, layer.input], explain, [image, model, class_label, layer, opacity],
              [cam_image, explanation], api_name="explain")
        opacity.release(recolour, [explanation, image, opacity], cam_image, api_visibility="private")
        sketch.change(classify_drawing, sketch, [cnn_label, vit_label, attention, rollout], api_name="classify_drawing",
                      trigger_mode="always_last")
