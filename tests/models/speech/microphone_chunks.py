"""Feeding a live transcriber as the Speech tab does: microphone-sized chunks, one update after each, then the end."""
import numpy as np

from models.speech.audio import SAMPLE_RATE
from models.speech.streaming import LIVE_CHUNK_SECONDS

CHUNK = int(LIVE_CHUNK_SECONDS * SAMPLE_RATE)
TRAILING_SILENCE = np.zeros(SAMPLE_RATE, np.float32)


def stream_through(stream, audio: np.ndarray) -> list:
    """Every chunk in order, one update after each, then the end: the updates that decoded, and the last."""
    audio = np.concatenate([audio, TRAILING_SILENCE])
    updates = []
    for start in range(0, len(audio), CHUNK):
        stream.add_audio(audio[start:start + CHUNK])
        update = stream.update()
        if update.decoded:
            updates.append(update)
    return updates + [stream.finish()]
