"""Live transcription through `models.speech.live.stream_file`: both policies against the same model on a file.

    python -m bench.streaming [--model whisper-tiny.en] [--clips N] [--no-long-talk] [--no-load] [--no-chinese]

`stream_file` replays a recording through the Speech tab's live code on a virtual clock
(models/speech/replay.py): a chunk every 0.25 s, decodes that take as long on the clock as they
really took, the microphone stopped 1 s after the speech ends. For each policy (live.POLICIES) it reports:
- accuracy: streaming WER against offline WER (`recognizer.transcribe`, the File tab, on the same
  audio), on the espeak-ng clips (assets/audio/en_*.wav) and on the natural-voice clips (natural_*.wav,
  piper), each clip alone and all clips of a voice as one talk with pauses;
- latency: first committed word (committed minus spoken, from Whisper's word timestamps on the whole
  file), final text on screen minus the end of speech (Silero VAD), committed words later changed;
- non-speech: words committed over 10 s of room-tone silence, of pink noise and of music (seeded);
- load: 4 streams at once in 4 threads on one model (the AlignAtt streams share its SharedDecoder,
  which batches decodes that fall due together), each stream's final latency against the same clip
  alone: the four paced in real time as live microphones are, and again back to back (a pessimistic figure);
  the single-stream clips again beside a bounded busy process on one core;
- Chinese: CER on assets/audio/zh_*.wav with whisper-base, and whether the output is Simplified.
Then a one-line verdict: the policy more accurate at comparable latency. Writes bench/out/streaming.json.
Timings are measured in one run on a shared machine: read them as that run's figures, never as bounds.
"""
import argparse
import difflib
import json
import os
import re
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import opencc
import torch

from bench.asr import recorded_clips
from models.errors import InputError
from models.metrics import word_error_rate, words_of
from models.registry import ModelRegistry
from models.speech.audio import SAMPLE_RATE
from models.speech.live import DEFAULT_POLICY, POLICIES, stream_file
from models.speech.streaming import LIVE_CHUNK_SECONDS
from models.speech.recognizer import Transcript
from models.speech.replay import Replay
from models.speech.shared_decoder import shared_decoder

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MODEL = "whisper-tiny.en"
CHINESE_MODEL = "whisper-base"
TALK_PAUSE_SECONDS = 1.0  # between the clips of the one-talk run: a speaker's pause between sentences
NON_SPEECH_SECONDS = 10.0
SEED = 17
ROOM_TONE_RMS = 0.002  # "silence" as a microphone records it: above check_speech's 1e-3 gate, far below speech
NOISE_RMS = 0.05  # pink noise, about -26 dBFS: a loud fan
MUSIC_PEAK = 0.3
CONCURRENT_STREAMS = 4
HOG_CORE = 0  # the busy process runs on this core only
HOG_MOST_SECONDS = 1800  # it ends by itself after this, whatever happens to the bench
# For the verdict, a policy's latency is comparable to the fastest one's if its median final latency is
# within this of it, or meets the goal anyway.
COMPARABLE_LATENCY_SECONDS = 0.5
FINAL_LATENCY_GOAL_SECONDS = 1.5
LOST_BELOW_RECALL = 0.5  # a sentence with fewer than half its words in the transcript counts as lost
# A sentence ends at . ? or ! before a capital, except after these titles.
SENTENCE_END = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bDr\.)(?<=[.?!])\s+(?=[A-Z])")


@dataclass(frozen=True)
class Clip:
    name: str
    samples: np.ndarray
    text: str  # the reference transcript
    sentences: tuple[str, ...] = ()  # a talk's clips' transcripts, in order


@dataclass(frozen=True)
class BenchOptions:
    clips: int | None = None  # clips per voice (None: all)
    long_talk: bool = True  # also all clips of a voice as one talk
    non_speech: bool = True
    under_load: bool = True  # 4 concurrent streams, and the CPU-hog run
    chinese: bool = True


