"""The live microphone path end to end: Chromium's fake microphone speaks an espeak-ng recording into the
Speech tab's streaming input; partial text must appear while the clip is still playing, committed words
must never change, and the final transcript must match the script (WER ≤ 25 %)."""
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from models.metrics import word_error_rate
from tests.browser.browser_harness import (MODEL_SECONDS, UI_SECONDS, WHISPER_DEFAULT, open_studio, open_tab, running_in_ci,
                                           screenshot, wait_for)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = ("The weather today is sunny and warm. Please return the books to the library by Friday. "
          "My sister planted tomatoes and beans in the garden.")
VOICE = "en-us+f2"  # espeak-ng's default voice is harder for Whisper than most people are
LEAD_IN_SECONDS, TAIL_SECONDS = 0.5, 1.5


def spoken_script(folder: Path) -> tuple[Path, float]:
    """SCRIPT spoken by espeak-ng, with silence before and after, as the fake microphone's WAV; its length."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        message = "the live microphone test needs espeak-ng and sox"
        if running_in_ci():
            pytest.fail(message)
        pytest.skip(message)
    raw, clip = folder / "raw.wav", folder / "talk.wav"
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", "150", "-w", str(raw), SCRIPT], check=True)
    subprocess.run(["sox", str(raw), "-r", "48000", "-c", "1", "-b", "16", str(clip),
                    "pad", str(LEAD_IN_SECONDS), str(TAIL_SECONDS)], check=True)
    seconds = float(subprocess.run(["soxi", "-D", str(clip)], check=True, capture_output=True, text=True).stdout)
    return clip, seconds


def live_spans(driver) -> tuple[str, str]:
    spans = {span.get_attribute("class"): span.text.strip()
             for span in driver.find_elements(By.CSS_SELECTOR, "#asr-transcript span")}
    return spans.get("committed", ""), spans.get("tentative", "")


def test_live_microphone_shows_partials_while_speaking_and_a_final_transcript(make_browser, studio_url, client,
                                                                               screenshots, tmp_path):
    clip, clip_seconds = spoken_script(tmp_path)
    # Load Whisper first (through the API), as a user who has used the tab before would have it loaded.
    from gradio_client import handle_file

    client.predict(handle_file(str(clip)), WHISPER_DEFAULT, "auto", "transcribe", api_name="/transcribe")
    driver = make_browser(fake_audio=clip)
    open_studio(driver, studio_url)
    open_tab(driver, "speech")
    open_tab(driver, "speech-live")
    record = wait_for(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "#asr-mic button.record-button")),
                      UI_SECONDS, "the live Record button")
    record.click()
    started = time.monotonic()  # the fake microphone starts playing the file when capture starts
    history: list[tuple[float, str, str]] = []
    while time.monotonic() - started < clip_seconds + 0.5:
        committed, tentative = live_spans(driver)
        if not history or history[-1][1:] != (committed, tentative):
            history.append((time.monotonic() - started, committed, tentative))
        time.sleep(0.1)
    driver.find_element(By.CSS_SELECTOR, "#asr-mic button.stop-button").click()
    final = wait_for(driver, lambda d: "final text" in d.find_element(By.ID, "asr-latency").text and live_spans(d),
                     MODEL_SECONDS, "the final transcript after Stop")
    screenshot(driver, screenshots, "speech-live-result")
    final_text = final[0]

    speech_ends = clip_seconds - TAIL_SECONDS
    partials = [(at, committed, tentative) for at, committed, tentative in history
                if (committed or tentative) and at < speech_ends]
    assert partials, f"no partial text before the speech ended at {speech_ends:.1f} s; seen: {history}"
    committed_texts = [committed for _, committed, _ in history if committed] + [final_text]
    for before, after in zip(committed_texts, committed_texts[1:]):
        assert after.startswith(before), f"committed text changed: {before!r} -> {after!r}"
    assert word_error_rate(SCRIPT, final_text) <= 0.25, f"final transcript {final_text!r} vs {SCRIPT!r}"
