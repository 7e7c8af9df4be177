"""Attributions for an image classifier's class: one score per input pixel, and the deletion curve that checks
them (and Grad-CAM's) against removing pixels at random.

f is the class's log-probability. The baseline is the photo blurred until no detail is left: the grey image
would be simpler, but the straight path from grey to the photo is so rough for this network that integrated
gradients need hundreds of steps to add up, and grey squares pasted into a photo (the deletion curve) are
evidence of their own; a blurred square is not.
Scores live on the network's input grid ([224, 224] for EfficientNet-Lite0, channels summed); the heatmap shown
is their positive part stretched back over the photo's centre crop.
"""
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy.ndimage import gaussian_filter

from models.errors import InputError
from models.explain.deletion import Faithfulness, faithfulness
from models.explain.methods import (INTEGRATED_GRADIENTS, AttributionOptions, attributions, check_method, chunks,
                                    completeness_error, precision)
from models.explain.threads import fit_threads, pass_threads
from models.vision import cam
from models.vision.classifier import ImageClassifier, crop_box
from models.vision.images import open_image

# Pixels are deleted in BLOCK × BLOCK squares, the 7 × 7 grid Grad-CAM sees: scattered single pixels or small
# squares, removed at random, break the texture everywhere and beat any explanation for a wrong reason.
BLOCK = 32
OCCLUSION_WINDOW = 32  # occlusion slides a grey square of this side …
OCCLUSION_STRIDE = 32  # … this many pixels at a time (7 × 7 positions on 224 × 224)
HEAT_PERCENTILE = 99  # the heatmap's top: a few extreme pixels would otherwise leave the rest dark
BLUR_SIGMA = 16  # the baseline's Gaussian blur, in pixels of the network's input
GRAD_CAM = "grad-cam"  # the existing explanation, checked by the same deletion curve
# EfficientNet-Lite0's forward and backward cost 0.05 s per photo in passes of 2–5 and 0.06 s in passes of 8 (its
# activations outgrow the caches). Float32: under bfloat16 autocast the scores were 5.2 % off at 41 points and their
# deletion curve fell later (area 0.189 against 0.135 on coffee.jpg).
OPTIONS = AttributionOptions(internal_batch_size=5)


@dataclass(frozen=True)
class PixelAttribution:
    method: str
    class_index: int
    label: str
    probability: float  # the class's probability on the photo
    change: float  # f(photo) − f(baseline): what integrated gradients' scores add up to
    scores: np.ndarray  # [side, side] float32 on the network's input grid, channels summed
    steps: int  # integration steps used (0: the method does not integrate)
    heatmap: np.ndarray  # [H, W] float32 in [0, 1] over the photo: the positive scores, 0 outside the crop
    image_size: tuple[int, int]  # the photo's width, height
    faithfulness: Faithfulness
    seconds: float

    @property
    def completeness_error(self) -> float | None:
        """Integrated gradients' |Σ scores − change| / |change| (None for the other methods)."""
        if self.method != INTEGRATED_GRADIENTS:
            return None
        return completeness_error(float(self.scores.sum()), self.change)

    def as_json(self) -> dict:
        return {"method": self.method, "class": self.label, "class_index": self.class_index,
                "probability": round(self.probability, 6), "change": round(self.change, 6),
                "image_size": list(self.image_size), "steps": self.steps,
                "completeness_error": self.completeness_error,
                "scores": np.round(self.scores, 6).tolist(), "deletion": self.faithfulness.as_json(),
                "seconds": round(self.seconds, 3)}


def class_index_of(classifier: ImageClassifier, label: str | None, logits: torch.Tensor) -> int:
    """The class named `label`, or the top class when it is empty."""
    if not label:
        return int(logits.argmax())
    if label not in classifier.labels:
        raise InputError.of("explain.unknown_class", label=label)
    return classifier.labels.index(label)


def log_probability(classifier: ImageClassifier, class_index: int):
    def forward(batch: torch.Tensor) -> torch.Tensor:
        output = classifier.network(batch)
        logits = output.logits if hasattr(output, "logits") else output
        return logits.float().log_softmax(-1)[:, class_index]

    return forward


