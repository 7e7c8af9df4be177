"""The live-transcription policies the Speech tab offers, and `stream_file`: the live path replayed over a file.

    alignatt         AlignAtt (models/speech/simultaneous.py): a token is written once Whisper has heard it
                     and never changes; phrases end at pauses (Silero VAD).
    local-agreement  LocalAgreement-2 (models/speech/streaming.py, agreement.py): the buffer is decoded
                     again and again, and words two decodes agree on are committed.

The default is the one bench/streaming.py measures as more accurate at no more latency (bench/RESULTS.md).
"""
from typing import Callable

import numpy as np

from models.errors import InputError
from models.speech.audio import check_speech
from models.speech.chinese import DEFAULT_SCRIPT, check_script
from models.speech.recognizer import SpeechRecognizer, Transcript
from models.speech.replay import Replay, replay
from models.speech.shared_decoder import decode_turns, shared_decoder
from models.speech.simultaneous import SimultaneousTranscriber
from models.speech.streaming import LIVE_CHUNK_SECONDS, StreamingTranscriber, whisper_decoder

POLICIES = ("alignatt", "local-agreement")
DEFAULT_POLICY = "local-agreement"

LiveStream = SimultaneousTranscriber | StreamingTranscriber


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise InputError.of("speech.unknown_policy", policy=policy, choices=", ".join(POLICIES))
    return policy


def new_stream(policy: str = DEFAULT_POLICY, clock: Callable[[], float] | None = None) -> LiveStream:
    """A stream that keeps audio from the first chunk on; it decodes once `attach` gives it a model."""
    if check_policy(policy) == "alignatt":
        return SimultaneousTranscriber(clock=clock)
    return StreamingTranscriber(clock=clock)


def attach(stream: LiveStream, recognizer: SpeechRecognizer, language: str | None, task: str = "transcribe",
           script: str = DEFAULT_SCRIPT, chunks_due: Callable[[], None] | None = None) -> None:
    """Give a stream its model. `chunks_due`: called between tokens, so a replay lets the audio that arrived
    during a decode in, as the tab does."""
    if isinstance(stream, SimultaneousTranscriber):
        stream.attach(shared_decoder(recognizer), language, task, script)
        return
    stream.turns = decode_turns(recognizer)
    decode = whisper_decoder(recognizer, language, task, script=check_script(script))
    if chunks_due is not None:
        plain = decode

        def decode(audio, prompt, abandon):
            return plain(audio, prompt, lambda: (chunks_due(), abandon())[1])

    stream.decode = decode


def stream_file(recognizer: SpeechRecognizer, audio: np.ndarray, language: str | None = None,
                policy: str = DEFAULT_POLICY, task: str = "transcribe", script: str = DEFAULT_SCRIPT,
                chunk_seconds: float = LIVE_CHUNK_SECONDS, offline: Transcript | None = None,
                paced: bool = False) -> Replay:
    """The live path over a recording, on a virtual clock (models/speech/replay.py): the final text, every
    committed word with when it was spoken and when it was committed, first-word and final latency.

    `offline`: the same recording transcribed with word timestamps, which say when each word was spoken; made
    here when not given (a caller replaying one file several times, or several streams at once, passes it, so
    that only the live path is timed). `paced`: in real time, as a microphone would (models/speech/replay.py)."""
    check_policy(policy)
    check_speech(audio)
    if offline is None:
        offline = recognizer.transcribe(audio, language=language, task=task, word_timestamps=True, script=script)
    word_ends = [(word.text, word.end) for word in offline.words]

    def make_stream(clock, chunks_due):
        stream = new_stream(policy, clock)
        attach(stream, recognizer, offline.language, task, script, chunks_due)
        return stream

    return replay(make_stream, audio, chunk_seconds, word_ends, paced)
