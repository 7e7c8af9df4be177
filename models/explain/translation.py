"""Attributions for the translation model (the Bergamot Marian port): which source tokens each target token
depends on.

The model translates greedily; then, teacher-forced on its own output y, f_t is log p(y_t | y_<t, source) as a
function of the source's embedding rows [1, source tokens, 256]. Each target token gets its own attribution over the
source (one row of `scores`, [target, source]), shown beside the cross-attention for the same pair. The baseline
keeps the closing </s> (the encoder's anchor, not a word) and sets every other source row to zero; the positions
are added on top of both, as the model does. Log-probabilities are over the sentence's lexical shortlist, as in the
translation itself.
The whole translation's f is Σ_t f_t: by linearity its attribution is the rows' sum, and its deletion curve follows
the mean per-token probability exp(mean_t f_t).
Every row at once: one teacher-forced pass gives f_t for every t (`forced_log_probabilities`) and batched
vector–Jacobian products give every row's gradient from it (`token_score_rows`, models/explain/sequence.py), where
one forward and backward pass per target token had taken 5–8 times as long for gradient × input. Integrated
gradients keep each row's own adaptive points (a row that adds up early stops there) and compute a point that
several rows want once, with all of their backward passes in one batch; each row's scores are what it got alone.
They stay far from 2 s at 64 tokens: every row point is a backward pass through the encoder (55 rows ≈ 47 GFLOP a
point), and the rows want 17–64 points each (bench/RESULTS.md).
"""
import time
from dataclasses import dataclass

import numpy as np
import torch

from models.errors import InputError
from models.explain.deletion import Faithfulness
from models.explain.methods import AttributionOptions, check_method
from models.explain.sequence import sequence_completeness, token_faithfulness, token_score_rows
from models.explain.threads import pass_threads
from models.translation.alignment import attention_map
from models.translation.translators import BergamotTranslator

# The adaptive rule starts each row from 16 pieces and halves its worst where its scores do not add up: 17–33 points a
# row on a 9-token translation; on a 64-token source 33 even points left 29 of 55 rows more than 5 % off
# (bench/RESULTS.md).
OPTIONS = AttributionOptions(steps=16, max_steps=64)
LAST_LAYER = -1
WHOLE = ""  # the target that stands for the whole translation
# (integration point, target token) pairs × source tokens in one batched backward pass: 64 pairs at 64 source tokens
# (8 points × 8 target tokens, or one point's 55), 8 at 512, so memory stays bounded on long inputs; 4 or 8 times as
# many pairs a pass were no faster (bench/RESULTS.md)
PAIRS_PER_PASS = 4096


@dataclass(frozen=True)
class TranslationAttribution:
    method: str
    source_tokens: list[str]  # [S] source pieces, ending in </s>
    target_tokens: list[str]  # [T] the greedy translation's pieces, ending in </s>
    translation: str
    scores: np.ndarray  # [T, S] float32: row t, each source token's score for target token t
    cross_attention: np.ndarray  # [T, S]: the last decoder layer's, mean over heads, for the same pair
    token_probabilities: np.ndarray  # [T]: each target token's probability under teacher forcing
    target_index: int | None  # the explained target token (None: the whole translation)
    probability: float  # its probability (the whole: the mean per-token probability, exp of the mean log-prob)
    change: float  # f(source) − f(baseline) for the explained target
    steps: int  # the most integration steps any row used (0: the method does not integrate)
    faithfulness: Faithfulness
    seconds: float

    @property
    def explained_scores(self) -> np.ndarray:
        """[S]: the explained target's row, or the sum of all rows for the whole translation."""
        return self.scores.sum(0) if self.target_index is None else self.scores[self.target_index]

    @property
    def completeness_error(self) -> float | None:
        return sequence_completeness(self.method, self.explained_scores, self.change)

    def as_json(self) -> dict:
        target = WHOLE if self.target_index is None else self.target_tokens[self.target_index]
        return {"method": self.method, "tokens": self.source_tokens, "target_tokens": self.target_tokens,
                "translation": self.translation, "target": target, "target_index": self.target_index,
                "probability": round(self.probability, 6), "change": round(self.change, 6),
                "scores": np.round(self.scores, 6).tolist(),
                "token_probabilities": np.round(self.token_probabilities, 6).tolist(),
                "cross_attention": np.round(self.cross_attention, 6).tolist(), "steps": self.steps,
                "completeness_error": self.completeness_error,
                "deletion": self.faithfulness.as_json(), "seconds": round(self.seconds, 3)}


def target_index_of(target_tokens: list[str], target: str) -> int | None:
    """The position of the target piece named `target` ("▁casa" or "casa"; its first occurrence), None for WHOLE."""
    if target == WHOLE:
        return None
    for index, piece in enumerate(target_tokens):
        if target.strip() in (piece, piece.lstrip("▁")):
            return index
    raise InputError.of("explain.unknown_target_token", token=target, choices=" ".join(target_tokens))


