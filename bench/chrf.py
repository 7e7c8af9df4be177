"""chrF (Popović, 2015), corpus level, with sacreBLEU's defaults: character 1- to 6-grams with
whitespace removed, β = 2 (recall weighs twice as much as precision).

Counts are summed over the corpus per n-gram order; precision and recall are averaged over the
orders that occur in both hypothesis and reference, then combined into an F-score.
"""
from collections import Counter

CHAR_ORDER = 6
BETA = 2.0


def char_ngrams(text: str, n: int) -> Counter:
    text = "".join(text.split())
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def chrf(hypotheses: list[str], references: list[str]) -> float:
    """Corpus chrF in [0, 100] of one hypothesis per reference."""
    totals = [[0, 0, 0] for _ in range(CHAR_ORDER)]  # per order: hypothesis n-grams, reference n-grams, matches
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        for n in range(1, CHAR_ORDER + 1):
            hypothesis_ngrams, reference_ngrams = char_ngrams(hypothesis, n), char_ngrams(reference, n)
            totals[n - 1][0] += sum(hypothesis_ngrams.values())
            totals[n - 1][1] += sum(reference_ngrams.values())
            totals[n - 1][2] += sum((hypothesis_ngrams & reference_ngrams).values())
    orders = [(matches / in_hypothesis, matches / in_reference)
              for in_hypothesis, in_reference, matches in totals if in_hypothesis and in_reference]
    if not orders:
        return 0.0
    precision = sum(p for p, _ in orders) / len(orders)
    recall = sum(r for _, r in orders) / len(orders)
    if precision + recall == 0:
        return 0.0
    factor = BETA ** 2
    return 100 * (1 + factor) * precision * recall / (factor * precision + recall)
