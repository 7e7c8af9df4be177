"""The studio in a real (headless) browser: every tab renders, each model answers through the UI, and the page
talks to nobody but the local server.

Screenshots go to tests/artifacts/screenshots/; look at them, they are the evidence.
"""
import csv
import math
import re
import shutil
import subprocess
import wave
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.browser_harness import (ASSETS, MODEL_SECONDS, UI_SECONDS, button, error_toasts, has_tab,
                                           is_local, network_requests, open_speech_file_tab, open_studio, open_tab,
                                           running_in_ci, screenshot, table_rows, textarea_value, top_tabs, upload,
                                           wait_for, wait_for_upload)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABS = {"Speech": "speech", "Image": "image", "Translation": "translation", "Models": "models"}  # must be there
CAT_IMAGE = ASSETS / "images" / "chelsea.jpg"
EN_PT = "English → Portuguese"


def english_clips(tmp_dir: Path, count: int) -> list[tuple[Path, str]]:
    """`count` English WAVs with their reference text: from assets/audio (transcripts.tsv) where present,
    otherwise spoken by espeak-ng into tmp_dir."""
    clips = []
    table = ASSETS / "audio" / "transcripts.tsv"
    if table.exists():
        with table.open(encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows, delimiter="\t"):
                clip = ASSETS / "audio" / row["file"]
                if row["language"] == "en" and clip.exists():
                    clips.append((clip, row["text"]))
    fallback = ["The weather today is sunny and warm with a light breeze.",
                "Please return the books to the library by Friday.",
                "I would like a cup of coffee and a slice of cake."]
    for text in fallback[len(clips):count]:
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            message = "no English clip in assets/audio and no espeak-ng to make one"
            if running_in_ci():
                pytest.fail(message)
            pytest.skip(message)
        clip = tmp_dir / f"espeak-{len(clips)}.wav"
        subprocess.run([espeak, "-v", "en", "-w", str(clip), text], check=True, capture_output=True)
        clips.append((clip, text))
    return clips[:count]


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as clip:
        return clip.getnframes() / clip.getframerate()


def transcribe_and_check(driver, reference: str, screenshots: Path, name: str) -> str:
    """Click Transcribe, wait for the transcript to share a word with the reference, then ask for half of them."""
    expected = {word for word in words(reference) if len(word) >= 4}
    button(driver, "Transcribe").click()

    def heard(d):
        text = textarea_value(d, "#asr-file-transcript textarea")
        return text if words(text) & expected else False

    transcript = wait_for(driver, heard, MODEL_SECONDS, f"a word of {reference!r} in #asr-file-transcript",
                          shows=lambda d: textarea_value(d, "#asr-file-transcript textarea"))
    screenshot(driver, screenshots, name)
    found = words(transcript) & expected
    assert len(found) >= len(expected) / 2, (
        f"transcript {transcript!r} has only {sorted(found)} of the reference's words {sorted(expected)}")
    return transcript


def recorded_seconds(driver, elem_id: str) -> int:
    """The longest m:ss timer the audio component with that elem_id shows (the recording time while recording)."""
    text = driver.find_element(By.ID, elem_id).text
    return max((int(m) * 60 + int(s) for m, s in re.findall(r"\b(\d+):(\d\d)\b", text)), default=0)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def studio(browser, studio_url):
    """The browser on a freshly loaded studio page."""
    open_studio(browser, studio_url)
    return browser


# ---------------------------------------------------------------- tests

def test_every_tab_opens(studio, screenshots):
    tabs = top_tabs(studio)
    assert [label for label in tabs if label in TABS] == list(TABS), f"top-level tab bar shows {list(tabs)}"
    assert all(tabs[label] == tab_id for label, tab_id in TABS.items()), tabs
    assert studio.title == "Model Studio"
    for label, tab_id in tabs.items():  # the required tabs and any others the studio has grown
        open_tab(studio, tab_id)
        selected = studio.find_element(By.CSS_SELECTOR, f"button[role='tab'][data-tab-id='{tab_id}']")
        assert selected.text.strip() == label
        assert not error_toasts(studio)
        screenshot(studio, screenshots, tab_id)
        if tab_id == "speech":
            for sub_tab in ("speech-live", "speech-file"):
                if has_tab(studio, sub_tab):
                    open_tab(studio, sub_tab)
                    screenshot(studio, screenshots, sub_tab)
    # The Models tab lists every model with its status.
    rows = table_rows(studio, "model-table")
    titles = [cells[0] for cells in rows]
    for title in ("Whisper tiny.en", "EfficientNet-Lite0", "English → Portuguese", "Portuguese → English"):
        assert any(t.startswith(title) for t in titles), f"{title!r} missing from the Models table: {titles}"
    statuses = [cells[-1] for cells in rows]
    assert all(s in ("loads on first use", "not installed") or s.startswith("loaded in") for s in statuses), rows


