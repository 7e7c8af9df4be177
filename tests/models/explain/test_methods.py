"""Integrated gradients' adaptive trapezoid rule on functions whose integral is known: exact on a linear f at the
first points, and on a path that is flat but for one steep rise it places its points on the rise until the scores
add up, where as many evenly spaced points do not."""
import pytest
import torch

from models.explain.methods import (AttributionOptions, bfloat16_native, chunks, completeness_error,
                                    integrated_gradients, precision)

STEEPNESS = 400.0  # the rise's slope: f goes from 0 to 1 within about 1/100 of the path
RISE_AT = 0.53  # where along the path it rises: between the first even points
INPUTS = torch.tensor([[1.0, 2.0, -0.5, 3.0]])
WEIGHTS = torch.tensor([0.3, -0.2, 0.4, 0.5])


def linear(points: torch.Tensor) -> torch.Tensor:
    return points @ WEIGHTS


def steep(points: torch.Tensor) -> torch.Tensor:
    """[batch, 4] → [batch]: a sigmoid of how far along the path from 0 to INPUTS the point is."""
    along = points @ INPUTS[0] / INPUTS[0].dot(INPUTS[0])
    return torch.sigmoid(STEEPNESS * (along - RISE_AT))


def trapezoid_error(points: int) -> float:
    """Completeness error of the plain trapezoid rule with `points` evenly spaced points."""
    alphas = torch.linspace(0, 1, points).requires_grad_()
    gradient, = torch.autograd.grad(steep(alphas[:, None] * INPUTS).sum(), alphas)
    change = float(steep(INPUTS) - steep(torch.zeros_like(INPUTS)))
    return completeness_error(float(torch.trapezoid(gradient, alphas.detach())), change)


def test_a_linear_function_adds_up_exactly_at_the_first_points():
    found = integrated_gradients(linear, INPUTS, torch.zeros_like(INPUTS), AttributionOptions(steps=4))
    assert found.steps == 5
    torch.testing.assert_close(found.values, WEIGHTS * INPUTS)


def test_the_points_gather_on_a_steep_rise_until_the_scores_add_up():
    options = AttributionOptions(steps=8, max_steps=64, points_per_round=4)
    found = integrated_gradients(steep, INPUTS, torch.zeros_like(INPUTS), options)
    change = float(steep(INPUTS) - steep(torch.zeros_like(INPUTS)))
    assert completeness_error(float(found.values.sum()), change) <= options.tolerance
    assert found.steps < options.max_steps
    assert trapezoid_error(found.steps) > 4 * options.tolerance  # as many even points miss the rise


def test_the_points_stop_at_max_steps():
    options = AttributionOptions(steps=4, max_steps=9, points_per_round=8, tolerance=1e-9)
    assert integrated_gradients(steep, INPUTS, torch.zeros_like(INPUTS), options).steps == 9


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_the_scores_do_not_depend_on_the_inputs_per_pass(batch):
    options = AttributionOptions(steps=8, max_steps=32, points_per_round=4, internal_batch_size=batch)
    reference = integrated_gradients(steep, INPUTS, torch.zeros_like(INPUTS), AttributionOptions(
        steps=8, max_steps=32, points_per_round=4, internal_batch_size=32))
    torch.testing.assert_close(integrated_gradients(steep, INPUTS, torch.zeros_like(INPUTS), options).values,
                               reference.values)


@pytest.mark.parametrize(("rows", "most", "sizes"), [(9, 8, [5, 4]), (8, 8, [8]), (18, 8, [6, 6, 6]), (3, 1, [1, 1, 1])])
def test_the_passes_are_as_few_as_possible_and_even(rows, most, sizes):
    assert [len(chunk) for chunk in chunks(torch.arange(rows), most)] == sizes


def test_the_rule_aims_at_the_change_it_is_given():
    """A path read in low precision ends a little off f's float32 values: the points go on until the scores add
    up to the float32 change the caller passes, not to the path's own ends."""
    options = AttributionOptions(steps=8, max_steps=64, points_per_round=4)
    change = float(steep(INPUTS) - steep(torch.zeros_like(INPUTS)))
    own = integrated_gradients(steep, INPUTS, torch.zeros_like(INPUTS), options)
    aimed = integrated_gradients(steep, INPUTS, torch.zeros_like(INPUTS), options, change * 1.1)
    assert completeness_error(float(aimed.values.sum()), change * 1.1) > options.tolerance  # out of reach …
    assert aimed.steps == options.max_steps > own.steps  # … so it spends every point trying


def test_bfloat16_is_used_only_where_asked_and_native():
    native = bfloat16_native(torch.device("cpu"))
    with precision(AttributionOptions(low_precision=True), torch.device("cpu")):
        assert torch.is_autocast_enabled("cpu") == native
    with precision(AttributionOptions(), torch.device("cpu")):
        assert not torch.is_autocast_enabled("cpu")
