import numpy as np
import pytest
from PIL import Image

from models.vision import digits
from models.errors import InputError


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("studio") / "digits.safetensors"


@pytest.fixture(scope="module")
def trained(cache):
    return digits.load_digit_models(cache)


@pytest.fixture(scope="module")
def split():
    return digits.digits_split()


def rendered(image: np.ndarray, strokes_on_transparent: bool = False) -> Image.Image:
    """An 8×8 test digit drawn large on a canvas with a margin, as a sketchpad would hand it over."""
    ink = Image.fromarray((image * 255).astype(np.uint8)).resize((160, 160), Image.BILINEAR)
    if strokes_on_transparent:
        canvas = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
        canvas.paste(Image.merge("RGBA", (*[Image.new("L", ink.size, 0)] * 3, ink)), (40, 40))
        return canvas
    canvas = Image.new("L", (240, 240), 255)
    canvas.paste(Image.eval(ink, lambda value: 255 - value), (40, 40))
    return canvas.convert("RGB")


@pytest.mark.slow
def test_both_models_reach_90_percent_on_the_test_split(trained, split):
    _, _, test_images, test_labels = split
    assert digits.accuracy(trained.cnn, test_images, test_labels) >= 0.90
    assert digits.accuracy(trained.vit, test_images, test_labels) >= 0.90


@pytest.mark.slow
def test_drawn_test_digits_are_read_correctly(trained, split):
    _, _, test_images, test_labels = split
    first_of_each = [int(np.flatnonzero(test_labels.numpy() == digit)[0]) for digit in range(10)]
    for transparent in (False, True):
        cnn_right = vit_right = 0
        for index in first_of_each:
            result = trained.classify_drawing(rendered(test_images[index, 0].numpy(), transparent))
            cnn_right += int(result.cnn.argmax()) == int(test_labels[index])
            vit_right += int(result.vit.argmax()) == int(test_labels[index])
        assert cnn_right >= 9 and vit_right >= 9


@pytest.mark.slow
def test_attention_per_head_and_rollout_rows_sum_to_one(trained, split):
    result = trained.classify_drawing(rendered(split[2][0, 0].numpy()))
    assert result.attention.shape == (3, 4, 17, 17) and result.rollout.shape == (17, 17)
    assert np.allclose(result.attention.sum(-1), 1, atol=1e-5)
    assert np.allclose(result.rollout.sum(-1), 1, atol=1e-5)
    assert result.cnn.sum() == pytest.approx(1, abs=1e-5) and result.vit.sum() == pytest.approx(1, abs=1e-5)


def test_rollout_of_uniform_attention_stays_uniform_after_the_residual():
    tokens = 5
    uniform = np.full((2, 3, tokens, tokens), 1 / tokens)
    rolled = digits.rollout(uniform)
    assert np.allclose(rolled.sum(-1), 1)
    # each layer: half identity, half uniform; two layers: 1/4 identity + 3/4 uniform
    assert np.allclose(rolled, 0.25 * np.eye(tokens) + 0.75 / tokens)


def test_drawing_is_cropped_padded_and_scaled_to_0_16():
    canvas = np.full((300, 200), 255, np.uint8)
    canvas[50:250, 75:125] = 0  # a "1": a tall black bar
    digit = digits.drawing_to_digit({"composite": canvas, "background": None, "layers": []})
    assert digit.shape == (8, 8) and digit.max() == pytest.approx(16) and digit.min() == 0
    assert digit[:, 3:5].mean() > 12 and digit[:, :2].sum() == 0  # centred, full height


@pytest.mark.slow
def test_cached_models_are_reused(trained, cache):
    assert cache.exists()
    again = digits.load_digit_models(cache)
    for name, weight in trained.vit.state_dict().items():
        assert np.array_equal(weight.numpy(), again.vit.state_dict()[name].numpy())


@pytest.mark.parametrize("drawing", [None, np.full((50, 50), 255, np.uint8), np.zeros((50, 50, 4), np.uint8)])
def test_empty_canvas_is_refused_clearly(drawing):
    with pytest.raises(InputError):
        digits.drawing_to_digit(drawing)
