"""Transcript segments as SRT, WebVTT and plain text."""
from models.speech.recognizer import Segment


def _clock(seconds: float, decimal: str) -> str:
    milliseconds = round(seconds * 1000)
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    seconds, milliseconds = divmod(milliseconds, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal}{milliseconds:03d}"


def to_srt(segments: list[Segment]) -> str:
    return "\n".join(f"{index}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n"
                     for index, s in enumerate(segments, start=1))


def to_vtt(segments: list[Segment]) -> str:
    cues = "\n".join(f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n" for s in segments)
    return f"WEBVTT\n\n{cues}"


def to_text(segments: list[Segment]) -> str:
    return "\n".join(s.text.strip() for s in segments) + "\n"
