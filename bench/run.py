"""The benchmark suite in one command: each tab's model path beside its bare baseline (and the fastest
peer where there is one), measured in the same run, so the ratios hold on a noisy machine.

    python bench/run.py [--quick] [--device cpu|cuda] [--only asr,image,...] [--out bench] [--record]

Sections (the bench module each one calls):
  asr        studio transcribe vs a bare transformers pipeline vs CTranslate2, WER; time vs audio length (bench.asr)
  streaming  both live policies through stream_file: streaming vs offline WER (espeak and natural voices), first
             word and final latency, non-speech, 4 concurrent streams, beside a CPU hog, Chinese CER (bench.streaming)
  image      classify vs bare model call, Grad-CAM overlay overhead, batch of 32 (bench.image)
  detection  the detect endpoint's path vs a bare yolov3-tiny forward on the example photos (bench.detection)
  translation  studio vs native engine vs bare module, greedy and beam 4, chrF; time vs text length
             (bench.translation)
  attention  read the weights and build the tab's views at 32/128/512 tokens and one image (bench.attention)
  embeddings  neighbour / analogy query ms over GloVe's 400k words vs a bare product; analogy top-1 of GloVe
             and of the Word2Vec the tab trains (bench.embeddings)
  training   studio loop vs bare PyTorch loop, steps/s; time per epoch vs dataset size (bench.training)
  startup    `python app.py` until the UI answers, first request per model, peak RSS (bench.startup)

Writes <out>/results.json (flat numeric keys, machine, date, per-section details) and <out>/growth.html
(how cost grows with input size); --record appends the results table to bench/RESULTS.md. --quick uses
fewer rounds and smaller inputs (a few minutes on 2 cores); the full run repeats more and grows further.
On CUDA, models run in fp16 where the registry does (ModelSpec.half_safe) and CTranslate2 in float16.
"""
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/run.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import math
import os
import platform
import statistics
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

import torch

from bench import asr, attention, detection, embeddings, image, startup, streaming, training, translation
from bench.chart import Growth, write_growth
from bench.report import append_to_results, markdown
from models.device import pick_device
from models.registry import ModelRegistry
from models.training.config import TrainConfig
from models.training.runner import Runner
from models.training.store import RunStore

ROOT = Path(__file__).resolve().parent.parent
ASR_MODEL = "whisper-tiny.en"
DIGITS_TRAIN_EXAMPLES = 1438  # scikit-learn's 1,797 digits less the 20 % held out


@dataclass(frozen=True)
class Sizes:
    repeats: int  # interleaved rounds per comparison (median reported)
    image_repeats: int
    asr_lengths: tuple[float, ...]  # seconds of audio for the growth curve
    streaming_clips: int  # clips per voice (espeak, natural)
    streaming_long_talk: bool  # also all clips of a voice as one talk
    streaming_under_load: bool  # 4 concurrent streams, and the clips beside a CPU hog
    streaming_chinese: bool  # CER of the zh clips with whisper-base
    mt_directions: tuple[str, ...]
    mt_sentences: int | None  # reference sentences timed (None: all 30)
    mt_text_sentences: tuple[int, ...]  # sentences per text for the growth curve
    attention_everything: bool  # also Bergamot and Whisper, and time the exports
    training_cases: tuple[TrainConfig, ...]
    training_epochs: int
    training_sizes: tuple[int, ...]  # training examples for the growth curve


QUICK = Sizes(repeats=1, image_repeats=5, asr_lengths=(5, 15, 30, 60), streaming_clips=3, streaming_long_talk=False,
              streaming_under_load=False, streaming_chinese=False,
              mt_directions=("en-pt",), mt_sentences=10, mt_text_sentences=(1, 4, 16), attention_everything=False,
              training_cases=tuple(training.CASES[:2]), training_epochs=1, training_sizes=(180, 360, 720))
FULL = Sizes(repeats=5, image_repeats=15, asr_lengths=(5, 15, 30, 60, 120, 300), streaming_clips=5,
             streaming_long_talk=True, streaming_under_load=True, streaming_chinese=True, mt_directions=("en-pt", "pt-en"), mt_sentences=None,
             mt_text_sentences=(1, 4, 16, 64), attention_everything=True, training_cases=tuple(training.CASES),
             training_epochs=2, training_sizes=(180, 360, 720, DIGITS_TRAIN_EXAMPLES))


@dataclass
class Section:
    values: dict[str, float]  # the flat keys of results.json
    details: object = None  # the section's own rows, kept in results.json for reference
    growth: list[Growth] = field(default_factory=list)


def geometric_mean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(value) for value in values))


