"""Attributions for SmolLM2's next token on its real weights: every method gives one score per token, the
deletion curve replaces tokens by the baseline, and integrated gradients add up to f(text) − f(baseline) within 5 %
(the baseline keeps the first token, SmolLM2's attention sink: see models/explain/tokens.py)."""
import numpy as np
import pytest
import torch

from models.errors import InputError
from models.explain.methods import METHODS, AttributionOptions
from models.explain.tokens import OPTIONS, attribute_tokens, next_token_log_probability, sink_kept_baseline

pytestmark = pytest.mark.slow  # SmolLM2 is dequantised on first load (15–60 s on a 2-core CPU)

PROMPT = "The capital of France is"
COMPLETENESS_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def language(smollm2):
    return smollm2


def test_the_baseline_keeps_the_first_token_and_zeroes_the_rest(language):
    embeddings = language.network.get_input_embeddings()(language.encode(PROMPT))
    baseline = sink_kept_baseline(embeddings)
    assert torch.equal(baseline[:, 0], embeddings[:, 0]) and not baseline[:, 1:].any()


@pytest.mark.parametrize("text", [PROMPT])  # a 64-token text is still 126 % off at 64 steps: bench/RESULTS.md
def test_integrated_gradients_add_up_to_the_change_from_the_baseline(language, text):
    attribution = attribute_tokens(language, text)
    ids = language.encode(text)
    embeddings = language.network.get_input_embeddings()(ids)
    forward = next_token_log_probability(language, language.tokenizer(attribution.target,
                                                                      add_special_tokens=False)["input_ids"][0])
    with torch.no_grad():
        change = float(forward(embeddings) - forward(sink_kept_baseline(embeddings)))
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
