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
"""
import time
from dataclasses import dataclass

import numpy as np
import torch

from models.errors import InputError
from models.explain.deletion import Faithfulness
from models.explain.methods import AttributionOptions, check_method
from models.explain.sequence import change_between, sequence_completeness, token_faithfulness, token_scores
from models.explain.threads import pass_threads
from models.translation.alignment import attention_map
from models.translation.translators import BergamotTranslator

# The Marian path is smooth: 16 Gauss–Legendre steps added up within 1 % on short sentences; the adaptive rule starts
# from 16 pieces and halves the worst where the scores do not add up.
OPTIONS = AttributionOptions(steps=16, max_steps=64)
LAST_LAYER = -1
WHOLE = ""  # the target that stands for the whole translation


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
    position t, [batch, T]."""
    model = translator.model
    allowed = None
    if translator.shortlist is not None:
        allowed = torch.from_numpy(translator.shortlist.allowed(source_ids, model.config.vocab_size))
        allowed = allowed[None].to(translator.device)

    def forward(rows: torch.Tensor) -> torch.Tensor:
        batch = rows.shape[0]
        padding = torch.zeros(batch, rows.shape[1], dtype=torch.bool, device=rows.device)
        state = model.encode_vectors(rows, padding, None if allowed is None else allowed.expand(batch, -1))
        chosen, previous = [], None
        for target in target_ids:
            log_probabilities, _, state = model.decode_step(previous, state)
            chosen.append(log_probabilities[:, target])
            previous = torch.full((batch,), target, device=rows.device)
        return torch.stack(chosen, 1)

    return forward


def teacher_forced(translator: BergamotTranslator, source_ids: list[int], target_ids: list[int],
                   position: int | None):
    """f: source rows [batch, S, D] → log p(y_t | y_<t, source) at t = `position` (None: Σ over every t), [batch]."""
    if position is None:
        all_positions = forced_log_probabilities(translator, source_ids, target_ids)
        return lambda rows: all_positions(rows).sum(1)
    upto = forced_log_probabilities(translator, source_ids, target_ids[:position + 1])
    return lambda rows: upto(rows)[:, position]


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
    found = [token_scores(method, teacher_forced(translator, source_ids, target_ids, position), rows, baseline,
                          options) for position in range(len(target_ids))]
    scores = np.stack([row.scores for row in found])
    explained = teacher_forced(translator, source_ids, target_ids, target_index)
    if target_index is None:
        def explained_mean(vectors: torch.Tensor) -> torch.Tensor:
            return explained(vectors) / len(target_ids)
        check = token_faithfulness(explained_mean, rows, baseline, scores.sum(0), options)
    else:
        check = token_faithfulness(explained, rows, baseline, scores[target_index], options)
    with torch.inference_mode():
        token_probabilities = forced_log_probabilities(translator, source_ids, target_ids)(rows)[0].exp().cpu().numpy()
    probability = float(np.exp(np.log(token_probabilities).mean()) if target_index is None
                        else token_probabilities[target_index])
    return TranslationAttribution(method, translation.source_tokens, translation.target_tokens, translation.text,
                                  scores, attention_map(translation.cross_attention, LAST_LAYER), token_probabilities,
                                  target_index, probability, change_between(explained, rows, baseline),
                                  max(row.steps for row in found), check, time.perf_counter() - started)