def asr_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    recognizer = registry.get(ASR_MODEL)
    result = asr.measure(recognizer, registry.spec(ASR_MODEL).source, device, sizes.repeats)
    engines = result.engines
    studio = engines["studio"]
    same_precision, int8 = (f"ctranslate2 {name}" for name in asr.ct2_compute_types(device))
    values = {"asr_rtf": studio.rtf, "asr_ratio_vs_bare": studio.seconds / engines["bare pipeline"].seconds,
              "asr_ratio_vs_ct2": studio.seconds / engines[same_precision].seconds,
              "asr_ratio_vs_ct2_int8": studio.seconds / engines[int8].seconds, "asr_wer_espeak": studio.wer,
              "asr_wer_bare": engines["bare pipeline"].wer, "asr_wer_ct2_int8": engines[int8].wer}
    lengths = list(sizes.asr_lengths)
    taken = asr.growth(recognizer, device, lengths)
    return Section(values, {"audio_seconds": result.audio_seconds,
                            "engines": {name: asdict(engine) for name, engine in engines.items()}},
                   [Growth(f"Speech ({ASR_MODEL})", "audio (s)", "seconds", lengths, {"studio transcribe": taken})])


def streaming_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    options = streaming.BenchOptions(sizes.streaming_clips, sizes.streaming_long_talk, non_speech=True,
                                     under_load=sizes.streaming_under_load, chinese=sizes.streaming_chinese)
    bench = streaming.measure(registry, options, ASR_MODEL)
    print(streaming.tables(bench), flush=True)
    return Section(streaming.values(bench), streaming.details(bench))


def image_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    result = image.measure(registry.get("efficientnet-lite0"), image.PHOTO, sizes.image_repeats)
    ms = result.ms
    values = {"image_ms": ms["studio classify (+ Grad-CAM)"], "image_bare_ms": ms["bare model call"],
              "image_ratio_vs_bare": ms["studio classify (+ Grad-CAM)"] / ms["bare model call"],
              "image_overlay_overhead": result.overlay_overhead,
              "image_batch32_ms": ms[f"batch of {image.BATCH}, per image"]}
    return Section(values, ms)


def detection_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    result = detection.measure(registry, sizes.image_repeats)
    return Section({"detection_ms": result["studio_ms"], "detection_bare_ms": result["bare_ms"],
                    "detection_ratio_vs_bare": result["ratio"]}, result)


def translation_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    rows = {direction: translation.measure(direction, sizes.repeats, sizes.mt_sentences, device)
            for direction in sizes.mt_directions}
    first = rows[sizes.mt_directions[0]]

    def ms(engine: str, decoding: str) -> float:
        return translation.find_row(first, engine, decoding)["ms_per_sentence"]

    values = {"mt_ms_greedy": ms("studio", "greedy"), "mt_ms_beam4": ms("studio", "beam 4"),
              "mt_ratio_vs_native": ms("studio", "greedy") / ms("native engine", "greedy"),
              "mt_ratio_vs_bare": ms("port", "greedy") / ms("bare module", "greedy"),
              "mt_ratio_vs_bare_beam4": ms("port", "beam 4") / ms("bare module", "beam 4")}
    for direction, found in rows.items():
        values[f"mt_chrf_{direction.replace('-', '_')}"] = translation.find_row(found, "studio", "greedy")["chrf"]
    direction = sizes.mt_directions[0]
    grown = translation.growth(registry.get(f"bergamot-{direction}"), direction, list(sizes.mt_text_sentences))
    characters = grown.pop("characters")
    return Section(values, rows, [Growth(f"Translation {direction} (greedy)", "characters", "seconds", characters,
                                         grown)])


def attention_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    rows = attention.measure(attention.cases(registry, attention.TEXT_LENGTHS, sizes.attention_everything),
                             sizes.repeats, with_exports=sizes.attention_everything)
    minilm = {n: next(r for r in rows if r["input"] == f"MiniLM, {n} tokens") for n in attention.TEXT_LENGTHS}
    vit = next(r for r in rows if r["input"].startswith("digits ViT"))
    values = {f"attention_ms_{n}": 1000 * (row["extract_s"] + row["render_s"]) for n, row in minilm.items()}
    values["attention_ms_image"] = 1000 * (vit["extract_s"] + vit["render_s"])
    tokens = list(attention.TEXT_LENGTHS)
    series = {"read weights": [1000 * minilm[n]["extract_s"] for n in tokens],
              "build views": [1000 * minilm[n]["render_s"] for n in tokens]}
    return Section(values, rows, [Growth("Attention (MiniLM)", "tokens", "ms", tokens, series)])


