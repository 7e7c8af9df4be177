"""The studio in a real (headless) browser: every tab renders, each model answers through the UI, and the page
talks to nobody but the local server.

Screenshots go to tests/artifacts/screenshots/; look at them, they are the evidence.
"""
import base64
import csv
import math
import re
import shutil
import subprocess
import time
import wave
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.browser_harness import ROOT, is_local, network_requests, running_in_ci

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABS = {"Speech": "speech", "Image": "image", "Translation": "translation", "Models": "models"}  # must be there
# What each tab (and the Speech tab's sub-tabs) must show once opened: any one of these elements.
TAB_CONTENT = {"speech": ("#asr-mic", "#asr-file"), "speech-live": ("#asr-mic",), "speech-file": ("#asr-file",),
               "image": ("#image-input",), "translation": ("#translation-input",), "models": ("#model-table",),
               "attention": ("#attention-model",)}
UI_SECONDS = 30  # page and widgets
MODEL_SECONDS = 120  # first use loads the model, on a 2-core CPU
MAX_SCREENSHOT_HEIGHT = 8000  # px
ASSETS = ROOT / "assets"
CAT_IMAGE = ASSETS / "images" / "chelsea.jpg"
EN_PT = "English → Portuguese"
WHISPER_DEFAULT = "whisper-tiny.en"  # the Speech tab's default model


# ---------------------------------------------------------------- helpers

def error_toasts(driver) -> list[str]:
    """Texts of the error toasts (gr.Error) the page shows now."""
    texts = []
    for toast in driver.find_elements(By.CSS_SELECTOR, "[data-testid='toast-body']"):
        try:
            text = toast.text.strip()
            if "error" in (toast.get_attribute("class") or "").lower() or text.lower().startswith("error"):
                texts.append(" ".join(text.split()))
        except StaleElementReferenceException:
            continue
    return texts


def wait_for(driver, condition, seconds: float, what: str, shows=None):
    """WebDriverWait(condition), failing at once with the message if the app shows an error toast.

    shows(driver) -> str, if given, says on a timeout what the page showed instead."""
    def check(d):
        errors = error_toasts(d)
        if errors:
            pytest.fail(f"while waiting for {what}, the studio showed an error: {errors}", pytrace=False)
        return condition(d)

    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException,)).until(check)
    except TimeoutException:
        pass  # fail outside the handler, without selenium's empty message and stack chained to it
    seen = ""
    if shows is not None:
        try:
            seen = f"; the page shows {shows(driver)!r}"
        except Exception as error:
            seen = f"; (could not read the page: {error})"
    pytest.fail(f"timed out after {seconds} s waiting for {what}{seen}", pytrace=False)


def open_studio(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "[role='tablist'] button[role='tab']")),
             UI_SECONDS, "the tab bar")


def top_tabs(driver) -> dict[str, str]:
    """{label: tab id} of the top-level tab bar, in order (the first tablist; the Speech tab nests its own)."""
    pairs = driver.execute_script("""
        const bar = document.querySelector("[role='tablist']");
        return bar ? Array.from(bar.querySelectorAll("button[role='tab']"),
                                b => [b.textContent.trim(), b.dataset.tabId]) : [];""")
    return dict(pairs)


def open_tab(driver, tab_id: str) -> None:
    """Click the tab (top-level or nested) whose gr.Tab id is `tab_id`; wait for its content to show."""
    button = wait_for(driver, EC.element_to_be_clickable(
        (By.CSS_SELECTOR, f"button[role='tab'][data-tab-id='{tab_id}']")), UI_SECONDS, f"the {tab_id} tab button")
    button.click()
    wait_for(driver, lambda d: button.get_attribute("aria-selected") == "true", UI_SECONDS, f"{tab_id} selected")

    content = TAB_CONTENT.get(tab_id)
    if content is None:  # a tab this suite does not know yet: selected is all it can check
        return

    def content_shown(d):
        return any(element.is_displayed() for selector in content
                   for element in d.find_elements(By.CSS_SELECTOR, selector))

    wait_for(driver, content_shown, UI_SECONDS, f"the content of the {tab_id} tab ({', '.join(content)})")


