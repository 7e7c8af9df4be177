"""Headless Chromium for the browser tests: the Debian chromium and chromedriver, nothing downloaded.

`browser` is one session-wide Chrome; `make_browser(fake_audio=...)` starts another one (the fake
microphone file is a per-process flag). Every driver has performance logging on, and
`browser_harness.network_requests(driver)` lists every request its pages made so far.
"""
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.browser.browser_harness import (CHROMEDRIVER, ROOT, SCREENSHOTS, chrome_options, console_messages,
                             network_requests, require_chromium)


@pytest.fixture(scope="session")
def make_browser():
    """Factory: `make_browser(fake_audio=None)` starts a headless Chromium.

    A browser made inside a test is quit when that test ends (after its failure evidence is saved);
    the session-wide `browser` is quit at the end of the session.

    fake_audio: a WAV file the fake microphone plays once (--use-file-for-fake-audio-capture=FILE%noloop).
    """
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers, profiles = [], []
    log_dir = ROOT / "tests" / "artifacts"
    log_dir.mkdir(parents=True, exist_ok=True)

    def start(fake_audio: Path | None = None):
        profile = Path(tempfile.mkdtemp(prefix="studio-chromium-"))
        profiles.append(profile)
        service = Service(executable_path=str(CHROMEDRIVER),
                          log_output=str(log_dir / f"chromedriver-{len(profiles)}.log"))
        driver = webdriver.Chrome(service=service, options=chrome_options(profile, fake_audio))
        driver.set_page_load_timeout(120)
        driver.set_script_timeout(60)
        driver.studio_requests, driver.studio_request_ids = [], {}
        drivers.append(driver)
        return driver

    start.drivers = drivers
    yield start
    for driver in drivers:
        try:
            driver.quit()
        except Exception:
            pass
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(make_browser):
    """The session's headless Chromium (fake camera and microphone, no audio file)."""
    driver = make_browser()
    driver.studio_session_wide = True
    return driver


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _browser_evidence(request):
    """After each browser test: drain the performance logs; on failure save a screenshot and the console."""
    if "make_browser" not in request.fixturenames:
        yield
        return
    factory = request.getfixturevalue("make_browser")
    already_running = list(factory.drivers)
    yield
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    name = request.node.name.replace("/", "_")
    for number, driver in enumerate(factory.drivers, start=1):
        try:
            network_requests(driver)
        except Exception:
            continue  # that driver is gone
        if failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            stem = SCREENSHOTS / f"FAILED-{name}-browser{number}"
            try:
                driver.save_screenshot(f"{stem}.png")
            except Exception:
                pass
            Path(f"{stem}.console.txt").write_text("\n".join(console_messages(driver)) + "\n")
    made_here = [driver for driver in factory.drivers
                 if driver not in already_running and not getattr(driver, "studio_session_wide", False)]
    for driver in made_here:
        factory.drivers.remove(driver)
        try:
            driver.quit()
        except Exception:
            pass
