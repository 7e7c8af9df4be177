"""Attributions in a real (headless) browser: in the Image tab a photo's integrated gradients laid over it with
their deletion curve (the method's curve and the random one, each with its area).

Screenshots go to tests/artifacts/screenshots/explain-*.png.
"""
import pytest
from selenium.webdriver.common.by import By

from tests.browser.browser_harness import (ASSETS, MODEL_SECONDS, network_requests, open_studio, open_tab, screenshot,
                                           upload, wait_for, wait_for_upload)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ATTRIBUTION_SECONDS = 240  # integrated gradients and two deletion curves on a loaded 2-core CPU
COFFEE = ASSETS / "images" / "coffee.jpg"


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
