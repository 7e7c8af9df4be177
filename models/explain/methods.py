"""The attribution methods, run by captum on any differentiable forward function.

- integrated gradients: the gradient averaged along the straight path from the baseline to the input, times
  (input − baseline); its attributions add up to f(input) − f(baseline) (completeness) once the integral is
  computed finely enough. The path is integrated by an adaptive trapezoid rule: every point gives f and the
  gradient from one forward and backward pass, so each piece of the path has a known answer, f(end) − f(start),
  and an error, the trapezoid's sum minus that answer. The pieces whose error is largest are halved, a round of
  `points_per_round` at a time, until the scores add up within `tolerance` (or `max_steps` points are spent):
  the points go where f changes fast (SmolLM2's path is flat for most of its length, then rises by several nats
  within a twentieth of it), where evenly spaced or Gauss–Legendre steps miss the rise.
  With `low_precision`, the points run under bfloat16 autocast on CPUs that compute bfloat16 natively (about twice
  as fast for SmolLM2); whether the scores still add up is checked against f in float32, so the rule's stopping test
  is the same; only the tasks whose completeness was measured to hold use it (bench/RESULTS.md).
- gradient × input: the gradient at the input alone, times the input; one backward pass.
- occlusion: how much f drops when a window of the input is replaced by the baseline, window by window.
"""
import contextlib
import math
from dataclasses import dataclass
from typing import Callable

import torch

from models.errors import InputError
from models.explain.threads import fit_threads
from models.libraries import IMPORT_LOCK

METHODS = ("integrated-gradients", "gradient-x-input", "occlusion")
INTEGRATED_GRADIENTS = METHODS[0]


@dataclass(frozen=True)
class AttributionOptions:
    steps: int = 8  # integrated gradients' first, even pieces of the path (steps + 1 points)
    max_steps: int = 64  # points (forward and backward passes) at most, however rough the path
    points_per_round: int = 8  # pieces halved at once (each a new point) while the scores do not add up
    tolerance: float = 0.05  # completeness: |Σ scores − (f(input) − f(baseline))| ≤ tolerance · |f(input) − f(baseline)|
    internal_batch_size: int = 8  # inputs per forward/backward pass: memory stays bounded on long inputs
    deletion_points: int = 11  # points on each deletion curve, 0 % … 100 % removed
    seed: int = 0  # the random deletion order
    low_precision: bool = False  # integration points and deletion rows under bfloat16 autocast, where native


@dataclass(frozen=True)
class Attributed:
    values: torch.Tensor  # like the input: one score per element
    steps: int  # integration points used (0 for the methods that do not integrate)


def check_method(method: str) -> None:
    if method not in METHODS:
        raise InputError.of("explain.unknown_method", method=method, choices=", ".join(METHODS))


def bfloat16_native(device: torch.device) -> bool:
    """Whether bfloat16 autocast speeds passes up on `device` (CPUs with AVX-512 BF16 or AMX; not emulated)."""
    if device.type != "cpu":
        return False
    cpu = torch.cpu
    return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                or getattr(cpu, "_is_amx_tile_supported", lambda: False)())


def precision(options: AttributionOptions, device: torch.device):
    """The context the passes run in: bfloat16 autocast where `options` ask for it and `device` has it natively."""
    if options.low_precision and bfloat16_native(device):
        return torch.autocast(device.type, torch.bfloat16)
    return contextlib.nullcontext()


def chunks(rows: torch.Tensor, most: int) -> tuple[torch.Tensor, ...]:
    """`rows` split into as few passes of at most `most` as possible, of even sizes (9 → 5 + 4, not 8 + 1: a lone
    row costs SmolLM2 almost as much as four in one pass)."""
    count = math.ceil(len(rows) / max(1, most)) or 1
    return rows.tensor_split(count)


def completeness_error(total: float, change: float) -> float:
    """How far the scores' sum `total` is from `change` = f(input) − f(baseline), relative to it."""
    return abs(total - change) / max(abs(change), 1e-12)


def attributions(method: str, forward: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                 baselines: torch.Tensor, options: AttributionOptions, occlusion_window: tuple[int, ...],
                 occlusion_stride: tuple[int, ...], change: float | None = None) -> Attributed:
    """`method`'s attribution of forward(inputs) ([1] → [1] scores), one per element of `inputs` ([1, …]).
    `change`: f(inputs) − f(baselines) in float32 where the caller has it (integrated gradients aim at it)."""
    check_method(method)
    with IMPORT_LOCK:
        from captum.attr import InputXGradient, Occlusion

    if method == INTEGRATED_GRADIENTS:
        return integrated_gradients(forward, inputs, baselines, options, change)
    with torch.enable_grad():
        if method == "gradient-x-input":
            return Attributed(InputXGradient(forward).attribute(inputs.clone().requires_grad_()), 0)
    with torch.no_grad():
        return Attributed(Occlusion(forward).attribute(inputs, occlusion_window, occlusion_stride, baselines,
                                                       perturbations_per_eval=options.internal_batch_size), 0)


