"""Loudness, computed once for every speech check: per-frame RMS and the silence check on whole clips (where
speech is, live and in long files, is Silero VAD's call: tests/models/speech/test_vad.py)."""
import numpy as np
import pytest

from models.errors import InputError
from models.speech.audio import SAMPLE_RATE, SILENCE_RMS, check_speech, frame_rms


def test_frame_rms_is_the_root_mean_square_of_each_whole_frame():
    samples = np.array([3, -3, 3, -3, 0, 0, 0, 0, 4, 0], np.float32)  # the last two samples are a partial frame
    assert frame_rms(samples, 4).tolist() == [3.0, 0.0]
    assert frame_rms(np.array([1, -1, 1, -1], np.float32), 2).tolist() == [1.0, 1.0]


def test_one_loud_moment_in_a_long_quiet_clip_is_speech_but_a_quiet_clip_is_silent():
    quiet = np.full(SAMPLE_RATE * 10, SILENCE_RMS / 10, np.float32)
    with pytest.raises(InputError) as raised:
        check_speech(quiet)
    assert raised.value.key == "audio.silent"
    quiet[SAMPLE_RATE * 5: SAMPLE_RATE * 5 + SAMPLE_RATE // 10] = SILENCE_RMS * 5  # 100 ms, one frame of the check
    check_speech(quiet)
