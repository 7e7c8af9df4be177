"""Numbered microphone frames put back in order before a live stream hears them.

The Speech tab's page sends its microphone as numbered 0.25 s frames of 16 kHz audio (studio/microphone.py),
a few at a time, retrying what did not get through; calls can overtake each other on the way. `FrameSequence`
feeds a stream the frames strictly in sequence, keeps those that came early until the ones before them arrive,
ignores repeats, and can wait until every frame up to a given number has arrived (Stop).
"""
import base64
import threading
import time
from typing import Callable

import numpy as np

MAX_EARLY_FRAMES = 2400  # frames kept ahead of a missing one (10 minutes of 0.25 s frames); later ones are refused


def decode_frame(data: str) -> np.ndarray:
    """A frame as the page sends it (base64 of little-endian int16 at 16 kHz) as float32 samples."""
    return np.frombuffer(base64.b64decode(data), dtype="<i2").astype(np.float32) / 32768.0


class FrameSequence:
    """One microphone stream's frames, fed in order to a live stream's `add_audio` once `attach` gives it one.

    Frames may arrive before the stream exists (the page records from the first moment; the stream is made by
    the Record handler): they wait here. One lock guards everything; add_audio runs under it, which is quick (it
    only appends)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.changed = threading.Condition()
        self.next = 0  # the number of the next frame to feed
        self.early: dict[int, np.ndarray] = {}  # frames that came before `next`'s
        self.stream = None  # anything with add_audio(samples), e.g. models.speech.live.LiveStream
        self.samples_fed = 0
        self.used_at = clock()

    def attach(self, stream) -> None:
        with self.changed:
            self.stream = stream
            self._feed_ready()

    def add(self, number: int, samples: np.ndarray) -> bool:
        """Take frame `number`; False when it is refused (a repeat, or too far ahead of a missing frame)."""
        with self.changed:
            self.used_at = self.clock()
            if number < self.next or number in self.early or number - self.next > MAX_EARLY_FRAMES:
                return False
            self.early[number] = samples
            self._feed_ready()
            return True

    def missing(self) -> list[int]:
        """Frames not yet arrived below the highest that has."""
        with self.changed:
            if not self.early:
                return []
            return [number for number in range(self.next, max(self.early)) if number not in self.early]

    def wait_through(self, last: int, timeout: float) -> bool:
        """Wait until every frame up to `last` has been fed (at most `timeout` seconds); whether they were."""
        with self.changed:
            return self.changed.wait_for(lambda: self.stream is not None and self.next > last, timeout)

    def _feed_ready(self) -> None:
        if self.stream is None:
            return
        fed = False
        while self.next in self.early:
            samples = self.early.pop(self.next)
            self.stream.add_audio(samples)
            self.samples_fed += len(samples)
            self.next += 1
            fed = True
        if fed:
            self.changed.notify_all()
