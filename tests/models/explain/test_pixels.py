"""Attributions for EfficientNet-Lite0 on scikit-image's cat (chelsea) and coffee photos, real weights: integrated
gradients add up to f(photo) − f(blurred photo) (completeness), and the deletion curves of integrated gradients and of
Grad-CAM fall faster than removing the same squares at random."""
import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from models.errors import InputError
from models.explain.methods import METHODS, AttributionOptions
from models.explain.pixels import GRAD_CAM, attribute_pixels, blurred, log_probability
from models.vision.classifier import load_image_classifier

pytestmark = pytest.mark.slow  # a few dozen forward and backward passes per photo on a 2-core CPU

PHOTOS = {"chelsea": data.chelsea, "coffee": data.coffee}
COMPLETENESS_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def lite0():
    return load_image_classifier("package:efficientnet-lite0", torch.device("cpu"))


@pytest.mark.parametrize("photo", PHOTOS)
def test_integrated_gradients_add_up_to_the_change_from_the_baseline(lite0, photo):
    attribution = attribute_pixels(lite0, PHOTOS[photo](), method="integrated-gradients")
    batch = lite0.to_tensor(Image.fromarray(PHOTOS[photo]()))
    forward = log_probability(lite0, attribution.class_index)
    with torch.no_grad():
        change = float(forward(batch) - forward(blurred(batch)))
    assert attribution.change == pytest.approx(change, abs=1e-4) and change > 1
    assert attribution.scores.sum() == pytest.approx(change, rel=COMPLETENESS_TOLERANCE)


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("method", ["integrated-gradients", GRAD_CAM])
def test_the_deletion_curve_falls_faster_than_random(lite0, photo, method):
    attribution = attribute_pixels(lite0, PHOTOS[photo](), method=method)
    check = attribution.faithfulness
    assert check.attributed.probabilities[0] == pytest.approx(attribution.probability, abs=1e-4)
    assert check.attributed.fractions[-1] == 1.0
    assert check.beats_random, (check.attributed.area, check.random.area)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_scores_the_input_grid_and_heats_the_photo(lite0, method):
    photo = data.coffee()[::2, ::2]  # 300 × 200: small is enough
    attribution = attribute_pixels(lite0, photo, "espresso", method, AttributionOptions(steps=4))
    assert attribution.label == "espresso" and attribution.scores.shape == (224, 224)
    assert attribution.heatmap.shape == photo.shape[:2] and attribution.image_size == (300, 200)
    assert 0 <= attribution.heatmap.min() and attribution.heatmap.max() == pytest.approx(1)
    assert np.abs(attribution.scores).sum() > 0


def test_an_unknown_class_or_method_is_refused(lite0):
    with pytest.raises(InputError, match="explain.unknown_class"):
        attribute_pixels(lite0, data.coffee(), "teapotz")
    with pytest.raises(InputError, match="explain.unknown_method"):
        attribute_pixels(lite0, data.coffee(), method="saliency")
