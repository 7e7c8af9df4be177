import re

import pytest
from tests.tests_paths import ROOT

from models.batching import MOST_PER_BATCH
from models.speech.audio import CHUNK_LENGTH
from models.limits import LIMITS


def readme_limits() -> dict[str, str]:
    """The README's Limits table: input -> limit cell."""
    section = (ROOT / "README.md").read_text().split("## Limits\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): cells[1].strip() for cells in rows[1:]}


def numbers(text: str) -> list[float]:
    return [float(number.replace(",", "")) for number in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


@pytest.mark.parametrize("row, expected", [
    ("upload size", [LIMITS.upload_mb]),
    ("audio length", [LIMITS.audio_seconds, LIMITS.audio_seconds / 60, CHUNK_LENGTH]),
    ("image size", [LIMITS.image_pixels]),
    ("text to translate", [LIMITS.text_characters, LIMITS.sentence_tokens]),
    ("attention input", [LIMITS.attention_tokens, LIMITS.attention_audio_seconds]),
    ("training", [LIMITS.learning_rate, LIMITS.batch_size, LIMITS.epochs, LIMITS.workers]),
    ("embeddings", [LIMITS.projected_words, LIMITS.compared_sentences, LIMITS.neighbours]),
    ("queue", [LIMITS.queue_size, LIMITS.fast_concurrency, LIMITS.slow_concurrency,
               LIMITS.fast_concurrency + LIMITS.slow_concurrency, LIMITS.batched_concurrency, MOST_PER_BATCH,
               LIMITS.live_speech_concurrency]),
])
def test_readme_limits_table_states_the_configured_numbers(row, expected):
    assert numbers(readme_limits()[row]) == expected


def test_every_limit_is_in_the_readme_table():
    assert len(readme_limits()) == 8
    stated = [number for cell in readme_limits().values() for number in numbers(cell)]
    for name, value in vars(LIMITS).items():
        assert value in stated, f"LIMITS.{name} = {value} is not in the README's Limits table"
