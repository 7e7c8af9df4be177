"""A small CNN and a small vision transformer, trained here on scikit-learn's 8×8 digits, side by side.

Both train on first use in a few seconds, through the Training tab's loop (models/training/loop.py) on
the digits task's images, and are cached under .studio/ so restarts reuse them. The ViT cuts the 8×8
image into a 4×4 grid of 2×2 patches (`patch_grid`); its attention shows which patches each patch reads.
"""
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from models.errors import InputError
from models.libraries import IMPORT_LOCK
from models.training.config import TrainConfig
from models.training.data import TaskData
from models.training.loop import fit
from models.training.tasks.digits import CLASSES, INK_LEVEL, digit_images, digits_cnn

CACHE = Path(__file__).resolve().parent.parent / ".studio" / "digits.safetensors"
SEED = 0
TEST_FRACTION = 0.2
CACHE_VERSION = 3  # bump when the architectures or the training change
IMAGE_SIZE, PATCH_SIZE = 8, 2
# fit() reads the optimizer settings of these; the task and variant only name what the settings were made for
CNN_TRAINING = TrainConfig("digits", "cnn", "adamw", 3e-3, batch_size=64, epochs=15, seed=SEED)
VIT_TRAINING = TrainConfig("digits", "cnn", "adamw", 3e-3, batch_size=64, epochs=40, seed=SEED)


@dataclass
class DigitPredictions:
    digit: np.ndarray  # the drawing as the models saw it: 8×8, 0–16
    cnn: np.ndarray  # [10] probabilities
    vit: np.ndarray  # [10] probabilities
    attention: np.ndarray  # [layers, heads, 17, 17]: row = query token (CLS, then patches row by row), col = key
    rollout: np.ndarray  # [17, 17]: attention rolled out through all layers; rows sum to 1
    patch_grid: int  # the patches form a patch_grid × patch_grid grid

    def cls_attention(self) -> np.ndarray:
        """[layers, heads, grid, grid]: how much the CLS token reads each patch, at each layer and head."""
        layers, heads = self.attention.shape[:2]
        return self.attention[:, :, 0, 1:].reshape(layers, heads, self.patch_grid, self.patch_grid)

    def cls_rollout(self) -> np.ndarray:
        """[grid, grid]: the rollout's CLS row over the patches, where the prediction's evidence came from."""
        return self.rollout[0, 1:].reshape(self.patch_grid, self.patch_grid)


def small_cnn() -> nn.Module:
    """The Training tab's digits CNN, for ten classes."""
    return digits_cnn(10)


def small_vit() -> nn.Module:
    with IMPORT_LOCK:
        from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(image_size=IMAGE_SIZE, patch_size=PATCH_SIZE, num_channels=1, hidden_size=64,
                       num_hidden_layers=3, num_attention_heads=4, intermediate_size=128, num_labels=10,
                       attn_implementation="eager")  # eager: returns attention weights
    return ViTForImageClassification(config)


def digits_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The seeded, stratified train / test split of load_digits: images as [n, 1, 8, 8] floats in [0, 1], labels."""
    from sklearn.model_selection import train_test_split

    images, labels = digit_images()
    train_x, test_x, train_y, test_y = train_test_split(images, labels, test_size=TEST_FRACTION,
                                                        random_state=SEED, stratify=labels)
    return train_x, train_y, test_x, test_y


def logits_of(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    output = model(images)
    return output.logits if hasattr(output, "logits") else output


class _Logits(nn.Module):
    """A model whose output carries .logits (the ViT), as fit() calls it: images -> logits."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return logits_of(self.model, images)


def train(model: nn.Module, config: TrainConfig) -> nn.Module:
    """`model` trained on the train split, the test split as fit()'s validation; returns it in eval mode."""
    train_x, train_y, test_x, test_y = digits_split()
    torch.manual_seed(config.seed)
    fit(_Logits(model), TaskData((train_x,), train_y, CLASSES), TaskData((test_x,), test_y, CLASSES), config)
    return model.eval()


@torch.inference_mode()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    return float((logits_of(model.eval(), images).argmax(-1) == labels).float().mean())


