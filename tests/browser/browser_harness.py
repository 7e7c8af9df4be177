"""Headless Chromium for the browser tests, without pytest fixtures: paths, options, the network log.

Imported by conftest.py and the tests.
"""
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("STUDIO_CHROMEDRIVER", "/usr/bin/chromedriver"))
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
# Served by the browser itself (its start page included), never over the network.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted", "chrome-extension", "devtools"}
WINDOW = (1400, 1000)

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
