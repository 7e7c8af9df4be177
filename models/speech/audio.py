"""Audio loading and checks for speech models: everything becomes float32 mono 16 kHz."""
import io
import math
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from models.errors import InputError
from models.limits import LIMITS

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_LENGTH = 30  # seconds of audio Whisper's encoder sees at once
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE
N_FRAMES = N_SAMPLES // HOP_LENGTH
TIME_PER_TIMESTAMP = 0.02  # seconds between Whisper's timestamp tokens

MAX_AUDIO_SECONDS = LIMITS.audio_seconds
MIN_AUDIO_SECONDS = 0.1
SILENCE_RMS = 1e-3  # about -60 dBFS: a clip whose loudest 100 ms is quieter counts as silent
SILENCE_FRAME_SECONDS = 0.1


def to_16k_mono(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Float32 mono 16 kHz from integer or float samples, shaped (n,) or (n, channels)."""
    samples = np.asarray(samples)
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / np.iinfo(samples.dtype).max
    samples = samples.astype(np.float32, copy=False)
    if samples.ndim == 2:
        # Gradio and soundfile give (n, channels); a (channels, n) array has the short axis first.
        channel_axis = 1 if samples.shape[1] <= samples.shape[0] else 0
        samples = samples.mean(axis=channel_axis)
    elif samples.ndim != 1:
        raise InputError.of("audio.bad_shape", shape=samples.shape)
    if sample_rate != SAMPLE_RATE and samples.size:
        # Polyphase resampling, imported with this module: librosa's lazy loading stalled the first
        # microphone chunk for seconds, and the browser drops audio recorded while a chunk is pending.
        common = math.gcd(int(sample_rate), SAMPLE_RATE)
        from scipy.signal import resample_poly  # imported on first use: 1 s of the studio's start-up

        samples = resample_poly(samples, SAMPLE_RATE // common, int(sample_rate) // common).astype(np.float32)
    return np.ascontiguousarray(samples, dtype=np.float32)


def frame_rms(samples: np.ndarray, frame_length: int) -> np.ndarray:
    """Loudness (root mean square, float64) of each whole `frame_length`-sample frame: (n,) -> (n // frame_length,).
    A partial frame at the end is left out."""
    frames = samples[: len(samples) // frame_length * frame_length].reshape(-1, frame_length)
    return np.sqrt(np.square(frames, dtype=np.float64).mean(axis=1))


def _decode_with_fallback(path: str) -> np.ndarray:
    """librosa reads what libsndfile cannot (e.g. m4a through audioread / ffmpeg)."""
    import librosa

    with warnings.catch_warnings():  # librosa warns that soundfile failed: we know, we tried it first
        warnings.simplefilter("ignore")
        samples, _ = librosa.load(path, sr=SAMPLE_RATE, mono=True)
    return samples


def load_audio(source: str | os.PathLike | bytes) -> np.ndarray:
    """Decode a file path or the bytes of an audio file into float32 mono 16 kHz samples."""
    import soundfile

    try:
        if isinstance(source, bytes):
            samples, sample_rate = soundfile.read(io.BytesIO(source), dtype="float32", always_2d=True)
        else:
            samples, sample_rate = soundfile.read(str(source), dtype="float32", always_2d=True)
        return to_16k_mono(samples, sample_rate)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        pass
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise InputError.of("audio.not_found", source=source)
    try:
        if isinstance(source, bytes):
            with tempfile.NamedTemporaryFile(suffix=".audio") as handle:
                handle.write(source)
                handle.flush()
                return _decode_with_fallback(handle.name)
        return _decode_with_fallback(str(source))
    except Exception as error:  # audioread raises many unrelated types for undecodable data
        raise InputError.of("audio.undecodable") from error


def check_speech(samples: np.ndarray) -> None:
    """InputError for audio a speech model should not be given: empty, silent or too long."""
    seconds = len(samples) / SAMPLE_RATE
    if seconds < MIN_AUDIO_SECONDS:
        raise InputError.of("audio.empty")
    if seconds > MAX_AUDIO_SECONDS:
        raise InputError.of("audio.too_long", minutes=seconds / 60, limit=MAX_AUDIO_SECONDS // 60)
    if not np.all(np.isfinite(samples)):
        raise InputError.of("audio.not_finite")
    # Gate on the loudest frame so that one word in a long quiet recording still passes.
    if frame_rms(samples, int(SILENCE_FRAME_SECONDS * SAMPLE_RATE)).max() < SILENCE_RMS:
        raise InputError.of("audio.silent")
