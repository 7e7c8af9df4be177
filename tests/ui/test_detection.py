"""The Image tab's detection section: the /detect endpoint through the launched app, and its handlers and pictures
called directly."""
import numpy as np
import pytest
import torch
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from models.registry import ModelRegistry
from studio import detection
from studio.views.detection import COLUMNS, STEPS
from tests.tests_paths import ASSETS

MOTORCYCLE = ASSETS / "images" / "motorcycle.jpg"
NO_PROGRESS = lambda *_, **__: None  # noqa: E731


@pytest.fixture(scope="module")
def registry():
    return ModelRegistry(torch.device("cpu"))


@pytest.mark.slow
def test_detect_endpoint_finds_the_cup_in_the_photos_pixels(client):
    answer = client.predict(handle_file(str(ASSETS / "images" / "coffee.jpg")), 0.25, api_name="/detect")
    [cup] = [box for box in answer["boxes"] if box["label"] == "cup"]
    x0, y0, x1, y1 = cup["box"]
    assert 0 <= x0 < x1 <= 600 and 0 <= y0 < y1 <= 400 and cup["score"] >= 0.25
    assert (x0 + x1) / 2 == pytest.approx(290, abs=40) and (y0 + y1) / 2 == pytest.approx(160, abs=40)
    stricter = client.predict(handle_file(str(ASSETS / "images" / "coffee.jpg")), 0.95, 0.45, 320, api_name="/detect")
    assert stricter == {"boxes": []}


@pytest.mark.slow
def test_detect_endpoint_says_a_corrupt_file_is_corrupt(client, tmp_path):
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(MOTORCYCLE.read_bytes()[:200] + bytes(np.random.default_rng(3).integers(0, 256, 5000, np.uint8)))
    with pytest.raises(AppError, match="(?i)corrupt|truncated|not an image") as raised:
        client.predict(handle_file(str(corrupt)), 0.25, api_name="/detect")
    assert "Something went wrong" not in str(raised.value)


def test_every_step_draws_over_the_photo_and_the_table_says_what_removed_each_box(registry):
    answer, found = detection.detect(registry, str(MOTORCYCLE), 0.1, 0.45, 320, progress=NO_PROGRESS)
    assert [box["label"] for box in answer["boxes"]][0] == "motorbike"
    (photo, boxes), picture, table, summary = detection.show(found, str(MOTORCYCLE), "nms")
    assert photo.size == picture.size == (741, 500) and len(boxes) == len(answer["boxes"])
    assert boxes[0][1].startswith("motorbike 0.")
    assert len(table["headers"]) == len(COLUMNS) and len(table["data"]) == len(found.candidates)
    removed = [row for row in table["data"] if row[-1] != "kept"]
    assert removed and all(row[-1].startswith("removed by #") and "IoU" in row[-1] for row in removed)
    assert f"NMS kept {len(boxes)} boxes" in summary
    pictures = [np.asarray(detection.redraw(found, str(MOTORCYCLE), step), np.int16) for step in STEPS]
    plain = np.asarray(Image.open(MOTORCYCLE).convert("RGB"), np.int16)
    for drawn in pictures:
        assert np.abs(drawn - plain).max() > 100  # something was drawn
    assert all(np.abs(a - b).sum() > 0 for a, b in zip(pictures, pictures[1:]))  # and each step differs


def test_nothing_to_show_before_a_detection():
    assert detection.show(None, None, "nms") == (None, None, None, "")
    assert detection.redraw(None, str(MOTORCYCLE), "cells") is None
