import numpy as np
import pytest
import torch
from skimage import data

from models.vision import cam
from models.errors import InputError
from models.vision.classifier import load_image_classifier

# chelsea.jpg is 451×300; the cat's face (ears, eyes, nose, muzzle) fills x 40–390, y 0–300, the rest is background.
CAT_FACE = (40, 0, 390, 300)  # left, top, right, bottom


@pytest.fixture(scope="module")
def lite0():
    return load_image_classifier("package:efficientnet-lite0", torch.device("cpu"))


@pytest.mark.parametrize("layer", ["_conv_head", "_blocks.15"])
def test_grad_cam_peak_falls_on_the_cat(lite0, layer):
    explanation = cam.explain(lite0, data.chelsea(), layer=layer)
    assert explanation.class_index == explanation.classification.predictions[0].class_index
    row, column = np.unravel_index(explanation.heatmap.argmax(), explanation.heatmap.shape)
    left, top, right, bottom = CAT_FACE
    assert left <= column <= right and top <= row <= bottom


def test_heatmap_covers_the_image_in_0_to_1(lite0):
    explanation = cam.explain(lite0, data.coffee(), class_index=967)  # espresso
    assert explanation.label == "espresso" and explanation.layer == cam.DEFAULT_LAYER
    assert explanation.heatmap.shape == data.coffee().shape[:2] and explanation.heatmap.dtype == np.float32
    assert explanation.heatmap.min() == 0.0 and explanation.heatmap.max() == pytest.approx(1.0)
    assert (explanation.heatmap[:, :50] == 0).all()  # left of the centre crop the network never saw


def test_every_offered_layer_explains(lite0):
    image = data.astronaut()[::4, ::4]
    for layer in cam.LAYERS:
        assert cam.explain(lite0, image, layer=layer).heatmap.max() == pytest.approx(1.0)


def test_overlay_keeps_the_image_size_and_opacity_zero_keeps_the_photo(lite0):
    photo = data.chelsea()
    heatmap = cam.explain(lite0, photo).heatmap
    assert cam.overlay(photo, heatmap, 0.5).size == (photo.shape[1], photo.shape[0])
    assert np.array_equal(np.asarray(cam.overlay(photo, heatmap, 0.0)), photo)


def test_first_conv_feature_maps_one_per_filter(lite0):
    maps = cam.first_conv_feature_maps(lite0, data.coffee())
    assert maps.shape == (32, 112, 112) and np.isfinite(maps).all()


def test_unknown_layer_and_class_are_refused(lite0):
    with pytest.raises(InputError, match="layer"):
        cam.explain(lite0, data.coffee(), layer="_fc")
    with pytest.raises(InputError, match="Class index"):
        cam.explain(lite0, data.coffee(), class_index=1000)
