"""Attention weights read out of the studio's own models, one `AttentionMaps` per attention block.

Every map is [layers, heads, queries, keys] and each row (one query) sums to 1. The weights come
from the models themselves: `output_attentions` with eager attention (transformers 5 returns none
from SDPA), or forward hooks on the real attention modules of the Bergamot port. Nothing here
recomputes attention with a separate approximation; `head_steps` recomputes one head from the
model's own projections only to show the steps, and is tested against the model's weights.
"""
import contextlib
import math
import threading
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from models.attention.hooks import hooked_calls
from models.errors import InputError, Phrase
from models.language.causal_lm import LanguageModel
from models.language.sentence_encoder import SentenceEncoder
from models.limits import LIMITS
from models.pooling import blocks, pool
from models.speech.audio import SAMPLE_RATE, check_speech
from models.speech.recognizer import SpeechRecognizer
from models.training.tasks.digits import INK_LEVEL, digit_images
from models.translation.translators import BergamotTranslator, Translator
from models.vision.digits import DigitModels, rollout

MAX_TOKENS = LIMITS.attention_tokens
MAX_AUDIO_SECONDS = LIMITS.attention_audio_seconds
SECONDS_PER_FRAME = 0.02  # one Whisper encoder position
MAX_AUDIO_FRAMES = 250  # encoder frames are pooled to at most this many (0.12 s each for 30 s)
PADDING_LABEL = "(padding)"  # Whisper always encodes 30 s: the silence after the clip is one key

WHISPER_SPECIAL = "<|"  # Whisper's prompt tokens (<|startoftranscript|>, <|en|>, ...) start with it

Kind = Literal["self", "cross", "causal"]


@dataclass
class Backdrop:
    """What a map's keys lie on, for drawing one query's attention over it: the digit (keys are its
    patches) or the clip's log-mel spectrogram (keys are blocks of encoder frames)."""
    kind: Literal["image", "spectrogram"]
    pixels: np.ndarray  # [rows, columns]: ink 0–16, or log-mel (mels × encoder frames)
    key_of_cell: np.ndarray  # the key each pixel ([rows, columns]) or each column ([columns]) belongs to
    outside_key: int  # the key with no place on it: CLS (0) for the digit, the padding after the clip (-1)

    def spread(self, row: np.ndarray) -> np.ndarray:
        """One query's weights over the keys -> [rows, columns]: each cell gets its key's weight."""
        return np.broadcast_to(row[self.key_of_cell], self.pixels.shape)


@dataclass(frozen=True)
class Aggregate:
    """Every layer of a map summed up in one [queries, keys] map whose rows sum to 1."""
    method: Literal["rollout", "mean"]  # rollout through the layers, or the mean over every layer and head
    weights: np.ndarray


@dataclass
class AttentionMaps:
    model: str  # registry key
    name: Phrase  # which block ("attention.block.encoder_self", "attention.block.cross", ...)
    kind: Kind
    query_tokens: list[str]
    key_tokens: list[str]
    weights: np.ndarray  # [layers, heads, queries, keys], float32, rows sum to 1
    backdrop: Backdrop | None = None

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def heads(self) -> int:
        return self.weights.shape[1]

    def head(self, layer: int, head: int | None) -> np.ndarray:
        """[queries, keys] for one head, or the mean over the layer's heads when `head` is None."""
        if not 0 <= layer < self.layers:
            raise InputError.of("attention.bad_layer", model=self.name, last=self.layers - 1, layer=layer)
        if head is None:
            return self.weights[layer].mean(axis=0)
        if not 0 <= head < self.heads:
            raise InputError.of("attention.bad_head", model=self.name, last=self.heads - 1, head=head)
        return self.weights[layer, head]

    @property
    def chains(self) -> bool:
        """Whether the layers chain (queries and keys are the same tokens), which rollout needs."""
        return self.kind != "cross" and self.query_tokens == self.key_tokens

    def rollout(self) -> np.ndarray:
        """Attention rollout through every layer, [queries, keys]."""
        if not self.chains:
            raise InputError.of("attention.no_rollout", model=self.name)
        return rollout(self.weights).astype(np.float32)

    def aggregate(self) -> Aggregate:
        """The rollout where the layers chain, else (cross-attention, Whisper's padding key) the mean
        over every layer and head."""
        if self.chains:
            return Aggregate("rollout", self.rollout())
        return Aggregate("mean", self.weights.mean(axis=(0, 1)))

    def first_query(self) -> int:
        """The query worth looking at first: CLS for an image (it makes the prediction), the first
        written token of Whisper's cross-attention (after its prompt), else the first token after the start."""
        if self.backdrop is not None and self.backdrop.kind == "image":
            return 0
        if self.kind == "cross":
            written = [i for i, token in enumerate(self.query_tokens) if not token.startswith(WHISPER_SPECIAL)]
            if written:
                return written[0]
        return min(1, len(self.query_tokens) - 1)


