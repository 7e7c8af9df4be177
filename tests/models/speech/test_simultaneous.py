"""The AlignAtt live path on Whisper tiny.en: audio fed in microphone-sized chunks gives the clip's text, words
once committed never change, silence decodes nothing,
and streams that decode at once share the model in batches and get what they get alone."""
import threading

import numpy as np
import pytest

from models.metrics import word_error_rate, words_of
from models.speech.audio import SAMPLE_RATE, load_audio
from models.speech.alignatt import AlignAttDecoder
from models.speech.shared_decoder import SharedDecoder, shared_decoder
from models.speech.simultaneous import SimultaneousTranscriber
from models.speech.vad import WINDOW_SAMPLES
from tests.models.speech.microphone_chunks import stream_through
from tests.tests_paths import speech_clips

pytestmark = pytest.mark.slow


def test_chunks_give_the_clips_text_and_committed_words_never_change(tiny_en):
    path, reference = speech_clips("en")[3]
    audio = load_audio(path)
    updates = stream_through(SimultaneousTranscriber(shared_decoder(tiny_en)), audio)
    final = updates[-1].committed
    assert word_error_rate(reference, final) <= word_error_rate(reference, tiny_en.transcribe(audio, language="en").text)
    final_words = words_of(final)
    for update in updates:
        shown = words_of(update.committed)
        assert shown == final_words[: len(shown)], f"{update.committed!r} is not how {final!r} begins"
    partial = [update for update in updates[:-1] if update.committed]
    assert partial, "words are committed while the speech goes on, not only at its end"
    assert len(words_of(partial[0].committed)) < len(final_words)


def test_silence_is_never_decoded(tiny_en):
    counting = SharedDecoder(AlignAttDecoder(tiny_en))
    stream = SimultaneousTranscriber(counting)
    updates = stream_through(stream, np.zeros(5 * SAMPLE_RATE, np.float32))
    assert updates[-1].committed == "" and counting.batch_sizes == []
    assert stream.buffered_audio().size < WINDOW_SAMPLES  # at most the part of a VAD window not yet judged


def test_streams_at_once_share_batches_and_get_what_they_get_alone(tiny_en):
    clips = [load_audio(path) for path, _ in speech_clips("en")[:4]]
    alone = [stream_through(SimultaneousTranscriber(SharedDecoder(AlignAttDecoder(tiny_en))), clip)[-1].committed
             for clip in clips]
    shared = SharedDecoder(AlignAttDecoder(tiny_en))
    together: dict[int, str] = {}
    start = threading.Barrier(len(clips))

    def run(index):
        start.wait()
        together[index] = stream_through(SimultaneousTranscriber(shared), clips[index])[-1].committed

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(clips))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A batch's rows are padded and multiplied in other shapes than a decode alone, so float sums round differently;
    # where two tokens are all but tied that can pick the other (seen: "a carpenter," / "a car from", 1 clip in 4).
    same = sum(together[index] == text for index, text in enumerate(alone))
    assert same >= len(clips) - 1, f"{together} vs alone {alone}"
    assert all(word_error_rate(text, together[index]) <= 0.25 for index, text in enumerate(alone)), together
    assert max(shared.batch_sizes) > 1, f"no decodes were batched: {shared.batch_sizes}"
