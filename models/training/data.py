"""The data each task trains on, made or read offline, as tensors ready for batching.

digits:  scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes).
seq2seq: English number words → their digits, 0 to 999 ("three hundred forty two" → "342").
text:    assets/text/topics.tsv, 220 short sentences in 4 topics, as MiniLM word pieces.
images, my-images: small photos for EfficientNet-Lite0 (models/training/image_sets.py).
keywords: spoken command words as log-mel spectrograms (models/training/keywords.py).
"""
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import torch

from models.libraries import IMPORT_LOCK

TOPICS_FILE = Path(__file__).resolve().parents[2] / "assets" / "text" / "topics.tsv"
IGNORE = -100  # target positions the loss skips (padding), as F.cross_entropy's ignore_index

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
PAD, BOS, EOS = "<pad>", "<s>", "</s>"
DIGIT_VOCABULARY = [PAD, BOS, EOS, *"0123456789"]


@dataclass(frozen=True)
class TaskData:
    inputs: tuple[torch.Tensor, ...]  # what the model is called with, each [examples, ...]
    targets: torch.Tensor  # [examples] class ids, or [examples, length] token ids with IGNORE at padding
    classes: list[str]  # class names, or the output vocabulary for seq2seq
    input_vocabulary: list[str] | None = None  # seq2seq source words
    groups: torch.Tensor | None = None  # [examples] source ids: copies made from one source stay on one side of a split

    def __len__(self) -> int:
        return len(self.targets)

    def subset(self, indices: torch.Tensor) -> "TaskData":
        return replace(self, inputs=tuple(tensor[indices] for tensor in self.inputs), targets=self.targets[indices],
                       groups=None if self.groups is None else self.groups[indices])

    def to(self, device: torch.device) -> "TaskData":
        return replace(self, inputs=tuple(tensor.to(device) for tensor in self.inputs), targets=self.targets.to(device))

    def split(self, validation_fraction: float, seed: int) -> tuple["TaskData", "TaskData"]:
        """(train, validation): a seeded shuffle of the examples (or of the groups), `validation_fraction` held out."""
        groups = torch.arange(len(self)) if self.groups is None else self.groups
        names, group_of = groups.unique(return_inverse=True)
        rank = torch.empty(len(names), dtype=torch.long)
        rank[torch.randperm(len(names), generator=torch.Generator().manual_seed(seed))] = torch.arange(len(names))
        example_rank = rank[group_of]
        order = torch.argsort(example_rank, stable=True)
        held_out = int((example_rank < max(1, round(len(names) * validation_fraction))).sum())
        return self.subset(order[held_out:]), self.subset(order[:held_out])


def load_task(task: str, dataset: str = "") -> TaskData:
    """`dataset`: the id of the user's image set, for the my-images task."""
    from models.training import image_sets, keywords

    if task == "my-images":
        return image_sets.image_set(dataset)
    return {"digits": digits, "seq2seq": number_words, "text": topics, "images": image_sets.digit_photos,
            "keywords": keywords.spoken_words}[task]()


@lru_cache(maxsize=None)
def digits() -> TaskData:
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.tensor(data.images / 16, dtype=torch.float32).unsqueeze(1)  # ink counts 0–16 → [0, 1]
    return TaskData((images,), torch.tensor(data.target), [str(digit) for digit in range(10)])


def say_number(number: int) -> str:
    """0–999 in English words, as people say them: 342 → "three hundred forty two"."""
    hundreds, rest = divmod(number, 100)
    words = [ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [TENS[rest // 10]] + ([ONES[rest % 10]] if rest % 10 else [])
    elif rest or not words:
        words.append(ONES[rest])
    return " ".join(words)


@lru_cache(maxsize=None)
def number_words() -> TaskData:
    """Source: word ids; decoder input: <s> + digits; target: digits + </s> (teacher forcing)."""
    source_vocabulary = [PAD, *ONES, *TENS[2:], "hundred"]
    source_ids = {word: i for i, word in enumerate(source_vocabulary)}
    digit_ids = {token: i for i, token in enumerate(DIGIT_VOCABULARY)}
    sentences = [[source_ids[word] for word in say_number(n).split()] for n in range(1000)]
    answers = [[digit_ids[d] for d in str(n)] for n in range(1000)]
    source = _pad([ids for ids in sentences], source_ids[PAD])
    decoder_input = _pad([[digit_ids[BOS], *ids] for ids in answers], digit_ids[PAD])
    targets = _pad([[*ids, digit_ids[EOS]] for ids in answers], IGNORE)
    return TaskData((source, decoder_input), targets, DIGIT_VOCABULARY, source_vocabulary)


@lru_cache(maxsize=None)
def topics() -> TaskData:
    """Both text variants read the same MiniLM word pieces, so only pretraining and architecture differ."""
    with IMPORT_LOCK:
        from transformers import AutoTokenizer

    from models.language.sentence_encoder import packaged_minilm_folder

    rows = [line.split("\t") for line in TOPICS_FILE.read_text(encoding="utf-8").splitlines()[1:]]
    classes = sorted({topic for topic, _ in rows})
    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_folder())
    batch = tokenizer([sentence for _, sentence in rows], padding=True, return_tensors="pt")
    labels = torch.tensor([classes.index(topic) for topic, _ in rows])
    return TaskData((batch["input_ids"], batch["attention_mask"]), labels, classes)


def _pad(sequences: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(sequence) for sequence in sequences)
    return torch.tensor([sequence + [value] * (width - len(sequence)) for sequence in sequences])
