import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_attention_endpoint_returns_one_heads_matrix_with_its_tokens(client):
    answer = client.predict("all-minilm-l6-v2", "The cat sat on the mat.", 2, 5, api_name="/attention")
    [maps] = answer["maps"]
    weights = np.array(maps["weights"])
    assert maps["kind"] == "self" and maps["query_tokens"][0] == "[CLS]"
    assert weights.shape == (len(maps["query_tokens"]), len(maps["key_tokens"])) == (9, 9)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-4)


def test_attention_endpoint_gives_every_translation_block_with_the_layer(client):
    answer = client.predict("bergamot-en-pt", "The cat is sleeping.", 1, -1, api_name="/attention")
    assert [m["kind"] for m in answer["maps"]] == ["self", "cross"]
    cross = answer["maps"][1]
    assert np.array(cross["weights"]).shape == (len(cross["query_tokens"]), len(cross["key_tokens"]))
    # layer 3 exists in the 6-layer encoder only, not in the 2-layer decoder
    answer = client.predict("bergamot-en-pt", "The cat is sleeping.", 3, 0, api_name="/attention")
    assert [m["kind"] for m in answer["maps"]] == ["self"]


def test_attention_endpoint_reads_an_example_clip_for_whisper(client):
    answer = client.predict("whisper-tiny.en", "en_weather", 0, 0, api_name="/attention")
    assert [m["kind"] for m in answer["maps"]] == ["self", "causal", "cross"]
    assert answer["maps"][0]["key_tokens"][-1] == "(padding)"


def test_attention_endpoint_gives_the_language_models_causal_attention(client):
    answer = client.predict("smollm2-135m", "The capital of France is", 29, 4, api_name="/attention")
    [maps] = answer["maps"]
    weights = np.array(maps["weights"])
    assert maps["kind"] == "causal" and maps["query_tokens"] == ["The", " capital", " of", " France", " is"]
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-4)
    assert np.all(np.triu(weights, k=1) == 0)


def test_the_digits_vit_reads_a_picture_the_user_uploads(tmp_path):
    """A photo of scikit-learn's "1", drawn large in dark ink on white, must look like the 1 to the ViT, not the 3."""
    import torch
    from PIL import Image

    from models.attention.maps import example_digit
    from models.registry import ModelRegistry
    from studio.attention import DIGITS_KEY, extract, no_progress

    ink = example_digit(1) / 16
    picture = tmp_path / "one.png"
    Image.fromarray(np.uint8(255 * (1 - ink))).resize((96, 96), Image.NEAREST).convert("RGB").save(picture)
    registry = ModelRegistry(torch.device("cpu"))
    [seen] = extract(registry, DIGITS_KEY, "", None, 3, no_progress, picture=str(picture))
    [one] = extract(registry, DIGITS_KEY, "", None, 1, no_progress)
    [three] = extract(registry, DIGITS_KEY, "", None, 3, no_progress)
    assert np.abs(seen.weights - one.weights).mean() < np.abs(seen.weights - three.weights).mean()


# ----------------------------------------------------------------------------------------------
# The tab's handlers, called directly

@pytest.fixture(scope="module")
def registry():
    import torch

    from models.registry import ModelRegistry

    return ModelRegistry(torch.device("cpu"))


def test_attention_handler_names_the_blocks_in_english(registry):
    from studio.attention import attention

    answer = attention(registry, "bergamot-en-pt", "The cat is sleeping.", 1, -1)
    assert [m["name"] for m in answer["maps"]] == ["encoder self-attention", "decoder → encoder cross-attention"]


def test_show_head_handler_draws_every_view_and_the_aggregate_the_map_calls_for(registry):
    from pathlib import Path

    from studio.attention import MEAN_OVER_HEADS, choose_maps, extract, no_progress, show_head

    maps = extract(registry, "bergamot-en-pt", "The cat is sleeping.", None, 0, no_progress)
    block, layer, head, tokens, note = choose_maps(maps)
    assert [name for name, _ in block.choices] == ["encoder self-attention", "decoder → encoder cross-attention"]
    assert "(self)" in note and layer.value == 5 and tokens.value == [1]
    for number, overall in ((0, "rollout through all layers"), (1, "mean over all layers and heads")):
        head_plot, token_plot, aggregate_plot, files, overlay = show_head(maps, number, 1, MEAN_OVER_HEADS, [1])
        assert aggregate_plot.layout.annotations[1].text == overall
        assert [Path(path).name for path in files] == ["attention.png", "attention.svg", "attention.html"]
        assert not overlay.visible  # a sentence has no picture to lay the attention over


def test_step_through_handler_runs_only_where_it_can_recompute_a_head(registry):
    import gradio as gr

    from studio.attention import step_through

    figure, summary = step_through(registry, "all-minilm-l6-v2", "The cat sat.", 2, -1)
    assert "head 1 is shown" in summary and len(figure.data) == 6
    with pytest.raises(gr.Error, match="runs on the sentence encoder or the language model"):
        step_through(registry, "bergamot-en-pt", "The cat sat.", 0, 0)


def test_the_token_view_starts_from_the_block_that_holds_the_first_written_token():
    from models.attention.maps import AttentionMaps
    from models.errors import Phrase
    from studio.attention import first_query

    prompt = ["<|startoftranscript|>"] * 126 + [" The", " cat"]  # 128 queries: the view pools them in pairs
    weights = np.full((1, 1, len(prompt), 2), 0.5, np.float32)
    maps = AttentionMaps("test", Phrase("attention.block.audio_cross"), "cross", prompt, ["0.00 s", "(padding)"],
                         weights)
    assert maps.first_query() == 126 and first_query(maps) == 126 // 2


def test_logit_lens_endpoint_reads_every_layer_and_ends_on_the_models_answer(client):
    answer = client.predict("The capital of France is", 3, api_name="/logit_lens")
    assert answer["tokens"] == ["The", " capital", " of", " France", " is"]
    assert answer["layers"][0] == "embeddings" and len(answer["layers"]) == len(answer["top"]) == 31
    last = answer["top"][-1][-1]
    assert len(last) == 3 and last[0]["token"].strip() == "Paris"
    assert [entry["probability"] for entry in last] == sorted((entry["probability"] for entry in last), reverse=True)


def test_logit_lens_endpoint_says_what_is_wrong_with_empty_text(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Type some text"):
        client.predict("   ", 3, api_name="/logit_lens")
