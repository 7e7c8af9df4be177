"""text: assets/text/topics.tsv, 220 short sentences in 4 topics, as MiniLM word pieces.

The packaged MiniLM sentence encoder, pretrained on a billion sentence pairs, fine-tuned with a new
head, vs a bidirectional LSTM learning from these 176 sentences alone. Both read the same word pieces,
so only pretraining and architecture differ.
"""
from functools import cache
from pathlib import Path

import torch
from torch import nn

from models.language.sentence_encoder import packaged_minilm_folder
from models.libraries import IMPORT_LOCK
from models.training.data import TaskData
from models.training.task import Defaults, Task

TOPICS_FILE = Path(__file__).resolve().parents[3] / "assets" / "text" / "topics.tsv"


@cache
def topics() -> TaskData:
    with IMPORT_LOCK:
        from transformers import AutoTokenizer

    rows = [line.split("\t") for line in TOPICS_FILE.read_text(encoding="utf-8").splitlines()[1:]]
    classes = sorted({topic for topic, _ in rows})
    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_folder())
    batch = tokenizer([sentence for _, sentence in rows], padding=True, return_tensors="pt")
    labels = torch.tensor([classes.index(topic) for topic, _ in rows])
    return TaskData((batch["input_ids"], batch["attention_mask"]), labels, classes)


def _mean_over_tokens(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


class PretrainedTextClassifier(nn.Module):
    """MiniLM's mean-pooled sentence vector (as models/language/sentence_encoder.py computes it) into a new head."""

    def __init__(self, classes: int):
        with IMPORT_LOCK:
            from transformers import AutoModel

        super().__init__()
        self.pretrained = AutoModel.from_pretrained(packaged_minilm_folder())
        self.head = nn.Linear(self.pretrained.config.hidden_size, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.pretrained(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(_mean_over_tokens(hidden, attention_mask))


class LSTMTextClassifier(nn.Module):
    def __init__(self, word_pieces: int, classes: int, width: int = 64):
        super().__init__()
        self.embedding = nn.Embedding(word_pieces, width, padding_idx=0)
        self.lstm = nn.LSTM(width, width, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * width, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.lstm(self.embedding(input_ids))
        return self.head(_mean_over_tokens(hidden, attention_mask))


TASK = Task("text", topics,
            {"minilm": lambda data: PretrainedTextClassifier(len(data.classes)),
             "lstm": lambda data: LSTMTextClassifier(int(data.inputs[0].max()) + 1, len(data.classes))},
            Defaults("adamw", 1e-3, 16, 3))
