"""DecodeTurns: LocalAgreement streams of one model take turns to decode, a phrase's final decode first; and a
StreamingTranscriber asks for a final turn when its buffer ends in a pause."""
import threading
import time

import numpy as np

from models.speech.audio import SAMPLE_RATE
from models.speech.shared_decoder import DecodeTurns
from models.speech.streaming import BufferHypothesis, StreamingTranscriber
from tests.models.speech.scripted_vad import LoudWindows

SPEECH = (0.1 * np.sin(np.arange(SAMPLE_RATE // 2) * 0.05)).astype(np.float32)
SILENCE = np.zeros(SAMPLE_RATE // 2, np.float32)


def wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_no_more_decodes_run_than_allowed_and_a_final_one_overtakes_those_waiting():
    turns, order, release = DecodeTurns(), [], threading.Event()

    def decode(name, final):
        with turns.turn(final):
            order.append(name)
            if name == "first":
                release.wait(5)

    first = threading.Thread(target=decode, args=("first", False))
    first.start()
    wait_until(lambda: order == ["first"])
    waiting = [threading.Thread(target=decode, args=(name, final))
               for name, final in (("tentative 1", False), ("tentative 2", False), ("final", True))]
    for thread in waiting:
        thread.start()
        wait_until(lambda: len(turns._waiting) == waiting.index(thread) + 1)
    assert order == ["first"]  # one at a time: the others wait
    release.set()
    for thread in [first, *waiting]:
        thread.join(5)
    assert order == ["first", "final", "tentative 1", "tentative 2"]


def test_a_stream_decodes_in_turn_and_asks_for_a_final_turn_after_a_pause():
    asked = []

    class RecordingTurns(DecodeTurns):
        def turn(self, final):
            asked.append(final)
            return super().turn(final)

    stream = StreamingTranscriber(lambda audio, prompt, abandon: BufferHypothesis(["hello"], []), vad=LoudWindows())
    stream.turns = RecordingTurns()
    stream.feed(SPEECH)
    stream.feed(SILENCE)
    stream.add_audio(SPEECH)
    stream.finish()
    assert asked == [False, True, True]  # speech still going; the buffer ends in a pause; the last decode
