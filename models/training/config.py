"""What one training run is: a task, a variant of model for it, an optimizer and its settings."""
import json
import math
from dataclasses import asdict, dataclass

from models.errors import InputError, Phrase
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
    dataset: str = ""  # the my-images task's image set (models/training/image_sets.py)

    @property
    def label(self) -> str:
        """How a run is named in legends: variant · optimizer · lr."""
        return f"{self.variant} · {OPTIMIZER_TITLES.get(self.optimizer, self.optimizer)} · lr {self.learning_rate:g}"

    def validate(self, examples: int | None = None) -> "TrainConfig":
        """This config with whole numbers made ints, or InputError saying what is wrong.

        `examples`: how many examples the task has, so a batch larger than the training split is caught."""
        if self.task not in VARIANTS:
            raise InputError.of("training.unknown_task", task=self.task, choices=", ".join(VARIANTS))
        if self.variant not in VARIANTS[self.task]:
            raise InputError.of("training.unknown_variant", task=self.task, variant=self.variant,
                                 choices=", ".join(VARIANTS[self.task]))
        if self.optimizer not in OPTIMIZERS:
            raise InputError.of("training.unknown_optimizer", optimizer=self.optimizer, choices=", ".join(OPTIMIZERS))
        learning_rate = _number("learning_rate", self.learning_rate)
        if not 0 < learning_rate <= MAX_LEARNING_RATE:
            raise InputError.of("training.bad_learning_rate", limit=MAX_LEARNING_RATE, learning_rate=learning_rate)
        batch_size = _whole("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)
        epochs = _whole("epochs", self.epochs, 1, MAX_EPOCHS)
        seed = _whole("seed", self.seed, 0, 2**31 - 1)
        split = _number("validation_split", self.validation_split)
        if not 0.05 <= split <= 0.5:
            raise InputError.of("training.bad_split", split=split)
        if examples is not None:
            training_examples = examples - round(examples * split)
            if batch_size > training_examples:
                raise InputError.of("training.batch_too_large", batch_size=batch_size, examples=training_examples,
                                     task=self.task)
        return TrainConfig(self.task, self.variant, self.optimizer, learning_rate, batch_size, epochs, seed, split,
                           self.dataset)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
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
