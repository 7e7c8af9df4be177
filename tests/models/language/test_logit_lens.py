"""SmolLM2's logit lens and sampling stages on its real weights: the lens' last layer is the model's own
next-token distribution, its first layers echo the input; temperature, top-k and top-p reshape the distribution
as transformers' generation does, and a seeded sample is repeatable (top-k 1: the greedy continuation)."""
import numpy as np
import pytest
import torch

from models.errors import InputError
from models.language.logit_lens import logit_lens
from models.language.sampling import STAGES, SamplingOptions, sample_continuation, sampling_stages

pytestmark = pytest.mark.slow  # SmolLM2 is dequantised on first load (15–60 s on a 2-core CPU)

PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def language(smollm2):
    return smollm2


def test_the_lens_last_layer_is_the_models_own_next_token_distribution(language):
    lens = logit_lens(language, PROMPT)
    layers = len(language.network.model.layers)
    assert lens.layer_names[0] == "embeddings" and len(lens.layer_names) == layers + 1
    with torch.inference_mode():
        own = language.network(input_ids=language.encode(PROMPT)).logits[0].float().softmax(-1)
    assert torch.allclose(lens.distributions[-1], own, atol=1e-5)
    assert lens.top_tokens[-1][-1][0].strip() == "Paris"
    assert lens.probabilities.shape == (layers + 1, len(lens.tokens), 5)
    assert np.all(np.diff(lens.probabilities, axis=-1) <= 0)  # likeliest first
    # the final layers agree on what comes next more than the first ones do
    assert lens.probabilities[-1, -1, 0] > lens.probabilities[1, -1, 0]


def test_each_sampling_stage_keeps_what_it_says(language):
    plain = sampling_stages(language, PROMPT, SamplingOptions())
    assert len(plain.probabilities) == len(STAGES)
    assert np.allclose(plain.probabilities[0], plain.probabilities[-1]) and plain.kept[-1] == plain.kept[0]
    shaped = sampling_stages(language, PROMPT, SamplingOptions(temperature=0.5, top_k=10, top_p=0.6))
    model, cooled, top_k, top_p = shaped.probabilities
    assert cooled[0] > model[0]  # a temperature under 1 sharpens
    assert shaped.kept[2] == 10 and shaped.kept[3] <= 10
    assert top_p[:shaped.kept[3]].sum() == pytest.approx(1.0, abs=1e-4)  # what is left is renormalised


def test_a_seeded_sample_repeats_and_top_k_1_is_the_greedy_continuation(language):
    options = SamplingOptions(temperature=1.2, top_p=0.95, seed=7)
    first = sample_continuation(language, PROMPT, options, 6)
    assert first == sample_continuation(language, PROMPT, options, 6)
    greedy = language.continue_greedily(PROMPT, 6)
    assert sample_continuation(language, PROMPT, SamplingOptions(top_k=1), 6).tokens == greedy.tokens


@pytest.mark.parametrize("options", [SamplingOptions(temperature=0), SamplingOptions(top_k=-1),
                                     SamplingOptions(top_p=0), SamplingOptions(top_p=1.5)])
def test_impossible_sampling_options_are_refused(language, options):
    with pytest.raises(InputError):
        sampling_stages(language, PROMPT, options)


def test_the_views_draw_the_lens_and_the_sampling_stages(language):
    from studio.views.attention import lens_figure, sampling_figure

    lens = lens_figure(logit_lens(language, PROMPT))
    [grid] = lens.data
    assert len(grid.y) == len(language.network.model.layers) + 1 and grid.text[-1][-1].strip() == "Paris"
    stages = sampling_figure(sampling_stages(language, PROMPT, SamplingOptions(top_k=3)))
    assert [len(bars.x) for bars in stages.data] == [20] * len(STAGES)
    assert sum(p > 0 for p in stages.data[2].y) == 3  # after top-k, three tokens can still be drawn
