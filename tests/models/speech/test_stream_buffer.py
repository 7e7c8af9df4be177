"""The live audio buffer alone: what it keeps before speech, its VAD flags, what a decode reads, cuts, and where
it is trimmed."""
import numpy as np
import pytest

from models.speech.audio import SAMPLE_RATE
from models.speech.stream_buffer import (LEAD_IN_WINDOWS, MIN_SPEECH_WINDOWS, SPEECH_GAP_WINDOWS, Cut, StreamBuffer,
                                         lasting_speech, trim_cut, whole_windows)
from models.speech.vad import WINDOW_SAMPLES, WINDOW_SECONDS
from tests.models.speech.scripted_vad import SPEECH_RMS, LoudWindows

CHUNK = 8 * WINDOW_SAMPLES  # 0.256 s, about what the browser sends
SPEECH = np.full(CHUNK, 0.1, np.float32)
SILENCE = np.zeros(CHUNK, np.float32)
HUM = np.full(CHUNK, SPEECH_RMS / 2, np.float32)  # not speech


def new_buffer():
    return StreamBuffer(LoudWindows())


def test_before_anyone_speaks_only_a_short_lead_in_is_kept():
    buffer = new_buffer()
    for chunk in (SILENCE, HUM, SILENCE, HUM, SILENCE):
        buffer.append(chunk)
    lead_in = (LEAD_IN_WINDOWS + MIN_SPEECH_WINDOWS) * WINDOW_SAMPLES  # 0.5 s before speech that may yet last
    assert buffer.samples.size == lead_in and not buffer.heard_speech
    buffer.append(SPEECH)
    buffer.append(SILENCE)
    assert buffer.heard_speech and buffer.samples.size == lead_in + 2 * CHUNK  # from the first word on, all is kept


def test_the_buffer_knows_where_it_begins_in_the_stream_and_a_phrase_end_without_speech_after_it_starts_afresh():
    buffer = new_buffer()
    for chunk in (SILENCE, SILENCE, SILENCE, SPEECH, SILENCE):
        buffer.append(chunk)
    received = 5 * CHUNK / SAMPLE_RATE
    assert buffer.start_seconds + buffer.seconds == pytest.approx(received)  # what was dropped before speech is counted
    dropped = buffer.end_phrase(buffer.seconds - CHUNK / SAMPLE_RATE / 2)  # to the middle of the pause
    assert dropped > 0 and buffer.start_seconds + buffer.seconds == pytest.approx(received)
    assert not buffer.heard_speech  # no speech left: silence is kept as a lead-in only again
    for chunk in (SILENCE, SILENCE, SILENCE):
        buffer.append(chunk)
    assert buffer.samples.size == (LEAD_IN_WINDOWS + MIN_SPEECH_WINDOWS) * WINDOW_SAMPLES
    buffer.take()
    assert buffer.seconds == 0 and buffer.start_seconds == pytest.approx(received + 3 * CHUNK / SAMPLE_RATE)


def flags(text):
    return np.array([mark == "#" for mark in text])


def test_only_speech_that_lasts_counts_gaps_inside_a_stretch_included():
    assert MIN_SPEECH_WINDOWS == 4 and SPEECH_GAP_WINDOWS == 3  # the marks below are drawn for these
    assert lasting_speech(flags("..##....#....##.")).tolist() == flags("................").tolist()
    assert lasting_speech(flags("..#...##........")).tolist() == flags("..#...##........").tolist()
    assert lasting_speech(flags("..#....##.......")).tolist() == flags("................").tolist()
    assert lasting_speech(flags("#.......####....")).tolist() == flags("........####....").tolist()


def test_a_blip_is_not_speech_and_speech_stays_speech_when_a_cut_leaves_less_of_it():
    buffer = new_buffer()
    buffer.append(np.concatenate([SILENCE, np.full(2 * WINDOW_SAMPLES, 0.1, np.float32), SILENCE]))  # a click
    assert not buffer.heard_speech and not buffer.speech.any()
    buffer.append(SPEECH[:3 * WINDOW_SAMPLES])  # speech has begun, but may be another click
    assert not buffer.heard_speech
    buffer.append(SPEECH[:WINDOW_SAMPLES])  # 4 windows: it lasts
    assert buffer.heard_speech and buffer.speech[-4:].all() and buffer.speech.sum() == 4
    buffer.drop(buffer.seconds - 3 * WINDOW_SECONDS)
    assert buffer.speech.tolist() == [True] * 3


