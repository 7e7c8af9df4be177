"""LocalAgreement-n with pauses as phrase ends (after ufal/whisper_streaming): a commit policy.

Words that the last `agreement` hypotheses all agree on are committed; the rest is the tentative
tail. At a pause (`pause_seconds` without speech, as Silero VAD flags the buffer's 32 ms windows) that
the last decode heard in full, its hypothesis is final for that phrase and is committed at once, without
waiting for another decode to agree; the buffer is then cut at the previous pause, so decodes read the
phrase being spoken plus the one before it as context. A decode still running from before the pause is abandoned then: the next one hears
the whole phrase, and the final words need not wait for both.
"""
from dataclasses import dataclass

import numpy as np

from models.speech.stream_buffer import Cut, whole_windows
from models.speech.stream_policy import (AgreementWhy, BufferHypothesis, CommitPolicy, PauseCommit, StreamText,
                                         normalise)
from models.speech.vad import WINDOW_SECONDS

MIN_PHRASE_SECONDS = 0.5  # a later pause ends a new phrase only this far after the last one
HEARD_AFTER_SPEECH_SECONDS = 0.1  # a decode heard a phrase in full if its audio went this far past the speech


@dataclass(frozen=True)
class AgreementOptions:
    agreement: int = 2  # consecutive hypotheses that must agree before a word is committed
    pause_seconds: float = 0.2  # this long without speech ends a phrase


def agreed_prefix_length(hypotheses: list[list[str]]) -> int:
    """How many leading words every hypothesis shares (case and punctuation ignored)."""
    length = 0
    for words in zip(*hypotheses):
        if len({normalise(word) for word in words}) != 1:
            break
        length += 1
    return length


class LocalAgreement(CommitPolicy):
    def __init__(self, options: AgreementOptions = AgreementOptions()):
        self.options = options
        self.recent: list[list[str]] = []  # the last `agreement` hypotheses' words, from the buffer's start
        self.phrase_end: tuple[int, float] | None = None  # (committed words, buffer seconds) at the last pause

    def hear(self, hypothesis: BufferHypothesis, text: StreamText) -> None:
        words = hypothesis.words
        self.recent = (self.recent + [words])[-self.options.agreement:]
        if len(self.recent) == self.options.agreement:
            # The newest word is left tentative: the buffer often ends inside it ("like" heard as "die").
            agreed = min(agreed_prefix_length(self.recent), len(words) - 1)
            if agreed > len(text.committed):
                text.commit(words[:agreed])
        text.tentative = words[len(text.committed):]

    def why(self, text: StreamText) -> AgreementWhy | None:
        """The hypotheses the last commit was decided from, how far they agree, and how many words of the buffer
        are committed; None before the first decode."""
        if not self.recent:
            return None
        agreed = agreed_prefix_length(self.recent) if len(self.recent) == self.options.agreement else 0
        return AgreementWhy(tuple(tuple(words) for words in self.recent), agreed, len(text.committed))

    def pause(self, speech: np.ndarray, decoded_seconds: float, text: StreamText) -> PauseCommit | None:
        """If the speech the last decode heard is followed by a pause, that decode's words are final: commit
        them, and cut the buffer at the previous pause (the finished phrase stays as context)."""
        heard = np.flatnonzero(speech[: whole_windows(decoded_seconds)])
        if not heard.size or not self.recent:
            return None
        speech_end = heard[-1] + 1
        next_speech = np.flatnonzero(speech[speech_end:])
        silent_windows = next_speech[0] if next_speech.size else speech.size - speech_end
        if (silent_windows * WINDOW_SECONDS < self.options.pause_seconds
                or decoded_seconds < speech_end * WINDOW_SECONDS + HEARD_AFTER_SPEECH_SECONDS):
            return None
        pause = (speech_end + whole_windows(self.options.pause_seconds / 2)) * WINDOW_SECONDS  # on a window
        new_phrase = self.phrase_end is None or pause - self.phrase_end[1] >= MIN_PHRASE_SECONDS
        if not text.tentative and not new_phrase:
            return None
        text.commit_tentative()
        committed, cut = len(text.committed), None
        if self.phrase_end is not None and new_phrase:
            cut = Cut(*self.phrase_end)
            committed, pause = committed - cut.words, pause - cut.seconds
        self.phrase_end = (committed, pause)  # where the buffer will be after the cut
        return PauseCommit(cut)

    def cut(self, words: int, at_pause: bool) -> None:
        self.recent = [hypothesis[words:] for hypothesis in self.recent]
        if not at_pause:  # trimmed inside a phrase: where the last one ended is gone
            self.phrase_end = None

    def reset(self) -> None:
        self.recent, self.phrase_end = [], None

    def final_words(self, speech: np.ndarray, decoded_seconds: float) -> list[str] | None:
        """The last hypothesis, if no speech in the buffer came after what its decode heard (with a little
        silence after it)."""
        heard_until = whole_windows(max(0.0, decoded_seconds - HEARD_AFTER_SPEECH_SECONDS))
        if self.recent and not speech[heard_until:].any():
            return self.recent[-1]
        return None

    def ends_phrase(self, speech: np.ndarray) -> bool:
        """The buffer ends in a pause after speech."""
        spoken = np.flatnonzero(speech)
        return bool(spoken.size and (speech.size - spoken[-1] - 1) * WINDOW_SECONDS >= self.options.pause_seconds)

    def abandons(self, speech: np.ndarray, decoding_seconds: float) -> bool:
        """The buffer ends in a pause, and the speech before it goes on past what the running decode reads:
        waiting for it would delay the final words by a whole decode; the next one hears them."""
        if not self.ends_phrase(speech):
            return False
        speech_end = np.flatnonzero(speech)[-1] + 1
        return speech_end * WINDOW_SECONDS + HEARD_AFTER_SPEECH_SECONDS > decoding_seconds
