"""The one training loop: mini-batch steps, a point per step and per epoch, a stop flag, divergence caught.

The Training tab's runs (models/training/runner.py) and the Image tab's digit models (models/vision/digits.py)
both train through `fit`; so does each worker process of a data-parallel run (models/training/distributed.py),
which passes its own `Alone` subclass to share every mini-batch with the other workers.
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
    status: str  # "finished", "stopped", "diverged", or "failed" (a worker process of a data-parallel run died)
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


def loss_terms(loss_function: Loss, targets: torch.Tensor) -> int:
    """How many terms a batch's mean loss averages: its counted tokens for cross-entropy (padding skipped), its
    examples for a task's own loss (CTC's mean is per example)."""
    return int((targets != IGNORE).sum()) if loss_function is loss_of else len(targets)


class Alone:
    """fit's partners in one run: none. This process takes every example of each mini-batch.

    models/training/distributed.py's `DataParallel` overrides each method to share the batches among worker
    processes; `fit` calls them at the same points either way, so there is one loop."""
    rank = 0  # this process among `world`; rank 0 evaluates and reports
    world = 1
    allreduce_seconds = 0.0  # time spent in all-reduce so far

    def wrap(self, model: nn.Module) -> nn.Module:
        """What the steps call: the model itself (its data-parallel wrapper under DataParallel)."""
        return model

    def part(self, batch: torch.Tensor, terms: Callable[[torch.Tensor], int]) -> tuple[torch.Tensor, float]:
        """(indices this process computes of `batch` [b], its share of the batch's loss terms); `terms` counts
        the loss terms of some indices (`loss_terms`)."""
        return batch, 1.0

    def agree(self, weighted_loss: torch.Tensor, stop: bool) -> tuple[float, bool]:
        """(the whole batch's mean loss, whether to stop) from this process's loss × its share and its stop flag."""
        return weighted_loss.item(), stop

    def gather(self, values: list[float]) -> list[list[float]]:
        """`values` of every process, by rank."""
        return [values]


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
        evaluation: Evaluation = evaluate, sync: Alone = Alone()) -> Outcome:
    """Train `model` in place on `train` (tensors already on the model's device) for config.epochs;
    `loss_function` and `evaluation` are the task's own where it has them (CTC).

    Every process of a run (`sync`) draws the same shuffle and takes its part of each mini-batch; it weights
    its part's mean loss by its share of the batch's loss terms (times the world size, as DistributedDataParallel
    averages the gradients over processes), so the gradient, and the loss reported, are the whole batch's even
    when the parts are unequal. Rank 0 evaluates and reports the points. Each epoch adds examples_per_second
    (per process, training steps only) and, for several processes, the share of that time in all-reduce."""
    trained = sync.wrap(model)
    optimizer = make_optimizer(config, model)
    generator = torch.Generator().manual_seed(config.seed)
    batches = steps_per_epoch(len(train), config.batch_size)
    outcome = Outcome("finished", 0, batches * config.epochs)
    started = time.perf_counter()
    stepping, examples = 0.0, 0  # seconds in training steps, examples this process computed
    first_loss = None
    model.train()
    for epoch in range(config.epochs):
        epoch_started = time.perf_counter()
        order = torch.randperm(len(train), generator=generator).to(train.targets.device)
        for batch in order.split(config.batch_size):
            part, share = sync.part(batch, lambda indices: loss_terms(loss_function, train.targets[indices]))
            loss = loss_function(trained(*(tensor[part] for tensor in train.inputs)), train.targets[part])
            value, stop = sync.agree(loss.detach() * share, should_stop())
            if stop:
                outcome.status, outcome.message = "stopped", Phrase("training.stopped_after", steps=outcome.steps)
                return _finish(outcome, started)
            first_loss = first_loss or value
            if not math.isfinite(value) or value > DIVERGENCE_FACTOR * first_loss:
                outcome.status = "diverged"
                outcome.message = Phrase("training.diverged", step=outcome.steps + 1, first_loss=first_loss,
                                         loss=value)
                return _finish(outcome, started)
            optimizer.zero_grad(set_to_none=True)
            (loss * (share * sync.world)).backward()
            optimizer.step()
            outcome.steps += 1
            examples += len(part)
            outcome.metrics["train_loss"] = value
            on_point(Point("train", outcome.steps, outcome.steps / batches, value, None,
                           time.perf_counter() - started))
        stepping += time.perf_counter() - epoch_started
        if sync.rank == 0:
            validation_loss, accuracy = evaluation(model, validation)
            outcome.metrics.update(validation_loss=validation_loss, validation_accuracy=accuracy)
            on_point(Point("validation", outcome.steps, epoch + 1, validation_loss, accuracy,
                           time.perf_counter() - started))
        outcome.metrics.update(_throughput(sync.gather([examples, stepping, sync.allreduce_seconds])))
    return _finish(outcome, started)


def _throughput(processes: list[list[float]]) -> dict:
    """Metrics from every process's [examples, seconds in steps, seconds in all-reduce]: examples/s per process
    and, for several, the mean share of step time spent in all-reduce."""
    metrics = {"examples_per_second": [examples / seconds for examples, seconds, _ in processes]}
    if len(processes) > 1:
        metrics.update(world_size=len(processes),
                       allreduce_share=sum(waited / seconds for _, seconds, waited in processes) / len(processes))
    return metrics


def _finish(outcome: Outcome, started: float) -> Outcome:
    outcome.metrics["seconds"] = time.perf_counter() - started
    return outcome