def attribute_pixels(classifier: ImageClassifier, image, label: str | None = None,
                     method: str = "integrated-gradients",
                     options: AttributionOptions = OPTIONS) -> PixelAttribution:
    """`method`'s (or "grad-cam"'s) scores for the class `label` (default: the top class) of `image`."""
    if method != GRAD_CAM:
        check_method(method)
    started = time.perf_counter()
    picture = open_image(image)
    batch = classifier.to_tensor(picture).to(classifier.device, classifier.dtype)
    baseline = blurred(batch)
    with pass_threads():
        with torch.inference_mode():  # the photo and the baseline in one pass: the class, f at both ends
            output = classifier.network(torch.cat([batch, baseline]))
            log_probabilities = (output.logits if hasattr(output, "logits") else output).float().log_softmax(-1)
        class_index = class_index_of(classifier, label, log_probabilities[0])
        ends = float(log_probabilities[0, class_index]), float(log_probabilities[1, class_index])
        forward = log_probability(classifier, class_index)
        if method == GRAD_CAM:
            scores, steps = grad_cam_scores(classifier, picture, class_index, batch.shape[-1]), 0
        else:
            found = attributions(method, forward, batch, baseline, options, (3, OCCLUSION_WINDOW, OCCLUSION_WINDOW),
                                 (3, OCCLUSION_STRIDE, OCCLUSION_STRIDE), ends[0] - ends[1])
            scores, steps = found.values[0].sum(0).detach().float().cpu().numpy(), found.steps
        check = pixel_faithfulness(forward, batch, baseline, scores, options, ends)
    return PixelAttribution(method, class_index, classifier.labels[class_index], float(np.exp(ends[0])),
                            ends[0] - ends[1], scores, steps, heatmap_over(scores, picture.size), picture.size, check,
                            time.perf_counter() - started)


def grad_cam_scores(classifier: ImageClassifier, picture: Image.Image, class_index: int, side: int) -> np.ndarray:
    """Grad-CAM's heatmap (models/vision/cam.py) taken back from the photo to the network's input grid."""
    heatmap = cam.explain(classifier, picture, class_index).heatmap
    resized = Image.fromarray(heatmap, mode="F").resize((side, side), Image.BILINEAR,
                                                      box=crop_box(picture.width, picture.height, side))
    return np.array(resized, np.float32)


def blurred(batch: torch.Tensor) -> torch.Tensor:
    """The baseline: [1, 3, side, side] blurred over each channel by a Gaussian of BLUR_SIGMA pixels."""
    pixels = batch.float().cpu().numpy()
    return torch.from_numpy(gaussian_filter(pixels, sigma=(0, 0, BLUR_SIGMA, BLUR_SIGMA), mode="reflect")).to(batch)


def pixel_faithfulness(forward, batch: torch.Tensor, baseline: torch.Tensor, scores: np.ndarray,
                       options: AttributionOptions, ends: tuple[float, float] | None = None) -> Faithfulness:
    """Deletion curves over BLOCK × BLOCK squares (their mean score), removed squares replaced by the baseline's.
    `ends`: (f(photo), f(baseline)) where already known: those two rows are not run again."""
    side = batch.shape[-1]
    cells = side // BLOCK
    block_scores = F.avg_pool2d(torch.from_numpy(scores)[None, None], BLOCK)[0, 0].flatten().numpy()

    @torch.inference_mode()
    def probabilities_without(removed: np.ndarray) -> np.ndarray:
        keep = torch.from_numpy(~removed).reshape(-1, 1, cells, cells).to(batch.device, batch.dtype)
        keep = F.interpolate(keep, scale_factor=BLOCK, mode="nearest")
        found = []
        for chunk in chunks(keep, options.internal_batch_size):
            fit_threads()
            with precision(options, batch.device):
                found.append(forward(torch.lerp(baseline, batch, chunk)).exp().float().cpu().numpy())
        return np.concatenate(found)

    known = None if ends is None else (float(np.exp(ends[0])), float(np.exp(ends[1])))
    return faithfulness(block_scores, options.deletion_points, probabilities_without, options.seed, known)


def heatmap_over(scores: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The positive scores, capped at their HEAT_PERCENTILE, stretched over the photo's centre crop in [0, 1]."""
    positive = np.clip(scores, 0, None)
    top = np.percentile(positive, HEAT_PERCENTILE)
    capped = np.minimum(positive, top) if top > 0 else positive
    return cam.to_image_grid(torch.from_numpy(capped)[None, None], size)
