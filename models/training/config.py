"""What one training run is: a task, a variant of model for it, an optimizer and its settings."""
import json
import math
from dataclasses import asdict, dataclass

from models.errors import InputError, Phrase
from models.limits import LIMITS
from models.training.tasks import TASKS

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")  # shown as training.optimizer.<name>

MAX_LEARNING_RATE = LIMITS.learning_rate
MAX_BATCH_SIZE = LIMITS.batch_size
MAX_EPOCHS = LIMITS.epochs
MAX_WORKERS = LIMITS.workers  # asked for; a run gets at most the machine's cores or GPUs (distributed.py caps it)


@dataclass(frozen=True)
class TrainConfig:
    task: str = "digits"
    variant: str = "mlp"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 5
    seed: int = 0
    validation_split: float = 0.2
    dataset: str = ""  # the my-images task's image set (models/training/image_sets.py)
    workers: int = 1  # processes sharing each mini-batch (models/training/distributed.py): the run's world size

    def validate(self, examples: int | None = None) -> "TrainConfig":
        """This config with whole numbers made ints, or InputError saying what is wrong.

        `examples`: how many examples the task has, so a batch larger than the training split is caught."""
        if self.task not in TASKS:
            raise InputError.of("training.unknown_task", task=self.task, choices=", ".join(TASKS))
        variants = TASKS[self.task].variants
        if self.variant not in variants:
            raise InputError.of("training.unknown_variant", task=self.task, variant=self.variant,
                                choices=", ".join(variants))
        if self.optimizer not in OPTIMIZERS:
            raise InputError.of("training.unknown_optimizer", optimizer=self.optimizer, choices=", ".join(OPTIMIZERS))
        learning_rate = _number("learning_rate", self.learning_rate)
        if not 0 < learning_rate <= MAX_LEARNING_RATE:
            raise InputError.of("training.bad_learning_rate", limit=MAX_LEARNING_RATE, learning_rate=learning_rate)
        batch_size = _whole("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        epochs = _whole("epochs", self.epochs, 1, MAX_EPOCHS)
        seed = _whole("seed", self.seed, 0, 2**31 - 1)
        workers = _whole("workers", self.workers, 1, MAX_WORKERS)
        split = _number("validation_split", self.validation_split)
        if not 0.05 <= split <= 0.5:
            raise InputError.of("training.bad_split", split=split)
        if examples is not None:
            training_examples = examples - round(examples * split)
            if batch_size > training_examples:
                raise InputError.of("training.batch_too_large", batch_size=batch_size, examples=training_examples,
                                    task=self.task)
        return TrainConfig(self.task, self.variant, self.optimizer, learning_rate, batch_size, epochs, seed, split,
                           self.dataset, workers)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        """A stored config; a record from before a setting existed gets its default (workers: 1)."""
        return cls(**json.loads(text))


def _number(setting: str, value) -> float:
    """`value` as a float; `setting` names it in the message (training.field.<setting>)."""
    name = Phrase(f"training.field.{setting}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError.of("training.not_a_number", name=name, value=value) from None
    if not math.isfinite(number):
        raise InputError.of("training.not_finite", name=name, value=value)
    return number


def _whole(setting: str, value, lowest: int, highest: int) -> int:
    number = _number(setting, value)
    if number != int(number) or not lowest <= number <= highest:
        raise InputError.of("training.not_whole", name=Phrase(f"training.field.{setting}"), lowest=lowest,
                            highest=highest, value=value)
    return int(number)
