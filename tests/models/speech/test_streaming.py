"""StreamingTranscriber on scripted decoders: agreement, pauses, trimming and prompting step by step, decodes\nbeside incoming audio, and which lock each piece of its state is used under."""
import threading

import numpy as np

from models.speech.audio import SAMPLE_RATE, load_audio
from models.speech.stream_buffer import LEAD_IN_WINDOWS, MIN_SPEECH_WINDOWS
from models.speech.stream_policy import AgreementWhy
from models.speech.streaming import BufferHypothesis, StreamingOptions, StreamingTranscriber
from models.speech.vad import WINDOW_SECONDS
from tests.models.speech.scripted_vad import LoudWindows
from tests.tests_paths import speech_clips

SPEECH = (0.1 * np.sin(np.arange(SAMPLE_RATE // 2) * 0.05)).astype(np.float32)  # 0.5 s, loud enough
SILENCE = np.zeros(SAMPLE_RATE // 2, np.float32)


def transcriber(decode=None, options=StreamingOptions()):
    """A StreamingTranscriber whose VAD hears SPEECH as speech and SILENCE as none (tests/models/speech/scripted_vad.py)."""
    return StreamingTranscriber(decode, options, vad=LoudWindows())


class ScriptedDecoder:
    """Returns the next scripted hypothesis and records what it was asked to decode."""

    def __init__(self, hypotheses):
        self.hypotheses = list(hypotheses)
        self.calls = []

    def __call__(self, audio, prompt, abandon):
        self.calls.append((audio.size / SAMPLE_RATE, prompt))
        return self.hypotheses.pop(0)


def words(text, segment_ends=()):
    return BufferHypothesis(text.split(), list(segment_ends))


def test_words_commit_only_when_two_hypotheses_agree():
    decoder = ScriptedDecoder([words("the"), words("the cat is"), words("the cat was here"), words("the cat was here")])
    stream = transcriber(decoder)
    first = stream.feed(SPEECH)
    assert (first.committed, first.tentative) == ("", "the")
    second = stream.feed(SPEECH)
    assert (second.committed, second.tentative) == ("the", "cat is")
    third = stream.feed(SPEECH)
    assert (third.committed, third.tentative) == ("the cat", "was here")
    fourth = stream.feed(SPEECH)  # all four agree, but the newest word stays tentative until more is heard
    assert (fourth.committed, fourth.tentative) == ("the cat was", "here")


def test_a_decode_that_rewrites_committed_words_with_a_word_fewer_loses_no_new_word():
    decoder = ScriptedDecoder([words("a cup and coffee"), words("a cup and coffee please"),
                               words("a carbon coffee please pass the"), words("a carbon coffee please pass the salt")])
    stream = transcriber(decoder)
    for _ in range(3):
        stream.feed(SPEECH)
    assert stream.feed(SPEECH).committed == "a cup and coffee please pass the"  # "please" is kept


def test_a_decode_that_rewrites_committed_words_with_a_word_more_commits_no_word_twice():
    decoder = ScriptedDecoder([words("return the books"), words("return the books by"),
                               words("return the the books by Friday"), words("return the the books by Friday please")])
    stream = transcriber(decoder)
    for _ in range(3):
        stream.feed(SPEECH)
    update = stream.feed(SPEECH)
    assert (update.committed, update.tentative) == ("return the books by Friday", "please")


def test_each_update_says_why_from_the_last_two_hypotheses():
    decoder = ScriptedDecoder([words("the"), words("the cat is"), words("the cat was here"), words("the cat was here")])
    stream = transcriber(decoder)
    assert stream.feed(SILENCE).why is None  # nothing decoded yet
    assert stream.feed(SPEECH).why == AgreementWhy((("the",),), 0, 0)
    stream.feed(SPEECH)
    third = stream.feed(SPEECH)
    assert third.why == AgreementWhy((("the", "cat", "is"), ("the", "cat", "was", "here")), 2, 2)
    final = stream.finish()  # the last decode, of the speech after `third`'s, is the last hypothesis
    assert final.why == AgreementWhy((("the", "cat", "was", "here"),) * 2, 4, 4) and final.committed == "the cat was here"


def test_committed_words_never_change_even_if_a_later_hypothesis_rewrites_them():
    decoder = ScriptedDecoder([words("I scream for"), words("I scream for"), words("ice cream for you")])
    stream = transcriber(decoder)
    stream.feed(SPEECH)
    stream.feed(SPEECH)
    update = stream.feed(SPEECH)
    # the rewrite is read as the committed words again, so the hypotheses agree on what follows them
    assert update.committed == "I scream for" and update.tentative == "you"


def test_silence_is_not_decoded():
    decoder = ScriptedDecoder([])
    stream = transcriber(decoder)
    for _ in range(10):
        update = stream.feed(SILENCE)
    assert decoder.calls == [] and not update.decoded
    assert update.buffer_seconds < (LEAD_IN_WINDOWS + MIN_SPEECH_WINDOWS + 1) * WINDOW_SECONDS  # a lead-in only


def test_buffer_is_trimmed_at_a_committed_segment_end_and_prompt_carries_the_text():
    decoder = ScriptedDecoder([words("Hello there. How", [(2, 1.2), (3, 1.4)]),
                               words("Hello there. How are you", [(2, 1.2), (5, 1.9)]),
                               words("Hello there. How are you", [(2, 1.2), (5, 1.9)]),
                               words("Hello there. How are you doing", [(2, 1.2), (6, 1.9)]),
                               words("How are you doing", [(4, 0.7)])])
    stream = transcriber(decoder, StreamingOptions(trim_after_seconds=2.0))
    for _ in range(3):
        update = stream.feed(SPEECH)
    assert update.committed == "Hello there. How are" and update.buffer_seconds == 1.5
    update = stream.feed(SPEECH)  # 2.0 s: "Hello there." is committed and its segment ends at 1.2 s: cut there
    assert update.committed == "Hello there. How are you" and update.tentative == "doing"
    assert 0 <= update.buffer_seconds - 0.8 < WINDOW_SECONDS  # cut on the VAD window the segment ends in
    update = stream.feed(SPEECH)
    assert decoder.calls[-1][1] == "Hello there." and abs(decoder.calls[-1][0] - 1.3) < WINDOW_SECONDS  # prompt
    assert update.committed == "Hello there. How are you" and update.tentative == "doing"


def test_buffer_never_exceeds_whisper_window_without_segment_ends():
    options = StreamingOptions(trim_after_seconds=10.0, max_buffer_seconds=25.0)
    decoder = ScriptedDecoder([words("la " * n) for n in range(1, 200)])
    stream = transcriber(decoder, options)
    longest = max(stream.feed(SPEECH).buffer_seconds for _ in range(120))  # one minute of talk
    assert longest <= 25.5


def test_finish_commits_the_tail_and_resets_the_buffer():
    decoder = ScriptedDecoder([words("good morning"), words("good morning everyone")])
    stream = transcriber(decoder)
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
    stream = transcriber(held)
    stream.add_audio(SPEECH)
    updates = []
    worker = threading.Thread(target=lambda: updates.append(stream.update()))
    worker.start()
    decoding.wait(5)
    for _ in range(3):
        stream.add_audio(SPEECH)  # does not wait for the decode
    assert stream.update(wait=False) is None  # a second decode is not started meanwhile
    release.set()
    worker.join(5)
    assert updates[0].lag_seconds == 1.5  # what arrived during the decode is still to be decoded
    assert stream.update().lag_seconds == 0
    assert seen_seconds == [0.5, 2.0]


def test_audio_that_arrives_during_a_background_decode_is_decoded_right_after_it():
    held = HeldDecoder()
    decoding, release, seen_seconds = held.decoding, held.release, held.seen_seconds
    stream = transcriber(held)
    stream.add_audio(SPEECH)
    assert stream.update_in_background() is None  # nothing decoded yet
    decoding.wait(5)
    stream.add_audio(SPEECH)
    assert stream.update_in_background() is None  # busy: no second thread, the running one carries on
    release.set()
    for _ in range(100):
        if stream.latest is not None and len(seen_seconds) == 2 and not stream.busy:
            break
        threading.Event().wait(0.05)
    assert seen_seconds == [0.5, 1.0] and stream.latest.committed == "one two"  # "three" is the newest word


def test_audio_before_the_model_is_ready_is_kept_for_the_first_decode():
    stream = transcriber()
    for _ in range(4):
        assert not stream.feed(SPEECH).decoded
    decoder = ScriptedDecoder([words("hello")])
    stream.decode = decoder
    assert stream.update().decoded and decoder.calls[0][0] == 2.0


def test_silence_after_speech_is_decoded_once_to_confirm_then_skipped():
    decoder = ScriptedDecoder([words("good"), words("good morning"), words("good morning")])
    stream = transcriber(decoder)
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
    stream = transcriber(decoder)
    stream.add_audio(SPEECH)
    update = stream.feed(SILENCE)  # the one decode hears the speech and half a second of silence after it
    assert (update.committed, update.tentative) == ("good morning everyone", "") and len(decoder.calls) == 1


def test_a_pause_after_the_last_decode_commits_without_decoding_again():
    decoder = ScriptedDecoder([words("good morning")])
    stream = transcriber(decoder, StreamingOptions(min_new_audio_seconds=1.0))
    stream.add_audio(SPEECH)
    stream.add_audio(SPEECH)
    heard = stream.feed(SILENCE[: SAMPLE_RATE * 15 // 100])  # the speech and 0.15 s after it: no pause yet
    assert (heard.committed, heard.tentative) == ("", "good morning")
    paused = stream.feed(SILENCE[: SAMPLE_RATE // 10])  # 0.25 s of silence now: a pause, nothing new to decode
    assert not paused.decoded and paused.committed_at_pause
    assert (paused.committed, paused.tentative) == ("good morning", "") and len(decoder.calls) == 1


def test_each_pause_cuts_the_buffer_at_the_one_before_keeping_a_phrase_of_context():
    decoder = ScriptedDecoder([words("one two"), words("one two three four"), words("three four five six")])
    stream = transcriber(decoder)
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


def test_committed_words_carry_when_they_were_spoken_in_the_stream_and_when_committed_across_cuts():
    def timed(text, ends):
        return BufferHypothesis(text.split(), [], list(ends))

    decoder = ScriptedDecoder([timed("one two", [0.3, 0.45]), timed("one two three four", [0.3, 0.45, 1.2, 1.4]),
                               timed("three four five six", [0.4, 0.6, 1.3, 1.45])])
    stream = transcriber(decoder)
    for _ in range(3):
        stream.add_audio(SPEECH)
        stream.feed(SILENCE)  # each phrase ends at a pause; the second pause cuts the first phrase off the buffer
    cut = (16 + 3) * WINDOW_SECONDS  # the third decode's buffer begins 0.1 s (3 windows) after phrase 1's 16 windows
    words_now = stream.committed_words()
    assert [word.text for word in words_now] == "one two three four five six".split()
    assert [word.spoken_at for word in words_now] == [0.3, 0.45, 1.2, 1.4, round(cut + 1.3, 2), round(cut + 1.45, 2)]
    assert [word.committed_at for word in words_now] == [1.0] * 2 + [2.0] * 2 + [3.0] * 2  # audio received by then


def test_a_word_committed_at_a_pause_after_a_trim_keeps_its_own_spoken_time():
    ends = [0.3, 0.6, 1.0, 1.3, 1.6, 2.0]
    decoder = ScriptedDecoder([BufferHypothesis(text.split(), segment_ends, ends[:len(text.split())]) for text, segment_ends in
                               [("Hello there. How", [(2, 1.2), (3, 1.4)]), ("Hello there. How are you", [(2, 1.2), (5, 1.9)]),
                                ("Hello there. How are you", [(2, 1.2), (5, 1.9)]),
                                ("Hello there. How are you doing", [(2, 1.2), (6, 2.0)])]])
    stream = transcriber(decoder, StreamingOptions(trim_after_seconds=2.0))
    for _ in range(3):
        stream.feed(SPEECH)
    stream.add_audio(SPEECH)
    trimmed = stream.feed(SILENCE[: SAMPLE_RATE * 15 // 100])  # 2.15 s: trimmed after "Hello there.", no pause yet
    assert trimmed.tentative == "doing" and trimmed.buffer_seconds < 1.0
    paused = stream.feed(SILENCE[: SAMPLE_RATE // 10])  # a pause: "doing" is committed without another decode
    assert paused.committed_at_pause and len(decoder.calls) == 4
    assert (stream.committed_words()[-1].text, stream.committed_words()[-1].spoken_at) == ("doing", 2.0)


def test_words_without_times_are_committed_with_none_spoken():
    stream = transcriber(ScriptedDecoder([words("good morning")]))
    stream.add_audio(SPEECH)
    stream.feed(SILENCE)
    assert [(word.text, word.spoken_at) for word in stream.committed_words()] == [("good", None), ("morning", None)]


def test_silero_vad_on_a_spoken_sentence_in_a_noisy_room_decodes_from_the_speech_on_and_commits_at_the_pause():
    clip = load_audio(speech_clips("en")[0][0])
    decoder = ScriptedDecoder([words("The weather today is sunny")] * 40)  # the last word never agrees
    stream = StreamingTranscriber(decoder)  # the real VAD
    quiet = np.zeros(SAMPLE_RATE, np.float32)
    audio, chunk = np.concatenate([quiet, clip, quiet]), SAMPLE_RATE // 4
    audio += (np.random.default_rng(0).standard_normal(audio.size) * 0.02).astype(np.float32)  # louder than a gate
    updates = [stream.feed(audio[start:start + chunk]) for start in range(0, audio.size, chunk)]
    assert not any(update.decoded for update in updates[:4])  # the noise before the speech is not
    assert updates[4].decoded
    assert (updates[-1].committed, updates[-1].tentative) == ("The weather today is sunny", "")


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
    stream = transcriber(decoder)
    stream.add_audio(SPEECH)
    worker = threading.Thread(target=stream.update)
    worker.start()
    decoder.decoding.wait(5)
    stream.add_audio(SILENCE[: SAMPLE_RATE // 4])  # the speech has ended; the running decode did not hear its end
    worker.join(5)
    update = stream.update()
    assert decoder.abandoned == [True] and decoder.seen_seconds == [0.5, 0.75]
    assert (update.committed, update.tentative) == ("hello there", "")


class SlowDecoder:
    """Each decode runs until abandoned or released (returns None when abandoned), then says "one more"."""

    def __init__(self):
        self.decoding, self.release = threading.Event(), threading.Event()
        self.outcomes = []

    def __call__(self, audio, prompt, abandon):
        self.decoding.set()
        while not self.release.wait(0.01):
            if abandon():
                self.outcomes.append("abandoned")
                return None
        self.outcomes.append("finished")
        return words("one more")


def test_the_decode_after_an_abandoned_one_is_never_abandoned_so_short_phrases_on_a_busy_cpu_still_commit():
    decoder = SlowDecoder()
    stream = transcriber(decoder)

    def phrase_then_pause_during_a_decode():
        stream.add_audio(SPEECH)
        decoder.decoding.clear()
        worker = threading.Thread(target=stream.update)
        worker.start()
        decoder.decoding.wait(5)
        stream.add_audio(SPEECH)  # the phrase goes on past what the running decode reads ...
        stream.add_audio(SILENCE[: SAMPLE_RATE // 4])  # ... and ends in a pause
        return worker

    phrase_then_pause_during_a_decode().join(5)
    second = phrase_then_pause_during_a_decode()
    threading.Event().wait(0.2)
    decoder.release.set()
    second.join(5)
    assert decoder.outcomes == ["abandoned", "finished"]


class OwnedLock:
    """A threading.Lock that knows which thread holds it."""

    def __init__(self):
        self._lock, self.owner = threading.Lock(), None

    def acquire(self, blocking=True, timeout=-1):
        if not self._lock.acquire(blocking, timeout):
            return False
        self.owner = threading.get_ident()
        return True

    def release(self):
        self.owner = None
        self._lock.release()

    def locked(self):
        return self._lock.locked()

    def held(self):
        return self.owner == threading.get_ident()

    def __enter__(self):
        self.acquire()

    def __exit__(self, *exception):
        self.release()


class Guarded:
    """Stands in for `target`: using one of its attributes without holding `lock` is recorded in `violations`
    (except reading one named in `free_reads`)."""

    def __init__(self, target, lock, violations, name, free_reads=()):
        object.__setattr__(self, "_guard", (target, lock, violations, name, set(free_reads)))

    def __getattr__(self, attribute):
        target, lock, violations, name, free_reads = object.__getattribute__(self, "_guard")
        if attribute not in free_reads and not lock.held():
            violations.append(f"read {name}.{attribute}")
        return getattr(target, attribute)

    def __setattr__(self, attribute, value):
        target, lock, violations, name, _ = object.__getattribute__(self, "_guard")
        if not lock.held():
            violations.append(f"wrote {name}.{attribute}")
        setattr(target, attribute, value)


def lock_checked(stream, monkeypatch):
    """Swap the stream's locks for OwnedLocks and its state for Guarded stand-ins, each checked against the lock
    that StreamingTranscriber's comments say guards it; returns the list that collects violations."""
    import models.speech.streaming as streaming

    violations = []
    audio_lock, decode_lock = stream._audio_lock, stream._decode_lock = OwnedLock(), OwnedLock()
    stream.buffer = Guarded(stream.buffer, audio_lock, violations, "buffer")
    stream.text = Guarded(stream.text, decode_lock, violations, "text")
    stream.last_decode = Guarded(stream.last_decode, decode_lock, violations, "last_decode")
    # `abandons` is the policy's one method for the audio thread; it reads options only
    stream.policy = Guarded(stream.policy, decode_lock, violations, "policy", free_reads={"abandons"})
    running_decode = streaming.RunningDecode  # the decode polls `abandoned`; `seconds`, `abandonable` never change
    monkeypatch.setattr(streaming, "RunningDecode", lambda *fields: Guarded(
        running_decode(*fields), audio_lock, violations, "running",
        free_reads={"seconds", "abandonable", "abandoned"}))
    guarded_by = {"buffer": audio_lock, "running": audio_lock, "_decode": decode_lock, "text": decode_lock,
                  "policy": decode_lock, "last_decode": decode_lock, "latest": decode_lock}

    class Checked(type(stream)):
        def __setattr__(self, attribute, value):
            if attribute in guarded_by and not guarded_by[attribute].held():
                violations.append(f"wrote {attribute}")
            super().__setattr__(attribute, value)

    stream.__class__ = Checked
    return violations


def wait_until(condition, seconds=5):
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError("timed out")


def test_feeding_pauses_cuts_trims_and_finish_use_the_state_under_its_lock(monkeypatch):
    decoder = ScriptedDecoder([words("one two"), words("one two three four", [(2, 0.4), (4, 1.5)]),
                               words("three four five six", [(2, 0.9), (4, 1.4)])] + [words("five six")] * 20)
    stream = transcriber(None, StreamingOptions(trim_after_seconds=1.0, max_buffer_seconds=1.5))
    violations = lock_checked(stream, monkeypatch)
    stream.feed(SPEECH)  # before the model is ready
    stream.decode = decoder
    updates = [stream.feed(chunk) for chunk in (SILENCE, SPEECH, SILENCE, SPEECH, SPEECH, SILENCE)]
    assert (updates[0].committed, updates[0].tentative) == ("one two", "")  # committed at the pause
    assert updates[2].buffer_seconds < 0.5  # trimmed
    assert stream.finish().committed.startswith("one two three four")
    assert violations == []


def test_a_background_decode_abandoned_by_newer_audio_uses_the_state_under_its_lock(monkeypatch):
    decoder = AbandonableDecoder()
    stream = transcriber(decoder)
    violations = lock_checked(stream, monkeypatch)
    stream.add_audio(SPEECH)
    stream.update_in_background()
    decoder.decoding.wait(5)
    stream.add_audio(SILENCE[: SAMPLE_RATE // 4])  # from this thread, while the decode runs on another
    wait_until(lambda: stream.latest is not None and not stream.busy)
    assert decoder.abandoned == [True] and stream.latest.committed == "hello there"
    stream.finish()
    assert violations == []
