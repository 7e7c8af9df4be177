from models.speech.recognizer import Segment
from models.speech.subtitles import to_srt, to_text, to_vtt

SEGMENTS = [Segment(0.0, 2.5, " Hello there."), Segment(2.5, 3661.042, " Goodbye.")]


def test_srt_numbers_cues_and_uses_commas():
    assert to_srt(SEGMENTS) == ("1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
                                "2\n00:00:02,500 --> 01:01:01,042\nGoodbye.\n")


def test_vtt_has_header_and_dots():
    assert to_vtt(SEGMENTS).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n")


def test_plain_text_one_line_per_segment():
    assert to_text(SEGMENTS) == "Hello there.\nGoodbye.\n"
