import re
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import torch
from PIL import Image
from tests.tests_paths import ASSETS

from models.attention.maps import (
    MAX_TOKENS,
    AttentionMaps,
    Backdrop,
    digit_attention,
    example_digit,
    head_steps,
    speech_attention,
    text_attention,
    translation_attention,
)
from models.pooling import downsample
from models.speech.audio import load_audio
from models.vision.digits import DigitModels, small_cnn, small_vit
from models.errors import InputError, Phrase
from models.registry import ModelRegistry
from studio import exports
from studio.views.attention import (
    aggregate_figure,
    export_files,
    grid_figure,
    head_figure,
    overlay_figure,
    steps_figure,
    token_figure,
)

SENTENCE = "The cat sat on the mat because it was tired."


@pytest.fixture(scope="module")
def registry():
    return ModelRegistry(torch.device("cpu"))


@pytest.fixture(scope="module")
def minilm_maps(registry):
    return text_attention(registry.get("all-minilm-l6-v2"), SENTENCE, "all-minilm-l6-v2")


def assert_rows_are_distributions(maps: AttentionMaps) -> None:
    assert maps.weights.shape[-2:] == (len(maps.query_tokens), len(maps.key_tokens))
    assert (maps.weights >= 0).all()
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1.0, atol=1e-5)


def test_text_encoder_self_attention_has_a_row_per_word_piece(minilm_maps):
    [maps] = minilm_maps
    assert maps.kind == "self" and maps.weights.shape == (6, 12, 13, 13)
    assert maps.query_tokens[0] == "[CLS]" and maps.query_tokens[-1] == "[SEP]"
    assert_rows_are_distributions(maps)


