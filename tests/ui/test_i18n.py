"""Every language: the locale files complete and alike, every key the code says present in each of them, no
English written into studio/ or models/ code, no visible English in the launched app that bypasses the locale
files, a concept note on every tab, and server-side messages in the language the page reports."""
import ast
import json
import re
import string
import urllib.request
from pathlib import Path

import pytest

from models.errors import InputError, KeyedMessage, Phrase
from models.limits import LIMITS
from models.registry import SPECS
from models.training.config import TrainConfig
from studio.common import MODEL_TITLE, in_user_language
from studio.i18n import COOKIE, EN, ENGLISH, LANGUAGE_NAME, LANGUAGE_NAMES, TABLES, language_code, read_locales

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("models/**/*.py"), *ROOT.glob("studio/**/*.py")])
STUDIO_SOURCES = [path for path in SOURCES if path.relative_to(ROOT).parts[0] == "studio"]
CHINESE = "zh-CN"
ZH_CN = TABLES[CHINESE]
MARKER = "__i18n__"
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Shown in every language as written: names of models and languages, symbols.
SAME_IN_BOTH = {"training.variant.mlp", "training.variant.cnn", "training.variant.lstm", "training.variant.cnn-bilstm",
                "training.optimizer.sgd", "training.activation.sigmoid", "training.csv", "training.path.adam",
                "attention.outside.image"}
# Props that people read; values of inputs (example sentences, audio) are content, not interface.
READ_PROPS = ("label", "info", "placeholder")
TEXT_VALUE_TYPES = {"markdown", "button"}
CHOICE_TYPES = {"radio", "dropdown", "checkboxgroup"}


