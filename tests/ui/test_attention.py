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
