"""CTC decoding on posteriors made by hand: greedy collapse, prefix beam search equal to greedy without a
language model on peaky posteriors, the n-gram choosing "four" where the sound alone leaves "for", and a lexicon
keeping a narrow beam to known words (in the recognizer, only while the language model counts: α > 0)."""
import numpy as np
from torch import nn

from models.language.ngram import NgramModel
from models.speech.closed_world import ALPHABET, sentences
from models.speech.ctc_decoding import DecodeOptions, PrefixBeamSearch, collapse, greedy
from models.speech.ctc_recognizer import CTCRecognizer

CHARACTERS = ["·", *ALPHABET]


def posteriors(frames: list[dict[str, float]]) -> np.ndarray:
    """[frames, characters] ln P from each frame's {character: probability} ("·" the blank), the rest spread thin."""
    table = np.full((len(frames), len(CHARACTERS)), 1e-6)
    for row, frame in zip(table, frames):
        for character, probability in frame.items():
            row[CHARACTERS.index(character)] = probability
    return np.log(table / table.sum(1, keepdims=True))


def spoken(text: str, unsure: dict[int, float] | None = None) -> list[dict[str, float]]:
    """Frames saying `text`: each character then a blank; the characters at `unsure` positions only that likely."""
    frames = []
    for i, character in enumerate(text):
        p = (unsure or {}).get(i, 0.95)
        frames += [{character: p, "·": 1 - p}, {"·": 0.95}]
    return frames


def test_collapse_merges_repeats_then_drops_blanks():
    assert collapse([1, 1, 0, 1, 2, 2, 0, 0, 3]) == [1, 1, 2, 3]
    assert greedy(posteriors(spoken("see")), CHARACTERS) == "see"


def test_beam_search_without_a_language_model_gives_the_greedy_text():
    rng = np.random.default_rng(0)
    for text in sentences(6, 3):
        frames = spoken(text, {int(i): float(rng.uniform(0.6, 0.95)) for i in rng.integers(0, len(text), 4)})
        log_probs = posteriors(frames)
        best = PrefixBeamSearch(CHARACTERS, None, DecodeOptions(beam=8, alpha=0.0, beta=0.0)).decode(log_probs)[0]
        assert best.text == greedy(log_probs, CHARACTERS) == text
        assert best.lm == 0.0 and best.total == best.acoustic


def test_the_ngram_hears_four_where_the_sound_says_for():
    text = "set a timer for four minutes"
    log_probs = posteriors(spoken(text, {text.index("four") + 2: 0.4}))  # the u of four: less likely than blank
    assert greedy(log_probs, CHARACTERS) == "set a timer for for minutes"
    ngram = NgramModel(sentences(900, 1))
    nbest = PrefixBeamSearch(CHARACTERS, ngram, DecodeOptions(beam=8, alpha=0.8, beta=1.0)).decode(log_probs)
    assert nbest[0].text == text
    sound_only = PrefixBeamSearch(CHARACTERS, None, DecodeOptions(beam=8, alpha=0.0, beta=0.0)).decode(log_probs)[0]
    assert sound_only.text == "set a timer for for minutes"  # the sound prefers it, the language model does not
    assert sound_only.acoustic > nbest[0].acoustic and ngram.sentence_log_prob(sound_only.text) < nbest[0].lm
    assert nbest[0].total == nbest[0].acoustic + 0.8 * nbest[0].lm + 1.0 * 6


def red_cip() -> np.ndarray:
    """Posteriors of "pick up the red cup" whose sound says "cip" ("ci" begins no known word)."""
    text = "pick up the red cup"
    frames = spoken(text)
    frames[2 * text.index("cup") + 2] = {"i": 0.9, "u": 0.05, "·": 0.05}
    return posteriors(frames)


def test_a_lexicon_keeps_the_beam_to_known_words():
    text = "pick up the red cup"
    log_probs = red_cip()
    assert greedy(log_probs, CHARACTERS) == "pick up the red cip"
    known = NgramModel(sentences(900, 1)).words
    assert not any(word.startswith("ci") for word in known)
    # beam 2: without the lexicon, "cu" is pruned before the "p" comes
    search = PrefixBeamSearch(CHARACTERS, None, DecodeOptions(beam=2, alpha=0.0, beta=0.0), lexicon=known)
    nbest = search.decode(log_probs)
    assert nbest[0].text == text
    assert all(word in known for hypothesis in nbest for word in hypothesis.text.split())


def test_the_recognizer_s_lexicon_goes_with_its_language_model():
    recognizer = CTCRecognizer(nn.Identity(), CHARACTERS, 0)  # decode() reads posteriors only
    log_probs = red_cip()
    assert recognizer.decode(log_probs, "ngram", 0.0, 0.0, 8).text == greedy(log_probs, CHARACTERS)
    assert recognizer.decode(log_probs, "ngram", 0.8, 2.0, 2).text == "pick up the red cup"  # beam 2: the lexicon needed
