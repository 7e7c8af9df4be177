"""The deletion curve on a toy model whose answer is known: removing the units that carry the evidence first
makes the probability fall sooner than removing them at random."""
import numpy as np

from models.explain.deletion import DeletionCurve, deletion_curve, faithfulness

EVIDENCE = np.array([0.5, 0.0, 0.3, 0.0, 0.2, 0.0, 0.0, 0.0])  # what each unit adds to the probability


def probabilities_without(removed: np.ndarray) -> np.ndarray:
    return (~removed * EVIDENCE).sum(axis=1)


def test_the_curve_starts_with_nothing_removed_and_ends_with_everything():
    curve = deletion_curve(np.arange(8), 5, probabilities_without)
    assert curve.fractions.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert curve.probabilities[0] == 1.0 and curve.probabilities[-1] == 0.0


def test_the_area_is_the_trapezoid_sum():
    assert DeletionCurve(np.array([0, 0.5, 1]), np.array([1.0, 0.5, 0.0])).area == 0.5


def test_removing_the_evidence_first_beats_random_order():
    check = faithfulness(EVIDENCE, 9, probabilities_without, seed=0)
    assert check.beats_random and check.attributed.area < check.random.area
    # the worst order (evidence last) does not
    assert not faithfulness(-EVIDENCE, 9, probabilities_without, seed=0).beats_random


def test_the_random_order_is_seeded():
    first, again = (faithfulness(EVIDENCE, 9, probabilities_without, seed=3).random for _ in range(2))
    assert np.array_equal(first.probabilities, again.probabilities)


def test_each_distinct_row_is_computed_once_and_known_ends_not_at_all():
    asked = []

    def counted(removed: np.ndarray) -> np.ndarray:
        asked.append(removed)
        return probabilities_without(removed)

    check = faithfulness(EVIDENCE, 9, counted, seed=0, ends=(1.0, 0.0))
    rows = np.concatenate(asked)
    assert len(asked) == 1 and len(np.unique(rows, axis=0)) == len(rows)
    assert not (rows.sum(1) == 0).any() and not rows.all(1).any()  # nothing removed / everything: known
    alone = faithfulness(EVIDENCE, 9, probabilities_without, seed=0)
    for curve, reference in ((check.attributed, alone.attributed), (check.random, alone.random)):
        np.testing.assert_allclose(curve.probabilities, reference.probabilities)
        np.testing.assert_allclose(curve.fractions, reference.fractions)