@dataclass
class TalkResult:
    voice: str  # "espeak", "natural", "zh"
    talk: str
    policy: str
    audio_seconds: float
    reference_words: int  # words (characters for zh) in the reference
    error_rate: float  # streaming WER (CER for zh) against the reference
    offline_error_rate: float  # the same model's transcribe on the same audio
    first_word_latency_s: float | None
    final_latency_s: float
    committed_changed: int
    sentences_lost: int
    decodes: int
    mean_decode_s: float
    text: str
    offline_text: str


@dataclass
class NonSpeechResult:
    signal: str
    policy: str
    words_committed: int
    text: str
    decodes: int


@dataclass
class ConcurrentResult:
    policy: str
    streams: list[str]
    final_latency_s: list[float]  # each stream, run together
    alone_final_latency_s: list[float]  # the same clips, each alone, earlier in this run
    error_rate: list[float]
    batch_sizes: dict[int, int]  # rows per batched decode -> how many batches (AlignAtt's SharedDecoder)
    paced: bool  # each replay in real time, as a microphone sends (else back to back, as fast as the CPU goes)

    @property
    def worst_ratio(self) -> float:
        """The largest final latency together over the same clip's alone. A final latency alone can be 0 or below
        (the last words were on screen before Silero's end of speech, which trails the voice): the ratio's
        denominator is at least one microphone chunk, the soonest the tab can show anything."""
        return max(together / max(alone, LIVE_CHUNK_SECONDS) for together, alone in zip(self.final_latency_s,
                                                                                       self.alone_final_latency_s))


@dataclass
class StreamingBench:
    model: str
    talks: list[TalkResult] = field(default_factory=list)  # voice "espeak" / "natural" / "zh"
    hog_talks: list[TalkResult] = field(default_factory=list)  # natural voice beside a CPU hog
    non_speech: list[NonSpeechResult] = field(default_factory=list)
    concurrent: list[ConcurrentResult] = field(default_factory=list)
    zh_script: dict[str, str] = field(default_factory=dict)  # policy -> "Simplified" or the Traditional characters
    digital_silence: str = ""  # what stream_file does with all-zero audio


# ---- clips and signals

def espeak_clips() -> list[Clip]:
    return [Clip(name, samples, text) for name, samples, text in recorded_clips("en_", "en")]


def natural_clips() -> list[Clip]:
    """Natural-voice clips (piper's joe voice, assets/make_natural_audio.py)."""
    return [Clip(name, samples, text) for name, samples, text in recorded_clips("natural_", "en")]


def chinese_clips() -> list[Clip]:
    return [Clip(name, samples, text) for name, samples, text in recorded_clips("zh_", "zh")]


def as_talk(clips: list[Clip]) -> Clip:
    """All clips one after the other with TALK_PAUSE_SECONDS between them: prompting, phrase ends, trimming."""
    pause = np.zeros(int(TALK_PAUSE_SECONDS * SAMPLE_RATE), np.float32)
    samples = np.concatenate([part for clip in clips for part in (clip.samples, pause)][:-1])
    return Clip("all clips, one talk", samples, " ".join(clip.text for clip in clips),
                tuple(sentence for clip in clips for sentence in sentences_of(clip)))


def sentences_of(clip: Clip) -> tuple[str, ...]:
    return clip.sentences or tuple(SENTENCE_END.split(clip.text))


def non_speech_signals(seconds: float = NON_SPEECH_SECONDS, seed: int = SEED) -> dict[str, np.ndarray]:
    """Room-tone silence, pink noise and music (a melody over chords), seeded, float32 at 16 kHz."""
    generator = np.random.default_rng(seed)
    count = int(seconds * SAMPLE_RATE)
    room = generator.standard_normal(count) * ROOM_TONE_RMS
    spectrum = np.fft.rfft(generator.standard_normal(count))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(count, 1 / SAMPLE_RATE), 20.0))  # 1/f power
    pink = np.fft.irfft(spectrum, count)
    pink *= NOISE_RMS / np.sqrt(np.mean(pink ** 2))
    return {"silence (room tone)": room.astype(np.float32), "pink noise": pink.astype(np.float32),
            "music": music(seconds, generator)}


