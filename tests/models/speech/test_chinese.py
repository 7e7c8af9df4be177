"""Chinese comes out in the script the user chose, in the File path, live, and replayed (Whisper base mixes them)."""
import pytest
import torch

from models.errors import InputError
from models.speech.audio import load_audio
from models.speech.chinese import in_script
from models.speech.live import stream_file
from models.speech.recognizer import load_speech_model
from tests.tests_paths import speech_clips


def test_traditional_characters_become_simplified_and_back():
    assert in_script("今天天氣很好") == "今天天气很好"
    assert in_script("今天天气很好", "traditional") == "今天天氣很好"
    assert in_script("Hello, 世界!") == "Hello, 世界!"
    with pytest.raises(InputError, match="speech.unknown_script"):
        in_script("天氣", "cursive")


@pytest.fixture(scope="module")
def base():
    return load_speech_model("package:base", torch.device("cpu"))


@pytest.mark.slow
@pytest.mark.parametrize("script", ["simplified", "traditional"])
def test_whisper_base_writes_chinese_in_the_chosen_script(base, script):
    other = "traditional" if script == "simplified" else "simplified"
    texts = []
    for path, _ in speech_clips("zh"):
        audio = load_audio(path)
        transcript = base.transcribe(audio, language="zh", script=script)
        replayed = stream_file(base, audio, "zh", "alignatt", script=script).text
        for text in (transcript.text, replayed, *(segment.text for segment in transcript.segments)):
            assert text and in_script(text, script) == text, f"{text!r} is not all {script}"
        texts.append(transcript.text)
    assert any(in_script(text, other) != text for text in texts), "the clips hold characters the scripts write apart"
