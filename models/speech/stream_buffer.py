"""The rolling audio buffer of live transcription, and where it is trimmed.

The buffer holds the audio since the last cut: decodes read all of it, so it must stay under Whisper's
30 s window. It is cut at a pause (the commit policy says where) or, in speech without pauses, at the
end of the last fully committed segment once it passes `trim_after_seconds` (`trim_cut`).
"""
from dataclasses import dataclass

import numpy as np

from models.speech.audio import SAMPLE_RATE, frame_rms, loud_frames

LEAD_IN_SECONDS = 0.5  # until someone speaks, only this much audio is kept


@dataclass(frozen=True)
class Cut:
    """Where the buffer is cut: its first `words` committed words move before it (into the prompt), and
    its first `seconds` of audio, which they were said in, are dropped."""

    words: int
    seconds: float


class StreamBuffer:
    """16 kHz mono float32 audio since the last cut, and what is known about it.

    Not thread-safe on its own: StreamingTranscriber holds its audio lock around every use."""

    def __init__(self, silence_rms: float):
        self.silence_rms = silence_rms
        self.samples = np.zeros(0, np.float32)
        self.undecoded_seconds = 0.0  # audio appended since the last read
        self.heard_speech = False  # a chunk as loud as speech arrived since the buffer was last taken
        self.spoke_since_read = False  # ... since the last read

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE

    def append(self, chunk: np.ndarray) -> None:
        """Add a chunk; until someone speaks, keep only the last LEAD_IN_SECONDS."""
        self.samples = np.concatenate([self.samples, chunk])
        self.undecoded_seconds += chunk.size / SAMPLE_RATE
        if chunk.size and frame_rms(chunk, chunk.size)[0] >= self.silence_rms:  # the whole chunk as one frame
            self.heard_speech = self.spoke_since_read = True
        if not self.heard_speech:
            self.samples = self.samples[-int(LEAD_IN_SECONDS * SAMPLE_RATE):]

    def read(self) -> tuple[np.ndarray, bool]:
        """The audio for a decode, and whether speech arrived since the last read; nothing is undecoded after."""
        spoke, self.spoke_since_read, self.undecoded_seconds = self.spoke_since_read, False, 0.0
        return self.samples, spoke

    def unread(self, seconds: float) -> None:
        """A decode of `seconds` of audio was abandoned: that audio is still to be decoded."""
        self.undecoded_seconds += seconds

    def drop(self, seconds: float) -> None:
        """Drop the first `seconds` (audio is only ever appended meanwhile, so the front is what was decoded)."""
        self.samples = self.samples[int(seconds * SAMPLE_RATE):]

    def take(self) -> tuple[np.ndarray, bool]:
        """All the audio, and whether it held speech; the buffer is empty and has heard nothing after."""
        taken = self.samples, self.heard_speech
        self.samples = np.zeros(0, np.float32)
        self.undecoded_seconds, self.heard_speech, self.spoke_since_read = 0.0, False, False
        return taken

    def loud_frames(self) -> np.ndarray:
        """Whether each 10 ms frame of the buffer is as loud as speech (see models.speech.audio.loud_frames)."""
        return loud_frames(self.samples, self.silence_rms)


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
