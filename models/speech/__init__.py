"""Speech: audio in (16 kHz mono), Whisper out: features, recognition, live streaming, subtitles."""
