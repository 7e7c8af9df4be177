"""Load time, first-call and per-call latency, and peak memory of every registry model, each in a fresh process.

    python -m bench.models [--repeats 5] [--model smollm2-135m ...]

Every model loads in one fresh data folder; a model whose first-ever load converts its packaged file
(models/converted.py) is loaded a second time there, from the converted cache ("cached" rows).
Prints a Markdown table and writes bench/out/models.json.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
CONVERTED = ("smollm2-135m",)  # converted at their first-ever load, read from the data folder after


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
    if task == "language":
        return model.next_tokens(sample[0])
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
    parser.add_argument("--model", action="append", help="only this registry model (repeatable)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.repeats)))
        return
    from models.registry import SPECS

    keys = args.model or [spec.key for spec in SPECS if spec.installed]
    with tempfile.TemporaryDirectory(prefix="bench-models-") as data:
        rows = [measure_in_process(key, args.repeats, data) for key in keys]
        rows += [{**measure_in_process(key, args.repeats, data), "cached": True} for key in keys if key in CONVERTED]
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "models.json").write_text(json.dumps(rows, indent=2))
    print("| model | load s | warm-up s | call ms (median) | peak RSS MB |\n|---|---|---|---|---|")
    for row in rows:
        name = row["model"] + (" (cached)" if row.get("cached") else
                               " (first-ever)" if row["model"] in CONVERTED else "")
        print(f"| {name} | {row['load_s']:.2f} | {row['warm_up_s']:.2f} | {row['call_ms_median']:.0f} "
              f"| {row['peak_rss_mb']:.0f} |")


def measure_in_process(key: str, repeats: int, data_folder: str) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.models", "--one", key, "--repeats", str(repeats)],
                            cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "STUDIO_DATA_DIR": data_folder})
    return json.loads(output.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
