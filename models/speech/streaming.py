"""Live transcription policy: LocalAgreement-n over a rolling audio buffer (after ufal/whisper_streaming),
with pauses as phrase ends.

Each update re-decodes the buffer (audio since the last cut). Words that the last `agreement`
hypotheses all agree on are committed and never change again; the rest is shown as a tentative
tail. At a pause (`pause_seconds` of silence) that the last decode heard in full, its hypothesis is
final for that phrase and is committed at once, without waiting for another decode to agree; the
buffer is then cut at the previous pause, so decodes read the phrase being spoken plus the one before
it as context. A decode still running from before the pause is abandoned then: the next one hears
the whole phrase, and the final words need not wait for both. Committed text from before the buffer
is the decoder's prompt. Speech without pauses is cut, once the buffer passes `trim_after_seconds`,
at the end of the last fully committed segment (Whisper's segments end at sentence or phrase ends),
so a decode never sees more than Whisper's 30 s window.
"""
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from models.speech.audio import SAMPLE_RATE
from models.errors import InputError

# How often the browser sends microphone audio. Each word needs two agreeing decodes that have heard it,
# and a result reaches the screen with the next chunk: with 0.5 s chunks a word is committed ≥ 1 s after
# it ends, with 0.25 s about half a second earlier (bench/RESULTS.md, "Live speech").
LIVE_CHUNK_SECONDS = 0.25
MIN_PHRASE_SECONDS = 0.5  # a later pause ends a new phrase only this far after the last one
HEARD_AFTER_SPEECH_SECONDS = 0.1  # a decode heard a phrase in full if its audio went this far past the speech
FRAME_SECONDS = 0.01  # loudness is judged per 10 ms frame to find where speech ends


@dataclass
class Hypothesis:
    words: list[str]
    segment_ends: list[tuple[int, float]]  # (words in this and earlier segments, segment end in buffer seconds)


# (buffer audio, prompt text, abandon) -> hypothesis, or None if `abandon()` said True before it was done
Decoder = Callable[[np.ndarray, str, Callable[[], bool]], Hypothesis | None]


@dataclass
class StreamingOptions:
    agreement: int = 2  # consecutive hypotheses that must agree before a word is committed
    pause_seconds: float = 0.2  # silence this long ends a phrase
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
    committed_at_pause: bool = False  # words were committed, or the buffer cut, at a pause without decoding


