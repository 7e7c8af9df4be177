"""A stand-in for Silero VAD in the scripted live-path tests, so that they can say where speech is: a 32 ms
window is speech when it is loud (the tests' "speech" is a loud tone, their silence zeros)."""
import numpy as np

from models.speech.audio import frame_rms
from models.speech.vad import WINDOW_SAMPLES

SPEECH_RMS = 0.004


class LoudWindows:
    """VoiceActivity's calls (`add`, `flags`, `model`), deciding by loudness."""

    def __init__(self, model=None):
        self.model = model
        self._pending = np.zeros(0, np.float32)
        self._flags: list[bool] = []

    def add(self, samples: np.ndarray) -> None:
        pending = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        whole = len(pending) // WINDOW_SAMPLES * WINDOW_SAMPLES
        self._flags += (frame_rms(pending[:whole], WINDOW_SAMPLES) >= SPEECH_RMS).tolist()
        self._pending = pending[whole:]

    def fresh(self) -> "LoudWindows":
        return LoudWindows(self.model)

    @property
    def flags(self) -> np.ndarray:
        return np.array(self._flags, dtype=bool)
