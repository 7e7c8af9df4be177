"""The live microphone path end to end: Chromium's fake microphone plays a recording into the Speech tab's
streaming input.

- espeak-ng's voice: partial text must appear while the clip is still playing, committed words must never
  change, and the final transcript must match the script (WER ≤ 25 %).
- a natural voice (piper, assets/audio/natural_bakery.wav: two sentences and a pause), on a quiet machine
  and with a CPU hog (a busy process on one core) beside the app, with each live policy: committed words
  never change and no sentence is lost; with the default policy, quiet and beside the hog, the final transcript is
  within 5 points of word error rate of the File tab's transcript of the same recording (see
  AS_ACCURATE_AS_THE_FILE for why the other cases are held to less).
"""
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from models.metrics import word_error_rate, words_of
from tests.browser.browser_harness import (ASSETS, MODEL_SECONDS, UI_SECONDS, WHISPER_DEFAULT, open_studio, open_tab,
                                           running_in_ci, screenshot, wait_for)
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = ("The weather today is sunny and warm. Please return the books to the library by Friday. "
          "My sister planted tomatoes and beans in the garden.")
VOICE = "en-us+f2"  # espeak-ng's default voice is harder for Whisper than most people are
LEAD_IN_SECONDS, TAIL_SECONDS = 0.5, 1.5
MICROPHONE_RATE = 48000  # what a browser microphone delivers
NATURAL_CLIP = ASSETS / "audio" / "natural_bakery.wav"
NATURAL_SENTENCES = ("On my way home I stopped at the bakery and bought a loaf of fresh bread.",
                     "Then I called my brother to ask if he wanted to come over for dinner on Saturday.")
POLICIES = ("alignatt", "local-agreement")
LIVE_WER_MARGIN = 0.05  # the live transcript may differ from the file's by this share of its words
SENTENCE_RECALL = 0.8  # a sentence counts as heard when this share of its words is in the live transcript
# The cases held to the file's accuracy: the default policy (LocalAgreement-2), quiet and beside the CPU hog.
# AlignAtt writes a phrase's first tokens from the first half second it hears and, on this clip, sometimes
# writes "bottle" for "bought a loaf" (9 % WER) on a quiet machine; it is held to every sentence being mostly
# heard, its WER recorded (bench/RESULTS.md has the figures).
AS_ACCURATE_AS_THE_FILE = {("quiet", "local-agreement"), ("cpu-hog", "local-agreement")}
SENTENCE_RECALL_UNDER_LOSS = 0.5
APP_LOG = ARTIFACTS / "app.log"  # where the launched studio logs (tests/conftest.py)
FRAME_SAMPLES = 4000  # the page's microphone frames: 0.25 s at 16 kHz (studio/microphone.py)
# What Stop logs once it has waited for the page's frames (studio/speech.py, stop_capture).
FRAMES_LINE = re.compile(r"live microphone (\S+): frames (\d+) of (\d+), samples (\d+), missing (\S+)")
HOG_SECONDS = 300  # the CPU hog's own bound: it ends by itself even if the test is killed


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


def microphone_file(source: Path, folder: Path) -> tuple[Path, float]:
    """`source` at the microphone's rate with silence before and after, as the fake microphone's WAV; its length."""
    samples, rate = soundfile.read(source, dtype="float32")
    samples = librosa.resample(samples, orig_sr=rate, target_sr=MICROPHONE_RATE)
    silence = [np.zeros(int(seconds * MICROPHONE_RATE), np.float32) for seconds in (LEAD_IN_SECONDS, TAIL_SECONDS)]
    padded = np.concatenate([silence[0], samples, silence[1]])
    clip = folder / f"mic-{source.stem}.wav"
    soundfile.write(clip, np.clip(padded, -1, 1), MICROPHONE_RATE, subtype="PCM_16")
    return clip, len(padded) / MICROPHONE_RATE


def live_spans(driver) -> tuple[str, str]:
    spans = {span.get_attribute("class"): span.text.strip()
             for span in driver.find_elements(By.CSS_SELECTOR, "#asr-transcript span")}
    return spans.get("committed", ""), spans.get("tentative", "")


