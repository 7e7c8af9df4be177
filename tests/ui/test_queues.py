"""Model calls queue by cost: a fast classification does not wait behind long transcriptions, and each batched
event has a queue of its own."""
import time

import numpy as np
import pytest
import soundfile
from gradio_client import handle_file
from gradio_client.utils import Status

from models.batching import MOST_PER_BATCH
from models.limits import LIMITS
from studio.common import COST_CLASS, model_queue
from tests.tests_paths import ASSETS

LONG_CLIP_SECONDS = 60  # two Whisper windows: seconds of work on a small CPU
TRANSCRIPTIONS = 2
RUNNING = {Status.PROCESSING, Status.PROGRESS}  # a job reports PROGRESS once its progress bar moves


@pytest.mark.slow
def test_a_classification_returns_while_long_transcriptions_run(client, tmp_path):
    photo = handle_file(str(ASSETS / "images" / "coffee.jpg"))
    client.predict(photo, "efficientnet-lite0", api_name="/classify")  # loaded and warm
    speech, rate = soundfile.read(ASSETS / "audio" / "en_weather.wav", dtype="float32")
    clip = tmp_path / "long.wav"
    soundfile.write(clip, np.resize(speech, LONG_CLIP_SECONDS * rate), rate)
    transcriptions = [client.submit(handle_file(str(clip)), "whisper-tiny.en", "en", "transcribe",
                                    api_name="/transcribe") for _ in range(TRANSCRIPTIONS)]
    while not all(job.status().code in RUNNING for job in transcriptions):
        assert not any(job.done() for job in transcriptions)
        time.sleep(0.05)
    running = time.monotonic()

    labels = client.predict(photo, "efficientnet-lite0", api_name="/classify")
    classified = time.monotonic()
    texts = [job.result()[0] for job in transcriptions]
    transcribed = time.monotonic()

    # Not a speed limit: a classification kept waiting would end with the first transcription, near the end
    # (the client learns of a finished job only after downloading its files, so "not done yet" is no proof).
    assert classified - running < (transcribed - running) / 2, "the classification waited for a transcription"
    assert labels["label"]
    assert all("weather" in text.lower() for text in texts)


def test_each_batched_event_has_a_queue_of_its_own_where_the_next_batch_gathers_while_one_runs():
    batched = [event for event, cost in COST_CLASS.items() if cost == "batched"]
    queues = [model_queue(event) for event in batched]

    assert set(batched) == {"classify", "translate", "transcribe", "sentences"}
    assert len({queue["concurrency_id"] for queue in queues}) == len(batched)
    assert {queue["concurrency_limit"] for queue in queues} == {LIMITS.batched_concurrency}
    assert LIMITS.batched_concurrency >= 2 * MOST_PER_BATCH
    assert model_queue("attention")["concurrency_limit"] == LIMITS.slow_concurrency
