"""Scores shared by tests, benchmarks and the live-speech replay."""
import re

import jiwer


def words_of(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: the unit word error rate counts."""
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance / reference length, ignoring case and punctuation (jiwer); an empty reference
    counts every hypothesis word as an error."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    if not ref:
        return float(len(hyp))
    return jiwer.wer(" ".join(ref), " ".join(hyp))
