"""What one training run is: a task, a variant of model for it, an optimizer and its settings."""
import json
import math
from dataclasses import asdict, dataclass

from models.errors import InputError
from models.limits import LIMITS

# task -> its variants; the first is the default, and each task's variants share data and loss
VARIANTS: dict[str, tuple[str, ...]] = {
    "digits": ("mlp", "cnn"),
    "seq2seq": ("lstm", "transformer"),
    "text": ("minilm", "lstm"),
    "images": ("frozen", "partial", "scratch"),
    "my-images": ("frozen", "partial", "scratch"),
    "keywords": ("cnn-bilstm", "cnn"),
}
TASK_TITLES = {"digits": "Digit images (8×8): MLP vs CNN",
               "seq2seq": "Number words → digits: LSTM vs transformer",
               "text": "Sentence topics: MiniLM fine-tuned vs LSTM from scratch",
               "images": "Digit photos: EfficientNet-Lite0 fine-tuned (frozen, partly unfrozen) vs from scratch",
               "my-images": "Your own classes: EfficientNet-Lite0 on your photos",
               "keywords": "Spoken words (yes, no, up…): CNN + BiLSTM vs CNN"}
# one-click settings per task: (optimizer, learning rate, batch size, epochs), about a minute on 2 CPU cores
TASK_DEFAULTS = {"digits": ("adam", 3e-3, 32, 10), "seq2seq": ("adam", 3e-3, 32, 10), "text": ("adamw", 1e-3, 16, 3),
                 "images": ("adam", 1e-2, 32, 4), "my-images": ("adam", 1e-2, 16, 4),
                 "keywords": ("adam", 3e-3, 16, 6)}
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam", "adamw": "AdamW"}

MAX_LEARNING_RATE = LIMITS.learning_rate
MAX_BATCH_SIZE = LIMITS.batch_size
MAX_EPOCHS = LIMITS.epochs


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
    dataset: str = ""  # the my-images task's image set (models/training/images.py)

    @property
    def label(self) -> str:
        """How a run is named in legends: variant · optimizer · lr."""
        return f"{self.variant} · {OPTIMIZER_TITLES.get(self.optimizer, self.optimizer)} · lr {self.learning_rate:g}"

    def validate(self, examples: int | None = None) -> "TrainConfig":
        """This config with whole numbers made ints, or InputError saying what is wrong.

        `examples`: how many examples the task has, so a batch larger than the training split is caught."""
        if self.task not in VARIANTS:
            raise InputError(f"Unknown task {self.task!r}; choose one of {', '.join(VARIANTS)}.")
        if self.variant not in VARIANTS[self.task]:
            raise InputError(f"The {self.task} task has no variant {self.variant!r}; "
                             f"choose from {', '.join(VARIANTS[self.task])}.")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
        learning_rate = _number("Learning rate", self.learning_rate)
        if not 0 < learning_rate <= MAX_LEARNING_RATE:
            raise InputError(f"Learning rate must be above 0 and at most {MAX_LEARNING_RATE:g} "
                             f"(typical: 1e-3 for Adam, 0.1 for SGD); got {learning_rate:g}.")
        batch_size = _whole("Batch size", self.batch_size, 1, MAX_BATCH_SIZE)
        epochs = _whole("Epochs", self.epochs, 1, MAX_EPOCHS)
        seed = _whole("Seed", self.seed, 0, 2**31 - 1)
        split = _number("Validation split", self.validation_split)
        if not 0.05 <= split <= 0.5:
            raise InputError(f"Validation split must be between 0.05 and 0.5 (a fraction of the data); got {split:g}.")
        if examples is not None:
            training_examples = examples - round(examples * split)
            if batch_size > training_examples:
                raise InputError(f"Batch size {batch_size} is larger than the {training_examples} training examples "
                                 f"of the {self.task} task; choose {training_examples} or fewer.")
        return TrainConfig(self.task, self.variant, self.optimizer, learning_rate, batch_size, epochs, seed, split,
                           self.dataset)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        return cls(**json.loads(text))


def _number(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}.") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number; got {value!r}.")
    return number


def _whole(name: str, value, lowest: int, highest: int) -> int:
    number = _number(name, value)
    if number != int(number) or not lowest <= number <= highest:
        raise InputError(f"{name} must be a whole number from {lowest} to {highest}; got {value!r}.")
    return int(number)
