"""Replay a recording through the live path on a virtual clock: what a listener would have seen, and when.

`stream_file` plays the file as the browser's microphone does (a chunk every `chunk_seconds`) into the
same transcriber the Speech tab runs, with the same policy. Time is virtual but honest: a chunk
arrives at (i + 1) × chunk_seconds; a decode starts when a chunk arrives and none is running, takes as
long on the clock as it really took, and chunks keep arriving while it runs; its result reaches the
screen when it ends. So the figures model a real session on this machine without waiting in real
time; `paced` waits anyway, so that streams replayed side by side contend for the CPU as live ones do (each idle
between its chunks), not back to back. Each word is stamped with when it was spoken (the end of the word, from Whisper's own word
timestamps on the whole file) and when it was committed.
"""
import difflib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, TypeVar

import numpy as np

from models.metrics import words_of
from models.speech.audio import SAMPLE_RATE
from models.speech.vad import WINDOW_SECONDS, speech_flags

STOP_AFTER_SPEECH_SECONDS = 1.0  # the microphone is stopped this long after the last word

T = TypeVar("T")


class LiveTranscriber(Protocol):
    def add_audio(self, chunk: np.ndarray) -> None: ...
    def update(self, wait: bool = True): ...
    def finish(self): ...


@dataclass(frozen=True)
class ReplayWord:
    text: str  # lower case, without punctuation: the unit WER counts
    spoken_at: float | None  # seconds into the file where the word ends (None: not in the offline words)
    committed_at: float  # virtual clock when it was committed

    @property
    def lag(self) -> float | None:
        return None if self.spoken_at is None else round(self.committed_at - self.spoken_at, 2)


@dataclass
class Replay:
    text: str
    words: list[ReplayWord]
    first_word_latency: float | None  # first committed word: committed minus spoken
    final_latency: float  # final text on screen minus the end of speech
    speech_end: float
    decode_seconds: list[float] = field(default_factory=list)
    committed_changed: int = 0  # committed words that later changed (0 by design)
    timeline: list[tuple[float, str, str]] = field(default_factory=list)  # (clock, committed, tentative) shown


def in_new_thread(call: Callable[[], T]) -> T:
    """`call()` on a thread of its own, as the Speech tab runs each decode (update_in_background). A long-lived thread
    whose OpenMP team had gone idle decoded 3-10x slower on this 2-core machine under load (0.45 s -> 1.4-10 s for a
    3 s buffer once the window batcher's thread had ended; new threads kept 0.45 s), so a replay on the caller's
    thread would have timed decodes the tab never sees."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as error:  # handed to the caller's thread
            errors.append(error)

    thread = threading.Thread(target=run, name="replay-decode")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def speech_end_seconds(samples: np.ndarray) -> float:
    """Where the last speech ends (Silero VAD), or the end of the file if it has none."""
    flags = speech_flags(samples)
    return (np.flatnonzero(flags)[-1] + 1) * WINDOW_SECONDS if flags.any() else len(samples) / SAMPLE_RATE


def replay(make_stream: Callable[[Callable[[], float], Callable[[], None]], LiveTranscriber], samples: np.ndarray,
           chunk_seconds: float, word_ends: list[tuple[str, float]], paced: bool = False) -> Replay:
    """`make_stream(clock, chunks_due)`: a transcriber whose words are stamped by `clock` and whose decoder may
    call `chunks_due()` between tokens to let the chunks that arrived meanwhile in (as in the tab).
    `word_ends`: the offline transcript's words with the time each ends. `paced`: the virtual clock never runs
    ahead of the real one (a decode waits in real time for the chunk it starts on)."""
    end_of_speech = speech_end_seconds(samples)
    stop = end_of_speech + STOP_AFTER_SPEECH_SECONDS
    samples = np.concatenate([samples, np.zeros(max(0, int(stop * SAMPLE_RATE) - len(samples)), np.float32)])
    chunk = int(chunk_seconds * SAMPLE_RATE)
    arrivals = [min(index + chunk, len(samples)) / SAMPLE_RATE for index in range(0, len(samples), chunk)]
    arrived = 0
    decode_began = [0.0, 0.0]  # (virtual, real) start of the running decode
    timeline: list[tuple[float, str, str]] = []

    def now() -> float:
        return decode_began[0] + time.perf_counter() - decode_began[1]

    def arrive_until(clock: float) -> None:
        nonlocal arrived
        while arrived < len(arrivals) and arrivals[arrived] <= clock:
            stream.add_audio(samples[arrived * chunk:(arrived + 1) * chunk])
            arrived += 1

    def wait_for(clock: float) -> None:
        if paced:
            time.sleep(max(0.0, began + clock - time.perf_counter()))

    stream = make_stream(now, lambda: arrive_until(now()))
    busy_until, durations, began = 0.0, [], time.perf_counter()
    while arrived < len(arrivals):
        wait_for(arrivals[arrived])
        arrive_until(arrivals[arrived])
        start = max(arrivals[arrived - 1], busy_until)
        decode_began[:] = [start, time.perf_counter()]
        update = in_new_thread(stream.update)
        if not update.decoded:
            if getattr(update, "committed_at_pause", False):
                timeline.append((start, update.committed, update.tentative))
            continue
        durations.append(time.perf_counter() - decode_began[1])
        busy_until = start + durations[-1]
        timeline.append((busy_until, update.committed, update.tentative))
        arrive_until(busy_until)
    wait_for(max(arrivals[-1], busy_until))
    decode_began[:] = [max(arrivals[-1], busy_until), time.perf_counter()]
    final = in_new_thread(stream.finish)
    timeline.append((now(), final.committed, ""))
    return _scored(final.committed, timeline, durations, end_of_speech, word_ends)


def _scored(text: str, timeline: list[tuple[float, str, str]], durations: list[float], end_of_speech: float,
            word_ends: list[tuple[str, float]]) -> Replay:
    final_words = words_of(text)
    committed_at: dict[int, float] = {}
    changed = 0
    for clock, committed, _ in timeline:
        shown = words_of(committed)
        changed += sum(a != b for a, b in zip(shown, final_words))
        for index in range(len(shown)):
            committed_at.setdefault(index, clock)
    reference = [(word, end) for raw, end in word_ends for word in words_of(raw)]
    spoken = _align([word for word, _ in reference], final_words)
    words = [ReplayWord(word, reference[spoken[index]][1] if index in spoken else None,
                        round(committed_at.get(index, timeline[-1][0]), 2))
             for index, word in enumerate(final_words)]
    first = next((word.lag for word in words if word.lag is not None), None)
    final_shown = next(clock for clock, committed, _ in timeline if committed == text)
    return Replay(text, words, first, round(final_shown - end_of_speech, 2), round(end_of_speech, 2), durations,
                  changed, timeline)


def _align(reference: list[str], hypothesis: list[str]) -> dict[int, int]:
    """hypothesis word index -> reference word index, for the words the two share in order."""
    matcher = difflib.SequenceMatcher(a=reference, b=hypothesis, autojunk=False)
    return {block.b + offset: block.a + offset for block in matcher.get_matching_blocks() for offset in range(block.size)}
