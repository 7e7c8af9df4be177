"""From CTC posteriors to text: greedy decoding, and prefix beam search with a word language model (shallow fusion).

Greedy: the best character of every frame, repeats merged, blanks dropped. It trusts the sound alone, so
"set a timer for four minutes" may come out "set a timer four for minutes" if "for" and "four" sound the same.

Prefix beam search (Hannun et al. 2014, arXiv:1408.2873) keeps the `beam` most likely prefixes, each with the
probability of every alignment that ends in a blank (p_b) or in its last character (p_nb), so paths that
collapse to one text are added up, not competing. When a prefix finishes a word (a space, or the end), the
language model scores the word after the words before it; the beam ranks by
    log P_acoustic + α · log P_LM + β · words,
α the weight of the language model, β a bonus per word (an LM alone prefers fewer, shorter words).

With a lexicon (the words the language model knows), a prefix may only grow along them: a letter is tried only
if the word it starts or continues begins some known word, a space only after a whole known word, and a text
whose last word is unfinished ends only if no text with a whole word is left. Without it, an n-gram sees a word
only once its space comes, so a beam of 8 fills with misspellings the LM would reject a few frames later, and the
right spelling has been pruned by then; a lexicon keeps every beam entry a candidate the LM can judge.

Written here rather than taken from a library: pyctcdecode pins numpy < 2 and torchaudio's CTC decoder does not
import with this torch build; the algorithm is also short enough to read, which is the point of the lesson.
"""
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BLANK_ID = 0
PRUNE_LOG_PROB = math.log(1e-4)  # characters less likely than this in a frame are not tried


class WordScorer(Protocol):
    def log_prob(self, context: tuple[str, ...], word: str) -> float:
        """ln P(word | the words before it); word "</s>" is the end of the sentence."""


@dataclass(frozen=True)
class DecodeOptions:
    """The defaults were chosen on the CNN + BiLSTM's validation split with the n-gram and the lexicon (WER 10 % at
    beam 8, 6 % at 16, 5 % at 32; α 0.5–1.2 and β 1–3 within a point of each other at beam 32), not on the
    held-out voice; beam 32 decodes an utterance in tens of milliseconds."""
    beam: int = 32
    alpha: float = 0.8  # the language model's weight
    beta: float = 2.0  # the bonus per word


@dataclass(frozen=True)
class Hypothesis:
    text: str
    acoustic: float  # ln P(text | audio) under CTC, every alignment added up
    lm: float  # ln P(text) under the language model (0 without one)
    total: float  # acoustic + α · lm + β · words


def collapse(ids: list[int]) -> list[int]:
    """CTC's rule: merge repeats, then drop blanks ([a a · a b] -> [a a b])."""
    return [c for i, c in enumerate(ids) if c != BLANK_ID and (i == 0 or c != ids[i - 1])]


def greedy(log_probs: np.ndarray, characters: list[str]) -> str:
    """[frames, characters] log-probabilities -> the best path, collapsed."""
    return "".join(characters[c] for c in collapse(log_probs.argmax(-1).tolist()))


def _add(a: float, b: float) -> float:
    """ln(e^a + e^b)"""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


@dataclass
class _Prefix:
    blank: float = -math.inf  # ln P of the alignments of this prefix that end in a blank
    last: float = -math.inf  # … that end in its last character
    lm: float = 0.0  # ln P_LM of its finished words
    words: int = 0
    word: str = ""  # its letters after the last space: the word being spelt

    @property
    def acoustic(self) -> float:
        return _add(self.blank, self.last)


