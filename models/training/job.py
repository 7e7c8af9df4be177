"""One run's work, in whichever process trains it: the task's data and model made, `fit`, the model kept.

The Runner calls `train_run` in its own process for one worker; each worker process of a data-parallel run
(models/training/distributed.py) calls it with its `DataParallel`, so both paths build, train and save alike.
"""
from typing import Callable

import torch

from models.training import saved
from models.training.config import TrainConfig
from models.training.finetune import trained_part
from models.training.loop import Alone, Outcome, Point, evaluate, fit, loss_of, steps_per_epoch
from models.training.tasks import TASKS, build_model, load_task


def train_run(run_id: int, config: TrainConfig, device: torch.device, started: Callable[[int], None],
              on_point: Callable[[Point], None], should_stop: Callable[[], bool],
              sync: Alone = Alone()) -> tuple[Outcome, str | None]:
    """(how it ended, the key of the model it saved or None). `started(total_steps)` is called once the data and
    model are ready. Every process builds the same model from config.seed; under DataParallel rank 0's weights
    are broadcast, and the other ranks then reseed so their dropout masks differ from rank 0's."""
    task = TASKS[config.task]
    train, validation = load_task(config.task, config.dataset).split(config.validation_split, config.seed)
    train, validation = train.to(device), validation.to(device)
    torch.manual_seed(config.seed)
    model = build_model(config.task, config.variant, train).to(device)
    if sync.rank:
        torch.manual_seed(config.seed + sync.rank)
    trained, train, validation = trained_part(model, train, validation)
    started(steps_per_epoch(len(train), config.batch_size) * config.epochs)
    outcome = fit(trained, train, validation, config, on_point, should_stop, task.loss or loss_of,
                  task.evaluate or evaluate, sync)
    if outcome.status != "finished" or not task.saved_kind or sync.rank:
        return outcome, None
    return outcome, saved.save(run_id, config, model, train.classes, outcome.metrics.get("validation_accuracy")).key
