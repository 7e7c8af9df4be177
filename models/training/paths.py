"""Gradient descent, momentum and Adam on the Rosenbrock surface: the optimizers' paths, in 2-D.

f(x, y) = (1 - x)² + 100 (y - x²)² has its minimum at (1, 1) at the bottom of a long, curved,
nearly flat valley: plain gradient descent zig-zags across the steep walls and crawls along the floor.
"""
import functools

import numpy as np
import torch

from models.errors import InputError

START = (-1.5, 2.0)
# the largest steps that keep each one stable from START; Adam's step is in units of x and y, not gradient.
# Named in the studio as training.path.<name>.
OPTIMIZERS = {
    "gradient_descent": (lambda p, scale: torch.optim.SGD(p, lr=5e-4 * scale)),
    "momentum": (lambda p, scale: torch.optim.SGD(p, lr=5e-4 * scale, momentum=0.9)),
    "adam": (lambda p, scale: torch.optim.Adam(p, lr=5e-2 * scale)),
}
ESCAPED = 1e3  # a path this far out has diverged; it stops there


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


@functools.lru_cache(maxsize=64)
def optimizer_paths(steps: int = 500, learning_rate_scale: float = 1.0) -> dict[str, np.ndarray]:
    """name -> [points, 2]: where each optimizer went from START, one row per step (fewer if it diverged).
    Cached (read-only results): the Training tab redraws the default paths on every page load."""
    if not 1 <= steps <= 20000 or not 0 < learning_rate_scale <= 100:
        raise InputError.of("training.bad_path_settings")
    paths = {}
    for name, make in OPTIMIZERS.items():
        point = torch.tensor(START, dtype=torch.float64, requires_grad=True)
        optimizer = make([point], learning_rate_scale)
        path = [point.detach().clone()]
        for _ in range(steps):
            optimizer.zero_grad()
            rosenbrock(point[0], point[1]).backward()
            optimizer.step()
            if not torch.isfinite(point).all() or point.abs().max() > ESCAPED:
                break
            path.append(point.detach().clone())
        paths[name] = torch.stack(path).numpy()
    return paths