def file_transcript(client, clip: Path) -> str:
    """The File tab's transcript of the clip (the /transcribe endpoint), with the tab's default model. This
    also loads the model, as a user who has used the tab before would have it loaded."""
    from gradio_client import handle_file

    return client.predict(handle_file(str(clip)), WHISPER_DEFAULT, "auto", "transcribe", api_name="/transcribe")[0]


def choose_policy(driver, policy: str) -> None:
    """Click the live tab's policy radio; skip the case when the tab has no selector or not this policy."""
    choice = driver.find_elements(By.CSS_SELECTOR, f"#asr-policy input[type='radio'][value='{policy}']")
    if not choice:
        pytest.skip(f"the live tab has no #asr-policy choice {policy!r}")
    driver.execute_script("arguments[0].click();", choice[0])
    wait_for(driver, lambda d: choice[0].is_selected(), UI_SECONDS, f"the {policy} policy selected")


def frames_logged() -> list[tuple[str, int, int, int, str]]:
    """Each finished live stream's (id, frames fed, frames the page sent, samples fed, missing), from the app's log."""
    text = APP_LOG.read_text(errors="replace") if APP_LOG.is_file() else ""
    return [(stream, int(fed), int(sent), int(samples), missing)
            for stream, fed, sent, samples, missing in FRAMES_LINE.findall(text)]


def assert_every_frame_arrived(before: int, clip_seconds: float, label: str) -> None:
    """The stream Stop just finished was fed every frame the page recorded, in order, and with them the whole
    clip's speech (the page records from Record to Stop, Stop is pressed 0.5 s after the clip ends)."""
    logged = frames_logged()[before:]  # Stop logs it before it answers, and the final text came after that
    assert logged, f"no frame count in {APP_LOG} for the stream just stopped ({label})"
    stream, fed, sent, samples, missing = logged[-1]
    print(f"[{label}] stream {stream}: {fed} of {sent} frames fed, {samples / 16000:.2f} s of audio "
          f"(clip {clip_seconds:.2f} s), missing {missing}")
    assert fed == sent and missing == "none", f"frames lost ({label}): {fed} of {sent} fed, missing {missing}"
    assert (sent - 1) * FRAME_SAMPLES < samples <= sent * FRAME_SAMPLES, f"frames short ({label}): {samples} samples"
    assert samples / 16000 >= clip_seconds - TAIL_SECONDS + 0.5, (
        f"audio lost ({label}): the stream heard {samples / 16000:.2f} s of a {clip_seconds:.2f} s clip")


def talk_live(make_browser, studio_url: str, clip: Path, clip_seconds: float, policy: str | None = None):
    """Play `clip` into the live tab (with `policy` chosen, if given), press Stop when it ends; return the final
    committed text, every (seconds since Record, committed, tentative) seen, and every #asr-latency text seen."""
    driver = make_browser(fake_audio=clip)
    open_studio(driver, studio_url)
    open_tab(driver, "speech")
    open_tab(driver, "speech-live")
    if policy is not None:
        choose_policy(driver, policy)
    record = wait_for(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "#asr-mic button.record-button")),
                      UI_SECONDS, "the live Record button")
    record.click()
    started = time.monotonic()  # the fake microphone starts playing the file when capture starts
    history: list[tuple[float, str, str]] = []
    latencies: list[str] = []
    while time.monotonic() - started < clip_seconds + 0.5:
        committed, tentative = live_spans(driver)
        if not history or history[-1][1:] != (committed, tentative):
            history.append((time.monotonic() - started, committed, tentative))
        latency = driver.find_element(By.ID, "asr-latency").text
        if latency and (not latencies or latencies[-1] != latency):
            latencies.append(latency)
        time.sleep(0.1)
    driver.find_element(By.CSS_SELECTOR, "#asr-mic button.stop-button").click()
    final = wait_for(driver, lambda d: "final text" in d.find_element(By.ID, "asr-latency").text and live_spans(d),
                     MODEL_SECONDS, "the final transcript after Stop")
    latencies.append(driver.find_element(By.ID, "asr-latency").text)
    return final[0], history, latencies, driver


