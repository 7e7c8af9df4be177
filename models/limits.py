"""Every limit the studio enforces, in one place; the README's Limits table is tested against these numbers.

A limit protects the shared server (memory, CPU time, queue) and keeps each view readable; each is
enforced where the input is read, with a message that says what to do.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    upload_mb: int = 200  # any file sent to the server (Gradio's max_file_size)
    audio_seconds: int = 600  # speech is decoded in 30 s windows up to this; longer clips are refused
    attention_audio_seconds: int = 30  # the attention view reads one Whisper window
    text_characters: int = 20_000  # text to translate, all sentences together
    sentence_tokens: int = 256  # per sentence to translate, counting the final </s>
    attention_tokens: int = 512  # what stays responsive in the browser, and MiniLM's longest position
    image_pixels: int = 40_000_000  # ~ a 7,700 × 5,200 photo; checked from the header before decoding
    learning_rate: float = 10.0  # above this no optimizer here does anything but blow up
    batch_size: int = 4096
    epochs: int = 500
    workers: int = 64  # processes asked for one training run; capped at the machine's cores (or GPUs)
    projected_words: int = 200  # words drawn in one embedding projection (and its similarity matrix)
    compared_sentences: int = 50  # sentences in one MiniLM comparison
    neighbours: int = 100  # nearest words (or analogy answers) in one query
    queue_size: int = 64  # requests waiting across all events; more are refused with "queue is full"
    # Model calls run in two queues so a 50 ms classification never waits behind a 2 s transcription; at most
    # fast_concurrency + slow_concurrency model calls run at once, all tabs together (studio/common.py routes them).
    fast_concurrency: int = 2  # image, translation, keyword calls (tens of ms each)
    slow_concurrency: int = 2  # speech, attention and language-model calls (seconds each)
    # Classify, translate, transcribe and sentence vectors run the calls that arrive together as one batch (of at
    # most models.batching.MOST_PER_BATCH): each has a queue of its own this wide, so the next batch gathers while
    # one runs.
    batched_concurrency: int = 16
    live_speech_concurrency: int = 8  # microphone chunks are short and each user streams at once


LIMITS = Limits()