def test_the_speech_flags_are_the_buffer_s_whole_windows_and_a_cut_drops_whole_windows():
    buffer = new_buffer()
    buffer.append(SPEECH)
    buffer.append(np.zeros(CHUNK + 100, np.float32))  # ends 100 samples into a window: it has no flag yet
    assert buffer.speech.tolist() == [True] * 8 + [False] * 8
    dropped = buffer.drop(3.5 * WINDOW_SECONDS)  # rounded down to 3 windows
    assert dropped == 3 * WINDOW_SECONDS and buffer.samples.size == 2 * CHUNK + 100 - 3 * WINDOW_SAMPLES
    assert buffer.speech.tolist() == [True] * 5 + [False] * 8
    buffer.append(np.full(WINDOW_SAMPLES - 100, 0.1, np.float32))  # completes the window: its flag comes
    assert buffer.speech.size == buffer.samples.size // WINDOW_SAMPLES == 14


def test_whole_windows_counts_32_ms_windows_without_rounding_errors():
    assert whole_windows(16 * WINDOW_SECONDS) == 16
    assert whole_windows(0.2) == 6 and whole_windows(0.0) == 0


def test_a_read_takes_the_undecoded_audio_and_an_abandoned_one_gives_it_back():
    buffer = new_buffer()
    buffer.append(SPEECH)
    buffer.append(SILENCE)
    audio, spoke = buffer.read()
    assert audio.size == 2 * CHUNK and spoke
    assert buffer.undecoded_seconds == 0 and not buffer.spoke_since_read
    buffer.append(SILENCE)
    assert buffer.undecoded_seconds == CHUNK / SAMPLE_RATE and not buffer.spoke_since_read  # silence is not speech
    buffer.unread(0.75)
    assert buffer.undecoded_seconds == CHUNK / SAMPLE_RATE + 0.75


def test_a_cut_drops_the_front_and_take_empties_the_buffer_and_restarts_the_vad():
    buffer = new_buffer()
    buffer.append(SPEECH)
    buffer.append(SILENCE[:CHUNK - 10])
    buffer.drop(CHUNK / SAMPLE_RATE)
    assert np.array_equal(buffer.samples, SILENCE[:CHUNK - 10])
    audio, speech, heard_speech = buffer.take()
    assert np.array_equal(audio, SILENCE[:CHUNK - 10]) and speech.tolist() == [False] * 7 and heard_speech
    assert buffer.seconds == 0 and not buffer.heard_speech and buffer.undecoded_seconds == 0
    buffer.append(SPEECH)  # the VAD's windows begin at the buffer's first sample again
    assert buffer.speech.tolist() == [True] * 8


SEGMENT_ENDS = [(2, 1.2), (5, 1.9), (8, 2.8)]  # (words so far, segment end in seconds)


def test_no_trim_before_trim_after_seconds():
    assert trim_cut(1.9, 8, SEGMENT_ENDS, trim_after_seconds=2.0, max_buffer_seconds=25.0) is None


def test_trim_after_the_last_segment_whose_words_are_all_committed():
    assert trim_cut(3.0, 6, SEGMENT_ENDS, 2.0, 25.0) == Cut(5, 1.9)
    assert trim_cut(3.0, 8, SEGMENT_ENDS, 2.0, 25.0) == Cut(8, 2.8)
    assert trim_cut(2.5, 8, SEGMENT_ENDS, 2.0, 25.0) == Cut(5, 1.9)  # a segment ending past the buffer is not cut at


def test_without_a_committed_segment_end_the_buffer_waits_until_its_cap_then_keeps_the_newest_audio():
    assert trim_cut(20.0, 1, SEGMENT_ENDS, 12.0, 25.0) is None
    assert trim_cut(26.0, 1, SEGMENT_ENDS, 12.0, 25.0) == Cut(1, 14.0)