def check_length(count: int, too_long: str = "attention.text_too_long") -> None:
    if count > MAX_TOKENS:
        raise InputError.of(too_long, count=count, limit=MAX_TOKENS)


# ----------------------------------------------------------------------------------------------
# Extractors, one per kind of model

@torch.inference_mode()
def text_attention(encoder: SentenceEncoder, text: str, model: str) -> list[AttentionMaps]:
    """The sentence encoder's self-attention over its word pieces, [CLS] and [SEP] included."""
    if not text.strip():
        raise InputError.of("attention.no_sentence")
    batch = encoder.tokenizer(text, return_tensors="pt")
    check_length(batch["input_ids"].shape[1])
    output = encoder.network(**batch.to(encoder.device), output_attentions=True)
    tokens = encoder.tokenizer.convert_ids_to_tokens(batch["input_ids"][0])
    weights = torch.cat(output.attentions).float().cpu().numpy()
    return [AttentionMaps(model, Phrase("attention.block.self"), "self", tokens, tokens, weights)]


def translation_attention(translator: Translator, text: str, model: str) -> list[AttentionMaps]:
    """Encoder self-attention over the source (Bergamot port: hooks on its encoder's attention
    modules) and the decoder's cross-attention over the source while writing the greedy translation.
    The Bergamot decoder has no self-attention: an SSRU (a recurrent cell) stands in its place."""
    if not text.strip():
        raise InputError.of("attention.no_translation_text")
    encoder_modules = ([layer.self_attention for layer in translator.model.encoder]
                       if isinstance(translator, BergamotTranslator) else [])
    with hooked_calls(encoder_modules) as calls:
        translation = translator.translate([text], with_attention=True, batched=False)[0]
    source, target = translation.source_tokens, translation.target_tokens
    maps = []
    if calls:
        encoder_weights = torch.cat([call.output[1] for call in calls]).float().cpu().numpy()
        maps.append(AttentionMaps(model, Phrase("attention.block.encoder_self"), "self", source, source,
                                  encoder_weights))
    maps.append(AttentionMaps(model, Phrase("attention.block.cross"), "cross", target, source,
                              translation.cross_attention))
    return maps


_attention_switch = threading.Lock()


@contextlib.contextmanager
def eager_attention(network):
    """Run a transformers model with eager attention, which returns its weights, then switch back:
    the Speech tab keeps the faster SDPA. A concurrent transcription meanwhile is only slower."""
    with _attention_switch:
        previous = network.config._attn_implementation
        network.set_attn_implementation("eager")
        try:
            yield
        finally:
            network.set_attn_implementation(previous)


def with_padding_key(weights: np.ndarray, frames: int) -> np.ndarray:
    """[..., keys over 30 s] -> [..., frames + 1]: the weight on the padding after the clip as one key."""
    return np.concatenate([weights[..., :frames], weights[..., frames:].sum(axis=-1, keepdims=True)], axis=-1)


def whisper_prompt(recognizer: SpeechRecognizer, language: str, task: str) -> list[int]:
    tokens = ["<|startoftranscript|>"]
    if recognizer.multilingual:
        tokens += [f"<|{language}|>", f"<|{task}|>"]
    return recognizer.tokenizer.convert_tokens_to_ids(tokens + ["<|notimestamps|>"])


