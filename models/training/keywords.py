"""Spoken command words as log-mel spectrograms: the keyword task's data, and what a recording becomes.

assets/audio/keywords/ holds 256 clips (8 words × 8 espeak-ng voices × 2 speeds × 2 pitches, made by
assets/make_keywords.sh) in one FLAC file. Each clip is placed at random in a one-second window and
mixed with noise, COPIES_PER_CLIP times; copies of a clip share a group, so a split never trains on one
copy and validates on another.
"""
import random
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import torch

from models.speech.audio import HOP_LENGTH, N_FFT, SAMPLE_RATE, check_speech
from models.training.data import TaskData

KEYWORDS_FOLDER = Path(__file__).resolve().parents[2] / "assets" / "audio" / "keywords"
WINDOW_SAMPLES = SAMPLE_RATE  # one second: every clip is shorter
N_MELS = 32
FRAMES = WINDOW_SAMPLES // HOP_LENGTH + 1
DYNAMIC_RANGE = 8.0  # log10 units kept below each clip's loudest bin, as Whisper does: 80 dB
COPIES_PER_CLIP = 2
NOISE_SNR_DB = (10, 40)


@lru_cache(maxsize=1)
def _mel_filters() -> torch.Tensor:
    import librosa

    return torch.from_numpy(librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)).float()


def log_mel(windows: torch.Tensor) -> torch.Tensor:
    """[n, WINDOW_SAMPLES] float samples -> [n, 1, N_MELS, FRAMES], each clip scaled to [-1, 1] from its loudest bin,
    so a quiet microphone and a loud one give the same picture."""
    power = torch.stft(windows, N_FFT, HOP_LENGTH, window=torch.hann_window(N_FFT), return_complex=True).abs() ** 2
    mel = torch.log10((_mel_filters() @ power).clamp(min=1e-10))
    loudest = mel.amax(dim=(1, 2), keepdim=True)
    return (torch.maximum(mel, loudest - DYNAMIC_RANGE) - loudest).div(DYNAMIC_RANGE / 2).add(1).unsqueeze(1)


def loudest_window(samples: np.ndarray) -> np.ndarray:
    """The one-second stretch of a recording with the most energy (the word), zero-padded if shorter."""
    if len(samples) <= WINDOW_SAMPLES:
        start = (WINDOW_SAMPLES - len(samples)) // 2
        return np.pad(samples, (start, WINDOW_SAMPLES - len(samples) - start))
    energy = np.concatenate([[0.0], np.cumsum(np.square(samples, dtype=np.float64))])
    window_energy = energy[WINDOW_SAMPLES:] - energy[:-WINDOW_SAMPLES]
    start = int(window_energy.argmax())
    return samples[start: start + WINDOW_SAMPLES]


def recording_features(samples: np.ndarray) -> torch.Tensor:
    """A user's recording (float32 mono 16 kHz) -> [1, 1, N_MELS, FRAMES]; InputError if empty or silent."""
    check_speech(samples)
    return log_mel(torch.from_numpy(loudest_window(samples).astype(np.float32)).unsqueeze(0))


def _placed_with_noise(clip: np.ndarray, generator: random.Random) -> np.ndarray:
    window = np.zeros(WINDOW_SAMPLES, np.float32)
    start = generator.randrange(WINDOW_SAMPLES - len(clip) + 1)
    window[start: start + len(clip)] = clip
    noise_level = np.sqrt(np.mean(np.square(clip))) / 10 ** (generator.uniform(*NOISE_SNR_DB) / 20)
    noise = np.random.default_rng(generator.randrange(2**32)).normal(0, noise_level, WINDOW_SAMPLES)
    return window + noise.astype(np.float32)


@cache
def spoken_words() -> TaskData:
    import soundfile

    samples, sample_rate = soundfile.read(KEYWORDS_FOLDER / "keywords.flac", dtype="float32")
    assert sample_rate == SAMPLE_RATE, sample_rate
    rows = [line.split("\t") for line in (KEYWORDS_FOLDER / "keywords.tsv").read_text().splitlines()[1:]]
    classes = list(dict.fromkeys(row[0] for row in rows))
    generator = random.Random(0)
    windows, labels, groups = [], [], []
    for clip_index, (word, _voice, _speed, _pitch, start, length) in enumerate(rows):
        clip = samples[int(start): int(start) + int(length)]
        windows += [_placed_with_noise(clip, generator) for _ in range(COPIES_PER_CLIP)]
        labels += [classes.index(word)] * COPIES_PER_CLIP
        groups += [clip_index] * COPIES_PER_CLIP
    features = log_mel(torch.from_numpy(np.stack(windows)))
    return TaskData((features,), torch.tensor(labels), classes, groups=torch.tensor(groups))
