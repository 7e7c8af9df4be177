"""What a live-transcription commit policy is: it decides which decoded words are final.

StreamingTranscriber decodes its audio buffer again and again; after each decode it hands the
hypothesis to its policy, which moves words from the tentative tail into the committed text (committed
words never change). Policies: models/speech/agreement.py (LocalAgreement-n with pause-ended phrases).
"""
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from models.speech.stream_buffer import Cut


def normalise(word: str) -> str:
    """A word as hypotheses are compared: lower case, without punctuation."""
    return re.sub(r"[^\w']", "", word.lower())


@dataclass
class BufferHypothesis:
    """One decode of the audio buffer: its words, and where its segments end."""

    words: list[str]
    segment_ends: list[tuple[int, float]]  # (words in this and earlier segments, segment end in buffer seconds)
    word_ends: list[float] = field(default_factory=list)  # where each word ends, buffer seconds; [] if unknown

    def resynced(self, committed: list[str]) -> "BufferHypothesis":
        """This hypothesis with the words that re-read the buffer's committed words replaced by them.

        Every decode reads the buffer from its start, so it writes the committed words again, and not always
        alike: "a cup and coffee" once, "a carbon coffee" the next time. Counted by position, a word fewer there
        dropped the first new word ("The last train" -> "last train") and a word more committed one twice
        ("Friday. Friday."). The committed words are matched to the start of the hypothesis that is closest to them
        in edit distance over normalised words (of equally close starts, one that ends in the last committed word, then
        the one nearest their own length)."""
        words, count = [normalise(word) for word in self.words], len(committed)
        if not count:
            return self
        previous = list(range(len(words) + 1))  # distance between committed[:0] and words[:j]
        for row, word in enumerate((normalise(word) for word in committed), start=1):
            current = [row]
            for column, heard in enumerate(words, start=1):
                current.append(min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (word != heard)))
            previous = current
        last = normalise(committed[-1])
        start = min(range(len(words) + 1),
                    key=lambda end: (previous[end], not end or words[end - 1] != last, abs(end - count)))
        shift = count - start
        word_ends = self.word_ends
        if len(word_ends) == len(self.words):  # the committed words' ends are stamped already: any value holds
            word_ends = [word_ends[min(index, start - 1)] if start else 0.0 for index in range(count)] + word_ends[start:]
        segment_ends = [(words_before + shift if words_before >= start else min(words_before, count), end)
                        for words_before, end in self.segment_ends]
        return BufferHypothesis(list(committed) + self.words[start:], segment_ends, word_ends)


@dataclass(frozen=True)
class CommittedWord:
    text: str
    spoken_at: float | None  # seconds into the stream where the word ends (None: the decoder did not say)
    committed_at: float  # the stream's clock when it was committed


@dataclass
class StreamText:
    """The transcript so far: committed words said before the buffer (the decoder's prompt), committed
    words said in it, and the tentative tail of the last hypothesis."""

    before_buffer: list[str] = field(default_factory=list)
    committed: list[str] = field(default_factory=list)  # in the buffer: the first words of every hypothesis
    tentative: list[str] = field(default_factory=list)

    @property
    def committed_text(self) -> str:
        return " ".join(self.before_buffer + self.committed)

    def commit(self, words: list[str]) -> None:
        """Commit `words` (a hypothesis of the buffer, or its first words) past the words already committed."""
        self.committed += words[len(self.committed):]

    def commit_tentative(self) -> None:
        self.committed += self.tentative
        self.tentative = []

    def cut(self, words: int) -> None:
        """The buffer was cut after its first `words` committed words: they are now before it."""
        self.before_buffer += self.committed[:words]
        self.committed = self.committed[words:]

    def close(self) -> None:
        """End of speech: everything committed is before the (now empty) buffer."""
        self.before_buffer += self.committed
        self.committed, self.tentative = [], []

    def prompt(self, words: int) -> str:
        """The last `words` committed words before the buffer: what the decoder is told was said before."""
        return " ".join(self.before_buffer[-words:])


@dataclass(frozen=True)
class PauseCommit:
    """A pause made the tentative words final; `cut`: where to cut the buffer now, if anywhere."""

    cut: Cut | None


class CommitPolicy(ABC):
    """Decides which words of the buffer's hypotheses are committed.

    StreamingTranscriber calls every method under its decode lock, one at a time, except `abandons`.
    `loud` arguments are `StreamBuffer.speech` of the buffer as it is now (one bool per 32 ms VAD window)."""

    @abstractmethod
    def hear(self, hypothesis: BufferHypothesis, text: StreamText) -> None:
        """A decode of the buffer said `hypothesis`: commit into `text` what is now final, and set its tentative tail."""

    @abstractmethod
    def cut(self, words: int, at_pause: bool) -> None:
        """The buffer's first `words` committed words and their audio were cut off: at a pause that `pause`
        chose (`at_pause`), or where the buffer was trimmed. Renumber what the policy keeps."""

    @abstractmethod
    def reset(self) -> None:
        """End of speech: the buffer is empty and everything committed; start afresh."""

    def pause(self, loud: np.ndarray, decoded_seconds: float, text: StreamText) -> PauseCommit | None:
        """Between decodes: commit at a pause the last decode (of `decoded_seconds` of the buffer) heard, if
        the policy does that; None if nothing changed."""
        return None

    def final_words(self, loud: np.ndarray, decoded_seconds: float) -> list[str] | None:
        """At the end of speech: the buffer's words if the last decode already has them all, else None
        (the buffer is decoded once more)."""
        return None

    def why(self, text: StreamText) -> "AgreementWhy | None":
        """What the policy last decided from, for the tab's view; None if it shows nothing."""
        return None

    def ends_phrase(self, loud: np.ndarray) -> bool:
        """Whether the buffer ends in a pause after speech, so that the next decode's words are likely final
        (it goes before other streams' decodes); False if the policy has no pauses."""
        return False

    def abandons(self, loud: np.ndarray, decoding_seconds: float) -> bool:
        """Whether the decode running on the first `decoding_seconds` of the buffer is stale now (the next one
        will do better sooner). Called from the thread that adds audio, without the decode lock: it may
        read the policy's options only, never its state."""
        return False


@dataclass(frozen=True)
class AgreementWhy:
    """Why LocalAgreement committed what it did: the hypotheses it compared and how far they agree."""

    hypotheses: tuple[tuple[str, ...], ...]  # the last `agreement` hypotheses of the buffer, oldest first
    agreed: int  # leading words they all share
    committed: int  # words of the buffer committed now


@dataclass(frozen=True)
class AlignAttWhy:
    """Why AlignAtt stopped where it did: the alignment heads' attention of each token written by the last
    decode (and of the one held back) over the buffer's encoder frames, and the frontier."""

    tokens: tuple[str, ...]  # written tokens, then the held-back one ("" when the decode ran to its end)
    attention: np.ndarray  # [len(tokens), audio frames], each row the heads' mean attention
    audio_frames: int  # encoder frames (20 ms) of audio in the buffer
    frontier_frame: int | None  # a token attending at or past this frame waits; None: no frontier (phrase end)
    stopped: str  # "frontier", "end", "loop", "limit" or "no speech"
