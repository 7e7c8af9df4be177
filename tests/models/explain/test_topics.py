"""Attributions for the Training tab's topic classifier (the packaged MiniLM with its head fitted to the "text"
task's sentences): integrated gradients add up to the class's change in log-probability within 5 %, the topic's
words score highest, and bad targets are refused."""
import pytest

from models.errors import InputError
from models.explain.methods import METHODS, AttributionOptions
from models.explain.topics import attribute_topic, topic_classifier

pytestmark = pytest.mark.slow  # the head is fitted on 220 MiniLM sentence vectors first

SENTENCE = "The new phone has a faster chip and a bigger battery."
COMPLETENESS_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def classifier():
    return topic_classifier()


def test_the_head_learns_the_topics(classifier):
    assert classifier.classes == ["food", "sport", "technology", "weather"] and classifier.training_accuracy > 0.9


def test_integrated_gradients_add_up_and_the_topic_words_score_highest(classifier):
    attribution = attribute_topic(classifier, SENTENCE)
    assert attribution.target == "technology" and attribution.probability > 0.5
    assert attribution.completeness_error <= COMPLETENESS_TOLERANCE, (attribution.change, attribution.steps)
    top = {attribution.tokens[i] for i in attribution.scores.argsort()[-3:]}
    assert top & {"phone", "battery"}, top


@pytest.mark.parametrize("method", METHODS)
def test_every_method_scores_every_piece_with_a_deletion_curve(classifier, method):
    attribution = attribute_topic(classifier, SENTENCE, "sport", method, AttributionOptions(steps=4, max_steps=4))
    assert attribution.target == "sport" and len(attribution.scores) == len(attribution.tokens)
    assert attribution.tokens[0] == "[CLS]" and attribution.tokens[-1] == "[SEP]"
    assert attribution.faithfulness.attributed.fractions[-1] == 1


def test_an_unknown_topic_or_empty_text_is_refused(classifier):
    with pytest.raises(InputError, match="explain.unknown_class"):
        attribute_topic(classifier, SENTENCE, "politics")
    with pytest.raises(InputError, match="explain.empty_input"):
        attribute_topic(classifier, " ")
