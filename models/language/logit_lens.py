"""The logit lens (nostalgebraist, 2020): what a decoder-only language model would predict if it stopped after
each layer. Every layer's output (the residual stream) is read through the model's own final norm and
output head, as if it were the last layer's: the first layers mostly echo the input token, later ones
converge on the final prediction. The lens assumes the layers write in the output head's basis, which
holds best near the top; the last row is the model's own next-token distribution exactly.
"""
from dataclasses import dataclass

import numpy as np
import torch

from models.language.causal_lm import LanguageModel

TOP_K = 5


@dataclass(frozen=True)
class LogitLens:
    tokens: list[str]  # the input, one per position
    layer_names: list[str]  # "embeddings", then "1" … "L": the rows
    top_tokens: list[list[list[str]]]  # [layers + 1][positions][k], likeliest first
    probabilities: np.ndarray  # [layers + 1, positions, k]: their probabilities after softmax
    distributions: torch.Tensor  # [layers + 1, positions, vocabulary] float32: every row in full

    def as_json(self) -> dict:
        return {"tokens": self.tokens, "layers": self.layer_names,
                "top": [[[{"token": token, "probability": round(float(p), 6)} for token, p in zip(names, row)]
                         for names, row in zip(layer_tokens, layer_probabilities)]
                        for layer_tokens, layer_probabilities in zip(self.top_tokens, self.probabilities)]}


@torch.inference_mode()
def logit_lens(model: LanguageModel, text: str, k: int = TOP_K) -> LogitLens:
    """Every layer's residual stream after each token, through the final norm and the output head."""
    ids = model.encode(text)
    decoder = model.network.model  # the Llama stack: embed_tokens, layers, norm; lm_head sits beside it
    streams: list[torch.Tensor] = []

    def keep(_module, _inputs, output):
        streams.append((output[0] if isinstance(output, tuple) else output)[0])  # [positions, hidden]

    hooks = [decoder.embed_tokens.register_forward_hook(keep)]
    hooks += [layer.register_forward_hook(keep) for layer in decoder.layers]
    try:
        model.network(input_ids=ids)
    finally:
        for hook in hooks:
            hook.remove()
    stacked = torch.stack(streams)  # [layers + 1, positions, hidden]
    distributions = model.network.lm_head(decoder.norm(stacked)).float().softmax(dim=-1)
    top = distributions.topk(k, dim=-1)
    return LogitLens(model.labels(ids[0]), ["embeddings", *map(str, range(1, len(decoder.layers) + 1))],
                     [[model.labels(row) for row in layer] for layer in top.indices],
                     top.values.cpu().numpy(), distributions.cpu())
