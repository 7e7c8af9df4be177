"""Silero VAD (models/speech/vad.py) on real audio: speech is flagged, silence and noise are not, chunks make
no difference; and long files are cut into Whisper windows in a pause it finds."""
import threading

import numpy as np
import pytest
import torch

from models.speech.audio import N_SAMPLES, SAMPLE_RATE, frame_rms, load_audio
from models.speech.recognizer import CUT_FRAME_SECONDS, CUT_SEARCH_SECONDS, _window_bounds
from models.speech.vad import WINDOW_SAMPLES, VoiceActivity, load_vad_model, speech_flags
from tests.tests_paths import speech_clips

SILENCE_SECONDS = 1.0


@pytest.fixture(scope="module")
def model():
    return load_vad_model()


@pytest.fixture(scope="module")
def clip():
    return load_audio(speech_clips("en")[0][0])


def windows(seconds: float) -> int:
    return int(seconds * SAMPLE_RATE) // WINDOW_SAMPLES


def test_a_spoken_sentence_is_speech_in_the_middle_and_the_silence_around_it_is_not(model, clip):
    silence = np.zeros(int(SILENCE_SECONDS * SAMPLE_RATE), np.float32)
    activity = VoiceActivity(model)
    activity.add(np.concatenate([silence, clip, silence]))
    flags = activity.flags
    assert flags.size == (2 * silence.size + clip.size) // WINDOW_SAMPLES
    middle = flags[windows(SILENCE_SECONDS + 0.5): windows(SILENCE_SECONDS + clip.size / SAMPLE_RATE - 0.5)]
    assert middle.mean() > 0.9  # a short gap between words may be no speech
    assert not flags[:windows(SILENCE_SECONDS)].any() and not flags[-windows(SILENCE_SECONDS):].any()


def test_adding_audio_in_chunks_of_any_size_flags_what_adding_it_at_once_does(model, clip):
    rng = np.random.default_rng(0)
    chunked = VoiceActivity(model)
    start = 0
    while start < clip.size:
        size = int(rng.integers(1, 3 * WINDOW_SAMPLES))
        chunked.add(clip[start:start + size])
        start += size
    at_once = VoiceActivity(model)
    at_once.add(clip)
    assert chunked.flags.any() and np.array_equal(chunked.flags, at_once.flags)


@pytest.mark.parametrize("rms", [0.003, 0.03, 0.3])
def test_noise_is_not_speech(model, rms):
    noise = (np.random.default_rng(1).standard_normal(3 * SAMPLE_RATE) * rms).astype(np.float32)
    activity = VoiceActivity(model)
    activity.add(noise)
    assert activity.flags.size == windows(3.0) and not activity.flags.any()


def speech_only(samples: np.ndarray) -> np.ndarray:
    """A clip without the silence before and after its speech."""
    spoken = np.flatnonzero(speech_flags(samples))
    return samples[spoken[0] * WINDOW_SAMPLES:(spoken[-1] + 1) * WINDOW_SAMPLES]


@pytest.fixture(scope="module")
def talk():
    """Speech without a pause, about 37 s: the example clips (but the one with a pause) back to back."""
    clips = [speech_only(load_audio(path)) for path, _ in speech_clips("en")[:5] if "library" not in path.name]
    return np.concatenate(clips * 3)


def test_a_long_file_is_cut_in_a_pause_not_at_a_quieter_moment_inside_speech(talk):
    pause_at, pause_seconds = N_SAMPLES - 4 * SAMPLE_RATE, 0.8  # 26 s: in the first window's last 5 s
    room = (np.random.default_rng(2).standard_normal(int(pause_seconds * SAMPLE_RATE)) * 0.02).astype(np.float32)
    audio = np.concatenate([talk[:pause_at], room, talk[pause_at:]])
    search_start, frame = N_SAMPLES - CUT_SEARCH_SECONDS * SAMPLE_RATE, int(CUT_FRAME_SECONDS * SAMPLE_RATE)
    loudness = frame_rms(audio[search_start:N_SAMPLES], frame)
    assert search_start + loudness.argmin() * frame > pause_at + room.size  # the quietest moment is in speech
    (_, cut), (second_start, end) = _window_bounds(audio)
    assert pause_at < cut < pause_at + room.size and second_start == cut and end == audio.size


class HearsSpeechThroughout:
    """A VAD that flags every window as speech."""

    def __init__(self, model):
        self.flags = np.zeros(0, bool)

    def add(self, samples):
        self.flags = np.ones((self.flags.size * WINDOW_SAMPLES + len(samples)) // WINDOW_SAMPLES, bool)


def test_without_a_pause_a_long_file_is_cut_at_the_quietest_moment_of_the_window_s_last_seconds(talk, monkeypatch):
    import models.speech.recognizer as recognizer

    monkeypatch.setattr(recognizer, "VoiceActivity", HearsSpeechThroughout)
    (_, cut), _ = _window_bounds(talk)
    search_start, frame = N_SAMPLES - CUT_SEARCH_SECONDS * SAMPLE_RATE, int(CUT_FRAME_SECONDS * SAMPLE_RATE)
    loudness = frame_rms(talk[search_start:N_SAMPLES], frame)
    quietest = len(loudness) - 1 - int(loudness[::-1].argmin())  # the latest of equals
    assert cut == search_start + (quietest + 1) * frame  # at the end of that 100 ms frame


def test_the_vad_leaves_torch_threads_alone_for_threads_that_start_while_it_runs(model, clip):
    """torch's thread count is process-wide state that a new thread copies when it first uses torch: a VAD that
    lowered it around its windows made a decode that started meanwhile run on one thread."""
    threads = torch.get_num_threads()
    seen: list[int] = []
    done = threading.Event()

    def vad():
        activity = VoiceActivity(model)
        for _ in range(3):
            activity.add(clip)
        done.set()

    worker = threading.Thread(target=vad)
    worker.start()
    while not done.is_set():
        probe = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        probe.start()
        probe.join()
    worker.join()
    assert seen and set(seen) == {threads}
