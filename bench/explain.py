"""Attribution cost: seconds per photo (EfficientNet-Lite0) and per 64-token text (SmolLM2) for each method with its
two deletion curves, beside the method's bare call on the same tensor (`attributions`, no deletion curves), in one
run (interleaved, medians); the translation (a sentence, every target token) and topic attributions and the three
edit-and-compare views; integrated gradients' completeness error on each; and the peak memory added by integrated
gradients on a 512-token text, whose integration points run TOKENS_PER_PASS tokens at a time
(models/explain/tokens.py): one per pass at 512 tokens. Run --long alone (`--calls none --long`) for the memory
figure: ru_maxrss only grows, so the 64-token calls before it would hide what 512 tokens add.

    python -m bench.explain [--repeats 3] [--photo assets/images/coffee.jpg] [--device cpu] [--long]
                            [--calls PART ...] [--skip PART ...]

Goals: ≤ 3 s per photo, ≤ 2 s for 64 tokens. Writes bench/out/explain.json.
"""
import argparse
import json
import os
import platform
import resource
from pathlib import Path

import torch

from bench.attention import text_of_length
from bench.timing import interleaved_medians, seconds
from models.explain.compare import compare_photos, compare_texts, compare_translations
from models.explain.methods import METHODS, AttributionOptions, attributions
from models.explain.pixels import GRAD_CAM, OCCLUSION_STRIDE, OCCLUSION_WINDOW, attribute_pixels, blurred, log_probability
from models.explain.tokens import (OPTIONS, attribute_tokens, batched_for, next_token_log_probability,
                                  sink_kept_baseline)
from models.explain.topics import attribute_topic, topic_classifier
from models.explain.translation import attribute_translation
from models.registry import ModelRegistry
from models.vision.images import open_image

ROOT = Path(__file__).resolve().parent.parent
PHOTO = str(ROOT / "assets" / "images" / "coffee.jpg")
TOKENS = 64
LONG_TOKENS = 512
SENTENCE, EDITED_SENTENCE = "The cat sleeps on the red sofa.", "The dog sleeps on the red sofa."
TOPIC_SENTENCE = "The new phone has a faster chip and a bigger battery."
MIDDLE = (0.25, 0.25, 0.75, 0.75)  # the masked rectangle of the photo comparison
COMPLETENESS_CALLS = {"image": "photo integrated-gradients", "language": f"{TOKENS} tokens integrated-gradients",
                      "translation": "translation sentence integrated-gradients",
                      "translation_tokens64": f"translation {TOKENS} tokens integrated-gradients",
                      "topic": "topic sentence integrated-gradients"}
KEYS = {  # results.json key -> the call whose median it is
    "explain_photo_ig_s": "photo integrated-gradients", "explain_tokens64_ig_s": f"{TOKENS} tokens integrated-gradients",
    "explain_tokens64_gxi_s": f"{TOKENS} tokens gradient-x-input",
    "explain_translation_ig_s": "translation sentence integrated-gradients",
    "explain_topic_ig_s": "topic sentence integrated-gradients",
    "explain_topic_tokens64_ig_s": f"topic {TOKENS} tokens integrated-gradients",
    "explain_topic_tokens64_gxi_s": f"topic {TOKENS} tokens gradient-x-input",
    "explain_translation_tokens64_ig_s": f"translation {TOKENS} tokens integrated-gradients",
    "explain_translation_tokens64_gxi_s": f"translation {TOKENS} tokens gradient-x-input",
    "explain_photo_gxi_s": "photo gradient-x-input", "explain_photo_gradcam_s": "photo grad-cam",
    "explain_compare_photo_ig_s": "compare photo integrated-gradients",
    "explain_compare_tokens64_ig_s": f"compare {TOKENS} tokens integrated-gradients",
    "explain_compare_translation_ig_s": "compare translation integrated-gradients"}
RATIOS = {"explain_photo_ig_ratio_vs_bare": "photo integrated-gradients",  # the studio's call over captum's bare one
          "explain_tokens64_ig_ratio_vs_bare": f"{TOKENS} tokens integrated-gradients"}


def photo_calls(classifier, photo: str) -> dict:
    batch = classifier.to_tensor(open_image(photo)).to(classifier.device, classifier.dtype)
    with torch.inference_mode():
        top = int(classifier.network(batch).argmax())
    forward, baseline, options = log_probability(classifier, top), blurred(batch), AttributionOptions()
    window = ((3, OCCLUSION_WINDOW, OCCLUSION_WINDOW), (3, OCCLUSION_STRIDE, OCCLUSION_STRIDE))
    calls = {f"photo {method}": (lambda m=method: attribute_pixels(classifier, photo, method=m))
             for method in (*METHODS, GRAD_CAM)}
    calls |= {f"photo {method} bare": (lambda m=method: attributions(m, forward, batch, baseline, options, *window))
              for method in METHODS}
    return calls


