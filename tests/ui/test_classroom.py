"""Teacher mode: examples already in place, developer controls marked and hidden, large type; --lang / --teacher."""
import pytest
import torch

import app
from models.registry import ModelRegistry
from studio import classroom

PREFILLED = ("asr-file", "image-input", "translation-input")  # elem_ids of the inputs teacher mode fills
DEVELOPER = ("asr-segments", "translation-export", "attention-export")  # hidden from a projector


@pytest.fixture(scope="module")
def configs() -> dict[bool, dict]:
    """The app's config as a student and as a teacher sees it, by elem_id."""
    registry = ModelRegistry(torch.device("cpu"))
    built = {}
    for teacher in (False, True):
        components = app.build_app(registry, teacher).get_config_file()["components"]
        built[teacher] = {c["props"]["elem_id"]: c["props"] for c in components if c["props"].get("elem_id")}
    return built


def test_teacher_mode_prefills_the_examples(configs):
    for elem_id in PREFILLED:
        assert configs[False][elem_id].get("value") in (None, ""), elem_id
        assert configs[True][elem_id].get("value"), f"{elem_id} is empty in teacher mode"


def test_developer_controls_are_hidden_only_for_the_teacher(configs):
    for elem_id in DEVELOPER:
        assert "developer" in configs[True][elem_id]["elem_classes"], elem_id
    assert ".developer { display: none" in classroom.css(teacher=True)
    assert ".developer" not in classroom.css(teacher=False)
    assert "api" not in classroom.footer_links(teacher=True) and "settings" in classroom.footer_links(teacher=True)


def test_launch_flags(monkeypatch):
    monkeypatch.delenv("STUDIO_TEACHER", raising=False)
    assert not app.parse_args([]).teacher and app.parse_args(["--teacher", "--lang", "zh"]).lang == "zh-CN"
    monkeypatch.setenv("STUDIO_TEACHER", "1")
    assert app.parse_args([]).teacher
    with pytest.raises(SystemExit):
        app.parse_args(["--lang", "fr"])
