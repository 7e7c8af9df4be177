"""seq2seq: English number words → their digits, 0 to 999 ("three hundred forty two" → "342").

An LSTM encoder-decoder (the source squeezed into one state) vs a tiny transformer (attention to every
source word at every step); both are about 250 k parameters.
"""
from functools import cache

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from models.training.data import IGNORE, TaskData, pad
from models.training.task import Defaults, Task

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
PAD, BOS, EOS = "<pad>", "<s>", "</s>"
DIGIT_VOCABULARY = [PAD, BOS, EOS, *"0123456789"]


def say_number(number: int) -> str:
    """0–999 in English words, as people say them: 342 → "three hundred forty two"."""
    hundreds, rest = divmod(number, 100)
    words = [ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [TENS[rest // 10]] + ([ONES[rest % 10]] if rest % 10 else [])
    elif rest or not words:
        words.append(ONES[rest])
    return " ".join(words)


@cache
def number_words() -> TaskData:
    """Source: word ids; decoder input: <s> + digits; target: digits + </s> (teacher forcing)."""
    source_vocabulary = [PAD, *ONES, *TENS[2:], "hundred"]
    source_ids = {word: i for i, word in enumerate(source_vocabulary)}
    digit_ids = {token: i for i, token in enumerate(DIGIT_VOCABULARY)}
    sentences = [[source_ids[word] for word in say_number(n).split()] for n in range(1000)]
    answers = [[digit_ids[d] for d in str(n)] for n in range(1000)]
    source = pad(sentences, source_ids[PAD])
    decoder_input = pad([[digit_ids[BOS], *ids] for ids in answers], digit_ids[PAD])
    targets = pad([[*ids, digit_ids[EOS]] for ids in answers], IGNORE)
    return TaskData((source, decoder_input), targets, DIGIT_VOCABULARY, source_vocabulary)


class LSTMTranslator(nn.Module):
    """Sutskever et al. (2014): the encoder's final state is all the decoder knows of the source."""

    def __init__(self, source_words: int, target_words: int, width: int = 128):
        super().__init__()
        self.source_embedding = nn.Embedding(source_words, width, padding_idx=0)
        self.target_embedding = nn.Embedding(target_words, width, padding_idx=0)
        self.encoder = nn.LSTM(width, width, batch_first=True)
        self.decoder = nn.LSTM(width, width, batch_first=True)
        self.output = nn.Linear(width, target_words)

    def forward(self, source: torch.Tensor, decoder_input: torch.Tensor) -> torch.Tensor:
        lengths = (source != 0).sum(1).cpu()
        # packed, so the final state is taken at each sentence's last word, not after its padding
        packed = pack_padded_sequence(self.source_embedding(source), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.encoder(packed)
        hidden, _ = self.decoder(self.target_embedding(decoder_input), state)
        return self.output(hidden)


class TinyTransformer(nn.Module):
    """Vaswani et al. (2017), tiny: every output digit attends to every source word directly."""

    def __init__(self, source_words: int, target_words: int, width: int = 64, heads: int = 4, layers: int = 2,
                 max_length: int = 32):
        super().__init__()
        self.source_embedding = nn.Embedding(source_words, width, padding_idx=0)
        self.target_embedding = nn.Embedding(target_words, width, padding_idx=0)
        self.position = nn.Embedding(max_length, width)
        self.transformer = nn.Transformer(width, heads, layers, layers, dim_feedforward=4 * width, dropout=0.1,
                                          batch_first=True)
        self.output = nn.Linear(width, target_words)

    def forward(self, source: torch.Tensor, decoder_input: torch.Tensor) -> torch.Tensor:
        def embed(ids: torch.Tensor, embedding: nn.Embedding) -> torch.Tensor:
            return embedding(ids) + self.position(torch.arange(ids.shape[1], device=ids.device))

        causal = nn.Transformer.generate_square_subsequent_mask(decoder_input.shape[1], device=source.device)
        padding = source == 0
        hidden = self.transformer(embed(source, self.source_embedding), embed(decoder_input, self.target_embedding),
                                  tgt_mask=causal, tgt_is_causal=True, src_key_padding_mask=padding,
                                  memory_key_padding_mask=padding)
        return self.output(hidden)


TASK = Task("seq2seq", number_words,
            {"lstm": lambda data: LSTMTranslator(len(data.input_vocabulary), len(data.classes)),
             "transformer": lambda data: TinyTransformer(len(data.input_vocabulary), len(data.classes))},
            Defaults("adam", 3e-3, 32, 10))
