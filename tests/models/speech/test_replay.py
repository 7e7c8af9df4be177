"""stream_file: the live path replayed over a clip on a virtual clock, with either policy."""
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from models.errors import InputError
from models.metrics import word_error_rate, words_of
from models.speech.audio import SAMPLE_RATE, load_audio
from models.speech.live import POLICIES, stream_file
from models.speech.replay import STOP_AFTER_SPEECH_SECONDS, replay
from models.speech.streaming import LIVE_CHUNK_SECONDS
from tests.tests_paths import speech_clips

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("policy", POLICIES)
def test_a_replay_gives_the_text_and_when_each_word_was_spoken_and_committed(tiny_en, policy):
    path, reference = speech_clips("en")[1]
    audio = load_audio(path)
    replay = stream_file(tiny_en, audio, "en", policy)
    offline = tiny_en.transcribe(audio, language="en").text
    # The virtual clock runs on the real decode times, so a busy machine decodes less often: a word's slack.
    assert word_error_rate(reference, replay.text) <= word_error_rate(reference, offline) + 0.12, (replay.text, offline)
    assert [word.text for word in replay.words] == words_of(replay.text)
    assert replay.committed_changed == 0
    timed = [word for word in replay.words if word.spoken_at is not None]
    assert len(timed) >= len(replay.words) - 1, ("each word is found in the offline word timings", replay.words)
    assert all(word.lag == round(word.committed_at - word.spoken_at, 2) for word in timed)
    committed = [word.committed_at for word in replay.words]
    assert committed == sorted(committed) and committed[-1] <= replay.timeline[-1][0], replay.timeline
    assert replay.first_word_latency == timed[0].lag
    assert replay.speech_end < len(audio) / 16000 and replay.decode_seconds


class ArrivalTimes:
    """A live transcriber that decodes nothing and notes when (real clock) each chunk reached it."""

    def __init__(self):
        self.times: list[float] = []

    def add_audio(self, chunk: np.ndarray) -> None:
        self.times.append(time.perf_counter())

    def update(self, wait: bool = True):
        return SimpleNamespace(decoded=False, committed="", tentative="")

    def finish(self):
        return SimpleNamespace(committed="")


@pytest.mark.parametrize("paced", [True, False])
def test_a_paced_replay_hands_each_chunk_over_no_sooner_than_a_microphone_would(paced):
    audio = np.zeros(SAMPLE_RATE, np.float32)  # one second: 10 chunks of 0.1 s, then STOP_AFTER_SPEECH_SECONDS
    stream = ArrivalTimes()
    started = time.perf_counter()
    replay(lambda clock, chunks_due: stream, audio, LIVE_CHUNK_SECONDS, [], paced=paced)
    late = [at - started - (index + 1) * LIVE_CHUNK_SECONDS for index, at in enumerate(stream.times)]
    if paced:
        assert min(late) >= -0.01, "a chunk handed over before the microphone sent it"
        assert time.perf_counter() - started >= 1 + STOP_AFTER_SPEECH_SECONDS - LIVE_CHUNK_SECONDS - 0.01
    else:
        assert stream.times[-1] - started < 1.0, "an unpaced replay waits for nothing"


def test_each_update_and_the_finish_run_on_a_new_thread_as_the_tab_runs_its_decodes():
    class Threads(ArrivalTimes):
        def __init__(self):
            super().__init__()
            self.threads: list[int] = []

        def update(self, wait: bool = True):
            self.threads.append(threading.get_ident())
            return super().update(wait)

        def finish(self):
            self.threads.append(threading.get_ident())
            return super().finish()

    stream = Threads()
    replay(lambda clock, chunks_due: stream, np.zeros(SAMPLE_RATE, np.float32), LIVE_CHUNK_SECONDS, [])
    assert threading.get_ident() not in stream.threads and len(stream.threads) >= 2


def test_a_paced_replay_hears_what_a_replay_hears(tiny_en):
    path, reference = speech_clips("en")[1]
    audio = load_audio(path)
    paced, unpaced = (stream_file(tiny_en, audio, "en", "alignatt", paced=flag) for flag in (True, False))
    assert word_error_rate(reference, paced.text) <= word_error_rate(reference, unpaced.text) + 0.12, paced.text


def test_an_unknown_policy_is_refused(tiny_en):
    with pytest.raises(InputError, match="speech.unknown_policy"):
        stream_file(tiny_en, load_audio(speech_clips("en")[0][0]), "en", "wait-k")
