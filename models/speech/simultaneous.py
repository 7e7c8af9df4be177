"""Live transcription with the AlignAtt policy: tokens are written as soon as Whisper has heard them, and never change.

Each update decodes the audio buffer, forcing the tokens already written for it, and lets AlignAtt
(models/speech/alignatt.py) write more until the alignment heads look at the last `frontier_frames`
of the audio. Silero VAD (models/speech/vad.py) decides where speech is: nothing is decoded before
someone speaks, and a pause of `pause_seconds` ends the phrase, which is then decoded to its end once
(no frontier) and cut off the buffer; its text becomes the prompt of the next phrase. Speech without
pauses is cut, past `trim_after_seconds`, before the word that was heard `keep_seconds` ago. The audio
and where it holds speech are kept by the same StreamBuffer as LocalAgreement's (models/speech/stream_buffer.py):
only speech that lasts counts, so a hum or a knock that Silero takes for a window of speech decodes nothing.

The decodes of every stream of one model run through one `SharedDecoder`, batched when they fall due
together (models/speech/shared_decoder.py).
"""
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from models.speech.alignatt import FRONTIER_FRAMES, DecodeRequest, DecodeResult
from models.speech.audio import SAMPLE_RATE
from models.speech.chinese import CHINESE, DEFAULT_SCRIPT, check_script, in_script
from models.speech.recognizer import ENCODER_FRAMES_PER_SECOND
from models.speech.shared_decoder import SharedDecoder
from models.speech.stream_buffer import BufferedStream
from models.speech.stream_policy import AlignAttWhy, CommittedWord
from models.speech.streaming import StreamUpdate
from models.speech.vad import WINDOW_SECONDS, VoiceActivity

FRAME_SECONDS = 1 / ENCODER_FRAMES_PER_SECOND  # one encoder frame: 20 ms


@dataclass(frozen=True)
class SimultaneousOptions:
    frontier_frames: int = FRONTIER_FRAMES
    pause_seconds: float = 0.3  # this much non-speech (VAD) after speech ends a phrase
    min_new_audio_seconds: float = 0.25  # decode no more often than this
    trim_after_seconds: float = 15.0
    keep_seconds: float = 8.0  # a trim keeps this much of the newest audio
    prompt_tokens: int = 120  # text tokens before the buffer given as the prompt


@dataclass
class SimultaneousText:
    """Tokens written before the buffer (the prompt of later decodes) and for it (forced in every decode)."""

    before_buffer: list[int] = field(default_factory=list)
    in_buffer: list[int] = field(default_factory=list)
    in_buffer_frames: list[int] = field(default_factory=list)  # encoder frame of each, from the buffer's start
    words: list[CommittedWord] = field(default_factory=list)  # every complete word written so far
    stamped: int = 0  # how many of the buffer's words are in `words`


