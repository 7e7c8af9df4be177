"""GloVe 6B 50-d from its package: neighbours, analogies, projections, the caps and the messages for bad words."""
import numpy as np
import pytest
import torch

from models.errors import InputError, Phrase
from models.language.analogies import analogy_items, score
from models.language.projection import project
from models.language.word_vectors import ANSWER_WORDS, MAX_PROJECTED, WordGroup, load_glove, parse_groups
from models.limits import LIMITS


@pytest.fixture(scope="module")
def glove():
    return load_glove("package:glove-6b-50d", torch.device("cpu"))


def test_every_word_is_there_and_unit_length(glove):
    assert len(glove) == 400_000 and glove.dims == 50
    np.testing.assert_allclose(glove.unit[[0, 1234, 399_999]].norm(dim=1).numpy(), 1.0, atol=1e-5)


def test_the_nearest_word_to_cat_is_dog_and_the_word_itself_is_left_out(glove):
    found = glove.neighbours("cat", 10)
    assert found[0].word == "dog" and found[0].similarity == pytest.approx(0.92, abs=0.01)
    assert "cat" not in [n.word for n in found] and len(found) == 10
    assert [n.similarity for n in found] == sorted((n.similarity for n in found), reverse=True)
    assert glove.neighbours("Cat", 3) == glove.neighbours("cat", 3)  # GloVe's words are lower-case


def test_king_minus_man_plus_woman_is_queen(glove):
    found = glove.analogy("man", "king", "woman", 5)
    assert found.answers[0].word == "queen"
    assert not {"man", "king", "woman"} & {n.word for n in found.answers}


def test_the_analogy_picture_draws_the_same_arrow_from_a_and_from_c(glove):
    """PCA is linear, so b − a and (b − a + c) − c are one arrow in the picture too."""
    found = glove.analogy("france", "paris", "italy", 3)
    assert found.answers[0].word == "rome"
    a, b, c, target, answer = found.picture.coordinates
    np.testing.assert_allclose(b - a, target - c, atol=1e-6)
    assert found.picture.labels[4] == "rome"


def test_an_unknown_word_names_the_closest_known_spellings(glove):
    with pytest.raises(InputError) as raised:
        glove.neighbours("qeen", 5)
    assert raised.value.key == "embeddings.unknown_word"
    assert raised.value.values["suggestions"].split(", ")[0] == "queen"
    with pytest.raises(InputError, match="unknown_word_no_suggestion"):
        glove.neighbours("中国人民银行总行", 5)
    with pytest.raises(InputError, match="no_word"):
        glove.neighbours("  ", 5)


def test_queries_are_capped_and_an_analogy_needs_three_different_words(glove):
    with pytest.raises(InputError, match="bad_k"):
        glove.neighbours("cat", LIMITS.neighbours + 1)
    with pytest.raises(InputError, match="analogy_repeats"):
        glove.analogy("man", "king", "Man")


def test_word_lists_read_one_named_group_per_line():
    groups = parse_groups("countries: france, italy\n\n首都：paris，rome、tokyo\ncat dog")
    assert groups == [WordGroup("countries", ["france", "italy"]), WordGroup("首都", ["paris", "rome", "tokyo"]),
                      WordGroup("", ["cat", "dog"])]
    with pytest.raises(InputError, match="no_words"):
        parse_groups(" \n ")


def test_a_projection_leaves_out_unknown_and_repeated_words_with_notes(glove):
    projection, groups, notes = glove.project_groups(parse_groups("a: france, paris, France, xqzvw\nb: rome"), 3)
    assert projection.labels == ["france", "paris", "rome"] and groups == ["a", "a", "b"]
    assert projection.coordinates.shape == (3, 3) and 0 < projection.explained.sum() <= 1 + 1e-9
    np.testing.assert_allclose(np.diag(projection.similarity), 1.0, atol=1e-6)
    assert [note.key for note in notes] == ["embeddings.repeated_left_out", "embeddings.unknown_left_out"]
    with pytest.raises(InputError, match="too_few_words"):
        glove.project_groups(parse_groups("cat, xqzvw, cat"))


def test_ten_thousand_words_are_cut_to_the_cap_with_a_note(glove):
    projection, _, notes = glove.project_groups([WordGroup("", glove.words[:10_000])], 2)
    assert len(projection.labels) == MAX_PROJECTED == LIMITS.projected_words
    assert Phrase("embeddings.capped", count=10_000, limit=MAX_PROJECTED) in notes


def test_projection_keeps_the_most_variance_on_the_first_axis():
    points = np.array([[0, 0, 0], [4, 1, 0], [8, 2, 0.1], [12, 3, 0]], dtype=float)
    projection = project(points, list("abcd"), 2)
    assert projection.explained[0] > 0.99 and projection.coordinates.shape == (4, 2)
    with pytest.raises(InputError, match="bad_dimensions"):
        project(points, list("abcd"), 4)


def test_glove_answers_most_of_the_studios_analogy_set(glove):
    items = analogy_items()
    assert len(items) >= 100 and {item.category for item in items} == {"capital", "plural", "past_tense",
                                                                       "comparative"}
    result = score(glove, items)
    assert result.covered == result.total == len(items)
    assert result.accuracy > 0.5  # 0.63 measured (bench/RESULTS.md)


def test_answers_come_from_the_frequent_words_but_a_rare_word_can_be_asked_about(glove):
    assert glove.row["prohertrib"] > ANSWER_WORDS  # a junk row GloVe puts nearest to "paris"
    assert [n.word for n in glove.neighbours("paris", 3)] == ["france", "brussels", "amsterdam"]
    rare = glove.words[300_000]
    assert all(glove.row[n.word] < ANSWER_WORDS for n in glove.neighbours(rare, 5))
