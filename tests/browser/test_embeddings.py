"""The Embeddings tab in Chromium: a word list drawn as a projection with its words (Chinese group names too),
and a word's nearest neighbours."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.browser_harness import MODEL_SECONDS, button, open_studio, open_tab, screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORDS = "国家: france, japan, china\n首都: paris, tokyo, beijing"


def plot_text(driver, elem_id: str) -> str:
    """The text inside the plotly figure of the gr.Plot with that elem_id ("" until it is drawn)."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll(`#${arguments[0]} .main-svg`), svg => svg.textContent).join(" ");""",
                                 elem_id)


def test_the_embeddings_tab_draws_a_projection_of_the_words_typed(browser, studio_url, screenshots):
    open_studio(browser, studio_url)
    open_tab(browser, "embeddings")
    words = browser.find_element(By.CSS_SELECTOR, "#embeddings-words textarea")
    words.clear()
    words.send_keys(WORDS)
    button(browser, "Draw").click()

    drawn = wait_for(browser, lambda d: all(word in plot_text(d, "embeddings-projection")
                                            for word in ("paris", "tokyo", "beijing", "france", "国家", "首都")),
                     MODEL_SECONDS, "the six words and both groups on the projection",
                     shows=lambda d: plot_text(d, "embeddings-projection")[:200])
    assert drawn
    wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, "#embeddings-similarity .main-svg")),
             MODEL_SECONDS, "the similarity matrix")

    button(browser, "Find neighbours").click()
    wait_for(browser, lambda d: "dog" in plot_text(d, "embeddings-neighbours"), MODEL_SECONDS,
             "dog among the neighbours of cat", shows=lambda d: plot_text(d, "embeddings-neighbours")[:200])
    screenshot(browser, screenshots, "embeddings-projection")
