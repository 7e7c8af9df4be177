"""Models trained in the studio are saved (safetensors + JSON), listed and loaded back to classify."""
import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from models.errors import InputError, ModelUnavailable
from models.registry import ModelRegistry
from models.training import saved
from models.training.config import TrainConfig
from models.training.image_sets import CROPS_PER_PHOTO, PHOTO_SIDE, image_set, save_image_set
from models.training.runner import Runner
from models.training.store import RunStore
from models.training.tasks.keywords import KEYWORDS_FOLDER, keyword_model, recording_features
from tests.tests_paths import ROOT

IMAGES = ROOT / "assets" / "images"


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    return tmp_path


def crops(photo: str, folder, count: int = 4) -> list[str]:
    """`count` different squares cut from one of the example photos, as files: a user's few shots of a thing."""
    image = Image.open(IMAGES / photo).convert("RGB")
    side = min(image.size) * 3 // 4
    paths = []
    for index in range(count):
        left = (image.width - side) * index // max(1, count - 1)
        top = (image.height - side) * (count - 1 - index) // max(1, count - 1)
        path = folder / f"{photo}-{index}.png"
        image.crop((left, top, left + side, top + side)).save(path)
        paths.append(str(path))
    return paths


def test_your_own_classes_train_save_and_classify_new_photos(tmp_path):
    set_id = save_image_set({"cat": crops("chelsea.jpg", tmp_path), "coffee": crops("coffee.jpg", tmp_path)})
    data = image_set(set_id)
    assert data.classes == ["cat", "coffee"] and len(data) == 8 * CROPS_PER_PHOTO
    assert save_image_set({"cat": crops("chelsea.jpg", tmp_path), "coffee": crops("coffee.jpg", tmp_path)}) == set_id

    runner = Runner(RunStore())
    run_id = runner.start(TrainConfig("my-images", "frozen", "adam", 1e-2, batch_size=16, epochs=4,
                                      validation_split=0.25, dataset=set_id))
    state = runner.wait(run_id, timeout=300)
    assert state.status == "finished", state.message
    [model] = saved.saved_models("image")
    assert model.key == state.saved_model == f"trained-run-{run_id}" and model.classes == ["cat", "coffee"]
    description = json.loads((model.folder / "config.json").read_text())
    assert description["variant"] == "frozen" and description["preprocessing"]["side"] == PHOTO_SIDE
    assert sorted(path.name for path in model.folder.iterdir()) == ["config.json", "model.safetensors"]

    classifier = saved.load_saved_model(str(model.folder), torch.device("cpu"))
    for photo, expected in (("chelsea.jpg", "cat"), ("coffee.jpg", "coffee")):  # whole photos, never trained on
        assert classifier.classify(str(IMAGES / photo)).predictions[0].label == expected

    registry = ModelRegistry(torch.device("cpu"))
    assert saved.register_image_models(registry) == [model] == saved.register_image_models(registry)
    assert [spec.key for spec in registry.specs].count(model.key) == 1  # registered once, however often asked
    assert registry.get(model.key).classify(str(IMAGES / "coffee.jpg")).predictions[0].label == "coffee"


def test_an_image_set_needs_named_classes_with_photos(tmp_path):
    with pytest.raises(InputError, match="training.class_count.*lowest=2, highest=4"):
        save_image_set({"cat": crops("chelsea.jpg", tmp_path)})
    with pytest.raises(InputError, match="training.photo_count.*name='coffee', count=1"):
        save_image_set({"cat": crops("chelsea.jpg", tmp_path), "coffee": crops("coffee.jpg", tmp_path, 1)})
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    with pytest.raises(InputError, match="image.unreadable|image.corrupt"):
        save_image_set({"cat": crops("chelsea.jpg", tmp_path), "coffee": [str(fake), str(fake)]})
    with pytest.raises(InputError, match="training.no_image_set"):
        image_set("0123456789abcdef")


def test_a_keyword_model_is_saved_and_loaded_back_with_the_same_answers():
    import soundfile

    runner = Runner(RunStore())
    run_id = runner.start(TrainConfig("keywords", "cnn", "adam", 3e-3, batch_size=32, epochs=2))
    assert runner.wait(run_id, timeout=300).status == "finished"
    [model] = saved.saved_models("keyword")
    assert model.classes == ["yes", "no", "up", "down", "left", "right", "stop", "go"]
    assert saved.find(model.key) == model and saved.find("trained-run-x") is None

    loaded = saved.load_keyword_classifier(model.folder)
    samples, _ = soundfile.read(KEYWORDS_FOLDER / "keywords.flac", dtype="float32", frames=32000)
    answer = loaded.classify(samples)
    assert list(answer) == model.classes and abs(sum(answer.values()) - 1) < 1e-5
    again = keyword_model("cnn", 8)
    again.load_state_dict(load_file(model.folder / "model.safetensors"))
    with torch.inference_mode():
        expected = again.eval()(recording_features(samples)).softmax(-1)[0]
    assert np.allclose(list(answer.values()), expected.numpy(), atol=1e-6)

    with pytest.raises(InputError, match="audio.silent"):
        loaded.classify(np.zeros(16000, np.float32))


def test_loading_reads_safetensors_only(data_folder):
    folder = data_folder / "trained" / "run-7"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"run_id": 7, "kind": "keyword", "title": "x", "variant": "cnn",
                                                    "classes": ["a", "b"]}))
    torch.save({"weights": torch.zeros(2)}, folder / "model.pt")  # a pickle: never read
    with pytest.raises(ModelUnavailable, match="training.model_gone"):
        saved.load_keyword_classifier(folder)
    assert saved.saved_models("keyword") == []
