"""Speech recognition: the studio's transcribe against its baselines on the same clips, in one run.

- studio: `SpeechRecognizer.transcribe` as the Speech tab calls it (timestamps, token scores, top-5);
- bare: `transformers.pipeline("automatic-speech-recognition")` on the same WhisperForConditionalGeneration;
- CTranslate2: the runtime the packaged weights were made for (`ctranslate2.models.Whisper` on the same
  CT2 file), at the studio's precision and in int8, fed the same log-mel features.

    python -m bench.asr [--model whisper-tiny.en] [--repeats 3] [--device cpu]

Clips: the English espeak-ng clips of assets/audio (transcripts.tsv), for speed and word error rate;
then the studio alone on longer audio (the clips repeated with pauses) to show how time grows.
"""
import argparse
import csv
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bench.timing import interleaved_medians, seconds
from models.speech.audio import SAMPLE_RATE, load_audio
from models.metrics import word_error_rate
from models.registry import ModelRegistry
from models.speech.whisper_ct2 import packaged_model_files

ROOT = Path(__file__).resolve().parent.parent
AUDIO = ROOT / "assets" / "audio"
PAUSE_SECONDS = 0.6


@dataclass
class EngineResult:
    seconds: float  # median over rounds, all clips
    rtf: float  # seconds / audio seconds
    wer: float  # over all clips joined


@dataclass
class AsrResult:
    audio_seconds: float
    engines: dict[str, EngineResult]  # "studio", "bare pipeline", "ctranslate2 <type>", ...


def recorded_clips(prefix: str, language: str) -> list[tuple[str, np.ndarray, str]]:
    """(file, samples, transcript) of the clips in assets/audio/transcripts.tsv whose file starts with `prefix`."""
    with open(AUDIO / "transcripts.tsv", encoding="utf-8") as table:
        rows = [row for row in csv.DictReader(table, delimiter="\t")
                if row["language"] == language and row["file"].startswith(prefix)]
    return [(row["file"], load_audio(AUDIO / row["file"]), row["text"]) for row in rows]


def english_clips() -> list[tuple[str, np.ndarray, str]]:
    """The espeak-ng English clips (en_*.wav; the natural-voice ones are natural_*.wav)."""
    return recorded_clips("en_", "en")


