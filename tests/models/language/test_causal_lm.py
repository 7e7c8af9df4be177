"""SmolLM2-135M from its pip package, offline: dequantised once and read from the data folder after, next-token
predictions, greedy continuation, causal attention and one head's Q/K/V steps (RoPE, grouped-query attention)
against the model's own weights."""
import json
import logging

import numpy as np
import pytest
import torch

from models.attention.maps import language_attention, language_head_steps
from models.errors import InputError
from models.converted import MANIFEST, sha256_of
from models.language.causal_lm import PACKAGED_SOURCE, load_language_model, packaged_smollm2_file
from models.registry import ModelRegistry
from studio.views.attention import continuation_html, predictions_figure, steps_figure

pytestmark = pytest.mark.slow  # dequantising the GGUF file takes 15–60 s on a 2-core CPU

PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("studio-data")
        patch.setenv("STUDIO_DATA_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def language(data_dir):
    return ModelRegistry(torch.device("cpu")).get("smollm2-135m")


def logits(network, ids: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return network(input_ids=ids).logits


def test_the_gguf_file_inside_the_pip_package_is_dequantised_once_into_the_data_folder(language, data_dir):
    cache = data_dir / "converted" / "smollm2-135m"
    assert language.network.name_or_path == str(cache)
    assert json.loads((cache / MANIFEST).read_text())["source_sha256"] == sha256_of(packaged_smollm2_file())
    assert language.network.config._attn_implementation == "eager"


def test_a_later_load_reads_the_cache_and_gives_the_gguf_models_logits(language, data_dir):
    from transformers import AutoModelForCausalLM

    manifest = data_dir / "converted" / "smollm2-135m" / MANIFEST
    made = manifest.stat().st_mtime_ns
    again = load_language_model(PACKAGED_SOURCE, torch.device("cpu"))
    assert manifest.stat().st_mtime_ns == made  # read, not converted again
    gguf = packaged_smollm2_file()
    direct = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, attn_implementation="eager")
    ids = language.encode(PROMPT)
    expected = logits(direct.eval(), ids)
    assert torch.equal(logits(again.network, ids), expected) and torch.equal(logits(language.network, ids), expected)


def test_a_truncated_cache_file_is_rebuilt_with_a_log_line(language, data_dir, caplog):
    weights = data_dir / "converted" / "smollm2-135m" / "model.safetensors"
    size = weights.stat().st_size
    half = weights.with_name("half")
    with open(weights, "rb") as whole, open(half, "wb") as file:  # a new file: the loaded models map the old one
        file.write(whole.read(size // 2))
    half.replace(weights)
    with caplog.at_level(logging.WARNING, "studio.models"):
        rebuilt = load_language_model(PACKAGED_SOURCE, torch.device("cpu"))
    assert "model.safetensors is missing or truncated" in caplog.text and weights.stat().st_size == size
    ids = language.encode(PROMPT)
    assert torch.equal(logits(rebuilt.network, ids), logits(language.network, ids))


def test_next_token_after_the_capital_of_france_is_paris(language):
    predictions = language.next_tokens(PROMPT, k=5)
    assert predictions.tokens == ["The", " capital", " of", " France", " is"]
    assert " Paris" in predictions.candidates[-1]
    assert np.all(np.diff(predictions.probabilities, axis=1) <= 0)  # likeliest first
    assert predictions.probabilities.sum(axis=1).max() <= 1 + 1e-5
    # each "actual" is the probability of the token that came next, among all 49152
    assert predictions.actual.shape == (4,) and ((predictions.actual > 0) & (predictions.actual < 1)).all()


def test_greedy_continuation_starts_with_the_top_prediction(language):
    top = language.next_tokens(PROMPT, k=1).candidates[-1][0]
    continuation = language.continue_greedily(PROMPT, count=4)
    assert len(continuation.tokens) == 4 and continuation.tokens[0] == top
    assert all(0 < p <= 1 for p in continuation.probabilities)


def test_causal_attention_rows_are_distributions_over_the_past_only(language):
    [maps] = language_attention(language, PROMPT, "smollm2-135m")
    assert maps.kind == "causal" and maps.weights.shape == (30, 9, 5, 5) and maps.chains
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(np.triu(maps.weights, k=1) == 0)
    np.testing.assert_allclose(maps.weights[..., 0, 0], 1.0)  # the first token can only see itself


@pytest.mark.parametrize("layer, head", [(0, 0), (14, 4), (29, 8)])
def test_step_through_with_rope_and_shared_key_value_heads_equals_the_models_attention(language, layer, head):
    steps = language_head_steps(language, PROMPT, layer, head)
    np.testing.assert_allclose(steps.weights, steps.model_weights, atol=1e-5)
    assert steps.queries.shape == steps.keys.shape == steps.values.shape == (5, 64)
    assert np.isneginf(steps.scores[0, 1]) and steps.note.key == "attention.rope_note"


def test_heads_sharing_a_key_value_head_differ_only_in_their_queries(language):
    first, second, other = (language_head_steps(language, PROMPT, 10, head) for head in (3, 5, 6))
    np.testing.assert_array_equal(first.keys, second.keys)  # heads 4–6 share K/V head 2
    np.testing.assert_array_equal(first.values, second.values)
    assert not np.allclose(first.keys, other.keys) and not np.allclose(first.queries, second.queries)


def test_prediction_views_show_every_position_and_the_continuation(language):
    predictions = language.next_tokens(PROMPT, k=3)
    figure = predictions_figure(predictions)
    table, real_next = figure.data
    assert np.array(table.z).shape == (5, 3) and list(table.text[-1]).count(" Paris") == 1
    np.testing.assert_allclose(real_next.x[:4], predictions.actual)
    page = continuation_html(PROMPT, language.continue_greedily(PROMPT, count=2))
    assert page.count("<span") == 2 and page.startswith('<div id="attention-continuation"')
    steps = steps_figure(language_head_steps(language, PROMPT, 3, 2))
    assert np.isnan(np.array(steps.data[3].z, dtype=float)[0, 1])  # the masked future is drawn blank


def test_empty_and_too_long_text_is_refused(language):
    with pytest.raises(InputError, match="language.no_text"):
        language.next_tokens("  ")
    with pytest.raises(InputError, match="language.too_long.*limit=512"):
        language_attention(language, "word " * 600, "smollm2-135m")
