"""Object detection cost: ms per image for the studio's detect endpoint (decode the file, letterbox, network,
boxes, NMS) vs a bare forward of the same yolov3-tiny module on the same images, letterboxed beforehand; both
measured in one run (interleaved, medians), on the example photos.

    python -m bench.detection [--repeats 10] [--device cpu]
"""
import argparse
import statistics
from pathlib import Path

import torch

from bench.timing import interleaved_medians
from models.registry import ModelRegistry
from models.vision.detector import DetectOptions
from models.vision.images import open_image
from studio import detection

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = [ROOT / "assets" / "images" / name for name in detection.EXAMPLES]
GOAL = 1.2  # studio ÷ bare forward (issue 18)


def measure(registry: ModelRegistry, repeats: int) -> dict[str, float]:
    """{"studio_ms", "bare_ms", "ratio"}: medians per image, averaged over the photos."""
    detector = registry.get(detection.MODEL)
    options = DetectOptions()
    studio, bare = [], []
    for photo in PHOTOS:
        batch, _ = detector.to_tensor(open_image(photo), options.side)
        calls = {"studio detect": lambda: detection.detect(registry, str(photo), options.threshold, options.iou,
                                                           options.side, progress=lambda *_, **__: None),
                 "bare forward": lambda: detector.forward(batch)}
        medians, _ = interleaved_medians(calls, repeats, detector.device)
        studio.append(1000 * medians["studio detect"])
        bare.append(1000 * medians["bare forward"])
    studio_ms, bare_ms = statistics.fmean(studio), statistics.fmean(bare)
    return {"studio_ms": studio_ms, "bare_ms": bare_ms, "ratio": studio_ms / bare_ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    result = measure(ModelRegistry(torch.device(args.device)), args.repeats)
    print(f"{len(PHOTOS)} photos, {args.repeats} repeats, {args.device}, torch threads {torch.get_num_threads()}\n")
    print(f"| call | ms per image (median, mean of photos) |\n|---|---|\n| studio detect | {result['studio_ms']:.1f} |\n"
          f"| bare forward | {result['bare_ms']:.1f} |\n\nstudio ÷ bare: {result['ratio']:.2f} (goal ≤ {GOAL})")


if __name__ == "__main__":
    main()
