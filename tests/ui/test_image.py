"""The Image tab: its endpoints through the launched app, and its handlers and pictures called directly."""
import base64
import json

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import handle_file
from PIL import Image

from models.registry import ModelRegistry
from models.training import saved
from models.training.config import TrainConfig
from models.training.finetune import efficientnet_lite0
from models.vision import cam
from models.vision.digits import DigitModels, small_cnn, small_vit
from studio import image
from studio.views.overlays import heat_overlay, jet, jet_from_table
from tests.tests_paths import ASSETS

PHOTOS = ASSETS / "images"
CAT_CLASSES = {"tabby cat", "a cat having a striped coat", "Egyptian Mau", "Persian cat", "Siamese cat", "lynx"}
# The examples EfficientNet-Lite0 names right (it takes the astronaut for a football helmet, the horse for a dog).
RIGHT_ANSWERS = {"coffee.jpg": {"espresso"}, "chelsea.jpg": CAT_CLASSES, "rocket.jpg": {"missile (657)", "missile (744)"}}
HOT, COLD = 0.8, 0.0  # heatmap levels: where the evidence is strongest, where there is none
WEBP_TOLERANCE = 4  # mean 0–255 difference the served (lossy WebP) overlay may have where it should be the photo


@pytest.fixture(scope="module")
def registry():
    return ModelRegistry(torch.device("cpu"))


def plotted(z) -> np.ndarray:
    """A heatmap's z from the plot JSON the app sends: a list of rows, or plotly's base64 typed array."""
    if isinstance(z, dict):
        shape = tuple(int(side) for side in str(z["shape"]).split(","))
        return np.frombuffer(base64.b64decode(z["bdata"]), z["dtype"]).reshape(shape)
    return np.asarray(z)