def shown_path(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# ---------------------------------------------------------------- the locale files

def locale_gaps(tables: dict[str, dict[str, str]]) -> list[str]:
    """What one locale file lacks that another has: a key, a text, a {field}; and a file without its language name."""
    every_key = set().union(*tables.values())
    gaps = []
    for code, table in tables.items():
        gaps += [f"{code}: no {key!r}" for key in sorted(every_key - table.keys())]
        gaps += [f"{code}: {key!r} is empty" for key, text in table.items() if not text.strip()]
        gaps += [f"{code}: no {LANGUAGE_NAME!r}"] if LANGUAGE_NAME not in table else []
        for other_code, other in tables.items():
            gaps += [f"{code}: {key!r} has the fields {sorted(fields(text))}, {other_code} {sorted(fields(other[key]))}"
                     for key, text in table.items() if key in other and fields(text) != fields(other[key])]
    return gaps


def test_every_locale_file_has_every_key_and_field_of_the_others():
    assert len(TABLES) >= 2 and list(TABLES)[0] == ENGLISH
    assert not locale_gaps(TABLES)


@pytest.mark.parametrize("change, gap", [
    (lambda tables: tables["zh-CN"].pop("app.subtitle"), "zh-CN: no 'app.subtitle'"),
    (lambda tables: tables["en"].pop("app.subtitle"), "en: no 'app.subtitle'"),
    (lambda tables: tables["zh-CN"].update({"error.audio.too_long": "音频太长。"}),
     "zh-CN: 'error.audio.too_long' has the fields []"),
    (lambda tables: tables["zh-CN"].update({"app.subtitle": " "}), "zh-CN: 'app.subtitle' is empty"),
])
def test_the_comparison_finds_a_missing_key_or_field(change, gap):
    tables = {code: dict(table) for code, table in TABLES.items()}
    change(tables)
    assert any(found.startswith(gap) for found in locale_gaps(tables)), locale_gaps(tables)


def test_every_chinese_text_is_chinese():
    untranslated = [key for key, chinese in ZH_CN.items()
                    if key not in SAME_IN_BOTH and not HAN.search(chinese) and ENGLISH_WORD.search(chinese)]
    assert not untranslated, f"Chinese text still in English: {untranslated}"


def test_a_third_language_is_one_more_file(tmp_path):
    for code, table in TABLES.items():
        (tmp_path / f"{code}.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "pt-BR.json").write_text(json.dumps({**EN, LANGUAGE_NAME: "Português"}), encoding="utf-8")
    tables = read_locales(tmp_path)
    assert list(tables)[0] == ENGLISH and set(tables) == {*TABLES, "pt-BR"}
    assert tables["pt-BR"][LANGUAGE_NAME] == "Português"
    assert [language_code(name, tuple(tables)) for name in ("pt", "pt_PT", "PT-br", "zh-TW", "de")] == [
        "pt-BR", "pt-BR", "pt-BR", CHINESE, None]


@pytest.mark.parametrize("name, code", [("zh", CHINESE), ("zh-CN", CHINESE), ("zh_Hans", CHINESE), ("zh-cn", CHINESE),
                                        ("en-GB", "en"), ("en", "en"), ("fr", None), ("", None), (None, None)])
def test_language_codes(name, code):
    assert language_code(name) == code


# ---------------------------------------------------------------- what the code says

def calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            yield node


def called_name(call: ast.Call) -> str:
    """"InputError.of", "Phrase", "say", "gr.Error", "figure.update_layout" ... for a call."""
    parts, func = [], call.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    parts.append(func.id if isinstance(func, ast.Name) else "?")
    return ".".join(reversed(parts))


def key_argument(call: ast.Call) -> tuple[str, bool] | None:
    """The first argument as (key, exact): a string, or the start of an f-string (exact False)."""
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value, True
    if isinstance(first, ast.JoinedStr):
        start = ""
        for part in first.values:
            if not isinstance(part, ast.Constant):
                break
            start += part.value
        return start, False
    return None


def said_keys() -> list[tuple[str, str, bool, set[str] | None]]:
    """(where, locale key, exact, the field names given or None when unknown) of every message the code says:
    `X.of("k", ...)` (error.k), `Phrase("k", ...)` (phrase.k), `say("k", ...)` and `t("k")`."""
    found = []
    for path in SOURCES:
        for call in calls(path):
            name = called_name(call)
            if name.endswith(".of") and name.split(".")[-2] in {"InputError", "ModelUnavailable", "cls"}:
                namespace = KeyedMessage.namespace
            elif name == "Phrase":
                namespace = Phrase.namespace
            elif name in ("say", "t"):
                namespace = None
            else:
                continue
            argument = key_argument(call)
            if argument is None:
                continue
            key, exact = argument
            given = None if any(keyword.arg is None for keyword in call.keywords) else {
                keyword.arg for keyword in call.keywords}
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            found.append((where, f"{namespace}.{key}" if namespace else key, exact, given))
    return found


def test_every_key_the_code_says_is_in_every_locale_file_with_the_fields_it_fills():
    said = said_keys()
    assert sum(key.startswith("error.") for _, key, _, _ in said) > 50, "the scan for X.of(...) calls found too few"
    assert sum(key.startswith("phrase.") for _, key, _, _ in said) >= 4, "the scan for Phrase(...) found too few"
    missing, unfilled = [], []
    for where, key, exact, given in said:
        for code, table in TABLES.items():
            if exact and key not in table or not exact and not any(name.startswith(key) for name in table):
                missing.append(f"{where}: {key!r} not in {code}.json")
        if exact and given is not None and key in EN and fields(EN[key]) - given:
            unfilled.append(f"{where}: {key!r} needs {sorted(fields(EN[key]) - given)}")
    assert not missing
    assert not unfilled, "a {field} the call does not fill fails with KeyError when it is said"


def test_every_registry_model_has_a_name_in_every_locale_file():
    missing = [(code, spec.key) for spec in SPECS for code, table in TABLES.items()
               if MODEL_TITLE.format(spec.key) not in table]
    assert not missing


def test_user_errors_are_raised_one_way_by_key():
    """InputError.of(key) / ModelUnavailable.of(key) everywhere; only studio/common.py turns them into gr.Error."""
    other_ways = []
    for path in SOURCES:
        for call in calls(path):
            name = called_name(call)
            if name in ("InputError", "ModelUnavailable", "KeyedMessage"):
                other_ways.append(f"{path.relative_to(ROOT)}:{call.lineno}: {name}(...) (use {name}.of(key))")
            if name == "gr.Error" and path != ROOT / "studio" / "common.py":
                other_ways.append(f"{path.relative_to(ROOT)}:{call.lineno}: gr.Error(...) "
                                  "(raise InputError.of(key) in a @user_errors handler)")
    assert not other_ways


def test_messages_name_their_key_and_values_not_english(monkeypatch):
    error = InputError.of("audio.too_long", minutes=12.5, limit=10)
    assert str(error) == "audio.too_long(minutes=12.5, limit=10)" and error.locale_key == "error.audio.too_long"
    note = Phrase("training.field.seed")
    assert str(note) == "training.field.seed" and note.locale_key == "phrase.training.field.seed"
    assert in_user_language(error) == EN["error.audio.too_long"].format(minutes=12.5, limit=10)
    monkeypatch.setenv("STUDIO_LANG", CHINESE)  # no request: the launch language
    assert in_user_language(error) == ZH_CN["error.audio.too_long"].format(minutes=12.5, limit=10)
    assert in_user_language(note) == ZH_CN["phrase.training.field.seed"]


def test_model_errors_are_said_in_the_language_of_the_page(monkeypatch):
    with pytest.raises(InputError) as raised:
        TrainConfig(learning_rate="fast").validate()
    assert raised.value.key == "training.not_a_number"
    assert in_user_language(raised.value) == "Learning rate must be a number; got 'fast'."
    monkeypatch.setenv("STUDIO_LANG", CHINESE)
    assert in_user_language(raised.value) == "学习率必须是数字；收到的是 'fast'。"  # the setting's name too


# ---------------------------------------------------------------- no English in the code

# Keyword arguments whose text a person reads; positional texts are read for these components too.
SHOWN_KEYWORDS = {"label", "info", "placeholder", "title", "message", "text", "name", "xaxis_title", "yaxis_title",
                  "legend_title_text", "hovertemplate", "ticktext", "choices", "headers"}
SHOWN_POSITIONAL = {"Markdown", "Button", "HTML", "Tab", "Accordion", "Error", "Info", "Warning", "DownloadButton",
                    "UploadButton", "Dropdown", "Radio", "CheckboxGroup", "update", "Textbox"}
# Plotly figure methods that put text on a plot.
FIGURE_METHODS = {"update_layout", "update_xaxes", "update_yaxes", "add_annotation", "add_trace", "update_traces"}
PLACEHOLDERS = re.compile(r"%\{[^}]*\}|\{[^}]*\}|<[^>]*>|&\w+;")


def shown_strings(node: ast.AST):
    """String constants inside an argument that would be shown: not inside another call (t(...), say(...)) or
    a lambda, and of a (label, value) choice only the label."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            yield from shown_strings(part)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = node.elts[:1] if isinstance(node, ast.Tuple) and len(node.elts) == 2 else node.elts
        for item in items:
            yield from shown_strings(item)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value in SHOWN_KEYWORDS:
                yield from shown_strings(value)
    elif isinstance(node, ast.BinOp):
        yield from shown_strings(node.left)
        yield from shown_strings(node.right)
    elif isinstance(node, ast.IfExp):
        yield from shown_strings(node.body)
        yield from shown_strings(node.orelse)


def looks_english(text: str) -> bool:
    return bool(ENGLISH_WORD.search(PLACEHOLDERS.sub(" ", text)))


def english_written_into_studio(paths) -> list[str]:
    found = []
    for path in paths:
        for call in calls(path):
            name = called_name(call)
            last = name.split(".")[-1]
            is_component = name.startswith(("gr.", "go.")) or last in FIGURE_METHODS
            if not is_component or last in ("Examples", "State", "Dataset"):
                continue
            arguments = [keyword.value for keyword in call.keywords if keyword.arg in SHOWN_KEYWORDS]
            if last in SHOWN_POSITIONAL and call.args:
                arguments.append(call.args[0])
            found += [f"{shown_path(path)}:{call.lineno}: {name}(... {text[:60]!r} ...)"
                      for argument in arguments for text in shown_strings(argument) if looks_english(text)]
    return found


def test_no_english_is_written_into_the_studio_code():
    assert not english_written_into_studio(STUDIO_SOURCES)


def test_the_english_scan_sees_what_it_must(tmp_path):
    sample = tmp_path / "tab.py"
    sample.write_text('import gradio as gr\n'
                      'gr.Button("Transcribe")\n'
                      'gr.Markdown(f"Running on **{device}**")\n'
                      'gr.Dropdown([("Whisper tiny (fast)", "whisper-tiny.en")], label="Model")\n'
                      'raise gr.Error("Choose a model first.")\n'
                      'figure.update_layout(title={"text": "Attention weights"})\n'
                      'gr.Textbox(label=t("speech.model"), elem_id="asr-file", placeholder="…")\n'
                      'gr.Radio([(t("attention.transcribe"), "transcribe")])\n')
    found = english_written_into_studio([sample])
    assert [line.removeprefix(str(sample)).split(":")[1] for line in found] == ["2", "3", "4", "4", "5", "6"], found


# ---------------------------------------------------------------- the launched app

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


def test_no_visible_english_bypasses_the_locale_files(config):
    # a language's own name (the language switch, the languages Whisper hears) is written the same in every language
    names = set(LANGUAGE_NAMES.values()) | {"English", "中文", "Português", "Español", "Français", "Deutsch", "日本語", "—"}
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


def test_every_model_picker_names_its_models_from_the_locale_files(config):
    """A choice whose value is a model (a registry key, or one with a locale name) shows that model's locale name."""
    models = {spec.key for spec in SPECS} | {key.removeprefix(MODEL_TITLE.format("")) for key in EN
                                              if key.startswith(MODEL_TITLE.format(""))}
    shown = [(component["props"].get("elem_id"), label, value) for component in config["components"]
             if component["type"] in CHOICE_TYPES for label, value in component["props"].get("choices") or []
             if value in models]
    assert {value for _, _, value in shown} >= {spec.key for spec in SPECS}, "a model is in no picker"
    wrong = [(where, label) for where, label, value in shown
             if label != f'{MARKER}{{"__type__": "translation_metadata", "key": "{MODEL_TITLE.format(value)}"}}']
    assert not wrong


def test_the_language_switch_offers_every_locale_file(config):
    [switch] = [component for component in config["components"]
                if component["props"].get("elem_id") == "studio-language"]
    assert [tuple(choice) for choice in switch["props"]["choices"]] == [
        (table[LANGUAGE_NAME], code) for code, table in TABLES.items()]


def test_every_tab_shows_its_concept_note(config):
    tab_ids = {component["props"]["id"] for component in config["components"]
               if component["type"] == "tabitem" and "-" not in str(component["props"].get("id"))}
    notes = {component["props"]["elem_id"] for component in config["components"]
             if component["type"] == "accordion" and "concept-note" in (component["props"].get("elem_classes") or [])}
    assert tab_ids >= {"speech", "image", "translation", "attention", "training", "models"}
    assert notes >= {f"concept-{tab}" for tab in tab_ids}  # a section of a tab may have its own (detection)
    keys = [json.loads(component["props"]["value"][len(MARKER):])["key"] for component in config["components"]
            if component["type"] == "markdown" and str(component["props"].get("value")).startswith(MARKER)]
    assert {f"{note.removeprefix('concept-')}.concept" for note in notes} <= set(keys)


def messages_in_both_languages(studio_url, *arguments, api_name: str) -> list[str]:
    """The error a call gets from an English page and from a Chinese one."""
    from gradio_client import Client

    messages = []
    for headers in ({}, {"Cookie": f"{COOKIE}={CHINESE}"}):
        with pytest.raises(Exception) as raised:
            Client(studio_url, verbose=False, headers=headers).predict(*arguments, api_name=api_name)
        messages.append(str(raised.value))
    return messages


def test_errors_come_in_the_language_the_page_reports(studio_url):
    english, chinese = messages_in_both_languages(studio_url, None, "whisper-tiny.en", "auto", "transcribe",
                                                  api_name="/transcribe")
    assert EN["error.speech.no_audio"] in english
    assert ZH_CN["error.speech.no_audio"] in chinese


@pytest.mark.parametrize("text, key, values", [
    ("", "translation.no_text", {}),
    ("word " * 10_000, "translation.too_many_characters", {"count": 50_000, "limit": LIMITS.text_characters}),
])
def test_model_errors_come_in_the_language_the_page_reports(studio_url, text, key, values):
    english, chinese = messages_in_both_languages(studio_url, text, "bergamot-en-pt", 1, api_name="/translate")
    assert EN[f"error.{key}"].format(**values) in english
    assert ZH_CN[f"error.{key}"].format(**values) in chinese


@pytest.mark.slow
def test_results_come_in_the_language_the_page_reports(studio_url):
    from gradio_client import Client, handle_file

    chinese = Client(studio_url, verbose=False, headers={"Cookie": f"{COOKIE}={CHINESE}"})
    clip = handle_file(str(ROOT / "assets" / "audio" / "en_weather.wav"))
    texts = [output for output in chinese.predict(clip, "whisper-tiny.en", "auto", "transcribe",
                                                  api_name="/transcribe") if isinstance(output, str)]
    assert any("实时率" in text for text in texts), texts  # the summary line
    assert not any("real-time factor" in text for text in texts), texts
