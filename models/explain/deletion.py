"""The deletion curve (Petsiuk et al., 2018): remove the most-attributed units first (pixel blocks or tokens,
replaced by the baseline) and watch the target's probability fall. A faithful attribution makes it fall
sooner than removing the same units in a random order, so its area under the curve is smaller.
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


def deletion_curve(order: np.ndarray, points: int, probabilities_without: ProbabilitiesWithout) -> DeletionCurve:
    """`order`: every unit's index, first removed first; the curve at `points` evenly spaced shares, 0 and 1 included."""
    units = len(order)
    counts = np.unique(np.round(np.linspace(0, 1, points) * units).astype(int))
    removed = np.zeros((len(counts), units), bool)
    for row, count in enumerate(counts):
        removed[row, order[:count]] = True
    return DeletionCurve(counts / units, np.asarray(probabilities_without(removed), np.float64))


def faithfulness(scores: np.ndarray, points: int, probabilities_without: ProbabilitiesWithout,
                 seed: int = 0) -> Faithfulness:
    """Deletion by `scores` ([units], highest first) against deletion in a random order drawn from `seed`."""
    by_score = np.argsort(-scores, kind="stable")
    at_random = np.random.default_rng(seed).permutation(len(scores))
    return Faithfulness(deletion_curve(by_score, points, probabilities_without),
                        deletion_curve(at_random, points, probabilities_without))
