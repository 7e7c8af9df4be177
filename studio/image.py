"""Image tab: upload, webcam, paste or an example photo → the top-5 ImageNet classes."""
import gradio as gr

from models.registry import ModelRegistry
from studio.common import ASSETS, load_model, model_choices, user_errors


def build(registry: ModelRegistry) -> None:
    models = model_choices(registry, "image")

    @user_errors
    def classify(image_path, model_key, progress=gr.Progress()):
        if not image_path:
            raise gr.Error("No image: upload a photo, use the webcam, paste one or pick an example.")
        result = load_model(registry, model_key, progress).classify(image_path, top_k=5)
        return {p.label: p.probability for p in result.predictions}

    with gr.Tab("Image", id="image"):
        gr.Markdown("A convolutional network (EfficientNet-Lite0, trained on ImageNet) names what it sees.")
        with gr.Row():
            with gr.Column():
                image = gr.Image(sources=["upload", "webcam", "clipboard"], type="filepath", label="Photo",
                                 elem_id="image-input")
                model = gr.Dropdown(models, value=models[0][1] if models else None, label="Model")
                run = gr.Button("Classify", variant="primary")
            labels = gr.Label(num_top_classes=5, label="Top 5", elem_id="image-top5")
        gr.Examples([[str(path)] for path in sorted((ASSETS / "images").glob("*.jpg"))], inputs=[image])
        run.click(classify, [image, model], labels, api_name="classify")
        image.upload(classify, [image, model], labels, api_name=False)