def speech_of_length(seconds_wanted: float) -> np.ndarray:
    """The English clips with pauses between them, repeated and cut to `seconds_wanted`."""
    pause = np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), np.float32)
    talk = np.concatenate([part for _, samples, _ in english_clips() for part in (samples, pause)])
    wanted = int(seconds_wanted * SAMPLE_RATE)
    return np.tile(talk, wanted // len(talk) + 1)[:wanted]


def ct2_folder(packaged_name: str, scratch: Path) -> Path:
    """A folder the CTranslate2 loader accepts: the package's own, or one with the split model.bin joined."""
    folder, parts = packaged_model_files(packaged_name)
    if len(parts) == 1:
        return folder
    with open(scratch / "model.bin", "wb") as joined:
        joined.writelines(part.read_bytes() for part in parts)
    for file in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if (folder / file).is_file():
            shutil.copy(folder / file, scratch / file)
    return scratch


def ct2_compute_types(device: torch.device) -> tuple[str, str]:
    """(the studio's precision, int8) in CTranslate2's names for this device."""
    return ("float16", "int8_float16") if device.type == "cuda" else ("float32", "int8")


def engines(recognizer, model_source: str, device: torch.device, scratch: Path) -> dict:
    """name -> transcribe(samples) -> text, for every contender."""
    import ctranslate2
    from transformers import pipeline

    language = {} if not recognizer.multilingual else {"language": "en", "task": "transcribe"}
    bare = pipeline("automatic-speech-recognition", model=recognizer.model, tokenizer=recognizer.tokenizer,
                    feature_extractor=recognizer.processor.feature_extractor, device=recognizer.device,
                    generate_kwargs=language)
    contenders = {"studio": lambda samples: recognizer.transcribe(samples, language="en").text,
                  "bare pipeline": lambda samples: bare({"raw": samples, "sampling_rate": SAMPLE_RATE})["text"]}
    if not model_source.startswith("package:"):
        return contenders  # a hub model has no CT2 file to compare with
    folder = ct2_folder(model_source.removeprefix("package:"), scratch)
    prompt_tokens = ["<|startoftranscript|>", *(["<|en|>", "<|transcribe|>"] if recognizer.multilingual else []),
                     "<|notimestamps|>"]
    prompt = recognizer.tokenizer.convert_tokens_to_ids(prompt_tokens)
    for compute_type in ct2_compute_types(device):
        runtime = ctranslate2.models.Whisper(str(folder), device=device.type,
                                             device_index=device.index or 0, compute_type=compute_type,
                                             intra_threads=torch.get_num_threads())

        def transcribe(samples, runtime=runtime):
            features = recognizer.processor.feature_extractor(samples, sampling_rate=SAMPLE_RATE,
                                                              return_tensors="np").input_features
            features = ctranslate2.StorageView.from_array(np.ascontiguousarray(features, np.float32))
            result = runtime.generate(features, [prompt], beam_size=1)
            return recognizer.tokenizer.decode(result[0].sequences_ids[0]).strip()
        contenders[f"ctranslate2 {compute_type}"] = transcribe
    return contenders


def measure(recognizer, model_source: str, device: torch.device, repeats: int) -> AsrResult:
    clips = english_clips()
    audio_seconds = sum(len(samples) for _, samples, _ in clips) / SAMPLE_RATE
    reference = " ".join(text for _, _, text in clips)
    with tempfile.TemporaryDirectory(prefix="bench-asr-") as scratch:
        contenders = engines(recognizer, model_source, device, Path(scratch))
        for transcribe in contenders.values():
            transcribe(clips[0][1])  # warm-up: first calls allocate and pick kernels
        calls = {name: lambda transcribe=transcribe: [transcribe(samples) for _, samples, _ in clips]
                 for name, transcribe in contenders.items()}
        medians, texts = interleaved_medians(calls, repeats, device, warm_up=False)
    return AsrResult(audio_seconds, {name: EngineResult(medians[name], medians[name] / audio_seconds,
                                                        word_error_rate(reference, " ".join(texts[name])))
                                     for name in calls})


def growth(recognizer, device: torch.device, lengths: list[float]) -> list[float]:
    """Seconds the studio's transcribe takes on `lengths` seconds of speech (long audio: 30 s windows)."""
    return [seconds(lambda length=length: recognizer.transcribe(speech_of_length(length), language="en"), device)[0]
            for length in lengths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lengths", default="5,15,30,60", help="seconds of audio for the growth rows")
    args = parser.parse_args()
    device = torch.device(args.device)
    registry = ModelRegistry(device)
    recognizer = registry.get(args.model)
    result = measure(recognizer, registry.spec(args.model).source, device, args.repeats)
    studio = result.engines["studio"]
    print(f"{args.model} on {device}, {len(english_clips())} clips, {result.audio_seconds:.1f} s of audio, "
          f"{args.repeats} rounds (median)\n")
    print("| engine | seconds | real-time factor | × studio time | WER |\n|---|---|---|---|---|")
    for name, engine in result.engines.items():
        print(f"| {name} | {engine.seconds:.2f} | {engine.rtf:.3f} | {engine.seconds / studio.seconds:.2f} | "
              f"{engine.wer:.1%} |")
    lengths = [float(length) for length in args.lengths.split(",")]
    print("\n| audio s | studio transcribe s | real-time factor |\n|---|---|---|")
    for length, taken in zip(lengths, growth(recognizer, device, lengths)):
        print(f"| {length:g} | {taken:.2f} | {taken / length:.3f} |")


if __name__ == "__main__":
    main()
