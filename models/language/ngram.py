"""A word n-gram language model with Kneser–Ney smoothing (nltk.lm), for the speech recognizer's beam search.

P(word | the two words before it), counted on the training sentences. Kneser–Ney interpolates each order with
the next lower one, and its lowest order asks not "how often is this word" but "after how many different words
does it come", so a word seen in many places gets a fair share in a context it never followed. A word the
model never saw gets OOV_PROBABILITY: it backs off to a small constant instead of ruling the text out.
"""
import math
from functools import lru_cache

BEGIN, END = "<s>", "</s>"
ORDER = 3
OOV_PROBABILITY = 1e-6  # P of a word outside the vocabulary, in any context
SMALLEST = 1e-9  # nltk gives 0 to an end the training never had after a context (unknown words there)


class NgramModel:
    def __init__(self, sentences: list[str], order: int = ORDER):
        from nltk.lm import KneserNeyInterpolated
        from nltk.lm.preprocessing import padded_everygram_pipeline

        self.order = order
        ngrams, words = padded_everygram_pipeline(order, [sentence.split() for sentence in sentences])
        self.model = KneserNeyInterpolated(order)
        self.model.fit(ngrams, words)
        self.words = sorted(word for word in self.model.vocab if word not in (BEGIN, END, self.model.vocab.unk_label))
        self._known = set(self.words)

    def knows(self, word: str) -> bool:
        return word in self._known

    def unknown(self, text: str) -> list[str]:
        """The words of `text` the model never saw, in order, each once."""
        return list(dict.fromkeys(word for word in text.split() if not self.knows(word)))

    @lru_cache(maxsize=100_000)
    def log_prob(self, context: tuple[str, ...], word: str) -> float:
        """ln P(word | context); context: the words before it in the sentence (the last order − 1 are used)."""
        if word != END and not self.knows(word):
            return math.log(OOV_PROBABILITY)
        history = ((BEGIN,) * (self.order - 1) + context)[-(self.order - 1):]
        return math.log(max(self.model.score(word, history), SMALLEST))

    def sentence_log_prob(self, text: str) -> float:
        words = tuple(text.split())
        return sum(self.log_prob(words[:i], word) for i, word in enumerate(words + (END,)))
