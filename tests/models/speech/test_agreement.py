"""LocalAgreement-2 alone, on scripted hypotheses and VAD flags: what it commits, when a pause ends a phrase,
where it cuts the buffer, when it gives up on a running decode, and why it committed what it did."""
import numpy as np
from pytest import approx

from models.speech.agreement import AgreementOptions, LocalAgreement, agreed_prefix_length
from models.speech.stream_buffer import Cut
from models.speech.stream_policy import AgreementWhy, BufferHypothesis, PauseCommit, StreamText
from models.speech.vad import WINDOW_SECONDS

W = WINDOW_SECONDS  # one 32 ms VAD window


def said(text):
    return BufferHypothesis(text.split(), [])


def vad(*spans):
    """Speech flags of 32 ms windows: ("speech", windows) and ("silence", windows) spans one after another."""
    return np.concatenate([np.full(windows, kind == "speech") for kind, windows in spans])


def test_agreed_prefix_ignores_case_and_punctuation():
    assert agreed_prefix_length([["The", "cat", "sat."], ["the", "cat,", "sits"]]) == 2
    assert agreed_prefix_length([["a"], ["b"]]) == 0


def test_a_word_is_committed_once_two_hypotheses_agree_on_it_and_a_newer_one_follows():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("the cat"), text)
    assert (text.committed, text.tentative) == ([], ["the", "cat"])  # one hypothesis agrees with nothing
    policy.hear(said("the cat sat"), text)
    assert (text.committed, text.tentative) == (["the", "cat"], ["sat"])
    policy.hear(said("the cat sat"), text)  # "sat" is agreed but still the newest word: it may be cut off
    assert (text.committed, text.tentative) == (["the", "cat"], ["sat"])


def test_three_way_agreement_waits_for_a_third_hypothesis():
    policy, text = LocalAgreement(AgreementOptions(agreement=3)), StreamText()
    policy.hear(said("good morning all"), text)
    policy.hear(said("good morning all"), text)
    assert text.committed == []
    policy.hear(said("good morning all"), text)
    assert text.committed == ["good", "morning"]


def test_committed_words_stay_when_a_later_hypothesis_rewrites_them():
    policy, text = LocalAgreement(), StreamText()
    for hypothesis in ("I scream for", "I scream for", "ice cream for you"):
        policy.hear(said(hypothesis), text)
    assert (text.committed, text.tentative) == (["I", "scream"], ["for", "you"])


def test_a_heard_pause_commits_the_tentative_words_and_the_next_one_cuts_at_it():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two"), text)
    first = vad(("speech", 16), ("silence", 10))
    assert policy.pause(first, 26 * W, text) == PauseCommit(None)  # no earlier pause to cut at
    assert (text.committed, text.tentative) == (["one", "two"], [])
    assert policy.phrase_end == (2, approx(19 * W))  # the pause's middle: the speech + half the 0.2 s pause

    policy.hear(said("one two three four"), text)
    second = vad(("speech", 16), ("silence", 10), ("speech", 16), ("silence", 10))
    commit = policy.pause(second, 52 * W, text)
    assert commit == PauseCommit(Cut(2, approx(19 * W)))  # phrase 1 leaves the buffer, phrase 2 stays as context
    assert text.committed == ["one", "two", "three", "four"]
    assert policy.phrase_end == (2, approx((45 - 19) * W))  # where phrase 2 ends once the buffer is cut


def test_no_commit_at_a_pause_too_short_or_one_the_decode_did_not_hear():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two"), text)
    short = vad(("speech", 16), ("silence", 6))  # 0.192 s
    assert policy.pause(short, 22 * W, text) is None
    paused = vad(("speech", 16), ("silence", 10))
    assert policy.pause(paused, 16 * W + 0.05, text) is None  # the decode stopped reading 0.05 s after the speech
    assert (text.committed, text.tentative) == ([], ["one", "two"])


def test_a_second_pause_in_the_same_phrase_changes_nothing():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two"), text)
    policy.pause(vad(("speech", 16), ("silence", 10)), 26 * W, text)
    # more speech that the decode has not heard yet: the same pause is found again, nothing is tentative
    again = vad(("speech", 16), ("silence", 10), ("speech", 3))
    assert policy.pause(again, 26 * W, text) is None


def test_cuts_renumber_the_hypotheses_and_a_trim_forgets_the_phrase_end():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two three"), text)
    policy.pause(vad(("speech", 16), ("silence", 10)), 26 * W, text)
    policy.cut(2, at_pause=True)
    assert policy.recent == [["three"]] and policy.phrase_end == (3, approx(19 * W))
    policy.cut(1, at_pause=False)
    assert policy.recent == [[]] and policy.phrase_end is None


def test_final_words_are_the_last_hypothesis_only_if_no_speech_came_after_it():
    policy, text = LocalAgreement(), StreamText()
    assert policy.final_words(vad(("silence", 31)), 0.0) is None  # nothing decoded yet
    policy.hear(said("good morning"), text)
    heard = vad(("speech", 16), ("silence", 16))
    assert policy.final_words(heard, 22 * W) == ["good", "morning"]
    more = vad(("speech", 16), ("silence", 10), ("speech", 6))
    assert policy.final_words(more, 22 * W) is None


def test_a_running_decode_is_abandoned_at_a_pause_after_speech_it_does_not_read():
    policy = LocalAgreement()
    paused = vad(("speech", 31), ("silence", 8))  # 0.992 s of speech, then 0.256 s without
    assert policy.abandons(paused, 0.5)  # it reads half of the phrase
    assert policy.abandons(paused, 1.05)  # it stops reading too close to the speech's end to have heard it
    assert not policy.abandons(paused, 1.2)  # it reads the whole phrase and a little after
    assert not policy.abandons(vad(("speech", 31), ("silence", 6)), 0.5)  # no pause yet
    assert not policy.abandons(vad(("silence", 31)), 0.5)  # no speech


def test_why_shows_the_hypotheses_compared_how_far_they_agree_and_what_is_committed():
    policy, text = LocalAgreement(), StreamText()
    assert policy.why(text) is None  # nothing decoded yet
    policy.hear(said("the cat"), text)
    assert policy.why(text) == AgreementWhy((("the", "cat"),), 0, 0)  # one hypothesis agrees with nothing
    policy.hear(said("the cat sat"), text)
    policy.hear(said("the cat sat down"), text)
    assert policy.why(text) == AgreementWhy((("the", "cat", "sat"), ("the", "cat", "sat", "down")), 3, 3)
