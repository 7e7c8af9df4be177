"""English / 中文 in a real browser: the header switch turns every tab Chinese, each tab shows its concept note,
the choice survives a reload, the switch follows Gradio's own language picker, and every tab is photographed
in both languages (tests/artifacts/screenshots/language-<lang>-<tab>.png)."""
import re

import pytest
from selenium.webdriver.common.by import By

from studio.i18n import COOKIE, EN, ENGLISH, TABLES
from tests.browser.browser_harness import UI_SECONDS, open_studio, open_tab, screenshot, top_tabs, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHINESE = "zh-CN"
ZH_CN = TABLES[CHINESE]
HAN = re.compile(r"[\u4e00-\u9fff]")
# English texts that the Chinese page must not show (those the tables translate to something else); each
# language's own name stays in the language switch, as language pickers do.
ENGLISH_ONLY = {english for key, english in EN.items() if ZH_CN[key] != english and key != "app.language_name"}


def page_language(driver) -> str:
    return driver.execute_script("return document.documentElement.lang")


def switch_to(driver, code: str) -> None:
    option = driver.find_element(By.CSS_SELECTOR, f"#studio-language input[value='{code}']")
    driver.execute_script("arguments[0].click()", option)
    wait_for(driver, lambda d: page_language(d) == code and d.get_cookie(COOKIE)["value"] == code, UI_SECONDS,
             f"the page and its cookie in {code}")


def visible_labels(driver) -> list[str]:
    """Block labels, buttons and choices a person sees now (the other tabs' are hidden)."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll("[data-testid='block-info'], button, label > span"))
            .filter(e => e.offsetParent !== null).map(e => e.textContent.trim()).filter(Boolean);""")


def concept_note(driver, tab_id: str) -> str:
    note = driver.find_element(By.ID, f"concept-{tab_id}")
    assert note.is_displayed(), f"the {tab_id} tab hides its concept note"
    return note.text


def photograph_every_tab(driver, screenshots, language: str) -> dict[str, list[str]]:
    """Open each top-level tab, check its concept note, save language-<language>-<tab>.png; {tab: labels}."""
    seen = {}
    for tab_id in top_tabs(driver).values():
        open_tab(driver, tab_id)
        note = concept_note(driver, tab_id)
        expected = (ZH_CN if language == "zh" else EN)[f"{tab_id}.concept"]
        first_words = re.sub(r"[*_`]", "", expected)[:12]
        assert first_words in note, f"{tab_id}: concept note shows {note[:80]!r}, expected {first_words!r}…"
        seen[tab_id] = visible_labels(driver)
        screenshot(driver, screenshots, f"language-{language}-{tab_id}", settled=False)
    return seen


def test_switching_to_chinese_translates_every_tab(make_browser, studio_url, screenshots):
    driver = make_browser()  # its own profile: the remembered language stays out of the other tests
    open_studio(driver, studio_url)
    assert page_language(driver).startswith("en") and driver.get_cookie(COOKIE)["value"] == ENGLISH
    english_tabs = top_tabs(driver)
    assert list(english_tabs)[:2] == [EN["speech.tab"], EN["image.tab"]], english_tabs
    photograph_every_tab(driver, screenshots, "en")

    switch_to(driver, CHINESE)
    wait_for(driver, lambda d: all(HAN.search(label) for label in top_tabs(d)), UI_SECONDS,
             "every tab name in Chinese", shows=lambda d: list(top_tabs(d)))
    assert list(top_tabs(driver).values()) == list(english_tabs.values())
    for tab_id, labels in photograph_every_tab(driver, screenshots, "zh").items():
        chinese = [label for label in labels if HAN.search(label)]
        english = [label for label in labels if label in ENGLISH_ONLY]
        assert len(chinese) >= 3 and not english, f"{tab_id}: Chinese {chinese[:5]}, still English {english}"

    driver.refresh()
    open_studio(driver, studio_url)
    wait_for(driver, lambda d: page_language(d) == CHINESE and all(HAN.search(label) for label in top_tabs(d)),
             UI_SECONDS, "the page to come back in Chinese", shows=lambda d: list(top_tabs(d)))
    # Back to English the way Gradio's Settings picker does it (its changeLocale): the header switch follows.
    driver.execute_script("window.studioSetLanguage(arguments[0])", ENGLISH)
    wait_for(driver, lambda d: top_tabs(d) == english_tabs and d.get_cookie(COOKIE)["value"] == ENGLISH
             and d.find_element(By.CSS_SELECTOR, f"#studio-language input[value='{ENGLISH}']").is_selected(),
             UI_SECONDS, "English tab names, cookie and switch", shows=lambda d: list(top_tabs(d)))
