"""The rolling audio buffer of live transcription, where speech is in it, and where it is trimmed.

The buffer holds the audio since the last cut: decodes read all of it, so it must stay under Whisper's
30 s window. Silero VAD (models/speech/vad.py) flags each 32 ms window of the stream as speech or not;
the buffer counts as speech only the windows of a stretch that lasts MIN_SPEECH_WINDOWS (`lasting_speech`):
a mains hum or a fan starting makes Silero say "speech" for a window or two, and Whisper then invents a
word. The buffer is only ever cut by whole windows, so it starts on a window and its flags line up with
its samples: flag i is samples [512 i, 512 (i + 1)); the partial window at the end has no flag yet. It is
cut at a pause (the commit policy says where) or, in speech without pauses, at the end of the last fully
committed segment once it passes `trim_after_seconds` (`trim_cut`).
"""
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from models.speech.audio import SAMPLE_RATE
from models.speech.vad import WINDOW_SAMPLES, VoiceActivity

LEAD_IN_WINDOWS = 16  # 0.5 s: audio kept before speech, which Silero flags a little late
# 0.13 s: a shorter stretch of speech is no word. Silero's false alarms measured here last 1-2 windows (mains
# hum starting, a knock); its own minimum for files, 0.25 s, would hold back the first word by as much.
MIN_SPEECH_WINDOWS = 4
SPEECH_GAP_WINDOWS = 3  # 0.1 s: gaps up to this long between speech windows lie inside one stretch


def whole_windows(seconds: float) -> int:
    """How many whole 32 ms VAD windows fit in `seconds`."""
    return round(seconds * SAMPLE_RATE) // WINDOW_SAMPLES


def lasting_speech(flags: np.ndarray) -> np.ndarray:
    """[windows] bool -> the same, but only the speech of stretches lasting MIN_SPEECH_WINDOWS or more (a
    stretch: speech windows with gaps of at most SPEECH_GAP_WINDOWS between them)."""
    spoken = np.flatnonzero(flags)
    lasting = np.zeros_like(flags)
    if spoken.size:
        breaks = np.flatnonzero(np.diff(spoken) > SPEECH_GAP_WINDOWS + 1)
        for first, last in zip(spoken[np.r_[0, breaks + 1]], spoken[np.r_[breaks, spoken.size - 1]]):
            if last + 1 - first >= MIN_SPEECH_WINDOWS:
                lasting[first:last + 1] = True
    return flags & lasting


@dataclass(frozen=True)
class Cut:
    """Where the buffer is cut: its first `words` committed words move before it (into the prompt), and
    its first `seconds` of audio, which they were said in, are dropped."""

    words: int
    seconds: float