def text_calls(language, text: str) -> dict:
    ids = language.encode(text)
    with torch.inference_mode():
        embeddings = language.network.get_input_embeddings()(ids)
        top = int(language.network(input_ids=ids).logits[0, -1].argmax())
    embeddings = embeddings.clone()
    baseline = sink_kept_baseline(language, embeddings)
    forward, options = next_token_log_probability(language, top), batched_for(OPTIONS, ids.shape[1])
    window = ((1, embeddings.shape[-1]), (1, embeddings.shape[-1]))
    calls = {f"{TOKENS} tokens {method}": (lambda m=method: attribute_tokens(language, text, method=m))
             for method in METHODS}
    calls |= {f"{TOKENS} tokens {method} bare": (lambda m=method: attributions(m, forward, embeddings, baseline,
                                                                                 options, *window))
              for method in METHODS}
    return calls


def other_calls(registry: ModelRegistry, language, text: str, photo: str) -> dict:
    """The translation and topic attributions (a sentence and 64 tokens) and the three comparisons, integrated
    gradients each (and gradient × input at 64 tokens)."""
    translator, classifier = registry.get("bergamot-en-pt"), registry.get("efficientnet-lite0")
    topics = topic_classifier()
    edited = text.replace(" the ", " a ", 1)
    topic_text = text_of_length(topics.tokenizer, TOKENS)  # [CLS] and [SEP] included
    source_text = translator.vocabulary.decode(translator.encode(text)[:TOKENS - 1])  # </s> makes it TOKENS
    return {"translation sentence integrated-gradients": lambda: attribute_translation(translator, SENTENCE),
            "topic sentence integrated-gradients": lambda: attribute_topic(topics, TOPIC_SENTENCE),
            **{f"topic {TOKENS} tokens {method}": (lambda m=method: attribute_topic(topics, topic_text, method=m))
               for method in METHODS[:2]},
            **{f"translation {TOKENS} tokens {method}": (
                lambda m=method: attribute_translation(translator, source_text, method=m)) for method in METHODS[:2]},
            "compare photo integrated-gradients": lambda: compare_photos(classifier, photo, MIDDLE),
            f"compare {TOKENS} tokens integrated-gradients": lambda: compare_texts(language, text, edited),
            "compare translation integrated-gradients": lambda: compare_translations(translator, SENTENCE,
                                                                                     EDITED_SENTENCE)}


def completeness_errors(results: dict) -> dict:
    """Integrated gradients' |Σ scores − change| / |change| and the steps it took, per task, from the calls' results."""
    found = {task: results[call] for task, call in COMPLETENESS_CALLS.items() if call in results}
    return ({f"explain_{task}_ig_completeness_error": attribution.completeness_error
             for task, attribution in found.items()}
            | {f"explain_{task}_ig_steps": attribution.steps for task, attribution in found.items()})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--photo", default=PHOTO)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--long", action="store_true", help=f"also integrated gradients on {LONG_TOKENS} tokens")
    parser.add_argument("--calls", nargs="*", help="only the calls whose name holds one of these (default: all)")
    parser.add_argument("--skip", nargs="*", default=[], help="leave out the calls whose name holds one of these")
    args = parser.parse_args(argv)
    registry = ModelRegistry(torch.device(args.device))
    language = registry.get("smollm2-135m")
    text = text_of_length(language.tokenizer, TOKENS, special=0)
    calls = (photo_calls(registry.get("efficientnet-lite0"), args.photo) | text_calls(language, text)
             | other_calls(registry, language, text, args.photo))
    if args.calls:
        calls = {name: call for name, call in calls.items() if any(part in name for part in args.calls)}
    calls = {name: call for name, call in calls.items() if not any(part in name for part in args.skip)}
    medians, last = interleaved_medians(calls, args.repeats, torch.device(args.device))
    rows = [{"call": name, "s": round(value, 3)} for name, value in medians.items()]
    print("| call | median s |\n|---|---|")
    for row in rows:
        print(f"| {row['call']} | {row['s']:.2f} |")
    results = {"machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
               "load_average": [round(value, 2) for value in os.getloadavg()],
               "repeats": args.repeats, "rows": rows}
    results |= {key: medians[call] for key, call in KEYS.items() if call in medians}
    results |= {key: medians[call] / medians[f"{call} bare"] for key, call in RATIOS.items()
                if call in medians and f"{call} bare" in medians}
    results |= completeness_errors(last)
    if args.long:
        before = peak_rss_mb()
        elapsed, _ = seconds(lambda: attribute_tokens(language, text_of_length(language.tokenizer, LONG_TOKENS, 0),
                                                      method="integrated-gradients"))
        results |= {"explain_tokens512_ig_s": elapsed, "explain_tokens512_ig_added_peak_mb": peak_rss_mb() - before}
        print(f"{LONG_TOKENS} tokens, integrated gradients: {elapsed:.1f} s, peak RSS +{peak_rss_mb() - before:.0f} MB")
    for key, value in results.items():
        if key.startswith("explain_"):
            print(f"{key}: {value:.3f}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "explain.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