def music(seconds: float, generator: np.random.Generator) -> np.ndarray:
    """A random C-major melody (0.25–0.5 s notes, with harmonics) over a I–vi–IV–V chord loop, 2 s per chord."""
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]  # MIDI notes
    chords = [(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50)]
    count = int(seconds * SAMPLE_RATE)
    out = np.zeros(count)

    def add(note: int, start: int, length: int, loudness: float) -> None:
        t = np.arange(min(length, count - start)) / SAMPLE_RATE
        pitch = 440.0 * 2 ** ((note - 69) / 12)
        tone = sum(np.sin(2 * np.pi * pitch * k * t) / k ** 1.5 for k in (1, 2, 3, 4))
        envelope = np.minimum(1.0, t / 0.01) * np.exp(-3.0 * t)
        out[start:start + t.size] += loudness * tone * envelope

    chord_samples = 2 * SAMPLE_RATE
    for index, start in enumerate(range(0, count, chord_samples)):
        for note in chords[index % len(chords)]:
            add(note, start, chord_samples, 0.25)
    start = 0
    while start < count:
        length = int(generator.choice([0.25, 0.25, 0.5]) * SAMPLE_RATE)
        add(int(generator.choice(scale)), start, length, 0.5)
        start += length
    return (out * MUSIC_PEAK / np.abs(out).max()).astype(np.float32)


# ---- scores

def character_error_rate(reference: str, hypothesis: str) -> float:
    """Character edit distance / reference characters, punctuation and spaces ignored (for Chinese)."""
    def spaced(text: str) -> str:
        return " ".join("".join(words_of(text)))
    return word_error_rate(spaced(reference), spaced(hypothesis))


def error_rate(voice: str, reference: str, hypothesis: str) -> float:
    return character_error_rate(reference, hypothesis) if voice == "zh" else word_error_rate(reference, hypothesis)


def reference_units(voice: str, reference: str) -> int:
    return len("".join(words_of(reference))) if voice == "zh" else len(words_of(reference))


def sentences_lost(sentences: tuple[str, ...], hypothesis: str) -> int:
    """Sentences of which fewer than LOST_BELOW_RECALL of the words are in the hypothesis, in order."""
    reference = [(index, word) for index, sentence in enumerate(sentences) for word in words_of(sentence)]
    matcher = difflib.SequenceMatcher(a=[word for _, word in reference], b=words_of(hypothesis), autojunk=False)
    found = [0] * len(sentences)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            found[reference[block.a + offset][0]] += 1
    return sum(hits < LOST_BELOW_RECALL * len(words_of(sentence)) for hits, sentence in zip(found, sentences))


def pooled(results: list[TalkResult], attribute: str) -> float:
    """An error rate over several talks: their errors over their reference words."""
    words = sum(r.reference_words for r in results)
    return sum(getattr(r, attribute) * r.reference_words for r in results) / max(words, 1)


def traditional_characters(text: str) -> str:
    """The characters of `text` that opencc's t2s would change (Traditional forms), in order, once each."""
    simplified = opencc.OpenCC("t2s").convert(text)
    return "".join(dict.fromkeys(a for a, b in zip(text, simplified) if a != b))


# ---- runs

def measure_talk(recognizer, voice: str, clip: Clip, policy: str, offline: Transcript,
                 language: str | None) -> TalkResult:
    replay: Replay = stream_file(recognizer, clip.samples, language, policy, offline=offline)
    offline_text = offline.text
    decodes = replay.decode_seconds
    return TalkResult(voice, clip.name, policy, round(len(clip.samples) / SAMPLE_RATE, 2),
                      reference_units(voice, clip.text), error_rate(voice, clip.text, replay.text),
                      error_rate(voice, clip.text, offline_text), replay.first_word_latency, replay.final_latency,
                      replay.committed_changed, sentences_lost(sentences_of(clip), replay.text) if voice != "zh" else 0,
                      len(decodes), statistics.fmean(decodes) if decodes else 0.0, replay.text, offline_text)


