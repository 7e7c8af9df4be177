"""Live transcription: a rolling audio buffer (models/speech/stream_buffer.py) decoded again and again, and a
commit policy (models/speech/stream_policy.py; LocalAgreement-2 with pauses by default,
models/speech/agreement.py) that decides which words are final. Silero VAD (models/speech/vad.py) says
where the buffer holds speech: nothing is decoded before someone speaks, and pauses end phrases.

Each update re-decodes the buffer (audio since the last cut); committed text from before the buffer is
the decoder's prompt. Audio may arrive from one thread while another decodes: `add_audio` never waits
for a decode.
"""
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

import numpy as np

from models.errors import InputError
from models.speech.agreement import AgreementOptions, LocalAgreement, agreed_prefix_length
from models.speech.audio import SAMPLE_RATE
from models.speech.chinese import DEFAULT_SCRIPT
from models.speech.stream_buffer import BufferedStream, Cut, trim_cut
from models.speech.stream_policy import (AgreementWhy, AlignAttWhy, BufferHypothesis, CommitPolicy, CommittedWord,
                                         StreamText)
from models.speech.vad import VoiceActivity

if TYPE_CHECKING:
    from models.speech.shared_decoder import DecodeTurns

__all__ = ["LIVE_CHUNK_SECONDS", "AgreementOptions", "BufferHypothesis", "Decoder", "StreamUpdate",
           "StreamingOptions", "StreamingTranscriber", "agreed_prefix_length", "whisper_decoder"]

# How often the browser sends microphone audio. Each word needs two agreeing decodes that have heard it,
# and a result reaches the screen with the next chunk: with 0.5 s chunks a word is committed ≥ 1 s after
# it ends, with 0.25 s about half a second earlier (bench/RESULTS.md, "Live speech").
LIVE_CHUNK_SECONDS = 0.25

# (buffer audio, prompt text, abandon) -> hypothesis, or None if `abandon()` said True before it was done
Decoder = Callable[[np.ndarray, str, Callable[[], bool]], BufferHypothesis | None]


@dataclass(frozen=True)
class StreamingOptions:
    # Speech without pauses is cut, once the buffer passes `trim_after_seconds`, at the end of the last fully
    # committed segment (Whisper's segments end at sentence or phrase ends), so a decode never sees more
    # than Whisper's 30 s window.
    trim_after_seconds: float = 12.0
    max_buffer_seconds: float = 25.0  # hard cap, under Whisper's 30 s window
    min_new_audio_seconds: float = 0.25  # decode no more often than this
    prompt_words: int = 50


@dataclass
class StreamUpdate:
    committed: str
    tentative: str
    latency_seconds: float  # time spent deciding this update (decode + bookkeeping)
    buffer_seconds: float
    decoded: bool  # False when the update was skipped (silence or too little new audio)
    committed_at_pause: bool = False  # words were committed, or the buffer cut, at a pause without decoding
    why: AgreementWhy | AlignAttWhy | None = None  # what the policy decided from, for the tab's view
    lag_seconds: float = 0.0  # audio received but not yet decoded when this update was made


@dataclass
class RunningDecode:
    """The decode in progress: how much of the buffer it reads, whether newer audio made it stale, and whether it
    may be abandoned for that. The decode after an abandoned one always finishes: on a busy CPU a decode can
    outlast a short phrase, and abandoning each at the next pause would commit nothing until a long one."""

    seconds: float
    abandonable: bool = True
    abandoned: bool = False


@dataclass
class LastDecode:
    """The last decode that finished."""

    seconds: float = 0.0  # how much of the buffer (as it is now) it read
    segment_ends: list[tuple[int, float]] = field(default_factory=list)  # its segments (see BufferHypothesis)
    settled: bool = False  # it saw no new speech: more silence cannot change anything
    abandoned: bool = False  # the last decode started was abandoned (so the next one is not)


