"""digits: scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes), an MLP vs a small CNN.

The MLP connects every pixel to every unit; the CNN slides 3×3 filters over the image (local, shared
weights). The Image tab's digit CNN (models/vision/digits.py) is this CNN, trained on the same images.
"""
from functools import cache

import torch
from torch import nn

from models.training.data import TaskData
from models.training.task import Defaults, Task

INK_LEVEL = 16  # a fully inked block of load_digits
CLASSES = [str(digit) for digit in range(10)]


@cache
def digit_images() -> tuple[torch.Tensor, torch.Tensor]:
    """load_digits as ([1797, 1, 8, 8] ink in [0, 1], [1797] labels): the one place the digits are read."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return torch.tensor(data.images / INK_LEVEL, dtype=torch.float32).unsqueeze(1), torch.tensor(data.target)


def digits() -> TaskData:
    images, labels = digit_images()
    return TaskData((images,), labels, CLASSES)


def digits_mlp(classes: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, classes))


def digits_cnn(classes: int) -> nn.Module:
    """Two 3×3 convolutions: every filter is slid over the whole image (local, shared weights)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 4 * 4, classes),
    )


TASK = Task("digits", digits,
            {"mlp": lambda data: digits_mlp(len(data.classes)), "cnn": lambda data: digits_cnn(len(data.classes))},
            Defaults("adam", 3e-3, 32, 10))
