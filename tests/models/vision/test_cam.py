import numpy as np
import pytest
import torch
from skimage import data

from PIL import Image

from models.errors import InputError
from models.vision import cam, efficientnet
from models.vision.classifier import load_image_classifier, preprocess
from tests.at_once import at_once

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


def test_photos_explained_at_once_run_as_one_batch_and_get_what_each_gets_alone(lite0):
    photos = [data.chelsea(), data.coffee(), data.astronaut()[::2, ::2], data.rocket()]
    alone = [cam.explain(lite0, photo) for photo in photos]
    batches = len(cam.batcher(lite0).batch_sizes)

    together = at_once(lambda photo: cam.explain(lite0, photo), photos)

    assert max(cam.batcher(lite0).batch_sizes[batches:]) > 1, "the photos ran one at a time"
    for single, batched in zip(alone, together):
        assert [p.label for p in batched.classification.predictions] == [p.label for p in single.classification.predictions]
        assert [p.probability for p in batched.classification.predictions] == pytest.approx(
            [p.probability for p in single.classification.predictions], abs=1e-5)  # a batched GEMM sums in another order
        assert batched.class_index == single.class_index
        np.testing.assert_allclose(batched.heatmap, single.heatmap, atol=1e-5)


def test_a_batch_of_photos_equals_each_photo_alone(lite0):
    requests = [cam.CamRequest(lite0.to_tensor(Image.fromarray(photo))[0], Image.fromarray(photo).size, index,
                               "_blocks.15") for photo, index in [(data.chelsea(), None), (data.coffee(), 967)]]

    batch = cam.explain_batch(lite0, requests)

    for request, batched in zip(requests, batch):
        single, = cam.explain_batch(lite0, [request])
        assert batched.label == single.label and batched.layer == "_blocks.15"
        np.testing.assert_allclose(batched.heatmap, single.heatmap, atol=1e-5)