def pixels(path) -> np.ndarray:
    with Image.open(path) as picture:
        return np.asarray(picture.convert("RGB"), np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("photo", sorted(RIGHT_ANSWERS))
def test_classify_endpoint_names_the_example_photos(client, photo):
    result = client.predict(handle_file(str(PHOTOS / photo)), "efficientnet-lite0", api_name="/classify")
    assert result["label"] in RIGHT_ANSWERS[photo]
    confidences = [entry["confidence"] for entry in result["confidences"]]
    assert len(confidences) == 5 and confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1.0001


@pytest.mark.slow
def test_explain_endpoint_paints_the_overlay_where_the_cam_is_hot(client, registry):
    photo = PHOTOS / "chelsea.jpg"
    overlay = client.predict(handle_file(str(photo)), "efficientnet-lite0", "Egyptian Mau", "_blocks.15", 0.6,
                             api_name="/explain")
    classifier = registry.get("efficientnet-lite0")
    heatmap = cam.explain(classifier, str(photo), classifier.labels.index("Egyptian Mau"), "_blocks.15").heatmap
    painted, original = pixels(overlay), pixels(photo)
    assert painted.shape == original.shape
    change = np.abs(painted - original).mean(axis=-1)
    assert change[heatmap == COLD].mean() < WEBP_TOLERANCE  # no evidence: the photo as it is
    assert change[heatmap >= HOT].mean() > 10 * WEBP_TOLERANCE  # the evidence: painted over


@pytest.mark.slow
def test_classify_drawing_endpoint_reads_a_drawn_one_and_shows_attention_over_the_patches(client, tmp_path):
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[40:240, 120:160] = (0, 0, 0, 255)  # a black bar on a transparent canvas
    Image.fromarray(canvas).save(tmp_path / "one.png")
    cnn, vit, attention, rollout = client.predict({"background": None, "layers": [],
                                                   "composite": handle_file(str(tmp_path / "one.png"))},
                                                  api_name="/classify_drawing")
    assert cnn["label"] == "1" and vit["label"] == "1"
    heads = [plotted(trace["z"]) for trace in json.loads(attention["plot"])["data"]]
    assert len(heads) == 3 * 4 and all(z.shape == (4, 4) for z in heads)  # layers × heads, over 4×4 patches
    assert all((z >= 0).all() and z.sum() <= 1 + 1e-3 for z in heads)  # shares of what CLS reads
    seen, rolled = (plotted(trace["z"]) for trace in json.loads(rollout["plot"])["data"])
    assert seen.shape == (8, 8) and rolled.shape == (4, 4)
    assert seen[:, 3:5].mean() > 4 * seen[:, :2].mean()  # the bar, in the middle


# ---- the handlers and pictures, called directly (no app) -----------------------------------------------------

def test_classify_handler_gives_the_top_5_and_the_top_class_explanation(registry):
    top5, explanation = image.classify(registry, str(PHOTOS / "coffee.jpg"), "efficientnet-lite0")
    assert list(top5)[0] == "espresso" == explanation.label and len(top5) == 5
    assert explanation.heatmap.shape == pixels(PHOTOS / "coffee.jpg").shape[:2]
    with pytest.raises(gr.Error, match="No image"):
        image.classify(registry, None, "efficientnet-lite0")


def test_explain_handler_refuses_a_class_the_model_does_not_have(registry):
    with pytest.raises(gr.Error, match="'unicorn' is not one of the model's classes"):
        image.explain(registry, str(PHOTOS / "coffee.jpg"), "efficientnet-lite0", "unicorn", "_conv_head", 0.5)


def test_the_colour_table_gives_the_interpolated_jet_colours_within_half_a_level():
    values = np.random.default_rng(0).random((200, 300), dtype=np.float32)
    values[0, :3] = 0.0, 1.0, 0.5
    assert np.abs(jet_from_table(values) - jet(values)).max() < 0.5


def test_the_overlay_is_the_photo_where_the_heat_is_zero_and_painted_where_it_is_hot():
    photo = pixels(PHOTOS / "coffee.jpg").astype(np.uint8)
    heatmap = np.zeros(photo.shape[:2], np.float32)
    heatmap[100:200, 150:300] = 1.0
    painted = np.asarray(heat_overlay(photo, heatmap, 0.5), np.float32)
    change = np.abs(painted - photo).mean(axis=-1)
    assert painted.shape == photo.shape and change[heatmap == 0].max() == 0
    assert change[heatmap == 1].min() > 0
    assert np.array_equal(np.asarray(heat_overlay(photo, heatmap, 0.0)), photo)
    with pytest.raises(Exception, match="cam.size_mismatch"):
        heat_overlay(photo, heatmap[:-1], 0.5)


def test_recolour_repaints_the_same_explanation_at_another_opacity(registry):
    path = str(PHOTOS / "coffee.jpg")
    _, explanation = image.classify(registry, path, "efficientnet-lite0")
    assert np.array_equal(np.asarray(image.recolour(explanation, path, 0.0)), pixels(path).astype(np.uint8))
    assert image.recolour(None, path, 0.5) is None


def test_the_digit_plots_follow_the_vits_patch_grid():
    untrained = DigitModels(small_cnn(), small_vit())  # the shapes do not need the few seconds of training
    drawing = np.full((80, 80), 255, np.uint8)
    drawing[10:70, 35:45] = 0
    predictions = untrained.classify_drawing(drawing)
    assert untrained.patch_grid == predictions.patch_grid == 4
    figure = image.attention_figure(predictions)
    assert len(figure.data) == 12 and all(np.asarray(trace.z).shape == (4, 4) for trace in figure.data)
    assert np.allclose(figure.data[5].z, predictions.attention[1, 1, 0, 1:].reshape(4, 4))  # layer 2, head 2
    assert np.asarray(image.rollout_figure(predictions).data[1].z).shape == (4, 4)


def test_a_model_trained_here_is_registered_once_and_named_by_its_classes(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    registry = ModelRegistry(torch.device("cpu"))
    config = TrainConfig("images", "scratch", epochs=1)
    kept = saved.save(3, config, efficientnet_lite0(2, pretrained=False), ["cat", "coffee"], 0.5)
    first, again = image.image_model_choices(registry), image.image_model_choices(registry)
    assert [key for _, key in first] == [key for _, key in again] == ["efficientnet-lite0", kept.key]
    assert [spec.key for spec in registry.specs].count(kept.key) == 1
    assert first[-1][0] == "#3 scratch on cat, coffee, 50% validation accuracy (trained here)"
    saved.delete(3)
    assert kept.key not in {key for _, key in image.image_model_choices(registry)}
