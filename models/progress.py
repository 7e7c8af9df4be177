"""How a long operation (a model load, a long transcription, a batch translation) reports progress."""
from typing import Callable

from models.errors import Phrase

# progress(fraction in [0, 1], what is happening now as a message key with its fields)
Progress = Callable[[float, Phrase], object]


def no_progress(fraction: float, message: Phrase) -> None:
    """A Progress that shows nothing."""
