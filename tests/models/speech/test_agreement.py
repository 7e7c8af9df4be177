"""LocalAgreement-2 alone, on scripted hypotheses and loudness: what it commits, when a pause ends a phrase,
where it cuts the buffer, and when it gives up on a running decode."""
import numpy as np
from pytest import approx

from models.speech.agreement import AgreementOptions, LocalAgreement, agreed_prefix_length
from models.speech.stream_buffer import Cut
from models.speech.stream_policy import BufferHypothesis, PauseCommit, StreamText


def said(text):
    return BufferHypothesis(text.split(), [])


def loudness(*spans):
    """10 ms frames: ("speech", seconds) and ("silence", seconds) spans one after another."""
    return np.concatenate([np.full(round(seconds * 100), kind == "speech") for kind, seconds in spans])


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
    first = loudness(("speech", 0.5), ("silence", 0.3))
    assert policy.pause(first, 0.8, text) == PauseCommit(None)  # no earlier pause to cut at
    assert (text.committed, text.tentative) == (["one", "two"], [])
    assert policy.phrase_end == (2, approx(0.6))  # the pause's middle: 0.5 s of speech + half the 0.2 s pause

    policy.hear(said("one two three four"), text)
    second = loudness(("speech", 0.5), ("silence", 0.3), ("speech", 0.5), ("silence", 0.3))
    commit = policy.pause(second, 1.6, text)
    assert commit == PauseCommit(Cut(2, approx(0.6)))  # phrase 1 leaves the buffer, phrase 2 stays as context
    assert text.committed == ["one", "two", "three", "four"]
    assert policy.phrase_end == (2, approx(1.4 - 0.6))  # where phrase 2 ends once the buffer is cut


def test_no_commit_at_a_pause_too_short_or_one_the_decode_did_not_hear():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two"), text)
    short = loudness(("speech", 0.5), ("silence", 0.15))
    assert policy.pause(short, 0.65, text) is None
    paused = loudness(("speech", 0.5), ("silence", 0.3))
    assert policy.pause(paused, 0.55, text) is None  # the decode stopped reading 0.05 s after the speech
    assert (text.committed, text.tentative) == ([], ["one", "two"])


def test_a_second_pause_in_the_same_phrase_changes_nothing():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two"), text)
    policy.pause(loudness(("speech", 0.5), ("silence", 0.3)), 0.8, text)
    # more speech that the decode has not heard yet: the same pause is found again, nothing is tentative
    again = loudness(("speech", 0.5), ("silence", 0.3), ("speech", 0.1))
    assert policy.pause(again, 0.8, text) is None


def test_cuts_renumber_the_hypotheses_and_a_trim_forgets_the_phrase_end():
    policy, text = LocalAgreement(), StreamText()
    policy.hear(said("one two three"), text)
    policy.pause(loudness(("speech", 0.5), ("silence", 0.3)), 0.8, text)
    policy.cut(2, at_pause=True)
    assert policy.recent == [["three"]] and policy.phrase_end == (3, approx(0.6))
    policy.cut(1, at_pause=False)
    assert policy.recent == [[]] and policy.phrase_end is None


def test_final_words_are_the_last_hypothesis_only_if_no_speech_came_after_it():
    policy, text = LocalAgreement(), StreamText()
    assert policy.final_words(loudness(("silence", 1.0)), 0.0) is None  # nothing decoded yet
    policy.hear(said("good morning"), text)
    heard = loudness(("speech", 0.5), ("silence", 0.5))
    assert policy.final_words(heard, 0.7) == ["good", "morning"]
    more = loudness(("speech", 0.5), ("silence", 0.3), ("speech", 0.2))
    assert policy.final_words(more, 0.7) is None


def test_a_running_decode_is_abandoned_at_a_pause_after_speech_it_does_not_read():
    policy = LocalAgreement()
    paused = loudness(("speech", 1.0), ("silence", 0.25))
    assert policy.abandons(paused, 0.5)  # it reads half of the phrase
    assert policy.abandons(paused, 1.05)  # it stops reading too close to the speech's end to have heard it
    assert not policy.abandons(paused, 1.2)  # it reads the whole phrase and a little after
    assert not policy.abandons(loudness(("speech", 1.0), ("silence", 0.1)), 0.5)  # no pause yet
    assert not policy.abandons(loudness(("silence", 1.0)), 0.5)  # no speech
