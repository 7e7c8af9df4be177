"""Integrated gradients' adaptive trapezoid rule on functions whose integral is known: exact on a linear f at the
first points, and on a path that is flat but for one steep rise it places its points on the rise until the scores
add up, where as many evenly spaced points do not. With several outputs: every output's gradient from one forward
pass and backward passes of bounded size, equal to one backward pass per output, and each output on the points it
would get alone, a point several outputs want computed once."""
import pytest
import torch

from models.explain.methods import (AttributionOptions, bfloat16_native, chunks, completeness_error,
                                    integrated_gradient_rows, integrated_gradients, output_products, precision)

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


def outputs_of(points: torch.Tensor) -> torch.Tensor:
    """[batch, 4] → [batch, 3]: a linear output, the steep rise and a product of the inputs."""
    return torch.stack([linear(points), steep(points), points[:, 0] * points[:, 1] * points[:, 3]], 1)


@pytest.mark.parametrize("most_rows", [1, 2, 4, 100])
def test_every_outputs_gradient_from_one_forward_pass_equals_one_backward_pass_each(most_rows):
    points = torch.tensor([[0.5, 1.0, -0.2, 2.0], [1.0, -1.0, 0.3, 0.5]])
    multiplier = torch.tensor([[2.0, -1.0, 0.5, 1.5]])
    backward_rows = []

    def counted(values: torch.Tensor) -> torch.Tensor:
        backward_rows.append(len(values))  # the (output, point) rows of one backward pass, [outputs, points, 4]
        return values

    values, products = output_products(outputs_of, points, multiplier, counted, most_rows, AttributionOptions())
    assert max(backward_rows) * len(points) <= max(most_rows, len(points)) and sum(backward_rows) == 3
    products = torch.stack(products)  # [points, outputs, 4]
    for output in range(3):
        each = points.clone().requires_grad_()
        gradient, = torch.autograd.grad(outputs_of(each)[:, output].sum(), each)
        torch.testing.assert_close(products[:, output], gradient * multiplier)
    torch.testing.assert_close(values, outputs_of(points).double())
    backward_rows.clear()
    _, chosen = output_products(outputs_of, points, multiplier, counted, most_rows, AttributionOptions(),
                                [[2], [0, 1]])  # only the outputs asked for, each point its own
    torch.testing.assert_close(chosen[0], products[0, [2]])
    torch.testing.assert_close(chosen[1], products[1, [0, 1]])
    assert sum(backward_rows) == 2  # the first pass takes output 2 at the first point and 0 at the second


def test_each_output_gets_the_points_it_would_get_alone_and_shared_points_run_once():
    inputs, baselines = INPUTS, torch.zeros_like(INPUTS)
    difference = inputs - baselines
    options = AttributionOptions(steps=8, max_steps=64, points_per_round=4)
    asked = []

    def evaluate(wanted: dict[float, list[int]]) -> dict[float, tuple[torch.Tensor, torch.Tensor]]:
        alphas = list(wanted)
        asked.extend((alpha, list(wanted[alpha])) for alpha in alphas)
        values, products = output_products(outputs_of, baselines + torch.tensor(alphas)[:, None] * difference,
                                           difference, lambda products: products, 100, options,
                                           [wanted[alpha] for alpha in alphas])
        return {alpha: (values[i], products[i]) for i, alpha in enumerate(alphas)}

    scores, points = integrated_gradient_rows(evaluate, 3, options)
    forwards = [alpha for alpha, _ in asked]
    assert len(forwards) == len(set(forwards))  # a point several outputs want is computed once
    assert points[0] == options.steps + 1 < points[1]  # the linear output adds up at the first points, the rise not
    assert sum(len(rows) for _, rows in asked) == sum(points)  # no output is differentiated at a point it did not want
    for output, function in enumerate([linear, steep, lambda points: outputs_of(points)[:, 2]]):
        alone = integrated_gradients(function, inputs, baselines, options)
        assert points[output] == alone.steps
        torch.testing.assert_close(scores[output], alone.values[0])
