"""Attributions for a causal language model's next token (SmolLM2): one score per input token.

f is the log-probability of the target token after the whole text. The methods work on the input embeddings
(the token ids themselves have no gradient), so the baseline is a text of the same length made of the
padding token (SmolLM2: its end-of-text token); a token's score is its embedding's attributions summed.
Along the straight path between the two, SmolLM2's output jumps (a few of its activations are huge), so integrated
gradients at a few dozen steps do not add up to f(text) − f(baseline): `change` is kept to show by how much.
The model is called with `inputs_embeds` rather than hooked: it is shared by request threads.
"""
import time
from dataclasses import dataclass

import numpy as np
import torch

from models.errors import InputError
from models.explain.deletion import Faithfulness, faithfulness
from models.explain.methods import AttributionOptions, attributions, check_method
from models.language.causal_lm import LanguageModel

# More steps do not make SmolLM2's scores add up (its path jumps); 16 keep 64 tokens within seconds.
OPTIONS = AttributionOptions(steps=16)


@dataclass(frozen=True)
class TokenAttribution:
    method: str
    tokens: list[str]  # the input, one per position
    target: str  # the next token explained
    probability: float  # its probability after the text
    change: float  # f(text) − f(baseline): what integrated gradients' scores would add up to, given enough steps
    scores: np.ndarray  # [tokens] float32
    faithfulness: Faithfulness
    seconds: float

    def as_json(self) -> dict:
        return {"method": self.method, "tokens": self.tokens, "target": self.target,
                "probability": round(self.probability, 6), "change": round(self.change, 6),
                "scores": np.round(self.scores, 6).tolist(),
                "deletion": self.faithfulness.as_json(), "seconds": round(self.seconds, 3)}


def baseline_id(model: LanguageModel) -> int:
    tokenizer = model.tokenizer
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def target_id(model: LanguageModel, target: str | None, log_probabilities: torch.Tensor) -> int:
    """The token `target` stands for (it must be exactly one), or the likeliest next token when it is empty."""
    if not target:
        return int(log_probabilities.argmax())
    ids = model.tokenizer(target, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        raise InputError.of("explain.not_one_token", token=target, count=len(ids))
    return ids[0]


def next_token_log_probability(model: LanguageModel, token: int):
    """f: embeddings [batch, tokens, hidden] → the log-probability of `token` after them, [batch]."""
    def forward(embeddings: torch.Tensor) -> torch.Tensor:
        hidden = model.network.model(inputs_embeds=embeddings).last_hidden_state[:, -1]
        return model.network.lm_head(hidden).float().log_softmax(-1)[:, token]

    return forward


def attribute_tokens(model: LanguageModel, text: str, target: str | None = None,
                     method: str = "integrated-gradients",
                     options: AttributionOptions = OPTIONS) -> TokenAttribution:
    """`method`'s score of each token of `text` for the next token `target` (default: the likeliest)."""
    check_method(method)
    started = time.perf_counter()
    ids = model.encode(text)
    embed = model.network.get_input_embeddings()
    with torch.inference_mode():
        embeddings = embed(ids)
        baseline = embed(torch.full_like(ids, baseline_id(model)))
        logits = model.network.lm_head(model.network.model(inputs_embeds=embeddings).last_hidden_state[0, -1])
    embeddings, baseline = embeddings.clone(), baseline.clone()  # out of inference mode, so autograd can use them
    token = target_id(model, target, logits)
    forward = next_token_log_probability(model, token)
    found = attributions(method, forward, embeddings, baseline, options, (1, embeddings.shape[-1]),
                         (1, embeddings.shape[-1]))[0].detach().float()
    # occlusion gives every element of a window the window's whole effect; the gradient methods split it
    scores = (found.mean(-1) if method == "occlusion" else found.sum(-1)).cpu().numpy()

    @torch.inference_mode()
    def probabilities_without(removed: np.ndarray) -> np.ndarray:
        keep = torch.from_numpy(~removed)[..., None].to(embeddings.device)
        edited = torch.where(keep, embeddings, baseline)  # [points, tokens, hidden]
        chunks = edited.split(options.internal_batch_size)
        return np.concatenate([forward(chunk).exp().cpu().numpy() for chunk in chunks])

    check = faithfulness(scores, options.deletion_points, probabilities_without, options.seed)
    probability = float(logits.float().softmax(-1)[token])
    with torch.inference_mode():
        change = float(forward(embeddings) - forward(baseline))
    return TokenAttribution(method, model.labels(ids[0]), model.labels([token])[0], probability, change, scores, check,
                            time.perf_counter() - started)
