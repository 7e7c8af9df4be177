"""Grad-CAM (Selvaraju et al., 2017) for EfficientNet-Lite0: where in the photo the evidence for a class lies.

The heatmap is the chosen layer's feature maps weighted by how much the class score grows with each
channel (its gradient averaged over the map), summed, kept where positive and scaled to [0, 1].
"""
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from models.errors import InputError
from models.vision.images import open_image
from models.vision.classifier import Classification, ImageClassifier, Prediction, crop_box

# Layers whose Grad-CAM the studio offers: later layers see whole objects, earlier ones finer parts.
LAYERS: dict[str, str] = {
    "_blocks.10": "block 11 of 16 (14×14 map)",
    "_blocks.13": "block 14 of 16 (7×7 map)",
    "_blocks.15": "block 16 of 16 (7×7 map)",
    "_conv_head": "head convolution (7×7 map, 1280 channels)",
}
DEFAULT_LAYER = "_conv_head"

# Anchors of the classic "jet" colour map: blue (cold) → cyan → yellow → red (hot).
_JET_STOPS = np.array([0.0, 0.125, 0.375, 0.625, 0.875, 1.0])
_JET_COLOURS = np.array([[0, 0, 143], [0, 0, 255], [0, 255, 255], [255, 255, 0], [255, 0, 0], [128, 0, 0]])


@dataclass
class Explanation:
    heatmap: np.ndarray  # H×W float32 in [0, 1] over the image given; 0 outside the centre crop the network saw
    class_index: int
    label: str
    layer: str
    classification: Classification  # the top 5 from the same forward pass


def supports(classifier: ImageClassifier) -> bool:
    """Whether the network is an EfficientNet, whose layers `explain` knows by name."""
    return hasattr(classifier.network, "_conv_head") and hasattr(classifier.network, "_conv_stem")


def explain(classifier: ImageClassifier, image, class_index: int | None = None,
            layer: str = DEFAULT_LAYER) -> Explanation:
    """Grad-CAM of `class_index` (default: the top class) at `layer`, from one forward and a partial backward pass."""
    if layer not in LAYERS:
        raise InputError.of("cam.unknown_layer", layer=layer, choices=", ".join(LAYERS))
    if not supports(classifier):
        raise InputError.of("cam.unsupported")
    started = time.perf_counter()
    picture = open_image(image)
    batch = classifier.to_tensor(picture).to(classifier.device, classifier.dtype)
    with torch.enable_grad():
        logits, features = _forward_keeping(classifier.network, batch, layer)
        probabilities = logits.float().softmax(-1)[0]
        chosen = int(probabilities.argmax()) if class_index is None else class_index
        if not 0 <= chosen < len(classifier.labels):
            raise InputError.of("cam.class_out_of_range", index=chosen, last=len(classifier.labels) - 1)
        gradients, = torch.autograd.grad(logits[0, chosen], features)
    weights = gradients.float().mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * features.detach().float()).sum(dim=1, keepdim=True)).cpu()
    values, indices = probabilities.detach().topk(5)
    top5 = [Prediction(classifier.labels[i], i, p) for p, i in zip(values.tolist(), indices.tolist())]
    return Explanation(_to_image_grid(cam, picture.size), chosen, classifier.labels[chosen], layer,
                       Classification(top5, time.perf_counter() - started))


def _forward_keeping(network: torch.nn.Module, batch: torch.Tensor, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """EfficientNet's forward written out, returning the logits and `layer`'s output.

    Written out rather than hooked: the network is shared by request threads, and a hook would see theirs too.
    """
    x = network._swish(network._bn0(network._conv_stem(batch)))
    kept = None
    for index, block in enumerate(network._blocks):
        x = block(x)
        if layer == f"_blocks.{index}":
            kept = x
    x = network._conv_head(x)
    if layer == "_conv_head":
        kept = x
    x = network._swish(network._bn1(x))
    return network._fc(network._avg_pooling(x).flatten(1)), kept


def _to_image_grid(cam: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """The [1, 1, h, w] map stretched over the centre crop of a `size` image, scaled to [0, 1]."""
    width, height = size
    left, top, right, bottom = (round(edge) for edge in crop_box(width, height))
    stretched = F.interpolate(cam, size=(bottom - top, right - left), mode="bilinear", align_corners=False)[0, 0]
    peak = float(stretched.max())
    heatmap = np.zeros((height, width), np.float32)
    heatmap[top:bottom, left:right] = (stretched / peak).numpy() if peak > 0 else 0.0
    return heatmap


def overlay(image, heatmap: np.ndarray, opacity: float = 0.5) -> Image.Image:
    """The photo with the heatmap painted over it in the jet colour map, up to `opacity` at the hottest point."""
    picture = open_image(image)
    if heatmap.shape != (picture.height, picture.width):
        raise InputError.of("cam.size_mismatch", heatmap_width=heatmap.shape[1], heatmap_height=heatmap.shape[0],
                             width=picture.width, height=picture.height)
    colours = np.stack([np.interp(heatmap, _JET_STOPS, _JET_COLOURS[:, channel]) for channel in range(3)], axis=-1)
    # Colour in proportion to the heat: where there is no evidence (or the network saw nothing) the photo shows.
    alpha = opacity * heatmap[..., None]
    blended = (1 - alpha) * np.asarray(picture, np.float32) + alpha * colours
    return Image.fromarray(blended.clip(0, 255).astype(np.uint8))


def first_conv_feature_maps(classifier: ImageClassifier, image) -> np.ndarray:
    """What the first convolution computes: one [h, w] map per filter, [channels, h, w], before any activation."""
    if not supports(classifier):
        raise InputError.of("cam.feature_maps_unsupported")
    batch = classifier.to_tensor(open_image(image)).to(classifier.device, classifier.dtype)
    with torch.inference_mode():
        return classifier.network._conv_stem(batch)[0].float().cpu().numpy()