@torch.inference_mode()
def speech_attention(recognizer: SpeechRecognizer, samples: np.ndarray, model: str,
                     language: str | None = None, task: str = "transcribe") -> list[AttentionMaps]:
    """Whisper's encoder self-attention over audio frames (pooled), the decoder's causal self-attention
    over the transcript, and its cross-attention from each token to the audio, in one forced pass
    over the model's own transcript."""
    check_speech(samples)
    if len(samples) > MAX_AUDIO_SECONDS * SAMPLE_RATE:
        raise InputError.of("attention.clip_too_long", limit=MAX_AUDIO_SECONDS, seconds=len(samples) / SAMPLE_RATE)
    transcript = recognizer.transcribe(samples, language=language, task=task)
    tokenizer = recognizer.tokenizer
    text_ids = tokenizer.encode(" " + transcript.text, add_special_tokens=False)
    ids = whisper_prompt(recognizer, transcript.language, task) + text_ids + [recognizer.end_of_text]
    check_length(len(ids), "attention.transcript_too_long")
    network = recognizer.model
    features = recognizer.processor.feature_extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    with eager_attention(network):
        output = network(input_features=features.input_features.to(network.device, network.dtype),
                         decoder_input_ids=torch.tensor([ids], device=network.device), output_attentions=True)
    frames = math.ceil(len(samples) / SAMPLE_RATE / SECONDS_PER_FRAME)
    frame_blocks = blocks(frames, MAX_AUDIO_FRAMES)
    key_blocks = frame_blocks + [np.array([frames])]
    frame_labels = [f"{block[0] * SECONDS_PER_FRAME:.2f} s" for block in frame_blocks]
    tokens = [tokenizer.decode([token_id]) for token_id in ids]

    def stacked(attentions) -> np.ndarray:
        return torch.cat(attentions).float().cpu().numpy()

    token_blocks = blocks(len(tokens), len(tokens))  # one per token: only the frames are pooled
    encoder = with_padding_key(stacked(output.encoder_attentions)[:, :, :frames], frames)
    cross = with_padding_key(stacked(output.cross_attentions), frames)
    spectrogram = spectrogram_backdrop(features.input_features[0].float().numpy(), frame_blocks)
    return [
        AttentionMaps(model, Phrase("attention.block.audio_self"), "self", frame_labels,
                      frame_labels + [PADDING_LABEL], pool(encoder, frame_blocks, key_blocks), spectrogram),
        AttentionMaps(model, Phrase("attention.block.decoder_causal"), "causal", tokens, tokens,
                      stacked(output.decoder_attentions)),
        AttentionMaps(model, Phrase("attention.block.audio_cross"), "cross", tokens, frame_labels + [PADDING_LABEL],
                      pool(cross, token_blocks, key_blocks), spectrogram),
    ]


def spectrogram_backdrop(log_mel: np.ndarray, frame_blocks: list[np.ndarray]) -> Backdrop:
    """The clip's part of Whisper's log-mel input, two 10 ms mel frames averaged into each 20 ms
    encoder frame, with the key (block of frames) every column belongs to."""
    frames = int(frame_blocks[-1][-1]) + 1
    columns = log_mel[:, :2 * frames].reshape(log_mel.shape[0], frames, 2).mean(axis=-1)
    key_of_column = np.zeros(frames, dtype=np.int64)
    for key, block in enumerate(frame_blocks):
        key_of_column[block] = key
    return Backdrop("spectrogram", columns, key_of_column, outside_key=-1)


@torch.inference_mode()
def digit_attention(digits: DigitModels, digit: np.ndarray, model: str) -> list[AttentionMaps]:
    """The small ViT's self-attention over CLS and the 16 patches (2×2 pixels) of an 8×8 digit."""
    batch = torch.tensor(digit / 16, dtype=torch.float32)[None, None]
    output = digits.vit(batch, output_attentions=True)
    patch = digits.vit.config.patch_size
    side = digit.shape[0] // patch
    tokens = ["CLS"] + [f"patch r{row + 1}c{column + 1}" for row in range(side) for column in range(side)]
    rows, columns = np.indices(digit.shape) // patch
    picture = Backdrop("image", digit, 1 + rows * side + columns, outside_key=0)  # key 0 is CLS, 1.. the patches
    return [AttentionMaps(model, Phrase("attention.block.patches"), "self", tokens, tokens,
                          torch.cat(output.attentions).numpy(), picture)]


@torch.inference_mode()
def language_attention(language: LanguageModel, text: str, model: str) -> list[AttentionMaps]:
    """The decoder-only model's causal self-attention: each token over itself and the tokens before it."""
    ids = language.encode(text)
    output = language.network(input_ids=ids, output_attentions=True)
    tokens = language.labels(ids[0])
    return [AttentionMaps(model, Phrase("attention.block.causal"), "causal", tokens, tokens,
                          torch.cat(output.attentions).float().cpu().numpy())]


# ----------------------------------------------------------------------------------------------
# How one head computes its weights

@dataclass
class HeadSteps:
    """softmax(QKᵀ/√d)·V for one head, from the layer's own query/key/value projections."""
    tokens: list[str]
    layer: int
    head: int
    queries: np.ndarray  # [tokens, d]
    keys: np.ndarray  # [tokens, d]
    values: np.ndarray  # [tokens, d]
    scores: np.ndarray  # QKᵀ/√d, [tokens, tokens]
    weights: np.ndarray  # softmax of the scores, rows sum to 1
    output: np.ndarray  # weights · V, [tokens, d]: this head's slice of the layer's attention output
    model_weights: np.ndarray  # what the model itself returned for this head, to compare
    note: Phrase | None = None  # what this model adds to the plain formula (RoPE, shared key/value heads, mask)


