import numpy as np
import pytest
import torch
from skimage import data

from PIL import Image

from models.errors import InputError
from models.vision import cam, efficientnet
from models.vision.classifier import load_image_classifier, preprocess

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


def test_first_conv_feature_maps_one_per_filter(lite0):
    maps = cam.first_conv_feature_maps(lite0, data.coffee())
    assert maps.shape == (32, 112, 112) and np.isfinite(maps).all()


def test_unknown_layer_and_class_are_refused(lite0):
    with pytest.raises(InputError, match="cam.unknown_layer"):
        cam.explain(lite0, data.coffee(), layer="_fc")
    with pytest.raises(InputError, match="cam.class_out_of_range"):
        cam.explain(lite0, data.coffee(), class_index=1000)


def test_the_walked_stages_give_the_networks_own_logits(lite0):
    """Grad-CAM and fine-tuning run Lite0 stage by stage (models/vision/efficientnet.py): the same logits."""
    batch = preprocess(Image.fromarray(data.coffee()))
    with torch.inference_mode():
        walked, kept = efficientnet.run(efficientnet.stages(lite0.network), batch, keep="_blocks.10")
        assert torch.allclose(walked, lite0.network(batch), atol=1e-4)
    assert kept.shape[-2:] == (14, 14)
