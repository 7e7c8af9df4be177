"""The speech recognizer in a real browser: the CTC task trained from the Training tab (its recordings made on
first use, one variant, two epochs), then its panel decodes a clip (the posteriors heatmap, the n-best) and fills
the greedy vs + n-gram vs + LSTM LM table on the held-out voice."""
import pytest
import soundfile
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from models.speech.audio import SAMPLE_RATE
from models.speech.spoken_set import HELD_OUT_VOICE, espeak
from tests.browser.browser_harness import UI_SECONDS, button, open_studio, open_tab, screenshot, table_rows, upload, \
    wait_for
from studio.training import RUN_COLUMNS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCHS = 2
TRAINING_SECONDS = 900  # the recordings (first use: minutes) and one CTC model, two epochs, on a busy 2-core CPU
SCORING_SECONDS = 300  # the LSTM language model trains, then 120 held-out clips, three decoders
STATUS_COLUMN, TASK_COLUMN = RUN_COLUMNS.index("status"), RUN_COLUMNS.index("task")


def has_heatmap(driver, elem_id: str) -> bool:
    """Whether the figure inside #elem_id holds a heatmap (its x and z may be sent as binary data, so not counted)."""
    return driver.execute_script("""
        const plot = document.querySelector(`#${arguments[0]} .js-plotly-plot`);
        const heatmap = plot && plot.data && plot.data.find(trace => trace.type === "heatmap");
        return Boolean(heatmap);""", elem_id)


def test_train_the_recognizer_from_the_ui_and_watch_it_decode(browser, studio_url, screenshots, tmp_path):
    clip = tmp_path / "command.wav"
    soundfile.write(clip, espeak("turn left three steps", HELD_OUT_VOICE, 170, 50), SAMPLE_RATE)
    open_studio(browser, studio_url)
    open_tab(browser, "training")
    browser.find_element(By.CSS_SELECTOR, "#train-task input[role='combobox']").click()
    wait_for(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, "li[role='option'][aria-label^='Speech recognizer']")),
             UI_SECONDS, "the speech recognizer task").click()
    for variant in ("BiLSTM only", "Transformer"):  # one variant is enough here
        wait_for(browser, EC.element_to_be_clickable((By.XPATH, f"//label[normalize-space()='{variant}']")),
                 UI_SECONDS, f"the {variant} box").click()
    epochs = browser.find_element(By.CSS_SELECTOR, "#train-epochs input")
    epochs.send_keys(Keys.CONTROL, "a")
    epochs.send_keys(str(EPOCHS), Keys.TAB)
    browser.find_element(By.CSS_SELECTOR, "#train-start").click()
    wait_for(browser, lambda d: any(len(row) > STATUS_COLUMN and row[TASK_COLUMN] == "ctc"
                                    and row[STATUS_COLUMN] == "finished" for row in table_rows(d, "train-runs")),
             TRAINING_SECONDS, "the CTC run finished", shows=lambda d: d.find_element(By.ID, "train-status").text)

    wait_for(browser, EC.element_to_be_clickable((By.XPATH, "//*[@id='ctc-panel']//*[starts-with(normalize-space(), "
                                                            "'Try a speech recognizer')]")), UI_SECONDS,
             "the recognizer panel's title").click()
    button(browser, "Refresh the list").click()
    upload(browser, "ctc-audio", clip)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#ctc-audio audio, #ctc-audio .waveform-container"),
             UI_SECONDS, "the clip in the player")
    browser.find_element(By.ID, "ctc-run").click()
    wait_for(browser, lambda d: has_heatmap(d, "ctc-posteriors"), UI_SECONDS * 4, "the posteriors heatmap")
    wait_for(browser, lambda d: table_rows(d, "ctc-nbest"), UI_SECONDS, "the n-best table")
    browser.find_element(By.ID, "ctc-score").click()
    rows = wait_for(browser, lambda d: len(table_rows(d, "ctc-wer")) >= 3 and table_rows(d, "ctc-wer"),
                    SCORING_SECONDS, "the held-out WER table")
    screenshot(browser, screenshots, "training-recognizer")
    assert [row[0] for row in rows[:3]] == ["greedy (acoustic model only)", "beam + n-gram LM", "beam + LSTM LM"]
