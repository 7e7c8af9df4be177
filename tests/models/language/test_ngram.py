"""The Kneser–Ney word trigram (nltk.lm) trained on the recognizer's sentences."""
import math

import pytest

from models.language.ngram import NgramModel, OOV_PROBABILITY
from models.speech.closed_world import sentences


@pytest.fixture(scope="module")
def ngram():
    return NgramModel(sentences(900, 1))


def test_it_prefers_the_grammar_to_the_same_words_scrambled(ngram):
    assert ngram.sentence_log_prob("set a timer for four minutes") > ngram.sentence_log_prob(
        "set a timer four for minutes") + 5
    assert math.exp(ngram.log_prob(("a", "timer"), "for")) > 0.5


def test_an_unknown_word_backs_off_and_is_named(ngram):
    assert not ngram.knows("giraffe") and ngram.knows("timer")
    assert ngram.log_prob(("dial",), "giraffe") == math.log(OOV_PROBABILITY)
    assert math.isfinite(ngram.sentence_log_prob("dial giraffe two"))  # the words after it still count
    assert ngram.unknown("call the giraffe and the zebra") == ["giraffe", "and", "zebra"]
    assert 150 < len(ngram.words) < 400
