"""How a language model's next token is chosen when it is sampled: temperature, then top-k, then top-p
(nucleus), each reshaping the distribution the next one sees, then one draw. The stages are transformers'
own logits warpers, the ones `generate(do_sample=True)` applies, so what is shown is what generation does.
"""
from dataclasses import dataclass

import numpy as np
import torch

from models.errors import InputError
from models.language.causal_lm import Continuation, LanguageModel

SHOWN_TOKENS = 20  # the likeliest tokens drawn at every stage
MOST_NEW_TOKENS = 64


@dataclass(frozen=True)
class SamplingOptions:
    temperature: float = 1.0  # logits ÷ temperature: below 1 sharper, above 1 flatter
    top_k: int = 0  # keep the k likeliest tokens; 0 keeps all
    top_p: float = 1.0  # keep the likeliest tokens whose probabilities add up to p; 1 keeps all
    seed: int = 0  # the same seed, options and text give the same continuation

    def checked(self) -> "SamplingOptions":
        if not 0 < self.temperature <= 10:
            raise InputError.of("language.bad_temperature", value=self.temperature)
        if self.top_k < 0:
            raise InputError.of("language.bad_top_k", value=self.top_k)
        if not 0 < self.top_p <= 1:
            raise InputError.of("language.bad_top_p", value=self.top_p)
        return self


STAGES = ("model", "temperature", "top_k", "top_p")  # the distribution before any change, then after each


@dataclass(frozen=True)
class SamplingStages:
    """The next-token distribution after the text at each stage, over the tokens likeliest at the first."""

    tokens: list[str]  # [SHOWN_TOKENS] by the model's own probability
    probabilities: np.ndarray  # [len(STAGES), SHOWN_TOKENS]
    kept: list[int]  # how many tokens of the whole vocabulary can still be drawn after each stage


def warpers(options: SamplingOptions) -> list:
    from transformers.generation.logits_process import (TemperatureLogitsWarper, TopKLogitsWarper,
                                                        TopPLogitsWarper)

    return [TemperatureLogitsWarper(options.temperature), TopKLogitsWarper(options.top_k) if options.top_k else None,
            TopPLogitsWarper(options.top_p) if options.top_p < 1 else None]


@torch.inference_mode()
def sampling_stages(model: LanguageModel, text: str, options: SamplingOptions) -> SamplingStages:
    ids = model.encode(text)
    logits = model.network(input_ids=ids).logits[:, -1].float()  # [1, vocabulary]
    stages = [logits]
    for warper in warpers(options.checked()):
        stages.append(stages[-1] if warper is None else warper(ids, stages[-1].clone()))
    distributions = torch.cat(stages).softmax(dim=-1)  # [stages, vocabulary]
    shown = distributions[0].topk(SHOWN_TOKENS).indices
    return SamplingStages(model.labels(shown), distributions[:, shown].numpy(),
                          [int((row > 0).sum()) for row in distributions])


@torch.inference_mode()
def sample_continuation(model: LanguageModel, text: str, options: SamplingOptions, count: int) -> Continuation:
    """`count` tokens drawn one by one after `text`, each with its probability in the distribution it was drawn
    from (a seeded generator of its own: other users' draws do not change this one's)."""
    if not 1 <= count <= MOST_NEW_TOKENS:
        raise InputError.of("language.bad_count", value=count, limit=MOST_NEW_TOKENS)
    ids = model.encode(text)
    stages = [warper for warper in warpers(options.checked()) if warper is not None]
    generator = torch.Generator().manual_seed(options.seed)
    drawn, probabilities, cache, step_input = [], [], None, ids
    for _ in range(count):
        output = model.network(input_ids=step_input, cache=cache, use_cache=True)
        cache, logits = output.cache, output.logits[:, -1].float()
        for warper in stages:
            logits = warper(ids, logits)
        distribution = logits.softmax(dim=-1)[0].cpu()
        token = int(torch.multinomial(distribution, 1, generator=generator))
        drawn.append(token)
        probabilities.append(float(distribution[token]))
        step_input = torch.tensor([[token]], device=ids.device)
        ids = torch.cat([ids, step_input], dim=1)
        if token == model.tokenizer.eos_token_id:
            break
    return Continuation(model.labels(drawn), probabilities)
