"""LoRA (Hu et al. 2021) for the fine-tuning tasks (tasks/lm_lora.py, tasks/whisper_finetune.py), from `peft`.

A layer W chosen by `targets` (frozen) gains a low-rank update (alpha / r)·B·A, B [out, r] starting at zero and
A [r, in] random, so training starts from the pretrained model exactly; only A and B learn and only they are saved.
alpha = ALPHA_PER_RANK·r keeps the update's scale alpha / r the same at every rank.
"""
from torch import Tensor, nn

from models.errors import InputError
from models.libraries import IMPORT_LOCK

ALPHA_PER_RANK = 2


def lora_config(rank: int, targets: list[str] | str):
    """peft's LoraConfig: rank `rank` on the modules `targets` names (a list of names, or a regular expression)."""
    with IMPORT_LOCK:
        from peft import LoraConfig

    return LoraConfig(r=rank, lora_alpha=ALPHA_PER_RANK * rank, target_modules=targets, lora_dropout=0.0, bias="none")


def with_adapter(network: nn.Module, rank: int, targets: list[str] | str) -> nn.Module:
    """`network` inside a peft model with a fresh rank-`rank` adapter on `targets` (its own weights frozen)."""
    with IMPORT_LOCK:
        from peft import get_peft_model

    return get_peft_model(network, lora_config(rank, targets))


def trained_weights(network: nn.Module) -> dict[str, Tensor]:
    """What a fine-tuning run saves of `network`: its adapter's A and B (peft's names), or, without an adapter,
    the weights that learned."""
    with IMPORT_LOCK:
        from peft import PeftModel, get_peft_model_state_dict

    if isinstance(network, PeftModel):
        return get_peft_model_state_dict(network)
    return {name: parameter for name, parameter in network.named_parameters() if parameter.requires_grad}


def with_saved_weights(network: nn.Module, weights: dict[str, Tensor], rank: int, targets: list[str] | str,
                       mismatch: InputError) -> nn.Module:
    """The pretrained `network` with a run's saved weights: a rank-`rank` adapter merged into the layers it adapts
    (the same architecture as before, which every view reads as the original), or, for rank 0, the weights that
    learned loaded over the pretrained ones. `mismatch` is raised when the weights do not fit."""
    if not rank:
        if network.load_state_dict(weights, strict=False).unexpected_keys:
            raise mismatch
        return network
    with IMPORT_LOCK:
        from peft import set_peft_model_state_dict

    adapted = with_adapter(network, rank, targets)
    if set_peft_model_state_dict(adapted, weights).unexpected_keys:
        raise mismatch
    return adapted.merge_and_unload()