def path_points(forward: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor, baselines: torch.Tensor,
                alphas: list[float], options: AttributionOptions) -> tuple[torch.Tensor, torch.Tensor]:
    """f and ∂f/∂x · (input − baseline) at baseline + α (input − baseline) for each α: [points] and [points, …]."""
    difference = inputs - baselines
    values, products = [], []
    for chunk in chunks(torch.tensor(alphas, dtype=inputs.dtype, device=inputs.device), options.internal_batch_size):
        points = (baselines + chunk.view(-1, *[1] * (inputs.dim() - 1)) * difference).requires_grad_()
        fit_threads()
        with torch.enable_grad(), precision(options, inputs.device):
            value = forward(points)
            gradient, = torch.autograd.grad(value.sum(), points)
        values.append(value.detach().double())
        products.append((gradient.to(difference.dtype) * difference).detach())
    return torch.cat(values), torch.cat(products)


def trapezoid_errors(alpha: torch.Tensor, value: torch.Tensor, rate: torch.Tensor) -> torch.Tensor:
    """Each piece of the path's error: its trapezoid minus its known answer f(end) − f(start). `alpha`, `value` (f)
    and `rate` (df/dα) at the points in increasing α: [points] float64 each → [points − 1]."""
    return alpha.diff() * (rate[1:] + rate[:-1]) / 2 - value.diff()


def middles_of_worst(alpha: torch.Tensor, errors: torch.Tensor, most: int) -> list[float]:
    """The middles of the at most `most` pieces whose |error| is largest, the largest first: the next points.
    `alpha`: [points] in increasing order; `errors`: [points − 1], `trapezoid_errors`'s."""
    worst = errors.abs().argsort(descending=True)[:most]
    return ((alpha[worst] + alpha[worst + 1]) / 2).tolist()


def trapezoid_total(alpha: torch.Tensor, products: torch.Tensor) -> torch.Tensor:
    """The trapezoid rule's integral of `products` over α: `alpha` [points] in increasing order (float64),
    `products` [points, …] at those points → […], in `products`' dtype."""
    widths = alpha.diff()
    weights = torch.zeros_like(alpha)  # each point's share of the trapezoids on either side of it
    weights[1:] += widths / 2
    weights[:-1] += widths / 2
    return (weights.to(products.dtype).view(-1, *[1] * (products.dim() - 1)) * products).sum(0)


def integrated_gradients(forward: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                         baselines: torch.Tensor, options: AttributionOptions,
                         change: float | None = None) -> Attributed:
    """Integrated gradients of forward(inputs) ([1, …] → [1]) by the adaptive trapezoid rule (module docstring).
    `change`: f(inputs) − f(baselines) in float32, the sum the scores must reach; by default the path's own ends
    (the same thing unless the points run in bfloat16, whose f drifts by a few hundredths of a nat)."""
    alphas = [step / options.steps for step in range(options.steps + 1)]
    values, products = path_points(forward, inputs, baselines, alphas, options)
    rates = products.flatten(1).double().sum(1)  # df/dα at each point
    while True:
        order = torch.tensor(alphas, dtype=torch.float64).argsort()
        alpha, value, rate = torch.tensor(alphas, dtype=torch.float64)[order], values[order], rates[order]
        errors = trapezoid_errors(alpha, value, rate)
        target = float(value[-1] - value[0]) if change is None else change
        missed = float(errors.sum()) + float(value[-1] - value[0]) - target  # Σ trapezoids − target
        budget = options.max_steps - len(alphas)
        if abs(missed) <= options.tolerance * abs(target) or budget <= 0:
            break
        middles = middles_of_worst(alpha, errors, min(budget, options.points_per_round))
        new_values, new_products = path_points(forward, inputs, baselines, middles, options)
        alphas += middles
        values, products = torch.cat([values, new_values]), torch.cat([products, new_products])
        rates = torch.cat([rates, new_products.flatten(1).double().sum(1)])
    return Attributed(trapezoid_total(alpha, products[order])[None], len(alphas))


# Several outputs at once (the translation's every target token over the same source): the outputs' gradients come
# from one forward pass and batched vector–Jacobian products (`torch.autograd.grad(..., is_grads_batched=True)`, a
# vmap over the backward pass), not one forward and backward pass per output. captum attributes one output per call,
# so these bypass it.

