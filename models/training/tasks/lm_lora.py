"""lm-lora: SmolLM2-135M fine-tuned on a text (models/training/text_sets.py) to predict its next tokens.

Three ways to adapt the same pretrained model, trained side by side on the same passages:
- LoRA (Hu et al. 2021), rank 4 or 16: every attention layer's query and value projections W (frozen) gain a
  low-rank update (alpha / r)·B·A, B [out, r] starting at zero and A [r, in] random, so training starts from
  the pretrained model exactly; only A and B learn (0.17 % / 0.7 % of the weights) and only they are saved.
- The last layers, fully: the last LAST_LAYERS decoder layers and the final norm learn, the rest is frozen.
  They are the model's `pretrained` part, so the loop steps them at a fraction of the learning rate
  (models/training/loop.py), which suits LoRA's new weights at full speed.

The text is cut into passages of SEQUENCE + 1 tokens; a passage is the input (its first SEQUENCE tokens) and the
target (its last SEQUENCE: each next token). Passages of one article stay on one side of the split.
"""
from dataclasses import dataclass
from functools import cache, lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import InputError
from models.language.causal_lm import PACKAGED_SOURCE, LanguageModel, packaged_smollm2_folder
from models.libraries import IMPORT_LOCK
from models.training.data import TaskData
from models.training.lora import ALPHA_PER_RANK, trained_weights, with_adapter, with_saved_weights
from models.training.task import Defaults, Task
from models.training.text_sets import documents

SEQUENCE = 64  # tokens a passage predicts: short keeps a step a few seconds on 2 CPU cores
LORA_TARGETS = ("q_proj", "v_proj")  # the attention projections LoRA adapts, as in Hu et al.
LAST_LAYERS = 2
EVALUATION_BATCH = 8  # passages per forward pass when evaluating: logits are [8, 64, 49,152] floats, 100 MB
DEFAULTS = Defaults("adamw", 2e-3, 4, 2)  # default text: 22 steps; LoRA overfits after epoch 1 (bench/RESULTS.md)
MIN_PASSAGES = DEFAULTS.batch_size + 1  # a batch to train on and one passage held out


@dataclass(frozen=True)
class Variant:
    rank: int  # LoRA's rank; 0: no adapter, the last LAST_LAYERS layers learn instead


VARIANTS = {"lora-4": Variant(4), "lora-16": Variant(16), "last-layers": Variant(0)}


@cache
def tokenizer():
    with IMPORT_LOCK:
        from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(packaged_smollm2_folder())


@lru_cache(maxsize=8)
def passages(dataset: str = "") -> TaskData:
    """The text `dataset` names as passages: inputs ([n, SEQUENCE] token ids,), targets [n, SEQUENCE] the next
    tokens; grouped by article for a corpus. Each document ends with the end-of-text token; its last tokens short
    of a whole passage are left out. InputError when the text gives fewer than MIN_PASSAGES."""
    texts = documents(dataset)
    rows, groups, total = [], [], 0
    for number, text in enumerate(texts):
        ids = tokenizer()(text, add_special_tokens=False)["input_ids"] + [tokenizer().eos_token_id]
        total += len(ids)
        for start in range(0, len(ids) - SEQUENCE, SEQUENCE):
            rows.append(ids[start: start + SEQUENCE + 1])
            groups.append(number)
    if len(rows) < MIN_PASSAGES:
        raise InputError.of("lm.too_little_text", tokens=total, needed=MIN_PASSAGES * SEQUENCE + 1,
                            passages=MIN_PASSAGES, length=SEQUENCE)
    chunks = torch.tensor(rows)
    return TaskData((chunks[:, :-1],), chunks[:, 1:], [], groups=torch.tensor(groups) if len(texts) > 1 else None)


class FineTunedLM(nn.Module):
    """forward(input ids [n, length]) -> next-token logits [n, length, vocabulary]: SmolLM2 (loaded as the
    Attention tab loads it, models/language/causal_lm.py) with a LoRA adapter or its last layers unfrozen."""

    def __init__(self, variant: str):
        super().__init__()
        network = LanguageModel(PACKAGED_SOURCE, torch.device("cpu"), torch.float32).network
        network.set_attn_implementation("sdpa")  # the fast kernel to train; the views read eager attention
        rank = VARIANTS[variant].rank
        if rank:
            self.network = with_adapter(network, rank, list(LORA_TARGETS))
        else:
            network.requires_grad_(False)
            self.pretrained = nn.ModuleList([*network.model.layers[-LAST_LAYERS:], network.model.norm])
            self.pretrained.requires_grad_(True)
            self.network = network

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.network(input_ids=input_ids).logits


@torch.inference_mode()
def token_loss(network: nn.Module, data: TaskData) -> tuple[float, float]:
    """(mean cross-entropy per predicted token, share of next tokens predicted right) of a causal LM over
    `data`'s passages, EVALUATION_BATCH at a time. exp(the loss) is the perplexity."""
    training, device = network.training, next(network.parameters()).device
    network.eval()
    loss_sum, correct = 0.0, 0
    for ids, targets in zip(data.inputs[0].split(EVALUATION_BATCH), data.targets.split(EVALUATION_BATCH)):
        logits, targets = network(input_ids=ids.to(device)).logits.float(), targets.to(device)
        loss_sum += float(F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="sum"))
        correct += int((logits.argmax(-1) == targets).sum())
    network.train(training)
    return loss_sum / data.targets.numel(), correct / data.targets.numel()


def reload_language_model(description: dict, weights: dict[str, torch.Tensor], device: torch.device,
                          dtype: torch.dtype) -> LanguageModel:
    """SmolLM2 with a run's saved weights, the adapter merged into the projections it adapts: a plain
    LanguageModel again, which every language view (next tokens, attention, logit lens) reads as the original."""
    language = LanguageModel(PACKAGED_SOURCE, torch.device("cpu"), torch.float32)
    language.network = with_saved_weights(language.network, weights, VARIANTS[description["variant"]].rank,
                                          list(LORA_TARGETS),
                                          InputError.of("lm.weights_mismatch", run=description["run_id"]))
    language.network.to(device, dtype).eval()
    language.device = device
    return language


TASK = Task("lm-lora", passages, {name: (lambda data, name=name: FineTunedLM(name)) for name in VARIANTS}, DEFAULTS,
            uses_dataset=True, saved_kind="language",
            preprocessing={"tokenizer": "SmolLM2-135M-Instruct's", "sequence": SEQUENCE,
                           "lora_targets": list(LORA_TARGETS), "lora_alpha_per_rank": ALPHA_PER_RANK,
                           "last_layers": LAST_LAYERS},
            reload=reload_language_model, evaluate=lambda model, data: token_loss(model.network, data),
            saved_weights=lambda model: trained_weights(model.network))