def has_tab(driver, tab_id: str) -> bool:
    return bool(driver.find_elements(By.CSS_SELECTOR, f"button[role='tab'][data-tab-id='{tab_id}']"))


def open_speech_file_tab(driver) -> None:
    """The whole-clip transcription UI (#asr-file): the Speech tab's File sub-tab where there is one."""
    open_tab(driver, "speech")
    if has_tab(driver, "speech-file"):
        open_tab(driver, "speech-file")


def button(driver, text: str):
    """The visible button whose text is exactly `text` (hidden tabs keep their buttons in the DOM)."""
    def find(d):
        for candidate in d.find_elements(By.XPATH, f"//button[normalize-space()='{text}']"):
            if candidate.is_displayed() and candidate.is_enabled():
                return candidate
        return False

    return wait_for(driver, find, UI_SECONDS, f"a visible {text!r} button")


def upload(driver, container: str, path: Path) -> None:
    """Give `path` to the hidden <input type=file> inside the component with elem_id `container`."""
    field = wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f"#{container} input[type='file']")),
                     UI_SECONDS, f"the file input in #{container}")
    field.send_keys(str(path.resolve()))


def uploads_finished(driver, since: int) -> list[dict]:
    """Finished file uploads (POST /gradio_api/upload) among the requests made after the first `since`."""
    return [r for r in network_requests(driver)[since:]
            if r["method"] == "POST" and "/gradio_api/upload" in r["url"] and r["done"] and r["status"] == 200]


def wait_for_upload(driver, since: int, what: str) -> None:
    """A component can show a file before the server has it: wait until its upload request has finished."""
    wait_for(driver, lambda d: uploads_finished(d, since), UI_SECONDS, f"the upload of {what} to finish")


def textarea_value(driver, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).get_property("value") or ""


def table_rows(driver, elem_id: str) -> list[list[str]]:
    """The body rows of the gr.Dataframe with that elem_id, as cell texts (hidden columns included)."""
    return driver.execute_script("""
        const rows = document.querySelectorAll(`#${arguments[0]} [role='row']`);
        return Array.from(rows, row => Array.from(row.querySelectorAll("[role='gridcell']"),
                                                  cell => cell.textContent.trim()))
                    .filter(cells => cells.length > 0);""", elem_id)


def settle(driver, seconds: float = MODEL_SECONDS, quiet: float = 3.0) -> bool:
    """Best effort, for screenshots: wait until no component has shown a pending status for `quiet` seconds
    (chained follow-up events, such as plots, start after the first one ends). True if it went quiet in time."""
    quiet_since: list[float] = []

    def idle(d):
        busy = not d.execute_script("""
            return Array.from(document.querySelectorAll("[data-testid='status-tracker']"))
                        .every(tracker => tracker.classList.contains("hide") || tracker.offsetParent === null);""")
        if busy:
            quiet_since.clear()
            return False
        if not quiet_since:
            quiet_since.append(time.monotonic())
        return time.monotonic() - quiet_since[0] >= quiet

    try:
        WebDriverWait(driver, seconds, poll_frequency=0.25).until(idle)
        return True
    except TimeoutException:
        return False


def screenshot(driver, folder: Path, name: str, settled: bool = True) -> Path:
    """The whole page (not just the 1400×1000 window) as folder/name.png, once the page is idle."""
    if settled:
        settle(driver)
    path = folder / f"{name}.png"
    try:
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], MAX_SCREENSHOT_HEIGHT),
                "scale": 1}
        shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                      {"format": "png", "captureBeyondViewport": True, "clip": clip})
        path.write_bytes(base64.b64decode(shot["data"]))
    except Exception:  # CDP unavailable: the visible window will do
        driver.save_screenshot(str(path))
    return path


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
