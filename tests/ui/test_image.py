import pytest
from gradio_client import handle_file
from tests.tests_paths import ASSETS

pytestmark = pytest.mark.slow


def test_classify_endpoint_returns_top5_with_espresso_first(client):
    result = client.predict(handle_file(str(ASSETS / "images" / "coffee.jpg")), "efficientnet-lite0",
                            api_name="/classify")
    assert result["label"] == "espresso"
    assert len(result["confidences"]) == 5


def test_explain_endpoint_returns_the_grad_cam_overlay_at_photo_size(client):
    from PIL import Image

    overlay = client.predict(handle_file(str(ASSETS / "images" / "chelsea.jpg")), "efficientnet-lite0", "Egyptian Mau",
                             "_blocks.15", 0.6, api_name="/explain")
    with Image.open(overlay) as image, Image.open(ASSETS / "images" / "chelsea.jpg") as photo:
        assert image.size == photo.size


def test_classify_drawing_endpoint_reads_a_drawn_one(client, tmp_path):
    import numpy as np
    from PIL import Image

    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[40:240, 120:160] = (0, 0, 0, 255)  # a black bar on a transparent canvas
    Image.fromarray(canvas).save(tmp_path / "one.png")
    cnn, vit, attention, rollout = client.predict({"background": None, "layers": [],
                                                   "composite": handle_file(str(tmp_path / "one.png"))},
                                                  api_name="/classify_drawing")
    assert cnn["label"] == "1" and vit["label"] == "1"
    assert attention is not None and rollout is not None