def test_image_tab_names_the_cat(studio, screenshots):
    open_tab(studio, "image")
    before = len(network_requests(studio))
    upload(studio, "image-input", CAT_IMAGE)
    wait_for(studio, EC.visibility_of_element_located(
        (By.CSS_SELECTOR, "#image-input img[src*='/gradio_api/file=']")), UI_SECONDS, "the uploaded photo's preview")
    wait_for_upload(studio, before, "the photo")
    button(studio, "Classify").click()

    def cat_shown(d):
        text = d.find_element(By.ID, "image-top5").text
        return text if re.search(r"\bcat\b|\bMau\b", text, re.IGNORECASE) else False

    labels = wait_for(studio, cat_shown, MODEL_SECONDS, "a cat class in #image-top5",
                      shows=lambda d: d.find_element(By.ID, "image-top5").text)
    screenshot(studio, screenshots, "image-result")
    top = studio.find_element(By.CSS_SELECTOR, "#image-top5 [data-testid='label-output-value']").text
    assert re.search(r"cat|Mau|lynx", top, re.IGNORECASE), f"top class {top!r}; label shows:\n{labels}"
    confidences = studio.find_elements(By.CSS_SELECTOR, "#image-top5 .confidence-set")
    assert len(confidences) == 5, f"expected the top 5 classes, got {len(confidences)}:\n{labels}"
    overlay = wait_for(studio, EC.visibility_of_element_located((By.CSS_SELECTOR, "#image-cam img")), MODEL_SECONDS,
                       "the Grad-CAM overlay in #image-cam")
    assert overlay.size["width"] > 100 and overlay.size["height"] > 50, f"overlay drawn at {overlay.size}"
    screenshot(studio, screenshots, "image-overlay")


def test_translation_tab_english_to_portuguese(studio, screenshots):
    open_tab(studio, "translation")
    source = wait_for(studio, EC.element_to_be_clickable((By.CSS_SELECTOR, "#translation-input textarea")),
                      UI_SECONDS, "the source textbox")
    source.clear()
    source.send_keys("The cat is sleeping on the sofa.")

    direction = studio.find_element(By.CSS_SELECTOR, "input[role='combobox'][aria-label='Direction']")
    assert direction.get_property("value").startswith(EN_PT), "English → Portuguese should be the default"
    direction.click()
    wait_for(studio, EC.element_to_be_clickable(
        (By.CSS_SELECTOR, f"li[role='option'][aria-label^='{EN_PT}']")), UI_SECONDS, "the direction options").click()
    wait_for(studio, lambda d: direction.get_property("value").startswith(EN_PT), UI_SECONDS,
             "English → Portuguese chosen")

    button(studio, "Translate").click()
    translation = wait_for(studio, lambda d: textarea_value(d, "#translation-output textarea").strip(),
                           MODEL_SECONDS, "text in #translation-output")  # empty until done
    screenshot(studio, screenshots, "translation-result")
    assert "gato" in translation.lower(), f"translation: {translation!r}"
    heatmap = wait_for(studio, EC.visibility_of_element_located((By.CSS_SELECTOR, "#translation-heatmap .main-svg")),
                       MODEL_SECONDS, "the cross-attention heatmap")
    axis_labels = heatmap.find_element(By.XPATH, "./ancestor::*[@id='translation-heatmap']").text
    assert "gato" in axis_labels and "cat" in axis_labels, f"heatmap labels: {axis_labels!r}"
    screenshot(studio, screenshots, "translation-heatmap")


