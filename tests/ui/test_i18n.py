"""English / 中文: both tables complete, no visible English in the launched app that bypasses them, a concept note
on every tab, and server-side messages in the language the page reports."""
import ast
import json
import re
import string
import urllib.request
from pathlib import Path

import pytest

from models.errors import InputError
from models.limits import LIMITS
from models.messages import MESSAGES
from models.training.config import TrainConfig
from studio.common import in_user_language
from studio.i18n import CHINESE, COOKIE, EN, ZH_CN, language_code

ROOT = Path(__file__).resolve().parents[2]
MARKER = "__i18n__"
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Shown in every language as written: names of models and languages, symbols.
SAME_IN_BOTH = {"training.variant.mlp", "training.variant.cnn", "training.variant.lstm", "training.variant.cnn-bilstm",
                "training.optimizer.sgd", "training.activation.sigmoid", "training.csv"}
# Props that people read; values of inputs (example sentences, audio) are content, not interface.
READ_PROPS = ("label", "info", "placeholder")
TEXT_VALUE_TYPES = {"markdown", "button"}
CHOICE_TYPES = {"radio", "dropdown", "checkboxgroup"}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_tables_have_the_same_keys_and_no_empty_text():
    assert EN.keys() == ZH_CN.keys()
    assert not [key for key in EN if not EN[key].strip() or not ZH_CN[key].strip()]


def test_every_chinese_text_is_chinese_and_keeps_the_fields():
    untranslated = [key for key, chinese in ZH_CN.items()
                    if key not in SAME_IN_BOTH and not HAN.search(chinese) and ENGLISH_WORD.search(chinese)]
    assert not untranslated, f"Chinese text still in English: {untranslated}"
    assert not [key for key in EN if fields(EN[key]) != fields(ZH_CN[key])], "{fields} differ between languages"


