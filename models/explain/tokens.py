"""Attributions for a causal language model's next token (SmolLM2): one score per input token.

f is the log-probability of the target token after the whole text. The methods work on the input embeddings
(models/explain/sequence.py). The baseline keeps the text's first token and puts the padding token's embedding
everywhere else. The first position is SmolLM2's attention sink: a few of its activations grow huge there, whatever
the token, and every later position attends to it; interpolating it too switches that on part-way along the path,
so f jumped by several nats between neighbouring steps. Zero embeddings for the rest (the previous baseline) put the
path's start on the RMS norm's singular point: near 0 the norm divides by √ε instead of the vector's size, so f
swung by nats within the first thousandth of the path and integrated gradients never added up on a 64-token text
(126 % off at 64 Gauss–Legendre steps, still 19 % in error summed over the pieces at 97 adaptive points). The padding
token keeps every point of the path a vector of ordinary size; the adaptive trapezoid rule (models/explain/methods.py)
then adds up within 5 % at 17–25 points (bench/RESULTS.md). The first token's score is 0 by construction (removing
it in the deletion curve changes nothing either).
The model is called with `inputs_embeds` rather than hooked: it is shared by request threads.
The integration points and deletion rows run under bfloat16 autocast where the CPU has it natively: a point costs
half as much, f drifts by a few hundredths of a nat, and the scores are held to f(text) − f(baseline) read in
float32 (2.0 % off at 25 points on the 64-token text against 4.8 % in float32; bench/RESULTS.md).
"""
import time
from dataclasses import replace

import numpy as np
import torch

from models.errors import InputError
from models.explain.methods import AttributionOptions, check_method
from models.explain.sequence import SequenceAttribution, token_faithfulness, token_scores
from models.explain.threads import pass_threads
from models.language.causal_lm import LanguageModel

# 8 points a round. Adding 4 a round stopped at 17 points on the 64-token text, whose scores added up (0.0 %) only by
# their errors cancelling: the deletion curve fell far later (area 0.115 against 0.042 at 25 points). 2 s for 64 tokens
# would allow about 9 points, where the scores were 109 %, 27 % and 11 % off on three texts (bench/RESULTS.md).
OPTIONS = AttributionOptions(steps=8, max_steps=64, low_precision=True)
SINK_TOKENS = 1  # leading positions the baseline keeps as they are
# tokens in one forward and backward pass: the integration points (and deletion-curve rows) go 8 at a time for 64
# tokens and one at a time from 512, so a long text's eager attention maps and activations stay bounded
TOKENS_PER_PASS = 512


def sink_kept_baseline(model: LanguageModel, embeddings: torch.Tensor) -> torch.Tensor:
    """[1, tokens, hidden]: the padding token's embedding, except the first SINK_TOKENS positions, which keep
    the text's."""
    padding = model.network.get_input_embeddings().weight[model.tokenizer.pad_token_id].detach()
    baseline = padding.to(embeddings.dtype).expand_as(embeddings).clone()
    baseline[:, :SINK_TOKENS] = embeddings[:, :SINK_TOKENS]
    return baseline


def batched_for(options: AttributionOptions, tokens: int) -> AttributionOptions:
    """`options` with as many inputs per pass as TOKENS_PER_PASS holds at this length (one at least)."""
    return replace(options, internal_batch_size=max(1, min(options.internal_batch_size, TOKENS_PER_PASS // tokens)))


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
    with pass_threads():
        with torch.inference_mode():
            embeddings = model.network.get_input_embeddings()(ids)
            baseline = sink_kept_baseline(model, embeddings)
            # the text and the baseline in one float32 pass: the target, f at both ends, the deletion curves' ends
            hidden = model.network.model(inputs_embeds=torch.cat([embeddings, baseline])).last_hidden_state[:, -1]
            log_probabilities = model.network.lm_head(hidden).float().log_softmax(-1)  # [2, vocabulary]
        embeddings, baseline = embeddings.clone(), baseline.clone()  # out of inference mode, for autograd
        options = batched_for(options, ids.shape[1])
        token = target_id(model, target, log_probabilities[0])
        ends = float(log_probabilities[0, token]), float(log_probabilities[1, token])
        forward = next_token_log_probability(model, token)
        found = token_scores(method, forward, embeddings, baseline, options, ends[0] - ends[1])
        check = token_faithfulness(forward, embeddings, baseline, found.scores, options, ends)
    return SequenceAttribution(method, model.labels(ids[0]), model.labels([token])[0], float(np.exp(ends[0])),
                               ends[0] - ends[1], found.scores, found.steps, check, time.perf_counter() - started)
