"""The Bergamot "tiny" Marian translation model, in plain PyTorch.

Mozilla's Firefox Translations ship student models trained with Marian: a 6-layer Transformer
encoder and a 2-layer decoder whose self-attention is replaced by an SSRU (a cheap recurrent
cell), stored as an int8 Marian binary. This file reads that binary and rebuilds the network:

    source ids -> embedding * sqrt(d) + sinusoid -> 6 x [self-attention, FFN] -> memory
    previous target id -> embedding * sqrt(d) + sinusoid
        -> 2 x [SSRU, cross-attention over memory, FFN] -> tied output projection -> logits

Every sub-layer is post-norm: x = LayerNorm(x + sublayer(x)) (Marian's "dan" postprocess).
Decoding runs one target position at a time through `Marian.decode_step` (or `decode_hidden`, which greedy search
scores over the shortlist itself); the search lives in models/translation/translators.py. Teacher forcing (attribution,
models/explain/translation.py) runs every target position at once through `DecoderLayer.forward_sequence`, the same
layer steps (`SSRU.gates`, `DecoderLayer.after_recurrence`) over a whole sequence. Without gradients the
matrices run as `IntegerLinear`: the file's int8 values in a float16 GEMM, float32 arithmetic, half the bytes to read.
"""
import math
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# Reading the Marian binary

MARIAN_FLOAT32 = 0x0404
MARIAN_INT8 = 0x4101  # int8 weights followed by one float32 quantisation multiplier
MARIAN_TEXT = 0x0101  # the embedded model.yml
_HEADER = struct.Struct("<4Q")  # name length, type, rank, data byte count


