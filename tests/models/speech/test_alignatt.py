"""AlignAtt decoding on Whisper tiny.en: to the end it is the model's greedy transcript; with a frontier it
writes only what it has heard, continues after what it wrote, and a batch gives each row its own tokens."""
import numpy as np
import pytest

from models.metrics import word_error_rate, words_of
from models.speech.alignatt import FRONTIER_FRAMES, AlignAttDecoder, DecodeRequest, window_seconds
from models.speech.audio import SAMPLE_RATE, load_audio
from tests.tests_paths import speech_clips

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def decoder(tiny_en):
    return AlignAttDecoder(tiny_en)


@pytest.fixture(scope="module")
def clip():
    path, text = speech_clips("en")[3]  # "The last train to London leaves from the main station."
    return load_audio(path), text


def text_of(decoder, tokens):
    return decoder.tokenizer.decode(tokens).strip()


def test_decoding_to_the_end_is_the_greedy_transcript(decoder, tiny_en, clip):
    audio, reference = clip
    result = decoder.decode(DecodeRequest(audio, frontier_frames=None))
    assert result.stopped == "end"
    assert words_of(text_of(decoder, result.tokens)) == words_of(tiny_en.transcribe(audio, language="en").text)
    assert word_error_rate(reference, text_of(decoder, result.tokens)) < 0.1


def test_the_frontier_stops_before_audio_still_arriving(decoder, clip):
    audio, _ = clip
    heard = audio[: int(1.5 * SAMPLE_RATE)]
    result = decoder.decode(DecodeRequest(heard))
    full = decoder.decode(DecodeRequest(audio, frontier_frames=None))
    assert result.stopped == "frontier" and result.held_back is not None
    assert 0 < len(result.tokens) < len(full.tokens)
    assert result.tokens == full.tokens[: len(result.tokens)], "what it wrote is what the whole clip begins with"
    assert max(result.frames) < result.audio_frames - FRONTIER_FRAMES
    assert result.attention.shape == (len(result.tokens) + 1, result.audio_frames)
    mass = result.attention.sum(axis=1)  # of each row's attention, the part on the audio (the rest: silence after)
    assert (mass <= 1 + 1e-5).all() and mass[:-1].min() > 0.8, mass


def test_decoding_continues_after_what_it_wrote(decoder, clip):
    audio, _ = clip
    first = decoder.decode(DecodeRequest(audio[: int(1.5 * SAMPLE_RATE)]))
    rest = decoder.decode(DecodeRequest(audio, written=tuple(first.tokens), frontier_frames=None))
    full = decoder.decode(DecodeRequest(audio, frontier_frames=None))
    assert first.tokens + rest.tokens == full.tokens


def test_a_batch_gives_every_row_the_tokens_it_gets_alone(decoder):
    clips = [load_audio(path) for path, _ in speech_clips("en")[:3]]
    prompt = tuple(decoder.tokenizer.encode(" We were talking about the weekend.", add_special_tokens=False))
    requests = [DecodeRequest(clips[0][: int(2.0 * SAMPLE_RATE)]),
                DecodeRequest(clips[1][: int(2.2 * SAMPLE_RATE)], prompt=prompt),
                DecodeRequest(clips[2][: int(2.4 * SAMPLE_RATE)], written=tuple(
                    decoder.tokenizer.encode(" I", add_special_tokens=False))),
                DecodeRequest(clips[0], frontier_frames=None)]
    assert len({window_seconds(len(r.audio) / SAMPLE_RATE) for r in requests}) < len(requests), "rows share a window"
    alone = [decoder.decode(request) for request in requests]
    together = decoder.decode_batch(requests)
    assert [r.tokens for r in together] == [r.tokens for r in alone]
    assert [r.stopped for r in together] == [r.stopped for r in alone]
    assert all(r.tokens for r in alone)


def test_noise_is_not_speech(decoder):
    noise = np.random.default_rng(0).normal(0, 0.05, 5 * SAMPLE_RATE).astype(np.float32)
    result = decoder.decode(DecodeRequest(noise, frontier_frames=None))
    assert result.tokens == [] and result.stopped == "no speech"


def test_decodes_running_at_once_on_one_model_each_get_what_they_get_alone(decoder):
    """The shared decoder runs batches side by side; the alignment heads are read through hooks on shared modules,
    which hear every thread's calls."""
    import threading

    clips = [load_audio(path)[:int(2.5 * SAMPLE_RATE)] for path, _ in speech_clips("en")[:2]]
    requests = [DecodeRequest(audio, frontier_frames=FRONTIER_FRAMES) for audio in clips]
    alone = [decoder.decode(request) for request in requests]
    together: dict[int, list] = {0: [], 1: []}
    start = threading.Barrier(2)

    def run(index):
        start.wait()
        for _ in range(3):
            together[index].append(decoder.decode(requests[index]))

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for index, result in enumerate(alone):
        assert [(r.tokens, r.frames, r.stopped) for r in together[index]] == [(result.tokens, result.frames,
                                                                              result.stopped)] * 3
