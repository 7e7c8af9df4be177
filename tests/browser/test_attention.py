"""The Attention tab in a real (headless) browser: every kind of model runs on an example and the
layer × head grid is drawn (one mosaic heatmap, a tick label per layer and per head); the picture / spectrogram overlay
and the language model's predictions appear for the models that have them.

Screenshots go to tests/artifacts/screenshots/attention-*.png.
"""
from dataclasses import dataclass

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from tests.browser.browser_harness import (
    ASSETS,
    MODEL_SECONDS,
    UI_SECONDS,
    button,
    click_when_free,
    network_requests,
    open_studio,
    open_tab,
    screenshot,
    upload,
    wait_for,
    wait_for_upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANGUAGE_MODEL_SECONDS = 300  # dequantising SmolLM2 on first use takes 15–100 s on a loaded 2-core CPU


@dataclass(frozen=True)
class Case:
    key: str
    title: str  # how the model dropdown names it (its start)
    layers: int  # of the first attention block, the one the grid shows first
    heads: int
    text: str | None = None
    clip: str | None = None
    overlay: bool = False
    seconds: float = MODEL_SECONDS


CASES = [
    Case("all-minilm-l6-v2", "all-MiniLM-L6-v2", 6, 12, text="The cat sat on the mat."),
    Case("bergamot-en-pt", "English → Portuguese", 6, 8, text="The cat is sleeping on the sofa."),
    Case("whisper-tiny.en", "Whisper tiny.en", 4, 6, clip="en_weather.wav", overlay=True),
    Case("digits-vit", "Digits ViT", 3, 4, overlay=True),
    Case("smollm2-135m", "SmolLM2", 30, 9, text="The capital of France is", seconds=LANGUAGE_MODEL_SECONDS),
]


def grid_shape(driver) -> tuple[int, int]:
    """(layers, heads) the drawn grid names: its mosaic heatmap's y and x tick labels; (0, 0) before it is drawn."""
    if not driver.find_elements(By.CSS_SELECTOR, "#attention-grid g.hm image"):
        return 0, 0
    ticks = [len(driver.find_elements(By.CSS_SELECTOR, f"#attention-grid g.{axis}tick text")) for axis in "yx"]
    return ticks[0], ticks[1]


def choose_model(driver, title: str) -> None:
    """Pick the model in #attention-model whose title starts with `title`."""
    field = driver.find_element(By.CSS_SELECTOR, "#attention-model input[role='combobox']")
    click_when_free(driver, field, "the model dropdown")
    option = wait_for(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, f"li[role='option'][aria-label^='{title}']")),
                      UI_SECONDS, f"the {title!r} option")
    option.click()
    wait_for(driver, lambda d: field.get_property("value").startswith(title), UI_SECONDS, f"{title!r} chosen")


@pytest.mark.parametrize("case", CASES, ids=[case.key for case in CASES])
def test_attention_tab_draws_the_grid_for_every_kind_of_model(browser, studio_url, screenshots, case):
    open_studio(browser, studio_url)
    open_tab(browser, "attention")
    choose_model(browser, case.title)
    if case.text is not None:
        text = browser.find_element(By.CSS_SELECTOR, "#attention-text textarea")
        text.clear()
        text.send_keys(case.text)
    if case.clip is not None:
        before = len(network_requests(browser))
        upload(browser, "attention-audio", ASSETS / "audio" / case.clip)
        wait_for_upload(browser, before, case.clip)
    button(browser, "Show attention").click()

    wait_for(browser, lambda d: grid_shape(d) == (case.layers, case.heads), case.seconds,
             f"a {case.layers} × {case.heads} grid in #attention-grid", shows=lambda d: f"(layers, heads) {grid_shape(d)}")
    wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "#attention-head .main-svg")),
             case.seconds, "the large head view")
    if case.overlay:
        wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "#attention-overlay .main-svg")),
                 case.seconds, "the attention laid over the picture / spectrogram")
    else:
        assert not browser.find_elements(By.CSS_SELECTOR, "#attention-overlay .main-svg")
    if case.key == "smollm2-135m":
        predictions = wait_for(browser, EC.visibility_of_element_located(
            (By.CSS_SELECTOR, "#attention-predictions .main-svg")), case.seconds, "the next-token predictions")
        assert "Paris" in predictions.get_attribute("textContent"), "Paris is not among the predictions after 'is'"
        continuation = wait_for(browser, lambda d: d.find_element(By.ID, "attention-continuation").text.strip(),
                                case.seconds, "the greedy continuation")
        assert continuation.startswith(case.text) and len(continuation) > len(case.text)
    screenshot(browser, screenshots, f"attention-{case.key}")


def test_translation_tab_sends_its_text_and_model_to_the_attention_tab(browser, studio_url):
    open_studio(browser, studio_url)
    open_tab(browser, "translation")
    source = wait_for(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, "#translation-input textarea")),
                      UI_SECONDS, "the source textbox")
    source.clear()
    source.send_keys("Where is the library?")
    browser.find_element(By.ID, "translation-send-attention").click()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "button[role='tab'][data-tab-id='attention']")
             .get_attribute("aria-selected") == "true", UI_SECONDS, "the Attention tab opened")
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#attention-text textarea").get_property("value")
             == "Where is the library?", UI_SECONDS, "the sentence in the attention text box")
    model = browser.find_element(By.CSS_SELECTOR, "#attention-model input[role='combobox']")
    assert model.get_property("value").startswith("English → Portuguese"), model.get_property("value")
