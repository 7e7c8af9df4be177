"""The models a task can train, side by side: each takes the task's inputs and returns logits.

digits:  an MLP (every pixel to every unit) vs a small CNN (3×3 filters slid over the image).
seq2seq: an LSTM encoder-decoder (the source squeezed into one state) vs a tiny transformer (attention
         to every source word at every step). Both are about 250 k parameters.
text:    the packaged MiniLM sentence encoder, pretrained on a billion sentence pairs, fine-tuned with
         a new head, vs a bidirectional LSTM learning from these 176 sentences alone.
images, my-images: EfficientNet-Lite0 pretrained on ImageNet, frozen or partly unfrozen, vs from scratch
         (models/training/finetune.py).
keywords: a CNN front end into a bidirectional LSTM (the acoustic model of speech recognisers before
         transformers: convolutions find local sound patterns, the LSTM follows them in time) vs a CNN alone.
"""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from models.libraries import IMPORT_LOCK
from models.training.data import TaskData

PRETRAINED_LEARNING_RATE_SCALE = 0.05  # fine-tune pretrained weights gently, the new head at full speed


def build_model(task: str, variant: str, data: TaskData) -> nn.Module:
    classes = len(data.classes)
    if task == "digits":
        return digits_mlp(classes) if variant == "mlp" else digits_cnn(classes)
    if task == "seq2seq":
        source_words = len(data.input_vocabulary)
        return LSTMTranslator(source_words, classes) if variant == "lstm" else TinyTransformer(source_words, classes)
    if task == "text":
        word_pieces = int(data.inputs[0].max()) + 1
        return PretrainedTextClassifier(classes) if variant == "minilm" else LSTMTextClassifier(word_pieces, classes)
    if task in ("images", "my-images"):
        from models.training.finetune import FineTunedLite0

        return FineTunedLite0(classes, variant)
    if task == "keywords":
        return keyword_model(variant, classes)
    raise ValueError(f"unknown task {task!r}")


def parameter_groups(model: nn.Module, learning_rate: float) -> list[dict]:
    """One group at `learning_rate`, or for a pretrained model its body at a fraction of it."""
    pretrained = getattr(model, "pretrained", None)
    if pretrained is None:
        return [{"params": list(model.parameters()), "lr": learning_rate}]
    body = {id(parameter) for parameter in pretrained.parameters()}
    return [{"params": list(pretrained.parameters()), "lr": learning_rate * PRETRAINED_LEARNING_RATE_SCALE},
            {"params": [p for p in model.parameters() if id(p) not in body], "lr": learning_rate}]


def digits_mlp(classes: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, classes))


def digits_cnn(classes: int) -> nn.Module:
    """Two 3×3 convolutions: every filter is slid over the whole image (local, shared weights)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 4 * 4, classes),
    )


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


def _mean_over_tokens(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


class PretrainedTextClassifier(nn.Module):
    """MiniLM's mean-pooled sentence vector (as models/language/sentence_encoder.py computes it) into a new linear head."""

    def __init__(self, classes: int):
        with IMPORT_LOCK:
            from transformers import AutoModel

        from models.language.sentence_encoder import packaged_minilm_folder

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


def keyword_model(variant: str, classes: int) -> nn.Module:
    return CNNBiLSTMKeywords(classes) if variant == "cnn-bilstm" else CNNKeywords(classes)


def _conv_block(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(), nn.MaxPool2d(2))


class CNNBiLSTMKeywords(nn.Module):
    """[n, 1, mels, frames] -> logits: two conv blocks over time × frequency, then a BiLSTM over the frames."""

    def __init__(self, classes: int, mels: int = 32, width: int = 48):
        super().__init__()
        self.convolutions = nn.Sequential(_conv_block(1, 8), _conv_block(8, 16))
        self.lstm = nn.LSTM(16 * (mels // 4), width, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * width, classes)

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        maps = self.convolutions(spectrograms)  # [n, channels, mels / 4, frames / 4]
        frames = maps.flatten(1, 2).transpose(1, 2)  # [n, frames / 4, channels × mels / 4]
        hidden, _ = self.lstm(frames)
        return self.head(hidden.mean(1))


class CNNKeywords(nn.Module):
    """[n, 1, mels, frames] -> logits: three conv blocks, then each feature's strongest moment (max over time),
    wherever the word falls in the window."""

    def __init__(self, classes: int, mels: int = 32):
        super().__init__()
        self.convolutions = nn.Sequential(_conv_block(1, 8), _conv_block(8, 16), _conv_block(16, 32))
        self.head = nn.Linear(32 * (mels // 8), classes)

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        return self.head(self.convolutions(spectrograms).flatten(1, 2).amax(dim=2))
