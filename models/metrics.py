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


def corpus_word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Word errors over all pairs / reference words over all pairs: each sentence weighs by its length."""
    errors = sum(word_error_rate(reference, hypothesis) * len(words_of(reference))
                 for reference, hypothesis in zip(references, hypotheses, strict=True))
    return errors / max(1, sum(len(words_of(reference)) for reference in references))
