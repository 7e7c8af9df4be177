"""Fine-tuning SmolLM2 in a real browser: the lm-lora task on pasted text, one LoRA variant for one epoch from the
Training tab, then the comparison panel shows the held-out perplexity before and after and the same prompt
continued by the original and the fine-tuned model side by side."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from studio.training import RUN_COLUMNS
from tests.browser.browser_harness import UI_SECONDS, button, open_studio, open_tab, screenshot, table_rows, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRAINING_SECONDS = 900  # SmolLM2 converted on first use, then a few LoRA steps on a busy 2-core CPU
COMPARING_SECONDS = 300  # both models over the held-out passages, and one prompt continued by each
STATUS_COLUMN, TASK_COLUMN = RUN_COLUMNS.index("status"), RUN_COLUMNS.index("task")
PROMPT = "Train 12 from"
TEXT = "\n".join(f"Train {n} from {('York', 'Hull', 'Bath', 'Ely')[n % 4]} leaves at {n % 12 + 1} o'clock."
                 for n in range(48))


def test_fine_tune_smollm2_from_the_ui_and_see_its_continuations_beside_the_original(browser, studio_url,
                                                                                      screenshots):
    open_studio(browser, studio_url)
    open_tab(browser, "training")
    browser.find_element(By.CSS_SELECTOR, "#train-task input[role='combobox']").click()
    task = (By.CSS_SELECTOR, "li[role='option'][aria-label^='Fine-tune SmolLM2']")
    wait_for(browser, EC.element_to_be_clickable(task), UI_SECONDS, "the fine-tuning task").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "lm-text-panel").is_displayed(), UI_SECONDS, "the text panel")
    wait_for(browser, EC.element_to_be_clickable((By.XPATH, "//*[@id='lm-source']//label[normalize-space()="
                                                            "'My text (below)']")), UI_SECONDS, "'My text'").click()
    browser.find_element(By.CSS_SELECTOR, "#lm-text textarea").send_keys(TEXT)
    for variant in ("LoRA, rank 16", "last 2 layers fully fine-tuned"):  # one variant is enough here
        wait_for(browser, EC.element_to_be_clickable((By.XPATH, f"//label[normalize-space()='{variant}']")),
                 UI_SECONDS, f"the {variant} box").click()
    epochs = browser.find_element(By.CSS_SELECTOR, "#train-epochs input")
    epochs.send_keys(Keys.CONTROL, "a")
    epochs.send_keys("1", Keys.TAB)
    browser.find_element(By.CSS_SELECTOR, "#train-start").click()
    wait_for(browser, lambda d: any(len(row) > STATUS_COLUMN and row[TASK_COLUMN] == "lm-lora"
                                    and row[STATUS_COLUMN] == "finished" for row in table_rows(d, "train-runs")),
             TRAINING_SECONDS, "the LoRA run finished", shows=lambda d: d.find_element(By.ID, "train-status").text)

    wait_for(browser, EC.element_to_be_clickable((By.XPATH, "//*[@id='lm-panel']//*[starts-with(normalize-space(), "
                                                            "'Compare a fine-tuned SmolLM2')]")), UI_SECONDS,
             "the comparison panel's title").click()
    button(browser, "Refresh list").click()
    wait_for(browser, lambda d: "LoRA, rank 4" in d.find_element(By.CSS_SELECTOR, "#lm-model input").get_attribute(
        "value"), UI_SECONDS, "the fine-tuned model chosen")
    browser.find_element(By.CSS_SELECTOR, "#lm-prompts textarea").send_keys(PROMPT)
    browser.find_element(By.ID, "lm-compare").click()
    rows = wait_for(browser, lambda d: table_rows(d, "lm-continuations"), COMPARING_SECONDS,
                    "the continuations side by side")
    screenshot(browser, screenshots, "training-lm-lora")
    [(prompt, before, after)] = [row[:3] for row in rows]
    assert prompt == PROMPT and before.strip() and after.strip()
    assert "Held-out perplexity" in browser.find_element(By.ID, "lm-perplexity").text
    assert "MB" in browser.find_element(By.ID, "lm-sizes").text
