"""Fine-tuning Whisper tiny.en in a real browser: the whisper-finetune task on the user's recordings (wav clips
uploaded with one line of text each), the decoder variant alone for a few epochs from the Training tab; then the
comparison panel shows the held-out word error rate falling and each held-out clip transcribed by the original and
the fine-tuned model side by side, and the Speech tab offers the fine-tuned model."""
import re
from pathlib import Path

import pytest
import soundfile
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from models.speech.audio import SAMPLE_RATE
from models.speech.spoken_set import espeak
from studio.training import RUN_COLUMNS
from tests.browser.browser_harness import (UI_SECONDS, network_requests, open_studio, open_tab, screenshot,
                                           table_rows, uploads_finished, wait_for)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRAINING_SECONDS = 900  # the clips through Whisper's encoder, then the decoder trained, on a busy 2-core CPU
COMPARING_SECONDS = 300  # both models over the held-out clips
RUN_COLUMN, STATUS_COLUMN, TASK_COLUMN, VARIANT_COLUMN = (RUN_COLUMNS.index(name)
                                                          for name in ("run", "status", "task", "variant"))
# names and jargon tiny.en writes as words it knows (as in tests/ui/test_whisper_finetune.py)
PHRASES = ["Siobhan deployed the new Kubernetes cluster.", "Ask Nguyen to review the PyTorch checkpoint.",
           "Niamh fine-tuned Whisper with LoRA adapters.", "Saoirse plotted the ReLU and the GELU activations."]
VOICES = ["en-us", "en-gb+m3", "en-us+f2"]
EPOCHS, BATCH = 4, 4  # as the API test's run, which lowers the held-out WER
WER = re.compile(r"([\d.]+)%\s*before\s*→\s*([\d.]+)%\s*after")


@pytest.fixture
def clips(tmp_path) -> list[str]:
    """Each phrase in each voice, as wav files: the texts are PHRASES * len(VOICES), in that order."""
    paths = []
    for voice in VOICES:
        for number, phrase in enumerate(PHRASES):
            path = tmp_path / f"{voice}-{number}.wav"
            soundfile.write(path, espeak(phrase, voice, 165, 50), SAMPLE_RATE)
            paths.append(str(path.resolve()))
    return paths


def set_number(driver, locator: tuple, value: int) -> None:
    field = driver.find_element(*locator)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value), Keys.TAB)


def whisper_runs(driver) -> list[list[str]]:
    return [row for row in table_rows(driver, "train-runs")
            if len(row) > STATUS_COLUMN and row[TASK_COLUMN] == "whisper-finetune"]


