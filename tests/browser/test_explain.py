"""Attributions in a real (headless) browser: in the Image tab a photo's integrated gradients laid over it with
their deletion curve (the method's curve and the random one, each with its area); in the Translation tab an edit and
compare (one word changed: both sentences' attribution maps side by side, the edited pieces marked).

Screenshots go to tests/artifacts/screenshots/explain-*.png.
"""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.browser_harness import (ASSETS, MODEL_SECONDS, UI_SECONDS, error_toasts, network_requests,
                                           open_studio, open_tab, screenshot, upload, wait_for, wait_for_upload)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ATTRIBUTION_SECONDS = 240  # integrated gradients and two deletion curves on a loaded 2-core CPU
COFFEE = ASSETS / "images" / "coffee.jpg"
SENTENCE, EDITED = "The cat sleeps on the red sofa.", "The dog sleeps on the red sofa."
EDIT_MARK = "✎"


def deletion_legend(driver) -> list[str]:
    return [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#explain-photo-deletion .legendtext")]


def test_the_image_tab_shows_an_attribution_with_its_deletion_curve(browser, studio_url, screenshots):
    open_studio(browser, studio_url)
    open_tab(browser, "image")
    before = len(network_requests(browser))
    upload(browser, "image-input", COFFEE)  # the upload classifies by itself
    wait_for_upload(browser, before, "the coffee photo")
    wait_for(browser, lambda d: "espresso" in d.find_element(By.ID, "image-top5").text, MODEL_SECONDS,
             "espresso in the top 5")
    run = browser.find_element(By.ID, "explain-photo-run")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", run)
    legend = wait_for(browser, lambda d: len(deletion_legend(d)) == 2 and deletion_legend(d), ATTRIBUTION_SECONDS,
                      "the deletion curve's two lines", shows=deletion_legend)
    assert legend[0].startswith("Integrated gradients (area 0.") and legend[1].startswith("random order (area 0.")
    assert browser.find_elements(By.CSS_SELECTOR, "#explain-photo-overlay img")
    assert "espresso" in browser.find_element(By.ID, "explain-photo-summary").text
    screenshot(browser, screenshots, "explain-photo")


def subplot_titles(driver, elem_id: str) -> list[str]:
    return [title.text for title in driver.find_elements(By.CSS_SELECTOR, f"#{elem_id} .annotation-text")]


def test_the_translation_tab_compares_an_edited_sentence_side_by_side(browser, studio_url, screenshots):
    open_studio(browser, studio_url)
    open_tab(browser, "translation")
    source = wait_for(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, "#translation-input textarea")),
                      UI_SECONDS, "the source textbox")
    source.clear()
    source.send_keys(SENTENCE)
    edited = browser.find_element(By.CSS_SELECTOR, "#compare-translation-edited textarea")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", edited)
    edited.send_keys(EDITED)
    method = browser.find_element(By.CSS_SELECTOR, "#explain-translation-method input[value='gradient-x-input']")
    browser.execute_script("arguments[0].click()", method)
    run = browser.find_element(By.ID, "compare-translation-run")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", run)
    titles = wait_for(browser, lambda d: len(subplot_titles(d, "compare-translation-scores")) == 2
                      and subplot_titles(d, "compare-translation-scores"), ATTRIBUTION_SECONDS,
                      "both translations' attribution maps", shows=lambda d: error_toasts(d) or
                      subplot_titles(d, "compare-translation-scores"))
    assert "gato" in titles[0] and ("cão" in titles[1] or "cachorro" in titles[1]), titles
    ticks = browser.find_element(By.ID, "compare-translation-scores").text
    assert f"cat {EDIT_MARK}" in ticks and f"dog {EDIT_MARK}" in ticks, ticks
    assert len(subplot_titles(browser, "compare-translation-probabilities")) == 2
    screenshot(browser, screenshots, "explain-translation-compare")
