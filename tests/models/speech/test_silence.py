"""Nothing is committed on silence, noise or music: 10 s of each through the live path (`stream_file`, both
policies, Whisper tiny.en), whose Silero VAD finds no speech in them. And none on mains hum, whose start
Silero takes for 64 ms of speech (LocalAgreement wrote "I'm..." there until speech had to last 0.26 s)."""
import numpy as np
import pytest
import torch

from models.speech.audio import SAMPLE_RATE
from models.speech.live import POLICIES, stream_file
from models.speech.recognizer import load_speech_model

SECONDS = 10.0
BEAT_SECONDS = 0.5  # 120 beats a minute, four to a bar
CHORDS = [(60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)]  # C, G, A minor, F (MIDI notes)
LEAD_HARMONICS = (1.0, 0.5, 0.3, 0.2, 0.1)  # a reed-like timbre: overtone amplitudes
PAD_HARMONICS = (1.0, 0.4, 0.2)
MAINS_HERTZ = 50


@pytest.fixture(scope="module")
def tiny_en():
    return load_speech_model("package:tiny.en", torch.device("cpu"))


def hertz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def note(frequency: float, seconds: float, harmonics: tuple[float, ...], rng: np.random.Generator,
         attack: float = 0.02, release: float = 0.15) -> np.ndarray:
    """One note: harmonics with a little vibrato, a quick attack, an exponential decay and a release."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    phase = 2 * np.pi * hertz_times(frequency, t)
    wave = sum(amplitude * np.sin((k + 1) * phase + rng.uniform(0, 2 * np.pi)) for k, amplitude in enumerate(harmonics))
    envelope = np.minimum(1, t / attack) * np.exp(-2.5 * t) * np.clip((seconds - t) / release, 0, 1)
    return wave * envelope


def hertz_times(frequency: float, t: np.ndarray) -> np.ndarray:
    """Cycles elapsed at times `t` for a note at `frequency` with a 5.5 Hz vibrato of ±0.3 %."""
    return frequency * (t - 0.003 / (2 * np.pi * 5.5) * np.cos(2 * np.pi * 5.5 * t))


def music(seconds: float, seed: int) -> np.ndarray:
    """A few bars: sustained chords, a bass line and a melody of chord and passing notes, of random lengths."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SAMPLE_RATE))

    def play(sound: np.ndarray, at: float) -> None:
        start = int(at * SAMPLE_RATE)
        out[start:start + sound.size] += sound[:max(0, out.size - start)]

    bar = 4 * BEAT_SECONDS
    for index in range(int(np.ceil(seconds / bar))):
        chord, start = CHORDS[index % len(CHORDS)], index * bar
        for pitch in chord:
            play(0.15 * note(hertz(pitch), bar, PAD_HARMONICS, rng, attack=0.05, release=0.3), start)
        play(0.3 * note(hertz(chord[0] - 24), bar, PAD_HARMONICS, rng), start)
        position = 0.0
        while position < bar - 1e-9:
            length = min(rng.choice([BEAT_SECONDS / 2, BEAT_SECONDS, 1.5 * BEAT_SECONDS]), bar - position)
            pitch = rng.choice([*chord, chord[0] + 2, chord[1] + 1]) + 12
            play(0.35 * note(hertz(pitch), length, LEAD_HARMONICS, rng), start + position)
            position += length
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def gaussian(rms: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(SECONDS * SAMPLE_RATE)) * rms).astype(np.float32)


def hum(seconds: float) -> np.ndarray:
    """A badly earthed microphone: the mains frequency and its harmonics."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.2 * sum(np.sin(2 * np.pi * MAINS_HERTZ * k * t) / k for k in range(1, 8))).astype(np.float32)


SOUNDS = {
    "silence": lambda: gaussian(0.002, seed=0),  # a quiet room, -54 dBFS (digital zeros are refused as silent)
    "noise": lambda: gaussian(0.1, seed=1),  # loud, like a fan at the microphone
    "music": lambda: music(SECONDS, seed=2),
    "hum": lambda: hum(SECONDS),
}


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("sound", SOUNDS)
def test_nothing_is_committed_on_silence_noise_music_or_hum(tiny_en, sound, policy):
    audio = SOUNDS[sound]()
    replay = stream_file(tiny_en, audio, policy=policy)
    assert replay.text == "" and replay.words == []
    # Whisper is not even run: Silero hears no speech, or (hum) none that lasts (stream_buffer.lasting_speech)
    assert replay.decode_seconds == []
