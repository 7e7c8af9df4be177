"""Batched endpoints through the launched app: calls that several users make at once (run as one batch by the
model, models/batching.py) answer each user what that user gets calling alone; a user who leaves does not take
the others' answers with them.

Labels, texts, tokens and times must be equal; probabilities and similarities to float32 rounding, as a batched
GEMM sums in another order than a single row's."""
import base64
import json

import numpy as np
import pytest
from gradio_client import handle_file

from tests.at_once import at_once
from tests.tests_paths import ASSETS, speech_clips

pytestmark = pytest.mark.slow
PHOTOS = sorted((ASSETS / "images").glob("*.jpg"))[:4]
SENTENCES = ["The children are playing in the park.", "Where is the train station?",
             "I would like a cup of coffee, please. It will rain tomorrow, so bring an umbrella.", "Hello"]
CLIPS = ["en_weather", "natural_bakery", "natural_lights"]
SENTENCE_SETS = ["A cat sits on the sofa.\nA kitten is lying on the couch.\nStock markets fell sharply today.",
                 "The weather is lovely.\nIt is sunny and warm.", "Paris is in France.\nRome is in Italy.\nHi."]


def call_together(client, calls: list[tuple], api_name: str) -> list:
    """Every call submitted at the same moment, as users clicking together; their answers, in order."""
    return at_once(lambda arguments: client.submit(*arguments, api_name=api_name).result(), calls)


def confidences(labels: dict) -> dict[str, float]:
    return {row["label"]: row["confidence"] for row in labels["confidences"]}


def test_photos_classified_together_get_what_each_gets_alone(client):
    calls = [(handle_file(str(photo)), "efficientnet-lite0") for photo in PHOTOS]
    alone = [client.predict(*call, api_name="/classify") for call in calls]

    together = call_together(client, calls, "/classify")

    for single, batched in zip(alone, together):
        assert batched["label"] == single["label"]
        assert list(confidences(batched)) == list(confidences(single))
        assert confidences(batched) == pytest.approx(confidences(single), abs=1e-5)


def hypotheses(nbest: list[dict], field: str) -> list:
    """`field` of every sentence's every hypothesis, in order (log-probabilities are rounded to 3 decimals)."""
    return [hypothesis[field] for sentence in nbest for hypothesis in sentence["hypotheses"]]


def test_sentences_translated_together_get_what_each_gets_alone(client):
    calls = [(sentence, "bergamot-en-pt", 2) for sentence in SENTENCES]
    alone = [client.predict(*call, api_name="/translate") for call in calls]

    together = call_together(client, calls, "/translate")

    for (text, nbest), (batched_text, batched_nbest) in zip(alone, together):
        assert batched_text == text
        assert hypotheses(batched_nbest, "text") == hypotheses(nbest, "text")
        assert hypotheses(batched_nbest, "logprob") == pytest.approx(hypotheses(nbest, "logprob"), abs=1e-3)


def test_clips_transcribed_together_get_what_each_gets_alone(client):
    paths = {path.stem: path for path, _ in speech_clips("en")}
    calls = [(handle_file(str(paths[name])), "whisper-tiny.en", "en", "transcribe") for name in CLIPS]
    alone = [client.predict(*call, api_name="/transcribe") for call in calls]

    together = call_together(client, calls, "/transcribe")

    for single, batched in zip(alone, together):
        text, segments, words = single[:3]
        batched_text, batched_segments, batched_words = batched[:3]
        assert (batched_text, batched_segments) == (text, segments)
        assert [row[:3] for row in batched_words["data"]] == [row[:3] for row in words["data"]]  # word, start, end
        assert [row[3] for row in batched_words["data"]] == pytest.approx([row[3] for row in words["data"]],
                                                                          abs=0.011)  # p, rounded to 2 decimals


def similarity(plot: dict) -> np.ndarray:
    """The z of the similarity heatmap the app sends: a list of rows, or plotly's base64 typed array."""
    z = json.loads(plot["plot"])["data"][0]["z"]
    if isinstance(z, dict):
        shape = tuple(int(side) for side in str(z["shape"]).split(","))
        return np.frombuffer(base64.b64decode(z["bdata"]), z["dtype"]).reshape(shape)
    return np.asarray(z)


def test_sentences_compared_together_get_what_each_gets_alone(client):
    calls = [(text, "pca-2d") for text in SENTENCE_SETS]
    alone = [client.predict(*call, api_name="/sentences") for call in calls]

    together = call_together(client, calls, "/sentences")

    for (_, single), (_, batched) in zip(alone, together):
        np.testing.assert_allclose(similarity(batched), similarity(single), atol=1.001e-3)  # rounded to 3 decimals


def test_a_user_who_leaves_mid_batch_leaves_the_others_answers_intact(client):
    calls = [(handle_file(str(photo)), "efficientnet-lite0") for photo in PHOTOS]
    alone = [client.predict(*call, api_name="/classify")["label"] for call in calls]

    jobs = [client.submit(*call, api_name="/classify") for call in calls]
    jobs[1].cancel()  # the user closed the page

    assert [job.result()["label"] for number, job in enumerate(jobs) if number != 1] == alone[:1] + alone[2:]
    assert client.predict(*calls[1], api_name="/classify")["label"] == alone[1]  # and the app goes on