class DigitModels:
    def __init__(self, cnn: nn.Module, vit: nn.Module):
        self.cnn, self.vit = cnn.eval(), vit.eval()

    @property
    def patch_grid(self) -> int:
        """The ViT's patches per side: its image size over its patch size."""
        return self.vit.config.image_size // self.vit.config.patch_size

    @torch.inference_mode()
    def classify_drawing(self, image) -> DigitPredictions:
        """`image`: a sketchpad drawing (dark strokes on white, or strokes on a transparent canvas)."""
        digit = drawing_to_digit(image)
        batch = torch.tensor(digit / INK_LEVEL, dtype=torch.float32)[None, None]
        cnn = self.cnn(batch).softmax(-1)[0].numpy()
        output = self.vit(batch, output_attentions=True)
        attention = torch.cat(output.attentions).numpy()  # [layers, heads, 17, 17]
        return DigitPredictions(digit, cnn, output.logits.softmax(-1)[0].numpy(), attention, rollout(attention),
                                self.patch_grid)


def rollout(attention: np.ndarray) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020): per layer, average the heads, add the residual path as the
    identity and renormalise the rows; multiply through the layers. [layers, heads, T, T] -> [T, T]."""
    tokens = attention.shape[-1]
    rolled = np.eye(tokens)
    for layer in attention:
        mixed = layer.mean(axis=0) + np.eye(tokens)
        rolled = (mixed / mixed.sum(axis=-1, keepdims=True)) @ rolled
    return rolled


def drawing_to_digit(image) -> np.ndarray:
    """A drawing -> the 8×8, 0–16 format of load_digits: crop to the ink, pad to a square, measure ink per block."""
    if isinstance(image, dict):  # gr.Sketchpad's value: background, layers and their composite
        image = image.get("composite")
    if image is None:
        raise InputError.of("digits.nothing_drawn")
    array = np.asarray(image.convert("RGBA") if isinstance(image, Image.Image) else image)
    pixels = array.astype(np.float32) / (255 if array.dtype == np.uint8 else 1)
    ink = _ink(pixels if pixels.ndim == 3 else pixels[..., None])
    rows, columns = np.nonzero(ink > 0.1)
    if len(rows) == 0:
        raise InputError.of("digits.empty_canvas")
    ink = ink[rows.min(): rows.max() + 1, columns.min(): columns.max() + 1]
    side = max(ink.shape)
    square = np.zeros((side, side), np.float32)
    top, left = (side - ink.shape[0]) // 2, (side - ink.shape[1]) // 2
    square[top: top + ink.shape[0], left: left + ink.shape[1]] = ink
    # load_digits counts the inked pixels of each 4×4 block of a 32×32 bitmap: the inked share of each block × 16.
    return np.asarray(Image.fromarray(square).resize((8, 8), Image.BOX), np.float32) * INK_LEVEL


def _ink(pixels: np.ndarray) -> np.ndarray:
    """How inked each pixel is, in [0, 1]: opaque dark strokes on light paper or on a transparent canvas."""
    if pixels.shape[-1] in (2, 4):  # grey or RGB, then alpha
        alpha = pixels[..., -1]
        grey = alpha * pixels[..., :-1].mean(axis=-1) + (1 - alpha)  # flattened on white paper
    else:
        grey = pixels.mean(axis=-1)
    ink = 1 - grey
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    return 1 - ink if np.median(border) > 0.5 else ink  # light strokes on a dark canvas


def load_digit_models(cache: Path = CACHE) -> DigitModels:
    """The two models from `cache`, or trained now (a few seconds) and saved there."""
    torch.manual_seed(SEED)
    cnn, vit = small_cnn(), small_vit()
    if cache.exists():
        with safe_open(cache, "pt") as saved:
            current = saved.metadata().get("version") == str(CACHE_VERSION)
        if current:
            tensors = load_file(cache)
            cnn.load_state_dict({name[4:]: tensor for name, tensor in tensors.items() if name[:4] == "cnn."})
            vit.load_state_dict({name[4:]: tensor for name, tensor in tensors.items() if name[:4] == "vit."})
            return DigitModels(cnn, vit)
    train(cnn, CNN_TRAINING)
    train(vit, VIT_TRAINING)
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache.with_suffix(".tmp")
    tensors = {f"{name}.{key}": value.contiguous() for name, model in (("cnn", cnn), ("vit", vit))
               for key, value in model.state_dict().items()}
    save_file(tensors, temporary, metadata={"version": str(CACHE_VERSION)})
    temporary.replace(cache)  # atomic: a second process never reads half a file
    return DigitModels(cnn, vit)


_shared: DigitModels | None = None
_shared_lock = threading.Lock()


def shared_digit_models() -> DigitModels:
    """One DigitModels per process, trained or loaded by the first caller while the others wait."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = load_digit_models()
        return _shared
