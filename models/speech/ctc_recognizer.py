"""A recognizer trained in the Training tab (task "ctc"): its acoustic model plus a language model, decoding clips.

recognize(): the clip's CTC posteriors [frames, characters + blank], the greedy path, and the beam's n-best with
acoustic and language-model scores. held_out_wer(): WER on the held-out voice, greedy vs + n-gram vs + LSTM LM.
The language models are trained on the task's training sentences on first use (the n-gram in about a second,
the LSTM in seconds) and kept for the process.
"""
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import torch
from torch import nn

from models.errors import InputError, Phrase
from models.language.lstm_lm import LSTMLanguageModel
from models.language.ngram import NgramModel
from models.metrics import word_error_rate
from models.progress import Progress, no_progress
from models.speech.audio import HOP_LENGTH, SAMPLE_RATE, check_speech
from models.speech.closed_world import sentences
from models.speech.ctc_decoding import DecodeOptions, Hypothesis, PrefixBeamSearch, collapse
from models.speech.spoken_set import TRAINING_SEED, TRAINING_UTTERANCES, spoken_set

DECODERS = ("greedy", "ngram", "neural")
MAX_SECONDS = 10.0  # the recognizer heard 1–3 s sentences; longer clips are refused, not cut
NBEST = 5
KNOWN_WORDS_SHOWN = 12  # how many of the n-gram's words a note about an unknown word lists
FEATURE_BATCH = 64  # clips turned into log-mel at once
DEFAULTS = DecodeOptions()


@dataclass(frozen=True)
class Recognition:
    text: str
    nbest: list[Hypothesis]
    log_probs: np.ndarray  # [frames, characters] ln P, column 0 the blank
    characters: list[str]
    best_path: list[int]  # the best character of each frame, before collapsing
    greedy_text: str
    notes: list[Phrase] = field(default_factory=list)


def features(clips: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips (float32 16 kHz) -> ([n, 1, N_MELS, frames] log-mel, [n] frame counts). Each clip's mean of each mel
    bin over its own frames is subtracted (cepstral mean normalisation): what a voice or a microphone adds to every
    frame alike goes, so a speaker the model never heard looks more like those it did. Zero past each clip's end."""
    from models.training.tasks.keywords import log_mel  # here: the tasks package imports this module

    longest = max(len(clip) for clip in clips)
    padded = torch.zeros(len(clips), longest)
    for row, clip in enumerate(clips):
        padded[row, : len(clip)] = torch.from_numpy(clip)
    spectrograms = torch.cat([log_mel(part) for part in padded.split(FEATURE_BATCH)])
    counts = torch.tensor([len(clip) // HOP_LENGTH + 1 for clip in clips])
    inside = (torch.arange(spectrograms.shape[-1]) < counts[:, None])[:, None, None, :]  # [n, 1, 1, frames]
    means = (spectrograms * inside).sum(-1, keepdim=True) / counts[:, None, None, None]
    return (spectrograms - means) * inside, counts


@cache
def training_sentences() -> tuple[str, ...]:
    return tuple(sentences(TRAINING_UTTERANCES, TRAINING_SEED))


@cache
def language_model(decoder: str):
    """The task's n-gram ("ngram") or LSTM ("neural") language model, trained on its training sentences."""
    return NgramModel(list(training_sentences())) if decoder == "ngram" else LSTMLanguageModel(list(training_sentences()))


def check_decoder(decoder: str, alpha: float, beta: float, beam: int) -> None:
    if decoder not in DECODERS:
        raise InputError.of("ctc.unknown_decoder", decoder=decoder, choices=", ".join(DECODERS))
    for name, value, low, high in (("alpha", alpha, 0, 5), ("beta", beta, -5, 10), ("beam", beam, 1, 64)):
        if not np.isfinite(value) or not low <= value <= high:
            raise InputError.of("ctc.bad_setting", name=name, value=value, lowest=low, highest=high)


class CTCRecognizer:
    def __init__(self, network: nn.Module, characters: list[str], run_id: int):
        self.network, self.characters, self.run_id = network.eval(), characters, run_id

    @torch.inference_mode()
    def posteriors(self, clips: list[np.ndarray]) -> list[np.ndarray]:
        """Clips (float32 16 kHz) -> each one's [frames, characters] ln P."""
        spectrograms, counts = features(clips)
        logits, frames = self.network(spectrograms, counts)
        log_probs = logits.log_softmax(-1).numpy()
        return [log_probs[i, : int(n)] for i, n in enumerate(frames)]

    def recognize(self, samples: np.ndarray, decoder: str = "ngram", alpha: float = DEFAULTS.alpha,
                  beta: float = DEFAULTS.beta, beam: int = DEFAULTS.beam) -> Recognition:
        """One clip -> its Recognition; InputError if it is empty, silent, too long, or the settings are wrong."""
        check_decoder(decoder, alpha, beta, beam)
        check_speech(samples)
        if len(samples) > MAX_SECONDS * SAMPLE_RATE:
            raise InputError.of("ctc.too_long", seconds=len(samples) / SAMPLE_RATE, limit=MAX_SECONDS)
        log_probs = self.posteriors([samples])[0]
        return self.decode(log_probs, decoder, alpha, beta, beam)

    def decode(self, log_probs: np.ndarray, decoder: str, alpha: float, beta: float, beam: int) -> Recognition:
        best_path = log_probs.argmax(-1).tolist()
        greedy_text = " ".join("".join(self.characters[c] for c in collapse(best_path)).split())
        scorer = None if decoder == "greedy" else language_model(decoder)
        options = DecodeOptions(beam, alpha, beta)
        if scorer is None:  # its score: ln P of the one best path, not of every alignment of the text
            best = float(log_probs.max(-1).sum())
            nbest = [Hypothesis(greedy_text, best, 0.0, best)]
        else:  # the LM's words bound the search; α = 0 turns the language model off, its lexicon with it
            lexicon = scorer.words if alpha > 0 else None
            nbest = PrefixBeamSearch(self.characters, scorer, options, lexicon).decode(log_probs, NBEST)
        text = nbest[0].text if nbest else ""
        notes = []
        if not text:
            notes.append(Phrase("ctc.nothing_heard"))
        unknown = [word for word in greedy_text.split() if not language_model("ngram").knows(word)]
        if unknown and decoder == "ngram":
            known = language_model("ngram").words
            notes.append(Phrase("ctc.unknown_words", words=", ".join(dict.fromkeys(unknown)), count=len(known),
                                examples=", ".join(known[:: max(1, len(known) // KNOWN_WORDS_SHOWN)])))
        return Recognition(text, nbest, log_probs, self.characters, best_path, greedy_text, notes)

    def held_out_wer(self, alpha: float = DEFAULTS.alpha, beta: float = DEFAULTS.beta, beam: int = DEFAULTS.beam,
                     progress: Progress = no_progress) -> dict[str, float]:
        """decoder -> WER (0..1) over the held-out voice's utterances, one figure per decoder."""
        check_decoder("greedy", alpha, beta, beam)
        clips, texts = spoken_set(progress).part(held_out=True)
        all_log_probs = self.posteriors(clips)
        errors = {}
        for number, decoder in enumerate(DECODERS):
            progress(number / len(DECODERS), Phrase("ctc.scoring", decoder=decoder))
            heard = [self.decode(log_probs, decoder, alpha, beta, beam).text for log_probs in all_log_probs]
            wrong = sum(word_error_rate(truth, text) * len(truth.split()) for truth, text in zip(texts, heard))
            errors[decoder] = wrong / sum(len(truth.split()) for truth in texts)
        return errors
