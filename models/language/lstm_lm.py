"""A small word-level LSTM language model: the neural alternative to the n-gram in the recognizer's beam search.

It reads a sentence word by word and, after each, gives a probability to every next word (or the end); unlike
an n-gram it is not limited to the last two words, and similar words share what it learnt. Trained here in a
few seconds on the recognizer's training sentences; words it never saw share one <unk> id.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.language.ngram import END

UNKNOWN = "<unk>"
EMBEDDING, HIDDEN = 48, 96
EPOCHS, BATCH, LEARNING_RATE = 12, 32, 1e-2
SEED = 0


@dataclass(frozen=True)
class LSTMOptions:
    epochs: int = EPOCHS
    seed: int = SEED


class WordLSTM(nn.Module):
    """ids [n, length] (position 0 is the start, id of END) -> next-word logits [n, length, vocabulary]."""

    def __init__(self, vocabulary: int):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, vocabulary)

    def forward(self, ids: torch.Tensor, state=None):
        hidden, state = self.lstm(self.embed(ids), state)
        return self.head(hidden), state


class LSTMLanguageModel:
    def __init__(self, sentences: list[str], options: LSTMOptions = LSTMOptions()):
        self.words = sorted({word for sentence in sentences for word in sentence.split()})
        self.vocabulary = [END, UNKNOWN, *self.words]  # END also starts a sentence
        self.ids = {word: i for i, word in enumerate(self.vocabulary)}
        generator = torch.Generator().manual_seed(options.seed)
        torch.manual_seed(options.seed)
        self.network = WordLSTM(len(self.vocabulary))
        encoded = [[0, *self._ids(sentence.split()), 0] for sentence in sentences]
        width = max(map(len, encoded))
        padded = torch.tensor([row + [-100] * (width - len(row)) for row in encoded])
        optimizer = torch.optim.Adam(self.network.parameters(), lr=LEARNING_RATE)
        for _ in range(options.epochs):
            for batch in torch.randperm(len(padded), generator=generator).split(BATCH):
                rows = padded[batch]
                logits, _ = self.network(rows[:, :-1].clamp(min=0))
                loss = F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten(), ignore_index=-100)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        self.network.eval()
        self._states: dict[tuple[str, ...], tuple[torch.Tensor, tuple]] = {}

    def _ids(self, words) -> list[int]:
        return [self.ids.get(word, 1) for word in words]

    def knows(self, word: str) -> bool:
        return word in self.ids and word != UNKNOWN

    @torch.inference_mode()
    def _next(self, context: tuple[str, ...]) -> torch.Tensor:
        """[vocabulary] ln P(next word | context); each context is one LSTM step from its own, kept, prefix."""
        if context not in self._states:
            if context:
                self._next(context[:-1])
                _, state = self._states[context[:-1]]
                step = torch.tensor([self._ids(context[-1:])])
            else:
                state, step = None, torch.tensor([[0]])
            logits, state = self.network(step, state)
            self._states[context] = (logits[0, -1].log_softmax(-1), state)
        return self._states[context][0]

    def log_prob(self, context: tuple[str, ...], word: str) -> float:
        """ln P(word | every word before it); an unknown word takes <unk>'s share."""
        return float(self._next(context)[self.ids.get(word, 1)])

    def sentence_log_prob(self, text: str) -> float:
        words = tuple(text.split())
        return sum(self.log_prob(words[:i], word) for i, word in enumerate(words + (END,)))

    def perplexity(self, sentences: list[str]) -> float:
        total = sum(self.sentence_log_prob(sentence) for sentence in sentences)
        return math.exp(-total / sum(len(sentence.split()) + 1 for sentence in sentences))