def measure_voice(recognizer, voice: str, clips: list[Clip], policies: tuple[str, ...],
                  language: str | None) -> list[TalkResult]:
    offline = {clip.name: recognizer.transcribe(clip.samples, language=language, word_timestamps=True)
               for clip in clips}
    return [measure_talk(recognizer, voice, clip, policy, offline[clip.name], language)
            for clip in clips for policy in policies]


def measure_non_speech(recognizer, policy: str) -> list[NonSpeechResult]:
    results = []
    for signal, samples in non_speech_signals().items():
        replay = stream_file(recognizer, samples, "en", policy)
        results.append(NonSpeechResult(signal, policy, len(words_of(replay.text)), replay.text,
                                       len(replay.decode_seconds)))
    return results


def digital_silence(recognizer) -> str:
    try:
        replay = stream_file(recognizer, np.zeros(int(NON_SPEECH_SECONDS * SAMPLE_RATE), np.float32), "en")
    except InputError as refused:
        return f"refused ({refused.key})"
    return f"{len(words_of(replay.text))} words"


def measure_concurrent(recognizer, clips: list[Clip], policy: str, alone: dict[str, TalkResult],
                       paced: bool) -> ConcurrentResult:
    """CONCURRENT_STREAMS stream_file calls at once in as many threads, on one model. `paced`: each in real
    time, as live microphones send (the goal's case: a stream idles between its chunks). Else as fast as the CPU
    lets them (a stream never idles for its next chunk), so they contend more than live streams would: a
    pessimistic figure."""
    streams = [clips[index % len(clips)] for index in range(CONCURRENT_STREAMS)]
    offline = {clip.name: recognizer.transcribe(clip.samples, language="en", word_timestamps=True) for clip in clips}
    decoder = shared_decoder(recognizer)
    before = len(decoder.batch_sizes)
    with ThreadPoolExecutor(CONCURRENT_STREAMS) as pool:
        replays = list(pool.map(lambda clip: stream_file(recognizer, clip.samples, "en", policy,
                                                         offline=offline[clip.name], paced=paced), streams))
    batches = decoder.batch_sizes[before:]
    return ConcurrentResult(policy, [clip.name for clip in streams], [r.final_latency for r in replays],
                            [alone[clip.name].final_latency_s for clip in streams],
                            [word_error_rate(clip.text, r.text) for clip, r in zip(streams, replays)],
                            {size: batches.count(size) for size in sorted(set(batches))}, paced)


HOG_LOOP = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def cpu_hog(core: int = HOG_CORE, most_seconds: float = HOG_MOST_SECONDS):
    """A busy process pinned to one core for the block (it stops by itself after `most_seconds`)."""
    hog = subprocess.Popen([sys.executable, "-c", HOG_LOOP, str(most_seconds)],
                           preexec_fn=lambda: os.sched_setaffinity(0, {core}))
    try:
        yield hog.pid
    finally:
        hog.terminate()
        hog.wait()


