"""The `attribute` endpoint through gradio_client, every task and method, and its clear refusals; the tabs'
attribution handlers called directly."""
import base64

import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from studio.attributions import TASKS
from tests.tests_paths import ASSETS

pytestmark = pytest.mark.slow

INPUTS = {"image": ("efficientnet-lite0", "coffee", "espresso"), "language": ("smollm2-135m", "The capital of France is", "")}
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
    else:
        assert answer["target"].strip() == "Paris" and answer["tokens"][0] == "The"
        assert len(answer["scores"]) == len(answer["tokens"])


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
])
def test_attribute_refuses_bad_input_with_a_clear_message(client, arguments, says):
    with pytest.raises(AppError, match=says):
        client.predict(*arguments, api_name="/attribute")


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
