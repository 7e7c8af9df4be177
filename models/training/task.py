"""What a training task is: one `Task` per file in models/training/tasks/, listed in tasks/__init__.py.

A task brings its data, the variants of model that learn it side by side, one-click settings, and, when
its trained models are worth keeping, how they are saved and loaded back to be used. Its visible names
are locale keys: training.task.<name> and training.variant.<variant> in studio/locales/*.json.
"""
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from models.progress import Progress
from models.training.data import TaskData

Builder = Callable[[TaskData], nn.Module]  # the task's (training) data -> a fresh model; its forward gives logits
# (the config.json written beside the weights, the weights, device, dtype) -> a model with a classify method
Reloader = Callable[[dict, dict[str, torch.Tensor], torch.device, torch.dtype], Any]
Loss = Callable[[Any, torch.Tensor], torch.Tensor]  # (the model's output, a batch's targets) -> mean loss
Evaluation = Callable[[nn.Module, TaskData], tuple[float, float]]  # (model, a split) -> (mean loss, accuracy)
Weights = Callable[[nn.Module], dict[str, torch.Tensor]]  # a trained model -> what of it is saved


@dataclass(frozen=True)
class Defaults:
    """One-click settings: about a minute on 2 CPU cores."""
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int


@dataclass(frozen=True)
class Task:
    name: str
    load: Callable[..., TaskData]  # () -> the data; (dataset id) -> the data when `uses_dataset`
    variants: dict[str, Builder]  # variant -> its builder; the first is the default
    defaults: Defaults
    uses_dataset: bool = False  # trains on a set the user made (my-images), named by TrainConfig.dataset
    saved_kind: str | None = None  # what a finished run's model is kept for: "image" (Image tab), "keyword"
    preprocessing: dict | None = None  # how a saved model's inputs are made, for its config.json
    reload: Reloader | None = None  # a saved model back, ready to classify
    loss: Loss | None = None  # None: cross-entropy over classes or tokens (models/training/loop.py)
    evaluate: Evaluation | None = None  # None: cross-entropy and the share of classes or tokens right
    prepare: Callable[[Progress], object] | None = None  # makes data that takes minutes on first use, with progress
    saved_weights: Weights | None = None  # None: the whole state dict (a LoRA run keeps its adapter only)

    def data(self, dataset: str = "") -> TaskData:
        return self.load(dataset) if self.uses_dataset else self.load()

    def build(self, variant: str, data: TaskData) -> nn.Module:
        return self.variants[variant](data)