def test_rollout_and_mean_over_heads_keep_rows_summing_to_one(minilm_maps):
    [maps] = minilm_maps
    np.testing.assert_allclose(maps.rollout().sum(axis=-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(maps.head(2, None).sum(axis=-1), 1.0, atol=1e-5)
    with pytest.raises(InputError, match="attention.bad_head.*last=11"):
        maps.head(0, 12)


@pytest.mark.parametrize("layer, head", [(0, 0), (3, 7), (5, 11)])
def test_step_through_softmax_equals_the_models_own_attention(registry, layer, head):
    steps = head_steps(registry.get("all-minilm-l6-v2"), SENTENCE, layer, head)
    np.testing.assert_allclose(steps.weights, steps.model_weights, atol=1e-5)
    assert steps.queries.shape == steps.keys.shape == steps.values.shape == steps.output.shape == (13, 32)
    np.testing.assert_allclose(steps.output, steps.weights @ steps.values, atol=1e-5)


def test_text_longer_than_the_cap_is_refused_with_its_length(registry):
    with pytest.raises(InputError, match=f"attention.text_too_long.*limit={MAX_TOKENS}"):
        text_attention(registry.get("all-minilm-l6-v2"), "word " * 600, "all-minilm-l6-v2")


def test_translation_gives_encoder_self_attention_and_cross_attention(registry):
    encoder, cross = translation_attention(registry.get("bergamot-en-pt"), "The cat is sleeping on the sofa.",
                                           "bergamot-en-pt")
    assert encoder.kind == "self" and encoder.weights.shape[:2] == (6, 8) and encoder.key_tokens[-1] == "</s>"
    assert cross.kind == "cross" and cross.weights.shape[:2] == (2, 8)
    assert cross.key_tokens == encoder.query_tokens and "▁gato" in cross.query_tokens
    for maps in (encoder, cross):
        assert_rows_are_distributions(maps)
    with pytest.raises(InputError, match="attention.no_rollout"):
        cross.rollout()


@pytest.mark.slow
def test_whisper_gives_encoder_decoder_and_cross_attention_and_keeps_sdpa(registry):
    recognizer = registry.get("whisper-tiny.en")
    encoder, decoder, cross = speech_attention(recognizer, load_audio(ASSETS / "audio" / "en_weather.wav"), "whisper-tiny.en")
    assert [m.kind for m in (encoder, decoder, cross)] == ["self", "causal", "cross"]
    assert encoder.weights.shape[:2] == (4, 6) and len(encoder.query_tokens) <= 250
    assert encoder.key_tokens[-1] == "(padding)" and cross.key_tokens == encoder.key_tokens
    assert decoder.query_tokens[0] == "<|startoftranscript|>"
    assert np.allclose(np.triu(decoder.weights, k=1), 0)  # causal: nothing from the future
    for maps in (encoder, decoder, cross):
        assert_rows_are_distributions(maps)
    assert recognizer.model.config._attn_implementation != "eager"
    assert not encoder.chains and decoder.chains  # the padding key: the encoder's layers cannot be rolled out
    aggregate_figure(encoder, 3)
    # the overlay: the clip's log-mel columns, each belonging to one key; the padding key has no column
    spectrogram = cross.backdrop
    assert spectrogram is encoder.backdrop and spectrogram.pixels.shape == (80, 180)  # 3.6 s of 20 ms frames
    assert set(np.unique(spectrogram.key_of_cell)) == set(range(len(cross.key_tokens) - 1))
    row = cross.head(3, None)[4]
    np.testing.assert_allclose(spectrogram.spread(row)[0], row[spectrogram.key_of_cell])
    figure = overlay_figure(cross, cross.head(3, None), 4, "cross")
    assert "on padding" in figure.layout.annotations[0].text and len(figure.data) == 4


@pytest.mark.slow
def test_whisper_base_translating_chinese_speech_shows_english_tokens_attending_to_the_audio(registry):
    recognizer = registry.get("whisper-base")
    clip = load_audio(ASSETS / "audio" / "zh_library.wav")
    _, decoder, cross = speech_attention(recognizer, clip, "whisper-base", language="zh", task="translate")
    assert "<|translate|>" in decoder.query_tokens and "<|zh|>" in decoder.query_tokens
    text_tokens = [token for token in cross.query_tokens if not token.startswith("<|")]
    assert text_tokens and all(token.isascii() for token in text_tokens), text_tokens  # English out
    assert_rows_are_distributions(cross)


def test_digit_vit_attends_over_cls_and_sixteen_patches():
    untrained = DigitModels(small_cnn(), small_vit())  # the shapes do not need the few seconds of training
    [maps] = digit_attention(untrained, example_digit(3), "digits-vit")
    assert maps.weights.shape == (3, 4, 17, 17) and maps.query_tokens[0] == "CLS"
    assert_rows_are_distributions(maps)


def test_digit_overlay_puts_each_patchs_weight_on_its_two_by_two_pixels():
    [maps] = digit_attention(DigitModels(small_cnn(), small_vit()), example_digit(3), "digits-vit")
    picture = maps.backdrop
    np.testing.assert_array_equal(picture.pixels, example_digit(3))
    cls_row = maps.head(2, 1)[0]
    patches = cls_row[1:].reshape(4, 4)
    np.testing.assert_allclose(picture.spread(cls_row), np.kron(patches, np.ones((2, 2))))
    np.testing.assert_allclose(picture.spread(maps.rollout()[0]).sum(), 4 * maps.rollout()[0, 1:].sum(), rtol=1e-5)
    figure = overlay_figure(maps, maps.head(2, 1), 0, "layer 3, head 2")
    np.testing.assert_allclose(figure.data[1].z, picture.spread(cls_row))  # the chosen head over the digit
    assert "rollout" in figure.layout.annotations[1].text and "on CLS" in figure.layout.annotations[0].text


def synthetic_maps(kind, queries: list[str], keys: list[str], backdrop=None) -> AttentionMaps:
    weights = np.random.default_rng(0).dirichlet(np.ones(len(keys)), size=(3, 2, len(queries))).astype(np.float32)
    return AttentionMaps("test", Phrase("attention.block.self"), kind, queries, keys, weights, backdrop)


def test_the_aggregate_is_the_rollout_where_layers_chain_else_the_mean_over_layers_and_heads():
    tokens = ["CLS", "a", "b", "c"]
    for kind in ("self", "causal"):
        chaining = synthetic_maps(kind, tokens, tokens)
        aggregate = chaining.aggregate()
        assert aggregate.method == "rollout"
        np.testing.assert_allclose(aggregate.weights, chaining.rollout())
    for maps in (synthetic_maps("cross", tokens, tokens),  # cross-attention never chains
                 synthetic_maps("self", tokens[:3], tokens[:3] + ["(padding)"])):  # Whisper's padding key
        aggregate = maps.aggregate()
        assert aggregate.method == "mean"
        np.testing.assert_allclose(aggregate.weights, maps.weights.mean(axis=(0, 1)), rtol=1e-6)
        np.testing.assert_allclose(aggregate.weights.sum(axis=-1), 1.0, atol=1e-5)


def test_the_views_start_from_cls_the_first_written_token_or_the_token_after_the_start():
    digit = Backdrop("image", np.zeros((2, 2)), np.ones((2, 2), dtype=int), outside_key=0)
    assert synthetic_maps("self", ["CLS", "p1"], ["CLS", "p1"], digit).first_query() == 0
    prompt = ["<|startoftranscript|>", "<|en|>", "<|notimestamps|>", " The", " cat"]
    assert synthetic_maps("cross", prompt, ["0.00 s", "(padding)"]).first_query() == 3
    assert synthetic_maps("self", ["[CLS]", "the", "[SEP]"], ["[CLS]", "the", "[SEP]"]).first_query() == 1


def test_downsampling_keeps_rows_distributions_and_labels_the_merged_tokens():
    weights = np.random.default_rng(0).dirichlet(np.ones(300), size=(2, 300)).astype(np.float32)
    tokens = [f"t{i}" for i in range(300)]
    pooled, queries, keys = downsample(weights, tokens, tokens, 64)
    assert pooled.shape == (2, 64, 64) and len(queries) == len(keys) == 64
    assert keys[0] == "t0…t4"
    np.testing.assert_allclose(pooled.sum(axis=-1), 1.0, atol=1e-5)


def test_figures_and_exports_are_valid_png_svg_and_offline_html(minilm_maps, registry):
    [maps] = minilm_maps
    weights = maps.head(5, 2)
    figures = [head_figure(weights, maps.query_tokens, maps.key_tokens, "head"),
               token_figure(weights, maps.query_tokens, maps.key_tokens, [2], "tokens"),
               aggregate_figure(maps, 5), grid_figure(maps)]
    grid, tokens = figures[3].data[0], len(maps.query_tokens)  # one mosaic; short input: no pooling
    assert len(grid.y) == 6 * (tokens + 1) - 1 and len(grid.x) == 12 * (tokens + 1) - 1
    cell = np.asarray(grid.customdata)[4 * (tokens + 1):][:tokens, 2 * (tokens + 1):][:, :tokens]
    np.testing.assert_allclose(cell, maps.weights[4, 2], atol=1e-3)  # layer 5, head 3 in its place
    steps_figure(head_steps(registry.get("all-minilm-l6-v2"), SENTENCE, 0, 0))
    png, svg, page = map(Path, exports.write("attention", export_files(weights, maps.query_tokens, maps.key_tokens,
                                                                        "Layer 6, head 3", figures)))
    assert [path.name for path in (png, svg, page)] == ["attention.png", "attention.svg", "attention.html"]
    with Image.open(png) as image:
        image.verify()
        assert image.format == "PNG"
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    html = page.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and "[CLS]" in html
    assert not re.search(r"<script[^>]*\bsrc=[\"']?https?:", html)  # plotly.js is inlined: works offline