def message_keys_named_in_source() -> set[str]:
    """The keys of every `SomeError.of("key", ...)` call in models/ and studio/."""
    keys = set()
    for path in [*ROOT.glob("models/**/*.py"), *ROOT.glob("studio/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "of"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                keys.add(node.args[0].value)
    return keys


def test_every_model_message_has_chinese_with_the_same_fields():
    named = message_keys_named_in_source()
    assert len(named) > 50, "the scan for InputError.of / ModelUnavailable.of calls found too few"
    assert not named - MESSAGES.keys(), "keys raised in the code but missing from models/messages.py"
    untranslated = [key for key in MESSAGES if f"error.{key}" not in EN]
    assert not untranslated, f"no Chinese in studio/ui_text.py (MODEL_ERRORS_ZH) for {untranslated}"
    assert not [key for key in MESSAGES if fields(MESSAGES[key]) != fields(ZH_CN[f"error.{key}"])]
    assert not [key for key in MESSAGES if "key" in fields(MESSAGES[key])], "say(key, **values) takes no field 'key'"


def test_model_errors_are_said_in_the_language_of_the_page(monkeypatch):
    with pytest.raises(InputError) as raised:
        TrainConfig(learning_rate="fast").validate()
    assert str(raised.value) == in_user_language(raised.value) == "Learning rate must be a number; got 'fast'."
    monkeypatch.setenv("STUDIO_LANG", CHINESE)  # no request: the launch language
    assert in_user_language(raised.value) == "学习率必须是数字；收到的是 'fast'。"  # the setting's name too
    assert in_user_language(InputError("as it is")) == "as it is"


@pytest.mark.parametrize("name, code", [("zh", CHINESE), ("zh-CN", CHINESE), ("zh_Hans", CHINESE),
                                        ("en-GB", "en"), ("en", "en"), ("fr", None), ("", None), (None, None)])
def test_language_codes(name, code):
    assert language_code(name) == code


@pytest.fixture(scope="module")
def config(studio_url) -> dict:
    with urllib.request.urlopen(f"{studio_url}config", timeout=30) as response:
        return json.load(response)


def visible_texts(component: dict) -> list[str]:
    """What a person reads on the component in its initial state."""
    props, kind = component.get("props", {}), component["type"]
    texts = [props[name] for name in READ_PROPS if isinstance(props.get(name), str)]
    if kind in TEXT_VALUE_TYPES and isinstance(props.get("value"), str):
        texts.append(props["value"])
    if kind in CHOICE_TYPES:
        texts += [choice[0] for choice in props.get("choices") or [] if isinstance(choice[0], str)]
    return texts


def test_no_visible_english_bypasses_the_tables(config):
    names = set()  # the model pickers' choices are names from the registry and stay as they are
    for component in config["components"]:
        label = str(component.get("props", {}).get("label"))
        if component["type"] == "dropdown" and label.startswith(MARKER) and label.endswith('.model"}'):
            names |= {choice[0] for choice in component["props"]["choices"]}
    names |= {"English", "中文", "Português", "Español", "Français", "Deutsch", "日本語", "—"}
    bypassing = []
    for component in config["components"]:
        if component["type"] in ("api", "state", "timer", "form"):
            continue
        for text in visible_texts(component):
            bare = re.sub(r"__i18n__\{[^}]*\}", "", text)
            if text not in names and bare not in names and ENGLISH_WORD.search(bare) and MARKER not in text:
                bypassing.append((component["type"], component["props"].get("elem_id"), text[:80]))
    assert not bypassing, f"visible English not going through studio.i18n: {bypassing}"
    raw = [component["props"].get("elem_id") or component["id"] for component in config["components"]
           if MARKER in json.dumps(component["props"].get("headers"))]
    assert not raw, f"table headers are not translated by the browser; these would show {MARKER}: {raw}"


def test_every_tab_shows_its_concept_note(config):
    tab_ids = {component["props"]["id"] for component in config["components"]
               if component["type"] == "tabitem" and "-" not in str(component["props"].get("id"))}
    notes = {component["props"]["elem_id"] for component in config["components"]
             if component["type"] == "accordion" and "concept-note" in (component["props"].get("elem_classes") or [])}
    assert tab_ids >= {"speech", "image", "translation", "attention", "training", "models"}
    assert notes == {f"concept-{tab}" for tab in tab_ids}
    keys = [json.loads(component["props"]["value"][len(MARKER):])["key"] for component in config["components"]
            if component["type"] == "markdown" and str(component["props"].get("value")).startswith(MARKER)]
    assert {f"{tab}.concept" for tab in tab_ids} <= set(keys)


def test_errors_come_in_the_language_the_page_reports(studio_url):
    from gradio_client import Client

    english = Client(studio_url, verbose=False)
    chinese = Client(studio_url, verbose=False, headers={"Cookie": f"{COOKIE}={CHINESE}"})
    messages = []
    for speaker in (english, chinese):
        with pytest.raises(Exception) as raised:
            speaker.predict(None, "whisper-tiny.en", "auto", "transcribe", api_name="/transcribe")
        messages.append(str(raised.value))
    assert EN["speech.no_audio"] in messages[0]
    assert ZH_CN["speech.no_audio"] in messages[1]


@pytest.mark.parametrize("text, key, values", [
    ("", "translation.no_text", {}),
    ("word " * 10_000, "translation.too_many_characters", {"count": 50_000, "limit": LIMITS.text_characters}),
])
def test_model_errors_come_in_the_language_the_page_reports(studio_url, text, key, values):
    from gradio_client import Client

    english = Client(studio_url, verbose=False)
    chinese = Client(studio_url, verbose=False, headers={"Cookie": f"{COOKIE}={CHINESE}"})
    messages = []
    for speaker in (english, chinese):
        with pytest.raises(Exception) as raised:
            speaker.predict(text, "bergamot-en-pt", 1, api_name="/translate")
        messages.append(str(raised.value))
    assert MESSAGES[key].format(**values) in messages[0]
    assert ZH_CN[f"error.{key}"].format(**values) in messages[1]


@pytest.mark.slow
def test_results_come_in_the_language_the_page_reports(studio_url):
    from gradio_client import Client, handle_file

    chinese = Client(studio_url, verbose=False, headers={"Cookie": f"{COOKIE}={CHINESE}"})
    clip = handle_file(str(ROOT / "assets" / "audio" / "en_weather.wav"))
    texts = [output for output in chinese.predict(clip, "whisper-tiny.en", "auto", "transcribe",
                                                  api_name="/transcribe") if isinstance(output, str)]
    assert any("实时率" in text for text in texts), texts  # the summary line
    assert not any("real-time factor" in text for text in texts), texts
