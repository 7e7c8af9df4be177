"""Image tab cost: ms per image for the studio's classify vs a bare model call, the Grad-CAM overlay's
overhead, and batch-of-32 throughput, all measured in one run (interleaved, medians).

    python -m bench.image [--repeats 10] [--photo assets/images/chelsea.jpg] [--device cpu]
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from bench.timing import interleaved_medians
from models.vision import cam
from models.registry import ModelRegistry
from models.vision.classifier import ImageClassifier, preprocess
from studio.views.overlays import heat_overlay, photo_for_display

ROOT = Path(__file__).resolve().parent.parent
PHOTO = str(ROOT / "assets" / "images" / "chelsea.jpg")
BATCH = 32


@dataclass
class ImageResult:
    ms: dict[str, float]  # call -> median ms per image
    batch: int

    @property
    def overlay_overhead(self) -> float:
        """Grad-CAM and its overlay over a plain classify, as a fraction (goal ≤ 0.25)."""
        return self.ms["studio classify + overlay"] / self.ms["ImageClassifier.classify"] - 1


def measure(classifier: ImageClassifier, photo: str, repeats: int) -> ImageResult:
    tensor = preprocess(photo_for_display(photo)).to(classifier.device, classifier.dtype)
    batch = tensor.repeat(BATCH, 1, 1, 1)

    def bare():
        with torch.inference_mode():
            return classifier.network(tensor)

    def studio_classify():  # what the classify endpoint runs: one pass for the top 5 and the top class's Grad-CAM
        return cam.explain(classifier, photo_for_display(photo))

    def studio_with_overlay():  # ... and the next step, which paints the overlay
        return heat_overlay(photo_for_display(photo), studio_classify().heatmap, 0.5)

    def batched():
        with torch.inference_mode():
            return classifier.network(batch)

    calls = {"bare model call": bare, "ImageClassifier.classify": lambda: classifier.classify(photo),
             "studio classify (+ Grad-CAM)": studio_classify, "studio classify + overlay": studio_with_overlay,
             f"batch of {BATCH}, per image": batched}
    medians, _ = interleaved_medians(calls, repeats, classifier.device)
    ms = {name: 1000 * value for name, value in medians.items()}
    ms[f"batch of {BATCH}, per image"] /= BATCH
    return ImageResult(ms, BATCH)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--photo", default=PHOTO)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    classifier = ModelRegistry(torch.device(args.device)).get("efficientnet-lite0")
    result = measure(classifier, args.photo, args.repeats)
    bare = result.ms["bare model call"]
    print(f"photo {Path(args.photo).name}, {args.repeats} repeats, {args.device} {classifier.dtype}, "
          f"torch threads {torch.get_num_threads()}\n")
    print("| call | ms per image (median) | × bare |\n|---|---|---|")
    for name, value in result.ms.items():
        print(f"| {name} | {value:.1f} | {value / bare:.2f} |")
    print(f"\nGrad-CAM + overlay over a plain classify: {100 * result.overlay_overhead:+.0f} % (goal ≤ +25 %)")
    print(f"batch of {BATCH}: {1000 / result.ms[f'batch of {BATCH}, per image']:.0f} images/s "
          f"vs {1000 / bare:.0f} images/s one at a time")


if __name__ == "__main__":
    main()