def normalise(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def loud_frames(audio: np.ndarray, silence_rms: float) -> np.ndarray:
    """For each 10 ms frame of `audio`, whether it is as loud as speech (RMS at least `silence_rms`)."""
    frame = int(FRAME_SECONDS * SAMPLE_RATE)
    frames = audio[: audio.size // frame * frame].reshape(-1, frame)
    return np.sqrt(np.mean(frames**2, axis=1)) >= silence_rms


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
    """Audio may arrive from one thread while another decodes: `add_audio` never waits for a decode."""

    decode: Decoder | None = None  # None until the model is ready; audio is kept meanwhile
    options: StreamingOptions = field(default_factory=StreamingOptions)
    committed_before_buffer: list[str] = field(default_factory=list)
    committed_in_buffer: list[str] = field(default_factory=list)
    recent_hypotheses: list[list[str]] = field(default_factory=list)
    tentative: list[str] = field(default_factory=list)
    last_segment_ends: list[tuple[int, float]] = field(default_factory=list)
    phrase_end: tuple[int, float] | None = None  # (committed words, buffer seconds) at the last pause after them
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    decoded_seconds: float = 0.0  # how much of the buffer the last decode read
    decoding_seconds: float = 0.0  # how much of the buffer the running decode reads
    abandon_decode: bool = False  # the running decode missed the end of the speech that has just paused
    undecoded_seconds: float = 0.0
    audio_seconds: float = 0.0  # everything fed so far
    heard_speech: bool = False
    spoke_since_decode: bool = False  # loud audio arrived after the last decode started
    settled: bool = False  # the last decode saw no new speech: more silence cannot change anything
    latest: StreamUpdate | None = None  # the last decode's result, for callers that do not wait
    _audio_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _decode_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def committed_text(self) -> str:
        return " ".join(self.committed_before_buffer + self.committed_in_buffer)

    def add_audio(self, chunk: np.ndarray) -> None:
        """Append 16 kHz mono audio to the buffer; until someone speaks, keep only a short lead-in."""
        chunk = np.asarray(chunk, np.float32)
        with self._audio_lock:
            self.buffer = np.concatenate([self.buffer, chunk])
            self.undecoded_seconds += len(chunk) / SAMPLE_RATE
            self.audio_seconds += len(chunk) / SAMPLE_RATE
            if chunk.size and float(np.sqrt(np.mean(chunk**2))) >= self.options.silence_rms:
                self.heard_speech = self.spoke_since_decode = True
            if not self.heard_speech:
                self.buffer = self.buffer[-SAMPLE_RATE // 2:]
            elif self._decode_lock.locked() and self._pause_after_unheard_speech():
                # Waiting for it would delay the final words by a whole decode; the next one hears them.
                self.abandon_decode = True

    def update(self, wait: bool = True) -> StreamUpdate | None:
        """Decode the buffer if enough new speech came in. With wait=False, None at once if a decode is running."""
        if not self._decode_lock.acquire(blocking=wait):
            return None
        try:
            started = time.perf_counter()
            if self.decode is None or not self.heard_speech:
                return self._update(started, decoded=False)
            if ((self.settled and not self.spoke_since_decode)
                    or self.undecoded_seconds < self.options.min_new_audio_seconds):
                return self._update(started, decoded=False, committed_at_pause=self._commit_at_pause())
            self._decode_and_commit()
            self._commit_at_pause()
            self._trim()
            return self._update(started, decoded=True)
        finally:
            self._decode_lock.release()

    def update_in_background(self) -> StreamUpdate | None:
        """Start decoding on another thread unless a decode is running; return the latest finished result.

        A browser microphone drops audio recorded while its previous chunk is still being answered,
        so the chunk handler must return at once rather than wait for Whisper. Audio that arrives
        during a decode is decoded right after it, without waiting for the next chunk.
        """
        if not self._decode_lock.locked():
            threading.Thread(target=self._decode_into_latest, daemon=True).start()
        return self.latest

    def _decode_into_latest(self) -> None:
        while (update := self.update(wait=False)) is not None and (update.decoded or update.committed_at_pause):
            self.latest = update

    def feed(self, chunk: np.ndarray) -> StreamUpdate:
        self.add_audio(chunk)
        return self.update()

    def finish(self) -> StreamUpdate:
        """End of speech: decode what is left and commit all of it."""
        with self._decode_lock:
            started = time.perf_counter()
            with self._audio_lock:
                audio, self.buffer = self.buffer, np.zeros(0, np.float32)
            if self.recent_hypotheses and self._last_decode_heard_all_speech(audio):
                self.committed_in_buffer += self.recent_hypotheses[-1][len(self.committed_in_buffer):]
            elif self.decode is not None and self.heard_speech and audio.size:
                hypothesis = self.decode(audio, self._prompt(), lambda: False)
                self.committed_in_buffer += hypothesis.words[len(self.committed_in_buffer):]
            self.committed_before_buffer += self.committed_in_buffer
            self.committed_in_buffer, self.tentative, self.recent_hypotheses = [], [], []
            self.phrase_end, self.decoded_seconds = None, 0.0
            self.heard_speech = False
            return self._update(started, decoded=True)

    def _prompt(self) -> str:
        return " ".join(self.committed_before_buffer[-self.options.prompt_words:])

    def _decode_and_commit(self) -> None:
        with self._audio_lock:
            audio, self.undecoded_seconds = self.buffer, 0.0
            self.decoding_seconds = audio.size / SAMPLE_RATE
            self.settled, self.spoke_since_decode = not self.spoke_since_decode, False
            self.abandon_decode = False
        hypothesis = self.decode(audio, self._prompt(), lambda: self.abandon_decode)
        with self._audio_lock:
            if hypothesis is None:  # abandoned: its audio is still to be decoded
                self.undecoded_seconds += audio.size / SAMPLE_RATE
                self.settled = False
                return
            self.decoded_seconds = self.decoding_seconds
        self.recent_hypotheses = (self.recent_hypotheses + [hypothesis.words])[-self.options.agreement:]
        if len(self.recent_hypotheses) == self.options.agreement:
            # The newest word is left tentative: the buffer often ends inside it ("like" heard as "die").
            agreed = min(agreed_prefix_length(self.recent_hypotheses), len(hypothesis.words) - 1)
            if agreed > len(self.committed_in_buffer):
                self.committed_in_buffer += hypothesis.words[len(self.committed_in_buffer):agreed]
        self.tentative = hypothesis.words[len(self.committed_in_buffer):]
        self.last_segment_ends = hypothesis.segment_ends

    def _commit_at_pause(self) -> bool:
        """If the speech the last decode heard is followed by a pause, that decode's words are final: commit
        them and cut the buffer at the previous pause (the finished phrase stays as context).
        True if anything changed."""
        with self._audio_lock:
            audio = self.buffer
        loud = self._loud_frames(audio)
        heard = np.flatnonzero(loud[: int(self.decoded_seconds / FRAME_SECONDS)])
        if not heard.size or not self.recent_hypotheses:
            return False
        speech_end = heard[-1] + 1
        next_speech = np.flatnonzero(loud[speech_end:])
        silence_frames = next_speech[0] if next_speech.size else loud.size - speech_end
        speech_end_seconds = speech_end * FRAME_SECONDS
        if (silence_frames * FRAME_SECONDS < self.options.pause_seconds
                or self.decoded_seconds < speech_end_seconds + HEARD_AFTER_SPEECH_SECONDS):
            return False
        pause = speech_end_seconds + self.options.pause_seconds / 2
        new_phrase = self.phrase_end is None or pause - self.phrase_end[1] >= MIN_PHRASE_SECONDS
        if not self.tentative and not new_phrase:
            return False
        self.committed_in_buffer += self.tentative
        self.tentative = []
        self.settled = not self.spoke_since_decode  # silence from here on cannot change anything
        committed = len(self.committed_in_buffer)
        if self.phrase_end is not None and new_phrase:
            words, end = self.phrase_end
            self._cut(words, end)
            committed, pause = committed - words, pause - end
        self.phrase_end = (committed, pause)
        return True

    def _pause_after_unheard_speech(self) -> bool:
        """The buffer ends in a pause, and the speech before it goes on past what the last decode started reading."""
        loud = self._loud_frames(self.buffer)
        pause_frames = int(self.options.pause_seconds / FRAME_SECONDS)
        speech = np.flatnonzero(loud)
        return (speech.size > 0 and loud.size - speech[-1] - 1 >= pause_frames
                and (speech[-1] + 1) * FRAME_SECONDS + HEARD_AFTER_SPEECH_SECONDS > self.decoding_seconds)

    def _last_decode_heard_all_speech(self, audio: np.ndarray) -> bool:
        """No speech in `audio` (the buffer) that the last decode did not hear, with a little silence after it."""
        heard_until = int((self.decoded_seconds - HEARD_AFTER_SPEECH_SECONDS) / FRAME_SECONDS)
        return not self._loud_frames(audio)[max(0, heard_until):].any()

    def _loud_frames(self, audio: np.ndarray) -> np.ndarray:
        return loud_frames(audio, self.options.silence_rms)

    def _trim(self) -> None:
        """Once the buffer passes `trim_after_seconds`, cut it after the last segment whose words are all committed."""
        buffer_seconds = self.buffer.size / SAMPLE_RATE
        if buffer_seconds < self.options.trim_after_seconds:
            return
        committed = len(self.committed_in_buffer)
        cut = next(((words, end) for words, end in reversed(self.last_segment_ends)
                    if words <= committed and end < buffer_seconds), None)
        if cut is None and buffer_seconds > self.options.max_buffer_seconds:
            # No segment end is committed yet: keep the newest audio, commit what is agreed so far.
            cut = (committed, buffer_seconds - self.options.trim_after_seconds)
        if cut is not None:
            self._cut(*cut)
            self.phrase_end = None

    def _cut(self, words: int, end: float) -> None:
        """Move the first `words` committed words before the buffer and drop the audio up to `end` seconds."""
        self.committed_before_buffer += self.committed_in_buffer[:words]
        self.committed_in_buffer = self.committed_in_buffer[words:]
        self.recent_hypotheses = [hypothesis[words:] for hypothesis in self.recent_hypotheses]
        self.decoded_seconds = max(0.0, self.decoded_seconds - end)
        with self._audio_lock:  # only appends happened since the decode, so cutting the front is safe
            self.buffer = self.buffer[int(end * SAMPLE_RATE):]

    def _update(self, started: float, decoded: bool, committed_at_pause: bool = False) -> StreamUpdate:
        return StreamUpdate(self.committed_text, " ".join(self.tentative), time.perf_counter() - started,
                            self.buffer.size / SAMPLE_RATE, decoded, committed_at_pause)


def whisper_decoder(recognizer, language: str | None, task: str = "transcribe", fit_window: bool = True) -> Decoder:
    """Decode a buffer with a SpeechRecognizer, the prompt passed as previous text; silence gives no words.
    `fit_window`: the encoder reads the buffer plus a margin, not a full 30 s window (see SpeechRecognizer)."""
    def decode(audio: np.ndarray, prompt: str, abandon: Callable[[], bool]) -> Hypothesis | None:
        try:
            transcript = recognizer.transcribe(audio, language=language, task=task, prompt=prompt or None,
                                               fit_window_to_audio=fit_window, stop=abandon)
        except InputError:
            return Hypothesis([], [])
        if abandon():
            return None
        words, segment_ends = [], []
        for segment in transcript.segments:
            words += segment.text.split()
            segment_ends.append((len(words), segment.end))
        return Hypothesis(words, segment_ends)

    return decode