class SimultaneousTranscriber(BufferedStream):
    """Feed audio with `add_audio` (any thread), decode with `update` / `update_in_background`, end with `finish`.

    The same calls and `StreamUpdate`s as StreamingTranscriber (LocalAgreement), so the tab and the replay
    drive either."""

    def __init__(self, decoder: SharedDecoder | None = None, language: str | None = "en", task: str = "transcribe",
                 options: SimultaneousOptions = SimultaneousOptions(), clock: Callable[[], float] | None = None,
                 vad: VoiceActivity | None = None):
        super().__init__(vad, clock)
        self.options = options
        # Under _decode_lock: self.decoder, self.language, self.text, self.phrase_open, self.last_result and
        # self.latest; `latest` is read without it (any recent update will do).
        self.decoder, self.language, self.task = decoder, language, task
        self.script = DEFAULT_SCRIPT  # the characters Chinese is shown in
        self.text = SimultaneousText()
        self.phrase_open = False  # speech has been decoded since the last phrase end
        self.last_result: DecodeResult | None = None
        self.latest: StreamUpdate | None = None

    def attach(self, decoder: SharedDecoder, language: str | None, task: str, script: str = DEFAULT_SCRIPT) -> None:
        """The model is ready: decodes can start (the audio that arrived while it loaded is kept)."""
        with self._decode_lock:
            self.decoder, self.language, self.task, self.script = decoder, language, task, check_script(script)

    def update(self, wait: bool = True) -> StreamUpdate | None:
        """Decode if speech came in; with wait=False, None at once if a decode is running."""
        if not self._decode_lock.acquire(blocking=wait):
            return None
        try:
            started = time.perf_counter()
            with self._audio_lock:
                audio, speech = self.buffer.samples, self.buffer.speech
                undecoded = self.buffer.undecoded_seconds
            decoded = False
            if self.decoder is not None and speech.any():
                phrase_ended = self.phrase_open and self._silence_after(speech) >= self.options.pause_seconds
                if phrase_ended:
                    self._decode(audio, complete=True)
                    self._end_phrase(speech)
                    decoded = True
                elif undecoded >= self.options.min_new_audio_seconds and self._silence_after(speech) < self.options.pause_seconds:
                    self._decode(audio, complete=False)
                    self.phrase_open = True
                    self._trim()
                    decoded = True
            with self._audio_lock:
                lag = self.buffer.undecoded_seconds
            update = StreamUpdate(*self._shown(), time.perf_counter() - started, audio.size / SAMPLE_RATE, decoded,
                                  why=self._why(), lag_seconds=lag)
            if decoded:
                self.latest = update
            return update
        finally:
            self._decode_lock.release()

    def update_in_background(self) -> StreamUpdate | None:
        """Start an update on another thread unless one is running; the latest finished result."""
        if not self._decode_lock.locked():
            threading.Thread(target=self._decode_while_due, daemon=True).start()
        return self.latest

    def finish(self) -> StreamUpdate:
        """End of speech: decode what is left to its end and commit all of it."""
        with self._decode_lock:
            started = time.perf_counter()
            with self._audio_lock:
                audio, speech = self.buffer.samples, self.buffer.speech
            if self.decoder is not None and (self.phrase_open or speech.any()):
                self._decode(audio, complete=True)
            self._close_words(everything=True)
            self.text.before_buffer += self.text.in_buffer
            self.text.in_buffer, self.text.in_buffer_frames = [], []
            self.phrase_open = False
            with self._audio_lock:
                self.buffer.take()
            self.latest = StreamUpdate(*self._shown(), time.perf_counter() - started, 0.0, True)
            return self.latest

    @property
    def committed_text(self) -> str:
        return self._shown()[0]

    def committed_words(self) -> list[CommittedWord]:
        """Every word written so far, with when it was spoken and committed (for the lag plot)."""
        with self._decode_lock:
            return list(self.text.words)

    def _decode_while_due(self) -> None:
        while (update := self.update(wait=False)) is not None and update.decoded:
            pass

    def _decode(self, audio: np.ndarray, complete: bool) -> None:
        request = DecodeRequest(audio, tuple(self.text.in_buffer), tuple(self.text.before_buffer[-self.options.prompt_tokens:]),
                                self.language, self.task, None if complete else self.options.frontier_frames)
        with self._audio_lock:
            self.buffer.read()
        result = self.decoder.decode(request)
        self.last_result, self.language = result, result.language  # a detected language holds for the stream
        self.text.in_buffer += result.tokens
        self.text.in_buffer_frames += result.frames
        self._close_words(everything=complete)

    def _close_words(self, everything: bool) -> None:
        """Stamp the words written since the last call that are complete (a later token starts a new word);
        `everything`: the phrase is over, its last word too."""
        tokenizer = self.decoder.tokenizer
        tokens, frames = self.text.in_buffer, self.text.in_buffer_frames
        words = split_words(tokenizer, tokens)
        complete = words if everything else words[:-1]
        for start, end in complete[self.text.stamped:]:
            text = self._in_script(tokenizer.decode(tokens[start:end]).strip())
            if text:
                spoken = self.buffer.start_seconds + (frames[end - 1] + 1) * FRAME_SECONDS
                self.text.words.append(CommittedWord(text, round(spoken, 2), round(self.clock(), 2)))
        self.text.stamped = len(complete)

    def _end_phrase(self, speech: np.ndarray) -> None:
        """The phrase is over: its tokens move before the buffer, its audio (to mid-pause) is dropped."""
        self.text.before_buffer += self.text.in_buffer
        self.text.in_buffer, self.text.in_buffer_frames = [], []
        self.text.stamped = 0
        self.phrase_open = False
        speech_end = (np.flatnonzero(speech)[-1] + 1) * WINDOW_SECONDS
        with self._audio_lock:
            self.buffer.end_phrase(speech_end + self.options.pause_seconds / 2)

    def _trim(self) -> None:
        """Past `trim_after_seconds` of speech without a pause, cut before the word heard `keep_seconds` ago."""
        seconds = self.buffer.seconds
        if seconds < self.options.trim_after_seconds or self.decoder is None:
            return
        tokenizer = self.decoder.tokenizer
        keep_from = (seconds - self.options.keep_seconds) / FRAME_SECONDS
        words = split_words(tokenizer, self.text.in_buffer)[:self.text.stamped]
        cut = next((start for start, _ in reversed(words) if self.text.in_buffer_frames[start] <= keep_from), None)
        if not cut:
            return
        cut_seconds = max(0.0, self.text.in_buffer_frames[cut] * FRAME_SECONDS - 0.1)
        with self._audio_lock:
            dropped = self.buffer.drop(cut_seconds)  # whole VAD windows: at most the cut
        shift = int(dropped / FRAME_SECONDS)
        self.text.before_buffer += self.text.in_buffer[:cut]
        self.text.in_buffer = self.text.in_buffer[cut:]
        self.text.in_buffer_frames = [max(0, frame - shift) for frame in self.text.in_buffer_frames[cut:]]
        self.text.stamped -= sum(1 for start, _ in words if start < cut)

    @staticmethod
    def _silence_after(speech: np.ndarray) -> float:
        return (len(speech) - 1 - np.flatnonzero(speech)[-1]) * WINDOW_SECONDS

    def _why(self) -> AlignAttWhy | None:
        """The last decode's alignment-heads attention, per token written and the one held back."""
        result = self.last_result
        if result is None or self.decoder is None:
            return None
        tokenizer = self.decoder.tokenizer
        tokens = [tokenizer.decode([token]) for token in result.tokens]
        tokens.append(tokenizer.decode([result.held_back]) if result.held_back is not None else "")
        frontier = None if result.stopped != "frontier" else result.audio_frames - self.options.frontier_frames
        return AlignAttWhy(tuple(tokens[:len(result.attention)]), result.attention, result.audio_frames, frontier,
                           result.stopped)

    def _shown(self) -> tuple[str, str]:
        """(committed, tentative): the last word of an open phrase may still grow, so it is shown as tentative."""
        if self.decoder is None:
            return "", ""
        tokenizer = self.decoder.tokenizer
        before = tokenizer.decode(self.text.before_buffer).strip()
        words = split_words(tokenizer, self.text.in_buffer)
        closed = words[:self.text.stamped]
        committed_ids = self.text.in_buffer[:closed[-1][1]] if closed else []
        tail = self.text.in_buffer[len(committed_ids):]
        committed = " ".join(part for part in (before, tokenizer.decode(committed_ids).strip()) if part)
        return self._in_script(committed), self._in_script(tokenizer.decode(tail).strip())

    def _in_script(self, text: str) -> str:
        return in_script(text, self.script) if self.language == CHINESE else text


def split_words(tokenizer, tokens: list[int]) -> list[tuple[int, int]]:
    """(start, end) token indices of each word: a token that begins with a space begins a word."""
    words: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if not words or tokenizer.decode([token]).startswith(" "):
            words.append((index, index + 1))
        else:
            words[-1] = (words[-1][0], index + 1)
    return words
