"""The live audio buffer alone: what it keeps before speech, what a decode reads, cuts, and where it is trimmed."""
import numpy as np

from models.speech.audio import SAMPLE_RATE
from models.speech.stream_buffer import LEAD_IN_SECONDS, Cut, StreamBuffer, trim_cut

SILENCE_RMS = 0.004
SPEECH = np.full(SAMPLE_RATE // 4, 0.1, np.float32)  # 0.25 s chunks, as the browser sends them
SILENCE = np.zeros(SAMPLE_RATE // 4, np.float32)
HUM = np.full(SAMPLE_RATE // 4, SILENCE_RMS / 2, np.float32)  # quieter than speech


def test_before_anyone_speaks_only_a_short_lead_in_is_kept():
    buffer = StreamBuffer(SILENCE_RMS)
    for chunk in (SILENCE, HUM, SILENCE, HUM):
        buffer.append(chunk)
    assert buffer.seconds == LEAD_IN_SECONDS and not buffer.heard_speech
    buffer.append(SPEECH)
    buffer.append(SILENCE)
    assert buffer.heard_speech and buffer.seconds == LEAD_IN_SECONDS + 0.5  # from the first word on, all is kept


def test_a_read_takes_the_undecoded_audio_and_an_abandoned_one_gives_it_back():
    buffer = StreamBuffer(SILENCE_RMS)
    buffer.append(SPEECH)
    buffer.append(SILENCE)
    audio, spoke = buffer.read()
    assert audio.size == SAMPLE_RATE // 2 and spoke
    assert buffer.undecoded_seconds == 0 and not buffer.spoke_since_read
    buffer.append(SILENCE)
    assert buffer.undecoded_seconds == 0.25 and not buffer.spoke_since_read  # silence is not speech
    buffer.unread(0.75)
    assert buffer.undecoded_seconds == 1.0


def test_a_cut_drops_the_front_and_take_empties_the_buffer():
    buffer = StreamBuffer(SILENCE_RMS)
    buffer.append(SPEECH)
    buffer.append(SILENCE)
    buffer.drop(0.25)
    assert np.array_equal(buffer.samples, SILENCE)
    audio, heard_speech = buffer.take()
    assert np.array_equal(audio, SILENCE) and heard_speech
    assert buffer.seconds == 0 and not buffer.heard_speech and buffer.undecoded_seconds == 0


def test_the_buffer_s_loud_frames_are_its_10_ms_frames_as_loud_as_speech():
    buffer = StreamBuffer(SILENCE_RMS)
    buffer.append(SPEECH)
    buffer.append(HUM)
    loud = buffer.loud_frames()
    assert loud.shape == (50,) and loud[:25].all() and not loud[25:].any()


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
