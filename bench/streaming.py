"""Live transcription latency: feed clips in real time (the Speech tab's chunks) through the studio's streaming code.

    python -m bench.streaming [--model whisper-tiny.en] [--chunk 0.25]

A virtual clock plays the microphone: chunk i is available at (i + 1) × chunk seconds; decodes run
beside the incoming audio as in the Speech tab (see stream_in_real_time). Word times in the audio come from Whisper's own token timestamps on the
whole clip (cross-attention alignment heads). Reports, per talk:
- first partial: when the first word (tentative or committed) is on screen, minus speech onset (goal ≤ 1.0 s);
- first-word latency: when the first word is committed, minus when it ended in the audio;
- final latency: when the final text is on screen, minus the end of speech (the last loud 10 ms frame:
  the silence a clip ends with counts against it) (goal ≤ 1.5 s);
- flicker: shown words later changed (committed words: by design 0; tentative words counted too);
- WER of the final text.
"""
import argparse
import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from bench.asr import PAUSE_SECONDS, english_clips
from models.metrics import word_error_rate, words_of
from models.registry import ModelRegistry
from models.speech.audio import FRAME_SECONDS, SAMPLE_RATE, loud_frames
from models.speech.streaming import LIVE_CHUNK_SECONDS, StreamingOptions, StreamingTranscriber, whisper_decoder

ROOT = Path(__file__).resolve().parent.parent
# The microphone is stopped this long after the speech ends (someone clicks stop after the last word).
STOP_AFTER_SPEECH_SECONDS = 1.0


@dataclass
class TalkResult:
    talk: str
    audio_seconds: float
    first_partial_s: float
    first_word_latency_s: float
    mean_commit_latency_s: float
    final_latency_s: float
    tentative_words_shown: int
    tentative_words_changed: int
    committed_words_changed: int
    wer: float
    updates: int
    mean_update_s: float


def english_talks(clip_count: int | None = None, long_talk: bool = True) -> list[tuple[str, np.ndarray, str]]:
    """The first `clip_count` English clips alone, and (long_talk) all of them as one talk with pauses,
    which exercises prompting and trimming."""
    clips = english_clips()
    pause = np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), np.float32)
    talk = np.concatenate([part for _, samples, _ in clips for part in (samples, pause)])
    whole = [("all clips, one talk", talk, " ".join(text for _, _, text in clips))] if long_talk else []
    return clips[:clip_count] + whole


def speech_frames(samples: np.ndarray) -> np.ndarray:
    """Indices of the 10 ms frames as loud as the live path's speech gate."""
    return np.flatnonzero(loud_frames(samples, StreamingOptions().silence_rms))


def speech_onset(samples: np.ndarray) -> float:
    """Seconds to the first loud 10 ms frame."""
    loud = speech_frames(samples)
    return float(loud[0]) * FRAME_SECONDS if loud.size else 0.0


def speech_end(samples: np.ndarray) -> float:
    """Seconds to the end of the last loud 10 ms frame."""
    loud = speech_frames(samples)
    return float(loud[-1] + 1) * FRAME_SECONDS if loud.size else len(samples) / SAMPLE_RATE


