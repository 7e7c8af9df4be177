"""Image tab cost: ms per image for the studio's classify vs a bare model call, the Grad-CAM overlay's
overhead, and batch-of-32 throughput, all measured in one run (interleaved, medians).

    python -m bench.image [--repeats 10] [--photo assets/images/chelsea.jpg]
"""
import argparse
import statistics
import time
from pathlib import Path

import torch

from models import cam
from models.vision import load_image_classifier, preprocess
from studio.image import photo_for_display

ROOT = Path(__file__).resolve().parent.parent
BATCH = 32


def milliseconds(call) -> float:
    started = time.perf_counter()
    call()
    return 1000 * (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--photo", default=str(ROOT / "assets" / "images" / "chelsea.jpg"))
    args = parser.parse_args()
    classifier = load_image_classifier("package:efficientnet-lite0", torch.device("cpu"))
    tensor = preprocess(photo_for_display(args.photo))
    batch = tensor.repeat(BATCH, 1, 1, 1)

    def bare():
        with torch.inference_mode():
            classifier.network(tensor)

    def wrapper():
        classifier.classify(args.photo)

    def studio_classify():  # what the classify endpoint runs: one pass for the top 5 and the top class's Grad-CAM
        return cam.explain(classifier, photo_for_display(args.photo))

    def studio_with_overlay():  # ... and the next step, which paints the overlay
        explanation = studio_classify()
        cam.overlay(photo_for_display(args.photo), explanation.heatmap, 0.5)

    def batched():
        with torch.inference_mode():
            classifier.network(batch)

    calls = {"bare model call": bare, "ImageClassifier.classify": wrapper, "studio classify (+ Grad-CAM)":
             studio_classify, "studio classify + overlay": studio_with_overlay, f"batch of {BATCH}": batched}
    for call in calls.values():
        call()  # warm-up
    timings = {name: [] for name in calls}
    for _ in range(args.repeats):
        for name, call in calls.items():
            timings[name].append(milliseconds(call))
    median = {name: statistics.median(values) for name, values in timings.items()}
    median[f"batch of {BATCH}"] /= BATCH
    print(f"photo {Path(args.photo).name}, {args.repeats} repeats, torch threads {torch.get_num_threads()}\n")
    print("| call | ms per image (median) | × bare |\n|---|---|---|")
    for name, value in median.items():
        print(f"| {name} | {value:.1f} | {value / median['bare model call']:.2f} |")
    overhead = median["studio classify + overlay"] / median["ImageClassifier.classify"] - 1
    print(f"\nGrad-CAM + overlay over a plain classify: {100 * overhead:+.0f} % (goal ≤ +25 %)")
    print(f"batch of {BATCH}: {1000 / median[f'batch of {BATCH}']:.0f} images/s "
          f"vs {1000 / median['bare model call']:.0f} images/s one at a time")


if __name__ == "__main__":
    main()
