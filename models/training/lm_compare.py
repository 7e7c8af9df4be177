"""A fine-tuned SmolLM2 (task lm-lora) against the original: held-out perplexity, the same prompts continued by
both, and what the run saved against the whole model.

The held-out passages are the run's own validation split, made again from its config (same text, split and seed).
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

from safetensors import safe_open

from models.errors import Phrase
from models.language.causal_lm import LanguageModel, packaged_smollm2_folder
from models.progress import Progress, no_progress
from models.training.config import TrainConfig
from models.training.saved import CONFIG, WEIGHTS, SavedModel
from models.training.tasks import load_task
from models.training.tasks.lm_lora import token_loss, tokenizer

PROMPTS = 3  # held-out passages whose first words are the default prompts
PROMPT_TOKENS = 8
CONTINUATION_TOKENS = 20
MODEL_FILE = "model.safetensors"


@dataclass(frozen=True)
class Comparison:
    perplexity_before: float  # exp(mean cross-entropy per token) of the original on the held-out passages
    perplexity_after: float  # the same for the fine-tuned model
    held_out_tokens: int
    prompts: list[str]
    before: list[str]  # [prompts] the original's greedy continuation of each prompt
    after: list[str]  # [prompts] the fine-tuned model's
    saved_bytes: int  # the run's weights file (a LoRA adapter, or the last layers)
    model_bytes: int  # the whole model's float32 safetensors
    saved_parameters: int
    model_parameters: int


def held_out_passages(model: SavedModel):
    """The run's validation split: TaskData of [n, SEQUENCE] passages."""
    config = TrainConfig(**json.loads((model.folder / CONFIG).read_text(encoding="utf-8"))["config"])
    return load_task(config.task, config.dataset).split(config.validation_split, config.seed)[1]


def default_prompts(model: SavedModel) -> list[str]:
    """The first PROMPT_TOKENS tokens of the first PROMPTS held-out passages."""
    return [tokenizer().decode(ids[:PROMPT_TOKENS]).strip() for ids in held_out_passages(model).inputs[0][:PROMPTS]]


def compare(model: SavedModel, original: LanguageModel, tuned: LanguageModel, prompts: list[str],
            progress: Progress = no_progress) -> Comparison:
    """Both models on the run's held-out passages and on `prompts` (the default prompts when empty)."""
    held_out = held_out_passages(model)
    prompts = prompts or default_prompts(model)
    steps, done = 2 + 2 * len(prompts), 0
    losses, continuations = [], []
    for language, which in ((original, Phrase("lm.original")), (tuned, Phrase("lm.tuned"))):
        progress(done / steps, Phrase("lm.measuring", model=which))
        losses.append(token_loss(language.network, held_out)[0])
        done += 1
        for index, prompt in enumerate(prompts):
            progress(done / steps, Phrase("lm.continuing", model=which, prompt=index + 1, prompts=len(prompts)))
            continuations.append("".join(language.continue_greedily(prompt, CONTINUATION_TOKENS).tokens))
            done += 1
    progress(1.0, Phrase("lm.compared"))
    weights = model.folder / WEIGHTS
    return Comparison(math.exp(losses[0]), math.exp(losses[1]), held_out.targets.numel(), prompts,
                      continuations[:len(prompts)], continuations[len(prompts):], weights.stat().st_size,
                      (packaged_smollm2_folder() / MODEL_FILE).stat().st_size, saved_parameters(weights),
                      original.network.num_parameters())


def saved_parameters(weights: Path) -> int:
    with safe_open(weights, "pt") as file:
        return sum(math.prod(file.get_slice(name).get_shape()) for name in file.keys())
