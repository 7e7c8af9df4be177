"""The streaming policy on scripted hypotheses: agreement, trimming and prompting, step by step."""
import threading

import numpy as np

from models.speech.audio import SAMPLE_RATE
from models.speech.streaming import Hypothesis, StreamingOptions, StreamingTranscriber, agreed_prefix_length

SPEECH = (0.1 * np.sin(np.arange(SAMPLE_RATE // 2) * 0.05)).astype(np.float32)  # 0.5 s, loud enough
SILENCE = np.zeros(SAMPLE_RATE // 2, np.float32)


class ScriptedDecoder:
    """Returns the next scripted hypothesis and records what it was asked to decode."""

    def __init__(self, hypotheses):
        self.hypotheses = list(hypotheses)
        self.calls = []

    def __call__(self, audio, prompt, abandon):
        self.calls.append((audio.size / SAMPLE_RATE, prompt))
        return self.hypotheses.pop(0)


def words(text, segment_ends=()):
    return Hypothesis(text.split(), list(segment_ends))


def test_agreed_prefix_ignores_case_and_punctuation():
    assert agreed_prefix_length([["The", "cat", "sat."], ["the", "cat,", "sits"]]) == 2
    assert agreed_prefix_length([["a"], ["b"]]) == 0


def test_words_commit_only_when_two_hypotheses_agree():
    decoder = ScriptedDecoder([words("the"), words("the cat is"), words("the cat was here"), words("the cat was here")])
    stream = StreamingTranscriber(decoder)
    first = stream.feed(SPEECH)
    assert (first.committed, first.tentative) == ("", "the")
    second = stream.feed(SPEECH)
    assert (second.committed, second.tentative) == ("the", "cat is")
    third = stream.feed(SPEECH)
    assert (third.committed, third.tentative) == ("the cat", "was here")
    fourth = stream.feed(SPEECH)  # all four agree, but the newest word stays tentative until more is heard
    assert (fourth.committed, fourth.tentative) == ("the cat was", "here")


def test_committed_words_never_change_even_if_a_later_hypothesis_rewrites_them():
    decoder = ScriptedDecoder([words("I scream for"), words("I scream for"), words("ice cream for you")])
    stream = StreamingTranscriber(decoder)
    stream.feed(SPEECH)
    stream.feed(SPEECH)
    update = stream.feed(SPEECH)
    assert update.committed == "I scream" and update.tentative == "for you"


def test_silence_is_not_decoded():
    decoder = ScriptedDecoder([])
    stream = StreamingTranscriber(decoder)
    for _ in range(10):
        update = stream.feed(SILENCE)
    assert decoder.calls == [] and not update.decoded and update.buffer_seconds <= 0.5


def test_buffer_is_trimmed_at_a_committed_segment_end_and_prompt_carries_the_text():
    decoder = ScriptedDecoder([words("Hello there. How", [(2, 1.2), (3, 1.4)]),
                               words("Hello there. How are you", [(2, 1.2), (5, 1.9)]),
                               words("Hello there. How are you", [(2, 1.2), (5, 1.9)]),
                               words("Hello there. How are you doing", [(2, 1.2), (6, 1.9)]),
                               words("How are you doing", [(4, 0.7)])])
    stream = StreamingTranscriber(decoder, StreamingOptions(trim_after_seconds=2.0))
    for _ in range(3):
        update = stream.feed(SPEECH)
    assert update.committed == "Hello there. How are" and update.buffer_seconds == 1.5
    update = stream.feed(SPEECH)  # 2.0 s: "Hello there." is committed and its segment ends at 1.2 s: cut there
    assert update.committed == "Hello there. How are you" and update.tentative == "doing"
    assert abs(update.buffer_seconds - 0.8) < 1e-6
    update = stream.feed(SPEECH)
    assert decoder.calls[-1] == (1.3, "Hello there.")  # trimmed text is now the prompt
    assert update.committed == "Hello there. How are you" and update.tentative == "doing"


def test_buffer_never_exceeds_whisper_window_without_segment_ends():
    options = StreamingOptions(trim_after_seconds=10.0, max_buffer_seconds=25.0)
    decoder = ScriptedDecoder([words("la " * n) for n in range(1, 200)])
    stream = StreamingTranscriber(decoder, options)
    longest = max(stream.feed(SPEECH).buffer_seconds for _ in range(120))  # one minute of talk
    assert longest <= 25.5


def test_finish_commits_the_tail_and_resets_the_buffer():
    decoder = ScriptedDecoder([words("good morning"), words("good morning everyone")])
    stream = StreamingTranscriber(decoder)
    stream.feed(SPEECH)
    stream.add_audio(SPEECH)  # spoken after the last decode: finish must decode it
    final = stream.finish()
    assert final.committed == "good morning everyone" and final.tentative == "" and final.buffer_seconds == 0


class HeldDecoder:
    """Says "one two three" once `release` is set; `decoding` is set while it is held; records what it heard."""

    def __init__(self):
        self.decoding, self.release = threading.Event(), threading.Event()
        self.seen_seconds = []

    def __call__(self, audio, prompt, abandon):
        self.seen_seconds.append(audio.size / SAMPLE_RATE)
        self.decoding.set()
        self.release.wait(5)
        return words("one two three")


def test_audio_keeps_arriving_while_a_decode_runs_and_nothing_is_lost():
    held = HeldDecoder()
    decoding, release, seen_seconds = held.decoding, held.release, held.seen_seconds
    stream = StreamingTranscriber(held)
    stream.add_audio(SPEECH)
    worker = threading.Thread(target=stream.update)
    worker.start()
    decoding.wait(5)
    for _ in range(3):
        stream.add_audio(SPEECH)  # does not wait for the decode
    assert stream.update(wait=False) is None  # a second decode is not started meanwhile
    release.set()
    worker.join(5)
    stream.update()
    assert seen_seconds == [0.5, 2.0]


def test_audio_that_arrives_during_a_background_decode_is_decoded_right_after_it():
    held = HeldDecoder()
    decoding, release, seen_seconds = held.decoding, held.release, held.seen_seconds
    stream = StreamingTranscriber(held)
    stream.add_audio(SPEECH)
    assert stream.update_in_background() is None  # nothing decoded yet
    decoding.wait(5)
    stream.add_audio(SPEECH)
    assert stream.update_in_background() is None  # busy: no second thread, the running one carries on
    release.set()
    for _ in range(100):
        if stream.latest is not None and len(seen_seconds) == 2 and not stream._decode_lock.locked():
            break
        threading.Event().wait(0.05)
    assert seen_seconds == [0.5, 1.0] and stream.latest.committed == "one two"  # "three" is the newest word


def test_audio_before_the_model_is_ready_is_kept_for_the_first_decode():
    stream = StreamingTranscriber()
    for _ in range(4):
        assert not stream.feed(SPEECH).decoded
    decoder = ScriptedDecoder([words("hello")])
    stream.decode = decoder
    assert stream.update().decoded and decoder.calls[0][0] == 2.0


def test_silence_after_speech_is_decoded_once_to_confirm_then_skipped():
    decoder = ScriptedDecoder([words("good"), words("good morning"), words("good morning")])
    stream = StreamingTranscriber(decoder)
    stream.feed(SPEECH)
    stream.feed(SPEECH)
    confirmed = stream.feed(SILENCE)  # one decode after the speech stops confirms the tail
    assert confirmed.committed == "good morning" and confirmed.tentative == ""
    for _ in range(4):
        assert not stream.feed(SILENCE).decoded
    final = stream.finish()  # nothing new was said: no decode needed
    assert final.committed == "good morning" and len(decoder.calls) == 3


def test_a_pause_heard_by_the_decode_commits_its_words_without_a_second_hypothesis():
    decoder = ScriptedDecoder([words("good morning everyone")])
    stream = StreamingTranscriber(decoder)
    stream.add_audio(SPEECH)
    update = stream.feed(SILENCE)  # the one decode hears the speech and half a second of silence after it
    assert (update.committed, update.tentative) == ("good morning everyone", "") and len(decoder.calls) == 1


def test_a_pause_after_the_last_decode_commits_without_decoding_again():
    decoder = ScriptedDecoder([words("good morning")])
    stream = StreamingTranscriber(decoder, StreamingOptions(min_new_audio_seconds=1.0))
    stream.add_audio(SPEECH)
    stream.add_audio(SPEECH)
    heard = stream.feed(SILENCE[: SAMPLE_RATE * 15 // 100])  # the speech and 0.15 s after it: no pause yet
    assert (heard.committed, heard.tentative) == ("", "good morning")
    paused = stream.feed(SILENCE[: SAMPLE_RATE // 10])  # 0.25 s of silence now: a pause, nothing new to decode
    assert not paused.decoded and paused.committed_at_pause
    assert (paused.committed, paused.tentative) == ("good morning", "") and len(decoder.calls) == 1


def test_each_pause_cuts_the_buffer_at_the_one_before_keeping_a_phrase_of_context():
    decoder = ScriptedDecoder([words("one two"), words("one two three four"), words("three four five six")])
    stream = StreamingTranscriber(decoder)
    stream.add_audio(SPEECH)
    first = stream.feed(SILENCE)  # phrase 1, then a pause: committed, nothing cut yet
    assert first.committed == "one two" and first.buffer_seconds == 1.0
    stream.add_audio(SPEECH)
    second = stream.feed(SILENCE)  # phrase 2, then a pause: the buffer now starts in the first pause
    assert second.committed == "one two three four"
    assert abs(second.buffer_seconds - (2.0 - 0.6)) < 0.02  # cut 0.1 s after phrase 1's speech ended
    stream.add_audio(SPEECH)
    third = stream.feed(SILENCE)
    assert decoder.calls[-1][1] == "one two"  # phrase 1 is now the prompt; phrase 2 is in the buffer as context
    assert third.committed == "one two three four five six"


class AbandonableDecoder:
    """Holds its first decode until asked to abandon it (returns None then); says "hello there" after that."""

    def __init__(self):
        self.decoding = threading.Event()
        self.seen_seconds, self.abandoned = [], []

    def __call__(self, audio, prompt, abandon):
        self.seen_seconds.append(audio.size / SAMPLE_RATE)
        if len(self.seen_seconds) == 1:
            self.decoding.set()
            for _ in range(100):
                if abandon():
                    self.abandoned.append(True)
                    return None
                threading.Event().wait(0.05)
        return words("hello there")


def test_a_decode_that_missed_the_end_of_the_speech_is_abandoned_at_the_pause():
    decoder = AbandonableDecoder()
    stream = StreamingTranscriber(decoder)
    stream.add_audio(SPEECH)
    worker = threading.Thread(target=stream.update)
    worker.start()
    decoder.decoding.wait(5)
    stream.add_audio(SILENCE[: SAMPLE_RATE // 4])  # the speech has ended; the running decode did not hear its end
    worker.join(5)
    update = stream.update()
    assert decoder.abandoned == [True] and decoder.seen_seconds == [0.5, 0.75]
    assert (update.committed, update.tentative) == ("hello there", "")
