"""The Image tab's object detection section: yolov3-tiny's boxes on a photo, and a step-through of how they were
made (the grid cells and anchors that fired, every candidate, what non-maximum suppression kept and removed).

The handlers are plain functions (the registry first); `build` only lays out and wires.
"""
import gradio as gr

from models.errors import InputError
from models.registry import ModelRegistry
from models.vision.detector import DEFAULT_SIDE, SIDES, DetectOptions, Detection
from studio import concepts
from studio.common import ASSETS, ImageInput, load_model, model_choices, model_queue, user_errors
from studio.handlers import bind
from studio.i18n import t
from studio.views.detection import STEPS, annotated, candidate_table, step_picture, summary
from studio.views.overlays import photo_for_display

MODEL = "yolov3-tiny"
ENDPOINT = "detect"
EXAMPLES = ("coffee.jpg", "astronaut.jpg", "motorcycle.jpg")  # scikit-image's photos (assets/images)
DEFAULTS = DetectOptions()


def boxes_json(detection: Detection) -> dict:
    """The API's answer: {"boxes": [{"label", "score", "box": [x0, y0, x1, y1]}]} in the photo's pixels."""
    return {"boxes": [{"label": box.label, "score": round(box.score, 4), "box": [round(v, 1) for v in box.box]}
                      for box in detection.boxes]}


@user_errors
def detect(registry: ModelRegistry, image, threshold: float = DEFAULTS.threshold, iou: float = DEFAULTS.iou,
           side: int = DEFAULTS.side, progress=gr.Progress()):
    """Find and label the objects in a photo (YOLOv3-tiny, COCO's 80 classes).

    Args:
        image: the photo
        threshold: the score (objectness × class probability) a box needs, 0 to 1
        iou: a box overlapping a kept box of its class by more than this share is dropped, 0 to 1
        side: the network's input size in pixels: 320, 416 or 608 (larger finds smaller objects, slower)

    Returns:
        {"boxes": [{label, score, box [x0, y0, x1, y1] in the photo's pixels}]}, and the whole detection (the
        page's step-through reads it).
    """
    if not image:
        raise InputError.of("image.no_photo")
    detector = load_model(registry, MODEL, progress)
    detection = detector.detect(image, DetectOptions(float(threshold), float(iou), int(side)))
    return boxes_json(detection), detection


@user_errors
def show(detection: Detection | None, image, step: str):
    """The photo with its boxes, the chosen step drawn over it, the candidate table and a one-line summary."""
    if detection is None or not image:
        return None, None, None, ""
    photo = photo_for_display(image)
    return (annotated(photo, detection), step_picture(photo, detection, step), candidate_table(detection),
            summary(detection))


@user_errors
def redraw(detection: Detection | None, image, step: str):
    if detection is None or not image:
        return None
    return step_picture(photo_for_display(image), detection, step)


def build(registry: ModelRegistry, teacher: bool = False) -> None:
    """The section, inside the Image tab. `teacher`: the first example is already in place."""
    examples = [str(ASSETS / "images" / name) for name in EXAMPLES]
    gr.Markdown(t("detection.heading"))
    detection = gr.State(None)
    with gr.Row():
        with gr.Column():
            image = ImageInput(examples[0] if teacher else None, sources=["upload", "webcam", "clipboard"],
                               type="filepath", label=t("image.photo"), elem_id="detect-input")
            # one detector ships: named here, not chosen
            gr.Dropdown(model_choices(registry, "detection"), value=MODEL, label=t("image.model"), interactive=False,
                        elem_id="detect-model")
            threshold = gr.Slider(0.05, 0.95, value=DEFAULTS.threshold, step=0.05, label=t("detection.threshold"),
                                  elem_id="detect-threshold")
            iou = gr.Slider(0.05, 0.95, value=DEFAULTS.iou, step=0.05, label=t("detection.iou"), elem_id="detect-iou")
            side = gr.Radio(list(SIDES), value=DEFAULT_SIDE, label=t("detection.side"), elem_id="detect-side")
            run = gr.Button(t("detection.run"), variant="primary")
        with gr.Column():
            boxes = gr.AnnotatedImage(label=t("detection.boxes"), elem_id="detect-boxes")
            found = gr.Markdown(elem_id="detect-summary")
    gr.Examples([[path] for path in examples], inputs=[image], label=t("image.examples"))
    with gr.Row():
        with gr.Column(scale=3):
            step = gr.Radio([(t(f"detection.step.{name}"), name) for name in STEPS], value=STEPS[-1],
                            label=t("detection.step"), elem_id="detect-step-choice")
            picture = gr.Image(label=t("detection.step_picture"), interactive=False, elem_id="detect-step")
        with gr.Column(scale=2):
            concepts.note("detection")
    table = gr.Dataframe(label=t("detection.candidates"), interactive=False, max_height=320,
                         elem_id="detect-candidates")
    answer = gr.JSON(label=t("detection.json"), elem_classes=["developer"], elem_id="detect-json")

    shown = dict(fn=show, inputs=[detection, image, step], outputs=[boxes, picture, table, found],
                 api_visibility="private")
    inputs, outputs = [image, threshold, iou, side], [answer, detection]
    run.click(bind(detect, registry), inputs, outputs, api_name=ENDPOINT, **model_queue("detect")).then(**shown)
    gr.on([image.upload, threshold.release, iou.release, side.input], bind(detect, registry), inputs, outputs,
          api_visibility="private", **model_queue("detect")).then(**shown)
    step.input(redraw, [detection, image, step], picture, api_visibility="private")