class StreamingTranscriber(BufferedStream):
    """Feed audio with `add_audio` (any thread), decode with `update` / `update_in_background`, end with `finish`."""

    def __init__(self, decode: Decoder | None = None, options: StreamingOptions = StreamingOptions(),
                 policy: CommitPolicy | None = None, vad: VoiceActivity | None = None,
                 clock: Callable[[], float] | None = None):
        super().__init__(vad, clock)
        self.options = options
        # Under _audio_lock also: self.running (which decode is running, and its `abandoned` flag, which the decode
        # itself polls without the lock). Under _decode_lock: self._decode, self.text, self.policy (all of its state;
        # `abandons`, which reads options only, is called under _audio_lock instead), self.last_decode and
        # self.latest. `latest` and `decode` are read without it (one reference: any recent value will do).
        self.running: RunningDecode | None = None
        self._decode = decode  # None until the model is ready; audio is kept meanwhile
        self.text = StreamText()
        self.policy = policy if policy is not None else LocalAgreement()
        self.last_decode = LastDecode()
        self.latest: StreamUpdate | None = None  # the last decode's result, for callers that do not wait
        # When each word was spoken and committed, for the lag plot; also guarded by _decode_lock.
        self.words: list[CommittedWord] = []
        self._spoken_at: list[float] = []  # the last hypothesis' word ends in stream seconds; [] if it had none
        # The model's DecodeTurns (models/speech/shared_decoder.py) when other streams share it: decodes wait their
        # turn, one that ends a phrase first; None: decode at once.
        self.turns: DecodeTurns | None = None

    @property
    def decode(self) -> Decoder | None:
        return self._decode

    @decode.setter
    def decode(self, decoder: Decoder) -> None:
        with self._decode_lock:
            self._decode = decoder

    def _audio_added(self) -> None:
        running = self.running
        if (running is not None and running.abandonable and self.buffer.heard_speech
                and self.policy.abandons(self.buffer.speech, running.seconds)):
            running.abandoned = True

    def update(self, wait: bool = True) -> StreamUpdate | None:
        """Decode the buffer if enough new speech came in. With wait=False, None at once if a decode is running."""
        if not self._decode_lock.acquire(blocking=wait):
            return None
        try:
            return self._update()
        finally:
            self._decode_lock.release()

    def update_in_background(self) -> StreamUpdate | None:
        """Start decoding on another thread unless a decode is running; return the latest finished result.

        The microphone's frames arrive while a decode runs (studio/microphone.py feeds them in order), so
        adding audio never waits for Whisper. Audio that arrives during a decode is decoded right after it,
        without waiting for the next frame.
        """
        if not self.busy:
            threading.Thread(target=self._decode_into_latest, daemon=True).start()
        return self.latest

    def committed_words(self) -> list[CommittedWord]:
        """Every word committed so far, with when it was spoken and committed (for the lag plot)."""
        with self._decode_lock:
            return list(self.words)

    def feed(self, chunk: np.ndarray) -> StreamUpdate:
        self.add_audio(chunk)
        return self.update()

    def finish(self) -> StreamUpdate:
        """End of speech: decode what is left and commit all of it."""
        with self._decode_lock:
            started = time.perf_counter()
            with self._audio_lock:
                audio, speech, heard_speech = self.buffer.take()
            final = self.policy.final_words(speech, self.last_decode.seconds)
            if final is not None:
                self.text.commit(final)
            elif self._decode is not None and heard_speech and audio.size:
                with self._turn(final=True):
                    hypothesis = self._decode(audio, self._prompt(), lambda: False)
                hypothesis = self._hear(hypothesis)  # for `why` too
                self.text.commit(hypothesis.words)
            self._stamp()
            why = self.policy.why(self.text)
            self._spoken_at = []
            self.text.close()
            self.policy.reset()
            self.last_decode = LastDecode()
            return replace(self._stream_update(started, decoded=True), why=why)

    def _decode_into_latest(self) -> None:
        while self._decode_lock.acquire(blocking=False):
            try:
                update = self._update()
                if not (update.decoded or update.committed_at_pause):
                    return
                self.latest = update
            finally:
                self._decode_lock.release()

    def _update(self) -> StreamUpdate:
        """`update` with the decode lock held."""
        started = time.perf_counter()
        with self._audio_lock:
            heard_speech, spoke = self.buffer.heard_speech, self.buffer.spoke_since_read
            undecoded_seconds = self.buffer.undecoded_seconds
        if self._decode is None or not heard_speech:
            return self._stream_update(started, decoded=False)
        if (self.last_decode.settled and not spoke) or undecoded_seconds < self.options.min_new_audio_seconds:
            committed_at_pause = self._commit_at_pause()
            self._stamp()
            return self._stream_update(started, decoded=False, committed_at_pause=committed_at_pause)
        self._decode_and_commit()
        self._commit_at_pause()
        self._trim()
        self._stamp()
        return self._stream_update(started, decoded=True)

    def _prompt(self) -> str:
        return self.text.prompt(self.options.prompt_words)

    def _decode_and_commit(self) -> None:
        with self._audio_lock:
            audio, spoke = self.buffer.read()
            self.running = running = RunningDecode(audio.size / SAMPLE_RATE, not self.last_decode.abandoned)
            ends_phrase = self.policy.ends_phrase(self.buffer.speech)
        self.last_decode.settled = not spoke
        with self._turn(final=ends_phrase):
            hypothesis = self._decode(audio, self._prompt(), lambda: running.abandoned)
        with self._audio_lock:
            self.running = None
            if hypothesis is None:  # abandoned: its audio is still to be decoded
                self.buffer.unread(running.seconds)
        self.last_decode.abandoned = hypothesis is None
        if hypothesis is None:
            self.last_decode.settled = False
            return
        hypothesis = self._hear(hypothesis)
        self.last_decode.seconds, self.last_decode.segment_ends = running.seconds, hypothesis.segment_ends

    def _turn(self, final: bool) -> AbstractContextManager:
        return self.turns.turn(final) if self.turns is not None else nullcontext()

    def _hear(self, hypothesis: BufferHypothesis) -> BufferHypothesis:
        """Hand a decode's words, resynced to the committed ones, to the policy, keeping where each was spoken."""
        with self._audio_lock:
            start = self.buffer.start_seconds
        hypothesis = hypothesis.resynced(self.text.committed)
        timed = len(hypothesis.word_ends) == len(hypothesis.words)
        self._spoken_at = [start + end for end in hypothesis.word_ends] if timed else []
        self.policy.hear(hypothesis, self.text)
        return hypothesis

    def _stamp(self) -> None:
        """Stamp the words committed since the last call with when they were spoken and now. Words leave the
        buffer only through `_cut` and `finish`, which stamp first, so every unstamped word is in the buffer."""
        now = round(self.clock(), 2)
        for index in range(len(self.words) - len(self.text.before_buffer), len(self.text.committed)):
            spoken = round(self._spoken_at[index], 2) if index < len(self._spoken_at) else None
            self.words.append(CommittedWord(self.text.committed[index], spoken, now))

    def _commit_at_pause(self) -> bool:
        """Let the policy commit at a pause, and cut the buffer where it says. True if anything changed."""
        with self._audio_lock:
            speech = self.buffer.speech  # replaced, never changed in place: safe to read after the lock
        commit = self.policy.pause(speech, self.last_decode.seconds, self.text)
        if commit is None:
            return False
        with self._audio_lock:
            self.last_decode.settled = not self.buffer.spoke_since_read  # silence from here on cannot change anything
        if commit.cut is not None:
            self._cut(commit.cut, at_pause=True)
        return True

    def _trim(self) -> None:
        with self._audio_lock:
            buffer_seconds = self.buffer.seconds
        cut = trim_cut(buffer_seconds, len(self.text.committed), self.last_decode.segment_ends,
                       self.options.trim_after_seconds, self.options.max_buffer_seconds)
        if cut is not None:
            self._cut(cut, at_pause=False)

    def _cut(self, cut: Cut, at_pause: bool) -> None:
        """Move the first `cut.words` committed words before the buffer and drop its first `cut.seconds`."""
        self._stamp()
        self._spoken_at = self._spoken_at[cut.words:]
        self.text.cut(cut.words)
        self.policy.cut(cut.words, at_pause)
        with self._audio_lock:
            dropped = self.buffer.drop(cut.seconds)
        self.last_decode.seconds = max(0.0, self.last_decode.seconds - dropped)

    def _stream_update(self, started: float, decoded: bool, committed_at_pause: bool = False) -> StreamUpdate:
        with self._audio_lock:
            buffer_seconds, undecoded_seconds = self.buffer.seconds, self.buffer.undecoded_seconds
        return StreamUpdate(self.text.committed_text, " ".join(self.text.tentative), time.perf_counter() - started,
                            buffer_seconds, decoded, committed_at_pause, self.policy.why(self.text), undecoded_seconds)


def whisper_decoder(recognizer, language: str | None, task: str = "transcribe", fit_window: bool = True,
                    script: str = DEFAULT_SCRIPT) -> Decoder:
    """Decode a buffer with a SpeechRecognizer, the prompt passed as previous text; silence gives no words. Each
    word comes with where it ends (Whisper's alignment heads), for the lag plot.
    `fit_window`: the encoder reads the buffer plus a margin, not a full 30 s window (see SpeechRecognizer)."""
    def decode(audio: np.ndarray, prompt: str, abandon: Callable[[], bool]) -> BufferHypothesis | None:
        try:
            transcript = recognizer.transcribe(audio, language=language, task=task, prompt=prompt or None,
                                               fit_window_to_audio=fit_window, stop=abandon,
                                               script=script, word_timestamps=True)
        except InputError:
            return BufferHypothesis([], [])
        if abandon():
            return None
        words, segment_ends = [], []
        for segment in transcript.segments:
            words += segment.text.split()
            segment_ends.append((len(words), segment.end))
        return BufferHypothesis(words, segment_ends, [word.end for word in transcript.words])

    return decode
