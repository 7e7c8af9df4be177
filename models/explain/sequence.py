"""What attributing a sequence of tokens shares across models (SmolLM2's next token, the translation model's target
tokens, the topic classifier's class): the methods run on the input embeddings [1, tokens, hidden] (token ids have
no gradient), a token's score is its embedding's attributions summed, and the deletion curve replaces the
most-attributed tokens' embeddings by the baseline's first. f(input) and f(baseline) are read in float32 once per
attribution (`end_values`): they give the change the scores must add up to and both deletion curves' ends.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from models.explain.deletion import Faithfulness, faithfulness
from models.explain.methods import (INTEGRATED_GRADIENTS, AttributionOptions, attributions, chunks,
                                    completeness_error, integrated_gradient_rows, output_products, precision)
from models.explain.threads import fit_threads

# f: embeddings [batch, tokens, hidden] -> the explained log-probability, [batch]
Forward = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TokenScores:
    scores: np.ndarray  # [tokens] float32
    steps: int  # integration steps used (0: the method does not integrate)


def token_scores(method: str, forward: Forward, embeddings: torch.Tensor, baseline: torch.Tensor,
                 options: AttributionOptions, change: float | None = None) -> TokenScores:
    """`method`'s score of each token of `embeddings` ([1, tokens, hidden]); occlusion hides one token at a time.
    `change`: f(embeddings) − f(baseline) in float32, what integrated gradients must add up to."""
    hidden = embeddings.shape[-1]
    found = attributions(method, forward, embeddings, baseline, options, (1, hidden), (1, hidden), change)
    values = found.values[0].detach().float()
    # occlusion gives every element of a window the window's whole effect; the gradient methods split it
    return TokenScores((values.mean(-1) if method == "occlusion" else values.sum(-1)).cpu().numpy(), found.steps)


def token_score_rows(method: str, forward: Forward, embeddings: torch.Tensor, baseline: torch.Tensor,
                     options: AttributionOptions, outputs: int, most_rows: int) -> TokenScores:
    """`token_scores` for a forward with several outputs (embeddings [batch, tokens, hidden] → [batch, outputs]), all
    of them at once: scores [outputs, tokens], each row what `token_scores` gives for that output alone. The gradient
    methods take the outputs' gradients from one forward pass and batched backward passes of at most `most_rows`
    (output, point) pairs; integrated gradients give each output its own adaptive points and compute a point shared by
    several outputs once (`integrated_gradient_rows`); occlusion reads every output from each row it hides a token in.
    `steps`: the most points any output used."""
    def token_sums(products: torch.Tensor) -> torch.Tensor:
        return products.float().sum(-1)  # […, tokens, hidden] → […, tokens]

    if method == INTEGRATED_GRADIENTS:
        difference = embeddings - baseline

        def evaluate(wanted: dict[float, list[int]]) -> dict[float, tuple[torch.Tensor, torch.Tensor]]:
            # points that want as many outputs go in one pass, so its backward passes are full at every point
            alphas = sorted(wanted, key=lambda alpha: (-len(wanted[alpha]), alpha))
            found = {}
            for chunk in chunks(torch.tensor(alphas, dtype=torch.float64), min(options.internal_batch_size, most_rows)):
                points = chunk.tolist()
                values, products = output_products(
                    forward, baseline + chunk.to(embeddings.dtype).view(-1, 1, 1).to(embeddings.device) * difference,
                    difference, token_sums, most_rows, options, [wanted[alpha] for alpha in points])
                found |= {alpha: (values[i], products[i]) for i, alpha in enumerate(points)}
            return found

        scores, points = integrated_gradient_rows(evaluate, outputs, options)
        return TokenScores(scores.numpy(), max(points))
    if method == "gradient-x-input":
        _, products = output_products(forward, embeddings, embeddings, token_sums, most_rows, options)
        return TokenScores(products[0].cpu().numpy(), 0)
    return TokenScores(occlusion_rows(forward, embeddings, baseline, options), 0)


@torch.inference_mode()
def occlusion_rows(forward: Forward, embeddings: torch.Tensor, baseline: torch.Tensor,
                   options: AttributionOptions) -> np.ndarray:
    """[outputs, tokens]: how much each output drops when one token's embedding is the baseline's, every output from
    the same rows (captum's Occlusion, one output at a time, gives the same numbers)."""
    tokens = embeddings.shape[1]
    hidden = torch.eye(tokens, dtype=torch.bool, device=embeddings.device)[..., None]  # [rows, tokens, 1]
    fit_threads()
    kept = forward(embeddings)[0]  # [outputs]
    dropped = []
    for rows in chunks(hidden, options.internal_batch_size):
        fit_threads()
        dropped.append(kept - forward(torch.where(rows, baseline, embeddings)))  # [rows, outputs]
    return torch.cat(dropped).T.float().cpu().numpy()


@torch.inference_mode()
def end_values(forward: Forward, embeddings: torch.Tensor, baseline: torch.Tensor) -> tuple[float, float]:
    """(f(embeddings), f(baseline)) in float32, one pass of both."""
    values = forward(torch.cat([embeddings, baseline]))
    return float(values[0]), float(values[1])


def change_between(forward: Forward, embeddings: torch.Tensor, baseline: torch.Tensor) -> float:
    """f(embeddings) − f(baseline): what integrated gradients' scores add up to."""
    start, end = end_values(forward, embeddings, baseline)
    return start - end


def sequence_completeness(method: str, scores: np.ndarray, change: float) -> float | None:
    """Integrated gradients' completeness error (None for the other methods, which promise none)."""
    return completeness_error(float(scores.sum()), change) if method == INTEGRATED_GRADIENTS else None


@dataclass(frozen=True)
class SequenceAttribution:
    """One prediction over a sequence explained: SmolLM2's next token (models/explain/tokens.py) or the topic
    classifier's class (models/explain/topics.py)."""

    method: str
    tokens: list[str]  # the input, one per position (the classifier's [CLS] and [SEP] included)
    target: str  # the next token or the topic explained
    probability: float  # its probability given the input
    change: float  # f(input) − f(baseline): what integrated gradients' scores add up to
    scores: np.ndarray  # [tokens] float32
    steps: int  # integration steps used (0: the method does not integrate)
    faithfulness: Faithfulness
    seconds: float

    @property
    def completeness_error(self) -> float | None:
        return sequence_completeness(self.method, self.scores, self.change)

    def as_json(self) -> dict:
        return {"method": self.method, "tokens": self.tokens, "target": self.target,
                "probability": round(self.probability, 6), "change": round(self.change, 6),
                "scores": np.round(self.scores, 6).tolist(), "steps": self.steps,
                "completeness_error": self.completeness_error,
                "deletion": self.faithfulness.as_json(), "seconds": round(self.seconds, 3)}


def token_faithfulness(forward: Forward, embeddings: torch.Tensor, baseline: torch.Tensor, scores: np.ndarray,
                       options: AttributionOptions, ends: tuple[float, float] | None = None) -> Faithfulness:
    """Deletion curves over tokens: removed tokens' embeddings replaced by the baseline's, f read as a probability.
    `ends`: (f(embeddings), f(baseline)) where already known (`end_values`): those two rows are not run again."""

    @torch.inference_mode()
    def probabilities_without(removed: np.ndarray) -> np.ndarray:
        keep = torch.from_numpy(~removed)[..., None].to(embeddings.device)
        edited = torch.where(keep, embeddings, baseline)  # [points, tokens, hidden]
        found = []
        for chunk in chunks(edited, options.internal_batch_size):
            fit_threads()
            with precision(options, embeddings.device):
                found.append(forward(chunk).exp().float().cpu().numpy())
        return np.concatenate(found)

    known = None if ends is None else (float(np.exp(ends[0])), float(np.exp(ends[1])))
    return faithfulness(scores, options.deletion_points, probabilities_without, options.seed, known)