def test_speech_tab_transcribes_an_uploaded_clip(studio, screenshots, tmp_path):
    [(clip, reference)] = english_clips(tmp_path, 1)
    open_speech_file_tab(studio)
    before = len(network_requests(studio))
    upload(studio, "asr-file", clip)
    wait_for(studio, EC.presence_of_element_located((By.CSS_SELECTOR, "#asr-file button[aria-label='Clear']")),
             UI_SECONDS, "the uploaded clip in the audio player")
    wait_for_upload(studio, before, "the clip")
    transcribe_and_check(studio, reference, screenshots, "speech-result")


def test_speech_tab_transcribes_the_microphone(make_browser, studio_url, screenshots, tmp_path):
    """Record a whole clip with the File tab's microphone source, then transcribe it.

    A second Chromium whose fake microphone plays an English clip once (then silence)."""
    clip, reference = english_clips(tmp_path, 2)[-1]
    driver = make_browser(fake_audio=clip)
    open_studio(driver, studio_url)
    open_speech_file_tab(driver)
    wait_for(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "#asr-file button[aria-label='Record audio']")),
             UI_SECONDS, "the microphone source button").click()
    wait_for(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "#asr-file button.record-button")),
             UI_SECONDS, "the Record button").click()

    needed = math.ceil(wav_seconds(clip)) + 1
    wait_for(driver, lambda d: recorded_seconds(d, "asr-file") >= needed, needed + UI_SECONDS,
             f"the recorder's timer to pass {needed} s")
    before = len(network_requests(driver))
    wait_for(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "#asr-file button.stop-button")),
             UI_SECONDS, "the Stop button").click()
    wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#asr-file button[aria-label='Clear']")),
             UI_SECONDS, "the recording in the audio player")
    # The player shows the recording at once; Transcribe before its upload finishes answers "No audio".
    wait_for_upload(driver, before, "the recording")
    transcribe_and_check(driver, reference, screenshots, "speech-microphone-result")
    outside = sorted({r["url"][:160] for r in network_requests(driver) if not is_local(r["url"])})
    assert not outside, "the page reached beyond 127.0.0.1/localhost:\n" + "\n".join(outside)


def test_models_tab_shows_a_used_model_as_loaded(studio, screenshots):
    """Use the image model, then the Models tab's Refresh reports it loaded, with its load time."""
    open_tab(studio, "image")
    upload(studio, "image-input", CAT_IMAGE)  # the upload event classifies by itself
    wait_for(studio, lambda d: "%" in d.find_element(By.ID, "image-top5").text, MODEL_SECONDS,
             "the top-5 classes")
    open_tab(studio, "models")
    button(studio, "Refresh").click()

    def efficientnet_row(d):
        for cells in table_rows(d, "model-table"):
            if cells and cells[0].startswith("EfficientNet-Lite0"):
                return cells if "loaded in" in cells[-1] else False
        return False

    row = wait_for(studio, efficientnet_row, UI_SECONDS, "EfficientNet-Lite0 shown as loaded in #model-table")
    studio.execute_script("""  // the Status column is off to the right: bring it into the screenshot
        const cells = document.querySelectorAll("#model-table [role='gridcell']");
        if (cells.length) cells[cells.length - 1].scrollIntoView({block: "nearest", inline: "end"});""")
    screenshot(studio, screenshots, "models-after-refresh")
    assert re.fullmatch(r"loaded in \d+\.\d s \(\+\d+\.\d s warm-up\)", row[-1]), row


def test_page_talks_only_to_the_local_server(studio, studio_url):
    """Runs last in this file so the network log also covers the uploads and model calls above."""
    for tab_id in top_tabs(studio).values():
        open_tab(studio, tab_id)
    requests = network_requests(studio)
    studio_requests = [r for r in requests if r["url"].startswith(studio_url)]
    assert studio_requests, "the performance log recorded no request to the studio at all"
    assert any("/gradio_api/" in r["url"] or "/config" in r["url"] for r in studio_requests)
    outside = sorted({f"{r['type'] or '?'} {r['url'][:160]}" for r in requests if not is_local(r["url"])})
    assert not outside, "the page reached beyond 127.0.0.1/localhost:\n" + "\n".join(outside)
