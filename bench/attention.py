"""Attention tab latency: reading the weights out of the model, and building the tab's figures
(the layer × head grid, one head large, token view, mean / rollout) plus their JSON, which is what
Gradio sends to the browser.

    python -m bench.attention [--repeats 3] [--threads 2]

Inputs: MiniLM on 32, 128 and 512 word pieces of assets/text/reference_en_pt.tsv; Whisper tiny.en on
assets/audio/en_weather.wav; the digits ViT on one 8×8 digit. Prints a Markdown table of medians and
writes bench/out/attention.json.
"""
import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from models.attention import (digit_attention, example_digit, speech_attention, text_attention,
                              translation_attention)
from models.audio import load_audio
from models.digits import shared_digit_models
from models.registry import ModelRegistry
from studio.attention_views import aggregate_figure, grid_figure, head_figure, token_figure, write_exports

ROOT = Path(__file__).resolve().parent.parent
TEXT_LENGTHS = (32, 128, 512)


def text_of_length(tokenizer, tokens: int) -> str:
    """English text that the tokenizer cuts into exactly `tokens` pieces, [CLS] and [SEP] included."""
    rows = (ROOT / "assets" / "text" / "reference_en_pt.tsv").read_text(encoding="utf-8").splitlines()
    english = " ".join(row.split("\t")[0] for row in rows if row.strip())
    ids = tokenizer(english * 20, add_special_tokens=False)["input_ids"][:tokens - 2]
    return tokenizer.decode(ids)


def render(maps) -> int:
    """Build every figure the tab shows for the last layer's mean; return the bytes of their JSON."""
    layer = maps.layers - 1
    weights = maps.head(layer, None)
    figures = [grid_figure(maps), head_figure(weights, maps.query_tokens, maps.key_tokens, "head"),
               token_figure(weights, maps.query_tokens, maps.key_tokens, [1], "tokens"),
               aggregate_figure(maps, layer)]
    return sum(len(figure.to_json()) for figure in figures)


def export(maps) -> None:
    weights = maps.head(maps.layers - 1, None)
    with tempfile.TemporaryDirectory() as folder:
        write_exports(Path(folder), weights, maps.query_tokens, maps.key_tokens, "export",
                      [head_figure(weights, maps.query_tokens, maps.key_tokens, "head")])


def timed(function, repeats: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    registry = ModelRegistry(torch.device("cpu"))
    encoder = registry.get("all-minilm-l6-v2")
    cases = [(f"MiniLM, {n} tokens", lambda n=n: text_attention(encoder, text_of_length(encoder.tokenizer, n),
                                                                 "all-minilm-l6-v2")) for n in TEXT_LENGTHS]
    translator = registry.get("bergamot-en-pt")
    cases.append(("Bergamot en→pt, one sentence",
                  lambda: translation_attention(translator, "The cat is sleeping on the sofa.", "bergamot-en-pt")))
    recognizer, clip = registry.get("whisper-tiny.en"), load_audio(ROOT / "assets" / "audio" / "en_weather.wav")
    cases.append((f"Whisper tiny.en, {len(clip) / 16000:.1f} s clip",
                  lambda: speech_attention(recognizer, clip, "whisper-tiny.en")))
    digits, digit = shared_digit_models(), example_digit(3)
    cases.append(("digits ViT, one 8×8 image", lambda: digit_attention(digits, digit, "digits-vit")))

    rows = []
    for name, extract in cases:
        extract_seconds, maps = timed(extract, args.repeats)
        for block in maps:
            render_seconds, json_bytes = timed(lambda: render(block), args.repeats)
            export_seconds, _ = timed(lambda: export(block), args.repeats)
            rows.append({"input": name, "block": block.name, "shape": list(block.weights.shape),
                         "extract_s": round(extract_seconds, 3), "render_s": round(render_seconds, 3),
                         "figure_json_kb": round(json_bytes / 1024), "export_s": round(export_seconds, 3)})
    print("| input | attention block | [layers, heads, q, k] | read weights s | build views s | views JSON kB "
          "| PNG+SVG+HTML s |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['input']} | {row['block']} | {row['shape']} | {row['extract_s']} | {row['render_s']} | "
              f"{row['figure_json_kb']} | {row['export_s']} |")
    out = ROOT / "bench" / "out" / "attention.json"
    out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "threads": args.threads,
                               "repeats": args.repeats, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
