from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests_paths import speech_clips

pytestmark = pytest.mark.slow


def english_clip():
    return speech_clips("en")[0]


@pytest.mark.parametrize("model, language", [("whisper-tiny.en", "auto"), ("whisper-base", "en")])
def test_transcribe_endpoint_in_both_models(client, model, language):
    clip, reference = english_clip()
    text, segments, tokens, summary, plot, downloads = client.predict(handle_file(str(clip)), model, language, "transcribe",
                                                     api_name="/transcribe")
    reference_words = {word.strip(".,").lower() for word in reference.split()}
    heard = {word.strip(".,").lower() for word in text.split()}
    assert len(reference_words & heard) >= len(reference_words) / 2
    assert segments and segments[0]["start"] >= 0 and segments[-1]["end"] > segments[0]["start"]
    assert "real-time factor" in summary
    assert 'class="asr-token"' in tokens and "p = " in tokens
    assert sorted(Path(file).suffix for file in downloads) == [".srt", ".txt", ".vtt"]
    assert "00:00:00" in Path(next(f for f in downloads if f.endswith(".srt"))).read_text()


def test_transcribe_endpoint_explains_garbage_audio(client, tmp_path):
    garbage = tmp_path / "noise.wav"
    garbage.write_bytes(b"RIFF\x00\x00not really a wave file" * 10)
    with pytest.raises(AppError):
        client.predict(handle_file(str(garbage)), "whisper-tiny.en", "auto", "transcribe", api_name="/transcribe")


def test_english_only_model_refuses_chinese(client):
    clip, _ = english_clip()
    with pytest.raises(AppError, match="(?i)english"):
        client.predict(handle_file(str(clip)), "whisper-tiny.en", "zh", "transcribe", api_name="/transcribe")