def measure(registry: ModelRegistry, options: BenchOptions = BenchOptions(), model: str = MODEL) -> StreamingBench:
    recognizer = registry.get(model)
    recognizer.transcribe(espeak_clips()[0].samples, language="en")  # warm-up: first calls pick kernels
    bench = StreamingBench(model)
    voices = {"espeak": espeak_clips()[:options.clips], "natural": natural_clips()[:options.clips]}
    for voice, clips in voices.items():
        talks = clips + ([as_talk(clips)] if options.long_talk and len(clips) > 1 else [])
        bench.talks += measure_voice(recognizer, voice, talks, POLICIES, "en")
    if options.non_speech:
        bench.digital_silence = digital_silence(recognizer)
        for policy in POLICIES:
            bench.non_speech += measure_non_speech(recognizer, policy)
    if options.under_load:
        natural = voices["natural"]
        for policy in POLICIES:
            alone = {r.talk: r for r in bench.talks if r.voice == "natural" and r.policy == policy}
            bench.concurrent += [measure_concurrent(recognizer, natural, policy, alone, paced)
                                 for paced in (True, False)]
        talks = natural + ([as_talk(natural)] if options.long_talk and len(natural) > 1 else [])
        with cpu_hog():
            bench.hog_talks = measure_voice(recognizer, "natural", talks, POLICIES, "en")
    if options.chinese:
        chinese = registry.get(CHINESE_MODEL)
        zh = measure_voice(chinese, "zh", chinese_clips(), POLICIES, "zh")
        bench.talks += zh
        for policy in POLICIES:
            shown = "".join(r.text for r in zh if r.policy == policy)
            bench.zh_script[policy] = (f"Traditional: {traditional_characters(shown)}"
                                       if traditional_characters(shown) else "Simplified")
        offline = "".join(dict.fromkeys(r.offline_text for r in zh))
        bench.zh_script["offline"] = (f"Traditional: {traditional_characters(offline)}"
                                      if traditional_characters(offline) else "Simplified")
    return bench


# ---- figures

def single_clips(results: list[TalkResult], voice: str, policy: str) -> list[TalkResult]:
    return [r for r in results if r.voice == voice and r.policy == policy and r.talk != "all clips, one talk"]


def one_talk(results: list[TalkResult], voice: str, policy: str) -> TalkResult | None:
    return next((r for r in results if r.voice == voice and r.policy == policy and r.talk == "all clips, one talk"),
                None)


def unit(voice: str) -> str:
    return "cer" if voice == "zh" else "wer"


def policy_summary(results: list[TalkResult], policy: str) -> dict[str, float]:
    """Per voice: pooled streaming and offline error over the clips alone, their difference (points over
    offline), the one talk's; latencies over every English talk (median, and worst)."""
    summary = {}
    for voice in ("espeak", "natural", "zh"):
        clips = single_clips(results, voice, policy)
        if not clips:
            continue
        key = f"{voice}_{unit(voice)}"
        summary[key] = pooled(clips, "error_rate")
        summary[f"{voice}_offline_{unit(voice)}"] = pooled(clips, "offline_error_rate")
        summary[f"{key}_over_offline"] = summary[key] - summary[f"{voice}_offline_{unit(voice)}"]
        talk = one_talk(results, voice, policy)
        if talk:
            summary[f"{voice}_talk_{unit(voice)}"] = talk.error_rate
            summary[f"{voice}_talk_offline_{unit(voice)}"] = talk.offline_error_rate
    english = [r for r in results if r.policy == policy and r.voice != "zh"]
    firsts = [r.first_word_latency_s for r in english if r.first_word_latency_s is not None]
    finals = [r.final_latency_s for r in english]
    if english:
        summary |= {"first_word_s": statistics.median(firsts) if firsts else float("nan"),
                    "first_word_worst_s": max(firsts) if firsts else float("nan"),
                    "final_s": statistics.median(finals), "final_worst_s": max(finals),
                    "committed_changed": sum(r.committed_changed for r in english),
                    "sentences_lost": sum(r.sentences_lost for r in english)}
    return summary


