"""keywords: spoken command words as log-mel spectrograms, a CNN front end into a bidirectional LSTM vs a CNN alone.

The CNN + BiLSTM is the acoustic model of speech recognisers before transformers: convolutions find
local sound patterns, the LSTM follows them in time. A finished run's model is kept for the Training
tab's try-it panel (`KeywordClassifier`), which hears a recording as the training data was made.

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
from torch import nn

from models.speech.audio import HOP_LENGTH, N_FFT, SAMPLE_RATE, check_speech
from models.training.data import TaskData
from models.training.task import Defaults, Task

KEYWORDS_FOLDER = Path(__file__).resolve().parents[3] / "assets" / "audio" / "keywords"
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


def _conv_block(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(), nn.MaxPool2d(2))


class CNNBiLSTMKeywords(nn.Module):
    """[n, 1, mels, frames] -> logits: two conv blocks over time × frequency, then a BiLSTM over the frames."""

    def __init__(self, classes: int, mels: int = N_MELS, width: int = 48):
        super().__init__()
        self.convolutions = nn.Sequential(_conv_block(1, 8), _conv_block(8, 16))
        self.lstm = nn.LSTM(16 * (mels // 4), width, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * width, classes)

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        maps = self.convolutions(spectrograms)  # [n, channels, mels / 4, frames / 4]
        frames = maps.flatten(1, 2).transpose(1, 2)  # [n, frames / 4, channels × mels / 4]
        hidden, _ = self.lstm(frames)
        return self.head(hidden.mean(1))


class CNNKeywords(nn.Module):
    """[n, 1, mels, frames] -> logits: three conv blocks, then each feature's strongest moment (max over time),
    wherever the word falls in the window."""

    def __init__(self, classes: int, mels: int = N_MELS):
        super().__init__()
        self.convolutions = nn.Sequential(_conv_block(1, 8), _conv_block(8, 16), _conv_block(16, 32))
        self.head = nn.Linear(32 * (mels // 8), classes)

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        return self.head(self.convolutions(spectrograms).flatten(1, 2).amax(dim=2))


VARIANTS = {"cnn-bilstm": CNNBiLSTMKeywords, "cnn": CNNKeywords}


def keyword_model(variant: str, classes: int) -> nn.Module:
    return VARIANTS[variant](classes)


class KeywordClassifier:
    def __init__(self, network: nn.Module, classes: list[str]):
        self.network, self.classes = network.eval(), classes

    @torch.inference_mode()
    def classify(self, samples: np.ndarray) -> dict[str, float]:
        """float32 mono 16 kHz samples -> {word: probability}; InputError if the recording is empty or silent."""
        probabilities = self.network(recording_features(samples)).softmax(-1)[0]
        return {word: float(p) for word, p in zip(self.classes, probabilities, strict=True)}


def reload_keyword_classifier(description: dict, weights: dict[str, torch.Tensor], device: torch.device,
                              dtype: torch.dtype) -> KeywordClassifier:
    """A saved keyword model; it runs on the CPU in float32, whatever `device` and `dtype` say (it is tiny)."""
    network = keyword_model(description["variant"], len(description["classes"]))
    network.load_state_dict(weights)
    return KeywordClassifier(network, description["classes"])


TASK = Task("keywords", spoken_words,
            {name: (lambda data, variant=variant: variant(len(data.classes))) for name, variant in VARIANTS.items()},
            Defaults("adam", 3e-3, 16, 6), saved_kind="keyword",
            preprocessing={"sample_rate": SAMPLE_RATE, "window_samples": WINDOW_SAMPLES, "n_fft": N_FFT,
                           "hop_length": HOP_LENGTH, "n_mels": N_MELS, "log10_dynamic_range": DYNAMIC_RANGE,
                           "scale": "log-mel minus its maximum, floored at -range, then / (range / 2) + 1"},
            reload=reload_keyword_classifier)
