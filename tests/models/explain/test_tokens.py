"""Attributions for SmolLM2's next token on its real weights: every method gives one score per token, the
deletion curve replaces tokens by the baseline, and integrated gradients add up to f(text) − f(baseline) within 5 %
(the baseline keeps the first token, SmolLM2's attention sink, and pads the rest: see models/explain/tokens.py)."""
import numpy as np
import pytest
import torch

from models.errors import InputError
from models.explain.methods import METHODS, AttributionOptions
from models.explain.tokens import (OPTIONS, TOKENS_PER_PASS, attribute_tokens, batched_for,
                                  next_token_log_probability, sink_kept_baseline)

pytestmark = pytest.mark.slow  # SmolLM2 is dequantised on first load (15–60 s on a 2-core CPU)

PROMPT = "The capital of France is"
# 20 tokens that did not add up with the zero baseline and Gauss–Legendre steps (59 % off at 16, 13 % at 64)
SENTENCE = "The cat is sleeping on the sofa. I need to buy bread and milk. Where is the"
COMPLETENESS_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def language(smollm2):
    return smollm2


def test_the_baseline_keeps_the_first_token_and_pads_the_rest(language):
    table = language.network.get_input_embeddings()
    embeddings = table(language.encode(PROMPT))
    baseline = sink_kept_baseline(language, embeddings)
    padding = table.weight[language.tokenizer.pad_token_id]
    assert torch.equal(baseline[:, 0], embeddings[:, 0])
    assert torch.equal(baseline[0, 1:], padding.expand_as(baseline[0, 1:]))


def test_long_texts_take_fewer_inputs_per_pass():
    assert batched_for(OPTIONS, 64).internal_batch_size == OPTIONS.internal_batch_size
    assert batched_for(OPTIONS, 128).internal_batch_size * 128 <= TOKENS_PER_PASS
    assert batched_for(OPTIONS, 512).internal_batch_size == batched_for(OPTIONS, 600).internal_batch_size == 1


@pytest.mark.parametrize("text", [PROMPT, SENTENCE])
def test_integrated_gradients_add_up_to_the_change_from_the_baseline(language, text):
    attribution = attribute_tokens(language, text)
    ids = language.encode(text)
    embeddings = language.network.get_input_embeddings()(ids)
    forward = next_token_log_probability(language, language.tokenizer(attribution.target,
                                                                      add_special_tokens=False)["input_ids"][0])
    with torch.no_grad():
        change = float(forward(embeddings) - forward(sink_kept_baseline(language, embeddings)))
    assert attribution.change == pytest.approx(change, abs=1e-3) and abs(change) > 1
    assert attribution.scores.sum() == pytest.approx(change, rel=COMPLETENESS_TOLERANCE)
    assert attribution.completeness_error <= COMPLETENESS_TOLERANCE
    assert OPTIONS.steps <= attribution.steps <= OPTIONS.max_steps and attribution.scores[0] == 0


@pytest.mark.parametrize("method", METHODS)
def test_every_method_scores_each_token_for_the_predicted_next_token(language, method):
    attribution = attribute_tokens(language, PROMPT, method=method, options=AttributionOptions(steps=4))
    assert attribution.target.strip() == "Paris" and 0.3 < attribution.probability <= 1
    assert attribution.tokens == language.labels(language.encode(PROMPT)[0])
    assert attribution.scores.shape == (len(attribution.tokens),) and np.isfinite(attribution.scores).all()
    curve = attribution.faithfulness.attributed
    assert curve.fractions[0] == 0 and curve.fractions[-1] == 1
    assert curve.probabilities[0] == pytest.approx(attribution.probability, abs=1e-4)


def test_a_target_that_is_not_one_token_or_an_empty_text_is_refused(language):
    with pytest.raises(InputError, match="explain.not_one_token"):
        attribute_tokens(language, PROMPT, " Parisianismus")
    with pytest.raises(InputError, match="language.no_text"):
        attribute_tokens(language, "  ")
    with pytest.raises(InputError, match="language.too_long"):
        attribute_tokens(language, "word " * 600, method="gradient-x-input")
