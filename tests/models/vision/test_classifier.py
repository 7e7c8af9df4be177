import io
import os
import sys
import threading

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from models.errors import InputError
from models.vision.images import MAX_IMAGE_PIXELS, open_image
from models.vision.classifier import crop_box, imagenet_labels, load_image_classifier, to_tensor
from tests.at_once import at_once

CAT_CLASSES = {"tabby cat", "a cat having a striped coat", "Egyptian Mau", "Persian cat", "Siamese cat", "lynx"}


@pytest.fixture(scope="module")
def lite0():
    return load_image_classifier("package:efficientnet-lite0", torch.device("cpu"))


def png_bytes(image: Image.Image, format="PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def test_cat_photo_is_a_cat(lite0):
    result = lite0.classify(data.chelsea())
    assert result.predictions[0].label in CAT_CLASSES
    assert len(result.predictions) == 5
    probabilities = [p.probability for p in result.predictions]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0001


def test_coffee_photo_is_espresso(lite0):
    top = lite0.classify(data.coffee()).predictions[0]
    assert top.label == "espresso" and top.probability > 0.8


def test_any_mode_and_orientation_gives_the_same_answer(lite0):
    cat = Image.fromarray(data.chelsea())
    rotated = cat.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 8  # the camera says: rotate 90° clockwise to view
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", exif=exif)
    for variant in (buffer.getvalue(), png_bytes(cat.convert("RGBA")), png_bytes(cat.convert("CMYK"), "JPEG")):
        assert lite0.classify(variant).predictions[0].label in CAT_CLASSES


def test_labels_are_the_1000_imagenet_classes_and_unique():
    labels = imagenet_labels()
    assert len(labels) == 1000 == len(set(labels))


@pytest.mark.parametrize("payload", [b"", b"not an image at all", png_bytes(Image.new("RGB", (4, 4)))])
def test_unusable_images_are_refused_clearly(payload):
    with pytest.raises(InputError):
        open_image(payload)


def test_truncated_image_is_refused():
    whole = png_bytes(Image.fromarray(data.coffee()))
    with pytest.raises(InputError, match="image.corrupt|image.unreadable"):
        open_image(whole[: len(whole) // 2])


def test_decompression_bomb_is_refused_before_decoding():
    side = int(MAX_IMAGE_PIXELS**0.5) + 100
    bomb = png_bytes(Image.new("1", (side, side)))  # a few kB on disk, > 40 megapixels decoded
    with pytest.raises(InputError, match="image.bomb|image.too_many_pixels"):
        open_image(bomb)


def test_sixteen_bit_grey_is_scaled_to_rgb():
    ramp = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (64, 1))
    image = open_image(png_bytes(Image.fromarray(ramp)))
    pixels = np.asarray(image)
    assert image.mode == "RGB" and pixels.min() == 0 and pixels.max() == 255


def test_hugging_face_folder_loads_through_from_pretrained(tmp_path):
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, num_labels=3, id2label={0: "red", 1: "green", 2: "blue"},
                       label2id={"red": 0, "green": 1, "blue": 2})
    ViTForImageClassification(config).save_pretrained(tmp_path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    result = load_image_classifier(str(tmp_path), torch.device("cpu")).classify(data.coffee(), top_k=5)
    assert {p.label for p in result.predictions} == {"red", "green", "blue"}


def test_photos_classified_at_once_run_as_one_batch_and_get_what_each_gets_alone(lite0):
    photos = [data.chelsea(), data.coffee(), data.astronaut(), data.rocket()]
    alone = [lite0.classify(photo).predictions for photo in photos]
    batches = len(lite0.batcher.batch_sizes)

    together = [result.predictions for result in at_once(lite0.classify, photos)]

    assert max(lite0.batcher.batch_sizes[batches:]) > 1, "the photos ran one at a time"
    for single, batched in zip(alone, together):
        assert [p.label for p in batched] == [p.label for p in single]
        # a batched GEMM sums in another order: the same probabilities to float32 rounding
        assert [p.probability for p in batched] == pytest.approx([p.probability for p in single], abs=1e-5)


def test_to_tensor_scales_the_centre_crop_to_minus_one_to_one_in_channel_first_order():
    photo = Image.fromarray(data.chelsea())
    crop = np.asarray(photo.resize((224, 224), Image.BICUBIC, box=crop_box(photo.width, photo.height)), np.float32)

    pixels = to_tensor(photo)

    assert pixels.shape == (3, 224, 224) and pixels.is_contiguous()
    assert torch.equal(pixels, (torch.from_numpy(crop / 255.0).permute(2, 0, 1) - 0.5) / 0.5)


@pytest.mark.skipif(sys.platform != "linux" or torch.get_num_threads() < 2, reason="counts threads in /proc/self/task")
def test_to_tensor_starts_no_torch_threads_in_the_request_thread():
    """Every request thread that ran a torch op got an OpenMP team of its own, whose spinning threads took a core from
    the model's batch (and each op waited for a second core on a busy CPU)."""
    photo, started = Image.fromarray(data.chelsea()), []

    def request():
        before = len(os.listdir("/proc/self/task"))
        to_tensor(photo)
        started.append(len(os.listdir("/proc/self/task")) - before)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert started[0] <= 0
