"""EfficientNet-Lite0 on a small image set: pretrained and frozen, pretrained with its last blocks unfrozen, or
the same architecture from scratch. The image tasks (tasks/digit_photos.py, tasks/my_images.py) share it.

A frozen layer gives the same output for an image at every epoch, so the frozen part runs once, before
training (`trained_part`): the frozen variant then trains only the new linear head on the 1280 pooled
features, the partial one the last blocks, the head convolution and the new head on the activations
that enter them. Only the from-scratch variant pays for every layer's forward and backward at each step.
"""
import torch
from torch import nn

from models.training.data import TaskData
from models.training.task import Builder
from models.vision import efficientnet
from models.vision.classifier import ImageClassifier, to_tensor

FROZEN_BLOCKS = {"frozen": efficientnet.BLOCKS, "partial": 14, "scratch": 0}  # frozen also fixes the head conv
ENCODE_BATCH = 64


def efficientnet_lite0(classes: int, pretrained: bool) -> nn.Module:
    """Lite0 with a new `classes`-way linear head; its body from ImageNet, or randomly initialised."""
    return efficientnet.lite0(classes, pretrained)


class FineTunedLite0(nn.Module):
    """forward(images [n, 3, s, s] in [-1, 1]) -> logits; `network` is a plain EfficientNet, saved as it is."""

    def __init__(self, classes: int, variant: str):
        super().__init__()
        self.network = efficientnet_lite0(classes, pretrained=variant != "scratch")
        self.frozen_blocks = FROZEN_BLOCKS[variant]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)


# variant -> builder, for an image task's Task
VARIANTS: dict[str, Builder] = {variant: (lambda data, variant=variant: FineTunedLite0(len(data.classes), variant))
                                for variant in FROZEN_BLOCKS}


class _Tail(nn.Module):
    """The partial variant's trained part, sharing the network's modules: blocks[first:], head conv, new head."""

    def __init__(self, network: nn.Module, first_block: int):
        super().__init__()
        self.pretrained = nn.ModuleList([*network._blocks[first_block:], network._conv_head, network._bn1])
        self.fc = network._fc
        self.stages = efficientnet.stages(network)[1 + first_block:]  # after the stem and the frozen blocks

    def train(self, mode: bool = True) -> "_Tail":
        """Batch norms keep their ImageNet statistics: a few steps of small batches cannot re-estimate them, and
        validation (eval mode) would then see statistics that training never used."""
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self

    def forward(self, activations: torch.Tensor) -> torch.Tensor:
        return efficientnet.run(self.stages, activations)[0]


@torch.no_grad()
def _frozen_output(model: FineTunedLite0, images: torch.Tensor) -> torch.Tensor:
    """What enters the trained part: the activations after the frozen blocks, or the pooled features."""
    network = model.network.eval()
    stages = efficientnet.stages(network)
    frozen = stages[:-1] if model.frozen_blocks == efficientnet.BLOCKS else stages[:1 + model.frozen_blocks]
    outputs = [efficientnet.run(frozen, batch)[0] for batch in images.split(ENCODE_BATCH)]
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
    part = network._fc if model.frozen_blocks == efficientnet.BLOCKS else _Tail(network, model.frozen_blocks)
    for parameter in part.parameters():
        parameter.requires_grad_(True)

    def encoded(data: TaskData) -> TaskData:
        return TaskData((_frozen_output(model, data.inputs[0]),), data.targets, data.classes, groups=data.groups)

    return part, encoded(train), encoded(validation)


def photo_preprocessing(side: int) -> dict:
    """How a saved image model's inputs are made, for its config.json (and anyone reading it outside the studio)."""
    return {"side": side, "crop": "centre square, 224/256 of the short side",
            "scale": "RGB / 255, then (x - 0.5) / 0.5"}


def reload_image_classifier(description: dict, weights: dict[str, torch.Tensor], device: torch.device,
                            dtype: torch.dtype) -> ImageClassifier:
    """A saved fine-tuned Lite0 as the Image tab's classifier, reading photos as it was trained on them."""
    network = efficientnet_lite0(len(description["classes"]), pretrained=False)
    network.load_state_dict(weights)
    side = description["preprocessing"]["side"]
    return ImageClassifier(network, description["classes"], device, dtype,
                           to_tensor=lambda image: to_tensor(image, side).unsqueeze(0))