def test_fine_tune_whisper_on_uploaded_clips_from_the_ui_and_compare_it_with_the_original(browser, studio_url,
                                                                                        screenshots, clips):
    open_studio(browser, studio_url)
    open_tab(browser, "training")
    earlier = {row[RUN_COLUMN] for row in whisper_runs(browser)}
    browser.find_element(By.CSS_SELECTOR, "#train-task input[role='combobox']").click()
    task = (By.CSS_SELECTOR, "li[role='option'][aria-label^='Fine-tune Whisper tiny.en']")
    wait_for(browser, EC.element_to_be_clickable(task), UI_SECONDS, "the Whisper fine-tuning task").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "whisper-clip-panel").is_displayed(), UI_SECONDS,
             "the clip panel")
    wait_for(browser, EC.element_to_be_clickable((By.XPATH, "//*[@id='whisper-source']//label[normalize-space()="
                                                            "'My recordings']")), UI_SECONDS,
             "'My recordings'").click()

    since = len(network_requests(browser))
    field = wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "#whisper-uploads input[type='file']")),
                     UI_SECONDS, "the clips' file input")
    field.send_keys("\n".join(clips))
    wait_for(browser, lambda d: uploads_finished(d, since), UI_SECONDS, "the clips uploaded")
    wait_for(browser, lambda d: all(Path(path).stem in d.find_element(By.ID, "whisper-uploads").text.split()
                                    for path in clips), UI_SECONDS, f"the {len(clips)} clips listed",
             shows=lambda d: d.find_element(By.ID, "whisper-uploads").text)
    texts = browser.find_element(By.CSS_SELECTOR, "#whisper-texts textarea")
    texts.send_keys("\n".join(PHRASES * len(VOICES)))
    assert [line for line in (texts.get_property("value") or "").splitlines() if line.strip()] \
        == PHRASES * len(VOICES)

    lora = wait_for(browser, EC.element_to_be_clickable((By.XPATH, "//label[normalize-space()='LoRA, rank 16']")),
                    UI_SECONDS, "the LoRA box")
    lora.click()  # the decoder variant alone
    wait_for(browser, lambda d: not lora.find_element(By.TAG_NAME, "input").is_selected(), UI_SECONDS, "LoRA unticked")
    assert browser.find_element(By.XPATH, "//label[normalize-space()='decoder layers fully fine-tuned']//input") \
        .is_selected()
    set_number(browser, (By.CSS_SELECTOR, "#train-epochs input"), EPOCHS)
    set_number(browser, (By.XPATH, "//label[.//span[normalize-space()='Batch size']]//input[@type='number']"), BATCH)
    browser.find_element(By.CSS_SELECTOR, "#train-start").click()

    def finished(d):
        rows = [row for row in whisper_runs(d) if row[RUN_COLUMN] not in earlier]
        if any(row[STATUS_COLUMN] not in ("queued", "running", "finished") for row in rows):
            pytest.fail(f"the Whisper run ended otherwise: {rows}", pytrace=False)
        return [row for row in rows if row[STATUS_COLUMN] == "finished"]

    [run] = wait_for(browser, finished, TRAINING_SECONDS, "the Whisper run finished",
                     shows=lambda d: d.find_element(By.ID, "train-status").text)
    run_id = run[RUN_COLUMN]
    assert run[VARIANT_COLUMN] == "decoder"
    assert (run[RUN_COLUMNS.index("epochs")], run[RUN_COLUMNS.index("batch")]) == (str(EPOCHS), str(BATCH))

    wait_for(browser, EC.element_to_be_clickable((By.XPATH, "//*[@id='whisper-panel']//*[normalize-space()="
                                                            "'Fine-tuned Whisper vs the original']")), UI_SECONDS,
             "the comparison panel's title").click()
    wait_for(browser, EC.element_to_be_clickable((By.ID, "whisper-refresh")), UI_SECONDS, "Refresh").click()
    title = f"#{run_id} Whisper tiny.en"
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#whisper-model input").get_attribute("value")
             .startswith(title), UI_SECONDS, f"the fine-tuned model ({title}…) chosen",
             shows=lambda d: d.find_element(By.CSS_SELECTOR, "#whisper-model input").get_attribute("value"))
    browser.find_element(By.ID, "whisper-compare").click()
    rows = wait_for(browser, lambda d: table_rows(d, "whisper-transcripts"), COMPARING_SECONDS,
                    "the held-out clips transcribed side by side")
    rates = wait_for(browser, lambda d: WER.search(d.find_element(By.ID, "whisper-wer").text), UI_SECONDS,
                     "the held-out word error rates", shows=lambda d: d.find_element(By.ID, "whisper-wer").text)
    screenshot(browser, screenshots, "training-whisper-finetune")
    print("\n".join([browser.find_element(By.ID, "whisper-wer").text, *map(str, rows)]))
    assert "Held-out word error rate" in browser.find_element(By.ID, "whisper-wer").text
    for reference, before, after in (row[:3] for row in rows):
        assert reference in PHRASES and before.strip() and after.strip()
    before, after = map(float, rates.groups())
    assert after < before

    open_tab(browser, "speech")
    browser.find_element(By.CSS_SELECTOR, "#asr-model input[role='combobox']").click()
    wait_for(browser, EC.presence_of_element_located((By.CSS_SELECTOR, f"li[role='option'][aria-label^='{title}']")),
             UI_SECONDS, f"the fine-tuned model ({title}…) among the Speech tab's models",
             shows=lambda d: [o.get_attribute("aria-label") for o in d.find_elements(By.CSS_SELECTOR,
                                                                                      "li[role='option']")])