def cpu_hog() -> subprocess.Popen:
    """A busy loop on one core, bounded by HOG_SECONDS; the caller kills it."""
    loop = f"import time\nend = time.monotonic() + {HOG_SECONDS}\nwhile time.monotonic() < end:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", loop])


def sentence_recall(sentence: str, text: str) -> float:
    """Share of the sentence's words found in `text` (each occurrence counted once)."""
    heard = words_of(text)
    found = 0
    for word in words_of(sentence):
        if word in heard:
            heard.remove(word)
            found += 1
    return found / max(len(words_of(sentence)), 1)


def test_live_microphone_shows_partials_while_speaking_and_a_final_transcript(make_browser, studio_url, client,
                                                                               screenshots, tmp_path):
    clip, clip_seconds = spoken_script(tmp_path)
    file_transcript(client, clip)
    final_text, history, _, driver = talk_live(make_browser, studio_url, clip, clip_seconds)
    screenshot(driver, screenshots, "speech-live-result")

    speech_ends = clip_seconds - TAIL_SECONDS
    partials = [(at, committed, tentative) for at, committed, tentative in history
                if (committed or tentative) and at < speech_ends]
    assert partials, f"no partial text before the speech ended at {speech_ends:.1f} s; seen: {history}"
    committed_texts = [committed for _, committed, _ in history if committed] + [final_text]
    for before, after in zip(committed_texts, committed_texts[1:]):
        assert after.startswith(before), f"committed text changed: {before!r} -> {after!r}"
    assert word_error_rate(SCRIPT, final_text) <= 0.25, f"final transcript {final_text!r} vs {SCRIPT!r}"


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("load", ["quiet", "cpu-hog"])
def test_live_natural_voice_is_as_accurate_as_the_file_and_loses_no_sentence(make_browser, studio_url, client,
                                                                            screenshots, tmp_path, load, policy,
                                                                            record_property):
    clip, clip_seconds = microphone_file(NATURAL_CLIP, tmp_path)
    offline = file_transcript(client, clip)
    hog = cpu_hog() if load == "cpu-hog" else None
    logged_before = len(frames_logged())
    try:
        final_text, history, latencies, driver = talk_live(make_browser, studio_url, clip, clip_seconds, policy)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    screenshot(driver, screenshots, f"speech-live-natural-{load}-{policy}", settled=False)
    assert_every_frame_arrived(logged_before, clip_seconds, f"{load}, {policy}")
    lag_lines = driver.find_elements(By.CSS_SELECTOR, "#asr-lag-plot .scatterlayer .trace")
    assert lag_lines, f"no spoken -> committed line in the lag plot under the transcript ({load}, {policy})"

    script = " ".join(NATURAL_SENTENCES)
    live_wer, file_wer = word_error_rate(offline, final_text), word_error_rate(script, offline)
    script_wer = word_error_rate(script, final_text)
    record_property("wer", {"live_vs_file": live_wer, "file_vs_script": file_wer, "live_vs_script": script_wer})
    print(f"\n[{load}, {policy}] WER live vs file {live_wer:.1%}, file vs script {file_wer:.1%}, "
          f"live vs script {script_wer:.1%}; live {final_text!r}; file {offline!r}; last status {latencies[-3:]}")
    committed_texts = [committed for _, committed, _ in history if committed] + [final_text]
    for before, after in zip(committed_texts, committed_texts[1:]):
        assert after.startswith(before), f"committed text changed: {before!r} -> {after!r}"
    recall = SENTENCE_RECALL if (load, policy) in AS_ACCURATE_AS_THE_FILE else SENTENCE_RECALL_UNDER_LOSS
    for sentence in NATURAL_SENTENCES:
        assert sentence_recall(sentence, final_text) >= recall, (
            f"sentence lost ({load}, {policy}): {sentence!r} not in the live transcript {final_text!r}")
    if (load, policy) not in AS_ACCURATE_AS_THE_FILE:
        return
    assert live_wer <= LIVE_WER_MARGIN and script_wer <= file_wer + LIVE_WER_MARGIN, (
        f"live transcript ({load}, {policy}) {final_text!r}: {live_wer:.0%} WER from the file's {offline!r}, "
        f"{script_wer:.0%} from the script (the file's: {file_wer:.0%}); status lines seen: {latencies}")
