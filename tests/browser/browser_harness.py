"""Headless Chromium for the browser tests, without pytest fixtures: paths, options, the network log, and
the page helpers every browser test uses (waiting, opening tabs, buttons, uploads, tables, screenshots).

Imported by conftest.py and the tests (a test module imports helpers from here, never from another test).
"""
import base64
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
ASSETS = ROOT / "assets"
CHROMIUM = Path(os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("STUDIO_CHROMEDRIVER", "/usr/bin/chromedriver"))
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
# Served by the browser itself (its start page included), never over the network.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted", "chrome-extension", "devtools"}
WINDOW = (1400, 1000)
UI_SECONDS = 30  # page and widgets
MODEL_SECONDS = 120  # first use loads the model, on a 2-core CPU
MAX_SCREENSHOT_HEIGHT = 8000  # px
WHISPER_DEFAULT = "whisper-tiny.en"  # the Speech tab's default model
# What each tab (and the Speech tab's sub-tabs) must show once opened: any one of these elements.
TAB_CONTENT = {"speech": ("#asr-mic", "#asr-file"), "speech-live": ("#asr-mic",), "speech-file": ("#asr-file",),
               "image": ("#image-input",), "translation": ("#translation-input",), "models": ("#model-table",),
               "attention": ("#attention-model",), "embeddings": ("#embeddings-word",)}

# Selenium must never try to fetch a driver or a browser: there is no internet here.
os.environ.setdefault("SE_OFFLINE", "true")


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def require_chromium() -> None:
    """Skip locally when Chromium or chromedriver is missing; fail in CI, which must run these tests."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not (path.is_file() and os.access(path, os.X_OK))]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    message = f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver; pip install selenium)"
    if running_in_ci():
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def chrome_options(profile: Path, fake_audio: Path | None):
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--user-data-dir={profile}",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    if fake_audio is not None:
        fake_audio = Path(fake_audio).resolve()
        if not fake_audio.is_file():
            raise FileNotFoundError(fake_audio)
        options.add_argument(f"--use-file-for-fake-audio-capture={fake_audio}%noloop")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return options


def network_requests(driver) -> list[dict]:
    """Every request the driver's pages made since it started, in order: dicts with url, method, type, host,
    status (HTTP status once the response came) and done (True once loaded, False if it failed).

    Reads Network.* events from the performance log. Chromedriver hands each log entry out only once,
    so the requests are kept on the driver and the list grows.
    """
    seen, by_id = driver.studio_requests, driver.studio_request_ids
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        request_id = params.get("requestId")
        if method == "Network.requestWillBeSent":
            request = params.get("request", {})
            record = {"url": request.get("url", ""), "method": request.get("method", ""),
                      "type": params.get("type", ""), "initiator": params.get("initiator", {}).get("type", ""),
                      "host": urlsplit(request.get("url", "")).hostname or "", "status": None, "done": None}
            seen.append(record)
            by_id[request_id] = record
        elif method == "Network.webSocketCreated":
            url = params.get("url", "")
            seen.append({"url": url, "method": "GET", "type": "WebSocket", "initiator": "",
                         "host": urlsplit(url).hostname or "", "status": None, "done": None})
        elif method == "Network.responseReceived" and request_id in by_id:
            by_id[request_id]["status"] = params.get("response", {}).get("status")
        elif method == "Network.loadingFinished" and request_id in by_id:
            by_id[request_id]["done"] = True
        elif method == "Network.loadingFailed" and request_id in by_id:
            by_id[request_id]["done"] = False
    return list(seen)


def is_local(url: str) -> bool:
    """True for http(s)/ws(s) to 127.0.0.1 or localhost and for in-browser schemes (data:, blob:, chrome://...)."""
    parts = urlsplit(url)
    if parts.scheme in NETWORK_SCHEMES:
        return (parts.hostname or "") in LOCAL_HOSTS
    return parts.scheme in LOCAL_SCHEMES


def console_messages(driver) -> list[str]:
    """Browser console lines since the last call (for failure reports)."""
    try:
        return [f"{entry['level']} {entry['message']}" for entry in driver.get_log("browser")]
    except Exception as error:  # the driver may already be gone
        return [f"(console unavailable: {error})"]


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


def click_when_free(driver, element, what: str) -> None:
    """Click `element` once nothing lies over it: a tab's first events draw gradio's loading overlay (an svg) over
    its components for a moment, which takes a click meant for them."""
    def clicked(_):
        try:
            element.click()
            return True
        except ElementClickInterceptedException:
            return False

    wait_for(driver, clicked, UI_SECONDS, f"{what} to be free to click")


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
