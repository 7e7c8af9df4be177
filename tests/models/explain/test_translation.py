"""Attributions for the Bergamot English → Portuguese model on its real weights: each target token of the greedy
translation gets a score per source token, integrated gradients add up to each target token's change in
log-probability within 5 %, and bad targets are refused."""
import numpy as np
import pytest

from models.errors import InputError
from models.explain.methods import METHODS, AttributionOptions
from models.explain.translation import attribute_translation
from models.translation.translators import load_translator

pytestmark = pytest.mark.slow  # one integrated-gradients run per target token, and the load is shared

SENTENCE = "The cat sleeps on the red sofa."
COMPLETENESS_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def translator():
    import torch

    return load_translator("bergamot:en-pt", torch.device("cpu"))


@pytest.mark.parametrize("target", ["", "▁gato"])
def test_integrated_gradients_add_up_for_a_target_token_and_the_whole_translation(translator, target):
    attribution = attribute_translation(translator, SENTENCE, target)
    assert attribution.translation == "O gato dorme no sofá vermelho."
    assert attribution.scores.shape == (len(attribution.target_tokens), len(attribution.source_tokens))
    assert attribution.cross_attention.shape == attribution.scores.shape
    assert attribution.completeness_error <= COMPLETENESS_TOLERANCE, (attribution.change, attribution.steps)
    assert attribution.scores[:, -1].tolist() == [0.0] * len(attribution.target_tokens)  # </s> is kept


def test_the_cat_is_what_gato_depends_on(translator):
    attribution = attribute_translation(translator, SENTENCE, "gato")
    assert attribution.source_tokens[int(attribution.explained_scores.argmax())] == "▁cat"
    assert attribution.faithfulness.beats_random


@pytest.mark.parametrize("method", METHODS)
def test_every_method_scores_every_pair_with_a_deletion_curve(translator, method):
    attribution = attribute_translation(translator, SENTENCE, "sofá", method, AttributionOptions(steps=4, max_steps=4))
    assert np.isfinite(attribution.scores).all() and attribution.target_tokens[attribution.target_index] == "▁sofá"
    curve = attribution.faithfulness.attributed
    assert curve.probabilities[0] == pytest.approx(attribution.probability, abs=1e-4)


def test_a_target_not_in_the_translation_or_an_empty_sentence_is_refused(translator):
    with pytest.raises(InputError, match="explain.unknown_target_token"):
        attribute_translation(translator, SENTENCE, "cachorro")
    with pytest.raises(InputError, match="explain.empty_input"):
        attribute_translation(translator, "  ")
