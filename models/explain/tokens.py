"""Attributions for a causal language model's next token (SmolLM2): one score per input token.

f is the log-probability of the target token after the whole text. The methods work on the input embeddings
(models/explain/sequence.py). The baseline keeps the text's first token and sets every other embedding to zero.
The first position is SmolLM2's attention sink: a few of its activations grow huge there, whatever the token, and
every later position attends to it. Interpolating it too (as a padding-token baseline did) switches that on part-way
along the path, so f jumped by several nats between neighbouring steps and integrated gradients were 50–400 % off
f(text) − f(baseline) at 8–64 steps. With the sink held, a short prompt's path is smooth ("The capital of France
is" adds up within 5 %), but a 64-token text's still jumps (126 % off at 64 steps): not solved yet. The first
token's score is 0 by construction (removing it in the deletion curve changes nothing either).
The model is called with `inputs_embeds` rather than hooked: it is shared by request threads.
"""
import time

import torch

from models.errors import InputError
from models.explain.methods import AttributionOptions, check_method
from models.explain.sequence import SequenceAttribution, change_between, token_faithfulness, token_scores
from models.language.causal_lm import LanguageModel

# 16 steps keep 64 tokens within seconds; the steps double (to 64 at most) where the scores do not add up (short
# prompts add up; a 64-token text was still 126 % off at 64 steps: bench/RESULTS.md)
OPTIONS = AttributionOptions(steps=16, max_steps=64)
SINK_TOKENS = 1  # leading positions the baseline keeps as they are


def sink_kept_baseline(embeddings: torch.Tensor) -> torch.Tensor:
    """[1, tokens, hidden]: zeros, except the first SINK_TOKENS positions, which keep the text's embeddings."""
    baseline = torch.zeros_like(embeddings)
    baseline[:, :SINK_TOKENS] = embeddings[:, :SINK_TOKENS]
    return baseline


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
                     options: AttributionOptions = OPTIONS) -> SequenceAttribution:
    """`method`'s score of each token of `text` for the next token `target` (default: the likeliest)."""
    check_method(method)
    started = time.perf_counter()
    ids = model.encode(text)
    with torch.inference_mode():
        embeddings = model.network.get_input_embeddings()(ids)
        logits = model.network.lm_head(model.network.model(inputs_embeds=embeddings).last_hidden_state[0, -1])
    embeddings = embeddings.clone()  # out of inference mode, so autograd can use it
    baseline = sink_kept_baseline(embeddings)
    token = target_id(model, target, logits)
    forward = next_token_log_probability(model, token)
    found = token_scores(method, forward, embeddings, baseline, options)
    check = token_faithfulness(forward, embeddings, baseline, found.scores, options)
    return SequenceAttribution(method, model.labels(ids[0]), model.labels([token])[0],
                            float(logits.float().softmax(-1)[token]), change_between(forward, embeddings, baseline),
                            found.scores, found.steps, check, time.perf_counter() - started)
