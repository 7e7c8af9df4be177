"""stream_file: the live path replayed over a clip on a virtual clock, with either policy."""
import pytest

from models.errors import InputError
from models.metrics import word_error_rate, words_of
from models.speech.audio import load_audio
from models.speech.live import POLICIES, stream_file
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


def test_an_unknown_policy_is_refused(tiny_en):
    with pytest.raises(InputError, match="speech.unknown_policy"):
        stream_file(tiny_en, load_audio(speech_clips("en")[0][0]), "en", "wait-k")
