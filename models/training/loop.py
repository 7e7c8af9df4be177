"""The one training loop: mini-batch steps, a point per step and per epoch, a stop flag, divergence caught.

The Training tab's runs (models/training/runner.py) and the Image tab's digit models (models/vision/digits.py)
both train through `fit`.
"""
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import Phrase
from models.training.config import TrainConfig
from models.training.data import IGNORE, TaskData
from models.training.task import Evaluation, Loss

DIVERGENCE_FACTOR = 10  # a train loss this many times the first one means the run has blown up
VALIDATION_BATCH = 256
PRETRAINED_LEARNING_RATE_SCALE = 0.05  # fine-tune pretrained weights gently, the new head at full speed


@dataclass
class Point:
    split: str  # "train": one mini-batch; "validation": the whole validation set after an epoch
    step: int  # optimizer steps taken so far
    epoch: float
    loss: float
    accuracy: float | None  # validation points only
    seconds: float  # since training started


@dataclass
class Outcome:
    status: str  # "finished", "stopped" or "diverged"
    steps: int
    total_steps: int
    metrics: dict = field(default_factory=dict)  # last train loss, last validation loss and accuracy, seconds
    message: Phrase | None = None  # why it stopped early


def parameter_groups(model: nn.Module, learning_rate: float) -> list[dict]:
    """One group at `learning_rate`, or for a model with a `pretrained` part that part at a fraction of it."""
    pretrained = getattr(model, "pretrained", None)
    if pretrained is None:
        return [{"params": list(model.parameters()), "lr": learning_rate}]
    body = {id(parameter) for parameter in pretrained.parameters()}
    return [{"params": list(pretrained.parameters()), "lr": learning_rate * PRETRAINED_LEARNING_RATE_SCALE},
            {"params": [p for p in model.parameters() if id(p) not in body], "lr": learning_rate}]


def make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    groups = parameter_groups(model, config.learning_rate)
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups)
    if config.optimizer == "momentum":
        return torch.optim.SGD(groups, momentum=0.9)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups)
    return torch.optim.AdamW(groups, weight_decay=0.01)


def loss_of(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over classes, or over every target token that is not padding."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


def steps_per_epoch(examples: int, batch_size: int) -> int:
    return -(-examples // batch_size)


@torch.inference_mode()
def evaluate(model: nn.Module, data: TaskData) -> tuple[float, float]:
    """(mean loss, accuracy) over every example, or every non-padding token for seq2seq."""
    model.eval()
    loss_sum, correct, counted = 0.0, 0, 0
    for start in range(0, len(data), VALIDATION_BATCH):
        inputs = [tensor[start: start + VALIDATION_BATCH] for tensor in data.inputs]
        targets = data.targets[start: start + VALIDATION_BATCH]
        logits = model(*inputs)
        kept = targets != IGNORE
        loss_sum += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                          ignore_index=IGNORE, reduction="sum"))
        correct += int((logits.argmax(-1)[kept] == targets[kept]).sum())
        counted += int(kept.sum())
    model.train()
    return loss_sum / counted, correct / counted


def fit(model: nn.Module, train: TaskData, validation: TaskData, config: TrainConfig,
        on_point: Callable[[Point], None] = lambda point: None,
        should_stop: Callable[[], bool] = lambda: False, loss_function: Loss = loss_of,
        evaluation: Evaluation = evaluate) -> Outcome:
    """Train `model` in place on `train` (tensors already on the model's device) for config.epochs;
    `loss_function` and `evaluation` are the task's own where it has them (CTC)."""
    optimizer = make_optimizer(config, model)
    generator = torch.Generator().manual_seed(config.seed)
    batches = steps_per_epoch(len(train), config.batch_size)
    outcome = Outcome("finished", 0, batches * config.epochs)
    started = time.perf_counter()
    first_loss = None
    model.train()
    for epoch in range(config.epochs):
        order = torch.randperm(len(train), generator=generator).to(train.targets.device)
        for batch in order.split(config.batch_size):
            if should_stop():
                outcome.status, outcome.message = "stopped", Phrase("training.stopped_after", steps=outcome.steps)
                return _finish(outcome, started)
            loss = loss_function(model(*(tensor[batch] for tensor in train.inputs)), train.targets[batch])
            value = loss.item()
            first_loss = first_loss or value
            if not math.isfinite(value) or value > DIVERGENCE_FACTOR * first_loss:
                outcome.status = "diverged"
                outcome.message = Phrase("training.diverged", step=outcome.steps + 1, first_loss=first_loss,
                                         loss=value)
                return _finish(outcome, started)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            outcome.steps += 1
            outcome.metrics["train_loss"] = value
            on_point(Point("train", outcome.steps, outcome.steps / batches, value, None,
                           time.perf_counter() - started))
        validation_loss, accuracy = evaluation(model, validation)
        outcome.metrics.update(validation_loss=validation_loss, validation_accuracy=accuracy)
        on_point(Point("validation", outcome.steps, epoch + 1, validation_loss, accuracy,
                       time.perf_counter() - started))
    return _finish(outcome, started)


def _finish(outcome: Outcome, started: float) -> Outcome:
    outcome.metrics["seconds"] = time.perf_counter() - started
    return outcome
