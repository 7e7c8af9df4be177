"""ctc: a speech recognizer trained here, the classic way: an acoustic model over characters, trained with CTC.

log-mel frames -> acoustic model -> per frame, a probability for each character and for CTC's blank
("no new character here"). Connectionist Temporal Classification sums over every way of stretching the
sentence's characters over the frames (repeats merged, blanks between), so no one says which frame is
which letter. Three acoustic models compare: a CNN then a bidirectional LSTM (the classic recognizer's design),
the BiLSTM alone on pairs of frames, and a small transformer encoder on the CNN's frames. Decoding, and the
language models that fix what the sound leaves open, are models/speech/ctc_decoding.py and models/language/.

Data: models/speech/spoken_set.py's training voices, each clip with noise at a random SNR; the held-out voice
is never in a run's training or validation split (its WER is the recognizer's test, models/speech/ctc_recognizer.py).
"""
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.speech.audio import HOP_LENGTH, N_FFT, SAMPLE_RATE
from models.speech.closed_world import ALPHABET
from models.speech.ctc_decoding import collapse
from models.speech.ctc_recognizer import CTCRecognizer, features
from models.speech.spoken_set import spoken_set
from models.training.data import IGNORE, TaskData, pad
from models.training.tasks.keywords import DYNAMIC_RANGE, N_MELS
from models.training.task import Defaults, Task

BLANK = "·"  # how the blank is shown; it is output 0
CHARACTERS = [BLANK, *ALPHABET]
NOISE_SNR_DB = (15, 40)
TIME_STRIDE = 3  # the acoustic model's frames: every 30 ms, about twice the characters per second it hears
WIDTH = 64  # LSTM units per direction
TRANSFORMER_WIDTH = 96
CHANNELS = 16  # of the CNN's second block
# Training-time augmentation (SpecAugment): fourteen voices are few, so each clip's mel axis is stretched as a longer
# or shorter vocal tract would, and a band of bins and short stretches of frames are hidden.
MEL_WARP = (0.85, 1.15)
MASKED_BINS = 4  # at most
TIME_MASKS, MASKED_FRAMES = 2, 8  # at most this many frames each
# The one-click run: longer than other tasks' minute, within five of one core's CPU time: 40 epochs of the 1,440
# training clips took 295 CPU-s, so 36 leave a margin (bench/RESULTS.md, "Speech recognizer trained here").
EPOCHS = 36


def encode(text: str) -> list[int]:
    return [CHARACTERS.index(character) for character in text]