def word_end_times(recognizer, samples: np.ndarray) -> list[float]:
    """When each word of the offline transcript ends in the audio, from Whisper's token timestamps."""
    ends = []
    for start in range(0, len(samples), 25 * SAMPLE_RATE):
        window = samples[start:start + 25 * SAMPLE_RATE]
        features = recognizer.processor.feature_extractor(window, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        output = recognizer.model.generate(features.input_features, return_token_timestamps=True,
                                           return_dict_in_generate=True)
        ids, times = output["sequences"][0].tolist(), output["token_timestamps"][0].tolist()
        ids = ids[-len(times):]
        word_starts = [t for token_id, t in zip(ids, times)
                       if token_id < recognizer.end_of_text and recognizer.tokenizer.decode([token_id]).startswith(" ")]
        offset = start / SAMPLE_RATE
        ends += [offset + t for t in word_starts[1:]] + [offset + len(window) / SAMPLE_RATE]
    return ends


def stream_in_real_time(recognizer, samples: np.ndarray, chunk_seconds: float):
    """Replay the Speech tab's live path on a virtual clock: chunk i arrives at (i + 1) × chunk seconds and
    only adds audio, also while a decode runs (so a decode can be abandoned, as in the tab); a decode starts
    on a chunk's arrival when none is running, and again as soon as it ends if audio arrived meanwhile
    (update_in_background); the latest finished result reaches the screen with the next chunk; the
    microphone stops STOP_AFTER_SPEECH_SECONDS after the speech ends, padding the clip with silence if need
    be. Returns (screen timeline, decode durations)."""
    stop = speech_end(samples) + STOP_AFTER_SPEECH_SECONDS
    samples = np.concatenate([samples, np.zeros(max(0, int(stop * SAMPLE_RATE) - len(samples)), np.float32)])
    chunk = int(chunk_seconds * SAMPLE_RATE)
    arrivals = [min(index + chunk, len(samples)) / SAMPLE_RATE for index in range(0, len(samples), chunk)]
    busy_until, finished, timeline, durations = 0.0, [], [], []
    arrived = 0  # chunks fed so far
    decode_began = [0.0, 0.0]  # (virtual, real) time the running decode started

    def arrive_until(now: float) -> None:
        nonlocal arrived
        while arrived < len(arrivals) and arrivals[arrived] <= now:
            stream.add_audio(samples[arrived * chunk:(arrived + 1) * chunk])
            ready = [update for done, update in finished if done <= arrivals[arrived]]
            if ready and (not timeline or timeline[-1][3] is not ready[-1]):
                timeline.append((arrivals[arrived], ready[-1].committed, ready[-1].tentative, ready[-1]))
            arrived += 1

    whisper = whisper_decoder(recognizer, "en")

    def decode(audio: np.ndarray, prompt: str, abandon):
        def chunks_then_abandon() -> bool:  # asked after each token: the microphone keeps sending meanwhile
            arrive_until(decode_began[0] + time.perf_counter() - decode_began[1])
            return abandon()
        return whisper(audio, prompt, chunks_then_abandon)

    stream = StreamingTranscriber(decode)
    while arrived < len(arrivals):
        arrive_until(arrivals[arrived])
        start = arrivals[arrived - 1]
        while start >= busy_until:
            decode_began[:] = [start, time.perf_counter()]
            update = stream.update()
            if update.committed_at_pause:  # no decode: on screen with the next chunk
                finished.append((start, update))
            if not update.decoded:
                break
            durations.append(time.perf_counter() - decode_began[1])
            busy_until = start + durations[-1]
            finished.append((busy_until, update))
            arrive_until(busy_until)
            start = busy_until
    clock = time.perf_counter()
    final = stream.finish()
    done = max(len(samples) / SAMPLE_RATE, busy_until) + (time.perf_counter() - clock)
    timeline = [(at, committed, tentative) for at, committed, tentative, _ in timeline]
    timeline.append((done, final.committed, ""))
    return timeline, durations


def measure(recognizer, name: str, samples: np.ndarray, reference: str, chunk_seconds: float) -> TalkResult:
    timeline, durations = stream_in_real_time(recognizer, samples, chunk_seconds)
    final_words = words_of(timeline[-1][1])
    final_shown = next(clock for clock, committed, _ in timeline if committed == timeline[-1][1])
    final_latency = final_shown - speech_end(samples)
    ends = word_end_times(recognizer, samples)
    commit_times = {}
    for clock, committed, _ in timeline:
        for index in range(len(words_of(committed))):
            commit_times.setdefault(index, clock)
    latencies = [commit_times[i] - ends[i] for i in range(min(len(ends), len(final_words))) if i in commit_times]
    first_shown = next((clock for clock, committed, tentative in timeline if words_of(committed + " " + tentative)),
                       float("nan"))
    tentative_shown = tentative_changed = committed_changed = 0
    for _, committed, tentative in timeline:
        shown_committed, shown_tentative = words_of(committed), words_of(tentative)
        committed_changed += sum(a != b for a, b in zip(shown_committed, final_words))
        for offset, word in enumerate(shown_tentative, start=len(shown_committed)):
            tentative_shown += 1
            tentative_changed += offset >= len(final_words) or final_words[offset] != word
    return TalkResult(name, len(samples) / SAMPLE_RATE, first_shown - speech_onset(samples),
                      latencies[0] if latencies else float("nan"),
                      statistics.mean(latencies) if latencies else float("nan"), final_latency, tentative_shown,
                      tentative_changed, committed_changed, word_error_rate(reference, timeline[-1][1]),
                      len(durations), statistics.mean(durations) if durations else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--chunk", type=float, default=LIVE_CHUNK_SECONDS)
    args = parser.parse_args()
    recognizer = ModelRegistry(torch.device("cpu")).get(args.model)
    results = [measure(recognizer, name, samples, text, args.chunk) for name, samples, text in english_talks()]
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "streaming.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    print(f"| talk ({args.model}, {args.chunk} s chunks) | audio s | first partial s | first word s | mean commit s "
          "| final s | tentative changed | committed changed | WER | mean update s |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r.talk} | {r.audio_seconds:.1f} | {r.first_partial_s:.2f} | {r.first_word_latency_s:.2f} "
              f"| {r.mean_commit_latency_s:.2f} "
              f"| {r.final_latency_s:.2f} | {r.tentative_words_changed}/{r.tentative_words_shown} "
              f"| {r.committed_words_changed} | {r.wer:.0%} | {r.mean_update_s:.2f} |")


if __name__ == "__main__":
    main()