# reduce: gradient · multiplier [outputs, points, …] → what is kept of it per output and point, [outputs, points, …]
Reduce = Callable[[torch.Tensor], torch.Tensor]


def output_products(forward: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor,
                    multiplier: torch.Tensor, reduce: Reduce, most_rows: int, options: AttributionOptions,
                    outputs: list[list[int]] | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """forward(points) ([points, …] → [points, all outputs]) and, at each point, reduce(∂f_o/∂x · multiplier) for the
    outputs `outputs` lists for that point (default: all, at every point): [points, all outputs] (float64) and one
    [len(outputs of the point), …] per point. The points are independent rows of one batch, so one backward pass can
    take a different output at each point: pass i takes each point's i-th output. Each pass takes at most `most_rows`
    (output, point) pairs, so memory stays bounded however many outputs there are."""
    points = points.detach().requires_grad_()
    fit_threads()
    with torch.enable_grad(), precision(options, points.device):
        values = forward(points)  # [points, all outputs]
    count, total = values.shape
    wanted = [list(range(total))] * count if outputs is None else outputs
    depth = max(len(rows) for rows in wanted)
    per_pass = max(1, most_rows // count)
    found: list[list[torch.Tensor]] = [[] for _ in range(count)]
    for start in range(0, depth, per_pass):
        layers = range(start, min(depth, start + per_pass))
        pairs = [(i, point, rows[layer]) for i, layer in enumerate(layers)
                 for point, rows in enumerate(wanted) if layer < len(rows)]
        cotangents = values.new_zeros(len(layers), count, total)
        cotangents[tuple(torch.tensor(pairs).T)] = 1
        fit_threads()
        with precision(options, points.device):
            gradients, = torch.autograd.grad(values, points, cotangents, is_grads_batched=True,
                                             retain_graph=layers.stop < depth)  # [layers, points, …]
        reduced = reduce(gradients.to(multiplier.dtype) * multiplier).detach()
        for i, point, _ in pairs:
            found[point].append(reduced[i, point])
    return values.detach().double(), [torch.stack(products) for products in found]


def integrated_gradient_rows(evaluate: Callable[[dict[float, list[int]]], dict[float, tuple[torch.Tensor, torch.Tensor]]],
                             outputs: int, options: AttributionOptions) -> tuple[torch.Tensor, list[int]]:
    """Integrated gradients of `outputs` outputs f_o of the same input, each by the adaptive trapezoid rule of
    `integrated_gradients` on its own points, the same points it would get alone; the points the outputs share are
    computed once. evaluate({α: outputs}) gives, for each α, f at baseline + α (input − baseline) for every output
    ([all outputs], float64) and ∂f_o/∂x · (input − baseline) reduced for the outputs asked ([len(outputs), …]): each
    round asks for the outputs that do not yet add up at the points they want, so an output that adds up early costs
    nothing more. Returns ([outputs, …] scores on the CPU, the points each output used)."""
    alphas: list[list[float]] = [[] for _ in range(outputs)]
    values: list[list[float]] = [[] for _ in range(outputs)]
    products: list[list[torch.Tensor]] = [[] for _ in range(outputs)]
    totals: list[torch.Tensor | None] = [None] * outputs

    def run(wanted: dict[float, list[int]]) -> None:
        for alpha, (value, product) in evaluate(wanted).items():
            for row, found in zip(wanted[alpha], product.cpu()):
                alphas[row].append(alpha)
                values[row].append(float(value[row]))
                products[row].append(found)

    run({step / options.steps: list(range(outputs)) for step in range(options.steps + 1)})
    pending = list(range(outputs))
    while pending:
        wanted: dict[float, list[int]] = {}
        for row in pending:
            order = torch.tensor(alphas[row], dtype=torch.float64).argsort()
            alpha, value = torch.tensor(alphas[row], dtype=torch.float64)[order], torch.tensor(values[row])[order]
            stacked = torch.stack(products[row])[order]
            rate = stacked.flatten(1).double().sum(1)  # df_o/dα at each point
            errors = trapezoid_errors(alpha, value, rate)
            target = float(value[-1] - value[0])
            budget = options.max_steps - len(alpha)
            if abs(float(errors.sum())) <= options.tolerance * abs(target) or budget <= 0:
                totals[row] = trapezoid_total(alpha, stacked)
                continue
            for middle in middles_of_worst(alpha, errors, min(budget, options.points_per_round)):
                wanted.setdefault(middle, []).append(row)
        pending = sorted({row for rows in wanted.values() for row in rows})
        if wanted:
            run(wanted)
    return torch.stack(totals), [len(row) for row in alphas]
