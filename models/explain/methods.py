"""The attribution methods, run by captum on any differentiable forward function.

- integrated gradients: the gradient averaged along the straight path from the baseline to the input, times
  (input − baseline); its attributions add up to f(input) − f(baseline) (completeness) once the integral is
  computed finely enough: the step count doubles until they do within `tolerance` (or `max_steps` is reached).
- gradient × input: the gradient at the input alone, times the input; one backward pass.
- occlusion: how much f drops when a window of the input is replaced by the baseline, window by window.
"""
from dataclasses import dataclass
from typing import Callable

import torch

from models.errors import InputError
from models.libraries import IMPORT_LOCK

METHODS = ("integrated-gradients", "gradient-x-input", "occlusion")
INTEGRATED_GRADIENTS = METHODS[0]


@dataclass(frozen=True)
class AttributionOptions:
    # integration steps (Gauss–Legendre). EfficientNet-Lite0's path is rough: on the cat and coffee photos the
    # scores add up within 2 % at 64 and 128 steps, but were 2–11 % off at 32 and 48
    steps: int = 64
    max_steps: int = 64  # the steps double from `steps` up to this while the scores do not add up
    tolerance: float = 0.05  # completeness: |Σ scores − (f(input) − f(baseline))| ≤ tolerance · |f(input) − f(baseline)|
    internal_batch_size: int = 8  # inputs per forward/backward pass: memory stays bounded on long inputs
    deletion_points: int = 11  # points on each deletion curve, 0 % … 100 % removed
    seed: int = 0  # the random deletion order


@dataclass(frozen=True)
class Attributed:
    values: torch.Tensor  # like the input: one score per element
    steps: int  # integration steps used (0 for the methods that do not integrate)


def check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError.of("explain.unknown_method", method=method, choices=", ".join(METHODS))


def completeness_error(total: float, change: float) -> float:
    """How far the scores' sum `total` is from `change` = f(input) − f(baseline), relative to it."""
    return abs(total - change) / max(abs(change), 1e-12)


def attributions(method: str, forward: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                 baselines: torch.Tensor, options: AttributionOptions, occlusion_window: tuple[int, ...],
                 occlusion_stride: tuple[int, ...]) -> Attributed:
    """`method`'s attribution of forward(inputs) ([1] → [1] scores), one per element of `inputs` ([1, …])."""
    check_method(method)
    with IMPORT_LOCK:
        from captum.attr import InputXGradient, IntegratedGradients, Occlusion

    with torch.enable_grad():
        if method == INTEGRATED_GRADIENTS:
            steps = options.steps
            while True:
                values, delta = IntegratedGradients(forward).attribute(
                    inputs, baselines, n_steps=steps, internal_batch_size=options.internal_batch_size,
                    return_convergence_delta=True)
                total = float(values.sum())
                if completeness_error(total, total - float(delta.sum())) <= options.tolerance \
                        or steps * 2 > options.max_steps:
                    return Attributed(values, steps)
                steps *= 2
        if method == "gradient-x-input":
            return Attributed(InputXGradient(forward).attribute(inputs.clone().requires_grad_()), 0)
    with torch.no_grad():
        return Attributed(Occlusion(forward).attribute(inputs, occlusion_window, occlusion_stride, baselines,
                                                       perturbations_per_eval=options.internal_batch_size), 0)
