"""Voice activity: Silero VAD's speech probability for every 32 ms window, for the live path and for files.

Silero VAD (MIT) ships its model inside the `silero-vad` wheel. It tells speech from silence, noise and
music far better than an energy gate: a loud fan or a song is not speech, a quiet voice is. The studio
runs the wheel's ONNX export (the same network: equal probabilities on the example clips) through
onnxruntime on one thread of its own. The TorchScript export would run on torch's shared thread pool:
a window is a few tiny ops that threads only wait on each other for (beside a decode on a busy 2-core
CPU, 3.4 s of speech took 1-11 s on two threads), and lowering torch's thread count around each call
changed it for every thread that started meanwhile. The network is recurrent: the session is shared,
each stream keeps its own state.
"""
import copy
import threading

import numpy as np
import torch

from models.libraries import IMPORT_LOCK
from models.speech.audio import SAMPLE_RATE

WINDOW_SAMPLES = 512  # the window Silero VAD reads at 16 kHz
WINDOW_SECONDS = WINDOW_SAMPLES / SAMPLE_RATE  # 32 ms
SPEECH_PROBABILITY = 0.5  # a window at least this likely to be speech counts as speech

_load_lock = threading.Lock()
_loaded = None  # the first model loaded: its onnxruntime session serves every later copy


def load_vad_model():
    """A Silero VAD model with its own recurrent state, on the one onnxruntime session (loaded once, ~50 ms)."""
    global _loaded
    with _load_lock:
        if _loaded is None:
            with IMPORT_LOCK:
                threads = torch.get_num_threads()
                from silero_vad import load_silero_vad

                # silero_vad sets torch to one thread when it is imported; the studio's models need them all.
                torch.set_num_threads(threads)
            _loaded = load_silero_vad(onnx=True)
    model = copy.copy(_loaded)
    model.reset_states()
    return model


class VoiceActivity:
    """Audio in, in chunks of any size; out: one speech flag per 32 ms window since the first sample."""

    def __init__(self, model=None):
        self.model = model if model is not None else load_vad_model()
        self.model.reset_states()
        self._pending = np.zeros(0, np.float32)  # samples after the last whole window
        self._flags: list[bool] = []

    def add(self, samples: np.ndarray) -> None:
        """16 kHz mono float32 samples that follow the ones added before."""
        pending = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        whole = len(pending) // WINDOW_SAMPLES * WINDOW_SAMPLES
        for start in range(0, whole, WINDOW_SAMPLES):
            window = torch.from_numpy(pending[start:start + WINDOW_SAMPLES])
            self._flags.append(float(self.model(window, SAMPLE_RATE)) >= SPEECH_PROBABILITY)
        self._pending = pending[whole:]

    def fresh(self) -> "VoiceActivity":
        """A VoiceActivity on the same session, its state and flags reset (for a stream starting again)."""
        return VoiceActivity(copy.copy(self.model))

    @property
    def flags(self) -> np.ndarray:
        """[windows] bool: whether each 32 ms window so far is speech."""
        return np.array(self._flags, dtype=bool)


def speech_flags(audio: np.ndarray) -> np.ndarray:
    """[windows] bool for a whole recording: whether each 32 ms window is speech."""
    activity = VoiceActivity()
    activity.add(audio)
    return activity.flags
