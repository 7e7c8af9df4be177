"""Attributions for the Bergamot English → Portuguese model on its real weights: each target token of the greedy
translation gets a score per source token, integrated gradients add up to each target token's change in
log-probability within 5 %, and bad targets are refused. Every target token's row comes from one forward pass
(every target position teacher-forced at once) and batched backward passes: the rows equal one decoder step at a time
and one backward pass per target token, as the attributions were first computed."""
import numpy as np
import pytest
import torch

from models.errors import InputError
from models.explain import translation as explain_translation
from models.explain.methods import METHODS, AttributionOptions
from models.explain.sequence import token_scores
from models.explain.translation import OPTIONS, attribute_translation, forced_log_probabilities
from models.translation.translators import load_translator

pytestmark = pytest.mark.slow  # real weights, and the load is shared

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


def one_step_at_a_time(translator, source_ids: list[int], target_ids: list[int]):
    """The reference: rows [batch, S, D] → [batch, T] by `Marian.decode_step`, one target position at a time, as
    the translation itself runs (and as the attributions first ran, one target token per backward pass)."""
    model = translator.model
    allowed = torch.from_numpy(translator.shortlist.allowed(source_ids, model.config.vocab_size))[None]

    def forward(rows: torch.Tensor) -> torch.Tensor:
        batch = rows.shape[0]
        padding = torch.zeros(batch, rows.shape[1], dtype=torch.bool)
        state = model.encode_vectors(rows, padding, allowed.expand(batch, -1))
        chosen, previous = [], None
        for target in target_ids:
            log_probabilities, _, state = model.decode_step(previous, state)
            chosen.append(log_probabilities[:, target])
            previous = torch.full((batch,), target)
        return torch.stack(chosen, 1)

    return forward


def source_and_target(translator, text: str):
    translation = translator.translate([text], beam_size=1)[0]
    source_ids = translator.encode(text)
    target_ids = [translator.vocabulary.piece_to_id(piece) for piece in translation.target_tokens]
    with torch.inference_mode():
        rows = translator.model.embedding(torch.tensor([source_ids]))
    rows = rows.clone()
    baseline = torch.zeros_like(rows)
    baseline[:, -1] = rows[:, -1]
    return source_ids, target_ids, rows, baseline


def test_every_target_position_at_once_equals_one_decoder_step_at_a_time(translator):
    source_ids, target_ids, rows, baseline = source_and_target(translator, SENTENCE)
    points = torch.cat([rows, baseline, (rows + baseline) / 2])
    with torch.no_grad():
        at_once = forced_log_probabilities(translator, source_ids, target_ids)(points)
        stepwise = one_step_at_a_time(translator, source_ids, target_ids)(points)
    assert at_once.shape == (3, len(target_ids))
    torch.testing.assert_close(at_once, stepwise, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize(("method", "options"), [*((method, AttributionOptions(steps=4, max_steps=5)) for method in METHODS),
                                                ("integrated-gradients", OPTIONS)])  # each row its adaptive points
def test_the_batched_rows_equal_one_backward_pass_per_target_token(translator, method, options):
    attribution = attribute_translation(translator, SENTENCE, "", method, options)
    source_ids, target_ids, rows, baseline = source_and_target(translator, SENTENCE)
    alone = [token_scores(method, lambda points, t=t: one_step_at_a_time(
        translator, source_ids, target_ids[:t + 1])(points)[:, t], rows, baseline, options)
        for t in range(len(target_ids))]
    # float32 sums in other orders (a batch of rows against one row a pass) differed by up to 2e-4 over a row's points
    np.testing.assert_allclose(attribution.scores, np.stack([row.scores for row in alone]), atol=1e-3, rtol=1e-3)
    assert attribution.steps == max(row.steps for row in alone)


@pytest.mark.parametrize("method", METHODS[:2])
def test_a_long_source_takes_few_target_tokens_per_backward_pass(translator, method, monkeypatch):
    """The bound that keeps memory flat on a long source (PAIRS_PER_PASS source tokens × (point, target) pairs per
    pass), made tight here: 2 pairs a pass on this 10-token sentence, and the same scores."""
    options = AttributionOptions(steps=4, max_steps=5)
    whole = attribute_translation(translator, SENTENCE, "", method, options)
    monkeypatch.setattr(explain_translation, "PAIRS_PER_PASS", 2 * len(whole.source_tokens))
    rows_per_pass = []
    original = torch.autograd.grad

    def counted(outputs, inputs, grad_outputs=None, **kwargs):
        rows_per_pass.append(grad_outputs.shape[0] * grad_outputs.shape[1])
        return original(outputs, inputs, grad_outputs, **kwargs)

    monkeypatch.setattr(torch.autograd, "grad", counted)
    tight = attribute_translation(translator, SENTENCE, "", method, options)
    points = 5 if method == "integrated-gradients" else 1
    assert max(rows_per_pass) == 2 and sum(rows_per_pass) == len(whole.target_tokens) * points
    np.testing.assert_allclose(tight.scores, whole.scores, atol=1e-5, rtol=1e-5)
