"""Load time, first-call and per-call latency, and peak memory of every registry model, each in a fresh process.

    python -m bench.models [--repeats 5]

Prints a Markdown table and writes bench/out/models.json.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


def sample_input(task: str):
    if task == "speech":
        from models.speech.audio import load_audio

        return load_audio(ASSETS / "audio" / "en_weather.wav")
    if task == "image":
        return str(ASSETS / "images" / "chelsea.jpg")
    if task == "translation":
        return ["The cat is sleeping on the sofa while the children play in the garden."]
    return ["Attention lets every token look at every other token."]


def call(task: str, model, sample):
    if task == "speech":
        return model.transcribe(sample, language="en")
    if task == "image":
        return model.classify(sample)
    if task == "translation":
        return model.translate(sample)
    return model.embed(sample)


def measure_one(key: str, repeats: int) -> dict:
    import torch

    from models.registry import ModelRegistry

    registry = ModelRegistry(torch.device("cpu"))
    spec = registry.spec(key)
    started = time.perf_counter()
    model = registry.get(key)
    load_total = time.perf_counter() - started
    sample = sample_input(spec.task)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call(spec.task, model, sample)
        timings.append(time.perf_counter() - started)
    return {"model": key, "load_s": registry.loads[key].seconds, "warm_up_s": registry.loads[key].warm_up_seconds,
            "load_and_warm_up_s": load_total, "call_ms_median": 1000 * statistics.median(timings),
            "call_ms_min": 1000 * min(timings), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.repeats)))
        return
    from models.registry import SPECS

    rows = []
    for spec in SPECS:
        output = subprocess.run([sys.executable, "-m", "bench.models", "--one", spec.key, "--repeats",
                                 str(args.repeats)], cwd=ROOT, capture_output=True, text=True, check=True)
        rows.append(json.loads(output.stdout.strip().splitlines()[-1]))
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "models.json").write_text(json.dumps(rows, indent=2))
    print("| model | load s | warm-up s | call ms (median) | peak RSS MB |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['model']} | {row['load_s']:.2f} | {row['warm_up_s']:.2f} | {row['call_ms_median']:.0f} "
              f"| {row['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