def better_policy(bench: StreamingBench) -> tuple[str, str]:
    """(policy, a one-line verdict): the lowest English streaming WER (pooled over both voices, clips alone
    and the talks) among the policies of comparable latency (COMPARABLE_LATENCY_SECONDS)."""
    english = {policy: [r for r in bench.talks if r.policy == policy and r.voice != "zh"] for policy in POLICIES}
    summaries = {policy: policy_summary(bench.talks, policy) for policy in POLICIES}
    error = {policy: pooled(english[policy], "error_rate") for policy in POLICIES}
    fastest = min(summary["final_s"] for summary in summaries.values())
    bound = max(fastest + COMPARABLE_LATENCY_SECONDS, FINAL_LATENCY_GOAL_SECONDS)
    comparable = [p for p in POLICIES if summaries[p]["final_s"] <= bound]
    best = min(comparable, key=lambda p: error[p])
    figures = "; ".join(f"{p}: WER {error[p]:.1%}, first word {summaries[p]['first_word_s']:.2f} s, "
                        f"final {summaries[p]['final_s']:.2f} s" for p in POLICIES)
    more_accurate = min(POLICIES, key=lambda p: error[p])
    why = ("more accurate at comparable latency" if more_accurate == best else
           f"{more_accurate} is more accurate but its final text comes "
           f"{summaries[more_accurate]['final_s'] - fastest:.2f} s later, past {bound:.2f} s")
    agrees = "agrees with" if best == DEFAULT_POLICY else "differs from"
    return best, (f"Verdict: default {best} ({why}). {figures} (English talks pooled, latencies median); "
                  f"{agrees} live.DEFAULT_POLICY = {DEFAULT_POLICY!r}.")


def slug(policy: str) -> str:
    return policy.replace("-", "_")


def values(bench: StreamingBench) -> dict[str, float]:
    """The flat keys of results.json: stream_<policy>_<figure>. The asr_* keys (named as in earlier runs) are
    the default policy's."""
    flat = {}
    for policy in POLICIES:
        prefix = f"stream_{slug(policy)}_"
        flat |= {prefix + key: value for key, value in policy_summary(bench.talks, policy).items()}
        words = [r.words_committed for r in bench.non_speech if r.policy == policy]
        if words:
            flat[prefix + "non_speech_words"] = sum(words)
        for run in bench.concurrent:
            if run.policy == policy:
                kind = "concurrent_live_" if run.paced else "concurrent_"
                flat[prefix + kind + "final_ratio"] = run.worst_ratio
                flat[prefix + kind + "final_s"] = max(run.final_latency_s)
        hog = policy_summary(bench.hog_talks, policy)
        for key in ("natural_wer", "natural_wer_over_offline", "natural_talk_wer", "final_s", "final_worst_s",
                    "sentences_lost"):
            if key in hog:
                flat[prefix + "hog_" + key] = hog[key]
    default = policy_summary(bench.talks, DEFAULT_POLICY)
    earlier_names = {"asr_first_word_s": "first_word_s", "asr_final_after_end_s": "final_s",
                     "asr_committed_words_changed": "committed_changed", "asr_streaming_wer": "espeak_wer"}
    return flat | {old: default[new] for old, new in earlier_names.items() if new in default}


def percent(value: float) -> str:
    return f"{value:.1%}"