def with_noise(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    level = np.sqrt(np.mean(np.square(clip))) / 10 ** (rng.uniform(*NOISE_SNR_DB) / 20)
    return (clip + rng.normal(0, level, len(clip))).astype(np.float32)


@cache
def spoken_sentences() -> TaskData:
    """The training voices' clips with noise: inputs (log-mel, frame counts), targets [n, characters] padded."""
    clips, texts = spoken_set().part(held_out=False)
    rng = np.random.default_rng(0)
    spectrograms, counts = features([with_noise(clip, rng) for clip in clips])
    return TaskData((spectrograms, counts), pad([encode(text) for text in texts], IGNORE), CHARACTERS)


def output_counts(frame_counts: torch.Tensor) -> torch.Tensor:
    return frame_counts // TIME_STRIDE  # as max-pooling does: frames short of a whole stride are dropped


class SpecAugment(nn.Module):
    """In training mode, [n, 1, mels, frames] normalised log-mel -> the same shape: each clip's mel axis stretched
    by its own factor from MEL_WARP (vocal tract length perturbation, Jaitly & Hinton 2013), then a band of up to
    MASKED_BINS bins and TIME_MASKS stretches of up to MASKED_FRAMES frames set to 0, the clip's mean (SpecAugment,
    Park et al. 2019). In eval mode, the input unchanged. Random numbers from torch's generator: a run's seed
    fixes them."""

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return spectrograms
        n, _, mels, frames = spectrograms.shape
        position = (torch.arange(mels) * torch.empty(n, 1).uniform_(*MEL_WARP)).clamp(max=mels - 1)  # [n, mels]
        low = position.floor().long()
        weight = (position - low)[:, None, :, None].to(spectrograms)

        def bins(index: torch.Tensor) -> torch.Tensor:
            return spectrograms.gather(2, index[:, None, :, None].expand(n, 1, mels, frames).to(spectrograms.device))

        warped = bins(low) * (1 - weight) + bins((low + 1).clamp(max=mels - 1)) * weight
        bin_start = torch.randint(0, mels - MASKED_BINS + 1, (n, 1))
        hidden_bins = ((torch.arange(mels) >= bin_start)
                       & (torch.arange(mels) < bin_start + torch.randint(0, MASKED_BINS + 1, (n, 1))))  # [n, mels]
        frame_start = torch.randint(0, max(1, frames - MASKED_FRAMES), (n, TIME_MASKS, 1))
        frame_end = frame_start + torch.randint(0, MASKED_FRAMES + 1, (n, TIME_MASKS, 1))
        hidden_frames = ((torch.arange(frames) >= frame_start) & (torch.arange(frames) < frame_end)).any(1)
        hidden = hidden_bins[:, None, :, None] | hidden_frames[:, None, None, :]
        return warped.masked_fill(hidden.to(spectrograms.device), 0.0)


def _conv(inputs: int, outputs: int, pool: tuple[int, int]) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(), nn.MaxPool2d(pool))