def read_marian_binary(path: str | Path, multipliers: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Read a Marian `.bin` model into float32 numpy arrays, keyed by Marian's parameter names; `multipliers`, when
    given, is filled with each int8 matrix's quantisation multiplier (its float32 values are int8 / multiplier).

    Layout: u64 version, u64 item count, one header per item, then every name (NUL-terminated),
    then every shape (i32 per dimension), then a u64 padding length and that many bytes, then the
    data of each item in order. int8 matrices hold their int8 values followed by a float32
    multiplier (W = int8 / multiplier) and are stored transposed, i.e. already in nn.Linear's
    [out_features, in_features] order - except `Wemb`, stored as [vocab, d_model].
    The activation multipliers (`*_QuantMultA`) and the embedded config are skipped.
    """
    blob = Path(path).read_bytes()
    _version, count = struct.unpack_from("<2Q", blob, 0)
    offset = 16
    headers = [_HEADER.unpack_from(blob, offset + i * _HEADER.size) for i in range(count)]
    offset += count * _HEADER.size

    names = []
    for name_length, *_ in headers:
        names.append(blob[offset:offset + name_length].rstrip(b"\0").decode())
        offset += name_length
    shapes = []
    for _, _, rank, _ in headers:
        shapes.append(struct.unpack_from(f"<{rank}i", blob, offset))
        offset += 4 * rank
    (padding,) = struct.unpack_from("<Q", blob, offset)
    offset += 8 + padding

    params = {}
    for name, (_, item_type, _, byte_count), shape in zip(names, headers, shapes):
        data_offset, offset = offset, offset + byte_count
        if name.endswith("_QuantMultA") or item_type == MARIAN_TEXT:
            continue
        size = int(np.prod(shape))
        if item_type == MARIAN_FLOAT32:
            params[name] = np.frombuffer(blob, np.float32, size, data_offset).reshape(shape)
        elif item_type == MARIAN_INT8:
            values = np.frombuffer(blob, np.int8, size, data_offset)
            (multiplier,) = np.frombuffer(blob, np.float32, 1, data_offset + size)
            rows, cols = shape if name == "Wemb" else shape[::-1]
            params[name] = values.reshape(rows, cols).astype(np.float32) / multiplier
            if multipliers is not None:
                multipliers[name] = float(multiplier)
        else:
            raise ValueError(f"{path}: parameter {name} has unsupported Marian type {item_type:#x}")
    return params


class LexicalShortlist:
    """Bergamot's lexical shortlist (`lex.*.s2t.bin`): for every source token, the target tokens
    likely to appear in its translation. The decoder only scores these, which makes it faster and
    stops it from inventing words unrelated to the source.

    Layout: six u64 (magic, checksum, first_num, best_num, offsets count, targets count), the
    offsets (u64, one per source id plus one), then the target ids (u32).
    """
    MAGIC = 0xF11A48D5013417F5

    def __init__(self, path: str | Path):
        blob = Path(path).read_bytes()
        header = struct.unpack_from("<6Q", blob, 0)
        magic, _checksum, self.first_num, _best_num, offsets_count, targets_count = header
        if magic != self.MAGIC:
            raise ValueError(f"{path} is not a Marian binary shortlist")
        self.offsets = np.frombuffer(blob, np.uint64, offsets_count, 48).astype(np.int64)
        self.targets = np.frombuffer(blob, np.uint32, targets_count, 48 + 8 * offsets_count)

    def allowed(self, source_ids: list[int], vocab_size: int) -> np.ndarray:
        """The target ids the decoder may produce for this source, as a [vocab_size] bool mask:
        the `first_num` most frequent tokens, the source tokens themselves (the vocabulary is shared)
        and every token the shortlist lists for a source token."""
        allowed = np.zeros(vocab_size, dtype=bool)
        allowed[:self.first_num] = True
        for source_id in set(source_ids):
            allowed[source_id] = True
            allowed[self.targets[self.offsets[source_id]:self.offsets[source_id + 1]]] = True
        # Marian pads the list to a multiple of eight (for intgemm) with the next unused ids.
        missing = -int(allowed.sum()) % 8
        unused = np.flatnonzero(~allowed[self.first_num:])[:missing] + self.first_num
        allowed[unused] = True
        return allowed


# ----------------------------------------------------------------------------------------------
# The network

@dataclass
class MarianConfig:
    vocab_size: int = 32000
    d_model: int = 256
    n_heads: int = 8
    d_ffn: int = 1536
    encoder_layers: int = 6
    decoder_layers: int = 2
    eos_id: int = 0  # "</s>"; Marian also pads with it
    layer_norm_eps: float = 1e-9  # Marian's default


def sinusoid_positions(start: int, length: int, dim: int, device=None) -> torch.Tensor:
    """Marian's (tensor2tensor's) position signal: [length, dim], sines in the first half."""
    half = dim // 2
    inverse_timescales = torch.exp(torch.arange(half, device=device) * -(math.log(10000.0) / (half - 1)))
    angles = torch.arange(start, start + length, device=device)[:, None] * inverse_timescales[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class IntegerLinear(nn.Linear):
    """nn.Linear whose float32 weight is int8 values / a multiplier (as every Marian matrix). Without gradients, on
    CPU in float32, it computes (x / multiplier) @ int8ᵀ + bias with the int8 values kept as float16 (exact: they
    are integers) in fbgemm's fp16 GEMM, which converts them back to float32 and sums in float32: the same float
    arithmetic as x @ weightᵀ + bias up to rounding (~1e-6 relative), reading half the bytes. Not quantisation: the
    activations stay float32 (torch's dynamic int8 quantisation changed the greedy output of 1-7 of 55 bench and test
    sentences). The model's float32 matrices (25 MB in the encoder) do not stay in this CPU's cache from one sentence
    to the next, and reading them from memory was most of a layer's time: a 1536 x 256 matrix times one row took
    ~250 us cold, ~40 us here; times nine rows ~380 and ~100 us. With gradients (attribution) it is nn.Linear."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(in_features, out_features, bias)
        # (fbgemm's packed float16 int8 values and the bias, 1 / multiplier, the weight's version and address then)
        self._packed = None

    def pack_integers(self, multiplier: float) -> bool:
        """Keep the weight's int8 values (weight * multiplier) for the fast path; False, and nothing kept, where the
        weight is not int8 / multiplier or this build of torch has no fbgemm."""
        with torch.no_grad():
            weight = self.weight.detach().float().cpu()
            integers = torch.round(weight * multiplier)
            if integers.abs().max() > 127 or not torch.allclose(integers / multiplier, weight, rtol=1e-6, atol=0):
                return False
            bias = None if self.bias is None else self.bias.detach().float().cpu()
            try:
                packed = torch.ops.quantized.linear_prepack_fp16(integers, bias)
            except (RuntimeError, AttributeError):
                return False
        # the scale as a float32 tensor: a Python float is wrapped and converted to a tensor on every call
        self._packed = (packed, torch.tensor(1.0 / multiplier, dtype=torch.float32), self.weight._version,
                        self.weight.data_ptr())
        return True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        packed = self._packed
        weight = self._parameters["weight"]  # not self.weight: nn.Module.__getattr__ costs as much as a small op
        if (packed is None or torch.is_grad_enabled() or not x.is_cpu or x.dtype != torch.float32
                or weight._version != packed[2] or weight.data_ptr() != packed[3]):
            return super().forward(x)
        return torch.ops.quantized.linear_dynamic_fp16(x * packed[1], packed[0])