class PrefixBeamSearch:
    def __init__(self, characters: list[str], scorer: WordScorer | None = None,
                 options: DecodeOptions = DecodeOptions(), lexicon: Iterable[str] | None = None):
        """lexicon: the words a text may be made of (None: any string of characters)."""
        self.characters, self.scorer, self.options = characters, scorer, options
        self.space = characters.index(" ")
        self.lexicon = None if lexicon is None else frozenset(lexicon)
        self.beginnings = None if lexicon is None else frozenset(
            word[:end] for word in self.lexicon for end in range(1, len(word) + 1))

    def _allowed(self, entry: _Prefix, c: int) -> bool:
        """Whether the lexicon lets a prefix grow by the new character `c` (not a repeat merged into the last)."""
        if self.lexicon is None:
            return True
        if c == self.space:
            return not entry.word or entry.word in self.lexicon
        return entry.word + self.characters[c] in self.beginnings

    def _words(self, prefix: tuple[int, ...]) -> tuple[str, ...]:
        return tuple("".join(self.characters[c] for c in prefix).split())

    def _finish_word(self, prefix: tuple[int, ...], entry: _Prefix) -> tuple[float, int]:
        """(LM log-prob, words) of `prefix` once its last word is finished."""
        words = self._words(prefix)
        if self.scorer is None or not words:
            return entry.lm, len(words)
        return entry.lm + self.scorer.log_prob(words[:-1], words[-1]), len(words)

    def _rank(self, entry: _Prefix) -> float:
        return entry.acoustic + self.options.alpha * entry.lm + self.options.beta * entry.words

    def decode(self, log_probs: np.ndarray, nbest: int = 5) -> list[Hypothesis]:
        """[frames, characters] log-probabilities (column 0 the blank) -> the best `nbest` texts, best first."""
        beams: dict[tuple[int, ...], _Prefix] = {(): _Prefix(blank=0.0)}
        for frame in log_probs:
            tried = np.flatnonzero(frame > PRUNE_LOG_PROB).tolist()
            following: dict[tuple[int, ...], _Prefix] = {}
            for prefix, entry in beams.items():
                for c in tried:
                    p = float(frame[c])
                    if c == BLANK_ID:
                        stay = following.setdefault(prefix, _Prefix(lm=entry.lm, words=entry.words, word=entry.word))
                        stay.blank = _add(stay.blank, entry.acoustic + p)
                        continue
                    extended = prefix + (c,)
                    if prefix and c == prefix[-1]:  # a repeat only makes a new character after a blank
                        stay = following.setdefault(prefix, _Prefix(lm=entry.lm, words=entry.words, word=entry.word))
                        stay.last = _add(stay.last, entry.last + p)
                        reach = entry.blank + p
                    else:
                        reach = entry.acoustic + p
                    if not self._allowed(entry, c):
                        continue
                    if extended not in following:
                        new = _Prefix(lm=entry.lm, words=entry.words,
                                      word="" if c == self.space else entry.word + self.characters[c])
                        if c == self.space and prefix and prefix[-1] != self.space:
                            new.lm, new.words = self._finish_word(prefix, entry)
                        following[extended] = new
                    following[extended].last = _add(following[extended].last, reach)
            beams = dict(sorted(following.items(), key=lambda item: -self._rank(item[1]))[: self.options.beam])
        return self._ended(beams)[:nbest]

    def _ended(self, beams: dict[tuple[int, ...], _Prefix]) -> list[Hypothesis]:
        """Each beam with its last word finished and the end of the sentence scored, best first."""
        ended = []
        for prefix, entry in beams.items():
            text = " ".join(self._words(prefix))
            lm, words = entry.lm, entry.words
            if prefix and prefix[-1] != self.space:
                lm, words = self._finish_word(prefix, entry)
            if self.scorer is not None:
                lm += self.scorer.log_prob(self._words(prefix), "</s>")
            acoustic = entry.acoustic
            ended.append(Hypothesis(text, acoustic, lm,
                                    acoustic + self.options.alpha * lm + self.options.beta * words))
        if self.lexicon is not None and any(self._whole(h.text) for h in ended):
            ended = [h for h in ended if self._whole(h.text)]
        merged: dict[str, Hypothesis] = {}  # "a b" and "a b " are one text
        for hypothesis in sorted(ended, key=lambda h: -h.total):
            merged.setdefault(hypothesis.text, hypothesis)
        return list(merged.values())

    def _whole(self, text: str) -> bool:
        """Whether every word of `text` is in the lexicon (its last one may still be a beginning in the beam)."""
        return all(word in self.lexicon for word in text.split())