@torch.inference_mode()
def head_steps(encoder: SentenceEncoder, text: str, layer: int, head: int) -> HeadSteps:
    """Take the layer's input with a hook, push it through the layer's own Q, K, V Linear modules and
    compute the head's attention by hand. One unpadded sentence, so there is no mask to add."""
    layers = encoder.network.encoder.layer
    if not 0 <= layer < len(layers):
        raise InputError.of("attention.model_bad_layer", last=len(layers) - 1, layer=layer)
    attention = layers[layer].attention.self
    if not 0 <= head < attention.num_attention_heads:
        raise InputError.of("attention.model_bad_head", last=attention.num_attention_heads - 1, head=head)
    if not text.strip():
        raise InputError.of("attention.no_sentence")
    batch = encoder.tokenizer(text, return_tensors="pt")
    check_length(batch["input_ids"].shape[1])
    with hooked_calls([attention]) as calls:
        output = encoder.network(**batch.to(encoder.device), output_attentions=True)
    hidden = calls[0].argument("hidden_states")[0].float()
    size = attention.attention_head_size
    columns = slice(head * size, (head + 1) * size)

    def project(linear: torch.nn.Linear) -> torch.Tensor:
        return (hidden @ linear.weight.float().T + linear.bias.float())[:, columns]

    queries, keys, values = project(attention.query), project(attention.key), project(attention.value)
    scores = queries @ keys.T / math.sqrt(size)
    weights = scores.softmax(dim=-1)
    return HeadSteps(encoder.tokenizer.convert_ids_to_tokens(batch["input_ids"][0]), layer, head,
                     queries.cpu().numpy(), keys.cpu().numpy(), values.cpu().numpy(), scores.cpu().numpy(),
                     weights.cpu().numpy(), (weights @ values).cpu().numpy(),
                     output.attentions[layer][0, head].float().cpu().numpy())


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """RoPE: turn each pair of dimensions (i, i + d/2) by an angle that grows with the position."""
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


@torch.inference_mode()
def language_head_steps(language: LanguageModel, text: str, layer: int, head: int) -> HeadSteps:
    """The same steps for a Llama-style decoder, with what it adds to the formula: Q and K are rotated
    by position (RoPE) before the dot product, several query heads share one key/value head (grouped-
    query attention), and the scores above the diagonal (the future) are masked to -inf."""
    layers = language.network.model.layers
    if not 0 <= layer < len(layers):
        raise InputError.of("attention.model_bad_layer", last=len(layers) - 1, layer=layer)
    config = language.network.config
    if not 0 <= head < config.num_attention_heads:
        raise InputError.of("attention.model_bad_head", last=config.num_attention_heads - 1, head=head)
    attention = layers[layer].self_attn
    ids = language.encode(text)
    with hooked_calls([attention]) as calls:
        output = language.network(input_ids=ids, output_attentions=True)
    cos, sin = calls[0].kwargs["position_embeddings"]
    hidden, cos, sin = calls[0].argument("hidden_states")[0].float(), cos[0].float(), sin[0].float()
    size = attention.head_dim
    sharing = config.num_attention_heads // config.num_key_value_heads
    shared = head // sharing  # transformers' repeat_kv: each K/V head serves `sharing` consecutive query heads

    def project(linear: torch.nn.Linear, index: int) -> torch.Tensor:
        return (hidden @ linear.weight.float().T)[:, index * size:(index + 1) * size]

    queries = rotate(project(attention.q_proj, head), cos, sin)
    keys = rotate(project(attention.k_proj, shared), cos, sin)
    values = project(attention.v_proj, shared)
    future = torch.ones(len(hidden), len(hidden), dtype=torch.bool, device=hidden.device).triu(1)
    scores = (queries @ keys.T * attention.scaling).masked_fill(future, -math.inf)
    weights = scores.softmax(dim=-1)
    first = shared * sharing
    note = Phrase("attention.rope_note", query_heads=config.num_attention_heads, kv_heads=config.num_key_value_heads,
                  first=first + 1, last=first + sharing)
    return HeadSteps(language.labels(ids[0]), layer, head, queries.cpu().numpy(), keys.cpu().numpy(),
                     values.cpu().numpy(), scores.cpu().numpy(), weights.cpu().numpy(),
                     (weights @ values).cpu().numpy(), output.attentions[layer][0, head].float().cpu().numpy(), note)


def example_digit(label: int) -> np.ndarray:
    """The first `label` drawing of scikit-learn's 8×8 digits (0–16 ink per pixel)."""
    images, labels = digit_images()
    return (images[int(np.flatnonzero(labels.numpy() == label)[0]), 0].numpy() * INK_LEVEL).astype(np.float32)
