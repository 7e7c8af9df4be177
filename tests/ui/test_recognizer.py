"""The speech-recognizer panel and its endpoint: a recognizer trained here (a few sentences learnt by heart, so the
test takes a minute or two) hears a held-out utterance of one of them (a speed and pitch it never heard), through
the handlers and through gradio_client; bad input gets a message. (So few clips do not teach it a new voice: the
held-out voice's WER is bench/ctc.py's, with the full recordings.)"""
import math

import gradio as gr
import numpy as np
import pytest
import soundfile
import torch

from models.speech.audio import SAMPLE_RATE
from models.speech.spoken_set import ESPEAK_VOICES, espeak
from models.training import saved
from models.training.config import TrainConfig
from models.training.data import IGNORE, TaskData, pad
from models.training.loop import fit
from models.training.tasks import TASKS
from models.speech.ctc_recognizer import features
from models.training.tasks.ctc import CHARACTERS, encode
from studio import recognizer
from studio.launcher import launch_studio
from tests.conftest import ARTIFACTS

SENTENCES = ["turn left three steps", "set a timer for four minutes", "open the door"]
HEARD = SENTENCES[1]
RUN_ID = 7
VOICES = ESPEAK_VOICES[:7]  # enough to learn three sentences by heart, and the fixture stays a minute or two


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data folder holding a recognizer that learnt SENTENCES from seven of the training voices (run RUN_ID)."""
    folder = tmp_path_factory.mktemp("recognizer-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_DATA_DIR", str(folder))
        clips = [espeak(text, voice, speed, 50) for text in SENTENCES for voice in VOICES for speed in (150, 190)]
        texts = [text for text in SENTENCES for _ in range(2 * len(VOICES))]
        data = TaskData(features(clips), pad([encode(text) for text in texts], IGNORE), CHARACTERS)
        config = TrainConfig("ctc", "cnn-bilstm", "adam", 5e-3, batch_size=14, epochs=80)
        task = TASKS["ctc"]
        torch.manual_seed(0)
        model = task.build(config.variant, data)
        fit(model, data, data, config, loss_function=task.loss, evaluation=task.evaluate)
        saved.save(RUN_ID, config, model, CHARACTERS, task.evaluate(model, data)[1])
        yield folder


def wav(path, samples) -> str:
    soundfile.write(path, samples, SAMPLE_RATE)
    return str(path)


@pytest.fixture(scope="module")
def held_out_clip(tmp_path_factory) -> str:
    """HEARD at a speed and pitch no training clip has."""
    return wav(tmp_path_factory.mktemp("clips") / "held_out.wav", espeak(HEARD, ESPEAK_VOICES[0], 170, 35))


@pytest.mark.slow
def test_the_panel_shows_posteriors_path_and_nbest(data_dir, held_out_clip, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    assert [run_id for _, run_id in recognizer.recognizer_choices()] == [RUN_ID]
    heard, figure, path, nbest = recognizer.show_recognition(RUN_ID, held_out_clip, "ngram", 0.8, 1.0)
    assert HEARD in heard
    heatmap = figure.data[0]
    assert np.asarray(heatmap.z).shape[0] == len(CHARACTERS) and list(heatmap.y)[0] == "·"
    assert "␣" in path and HEARD in path  # every frame's best character (spaces shown), then the text
    rows = nbest.value["data"]
    assert rows[0][1] == HEARD and math.isclose(rows[0][4], rows[0][2] + 0.8 * rows[0][3] + 1.0 * 6, abs_tol=0.05)


@pytest.mark.slow
def test_bad_input_is_said_plainly(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(data_dir))
    silence = wav(tmp_path / "silence.wav", np.zeros(SAMPLE_RATE, np.float32))
    speech = espeak("stop", ESPEAK_VOICES[0], 170, 50)
    minute = wav(tmp_path / "minute.wav", np.tile(speech, 60 * SAMPLE_RATE // len(speech) + 1))
    cases = [((RUN_ID, silence), "silent"), ((RUN_ID, minute), "10 s"), ((RUN_ID, ""), "No clip"),
             ((RUN_ID + 1, minute), "No speech recognizer from run 8")]
    for arguments, said in cases:
        with pytest.raises(gr.Error, match=said):
            recognizer.recognize(*arguments)
    with pytest.raises(gr.Error, match="out of range"):
        recognizer.recognize(RUN_ID, minute, "ngram", float("nan"))


@pytest.mark.slow
def test_gradio_client_recognises_a_held_out_utterance_with_the_ngram(data_dir, held_out_clip):
    from gradio_client import Client, handle_file

    with launch_studio(ARTIFACTS / "app-recognizer.log", data_dir=data_dir) as (url, _):
        client = Client(url, verbose=False)
        result = client.predict(RUN_ID, handle_file(held_out_clip), "ngram", 0.8, 1.0, api_name="/recognize")
        greedy = client.predict(RUN_ID, handle_file(held_out_clip), "greedy", 0.8, 1.0, api_name="/recognize")
    assert result["text"] == HEARD
    assert set(result["nbest"][0]) == {"text", "acoustic", "lm", "total"} and result["nbest"][0]["lm"] < 0
    assert greedy["nbest"][0]["lm"] == 0
