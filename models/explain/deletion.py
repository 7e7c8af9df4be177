"""The deletion curve (Petsiuk et al., 2018): remove the most-attributed units first (pixel blocks or tokens,
replaced by the baseline) and watch the target's probability fall. A faithful attribution makes it fall
sooner than removing the same units in a random order, so its area under the curve is smaller.
The two curves share their first row (nothing removed) and their last (everything removed), and the caller often
knows both probabilities already (f(input) and f(baseline)): each distinct row is computed once, in one call.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

# probabilities_without(removed): removed is bool [curve points, units], True where a unit is replaced by the
# baseline; returns the target's probability at each point, [curve points]
ProbabilitiesWithout = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DeletionCurve:
    fractions: np.ndarray  # [points]: the share of units removed, 0 … 1
    probabilities: np.ndarray  # [points]: the target's probability with them removed

    @property
    def area(self) -> float:
        """Area under the curve over the removed share 0 … 1 (trapezoids): lower falls faster."""
        widths = np.diff(self.fractions)
        return float((widths * (self.probabilities[1:] + self.probabilities[:-1]) / 2).sum())

    def as_json(self) -> dict:
        return {"fractions": [round(float(f), 4) for f in self.fractions],
                "probabilities": [round(float(p), 6) for p in self.probabilities], "area": round(self.area, 6)}


@dataclass(frozen=True)
class Faithfulness:
    attributed: DeletionCurve  # most-attributed units first
    random: DeletionCurve  # the same units in a seeded random order

    @property
    def beats_random(self) -> bool:
        return self.attributed.area < self.random.area

    def as_json(self) -> dict:
        return {"attributed": self.attributed.as_json(), "random": self.random.as_json(),
                "beats_random": self.beats_random}


def removed_counts(units: int, points: int) -> np.ndarray:
    """How many units each point of a curve removes: `points` evenly spaced shares, 0 and 1 included."""
    return np.unique(np.round(np.linspace(0, 1, points) * units).astype(int))


def removed_rows(order: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """bool [len(counts), units]: row i removes the first counts[i] units of `order`."""
    removed = np.zeros((len(counts), len(order)), bool)
    for row, count in enumerate(counts):
        removed[row, order[:count]] = True
    return removed


def deletion_curve(order: np.ndarray, points: int, probabilities_without: ProbabilitiesWithout) -> DeletionCurve:
    """`order`: every unit's index, first removed first; the curve at `points` evenly spaced shares, 0 and 1 included."""
    counts = removed_counts(len(order), points)
    return DeletionCurve(counts / len(order),
                         np.asarray(probabilities_without(removed_rows(order, counts)), np.float64))


def faithfulness(scores: np.ndarray, points: int, probabilities_without: ProbabilitiesWithout,
                 seed: int = 0, ends: tuple[float, float] | None = None) -> Faithfulness:
    """Deletion by `scores` ([units], highest first) against deletion in a random order drawn from `seed`.
    `ends`: the probability with nothing removed and with everything removed, where the caller knows them."""
    units = len(scores)
    orders = np.argsort(-scores, kind="stable"), np.random.default_rng(seed).permutation(units)
    counts = removed_counts(units, points)
    rows = np.concatenate([removed_rows(order, counts) for order in orders])
    distinct, which = np.unique(rows, axis=0, return_inverse=True)
    probabilities = np.full(len(distinct), np.nan)
    removed = distinct.sum(1)
    if ends is not None:
        probabilities[removed == 0], probabilities[removed == units] = ends
    missing = np.isnan(probabilities)
    if missing.any():
        probabilities[missing] = np.asarray(probabilities_without(distinct[missing]), np.float64)
    curves = probabilities[np.asarray(which).reshape(-1)].reshape(2, len(counts))
    return Faithfulness(*(DeletionCurve(counts / units, curve) for curve in curves))
