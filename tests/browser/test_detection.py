"""Object detection in the Image tab, in a real (headless) browser: an example photo in, its boxes with their
labels on the photo, and the step-through's picture and table.

Screenshots go to tests/artifacts/screenshots/detection-*.png.
"""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.browser_harness import (ASSETS, MODEL_SECONDS, UI_SECONDS, button, network_requests, open_studio,
                                           open_tab, screenshot, table_rows, upload, wait_for, wait_for_upload)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MOTORCYCLE = ASSETS / "images" / "motorcycle.jpg"


def box_labels(driver) -> str:
    return driver.find_element(By.ID, "detect-boxes").text


def test_detection_draws_labelled_boxes_and_the_step_through(browser, studio_url, screenshots):
    open_studio(browser, studio_url)
    open_tab(browser, "image")
    before = len(network_requests(browser))
    upload(browser, "detect-input", MOTORCYCLE)  # the upload event detects by itself
    wait_for_upload(browser, before, "the motorcycle photo")
    wait_for(browser, lambda d: "motorbike" in box_labels(d), MODEL_SECONDS, "a motorbike label in #detect-boxes",
             shows=box_labels)
    wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "#detect-boxes img.base-image")), UI_SECONDS,
             "the photo under the boxes")
    legend = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#detect-boxes .legend-item")]
    assert legend[0].startswith("motorbike 0.")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#detect-boxes img.mask")) == len(legend)  # a box per label
    rows = wait_for(browser, lambda d: table_rows(d, "detect-candidates"), UI_SECONDS, "the candidate table")
    assert rows[0][1] == "motorbike" and rows[0][-1] == "kept"
    assert any(row[-1].startswith("removed by #") for row in rows)
    screenshot(browser, screenshots, "detection-boxes")

    first = browser.find_element(By.CSS_SELECTOR, "#detect-step img").get_attribute("src")
    browser.find_element(By.XPATH, "//*[@id='detect-step-choice']//label[contains(., 'cells and anchors')]").click()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#detect-step img").get_attribute("src") != first,
             UI_SECONDS, "the cells-and-anchors step drawn")
    button(browser, "Detect").click()  # the button runs the same detection again
    wait_for(browser, lambda d: "motorbike" in box_labels(d), MODEL_SECONDS, "the boxes after Detect")
    screenshot(browser, screenshots, "detection-cells")
