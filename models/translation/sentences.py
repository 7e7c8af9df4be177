"""Split text into sentences for batched translation."""
import re

from models.errors import InputError
from models.limits import LIMITS

MAX_TEXT_CHARACTERS = LIMITS.text_characters
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` with control characters removed; InputError when nothing is left or it is too long."""
    if len(text) > MAX_TEXT_CHARACTERS:
        raise InputError.of("translation.too_many_characters", count=len(text), limit=MAX_TEXT_CHARACTERS)
    cleaned = _CONTROL.sub(" ", text)
    sentences = [part.strip() for line in cleaned.splitlines() for part in _SENTENCE_END.split(line)]
    sentences = [sentence for sentence in sentences if sentence]
    if not sentences:
        raise InputError.of("translation.no_text")
    return sentences
