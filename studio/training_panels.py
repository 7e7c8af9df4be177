"""The Training tab's two extra panels: your own image classes (Teachable-Machine style) and trying a keyword
model trained here with the microphone; and how a model trained here is named."""
from dataclasses import dataclass

import gradio as gr

from models.errors import InputError
from models.speech.audio import load_audio
from models.training import saved
from models.training.image_sets import MAX_CLASSES, save_image_set
from studio.common import model_queue, refreshed_choice, user_errors
from studio.i18n import say, t

ENDPOINTS = {"hear": "try_keyword"}
TITLE_CLASSES = 4  # a saved model's name lists this many of its classes


def saved_model_title(model: saved.SavedModel) -> str:
    """"#7 frozen on cat, coffee, 95% validation accuracy (trained here)", in the user's language."""
    classes = ", ".join(model.classes[:TITLE_CLASSES]) + ("…" if len(model.classes) > TITLE_CLASSES else "")
    if model.accuracy is None:
        return say("training.saved_title", run=model.run_id, variant=model.variant, classes=classes)
    return say("training.saved_title_scored", run=model.run_id, variant=model.variant, classes=classes,
               accuracy=model.accuracy)


@dataclass
class ClassPanel:
    panel: gr.Column
    names: list[gr.Textbox]
    photos: list[gr.Gallery]

    @property
    def inputs(self) -> list:
        return [*self.names, *self.photos]


def image_set_id(*names_then_photos) -> str:
    """Store the classes the panel holds (names, then galleries) and return the image set's id."""
    names, galleries = names_then_photos[:MAX_CLASSES], names_then_photos[MAX_CLASSES:]
    classes = {}
    for name, gallery in zip(names, galleries, strict=True):
        photos = [item[0] if isinstance(item, (list, tuple)) else item for item in gallery or []]
        if photos and not (name or "").strip():
            raise InputError.of("training.mine.unnamed")
        if name and name.strip() in classes:
            raise InputError.of("training.mine.duplicate", name=name.strip())
        classes[(name or "").strip()] = photos
    return save_image_set(classes)


@user_errors
def add_shot(shot, gallery):
    if not shot:
        raise InputError.of("training.mine.no_shot")
    return [item[0] if isinstance(item, (list, tuple)) else item for item in gallery or []] + [shot]


def build_class_panel() -> ClassPanel:
    """Shown while the task is "my-images": a webcam and, per class, a name and its photos."""
    with gr.Column(visible=False, elem_id="train-my-classes") as panel:
        gr.Markdown(t("training.mine.intro"))
        camera = gr.Image(sources=["webcam", "upload"], type="filepath", label=t("training.mine.camera"), height=240,
                          elem_id="train-camera")
        names, photos = [], []
        with gr.Row():
            for index in range(MAX_CLASSES):
                with gr.Column(min_width=160):
                    names.append(gr.Textbox(label=t(f"training.mine.class{index + 1}"),
                                            placeholder=t("training.mine.name_hint"), elem_id=f"train-class-{index}"))
                    photos.append(gr.Gallery(type="filepath", file_types=["image"], interactive=True, columns=3,
                                             height=180, label=t("training.mine.photos"),
                                             elem_id=f"train-photos-{index}"))
                    add = gr.Button(t("training.mine.add_shot"), size="sm")
                add.click(add_shot, [camera, photos[-1]], photos[-1], api_visibility="private")
    return ClassPanel(panel, names, photos)


def keyword_choices() -> list[tuple[str, str]]:
    return [(saved_model_title(model), model.key) for model in saved.saved_models("keyword")]


def refreshed_keyword_models(current: str | None):
    """The keyword models saved so far, `current` still chosen if it is one of them."""
    return refreshed_choice(keyword_choices(), current)


@user_errors
def hear(model_key: str, recording: str) -> dict[str, float]:
    """Which command word a keyword model trained in the Training tab hears in a recording.

    Args:
        model_key: the trained model, "trained-run-<id>"
        recording: the audio file (a second or two of speech)

    Returns:
        {word: probability} over the model's words.
    """
    model = saved.find(model_key or "")
    if model is None or model.kind != "keyword":
        raise InputError.of("training.try.no_model")
    if not recording:
        raise InputError.of("training.try.no_audio")
    return saved.load_keyword_classifier(model.folder).classify(load_audio(recording))


def build_keyword_panel() -> None:
    """Say a word into the microphone and see what a keyword model trained here hears."""
    with gr.Accordion(t("training.try.title"), open=False):
        gr.Markdown(t("training.try.intro"))
        with gr.Row():
            with gr.Column():
                choices = keyword_choices()
                model = gr.Dropdown(choices, value=choices[0][1] if choices else None, allow_custom_value=True,
                                    label=t("training.try.model"), elem_id="train-keyword-model")
                refresh = gr.Button(t("training.try.refresh"), size="sm")
                recording = gr.Audio(sources=["microphone", "upload"], type="filepath", label=t("training.try.audio"),
                                     elem_id="train-keyword-audio")
                listen = gr.Button(t("training.try.run"), variant="primary")
            heard = gr.Label(num_top_classes=3, label=t("training.try.heard"), elem_id="train-keyword-heard")
    refresh.click(refreshed_keyword_models, model, model, api_visibility="private")
    listen.click(hear, [model, recording], heard, api_name=ENDPOINTS["hear"], **model_queue("hear"))
