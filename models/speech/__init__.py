"""Speech: audio in (16 kHz mono), Whisper out.

- audio.py: loading, checks and loudness (per-frame RMS) of audio;
- recognizer.py: Whisper transcription with segments, word times and token probabilities;
  whisper_ct2.py and ct2_reader.py read the CTranslate2 packages into transformers;
- subtitles.py: SRT / VTT / text;
- live transcription: stream_buffer.py (the rolling audio buffer and its trimming), stream_policy.py (what a
  commit policy is), agreement.py (LocalAgreement-n with pause-ended phrases), streaming.py
  (StreamingTranscriber: the buffer decoded again and again, the policy deciding what is final).
"""
