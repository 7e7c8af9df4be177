"""The `attribute` endpoint through gradio_client, every task (image, language, translation, topic) and method, and
its clear refusals; the `compare` endpoint (edit and compare) for the image, language and translation tasks and its
refusals (an empty or identical edit, a mask over the whole photo, an unknown target); the tabs' attribution and
comparison handlers called directly."""
import base64

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from models.explain.methods import AttributionOptions
from studio.attributions import TASKS
from tests.tests_paths import ASSETS

pytestmark = pytest.mark.slow

INPUTS = {"image": ("efficientnet-lite0", "coffee", "espresso"), "language": ("smollm2-135m", "The capital of France is", ""),
          "translation": ("bergamot-en-pt", "The cat sleeps on the red sofa.", "▁gato"),
          "topic": ("minilm-topics", "The striker scored a late goal.", "sport")}
CASES = [(task, method) for task, methods in TASKS.items() for method in methods]


@pytest.mark.parametrize(("task", "method"), CASES, ids=[f"{task}-{method}" for task, method in CASES])
def test_attribute_gives_scores_and_a_deletion_curve_for_every_task_and_method(client, task, method):
    model, source, target = INPUTS[task]
    answer = client.predict(task, model, source, target, method, api_name="/attribute")
    assert answer["method"] == method
    deletion = answer["deletion"]
    for curve in (deletion["attributed"], deletion["random"]):
        assert curve["fractions"][0] == 0 and curve["fractions"][-1] == 1
        assert len(curve["probabilities"]) == len(curve["fractions"]) and 0 <= curve["area"] <= 1
    if task == "image":
        assert answer["class"] == "espresso"
        assert answer["image_size"] == list(Image.open(ASSETS / "images" / "coffee.jpg").size)
        assert len(answer["scores"]) == 224 and len(answer["scores"][0]) == 224
    elif task == "translation":
        assert answer["translation"] == "O gato dorme no sofá vermelho." and answer["target"] == "▁gato"
        assert len(answer["scores"]) == len(answer["target_tokens"]) == len(answer["cross_attention"])
        assert len(answer["scores"][0]) == len(answer["tokens"]) and answer["tokens"][-1] == "</s>"
    elif task == "topic":
        assert answer["target"] == "sport" and answer["tokens"][0] == "[CLS]"
        assert len(answer["scores"]) == len(answer["tokens"])
    else:
        assert answer["target"].strip() == "Paris" and answer["tokens"][0] == "The"
        assert len(answer["scores"]) == len(answer["tokens"])
    if method == "integrated-gradients":
        assert answer["completeness_error"] <= 0.05 and answer["steps"] > AttributionOptions().steps  # points


def test_attribute_reads_a_photo_sent_as_a_data_url(client):
    encoded = base64.b64encode((ASSETS / "images" / "coffee.jpg").read_bytes()).decode()
    answer = client.predict("image", "efficientnet-lite0", f"data:image/jpeg;base64,{encoded}", "", "gradient-x-input",
                            api_name="/attribute")
    assert answer["class"] == "espresso"


@pytest.mark.parametrize(("arguments", "says"), [
    (("image", "efficientnet-lite0", "coffee", "flying teapot", "occlusion"), "not one of the model's classes"),
    (("language", "smollm2-135m", "The capital of France is", " Parisianismus", "occlusion"), "exactly one token"),
    (("image", "efficientnet-lite0", "", "", "occlusion"), "Nothing to explain"),
    (("image", "efficientnet-lite0", "no-such-photo", "", "occlusion"), "no example photo"),
    (("speech", "whisper-tiny.en", "hello", "", "occlusion"), "Unknown task"),
    (("language", "smollm2-135m", "The capital", "", "grad-cam"), "Unknown attribution method"),
    (("language", "efficientnet-lite0", "The capital", "", "occlusion"), "not a model for"),
    (("language", "smollm2-135m", "word " * 600, "", "occlusion"), "tokens long"),
    (("translation", "bergamot-en-pt", "The cat sleeps.", "cachorro", "occlusion"), "not a piece of the translation"),
    (("translation", "smollm2-135m", "The cat sleeps.", "", "occlusion"), "not a model for"),
    (("topic", "minilm-topics", "The striker scored.", "politics", "occlusion"), "not one of the model's classes"),
    (("topic", "efficientnet-lite0", "The striker scored.", "", "occlusion"), "not a model for"),
])
def test_attribute_refuses_bad_input_with_a_clear_message(client, arguments, says):
    with pytest.raises(AppError, match=says):
        client.predict(*arguments, api_name="/attribute")


COMPARISONS = {"image": ("efficientnet-lite0", "coffee", "0.25,0.25,0.75,0.75", "grad-cam"),
               "language": ("smollm2-135m", "The capital of France is", "The capital of Italy is", "gradient-x-input"),
               "translation": ("bergamot-en-pt", "The cat sleeps on the red sofa.", "The dog sleeps on the red sofa.",
                               "gradient-x-input")}