def forced_log_probabilities(translator: BergamotTranslator, source_ids: list[int], target_ids: list[int]):
    """Teacher forcing on `target_ids`: source rows [batch, S, D] → log p(y_t | y_<t, source) for every target
    position t, [batch, T], every position in one pass. It computes what `Marian.decode_step` computes one position at
    a time (tests/models/explain/test_translation.py holds it to that), with each decoder layer's matrices applied
    to all positions at once (`DecoderLayer.forward_sequence`, models/translation/marian.py): only the SSRU's
    recurrence (c_t = f_t c_{t−1} + (1 − f_t) W x_t, elementwise) goes position by position. The batched backward
    passes then see a few hundred operators instead of T decoder steps' thousands, and the log-softmax runs over the
    shortlist's few hundred ids, not over 32,000 mostly −∞ logits."""
    model = translator.model
    device = translator.device
    allowed = None
    if translator.shortlist is not None:
        allowed = torch.from_numpy(translator.shortlist.allowed(source_ids, model.config.vocab_size))[None].to(device)
    # the columns of `Marian.shortlisted_log_probs` (the shortlist's ids, as `encode_vectors` picks them) to read
    ids = torch.arange(model.config.vocab_size, device=device) if allowed is None else allowed[0].nonzero()[:, 0]
    wanted = torch.tensor(target_ids, device=device)
    where = torch.searchsorted(ids, wanted).clamp(max=len(ids) - 1)
    if not torch.equal(ids[where], wanted):
        raise ValueError("a target token outside the sentence's shortlist")  # greedy search picks only from it
    with torch.inference_mode():  # the target's pieces are fixed: its embedded positions are constants
        previous = model.embedding(torch.tensor([target_ids[:-1]], device=device))
        start = previous.new_zeros(1, 1, model.config.d_model)  # Marian starts the target from a zero embedding
        target_inputs = model.placed(torch.cat([start, previous], 1), 0)  # [1, T, D]
    target_inputs = target_inputs.clone()
    positions = torch.arange(len(target_ids), device=device)

    def forward(rows: torch.Tensor) -> torch.Tensor:
        batch, length = rows.shape[:2]
        padding = torch.zeros(batch, length, dtype=torch.bool, device=rows.device)
        state = model.encode_vectors(rows, padding, None if allowed is None else allowed.expand(batch, -1))
        y = target_inputs.to(rows.dtype).expand(batch, -1, -1)
        for layer, keys_values in zip(model.decoder, state.memory_keys_values):
            y, _, _ = layer.forward_sequence(y, keys_values, state.key_padding)
        return model.shortlisted_log_probs(y, state)[:, positions, where]

    return forward


def attribute_translation(translator: BergamotTranslator, text: str, target: str = WHOLE,
                          method: str = "integrated-gradients",
                          options: AttributionOptions = OPTIONS) -> TranslationAttribution:
    """`method`'s score of each source token of `text` for each target token of its greedy translation, and the
    deletion curve of `target` (a target piece; WHOLE: the whole translation)."""
    check_method(method)
    if not isinstance(translator, BergamotTranslator):
        raise InputError.of("explain.translation_model_unsupported")
    if not text.strip():
        raise InputError.of("explain.empty_input")
    started = time.perf_counter()
    with pass_threads():
        return translation_attribution(translator, text, target, method, options, started)


def translation_attribution(translator: BergamotTranslator, text: str, target: str, method: str,
                            options: AttributionOptions, started: float) -> TranslationAttribution:
    """attribute_translation's work, once the input is checked (its passes inside `pass_threads`)."""
    translation = translator.translate([text], beam_size=1, with_attention=True)[0]
    if translation.unreadable:
        raise InputError.of("translation.unknown_script")
    source_ids = translator.encode(text)
    target_ids = [translator.vocabulary.piece_to_id(piece) for piece in translation.target_tokens]
    target_index = target_index_of(translation.target_tokens, target)
    with torch.inference_mode():
        rows = translator.model.embedding(torch.tensor([source_ids], device=translator.device))
    rows = rows.clone()  # out of inference mode, so autograd can use it
    baseline = torch.zeros_like(rows)
    baseline[:, -1] = rows[:, -1]
    forward = forced_log_probabilities(translator, source_ids, target_ids)
    with torch.inference_mode():
        ends = forward(torch.cat([rows, baseline])).double()  # [2, T]: f at the source and at the baseline
    changes = ends[0] - ends[1]
    change = float(changes.sum() if target_index is None else changes[target_index])
    found = token_score_rows(method, forward, rows, baseline, options, len(target_ids),
                             max(1, PAIRS_PER_PASS // len(source_ids)))
    token_probabilities = ends[0].exp().float().cpu().numpy()
    if target_index is None:
        def explained_mean(vectors: torch.Tensor) -> torch.Tensor:
            return forward(vectors).mean(1)
        known = float(ends[0].mean()), float(ends[1].mean())
        check = token_faithfulness(explained_mean, rows, baseline, found.scores.sum(0), options, known)
        probability = float(np.exp(np.log(token_probabilities).mean()))
    else:
        def explained_one(vectors: torch.Tensor) -> torch.Tensor:
            return forward(vectors)[:, target_index]
        known = float(ends[0, target_index]), float(ends[1, target_index])
        check = token_faithfulness(explained_one, rows, baseline, found.scores[target_index], options, known)
        probability = float(token_probabilities[target_index])
    return TranslationAttribution(method, translation.source_tokens, translation.target_tokens, translation.text,
                                  found.scores, attention_map(translation.cross_attention, LAST_LAYER),
                                  token_probabilities, target_index, probability, change,
                                  found.steps, check, time.perf_counter() - started)
