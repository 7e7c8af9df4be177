"""Pick the device and dtype the studio runs models on."""
import os
from dataclasses import dataclass

import torch

from models.errors import InputError


@dataclass(frozen=True)
class Placement:
    device: torch.device
    dtype: torch.dtype  # float16 on CUDA where the model allows it, float32 elsewhere


def pick_device(override: str | None = None) -> torch.device:
    """CUDA, then Apple MPS, then CPU; `override` or STUDIO_DEVICE ("cpu", "cuda", "cuda:1", "mps") wins."""
    name = override or os.environ.get("STUDIO_DEVICE")
    if name:
        device = torch.device(name)
        if (device.type == "cuda" and not torch.cuda.is_available()
                or device.type == "mps" and not torch.backends.mps.is_available()):
            raise InputError.of("device.unavailable", device=name)
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def placement(device: torch.device, half_safe: bool) -> Placement:
    """fp16 only on CUDA and only for models known to keep their outputs in half precision."""
    dtype = torch.float16 if device.type == "cuda" and half_safe else torch.float32
    return Placement(device, dtype)