def embeddings_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    result = embeddings.measure(registry, sizes.repeats)
    ms = result["ms"]
    return Section({"embeddings_neighbours_ms": ms["studio neighbours"], "embeddings_analogy_ms": ms["studio analogy"],
                    "embeddings_neighbours_ratio_vs_bare": ms["studio neighbours"] / ms["bare neighbours"],
                    "embeddings_analogy_ratio_vs_bare": ms["studio analogy"] / ms["bare analogy"],
                    "analogy_top1_glove": result["glove_accuracy"],
                    "analogy_top1_word2vec": result["word2vec_accuracy"],
                    "analogy_top1_glove_word2vec_items": result["glove_accuracy_same_items"],
                    "word2vec_train_s": result["word2vec_train_seconds"]}, result)


def training_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    with tempfile.TemporaryDirectory(prefix="bench-training-") as folder:
        runner = Runner(RunStore(Path(folder)), device)
        try:
            rows = [training.measure(replace(case, epochs=sizes.training_epochs), runner, sizes.repeats)
                    for case in sizes.training_cases]
        finally:
            runner.close()
    values = {"train_steps_ratio": geometric_mean([r["runner"] / r["bare"] for r in rows]),
              "train_steps_ratio_fit": geometric_mean([r["fit"] / r["bare"] for r in rows]),
              "train_first_point_s": max(r["first_point_seconds"] for r in rows)}
    for r in rows:
        values[f"train_steps_ratio_{r['task']}_{r['variant']}"] = r["runner"] / r["bare"]
    cnn = replace(training.CASES[1], epochs=1)
    examples = list(sizes.training_sizes)
    per_epoch = training.growth(cnn, examples, device)
    return Section(values, rows, [Growth("Training (digits CNN, one epoch)", "training examples", "seconds",
                                         examples, per_epoch)])


def startup_section(registry: ModelRegistry, sizes: Sizes, device: torch.device) -> Section:
    result = startup.measure(str(device))
    values = {"ui_ready_s": result.ui_ready_s, "rss_at_ready_gb": result.rss_at_ready_gb,
              "peak_rss_gb": result.peak_rss_gb}
    for key, taken in result.first_request_s.items():
        values[f"first_request_s_{key.replace('-', '_').replace('.', '_')}"] = taken
    return Section(values, asdict(result))


SECTIONS = {"asr": asr_section, "streaming": streaming_section, "image": image_section, "detection": detection_section,
            "translation": translation_section, "attention": attention_section, "training": training_section,
            "embeddings": embeddings_section, "startup": startup_section}


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine(device: torch.device) -> dict:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "none",
            "python": platform.python_version(), "torch": torch.__version__,
            **{name: package_version(name) for name in ("transformers", "gradio", "ctranslate2", "plotly")},
            "load_average_at_start": round(os.getloadavg()[0], 2)}


def run(sections: list[str], sizes: Sizes, device: torch.device, out: Path, command: str) -> dict:
    """Run `sections` in order; write results.json (and growth.html) into `out`; return the results."""
    started = time.perf_counter()
    results = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "command": command,
               "device": str(device), "machine": machine(device)}
    registry = ModelRegistry(device)
    details, growths, errors, section_seconds = {}, [], {}, {}
    for name in sections:
        print(f"[bench] {name}…", flush=True)
        section_started = time.perf_counter()
        try:
            section = SECTIONS[name](registry, sizes, device)
        except Exception:  # noqa: BLE001 (one broken section must not lose the others' numbers)
            errors[name] = traceback.format_exc()
            print(errors[name], file=sys.stderr)
            continue
        finally:
            section_seconds[name] = round(time.perf_counter() - section_started, 1)
        results.update({key: float(value) for key, value in section.values.items()})
        details[name] = section.details
        growths += section.growth
    results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    results |= {"wall_seconds": round(time.perf_counter() - started, 1), "section_seconds": section_seconds,
                "growth": [asdict(growth) for growth in growths], "details": details, "errors": errors}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    if growths:
        write_growth(growths, out)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller inputs (CI)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated, from {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "bench", help="folder for results.json and growth.html")
    parser.add_argument("--record", action="store_true", help="append the results table to bench/RESULTS.md")
    args = parser.parse_args(argv)
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    command = "python bench/run.py" + (" --quick" if args.quick else "") + f" --device {args.device}" + (
        f" --only {','.join(sections)}" if len(sections) < len(SECTIONS) else "")
    results = run(sections, QUICK if args.quick else FULL, pick_device(args.device), args.out, command)
    print(markdown(results))
    if args.record:
        append_to_results(results)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
