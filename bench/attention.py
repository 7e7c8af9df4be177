"""Attention tab latency: reading the weights out of the model, and building the tab's figures
(the layer × head grid, one head large, token view, mean / rollout) plus their JSON, which is what
Gradio sends to the browser.

    python -m bench.attention [--repeats 3] [--threads 2] [--device cpu]

Inputs: MiniLM on 32, 128 and 512 word pieces of assets/text/reference_en_pt.tsv; SmolLM2-135M on 128
tokens of the same text (and its load, next-token table and greedy continuation); Whisper tiny.en on
assets/audio/en_weather.wav; the digits ViT on one 8×8 digit. Prints a Markdown table of medians and
writes bench/out/attention.json.
"""
import argparse
import json
import platform
import statistics
from pathlib import Path

import torch

from bench.timing import seconds
from models.attention.maps import (
    digit_attention,
    example_digit,
    language_attention,
    speech_attention,
    text_attention,
    translation_attention,
)
from models.speech.audio import load_audio
from models.vision.digits import shared_digit_models
from models.registry import ModelRegistry
from studio import exports
from studio.common import in_user_language
from studio.views.attention import (
    aggregate_figure,
    export_files,
    grid_figure,
    head_figure,
    token_figure,
)

ROOT = Path(__file__).resolve().parent.parent
TEXT_LENGTHS = (32, 128, 512)


def text_of_length(tokenizer, tokens: int, special: int = 2) -> str:
    """English text that the tokenizer cuts into `tokens` pieces, `special` ones ([CLS], [SEP]) included."""
    rows = (ROOT / "assets" / "text" / "reference_en_pt.tsv").read_text(encoding="utf-8").splitlines()
    english = " ".join(row.split("\t")[0] for row in rows if row.strip())
    ids = tokenizer(english * 20, add_special_tokens=False)["input_ids"][:tokens - special]
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
    exports.write("attention", export_files(weights, maps.query_tokens, maps.key_tokens, "export",
                                            [head_figure(weights, maps.query_tokens, maps.key_tokens, "head")]))


def timed(function, repeats: int) -> tuple[float, object]:
    """(median seconds, last result) of `repeats` calls."""
    timings, result = [], None
    for _ in range(repeats):
        elapsed, result = seconds(function)
        timings.append(elapsed)
    return statistics.median(timings), result


def cases(registry: ModelRegistry, token_counts=TEXT_LENGTHS, everything: bool = True) -> list[tuple[str, object]]:
    """(name, extract) per input: MiniLM at each token count and the digits ViT on one image; with
    `everything`, also a Bergamot sentence, a Whisper clip and SmolLM2 on 128 tokens."""
    encoder = registry.get("all-minilm-l6-v2")
    found = [(f"MiniLM, {n} tokens", lambda n=n: text_attention(encoder, text_of_length(encoder.tokenizer, n),
                                                                 "all-minilm-l6-v2")) for n in token_counts]
    if everything:
        translator = registry.get("bergamot-en-pt")
        found.append(("Bergamot en→pt, one sentence",
                      lambda: translation_attention(translator, "The cat is sleeping on the sofa.", "bergamot-en-pt")))
        recognizer, clip = registry.get("whisper-tiny.en"), load_audio(ROOT / "assets" / "audio" / "en_weather.wav")
        found.append((f"Whisper tiny.en, {len(clip) / 16000:.1f} s clip",
                      lambda: speech_attention(recognizer, clip, "whisper-tiny.en")))
        language = registry.get("smollm2-135m")
        text = text_of_length(language.tokenizer, 128, special=0)
        found.append(("SmolLM2-135M, 128 tokens", lambda: language_attention(language, text, "smollm2-135m")))
    digits, digit = shared_digit_models(), example_digit(3)
    found.append(("digits ViT, one 8×8 image", lambda: digit_attention(digits, digit, "digits-vit")))
    return found


def measure(found: list[tuple[str, object]], repeats: int, with_exports: bool = True) -> list[dict]:
    """One row per attention block of each input: seconds to read the weights, to build the views, to export."""
    rows = []
    for name, extract in found:
        extract()  # warm-up: first calls allocate and pick kernels
        extract_seconds, maps = timed(extract, repeats)
        for block in maps:
            render_seconds, json_bytes = timed(lambda block=block: render(block), repeats)
            export_seconds = timed(lambda block=block: export(block), repeats)[0] if with_exports else None
            rows.append({"input": name, "block": in_user_language(block.name), "shape": list(block.weights.shape),
                         "extract_s": extract_seconds, "render_s": render_seconds,
                         "figure_json_kb": round(json_bytes / 1024), "export_s": export_seconds})
    return rows


def language_model_timings(registry: ModelRegistry, repeats: int) -> dict:
    """SmolLM2's load, and the tab's "what a language model predicts" panel on 128 tokens."""
    language = registry.get("smollm2-135m")
    text = text_of_length(language.tokenizer, 128, special=0)
    return {"load_s": registry.loads["smollm2-135m"].seconds,
            "next_tokens_s": timed(lambda: language.next_tokens(text, 5), repeats)[0],
            "continue_8_s": timed(lambda: language.continue_greedily(text, 8), repeats)[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    registry = ModelRegistry(torch.device(args.device))
    rows = measure(cases(registry), args.repeats)
    print("| input | attention block | [layers, heads, q, k] | read weights s | build views s | views JSON kB "
          "| PNG+SVG+HTML s |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['input']} | {row['block']} | {row['shape']} | {row['extract_s']:.3f} | {row['render_s']:.3f} | "
              f"{row['figure_json_kb']} | {row['export_s']:.3f} |")
    language = language_model_timings(registry, args.repeats)
    print(f"\nSmolLM2-135M: load (dequantising the GGUF file) {language['load_s']:.1f} s; top-5 next tokens at each "
          f"of 128 positions {language['next_tokens_s']:.3f} s; greedy continuation of 8 tokens after them "
          f"{language['continue_8_s']:.3f} s.")
    out = ROOT / "bench" / "out" / "attention.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "threads": args.threads,
                               "repeats": args.repeats, "rows": rows, "smollm2": language}, indent=1))


if __name__ == "__main__":
    main()
