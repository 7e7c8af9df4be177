"""The studio in every language that has a locale file (studio/locales/<code>.json: key -> text with {fields}).

A language is one file: its code is the file name (a BCP 47 tag, as Gradio's own locales), its name for the
language switch is its "app.language_name" text, and it has every key of en.json with the same {fields}.

What Gradio draws (labels, buttons, Markdown, tab names, choices) is translated in the browser:
pass `t("key")`. What the server writes (error messages, plot titles, status lines) is translated
here, in the language the page shows: `say("key", **values)`. The page reports its language in a
cookie, set on load and whenever the language changes (the switch in the header or Gradio's
Settings panel), so both halves always agree.
"""
import json
import os
from pathlib import Path

import gradio as gr
from gradio.context import LocalContext
from gradio.i18n import I18nData

LOCALES = Path(__file__).resolve().parent / "locales"
ENGLISH = "en"  # the reference file, and the language of a page whose language has no file
LANGUAGE_NAME = "app.language_name"
COOKIE = "studio_lang"


def read_locales(folder: Path = LOCALES) -> dict[str, dict[str, str]]:
    """Every locale file in `folder`, by language code (its file name): key -> text. English first."""
    paths = sorted(folder.glob("*.json"), key=lambda path: (path.stem != ENGLISH, path.stem))
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in paths}


TABLES = read_locales()
EN = TABLES[ENGLISH]
LANGUAGE_NAMES = {code: table[LANGUAGE_NAME] for code, table in TABLES.items()}
I18N = gr.I18n(**TABLES)


def language_code(name: str | None, codes=tuple(TABLES)) -> str | None:
    """The locale file for a language tag: the same tag ("zh-cn" -> "zh-CN"), else the same language
    ("zh", "zh_Hans", "zh-TW" -> "zh-CN"; "en-GB" -> "en"); None when no file speaks it."""
    wanted = (name or "").strip().lower().replace("_", "-")
    if not wanted:
        return None
    language = wanted.split("-")[0]
    return (next((code for code in codes if code.lower() == wanted), None)
            or next((code for code in codes if code.lower().split("-")[0] == language), None))


def launch_language() -> str | None:
    """The language the studio was launched in (--lang or STUDIO_LANG); None: the browser's."""
    return language_code(os.environ.get("STUDIO_LANG"))


def current_language() -> str:
    """The language of the page that sent the request being handled; the launch language otherwise."""
    request = LocalContext.request.get(None)
    cookies = (getattr(request, "cookies", None) or {}) if request is not None else {}
    return language_code(cookies.get(COOKIE)) or launch_language() or ENGLISH


def t(key: str) -> I18nData:
    """`key`'s text for a component, translated by the browser (a missing key fails at build time)."""
    if key not in EN:
        raise KeyError(f"no UI text {key!r} in studio/locales/{ENGLISH}.json")
    return I18N(key)


def say(key: str, **values) -> str:
    """`key`'s text in the user's language, with `values` filled in ({name} fields)."""
    text = TABLES[current_language()][key]
    return text.format(**values) if values else text


PAGE_SCRIPT = """
  const root = document.documentElement;
  // the locale file for a page language, as studio.i18n.language_code does on the server
  const fileFor = (lang) => {
    const wanted = (lang || "").toLowerCase();
    return studio.codes.find((code) => code.toLowerCase() === wanted)
      || studio.codes.find((code) => code.toLowerCase().split("-")[0] === wanted.split("-")[0]) || studio.fallback;
  };
  const wanted = localStorage.getItem(studio.cookie) || studio.launch;
  const report = () => { document.cookie = studio.cookie + "=" + (root.lang || studio.fallback) + "; path=/; SameSite=Lax"; };
  if (wanted && wanted !== root.lang) await window.studioSetLanguage(wanted);
  report();
  new MutationObserver(() => {
    report();
    localStorage.setItem(studio.cookie, root.lang);
    // chosen in Gradio's Settings: the header switch follows, and with it the tab names and server texts
    const option = document.querySelector(`#studio-language input[value="${fileFor(root.lang)}"]`);
    if (option && !option.checked) option.click();
  }).observe(root, {attributes: true, attributeFilter: ["lang"]});
  return fileFor(root.lang);
}"""


def page_script() -> str:
    """Runs on page load: applies the remembered (or launch) language, mirrors the page's language into
    the cookie the server reads, remembers the user's choices, and returns it for the header switch."""
    settings = {"cookie": COOKIE, "launch": launch_language() or "", "codes": list(TABLES), "fallback": ENGLISH}
    return "async () => {\n  const studio = " + json.dumps(settings) + ";" + PAGE_SCRIPT


# Gradio's own language picker (Settings) calls changeLocale in its core module; the header switch
# calls the same function, found among the modules the page loaded.
HEAD = """<script>
window.studioSetLanguage = async (code) => {
  const loaded = performance.getEntriesByType("resource").map((entry) => entry.name)
    .concat([...document.querySelectorAll("link[href], script[src]")].map((node) => node.href || node.src));
  const core = loaded.find((url) => /\\/assets\\/core-[\\w-]+\\.js$/.test(url));
  if (!core) { console.warn("studio: Gradio's i18n module not found"); return; }
  (await import(core)).changeLocale(code);
  for (let waited = 0; document.documentElement.lang !== code && waited < 10000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));  // a language's table loads lazily
  }
};
</script>"""


SWITCH_SCRIPT = "async (code) => { await window.studioSetLanguage(code); return code; }"


_redraws: list[tuple] = []  # (function, inputs, outputs) of the app being built, wired by wire_language_switch


def redraw_on_language_change(function, outputs, inputs=None) -> None:
    """Text the server draws (table headers, plot titles): `function(*inputs)` redraws `outputs` after each
    language change and page load, so it follows the page's language."""
    _redraws.append((function, inputs, outputs))


def tab_items(block: gr.blocks.BlockContext) -> list[gr.Tab]:
    """Every tab inside `block`, nested ones too."""
    found = []
    for child in getattr(block, "children", []):
        found += ([child] if isinstance(child, gr.Tab) else []) + tab_items(child)
    return found


def drop_untranslatable_headers(demo: gr.Blocks) -> None:
    """Examples tables take their headers from the inputs' labels, which the browser does not translate
    there: they would show the raw key, so they go (each example still sits under its input)."""
    for block in demo.blocks.values():
        if isinstance(block, gr.Dataset) and any(isinstance(header, I18nData) for header in block.headers):
            block.headers = []


def wire_language_switch(switch: gr.Radio, demo: gr.Blocks, tabs: gr.Tabs) -> None:
    """The page script on load, the switch's handler, and the tab names re-sent after both: Gradio
    translates the name of a tab that was never opened only once, when it builds the page."""
    every_tab = tab_items(tabs)
    redraws = list(_redraws)
    _redraws.clear()

    def tab_names():
        return [gr.update(label=tab.label) for tab in every_tab]

    for event, script, inputs in ((demo.load, page_script(), None), (switch.input, SWITCH_SCRIPT, switch)):
        changed = event(None, inputs, switch, js=script, api_visibility="private")
        changed.then(tab_names, None, every_tab, queue=False, api_visibility="private", show_progress="hidden")
        for function, redraw_inputs, outputs in redraws:
            changed.then(function, redraw_inputs, outputs, api_visibility="private", show_progress="hidden")