@pytest.mark.parametrize("task", COMPARISONS)
def test_compare_gives_both_sides_with_the_edit_marked(client, task):
    model, source, edit, method = COMPARISONS[task]
    answer = client.predict(task, model, source, edit, "", method, api_name="/compare")
    original, edited = answer["original"], answer["edited"]
    assert original["method"] == edited["method"] == method
    if task == "image":
        assert original["class"] == edited["class"] == "espresso"  # the same class explained on both sides
        assert edited["probability"] < original["probability"]  # the cup is masked
        width, height = original["image_size"]
        assert answer["mask"] == [round(width / 4), round(height / 4), round(width * 3 / 4), round(height * 3 / 4)]
    elif task == "language":
        assert original["target"] == edited["target"] == " Paris"
        assert [token for token, changed in zip(original["tokens"], original["changed"]) if changed] == [" France"]
        assert [token for token, changed in zip(edited["tokens"], edited["changed"]) if changed] == [" Italy"]
        assert len(edited["attention"]) == len(edited["tokens"])
        shifts = {shift["label"]: shift for shift in answer["shifts"]}
        assert shifts[" Paris"]["after"] < shifts[" Paris"]["before"] and " Rome" in shifts
    else:
        assert [token for token, changed in zip(original["tokens"], original["changed"]) if changed] == ["▁cat"]
        assert "▁gato" in [piece for piece, changed in zip(original["target_tokens"], original["target_changed"])
                           if changed]
        assert "gato" not in edited["translation"]
    if task != "translation":
        assert {"label", "before", "after"} <= set(answer["shifts"][0])


@pytest.mark.parametrize(("arguments", "says"), [
    (("language", "smollm2-135m", "The capital of France is", "  ", "", "occlusion"), "edited input is empty"),
    (("language", "smollm2-135m", "The capital of France is", "The capital of France is", "", "occlusion"),
     "same as the original"),
    (("translation", "bergamot-en-pt", "The cat sleeps.", "", "", "occlusion"), "edited input is empty"),
    (("image", "efficientnet-lite0", "coffee", "0,0,1,1", "", "grad-cam"), "covers the whole photo"),
    (("image", "efficientnet-lite0", "coffee", "0.5,0.5,0.5,0.9", "", "grad-cam"), "mask is empty"),
    (("image", "efficientnet-lite0", "coffee", "middle", "", "grad-cam"), "not four numbers"),
    (("language", "smollm2-135m", "The capital of France is", "The capital of Italy is", " Parisianismus",
      "occlusion"), "exactly one token"),
    (("topic", "minilm-topics", "Goal!", "Rain!", "", "occlusion"), "Unknown task"),
])
def test_compare_refuses_bad_input_with_a_clear_message(client, arguments, says):
    with pytest.raises(AppError, match=says):
        client.predict(*arguments, api_name="/compare")


# ----------------------------------------------------------------------------------------------
# The tabs' handlers, called directly

@pytest.fixture(scope="module")
def registry():
    import torch

    from models.registry import ModelRegistry

    return ModelRegistry(torch.device("cpu"))


def test_the_image_tab_draws_the_attribution_over_the_photo_and_its_deletion_curve(registry):
    from studio.attributions import attribute_photo

    photo = ASSETS / "images" / "coffee.jpg"
    overlay, curve, summary = attribute_photo(registry, str(photo), "efficientnet-lite0", "", "gradient-x-input", 0.5)
    assert overlay.size == Image.open(photo).size
    assert [trace.name.split(" (area")[0] for trace in curve.data] == ["Gradient × input", "random order"]
    assert "espresso" in summary


def test_the_attention_tab_draws_a_bar_per_token_for_the_next_token(registry):
    from studio.attributions import attribute_next_token

    bars, curve = attribute_next_token(registry, "smollm2-135m", "The capital of France is", "", "occlusion")
    assert list(bars.data[0].x) == ["The #1", " capital #2", " of #3", " France #4", " is #5"]
    assert "Paris" in bars.layout.title.text and len(curve.data) == 2


def test_the_translation_tab_draws_attributions_beside_the_cross_attention(registry):
    from studio.attributions import attribute_translated

    scores, attention, curve, summary = attribute_translated(registry, "bergamot-en-pt", "The cat sleeps.", "",
                                                             "gradient-x-input")
    assert len(scores.data[0].y) == len(attention.layout.yaxis.ticktext)  # the same target tokens, one row each
    assert len(scores.data[0].x) == len(attention.layout.xaxis.ticktext)  # the same source tokens
    assert len(curve.data) == 2 and "gato" in summary


def test_the_tabs_mark_what_the_edit_changed_on_both_sides(registry):
    from studio.attributions import compare_next_token, compare_photo_region

    scores, attention, shifts = compare_next_token(registry, "smollm2-135m", "The capital of France is",
                                                   "The capital of Italy is", "", "gradient-x-input")
    assert [x for x in scores.data[0].x if "✎" in x] == ["<b> France ✎</b> #4"]
    assert [x for x in scores.data[1].x if "✎" in x] == ["<b> Italy ✎</b> #4"]
    assert len(attention.data) == 2 and [trace.name for trace in shifts.data[:2]] == ["original", "after the edit"]
    original, edited, classes, summary = compare_photo_region(registry, str(ASSETS / "images" / "coffee.jpg"),
                                                              "efficientnet-lite0", 25, 25, 75, 75, "grad-cam", 0.5)
    assert original.size == edited.size and "espresso" in summary and len(classes.data) == 3
