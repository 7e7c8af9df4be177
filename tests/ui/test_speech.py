from pathlib import Path

import pytest
from gradio_client import handle_file
from tests.tests_paths import speech_clips

pytestmark = pytest.mark.slow


def english_clip():
    return speech_clips("en")[0]


@pytest.mark.parametrize("model, language", [("whisper-tiny.en", "auto"), ("whisper-base", "en")])
def test_transcribe_endpoint_in_both_models(client, model, language):
    clip, reference = english_clip()
    text, segments, words, tokens, summary, plot, downloads = client.predict(
        handle_file(str(clip)), model, language, "transcribe", api_name="/transcribe")
    reference_words = {word.strip(".,").lower() for word in reference.split()}
    heard = {word.strip(".,").lower() for word in text.split()}
    assert len(reference_words & heard) >= len(reference_words) / 2
    assert segments and segments[0]["start"] >= 0 and segments[-1]["end"] > segments[0]["start"]
    rows = words["data"]
    assert [row[0] for row in rows] == text.split()
    assert all(0 <= start < end <= segments[-1]["end"] + 1 for _, start, end, _ in rows)
    assert "real-time factor" in summary
    assert 'class="asr-token"' in tokens and "p = " in tokens
    assert sorted(Path(file).suffix for file in downloads) == [".srt", ".txt", ".vtt"]
    assert "00:00:00" in Path(next(f for f in downloads if f.endswith(".srt"))).read_text()
