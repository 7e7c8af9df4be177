"""Scores shared by tests and benchmarks."""
import re


def words_of(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: the unit word error rate counts."""
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance / reference length, ignoring case and punctuation."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    distances = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        previous_diagonal, distances[0] = distances[0], i
        for j, hyp_word in enumerate(hyp, start=1):
            substitution = previous_diagonal + (ref_word != hyp_word)
            previous_diagonal, distances[j] = distances[j], min(distances[j] + 1, distances[j - 1] + 1, substitution)
    return distances[len(hyp)] / max(len(ref), 1)