class StreamBuffer:
    """16 kHz mono float32 audio since the last cut, and what is known about it.

    Not thread-safe on its own: StreamingTranscriber holds its audio lock around every use."""

    def __init__(self, activity: VoiceActivity):
        self.activity = activity  # the stream's VAD, fed every sample since the buffer was last taken
        self.samples = np.zeros(0, np.float32)
        self.start_seconds = 0.0  # where the buffer begins: seconds of the stream before its first sample
        self.vad_flags = np.zeros(0, bool)  # [samples.size // 512] whether Silero says each whole window is speech
        # [samples.size // 512] whether each is speech that lasted (`lasting_speech`); once speech, always:
        # a cut inside a stretch leaves less of it in the buffer, but no less speech
        self.speech = np.zeros(0, bool)
        self.flagged_windows = 0  # how many of the VAD's flags the buffer has taken (kept, or dropped since)
        self.undecoded_seconds = 0.0  # audio appended since the last read
        self.heard_speech = False  # speech arrived since the buffer was last taken
        self.spoke_since_read = False  # ... since the last read

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE

    def append(self, chunk: np.ndarray) -> None:
        """Add a chunk; until someone speaks, keep only a lead-in: LEAD_IN_WINDOWS before a stretch of speech
        that may yet last (MIN_SPEECH_WINDOWS)."""
        self.activity.add(chunk)
        flags = self.activity.flags[self.flagged_windows:]
        self.flagged_windows += flags.size
        self.samples = np.concatenate([self.samples, chunk])
        self.vad_flags = np.concatenate([self.vad_flags, flags])
        speech = np.concatenate([self.speech, np.zeros(flags.size, bool)]) | lasting_speech(self.vad_flags)
        if speech.sum() > self.speech.sum():
            self.heard_speech = self.spoke_since_read = True
        self.speech = speech
        self.undecoded_seconds += chunk.size / SAMPLE_RATE
        if not self.heard_speech:
            self._drop_windows(self.speech.size - LEAD_IN_WINDOWS - MIN_SPEECH_WINDOWS)

    def read(self) -> tuple[np.ndarray, bool]:
        """The audio for a decode, and whether speech arrived since the last read; nothing is undecoded after."""
        spoke, self.spoke_since_read, self.undecoded_seconds = self.spoke_since_read, False, 0.0
        return self.samples, spoke

    def unread(self, seconds: float) -> None:
        """A decode of `seconds` of audio was abandoned: that audio is still to be decoded."""
        self.undecoded_seconds += seconds

    def drop(self, seconds: float) -> float:
        """Drop the first `seconds`, rounded down to whole windows (audio is only ever appended meanwhile, so
        the front is what was decoded); returns the seconds dropped."""
        return self._drop_windows(whole_windows(seconds))

    def take(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """All the audio, its speech flags, and whether it held speech; the buffer is empty and has heard nothing
        after, and the VAD starts afresh (the next sample begins a window)."""
        taken = self.samples, self.speech, self.heard_speech
        self.start_seconds += self.seconds
        self.activity = self.activity.fresh()
        self.samples, self.vad_flags, self.speech = np.zeros(0, np.float32), np.zeros(0, bool), np.zeros(0, bool)
        self.flagged_windows = 0
        self.undecoded_seconds, self.heard_speech, self.spoke_since_read = 0.0, False, False
        return taken

    def end_phrase(self, seconds: float) -> float:
        """Drop the first `seconds` (whole windows) after a phrase ended in a pause; if no speech is left, the
        buffer has heard none (only a lead-in is kept again until someone speaks). Returns the seconds dropped."""
        dropped = self.drop(seconds)
        self.heard_speech = bool(self.speech.any())
        return dropped

    def _drop_windows(self, windows: int) -> float:
        windows = max(0, windows)
        self.samples = self.samples[windows * WINDOW_SAMPLES:]
        self.vad_flags, self.speech = self.vad_flags[windows:], self.speech[windows:]
        dropped = windows * WINDOW_SAMPLES / SAMPLE_RATE
        self.start_seconds += dropped
        return dropped


def trim_cut(buffer_seconds: float, committed_words: int, segment_ends: list[tuple[int, float]],
             trim_after_seconds: float, max_buffer_seconds: float) -> Cut | None:
    """Where to trim a buffer of `buffer_seconds` whose first `committed_words` words are committed, given the
    last decode's `segment_ends` ((words in this and earlier segments, segment end in buffer seconds)):
    nothing before `trim_after_seconds`; then after the last segment whose words are all committed; past
    `max_buffer_seconds` without one, keep the newest `trim_after_seconds` (the committed words go before)."""
    if buffer_seconds < trim_after_seconds:
        return None
    cut = next((Cut(words, end) for words, end in reversed(segment_ends)
                if words <= committed_words and end < buffer_seconds), None)
    if cut is None and buffer_seconds > max_buffer_seconds:
        cut = Cut(committed_words, buffer_seconds - trim_after_seconds)
    return cut


class BufferedStream:
    """What both live transcribers share: audio appended from any thread to a StreamBuffer, decodes one at a time.

    `_audio_lock` guards what the thread adding audio touches: self.buffer (every field of the StreamBuffer: audio
    since the last cut, where it begins, its VAD and speech flags) and self.received_seconds; a subclass names what
    else. `_decode_lock`: one update at a time; taken before `_audio_lock` when both are held. `clock`: the time
    words are stamped with, audio received so far (real time, live) unless given (the replay's virtual clock)."""

    def __init__(self, vad: VoiceActivity | None = None, clock: Callable[[], float] | None = None):
        self._audio_lock = threading.Lock()
        self.buffer = StreamBuffer(vad if vad is not None else VoiceActivity())
        self.received_seconds = 0.0
        self._decode_lock = threading.Lock()
        self.clock = clock if clock is not None else (lambda: self.received_seconds)

    @property
    def busy(self) -> bool:
        """Whether an update (a decode) is running."""
        return self._decode_lock.locked()

    def buffered_audio(self) -> np.ndarray:
        """The audio the next decode reads (since the last cut)."""
        with self._audio_lock:
            return self.buffer.samples

    def add_audio(self, chunk: np.ndarray) -> None:
        """Append 16 kHz mono audio to the buffer; until someone speaks, only a short lead-in is kept."""
        chunk = np.asarray(chunk, np.float32)
        with self._audio_lock:
            self.buffer.append(chunk)
            self.received_seconds += chunk.size / SAMPLE_RATE
            self._audio_added()

    def _audio_added(self) -> None:
        """Called under `_audio_lock` after each chunk is appended."""