def seconds_or_dash(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def tables(bench: StreamingBench) -> str:
    lines = [f"### Talks ({bench.model} for English, {CHINESE_MODEL} for Chinese; WER, CER for zh)", "",
             "| voice | talk | policy | audio s | streaming | offline | first word s | final s | committed changed "
             "| sentences lost | decodes | mean decode s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in bench.talks:
        lines.append(f"| {r.voice} | {r.talk} | {r.policy} | {r.audio_seconds:.1f} | {percent(r.error_rate)} "
                     f"| {percent(r.offline_error_rate)} | {seconds_or_dash(r.first_word_latency_s)} "
                     f"| {r.final_latency_s:.2f} | {r.committed_changed} | {r.sentences_lost} | {r.decodes} "
                     f"| {r.mean_decode_s:.2f} |")
    lines += ["", "### Per policy (clips alone pooled; the one talk apart; latencies over the English talks)", "",
              "| policy | espeak streaming / offline | espeak talk | natural streaming / offline | natural talk "
              "| zh CER streaming / offline | first word s (median, worst) | final s (median, worst) "
              "| committed changed |", "|---|---|---|---|---|---|---|---|---|"]
    for policy in POLICIES:
        s = policy_summary(bench.talks, policy)

        def pair(voice: str, talk: bool = False) -> str:
            key = f"{voice}_talk" if talk else voice
            if f"{key}_{unit(voice)}" not in s:
                return "–"
            return f"{percent(s[f'{key}_{unit(voice)}'])} / {percent(s[f'{key}_offline_{unit(voice)}'])}"
        lines.append(f"| {policy} | {pair('espeak')} | {pair('espeak', True)} | {pair('natural')} "
                     f"| {pair('natural', True)} | {pair('zh')} | {s['first_word_s']:.2f}, {s['first_word_worst_s']:.2f} "
                     f"| {s['final_s']:.2f}, {s['final_worst_s']:.2f} | {s['committed_changed']} |")
    if bench.non_speech:
        lines += ["", f"### Non-speech, {NON_SPEECH_SECONDS:g} s each (all-zero audio: stream_file "
                  f"{bench.digital_silence})", "", "| signal | policy | words committed | decodes | text |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r.signal} | {r.policy} | {r.words_committed} | {r.decodes} | {r.text!r} |"
                  for r in bench.non_speech]
    if bench.concurrent:
        lines += ["", f"### {CONCURRENT_STREAMS} concurrent streams on one model (natural clips) vs each alone", "",
                  "| policy | streams | final s together | final s alone | worst ratio | WER together | batched decodes "
                  "(rows: count) |", "|---|---|---|---|---|---|---|"]
        for run in bench.concurrent:
            batches = ", ".join(f"{size}: {count}" for size, count in run.batch_sizes.items()) or "– (no SharedDecoder)"
            lines.append(f"| {run.policy} | {'live (real time)' if run.paced else 'back to back'} "
                         f"| {', '.join(f'{v:.2f}' for v in run.final_latency_s)} "
                         f"| {', '.join(f'{v:.2f}' for v in run.alone_final_latency_s)} | {run.worst_ratio:.2f} "
                         f"| {', '.join(percent(v) for v in run.error_rate)} | {batches} |")
    if bench.hog_talks:
        lines += ["", "### Beside a busy process on one core (natural clips)", "",
                  "| talk | policy | streaming WER | offline WER | first word s | final s | sentences lost |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r.talk} | {r.policy} | {percent(r.error_rate)} | {percent(r.offline_error_rate)} "
                  f"| {seconds_or_dash(r.first_word_latency_s)} | {r.final_latency_s:.2f} | {r.sentences_lost} |"
                  for r in bench.hog_talks]
    if bench.zh_script:
        lines += ["", "Chinese output script: " + "; ".join(f"{k}: {v}" for k, v in bench.zh_script.items())]
    lines += ["", better_policy(bench)[1]]
    return "\n".join(lines)


def details(bench: StreamingBench) -> dict:
    """Every row, the flat values and the verdict, as JSON-ready data."""
    found = asdict(bench)
    found["concurrent"] = [asdict(run) | {"worst_ratio": run.worst_ratio} for run in bench.concurrent]
    return found | {"values": values(bench), "verdict": better_policy(bench)[1]}


def write(bench: StreamingBench, out: Path = OUT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "streaming.json"
    path.write_text(json.dumps(details(bench), indent=1, ensure_ascii=False) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--clips", type=int, default=None, help="clips per voice (default all)")
    parser.add_argument("--no-long-talk", action="store_true")
    parser.add_argument("--no-non-speech", action="store_true")
    parser.add_argument("--no-load", action="store_true", help="skip the concurrent and CPU-hog runs")
    parser.add_argument("--no-chinese", action="store_true")
    args = parser.parse_args()
    options = BenchOptions(args.clips, not args.no_long_talk, not args.no_non_speech, not args.no_load,
                           not args.no_chinese)
    bench = measure(ModelRegistry(torch.device("cpu")), options, args.model)
    print(tables(bench))
    print(f"\n(details: {write(bench).relative_to(ROOT)})")


if __name__ == "__main__":
    main()