class CNNBiLSTM(nn.Module):
    """(log-mel [n, 1, mels, frames], frame counts [n]) -> (logits [n, frames / 3, characters], counts [n]).
    Two conv blocks (frequency / 4, time / 3) whose channels × frequencies become each frame's features, then
    a two-layer BiLSTM, then a linear layer over the characters and the blank."""

    def __init__(self, characters: int, mels: int = N_MELS, width: int = WIDTH):
        super().__init__()
        self.augment = SpecAugment()
        self.convolutions = nn.Sequential(_conv(1, CHANNELS // 2, (2, 1)),
                                          _conv(CHANNELS // 2, CHANNELS, (2, TIME_STRIDE)))
        self.lstm = nn.LSTM(CHANNELS * (mels // 4), width, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * width, characters)

    def forward(self, spectrograms: torch.Tensor, frame_counts: torch.Tensor):
        spectrograms = self.augment(spectrograms[..., : int(frame_counts.max())])  # this batch's padding only
        maps = self.convolutions(spectrograms)  # [n, CHANNELS, mels / 4, frames / 3]
        hidden, _ = self.lstm(maps.flatten(1, 2).transpose(1, 2))
        return self.head(hidden), output_counts(frame_counts)


class BiLSTM(nn.Module):
    """The same without the CNN: three adjacent log-mel frames side by side are one step of a two-layer BiLSTM."""

    def __init__(self, characters: int, mels: int = N_MELS, width: int = WIDTH):
        super().__init__()
        self.augment = SpecAugment()
        self.lstm = nn.LSTM(mels * TIME_STRIDE, width, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * width, characters)

    def forward(self, spectrograms: torch.Tensor, frame_counts: torch.Tensor):
        counts = output_counts(frame_counts)
        frames = self.augment(spectrograms[..., : int(counts.max()) * TIME_STRIDE])[:, 0].transpose(1, 2)  # [n, frames, mels]
        hidden, _ = self.lstm(frames.reshape(len(frames), int(counts.max()), -1))
        return self.head(hidden), counts


class Transformer(nn.Module):
    """The CNN front, then a three-layer transformer encoder (sinusoidal positions, padding masked) instead of
    the BiLSTM: every frame attends to every other at once."""

    def __init__(self, characters: int, mels: int = N_MELS, width: int = TRANSFORMER_WIDTH, layers: int = 3,
                 heads: int = 4):
        super().__init__()
        self.augment = SpecAugment()
        self.convolutions = CNNBiLSTM(characters, mels).convolutions
        self.project = nn.Linear(CHANNELS * (mels // 4), width)
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(width, characters)

    def forward(self, spectrograms: torch.Tensor, frame_counts: torch.Tensor):
        counts = output_counts(frame_counts)
        maps = self.convolutions(self.augment(spectrograms[..., : int(frame_counts.max())]))
        frames = self.project(maps.flatten(1, 2).transpose(1, 2))
        padding = torch.arange(frames.shape[1], device=frames.device)[None] >= counts[:, None].to(frames.device)
        hidden = self.encoder(frames + positions(frames.shape[1], frames.shape[2]).to(frames), src_key_padding_mask=padding)
        return self.head(hidden), counts


def positions(length: int, width: int) -> torch.Tensor:
    """[length, width] sinusoidal position codes (Vaswani et al. 2017)."""
    angle = torch.arange(length)[:, None] / 10000 ** (torch.arange(0, width, 2) / width)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)


VARIANTS = {"cnn-bilstm": CNNBiLSTM, "bilstm": BiLSTM, "transformer": Transformer}


def ctc_loss(output: tuple[torch.Tensor, torch.Tensor], targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """CTC loss of (logits [n, frames, characters], frame counts [n]) against characters [n, length] (IGNORE-padded).
    zero_infinity: a clip too short for its sentence adds nothing instead of an infinite loss."""
    logits, counts = output
    lengths = (targets != IGNORE).sum(1)
    return F.ctc_loss(logits.log_softmax(-1).transpose(0, 1), targets.clamp(min=0), counts, lengths, blank=0,
                      reduction=reduction, zero_infinity=True)


def edit_distance(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y))
    return row[-1]


@torch.inference_mode()
def evaluate_ctc(model: nn.Module, data: TaskData, batch: int = 128) -> tuple[float, float]:
    """(mean CTC loss per clip, character accuracy = 1 − CER of greedy decoding, floored at 0)."""
    model.eval()
    loss_sum, errors, characters = 0.0, 0, 0
    for start in range(0, len(data), batch):
        spectrograms, counts = (tensor[start: start + batch] for tensor in data.inputs)
        targets = data.targets[start: start + batch]
        output = model(spectrograms, counts)
        loss_sum += float(ctc_loss(output, targets, reduction="sum"))
        for logits, count, target in zip(output[0], output[1], targets, strict=True):
            truth = target[target != IGNORE].tolist()
            errors += edit_distance(collapse(logits[: int(count)].argmax(-1).tolist()), truth)
            characters += len(truth)
    model.train()
    return loss_sum / len(data), max(0.0, 1 - errors / characters)


def reload_recognizer(description: dict, weights: dict[str, torch.Tensor], device: torch.device, dtype: torch.dtype):
    """A saved acoustic model, on the CPU in float32 (it is small), inside a CTCRecognizer."""
    network = VARIANTS[description["variant"]](len(description["classes"]))
    network.load_state_dict(weights)
    return CTCRecognizer(network.eval(), description["classes"], description["run_id"])


TASK = Task("ctc", spoken_sentences,
            {name: (lambda data, variant=variant: variant(len(data.classes))) for name, variant in VARIANTS.items()},
            Defaults("adam", 3e-3, 16, EPOCHS), saved_kind="ctc",
            preprocessing={"sample_rate": SAMPLE_RATE, "n_fft": N_FFT, "hop_length": HOP_LENGTH, "n_mels": N_MELS,
                           "log10_dynamic_range": DYNAMIC_RANGE, "time_stride": TIME_STRIDE,
                           "scale": "log-mel minus its maximum, floored at -range, then / (range / 2) + 1, then each mel bin "
                                    "minus its mean over the clip's frames"},
            reload=reload_recognizer, loss=ctc_loss, evaluate=evaluate_ctc, prepare=spoken_set)
