"""Grad-CAM (Selvaraju et al., 2017) for EfficientNet-Lite0: where in the photo the evidence for a class lies.

The heatmap is the chosen layer's feature maps weighted by how much the class score grows with each
channel (its gradient averaged over the map), summed, kept where positive and scaled to [0, 1].
Colouring it over the photo is the studio's job (studio/views/overlays.py).
"""
import functools
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models.batching import Batcher, batcher_of
from models.errors import InputError
from models.vision import efficientnet
from models.vision.classifier import Classification, ImageClassifier, Prediction, crop_box
from models.vision.images import open_image

# Layers whose Grad-CAM the studio offers (stage names of models/vision/efficientnet.py): later layers see
# whole objects, earlier ones finer parts.
LAYERS = ("_blocks.10", "_blocks.13", "_blocks.15", "_conv_head")
DEFAULT_LAYER = "_conv_head"


@dataclass
class Explanation:
    heatmap: np.ndarray  # H×W float32 in [0, 1] over the image given; 0 outside the centre crop the network saw
    class_index: int
    label: str
    layer: str
    classification: Classification  # the top 5 from the same forward pass


@dataclass(frozen=True)
class CamRequest:
    pixels: torch.Tensor  # [3, 224, 224], the photo's centre crop as the network reads it
    size: tuple[int, int]  # the photo's (width, height)
    class_index: int | None  # None: the top class
    layer: str


def supports(classifier: ImageClassifier) -> bool:
    """Whether the network is an EfficientNet, whose layers `explain` knows by name."""
    return efficientnet.is_efficientnet(classifier.network)


def explain(classifier: ImageClassifier, image, class_index: int | None = None,
            layer: str = DEFAULT_LAYER) -> Explanation:
    """Grad-CAM of `class_index` (default: the top class) at `layer`, from one forward and a partial backward pass.
    Calls that arrive together (at the same layer) share one batched pass (models/batching.py)."""
    if layer not in LAYERS:
        raise InputError.of("cam.unknown_layer", layer=layer, choices=", ".join(LAYERS))
    if not supports(classifier):
        raise InputError.of("cam.unsupported")
    if class_index is not None and not 0 <= class_index < len(classifier.labels):
        raise InputError.of("cam.class_out_of_range", index=class_index, last=len(classifier.labels) - 1)
    picture = open_image(image)
    return batcher(classifier)(CamRequest(classifier.to_tensor(picture)[0], picture.size, class_index, layer))


def batcher(classifier: ImageClassifier) -> Batcher:
    """The classifier's Grad-CAM batcher: calls at one layer that arrive together run as one `explain_batch`."""
    return batcher_of(classifier, "grad-cam", functools.partial(explain_batch, classifier),
                      key=lambda request: request.layer)


def explain_batch(classifier: ImageClassifier, requests: list[CamRequest]) -> list[Explanation]:
    """Grad-CAM of every request (all at one layer) from one forward pass of the batch [N, 3, 224, 224] and one
    partial backward pass: the rows are independent (batch norm in eval mode), so the gradient of the sum of the
    chosen logits is each row's own gradient. Only the stages after `layer` keep what a backward pass needs: the
    gradient goes no further back, and a batch of 8 would otherwise hold every stage's activations."""
    started = time.perf_counter()
    layer = requests[0].layer
    batch = torch.stack([request.pixels for request in requests]).to(classifier.device, classifier.dtype)
    # the stages walked here rather than hooked: the network is shared by request threads, and a hook would see
    # theirs too
    stages = efficientnet.stages(classifier.network)
    kept = [name for name, _ in stages].index(layer) + 1
    with torch.inference_mode():
        features, _ = efficientnet.run(stages[:kept], batch)
    features = features.clone().requires_grad_()  # an inference-mode tensor cannot enter autograd; its copy can
    with torch.enable_grad():
        logits, _ = efficientnet.run(stages[kept:], features)
        probabilities = logits.float().softmax(-1)  # [N, classes]
        chosen = [int(row.argmax()) if request.class_index is None else request.class_index
                  for row, request in zip(probabilities, requests)]
        gradients, = torch.autograd.grad(logits[range(len(requests)), chosen].sum(), features)
    weights = gradients.float().mean(dim=(2, 3), keepdim=True)
    cams = F.relu((weights * features.detach().float()).sum(dim=1, keepdim=True)).cpu()  # [N, 1, h, w]
    values, indices = probabilities.detach().topk(5)
    seconds = time.perf_counter() - started
    explanations = []
    for row, request in enumerate(requests):
        top5 = [Prediction(classifier.labels[i], i, p) for p, i in zip(values[row].tolist(), indices[row].tolist())]
        explanations.append(Explanation(to_image_grid(cams[row:row + 1], request.size), chosen[row],
                                        classifier.labels[chosen[row]], layer, Classification(top5, seconds)))
    return explanations


def to_image_grid(cam: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """The [1, 1, h, w] map stretched over the centre crop of a `size` image, scaled to [0, 1]."""
    width, height = size
    left, top, right, bottom = (round(edge) for edge in crop_box(width, height))
    stretched = F.interpolate(cam, size=(bottom - top, right - left), mode="bilinear", align_corners=False)[0, 0]
    peak = float(stretched.max())
    heatmap = np.zeros((height, width), np.float32)
    heatmap[top:bottom, left:right] = (stretched / peak).numpy() if peak > 0 else 0.0
    return heatmap


def first_conv_feature_maps(classifier: ImageClassifier, image) -> np.ndarray:
    """What the first convolution computes: one [h, w] map per filter, [channels, h, w], before any activation."""
    if not supports(classifier):
        raise InputError.of("cam.feature_maps_unsupported")
    batch = classifier.to_tensor(open_image(image)).to(classifier.device, classifier.dtype)
    with torch.inference_mode():
        return classifier.network._conv_stem(batch)[0].float().cpu().numpy()
