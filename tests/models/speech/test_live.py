"""Both live policies on Whisper tiny.en, as the Speech tab drives them: every committed word carries when it was
spoken in the stream and when it was committed (the tab's lag plot)."""
import pytest

from models.speech.audio import SAMPLE_RATE, load_audio
from models.speech.live import POLICIES, attach, new_stream
from tests.models.speech.microphone_chunks import stream_through
from tests.tests_paths import speech_clips

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("policy", POLICIES)
def test_words_carry_when_they_were_spoken_and_committed(tiny_en, policy):
    path, _ = speech_clips("en")[0]
    audio = load_audio(path)
    stream = new_stream(policy)
    attach(stream, tiny_en, "en")
    final = stream_through(stream, audio)[-1]
    words = stream.committed_words()
    assert [word.text for word in words] == final.committed.split()
    spoken = [word.spoken_at for word in words]
    assert None not in spoken, words
    assert spoken == sorted(spoken) and 0 < spoken[0] and spoken[-1] <= len(audio) / SAMPLE_RATE + 0.1
    assert all(word.committed_at >= word.spoken_at - 0.3 for word in words), "committed before it was said"
