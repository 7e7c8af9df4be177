"""Attributions for SmolLM2's next token on its real weights: every method gives one score per token, the
deletion curve replaces tokens by the baseline, and the change integrated gradients should add up to is reported
(on this model's rough path it is not reached at a few dozen steps: see models/explain/tokens.py)."""
import numpy as np
import pytest
import torch

from models.errors import InputError
from models.explain.methods import METHODS, AttributionOptions
from models.explain.tokens import attribute_tokens, baseline_id, next_token_log_probability

pytestmark = pytest.mark.slow  # SmolLM2 is dequantised on first load (15–60 s on a 2-core CPU)

PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def language(smollm2):
    return smollm2


def test_the_change_from_the_baseline_text_is_reported(language):
    attribution = attribute_tokens(language, PROMPT, " Paris", options=AttributionOptions(steps=4))
    ids = language.encode(PROMPT)
    embed = language.network.get_input_embeddings()
    forward = next_token_log_probability(language, language.tokenizer(" Paris", add_special_tokens=False)["input_ids"][0])
    with torch.no_grad():
        change = float(forward(embed(ids)) - forward(embed(torch.full_like(ids, baseline_id(language)))))
    assert attribution.change == pytest.approx(change, abs=1e-3) and change > 5


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
