"""Live transcription policy: LocalAgreement-n over a rolling audio buffer (after ufal/whisper_streaming).

Each update re-decodes the buffer (audio since the last trim). Words that the last `agreement`
hypotheses all agree on are committed and never change again; the rest is shown as a tentative
tail. Committed text from before the buffer is the decoder's prompt. When the buffer grows past
`trim_after_seconds`, it is cut at the end of the last fully committed segment (Whisper's segments
end at sentence or phrase ends), so a decode never sees more than Whisper's 30 s window.
"""
import re
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from models.audio import SAMPLE_RATE
from models.errors import InputError


@dataclass
class Hypothesis:
    words: list[str]
    segment_ends: list[tuple[int, float]]  # (words in this and earlier segments, segment end in buffer seconds)


Decoder = Callable[[np.ndarray, str], Hypothesis]  # (buffer audio, prompt text) -> hypothesis


@dataclass
class StreamingOptions:
    agreement: int = 2  # consecutive hypotheses that must agree before a word is committed
    trim_after_seconds: float = 12.0
    max_buffer_seconds: float = 25.0  # hard cap, under Whisper's 30 s window
    min_new_audio_seconds: float = 0.25  # decode no more often than this
    silence_rms: float = 0.004  # chunks quieter than this are skipped (energy gate)
    prompt_words: int = 50


@dataclass
class StreamUpdate:
    committed: str
    tentative: str
    latency_seconds: float  # time spent deciding this update (decode + bookkeeping)
    buffer_seconds: float
    decoded: bool  # False when the update was skipped (silence or too little new audio)


def normalise(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def agreed_prefix_length(hypotheses: list[list[str]]) -> int:
    """How many leading words every hypothesis shares (case and punctuation ignored)."""
    length = 0
    for words in zip(*hypotheses):
        if len({normalise(word) for word in words}) != 1:
            break
        length += 1
    return length


@dataclass
class StreamingTranscriber:
    decode: Decoder
    options: StreamingOptions = field(default_factory=StreamingOptions)
    committed_before_buffer: list[str] = field(default_factory=list)
    committed_in_buffer: list[str] = field(default_factory=list)
    recent_hypotheses: list[list[str]] = field(default_factory=list)
    tentative: list[str] = field(default_factory=list)
    last_segment_ends: list[tuple[int, float]] = field(default_factory=list)
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    undecoded_seconds: float = 0.0
    audio_seconds: float = 0.0  # everything fed so far
    heard_speech: bool = False

    @property
    def committed_text(self) -> str:
        return " ".join(self.committed_before_buffer + self.committed_in_buffer)

    def feed(self, chunk: np.ndarray) -> StreamUpdate:
        """Add 16 kHz mono audio; decode when enough new audio came in and someone has spoken."""
        started = time.perf_counter()
        chunk = np.asarray(chunk, np.float32)
        self.buffer = np.concatenate([self.buffer, chunk])
        self.undecoded_seconds += len(chunk) / SAMPLE_RATE
        self.audio_seconds += len(chunk) / SAMPLE_RATE
        if chunk.size and float(np.sqrt(np.mean(chunk**2))) >= self.options.silence_rms:
            self.heard_speech = True
        if not self.heard_speech:
            self.buffer = self.buffer[-SAMPLE_RATE // 2:]  # keep a little lead-in before the first word
            return self._update(started, decoded=False)
        if self.undecoded_seconds < self.options.min_new_audio_seconds:
            return self._update(started, decoded=False)
        self._decode_and_commit()
        self._trim()
        return self._update(started, decoded=True)

    def finish(self) -> StreamUpdate:
        """End of speech: decode what is left and commit all of it."""
        started = time.perf_counter()
        if self.heard_speech and self.buffer.size:
            hypothesis = self.decode(self.buffer, self._prompt())
            self.committed_in_buffer += hypothesis.words[len(self.committed_in_buffer):]
        self.committed_before_buffer += self.committed_in_buffer
        self.committed_in_buffer, self.tentative, self.recent_hypotheses = [], [], []
        self.buffer = np.zeros(0, np.float32)
        self.heard_speech = False
        return self._update(started, decoded=True)

    def _prompt(self) -> str:
        return " ".join(self.committed_before_buffer[-self.options.prompt_words:])

    def _decode_and_commit(self) -> None:
        hypothesis = self.decode(self.buffer, self._prompt())
        self.undecoded_seconds = 0.0
        self.recent_hypotheses = (self.recent_hypotheses + [hypothesis.words])[-self.options.agreement:]
        if len(self.recent_hypotheses) == self.options.agreement:
            agreed = agreed_prefix_length(self.recent_hypotheses)
            if agreed > len(self.committed_in_buffer):
                self.committed_in_buffer += hypothesis.words[len(self.committed_in_buffer):agreed]
        self.tentative = hypothesis.words[len(self.committed_in_buffer):]
        self.last_segment_ends = hypothesis.segment_ends

    def _trim(self) -> None:
        """Cut the buffer after the last segment whose words are all committed."""
        buffer_seconds = self.buffer.size / SAMPLE_RATE
        if buffer_seconds < self.options.trim_after_seconds:
            return
        committed = len(self.committed_in_buffer)
        cut = next(((words, end) for words, end in reversed(self.last_segment_ends)
                    if words <= committed and end < buffer_seconds), None)
        if cut is None and buffer_seconds > self.options.max_buffer_seconds:
            # No segment end is committed yet: keep the newest audio, commit what is agreed so far.
            cut = (committed, buffer_seconds - self.options.trim_after_seconds)
        if cut is None:
            return
        words, end = cut
        self.committed_before_buffer += self.committed_in_buffer[:words]
        self.committed_in_buffer = self.committed_in_buffer[words:]
        self.recent_hypotheses = [hypothesis[words:] for hypothesis in self.recent_hypotheses]
        self.buffer = self.buffer[int(end * SAMPLE_RATE):]

    def _update(self, started: float, decoded: bool) -> StreamUpdate:
        return StreamUpdate(self.committed_text, " ".join(self.tentative), time.perf_counter() - started,
                            self.buffer.size / SAMPLE_RATE, decoded)


def whisper_decoder(recognizer, language: str | None, task: str = "transcribe") -> Decoder:
    """Decode a buffer with a SpeechRecognizer, the prompt passed as previous text; silence gives no words."""
    def decode(audio: np.ndarray, prompt: str) -> Hypothesis:
        try:
            transcript = recognizer.transcribe(audio, language=language, task=task, prompt=prompt or None)
        except InputError:
            return Hypothesis([], [])
        words, segment_ends = [], []
        for segment in transcript.segments:
            words += segment.text.split()
            segment_ends.append((len(words), segment.end))
        return Hypothesis(words, segment_ends)

    return decode