class Attention(nn.Module):
    """Multi-head attention; `keys_values` come from `project_keys_values` so they can be cached."""

    def __init__(self, config: MarianConfig):
        super().__init__()
        self.n_heads = config.n_heads
        self.query = IntegerLinear(config.d_model, config.d_model)
        self.key = IntegerLinear(config.d_model, config.d_model)
        self.value = IntegerLinear(config.d_model, config.d_model)
        self.out = IntegerLinear(config.d_model, config.d_model)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """[B, T, D] -> [B, H, T, D/H]"""
        batch, length, dim = x.shape
        return x.view(batch, length, self.n_heads, dim // self.n_heads).transpose(1, 2)

    def project_keys_values(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """memory [B, S, D] -> keys, values, each [B, H, S, D/H]"""
        return self.split_heads(self.key(memory)), self.split_heads(self.value(memory))

    def forward(self, x: torch.Tensor, keys_values: tuple[torch.Tensor, torch.Tensor],
                key_padding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, T, D], key_padding [B, S] (True = padding) or None -> output [B, T, D], weights [B, H, T, S]"""
        keys, values = keys_values
        queries = self.split_heads(self.query(x))
        scores = queries @ keys.transpose(-1, -2) / math.sqrt(queries.shape[-1])
        if key_padding is not None:  # None: no row has padding (DecoderState.key_padding)
            scores = scores.masked_fill(key_padding[:, None, None, :], float("-inf"))
        weights = scores.softmax(dim=-1)
        mixed = (weights @ values).transpose(1, 2).flatten(2)
        return self.out(mixed), weights


class FeedForward(nn.Module):
    def __init__(self, config: MarianConfig):
        super().__init__()
        self.up = IntegerLinear(config.d_model, config.d_ffn)
        self.down = IntegerLinear(config.d_ffn, config.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[..., D] -> [..., D]"""
        return self.down(F.relu(self.up(x)))


class EncoderLayer(nn.Module):
    def __init__(self, config: MarianConfig):
        super().__init__()
        self.self_attention = Attention(config)
        self.attention_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.feed_forward = FeedForward(config)
        self.feed_forward_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        """x [B, S, D], padding [B, S] -> [B, S, D]"""
        attended, _ = self.self_attention(x, self.self_attention.project_keys_values(x), padding)
        x = self.attention_norm(x + attended)
        return self.feed_forward_norm(x + self.feed_forward(x))


class SSRU(nn.Module):
    """Simpler Simple Recurrent Unit: f = sigmoid(x W_f + b_f); c = f * c + (1 - f) * x W; h = relu(c)."""

    def __init__(self, config: MarianConfig):
        super().__init__()
        self.candidate = IntegerLinear(config.d_model, config.d_model, bias=False)
        self.forget = IntegerLinear(config.d_model, config.d_model)

    def gates(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The parts of the recurrence that depend on x alone: x [..., D] -> forget f [..., D], update (1 - f) * x W
        [..., D], so that c = f * c + update. For one position or for every position of a sequence at once."""
        forget = torch.sigmoid(self.forget(x))
        return forget, (1 - forget) * self.candidate(x)

    def forward(self, x: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: x [B, D], cell [B, D] -> output h [B, D], new cell [B, D]"""
        forget, update = self.gates(x)
        cell = forget * cell + update
        return F.relu(cell), cell

    def forward_sequence(self, x: torch.Tensor, cell: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Every position of a sequence, as `forward` one position after the other from `cell` (None: zeros, where
        the decoder starts): x [B, T, D], cell [B, D] -> outputs h [B, T, D], the last position's cell [B, D].
        The gates' matrices run over all T positions at once; only the elementwise recurrence loops over positions
        (differentiable: attribution takes gradients through it)."""
        forget, update = self.gates(x)
        if cell is None:
            cell = torch.zeros_like(x[:, 0])
        cells = []
        for position in range(x.shape[1]):
            cell = forget[:, position] * cell + update[:, position]
            cells.append(cell)
        return F.relu(torch.stack(cells, 1)), cell


class DecoderLayer(nn.Module):
    def __init__(self, config: MarianConfig):
        super().__init__()
        self.ssru = SSRU(config)
        self.ssru_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.cross_attention = Attention(config)
        self.cross_attention_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.feed_forward = FeedForward(config)
        self.feed_forward_norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def after_recurrence(self, x: torch.Tensor, recurrent: torch.Tensor, memory_keys_values,
                         key_padding: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The layer's steps after the SSRU, which mix nothing across target positions (the SSRU's norm, the
        cross-attention over the source and its norm, the feed-forward and its norm), shared by `forward` (T = 1) and
        `forward_sequence`: the layer's input x [B, T, D], the SSRU's output [B, T, D], key_padding [B, S] or None
        -> output [B, T, D], cross-attention [B, H, T, S]"""
        x = self.ssru_norm(x + recurrent)
        attended, weights = self.cross_attention(x, memory_keys_values, key_padding)
        x = self.cross_attention_norm(x + attended)
        x = self.feed_forward_norm(x + self.feed_forward(x))
        return x, weights

    def forward(self, x: torch.Tensor, cell: torch.Tensor, memory_keys_values, key_padding: torch.Tensor | None):
        """One step: x [B, D], cell [B, D], key_padding [B, S] or None (no padding)
        -> output [B, D], new cell [B, D], cross-attention [B, H, S]"""
        recurrent, cell = self.ssru(x, cell)
        x, weights = self.after_recurrence(x[:, None], recurrent[:, None], memory_keys_values, key_padding)
        return x[:, 0], cell, weights[:, :, 0]

    def forward_sequence(self, x: torch.Tensor, memory_keys_values, key_padding: torch.Tensor | None,
                         cell: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every target position at once (teacher forcing), what `forward` gives one position after the other from
        `cell` (None: zeros, the decoder's start): x [B, T, D], memory_keys_values from
        `Attention.project_keys_values` (each [B, H, S, D/H]), key_padding [B, S] or None (no padding), cell [B, D]
        -> output [B, T, D], the last position's cell [B, D], cross-attention [B, H, T, S]"""
        recurrent, cell = self.ssru.forward_sequence(x, cell)
        x, weights = self.after_recurrence(x, recurrent, memory_keys_values, key_padding)
        return x, cell, weights


@dataclass
class ShortlistedOutput:
    """The output layer cut down to a lexical shortlist: reading all 32k rows of the tied embedding
    dominates a decoder step, the shortlist (the union over the batch) has a few hundred."""
    ids: torch.Tensor  # [K] vocabulary ids
    weight: torch.Tensor  # [K, D]
    bias: torch.Tensor  # [K]
    allowed: torch.Tensor  # [N, K] bool: which of the K ids each row's own shortlist holds
    all_allowed: bool = False  # every row may produce all K ids (one sentence): no mask to apply

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """x [N, D] (or [N, T, D], every position of a row) -> logits over the K ids [N, K] ([N, T, K]), -inf where a
        row's own shortlist lacks the id"""
        scored = x @ self.weight.T + self.bias
        if self.all_allowed:
            return scored
        return scored.masked_fill(~self.allowed.view(len(self.allowed), *[1] * (x.dim() - 2), -1), float("-inf"))


@dataclass
class DecoderState:
    """What the decoder carries from one target position to the next, for N rows (sentences or beams)."""
    position: int
    cells: list[torch.Tensor]  # per layer [N, D]
    memory_keys_values: list[tuple[torch.Tensor, torch.Tensor]]  # per layer, each [N, H, S, D/H]
    source_padding: torch.Tensor  # [N, S]
    shortlist: ShortlistedOutput | None = None  # None: score the whole vocabulary
    key_padding: torch.Tensor | None = None  # source_padding where some row has padding, else None (no mask)

    def select(self, rows: torch.Tensor) -> "DecoderState":
        """Keep (and reorder, repeat) rows, e.g. the beams that survived a search step."""
        return DecoderState(
            self.position,
            [cell[rows] for cell in self.cells],
            [(keys[rows], values[rows]) for keys, values in self.memory_keys_values],
            self.source_padding[rows],
            None if self.shortlist is None else replace(self.shortlist, allowed=self.shortlist.allowed[rows]),
            None if self.key_padding is None else self.key_padding[rows],
        )


class Marian(nn.Module):
    def __init__(self, config: MarianConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.d_model)  # shared by source, target, output
        self.output_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.encoder = nn.ModuleList(EncoderLayer(config) for _ in range(config.encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(config) for _ in range(config.decoder_layers))
        self._positions: dict[tuple[torch.device, torch.dtype], torch.Tensor] = {}

    def embed(self, ids: torch.Tensor | None, start: int, rows: int) -> torch.Tensor:
        """ids [N, T] -> [N, T, D] for positions start .. start + T - 1; ids None -> one all-zero
        embedding per row, which is how Marian starts the target (it has no <s> token)."""
        if ids is None:
            return self.placed(self.embedding.weight.new_zeros(rows, 1, self.config.d_model), start)
        return self.placed(self.embedding(ids), start)

    def placed(self, vectors: torch.Tensor, start: int) -> torch.Tensor:
        """vectors [N, T, D] (rows of the embedding table) -> scaled by sqrt(D), plus the position signal of
        positions start .. start + T - 1."""
        return vectors * math.sqrt(self.config.d_model) + self.positions(start, vectors.shape[1], vectors)

    def positions(self, start: int, length: int, like: torch.Tensor) -> torch.Tensor:
        """The position signal of start .. start + T - 1 [T, D] in `like`'s device and dtype, sliced from a table made
        once (its rows equal sinusoid_positions(start, T), bit for bit: tests/models/translation): remaking it took
        ~8 small operators in every decoder step."""
        key = (like.device, like.dtype)
        table = self._positions.get(key)
        if table is None or table.shape[0] < start + length:
            size = max(start + length, 2 * (0 if table is None else table.shape[0]), 512)
            # a plain tensor even when first asked for under inference_mode: attribution takes gradients through it
            with torch.inference_mode(False), torch.no_grad():
                table = sinusoid_positions(0, size, self.config.d_model, like.device).to(like.dtype)
            self._positions[key] = table
        return table[start:start + length]

    def encode(self, source_ids: torch.Tensor, source_padding: torch.Tensor,
               allowed_targets: torch.Tensor | None = None) -> DecoderState:
        """source_ids [B, S] (each ending in </s>), source_padding [B, S],
        allowed_targets [B, V] bool from a lexical shortlist or None -> the decoder's start state"""
        return self.encode_vectors(self.embedding(source_ids), source_padding, allowed_targets)

    def encode_vectors(self, source_vectors: torch.Tensor, source_padding: torch.Tensor,
                       allowed_targets: torch.Tensor | None = None) -> DecoderState:
        """`encode` from the source's embedding rows [B, S, D] rather than its ids: attribution methods take
        gradients with respect to them."""
        key_padding = source_padding if bool(source_padding.any()) else None  # one sentence: no mask to apply
        x = self.placed(source_vectors, 0)
        for layer in self.encoder:
            x = layer(x, key_padding)
        cells = [x.new_zeros(x.shape[0], self.config.d_model) for _ in self.decoder]
        memory = [layer.cross_attention.project_keys_values(x) for layer in self.decoder]
        if allowed_targets is None:
            return DecoderState(0, cells, memory, source_padding, key_padding=key_padding)
        ids = allowed_targets.any(dim=0).nonzero()[:, 0]
        allowed = allowed_targets.index_select(1, ids)
        # index_select, not weight[ids]: advanced indexing took ~0.4 ms per sentence to gather these few hundred rows
        shortlist = ShortlistedOutput(ids, self.embedding.weight.index_select(0, ids),
                                      self.output_bias.index_select(0, ids), allowed, all_allowed=bool(allowed.all()))
        return DecoderState(0, cells, memory, source_padding, shortlist, key_padding)

    def decode_hidden(self, previous_ids: torch.Tensor | None, state: DecoderState
                      ) -> tuple[torch.Tensor, torch.Tensor, DecoderState]:
        """One target position through the decoder, without the output layer: previous_ids [N] (None at the first
        position) -> the last layer's output [N, D], cross-attention [layers, N, H, S], the state for the next one."""
        rows = state.source_padding.shape[0]
        previous = None if previous_ids is None else previous_ids[:, None]
        x = self.embed(previous, state.position, rows)[:, 0]
        cells, attentions = [], []
        for layer, cell, keys_values in zip(self.decoder, state.cells, state.memory_keys_values):
            x, cell, weights = layer(x, cell, keys_values, state.key_padding)
            cells.append(cell)
            attentions.append(weights)
        next_state = DecoderState(state.position + 1, cells, state.memory_keys_values, state.source_padding,
                                  state.shortlist, state.key_padding)
        return x, torch.stack(attentions), next_state

    def shortlisted_log_probs(self, hidden: torch.Tensor, state: DecoderState) -> torch.Tensor:
        """hidden [N, D] (or [N, T, D]) -> log-probs over the shortlist's K ids [N, K] ([N, T, K]; state.shortlist.ids
        says which), or over the whole vocabulary V without a shortlist. The same values as `decode_step`'s outside
        the -inf."""
        if state.shortlist is None:
            return (hidden @ self.embedding.weight.T + self.output_bias).float().log_softmax(dim=-1)
        return state.shortlist.scores(hidden).float().log_softmax(dim=-1)

    def decode_step(self, previous_ids: torch.Tensor | None, state: DecoderState
                    ) -> tuple[torch.Tensor, torch.Tensor, DecoderState]:
        """previous_ids [N] (None at the first position) -> log-probs [N, V] (-inf outside the shortlist),
        cross-attention [layers, N, H, S], the state for the next position."""
        x, attention, next_state = self.decode_hidden(previous_ids, state)
        if state.shortlist is None:
            return self.shortlisted_log_probs(x, state), attention, next_state
        scored = state.shortlist.scores(x)
        logits = scored.new_full((x.shape[0], self.config.vocab_size), float("-inf"))
        logits = logits.index_copy(1, state.shortlist.ids, scored)
        return logits.float().log_softmax(dim=-1), attention, next_state

    @classmethod
    def from_marian_file(cls, path: str | Path) -> "Marian":
        """Build the model from a Bergamot `model.*.intgemm.alphas.bin`."""
        multipliers = {}
        params = read_marian_binary(path, multipliers)
        vocab_size, d_model = params["Wemb"].shape
        config = MarianConfig(
            vocab_size=vocab_size,
            d_model=d_model,
            d_ffn=params["encoder_l1_ffn_W1"].shape[0],
            encoder_layers=sum(1 for name in params if name.endswith("_self_Wq")),
            decoder_layers=sum(1 for name in params if name.endswith("_context_Wq")),
        )
        model = cls(config)
        model.load_state_dict(marian_to_torch_names(params, config))
        names = marian_names(config)
        for marian, multiplier in multipliers.items():
            module_name = names[marian].removesuffix(".weight")
            module = model.get_submodule(module_name)
            if isinstance(module, IntegerLinear):
                module.pack_integers(multiplier)
        return model.eval()


def marian_to_torch_names(params: dict[str, np.ndarray], config: MarianConfig) -> dict[str, torch.Tensor]:
    """Rename Marian parameters (`encoder_l1_self_Wq`, ...) to this module's state_dict keys."""
    # Marian keeps vectors as [1, n] matrices; squeeze(0) makes them nn's 1-D biases and scales.
    return {ours: torch.from_numpy(np.array(params[marian], dtype=np.float32)).squeeze(0)
            for marian, ours in marian_names(config).items()}


def marian_names(config: MarianConfig) -> dict[str, str]:
    """Marian's parameter names -> this module's state_dict keys."""
    def attention(marian: str, ours: str) -> dict[str, str]:
        renamed = {}
        for projection, name in [("q", "query"), ("k", "key"), ("v", "value"), ("o", "out")]:
            renamed[f"{marian}_W{projection}"] = f"{ours}.{name}.weight"
            renamed[f"{marian}_b{projection}"] = f"{ours}.{name}.bias"
        return renamed

    def norm(marian: str, ours: str) -> dict[str, str]:
        return {f"{marian}_ln_scale": f"{ours}.weight", f"{marian}_ln_bias": f"{ours}.bias"}

    def feed_forward(marian: str, ours: str) -> dict[str, str]:
        return {f"{marian}_W1": f"{ours}.up.weight", f"{marian}_b1": f"{ours}.up.bias",
                f"{marian}_W2": f"{ours}.down.weight", f"{marian}_b2": f"{ours}.down.bias"}

    renamed = {"Wemb": "embedding.weight", "decoder_ff_logit_out_b": "output_bias"}
    for i in range(config.encoder_layers):
        marian, ours = f"encoder_l{i + 1}", f"encoder.{i}"
        renamed |= attention(f"{marian}_self", f"{ours}.self_attention")
        renamed |= norm(f"{marian}_self_Wo", f"{ours}.attention_norm")
        renamed |= feed_forward(f"{marian}_ffn", f"{ours}.feed_forward")
        renamed |= norm(f"{marian}_ffn_ffn", f"{ours}.feed_forward_norm")
    for i in range(config.decoder_layers):
        marian, ours = f"decoder_l{i + 1}", f"decoder.{i}"
        renamed |= {f"{marian}_rnn_W": f"{ours}.ssru.candidate.weight",
                    f"{marian}_rnn_Wf": f"{ours}.ssru.forget.weight",
                    f"{marian}_rnn_bf": f"{ours}.ssru.forget.bias"}
        renamed |= norm(f"{marian}_rnn_ffn", f"{ours}.ssru_norm")
        renamed |= attention(f"{marian}_context", f"{ours}.cross_attention")
        renamed |= norm(f"{marian}_context_Wo", f"{ours}.cross_attention_norm")
        renamed |= feed_forward(f"{marian}_ffn", f"{ours}.feed_forward")
        renamed |= norm(f"{marian}_ffn_ffn", f"{ours}.feed_forward_norm")
    return renamed
